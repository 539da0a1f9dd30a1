#!/bin/bash
# warn_at dumps go where the memory is. A pre-fork server whose master holds
# 8 MiB and takes dumps of its own (oomwatch dump --pid MASTER, five times,
# with keep = 3): its worker 0 grows until it is OOM-killed. The 90, 95 and
# 98% dumps are taken of that worker, not of the master (at least the 90%
# and one more: thresholds passed within one sample give one dump); its bundle holds
# them and diffs its newest (or a later one); the master's dumps did not
# crowd them out. (Usage step dumps go to whoever holds the memory when the
# step is passed: at the start that is the master, with its 8 MiB.)
# The thresholds re-arm once the usage falls (the worker died, the master
# forked a new one): the new worker's growth fires them again, for it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/prefork_lib.sh"

prefork_build
port=$(prefork_ports 2) || fail "no two free ports"
printf '[dumps]\nkeep = 3\n' >"$T/c.conf"
ow_start -v -c "$T/c.conf" -m 96M -- "$PREFORK" --port "$port" --workers 2 --master-mb 8
prefork_up
master=$MASTER
for i in 1 2 3 4 5; do
        f=$("$OW_BIN" dump --pid "$master" "$OW_PID") || fail "oomwatch dump --pid $master failed"
        [[ $f == */oomwatch.$master.*.m*.heap ]] || fail "the master's dump is named '$f'"
done
bundles() { find "$T/reports" -mindepth 1 -maxdepth 1 -type d ! -name ".*" 2>/dev/null | sort; }
for kill in 1 2; do
        # 1 MiB a request: with 2 MiB one request can go from below 98% of
        # the limit (94 MiB of 96) to the kill, and the 98% dump then finds
        # the worker dying (it goes to the processes left)
        from=$(($(wc -l <"$OW_LOG") + 1))
        prefork_kill_worker "$port" 1
        worker=$WORKER
        has_bundles() { [ "$(bundles | wc -l)" -ge "$1" ] && [ -f "$(bundles | tail -n 1)/incident.json" ]; }
        WAIT_TIMEOUT=20 wait_for has_bundles "$kill" || fail "kill $kill: no bundle: $(tail -n 5 "$OW_LOG")"
        # this climb's threshold dumps: all of the worker, at least two of
        # 90, 95 and 98 (thresholds passed within one sample give one dump,
        # for the highest: a slow machine's samples can span 95 and 98)
        tail -n "+$from" "$OW_LOG" | grep "memory at [0-9]*% of the limit: taking a dump of pid" >"$T/thr.$kill"
        grep -v "of pid $worker\$" "$T/thr.$kill" && fail "kill $kill: a threshold dump not of the worker $worker"
        assert_ge "$(grep -c "memory at \(90\|95\|98\)% of the limit" "$T/thr.$kill")" 2 \
                "kill $kill: threshold dumps of the worker $worker ($(tr '\n' ';' <"$T/thr.$kill"))"
        grep -q "memory at 90% of the limit" "$T/thr.$kill" || fail "kill $kill: no 90% dump of the worker"
        grep -q "memory at [0-9]*% of the limit: taking a dump of pid $master\$" "$OW_LOG" &&
                fail "kill $kill: a threshold dump went to the master"
        j=$(bundles | tail -n 1)/incident.json
        echo "kill $kill: $(jq -c '{victim: .victim.pid, new: .diff.new, m: [.dumps[] | select(.kind == "m") | .seq]}' "$j")"
        assert_eq "$(json "$j" .victim.pid)" "$worker" "kill $kill: victim"
        assert_ge "$(json "$j" '[.dumps[] | select(.kind == "m" and .pid == '"$worker"')] | length')" 2 \
                "kill $kill: the worker's threshold dumps in its bundle"
        # the diff's newest dump is the worker's, no older than its last threshold dump
        new=$(json "$j" .diff.new)
        [[ $new == dumps/oomwatch.$worker.*.heap ]] || fail "kill $kill: the diff's newest dump is not the worker's: $new"
        new_seq=$(json "$j" '.dumps[] | select(.file == "'"$new"'") | .seq')
        last_m=$(json "$j" '[.dumps[] | select(.kind == "m" and .pid == '"$worker"') | .seq] | max')
        assert_ge "$new_seq" "$last_m" "kill $kill: seq of the diff's newest dump (the last threshold dump is $last_m)"
        assert_eq "$(json "$j" '.diff.top[0].function')" worker_leak "kill $kill: top grower"
done
grep -q "threshold is armed" "$OW_LOG" || fail "the thresholds never re-armed"
kill -0 "$master" 2>/dev/null || fail "the master is gone"
# the master's own dumps stayed in the window: its baseline (its first dump,
# a step dump when it held the memory at the start) and newest 3
assert_eq "$(ls "$T/dumps" | grep -c "^oomwatch\.$master\.")" 4 "the master's dumps in the window (keep = 3 + baseline)"
assert_ge "$(ls "$T/dumps" | grep -c "^oomwatch\.$master\..*\.m")" 3 "the master's own dumps among them"
kill -TERM "$OW_PID"
ow_wait || fail "oomwatch did not stop"
assert_eq "$OW_STATUS" 0 "oomwatch's status (the master's)"
assert_no_ow_cgroups
