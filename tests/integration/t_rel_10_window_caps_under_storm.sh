#!/bin/bash
# Promise 10: the dump window holds at most baseline + K files per process
# and at most max_bytes, even in a gdump storm (a dump at every new peak of
# leaky-server's /oom under 256 MiB: hundreds of dumps in a second; the
# unit test test_window takes 10,000), and the pair used for the diff is
# never deleted. Two runs: keep = 4 (the count binds), and keep = 10000 with
# max_bytes = 1M (the byte cap binds). The window at the kill is what the
# bundle's dumps/ holds; the dump dir's file count is also sampled while
# the storm runs (without forking, not to slow oomwatch down): the files
# jemalloc writes (one a millisecond) while oomwatch waits for a CPU stand
# there for a moment, tens of them beside another suite on 2 cores, so that
# bound is what a rotation that keeps up can promise whatever the host:
# never more than half of the dumps written at once (one that waits for the
# end, or for a timer, leaves nearly all).
. "$(dirname "$0")/lib.sh"

storm() { # CONFIG-TEXT LABEL: run one storm; sets max_files, kept_files, kept_bytes, seq
        local label=$2 a f sz
        rm -rf "$T/dumps" "$T/reports"
        printf "$1" > "$T/c.conf"
        ow_start_leaky -m 256M -c "$T/c.conf"
        curl -s -o /dev/null --max-time 60 "$LEAKY_URL/oom" &
        max_files=0
        shopt -s nullglob
        local until=$((SECONDS + 60))
        while ! proc_gone "$OW_PID"; do
                [ $SECONDS -lt $until ] || { _ow_diag >&2; fail "$label: oomwatch did not exit"; }
                a=("$T"/dumps/oomwatch.*.heap)
                [ ${#a[@]} -gt "$max_files" ] && max_files=${#a[@]}
                read -r -t 0.002 -u 3 || true
        done
        WAIT_TIMEOUT=60 ow_wait || fail "$label: oomwatch did not exit"
        assert_eq "$OW_STATUS" 137 "$label: status"
        b=$(ow_bundle)
        kept_files=$(find "$b/dumps" -name 'oomwatch.*.heap' | wc -l)
        kept_bytes=$(find "$b/dumps" -name 'oomwatch.*.heap' -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
        seq=$(ls "$b/dumps" | sed -n 's/^oomwatch\.[0-9]*\.\([0-9]*\)\..*/\1/p' | sort -n | tail -n 1)
        assert_eq "$(json "$b/incident.json" .verdict)" oom-kill "$label: verdict"
        for f in "$(json "$b/incident.json" .diff.base)" "$(json "$b/incident.json" .diff.new)"; do
                [ -s "$b/$f" ] || fail "$label: the diff's dump $f is not in the bundle"
        done
        echo "$label: jemalloc reached dump $seq; most dumps at once $max_files; kept at the kill $kept_files files, $kept_bytes bytes"
}
mkfifo "$T/never"
exec 3<>"$T/never"

storm '[profiling]\ngdump = on\n[dumps]\nkeep = 4\n' "keep 4"
assert_ge "$seq" 100 "keep 4: dumps written (a storm)"
assert_le "$kept_files" 5 "keep 4: dumps kept (baseline + keep)"
assert_le "$max_files" $((seq / 2)) "keep 4: dumps on disk at any moment (of $seq written)"

storm '[profiling]\ngdump = on\n[dumps]\nkeep = 10000\nmax_bytes = 1M\n' "max_bytes 1M"
assert_ge "$seq" 100 "max_bytes: dumps written (a storm)"
assert_le "$kept_bytes" $((1 << 20)) "max_bytes: bytes kept"
assert_ge "$kept_bytes" $((1 << 19)) "max_bytes: bytes kept (the cap, not keep, bound)"
assert_no_ow_cgroups
