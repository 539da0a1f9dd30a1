#!/bin/bash
# cgroup v2 only (make test-v2 runs it in a VM). The no-internal-processes
# rule and delegation:
#  1. oomwatch alone in its cgroup W moves itself into the leaf
#     W/oomwatch.<pid>.sup, enables +memory in W, and gives the target
#     W/oomwatch.<pid> with memory.max, memory.swap.max = 0 and
#     memory.oom.group = 0 (a kill takes one process of the tree, not all);
#     at exit W is as before: no children, no +memory.
#  2. W has another process: exit 125 with the reason, the target never runs.
#  3. W has no memory controller: exit 125 with the reason, the target never runs.
#  4. cgroup.parent names an empty cgroup: no leaf; the target is forked
#     straight into its cgroup (clone3 CLONE_INTO_CGROUP, seen with strace);
#     the bundle says cgroup version 2 and has the peak from memory.peak.
#  5. cgroup.parent names no cgroup, or one oomwatch's user may not manage
#     (not delegated): exit 125 with the reason, the target never runs.
#  6. memory.events reaches the supervisor through inotify: an OOM kill of
#     a child of the target, while the target itself (oom_score_adj -1000)
#     lives on, is logged as it happens.
. "$(dirname "$0")/lib.sh"

cg_v2 || skip "memory cgroups are not cgroup v2 here (make test-v2 runs this in a VM)"
rel() { echo "${1#/sys/fs/cgroup}"; }
children() { find "$1" -mindepth 1 -type d | wc -l; }

# 1 ---------------------------------------------------------------------------
ow_start -q -m 48M -- sleep 60
W=$OW_CG
tg=$W/oomwatch.$OW_PID
target_runs() { [ -n "$(cat "$tg/cgroup.procs" 2>/dev/null)" ]; }
wait_for target_runs || fail "no target in $tg: $(cat "$OW_LOG")"
assert_eq "$(sed -n 's/^0:://p' "/proc/$OW_PID/cgroup")" "$(rel "$W")/oomwatch.$OW_PID.sup" "oomwatch's own cgroup"
grep -qw memory "$W/cgroup.subtree_control" || fail "+memory is not enabled in $W"
assert_eq "$(cat "$tg/memory.max")" $((48 << 20)) "memory.max"
if [ -e "$tg/memory.swap.max" ]; then
        assert_eq "$(cat "$tg/memory.swap.max")" 0 "memory.swap.max"
fi
assert_eq "$(cat "$tg/memory.oom.group")" 0 "memory.oom.group"
kill -TERM "$OW_PID"
ow_wait || fail "oomwatch did not exit after SIGTERM"
assert_eq "$OW_STATUS" 143 "status of sleep killed by SIGTERM"
assert_eq "$(children "$W")" 0 "cgroups left under $W"
grep -qw memory "$W/cgroup.subtree_control" && fail "+memory is still enabled in $W after oomwatch left"

# 2 ---------------------------------------------------------------------------
ow_make_cgroup
W2=$OW_CG
(cg_exec "$W2" sleep 60) &
other=$!
at_exit "kill -KILL $other 2>/dev/null"
has_procs() { [ -n "$(cat "$1/cgroup.procs")" ]; }
wait_for has_procs "$W2" || fail "sleep did not join $W2"
(cg_exec "$W2" "$OW_BIN" run -q -m 48M -d "$T/dumps" -r "$T/reports" -- touch "$T/ran2") >/dev/null 2>"$T/2.log"
assert_eq "$?" 125 "status with another process in the cgroup"
cat "$T/2.log"
grep -q "has processes other than oomwatch" "$T/2.log" || fail "no reason given: $(cat "$T/2.log")"
[ -e "$T/ran2" ] && fail "the target ran without its limit"
assert_eq "$(children "$W2")" 0 "cgroups left under $W2"

# 3 ---------------------------------------------------------------------------
ow_make_cgroup
W3=$OW_CG
mkdir "$W3/inner" || fail "cannot create $W3/inner"
grep -qw memory "$W3/inner/cgroup.controllers" && fail "$W3/inner has the memory controller"
(cg_exec "$W3/inner" "$OW_BIN" run -q -m 48M -d "$T/dumps" -r "$T/reports" -- touch "$T/ran3") >/dev/null 2>"$T/3.log"
assert_eq "$?" 125 "status without a memory controller"
cat "$T/3.log"
grep -q "memory controller is not available" "$T/3.log" || fail "no reason given: $(cat "$T/3.log")"
[ -e "$T/ran3" ] && fail "the target ran without its limit"

