#!/bin/bash
# report.metrics writes a node_exporter textfile that `promtool check
# metrics` accepts; across an OOM kill, a restart and a second OOM kill its
# counters rise (OOM kills by the victim's command, restarts, dumps,
# bundles by verdict), the gauges hold the limit and a usage sample, and the
# last bundle's time and top grower appear. Written by rename: no .tmp left.
. "$(dirname "$0")/lib.sh"

command -v promtool >/dev/null || skip "promtool not installed (scripts/install-deps.sh installs prometheus)"
m=$T/textfile/oomwatch.prom
mkdir -p "$T/textfile"
cat > "$T/c.conf" <<CONF
[target]
restart = on-oom
max_restarts = 1
restart_delay = 100ms
[report]
metrics = $m
CONF
check() { # promtool's lint must pass
        promtool check metrics < "$m" > "$T/promtool.out" 2>&1 || fail "promtool check metrics: $(cat "$T/promtool.out")"
}
value() { # value of the series matching a regex on name{labels}
        awk -v re="$1" '$1 ~ re { print $2; found = 1 } END { if (!found) print "none" }' "$m"
}

ow_start_leaky -m 96M -c "$T/c.conf"
curl -s -o /dev/null "$LEAKY_URL/leak?mb=8"
wait_for test -s "$m" || fail "no metrics file"
check
assert_eq "$(value '^oomwatch_memory_limit_bytes')" $((96 << 20)) "limit gauge"
assert_eq "$(value '^oomwatch_restarts_total')" 0 "restarts before"
assert_eq "$(value '^oomwatch_oom_kills_total')" none "no OOM kill series before the first"
# the usage gauge follows the samples the supervisor takes (here at a dump)
"$OW_BIN" dump "$OW_PID" >/dev/null || fail "oomwatch dump failed"
dump_counted() { [ "$(value '^oomwatch_dumps_written_total')" -ge 1 ]; }
wait_for dump_counted || fail "no dump counted: $(cat "$m")"
assert_ge "$(value '^oomwatch_memory_usage_bytes')" 1 "usage gauge"
[ "$(stat -c %a "$m")" = 644 ] || fail "mode $(stat -c %a "$m"), want 644"

curl -s -o /dev/null --max-time 60 "$LEAKY_URL/oom"
wait_for grep -q '^oomwatch_restarts_total{.*} 1$' "$m" || fail "restart not counted: $(cat "$m")"
check
kills1=$(value '^oomwatch_oom_kills_total\{.*command="leaky-server"')
assert_eq "$kills1" 1 "OOM kills after the first"
assert_eq "$(value '^oomwatch_bundles_total\{.*verdict="oom-kill"')" 1 "bundles"
written1=$(value '^oomwatch_dumps_written_total')
grep -q '^oomwatch_top_grower_info{.*function="process_oom_burst".*} 1$' "$m" || fail "no top grower info: $(grep top_grower "$m")"
t1=$(value '^oomwatch_last_bundle_timestamp_seconds')
now=$(date +%s)
assert_ge "$t1" $((now - 120)) "last bundle time"

wait_for grep -qs "listening on" "$OW_LOG" || true
wait_for curl -s -o /dev/null "$LEAKY_URL/" || fail "the restarted target does not answer"
curl -s -o /dev/null "$LEAKY_URL/leak?mb=4"
curl -s -o /dev/null --max-time 60 "$LEAKY_URL/oom"
WAIT_TIMEOUT=60 ow_wait || fail "oomwatch did not exit"
assert_eq "$OW_STATUS" 137 "exit status"
check
cat "$m"
assert_eq "$(value '^oomwatch_oom_kills_total\{.*command="leaky-server"')" 2 "OOM kills after the second"
assert_eq "$(value '^oomwatch_restarts_total')" 1 "restarts after"
assert_eq "$(value '^oomwatch_bundles_total\{.*verdict="oom-kill"')" 2 "bundles after"
assert_ge "$(value '^oomwatch_dumps_written_total')" $((written1 + 1)) "dumps written rose"
assert_ge "$(value '^oomwatch_dumps_rotated_total')" 1 "dumps rotated"
[ ! -e "$m.tmp" ] || fail "a temporary file was left"
grep -q "dump_dir=\"$T/dumps\"" "$m" || fail "series lack the dump_dir label"
assert_no_ow_cgroups
