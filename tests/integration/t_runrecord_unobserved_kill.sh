#!/bin/bash
# Evidence that outlives the supervisor (the run record, oomwatch-run.json):
#  1. while the target runs, the record in the dump directory says so: state
#     running, the target's pid and exe, the limit, the last usage and a
#     series of samples; a second oomwatch on the same dump directory is
#     refused (exit 125) while the first lives.
#  2. oomwatch is SIGKILLed (as a group kill or a node's kill would): the
#     target goes with it, and nothing of the run is deleted: its dumps and
#     record are still there.
#  3. the next start with the same dump directory writes that run's bundle
#     before its own target runs (the target finds it complete): verdict
#     unobserved-kill, cause no-oom-counted (the old cgroup still shows its
#     counters, which did not rise), the last usage seen, the earlier
#     target's pid and process_leak on top; its incident page plots the
#     usage series from the record point for point, its end marked at the
#     last sample (tests/browser/t_unobserved_page.sh draws it).
#  4. that start's record ends in state ended and lists the bundle; a third
#     start makes no bundle and removes no dump it did not own.
. "$(dirname "$0")/lib.sh"

D=$T/dumps
record=$D/.oomwatch/oomwatch-run.json

# 1 ---------------------------------------------------------------------------
ow_start_leaky -m 128M
first=$OW_PID
for i in $(seq 8); do curl -s -o /dev/null --max-time 10 "$LEAKY_URL/leak?mb=8"; done
three_dumps() { [ "$(find "$D" -name 'oomwatch.*.heap' | wc -l)" -ge 3 ]; }
wait_for three_dumps || fail "no dumps: $(ls "$D") $(tail "$OW_LOG")"
target=$(pgrep -P "$OW_PID" -f leaky-server | head -n 1)
[ -n "$target" ] || fail "no target under oomwatch"
# samples come with the events the supervisor has anyway (here: dumps, at
# most one sample per 100 ms): dumps on demand until there are two
has_samples() { [ "$(jq '.samples.usage | length' "$record" 2>/dev/null || echo 0)" -ge 2 ]; }
dump_until_two_samples() {
        has_samples && return 0
        curl -s -o /dev/null --max-time 10 "$LEAKY_URL/leak?mb=1"
        "$OW_BIN" dump "$D" >/dev/null 2>&1
        has_samples
}
wait_for dump_until_two_samples || fail "the run record has no series of samples: $(cat "$record")"
jq -c '{state, target, cgroup: {memory_limit: .cgroup.memory_limit}, last, n: (.samples.usage | length)}' "$record"
assert_eq "$(json "$record" .state)" running "record state"
assert_eq "$(json "$record" .target.pid)" "$target" "record's target pid"
assert_eq "$(json "$record" .target.exe)" "$(readlink -f "$LEAKY_BIN")" "record's exe"
assert_eq "$(json "$record" .cgroup.memory_limit)" $((128 << 20)) "record's limit"
assert_ge "$(json "$record" .last.usage)" $((20 << 20)) "record's last usage"
assert_eq "$(jq '(.samples.t_ms | length) == (.samples.usage | length)' "$record")" true "sample series lengths"
"$OW_BIN" run -q -m 64M -d "$D" -r "$T/reports" -- touch "$T/second" 2>"$T/second.log"
assert_eq "$?" 125 "a second oomwatch on the same dump directory"
grep -q "is in use by another oomwatch" "$T/second.log" || fail "no reason given: $(cat "$T/second.log")"
[ -e "$T/second" ] && fail "the second oomwatch ran its target"

# 2 ---------------------------------------------------------------------------
ndumps=$(find "$D" -name 'oomwatch.*.heap' | wc -l)
kill -KILL "$OW_PID"
wait "$OW_PID" 2>/dev/null
OW_PID=
WAIT_TIMEOUT=5 wait_for proc_gone "$target" || fail "the target outlived its SIGKILLed supervisor"
assert_eq "$(find "$D" -name 'oomwatch.*.heap' | wc -l)" "$ndumps" "dumps after the supervisor's death"
assert_eq "$(json "$record" .state)" running "record state after the supervisor's death"
# the series the dead run left: its incident page must plot exactly this
series=$(jq -c '[.samples.t_ms, .samples.usage] | transpose' "$record")
old_cg=$(json "$record" .cgroup.path)
at_exit "cg_rm '$old_cg'"  # the dead supervisor's cgroup (empty) is this test's to remove

# 3 ---------------------------------------------------------------------------
"$OW_BIN" run -v -m 64M -d "$D" -r "$T/reports" -- \
        sh -c 'for f in "$0"/*/incident.json; do [ -s "$f" ] && exit 0; done; exit 9' "$T/reports" \
        >"$T/2.out" 2>"$T/2.log"
st=$?
grep -v '"GET' "$T/2.log" | head -n 30
assert_eq "$st" 0 "the second start's target (0: it found the earlier run's bundle complete)"
b=$(ow_bundle)
assert_eq "$(json "$b/incident.json" .verdict)" unobserved-kill "verdict"
assert_eq "$(json "$b/incident.json" .unobserved.cause)" no-oom-counted "cause"
assert_eq "$(json "$b/incident.json" .unobserved.supervisor_pid)" "$first" "the earlier supervisor"
assert_eq "$(json "$b/incident.json" .unobserved.counters.oom_kill)" 0 "oom_kill rise"
assert_eq "$(json "$b/incident.json" .target.pid)" "$target" "the earlier target"
assert_eq "$(json "$b/incident.json" .cgroup.memory_limit)" $((128 << 20)) "the earlier run's limit"
assert_ge "$(json "$b/incident.json" .cgroup.last_sample.usage)" $((20 << 20)) "last usage seen"
assert_eq "$(json "$b/incident.json" '.diff.top[0].function')" process_leak "top grower"
assert_eq "$(find "$b/dumps" -name '*.heap' | wc -l)" "$ndumps" "dumps in the bundle"
grep -q '^verdict: *unobserved-kill' "$b/report.txt" || fail "report.txt: $(head "$b/report.txt")"
grep -q '^last seen: ' "$b/report.txt" || fail "report.txt has no last usage: $(head -n 20 "$b/report.txt")"
# the earlier run's usage series, from its record, is on its incident page,
# point for point, and its end is marked at the last of them
data=$(page_data "$b/incident.html")
jq -e . <<<"$data" >/dev/null || fail "the incident page has no data: $(head -c 300 "$b/incident.html")"
assert_eq "$(jq -c .run.usage <<<"$data")" "$series" "the incident page's usage series (the dead run's record)"
assert_eq "$(jq -r '.run.marks | map(.kind) | join(",")' <<<"$data")" start,exit "the page's marks"
assert_eq "$(jq -r '.run.marks[1].label' <<<"$data")" "last seen (no-oom-counted)" "the end's mark"
assert_eq "$(jq -r '.run.marks[1].t' <<<"$data")" "$(jq -r '.[-1][0]' <<<"$series")" "the end's mark at the last sample"

# 4 ---------------------------------------------------------------------------
assert_eq "$(json "$record" .state)" ended "record state after a clean end"
assert_eq "$(json "$record" '.bundles[0]')" "$b" "the record's bundle"
touch "$D/unrelated.heap"
"$OW_BIN" run -q -m 64M -d "$D" -r "$T/reports" -- true 2>"$T/3.log" || fail "third start: $(cat "$T/3.log")"
ow_bundle >/dev/null
[ -e "$D/unrelated.heap" ] || fail "a file oomwatch does not own was removed"
cg_rm "$old_cg"
assert_no_ow_cgroups
