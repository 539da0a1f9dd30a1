#!/bin/bash
# gdump = on and a fast leak: jemalloc writes a dump at every new peak, about
# one a millisecond. oomwatch rotates as the dumps complete: once it has
# caught up the dump directory holds at most baseline + keep dumps; while
# it waits for a CPU, the dumps jemalloc writes meanwhile stand on disk
# (about one a millisecond of the wait: a handful on a quiet machine, tens
# beside another suite on 2 cores). So the check while the storm lasts is
# that rotation keeps up, not the host's scheduling: never more than half
# of the dumps written stand at once (a rotation that waits for the end, or
# for a timer, leaves nearly all). The bundle still names process_oom_burst.
. "$(dirname "$0")/lib.sh"

keep=4
printf '[profiling]\ngdump = on\n[dumps]\nkeep = %d\n' $keep > "$T/c.conf"
ow_start_leaky -m 96M -c "$T/c.conf"
curl -s -o /dev/null --max-time 60 "$LEAKY_URL/oom" &

# sample without forking, so that the sampler does not take the CPU oomwatch needs
mkfifo "$T/never"
exec 3<>"$T/never"
shopt -s nullglob
max=0
while ! proc_gone "$OW_PID"; do
        a=("$T"/dumps/oomwatch.*.heap)
        [ ${#a[@]} -gt $max ] && max=${#a[@]}
        read -r -t 0.001 -u 3 || true
done
ow_wait
assert_eq "$OW_STATUS" 137 "oomwatch exit status"
a=("$T"/dumps/oomwatch.*.heap)
echo "most dumps seen at once: $max; left at the end: ${#a[@]}"
assert_le "${#a[@]}" $((1 + keep)) "dumps left (baseline + keep)"
b=$(ow_bundle)
written=$(ls "$b"/dumps | sed -n 's/^oomwatch\.[0-9]*\.\([0-9]*\)\..*/\1/p' | sort -n | tail -1)
echo "jemalloc's dump sequence reached $written"
assert_ge "$written" 50 "dumps written (a storm)"
# (a quiet 2-core machine, scripts/bench.sh: up to 13 at once of ~130)
assert_le "$max" $((written / 2)) "dumps on disk at any moment (of $written written)"
assert_eq "$(json "$b/incident.json" .verdict)" oom-kill "verdict"
assert_eq "$(json "$b/incident.json" '.diff.top[0].function')" process_oom_burst "top grower"
assert_no_ow_cgroups
