#!/bin/bash
# The deployment examples in docs/examples/ still work with this oomwatch:
# - myservice.conf passes `oomwatch config`, and oomwatch runs a command with
#   it (the user lines dropped, its directories moved under a temp dir);
# - the systemd unit passes `systemd-analyze verify` (when systemd-analyze is
#   installed; said so when not), and its ExecStart= runs oomwatch with
#   options `oomwatch run` accepts;
# - the Dockerfile's ENTRYPOINT + CMD and the pod's ENTRYPOINT + args run a
#   command to its end with status 0 in own-cgroup mode, as the image's
#   non-root USER without capabilities, in a cgroup with a limit (the
#   container's), which oomwatch takes as the limit;
# - the pod (parsed with yq) is unprivileged: runAsNonRoot as the image's
#   user, no privilege escalation, read-only root, all capabilities dropped
#   and none added, RuntimeDefault seccomp; it has a memory limit and no -m;
#   /var/lib/oomwatch is an emptyDir or PVC not in memory; the termination
#   message path is the one oomwatch writes by default.
# OOMWATCH_EXAMPLES=DIR checks another copy of docs/examples (to see it fail).
. "$(dirname "$0")/lib.sh"

OW=$BUILD/oomwatch
[ -x "$OW" ] || fail "$OW is not built"
ex=${OOMWATCH_EXAMPLES:-$REPO/docs/examples}  # another copy, to see the checks fail
for f in myservice.conf oomwatch-myservice.service Dockerfile pod.yaml; do
        [ -f "$ex/$f" ] || fail "docs/examples/$f is missing"
done
command -v jq >/dev/null || skip "jq is not installed"

# size with K/M/G (oomwatch) or Ki/Mi/Gi (Kubernetes) suffix -> bytes
bytes() {
        local n=${1%%[KMGkmgi]*} s=${1#"${1%%[KMGkmgi]*}"}
        case ${s%i} in
        K | k) echo $((n << 10)) ;; M | m) echo $((n << 20)) ;; G | g) echo $((n << 30)) ;; "") echo "$n" ;;
        *) return 1 ;;
        esac
}

# 1. the configuration
"$OW" config "$ex/myservice.conf" >"$T/config.out" 2>"$T/config.err" ||
        fail "oomwatch config rejects docs/examples/myservice.conf: $(cat "$T/config.err")"
[ -s "$T/config.err" ] && fail "oomwatch config warns about docs/examples/myservice.conf: $(cat "$T/config.err")"
mkdir -p "$T/state/dumps"
sed -e '/^user *=/d' -e '/^group *=/d' -e "s|/var/lib/oomwatch-myservice|$T/state|g" -e 's/^events *=.*/events = -/' \
        "$ex/myservice.conf" >"$T/myservice.conf"
"$OW" run -c "$T/myservice.conf" -- /bin/true >"$T/run.out" 2>"$T/run.err" ||
        fail "oomwatch run with docs/examples/myservice.conf failed ($?): $(cat "$T/run.err")"
grep -q '"event":"start"' "$T/run.err" || fail "the example's event log (events = -) shows no start: $(cat "$T/run.err")"

