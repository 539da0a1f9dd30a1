#!/bin/bash
# The incident page of a run that ended with its supervisor (verdict
# unobserved-kill), as headless Chromium draws it. leaky-server under
# oomwatch leaks for a while; oomwatch is SIGKILLed (as a group OOM kill
# takes it), the target goes with it; the next start with the same dump
# directory writes that run's bundle from its run record. Its incident.html
# must plot the dead run: one usage point per sample of the record (read
# back from the DOM the page's script drew), a heap point per dump, the
# start and the end ("last seen") marked, no OOM kill claimed (the counters
# did not rise), and the flame graph with process_leak. A screenshot (kept
# as $OOMWATCH_BUILD/test-browser/unobserved.png) must show the usage line
# where the DOM says it is.
# Needs chromium (scripts/install-deps.sh installs it) and zlib for pngstat.c.
. "$(dirname "$0")/../integration/lib.sh"

. "$(dirname "$0")/browser_lib.sh"

D=$T/dumps
record=$D/.oomwatch/oomwatch-run.json
ow_start_leaky -m 128M
for i in $(seq 6); do curl -s -o /dev/null --max-time 10 "$LEAKY_URL/leak?mb=8"; done
# samples come with the supervisor's events (dumps here): asked for until
# the record has three
samples() { jq '.samples.usage | length' "$record" 2>/dev/null || echo 0; }
three_samples() {
        [ "$(samples)" -ge 3 ] && return 0
        curl -s -o /dev/null --max-time 10 "$LEAKY_URL/leak?mb=1"
        "$OW_BIN" dump "$D" >/dev/null 2>&1
        [ "$(samples)" -ge 3 ]
}
wait_for three_samples || fail "the run record has no series of samples: $(cat "$record")"
target=$(pgrep -P "$OW_PID" -f leaky-server | head -n 1)
kill -KILL "$OW_PID"
wait "$OW_PID" 2>/dev/null
OW_PID=
[ -n "$target" ] && { WAIT_TIMEOUT=5 wait_for proc_gone "$target" || fail "the target outlived its supervisor"; }
n=$(samples)
old_cg=$(json "$record" .cgroup.path)
at_exit "cg_rm '$old_cg'"   # the dead supervisor's (empty) cgroup

"$OW_BIN" run -q -m 64M -d "$D" -r "$T/reports" -- true 2>"$T/2.log" || fail "the next start failed: $(cat "$T/2.log")"
b=$(ow_bundle)
assert_eq "$(json "$b/incident.json" .verdict)" unobserved-kill "verdict"
page=$b/incident.html
[ -s "$page" ] || fail "the bundle has no incident.html: $(ls "$b")"

W=1280 H=1300
draw "file://$page"
echo "the dead run's record: $n samples"
assert_ge "$n" 3 "samples in the record"
assert_eq "$(q .usage_points)" "$n" "usage points drawn (one per sample of the record)"
assert_eq "$(grep -o 'class="usage-pt"' "$T/dom.html" | wc -l)" "$n" "usage circles in the DOM"
assert_ge "$(q .heap_points)" 2 "heap points (one per dump of the dead run)"
assert_eq "$(q .marks.start)" 1 "start marks"
assert_eq "$(q .marks.exit)" 1 "the end's mark"
assert_eq "$(q .kill_marker)" false "an OOM kill marker (the counters did not rise)"
grep -q '<title>last seen (no-oom-counted) at ' "$T/dom.html" || fail "the end's mark has no 'last seen' title"
grep -q '<g class="frame[^"]*" data-name="process_leak">' "$T/dom.html" || fail "no process_leak frame in the flame graph"
grep -q 'unobserved-kill, pid '"$target" "$T/dom.html" || fail "the subtitle does not name the verdict and the dead target"

out=$BUILD/test-browser
mkdir -p "$out" || fail "cannot create $out"
shot=$out/unobserved.png
rm -f "$shot"
chrome --virtual-time-budget=5000 --hide-scrollbars --window-size="$W,$H" --screenshot="$shot" "file://$page" >/dev/null ||
        fail "chromium --screenshot failed"
[ -s "$shot" ] || fail "no screenshot"
# the usage line (#1f5fbf) where the DOM says it is: a line across its box
# has about as many pixels as the box is long (antialiased: a third of it)
ub() { q ".usage_box.$1"; }
ux=$(ub x) uy=$(ub y) uw=$(ub w) uh=$(ub h)
stats=$("$T/pngstat" "$shot" "$((ux - 2))" "$((uy - 2))" "$((ux + uw + 2))" "$((uy + uh + 2))" 1f5fbf 40) ||
        fail "cannot read the screenshot"
echo "usage line (box ${uw}x$uh at $ux,$uy) in the screenshot: $(sed -n 2p <<<"$stats")"
read -r _ match _ _ <<<"$(sed -n 2p <<<"$stats")"
assert_ge "$uw" 20 "the usage line's width on screen"
assert_ge "$((match * 3))" "$((uw > uh ? uw : uh))" "pixels of the usage line's colour (x3, against its box's length)"
cp "$page" "$out/unobserved.html"
cg_rm "$old_cg"
assert_no_ow_cgroups
