#!/bin/bash
# A dump the supervisor asks for is written by the agent's thread, and the
# files jemalloc opens for it (the dump, /proc/self/maps) must not take a
# number in the program's fd table. dash redirects with close(1) and
# dup2(FD, 1): an open on the agent's thread between the two took fd 1 and
# the dup2 failed with EBUSY ("echo: I/O error"; seen once in about five
# runs of 400 restarts). The target here redirects in a tight loop while
# the test asks for 150 dumps; every redirect must work. And the agent's
# thread has a table of its own: it holds the channel and 0-2 only (an
# empty pipe's read end), none of the program's files.
. "$(dirname "$0")/lib.sh"

ow_start -m 64M -- sh -c 'while :; do
                echo x >> "$0" || { echo "redirect failed" >&2; exit 3; }
                [ -e "$0.stop" ] && exit 0
        done' "$T/out"
wait_for test -s "$T/out" || fail "the target does not write: $(tail -n 3 "$OW_LOG")"
pid=$(head -n 1 "$(_cg_self_memory)/oomwatch.$OW_PID/cgroup.procs")
[ -n "$pid" ] || fail "no target pid"

agent_tid() {
        local t
        for t in /proc/"$pid"/task/*; do
                [ "$(cat "$t/comm" 2>/dev/null)" = oomwatch-agent ] && { basename "$t"; return 0; }
        done
        return 1
}
wait_for agent_tid > /dev/null || fail "the target has no agent thread"
tid=$(agent_tid)
# the agent's table: 0-2 on one pipe, and the channel (a socket) at 200 or above
fds=$(ls "/proc/$pid/task/$tid/fd" | sort -n | tr '\n' ' ')
echo "agent thread's fds: $fds; the program's: $(ls "/proc/$pid/fd" | sort -n | tr '\n' ' ')"
for fd in $(ls "/proc/$pid/task/$tid/fd"); do
        l=$(readlink "/proc/$pid/task/$tid/fd/$fd")
        case $fd:$l in
        [012]:pipe:*) ;;
        *:socket:*) [ "$fd" -ge 200 ] || fail "a socket at fd $fd in the agent's table" ;;
        *) fail "the agent's thread holds fd $fd ($l) of the program" ;;
        esac
done
[ "$(readlink "/proc/$pid/task/$tid/fd/1")" != "$(readlink "/proc/$pid/fd/1")" ] ||
        fail "the agent's thread shares the program's fd table"

ok=0
for i in $(seq 1 150); do
        "$OW_BIN" dump --pid "$pid" "$OW_PID" > /dev/null 2>> "$T/dump.err" && ok=$((ok + 1))
        proc_gone "$pid" && break
done
touch "$T/out.stop"
WAIT_TIMEOUT=30 ow_wait || fail "oomwatch did not exit"
echo "$ok dumps while the target redirected $(wc -l < "$T/out") times"
[ -s "$T/dump.err" ] && echo "oomwatch dump said: $(sort "$T/dump.err" | uniq -c | head -n 3)"
grep -q "redirect failed" "$OW_LOG" && fail "a redirect failed while the agent dumped: $(grep -v '^oomwatch:' "$OW_LOG" | head -n 3)"
assert_eq "$OW_STATUS" 0 "oomwatch exit status (the target's)"
assert_ge "$ok" 100 "dumps written"
assert_no_ow_cgroups
