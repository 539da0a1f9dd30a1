#!/bin/bash
# Promise 11: when the inotify queue overflows (IN_Q_OVERFLOW) oomwatch
# rescans the dump directory, and what it keeps is still the newest K.
# The queue is made tiny (fs.inotify.max_queued_events, for the watches
# created while it is set) and oomwatch is stopped (SIGSTOP) while
# jemalloc writes a storm of peak dumps, so events are lost for sure.
. "$(dirname "$0")/lib.sh"

knob=/proc/sys/fs/inotify/max_queued_events
[ -w "$knob" ] || skip "cannot set $knob (needs root)"
old=$(cat "$knob")
at_exit "echo $old > $knob"
echo 16 > "$knob"

keep=4
printf '[profiling]\ngdump = on\n[dumps]\nkeep = %d\n' $keep > "$T/c.conf"
ow_start_leaky -m 256M -c "$T/c.conf" -v
echo "$old" > "$knob"    # oomwatch's watch keeps its tiny queue
kill -STOP "$OW_PID"
curl -s -o /dev/null --max-time 30 "$LEAKY_URL/leak?mb=64"
n_before=$(find "$T/dumps" -name 'oomwatch.*.heap' | wc -l)
kill -CONT "$OW_PID"
settled() { [ "$(find "$T/dumps" -name 'oomwatch.*.heap' | wc -l)" -le $((1 + keep)) ]; }
wait_for settled || fail "after the overflow $(find "$T/dumps" -name 'oomwatch.*.heap' | wc -l) dumps remain"
grep -q "inotify queue overflowed; rescanning" "$OW_LOG" || fail "no rescan: $(tail -5 "$OW_LOG")"
echo "$n_before dumps written while oomwatch was stopped; kept: $(ls "$T/dumps" | grep -c heap)"
assert_ge "$n_before" 30 "dumps written while stopped (more than the queue holds)"
# the newest K by sequence number are the ones kept, plus the baseline (seq 0)
newest=$(ls "$T/dumps" | sed -n 's/^oomwatch\.[0-9]*\.\([0-9]*\)\..*/\1/p' | sort -n | tail -n $keep | tr '\n' ' ')
kept=$(ls "$T/dumps" | sed -n 's/^oomwatch\.[0-9]*\.\([0-9]*\)\..*/\1/p' | sort -n | tr '\n' ' ')
echo "kept seqs: $kept"
[ "$(echo "$kept" | awk '{ print $1 }')" = 0 ] || fail "the baseline (seq 0) is gone: $kept"
assert_eq "$(echo "$kept" | cut -d' ' -f2-)" "$newest" "kept besides the baseline = the newest $keep"
kill -TERM "$OW_PID"
ow_wait
assert_no_ow_cgroups
