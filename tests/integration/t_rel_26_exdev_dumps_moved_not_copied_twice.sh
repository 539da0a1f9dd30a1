#!/bin/bash
# Across file systems the bundle's dumps are copies: once the bundle is
# complete the originals leave the dump directory, as a rename would have
# taken them (they were left behind for ever). Dumps on a tmpfs, reports on
# the test's file system; the bundle's dumps are whole (same bytes as
# written, checked against a snapshot taken just before the kill) and none of
# the target's dumps is left in the dump directory.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root to mount a tmpfs"
mkdir -p "$T/dumps"
mount -t tmpfs -o size=64m,mode=0700 oomwatch-test "$T/dumps" || skip "cannot mount a tmpfs"
at_exit "umount -l '$T/dumps'"
printf '[dumps]\nkeep = 1000\n' > "$T/c.conf"
ow_start_leaky -m 96M -c "$T/c.conf"
for i in $(seq 6); do curl -s -o /dev/null --max-time 10 "$LEAKY_URL/leak?mb=8"; done
two() { [ "$(find "$T/dumps" -maxdepth 1 -name 'oomwatch.*.heap' | wc -l)" -ge 2 ]; }
wait_for two || fail "no dumps"
mkdir "$T/snap"
cp "$T/dumps"/oomwatch.*.heap "$T/snap/"
leak_until_gone
WAIT_TIMEOUT=60 ow_wait || fail "oomwatch did not exit"
assert_eq "$OW_STATUS" 137 "status"
b=$(ow_bundle)
[ "$(stat -f -c %T "$b")" != tmpfs ] || fail "the bundle is on the tmpfs: the test proves nothing"
n=$(ls "$b/dumps" | wc -l)
assert_ge "$n" 2 "dumps in the bundle"
for f in "$T/snap"/*; do
        [ -e "$b/dumps/${f##*/}" ] || continue
        cmp -s "$f" "$b/dumps/${f##*/}" || fail "the bundle's copy of ${f##*/} differs from what was written"
done
left=$(find "$T/dumps" -maxdepth 1 -name 'oomwatch.*.heap' | wc -l)
[ "$left" = 0 ] || fail "the target's dumps left in the dump directory after the bundle took them: $left:
$(cd "$T/dumps" && for f in oomwatch.*.heap; do echo "$f: $(stat -c %s "$f") bytes, starts '$(head -c 16 "$f" | tr -c '[:print:]' .)'"; done)
$(grep -i dump "$OW_LOG" | tail -n 6)"
assert_no_ow_cgroups
