#!/bin/bash
# An idle target costs an idle supervisor: with a target that only sleeps,
# oomwatch rewrites neither the status file nor the metrics file while
# nothing happens (each is written at events and samples), and on cgroup v1,
# where thresholds are the kernel's eventfds and nothing is polled, it does
# not wake up but for kernel messages (shown, not asserted: see below).
# (Found: every timer tick rewrote the status file 200 ms later, and each
# rewrite armed the next tick: status.json and the metrics file were
# written five times a second for ever, 100 wake-ups in 20 s.)
# On v2 the usage is polled; a sample alone rewrites the status at most every
# 10 s, so the 4 s looked at here see at most one rewrite (one more per 10 s
# where a slow machine, e.g. a VM without KVM, stretches the 4 s).
. "$(dirname "$0")/lib.sh"

printf '[report]\nmetrics = %s\n' "$T/metrics.prom" >"$T/c.conf"
ow_start -c "$T/c.conf" -m 64M -- sleep 600
status=$T/dumps/.oomwatch/status.json
wait_for test -s "$status" || fail "no status file: $(cat "$OW_LOG")"
wait_for test -s "$T/metrics.prom" || fail "no metrics file: $(cat "$OW_LOG")"
sleep 1         # the start's events are written
stamp() { stat -c '%i %y' "$1" 2>/dev/null; }
# the files' versions seen in 4 s (by the clock), looked at every 50 ms
c0=$(awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/$OW_PID/status")
t0=$(date +%s%N)
while [ $(($(date +%s%N) - t0)) -lt 4000000000 ]; do
        echo "s $(stamp "$status")"
        echo "m $(stamp "$T/metrics.prom")"
        sleep 0.05
done >"$T/stamps"
secs=$(( ($(date +%s%N) - t0) / 1000000000 ))
kill -0 "$OW_PID" 2>/dev/null || fail "oomwatch ended while idle: $(tail -n 5 "$OW_LOG")"
c1=$(awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/$OW_PID/status")
sv=$(grep '^s ' "$T/stamps" | sort -u | wc -l) mv=$(grep '^m ' "$T/stamps" | sort -u | wc -l)
# the wake-ups are shown, not counted against: another oomwatch's OOM kills
# on this host write kernel messages, which wake every supervisor
echo "in $secs idle seconds: $sv status file versions, $mv metrics file versions, $((c1 - c0)) wake-ups of oomwatch"
if cg_v2; then
        # polled: a rewrite by age at most (a version before it, one after)
        assert_le "$sv" $((2 + secs / 10)) "versions of the status file seen in $secs idle seconds (v2)"
        assert_le "$mv" $((2 + secs / 10)) "versions of the metrics file seen in $secs idle seconds (v2)"
else
        assert_eq "$sv" 1 "versions of the status file seen in $secs idle seconds"
        assert_eq "$mv" 1 "versions of the metrics file seen in $secs idle seconds"
fi
kill -TERM "$OW_PID"
ow_wait || fail "oomwatch did not stop"
assert_no_ow_cgroups
