#!/bin/bash
# Promise 25: another local user cannot take over the control socket. User
# nobody takes the names a supervisor would listen on before it starts (the
# abstract "oomwatch/<pid>", a file in /run/oomwatch) and answers every
# request with a forged dump path. `oomwatch dump` and `oomwatch status` reach
# the real supervisor, or refuse the squatter; they never print its answer.
# Then the same where /run/oomwatch cannot be used (a mount namespace where
# another user owns it): the supervisor has only the abstract name, which the
# squatter holds, and the dump directory's socket.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root (the supervisor runs as root, the squatter as nobody)"
ow_user_build
cc -O1 -o "$U/sockprobe" "$REPO/tests/programs/sockprobe.c" || fail "cannot build sockprobe"
mkfifo "$T/go"

squat() { # NAME...: user nobody takes them; sets SQ_PID
        su nobody -s /bin/sh -c "exec '$U/sockprobe' squat $*" > "$T/squat.out" 2>&1 &
        SQ_PID=$!
        at_exit "kill $SQ_PID 2>/dev/null"
        wait_for grep -q '^squatting' "$T/squat.out" || fail "the squatter did not start: $(cat "$T/squat.out")"
}

# ---- 1. the default: /run/oomwatch, root's alone
OW_GATE=$T/go ow_start -m 64M -- sleep 60
squat "@oomwatch/$OW_PID" "/run/oomwatch/$OW_PID.sock"
grep -q "^squatted /run" "$T/squat.out" && fail "nobody could bind in /run/oomwatch: $(cat "$T/squat.out")"
echo go > "$T/go"
wait_for test -S "/run/oomwatch/$OW_PID.sock" || fail "no socket in /run/oomwatch: $(cat "$OW_LOG")"
# the agent registers a moment after the target starts: ask until it answers
dump_ok() {
        out=$("$OW_BIN" dump "$1" 2>&1) || return 1
        case $out in "$2/"*.heap) return 0 ;; *forged*) fail "the squatter's answer was believed: $out" ;; esac
        return 1
}
wait_for dump_ok "$OW_PID" "$T/dumps" || fail "oomwatch dump by pid failed: $out"
"$OW_BIN" status "$OW_PID" > "$T/status.txt" 2>&1 || fail "oomwatch status failed: $(cat "$T/status.txt")"
grep -q "^supervisor:  pid $OW_PID, running" "$T/status.txt" || fail "status: $(cat "$T/status.txt")"
out=$("$OW_BIN" dump "$T/dumps" 2>&1) || fail "oomwatch dump by dump directory failed: $out"
case $out in "$T/dumps/"*.heap) ;; *) fail "oomwatch dump DIR printed '$out'" ;; esac
out=$("$OW_BIN" dump "/run/oomwatch/$OW_PID.sock" 2>&1) || fail "oomwatch dump by socket failed: $out"
"$OW_BIN" status "/run/oomwatch/$OW_PID.sock" > "$T/status.txt" 2>&1 || fail "oomwatch status by socket failed: $(cat "$T/status.txt")"
grep -q "^supervisor:  pid $OW_PID, running" "$T/status.txt" || fail "status by socket: $(cat "$T/status.txt")"
kill "$SQ_PID"
kill -TERM "$OW_PID"
ow_wait
assert_eq "$OW_STATUS" 143 "status after SIGTERM"
[ -e "/run/oomwatch/$OW_PID.sock" ] && fail "the socket file stayed after the supervisor ended"

# ---- 2. no usable /run/oomwatch: the squatter holds the abstract name
OW_PREFIX=(unshare -m --propagation private sh -c \
        'mount -t tmpfs -o mode=0755 tmpfs /run && mkdir /run/oomwatch && chown nobody /run/oomwatch && exec "$@"' sh)
OW_GATE=$T/go ow_start -m 64M -d "$T/dumps2" -- sleep 60
unset OW_PREFIX
squat "@oomwatch/$OW_PID"
echo go > "$T/go"
wait_for grep -q "took the name first" "$OW_LOG" || fail "no warning about the squatted name: $(cat "$OW_LOG")"
wait_for test -S "$T/dumps2/.oomwatch/control.sock" || fail "no socket in the dump directory"
"$OW_BIN" dump "$OW_PID" > "$T/out" 2> "$T/err"
assert_eq "$?" 1 "oomwatch dump by pid when a squatter holds the name"
grep -q forged "$T/out" "$T/err" && fail "the squatter's answer was believed: $(cat "$T/out" "$T/err")"
grep -q "refusing to trust it" "$T/err" || fail "no refusal: $(cat "$T/err")"
echo "by pid: $(cat "$T/err")"
"$OW_BIN" status "$OW_PID" > "$T/out" 2> "$T/err"
assert_eq "$?" 1 "oomwatch status by pid when a squatter holds the name"
grep -q forged "$T/out" "$T/err" && fail "status believed the squatter"
# (here too the agent registers a moment after the target starts)
wait_for dump_ok "$T/dumps2" "$T/dumps2" || fail "oomwatch dump by dump directory failed: $out"
"$OW_BIN" status "$T/dumps2" | grep -q "^supervisor:  pid $OW_PID, running" || fail "status DIR"
kill -TERM "$OW_PID"
ow_wait
assert_no_ow_cgroups
