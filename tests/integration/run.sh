#!/bin/bash
# run.sh — run the integration tests: every tests/integration/t_*.sh, sorted.
#
#   tests/integration/run.sh [PATTERN...]
#
# PATTERN (a substring or shell glob) keeps only tests whose name matches
# one of them. TEST_DIR (default: this directory) is where the t_*.sh are
# (make test runs tests/browser/ this way too). TEST_VERBOSE=1 shows the
# output of every test, not only of those that failed (the lines tests
# print as "measured: ...", for instance).
# Each test runs as its own bash process under timeout(1) ($TEST_TIMEOUT s,
# default 120) with OOMWATCH_BUILD set (default <repo>/build). Its exit status
# decides: 0 pass, 77 skip, anything else fail. The output of a failed test is
# shown indented; a skipped test shows the reason it printed last.
#
# TEST_JOBS (default: 2 where the machine has 2 or more CPUs, else 1) tests run
# at the same time. Tests never count cgroups, sockets or processes they did
# not make (promise 28), so running them side by side is itself a check; the
# results are printed in the tests' order, each once it and every test before
# it have finished. TEST_JOBS=1 runs them one after the other.
#
# On cgroup v1 (memory on its own hierarchy) each test runs in a memory cgroup
# of its own, made under the runner's (no limit), so that what a test finds
# under "its own memory cgroup" (oomwatch's cgroups, a supervisor's leftovers)
# is its own and never another test's or another suite's on the same host;
# the runner kills what a test left in it and removes it afterwards. (On v2,
# lib.sh's ow_start gives each supervisor a fresh cgroup already.) Where that
# cgroup cannot be made, the tests run in the runner's own.
#
# Before the last line the runner names the five slowest tests (wall time:
# the suite's length is what CI waits for).
#
# EXIT STATUS: 0 when no test failed, 1 otherwise.
set -u
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
export OOMWATCH_BUILD=${OOMWATCH_BUILD:-$repo/build}
timeout_s=${TEST_TIMEOUT:-120}
patterns=("$@")
ncpu=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
jobs=${TEST_JOBS:-$([ "$ncpu" -ge 2 ] && echo 2 || echo 1)}
case $jobs in ''|*[!0-9]*|0) echo "run.sh: TEST_JOBS must be a positive number, not '$jobs'" >&2; exit 2 ;; esac

outdir=$(mktemp -d "${TMPDIR:-/tmp}/oomwatch-run.XXXXXX") || exit 1
trap 'rm -rf "$outdir"' EXIT

tests=()
for t in "${TEST_DIR:-$here}"/t_*.sh; do
        [ -e "$t" ] || continue
        name=$(basename "$t" .sh)
        if [ ${#patterns[@]} -gt 0 ]; then
                keep=0
                for p in "${patterns[@]}"; do
                        # shellcheck disable=SC2053
                        [[ $name == *$p* ]] && keep=1
                done
                [ "$keep" = 1 ] || continue
        fi
        tests+=("$t")
done

# v1: the runner's memory cgroup, where per-test cgroups go (empty: none)
cgbase=
if [ -d /sys/fs/cgroup/memory ]; then
        p=$(awk -F: '$2 == "memory" { print $3 }' /proc/self/cgroup)
        p=/sys/fs/cgroup/memory${p%/}
        [ -n "$p" ] && [ -w "$p" ] && cgbase=$p
fi

# Kill what is left in cgroup $1 and below, then remove it, children first.
cg_clean() {
        local cg=$1 pids i
        for ((i = 0; i < 100; i++)); do
                pids=$(find "$cg" -name cgroup.procs -exec cat {} + 2>/dev/null)
                [ -n "$pids" ] || break
                # shellcheck disable=SC2086
                kill -KILL $pids 2>/dev/null
                sleep 0.05
        done
        for ((i = 0; i < 100; i++)); do
                find "$cg" -mindepth 1 -depth -type d 2>/dev/null | while read -r d; do rmdir "$d" 2>/dev/null; done
                rmdir "$cg" 2>/dev/null && return 0
                [ -d "$cg" ] || return 0
                sleep 0.05
        done
        echo "run.sh: warning: cannot remove the test cgroup '$cg'" >&2
}

# One test: output to a file, not a pipe (a stray background process must
# not be able to hold the runner up), its status in a file of its own.
run_one() {
        local i=$1 t=$2 rc cg= start=$SECONDS
        if [ -n "$cgbase" ]; then
                cg=$cgbase/ow-suite.$$.$i
                mkdir "$cg" 2>/dev/null || cg=
        fi
        if [ -n "$cg" ]; then
                (echo "$BASHPID" >"$cg/cgroup.procs" && exec timeout -k 5 "$timeout_s" bash "$t") \
                        >"$outdir/$i.out" 2>&1 </dev/null
                rc=$?
                cg_clean "$cg"
        else
                timeout -k 5 "$timeout_s" bash "$t" >"$outdir/$i.out" 2>&1 </dev/null
                rc=$?
        fi
        echo "$((SECONDS - start)) $(basename "$t" .sh)" >"$outdir/$i.time"
        echo "$rc" >"$outdir/$i.rc.tmp" && mv "$outdir/$i.rc.tmp" "$outdir/$i.rc"
}

passed=0 failed=0 skipped=0 next=0
report() {
        local i=$1 name rc reason
        name=$(basename "${tests[i]}" .sh)
        rc=$(cat "$outdir/$i.rc")
        case $rc in
        0)
                echo "PASS $name"
                [ "${TEST_VERBOSE:-0}" = 1 ] && sed 's/^/    /' "$outdir/$i.out"
                passed=$((passed + 1))
                ;;
        77)
                reason=$(sed -n 's/^SKIP: //p' "$outdir/$i.out" | tail -n 1)
                echo "SKIP $name: ${reason:-no reason given}"
                [ "${TEST_VERBOSE:-0}" = 1 ] && sed 's/^/    /' "$outdir/$i.out"
                skipped=$((skipped + 1))
                ;;
        *)
                if [ "$rc" = 124 ]; then
                        echo "FAIL $name (timed out after ${timeout_s} s)"
                else
                        echo "FAIL $name (exit $rc)"
                fi
                sed 's/^/    /' "$outdir/$i.out"
                failed=$((failed + 1))
                ;;
        esac
}
# print every finished test in order, up to the first one still running
flush() {
        while [ "$next" -lt ${#tests[@]} ] && [ -e "$outdir/$next.rc" ]; do
                report "$next"
                next=$((next + 1))
        done
}

running=0
for i in "${!tests[@]}"; do
        while [ "$running" -ge "$jobs" ]; do
                wait -n
                running=$((running - 1))
                flush
        done
        run_one "$i" "${tests[i]}" &
        running=$((running + 1))
done
wait
flush

[ ${#tests[@]} -gt 1 ] && echo "slowest: $(cat "$outdir"/*.time 2>/dev/null | sort -rn | head -n 5 |
        awk '{ printf "%s%s %d s", (NR > 1 ? ", " : ""), $2, $1 }')"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
