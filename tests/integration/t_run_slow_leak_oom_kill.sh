#!/bin/bash
# A slow leak under a 96 MiB limit: /leak repeatedly until the kernel
# OOM-kills leaky-server. oomwatch exits 137, the bundle says oom-kill and
# names process_leak as the top grower, and every bundle file is there.
. "$(dirname "$0")/lib.sh"

ow_start_leaky -m 96M
for i in $(seq 1 200); do
        curl -s -o /dev/null --max-time 10 "$LEAKY_URL/leak?mb=2" || break
        curl -s -o /dev/null --max-time 10 "$LEAKY_URL/" || break
done
WAIT_TIMEOUT=60 ow_wait || fail "oomwatch did not exit after the leak: $(tail "$OW_LOG")"
assert_eq "$OW_STATUS" 137 "oomwatch exit status"
b=$(ow_bundle)
for f in report.txt incident.json growth.collapsed growth.svg; do
        [ -s "$b/$f" ] || fail "bundle lacks $f"
done
assert_eq "$(json "$b/incident.json" .verdict)" oom-kill "verdict"
assert_eq "$(json "$b/incident.json" .target.signal)" 9 "signal"
assert_eq "$(json "$b/incident.json" '.diff.top[0].function')" process_leak "top grower"
assert_ge "$(json "$b/incident.json" .cgroup.oom_kills)" 1 "oom kills"
assert_eq "$(json "$b/incident.json" .cgroup.memory_limit)" $((96 << 20)) "limit"
assert_ge "$(json "$b/incident.json" '.diff.growth_bytes')" $((40 << 20)) "growth bytes"
ndumps=$(find "$b/dumps" -name '*.heap' | wc -l)
assert_ge "$ndumps" 2 "dumps in the bundle"
grep -q '^verdict: *oom-kill' "$b/report.txt" || fail "report.txt has no verdict line"
grep -q 'process_leak' "$b/report.txt" || fail "report.txt does not name process_leak"
grep -q 'process_leak' "$b/growth.collapsed" || fail "growth.collapsed lacks process_leak"
grep -q '<svg' "$b/growth.svg" || fail "growth.svg is not an SVG"
grep -q 'incident bundle:' "$OW_LOG" || fail "no bundle path on stderr"
grep -q 'process_leak' "$OW_LOG" || fail "the report head on stderr does not name process_leak"
assert_no_ow_cgroups
