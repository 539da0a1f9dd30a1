#!/bin/bash
# GET / answers 200, and leaky-server logs exactly one line per request.
. "$(dirname "$0")/lib.sh"

start_leaky
grep -q "listening on http://127.0.0.1:$LEAKY_PORT" "$LEAKY_LOG" ||
        fail "no start-up line naming port $LEAKY_PORT: $(cat "$LEAKY_LOG")"

for i in 1 2 3; do
        code=$(curl -s -o "$T/body" -w '%{http_code}' --max-time 5 "$LEAKY_URL/")
        assert_eq "$code" 200 "status of GET / #$i"
        grep -q "leaky-server ok" "$T/body" || fail "unexpected body: $(cat "$T/body")"
done
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$LEAKY_URL/nope")
assert_eq "$code" 404 "status of GET /nope"

# The response went out before the log line: give it a moment.
wait_for grep -q '"GET /nope" 404' "$LEAKY_LOG" || fail "no log line for /nope: $(cat "$LEAKY_LOG")"
assert_eq "$(grep -c '"GET /" 200 [0-9][0-9]*$' "$LEAKY_LOG")" 3 "log lines for GET /"
assert_eq "$(grep -c '"GET ' "$LEAKY_LOG")" 4 "request log lines in total"
