#!/bin/bash
# The incident page of a real OOM kill, as headless Chromium draws it.
# leaky-server under oomwatch leaks until it is OOM-killed; its bundle's
# incident.html is loaded with a search for process_leak in its URL
# (#search=...), and what the page's script drew is read back from the
# rendered DOM (its #state summary and the SVG elements themselves):
# - the flame graph has process_leak's frame, the search highlights it, and
#   the bytes it matched are process_leak's growth in incident.json;
# - the memory plot has one point per usage sample in the page's data and
#   a heap point per dump, the limit line and the OOM kill marker;
# - the trend shows process_leak as a suspect with its series;
# - #zoom=process_leak zooms to that frame.
# A screenshot (kept as $OOMWATCH_BUILD/test-browser/incident.png) must show
# the highlighted frame in the highlight colour and the kill marker in red
# where the DOM says they are. The page must need no network: no external
# URL in it, and a Content-Security-Policy forbidding every fetch.
# Needs chromium (scripts/install-deps.sh installs it) and zlib for pngstat.c.
. "$(dirname "$0")/../integration/lib.sh"

. "$(dirname "$0")/browser_lib.sh"

ow_start_leaky -m 64M
leak_until_gone 2
WAIT_TIMEOUT=60 ow_wait || fail "oomwatch did not exit after the leak"
assert_eq "$OW_STATUS" 137 "oomwatch exit status"
b=$(ow_bundle)
page=$b/incident.html
[ -s "$page" ] || fail "the bundle has no incident.html: $(ls "$b")"

# self-contained: the only URL is the SVG namespace; nothing is loaded
urls=$(grep -oE '(https?|ftp)://[^"'"'"' )<>]*' "$page" | grep -v '^http://www.w3.org/2000/svg$' || true)
[ -z "$urls" ] || fail "external references in the page: $urls"
grep -Eq '<(link|img|iframe|object|embed)[ >]|<script [^>]*src=' "$page" && fail "the page loads something"
grep -q "Content-Security-Policy\" content=\"default-src 'none'" "$page" || fail "no CSP forbidding fetches"

W=1280 H=1300
draw "file://$page#search=process_leak"
data=$(page_data "$page")
jq -e . <<<"$data" >/dev/null || fail "the page's data is not JSON"

# (a) the flame graph: the leaking frame is drawn, the search highlights it
grep -q '<g class="frame[^"]*" data-name="process_leak">' "$T/dom.html" || fail "no process_leak frame in the drawn flame graph"
assert_ge "$(q .frames)" 3 "frames drawn"
assert_eq "$(q '.highlighted | index("process_leak") != null')" true "process_leak highlighted by the search"
grep -q '<g class="frame match" data-name="process_leak">' "$T/dom.html" || fail "process_leak's frame does not carry the match class"
want=$(jq -r '[.diff.top[] | select(.function == "process_leak") | .cum_bytes][0]' "$b/incident.json")
assert_eq "$(q .matched_bytes)" "$want" "bytes the search matched (process_leak's growth in incident.json)"

# (b) the run: a point per sample, a heap point per dump, the kill marker
n_usage=$(jq '.run.usage | length' <<<"$data")
assert_ge "$n_usage" 2 "usage samples in the page's data"
assert_eq "$(q .usage_points)" "$n_usage" "usage points drawn"
assert_eq "$(grep -o 'class="usage-pt"' "$T/dom.html" | wc -l)" "$n_usage" "usage circles in the DOM"
assert_eq "$(q .heap_points)" "$(jq '.run.heap | length' <<<"$data")" "heap points drawn"
assert_ge "$(q .heap_points)" 2 "heap points"
assert_eq "$(q .kill_marker)" true "kill marker"
assert_eq "$(q .marks.oom)" 1 "OOM kill marks"
assert_ge "$(q '.marks.dump // 0')" 1 "dump marks"
assert_ge "$(q '.marks.threshold // 0')" 1 "threshold marks"
grep -q 'class="limit"' "$T/dom.html" || fail "no limit line"
# (c) the trend
assert_ge "$(q .suspects)" 1 "suspects shown"
grep -q '<div class="name">process_leak</div>' "$T/dom.html" || fail "process_leak is not among the trend's suspects"

# zoom by fragment
chrome --virtual-time-budget=5000 --window-size="$W,$H" --dump-dom "file://$page#zoom=process_leak" >"$T/zoom.html" ||
        fail "chromium --dump-dom (zoom) failed"
zst=$(page_state "$T/zoom.html")
assert_eq "$(jq -r .zoom <<<"$zst")" process_leak "zoomed frame after #zoom=process_leak"

# the picture
out=$BUILD/test-browser
mkdir -p "$out" || fail "cannot create $out"
shot=$out/incident.png
rm -f "$shot"
chrome --virtual-time-budget=5000 --hide-scrollbars --window-size="$W,$H" --screenshot="$shot" \
        "file://$page#search=process_leak" >/dev/null || fail "chromium --screenshot failed"
[ -s "$shot" ] || fail "no screenshot"
hb() { q ".highlighted_box.$1"; }
kb() { q ".kill_box.$1"; }
x0=$(($(hb x) + 3)) y0=$(($(hb y) + 3)) x1=$(($(hb x) + $(hb w) - 3)) y1=$(($(hb y) + $(hb h) - 3))
stats=$("$T/pngstat" "$shot" "$x0" "$y0" "$x1" "$y1" e600e6 24) || fail "cannot read the screenshot"
echo "highlighted frame in the screenshot: $stats"
read -r pw ph colours _ <<<"$(head -n 1 <<<"$stats")"
read -r _ match _ total <<<"$(sed -n 2p <<<"$stats")"
assert_eq "$pw" "$W" "screenshot width"
assert_ge "$colours" 20 "distinct colours in the screenshot"
assert_ge "$((match * 10))" "$((total * 5))" "highlight-coloured pixels of process_leak's frame (x10, against 5 x $total)"
kx=$(kb x) ky=$(kb y) kw=$(kb w) kh=$(kb h)
stats=$("$T/pngstat" "$shot" "$((kx - 1))" "$((ky + 2))" "$((kx + kw + 2))" "$((ky + kh - 2))" dd0000 40) ||
        fail "cannot read the screenshot"
echo "kill marker in the screenshot: $(sed -n 2p <<<"$stats")"
read -r _ match _ total <<<"$(sed -n 2p <<<"$stats")"
assert_ge "$((match * 10))" "$((total * 3))" "red pixels of the kill marker (x10, against 3 x $total)"
cp "$page" "$out/incident.html"
assert_no_ow_cgroups
