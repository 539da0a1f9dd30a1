#!/bin/bash
# target.user: the target runs as that user, and the dump directory oomwatch
# creates for it is the target's, so its dumps are written and the OOM kill
# is still explained. What nobody runs is copied where nobody can reach it
# (ow_user_build), wherever the checkout is: a clone under a 0700 directory
# tests the same.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root to run the target as another user"
id nobody >/dev/null 2>&1 || fail "no user 'nobody'"
ow_user_build
printf '[target]\nuser = nobody\n' > "$T/c.conf"
ow_start_leaky -m 96M -c "$T/c.conf" -d "$U/dumps"
assert_eq "$(stat -c %U "$U/dumps")" nobody "owner of the dump directory"
assert_eq "$(stat -c %a "$U/dumps")" 700 "mode of the dump directory"
pid=$(jq -r .target_pid "$U/dumps/.oomwatch/status.json")
assert_eq "$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")" "$(id -u nobody)" "target uid"
leak_until_gone
WAIT_TIMEOUT=60 ow_wait || fail "oomwatch did not exit"
assert_eq "$OW_STATUS" 137 "status"
b=$(ow_bundle)
assert_eq "$(json "$b/incident.json" '.diff.top[0].function')" process_leak "top grower"
assert_no_ow_cgroups
