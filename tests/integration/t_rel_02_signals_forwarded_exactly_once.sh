#!/bin/bash
# Promise 2: TERM, INT, HUP, QUIT and USR2 sent to oomwatch reach the
# target exactly once each, in order; then 1000 USR2 in a row, each once.
# The target (sig_echo) writes one line per signal to a FIFO, and the test
# sends the next signal only after reading the line for the previous one:
# signals of one kind that are still pending merge into one in the kernel,
# so without the acknowledgement "exactly once" could not be told apart
# from coalescing. The target exits by itself after the last signal; the
# FIFO must then hold no further line.
. "$(dirname "$0")/lib.sh"

cc -O1 -o "$T/sig_echo" "$REPO/tests/programs/sig_echo.c" || fail "cc failed"
mkfifo "$T/acks"
exec 3<>"$T/acks"

usr2=1000
ow_start -q -m 32M -- "$T/sig_echo" "$T/acks" $((5 + usr2))
ack() {
        local line
        read -r -t 10 -u 3 line || fail "no acknowledgement after $2 (oomwatch log: $(cat "$OW_LOG"))"
        [ "$line" = "$1" ] || fail "expected $1 after $2, the target got '$line'"
}
ack ready "start"
for sig in TERM INT HUP QUIT USR2; do
        kill -s "$sig" "$OW_PID"
        ack "$sig" "SIG$sig"
done
echo "TERM INT HUP QUIT USR2: each received once, in order"
for ((i = 1; i <= usr2; i++)); do
        kill -s USR2 "$OW_PID"
        ack USR2 "USR2 number $i"
done
echo "USR2 x $usr2: each received once"
ow_wait || fail "oomwatch did not exit after the target did"
assert_eq "$OW_STATUS" 0 "status"
read -r -t 0.2 -u 3 extra && fail "the target received an extra signal: $extra"
assert_no_ow_cgroups
