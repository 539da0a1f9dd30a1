#!/bin/bash
# report.engine = jeprof: report.txt carries jeprof --text --base output
# (run with an argv and a time limit), and the native analysis still fills
# incident.json.
. "$(dirname "$0")/lib.sh"

command -v jeprof >/dev/null || skip "jeprof is not installed"
printf '[report]\nengine = jeprof\n' > "$T/c.conf"
ow_start_leaky -m 96M -c "$T/c.conf"
leak_until_gone
WAIT_TIMEOUT=60 ow_wait || fail "oomwatch did not exit"
assert_eq "$OW_STATUS" 137 "status"
b=$(ow_bundle)
grep -q '^jeprof --text --base:' "$b/report.txt" || fail "no jeprof section in report.txt"
sed -n '/^jeprof --text --base:/,/^all growth/p' "$b/report.txt" | grep -q '^Total: ' || fail "jeprof printed no Total line"
sed -n '/^jeprof --text --base:/,/^all growth/p' "$b/report.txt" | grep -q 'process_leak' || fail "jeprof does not name process_leak"
assert_eq "$(json "$b/incident.json" '.diff.top[0].function')" process_leak "native top grower"
