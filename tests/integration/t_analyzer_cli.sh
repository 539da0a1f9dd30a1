#!/bin/bash
# `oomwatch diff` and `oomwatch trend` as users call them: every format on
# real dumps, the ordering of trend's arguments, and exit status 125 with a
# one-line reason for bad usage and for bad dumps ("FILE:LINE: reason").
. "$(dirname "$0")/lib.sh"

OW=${OOMWATCH_BIN:-$BUILD/oomwatch}
[ -x "$OW" ] || fail "$OW is not built"
data=$REPO/tests/data
d=("$data"/leak_c.*.0.m0.heap "$data"/leak_c.*.1.m1.heap "$data"/leak_c.*.2.m2.heap)
for f in "${d[@]}"; do [ -f "$f" ] || fail "fixture $f missing"; done

"$OW" diff --base "${d[0]}" "${d[1]}" >"$T/text" || fail "diff (text) failed"
head -n 1 "$T/text" | grep -Eq '^Total: ≈-?[0-9]+\.[0-9] MiB$' || fail "no Total line: $(head -n 2 "$T/text")"
[ "$(wc -l <"$T/text")" -ge 4 ] || fail "too few text rows: $(cat "$T/text")"

"$OW" diff --format json --top 2 --base "${d[0]}" "${d[1]}" >"$T/json" || fail "diff (json) failed"
grep -q "^{\"base\":\"${d[0]}\",\"new\":\"${d[1]}\",\"growth_bytes\":[0-9]*," "$T/json" ||
        fail "unexpected JSON: $(cat "$T/json")"
assert_eq "$(jq '.top | length' "$T/json")" 2 "rows with --top 2"
[ "$(jq '.sites | length' "$T/json")" -le 2 ] || fail "more than --top 2 sites: $(cat "$T/json")"
# every site has its five members; in this C program (its binary is gone:
# module+0xOFF names) the first site is the top flat row
jq -e '.sites[0] | (keys == ["bytes", "file", "function", "line", "module"]) and .bytes > 0' "$T/json" >/dev/null ||
        fail "unexpected first site: $(jq -c '.sites[0]' "$T/json")"
assert_eq "$(jq -r '.sites[0].function' "$T/json")" "$(jq -r '.top[0].function' "$T/json")" "first site of a C program"
assert_eq "$(jq .sample_period_bytes "$T/json")" "$(head -n 1 "${d[1]}" | sed 's,^heap_v2/,,')" "sample_period_bytes"
usage_hide=$("$OW" diff --format json --hide none --base "${d[0]}" "${d[1]}" | jq -r '.sites[0].function')
[ -n "$usage_hide" ] || fail "diff --hide none gave no site"

"$OW" diff --format collapsed "${d[1]}" >"$T/collapsed" || fail "diff (collapsed) failed"
[ -s "$T/collapsed" ] || fail "empty collapsed output"
if grep -Evq '^[^;]+(;[^;]+)* [0-9]+$' "$T/collapsed"; then
        fail "malformed collapsed lines: $(grep -Ev '^[^;]+(;[^;]+)* [0-9]+$' "$T/collapsed" | head -3)"
fi

"$OW" diff --format svg --base "${d[0]}" "${d[2]}" >"$T/g.svg" || fail "diff (svg) failed"
if ! grep -q '<title>' "$T/g.svg" || ! tail -n 1 "$T/g.svg" | grep -q '^</svg>$'; then
        fail "not a flame graph: $(head -c 300 "$T/g.svg")"
fi
if command -v python3 >/dev/null; then
        python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$T/g.svg" ||
                fail "the SVG is not well-formed XML"
fi

"$OW" diff --format dot --base "${d[0]}" "${d[2]}" >"$T/g.dot" || fail "diff (dot) failed"
if command -v dot >/dev/null; then
        dot -Tsvg "$T/g.dot" >"$T/dot.svg" 2>"$T/dot.err" || fail "graphviz rejects the dot output: $(cat "$T/dot.err")"
fi

# trend orders by (pid, seq) whatever the argument order
"$OW" trend --format json "${d[2]}" "${d[0]}" "${d[1]}" >"$T/trend" || fail "trend failed"
grep -q "^{\"dumps\":\[\"${d[0]}\",\"${d[1]}\",\"${d[2]}\"\]" "$T/trend" || fail "trend order: $(cat "$T/trend")"
"$OW" trend "${d[@]}" | head -n 1 | grep -q '^Trend over 3 dumps' || fail "trend text header"

# usage errors: 125 and one line naming the problem
usage() { # EXPECTED-PATTERN ARGS...
        local want=$1 rc
        shift
        "$OW" "$@" >"$T/out" 2>"$T/err"
        rc=$?
        assert_eq "$rc" 125 "exit status of oomwatch $*"
        assert_eq "$(wc -l <"$T/err")" 1 "stderr lines of oomwatch $*"
        grep -Eq "$want" "$T/err" || fail "oomwatch $*: stderr '$(cat "$T/err")' does not match '$want'"
        [ ! -s "$T/out" ] || fail "oomwatch $* printed on stdout"
}
usage '^oomwatch diff: missing NEW.heap' diff
usage '^oomwatch diff: too many arguments' diff "${d[0]}" "${d[1]}"
usage "^oomwatch diff: unknown format 'html'" diff --format html "${d[0]}"
usage "^oomwatch diff: option '--format' needs a value" diff --format
usage "^oomwatch diff: bad --top '-3'" diff --top -3 "${d[0]}"
usage "^oomwatch diff: unknown option '--bogus'" diff --bogus "${d[0]}"
usage '^oomwatch trend: need at least two dumps' trend "${d[0]}"
usage "^oomwatch trend: unknown option '--base'" trend --base "${d[0]}" "${d[1]}"
usage "^oomwatch diff: option --hide: hide 'a,,b': an empty pattern" diff --hide 'a,,b' "${d[0]}"

# bad dumps: 125 and FILE:LINE: reason
bad=$data/bad
usage "^oomwatch diff: $bad/no_maps.heap:5: truncated: no MAPPED_LIBRARIES section$" diff "$bad/no_maps.heap"
usage "^oomwatch diff: $bad/empty.heap:1: empty dump$" diff --base "$bad/empty.heap" "${d[0]}"
usage "^oomwatch trend: $bad/bad_number.heap:4: bad number" trend "${d[0]}" "$bad/bad_number.heap"
usage "^oomwatch diff: $T/missing.heap: cannot open: No such file or directory$" diff "$T/missing.heap"

"$OW" diff --help | head -n 1 | grep -q '^Usage: oomwatch diff' || fail "diff --help"
"$OW" trend -h | head -n 1 | grep -q '^Usage: oomwatch trend' || fail "trend -h"
exit 0
