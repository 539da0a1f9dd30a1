#!/bin/bash
# gdump = 90% switches peak dumps on through the agent only above 90% of the
# limit. On the same instant OOM as gdump = on: no peak (u) dump before the
# switch, at least 5x fewer dump files written in all (jemalloc's sequence
# number counts every file it created), the same top function, and coverage
# no lower. Sampling every 64 KiB on average (lg_prof_sample 16) makes each
# of /oom's 1 MiB blocks all but certain to be sampled, so coverage is
# exact enough to compare within 2 points; at the default 19 its sampling
# error is about 4 points.
# Usage steps are off here: their dumps would add to the files counted, and
# the agent answers one request at a time, so in a burst a step dump it is
# writing delays the switch (by one dump: under heavy load, past the kill).
. "$(dirname "$0")/lib.sh"

run_case() { # GDUMP
        rm -rf "$T/reports" "$T/dumps"
        printf '[cgroup]\nusage_step = off\n[profiling]\ngdump = %s\nlg_prof_sample = 16\n' "$1" > "$T/c.conf"
        ow_start_leaky -m 96M -c "$T/c.conf" -vv
        curl -s -o /dev/null --max-time 60 "$LEAKY_URL/oom"
        WAIT_TIMEOUT=60 ow_wait || fail "gdump $1: oomwatch did not exit"
        assert_eq "$OW_STATUS" 137 "gdump $1: status"
        B=$(ow_bundle)
        # the highest sequence number in the run + 1 = files jemalloc created
        WRITTEN=$(( $(ls "$B"/dumps | sed -n 's/^oomwatch\.[0-9]*\.\([0-9]*\)\..*/\1/p' | sort -n | tail -1) + 1 ))
        TOP=$(json "$B/incident.json" '.diff.top[0].function')
        COV=$(json "$B/incident.json" .coverage)
        echo "gdump = $1: $WRITTEN dump files written, top $TOP, coverage $COV"
}

run_case on
on_written=$WRITTEN on_top=$TOP on_cov=$COV
run_case 90%
grep -q "peak dumps switched on" "$OW_LOG" ||
        fail "gdump 90%: peak dumps were never switched on: $(grep -E 'of the limit|switch|OOM-killed' "$OW_LOG" | tr '\n' ';')"
# no u dump arrived before oomwatch asked the agent to switch them on (the
# agent's answer may come after the first dumps it caused)
first_u=$(grep -n '^oomwatch: dump oomwatch\.[0-9]*\.[0-9]*\.u' "$OW_LOG" | head -1 | cut -d: -f1)
switch=$(grep -n 'switching peak dumps on' "$OW_LOG" | head -1 | cut -d: -f1)
[ -z "$first_u" ] || [ "$first_u" -gt "$switch" ] || fail "a peak dump arrived before the switch (log line $first_u < $switch)"
assert_ge "$on_written" $((5 * WRITTEN)) "files written with gdump on vs 5 x with 90%"
assert_eq "$TOP" "$on_top" "top function"
awk -v a="$COV" -v b="$on_cov" 'BEGIN { exit !(a >= b - 0.02) }' ||
        fail "coverage with 90% ($COV) lower than with on ($on_cov)"
assert_no_ow_cgroups
