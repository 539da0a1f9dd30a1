#!/bin/bash
# Build the libFuzzer targets tests/fuzz/fuzz_*.c with clang, ASan and UBSan,
# and run each of them, one after another, for a set time.
#
#   scripts/fuzz.sh [SECONDS [NAME...]]
#
# SECONDS   time per target (default 60), libFuzzer's -max_total_time;
#           0 builds the targets and runs each over its corpus once
# NAME      run only these targets (heap, config, mallconf, json); default: all
#
# Everything is built and run under build/fuzz/ (FUZZ_OUT overrides it). Each
# target is linked with the library sources it lists in a "fuzz-sources:"
# comment line, compiled with coverage instrumentation. Each target
# fuzzes a working copy of tests/fuzz/corpus/NAME/ in build/fuzz/corpus/NAME/;
# the committed corpus is never written to. Crashing inputs go to
# tests/fuzz/crashes/NAME/ (not tracked by git); minimise one with
#   build/fuzz/fuzz_NAME -minimize_crash=1 -runs=10000 CRASH
# and add it to tests/fuzz/corpus/NAME/ once it is fixed.
#
# FUZZ_FLAGS adds libFuzzer options to every run (e.g. -use_value_profile=1).
#
# Memory is bounded: -rss_limit_mb=2048 (and -malloc_limit_mb, its default),
# -timeout=10 s per input. Logs: build/fuzz/NAME.log.
#
# Exit status: 0 when every target ran its time without a finding, 1 when a
# target crashed, leaked, timed out or ran out of memory, 2 on a build or
# usage error.
set -euo pipefail

cd "$(dirname "$0")/.."

secs=${1:-60}
shift || true
case $secs in
'' | *[!0-9]*)
        echo "usage: scripts/fuzz.sh [SECONDS [NAME...]]" >&2
        exit 2
        ;;
esac

CC=${FUZZ_CC:-clang}
if ! command -v "$CC" >/dev/null; then
        CC=clang-14
fi
if ! command -v "$CC" >/dev/null; then
        echo "fuzz: clang not found (apt-get install clang libclang-rt-14-dev)" >&2
        exit 2
fi
PKG_CONFIG=${PKG_CONFIG:-pkg-config}
out=${FUZZ_OUT:-build/fuzz}
crashdir=tests/fuzz/crashes

