#!/bin/bash
# Promise 16: file names with spaces, quotes, $(), ;, newlines or a leading
# '-' never reach a shell. The dump dir, the report dir, the target's path
# and its arguments all carry such names (relative, starting with '-'; the
# program's path has no newline: the kernel writes it as \012 in
# /proc/PID/maps, which jemalloc copies into each dump, so symbolizing a
# program with a newline in its path is a separate matter);
# glibc_leak is OOM-killed under them, once with the native analyzer and
# once with engine = jeprof (an external program run on those paths). Each
# run ends in a bundle in the named report dir with the leak on top, the
# argv recorded exactly, its dumps, and no command
# hidden in a name ever ran.
. "$(dirname "$0")/lib.sh"

cc -O1 -g -o "$T/glibc_leak" "$REPO/tests/programs/glibc_leak.c" || fail "cc failed"
command -v jeprof >/dev/null || skip "no jeprof (libjemalloc-dev)"
cd "$T" || fail "cd $T"
# w: every hostile character; p: the same without the newline, for the
# program's own path (see below)
p="sp ace 'q' \"dq\" \$(touch PWNED1) \`touch PWNED2\`; touch PWNED3 &&"
w="$p"$'\n'"nl"
dumps="-dumps $w"
reports="-reports $w"
bindir="-bin $p"
mkdir -- "$bindir"
cp -- "$T/glibc_leak" "$bindir/-leak $p"
args=("-x" "$w" "--" ";touch PWNED4" '$(touch PWNED5)' "-" "")

for engine in native jeprof; do
        printf '[report]\nengine = %s\n' "$engine" > "$T/$engine.conf"
        "$OW_BIN" run -c "$T/$engine.conf" -m 32M -d "$dumps.$engine" -r "$reports.$engine" -- \
                "./$bindir/-leak $p" "${args[@]}" 2>"$T/$engine.log"
        assert_eq "$?" 137 "$engine: status"
        n=$(find "./$reports.$engine" -name incident.json -printf x | wc -c)
        assert_eq "$n" 1 "$engine: bundles in the report dir"
        inc=$(find "./$reports.$engine" -name incident.json)
        assert_eq "$(json "$inc" .verdict)" oom-kill "$engine: verdict"
        want=$(jq -cn --args '$ARGS.positional' -- "./$bindir/-leak $p" "${args[@]}")
        assert_eq "$(jq -c .target.argv "$inc")" "$want" "$engine: argv recorded"
        top=$(json "$inc" '.diff.top[0].function')
        echo "$engine: top grower $top"
        assert_eq "$top" leak_chunk "$engine: top grower"
        [ -d "./$dumps.$engine" ] || fail "$engine: the named dump dir was not made"
        [ -n "$(find "$(dirname "$inc")/dumps" -name 'oomwatch.*.heap')" ] || fail "$engine: no dumps in the bundle"
        grep -q leak_chunk "$(dirname "$inc")/report.txt" || fail "$engine: report.txt lacks leak_chunk"
done
pwned=$(find / -xdev -name 'PWNED[0-9]' 2>/dev/null | head -n 3)
[ -z "$pwned" ] || fail "a command hidden in a name ran: $pwned"
assert_no_ow_cgroups
