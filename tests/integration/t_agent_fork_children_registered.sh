#!/bin/bash
# Every process of the tree is served. A child the target fork()s (which
# keeps allocating with jemalloc) registers a channel of its own, gets its
# own agent thread, holds no copy of its parent's channel, and answers with
# dumps named by its own pid; the parent keeps being served. A program the
# target starts with posix_spawn (/bin/sh, no jemalloc) registers nothing,
# holds neither channel (close-on-exec), but keeps the rendezvous for what
# it starts.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

agent_build
# Both processes live until the test has looked at them ($T/looked; 60 s at most).
# lg_prof_sample:0: every allocation sampled, so that child_memory's 2 MiB (32
# blocks, each sampled with p = 0.12 at the default 512 KiB) is in the dump always
MALLOC_CONF=prof:true,lg_prof_sample:0,prof_prefix:$T/d agent_drive_bg ready dump ready:2 "waitfile:$T/held.child" dump \
        use:first dump "waitfile:$T/looked" wait -- "$TARGET" --ms 60000 --until "$T/looked" \
        --fork --mark "$T/held" --spawn 'echo "spawned-fds: $(ls /proc/$$/fd | tr "\n" " ")"'
wait_for grep -q '^child ' "$OUT" || fail "no child: $(cat "$OUT" "$T/driver.err")"
pid=$(awk '$1 == "target" { print $2 }' "$OUT")
child=$(awk '$1 == "child" { print $2 }' "$OUT")
replies() { [ "$(grep -c '^reply dump' "$OUT")" -ge "$1" ]; }
wait_for replies 3 || fail "no dump reply from the child and then the target: $(cat "$OUT")"
[ -d "/proc/$child" ] || fail "the child is gone too early"
assert_eq "$(ls "/proc/$child/task" | wc -l)" 2 "threads in the forked child (its own + its agent's)"
assert_eq "$(ls "/proc/$pid/task" | wc -l)" 2 "threads in the target (its own + the agent's)"
readlink "/proc/$pid/fd/200" | grep -q '^socket:' || fail "the target's channel is not at fd 200"
sock_inodes() { for f in /proc/$1/fd/*; do readlink "$f"; done | grep '^socket:' | sort; }
common=$(comm -12 <(sock_inodes "$pid") <(sock_inodes "$child") | xargs)
# they share the rendezvous only
assert_eq "$(wc -w <<<"$common")" 1 "sockets the child shares with its parent (the rendezvous: $common)"
assert_eq "$(readlink "/proc/$child/fd/$AGENT_FD")" "$common" "the shared socket is the rendezvous"
touch "$T/looked"
agent_drive_wait
assert_eq "$DRIVE_RC" 0 "driver status"
assert_eq "$(grep -c '^register' "$OUT")" 2 "registrations (the target's and its forked child's)"
grep -q "^register pid=$child\$" "$OUT" || fail "the child did not register under its own pid"
for n in 1 3; do
        f=$(dump_reply $n)
        [[ $f =~ ^$T/d\.$pid\.[0-9]+\.m[0-9]+\.heap$ ]] || fail "dump #$n is named '$f' (target pid $pid)"
done
f=$(dump_reply 2)
[[ $f =~ ^$T/d\.$child\.[0-9]+\.m[0-9]+\.heap$ ]] || fail "the child's dump is named '$f' (child pid $child)"
if command -v jeprof >/dev/null; then
        jeprof --text "$TARGET" "$f" 2>/dev/null | grep -q child_memory || fail "jeprof does not name child_memory in $f"
fi
grep -qx 'child-status 0' "$OUT" || fail "the forked child did not exit 0"
grep -qx 'spawn-status 0' "$OUT" || fail "the spawned program did not exit 0"
spawned=$(grep '^spawned-fds:' "$OUT") || fail "the spawned program printed nothing"
[[ " ${spawned#spawned-fds:} " == *" $AGENT_FD "* ]] || fail "the spawned program lost the rendezvous: $spawned"
chan=200        # the agent's channel: the lowest free fd from 200 (agent_proto.h), here 200
[[ " ${spawned#spawned-fds:} " == *" $chan "* ]] && fail "the spawned program kept the target's channel (fd $chan): $spawned"
grep -qx 'exit 0' "$OUT" || fail "the target did not exit 0"
