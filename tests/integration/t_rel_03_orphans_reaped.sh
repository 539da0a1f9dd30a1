#!/bin/bash
# Promise 3: no zombie survives. The target double-forks 50 orphans (each
# background job of a subshell outlives the subshell, so it is re-parented
# to oomwatch, the subreaper) that exit after a moment, while the target
# itself keeps running. Once they have exited, oomwatch has no zombie
# child. The same holds when oomwatch is PID 1 of a new PID namespace
# (orphans are then re-parented to it as init).
. "$(dirname "$0")/lib.sh"

orphans=50
script='for i in $(seq '$orphans'); do (sleep 1 &) ; done; echo forked; exec sleep 30'

# processes whose parent is PPID (and whose state is STATE), from /proc/*/stat;
# the fields are split after comm's closing parenthesis (comm may hold blanks)
count_children() { # PPID [STATE]
        cat /proc/[0-9]*/stat 2>/dev/null | awk -v ppid="$1" -v state="${2:-}" '
                { sub(/^.*\) /, ""); if ($2 == ppid && (state == "" || $1 == state)) n++ }
                END { print n + 0 }'
}

check() { # LABEL OOMWATCH-PID TARGET-STDOUT
        local label=$1 ow=$2 out=$3
        wait_for grep -qs forked "$out" || fail "$label: the target did not fork: $(cat "$OW_LOG")"
        # the orphans (sleep 1) are oomwatch's children until they exit
        local z n
        n=$(count_children "$ow")
        echo "$label: oomwatch adopted $((n - 1)) orphans"
        assert_ge "$n" 10 "$label: children of oomwatch while the orphans run"
        sleep 1.5
        n=$(count_children "$ow")
        z=$(count_children "$ow" Z)
        echo "$label: oomwatch has $n children left, $z of them zombies"
        assert_eq "$z" 0 "$label: zombie children of oomwatch"
        assert_eq "$n" 1 "$label: children of oomwatch (the target only)"
}

ow_start -q -m 256M -- sh -c "$script"
check plain "$OW_PID" "$T/oomwatch.out"
kill -TERM "$OW_PID"
ow_wait || fail "oomwatch did not stop"
assert_no_ow_cgroups

command -v unshare >/dev/null || skip "no unshare(1) for the PID 1 case"
unshare --pid --fork "$OW_BIN" run -q -m 256M -d "$T/dumps" -r "$T/reports" -- sh -c "$script" \
        >"$T/out.pid1" 2>"$T/pid1.log" &
un=$!
at_exit "kill -KILL $un 2>/dev/null"
pid1() { pgrep -P "$un" -x oomwatch; }
wait_for pid1 >/dev/null || fail "oomwatch as PID 1 did not start: $(cat "$T/pid1.log")"
ow=$(pid1)
OW_LOG=$T/pid1.log
check pid1 "$ow" "$T/out.pid1"
kill -TERM "$ow"
wait_for proc_gone "$un" || fail "oomwatch as PID 1 did not stop"
assert_no_ow_cgroups
