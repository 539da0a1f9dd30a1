#!/bin/bash
# Promise 8: restart = on-failure with max_restarts = 3 and restart_delay =
# 200ms: exactly 4 runs (3 restarts), started 200, 400 and 800 ms apart
# (the delay doubles), then oomwatch exits with the last run's status. An
# exec failure (127) is not restarted, even with restart = always.
. "$(dirname "$0")/lib.sh"

printf '[target]\nrestart = on-failure\nmax_restarts = 3\nrestart_delay = 200ms\n' > "$T/c.conf"
"$OW_BIN" run -q -c "$T/c.conf" -m 32M -d "$T/dumps" -r "$T/reports" -- \
        sh -c 'date +%s%N >> "$0"; n=$(wc -l < "$0"); exit $((40 + n))' "$T/starts"
assert_eq "$?" 44 "status (the 4th run's)"
assert_eq "$(wc -l < "$T/starts")" 4 "runs"
prev= i=0
for t in $(cat "$T/starts"); do
        if [ -n "$prev" ]; then
                gap=$(((t - prev) / 1000000))
                want=$((200 << i))
                echo "restart $((i + 1)): ${gap} ms after the previous start (delay ${want} ms)"
                assert_ge "$gap" "$want" "gap before restart $((i + 1))"
                assert_le "$gap" $((want + 300)) "gap before restart $((i + 1))"
                i=$((i + 1))
        fi
        prev=$t
done

# success ends on-failure at once
"$OW_BIN" run -q -c "$T/c.conf" -m 32M -d "$T/dumps" -r "$T/reports" -- sh -c 'echo run >> "$0"' "$T/ok"
assert_eq "$?" 0 "status of a clean exit under on-failure"
assert_eq "$(wc -l < "$T/ok")" 1 "runs after a clean exit"

# exec failures are not restarted
printf '[target]\nrestart = always\nmax_restarts = 5\nrestart_delay = 100ms\n' > "$T/always.conf"
start=$SECONDS
"$OW_BIN" run -c "$T/always.conf" -m 32M -d "$T/dumps" -r "$T/reports" -- "$T/no-such-program" 2>"$T/err"
assert_eq "$?" 127 "status for a missing program"
grep -q restarting "$T/err" && fail "an exec failure was restarted: $(cat "$T/err")"
assert_eq "$(grep -c 'cannot run' "$T/err")" 1 "exec attempts"
printf '#!/bin/sh\n' > "$T/noexec"
"$OW_BIN" run -c "$T/always.conf" -m 32M -d "$T/dumps" -r "$T/reports" -- "$T/noexec" 2>"$T/err"
assert_eq "$?" 126 "status for a program that is not executable"
assert_eq "$(grep -c 'cannot run' "$T/err")" 1 "exec attempts"
assert_le $((SECONDS - start)) 2 "seconds for two exec failures"
assert_no_ow_cgroups
