#!/bin/bash
# profiling.processes = fork_hold: only that program (and what it forks) is
# profiled. The target, a shell, is outside: its agent turns profiling off
# (status "inactive") and a dump of it is refused with the reason. A program
# the shell execs out of scope (grep) starts without the preloaded jemalloc
# and without MALLOC_CONF: no profiling memory. fork_hold, exec'd by the
# shell, gets both back: its agent and its forked children's are ready,
# and `oomwatch dump --pid` of a child writes that child's dump.
. "$(dirname "$0")/lib.sh"

cc -O1 -g -o "$T/fork_hold" "$REPO/tests/programs/fork_hold.c" || fail "cc failed"
printf '[profiling]\nprocesses = fork_hold\n' >"$T/c.conf"
ow_start -c "$T/c.conf" -m 64M -- sh -c '
        echo "grep maps jemalloc: $(grep -c libjemalloc /proc/self/maps)"
        echo "grep MALLOC_CONF: $(env | grep -c "^MALLOC_CONF=")"
        "$0" 3 64 & wait' "$T/fork_hold"
up() { grep -q "^up 3" "$T/oomwatch.out"; }
WAIT_TIMEOUT=20 wait_for up || fail "fork_hold did not start: $(cat "$OW_LOG" "$T/oomwatch.out")"
assert_eq "$(grep '^grep maps' "$T/oomwatch.out")" "grep maps jemalloc: 0" "jemalloc in a program exec'd out of scope"
assert_eq "$(grep '^grep MALLOC' "$T/oomwatch.out")" "grep MALLOC_CONF: 0" "MALLOC_CONF of a program exec'd out of scope"
st() { "$OW_BIN" status --json "$OW_PID"; }
ready() { [ "$(st | jq '[.processes[] | select(.agent == "ready")] | length')" = 4 ]; }
WAIT_TIMEOUT=10 wait_for ready || fail "not four ready agents: $(st | jq -c .processes)"
st | jq -c '.processes[] | {pid, ppid, agent, command}'
target=$(st | jq '.target_pid')
assert_eq "$(st | jq -r --argjson t "$target" '.processes[] | select(.pid == $t) | .agent')" inactive \
        "the shell's agent (outside profiling.processes)"
"$OW_BIN" dump --pid "$target" "$OW_PID" 2>"$T/refused" && fail "a dump of the shell was taken"
grep -q "outside profiling.processes" "$T/refused" || fail "the refusal does not say why: $(cat "$T/refused")"
hold=$(st | jq --argjson t "$target" '[.processes[] | select(.ppid == $t and .agent == "ready")][0].pid')
kid=$(st | jq --argjson h "$hold" '[.processes[] | select(.ppid == $h)][0].pid')
for p in "$hold" "$kid"; do
        f=$("$OW_BIN" dump --pid "$p" "$OW_PID") || fail "no dump of pid $p"
        [[ $f == */oomwatch.$p.*.m*.heap ]] || fail "the dump of pid $p is named '$f'"
done
kill -TERM "$OW_PID"
ow_wait || fail "oomwatch did not stop"
assert_no_ow_cgroups
