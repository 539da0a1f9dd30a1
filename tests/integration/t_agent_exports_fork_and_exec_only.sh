#!/bin/bash
# The agent runs inside other people's programs: it defines the dynamic
# symbols it interposes (fork, so that a forked child gets a channel of its
# own; execve, execv, execvp, execvpe, so that with profiling.processes a
# program exec'd out of scope starts without profiling) and nothing else a
# program could bind to by accident.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

[ -f "$AGENT" ] || fail "$AGENT is not built"
command -v nm >/dev/null || skip "no nm"
syms=$(nm -D --defined-only "$AGENT" | awk '{ print $2, $3 }' | sort | xargs) || fail "nm cannot read $AGENT"
assert_eq "$syms" "T execv T execve T execvp T execvpe T fork" "symbols the agent exports"
