#!/bin/bash
# oomwatch as a container's entrypoint: PID 1 of a new PID namespace
# (unshare --pid --fork --mount-proc), alone in its cgroup as a container's
# init is (v2: the namespace's first process joins a fresh cgroup, then
# becomes oomwatch).
#  1. exit status: the target's exit code, 128+N for a death by signal N
#  2. orphans the target leaves are reaped: no zombie in the namespace
#  3. SIGTERM from outside (docker stop) reaches the target; its status is
#     oomwatch's and unshare's
#  4. SIGTERM from inside the namespace (kill 1), which init without a
#     handler would never see, reaches the target too
#  5. v2 only: a container's view, with its own cgroup namespace and
#     cgroup2 mount (/proc/self/cgroup says 0::/): oomwatch, PID 1 alone in
#     the namespace's root cgroup, moves into its leaf, the target runs in
#     /oomwatch.1.<pidns inode> under its limit (named for its PID namespace:
#     two containers' PID 1 do not take the same name), and the cgroup is as
#     before afterwards
. "$(dirname "$0")/lib.sh"

command -v unshare >/dev/null || skip "no unshare(1)"
unshare --pid --fork --mount-proc true 2>/dev/null || skip "unshare --pid --fork --mount-proc is not permitted here"
[ -x "$OW_BIN" ] || fail "$OW_BIN is not built"

# pid1 NAME CMD...: run `oomwatch run -- CMD...` as PID 1 in the background;
# sets UN (unshare's pid); stdout in $T/NAME.out, stderr in $T/NAME.log
pid1() {
        local name=$1 join=""
        shift
        if cg_v2; then
                ow_make_cgroup
                join="echo 0 > '$OW_CG/cgroup.procs' && "
        fi
        unshare --pid --fork --mount-proc sh -c "${join}exec \"\$@\"" sh \
                "$OW_BIN" run -m 256M -d "$T/dumps" -r "$T/reports" -- "$@" >"$T/$name.out" 2>"$T/$name.log" &
        UN=$!
        at_exit "kill -KILL $UN 2>/dev/null"
}
# oomwatch's pid outside the namespace
ow_pid() { pgrep -P "$UN" -x oomwatch; }
un_wait() { # NAME: wait for unshare, set ST
        WAIT_TIMEOUT=20 wait_for proc_gone "$UN" || fail "$1: oomwatch as PID 1 did not exit: $(cat "$T/$1.log")"
        wait "$UN"
        ST=$?
}

# 1 ---------------------------------------------------------------------------
pid1 exit7 sh -c 'echo "ppid $PPID"; exit 7'
un_wait exit7
assert_eq "$ST" 7 "status of a target exiting 7"
grep -q '^ppid 1$' "$T/exit7.out" || fail "oomwatch was not PID 1: $(cat "$T/exit7.out" "$T/exit7.log")"

pid1 sig sh -c 'kill -USR2 $$'
un_wait sig
assert_eq "$ST" $((128 + 12)) "status of a target dead of SIGUSR2"

# 2 and 3 ---------------------------------------------------------------------
# the orphans' end is waited for, then their reaping (8 s at most, times
# WAIT_SCALE): a zombie left then is one PID 1 did not reap
script='trap "echo got TERM; exit 42" TERM
for i in $(seq 20); do (sleep 0.3 &); done
n=0
while [ $n -lt $((160 * ${WAIT_SCALE:-1})) ]; do
        z=0 live=0
        for s in /proc/[0-9]*/stat; do
                read -r l <"$s" 2>/dev/null || continue
                c=${l#*(} c=${c%%)*} l=${l##*) } st=${l%% *}
                [ "$st" = Z ] && z=$((z + 1))
                [ "$c" = sleep ] && [ "$st" != Z ] && live=$((live + 1))
        done
        [ $live = 0 ] && [ $z = 0 ] && break
        sleep 0.05
        n=$((n + 1))
done
echo "zombies $z (orphans still running: $live)"
while :; do sleep 0.1; done'
pid1 term sh -c "$script"
wait_for grep -qs '^zombies' "$T/term.out" || fail "the target did not count zombies: $(cat "$T/term.log")"
assert_eq "$(awk '$1 == "zombies" { print $2 }' "$T/term.out")" 0 "zombies in the namespace after the orphans exited"
ow=$(ow_pid) || fail "no oomwatch under unshare"
kill -TERM "$ow"
un_wait term
grep -q 'got TERM' "$T/term.out" || fail "the target did not get SIGTERM: $(cat "$T/term.out" "$T/term.log")"
assert_eq "$ST" 42 "status after SIGTERM from outside"

# 4 ---------------------------------------------------------------------------
pid1 inside sh -c 'trap "echo got TERM; exit 43" TERM; kill -TERM 1; while :; do sleep 0.1; done'
un_wait inside
grep -q 'got TERM' "$T/inside.out" || fail "kill 1 inside the namespace did not reach the target: $(cat "$T/inside.log")"
assert_eq "$ST" 43 "status after kill -TERM 1 inside the namespace"

# 5 ---------------------------------------------------------------------------
if cg_v2; then
        ow_make_cgroup
        unshare --pid --fork --mount-proc sh -c "echo 0 > '$OW_CG/cgroup.procs' &&
                exec unshare --cgroup sh -c 'umount -l /sys/fs/cgroup && mount -t cgroup2 cgroup2 /sys/fs/cgroup && exec \"\$@\"' sh \"\$@\"" sh \
                "$OW_BIN" run -m 64M -d "$T/dumps" -r "$T/reports" -- \
                sh -c 'cat /proc/self/cgroup; cat /sys/fs/cgroup/oomwatch.1.*[0-9]/memory.max; exit 7' >"$T/ns.out" 2>"$T/ns.log" &
        UN=$!
        at_exit "kill -KILL $UN 2>/dev/null"
        un_wait ns
        [ "$ST" = 7 ] || fail "status in a container's cgroup namespace: $ST: $(cat "$T/ns.out" "$T/ns.log")"
        case $(sed -n 1p "$T/ns.out") in
        0::/oomwatch.1.[0-9]*) ;;
        *) fail "the target's cgroup as the container sees it: $(sed -n 1p "$T/ns.out"), not 0::/oomwatch.1.<pidns inode>" ;;
        esac
        assert_eq "$(sed -n 2p "$T/ns.out")" $((64 << 20)) "the target's memory.max"
        assert_eq "$(find "$OW_CG" -mindepth 1 -type d | wc -l)" 0 "cgroups left in the container's cgroup"
        grep -qw memory "$OW_CG/cgroup.subtree_control" && fail "+memory still enabled in the container's cgroup"
fi

assert_no_ow_cgroups
