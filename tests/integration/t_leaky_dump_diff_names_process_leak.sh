#!/bin/bash
# Dump, leak 16 MiB, dump: jeprof --base names process_leak as the top grower.
. "$(dirname "$0")/lib.sh"

command -v jeprof >/dev/null || skip "jeprof not installed"
MALLOC_CONF=prof:true,prof_prefix:$T/dump start_leaky
first=$(curl -sf --max-time 10 "$LEAKY_URL/dump") || fail "first GET /dump failed"
curl -sf --max-time 30 -o /dev/null "$LEAKY_URL/leak?mb=16" || fail "GET /leak failed"
curl -sf --max-time 5 -o /dev/null "$LEAKY_URL/" || fail "GET / failed"
second=$(curl -sf --max-time 10 "$LEAKY_URL/dump") || fail "second GET /dump failed"

jeprof --text --base="$first" "$LEAKY_BIN" "$second" >"$T/diff" 2>"$T/jeprof.err" ||
        fail "jeprof failed: $(cat "$T/jeprof.err")"
cat "$T/diff"
# First row after "Total:": flat MB, flat%, sum%, cum MB, cum%, function.
top=$(awk '/^Total:/ { getline; print $6; exit }' "$T/diff")
mb=$(awk '/^Total:/ { getline; print int($1); exit }' "$T/diff")
assert_eq "$top" process_leak "top grower"
assert_ge "$mb" 8 "MB attributed to process_leak"
assert_le "$mb" 24 "MB attributed to process_leak"
