#!/bin/bash
# SIGTERM to oomwatch reaches the target; its status is mirrored: 0 after
# leaky-server's clean shutdown, 143 for sleep, which does not catch it.
. "$(dirname "$0")/lib.sh"

ow_start_leaky -m 96M
kill -TERM "$OW_PID"
ow_wait || fail "oomwatch did not exit after SIGTERM"
assert_eq "$OW_STATUS" 0 "status after leaky-server's clean shutdown"
grep -q "shutting down\|shut down\|SIGTERM\|terminat" "$OW_LOG" || echo "note: no shutdown line in the log"
assert_no_ow_cgroups

ow_start -m 64M -- sleep 60
has_cgroup() { test -n "$(ow_cgroups)"; }
has_procs() { test -n "$(cat "$1/cgroup.procs" 2>/dev/null)"; }
wait_for has_cgroup || fail "no cgroup appeared"
cg=$(ow_cgroups)
wait_for has_procs "$cg" || fail "sleep is not in $cg"
kill -TERM "$OW_PID"
ow_wait || fail "oomwatch did not exit after SIGTERM"
assert_eq "$OW_STATUS" 143 "status of sleep killed by SIGTERM"
[ -d "$cg" ] && fail "cgroup $cg is still there"
assert_no_ow_cgroups
