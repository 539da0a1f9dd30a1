#!/bin/bash
# "gdump on" through the agent makes a growing jemalloc program write peak
# (u) dumps; "gdump off" stops them. Dump file order is jemalloc's seq.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

agent_build
# The target grows by 1 MiB every 100 ms throughout.
MALLOC_CONF=prof:true,prof_prefix:$T/d agent_drive ready dump gdump-on sleep:500 gdump-off dump sleep:500 dump \
        active-off active-on wait -- "$TARGET" --ms 2500 --grow-ms 100
assert_eq "$DRIVE_RC" 0 "driver status"
grep -q '^reply gdump on id=[0-9]* ok on$' "$OUT" || fail "gdump on not confirmed"
grep -q '^reply gdump off id=[0-9]* ok off$' "$OUT" || fail "gdump off not confirmed"
grep -q '^reply active off id=[0-9]* ok off$' "$OUT" || fail "active off not confirmed"
grep -q '^reply active on id=[0-9]* ok on$' "$OUT" || fail "active on not confirmed"

s0=$(dump_seq "$(dump_reply 1)") s1=$(dump_seq "$(dump_reply 2)") s2=$(dump_seq "$(dump_reply 3)")
assert_eq "$s0" 0 "seq of the first dump (nothing dumped before gdump on)"
nu=0
for f in "$T"/d.*.u*.heap; do
        [ -e "$f" ] || continue
        s=$(dump_seq "$f")
        [ "$s" -gt "$s0" ] && [ "$s" -lt "$s1" ] || fail "peak dump $f outside the gdump on..off window ($s0..$s1)"
        assert_eq "$(head -c 8 "$f")" "heap_v2/" "start of $f"
        nu=$((nu + 1))
done
assert_ge "$nu" 3 "peak (u) dumps written while gdump was on"
# The target kept growing after gdump off: no dump came between the two manual ones.
assert_eq "$s2" $((s1 + 1)) "seq of the dump after 500 ms with gdump off"
grep -qx 'exit 0' "$OUT" || fail "the target did not exit 0"
