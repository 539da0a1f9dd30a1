#!/bin/bash
# A target that forks 2,000 short-lived children (each touches 256 KiB with
# the preloaded jemalloc, registers its own agent channel, and exits through
# exit(), so that jemalloc writes its final dump): oomwatch's RSS and open
# fds are the same after the storm as after its first 200 children, the
# dump directory does not keep the children's final dumps (the target's and
# one child's kept as evidence, however many children ran), and the status
# lists the target alone once the storm is over.
. "$(dirname "$0")/lib.sh"

cc -O1 -g -o "$T/fork_storm" "$REPO/tests/programs/fork_storm.c" || fail "cc failed"
ow_start -m 64M -- "$T/fork_storm" --children 2000 --parallel 8 --mark-at 200 --mark "$T/mark" \
        --go "$T/go" --hold-ms 60000
WAIT_TIMEOUT=30 wait_for test -e "$T/mark" || fail "the first 200 children did not run: $(cat "$OW_LOG")"
settled() { [ "$(ls /proc/"$OW_PID"/fd | wc -l)" -le "$1" ]; }
sleep 0.3
rss0=$(rss_kib "$OW_PID") fds0=$(ls /proc/"$OW_PID"/fd | wc -l)
touch "$T/go"
# as long as it goes on (a slow machine, an emulated VM): 30 s per 100 children
forked() { grep -c '^forked' "$T/oomwatch.out"; }
while [ ! -e "$T/mark.done" ]; do
        before=$(forked)
        progress() { [ -e "$T/mark.done" ] || [ "$(forked)" != "$before" ]; }
        WAIT_TIMEOUT=30 wait_for progress || fail "the storm stopped after $((before * 100)) children: $(tail -n 3 "$OW_LOG")"
done
grep -q "^storm done: 2000 children, 0 failed" "$T/oomwatch.out" || fail "children failed: $(cat "$T/oomwatch.out")"
# the last children's channels close as their hangups are read
WAIT_TIMEOUT=20 wait_for settled "$fds0" || ls -l /proc/"$OW_PID"/fd
sleep 0.3
rss1=$(rss_kib "$OW_PID") fds1=$(ls /proc/"$OW_PID"/fd | wc -l)
dumps=$(ls "$T/dumps" | grep -c '^oomwatch\..*\.heap$')
echo "after 200 children: $rss0 KiB RSS, $fds0 fds; after 2000: $rss1 KiB RSS, $fds1 fds; $dumps dumps left"
assert_eq "$fds1" "$fds0" "oomwatch's open fds"
if ow_sanitized; then
        echo "RSS not compared: AddressSanitizer build"
else
        assert_le "$rss1" $((rss0 + 256)) "oomwatch's RSS (KiB)"
fi
# the target's own (its baseline and step dumps, when the usage passed a step
# while it held the most memory) and the one exited child kept as evidence:
# two processes, whatever the number of children
echo "dumps left: $(ls "$T/dumps" | grep '^oomwatch\..*\.heap$' | tr '\n' ' ')"
pids=$(ls "$T/dumps" | sed -n 's/^oomwatch\.\([0-9]*\)\..*\.heap$/\1/p' | sort -u | wc -l)
assert_le "$pids" 2 "processes with dumps left in the dump directory (the target, the one exited child kept as evidence)"
assert_le "$dumps" 12 "dumps left in the dump directory (baseline + keep 8 of the target, 2 of the evidence child, 1 being written)"
procs=$("$OW_BIN" status --json "$OW_PID" | jq '.processes | length')
assert_eq "$procs" 1 "processes in the status after the storm"
kill -TERM "$OW_PID"
ow_wait || fail "oomwatch did not stop"
assert_no_ow_cgroups
