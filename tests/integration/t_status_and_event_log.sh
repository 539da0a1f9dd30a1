#!/bin/bash
# The event log has one JSON object per line with a UTC timestamp for
# start, dump, rotate, threshold, oom, exit, restart and report; `oomwatch
# status PID` shows the running target, and the status file in the dump
# directory tells the end of the story after the supervisor is gone.
. "$(dirname "$0")/lib.sh"

cat > "$T/c.conf" <<CONF
[target]
restart = on-oom
max_restarts = 1
restart_delay = 100ms
[dumps]
keep = 2
[report]
events = $T/events.jsonl
CONF
ow_start_leaky -m 96M -c "$T/c.conf"
sup=$OW_PID
curl -s -o /dev/null "$LEAKY_URL/leak?mb=8"
"$OW_BIN" status "$sup" > "$T/status.txt" || fail "oomwatch status failed"
cat "$T/status.txt"
grep -q "^supervisor:  pid $sup, running" "$T/status.txt" || fail "status does not say running"
target=$(jq -r .target_pid "$T/dumps/oomwatch-status.json")
grep -q "^target:      pid $target" "$T/status.txt" || fail "status does not name the target"
grep -q "^memory:  .* of 96 MiB" "$T/status.txt" || fail "status has no memory line"

for run in 1 2; do
        curl -s -o /dev/null --max-time 60 "$LEAKY_URL/oom"
        [ $run = 1 ] && wait_for grep -q '"event":"restart"' "$T/events.jsonl" && sleep 0.5
done
WAIT_TIMEOUT=60 ow_wait || fail "oomwatch did not exit"
assert_eq "$OW_STATUS" 137 "status"

# every line is JSON with a UTC timestamp
n=0
while IFS= read -r line; do
        echo "$line" | jq -e '.ts | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$")' >/dev/null ||
                fail "not a JSON event with a UTC ts: $line"
        n=$((n + 1))
done < "$T/events.jsonl"
echo "$n events"
events=$(jq -r .event "$T/events.jsonl" | uniq | tr '\n' ' ')
echo "sequence: $events"
for e in start dump rotate threshold oom exit restart report; do
        grep -q "\"event\":\"$e\"" "$T/events.jsonl" || fail "no $e event"
done
# the order of one run: start before the OOM, the OOM before exit, exit before report
order=$(jq -r 'select(.event=="start" or .event=="oom" or .event=="exit" or .event=="report" or .event=="restart") | .event' "$T/events.jsonl" | tr '\n' ' ')
assert_eq "$order" "start oom exit report restart start oom exit report " "event order"
assert_eq "$(jq -r .state "$T/dumps/oomwatch-status.json")" done "final state"
assert_eq "$(jq -r .restarts "$T/dumps/oomwatch-status.json")" 1 "restarts in the status"
last=$(jq -r .last_bundle "$T/dumps/oomwatch-status.json")
[ -s "$last/incident.json" ] || fail "the status's last bundle '$last' has no incident.json"
"$OW_BIN" status "$T/dumps" | grep -q "^supervisor:  pid $sup, done" || fail "status DIR after the end"
assert_no_ow_cgroups
