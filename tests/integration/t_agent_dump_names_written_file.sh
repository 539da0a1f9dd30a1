#!/bin/bash
# Through the agent, a jemalloc program that never calls mallctl itself writes
# heap profiles on request: each "dump" reply names the exact file jemalloc
# wrote (<prefix>.<pid>.<seq>.m<n>.heap), complete, and profiling the target.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

agent_build
MALLOC_CONF=prof:true,prof_prefix:$T/d agent_drive ready dump ping "waitfile:$T/held" dump wait -- "$TARGET" --ms 1500 --mark "$T/held"
assert_eq "$DRIVE_RC" 0 "driver status"
pid=$(awk '$1 == "target" { print $2; exit }' "$OUT")
[ -n "$pid" ] || fail "the target did not start"
assert_eq "$(out_field kind hello)" ready "hello kind"
assert_eq "$(out_field pid hello)" "$pid" "hello pid"
assert_eq "$(out_field mallctl hello)" mallctl "mallctl found"
assert_eq "$(out_field where hello)" dynamic "where mallctl was found"
assert_eq "$(out_field prefix hello)" "$T/d" "hello prefix"
grep -q '^reply ping id=[0-9]* ok pong$' "$OUT" || fail "no pong"

for n in 1 2; do
        f=$(dump_reply $n)
        [[ $f =~ ^$T/d\.$pid\.[0-9]+\.m$((n - 1))\.heap$ ]] ||
                fail "dump #$n is named '$f', expected $T/d.$pid.<seq>.m$((n - 1)).heap"
        [ -f "$f" ] || fail "'$f' does not exist; dir has: $(ls "$T")"
        assert_eq "$(head -c 8 "$f")" "heap_v2/" "start of $f"
        grep -q '^MAPPED_LIBRARIES:' "$f" || fail "no MAPPED_LIBRARIES: in $f"
done
assert_eq "$(find "$T" -name 'd.*.heap' | wc -l)" 2 "dump files written"
grep -qx 'done' "$OUT" || fail "the target did not finish"
grep -qx 'exit 0' "$OUT" || fail "the target did not exit 0"

# The profile is the target's: its 4 MiB are held in hold_memory().
if command -v jeprof >/dev/null; then
        jeprof --text "$TARGET" "$(dump_reply 2)" 2>/dev/null | grep -q hold_memory ||
                fail "jeprof does not name hold_memory in $(dump_reply 2)"
fi

# A relative prof_prefix: jemalloc writes into the target's working
# directory, the reply still names the file absolutely.
mkdir "$T/cwd"
(cd "$T/cwd" && MALLOC_CONF=prof:true,prof_prefix:rel agent_drive ready dump wait -- "$TARGET" --ms 300)
OUT=$T/driver.out
f=$(dump_reply 1)
[[ $f =~ ^$T/cwd/rel\.[0-9]+\.0\.m0\.heap$ ]] || fail "dump with a relative prefix is named '$f'"
[ -f "$f" ] || fail "'$f' does not exist"
