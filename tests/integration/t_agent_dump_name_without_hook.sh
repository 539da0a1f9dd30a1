#!/bin/bash
# When the program replaces jemalloc's dump hook without chaining to the
# agent's, the agent still names the file it made jemalloc write (the newest
# manual dump of the process by seq), and the program's own hook still runs.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

agent_build
MALLOC_CONF=prof:true,prof_prefix:$T/d agent_drive ready sleep:300 dump dump wait -- "$TARGET" --ms 1200 --own-hook
assert_eq "$DRIVE_RC" 0 "driver status"
grep -q '^own-hook failed' "$OUT" && skip "this jemalloc has no experimental.hooks.prof_dump"
pid=$(awk '$1 == "target" { print $2 }' "$OUT")
for n in 1 2; do
        f=$(dump_reply $n)
        [[ $f =~ ^$T/d\.$pid\.[0-9]+\.m$((n - 1))\.heap$ ]] || fail "dump #$n is named '$f'"
        [ -f "$f" ] || fail "'$f' does not exist"
done
grep -qx 'own-hook-calls 2' "$OUT" || fail "the program's own hook did not see both dumps"
