#!/bin/bash
# bench.sh — oomwatch's costs, each next to a reference measured in the same
# run (medians of RUNS runs, min and max shown). Not a test: it prints a
# table and keeps the numbers in $OOMWATCH_BUILD/bench/results.md.
#
#   scripts/bench.sh [RUNS]              (default 5; `make bench` runs it)
#
# 1. analysis: oomwatch diff vs jeprof --text --base      (scripts/bench-diff.sh)
# 2. target overhead: wrk on leaky-server / supervised vs the same MALLOC_CONF
#    alone; profiling at lg_prof_sample 19, 21, 23 vs profiling off
# 3. supervisor footprint: RSS, PSS, CPU and wake-ups over 30 idle seconds,
#    next to earlyoom (a reference daemon; installed here if missing)
# 4. dump storm: oomwatch's CPU time per 1000 dumps, most dumps on disk
# 5. OOM to bundle: analysis_ms, demo (slow leak) and instant OOM
# 6. capture quality: coverage with and without warn_at
set -uo pipefail
export LC_ALL=C

repo=$(cd "$(dirname "$0")/.." && pwd)
build=${OOMWATCH_BUILD:-$repo/build}
ow=$build/oomwatch
leaky=$build/leaky-server
runs=${1:-5}
idle_s=${BENCH_IDLE_SECONDS:-30}
work=$build/bench
case $runs in '' | *[!0-9]* | 0) echo "bench: RUNS must be a positive integer" >&2; exit 2 ;; esac
for f in "$ow" "$leaky"; do [ -x "$f" ] || { echo "bench: $f is not built (run make)" >&2; exit 1; }; done
for tool in wrk curl jq; do
        command -v "$tool" >/dev/null || { echo "bench: $tool not found (scripts/install-deps.sh)" >&2; exit 1; }
done
rm -rf "$work"
mkdir -p "$work"
out=$work/results.md
: >"$out"

row() { printf '%s\n' "$*" | tee -a "$out"; }
# median min max of numbers on stdin
stats() { sort -g | awk '{ v[NR] = $1 } END { if (!NR) { print "- - -"; exit }
        m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print m, v[1], v[NR] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "-"; else printf "%.3f", a / b }'; }
port() { echo $((20000 + RANDOM % 10000)); }
wait_up() { for _ in $(seq 100); do curl -s -o /dev/null --max-time 1 "$1/" && return 0; sleep 0.05; done; return 1; }

row "# oomwatch benchmarks"
row ""
row "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -r), runs=$runs"
row ""

# ---- 1. analysis -------------------------------------------------------------
row "## 1. Analysis: oomwatch diff vs jeprof --text --base"
row ""
row '```'
OOMWATCH_BUILD=$build "$repo/scripts/bench-diff.sh" "$runs" 2>&1 | tee -a "$out"
row '```'
row ""

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
row "## 3. Supervisor footprint, $idle_s idle seconds"
row ""
row "| daemon | RSS KiB | PSS KiB | private KiB | CPU ticks | wake-ups |"
row "| --- | --- | --- | --- | --- | --- |"
"$ow" run -q -m 256M -d "$work/d3" -r "$work/r3" -- sleep $((idle_s + 30)) 2>/dev/null &
sup=$!
sleep 2
read -r rss pss priv cpu wake < <(footprint "$sup")
row "| oomwatch run (sleep as target) | $rss | $pss | $priv | $cpu | $wake |"
kill -TERM "$sup"
wait "$sup" 2>/dev/null
if ! command -v earlyoom >/dev/null && [ "$(id -u)" = 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends earlyoom >/dev/null 2>&1 || true
fi
if command -v earlyoom >/dev/null; then
        earlyoom -r 0 >/dev/null 2>&1 &
        eo=$!
        sleep 2
        read -r rss pss priv cpu wake < <(footprint "$eo")
        row "| earlyoom (reference, polls /proc/meminfo) | $rss | $pss | $priv | $cpu | $wake |"
        kill "$eo"
        wait "$eo" 2>/dev/null
else
        row "| earlyoom | not installed | | | | |"
fi
row ""

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
col() { awk -v c="$2" '{ print $c }' "$1" | stats; }

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

row "## 5. OOM to bundle (analysis_ms: the target's death to incident.json written)"
row ""
row "| case | median | min | max |"
row "| --- | --- | --- | --- |"
f_leak=$(series '' leak)
f_oom=$(series '' oom)
row "| demo: slow leak under 96 MiB | $(col "$f_leak" 1 | tr ' ' '|' | sed 's/|/ | /g') |"
row "| instant OOM (/oom) | $(col "$f_oom" 1 | tr ' ' '|' | sed 's/|/ | /g') |"
row ""

row "## 6. Capture quality: coverage = newest dump's heap / cgroup peak"
row ""
row "| case | median | min | max |"
row "| --- | --- | --- | --- |"
row "| slow leak, warn_at 90,95,98 (default) | $(col "$f_leak" 2 | tr ' ' '|' | sed 's/|/ | /g') |"
row "| instant OOM, warn_at 90,95,98 (default) | $(col "$f_oom" 2 | tr ' ' '|' | sed 's/|/ | /g') |"
f=$(series '[cgroup]\nwarn_at = off\n' leak)
row "| slow leak, interval dumps only | $(col "$f" 2 | tr ' ' '|' | sed 's/|/ | /g') |"
f=$(series '[cgroup]\nwarn_at = off\n' oom)
row "| instant OOM, interval dumps only | $(col "$f" 2 | tr ' ' '|' | sed 's/|/ | /g') |"
row ""
echo "bench: results in $out" >&2
