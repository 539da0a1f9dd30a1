#!/bin/bash
# The incident page after a restart, as headless Chromium draws it.
# leaky-server under oomwatch (restart = on-oom, max_restarts = 1) is
# OOM-killed, restarted, leaks and is OOM-killed again. The second bundle's
# incident.html plots both runs on one time axis: the page's script drew
# two start marks, the restart mark with its label, two OOM kill marks, a
# usage point per sample in the page's data, with samples before and after
# the restart, and the kill marker at the last kill.
# Needs chromium (scripts/install-deps.sh installs it) and zlib for pngstat.c.
. "$(dirname "$0")/../integration/lib.sh"

. "$(dirname "$0")/browser_lib.sh"

cat > "$T/c.conf" <<CONF
[target]
restart = on-oom
max_restarts = 1
restart_delay = 100ms
CONF
ow_start_leaky -m 64M -c "$T/c.conf"
curl -s -o /dev/null --max-time 60 "$LEAKY_URL/oom"
first() { [ "$(find "$T/reports" -name incident.json | wc -l)" -ge 1 ]; }
WAIT_TIMEOUT=60 wait_for first || fail "no bundle after the first OOM kill: $(tail "$OW_LOG")"
restarted() { [ "$(grep -c "listening on" "$OW_LOG")" -ge 2 ]; }
WAIT_TIMEOUT=30 wait_for restarted || fail "the target was not restarted: $(tail "$OW_LOG")"
leak_until_gone 2
WAIT_TIMEOUT=60 ow_wait || fail "oomwatch did not exit after the second OOM kill"
assert_eq "$OW_STATUS" 137 "oomwatch's exit status"
b=$(find "$T/reports" -name incident.json -printf '%T@ %h\n' | sort -n | tail -n 1 | cut -d' ' -f2)
assert_eq "$(find "$T/reports" -name incident.json | wc -l)" 2 "bundles"
page=$b/incident.html
[ -s "$page" ] || fail "the second bundle has no incident.html: $(ls "$b")"
data=$(page_data "$page")
restart_t=$(jq '[.run.marks[] | select(.kind == "restart") | .t][0]' <<<"$data")
[ "$restart_t" != null ] || fail "no restart in the page's data: $(jq -c .run.marks <<<"$data")"
assert_ge "$(jq "[.run.usage[] | select(.[0] < $restart_t)] | length" <<<"$data")" 1 "usage samples before the restart"
assert_ge "$(jq "[.run.usage[] | select(.[0] > $restart_t)] | length" <<<"$data")" 1 "usage samples after it"

W=1280 H=1300
draw "file://$page"
assert_eq "$(q .marks.start)" 2 "start marks"
assert_eq "$(q .marks.restart)" 1 "restart marks"
assert_eq "$(q .marks.oom)" 2 "OOM kill marks"
assert_eq "$(q .kill_marker)" true "kill marker"
assert_eq "$(q .usage_points)" "$(jq '.run.usage | length' <<<"$data")" "usage points drawn"
grep -q '<text class="mark-label restart"[^>]*>restart 1</text>' "$T/dom.html" || fail "no 'restart 1' label drawn"
grep -q 'class="mark mark-restart"' "$T/dom.html" || fail "no restart line drawn"
# the kill marker drawn is the last kill, right of the restart
kx=$(q .kill_box.x)
rx=$(grep -o '<line class="mark mark-restart" x1="[0-9.]*"' "$T/dom.html" | head -n 1 | grep -o '[0-9.]*"$' | tr -d '"')
[ -n "$rx" ] || fail "no restart line's position"
assert_ge "$kx" "${rx%.*}" "the kill marker's x (right of the restart line's)"
out=$BUILD/test-browser
mkdir -p "$out" || fail "cannot create $out"
chrome --virtual-time-budget=5000 --hide-scrollbars --window-size="$W,$H" --screenshot="$out/restart.png" \
        "file://$page" >/dev/null || fail "chromium --screenshot failed"
[ -s "$out/restart.png" ] || fail "no screenshot"
assert_no_ow_cgroups
