#!/bin/bash
# bench.sh — oomwatch's costs, each next to a reference measured in the same
# run (medians of RUNS runs, min and max shown). Not a test: it prints a
# table and keeps the numbers in $OOMWATCH_BUILD/bench/results.md.
#
#   scripts/bench.sh [RUNS [SECTION...]]   (default 5, every section; `make bench`)
#
# SECTION: the numbers below (scripts/bench.sh 5 7 runs only the churn case).
#
# 1. analysis: oomwatch diff vs jeprof --text --base      (scripts/bench-diff.sh)
# 2. target overhead: wrk on leaky-server / supervised vs the same MALLOC_CONF
#    alone; profiling at lg_prof_sample 19, 21, 23 vs profiling off
# 3. supervisor footprint: RSS, PSS, CPU and wake-ups over 30 idle seconds,
#    next to earlyoom (a reference daemon; scripts/install-deps.sh installs it,
#    its row says so when it is missing)
# 4. dump storm: oomwatch's CPU time per 1000 dumps, most dumps on disk
# 5. OOM to bundle: analysis_ms, demo (slow leak) and instant OOM
# 6. capture quality: coverage with the default capture, without warn_at, and
#    without usage steps (the capture before them: interval = auto + warn_at)
# 7. churn: CPU and wall of an 8-thread C++ service under the default capture
#    and with a dump at every MiB of growth, vs profiling with no dumps at all
#    (RUNS rounds, each in a random order), dumps written, the
#    wall time one dump costs
set -uo pipefail
export LC_ALL=C

repo=$(cd "$(dirname "$0")/.." && pwd)
build=${OOMWATCH_BUILD:-$repo/build}
ow=$build/oomwatch
leaky=$build/leaky-server
runs=${1:-5}
sections=("${@:2}")
idle_s=${BENCH_IDLE_SECONDS:-30}
work=$build/bench
case $runs in '' | *[!0-9]* | 0) echo "bench: RUNS must be a positive integer" >&2; exit 2 ;; esac
for f in "$ow" "$leaky"; do [ -x "$f" ] || { echo "bench: $f is not built (run make)" >&2; exit 1; }; done
for tool in wrk curl jq; do
        command -v "$tool" >/dev/null || { echo "bench: $tool not found (scripts/install-deps.sh)" >&2; exit 1; }
done
for n in "${sections[@]}"; do
        case $n in [1-7]) ;; *) echo "bench: SECTION must be 1 to 7, not '$n'" >&2; exit 2 ;; esac
