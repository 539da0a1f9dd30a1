#!/bin/bash
# Promise 13: oomwatch deletes only regular files of its own, never
# following a link. Named like dumps in the dump dir, before the run (seen
# by the start-up rescan) and during it (renamed in: IN_MOVED_TO, with the
# target's own pid and the highest sequence numbers, so they look newest):
# symlinks to files and to a directory outside, a FIFO, a hard link to a
# file outside and a sub-directory. With keep = 2 the window rotates while
# leaky-server leaks, then /oom ends it. The run does not hang (the FIFO is
# never opened), ends in an oom-kill bundle naming the leak, and every
# planted thing is still there, unchanged, and not in the bundle.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/dumps" "$T/outside/dir" "$T/staging"
chmod 0700 "$T/dumps"
echo victim > "$T/outside/file"
echo linked > "$T/outside/linked"
echo inside > "$T/outside/dir/keep"

# plant DIR PID SEQ0: five things named like dumps of PID, from sequence SEQ0
plant() {
        local d=$1 p=$2 s=$3
        ln -s "$T/outside/file" "$d/oomwatch.$p.$s.i0.heap"
        mkfifo "$d/oomwatch.$p.$((s + 1)).i1.heap"
        ln "$T/outside/linked" "$d/oomwatch.$p.$((s + 2)).i2.heap"
        mkdir "$d/oomwatch.$p.$((s + 3)).i3.heap"
        echo "x" > "$d/oomwatch.$p.$((s + 3)).i3.heap/inner"
        ln -s "$T/outside/dir" "$d/oomwatch.$p.$((s + 4)).u0.heap"
}
plant "$T/dumps" 1 0
plant "$T/dumps" 2 7
snapshot() { # type, inode and links of every planted name, and the outside files
        (cd "$T/dumps" && find . -mindepth 1 -maxdepth 2 \( -name 'oomwatch.1.*' -o -name 'oomwatch.2.*' \
                -o -name 'oomwatch.*.9000[0-9][0-9].*' -o -name inner \) -printf '%p %y %i %n\n' | sort)
        cat "$T/outside/file" "$T/outside/linked" "$T/outside/dir/keep"
}

printf '[dumps]\nkeep = 2\n' > "$T/c.conf"
ow_start_leaky -m 96M -c "$T/c.conf" -vv
pid=$(head -n 1 "$(_cg_self_memory)/oomwatch.$OW_PID/cgroup.procs")
[ -n "$pid" ] || fail "no target pid"
plant "$T/staging" "$pid" 900000
for f in "$T"/staging/*; do mv "$f" "$T/dumps/"; done
before=$(snapshot)
echo "$before" | grep -c heap | xargs echo "planted names:"

for i in $(seq 1 10); do
        curl -s -o /dev/null --max-time 10 "$LEAKY_URL/leak?mb=4" || fail "leak request $i failed"
done
curl -s -o /dev/null --max-time 60 "$LEAKY_URL/oom"
WAIT_TIMEOUT=60 ow_wait || fail "oomwatch hung: $(tail -n 5 "$OW_LOG")"
assert_eq "$OW_STATUS" 137 "oomwatch exit status"
grep -c "rotated out" "$OW_LOG" | xargs echo "dumps rotated out:"
assert_ge "$(grep -c "rotated out" "$OW_LOG")" 1 "rotations (keep = 2)"
after=$(snapshot)
[ "$after" = "$before" ] || fail "planted files changed:
$(diff <(echo "$before") <(echo "$after"))"
b=$(ow_bundle)
assert_eq "$(json "$b/incident.json" .verdict)" oom-kill "verdict"
top=$(json "$b/incident.json" '.diff.top[0].function')
case $top in process_leak | process_oom_burst) ;; *) fail "top grower: $top" ;; esac
ls "$b/dumps" | grep -q '\.900[0-9]*\.' && fail "a planted file went into the bundle: $(ls "$b/dumps")"
json "$b/incident.json" '.dumps[].file' | grep -q 'oomwatch\.[12]\.' && fail "a planted file is listed in the bundle"
assert_no_ow_cgroups
