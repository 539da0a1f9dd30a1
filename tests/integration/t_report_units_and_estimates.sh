#!/bin/bash
# One unit system (IEC: KiB, MiB) and sampled numbers marked as estimates,
# in every format a person or a program reads: report.txt, the text table
# (`oomwatch diff`), growth.svg, growth.dot and the JSON (field names in
# bytes, the sampling period given). A real OOM kill of a C leak.
. "$(dirname "$0")/lib.sh"

cc -O1 -g -o "$T/glibc_leak" "$REPO/tests/programs/glibc_leak.c" || fail "cc failed"
printf '[report]\nformats = collapsed,svg,dot\n' >"$T/c.conf"
"$OW_BIN" run -c "$T/c.conf" -m 64M -d "$T/dumps" -r "$T/reports" -- "$T/glibc_leak" 2>"$T/err"
assert_eq "$?" 137 "exit status"
b=$(ow_bundle)
no_mb() { # FILE WHAT: no decimal "MB"/"KB"/"GB" anywhere
        if grep -Eq '[0-9.] ?[KMG]B\b|\b[KMG]B\b' "$1"; then
                fail "$2 has decimal units: $(grep -E '[0-9.] ?[KMG]B\b|\b[KMG]B\b' "$1" | head -3)"
        fi
}

# report.txt: estimates marked, IEC, the sampling period said, coverage in words
r=$b/report.txt
no_mb "$r" report.txt
grep -Eq '^heap growth:  ≈[0-9.]+ (KiB|MiB) \(estimated from jemalloc.s samples, one per 512 KiB allocated\)$' "$r" ||
        fail "heap growth line: $(grep '^heap growth' "$r")"
grep -Eq '^ +≈[0-9.]+ (KiB|MiB)  leak_chunk  at glibc_leak\.c:[0-9]+  in glibc_leak$' "$r" ||
        fail "where it grew: $(sed -n '/^where it grew/,/^$/p' "$r")"
cov=$(grep '^coverage:' "$r")
echo "$cov"
grep -Eq "the newest dump's heap, ≈[0-9.]+ MiB, is (≈[0-9]+% of the peak \(±[0-9]+%\)|about all of the peak \(≈[0-9]+%, within the sampling error of ±[0-9]+%\))" <<<"$cov" ||
        fail "coverage line: $cov"
# a percentage above 100 is never stated as the share of the peak
grep -Eq 'is ≈[0-9]{3,}% of the peak' <<<"$cov" && fail "coverage above 100% stated as a number: $cov"
grep -q '^all growth in MiB (flat, flat%, sum%, cum, cum%; estimates):$' "$r" || fail "table header"
grep -Eq '^Total: ≈[0-9.]+ MiB$' "$r" || fail "table total: $(grep '^Total' "$r")"

# the text table on its own
base=$(json "$b/incident.json" .diff.base) new=$(json "$b/incident.json" .diff.new)
(cd "$b" && "$OW_BIN" diff --base "$base" "$new") >"$T/text" || fail "oomwatch diff failed"
no_mb "$T/text" "diff --format text"
head -n 1 "$T/text" | grep -Eq '^Total: ≈[0-9.]+ MiB$' || fail "diff text total: $(head -n 1 "$T/text")"
(cd "$b" && "$OW_BIN" trend dumps/*.heap) >"$T/trend" || fail "oomwatch trend failed"
no_mb "$T/trend" "trend text"
grep -Eq '^Trend over [0-9]+ dumps: heap ≈[0-9.]+ MiB -> ≈[0-9.]+ MiB \([-+][0-9.]+ MiB\)$' "$T/trend" ||
        fail "trend header: $(head -n 1 "$T/trend")"
grep -q 'growth MiB  site' "$T/trend" || fail "trend column names: $(sed -n 3p "$T/trend")"

# growth.svg: the title and each frame's hover text
s=$b/growth.svg
no_mb "$s" growth.svg
grep -Eq '>Heap growth: &#8776;[0-9.]+ MiB \([0-9]+ bytes, estimated from samples, one per 512 KiB allocated\)</text>' "$s" ||
        fail "SVG title: $(grep -o '>Heap growth[^<]*' "$s")"
grep -Eq '<title>leak_chunk \(&#8776;[0-9.]+ MiB, [0-9]+ bytes, [0-9.]+%\)</title>' "$s" ||
        fail "SVG frame title: $(grep -o '<title>leak_chunk[^<]*' "$s" | head -n 1)"

# growth.dot: the legend says the unit, the estimate and the period
d=$b/growth.dot
no_mb "$d" growth.dot
grep -Eq '^Legend .*label="Total: ≈[0-9.]+ MiB\\lvalues in MiB, estimated from samples \(one per 512 KiB allocated\)\\l"' "$d" ||
        fail "dot legend: $(grep '^Legend' "$d")"
if command -v dot >/dev/null; then
        dot -Tsvg "$d" >/dev/null 2>"$T/dot.err" || fail "graphviz rejects growth.dot: $(cat "$T/dot.err")"
fi

# JSON: byte counts in bytes, named so; the sampling period given
j=$b/incident.json
assert_eq "$(jq .diff.sample_period_bytes "$j")" 524288 "diff.sample_period_bytes (lg_prof_sample 19)"
bad=$(jq -r '[paths | map(strings) | .[-1] // empty | select(test("(^|_)(mb|kb|gb|mib|kib|gib|megabytes?)($|_)"; "i"))] | unique | join(",")' "$j")
assert_eq "$bad" "" "JSON keys with a unit other than bytes"
jq -e '.diff.sites[0] | .bytes > 0 and (.function == "leak_chunk")' "$j" >/dev/null || fail "diff.sites: $(jq -c .diff.sites "$j")"
jq -e '.heap_stderr_bytes >= 0 and .heap_bytes > 0' "$j" >/dev/null || fail "heap estimate: $(jq -c '{heap_bytes, heap_stderr_bytes}' "$j")"
assert_no_ow_cgroups