# 2. the unit
exec_start=$(sed -n 's/^ExecStart=//p' "$ex/oomwatch-myservice.service")
[ -n "$exec_start" ] || fail "the unit has no ExecStart="
read -r -a words <<<"$exec_start"
[ "${words[0]##*/}" = oomwatch ] && [ "${words[1]}" = run ] || fail "ExecStart= does not run 'oomwatch run': $exec_start"
opts=()
for ((i = 2; i < ${#words[@]}; i++)); do
        [ "${words[i]}" = -- ] && break
        case ${words[i]} in
        /etc/oomwatch/myservice.conf) opts+=("$T/myservice.conf") ;;
        *) opts+=("${words[i]}") ;;
        esac
done
"$OW" run "${opts[@]}" -- /bin/true >/dev/null 2>"$T/unit.err" ||
        fail "the unit's ExecStart= options fail: ${opts[*]}: $(cat "$T/unit.err")"
if command -v systemd-analyze >/dev/null; then
        sed -e "s|^ExecStart=[^ ]*|ExecStart=$OW|" -e 's|-- /usr/local/bin/myservice.*|-- /bin/true|' \
                -e 's|^ExecStartPre=/usr/bin/install|ExecStartPre=/bin/true|' \
                "$ex/oomwatch-myservice.service" >"$T/oomwatch-myservice.service"
        systemd-analyze verify "$T/oomwatch-myservice.service" >"$T/verify.out" 2>&1 ||
                fail "systemd-analyze verify: $(cat "$T/verify.out")"
        grep -q 'oomwatch-myservice.service' "$T/verify.out" && fail "systemd-analyze verify: $(cat "$T/verify.out")"
else
        echo "note: systemd-analyze is not installed; the unit's syntax was not verified"
fi

# 3. the image's entrypoint, with the Dockerfile's CMD and with the pod's
#    args, as the image's USER without capabilities, in a cgroup whose limit
#    stands for the container's (own-cgroup mode takes it)
entry=$(sed -n 's/^ENTRYPOINT //p' "$ex/Dockerfile" | jq -r '.[]') || fail "ENTRYPOINT is not a JSON array"
cmd=$(sed -n 's/^CMD //p' "$ex/Dockerfile" | jq -r '.[]') || fail "CMD is not a JSON array"
command -v yq >/dev/null || fail "yq is not installed (scripts/install-deps.sh installs it)"
yq -e . "$ex/pod.yaml" >/dev/null || fail "pod.yaml is not YAML"
pod() { yq -r "$1" "$ex/pod.yaml"; }
ctr='.spec.containers[0]'
args=$(pod "$ctr.args[]") || fail "the pod's container has no args"
[ -n "$entry" ] && [ -n "$cmd" ] && [ -n "$args" ] || fail "ENTRYPOINT, CMD or args: not found"
user=$(sed -n 's/^USER //p' "$ex/Dockerfile")
uid=${user%%:*} gid=${user#*:}
[[ $uid =~ ^[0-9]+$ ]] && [ "$uid" != 0 ] || fail "the Dockerfile's USER is not a numeric non-root uid: '$user'"
mapfile -t e <<<"$entry"
[ "${e[0]##*/}" = oomwatch ] && [ "${e[1]}" = run ] || fail "ENTRYPOINT does not run 'oomwatch run': ${e[*]}"
printf '%s\n' "${e[@]}" | grep -qx -- --cgroup-mode && [ "$(printf '%s\n' "${e[@]}" | grep -A1 -x -- --cgroup-mode | tail -n 1)" = own ] ||
        fail "ENTRYPOINT does not use --cgroup-mode own: ${e[*]}"
e=("${e[@]:2}")
img=$(mktemp -d /tmp/oomwatch-image.XXXXXX) || fail "mktemp"
at_exit "rm -rf '$img'"
chmod 755 "$img"
cp "$OW" "$BUILD/oomwatch-analysis" "$BUILD/liboomwatch-agent.so" "$img/" || fail "cannot copy oomwatch"
mkdir "$img/vol" && chown "$uid:$gid" "$img/vol" || fail "cannot give the volume to $user"
e=("${e[@]//\/var\/lib\/oomwatch/$img/vol}")
cg_make example-container 64M
for which in CMD args; do
        if [ "$which" = CMD ]; then mapfile -t c <<<"$cmd"; else mapfile -t c <<<"$args"; fi
        run=()
        for ((i = 0; i < ${#c[@]}; i++)); do
                [ "${c[i]}" = -- ] && break
                run+=("${c[i]}")
        done
        [ "$i" -lt "${#c[@]}" ] || fail "$which has no '--' before the service's command"
        (cg_exec "$CG" setpriv --reuid="$uid" --regid="$gid" --clear-groups --inh-caps=-all --bounding-set=-all \
                --no-new-privs "$img/oomwatch" run -v "${e[@]}" "${run[@]}" -- /bin/true) >/dev/null 2>"$T/$which.err" ||
                fail "ENTRYPOINT + $which (${e[*]} ${run[*]}) fail as $user: $(cat "$T/$which.err")"
        grep -q "own-cgroup mode: supervising in $CG .*limit 64 MiB" "$T/$which.err" ||
                fail "ENTRYPOINT + $which did not take the container's limit: $(cat "$T/$which.err")"
        [ -d "$img/vol/dumps" ] || fail "ENTRYPOINT + $which made no dump directory under the volume"
        rm -rf "$img/vol/dumps" "$img/vol/reports"
done

# 4. the pod: unprivileged (Pod Security "restricted"), the image's user,
#    a memory limit, the volume where the entrypoint writes
v() { pod "$1" | sed 's/^null$//'; }
assert_eq "$(v '.spec.securityContext.runAsNonRoot')" true "pod runAsNonRoot"
assert_eq "$(v '.spec.securityContext.runAsUser')" "$uid" "pod runAsUser (the Dockerfile's USER)"
assert_eq "$(v "$ctr.securityContext.allowPrivilegeEscalation")" false "allowPrivilegeEscalation"
assert_eq "$(v "$ctr.securityContext.readOnlyRootFilesystem")" true "readOnlyRootFilesystem"
[ "$(v "$ctr.securityContext.privileged")" != true ] || fail "the pod's container is privileged"
assert_eq "$(pod "$ctr.securityContext.capabilities.drop | join(\",\")")" ALL "capabilities dropped"
assert_eq "$(v "$ctr.securityContext.capabilities.add")" "" "capabilities added"
assert_eq "$(v '.spec.securityContext.seccompProfile.type')" RuntimeDefault "seccomp profile"
[ -n "$(v "$ctr.resources.limits.memory")" ] || fail "the pod's container has no memory limit (own mode's limit)"
printf '%s\n' "${c[@]}" | grep -qx -- -m && fail "the pod's args give -m, which own mode refuses"
mnt=$(pod "$ctr.volumeMounts[] | select(.mountPath == \"/var/lib/oomwatch\") | .name")
[ -n "$mnt" ] || fail "nothing is mounted at /var/lib/oomwatch, where the entrypoint writes"
kind=$(pod ".spec.volumes[] | select(.name == \"$mnt\") | keys | map(select(. != \"name\")) | .[0]")
case $kind in emptyDir | persistentVolumeClaim) ;; *) fail "the volume for dumps is a $kind, not an emptyDir or PVC" ;; esac
[ "$(v ".spec.volumes[] | select(.name == \"$mnt\") | .emptyDir.medium")" != Memory ] ||
        fail "the dump volume is tmpfs (medium: Memory), which counts against the memory limit"
assert_eq "$(v "$ctr.terminationMessagePath")" /dev/termination-log "terminationMessagePath (report.termination_log = auto)"
exit 0
