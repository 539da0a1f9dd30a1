# agent_lib.sh — helpers for the agent's integration tests (t_agent_*.sh).
# Source after lib.sh:
#     . "$(dirname "$0")/lib.sh"
#     . "$(dirname "$0")/agent_lib.sh"
#
#   agent_build              compile tests/programs/agent_driver.c (with the
#                            real supervisor/agentctl.c) and agent_target.c
#                            (-ljemalloc) into $T; fails when the agent is not built
#   agent_drive STEP... -- CMD...
#                            run the driver in the foreground, output in $OUT
#                            (also echoed), its status in $DRIVE_RC
#   agent_drive_bg STEP... -- CMD...
#                            the same in the background ($DRIVER_PID), output
#                            growing in $OUT; agent_drive_wait collects it
#   out_field KEY LINE_PREFIX   the value of KEY=... in the first matching line
#   dump_reply [N]           the path of the N-th (1) successful dump reply
#
# Variables: AGENT (the .so), AGENT_PRELOAD (LD_PRELOAD for the target,
# default $AGENT), DRIVER, TARGET (binaries in $T), AGENT_FD (the
# fd number the driver moves the channel to in the child).

AGENT=$BUILD/liboomwatch-agent.so
DRIVER=$T/agent_driver
TARGET=$T/agent_target
AGENT_FD=250
OUT=$T/driver.out

agent_build() {
        local cc=${CC:-cc}
        [ -f "$AGENT" ] || fail "$AGENT is not built"
        command -v "$cc" >/dev/null || skip "no C compiler ($cc)"
        "$cc" -std=gnu11 -O2 -g -D_GNU_SOURCE -I"$REPO/supervisor" -o "$DRIVER" \
                "$REPO/tests/programs/agent_driver.c" "$REPO/supervisor/agentctl.c" ||
                fail "cannot build the agent driver"
        "$cc" -std=gnu11 -O2 -g -fno-omit-frame-pointer -o "$TARGET" \
                "$REPO/tests/programs/agent_target.c" -ljemalloc ||
                skip "cannot link a program with -ljemalloc (libjemalloc-dev missing?)"
}

agent_drive() {
        DRIVE_RC=0
        "$DRIVER" --agent "${AGENT_PRELOAD:-$AGENT}" --fd "$AGENT_FD" "$@" >"$OUT" 2>"$T/driver.err" ||
                DRIVE_RC=$?
        sed 's/^/  | /' "$OUT"
}

agent_drive_bg() {
        "$DRIVER" --agent "$AGENT" --fd "$AGENT_FD" "$@" >"$OUT" 2>"$T/driver.err" &
        DRIVER_PID=$!
        at_exit "kill $DRIVER_PID 2>/dev/null"
}

agent_drive_wait() {
        DRIVE_RC=0
        wait "$DRIVER_PID" || DRIVE_RC=$?
        sed 's/^/  | /' "$OUT"
}

out_field() {
        awk -v key="$1" -v pre="$2" 'index($0, pre) == 1 {
                for (i = 1; i <= NF; i++) if (index($i, key "=") == 1) { print substr($i, length(key) + 2); exit }
        }' "$OUT"
}

dump_reply() {
        awk -v n="${1:-1}" '$1 == "reply" && $2 == "dump" && $4 == "ok" && ++k == n {
                sub(/^reply dump id=[0-9]+ ok /, ""); print; exit }' "$OUT"
}

# The seq of a dump file name <prefix>.<pid>.<seq>.<kind><n>.heap
dump_seq() {
        local b=${1##*/}
        b=${b%.heap}
        b=${b%.*}
        echo "${b##*.}"
}
