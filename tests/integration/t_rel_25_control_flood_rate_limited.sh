#!/bin/bash
# Promise 25: a refused client is told "permission denied", and refusals are
# logged at a bounded rate with a count. User nobody asks a root supervisor
# for a dump (the CLI says "permission denied", not "Broken pipe"), then
# floods it with 20,000 connections: to its socket in /run/oomwatch (the
# kernel refuses them: mode 0600) and, where the supervisor has only its
# abstract name (a mount namespace without a usable /run/oomwatch), to that
# name, where the supervisor itself refuses each one. The log gets a line at
# the first refusal, then at most one per 10 s window and one at the end
# (an AddressSanitizer build on a loaded host takes longer than a window
# for the flood), whose counts add up to 20,000, and root is still served
# during and after the flood.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root (the supervisor runs as root, the client as nobody)"
ow_user_build
cc -O1 -o "$U/sockprobe" "$REPO/tests/programs/sockprobe.c" || fail "cannot build sockprobe"
as_nobody() { su nobody -s /bin/sh -c "$*"; }
N=20000

# ---- 1. /run/oomwatch
ow_start -m 64M -- sleep 60
wait_for test -S "/run/oomwatch/$OW_PID.sock" || fail "no socket in /run/oomwatch: $(cat "$OW_LOG")"
as_nobody "'$OW_BIN' dump $OW_PID" > "$T/out" 2> "$T/err"
assert_eq "$?" 1 "oomwatch dump as another user"
grep -q "permission denied" "$T/err" || fail "the refused client was not told 'permission denied': $(cat "$T/err")"
grep -qi "broken pipe" "$T/err" && fail "the refused client saw: $(cat "$T/err")"
read -r answers denied < <(as_nobody "'$U/sockprobe' flood /run/oomwatch/$OW_PID.sock $N")
assert_eq "$answers" 0 "answers to another user's connections to /run/oomwatch"
out=$("$OW_BIN" dump "$OW_PID" 2>&1) || fail "root was not served after the flood: $out"
kill -TERM "$OW_PID"
ow_wait
assert_eq "$(grep -c refused "$OW_LOG")" 0 "log lines about refusals the kernel made"

# ---- 2. only the abstract name: the supervisor refuses each client itself
OW_PREFIX=(unshare -m --propagation private sh -c \
        'mount -t tmpfs -o mode=0755 tmpfs /run && mkdir /run/oomwatch && chown nobody /run/oomwatch && exec "$@"' sh)
ow_start -m 64M -d "$T/dumps2" -- sleep 60
unset OW_PREFIX
wait_for grep -q "cannot use /run/oomwatch" "$OW_LOG" || fail "expected the abstract fallback: $(cat "$OW_LOG")"
t0=$(date +%s%N)
reply=$(as_nobody "'$U/sockprobe' ask @oomwatch/$OW_PID dump")
case $reply in "err permission denied"*) ;; *) fail "a refused client got '$reply'" ;; esac
as_nobody "'$U/sockprobe' flood @oomwatch/$OW_PID $N" > "$T/flood" &
flood=$!
out=$("$OW_BIN" dump "$OW_PID" 2>&1) || fail "root was not served during the flood: $out"
wait "$flood"
read -r answers denied < "$T/flood"
echo "flood: $answers answers, $denied of them 'permission denied'"
assert_eq "$denied" "$N" "clients told 'permission denied'"
out=$("$OW_BIN" dump "$OW_PID" 2>&1) || fail "root was not served after the flood: $out"
kill -TERM "$OW_PID"
ow_wait
windows=$(( ($(date +%s%N) - t0) / 10000000000 + 1 ))
grep refused "$OW_LOG"
lines=$(grep -c refused "$OW_LOG")
# the first, one per window begun since, the rest at the end
assert_le "$lines" $((1 + windows + 1)) "log lines about $((N + 1)) refused clients in $windows 10 s windows"
total=$(awk '/refused a control request/ { n += 1 } /refused [0-9]+ / { for (i = 1; i < NF; i++) if ($i == "refused") n += $(i + 1) } END { print n + 0 }' "$OW_LOG")
assert_eq "$total" "$((N + 1))" "refusals counted in the log"
assert_no_ow_cgroups
