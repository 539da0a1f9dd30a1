#!/bin/bash
# `oomwatch dump PID` has the supervised target write a heap dump now,
# through the agent, and prints its path; the dump parses. SIGUSR1 does the
# same. With no supervisor, or a target without jemalloc, it says why.
. "$(dirname "$0")/lib.sh"

ow_start_leaky -m 128M
sup=$OW_PID
curl -s -o /dev/null "$LEAKY_URL/leak?mb=4"
path=$("$OW_BIN" dump "$sup") || fail "oomwatch dump failed: $path $(tail -3 "$OW_LOG")"
echo "dump: $path"
case $path in "$T"/dumps/oomwatch.*.m*.heap) ;; *) fail "unexpected dump path '$path'" ;; esac
[ -s "$path" ] || fail "$path does not exist"
"$OW_BIN" diff "$path" > "$T/diff.txt" || fail "the dump does not parse"
grep -q process_leak "$T/diff.txt" || fail "the dump does not show the 4 MiB leak"

base=$("$OW_BIN" dump --baseline "$sup") || fail "oomwatch dump --baseline failed: $base"
[ -s "$base" ] || fail "$base does not exist"

kill -USR1 "$sup"
wait_for grep -q "dump on SIGUSR1: $T/dumps/oomwatch" "$OW_LOG" || fail "no dump on SIGUSR1: $(tail -3 "$OW_LOG")"

"$OW_BIN" dump 999999 2>"$T/err"
assert_eq "$?" 1 "status for a pid with no supervisor"
grep -q "no oomwatch supervisor with pid 999999" "$T/err" || fail "$(cat "$T/err")"
"$OW_BIN" dump not-a-pid 2>/dev/null
assert_eq "$?" 125 "status for a bad pid"
kill -TERM "$sup"
ow_wait

# a target with no jemalloc and no preload: the agent says so
printf '[profiling]\npreload_jemalloc = off\n' > "$T/c.conf"
ow_start -c "$T/c.conf" -m 64M -- sleep 30
sup=$OW_PID
no_hello() { ! grep -q "agent in pid" "$OW_LOG"; }
WAIT_TIMEOUT=5 wait_for grep -q "agent in pid" "$OW_LOG" || true
"$OW_BIN" dump "$sup" >/dev/null 2>"$T/err"
assert_eq "$?" 1 "status without jemalloc"
grep -qi "jemalloc" "$T/err" || fail "the reason does not mention jemalloc: $(cat "$T/err")"
echo "reason given: $(cat "$T/err")"
kill -TERM "$sup"
ow_wait
assert_no_ow_cgroups
