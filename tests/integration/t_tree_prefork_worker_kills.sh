#!/bin/bash
# Promise 29: a pre-fork server (tests/programs/prefork_server.c: a master
# that forks two workers and forks a new one for every worker that dies)
# whose worker leaks in worker_leak(). Two successive OOM kills of a worker
# give two bundles, one each, made while the master runs on: each names
# worker_leak on top and its own victim's pid (from the kernel's record),
# with the master as the target and the victim as its child. The master is
# never killed; oomwatch runs on until SIGTERM and then exits with the
# master's own status (3).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/prefork_lib.sh"

prefork_build
port=$(prefork_ports 2) || fail "no two free ports"
ow_start -m 64M -- "$PREFORK" --port "$port" --workers 2 --exit-status 3
prefork_up
master=$MASTER
bundles() { find "$T/reports" -mindepth 1 -maxdepth 1 -type d ! -name ".*" 2>/dev/null | sort; }
for kill in 1 2; do
        prefork_kill_worker "$port"
        victim=$WORKER
        has_bundles() { [ "$(bundles | wc -l)" -ge "$1" ] && [ -f "$(bundles | tail -n 1)/incident.json" ]; }
        WAIT_TIMEOUT=20 wait_for has_bundles "$kill" || fail "kill $kill: no bundle: $(tail -n 5 "$OW_LOG")"
        b=$(bundles | tail -n 1)
        j=$b/incident.json
        echo "kill $kill: $(jq -c '{victim, top: .diff.top[0].function, site: .diff.sites[0].function, analysis_ms}' "$j")"
        assert_eq "$(json "$j" .verdict)" oom-kill "kill $kill: verdict"
        assert_eq "$(json "$j" .victim.pid)" "$victim" "kill $kill: victim pid"
        assert_eq "$(json "$j" .victim.relation)" child "kill $kill: victim's relation"
        assert_eq "$(json "$j" .victim.exe)" "$PREFORK" "kill $kill: victim's executable"
        [ "$(json "$j" .victim.source)" = kmsg ] || [ ! -r /dev/kmsg ] || fail "kill $kill: /dev/kmsg is readable but the victim came from '$(json "$j" .victim.source)'"
        assert_eq "$(json "$j" .target.pid)" "$master" "kill $kill: target pid"
        assert_eq "$(json "$j" .target.signal)" null "kill $kill: the target's signal (it lives)"
        assert_eq "$(json "$j" '.diff.top[0].function')" worker_leak "kill $kill: top grower"
        [ "$(json "$j" '[.dumps[].pid] | unique | join(",")')" = "$victim" ] ||
                fail "kill $kill: the bundle holds dumps of other processes: $(json "$j" '[.dumps[].pid] | unique')"
        grep -q "OOM-killed:   pid $victim (.*prefork.*), a child of the target" "$b/report.txt" ||
                fail "kill $kill: report.txt does not name the victim: $(head -n 6 "$b/report.txt")"
        # (a file the kill cut short before its header is no dump: left alone)
        for f in "$T"/dumps/oomwatch."$victim".*; do
                [ "$(head -c 8 "$f" 2>/dev/null)" = heap_v2/ ] && fail "kill $kill: the victim's dump ${f##*/} stayed in the window"
        done
        proc_gone "$OW_PID" && fail "kill $kill: oomwatch exited"
        kill -0 "$master" 2>/dev/null || fail "kill $kill: the master is gone"
done
assert_eq "$(grep -c 'died of signal' "$T/oomwatch.out")" 2 "workers killed (worker 0 twice, nothing else)"
kill -TERM "$OW_PID"
ow_wait || fail "oomwatch did not stop on SIGTERM"
assert_eq "$OW_STATUS" 3 "oomwatch's status (the master's own)"
grep -q "^master exits 3" "$T/oomwatch.out" || fail "the master did not exit by itself: $(tail -n 3 "$T/oomwatch.out")"
grep -q "2 processes of the target's tree were OOM-killed during the run" "$OW_LOG" ||
        fail "no summary of the kills in the tree: $(tail -n 3 "$OW_LOG")"
assert_no_ow_cgroups
