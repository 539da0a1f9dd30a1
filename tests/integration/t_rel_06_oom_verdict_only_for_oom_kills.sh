#!/bin/bash
# Promise 6: an OOM kill is recognised only when the target died of SIGKILL
# and the cgroup's oom-kill counter rose. 100 external `kill -9` give 100
# bundles (report.on = exit) with verdict "signal" and no OOM-kill line;
# 100 real OOM kills (glibc_leak under a 16 MiB limit) give 100 bundles
# with verdict "oom-kill".
. "$(dirname "$0")/lib.sh"

kills=${REL06_KILLS:-100}
ooms=${REL06_OOMS:-100}
cc -O1 -g -o "$T/glibc_leak" "$REPO/tests/programs/glibc_leak.c" || fail "cc failed"
printf '[report]\non = exit\n' > "$T/exit.conf"

# one run: start oomwatch, find the target in oomwatch.<pid>, kill -9 it;
# the status goes to $T/kill.N, the log to $T/kill.log. Runs go 4 at a time: most of a run is
# oomwatch waiting for the oom-kill counter that does not rise.
kill_run() {
        local i=$1 ow cg pid= k
        "$OW_BIN" run -c "$T/exit.conf" -m 64M -d "$T/dumps.k$i" -r "$T/kill-reports" -- sleep 60 \
                2>>"$T/kill.log" &
        ow=$!
        cg=$(_cg_self_memory)/oomwatch.$ow
        for ((k = 0; k < 500; k++)); do
                pid=$(head -n 1 "$cg/cgroup.procs" 2>/dev/null)
                [ -n "$pid" ] && break
                sleep 0.01
        done
        [ -n "$pid" ] && kill -KILL "$pid"
        wait "$ow"
        echo $? > "$T/kill.$i"
}
# RUN-FUNCTION COUNT WIDTH NAME: COUNT runs, WIDTH at a time; then sets bad
# (runs with a status other than 137, from $T/NAME.*), n (bundles in
# $T/NAME-reports), oom and sig (their verdicts oom-kill and signal)
batches() {
        local fn=$1 count=$2 width=$3 name=$4 i verdicts
        for ((i = 1; i <= count; i++)); do
                "$fn" "$i" &
                ((i % width == 0)) && wait
        done
        wait
        bad=$(cat "$T/$name".[0-9]* | grep -vc '^137$')
        [ "$bad" = 0 ] || echo "statuses: $(sort "$T/$name".[0-9]* | uniq -c | tr '\n' ' ')"
        n=$(find "$T/$name-reports" -name incident.json | wc -l)
        verdicts=$(cat "$T/$name"-reports/*/incident.json | jq -r .verdict)
        oom=$(grep -c '^oom-kill$' <<<"$verdicts")
        sig=$(grep -c '^signal$' <<<"$verdicts")
}
batches kill_run "$kills" 4 kill
echo "external kill -9: $kills runs, $n bundles, $sig verdicts 'signal', $oom verdicts 'oom-kill'"
assert_eq "$bad" 0 "runs with a status other than 137"
assert_eq "$n" "$kills" "bundles"
assert_eq "$oom" 0 "oom-kill verdicts for external kill -9"
assert_eq "$sig" "$kills" "signal verdicts"
grep -q "OOM-killed" "$T/kill.log" && fail "oomwatch called a kill -9 an OOM kill: $(grep -m 1 OOM-killed "$T/kill.log")"

# 2 at a time (each run is short and CPU-bound), each with its own dump dir
oom_run() {
        "$OW_BIN" run -q -m 16M -d "$T/dumps.o$1" -r "$T/oom-reports" -- "$T/glibc_leak" 2>>"$T/oom.log"
        echo $? > "$T/oom.$1"
}
batches oom_run "$ooms" 2 oom
echo "real OOM kills: $ooms runs, $n bundles, $oom verdicts 'oom-kill'"
assert_eq "$bad" 0 "runs with a status other than 137"
assert_eq "$n" "$ooms" "bundles"
assert_eq "$oom" "$ooms" "oom-kill verdicts"
assert_no_ow_cgroups
