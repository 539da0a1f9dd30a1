# pod_lib.sh — a Kubernetes container without privileges, simulated with
# util-linux on cgroup v2, for the t_v2_container_pod_* tests (make test-v2
# runs them in a VM). Source after lib.sh:
#     . "$(dirname "$0")/lib.sh"
#     . "$(dirname "$0")/pod_lib.sh"
# Skips the test where it cannot run (not cgroup v2, no setpriv, no user
# nobody, no PID and cgroup namespaces). Sets up:
#   img, vol   the image directory (oomwatch, oomwatch-analysis, the agent and
#              leaky-server where nobody may run them) and the volume nobody owns
#   argv       docs/examples/Dockerfile's ENTRYPOINT + CMD, its paths mapped
#              into $img and $vol, the service on a free port ($port)
#   pod        a pod cgroup with the memory controller for its children
#   container NAME OOM_GROUP
#              the container cgroup $pod/NAME (64M, no swap; made on the first
#              start, kept across restarts like a systemd unit's) with
#              memory.oom.group OOM_GROUP, then PID 1 in the background: a new
#              cgroup namespace with cgroup2 mounted read-only, every file
#              system read-only but the volume, a new PID namespace, user
#              nobody without capabilities. Sets C, UN (unshare's pid), PID1,
#              LOG ($T/NAME.N.log); waits until the service listens
#   leak       GET /leak?mb=8 until the container's PID 1 is gone
#   un_wait    wait for the container to end; sets ST
#   bundles    the bundle directories on the volume
cg_v2 || skip "memory cgroups are not cgroup v2 here (make test-v2 runs this in a VM)"
command -v setpriv >/dev/null || skip "no setpriv(1)"
id nobody >/dev/null 2>&1 || skip "no user nobody"
unshare --pid --fork --mount-proc --cgroup true 2>/dev/null || skip "unshare --pid --cgroup is not permitted here"
[ -x "$OW_BIN" ] && [ -x "$LEAKY_BIN" ] || fail "oomwatch or leaky-server is not built"

# the image: the binaries where nobody may run them, a volume nobody owns
img=$(mktemp -d /tmp/oomwatch-pod.XXXXXX) || fail "mktemp"
at_exit "rm -rf '$img'"
chmod 755 "$img"
cp "$OW_BIN" "$BUILD/oomwatch-analysis" "$BUILD/liboomwatch-agent.so" "$LEAKY_BIN" "$img/" || fail "cannot copy the binaries"
vol=$img/vol
mkdir "$vol" && chown nobody:nogroup "$vol" || fail "cannot make the volume"

# the Dockerfile's ENTRYPOINT + CMD, paths mapped into the image directory
df=$REPO/docs/examples/Dockerfile
# (here-strings, not process substitution: the VM has no /dev/fd)
mapfile -t entry <<<"$(sed -n 's/^ENTRYPOINT //p' "$df" | jq -r '.[]')"
mapfile -t cmd <<<"$(sed -n 's/^CMD //p' "$df" | jq -r '.[]')"
[ ${#entry[@]} -gt 2 ] && [ ${#cmd[@]} -gt 1 ] || fail "no ENTRYPOINT or CMD in $df"
port=$(free_port) || fail "no free TCP port"
argv=()
for a in "${entry[@]}" "${cmd[@]}"; do
        case $a in
        /usr/bin/oomwatch) a=$img/oomwatch ;;
        /usr/local/bin/myservice) a=$img/leaky-server ;;
        8080) a=$port ;;
        esac
        argv+=("${a//\/var\/lib\/oomwatch/$vol}")
done
echo "entrypoint: ${argv[*]}"
printf '%s\n' "${argv[@]}" | grep -qx -- "--cgroup-mode" || fail "the image's entrypoint does not use --cgroup-mode own"

ow_make_cgroup
pod=$OW_CG
echo +memory >"$pod/cgroup.subtree_control" || fail "cannot enable memory in the pod cgroup"
cat >"$img/enter.sh" <<'EOF'
#!/bin/sh
# enter.sh VOLUME CGROUP CMD...: as a container runtime does, join CGROUP,
# take a cgroup namespace rooted there with cgroup2 mounted read-only, make
# every file system read-only but VOLUME (readOnlyRootFilesystem), run CMD
vol=$1 cg=$2
shift 2
echo 0 >"$cg/cgroup.procs" || exit 125
mount --bind "$vol" "$vol" || exit 125
for m in / /tmp /run /dev/shm; do
        mountpoint -q "$m" && { mount -o remount,bind,ro "$m" || exit 125; }
done
exec unshare --cgroup sh -c 'umount -l /sys/fs/cgroup && mount -t cgroup2 -o ro,nosuid,nodev,noexec cgroup2 /sys/fs/cgroup && exec "$@"' sh "$@"
EOF
chmod 755 "$img/enter.sh"
nobody=(setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all --bounding-set=-all --no-new-privs)

# container NAME OOM_GROUP: the container cgroup $pod/NAME (made on the first
# start, kept across restarts like a systemd unit's; a kubelet restart makes
# a new one), then PID 1 in the background: UN (unshare), logs in $T/NAME.N
container() {
        local name=$1 group=$2
        C=$pod/$name
        if [ ! -d "$C" ]; then
                mkdir "$C" && echo $((64 << 20)) >"$C/memory.max" && echo 0 >"$C/memory.swap.max" ||
                        fail "cannot make the container cgroup $C"
        fi
        echo "$group" >"$C/memory.oom.group" || fail "cannot set memory.oom.group"
        RUN=$((${RUN:-0} + 1))
        LOG=$T/$name.$RUN.log
        unshare --pid --fork --mount-proc "$img/enter.sh" "$vol" "$C" "${nobody[@]}" "${argv[@]}" >/dev/null 2>"$LOG" &
        UN=$!
        at_exit "kill -KILL $UN 2>/dev/null"
        # (a restart writes the earlier run's bundle first: slow under qemu's TCG)
        WAIT_TIMEOUT=90 wait_for grep -qs "listening on" "$LOG" || fail "$name: the service did not start: $(cat "$LOG")"
        PID1=$(pgrep -P "$UN" | head -n 1)
        # by inode: seen from here, the container's mounts change the path
        assert_eq "$(stat -L -c %d:%i "/proc/$PID1/exe")" "$(stat -c %d:%i "$img/oomwatch")" "$name: PID 1 of the container"
}
leak() { # until the container's PID 1 is gone
        local i
        for ((i = 0; i < 100; i++)); do
                proc_gone "$PID1" && break
                curl -s -o /dev/null --max-time 20 "http://127.0.0.1:$port/leak?mb=8"
        done
}
un_wait() {
        WAIT_TIMEOUT=60 wait_for proc_gone "$UN" || fail "the container did not end: $(tail "$LOG")"
        wait "$UN"
        ST=$?
}
bundles() { find "$vol/reports" -mindepth 1 -maxdepth 1 -type d 2>/dev/null; }
