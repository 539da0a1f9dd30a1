#!/bin/bash
# warn_at thresholds have the agent take a dump just before the limit, so the
# newest dump explains most of the peak (under a 192 MiB limit: the server's
# code, stacks and allocator metadata, a few MiB, are never in the heap): coverage (newest dump's heap / the
# cgroup's peak) >= 0.90 for a slow leak and for an instant OOM. With
# warn_at = off (usage steps only) the coverage is printed for comparison.
. "$(dirname "$0")/lib.sh"

run_case() { # NAME WARN_AT ENDPOINT
        local name=$1 warn=$2 ep=$3
        rm -rf "$T/reports" "$T/dumps"
        printf '[cgroup]\nwarn_at = %s\n' "${warn:-off}" > "$T/c.conf"
        ow_start_leaky -m 192M -c "$T/c.conf" -v
        if [ "$ep" = oom ]; then
                curl -s -o /dev/null --max-time 60 "$LEAKY_URL/oom"
        else
                leak_until_gone 2 300
        fi
        WAIT_TIMEOUT=60 ow_wait || fail "$name: oomwatch did not exit"
        assert_eq "$OW_STATUS" 137 "$name: status"
        b=$(ow_bundle)
        assert_eq "$(json "$b/incident.json" .verdict)" oom-kill "$name: verdict"
        COV=$(json "$b/incident.json" .coverage)
        echo "$name: coverage $COV (newest dump $(json "$b/incident.json" .diff.new))"
        [[ $COV =~ ^[0-9.]+$ ]] || fail "$name: coverage is not a number: $COV"
}
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
# what the supervisor did about the thresholds before the kill, for a failure
thresholds() { grep -E 'of the limit|threshold dump|OOM-killed' "$OW_LOG" | tr '\n' ';'; }

run_case "instant OOM, warn_at" 90,95,98,99 oom
ge "$COV" 0.90 || fail "instant OOM: coverage $COV < 0.90: $(thresholds)"
run_case "slow leak, warn_at" 90,95,98,99 leak
ge "$COV" 0.90 || fail "slow leak: coverage $COV < 0.90: $(thresholds)"
run_case "instant OOM, usage steps only" "" oom
run_case "slow leak, usage steps only" "" leak
assert_no_ow_cgroups
