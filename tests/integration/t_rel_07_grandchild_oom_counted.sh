#!/bin/bash
# Promise 7: an OOM kill of a process the target started (oomwatch's
# grandchild) while the target itself survives is still recorded: the
# victim's bundle (verdict oom-kill, the victim named, its own dumps) is
# written while the target runs; the target exits 0 afterwards and, with
# report.on = always, its own bundle (verdict exit) counts the kill in
# cgroup.oom_kills; oomwatch exits 137 (an OOM kill in the tree, hidden by
# the wrapper's 0).
. "$(dirname "$0")/lib.sh"

cc -O1 -g -o "$T/glibc_leak" "$REPO/tests/programs/glibc_leak.c" || fail "cc failed"
printf '[report]\non = always\n' > "$T/c.conf"
ow_start -c "$T/c.conf" -m 32M -- sh -c '"$0"; echo "leak status $?"; sleep 0.5; exit 0' "$T/glibc_leak"
WAIT_TIMEOUT=30 ow_wait || fail "oomwatch did not exit"
assert_eq "$(cat "$T/oomwatch.out")" "leak status 137" "the grandchild's fate, as the target saw it"
assert_eq "$OW_STATUS" 137 "oomwatch's status"
n=$(find "$T/reports" -mindepth 1 -maxdepth 1 -type d ! -name ".*" | wc -l)
assert_eq "$n" 2 "bundles (the victim's and the target's end)"
for b in "$T"/reports/*/; do
        case $(json "$b/incident.json" .verdict) in
        oom-kill) victim=$b ;;
        exit) end=$b ;;
        esac
done
[ -n "${victim:-}" ] && [ -n "${end:-}" ] || fail "expected an oom-kill and an exit bundle: $(ls "$T/reports")"
assert_eq "$(json "$victim/incident.json" .victim.relation)" child "the victim's relation"
[[ $(json "$victim/incident.json" .victim.command) == *glibc_leak* ]] || fail "the victim is not glibc_leak"
assert_eq "$(json "$victim/incident.json" '.diff.top[0].function')" leak_chunk "the victim's top grower"
assert_eq "$(json "$end/incident.json" .target.exit_code)" 0 "exit code in the target's bundle"
assert_eq "$(json "$end/incident.json" .cgroup.oom_kills)" 1 "OOM kills counted in the target's bundle"
grep -q '^oom kills: *1$' "$end/report.txt" || fail "report.txt does not count the OOM kill: $(cat "$end/report.txt")"
assert_no_ow_cgroups
