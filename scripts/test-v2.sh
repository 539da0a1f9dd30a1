#!/bin/bash
# Run integration tests on a cgroup v2 kernel under qemu.
#
#   scripts/test-v2.sh [PATTERN...]
#
# This project's machines expose the memory controller on cgroup v1 only, so
# the v2 path gets a kernel of its own: Debian's kernel package (the versioned
# package linux-image-amd64 depends on) is fetched with `apt-get download` and
# unpacked with `dpkg-deb -x` into build/v2/ (cached there, never installed).
# A busybox-static initramfs loads the virtio and 9p modules in the order of
# the package's modules.dep (generated with `busybox depmod` when the package
# ships none), mounts the host's / read-only over virtio-9p, mounts proc, sys,
# devtmpfs, tmpfs on /tmp and /run and cgroup2 on /sys/fs/cgroup, chroots and
# runs scripts/test-v2-guest.sh, which runs the tests as root and prints the
# runner's "N passed, N failed, N skipped" line on the console; then the VM
# powers off.
#
# PATTERN   integration tests to run (run.sh patterns); default: $V2_TESTS or
#           the tests whose path differs on v2: OOM, signal, restart, PID 1
#           and v2-only tests (t_v2_*: among them the unprivileged container
#           with memory.oom.group 0 and 1), lib.sh's own cgroup helpers
#           (t_leaky_oom_killed_in_cgroup), dumps on demand, stale cgroups,
#           the process tree read from v2's cgroup.procs and the victim
#           matched in v2's kernel messages (t_tree_prefork_, t_tree_wrapper_,
#           t_tree_victim_observed_, t_tree_profiling_scope, t_rel_07_),
#           planted FIFOs, and the idle supervisor (t_status_idle_: v2 polls
#           the usage). Tests of the tree, the analysis and bundles that do
#           not depend on the cgroup version run in the main suite only:
#           under TCG each takes 1.5-2.5 minutes, and CI has 20.
#
# Environment:
#   OOMWATCH_BUILD  the build to test (default <repo>/build); must be on the
#                   host's root filesystem (the VM sees the host's / read-only)
#   V2_DIR          cache and work directory (default <repo>/build/v2)
#   V2_ACCEL        kvm, tcg or auto (default): KVM when /dev/kvm opens and the
#                   guest's /init speaks within V2_KVM_BOOT_S (10) seconds,
#                   else TCG
#   V2_TIMEOUT      hard limit on one VM run in seconds (default 900)
#   V2_MEM          guest memory (default 2G)
#   V2_QEMU         the qemu-system-x86_64 to use (default: from PATH)
#   V2_REQUIRED=1   a VM that cannot run at all is an error, not a skip
#   TEST_VERBOSE=1  every test's output, not only the failed ones' (run.sh)
#
# Where qemu cannot run at all (no qemu, no busybox-static, no kernel package
# reachable), the tests are reported as SKIPPED with the line
# "0 passed, 0 failed, N skipped", never as passed.
#
# EXIT STATUS: 0 when the VM ran every test and none failed (or everything
# was skipped, unless V2_REQUIRED=1); 1 when a test failed or the VM did not
# print the runner's closing line (crash, hang, time limit); 2 on bad usage.
set -u
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
build=${OOMWATCH_BUILD:-$repo/build}
work=${V2_DIR:-$repo/build/v2}
accel=${V2_ACCEL:-auto}
vm_timeout=${V2_TIMEOUT:-900}
kvm_boot_s=${V2_KVM_BOOT_S:-10}
mem=${V2_MEM:-2G}
default_tests="t_run_slow_leak_oom_kill t_run_instant_oom t_run_kill9_is_not_oom t_run_sigterm_forwarded
t_run_restart_on_oom t_pid1_ t_v2_ t_leaky_oom_killed_in_cgroup t_capture_dump_command t_rel_27_stale_cgroups_reclaimed
t_tree_prefork_ t_tree_wrapper_ t_tree_profiling_scope t_tree_victim_observed_ t_rel_07_
t_rel_22_planted_fifos_never_block t_status_idle_"
if [ $# -gt 0 ]; then
        tests="$*"
else
        tests=${V2_TESTS:-$default_tests}
fi
# one line of blank-separated patterns (the guest's sh reads it back)
tests=${tests//$'\n'/ }

say() { echo "test-v2: $*" >&2; }

n_tests() {
        local n=0 t name p
        for t in "$repo"/tests/integration/t_*.sh; do
                name=$(basename "$t" .sh)
                for p in $tests; do
                        # shellcheck disable=SC2053
                        if [[ $name == *$p* ]]; then
                                n=$((n + 1))
                                break
                        fi
                done
        done
        echo "$n"
}

skip_all() {
        say "SKIPPED: $*"
        echo "0 passed, 0 failed, $(n_tests) skipped"
        [ "${V2_REQUIRED:-0}" = 1 ] && exit 1
        exit 0
}

case $accel in auto | kvm | tcg) ;; *) say "V2_ACCEL must be auto, kvm or tcg"; exit 2 ;; esac
[ -x "$build/oomwatch" ] || { say "$build/oomwatch is not built (make first)"; exit 2; }
case $build in /*) ;; *) build=$(cd "$build" && pwd) ;; esac

qemu=${V2_QEMU:-$(command -v qemu-system-x86_64)}
[ -n "$qemu" ] && [ -x "$qemu" ] || skip_all "qemu-system-x86_64 is not installed (qemu-system-x86)"
busybox=""
for b in /bin/busybox /usr/bin/busybox; do
        # the initramfs has no libraries: only a static busybox will do
        if [ -x "$b" ] && ! LC_ALL=C ldd "$b" >/dev/null 2>&1; then
                busybox=$b
                break
        fi
done
[ -n "$busybox" ] || skip_all "no static busybox (busybox-static)"
command -v cpio >/dev/null || skip_all "cpio is not installed"
command -v dpkg-deb >/dev/null || skip_all "dpkg-deb is not available"
[ "$(uname -m)" = x86_64 ] || skip_all "the VM is x86_64 only"

mkdir -p "$work" || exit 1

# ---- the kernel package --------------------------------------------------------
kpkg() { apt-cache depends linux-image-amd64 2>/dev/null | awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'; }
pkg=$(kpkg)
if [ -z "$pkg" ]; then
        say "apt does not know linux-image-amd64; running apt-get update once"
        apt-get update -qq >/dev/null 2>&1
        pkg=$(kpkg)
fi
if [ -z "$pkg" ]; then
        # offline: use what an earlier run left in the cache
        deb=$(ls -1 "$work"/linux-image-[0-9]*-amd64_*.deb 2>/dev/null | sort -V | tail -n 1)
        [ -n "$deb" ] || skip_all "no kernel package: apt cannot resolve linux-image-amd64 and nothing is cached in $work"
        pkg=$(basename "$deb" | sed 's/_.*//')
