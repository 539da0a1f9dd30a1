#!/bin/bash
# Promise 20: the target starts with an empty signal mask, no ignored
# signals, and no fd of oomwatch's own open. oomwatch is started with
# HUP, PIPE and USR1 ignored and USR1, ALRM and PIPE blocked (through perl,
# as a careless parent might) and with fd 7 open on a file and nothing
# else above 2. The target (self_report) reads SigBlk/SigIgn from
# /proc/self/status and lists its fds: 0, 1, 2, the inherited fd 7 (fds
# oomwatch inherits pass through, the convention of tini and similar
# supervisors), the agent's rendezvous when oomwatch hands one over
# (OOMWATCH_AGENT_FD) and the channel the agent makes for itself (a socket
# at fd 200 or above); nothing else (not oomwatch's epoll, signalfd,
# inotify, timerfd, directory or cgroup fds).
. "$(dirname "$0")/lib.sh"

command -v perl >/dev/null || skip "no perl to start oomwatch with a signal mask"
cc -O1 -o "$T/self_report" "$REPO/tests/programs/self_report.c" || fail "cc failed"
echo inherited > "$T/seven"

# CMD...: run CMD with fds 0-2 and 7 only, USR1 ALRM PIPE blocked, HUP
# PIPE USR1 ignored
launch() {
        (
                for fd in /proc/$BASHPID/fd/*; do
                        fd=${fd##*/}
                        [ "$fd" -gt 2 ] && [ "$fd" != 7 ] && eval "exec $fd>&-"
                done
                exec 7<"$T/seven"
                exec perl -MPOSIX -e '
                        sigprocmask(SIG_BLOCK, POSIX::SigSet->new(SIGUSR1, SIGALRM, SIGPIPE)) or die "sigprocmask: $!";
                        $SIG{HUP} = $SIG{PIPE} = $SIG{USR1} = "IGNORE";
                        exec @ARGV or die "exec: $!"' "$@"
        )
}
# the set-up itself works: a plain program started so has that state
launch grep '^Sig\(Blk\|Ign\)' /proc/self/status > "$T/plain"
grep -q '^SigBlk:.*0000000000000000$' "$T/plain" && fail "the set-up blocked nothing: $(cat "$T/plain")"
grep -q '^SigIgn:.*0000000000000000$' "$T/plain" && fail "the set-up ignored nothing: $(cat "$T/plain")"

launch "$OW_BIN" run -m 32M -d "$T/dumps" -r "$T/reports" -- "$T/self_report" >"$T/out" 2>"$T/err"
assert_eq "$?" 0 "status ($(cat "$T/err"))"
grep -v cgroup "$T/out"

assert_eq "$(awk '$1 == "SigBlk:" { print $2 }' "$T/out")" 0000000000000000 "blocked signals of the target"
assert_eq "$(awk '$1 == "SigIgn:" { print $2 }' "$T/out")" 0000000000000000 "ignored signals of the target"
agent=$(awk '$1 == "agent-fd" { print $2 }' "$T/out")
own=$(awk '$1 == "fd" && $2 >= 200 && $3 ~ /^socket:/ && $2 != 250 { print $2 }' "$T/out" | xargs)
[ -z "$agent" ] || [ "$(wc -w <<<"$own")" = 1 ] || fail "the agent's own channel: expected one socket at fd >= 200, got '$own'"
fds=$(awk -v agent="$agent" -v own="$own" '$1 == "fd" && $2 != agent && $2 != own { print $2 }' "$T/out" | sort -n | xargs)
assert_eq "$fds" "0 1 2 7" "fds of the target (besides the agent's rendezvous${agent:+ $agent} and channel${own:+ $own})"
assert_eq "$(awk '$1 == "fd" && $2 == 7 { print $3 }' "$T/out")" "$T/seven" "what fd 7 is"
if [ -n "$agent" ]; then
        awk -v agent="$agent" '$1 == "fd" && $2 == agent { print $3 }' "$T/out" | grep -q '^socket:' ||
                fail "the agent's channel fd $agent is not a socket"
fi
assert_no_ow_cgroups
