#!/bin/bash
# report.events = journal writes each event to a real systemd-journald (run
# here in a private mount namespace, on tmpfs, so the host's journal is not
# touched): MESSAGE is the event's JSON line, PRIORITY the event's (warning
# for the OOM kill, notice for the report, info for a dump), OOMWATCH_EVENT
# its name and OOMWATCH_PATH/_KIND/_PID the dump's members. And
# report.events = - under journald's stream (JOURNAL_STREAM naming stderr)
# puts "<N>" before each line, which journald turns into the entry's
# priority; without JOURNAL_STREAM there is no prefix.
journald=/lib/systemd/systemd-journald
if [ -z "${OW_JOURNAL_NS:-}" ]; then
        if [ -x "$journald" ] && command -v journalctl >/dev/null && command -v systemd-cat >/dev/null &&
           command -v unshare >/dev/null; then
                exec unshare -m --propagation private env OW_JOURNAL_NS=1 bash "$0" "$@"
        fi
fi
. "$(dirname "$0")/lib.sh"
[ -n "${OW_JOURNAL_NS:-}" ] || skip "needs systemd-journald, journalctl, systemd-cat and unshare (Debian: systemd)"

for d in /run/systemd /run/log /var/log/journal; do
        mkdir -p "$d" && mount -t tmpfs -o mode=0755 oomwatch-test "$d" || skip "cannot mount a tmpfs on $d"
done
mkdir -p /run/systemd/journal
"$journald" >"$T/journald.log" 2>&1 &
jpid=$!
at_exit "kill $jpid 2>/dev/null; wait $jpid 2>/dev/null"
wait_for test -S /run/systemd/journal/stdout || fail "journald did not start: $(cat "$T/journald.log")"
entries() { journalctl --no-pager -o json "$@" 2>/dev/null; }

# 1. the native protocol
printf '[report]\nevents = journal\n' > "$T/j.conf"
ow_start_leaky -m 64M -c "$T/j.conf"
leak_until_gone 2
WAIT_TIMEOUT=60 ow_wait || fail "oomwatch did not exit"
assert_eq "$OW_STATUS" 137 "exit status"
wait_for sh -c "journalctl --no-pager -o json SYSLOG_IDENTIFIER=oomwatch OOMWATCH_EVENT=report | grep -q ." ||
        fail "no report event in the journal"
entries SYSLOG_IDENTIFIER=oomwatch > "$T/j.json"
echo "$(wc -l < "$T/j.json") journal entries: $(jq -r .OOMWATCH_EVENT "$T/j.json" | uniq -c | tr -s ' \n' ' ')"
for e in start dump baseline threshold oom exit report; do
        jq -e -s --arg e "$e" 'any(.[]; .OOMWATCH_EVENT == $e)' "$T/j.json" >/dev/null || fail "no $e entry"
done
prio() { jq -r --arg e "$1" 'select(.OOMWATCH_EVENT == $e) | .PRIORITY' "$T/j.json" | sort -u | tr '\n' ' '; }
assert_eq "$(prio oom)" "4 " "priority of oom"
assert_eq "$(prio report)" "5 " "priority of report"
assert_eq "$(prio dump)" "6 " "priority of dump"
assert_eq "$(prio exit)" "4 " "priority of an exit with status 137"
# MESSAGE is the JSON line; the members are fields too
jq -e -s 'all(.MESSAGE | fromjson | has("ts") and has("event"))' "$T/j.json" >/dev/null || fail "a MESSAGE is not an event's JSON"
jq -e -s 'all(.OOMWATCH_EVENT == (.MESSAGE | fromjson | .event))' "$T/j.json" >/dev/null || fail "OOMWATCH_EVENT differs from the event"
jq -e -s 'map(select(.OOMWATCH_EVENT == "dump")) | length > 0 and all((.OOMWATCH_PATH | startswith("'"$T"'/dumps/oomwatch.")) and (.OOMWATCH_KIND | test("^[imuf]$")) and (.OOMWATCH_PID | test("^[0-9]+$")))' \
        "$T/j.json" >/dev/null || fail "dump entries lack OOMWATCH_PATH/KIND/PID: $(grep -m1 '"dump"' "$T/j.json")"

# 2. stderr as journald's stream: "<N>" prefixes become priorities
printf '[report]\nevents = -\non = always\n' > "$T/s.conf"
systemd-cat -t ow-stderr sh -c 'JOURNAL_STREAM=$(stat -L -c %d:%i /proc/self/fd/2) exec "$0" run -d "$1/sd" -r "$1/sr" -m 32M -c "$1/s.conf" -- sh -c "exit 3"' \
        "$OW_BIN" "$T" || true
wait_for sh -c "journalctl --no-pager -o cat -t ow-stderr | grep -q '\"event\":\"exit\"'" || fail "no exit line from stderr"
entries -t ow-stderr > "$T/s.json"
line_prio() { jq -r --arg e "$1" 'select(.MESSAGE | startswith("{")) | select((.MESSAGE | fromjson | .event) == $e) | .PRIORITY' "$T/s.json" | sort -u | tr '\n' ' '; }
assert_eq "$(line_prio start)" "6 " "priority of the start line"
assert_eq "$(line_prio exit)" "4 " "priority of the exit line (status 3)"
jq -e -s 'all(.MESSAGE | startswith("<") | not)' "$T/s.json" >/dev/null || fail "journald kept a <N> prefix"
# without JOURNAL_STREAM, plain lines
env -u JOURNAL_STREAM "$OW_BIN" run -d "$T/pd" -r "$T/pr" -m 32M -c "$T/s.conf" -- sh -c 'exit 3' 2> "$T/plain.err"
grep -q '^{"ts"' "$T/plain.err" || fail "no plain event lines: $(cat "$T/plain.err")"
grep -q '^<[0-9]>' "$T/plain.err" && fail "a <N> prefix without journald"
assert_no_ow_cgroups
