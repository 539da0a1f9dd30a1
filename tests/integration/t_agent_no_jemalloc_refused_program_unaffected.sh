#!/bin/bash
# A program without jemalloc (glibc malloc): the hello says so, requests are
# refused at once with the reason, the agent starts no thread, and the
# program does its work and exits normally.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

agent_build
start=$SECONDS
agent_drive_bg hello dump ping sleep:400 wait -- /bin/sh -c 'printf "%s\n" "sort says: $(printf "b\na\n" | sort | tr "\n" " ")"; exec sleep 1.5'
wait_for grep -q '^hello' "$OUT" || fail "no hello: $(cat "$OUT" "$T/driver.err")"
pid=$(awk '$1 == "started" { print $2 }' "$OUT")
# Once sleep runs in the wrapper's pid: one thread, the channel kept for a later exec.
sleep_exe=$(readlink -f "$(command -v sleep)")
runs_sleep() { [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$sleep_exe" ]; }
hellos() { [ "$(grep -c '^hello' "$OUT")" = "$1" ]; }
wait_for runs_sleep || fail "sleep did not start"
wait_for hellos 2 || fail "no second hello (after exec sleep): $(cat "$OUT")"
assert_eq "$(ls "/proc/$pid/task" | wc -l)" 1 "threads in the target"
[ -S "/proc/$pid/fd/$AGENT_FD" ] || [ -n "$(readlink "/proc/$pid/fd/$AGENT_FD" | grep socket)" ] ||
        fail "the target no longer holds the channel (fd $AGENT_FD)"
agent_drive_wait
assert_eq "$DRIVE_RC" 0 "driver status"
assert_eq "$(out_field kind hello)" nojemalloc "hello kind"
grep -q '^refused dump .*: the target has no jemalloc' "$OUT" || fail "dump not refused with the reason"
grep -q '^refused ping ' "$OUT" || fail "ping not refused"
grep -q '^reply ' "$OUT" && fail "a request was answered by a target without jemalloc"
grep -qx 'sort says: a b ' "$OUT" || fail "the program's pipeline did not work"
grep -qx 'exit 0' "$OUT" || fail "the program did not exit 0"
assert_ge $((SECONDS - start)) 1 "seconds run (sleep 1.5 ran its course)"
