#!/bin/bash
# Promise 27: stale cgroups of supervisors that are gone are reclaimed at
# start, when they hold no process. Under one parent: supervisor A is killed
# with SIGKILL (its target dies with it, its empty cgroup stays: a dead
# process removes nothing); supervisor B keeps running; a stale cgroup still
# holds a process; E is killed too, but another process holds the lock of its
# cgroup (any local user can: that must stop a reclaim, never cause one). The
# next start removes A's cgroup only: B's is in use (its lock is held, also
# when its target is between restarts), the busy one is left and named, E's
# is left.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root for cgroups"
if cg_v2; then
        # supervisors started by ow_start have cgroups of their own: give
        # their targets' cgroups one parent, as a restarted unit would
        ow_make_cgroup
        PARENT=$OW_CG
        echo +memory > "$PARENT/cgroup.subtree_control" || fail "cannot enable memory in $PARENT"
        printf '[cgroup]\nparent = %s\n' "${PARENT#/sys/fs/cgroup}" > "$T/c.conf"
else
        PARENT=$(_cg_self_memory) || skip "no memory cgroup of our own"
        : > "$T/c.conf"
fi

start() { # sets the variable named $1 to the pid of a new supervisor of `sleep 60`
        ow_start -v -c "$T/c.conf" -m 32M -d "$T/dumps.$1" -- sleep 60
        wait_for grep -q "started sleep" "$OW_LOG" || fail "$1 did not start: $(cat "$OW_LOG")"
        printf -v "$1" %s "$OW_PID"
        mv "$OW_LOG" "$T/log.$1"   # it keeps writing there; the next start makes a new one
        at_exit "kill -TERM $OW_PID 2>/dev/null"
        OW_PID=
}
start A
start B
start E
for v in A B E; do
        [ -d "$PARENT/oomwatch.${!v}" ] || fail "no cgroup for $v: $(ls "$PARENT")"
done
busy=$PARENT/oomwatch.4000001
mkdir "$busy"
at_exit cg_rm "$busy"
(cg_exec "$busy" sleep 60) &
has_procs() { [ -n "$(cat "$1/cgroup.procs" 2>/dev/null)" ]; }
empty() { ! has_procs "$1"; }
wait_for has_procs "$busy" || fail "no process in $busy"

kill -KILL "$A" "$E"
wait_for empty "$PARENT/oomwatch.$A" || fail "A's target outlived it"
wait_for empty "$PARENT/oomwatch.$E" || fail "E's target outlived it"
[ -d "$PARENT/oomwatch.$A" ] || fail "A's cgroup is already gone"
flock "$PARENT/oomwatch.$E" sleep 30 &
locker=$!
at_exit "kill $locker 2>/dev/null"
wait_for ow_cgroup_live "$PARENT/oomwatch.$E" || fail "flock(1) did not take the lock on E's cgroup"

start C
[ -d "$PARENT/oomwatch.$A" ] && fail "the stale cgroup of A ($PARENT/oomwatch.$A) was not reclaimed"
[ -d "$PARENT/oomwatch.$B" ] || fail "the cgroup of the live supervisor B was removed"
has_procs "$PARENT/oomwatch.$B" || fail "B's target is gone"
[ -d "$busy" ] || fail "a stale cgroup with a process in it was removed"
grep -q "oomwatch.4000001.*1 process is still in it" "$T/log.C" || fail "the busy stale cgroup was not named: $(cat "$T/log.C")"
[ -d "$PARENT/oomwatch.$E" ] || fail "a stale cgroup whose lock another process holds was removed"
grep -q "removed 1 stale cgroup" "$T/log.C" || fail "C did not say what it removed: $(cat "$T/log.C")"

kill "$locker"
for v in B C; do kill -TERM "${!v}"; done
WAIT_TIMEOUT=15 wait_for proc_gone "$B" || fail "B did not stop"
WAIT_TIMEOUT=15 wait_for proc_gone "$C" || fail "C did not stop"
cg_rm "$busy"
rmdir "$PARENT/oomwatch.$E"
assert_no_ow_cgroups
