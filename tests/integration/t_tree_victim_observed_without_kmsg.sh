#!/bin/bash
# Where oomwatch cannot read the kernel's record (a container without
# /dev/kmsg, no CAP_SYSLOG: here /dev/kmsg is /dev/null in oomwatch's mount
# namespace), a worker's OOM kill is still named: the process of the tree
# that was dying or had vanished when the cgroup's counter rose, the
# largest at its last sample. The bundle says so (victim.source
# "observed"), names the worker and worker_leak, and the master runs on.
. "$(dirname "$0")/lib.sh"

command -v unshare >/dev/null || skip "no unshare"
unshare -m true 2>/dev/null || skip "no mount namespaces here"
. "$(dirname "$0")/prefork_lib.sh"
prefork_build
cat >"$T/oomwatch" <<SH
#!/bin/sh
exec unshare -m sh -c 'mount --bind /dev/null /dev/kmsg && exec "\$0" "\$@"' "$OW_BIN" "\$@"
SH
chmod +x "$T/oomwatch"
real=$OW_BIN
OW_BIN=$T/oomwatch
port=$(free_port) || fail "no free TCP port"
ow_start -m 64M -- "$PREFORK" --port "$port" --workers 1
OW_BIN=$real
prefork_up
prefork_kill_worker "$port"
worker=$WORKER
done_bundle() { [ -n "$(find "$T/reports" -mindepth 2 -maxdepth 2 -name incident.json ! -path "*/.*/*" 2>/dev/null)" ]; }
WAIT_TIMEOUT=20 wait_for done_bundle || fail "no bundle: $(tail -n 5 "$OW_LOG")"
j=$(find "$T/reports" -mindepth 2 -maxdepth 2 -name incident.json ! -path "*/.*/*")
echo "$(jq -c '{victim, top: .diff.top[0].function}' "$j")"
assert_eq "$(json "$j" .victim.source)" observed "victim source"
assert_eq "$(json "$j" .victim.pid)" "$worker" "victim pid"
assert_eq "$(json "$j" '.diff.top[0].function')" worker_leak "top grower"
grep -q "OOM-killed: pid $worker (.*), a child of the target (seen by oomwatch)" "$OW_LOG" ||
        fail "the log does not name the victim as seen: $(grep OOM "$OW_LOG")"
proc_gone "$OW_PID" && fail "oomwatch exited"
kill -TERM "$OW_PID"
ow_wait || fail "oomwatch did not stop"
assert_no_ow_cgroups
