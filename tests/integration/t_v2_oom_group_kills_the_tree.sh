#!/bin/bash
# cgroup v2 only (make test-v2 runs it in a VM). memory.oom.group is 0 in the
# target's cgroup: a worker's OOM kill takes the worker only (the other
# tests). Set to 1 (as a container runtime does on a container's cgroup),
# the kernel kills the whole tree at once: the pre-fork master dies with
# its leaking worker. oomwatch still writes the bundle, one for the kill:
# verdict oom-kill for the target, the victim the kernel chose (the worker
# that grew, a child of the target), worker_leak on top; it exits 137.
. "$(dirname "$0")/lib.sh"

cg_v2 || skip "memory cgroups are not cgroup v2 here (make test-v2 runs this in a VM)"
. "$(dirname "$0")/prefork_lib.sh"
prefork_build
port=$(prefork_ports 2) || fail "no two free ports"
ow_start -m 64M -- "$PREFORK" --port "$port" --workers 2
prefork_up
cg=$(ow_cgroups | head -n 1)
[ -n "$cg" ] && [ -f "$cg/memory.oom.group" ] || fail "no cgroup of oomwatch's: '$cg'"
assert_eq "$(cat "$cg/memory.oom.group")" 0 "memory.oom.group as oomwatch made it"
echo 1 >"$cg/memory.oom.group" || fail "cannot set memory.oom.group"
master=$MASTER
worker=$(curl -s --max-time 5 "http://127.0.0.1:$port/pid") || fail "worker 0 does not answer"
for ((i = 0; i < 60; i++)); do
        proc_gone "$OW_PID" && break
        curl -s -o /dev/null --max-time 10 "http://127.0.0.1:$port/leak?mb=2"
done
WAIT_TIMEOUT=60 ow_wait || fail "oomwatch did not exit when the tree was killed"
assert_eq "$OW_STATUS" 137 "oomwatch's status"
b=$(ow_bundle)
j=$b/incident.json
echo "$(jq -c '{verdict, target: .target.signal, victim, top: .diff.top[0].function, oom_kills: .cgroup.oom_kills}' "$j")"
assert_eq "$(json "$j" .verdict)" oom-kill "verdict"
assert_eq "$(json "$j" .target.pid)" "$master" "target"
assert_eq "$(json "$j" .target.signal)" 9 "the target's signal"
assert_eq "$(json "$j" .victim.pid)" "$worker" "the victim the kernel chose"
assert_eq "$(json "$j" .victim.relation)" child "the victim's relation"
assert_eq "$(json "$j" '.diff.top[0].function')" worker_leak "top grower"
assert_ge "$(json "$j" .cgroup.oom_kills)" 2 "OOM kills counted (the group)"
assert_no_ow_cgroups