cflags=(-g -O1 -std=gnu11 -Wall -Wextra
        '-fsanitize=address,undefined' -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
cppflags=(-D_GNU_SOURCE '-DOOMWATCH_VERSION="fuzz"' -Isupervisor -Ianalyzer -Icommon)
# shellcheck disable=SC2207
pc_cflags=($($PKG_CONFIG --cflags libdw libelf libcgroup inih zlib))
# shellcheck disable=SC2207
libs=($($PKG_CONFIG --libs libcgroup inih libdw libelf zlib) -lm)

# ---- build ------------------------------------------------------------------
# Each target names the library sources it needs in a comment line
#   * fuzz-sources: analyzer/heap_profile.c analyzer/an_util.c
# (default: common/*.c, analyzer/*.c and supervisor/*.c except the program's front ends).
# They are compiled with coverage instrumentation into build/fuzz/obj/.
all_sources() {
        for src in common/*.c analyzer/*.c supervisor/*.c; do
                case $src in
                supervisor/main.c | supervisor/cmd_*.c) ;;
                *) echo "$src" ;;
                esac
        done
}

compile() { # SRC -> prints the object
        local src=$1 obj=$out/obj/${1%.c}.o
        if [ ! -e "$obj.ok" ]; then
                mkdir -p "$(dirname "$obj")"
                $CC "${cppflags[@]}" "${pc_cflags[@]}" "${cflags[@]}" -fsanitize=fuzzer-no-link -c -o "$obj" "$src" >&2 ||
                        { echo "fuzz: cannot compile $src" >&2; return 1; }
                touch "$obj.ok"
        fi
        echo "$obj"
}

rm -f "$out"/obj/*/*.o.ok
names=()
for src in tests/fuzz/fuzz_*.c; do
        n=${src#tests/fuzz/fuzz_}
        n=${n%.c}
        if [ $# -gt 0 ]; then
                want=0
                for a in "$@"; do [ "$a" = "$n" ] && want=1; done
                [ $want = 1 ] || continue
        fi
        srcs=$(sed -n 's/^ \* fuzz-sources: *//p' "$src")
        [ -n "$srcs" ] || srcs=$(all_sources)
        objs=()
        for s in $srcs; do
                o=$(compile "$s") || exit 2
                objs+=("$o")
        done
        mkdir -p "$out"
        $CC "${cppflags[@]}" "${pc_cflags[@]}" "${cflags[@]}" -fsanitize=fuzzer -o "$out/fuzz_$n" "$src" "${objs[@]}" "${libs[@]}" ||
                { echo "fuzz: cannot build $src" >&2; exit 2; }
        names+=("$n")
done
if [ ${#names[@]} -eq 0 ]; then
        echo "fuzz: no target named $*" >&2
        exit 2
fi

# ---- run ------------------------------------------------------------------
# the stat:: lines of -print_final_stats=1, and the last status line
final_stat() { sed -n "s/^stat::$1: *//p" "$2" | tail -n 1; }
status_field() { { grep -E '^#[0-9]+' "$2" || true; } | tail -n 1 | sed -n "s/.* $1: \([0-9/a-zA-Z]*\).*/\1/p"; }

failed=0
summary=()
for n in "${names[@]}"; do
        work=$out/corpus/$n
        rm -rf "$work"
        mkdir -p "$work" "$crashdir/$n"
        if [ -d "tests/fuzz/corpus/$n" ]; then
                cp -Rp "tests/fuzz/corpus/$n/." "$work/"
        fi
        seeds=$(find "$work" -type f | wc -l)
        dict=()
        [ -f "tests/fuzz/$n.dict" ] && dict=("-dict=tests/fuzz/$n.dict")
        limit=(-max_total_time="$secs")
        [ "$secs" -gt 0 ] || limit=(-runs=0)
        cmd=("$out/fuzz_$n" "${limit[@]}" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1
             -artifact_prefix="$crashdir/$n/" "${dict[@]}")
        # shellcheck disable=SC2206
        cmd+=(${FUZZ_FLAGS:-} "$work")
        log=$out/$n.log
        echo "fuzz $n: ${cmd[*]}"
        start=$(date +%s)
        rc=0
        "${cmd[@]}" >"$log" 2>&1 || rc=$?
        took=$(($(date +%s) - start))
        execs=$(final_stat number_of_executed_units "$log")
        rate=$(final_stat average_exec_per_sec "$log")
        rss=$(final_stat peak_rss_mb "$log")
        cov=$(status_field cov "$log")
        ft=$(status_field ft "$log")
        corp=$(find "$work" -type f | wc -l)
        bytes=$(find "$work" -type f -printf "%s\n" | awk "{ s += \$1 } END { print s + 0 }")
        if [ $rc -eq 0 ]; then
                verdict=ok
        else
                verdict="FAILED (exit $rc): $(grep -m1 -E '^==[0-9]+==ERROR|^SUMMARY|runtime error|ERROR: libFuzzer' "$log" || echo "see $log")"
                failed=1
        fi
        line="fuzz $n: ${execs:-?} executions in ${took}s (${rate:-?}/s), cov ${cov:-?} ft ${ft:-?}, corpus $seeds -> $corp inputs ($bytes bytes), peak rss ${rss:-?} MB: $verdict"
        echo "$line"
        summary+=("$line")
done

echo "---"
printf '%s\n' "${summary[@]}"
found=$(find "$crashdir" -type f -newer "$out/fuzz_${names[0]}" -printf '  %p\n')
[ -z "$found" ] || printf 'findings:\n%s\n' "$found"
exit $failed
