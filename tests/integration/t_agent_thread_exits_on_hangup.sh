#!/bin/bash
# When the supervisor's end of the channel goes away, the agent's thread
# ends quietly and the target carries on to its normal end.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

agent_build
# the target runs until the test has looked at it ($T/looked; 60 s at most)
MALLOC_CONF=prof:true,prof_prefix:$T/d agent_drive_bg ready ping close "waitfile:$T/looked" wait -- \
        "$TARGET" --ms 60000 --until "$T/looked"
wait_for grep -q '^closed' "$OUT" || fail "the channel was not closed: $(cat "$OUT" "$T/driver.err")"
pid=$(awk '$1 == "started" { print $2 }' "$OUT")
grep -q '^reply ping id=1 ok pong' "$OUT" || fail "no pong before the close"
threads() { [ "$(ls "/proc/$pid/task" 2>/dev/null | wc -l)" = "$1" ]; }
wait_for threads 1 || fail "the agent's thread is still there: $(ls "/proc/$pid/task")"
touch "$T/looked"
agent_drive_wait
assert_eq "$DRIVE_RC" 0 "driver status"
grep -qx 'done' "$OUT" || fail "the target did not finish"
grep -qx 'exit 0' "$OUT" || fail "the target did not exit 0"
