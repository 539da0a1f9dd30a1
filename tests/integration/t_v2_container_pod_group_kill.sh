#!/bin/bash
# cgroup v2 only (make test-v2 runs it in a VM). The container of pod_lib.sh
# (unprivileged, own-cgroup mode, see t_v2_container_pod_unprivileged) with
# memory.oom.group = 1, what Kubernetes 1.28+ sets: the kill takes the whole
# container, oomwatch included; no bundle, the record says "running".
# Started again the same way with the same volume, oomwatch first writes the
# earlier run's bundle (unobserved-kill, cause oom-group-kill from
# memory.events, process_leak on top, its incident page plotting the dead
# run's samples), then runs the target. Measured: that bundle's analysis_ms
# and the analysis's peak RSS.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pod_lib.sh"

container b 1
leak
un_wait
# unshare(1) reports its child's death by a signal in its own way (1 here)
[ "$ST" != 0 ] || fail "container b exited 0 after the group kill"
assert_eq "$(cat "$C/cgroup.procs")" "" "processes left in container b after the group kill"
assert_eq "$(bundles)" "" "bundles right after the group kill"
assert_ge "$(awk '$1 == "oom_group_kill" { print $2 }' "$C/memory.events")" 1 "oom_group_kill of container b"
assert_eq "$(json "$vol/dumps/.oomwatch/oomwatch-run.json" .state)" running "the run record after the group kill"
# (the kill may cut a dump short before its header: no dump, in no bundle)
ndumps=$(for f in "$vol"/dumps/oomwatch.*.heap; do [ "$(head -c 8 "$f" 2>/dev/null)" = heap_v2/ ] && echo; done | wc -l)
assert_ge "$ndumps" 2 "dumps left by the killed run"
# the same way again, with the same volume
container b 1
b=$(bundles)
[ -n "$b" ] && [ "$(echo "$b" | wc -l)" = 1 ] || fail "expected the earlier run's bundle, found: $b; $(cat "$LOG")"
grep -n "incident bundle:\|listening on" "$LOG"
first=$(grep -n "incident bundle:" "$LOG" | head -n 1 | cut -d: -f1)
served=$(grep -n "listening on" "$LOG" | head -n 1 | cut -d: -f1)
[ -n "$first" ] && [ "$first" -lt "$served" ] || fail "the bundle was not written before the target started: $(cat "$LOG")"
assert_eq "$(json "$b/incident.json" .verdict)" unobserved-kill "verdict"
assert_eq "$(json "$b/incident.json" .unobserved.cause)" oom-group-kill "cause"
assert_ge "$(json "$b/incident.json" .unobserved.counters.oom_group_kill)" 1 "oom_group_kill rise"
assert_eq "$(json "$b/incident.json" '.diff.top[0].function')" process_leak "top grower"
assert_eq "$(find "$b/dumps" -name '*.heap' | wc -l)" "$ndumps" "dumps in the bundle"
grep -q '^last seen: ' "$b/report.txt" || fail "report.txt: $(head -n 20 "$b/report.txt")"
# its incident page plots the dead run's samples from the record
assert_ge "$(page_data "$b/incident.html" | jq '.run.usage | length')" 1 "usage points of the dead run on its page"
arss=$(json "$b/incident.json" .analysis_peak_rss)
echo "measured: the earlier run's bundle at the restart in $(json "$b/incident.json" .analysis_ms) ms" \
        "(from the restart); the analysis's peak RSS $((arss >> 10)) kB ($(pct "$arss" $((64 << 20))) of the limit);" \
        "oomwatch VmRSS $(awk '/^VmRSS:/ { print $2 }' "/proc/$PID1/status") kB with the service up again"
kill -TERM "$PID1"
un_wait
assert_eq "$ST" 0 "status after SIGTERM to the restarted container (the service exits 0)"
assert_eq "$(json "$vol/dumps/.oomwatch/oomwatch-run.json" .state)" ended "the run record after a clean end"
