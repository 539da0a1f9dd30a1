#!/bin/bash
# The agent answers malformed, unknown, oversized and expired requests with
# an error, runs none of them, and keeps serving: the target is unaffected.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

agent_build
MALLOC_CONF=prof:true,prof_prefix:$T/d agent_drive ready raw:garbage "raw:req 1" "raw:req 0 0 ping" \
        "raw:req 5 0 explode" "raw:req 6 1 dump" "raw:req 7 0 ping" rawbig:5000 "raw:req 8 0 ping" \
        wait -- "$TARGET" --ms 1000
assert_eq "$DRIVE_RC" 0 "driver status"
assert_eq "$(grep '^raw ' "$OUT")" "raw err 0 22 malformed request
raw err 0 22 malformed request
raw err 0 22 malformed request
raw err 5 22 unknown request 'explode'
raw err 6 110 request expired before the agent read it
raw ok 7 pong
raw err 0 90 request longer than 4400 bytes
raw ok 8 pong" "the agent's answers"
[ -z "$(find "$T" -name 'd.*.heap')" ] || fail "a rejected request wrote a dump: $(ls "$T")"
grep -qx 'done' "$OUT" || fail "the target did not finish"
grep -qx 'exit 0' "$OUT" || fail "the target did not exit 0"
