#!/bin/bash
# The growth.svg of a real incident (leaky-server under oomwatch, /leak until
# the kernel OOM-kills it) is a well-formed, self-contained SVG whose flame
# graph draws process_leak: a <g> frame titled "process_leak (N bytes, P%)"
# with a rectangle of positive width, N about the cum bytes incident.json
# gives process_leak, and the frame at least half as wide as the whole graph.
# Well-formedness is checked by a small XML checker here (always) and by
# xmllint --noout when libxml2-utils is installed; the checker first proves on
# broken SVGs that it rejects them. Self-contained: no script, no
# foreignObject, no href or url() outside the file, no http(s):// except the
# xmlns declarations.
# FLAMEGRAPH_OUT_DIR=DIR keeps growth.svg and incident.json there (the browser
# test, tests/browser/t_flamegraph.sh, loads that file).
. "$(dirname "$0")/lib.sh"

# xml_check FILE: prints the first well-formedness error and returns 1, or 0.
xml_check() {
        awk '
        function bad(msg) { print FILENAME ": " msg; err = 1; exit 1 }
        function entities(t, where,   i) {
                while ((i = index(t, "&")) > 0) {
                        t = substr(t, i)
                        if (!match(t, /^&(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9A-Fa-f]+);/))
                                bad("bad entity or bare & in " where ": " substr(t, 1, 20))
                        t = substr(t, RLENGTH + 1)
                }
        }
        { doc = doc $0 "\n" }
        END {
                if (err) exit 1
                s = doc; depth = 0; roots = 0
                while (length(s) > 0) {
                        i = index(s, "<")
                        text = i ? substr(s, 1, i - 1) : s
                        if (depth == 0 && text !~ /^[ \t\r\n]*$/) bad("text outside the root element")
                        entities(text, "text")
                        if (!i) break
                        s = substr(s, i)
                        if (substr(s, 1, 4) == "<!--") {
                                j = index(s, "-->"); if (!j) bad("unterminated comment")
                                s = substr(s, j + 3); continue
                        }
                        if (substr(s, 1, 2) == "<?") {
                                j = index(s, "?>"); if (!j) bad("unterminated <?")
                                s = substr(s, j + 2); continue
                        }
                        if (substr(s, 1, 9) == "<![CDATA[") {
                                if (depth == 0) bad("CDATA outside the root")
                                j = index(s, "]]>"); if (!j) bad("unterminated CDATA")
                                s = substr(s, j + 3); continue
                        }
                        if (substr(s, 1, 2) == "<!") {
                                if (roots) bad("<! after the root element")
                                j = index(s, ">"); s = substr(s, j + 1); continue
                        }
                        if (substr(s, 1, 2) == "</") {
                                if (!match(s, /^<\/[A-Za-z_:][-A-Za-z0-9_:.]*[ \t\r\n]*>/)) bad("malformed end tag: " substr(s, 1, 30))
                                name = substr(s, 3, RLENGTH - 3); sub(/[ \t\r\n]+$/, "", name)
                                if (depth == 0 || stack[depth] != name)
                                        bad("</" name "> does not close <" stack[depth] ">")
                                depth--; s = substr(s, RLENGTH + 1); continue
                        }
                        if (!match(s, /^<[A-Za-z_:][-A-Za-z0-9_:.]*/)) bad("malformed tag: " substr(s, 1, 30))
                        name = substr(s, 2, RLENGTH - 1); s = substr(s, RLENGTH + 1)
                        if (depth == 0 && roots++) bad("a second root element <" name ">")
                        split("", seen)
                        for (;;) {
                                had_space = match(s, /^[ \t\r\n]+/)
                                if (had_space) s = substr(s, RLENGTH + 1)
                                if (substr(s, 1, 2) == "/>") { s = substr(s, 3); break }
                                if (substr(s, 1, 1) == ">") { stack[++depth] = name; s = substr(s, 2); break }
                                if (!had_space) bad("attributes of <" name "> not separated by white space")
                                if (!match(s, /^[A-Za-z_:][-A-Za-z0-9_:.]*[ \t\r\n]*=[ \t\r\n]*("[^"<]*"|\047[^\047<]*\047)/))
                                        bad("malformed attribute in <" name ">: " substr(s, 1, 40))
                                a = substr(s, 1, RLENGTH); s = substr(s, RLENGTH + 1)
                                an = a; sub(/[ \t\r\n]*=.*/, "", an)
                                if (an in seen) bad("attribute " an " twice in <" name ">")
                                seen[an] = 1
                                v = a; sub(/^[^=]*=[ \t\r\n]*/, "", v)
                                entities(substr(v, 2, length(v) - 2), "attribute " an)
                        }
                }
                if (depth) bad("<" stack[depth] "> is never closed")
                if (!roots) bad("no root element")
        }' "$1"
}

# self_contained FILE: prints what refers outside the file and returns 1, or 0.
self_contained() {
        local f=$1 out
        out=$( {
                grep -noiE '<script|<foreignObject|@import' "$f"
                grep -noiE '(xlink:)?href[ ]*=[ ]*("[^#"][^"]*"|'"'"'[^#'"'"'][^'"'"']*'"'"')' "$f"
                grep -noiE 'url\([^#)][^)]*\)' "$f"
                sed -E 's/xmlns(:[a-z]+)?="http:\/\/www\.w3\.org\/[^"]*"//g' "$f" | grep -noiE 'https?://[^" <]*'
        } )
        [ -z "$out" ] && return 0
        echo "$f refers outside itself: $out"
        return 1
}

# The checkers must be able to fail.
good='<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg"><g><title>a &amp; b</title><rect width="1"/></g></svg>'
printf '%s\n' "$good" >"$T/good.svg"
xml_check "$T/good.svg" || fail "the XML checker rejects a well-formed file"
self_contained "$T/good.svg" || fail "the self-containment check rejects a self-contained file"
i=0
for broken in '<svg><g></svg>' '<svg><title>operator<</title></svg>' '<svg><title>a & b</title></svg>' \
              '<svg><rect width="1" width="2"/></svg>' '<svg><rect width=1/></svg>' '<svg></svg><svg></svg>' \
              '<svg><g></g>' 'text<svg/>'; do
        i=$((i + 1))
        printf '%s\n' "$broken" >"$T/broken$i.svg"
        xml_check "$T/broken$i.svg" >/dev/null && fail "the XML checker accepts a broken file: $broken"
done
for ext in '<svg xmlns="http://www.w3.org/2000/svg"><image href="http://example.org/x.png"/></svg>' \
           '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>' \
           '<svg xmlns="http://www.w3.org/2000/svg"><rect fill="url(https://example.org/p)"/></svg>' \
           '<svg xmlns="http://www.w3.org/2000/svg"><use xlink:href="other.svg#a"/></svg>'; do
        printf '%s\n' "$ext" >"$T/ext.svg"
        self_contained "$T/ext.svg" >/dev/null && fail "the self-containment check accepts: $ext"
done

# A real incident.
command -v curl >/dev/null || skip "curl is not installed"
command -v jq >/dev/null || skip "jq is not installed"
ow_start_leaky -m 64M
for i in $(seq 1 200); do
        curl -s -o /dev/null --max-time 10 "$LEAKY_URL/leak?mb=2" || break
done
WAIT_TIMEOUT=60 ow_wait || fail "oomwatch did not exit after the leak: $(tail "$OW_LOG")"
assert_eq "$OW_STATUS" 137 "oomwatch exit status"
b=$(ow_bundle)
svg=$b/growth.svg
[ -s "$svg" ] || fail "the bundle has no growth.svg"
assert_eq "$(json "$b/incident.json" .verdict)" oom-kill "verdict"
if [ -n "${FLAMEGRAPH_OUT_DIR:-}" ]; then
        mkdir -p "$FLAMEGRAPH_OUT_DIR" && cp "$svg" "$b/incident.json" "$FLAMEGRAPH_OUT_DIR/" ||
                fail "cannot copy the SVG to $FLAMEGRAPH_OUT_DIR"
fi

xml_check "$svg" || fail "growth.svg is not well-formed XML"
if command -v xmllint >/dev/null; then
        xmllint --noout --nonet "$svg" || fail "xmllint rejects growth.svg"
else
        echo "note: xmllint not installed (libxml2-utils); the built-in checker alone ran"
fi
self_contained "$svg" || fail "growth.svg is not self-contained"
grep -q '^<svg [^>]*xmlns="http://www.w3.org/2000/svg"' "$svg" || fail "the root is not an SVG element"

# process_leak's frames: <g><title>process_leak (&#8776;X MiB, N bytes, P%)</title><rect ... width="W" ...
frames=$(sed -nE 's/.*<g><title>process_leak \(&#8776;[0-9.]+ [KMG]iB, ([0-9]+) bytes, [0-9.]+%\)<\/title><rect [^>]*width="([0-9.]+)".*/\1 \2/p' "$svg")
[ -n "$frames" ] || fail "no frame titled 'process_leak (~X MiB, N bytes, P%)' with a rectangle: $(grep -o '<title>[^<]*</title>' "$svg" | head)"
all_w=$(sed -nE 's/.*<g><title>all \(&#8776;[0-9.]+ [KMG]iB, [0-9]+ bytes[^<]*<\/title><rect [^>]*width="([0-9.]+)".*/\1/p' "$svg" | head -n 1)
[ -n "$all_w" ] || fail "no root frame 'all'"
cum=$(jq -r '[.diff.top[] | select(.function == "process_leak") | .cum_bytes][0] // empty' "$b/incident.json")
[ -n "$cum" ] || fail "incident.json does not list process_leak"
read -r bytes widest < <(awk '{ b += $1; if ($2 > w) w = $2 } END { printf "%d %s\n", b, w }' <<<"$frames")
echo "process_leak: $bytes bytes in the graph, $cum cum bytes in incident.json, widest frame $widest of $all_w"
assert_ge "$bytes" $((16 << 20)) "bytes of process_leak's frames"
assert_le "$bytes" "$cum" "bytes of process_leak's frames against incident.json"
assert_ge "$((bytes * 10))" "$((cum * 9))" "bytes of process_leak's frames (at least 90% of its cum bytes)"
awk -v w="$widest" -v a="$all_w" 'BEGIN { exit !(w > 0 && w * 2 >= a) }' ||
        fail "process_leak's widest frame ($widest) is not at least half the graph ($all_w)"
grep -q '<text [^>]*>process_leak</text>' "$svg" || fail "process_leak's frame has no label"
exit 0
