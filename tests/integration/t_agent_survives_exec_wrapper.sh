#!/bin/bash
# A wrapper script that runs a helper and then execs the real program: the
# wrapper (no jemalloc, the target) registers to say so, its helper (another
# pid, no jemalloc) stays silent, and the program exec'd in the same pid
# registers a new channel (the old one closed at the exec), says hello and
# serves requests.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

agent_build
MALLOC_CONF=prof:true,prof_prefix:$T/d agent_drive ready dump dump wait -- \
        /bin/sh -c '/bin/true; exec "$0" --ms 1500' "$TARGET"
assert_eq "$DRIVE_RC" 0 "driver status"
pid=$(awk '$1 == "started" { print $2 }' "$OUT")
assert_eq "$(grep -c '^register ' "$OUT")" 2 "registrations (the wrapper's and the program's; none from /bin/true)"
assert_eq "$(grep -c "^register pid=$pid\$" "$OUT")" 2 "registrations under the wrapper's pid"
assert_eq "$(grep '^hello ' "$OUT" | head -n 1 | awk '{ print $3, $4 }')" "kind=nojemalloc pid=$pid" \
        "the wrapper's hello"
assert_eq "$(grep '^hello ' "$OUT" | tail -n 1 | awk '{ print $3, $4 }')" "kind=ready pid=$pid" \
        "the program's hello"
grep -q "^hangup pid=$pid" "$OUT" || fail "the wrapper's channel did not close at the exec"
assert_eq "$(awk '$1 == "target" { print $2 }' "$OUT")" "$pid" "the program runs in the wrapper's pid"
for n in 1 2; do
        f=$(dump_reply $n)
        [[ $f =~ ^$T/d\.$pid\.[0-9]+\.m$((n - 1))\.heap$ ]] || fail "dump #$n is named '$f'"
        assert_eq "$(head -c 8 "$f")" "heap_v2/" "start of $f"
done
grep -qx 'exit 0' "$OUT" || fail "the target did not exit 0"
