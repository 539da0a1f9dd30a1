#!/bin/bash
# SIGKILL from outside is a death by signal, never an OOM kill: exit 137,
# and with report.on = exit the bundle's verdict is "signal".
. "$(dirname "$0")/lib.sh"

printf '[report]\non = exit\n' > "$T/c.conf"
ow_start_leaky -m 96M -c "$T/c.conf"
curl -s -o /dev/null --max-time 10 "$LEAKY_URL/leak?mb=8"
pid=$(awk 'NR==1' "$(ow_cgroups)/cgroup.procs")
[ -n "$pid" ] || fail "no process in the target's cgroup"
kill -KILL "$pid"
WAIT_TIMEOUT=20 ow_wait || fail "oomwatch did not exit"
assert_eq "$OW_STATUS" 137 "oomwatch exit status"
b=$(ow_bundle)
assert_eq "$(json "$b/incident.json" .verdict)" signal "verdict"
assert_eq "$(json "$b/incident.json" .cgroup.oom_kills)" 0 "oom kills"
grep -q "OOM-killed" "$OW_LOG" && fail "oomwatch called a kill -9 an OOM kill"
assert_no_ow_cgroups
