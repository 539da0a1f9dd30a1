#!/bin/bash
# Promise 14: the dump and report directories oomwatch creates are mode
# 0700, whatever the umask (here 000), and so are the missing parents it
# creates on the way and each incident bundle. A dump dir writable by
# others and not owned by the user is refused: see t_run_bad_config.
. "$(dirname "$0")/lib.sh"

cc -O1 -g -o "$T/glibc_leak" "$REPO/tests/programs/glibc_leak.c" || fail "cc failed"
umask 000
"$OW_BIN" run -q -m 32M -d "$T/new/a/dumps" -r "$T/other/b/reports" -- "$T/glibc_leak"
assert_eq "$?" 137 "status"
b=$(find "$T/other/b/reports" -mindepth 1 -maxdepth 1 -type d)
[ -n "$b" ] || fail "no bundle"
for d in "$T/new" "$T/new/a" "$T/new/a/dumps" "$T/other" "$T/other/b" "$T/other/b/reports" "$b"; do
        assert_eq "$(stat -c %a "$d")" 700 "mode of ${d#$T/}"
done
echo "dump dir, report dir, their new parents and the bundle: all 0700 under umask 000"
# a report dir that exists keeps its mode (oomwatch creates, it does not chmod)
mkdir -m 0755 "$T/mine"
"$OW_BIN" run -q -m 32M -d "$T/mine/dumps" -r "$T/mine" -- "$T/glibc_leak"
assert_eq "$(stat -c %a "$T/mine")" 755 "mode of an existing report dir"
assert_eq "$(stat -c %a "$T/mine/dumps")" 700 "mode of a new dump dir in it"
assert_no_ow_cgroups
