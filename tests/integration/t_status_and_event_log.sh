#!/bin/bash
# The event log has one JSON object per line with a UTC timestamp for
# start, dump, baseline, rotate, threshold, oom, exit, restart and report;
# dump events carry the dump's full path, kind and pid, and the first dump
# of each run is announced as its baseline. `oomwatch status PID` shows the
# running target, and --json is read live too (the usage of now, not of the
# last event, "live": true); after the supervisor is gone, its last status
# says so in both forms (no "pid null").
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
target=$(jq -r .target_pid "$T/dumps/.oomwatch/status.json")
grep -q "^target:      pid $target" "$T/status.txt" || fail "status does not name the target"
grep -q "^memory:  .* of 96 MiB" "$T/status.txt" || fail "status has no memory line"
# --json asks the running supervisor: its usage is of now, as the cgroup says
"$OW_BIN" status --json "$sup" > "$T/status.json" || fail "oomwatch status --json failed"
assert_eq "$(jq -r .live "$T/status.json")" true "live in --json"
assert_eq "$(jq -r .target_pid "$T/status.json")" "$target" "target in --json"
cgu=$(cat "$(jq -r .cgroup.path "$T/status.json")"/memory.usage_in_bytes 2>/dev/null ||
      cat "$(jq -r .cgroup.path "$T/status.json")"/memory.current)
js=$(jq -r .cgroup.usage "$T/status.json")
echo "status --json usage $js, the cgroup's now $cgu"
assert_ge "$js" $((cgu / 2)) "usage in --json against the cgroup's"
assert_ge "$js" $((8 << 20)) "usage in --json after an 8 MiB leak"

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
for e in start dump baseline rotate threshold oom exit restart report; do
        grep -q "\"event\":\"$e\"" "$T/events.jsonl" || fail "no $e event"
done
# the order of one run: start before the OOM, the OOM before exit, exit before report
order=$(jq -r 'select(.event=="start" or .event=="oom" or .event=="exit" or .event=="report" or .event=="restart") | .event' "$T/events.jsonl" | tr '\n' ' ')
assert_eq "$order" "start oom exit report restart start oom exit report " "event order"
assert_eq "$(jq -r .state "$T/dumps/.oomwatch/status.json")" done "final state"
assert_eq "$(jq -r .restarts "$T/dumps/.oomwatch/status.json")" 1 "restarts in the status"
last=$(jq -r .last_bundle "$T/dumps/.oomwatch/status.json")
[ -s "$last/incident.json" ] || fail "the status's last bundle '$last' has no incident.json"
"$OW_BIN" status "$T/dumps" > "$T/after.txt" || fail "status DIR after the end"
cat "$T/after.txt"
grep -q "^supervisor:  pid $sup, done (it has ended" "$T/after.txt" || fail "status DIR does not say the supervisor ended"
grep -q "^target:      none (the supervisor has ended)" "$T/after.txt" || fail "status DIR's target line"
grep -q "null" "$T/after.txt" && fail "status DIR prints null"
"$OW_BIN" status --json "$T/dumps" > "$T/after.json" || fail "status --json DIR after the end"
assert_eq "$(jq -r .live "$T/after.json")" false "live after the end"
jq -e '.note | test("ended")' "$T/after.json" >/dev/null || fail "no note that the supervisor ended"

# dump events: full path, kind, pid; a baseline per run, the first dump of its pid
jq -e -s 'map(select(.event == "dump")) | length > 0 and all(.path | startswith("'"$T"'/dumps/oomwatch."))' \
        "$T/events.jsonl" >/dev/null || fail "dump events without a full path"
jq -e -s 'map(select(.event == "dump")) | all((.kind | test("^[imuf]$")) and (.pid > 0) and (.seq >= 0))' \
        "$T/events.jsonl" >/dev/null || fail "dump events without kind, pid or seq"
pids=$(jq -r 'select(.event == "start") | .pid' "$T/events.jsonl" | sort -n | tr '\n' ' ')
bpids=$(jq -r 'select(.event == "baseline") | .pid' "$T/events.jsonl" | sort -n | tr '\n' ' ')
assert_eq "$bpids" "$pids" "a baseline event for each run's target"
first=$(jq -r --argjson p "${pids%% *}" 'select(.event == "dump" and .pid == $p) | .path' "$T/events.jsonl" | head -n 1)
assert_eq "$(jq -r --argjson p "${pids%% *}" 'select(.event == "baseline" and .pid == $p) | .path' "$T/events.jsonl")" "$first" "the baseline is the first dump"
jq -e -s 'map(select(.event == "rotate")) | all(.path | startswith("/"))' "$T/events.jsonl" >/dev/null ||
        fail "rotate events without a full path"
assert_no_ow_cgroups
