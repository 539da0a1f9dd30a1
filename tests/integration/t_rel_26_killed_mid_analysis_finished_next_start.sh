#!/bin/bash
# Promise 26: a bundle interrupted by the supervisor's death is finished by
# the next start. The target runs as nobody; the analysis (engine jeprof, a
# jeprof that hangs) runs as nobody too (checked, and with oom_score_adj
# 1000), in the bundle's temporary
# directory, until oomwatch is killed with SIGKILL: the analysis goes with it,
# and what is left is visibly not a bundle (.incomplete-..., no incident.json). The
# next `oomwatch run` with the same directories finishes it before its own
# target starts: the bundle appears under its name with report.txt and
# incident.json (verdict oom-kill, process_leak on top), nothing incomplete
# is left, and nothing of the stale cgroup either.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root (the target and the analysis as nobody)"
ow_user_build
mkdir "$U/bin"
: > "$U/jeprof.pid"
chown nobody "$U/jeprof.pid"   # whoever runs jeprof may write this, and nothing else of ours
cat > "$U/bin/jeprof" <<SH
#!/bin/sh
echo "\$\$ \$(id -u)" > "$U/jeprof.pid"
exec sleep 60
SH
chmod 0755 "$U/bin" "$U/bin/jeprof"
printf '[target]\nuser = nobody\n[report]\nengine = jeprof\n' > "$T/c.conf"
PATH=$U/bin:$PATH ow_start_leaky -m 96M -c "$T/c.conf" -d "$U/dumps"
first=$OW_PID
leak_until_gone_or_hung() { # until the fake jeprof runs, or oomwatch is gone
        local i
        for ((i = 0; i < 200; i++)); do
                [ -s "$U/jeprof.pid" ] && return 0
                proc_gone "$OW_PID" && return 1
                curl -s -o /dev/null --max-time 10 "$LEAKY_URL/leak?mb=2"
        done
        return 1
}
leak_until_gone_or_hung || fail "the analysis never ran jeprof: $(grep -v GET "$OW_LOG" | tail -5)"
read -r jpid juid < "$U/jeprof.pid"
analysis=$(awk '{ print $4 }' "/proc/$jpid/stat")
assert_eq "$juid" "$(id -u nobody)" "uid of the analysis's jeprof"
assert_eq "$(awk '/^Uid:/ { print $2 $3 $4 $5 }' "/proc/$analysis/status")" "$(id -u nobody)$(id -u nobody)$(id -u nobody)$(id -u nobody)" "uids of the analysis"
assert_eq "$(awk '/^CapEff:/ { print $2 }' "/proc/$analysis/status")" 0000000000000000 "capabilities of the analysis"
# a second OOM kill in a limit it shares with the supervisor takes it first
assert_eq "$(cat "/proc/$analysis/oom_score_adj")" 1000 "oom_score_adj of the analysis"
inc=$(find "$T/reports" -mindepth 1 -maxdepth 1 -name '.incomplete-*')
[ -n "$inc" ] || fail "no temporary bundle directory while the analysis runs: $(ls -A "$T/reports")"
kill -KILL "$first"
wait_for proc_gone "$analysis" || fail "the analysis outlived its supervisor"
wait_for proc_gone "$jpid" || fail "the analysis's jeprof outlived it"
ow_wait
[ -d "$inc" ] || fail "the interrupted bundle is gone"
[ -s "$inc/incident.json" ] && fail "the interrupted bundle has its incident.json"
[ -z "$(find "$T/reports" -mindepth 1 -maxdepth 1 ! -name '.incomplete-*')" ] || fail "something looks like a bundle: $(ls -A "$T/reports")"
name=${inc##*/.incomplete-}

# the next start, with the native engine, finishes it first
# (on cgroup v2 from a cgroup of its own, as ow_start runs it, with
# cgroup.parent the first run's cgroup: the stale cgroup to reclaim is there)
if cg_v2; then
        first_cg=$OW_CG
        ow_make_cgroup
        printf '[cgroup]\nparent = %s\n' "${first_cg#/sys/fs/cgroup}" >"$T/second.conf"
        (cg_exec "$OW_CG" "$OW_BIN" run -c "$T/second.conf" -m 64M -d "$U/dumps" -r "$T/reports" -- true) \
                2>"$T/second.log"
else
        "$OW_BIN" run -m 64M -d "$U/dumps" -r "$T/reports" -- true 2>"$T/second.log"
fi || fail "the second run failed: $(cat "$T/second.log")"
cat "$T/second.log"
grep -q "finishing the bundle \"$T/reports/$name\"" "$T/second.log" || fail "the interrupted bundle was not finished"
b=$T/reports/$name
[ -d "$b" ] || fail "no bundle $b"
[ -e "$inc" ] && fail "the temporary directory is still there"
assert_eq "$(json "$b/incident.json" .verdict)" oom-kill "verdict"
assert_eq "$(json "$b/incident.json" '.diff.top[0].function')" process_leak "top grower"
grep -q "^verdict: *oom-kill" "$b/report.txt" || fail "report.txt is missing its verdict"
assert_eq "$(stat -c %a "$b")" 700 "mode of the bundle"
assert_no_ow_cgroups
