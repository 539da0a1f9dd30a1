#!/bin/bash
# GET /leak?mb=16 leaves the server about 16 MiB bigger (resident, not just mapped).
. "$(dirname "$0")/lib.sh"

start_leaky
curl -sf --max-time 5 -o /dev/null "$LEAKY_URL/" || fail "GET / failed"   # warm up
before=$(rss_kib "$LEAKY_PID")
body=$(curl -sf --max-time 30 "$LEAKY_URL/leak?mb=16") || fail "GET /leak?mb=16 failed"
after=$(rss_kib "$LEAKY_PID")
grep -q "leaked 16 MiB" <<<"$body" || fail "unexpected body: $body"

grown=$((after - before))
echo "RSS $before KiB -> $after KiB (+$grown KiB)"
assert_ge "$grown" $((14 * 1024)) "RSS growth in KiB"
assert_le "$grown" $((20 * 1024)) "RSS growth in KiB"

code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$LEAKY_URL/leak?mb=lots")
assert_eq "$code" 400 "status of /leak?mb=lots"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$LEAKY_URL/leak?mb=0")
assert_eq "$code" 400 "status of /leak?mb=0"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$LEAKY_URL/leak?mb=99999999")
assert_eq "$code" 400 "status of /leak?mb=99999999"
