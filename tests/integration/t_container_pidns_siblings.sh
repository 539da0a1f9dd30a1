#!/bin/bash
# Two containers of one pod: two oomwatch as PID 1 of two PID namespaces
# that share the network namespace, under one parent cgroup, with different
# limits:
#  1. child mode, -m 48M and -m 64M in the same parent: both run, each
#     target in a cgroup of its own with its own limit (no shared
#     oomwatch.1), both control sockets work;
#  2. own mode in two sibling cgroups of 48 MiB and 64 MiB under that
#     parent: both run, each with its cgroup's limit;
# and from outside the PID namespaces (a node shell, a sidecar sharing the
# volume) `oomwatch status DUMP-DIR` shows the right one, live, and
# `oomwatch dump DUMP-DIR` gets a dump from the right target.
. "$(dirname "$0")/lib.sh"

command -v unshare >/dev/null || skip "no unshare(1)"
unshare --pid --fork --mount-proc true 2>/dev/null || skip "unshare --pid --fork --mount-proc is not permitted here"
[ -x "$OW_BIN" ] && [ -x "$LEAKY_BIN" ] || fail "oomwatch or leaky-server is not built"
limit_file=memory.limit_in_bytes
cg_v2 && limit_file=memory.max

cg_make pod 512M
pod=$CG
if cg_v2; then
        # v2: processes live in leaves only; the parent hands memory down
        echo +memory >"$pod/cgroup.subtree_control" || fail "cannot enable memory in $pod"
fi

# pid1 NAME CGROUP OPTIONS...: oomwatch as PID 1 of a new PID namespace in
# CGROUP, serving leaky-server; sets PORT_<NAME>, UN_<NAME>, OW_<NAME>
pid1() {
        local name=$1 cg=$2 port un
        shift 2
        port=$(free_port) || fail "no free TCP port"
        unshare --pid --fork --mount-proc sh -c 'echo 0 >"$0/cgroup.procs" && exec "$@"' "$cg" \
                "$OW_BIN" run "$@" -d "$T/$name/dumps" -r "$T/$name/reports" -- "$LEAKY_BIN" --port "$port" \
                >/dev/null 2>"$T/$name.log" &
        un=$!
        at_exit "kill -KILL $un 2>/dev/null"
        wait_for grep -qs "listening on" "$T/$name.log" || fail "$name did not start: $(cat "$T/$name.log")"
        printf -v "PORT_$name" %s "$port"
        printf -v "UN_$name" %s "$un"
        printf -v "OW_$name" %s "$(pgrep -P "$un" -x oomwatch)"
}
stop() { # NAME
        local un=UN_$1 ow=OW_$1
        kill -TERM "${!ow}"
        WAIT_TIMEOUT=20 wait_for proc_gone "${!un}" || fail "$1 did not stop: $(tail "$T/$1.log")"
        wait "${!un}"
        assert_eq "$?" 0 "$1's status after SIGTERM"
}
# check NAME LIMIT: from here, outside its PID namespace, by its dump directory
check() {
        local name=$1 limit=$2 ow=OW_$1 d
        "$OW_BIN" status "$T/$name/dumps" >"$T/$name.status" 2>&1 || fail "status of $name: $(cat "$T/$name.status")"
        cat "$T/$name.status"
        grep -q "^memory: .* of $((limit >> 20)) MiB" "$T/$name.status" || fail "$name's status does not show its limit"
        grep -q "^supervisor: *pid 1\b" "$T/$name.status" || fail "$name's status is not its PID 1's"
        d=$("$OW_BIN" dump "$T/$name/dumps" 2>"$T/$name.dump.err") || fail "dump of $name: $(cat "$T/$name.dump.err")"
        case $d in "$T/$name/dumps/"*.heap) ;; *) fail "the dump of $name is not in its dump directory: $d" ;; esac
        [ -s "$d" ] || fail "no dump file $d"
}

# 1 ---------------------------------------------------------------------------
if cg_v2; then
        # v2 lets a cgroup that gives memory to its children hold no process
        echo "note: cgroup v2: two supervisors cannot share one parent cgroup in child mode; part 1 is cgroup v1's"
else
pid1 a "$pod" -m 48M
pid1 b "$pod" -m 64M
cga=$(find "$pod" -mindepth 1 -maxdepth 1 -type d -name 'oomwatch.1.*' ! -name '*.sup' | head -n 2)
assert_eq "$(echo "$cga" | wc -l)" 2 "target cgroups under the parent: $cga"
limits=$(for c in $cga; do cat "$c/$limit_file"; done | sort -n | tr '\n' ' ')
assert_eq "$limits" "$((48 << 20)) $((64 << 20)) " "the two targets' limits"
check a $((48 << 20))
check b $((64 << 20))
stop a
stop b
fi

# 2 ---------------------------------------------------------------------------
for n in c d; do
        mkdir "$pod/$n" || fail "cannot make $pod/$n"
done
echo $((48 << 20)) >"$pod/c/$limit_file" && echo $((64 << 20)) >"$pod/d/$limit_file" || fail "cannot set the limits"
pid1 c "$pod/c" --cgroup-mode own
pid1 d "$pod/d" --cgroup-mode own
check c $((48 << 20))
check d $((64 << 20))
stop c
stop d
assert_no_ow_cgroups
