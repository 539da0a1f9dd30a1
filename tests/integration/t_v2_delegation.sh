#!/bin/bash
# cgroup v2 only (make test-v2 runs it in a VM). The no-internal-processes
# rule and delegation:
#  1. oomwatch alone in its cgroup W moves itself into the leaf
#     W/oomwatch.<pid>.sup, enables +memory in W, and gives the target
#     W/oomwatch.<pid> with memory.max, memory.swap.max = 0 and
#     memory.oom.group = 1; at exit W is as before: no children, no +memory.
#  2. W has another process: exit 125 with the reason, the target never runs.
#  3. W has no memory controller: exit 125 with the reason, the target never runs.
#  4. cgroup.parent names an empty cgroup: no leaf; the target is forked
#     straight into its cgroup (clone3 CLONE_INTO_CGROUP, seen with strace);
#     the bundle says cgroup version 2 and has the peak from memory.peak.
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
assert_eq "$(cat "$tg/memory.oom.group")" 1 "memory.oom.group"
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
assert_no_ow_cgroups
