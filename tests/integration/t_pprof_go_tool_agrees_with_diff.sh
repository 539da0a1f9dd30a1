#!/bin/bash
# The bundle's profile.pb.gz opens in `go tool pprof`: -top names the same
# top function with the same bytes as `oomwatch diff` on the bundle's dumps,
# -traces shows process_leak on top of its stacks, -lines gives it a
# file:line in target/, and the mappings carry leaky-server's build-id;
# inlined functions are lines of their caller's location (a C++ program).
# `oomwatch diff|trend --format pprof` write the same kind of file.
. "$(dirname "$0")/lib.sh"

command -v go >/dev/null || skip "go not installed (scripts/install-deps.sh installs golang-go)"
export HOME=$T GOCACHE=$T/gocache GOFLAGS=-mod=mod PPROF_TMPDIR=$T
gopprof() { go tool pprof -symbolize=none "$@" 2>"$T/pprof.err" || fail "go tool pprof $*: $(cat "$T/pprof.err")"; }

ow_start_leaky -m 96M
leak_until_gone 2
WAIT_TIMEOUT=60 ow_wait || fail "oomwatch did not exit after the leak"
assert_eq "$OW_STATUS" 137 "exit status"
b=$(ow_bundle)
[ -s "$b/profile.pb.gz" ] || fail "bundle lacks profile.pb.gz: $(ls "$b")"
gzip -t "$b/profile.pb.gz" || fail "profile.pb.gz is not gzip"
cd "$b" || fail "cd $b"

base=$(jq -r .diff.base incident.json)
new=$(jq -r .diff.new incident.json)
"$OW_BIN" diff --format json --base "$base" "$new" > "$T/diff.json" || fail "oomwatch diff failed"
want_fn=$(jq -r '.top[0].function' "$T/diff.json")
want_b=$(jq -r '.top[0].flat_bytes' "$T/diff.json")
assert_eq "$want_fn" process_leak "oomwatch diff's top function"

gopprof -top -unit=B profile.pb.gz > "$T/top.txt"
head -n 8 "$T/top.txt"
grep -q '^Type: growth_space' "$T/top.txt" || fail "default sample type is not growth_space"
read -r got_b _ _ _ _ got_fn <<<"$(awk '/flat%/ { getline; print; exit }' "$T/top.txt")"
got_b=${got_b%B}
assert_eq "$got_fn" "$want_fn" "pprof's top function"
diff_b=$((got_b > want_b ? got_b - want_b : want_b - got_b))
echo "oomwatch diff: $want_fn $want_b bytes; go tool pprof -top: $got_fn $got_b bytes (difference $diff_b)"
assert_le "$diff_b" 64 "bytes apart"
# inuse_space: the newest dump's heap, against oomwatch's own number
inuse=$(gopprof -top -unit=B -sample_index=inuse_space profile.pb.gz | sed -n 's/^Showing nodes accounting for \([0-9]*\)B.*/\1/p')
echo "inuse_space shown: $inuse, incident.json new_bytes: $(jq .diff.new_bytes incident.json)"
assert_ge "$inuse" $(($(jq .diff.new_bytes incident.json) * 9 / 10)) "inuse_space"

gopprof -traces profile.pb.gz > "$T/traces.txt"
grep -q -- '-----------+' "$T/traces.txt" || fail "no traces: $(head "$T/traces.txt")"
# the leaf of a trace is the first frame after the value
awk '/^ +[-0-9.]+[kMG]?B +[^ ]/ { print $2 }' "$T/traces.txt" | grep -qx process_leak ||
        fail "no trace with process_leak as its leaf: $(head -n 30 "$T/traces.txt")"

gopprof -top -lines profile.pb.gz > "$T/lines.txt"
grep -Eq 'process_leak .*target/[a-z_]+\.c:[0-9]+' "$T/lines.txt" || fail "no file:line for process_leak: $(head -n 12 "$T/lines.txt")"

bid=$(readelf -n "$LEAKY_BIN" | sed -n 's/.*Build ID: *//p')
[ -n "$bid" ] || fail "leaky-server has no build-id"
gopprof -raw profile.pb.gz > "$T/raw.txt"
grep -E "leaky-server +$bid" "$T/raw.txt" >/dev/null || fail "mapping without leaky-server's build-id $bid: $(sed -n '/^Mappings/,$p' "$T/raw.txt")"
sed -n '/^Mappings/,/^$/p' "$T/raw.txt" | head -n 3

# the front ends: diff and trend write pprof too; not to a terminal
"$OW_BIN" diff --format pprof --base "$base" "$new" > "$T/d.pb.gz" || fail "diff --format pprof"
gopprof -top "$T/d.pb.gz" | grep -q process_leak || fail "diff --format pprof has no process_leak"
mapfile -t dumps < <(jq -r '.dumps[] | select(.pid == '"$(jq .target.pid incident.json)"') | .file' incident.json)
if [ ${#dumps[@]} -ge 2 ]; then
        "$OW_BIN" trend --format pprof "${dumps[@]}" > "$T/t.pb.gz" || fail "trend --format pprof"
        gopprof -top "$T/t.pb.gz" | grep -q process_leak || fail "trend --format pprof has no process_leak"
fi

# inline frames: in a C++ program whose leak goes through an always-inlined
# function (tests/programs/leak_cxx.cc), shop::make_blob and shop::fill_blobs,
# which it was inlined into, are two lines of one location, inner first
command -v g++ >/dev/null || fail "g++ is not installed (build-essential)"
mkdir -p "$T/cxx"
# shellcheck disable=SC2046  # pkg-config prints a list of flags
g++ -O1 -g -fPIE -pie -o "$T/cxx/leak_cxx" "$REPO/tests/programs/leak_cxx.cc" $(pkg-config --libs jemalloc) \
        2>"$T/cxx.err" || fail "building leak_cxx: $(cat "$T/cxx.err")"
MALLOC_CONF=prof:true,lg_prof_sample:14,prof_prefix:$T/cxx/leak_cxx "$T/cxx/leak_cxx" 2>"$T/cxx.err" ||
        fail "leak_cxx failed: $(cat "$T/cxx.err")"
cxx=("$T"/cxx/leak_cxx.*.heap)
"$OW_BIN" diff --format pprof --base "${cxx[0]}" "${cxx[1]}" > "$T/cxx.pb.gz" || fail "diff --format pprof (C++)"
gopprof -raw "$T/cxx.pb.gz" > "$T/cxx.raw"
inl=$(awk '/^Locations/ { on = 1; next } /^Mappings/ { on = 0 }
        on && /^ +[0-9]+: / { inner = / shop::make_blob / ? NR : 0; next }
        on && inner && NR == inner + 1 && / shop::fill_blobs / { print; exit }' "$T/cxx.raw")
[ -n "$inl" ] || fail "no location with shop::make_blob inlined into shop::fill_blobs: $(sed -n '/^Locations/,/^Mappings/p' "$T/cxx.raw" | grep -B1 -A1 make_blob)"
echo "inlined: $(grep -m1 ' shop::make_blob ' "$T/cxx.raw" | sed 's/^ *//') <- ${inl#"${inl%%[! ]*}"}"
grep -q '^Mappings' "$T/cxx.raw" || fail "no mappings in the C++ profile"
assert_no_ow_cgroups
