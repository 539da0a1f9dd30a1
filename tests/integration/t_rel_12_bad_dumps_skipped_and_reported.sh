#!/bin/bash
# Promise 12: a dump is used only if it parses, and truncated, empty and
# corrupt dumps are reported. While leaky-server leaks, three regular files
# named as its newest dumps are renamed into the dump dir (IN_MOVED_TO): an
# empty one, one of garbage after a valid header line, and a real dump cut
# in half. After the OOM kill the bundle's diff uses none of them and still
# names the leak; each is named as unusable on stderr or in report.txt, and
# incident.json marks them. The window keeps 100 dumps: with the default 8,
# the threshold dumps that come after the planted ones (rungs, kept first)
# can rotate a planted dump out before the kill, and a dump that is gone
# before the analysis is never read, so never reported.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/staging"
printf '[dumps]\nkeep = 100\n' > "$T/c.conf"
ow_start_leaky -c "$T/c.conf" -m 96M -v
pid=$(head -n 1 "$(_cg_self_memory)/oomwatch.$OW_PID/cgroup.procs")
[ -n "$pid" ] || fail "no target pid"
for i in $(seq 1 8); do
        curl -s -o /dev/null --max-time 10 "$LEAKY_URL/leak?mb=4" || fail "leak request $i failed"
done
real=$(ls "$T/dumps" | grep "^oomwatch\.$pid\." | head -n 1)
[ -n "$real" ] || fail "no dump of the target yet"
: > "$T/staging/oomwatch.$pid.900000.i0.heap"
{ echo "heap_v2/524288"; head -c 4096 /dev/urandom; } > "$T/staging/oomwatch.$pid.900001.i1.heap"
size=$(stat -c %s "$T/dumps/$real")
head -c $((size / 2)) "$T/dumps/$real" > "$T/staging/oomwatch.$pid.900002.i2.heap"
for f in "$T"/staging/*; do mv "$f" "$T/dumps/"; done

curl -s -o /dev/null --max-time 60 "$LEAKY_URL/oom"
WAIT_TIMEOUT=60 ow_wait || fail "oomwatch did not exit: $(tail -n 5 "$OW_LOG")"
assert_eq "$OW_STATUS" 137 "oomwatch exit status"
b=$(ow_bundle)
assert_eq "$(json "$b/incident.json" .verdict)" oom-kill "verdict"
new=$(json "$b/incident.json" .diff.new)
base=$(json "$b/incident.json" .diff.base)
echo "diff: $base -> $new"
case "$new $base" in *.9000*) fail "the diff used a bad dump: $base -> $new" ;; esac
[ "$new" != null ] || fail "no diff in the bundle: $(head -n 20 "$b/report.txt")"
top=$(json "$b/incident.json" '.diff.top[0].function')
case $top in process_leak | process_oom_burst) ;; *) fail "top grower: $top" ;; esac
for seq in 900000 900001 900002; do
        grep -q "oomwatch\.$pid\.$seq\." "$OW_LOG" "$b/report.txt" ||
                fail "dump $seq (empty/corrupt/truncated) is not reported on stderr or in report.txt"
done
marked=$(json "$b/incident.json" '[.dumps[] | select(.seq >= 900000) | select(has("bad") or has("error") | not)] | length')
assert_eq "$marked" 0 "bad dumps listed in incident.json without a mark"
assert_no_ow_cgroups
