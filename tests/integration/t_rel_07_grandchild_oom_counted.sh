#!/bin/bash
# Promise 7: an OOM kill of a process the target started (oomwatch's
# grandchild) while the target itself survives is still recorded: the
# target exits 0 afterwards, oomwatch exits 0 with verdict "exit", and the
# bundle (report.on = always) counts the kill in cgroup.oom_kills.
. "$(dirname "$0")/lib.sh"

cc -O1 -g -o "$T/glibc_leak" "$REPO/tests/programs/glibc_leak.c" || fail "cc failed"
printf '[report]\non = always\n' > "$T/c.conf"
ow_start -c "$T/c.conf" -m 32M -- sh -c '"$0"; echo "leak status $?"; sleep 0.5; exit 0' "$T/glibc_leak"
WAIT_TIMEOUT=30 ow_wait || fail "oomwatch did not exit"
assert_eq "$(cat "$T/oomwatch.out")" "leak status 137" "the grandchild's fate, as the target saw it"
assert_eq "$OW_STATUS" 0 "oomwatch's status (the target's)"
b=$(ow_bundle)
assert_eq "$(json "$b/incident.json" .verdict)" exit "verdict"
assert_eq "$(json "$b/incident.json" .target.exit_code)" 0 "exit code in the bundle"
assert_eq "$(json "$b/incident.json" .cgroup.oom_kills)" 1 "OOM kills counted in the bundle"
grep -q '^oom kills: *1$' "$b/report.txt" || fail "report.txt does not count the OOM kill: $(cat "$b/report.txt")"
assert_no_ow_cgroups
