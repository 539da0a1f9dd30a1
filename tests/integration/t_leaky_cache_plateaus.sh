#!/bin/bash
# /cache evicts past its cap: once 32 MiB are cached, ten more 8 MiB inserts
# (80 MiB) raise RSS by less than one entry.
. "$(dirname "$0")/lib.sh"

start_leaky --cache-mb 32
for i in 1 2 3 4; do
        curl -sf --max-time 10 -o /dev/null "$LEAKY_URL/cache?mb=8" || fail "insert $i failed"
done
full=$(rss_kib "$LEAKY_PID")
for i in $(seq 10); do
        body=$(curl -sf --max-time 10 "$LEAKY_URL/cache?mb=8") || fail "insert $((i + 4)) failed"
done
grep -q "evicted 1 entries (cache 32 of 32 MiB)" <<<"$body" || fail "unexpected body: $body"
later=$(rss_kib "$LEAKY_PID")

grown=$((later - full))
echo "RSS with a full cache $full KiB, after 80 MiB more inserts $later KiB (+$grown KiB)"
assert_ge "$full" $((32 * 1024)) "RSS with 32 MiB cached"
assert_le "$grown" $((8 * 1024 - 1)) "RSS growth in KiB"

code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$LEAKY_URL/cache?mb=33")
assert_eq "$code" 400 "status of an entry larger than the cap"