# 4 ---------------------------------------------------------------------------
ow_make_cgroup
W4=$OW_CG
printf '[cgroup]\nparent = %s\n[report]\non = exit\n' "$(rel "$W4")" >"$T/4.conf"
tracer=()
command -v strace >/dev/null && tracer=(strace -qq -o "$T/strace" -e trace=clone3)
"${tracer[@]}" "$OW_BIN" run -q -c "$T/4.conf" -m 48M -d "$T/dumps" -r "$T/reports" -- \
        sh -c 'cat /proc/self/cgroup; exit 3' >"$T/4.out" 2>"$T/4.log"
assert_eq "$?" 3 "status of the target"
want="0::$(rel "$W4")/oomwatch."
grep -q "^$want" "$T/4.out" || fail "the target ran in $(cat "$T/4.out"), not under $W4"
if [ ${#tracer[@]} -gt 0 ]; then
        grep -q 'CLONE_INTO_CGROUP' "$T/strace" || fail "no clone3(CLONE_INTO_CGROUP): $(cat "$T/strace")"
else
        echo "note: no strace; clone3 not checked"
fi
b=$(ow_bundle)
assert_eq "$(json "$b/incident.json" .cgroup.version)" 2 "cgroup version in the bundle"
peak=$(json "$b/incident.json" .cgroup.peak)
echo "peak: $peak"
assert_ge "$peak" 1 "peak in the bundle"
assert_le "$peak" $((48 << 20)) "peak in the bundle"
assert_eq "$(children "$W4")" 0 "cgroups left under $W4"

# 5 ---------------------------------------------------------------------------
printf '[cgroup]\nparent = %s/none\n' "$(rel "$W4")" >"$T/5.conf"
"$OW_BIN" run -q -c "$T/5.conf" -m 48M -d "$T/dumps" -r "$T/reports" -- touch "$T/ran5" 2>"$T/5.log"
assert_eq "$?" 125 "status with a parent that does not exist"
cat "$T/5.log"
grep -q "parent cgroup" "$T/5.log" || fail "no reason given: $(cat "$T/5.log")"
[ -e "$T/ran5" ] && fail "the target ran without its limit"
if command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
        # nobody, alone in a cgroup root owns: may not enable +memory there
        nb=$(mktemp -d /tmp/oomwatch-nobody.XXXXXX) || fail "mktemp"
        at_exit "rm -rf '$nb'"
        chown nobody "$nb" && chmod 755 "$nb"
        ow_make_cgroup
        (cg_exec "$OW_CG" setpriv --reuid=nobody --regid=nogroup --clear-groups \
                "$OW_BIN" run -q -m 48M -d "$nb/dumps" -r "$nb/reports" -- touch "$nb/ran6") 2>"$T/6.log"
        assert_eq "$?" 125 "status of nobody without delegation"
        cat "$T/6.log"
        grep -q "delegated" "$T/6.log" || fail "no reason given: $(cat "$T/6.log")"
        [ -e "$nb/ran6" ] && fail "the target ran without its limit"
        assert_eq "$(children "$OW_CG")" 0 "cgroups left under $OW_CG"
else
        echo "note: no setpriv or no user nobody; the permission case is not checked"
fi

# 6 ---------------------------------------------------------------------------
rm -rf "$T/reports"
ow_start -v -m 32M -- sh -c 'echo -1000 >/proc/self/oom_score_adj
sh -c "echo 0 >/proc/self/oom_score_adj; exec tail /dev/zero"; echo "child status $?"; exec sleep 60'
wait_for grep -qs 'child status' "$T/oomwatch.out" || fail "the child was not OOM-killed: $(cat "$OW_LOG")"
assert_eq "$(cat "$T/oomwatch.out")" "child status 137" "the child's death"
wait_for grep -q 'OOM-killed: pid [0-9]*\|the kernel OOM-killed a process' "$OW_LOG" ||
        fail "memory.events did not reach oomwatch while the target ran: $(cat "$OW_LOG")"
proc_gone "$OW_PID" && fail "oomwatch exited with its target alive"
kill -TERM "$OW_PID"
ow_wait || fail "oomwatch did not exit after SIGTERM"
assert_eq "$OW_STATUS" 143 "status of the target killed by SIGTERM"
assert_no_ow_cgroups
