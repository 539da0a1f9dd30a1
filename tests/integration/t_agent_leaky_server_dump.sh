#!/bin/bash
# The demo server under the agent: a dump through the agent and one the server
# takes itself (GET /dump, which installs its own dump hook after the agent's)
# both get their exact names, in jemalloc's sequence.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

[ -x "$LEAKY_BIN" ] || skip "$LEAKY_BIN is not built"
agent_build
port=$(free_port) || fail "no free TCP port"
# lg_prof_sample:0: every allocation sampled, so that the 2 MiB leaked is in the
# dump always (at the default 512 KiB mean its two 1 MiB blocks both go unsampled
# in 2% of runs)
MALLOC_CONF=prof:true,lg_prof_sample:0,prof_prefix:$T/d agent_drive_bg ready dump "waitfile:$T/curl-done" dump -- \
        "$LEAKY_BIN" --port "$port"
wait_for grep -q 'listening on' "$T/driver.err" || fail "leaky-server did not start: $(cat "$T/driver.err")"
wait_for grep -q '^reply dump' "$OUT" || fail "no reply to the first dump: $(cat "$OUT")"
pid=$(awk '$1 == "started" { print $2 }' "$OUT")
curl -sf --max-time 5 "http://127.0.0.1:$port/leak?mb=2" >/dev/null || fail "GET /leak failed"
own=$(curl -sf --max-time 5 "http://127.0.0.1:$port/dump") || fail "GET /dump failed"
touch "$T/curl-done"
agent_drive_wait
assert_eq "$DRIVE_RC" 0 "driver status"
assert_eq "$(out_field kind hello)" ready "hello kind"
f1=$(dump_reply 1) f2=$(dump_reply 2)
[[ $f1 =~ ^$T/d\.$pid\.[0-9]+\.m0\.heap$ ]] || fail "agent dump #1 is named '$f1'"
[[ $own =~ ^$T/d\.$pid\.[0-9]+\.m1\.heap$ ]] || fail "the server's own dump is named '$own'"
[[ $f2 =~ ^$T/d\.$pid\.[0-9]+\.m2\.heap$ ]] || fail "agent dump #2 is named '$f2'"
assert_eq "$(dump_seq "$f2")" $(($(dump_seq "$own") + 1)) "seq of the agent's dump after the server's"
for f in "$f1" "$own" "$f2"; do
        [ -f "$f" ] || fail "'$f' does not exist"
        assert_eq "$(head -c 8 "$f")" "heap_v2/" "start of $f"
done
if command -v jeprof >/dev/null; then
        jeprof --text "$LEAKY_BIN" "$f2" 2>/dev/null | grep -q process_leak ||
                fail "jeprof does not name process_leak in $f2"
fi
