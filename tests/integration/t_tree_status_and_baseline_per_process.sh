#!/bin/bash
# Every process of the tree is profiled and reachable, not only the target:
# with dumps.baseline_after = 1s, the pre-fork master and each of its two
# workers (forked children) get their own baseline dump (event log: a
# "baseline" event with each pid, the dump file of that pid); after worker 0
# grew by 24 MiB, `oomwatch status --json` lists every process with its
# memory (the worker's anon above 24 MiB, the master's below) and its dumps,
# and `oomwatch dump --pid WORKER` adds a dump of that worker, which the
# status then counts.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/prefork_lib.sh"

prefork_build
port=$(prefork_ports 2) || fail "no two free ports"
printf '[dumps]\nbaseline_after = 1s\n[report]\nevents = %s\n' "$T/events.jsonl" >"$T/c.conf"
ow_start -m 256M -c "$T/c.conf" -- "$PREFORK" --port "$port" --workers 2
prefork_up
master=$MASTER
st() { "$OW_BIN" status --json "$OW_PID"; }
workers() { st | jq -r --argjson m "$master" '[.processes[] | select(.ppid == $m) | .pid] | sort | join(" ")'; }
two() { [ "$(workers | wc -w)" = 2 ]; }
wait_for two || fail "the status does not list two workers: $(st | jq -c '.processes')"
baselines() { jq -r 'select(.event == "baseline") | .pid' "$T/events.jsonl" 2>/dev/null | sort -n | tr '\n' ' '; }
all_based() {
        local p
        for p in "$master" $(workers); do
                [[ " $(baselines)" == *" $p "* ]] || return 1
        done
}
WAIT_TIMEOUT=30 wait_for all_based || fail "not every process got its baseline: baselines of $(baselines), processes $master $(workers)"
for p in "$master" $(workers); do
        ls "$T/dumps" | grep -q "^oomwatch\.$p\..*\.heap$" || fail "no dump of process $p: $(ls "$T/dumps")"
done
worker=$(curl -s --max-time 5 "http://127.0.0.1:$port/pid") || fail "worker 0 does not answer"
for ((i = 0; i < 12; i++)); do
        curl -s -o /dev/null --max-time 10 "http://127.0.0.1:$port/leak?mb=2" || fail "leak request $i failed"
done
field() { st | jq -r --argjson p "$1" ".processes[] | select(.pid == \$p) | .$2"; }
grown() { [ "$(field "$worker" anon)" -ge $((24 << 20)) ] 2>/dev/null; }
wait_for grown || fail "the status does not show worker $worker's growth: $(st | jq -c '.processes')"
st | jq -c '.processes[] | {pid, ppid, rss, anon, dumps, agent}'
[ "$(field "$master" anon)" -lt $((24 << 20)) ] || fail "the master's anon is $(field "$master" anon)"
assert_ge "$(field "$worker" rss)" "$(field "$worker" anon)" "worker's rss against its anon"
before=$(field "$worker" dumps)
assert_ge "$before" 1 "dumps of worker $worker in the status"
out=$("$OW_BIN" dump --pid "$worker" "$OW_PID") || fail "oomwatch dump --pid $worker failed: $out"
case $out in *"oomwatch.$worker."*.heap*) ;; *) fail "the dump is not worker $worker's: $out" ;; esac
more() { [ "$(field "$worker" dumps)" -gt "$before" ]; }
wait_for more || fail "the status still counts $before dumps of worker $worker"
kill -TERM "$OW_PID"
ow_wait || fail "oomwatch did not stop"
assert_no_ow_cgroups
