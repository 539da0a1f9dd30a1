#!/bin/bash
# Garbage in the agent's variables, or a rendezvous fd that is closed, not a
# socket, or not the rendezvous (inode): the agent stays inert and the
# program runs normally. A process without jemalloc that is not the target
# registers nothing and keeps the rendezvous for the programs it starts.
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

# Through the driver: a closed rendezvous, stdout named as the rendezvous,
# an inode that does not match: no registration, the program runs to its end.
for opt in --no-inherit "--env-fd 1" "--env-ino 12345" "--env-ino none"; do
        # shellcheck disable=SC2086
        agent_drive $opt sleep:300 wait -- "$TARGET" --ms 300
        assert_eq "$DRIVE_RC" 0 "driver status with $opt"
        grep -q '^register\|^hello' "$OUT" && fail "a registration with $opt"
        grep -qx done "$OUT" || fail "the target did not finish with $opt"
        grep -qx 'exit 0' "$OUT" || fail "the target did not exit 0 with $opt"
done

# Not the target (pid 1 named) and no jemalloc: nothing registers, the
# rendezvous stays open for the programs it would start.
agent_drive --env-pid 1 sleep:300 wait -- /bin/sh -c 'echo "fds: $(ls /proc/$$/fd | tr "\n" " ")"' >&2
grep -q '^register\|^hello' "$OUT" && fail "a process without jemalloc that is not the target registered"
[[ " $(grep '^fds:' "$OUT") " == *" $AGENT_FD "* ]] || fail "the rendezvous was closed: $(grep '^fds:' "$OUT")"
# ... and the target without jemalloc says so
agent_drive hello wait -- /bin/sh -c 'true'
assert_eq "$(out_field kind hello)" nojemalloc "the target's hello without jemalloc"
