#!/bin/bash
# Under a 64 MiB memory cgroup, GET /oom ends in a kernel OOM kill: the server
# dies of SIGKILL and the cgroup's oom_kill counter rises by exactly one.
. "$(dirname "$0")/lib.sh"

cg_make "oomwatch-test.$$" 64M
before=$(cg_oom_kills) || fail "cannot read $CG/memory.oom_control"
LEAKY_CGROUP=$CG start_leaky
grep -qx "$LEAKY_PID" "$CG/cgroup.procs" || fail "leaky-server ($LEAKY_PID) is not in $CG"

code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 60 "$LEAKY_URL/oom")
echo "curl answered '$code' (000: connection closed by the kill)"
wait_leaky || fail "leaky-server still alive after /oom"
assert_eq "$LEAKY_STATUS" 137 "exit status (128 + SIGKILL)"
assert_eq "$(cg_oom_kills)" $((before + 1)) "oom_kill counter of $CG"
