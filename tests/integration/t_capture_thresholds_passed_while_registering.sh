#!/bin/bash
# The warn_at thresholds are registered with the kernel while the target
# starts, not before (a registration waits for an RCU grace period: 8 to 27
# ms each on cgroup v1, which held the start back). A threshold the usage
# passes before its registration is done must still count: the target here
# takes 61% of the limit the moment it starts, and the 16 registrations of
# eight warn_at levels take several grace periods, so most levels are passed
# before they are registered. Every level must give its threshold event, and
# the child holding the memory its dump.
. "$(dirname "$0")/lib.sh"

cc -O1 -g -o "$T/fork_hold" "$REPO/tests/programs/fork_hold.c" || fail "cc failed"
printf '[cgroup]\nwarn_at = 20,25,30,35,40,45,50,55\nusage_step = off\n[report]\nevents = %s\n' \
        "$T/events.jsonl" > "$T/c.conf"
ow_start -m 128M -c "$T/c.conf" -v -- "$T/fork_hold" 1 80000
passed() { [ "$(jq -r 'select(.event == "threshold") | .percent' "$T/events.jsonl" 2>/dev/null | sort -u | wc -l)" -ge 8 ]; }
WAIT_TIMEOUT=30 wait_for passed ||
        fail "thresholds passed: $(jq -r 'select(.event == "threshold") | .percent' "$T/events.jsonl" 2>/dev/null |
                tr '\n' ' ')(want 20 to 55); log: $(grep -E 'of the limit|threshold|warning' "$OW_LOG" | tr '\n' ';')"
child=$(pgrep -P "$(pgrep -P "$OW_PID" -x fork_hold | head -1)" -x fork_hold | head -1)
[ -n "$child" ] || fail "the child of fork_hold is gone"
has_dump() { ls "$T/dumps" | grep -q "^oomwatch\.$child\.[0-9]*\.m[0-9]*\.heap$"; }
WAIT_TIMEOUT=30 wait_for has_dump || fail "no threshold dump of the child $child: $(ls "$T/dumps" | tr '\n' ' ')"
echo "thresholds: $(jq -r 'select(.event == "threshold") | .percent' "$T/events.jsonl" | tr '\n' ' ')"
kill -TERM "$OW_PID"
WAIT_TIMEOUT=30 ow_wait || fail "oomwatch did not stop"
assert_no_ow_cgroups
