#!/bin/bash
# trend on the demo server: the cache is filled to its cap and then kept
# busy while /leak is called steadily, with a dump through /dump after each
# round. `oomwatch trend` ranks process_leak first and does not report
# cache_insert as a suspect, although a plain diff of the first and last
# dumps shows cache_insert as a big grower.
. "$(dirname "$0")/lib.sh"

OW=${OOMWATCH_BIN:-$BUILD/oomwatch}
[ -x "$OW" ] || fail "$OW is not built"
[ -x "$LEAKY_BIN" ] || fail "$LEAKY_BIN is not built"

MALLOC_CONF=prof:true,prof_prefix:$T/dump start_leaky --cache-mb 32
get() { curl -sf --max-time 30 -o /dev/null "$LEAKY_URL$1" || fail "GET $1 failed"; }
dumps=()
dump() {
        local f
        f=$(curl -sf --max-time 10 "$LEAKY_URL/dump") || fail "GET /dump failed"
        [ -s "$f" ] || fail "/dump answered '$f', which is not a dump"
        dumps+=("$f")
}

dump
# the cache fills in the first rounds, then stays at its cap
for _ in 1 2 3 4 5 6 7 8; do
        get "/cache?mb=8"
        get "/cache?mb=4"
        get "/leak?mb=2"
        get "/"
        dump
done
assert_eq "${#dumps[@]}" 9 "dumps taken"

# shuffle the arguments: trend orders them by (pid, seq) itself
mapfile -t shuffled < <(printf '%s\n' "${dumps[@]}" | sort -r)
"$OW" trend --format json "${shuffled[@]}" >"$T/trend.json" 2>"$T/trend.err" ||
        fail "oomwatch trend failed: $(cat "$T/trend.err")"
"$OW" trend "${shuffled[@]}" >"$T/trend.txt" 2>&1 || fail "oomwatch trend (text) failed"
cat "$T/trend.txt"

first=$(sed -n 's/.*"suspects":\[{"function":"\([^"]*\)".*/\1/p' "$T/trend.json")
assert_eq "$first" process_leak "first trend suspect"
suspects=$(sed -n 's/.*"suspects":\(\[[^]]*\]\).*/\1/p' "$T/trend.json")
case $suspects in
*'"cache_insert"'*) fail "cache_insert reported as a suspect: $suspects" ;;
esac

# the two-dump diff is what trend corrects: there cache_insert grew too
"$OW" diff --format json --top 5 --base "${dumps[0]}" "${dumps[8]}" >"$T/diff.json" ||
        fail "oomwatch diff failed"
grep -q '"function":"cache_insert"' "$T/diff.json" ||
        fail "cache_insert missing from the plain diff: $(cat "$T/diff.json")"
exit 0
