#!/bin/bash
# The agent runs inside other people's programs: it defines no dynamic
# symbol a program could bind to by accident.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

[ -f "$AGENT" ] || fail "$AGENT is not built"
command -v nm >/dev/null || skip "no nm"
syms=$(nm -D --defined-only "$AGENT") || fail "nm cannot read $AGENT"
assert_eq "$syms" "" "symbols the agent exports"
