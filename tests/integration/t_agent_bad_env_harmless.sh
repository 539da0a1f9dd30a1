#!/bin/bash
# Garbage in the agent's variables, or a channel fd that is closed, not a
# socket, or not the channel: the agent stays inert and the program runs
# normally. A process that is not the target closes its inherited copy of
# the channel only when the inode proves it is the channel.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

agent_build
export MALLOC_CONF=prof:true,prof_prefix:$T/d

# Straight from the environment: the variables name this very process.
run_env() {
        local out
        out=$(env "$@" LD_PRELOAD="$AGENT" bash -c 'export OOMWATCH_AGENT_PID=${PIDV:-$$}; exec "$0" --ms 200' \
                "$TARGET" 5>"$T/five") || fail "target failed with $*"
        [ "$(tail -n 1 <<<"$out")" = done ] || fail "target output with $*: $out"
}
run_env OOMWATCH_AGENT_FD=abc
run_env OOMWATCH_AGENT_FD=
run_env OOMWATCH_AGENT_FD=-250
run_env OOMWATCH_AGENT_FD=99999999999999999999
run_env OOMWATCH_AGENT_FD=250 OOMWATCH_AGENT_INO=1
run_env OOMWATCH_AGENT_FD=250                                   # closed fd
run_env OOMWATCH_AGENT_FD=1                                     # stdout
run_env OOMWATCH_AGENT_FD=5                                     # a file, not a socket
run_env OOMWATCH_AGENT_FD=5 PIDV=1                              # ... in a non-target
run_env OOMWATCH_AGENT_FD=250 PIDV=12x
run_env OOMWATCH_AGENT_FD=250 PIDV=0
run_env OOMWATCH_AGENT_FD=250 OOMWATCH_AGENT_INO=zz
[ -z "$(find "$T" -name 'd.*.heap')" ] || fail "dumps written: $(ls "$T")"

# Through the driver: a closed channel, stdout named as the channel, an inode
# that does not match: no hello, the program runs to its end.
for opt in --no-inherit "--env-fd 1" "--env-ino 12345"; do
        # shellcheck disable=SC2086
        agent_drive $opt sleep:300 wait -- "$TARGET" --ms 300
        assert_eq "$DRIVE_RC" 0 "driver status with $opt"
        grep -q '^hello' "$OUT" && fail "hello with $opt"
        grep -qx done "$OUT" || fail "the target did not finish with $opt"
        grep -qx 'exit 0' "$OUT" || fail "the target did not exit 0 with $opt"
done

# Not the target (pid 1 named): the channel is dropped only when proven.
fds_seen() {
        # shellcheck disable=SC2086
        agent_drive $1 wait -- /bin/sh -c 'echo "fds: $(ls /proc/$$/fd | tr "\n" " ")"' >&2
        grep -q '^hello' "$OUT" && fail "hello from a non-target with $1"
        grep '^fds:' "$OUT"
}
[[ " $(fds_seen "--env-pid 1") " == *" $AGENT_FD "* ]] && fail "a non-target kept the channel"
[[ " $(fds_seen "--env-pid 1 --env-ino none") " == *" $AGENT_FD "* ]] ||
        fail "a non-target closed fd $AGENT_FD without proof it is the channel"
[[ " $(fds_seen "--env-pid 1 --env-ino 12345") " == *" $AGENT_FD "* ]] ||
        fail "a non-target closed fd $AGENT_FD whose inode is not the channel's"

# An inert agent (here: the inode does not match) answers nothing: a request
# times out with the reason, and the program is not disturbed.
agent_drive --timeout 500 --env-ino 12345 dump wait -- "$TARGET" --ms 1000
grep -q '^reply dump id=1 err 110 no answer from the agent within 500 ms: the agent has not reported' "$OUT" ||
        fail "the request did not time out with its reason"
grep -qx 'exit 0' "$OUT" || fail "the target did not exit 0"
