#!/bin/bash
# cgroup v2 only (make test-v2 runs it in a VM). Where clone3 is refused
# (ENOSYS, as under older container seccomp profiles), oomwatch falls back
# to fork and the child joins its cgroup itself: the target still runs in
# oomwatch.<pid> under its limit, never outside it.
. "$(dirname "$0")/lib.sh"

cg_v2 || skip "memory cgroups are not cgroup v2 here (make test-v2 runs this in a VM)"
command -v cc >/dev/null || skip "no C compiler for the seccomp wrapper"
cc -O1 -o "$T/no_clone3" "$REPO/tests/programs/no_clone3.c" || fail "cc failed"

ow_make_cgroup
W=$OW_CG
tracer=()
command -v strace >/dev/null && tracer=(strace -qq -o "$T/strace" -e trace=clone3)
printf '[cgroup]\nparent = %s\n' "${W#/sys/fs/cgroup}" >"$T/c.conf"
"$T/no_clone3" "${tracer[@]}" "$OW_BIN" run -q -c "$T/c.conf" -m 40M -d "$T/dumps" -r "$T/reports" -- \
        sh -c 'cat /proc/self/cgroup; cat "$(sed -n "s/^0:://p" /proc/self/cgroup | sed "s|^|/sys/fs/cgroup|")/memory.max"; exit 5' \
        >"$T/out" 2>"$T/log"
assert_eq "$?" 5 "status of the target"
cat "$T/out"
grep -q "^0::${W#/sys/fs/cgroup}/oomwatch\.[0-9]*$" "$T/out" || fail "the target ran outside its cgroup: $(cat "$T/out" "$T/log")"
assert_eq "$(sed -n 2p "$T/out")" $((40 << 20)) "memory.max seen by the target"
if [ ${#tracer[@]} -gt 0 ]; then
        grep -q 'clone3(.*CLONE_INTO_CGROUP.*ENOSYS' "$T/strace" || fail "clone3 was not tried and refused: $(cat "$T/strace")"
else
        echo "note: no strace; that clone3 was tried is not checked"
fi
assert_eq "$(find "$W" -mindepth 1 -type d | wc -l)" 0 "cgroups left under $W"
