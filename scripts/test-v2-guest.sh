#!/bin/bash
# The cgroup v2 VM's test run (started by scripts/test-v2.sh's /init inside
# the VM, chrooted into the host's read-only root). Not for the host.
#
#   test-v2-guest.sh PARAMS-FILE
#
# PARAMS-FILE sets REPO, BUILD, TESTS, TEST_TIMEOUT and TEST_VERBOSE. The
# cgroup layout is that of a service manager delegating a subtree: memory is
# enabled in the root and in /oomwatch-tests, whose processes live in the
# leaf /oomwatch-tests/runner; each test then puts the supervisor in a cgroup
# of its own (lib.sh's ow_start does that on v2).
set -u
export LC_ALL=C PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/tmp/home TMPDIR=/tmp
mkdir -p "$HOME"
# shellcheck disable=SC1090
. "$1"

cg=/sys/fs/cgroup
[ "$(stat -f -c %T "$cg")" = cgroup2fs ] || { echo "test-v2-guest: $cg is not cgroup2"; exit 1; }
grep -qw memory "$cg/cgroup.subtree_control" || { echo "test-v2-guest: no +memory in the root"; exit 1; }
mkdir -p "$cg/oomwatch-tests/runner" &&
        echo +memory >"$cg/oomwatch-tests/cgroup.subtree_control" &&
        echo $$ >"$cg/oomwatch-tests/runner/cgroup.procs" || {
        echo "test-v2-guest: cannot set up /oomwatch-tests"
        exit 1
}
echo "oomwatch-v2: kernel $(uname -r), $(nproc) CPUs, memory.peak $([ -e "$cg/oomwatch-tests/memory.peak" ] && echo present || echo absent), cgroup $(cat /proc/self/cgroup)"

# Emulated (TCG, oomwatch_accel=tcg on the kernel command line) on a shared
# host, everything takes several times as long: the tests' waits for a
# condition get 6 times their limits (a wait ends as soon as its condition
# holds, so this costs nothing where they pass).
scale=1
grep -qw 'oomwatch_accel=kvm' /proc/cmdline || scale=6
# shellcheck disable=SC2086
OOMWATCH_BUILD=$BUILD TEST_TIMEOUT=$TEST_TIMEOUT TEST_VERBOSE=${TEST_VERBOSE:-0} WAIT_SCALE=$scale \
        "$REPO/tests/integration/run.sh" $TESTS
