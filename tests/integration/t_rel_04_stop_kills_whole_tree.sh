#!/bin/bash
# Promise 4: stopping oomwatch stops the whole target tree. The target
# leaves children behind that ignore SIGTERM, some in their own session;
# after SIGTERM to oomwatch every one of them is gone, the cgroup was
# emptied and removed (rmdir of a v1 cgroup with processes fails).
# Then: SIGKILL to oomwatch kills the target within 1 s (PR_SET_PDEATHSIG).
# Limitation: after a SIGKILL nobody removes oomwatch's cgroup, and only the
# target gets the parent-death signal, not its own children: this test
# removes the cgroup (and what is left in it) itself.
. "$(dirname "$0")/lib.sh"

tree='trap "" TERM; sleep 60 & setsid sleep 60 & (trap "" TERM; exec sleep 60) & echo up; wait'
ow_start -q -m 256M -- sh -c "trap 'exit 0' TERM; sh -c '$tree' & wait"
cg=$(_cg_self_memory)/oomwatch.$OW_PID
count() { awk 'END { print NR }' "$cg/cgroup.procs" 2>/dev/null; }
five() { [ "$(count)" -ge 5 ]; }
wait_for five || fail "the target tree did not start: $(count) processes"
pids=$(cat "$cg/cgroup.procs")
echo "target tree: $(echo $pids)"
kill -TERM "$OW_PID"
ow_wait || fail "oomwatch did not stop after SIGTERM"
assert_eq "$OW_STATUS" 0 "status (the target exits 0 on SIGTERM)"
for p in $pids; do
        proc_gone "$p" || fail "process $p of the target tree survived: $(cat /proc/$p/cmdline | tr '\0' ' ')"
done
[ -d "$cg" ] && fail "the cgroup $cg is still there"
assert_no_ow_cgroups

# SIGKILL to oomwatch: the target dies within 1 s, also when it runs as
# another user (the parent-death signal is set after the drop: a change
# of credentials clears it)
kill9() { # CONFIG-TEXT LABEL
        local cg target ms start
        printf "$1" > "$T/c.conf"
        ow_start -q -c "$T/c.conf" -m 64M -- sleep 60
        cg=$(_cg_self_memory)/oomwatch.$OW_PID
        at_exit cg_rm "$cg"
        one() { [ "$(awk 'END { print NR }' "$cg/cgroup.procs" 2>/dev/null)" -ge 1 ]; }
        wait_for one || fail "$2: the target did not start"
        target=$(head -n 1 "$cg/cgroup.procs")
        running() { grep -q '^sleep' "/proc/$target/comm"; }
        wait_for running || fail "$2: the target did not exec sleep"
        kill -KILL "$OW_PID"
        start=$(date +%s%N)
        WAIT_TIMEOUT=2 wait_for proc_gone "$target" || fail "$2: the target outlived oomwatch's SIGKILL by 2 s"
        ms=$((($(date +%s%N) - start) / 1000000))
        echo "$2: target gone $ms ms after SIGKILL to oomwatch"
        assert_le "$ms" 1000 "$2: ms from oomwatch's SIGKILL to the target's death"
        ow_wait
        cg_rm "$cg" || fail "$2: cannot remove the cgroup left by the killed oomwatch"
}
kill9 "" "as oomwatch's user"
id nobody >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && kill9 '[target]\nuser = nobody\n' "as nobody"
assert_no_ow_cgroups