else
        deb=$(ls -1 "$work/${pkg}"_*.deb 2>/dev/null | sort -V | tail -n 1)
        if [ -z "$deb" ]; then
                say "downloading $pkg"
                (cd "$work" && apt-get download "$pkg" >/dev/null 2>&1) || true
                deb=$(ls -1 "$work/${pkg}"_*.deb 2>/dev/null | sort -V | tail -n 1)
                [ -n "$deb" ] || skip_all "apt-get download $pkg failed"
        fi
fi
kver=${pkg#linux-image-}
ktree=$work/$pkg
if [ ! -e "$ktree/.extracted" ] || [ "$deb" -nt "$ktree/.extracted" ]; then
        say "extracting $(basename "$deb")"
        rm -rf "$ktree"
        dpkg-deb -x "$deb" "$ktree" || { say "dpkg-deb -x $deb failed"; exit 1; }
        touch "$ktree/.extracted"
fi
vmlinuz=$ktree/boot/vmlinuz-$kver
moddir=$ktree/lib/modules/$kver
[ -r "$vmlinuz" ] || { say "no $vmlinuz in the package"; exit 1; }
if [ ! -s "$moddir/modules.dep" ]; then
        # Debian generates modules.dep at install time; do what depmod would
        "$busybox" depmod -b "$ktree" "$kver" || { say "depmod failed"; exit 1; }
fi

# Load order from modules.dep: each module after everything it depends on.
declare -A seen=()
order=()
add_module() {
        local name=$1 line rel dep
        [ -n "${seen[$name]:-}" ] && return 0
        seen[$name]=1
        line=$(grep -E "(^|/)${name}\\.ko(\\.[a-z]+)?:" "$moddir/modules.dep" | head -n 1)
        [ -n "$line" ] || { say "module $name is not in $moddir/modules.dep"; return 1; }
        rel=${line%%:*}
        for dep in ${line#*:}; do
                dep=$(basename "$dep")
                add_module "${dep%%.ko*}" || return 1
        done
        order+=("$rel")
}
for m in virtio_pci 9pnet_virtio 9p; do
        # a module built in (modules.builtin) needs no loading
        if grep -qE "/${m}\\.ko\$" "$moddir/modules.builtin" 2>/dev/null; then
                continue
        fi
        add_module "$m" || exit 1
done

# ---- the initramfs ---------------------------------------------------------------
ird=$work/initramfs
rm -rf "$ird"
mkdir -p "$ird/bin" "$ird/lib/modules" "$ird/proc" "$ird/sys" "$ird/dev" "$ird/newroot" || exit 1
cp "$busybox" "$ird/bin/busybox" || exit 1
: >"$ird/modules"
for rel in "${order[@]}"; do
        f=$(basename "$rel")
        case $f in
        *.ko) cp "$moddir/$rel" "$ird/lib/modules/$f" ;;
        *.ko.xz) xz -dc "$moddir/$rel" >"$ird/lib/modules/${f%.xz}"; f=${f%.xz} ;;
        *.ko.gz) gzip -dc "$moddir/$rel" >"$ird/lib/modules/${f%.gz}"; f=${f%.gz} ;;
        *.ko.zst) zstd -qdc "$moddir/$rel" >"$ird/lib/modules/${f%.zst}"; f=${f%.zst} ;;
        *) say "unknown module file $rel"; exit 1 ;;
        esac || exit 1
        echo "$f" >>"$ird/modules"
