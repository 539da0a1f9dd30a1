#!/bin/bash
# Only the target answers. A forked child (which keeps allocating with
# jemalloc) gets no agent thread and no copy of the channel, and exits
# normally; a program the target starts with posix_spawn (no fork handlers)
# drops the channel it inherited. Dumps name the target's pid.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

agent_build
MALLOC_CONF=prof:true,prof_prefix:$T/d agent_drive_bg ready dump sleep:300 dump wait -- \
        "$TARGET" --ms 2500 --fork --spawn 'echo "spawned-fds: $(ls /proc/$$/fd | tr "\n" " ")"'
wait_for grep -q '^child ' "$OUT" || fail "no child: $(cat "$OUT" "$T/driver.err")"
pid=$(awk '$1 == "target" { print $2 }' "$OUT")
child=$(awk '$1 == "child" { print $2 }' "$OUT")
wait_for grep -q '^reply dump' "$OUT" || fail "no dump reply: $(cat "$OUT")"
# The child lives 1.5 s: look at it now.
[ -d "/proc/$child" ] || fail "the child is gone too early"
assert_eq "$(ls "/proc/$child/task" | wc -l)" 1 "threads in the forked child"
[ -e "/proc/$child/fd/$AGENT_FD" ] && fail "the forked child still holds the channel (fd $AGENT_FD)"
assert_eq "$(ls "/proc/$pid/task" | wc -l)" 2 "threads in the target (its own + the agent's)"
[ -e "/proc/$pid/fd/$AGENT_FD" ] || fail "the target lost the channel"
agent_drive_wait
assert_eq "$DRIVE_RC" 0 "driver status"
assert_eq "$(grep -c '^hello' "$OUT")" 1 "hellos (the target's only)"
for n in 1 2; do
        f=$(dump_reply $n)
        [[ $f =~ ^$T/d\.$pid\.[0-9]+\.m$((n - 1))\.heap$ ]] || fail "dump #$n is named '$f' (target pid $pid)"
done
grep -qx 'child-status 0' "$OUT" || fail "the forked child did not exit 0"
grep -qx 'spawn-status 0' "$OUT" || fail "the spawned program did not exit 0"
spawned=$(grep '^spawned-fds:' "$OUT") || fail "the spawned program printed nothing"
[[ " ${spawned#spawned-fds:} " == *" $AGENT_FD "* ]] && fail "the spawned program kept the channel: $spawned"
grep -qx 'exit 0' "$OUT" || fail "the target did not exit 0"
