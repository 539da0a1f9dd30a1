#!/bin/bash
# Promise 8: restart = on-failure with max_restarts = 3 and restart_delay =
# 200ms: exactly 4 runs (3 restarts), started 200, 400 and 800 ms apart
# (the delay doubles: the restart events say 200, 400 and 800 ms, and each
# run starts at least that long after the one before; how much later is
# the host's scheduling, hundreds of ms on a loaded one), then oomwatch
# exits with the last run's status. An
# exec failure (127) is not restarted, even with restart = always;
# max_restarts = 0 means one run; on-oom does not restart a kill -9.
. "$(dirname "$0")/lib.sh"

printf '[target]\nrestart = on-failure\nmax_restarts = 3\nrestart_delay = 200ms\n[report]\nevents = %s\n' "$T/events" > "$T/c.conf"
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
                i=$((i + 1))
        fi
        prev=$t
done
assert_eq "$(jq -r 'select(.event == "restart") | "\(.attempt)/\(.max) \(.delay_ms)"' "$T/events" | xargs)" \
        "1/3 200 2/3 400 3/3 800" "the restarts' attempts and delays (the events)"

# success ends on-failure at once
"$OW_BIN" run -q -c "$T/c.conf" -m 32M -d "$T/dumps" -r "$T/reports" -- sh -c 'echo run >> "$0"' "$T/ok"
assert_eq "$?" 0 "status of a clean exit under on-failure"
assert_eq "$(wc -l < "$T/ok")" 1 "runs after a clean exit"

# max_restarts = 0: one run; on-oom: a plain failure is not restarted
printf '[target]\nrestart = always\nmax_restarts = 0\nrestart_delay = 100ms\n' > "$T/zero.conf"
"$OW_BIN" run -q -c "$T/zero.conf" -m 32M -d "$T/dumps" -r "$T/reports" -- sh -c 'echo run >> "$0"; exit 5' "$T/zero"
assert_eq "$?" 5 "status with max_restarts = 0"
assert_eq "$(wc -l < "$T/zero")" 1 "runs with max_restarts = 0"
printf '[target]\nrestart = on-oom\nmax_restarts = 3\nrestart_delay = 100ms\n' > "$T/oom.conf"
"$OW_BIN" run -q -c "$T/oom.conf" -m 32M -d "$T/dumps" -r "$T/reports" -- sh -c 'echo run >> "$0"; kill -9 $$' "$T/notoom"
assert_eq "$?" 137 "status of a kill -9 under on-oom"
assert_eq "$(wc -l < "$T/notoom")" 1 "runs after a kill -9 (not an OOM kill) under on-oom"

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
