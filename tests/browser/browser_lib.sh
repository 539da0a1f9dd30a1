# browser_lib.sh — what the browser tests share (bash; after lib.sh):
#   chromium found, tests/browser/pngstat.c built as $T/pngstat (skips the
#   test when either is missing), and
#   chrome ARG...   headless Chromium with a fresh profile, no network
#                   services of its own; its noise goes to $T/chromium.log
#   page_state FILE the #state summary (JSON) of a page in a --dump-dom file
#   draw URL        the page as Chromium drew it in a W x H window (1280 x
#                   1300): its DOM in $T/dom.html, its #state in $st (printed)
#   q FILTER        jq -r FILTER on $st
browser=$(command -v chromium || command -v chromium-browser) ||
        skip "chromium is not installed (scripts/install-deps.sh installs it)"
command -v cc >/dev/null || skip "no C compiler for tests/browser/pngstat.c"
[ -e /usr/include/zlib.h ] || skip "zlib.h is missing (zlib1g-dev; scripts/install-deps.sh installs it)"
cc -std=gnu11 -O2 -Wall -Wextra -o "$T/pngstat" "$REPO/tests/browser/pngstat.c" -lz ||
        fail "cannot build tests/browser/pngstat.c"

chrome() {
        "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
                --disable-background-networking --disable-component-update --disable-sync \
                --user-data-dir="$(mktemp -d "$T/profile.XXXXXX")" "$@" 2>>"$T/chromium.log"
}

page_state() {
        sed -n 's/.*<pre id="state"[^>]*>\([^<]*\)<\/pre>.*/\1/p' "$1" | sed 's/&quot;/"/g; s/&lt;/</g; s/&gt;/>/g; s/&amp;/\&/g'
}

draw() {
        chrome --virtual-time-budget=5000 --window-size="${W:-1280},${H:-1300}" --dump-dom "$1" >"$T/dom.html" ||
                fail "chromium --dump-dom failed: $(tail -n 5 "$T/chromium.log")"
        st=$(page_state "$T/dom.html")
        [ -n "$st" ] || fail "the page's script did not run (no #state): $(grep -o '<pre id="state".\{0,200\}' "$T/dom.html")"
        echo "state: $st"
}
q() { jq -r "$1" <<<"$st"; }