done
{
        printf 'REPO=%q\n' "$repo"
        printf 'BUILD=%q\n' "$build"
        printf 'TESTS=%q\n' "$tests"
        printf 'TEST_TIMEOUT=%q\n' "${TEST_TIMEOUT:-180}"
        printf 'TEST_VERBOSE=%q\n' "${TEST_VERBOSE:-0}"
} >"$ird/params"
cat >"$ird/init" <<'EOF'
#!/bin/busybox sh
# PID 1 of the cgroup v2 test VM (written by scripts/test-v2.sh).
/bin/busybox --install -s /bin
export PATH=/bin
echo "oomwatch-v2: init"
off() { echo "oomwatch-v2: $*"; sync; poweroff -f; sleep 10; }
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
while read -r m; do
        insmod "/lib/modules/$m" || off "insmod $m failed"
done </modules
mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=262144,cache=loose hostroot /newroot ||
        off "cannot mount the host's root over 9p"
R=/newroot
. /params
# the repository or build may live under /tmp or /run on the host, which get
# tmpfs mounts here: keep them visible at their own paths
hidden() { case $1 in /tmp/* | /run/*) return 0 ;; esac; return 1; }
n=0
for d in "$REPO" "$BUILD"; do
        n=$((n + 1))
        case $d in "$REPO"/*) [ $n = 2 ] && continue ;; esac
        hidden "$d" || continue
        mkdir -p /stash/$n && mount --bind "$R$d" /stash/$n || off "cannot keep $d visible"
done
mount -t proc proc $R/proc
mount -t sysfs sysfs $R/sys
mount -t devtmpfs devtmpfs $R/dev
mount -t tmpfs -o mode=1777 tmpfs $R/tmp
mount -t tmpfs -o mode=755 tmpfs $R/run
n=0
for d in "$REPO" "$BUILD"; do
        n=$((n + 1))
        [ -d /stash/$n ] || continue
        mkdir -p "$R$d" && mount --move /stash/$n "$R$d" || off "cannot mount $d"
done
[ -d $R/dev/shm ] && mount -t tmpfs -o mode=1777 tmpfs $R/dev/shm
mount -t cgroup2 -o nsdelegate cgroup2 $R/sys/fs/cgroup || off "cannot mount cgroup2"
echo +memory >$R/sys/fs/cgroup/cgroup.subtree_control || off "cannot enable +memory in the root cgroup"
ip link set lo up
cp /params $R/run/oomwatch-v2.params
chroot $R /bin/bash "$REPO/scripts/test-v2-guest.sh" /run/oomwatch-v2.params
off "done (status $?)"
EOF
chmod 755 "$ird/init"
(cd "$ird" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initramfs.cpio.gz" || exit 1

# ---- the VM --------------------------------------------------------------------
log=$work/console.log
kvm_ok() { [ -c /dev/kvm ] && (exec 3<>/dev/kvm) 2>/dev/null; }
qemu_pid=""
stop_qemu() {
        if [ -n "$qemu_pid" ]; then
                kill -TERM "$qemu_pid" 2>/dev/null
                sleep 1
                kill -KILL "$qemu_pid" 2>/dev/null
                wait "$qemu_pid" 2>/dev/null
                qemu_pid=""
        fi
}
trap 'stop_qemu' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# run_vm ACCEL BOOT_DEADLINE_S: 0 when the VM ran and powered off, 2 when the
# guest did not reach /init in time (only with a boot deadline), 1 when the
# VM was stopped at the time limit or qemu failed
run_vm() {
        local a=$1 boot=$2 start now booted=0 cpu
        cpu=max
        [ "$a" = kvm ] && cpu=host
        : >"$log"
        "$qemu" -accel "$a" -cpu "$cpu" -smp 2 -m "$mem" -nographic -no-reboot -nic none \
                -kernel "$vmlinuz" -initrd "$work/initramfs.cpio.gz" \
                -append "console=ttyS0 panic=-1 quiet loglevel=3 rdinit=/init oomwatch_accel=$a" \
                -virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap" \
                </dev/null >"$log" 2>&1 &
        qemu_pid=$!
        start=$SECONDS
        while kill -0 "$qemu_pid" 2>/dev/null; do
                now=$((SECONDS - start))
                if [ "$booted" = 0 ] && grep -qa 'oomwatch-v2: init' "$log"; then
                        booted=1
                        say "guest up after ${now} s ($a)"
                fi
                if [ "$booted" = 0 ] && [ "$boot" -gt 0 ] && [ "$now" -ge "$boot" ]; then
                        say "no sign of the guest after ${boot} s with $a; stopping it"
                        stop_qemu
                        return 2
                fi
                if [ "$now" -ge "$vm_timeout" ]; then
                        say "time limit of ${vm_timeout} s reached; stopping the VM"
                        stop_qemu
                        return 1
                fi
                sleep 1
        done
        wait "$qemu_pid" 2>/dev/null
        local rc=$?
        qemu_pid=""
        if [ "$booted" = 0 ] && ! grep -qa 'oomwatch-v2: init' "$log"; then
                # qemu exited before the guest said anything: it cannot run here
                if grep -qaiE 'could not|failed to|error' "$log"; then
                        [ "$boot" -gt 0 ] && return 2
                        say "qemu failed: $(grep -aiE 'could not|failed to|error' "$log" | head -n 3)"
                        return 3
                fi
        fi
        [ "$rc" = 0 ] || say "qemu exited with status $rc"
        return 0
}

t0=$SECONDS
used=""
if [ "$accel" != tcg ] && kvm_ok; then
        run_vm kvm "$kvm_boot_s"
        rc=$?
        used=kvm
        if [ "$rc" = 2 ]; then
                why=$(tr -d '\r' <"$log" | grep -aiE 'could not|failed|error|assert' | head -n 2 | tr '\n' ' ')
                [ "$accel" = kvm ] && { say "KVM did not boot the guest${why:+: $why}"; exit 1; }
                say "KVM did not boot the guest${why:+ (qemu: $why)}; falling back to TCG"
                used=""
        fi
elif [ "$accel" = kvm ]; then
        say "/dev/kvm cannot be opened"
        exit 1
fi
if [ -z "$used" ]; then
        t0=$SECONDS
        run_vm tcg 0
        rc=$?
        used=tcg
fi
[ "$rc" = 3 ] && skip_all "qemu cannot run here"
elapsed=$((SECONDS - t0))

# ---- the verdict ---------------------------------------------------------------
# the console's carriage returns and terminal escapes go
tr -d '\r' <"$log" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1bc//g' >"$log.txt"
sed -n '/oomwatch-v2: init/,$p' "$log.txt" | grep -av '^\[ *[0-9.]*\]'
summary=$(grep -aE '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$log.txt" | tail -n 1)
say "VM run: ${elapsed} s with $used"
if [ -z "$summary" ]; then
        say "the VM did not print the runner's closing line; console log: $log"
        tail -n 30 "$log.txt" >&2
        exit 1
fi
read -r passed _ failed _ skipped _ <<<"$summary"
if [ "$failed" != 0 ]; then
        say "FAILED on cgroup v2: $summary"
        exit 1
fi
if [ "$passed" = 0 ]; then
        say "no test passed in the VM: $summary"
        exit 1
fi
exit 0
