#!/bin/bash
# Without a browser (make test-browser draws it): an OOM kill's bundle has
# incident.html, one file that loads nothing (no external URL, no src/href,
# a CSP forbidding fetches), whose inline data is JSON with the flame graph's
# leaking frame, a usage point per sample the supervisor took, a heap point
# per dump of the target, and the OOM kill, dump and threshold marks; no
# function name can close its <script> element.
. "$(dirname "$0")/lib.sh"

ow_start_leaky -m 64M
leak_until_gone 2
WAIT_TIMEOUT=60 ow_wait || fail "oomwatch did not exit after the leak"
b=$(ow_bundle)
page=$b/incident.html
[ -s "$page" ] || fail "no incident.html in $(ls "$b")"
urls=$(grep -oE '(https?|ftp)://[^"'"'"' )<>]*' "$page" | grep -v '^http://www.w3.org/2000/svg$' || true)
[ -z "$urls" ] || fail "external references: $urls"
grep -Eq ' (src|href)=' "$page" && fail "the page refers to other files"
grep -q "default-src 'none'" "$page" || fail "no Content-Security-Policy"
assert_eq "$(grep -c '</script>' "$page")" 2 "script elements closed (data, code)"
data=$(page_data "$page")
jq -e . <<<"$data" >/dev/null || fail "the page's data is not JSON"
jq -e '.names | index("process_leak")' <<<"$data" >/dev/null || fail "no process_leak in the flame graph's names"
assert_ge "$(jq '.flame | length' <<<"$data")" 3 "flame graph frames"
assert_ge "$(jq '.run.usage | length' <<<"$data")" 2 "usage samples"
ndumps=$(jq "[.dumps[] | select(.pid == $(jq .target.pid "$b/incident.json"))] | length" "$b/incident.json")
assert_eq "$(jq '.run.heap | length' <<<"$data")" "$ndumps" "heap points (one per dump of the target)"
assert_eq "$(jq '[.run.marks[] | select(.kind == "oom")] | length' <<<"$data")" 1 "OOM kill marks"
assert_ge "$(jq '[.run.marks[] | select(.kind == "dump")] | length' <<<"$data")" 1 "dump marks"
assert_ge "$(jq '[.run.marks[] | select(.kind == "threshold")] | length' <<<"$data")" 1 "threshold marks"
assert_eq "$(jq -r '.suspects[0].function' <<<"$data")" process_leak "first trend suspect"
assert_eq "$(jq .limit <<<"$data")" $((64 << 20)) "limit"
assert_no_ow_cgroups
