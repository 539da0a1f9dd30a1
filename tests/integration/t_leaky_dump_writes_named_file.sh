#!/bin/bash
# With profiling on, GET /dump answers the exact path of the heap profile
# jemalloc wrote: <prof_prefix>.<pid>.<seq>.m<n>.heap, a complete heap_v2 file.
. "$(dirname "$0")/lib.sh"

MALLOC_CONF=prof:true,prof_prefix:$T/dump start_leaky
for n in 0 1; do
        f=$(curl -sf --max-time 10 "$LEAKY_URL/dump") || fail "GET /dump failed"
        [[ $f =~ ^$T/dump\.$LEAKY_PID\.[0-9]+\.m$n\.heap$ ]] ||
                fail "dump #$n is named '$f', expected $T/dump.$LEAKY_PID.<seq>.m$n.heap"
        [ -f "$f" ] || fail "'$f' does not exist; dir has: $(ls "$T")"
        assert_eq "$(head -c 8 "$f")" "heap_v2/" "start of $f"
        grep -q '^MAPPED_LIBRARIES:' "$f" || fail "no MAPPED_LIBRARIES: in $f"
done
assert_eq "$(find "$T" -name 'dump.*.heap' | wc -l)" 2 "dump files written"