done
want() { [ ${#sections[@]} -eq 0 ] || [[ " ${sections[*]} " == *" $1 "* ]]; }
rm -rf "$work"
mkdir -p "$work"
out=$work/results.md
: >"$out"

row() { printf '%s\n' "$*" | tee -a "$out"; }
# median min max of numbers on stdin
stats() { sort -g | awk '{ v[NR] = $1 } END { if (!NR) { print "- - -"; exit }
        m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print m, v[1], v[NR] }'; }
# median min max of column C of FILE
col() { awk -v c="$2" '{ print $c }' "$1" | stats; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "-"; else printf "%.3f", a / b }'; }
port() { echo $((20000 + RANDOM % 10000)); }
wait_up() { for _ in $(seq 100); do curl -s -o /dev/null --max-time 1 "$1/" && return 0; sleep 0.05; done; return 1; }

row "# oomwatch benchmarks"
row ""
row "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -r), runs=$runs"
row ""

# ---- 1. analysis -------------------------------------------------------------
if want 1; then
row "## 1. Analysis: oomwatch diff vs jeprof --text --base"
row ""
row '```'
OOMWATCH_BUILD=$build "$repo/scripts/bench-diff.sh" "$runs" 2>&1 | tee -a "$out"
row '```'
row ""

fi

# ---- 2. target overhead ----------------------------------------------------------
# requests/s of wrk against GET / (process_normal allocates and frees)
wrk_rps() { # URL
        wrk -t1 -c8 -d"${BENCH_WRK_SECONDS:-5}"s "$1/" 2>/dev/null | awk '/^Requests\/sec:/ { print $2 }'
}
serve_plain() { # MALLOC_CONF -> requests/s of each run, one per line
        local p url pid
        for _ in $(seq "$runs"); do
                p=$(port)
                url=http://127.0.0.1:$p
                MALLOC_CONF=$1 "$leaky" --port "$p" 2>/dev/null &
                pid=$!
                wait_up "$url" && wrk_rps "$url"
                kill -TERM "$pid"
                wait "$pid" 2>/dev/null
        done
}
serve_supervised() {
        local p url pid
        for _ in $(seq "$runs"); do
                p=$(port)
                url=http://127.0.0.1:$p
                "$ow" run -q -m 1G -d "$work/d2" -r "$work/r2" -- "$leaky" --port "$p" 2>/dev/null &
                pid=$!
                wait_up "$url" && wrk_rps "$url"
                kill -TERM "$pid"
                wait "$pid" 2>/dev/null
        done
}
if want 2; then
row "## 2. Target overhead: wrk -t1 -c8 on leaky-server GET / (requests/s)"
row ""
conf=$("$ow" config /dev/stdin <<<$'[cgroup]\nmemory_limit = 1G\n[dumps]\ndir = '"$work/d2" 2>/dev/null | sed -n 's/^MALLOC_CONF=//p')
read -r sup_m sup_lo sup_hi < <(serve_supervised | stats)
read -r same_m same_lo same_hi < <(serve_plain "$conf" | stats)
row "| case | median | min | max | ratio |"
row "| --- | --- | --- | --- | --- |"
row "| same MALLOC_CONF, no oomwatch | $same_m | $same_lo | $same_hi | 1 |"
row "| under oomwatch run (defaults) | $sup_m | $sup_lo | $sup_hi | $(ratio "$sup_m" "$same_m") |"
read -r off_m off_lo off_hi < <(serve_plain "prof:false" | stats)
row "| profiling off | $off_m | $off_lo | $off_hi | 1 (reference below) |"
for lg in 19 21 23; do
        read -r m lo hi < <(serve_plain "prof:true,prof_active:true,lg_prof_sample:$lg" | stats)
        row "| profiling, lg_prof_sample $lg | $m | $lo | $hi | $(ratio "$m" "$off_m") of off |"
done
row ""

fi

# ---- 3. footprint -------------------------------------------------------------------
# RSS and PSS (KiB), CPU ticks and context switches of PID over idle_s seconds
footprint() { # PID
        local pid=$1 t0 t1 c0 c1
        t0=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
        c0=$(awk '/ctxt_switches/ { s += $2 } END { print s }' "/proc/$pid/status")
        sleep "$idle_s"
        t1=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
        c1=$(awk '/ctxt_switches/ { s += $2 } END { print s }' "/proc/$pid/status")
        echo "$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")" \
                "$(awk '/^Pss:/ { print $2 }' "/proc/$pid/smaps_rollup")" \
                "$(awk '/^Private_(Clean|Dirty)/ { s += $2 } END { print s }' "/proc/$pid/smaps_rollup")" \
                "$((t1 - t0))" "$((c1 - c0))"
}
# one footprint line per run, oomwatch and earlyoom in turn (the same
# machine state for both), then medians (min-max) of each column
fp_cell() { # FILE COLUMN
        local m lo hi
        read -r m lo hi < <(col "$1" "$2")
        echo "$m ($lo-$hi)"
}
if want 3; then
row "## 3. Supervisor footprint, $idle_s idle seconds, medians (min-max) of $runs runs"
row ""
row "| daemon | RSS KiB | PSS KiB | private KiB | CPU ticks | wake-ups |"
row "| --- | --- | --- | --- | --- | --- |"
: >"$work/fp.ow"
: >"$work/fp.eo"
have_eo=$(command -v earlyoom)
for _ in $(seq "$runs"); do
        rm -rf "$work/d3" "$work/r3"
        "$ow" run -q -m 256M -d "$work/d3" -r "$work/r3" -- sleep $((idle_s + 30)) 2>/dev/null &
        sup=$!
        sleep 2
        footprint "$sup" >>"$work/fp.ow"
        kill -TERM "$sup"
        wait "$sup" 2>/dev/null
        [ -n "$have_eo" ] || continue
        earlyoom -r 0 >/dev/null 2>&1 &
        eo=$!
        sleep 2
        footprint "$eo" >>"$work/fp.eo"
        kill "$eo"
        wait "$eo" 2>/dev/null
done
row "| oomwatch run (sleep as target) | $(fp_cell "$work/fp.ow" 1) | $(fp_cell "$work/fp.ow" 2) | $(fp_cell "$work/fp.ow" 3) | $(fp_cell "$work/fp.ow" 4) | $(fp_cell "$work/fp.ow" 5) |"
if [ -n "$have_eo" ]; then
        row "| earlyoom (reference, polls /proc/meminfo) | $(fp_cell "$work/fp.eo" 1) | $(fp_cell "$work/fp.eo" 2) | $(fp_cell "$work/fp.eo" 3) | $(fp_cell "$work/fp.eo" 4) | $(fp_cell "$work/fp.eo" 5) |"
else
        row "| earlyoom | skipped: not installed (scripts/install-deps.sh installs it) | | | | |"
fi
row ""

fi

# ---- 4, 5, 6: OOM kills --------------------------------------------------------------
# one supervised leaky-server until its OOM kill; prints
# "<analysis_ms> <coverage> <highest dump seq> <oomwatch CPU ns> <most dumps on disk>"
oom_run() { # CONF_TEXT ENDPOINT
        local d=$work/oom p url pid max=0 n ticks=0 b
        rm -rf "$d"
        mkdir -p "$d"
        printf '%b' "$1" >"$d/c.conf"
        p=$(port)
        url=http://127.0.0.1:$p
        "$ow" run -q -c "$d/c.conf" -m 96M -d "$d/dumps" -r "$d/reports" -- "$leaky" --port "$p" 2>/dev/null &
        pid=$!
        wait_up "$url" || return 1
        if [ "$2" = oom ]; then
                curl -s -o /dev/null --max-time 60 "$url/oom" &
        fi
        shopt -s nullglob
        while kill -0 "$pid" 2>/dev/null; do
                [ "$2" = leak ] && curl -s -o /dev/null --max-time 10 "$url/leak?mb=2"
                a=("$d"/dumps/oomwatch.*.heap)
                n=${#a[@]}
                [ "$n" -gt "$max" ] && max=$n
                # CPU time on the run queue, in ns (finer than stat's clock ticks)
                ticks=$(awk '{ print $1 }' "/proc/$pid/schedstat" 2>/dev/null || echo "$ticks")
        done
        wait "$pid" 2>/dev/null
        b=$(find "$d/reports" -mindepth 1 -maxdepth 1 -type d | head -1)
        [ -s "$b/incident.json" ] || return 1
        echo "$(jq -r .analysis_ms "$b/incident.json") $(jq -r .coverage "$b/incident.json")" \
                "$(ls "$b/dumps" | sed -n 's/^oomwatch\.[0-9]*\.\([0-9]*\)\..*/\1/p' | sort -n | tail -1)" \
                "$ticks" "$max"
}
series() { # CONF ENDPOINT -> file of result lines
        local f=$work/series.$RANDOM
        for _ in $(seq "$runs"); do oom_run "$1" "$2" >>"$f"; done
        echo "$f"
}

if want 4; then
row "## 4. Dump storm (gdump = on, keep = 4, /oom)"
row ""
f=$(series '[profiling]\ngdump = on\n[dumps]\nkeep = 4\n' oom)
read -r seq_m _ _ < <(col "$f" 3)
read -r tick_m _ _ < <(col "$f" 4)
read -r max_m max_lo max_hi < <(col "$f" 5)
row "dumps written per run (median): $((${seq_m%.*} + 1)); oomwatch CPU for the whole run (start-up to the kill): $(awk -v t="$tick_m" 'BEGIN { printf "%.1f ms", t / 1e6 }');"
row "CPU per 1000 dumps: $(awk -v t="$tick_m" -v s="$seq_m" 'BEGIN { printf "%.1f ms", t / 1e6 / (s + 1) * 1000 }');"
row "most dumps on disk at once: median $max_m, min $max_lo, max $max_hi (bound: baseline + keep = 5, + the one being written)"
row ""

fi

if want 5; then
row "## 5. OOM to bundle (analysis_ms: the target's death to incident.json written)"
row ""
row "| case | median | min | max |"
row "| --- | --- | --- | --- |"
f_leak=$(series '' leak)
f_oom=$(series '' oom)
row "| demo: slow leak under 96 MiB | $(col "$f_leak" 1 | tr ' ' '|' | sed 's/|/ | /g') |"
row "| instant OOM (/oom) | $(col "$f_oom" 1 | tr ' ' '|' | sed 's/|/ | /g') |"
row ""

fi

if want 6; then
row "## 6. Capture quality: coverage = newest dump's heap / cgroup peak"
row ""
[ -n "${f_leak:-}" ] || f_leak=$(series '' leak)
[ -n "${f_oom:-}" ] || f_oom=$(series '' oom)
cov_row() { # LABEL FILE: coverage, then the dumps written (median)
        local seq n=-
        read -r seq _ _ < <(col "$2" 3)
        [[ $seq =~ ^[0-9]+(\.[0-9]+)?$ ]] && n=$((${seq%.*} + 1))
        row "| $1 | $(col "$2" 2 | tr ' ' '|' | sed 's/|/ | /g') | $n |"
}
row "| case | median | min | max | dumps written (median) |"
row "| --- | --- | --- | --- | --- |"
cov_row "slow leak, default (usage steps + warn_at 90,95,98)" "$f_leak"
cov_row "instant OOM, default (usage steps + warn_at 90,95,98)" "$f_oom"
f=$(series '[cgroup]\nwarn_at = off\n' leak)
cov_row "slow leak, usage steps only (warn_at = off)" "$f"
f=$(series '[cgroup]\nwarn_at = off\n' oom)
cov_row "instant OOM, usage steps only" "$f"
f=$(series '[cgroup]\nusage_step = off\n' leak)
cov_row "slow leak, before usage steps (usage_step = off: interval = auto + warn_at)" "$f"
f=$(series '[cgroup]\nusage_step = off\n' oom)
cov_row "instant OOM, before usage steps" "$f"
row ""
fi

# ---- 7. churn ---------------------------------------------------------------------
# tests/programs/cxx_service: 8 threads building and freeing strings, vectors
# and maps, with a slow leak (8 MiB/s), BENCH_CHURN_REQUESTS requests, then a
# normal exit. Every case runs under oomwatch run -m 128M (cgroup, preloaded
# jemalloc, agent); the reference has every dump off (interval, warn_at, steps,
# gdump, final). The target's wall time is from its start event to its exit
# event in oomwatch's event log (exec to reaping, the final dump included);
# oomwatch run's wall time adds oomwatch's set-up (with warn_at on, the v1
# threshold registrations before the target starts: each waits for an RCU
# grace period) and its exit. CPU is bash's user + sys of oomwatch and the
# target together. The cases of a round run in a random
# order: of two identical runs back to back the first was slower by 6%
# (median of 8 pairs of the same configuration on this project's machine),
# which a fixed order would charge to one case.
churn_run() { # DUMPS-DIR CONF -> "wall cpu dumps_written target_wall"
        local d=$1 t tw
        rm -rf "$d"
        mkdir -p "$d"
        printf '%b[report]\nevents = %s\n' "$2" "$d/events.jsonl" >"$d.conf"
        t=$( { TIMEFORMAT='%R %U %S'; time "$ow" run -q -c "$d.conf" -m 128M -d "$d/dumps" -r "$d/reports" -- \
                "$cxx" 8 8192 "$churn_n" >/dev/null 2>&1; } 2>&1 )
        # the target's own life: its start event to its exit event (ms stamps)
        tw=$(jq -r 'select(.event == "start" or .event == "exit") | .ts[11:23]' "$d/events.jsonl" |
                awk -F: '{ s[NR] = $1 * 3600 + $2 * 60 + $3 } END { printf "%.3f", NR == 2 ? s[2] - s[1] : 0 }')
        echo "$t" | awk -v n="$(ls "$d/dumps" | sed -n 's/^oomwatch\.[0-9]*\.\([0-9]*\)\..*/\1/p' | sort -n | tail -1)" \
                -v tw="$tw" '{ printf "%s %.3f %d %s\n", $1, $2 + $3, n == "" ? 0 : n + 1, tw }'
}
# the median of the rounds' ratios of column C, FILE over the reference
pair_ratio() { # FILE COLUMN
        paste -d' ' "$1" "$work/churn.none" | awk -v c="$2" '{ print $c / $(c + 4) }' | stats | awk '{ printf "%.3f", $1 }'
}
churn_row() { # LABEL FILE
        local w wl wh c cl ch n nl nh tw tl th
        read -r w wl wh < <(col "$2" 1)
        read -r c cl ch < <(col "$2" 2)
        read -r n nl nh < <(col "$2" 3)
        read -r tw tl th < <(col "$2" 4)
        row "| $1 | $tw ($tl-$th) | $(pair_ratio "$2" 4) | $w ($wl-$wh) | $(pair_ratio "$2" 1) | $c ($cl-$ch) | $(pair_ratio "$2" 2) | $n ($nl-$nh) |"
}
if want 7; then
row "## 7. Churn: an 8-thread C++ service (tests/programs/cxx_service.cc), -m 128M"
row ""
cxx=$work/cxx_service
churn_n=${BENCH_CHURN_REQUESTS:-2000000}
if ! g++ -O2 -g -pthread -o "$cxx" "$repo/tests/programs/cxx_service.cc" 2>"$work/cxx.err"; then
        row "g++ failed: $(head -3 "$work/cxx.err")"
else
        none='[cgroup]\nwarn_at = off\nusage_step = off\n[profiling]\ninterval = off\ngdump = off\nfinal = off\n'
        # a dump at every MiB of growth: the cost of a dump, many times over
        many='[cgroup]\nusage_step = 1M\n'
        : >"$work/churn.def"
        : >"$work/churn.none"
        : >"$work/churn.many"
        for _ in $(seq "$runs"); do
                for c in $(shuf -e def none many); do
                        case $c in
                        def) churn_run "$work/c7def" '' >>"$work/churn.def" ;;
                        none) churn_run "$work/c7none" "$none" >>"$work/churn.none" ;;
                        many) churn_run "$work/c7many" "$many" >>"$work/churn.many" ;;
                        esac
                done
        done
        row "$churn_n requests, $runs rounds; seconds: median (min-max); ratios: the median of the rounds' ratios to the reference"
        row ""
        row "| case | target's wall s | ratio | oomwatch run's wall s | ratio | CPU s (oomwatch + target) | ratio | dumps written |"
        row "| --- | --- | --- | --- | --- | --- | --- | --- |"
        churn_row "profiling, no dumps at all (reference)" "$work/churn.none"
        churn_row "default capture" "$work/churn.def"
        churn_row "a dump at every MiB of growth (usage_step = 1M)" "$work/churn.many"
        # what one dump costs: the many-dumps case's extra wall time per dump
        row ""
        row "the target's wall time per dump (the last case against the reference, medians): $(paste -d' ' "$work/churn.many" "$work/churn.none" |
                awk '$3 > 0 { print ($4 - $8) * 1000 / $3 }' | stats | awk '{ printf "%.1f ms (%.1f to %.1f)", $1, $2, $3 }')"
fi
row ""
fi

echo "bench: results in $out" >&2
