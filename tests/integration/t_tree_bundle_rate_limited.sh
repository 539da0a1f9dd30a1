#!/bin/bash
# Promise 29: repeated OOM kills in the tree are rate-limited and counted.
# With report.bundle_limit = 2/10m, four successive kills of a pre-fork
# server's worker give two bundles (the first two victims'), then for the
# others a line on stderr, an oom_unbundled event each, their dumps deleted
# (no evidence piles up); the next bundle would count them, and the summary
# at exit does: "2 OOM kills in the target's tree had no bundle".
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/prefork_lib.sh"

prefork_build
port=$(prefork_ports 1) || fail "no free TCP port"
printf '[report]\nbundle_limit = 2/10m\nevents = %s\n' "$T/events.jsonl" >"$T/c.conf"
ow_start -c "$T/c.conf" -m 48M -- "$PREFORK" --port "$port" --workers 1
prefork_up
victims=()
for kill in 1 2 3 4; do
        prefork_kill_worker "$port" 4
        worker=$WORKER
        victims+=("$worker")
        named() { grep -q "OOM-killed: pid $1 " "$OW_LOG"; }
        WAIT_TIMEOUT=20 wait_for named "$worker" || fail "kill $kill: oomwatch did not name the victim: $(tail -n 3 "$OW_LOG")"
done
complete() { [ "$(find "$T/reports" -mindepth 2 -maxdepth 2 -name incident.json ! -path "*/.*/*" | wc -l)" -ge 2 ]; }
WAIT_TIMEOUT=20 wait_for complete || fail "not two bundles: $(ls "$T/reports")"
sleep 0.5
assert_eq "$(find "$T/reports" -mindepth 1 -maxdepth 1 -type d ! -name ".*" | wc -l)" 2 "bundles"
got=$(jq -r '.victim.pid' "$T"/reports/*/incident.json | sort -n | xargs)
assert_eq "$got" "$(printf '%s\n' "${victims[0]}" "${victims[1]}" | sort -n | xargs)" "the bundled victims (the first two)"
grep -q "no bundle for the OOM kill of pid ${victims[2]}: report.bundle_limit (2 per 600 s) reached" "$OW_LOG" ||
        fail "the third kill was not said to be over the limit: $(grep -i bundle "$OW_LOG")"
assert_eq "$(jq -c 'select(.event == "oom_unbundled") | .pid' "$T/events.jsonl" | xargs)" "${victims[2]} ${victims[3]}" \
        "oom_unbundled events"
# (a dump the kill cut short before it had a header is no dump: the window
# leaves such files alone, named in the log)
heap_dumps_of() { for f in "$T"/dumps/oomwatch."$1".*; do [ "$(head -c 8 "$f" 2>/dev/null)" = heap_v2/ ] && echo "${f##*/}"; done; }
for v in "${victims[2]}" "${victims[3]}"; do
        [ -z "$(heap_dumps_of "$v")" ] || fail "the dumps of $v (no bundle) stayed: $(heap_dumps_of "$v" | xargs)"
done
kill -TERM "$OW_PID"
ow_wait || fail "oomwatch did not stop"
grep -q "2 OOM kills in the target's tree had no bundle (report.bundle_limit 2 per 600 s)" "$OW_LOG" ||
        fail "no summary of the kills without a bundle: $(tail -n 3 "$OW_LOG")"
grep -q "4 processes of the target's tree were OOM-killed during the run" "$OW_LOG" || fail "the kills were not counted"
assert_no_ow_cgroups
