#!/bin/bash
# Promise 15: the dump directory is a small tmpfs that fills up during a
# leak (ENOSPC for jemalloc's writes). oomwatch keeps running, keeps what
# it can, and after the OOM kill still writes the incident bundle (on
# another file system) with a diff from the newest good pair, or says why.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root to mount a tmpfs"
mkdir -p "$T/dumps"
mount -t tmpfs -o size=160k,mode=0700 oomwatch-test "$T/dumps" || skip "cannot mount a tmpfs"
at_exit "umount -l '$T/dumps'"
printf '[profiling]\ngdump = on\n[dumps]\nkeep = 1000\n' > "$T/c.conf"
ow_start_leaky -m 96M -c "$T/c.conf" -v
leak_until_gone
WAIT_TIMEOUT=60 ow_wait || fail "oomwatch did not exit"
assert_eq "$OW_STATUS" 137 "status"
echo "tmpfs use at the end: $(df -k "$T/dumps" | awk 'NR == 2 { print $3 " of " $2 " KiB" }')"
b=$(ow_bundle)
assert_eq "$(json "$b/incident.json" .verdict)" oom-kill "verdict"
if [ "$(json "$b/incident.json" .diff)" != null ]; then
        echo "diff: $(json "$b/incident.json" .diff.base) -> $(json "$b/incident.json" .diff.new)"
        assert_eq "$(json "$b/incident.json" '.diff.top[0].function')" process_leak "top grower"
else
        why=$(json "$b/incident.json" .analysis_error)
        echo "no diff: $why"
        [ -n "$why" ] && [ "$why" != null ] || fail "no diff and no reason"
fi
grep -q "^verdict: *oom-kill" "$b/report.txt" || fail "report.txt is missing its verdict"
assert_no_ow_cgroups
