#!/bin/bash
# restart = on-oom with max_restarts = 2: exactly three runs, each OOM-killed,
# three bundles, each with the dumps of its own run (its own pid).
. "$(dirname "$0")/lib.sh"

port=$(free_port)
printf '[target]\nrestart = on-oom\nmax_restarts = 2\nrestart_delay = 100ms\n' > "$T/c.conf"
ow_start -c "$T/c.conf" -m 96M -- "$LEAKY_BIN" --port "$port"
runs_started() { test "$(grep -c 'listening on' "$OW_LOG")" -ge "$1"; }
for run in 1 2 3; do
        wait_for runs_started "$run" || fail "run $run did not start: $(tail "$OW_LOG")"
        curl -s -o /dev/null --max-time 60 "http://127.0.0.1:$port/oom"
done
WAIT_TIMEOUT=60 ow_wait || fail "oomwatch did not exit after three OOM kills"
assert_eq "$OW_STATUS" 137 "oomwatch exit status"
assert_eq "$(grep -c 'listening on' "$OW_LOG")" 3 "runs"
n=$(find "$T/reports" -mindepth 1 -maxdepth 1 -type d | wc -l)
assert_eq "$n" 3 "bundles"
pids=""
for b in "$T"/reports/*/; do
        v=$(json "$b/incident.json" .verdict)
        assert_eq "$v" oom-kill "verdict in $b"
        pid=$(json "$b/incident.json" .target.pid)
        for f in "$b"/dumps/*.heap; do
                case $(basename "$f") in
                oomwatch."$pid".*) ;;
                *) fail "bundle of pid $pid holds $(basename "$f")" ;;
                esac
        done
        pids="$pids $pid"
done
assert_eq "$(echo "$pids" | tr ' ' '\n' | sort -u | grep -c .)" 3 "distinct pids"
assert_no_ow_cgroups
