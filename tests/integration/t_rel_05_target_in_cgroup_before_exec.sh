#!/bin/bash
# Promise 5: the target is in its cgroup before its first instruction, and
# so is every process it forks. self_report reads /proc/self/cgroup in a
# constructor that runs before main and again in a forked child; both name
# oomwatch.<oomwatch's pid>. oomwatch itself is never in that cgroup.
. "$(dirname "$0")/lib.sh"

cc -O1 -o "$T/self_report" "$REPO/tests/programs/self_report.c" || fail "cc failed"
self=$(awk -F: '$2 == "memory" { print $3 }' /proc/self/cgroup)
[ -n "$self" ] || skip "no cgroup v1 memory controller for this process"
self=${self%/}

for run in 1 2 3; do
        ow_start -q -m 64M -- "$T/self_report"
        pid=$OW_PID
        ow_wait || fail "oomwatch did not exit"
        assert_eq "$OW_STATUS" 0 "status"
        want=$self/oomwatch.$pid
        assert_eq "$(awk '$1 == "cgroup" { print $2 }' "$T/oomwatch.out")" "$want" "run $run: cgroup at the first instruction"
        assert_eq "$(awk '$1 == "child-cgroup" { print $2 }' "$T/oomwatch.out")" "$want" "run $run: cgroup of a forked child"
done
echo "target and its child were in oomwatch.<pid> from their first instruction, 3 runs"

# a shell pipeline and a background job of the target: each reads its own cgroup
ow_start -q -m 64M -- sh -c 'cat /proc/self/cgroup | cat; (cat /proc/self/cgroup &); wait; sleep 0.2'
pid=$OW_PID
while ! proc_gone "$pid"; do
        grep -q ":memory:$self/oomwatch.$pid\$" "/proc/$pid/cgroup" && fail "oomwatch itself is in its target's cgroup"
        sleep 0.02
done
ow_wait
lines=$(grep -c ':memory:' "$T/oomwatch.out")
assert_eq "$lines" 2 "cgroup lines printed"
assert_eq "$(grep -c ":memory:$self/oomwatch.$pid\$" "$T/oomwatch.out")" 2 "processes of the target in its cgroup"
assert_no_ow_cgroups
