#!/bin/bash
# Without heap profiling GET /dump answers 503 and says why.
. "$(dirname "$0")/lib.sh"

unset MALLOC_CONF
start_leaky
grep -q "heap profiling off" "$LEAKY_LOG" || fail "start-up line does not say profiling is off"
code=$(curl -s -o "$T/body" -w '%{http_code}' --max-time 10 "$LEAKY_URL/dump")
assert_eq "$code" 503 "status of /dump"
grep -q "profiling is off" "$T/body" || fail "no reason in body: $(cat "$T/body")"
