#!/bin/bash
# report.on = exit with a multi-process target: a wrapper (sh, not exec)
# starts the demo server, which grows by 24 MiB in process_leak and is
# then stopped normally (SIGTERM: exit 0); the wrapper exits 3. The
# target's bundle (verdict exit, exit code 3) diffs the process that grew,
# the server, not the shell that was the target; its coverage is measured
# against that process's memory, not the cgroup's peak.
. "$(dirname "$0")/lib.sh"

printf '[report]\non = exit\n' >"$T/c.conf"
LEAKY_PORT=$(free_port) || fail "no free TCP port"
LEAKY_URL=http://127.0.0.1:$LEAKY_PORT
ow_start -c "$T/c.conf" -m 128M -- sh -c '"$0" --port "$1"; echo "server status $?"; exit 3' "$LEAKY_BIN" "$LEAKY_PORT"
wait_for _ow_leaky_up || fail "leaky-server did not start: $(cat "$OW_LOG")"
for _ in 1 2 3 4 5 6; do curl -s -o /dev/null --max-time 10 "$LEAKY_URL/leak?mb=4" || fail "GET /leak failed"; done
server=$(pgrep -f -- "$LEAKY_BIN --port $LEAKY_PORT" | head -n 1)
[ -n "$server" ] || fail "no server process"
kill -TERM "$server"
WAIT_TIMEOUT=30 ow_wait || fail "oomwatch did not exit"
assert_eq "$OW_STATUS" 3 "oomwatch's status (the wrapper's)"
grep -q "^server status 0" "$T/oomwatch.out" || fail "the server did not exit 0: $(cat "$T/oomwatch.out")"
b=$(ow_bundle)
j=$b/incident.json
echo "$(jq -c '{verdict, exit: .target.exit_code, new: .diff.new, top: .diff.top[0].function, coverage, coverage_of}' "$j")"
assert_eq "$(json "$j" .verdict)" exit "verdict"
assert_eq "$(json "$j" .target.exit_code)" 3 "the target's exit code"
[[ $(json "$j" .diff.new) == dumps/oomwatch.$server.*.heap ]] || fail "the diff is not of the server $server: $(json "$j" .diff.new)"
assert_eq "$(json "$j" '.diff.top[0].function')" process_leak "top grower"
assert_eq "$(json "$j" .coverage_of)" process "what coverage is measured against"
grep -q "outside the jemalloc heap" "$b/report.txt" && fail "the report says the memory was outside the heap: $(grep -A2 coverage "$b/report.txt")"
assert_no_ow_cgroups
