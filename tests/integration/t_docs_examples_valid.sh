#!/bin/bash
# The deployment examples in docs/examples/ still work with this oomwatch:
# - myservice.conf passes `oomwatch config`, and oomwatch runs a command with
#   it (the user lines dropped, its directories moved under a temp dir);
# - the systemd unit passes `systemd-analyze verify` (when systemd-analyze is
#   installed; said so when not), and its ExecStart= runs oomwatch with
#   options `oomwatch run` accepts;
# - the Dockerfile's ENTRYPOINT + CMD and the pod's ENTRYPOINT + args are
#   accepted by `oomwatch run` and run a command to its end with status 0;
# - the pod's container memory limit is at least 64 MiB above its -m.
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

# 3. the image's entrypoint, with the Dockerfile's CMD and with the pod's args
entry=$(sed -n 's/^ENTRYPOINT //p' "$ex/Dockerfile" | jq -r '.[]') || fail "ENTRYPOINT is not a JSON array"
cmd=$(sed -n 's/^CMD //p' "$ex/Dockerfile" | jq -r '.[]') || fail "CMD is not a JSON array"
args=$(sed -n 's/^ *args: //p' "$ex/pod.yaml" | jq -r '.[]') || fail "the pod's args: is not a flow sequence"
[ -n "$entry" ] && [ -n "$cmd" ] && [ -n "$args" ] || fail "ENTRYPOINT, CMD or args: not found"
mapfile -t e <<<"$entry"
[ "${e[0]##*/}" = oomwatch ] && [ "${e[1]}" = run ] || fail "ENTRYPOINT does not run 'oomwatch run': ${e[*]}"
e=("${e[@]:2}")
e=("${e[@]//\/var\/lib\/oomwatch/$T/vol}")
for which in CMD args; do
        if [ "$which" = CMD ]; then mapfile -t c <<<"$cmd"; else mapfile -t c <<<"$args"; fi
        run=()
        for ((i = 0; i < ${#c[@]}; i++)); do
                [ "${c[i]}" = -- ] && break
                run+=("${c[i]}")
        done
        [ "$i" -lt "${#c[@]}" ] || fail "$which has no '--' before the service's command"
        "$OW" run "${e[@]}" "${run[@]}" -- /bin/true >/dev/null 2>"$T/$which.err" ||
                fail "ENTRYPOINT + $which (${e[*]} ${run[*]}) fail: $(cat "$T/$which.err")"
        [ -d "$T/vol/dumps" ] || fail "ENTRYPOINT + $which made no dump directory under the volume"
done

# 4. the pod's headroom above -m
mapfile -t c <<<"$args"
m=
for ((i = 0; i < ${#c[@]}; i++)); do [ "${c[i]}" = -m ] && m=${c[i + 1]}; done
limit=$(awk '/limits:/ { f = 1; next } f && /memory:/ { print $2; exit }' "$ex/pod.yaml")
[ -n "$m" ] && [ -n "$limit" ] || fail "the pod's -m ($m) or memory limit ($limit) not found"
m_b=$(bytes "$m") && limit_b=$(bytes "$limit") || fail "cannot read sizes '$m' and '$limit'"
assert_ge "$limit_b" $((m_b + (64 << 20))) "the pod's memory limit in bytes (-m $m plus 64 MiB)"
exit 0
