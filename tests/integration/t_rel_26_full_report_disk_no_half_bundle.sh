#!/bin/bash
# Promise 26: a full disk never leaves a half bundle announced as a bundle.
#  1. the report directory is a small tmpfs, the dumps on another file system:
#     the dumps do not fit. oomwatch says what could not be written, announces
#     no bundle, leaves no directory behind (neither a bundle nor its
#     temporary one), keeps every dump where it was (they still parse), and
#     exits 137, the target's status.
#  2. the same file system for both, filled to the last block right before
#     the OOM kill: the same (the facts of the incident cannot be written).
#  3. the dumps are moved in, then neither the analysis nor the minimal
#     report gets written (an analysis program that fails): the dumps are
#     moved back, nothing is announced.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root to mount a tmpfs"
check_no_bundle() { # REPORTS DUMPS: and every dump named in $T/before is still there and parses
        local reports=$1 dumps=$2 f
        grep -q "no incident bundle:" "$OW_LOG" || fail "no message saying there is no bundle: $(grep -v GET "$OW_LOG" | tail -5)"
        grep "no incident bundle:" "$OW_LOG"
        grep -q "No space left on device" "$OW_LOG" || fail "the message does not say the disk is full"
        grep -q "incident bundle: /" "$OW_LOG" && fail "a bundle was announced: $(grep "incident bundle" "$OW_LOG")"
        [ -z "$(ls -A "$reports")" ] || fail "left in the report directory: $(ls -A "$reports")"
        assert_ge "$(wc -l < "$T/before")" 2 "dumps written before the disk was full"
        while read -r f; do
                [ -f "$dumps/$f" ] || fail "the dump $f is gone from the dump directory"
                "$BUILD/oomwatch" diff "$dumps/$f" >/dev/null || fail "the dump $f does not parse any more"
        done < "$T/before"
}
good_dumps() { # DIR: the dumps there that parse, by name
        local f
        for f in "$1"/oomwatch.*.heap; do
                [ -e "$f" ] && "$BUILD/oomwatch" diff "$f" >/dev/null 2>&1 && basename "$f"
        done
}
printf '[dumps]\nkeep = 1000\n' > "$T/c.conf"   # no rotation: every dump written is evidence
# 1 -----------------------------------------------------------------------------
mkdir -p "$T/small"
mount -t tmpfs -o size=16k,mode=0700 oomwatch-test "$T/small" || skip "cannot mount a tmpfs"
at_exit "umount -l '$T/small'"
ow_start_leaky -m 96M -c "$T/c.conf" -r "$T/small"
for i in $(seq 6); do curl -s -o /dev/null --max-time 10 "$LEAKY_URL/leak?mb=8"; done
two() { [ "$(good_dumps "$1" | wc -l)" -ge 2 ]; }
wait_for two "$T/dumps" || fail "no dumps"
good_dumps "$T/dumps" > "$T/before"
leak_until_gone
WAIT_TIMEOUT=60 ow_wait || fail "oomwatch did not exit"
assert_eq "$OW_STATUS" 137 "status"
check_no_bundle "$T/small" "$T/dumps"

same_fs() {
        rm -rf "$T/both"/*
        mkdir "$T/both/reports" "$T/both/dumps"
        ow_start_leaky -m 96M -c "$T/c.conf" -d "$T/both/dumps" -r "$T/both/reports"
        for i in $(seq 6); do curl -s -o /dev/null --max-time 10 "$LEAKY_URL/leak?mb=8"; done
        wait_for two "$T/both/dumps" || fail "no dumps"
        good_dumps "$T/both/dumps" > "$T/before"
        [ "${1:-}" = fill ] && dd if=/dev/zero of="$T/both/filler" bs=4k 2>/dev/null
        leak_until_gone 8
        WAIT_TIMEOUT=60 ow_wait || fail "oomwatch did not exit"
        assert_eq "$OW_STATUS" 137 "status"
}
# 2 -----------------------------------------------------------------------------
mkdir -p "$T/both"
mount -t tmpfs -o size=8m,mode=0700 oomwatch-test "$T/both" || skip "cannot mount a tmpfs"
at_exit "umount -l '$T/both'"
same_fs fill
check_no_bundle "$T/both/reports" "$T/both/dumps"
# 3 -----------------------------------------------------------------------------
mkdir -p "$T/bin"
cp "$BUILD/oomwatch" "$BUILD/liboomwatch-agent.so" "$T/bin/"
printf 'int main(void) { return 1; }\n' > "$T/fails.c"
cc -o "$T/bin/oomwatch-analysis" "$T/fails.c" || fail "cannot build the failing analysis"
OW_BIN=$T/bin/oomwatch same_fs
grep -q "no incident bundle: could not write report.txt, incident.json of " "$OW_LOG" ||
        fail "no message naming what could not be written: $(grep -v GET "$OW_LOG" | tail -4)"
grep "no incident bundle:" "$OW_LOG"
grep -q "incident bundle: /" "$OW_LOG" && fail "a bundle was announced"
[ -z "$(ls -A "$T/both/reports")" ] || fail "left in the report directory: $(ls -A "$T/both/reports")"
while read -r f; do
        [ -f "$T/both/dumps/$f" ] || fail "the dump $f was not moved back into the dump directory"
done < "$T/before"
assert_no_ow_cgroups
