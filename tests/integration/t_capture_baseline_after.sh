#!/bin/bash
# baseline_after takes the baseline through the agent once the service has
# loaded: what it allocated at start-up (a filled cache) is not in the diff,
# and the diff's base is that dump.
. "$(dirname "$0")/lib.sh"

printf '[dumps]\nbaseline_after = 1500ms\n' > "$T/c.conf"
ow_start_leaky -m 96M -c "$T/c.conf" -v
# "start-up": fill the cache before the baseline
for _ in 1 2 3 4; do curl -s -o /dev/null "$LEAKY_URL/cache?mb=4"; done
wait_for grep -q "baseline: " "$OW_LOG" || fail "no baseline dump: $(tail -3 "$OW_LOG")"
base=$(sed -n 's/^oomwatch: baseline: //p' "$OW_LOG" | head -1)
for _ in $(seq 1 100); do curl -s -o /dev/null --max-time 10 "$LEAKY_URL/leak?mb=2" || break; done
WAIT_TIMEOUT=60 ow_wait || fail "oomwatch did not exit"
assert_eq "$OW_STATUS" 137 "status"
b=$(ow_bundle)
assert_eq "$(json "$b/incident.json" .diff.base)" "dumps/$(basename "$base")" "diff base"
assert_eq "$(json "$b/incident.json" '.diff.top[0].function')" process_leak "top grower"
cache=$(json "$b/incident.json" '[.diff.top[] | select(.function == "cache_insert") | .flat_bytes][0] // 0')
echo "cache_insert in the diff: $cache bytes"
assert_le "${cache%.*}" $((2 << 20)) "cache_insert growth after the baseline"
assert_no_ow_cgroups
