#!/bin/bash
# Promise 1, oomwatch's own failures: 125, the target never started, nothing
# left behind. A cgroup.parent that does not exist (libcgroup would create
# it and its missing ancestors, which nobody removes; the path is under our
# own cgroup so that such a regression stays there and is cleaned up), a
# cgroup.parent that is a file, a dump dir that cannot be created, and a
# target.workdir that does not exist (the child fails before execve).
. "$(dirname "$0")/lib.sh"

self=$(_cg_self_memory) || skip "no memory cgroup for this process"
cg_v2 && skip "cgroup v1 test (parent paths of the memory hierarchy)"
rel=${self#/sys/fs/cgroup/memory}
missing=$rel/ow-missing.$$/x
at_exit "rmdir '$self/ow-missing.$$/x' '$self/ow-missing.$$' 2>/dev/null"
marker=$T/started

run() { # WHAT CONFIG-LINES [OPTION...]
        local what=$1 conf=$2
        shift 2
        printf '%b' "$conf" > "$T/c.conf"
        "$OW_BIN" run -c "$T/c.conf" -m 32M -d "$T/dumps" -r "$T/reports" "$@" -- touch "$marker" 2>"$T/err"
        assert_eq "$?" 125 "$what: status ($(cat "$T/err"))"
        [ -e "$marker" ] && fail "$what: the target was started"
        echo "$what: $(head -n 1 "$T/err")"
}
run "missing parent cgroup" "[cgroup]\nparent = $missing\n"
[ -d "$self/ow-missing.$$" ] && fail "oomwatch created the missing parent cgroup $self/ow-missing.$$"
run "parent cgroup is a file" "[cgroup]\nparent = $rel/cgroup.procs\n"
: > "$T/file"
run "dump dir under a file" "" -d "$T/file/dumps"
run "missing workdir" "[target]\nworkdir = $T/no-such-dir\n"
assert_no_ow_cgroups
