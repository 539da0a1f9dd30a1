#!/bin/bash
# gdump = on and a fast leak: jemalloc writes a dump at every new peak, about
# one a millisecond. oomwatch rotates as the dumps complete: once it has
# caught up the dump directory holds at most baseline + keep dumps; while
# jemalloc writes faster than oomwatch is scheduled, a few more may stand
# for a moment (the bound below allows 8). The bundle still names
# process_oom_burst.
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
# measured on a quiet 2-core machine (scripts/bench.sh): up to 13 files at
# once, i.e. 7 beyond the bound; broken rotation leaves a hundred
lag=8
ow_sanitized && lag=12 # an AddressSanitizer build handles each event a few times slower
assert_le "$max" $((1 + keep + 1 + lag)) "dumps on disk at any moment"
b=$(ow_bundle)
written=$(ls "$b"/dumps | sed -n 's/^oomwatch\.[0-9]*\.\([0-9]*\)\..*/\1/p' | sort -n | tail -1)
echo "jemalloc's dump sequence reached $written"
assert_ge "$written" 50 "dumps written (a storm)"
assert_eq "$(json "$b/incident.json" .verdict)" oom-kill "verdict"
assert_eq "$(json "$b/incident.json" '.diff.top[0].function')" process_oom_burst "top grower"
assert_no_ow_cgroups
