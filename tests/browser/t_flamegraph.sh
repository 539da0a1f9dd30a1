#!/bin/bash
# The flame graph of a real incident, as a browser shows it. A real bundle
# comes from tests/integration/t_flamegraph_svg_wellformed.sh (leaky-server
# under oomwatch, /leak until the OOM kill; that test also checks the SVG is
# well-formed and self-contained). Then headless Chromium
# - loads growth.svg inside a probe page and reports, from the rendered
#   document: the frame whose <title> (its first child, the hover text) is
#   "process_leak (N bytes, P%)", its rectangle's box on screen (positive
#   width and height), its computed fill, and that the element at the box's
#   centre belongs to that frame (drawn, not covered);
# - takes a screenshot of growth.svg itself, which must not be blank (many
#   colours, most of the graph's area not white) and must show the process_leak
#   rectangle in its fill colour over most of its area.
# The screenshot is kept as $OOMWATCH_BUILD/test-browser/flamegraph.png.
# Needs chromium (scripts/install-deps.sh installs it)
# and a C compiler with zlib for tests/browser/pngstat.c; skips without them.
. "$(dirname "$0")/../integration/lib.sh"

. "$(dirname "$0")/browser_lib.sh"

# a real incident's growth.svg
OOMWATCH_BUILD=$BUILD FLAMEGRAPH_OUT_DIR=$T/bundle \
        bash "$REPO/tests/integration/t_flamegraph_svg_wellformed.sh" >"$T/bundle.log" 2>&1
rc=$?
[ "$rc" = 77 ] && skip "no bundle: $(sed -n 's/^SKIP: //p' "$T/bundle.log" | tail -n 1)"
[ "$rc" = 0 ] || fail "making the bundle failed: $(cat "$T/bundle.log")"
svg=$T/bundle/growth.svg
[ -s "$svg" ] || fail "no growth.svg from the bundle"
read -r svg_w svg_h < <(sed -nE 's/^<svg [^>]*width="([0-9]+)" height="([0-9]+)".*/\1 \2/p' "$svg" | head -n 1)
[ -n "$svg_w" ] || fail "growth.svg has no width and height on its root"
win_h=$((svg_h > 800 ? svg_h : 800))

# 1. the rendered document, through a probe page next to the SVG
cat >"$T/bundle/probe.html" <<EOF
<!DOCTYPE html>
<html><head><meta charset="utf-8"><style>html, body { margin: 0 }</style></head>
<body><object id="graph" type="image/svg+xml" data="growth.svg" width="$svg_w" height="$svg_h"></object>
<pre id="out">PENDING</pre>
<script>
window.addEventListener('load', function () {
        var lines = [];
        try {
                var d = document.getElementById('graph').contentDocument;
                if (!d || !d.documentElement || d.documentElement.localName !== 'svg')
                        throw 'the SVG did not load into the page';
                var titles = d.querySelectorAll('g > title');
                lines.push('FRAMES ' + titles.length);
                for (var i = 0; i < titles.length; i++) {
                        var t = titles[i], g = t.parentNode, r = g.querySelector('rect');
                        if (!/^process_leak \(/.test(t.textContent) || !r)
                                continue;
                        var b = r.getBoundingClientRect(), s = getComputedStyle(r);
                        var hit = d.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2);
                        lines.push('LEAK x=' + Math.round(b.left) + ' y=' + Math.round(b.top) +
                                   ' w=' + Math.round(b.width) + ' h=' + Math.round(b.height) +
                                   ' fill=' + s.fill.replace(/ /g, '') + ' visibility=' + s.visibility +
                                   ' first=' + (g.firstElementChild === t) +
                                   ' hit=' + (hit && hit.closest('g') === g ? 'frame' : hit ? hit.localName : 'none') +
                                   ' title=' + t.textContent);
                }
        } catch (e) {
                lines.push('ERROR ' + e);
        }
        document.getElementById('out').textContent = lines.join('\n');
});
</script></body></html>
EOF
chrome --allow-file-access-from-files --virtual-time-budget=10000 --window-size="$svg_w,$win_h" \
        --dump-dom "file://$T/bundle/probe.html" >"$T/dom.html" || fail "chromium --dump-dom failed: $(tail -n 5 "$T/chromium.log")"
report=$(sed -n '/<pre id="out">/,/<\/pre>/p' "$T/dom.html" | sed 's/<[^>]*>//g')
echo "$report"
grep -q '^ERROR' <<<"$report" && fail "the probe page failed: $report"
grep -q PENDING <<<"$report" && fail "the probe page's script did not run: $(head -c 500 "$T/dom.html")"
leak=$(grep '^LEAK ' <<<"$report" | sort -t= -k4 -n -r | head -n 1)
[ -n "$leak" ] || fail "Chromium's document has no frame titled process_leak: $report"
field() { sed -nE "s/.* $1=([^ ]*).*/\1/p" <<<"$leak"; }
x=$(field x) y=$(field y) w=$(field w) h=$(field h) fill=$(field fill)
assert_ge "$w" 1 "on-screen width of process_leak's frame"
assert_ge "$h" 1 "on-screen height of process_leak's frame"
assert_eq "$(field visibility)" visible "visibility of process_leak's frame"
assert_eq "$(field first)" true "<title> is the frame's first child (its hover text)"
assert_eq "$(field hit)" frame "what is drawn at the centre of process_leak's frame"
grep -Eq 'title=process_leak \(≈[0-9.]+ [KMG]iB, [0-9]+ bytes, [0-9.]+%\)' <<<"$leak" || fail "unexpected title: $leak"
[[ $fill =~ ^rgb\(([0-9]+),([0-9]+),([0-9]+)\)$ ]] || fail "unexpected fill '$fill'"
hex=$(printf '%02x%02x%02x' "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" "${BASH_REMATCH[3]}")

# 2. the picture
out=$BUILD/test-browser
mkdir -p "$out" || fail "cannot create $out"
shot=$out/flamegraph.png
rm -f "$shot"
chrome --screenshot="$shot" --window-size="$svg_w,$win_h" "file://$svg" >/dev/null ||
        fail "chromium --screenshot failed: $(tail -n 5 "$T/chromium.log")"
[ -s "$shot" ] || fail "no screenshot written: $(tail -n 5 "$T/chromium.log")"
cp "$svg" "$out/growth.svg"
# inside the frame's box, away from its rounded corners and border
x0=$((x + 3)) y0=$((y + 2)) x1=$((x + w - 3)) y1=$((y + h - 2))
[ "$x1" -gt "$x0" ] && [ "$y1" -gt "$y0" ] || fail "process_leak's frame is too small to check: $leak"
stats=$("$T/pngstat" "$shot" "$x0" "$y0" "$x1" "$y1" "$hex") || fail "cannot read the screenshot"
echo "screenshot $shot: $stats"
read -r pw ph colours nonwhite <<<"$(head -n 1 <<<"$stats")"
read -r _ match _ total <<<"$(sed -n 2p <<<"$stats")"
assert_eq "$pw" "$svg_w" "screenshot width"
assert_ge "$colours" 10 "distinct colours in the screenshot"
# the graph's background and frames cover its area: most of it is not white
assert_ge "$((nonwhite * 2))" "$((svg_w * svg_h))" "non-white pixels (twice) against the graph's area"
# the frame is painted in its colour; its label covers only a small part of it
assert_ge "$((match * 10))" "$((total * 6))" "pixels of process_leak's frame in its fill #$hex (times 10, against 6 x $total)"
exit 0
