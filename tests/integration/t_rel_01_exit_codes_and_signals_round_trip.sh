#!/bin/bash
# Promise 1: the target's exit is reported exactly. Every exit code 0-255
# comes back as oomwatch's status; death by signal N comes back as 128+N
# for every signal 1-31 whose default action ends the process. Left out:
# 17 CHLD, 18 CONT, 23 URG, 28 WINCH (ignored by default: the target does
# not die) and 19 STOP, 20 TSTP, 21 TTIN, 22 TTOU (they stop the target,
# they do not end it; a stopped target is checked below: oomwatch waits
# for it and reports the status it exits with once continued).
. "$(dirname "$0")/lib.sh"

run() { "$OW_BIN" run -q -m 32M -d "$T/dumps" -r "$T/reports" -- "$@"; }

bad=
for ((code = 0; code < 256; code++)); do
        run sh -c "exit $code"
        rc=$?
        [ "$rc" = "$code" ] || bad="$bad exit $code->$rc;"
done
[ -z "$bad" ] || fail "exit codes not mirrored:$bad"
echo "exit codes 0-255: all 256 mirrored"

n=0
for ((sig = 1; sig <= 31; sig++)); do
        case $sig in 17 | 18 | 23 | 28 | 19 | 20 | 21 | 22) continue ;; esac
        run sh -c "kill -$sig \$\$; exit 100"
        rc=$?
        [ "$rc" = $((128 + sig)) ] || bad="$bad signal $sig->$rc;"
        n=$((n + 1))
done
[ -z "$bad" ] || fail "signal deaths not mirrored:$bad"
echo "signals: $n of 1-31 mirrored as 128+N"

# A stopped target is not a dead one: oomwatch keeps waiting, and reports
# the exit status once the target is continued.
"$OW_BIN" run -q -m 32M -d "$T/dumps" -r "$T/reports" -- sh -c 'kill -STOP $$; exit 7' &
ow=$!
cg=$(_cg_self_memory)/oomwatch.$ow
at_exit "kill -KILL $ow 2>/dev/null; cg_rm $cg"
has_procs() { test -n "$(cat "$cg/cgroup.procs" 2>/dev/null)"; }
wait_for has_procs || fail "the target did not start"
pid=$(head -n 1 "$cg/cgroup.procs")
stopped() { [ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" = T ]; }
wait_for stopped || fail "the target did not stop"
sleep 0.3
proc_gone "$ow" && fail "oomwatch exited while the target was only stopped"
kill -CONT "$pid"
wait_for proc_gone "$ow" || fail "oomwatch did not exit after the target was continued"
wait "$ow"
assert_eq "$?" 7 "status of the stopped, then continued target"

[ -n "$(ls -A "$T/reports" 2>/dev/null)" ] && fail "bundles written without an OOM kill"
assert_no_ow_cgroups
