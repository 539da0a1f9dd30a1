#!/bin/bash
# A target that ignores SIGTERM: oomwatch forwards it, waits stop_timeout,
# then kills everything in the cgroup, exits 137 and leaves no cgroup.
. "$(dirname "$0")/lib.sh"

printf '[target]\nstop_timeout = 500ms\n' > "$T/c.conf"
ow_start -c "$T/c.conf" -m 64M -- sh -c 'trap "" TERM; echo ready; while :; do sleep 0.1; done'
wait_for grep -q ready "$T/oomwatch.out" || fail "target did not start"
kill -TERM "$OW_PID"
t0=$(date +%s%N)
WAIT_TIMEOUT=10 ow_wait || fail "oomwatch did not stop the target"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "stopped after $ms ms"
assert_eq "$OW_STATUS" 137 "status (killed)"
assert_ge "$ms" 400 "waited the stop timeout first"
grep -q "did not stop within 500 ms" "$OW_LOG" || fail "no message: $(cat "$OW_LOG")"
assert_no_ow_cgroups
