#!/bin/bash
# Promise 16, the program's own path: a target whose path holds a newline
# (and the other hostile characters) is OOM-killed; the bundle names the
# leaking function. The kernel writes the newline as the four characters
# \012 in /proc/PID/maps, which jemalloc copies into MAPPED_LIBRARIES, so
# the analyzer must undo that escape to find the binary and symbolize it.
# jeprof would hand such a path to a shell: with engine = jeprof it is not
# run, report.txt says why, and the native analysis still names the function.
. "$(dirname "$0")/lib.sh"

cc -O1 -g -o "$T/glibc_leak" "$REPO/tests/programs/glibc_leak.c" || fail "cc failed"
command -v jeprof >/dev/null || skip "no jeprof (libjemalloc-dev)"
cd "$T" || fail "cd $T"
w="sp ace 'q' \$(touch PWNED1);"$'\n'"nl"
mkdir -- "-bin $w"
cp -- "$T/glibc_leak" "-bin $w/-leak $w"
for engine in native jeprof; do
        printf '[report]\nengine = %s\n' "$engine" > "$T/$engine.conf"
        "$OW_BIN" run -c "$T/$engine.conf" -m 32M -d "dumps.$engine" -r "reports.$engine" -- "./-bin $w/-leak $w" \
                2>"$T/$engine.log"
        assert_eq "$?" 137 "$engine: status"
        inc=$(find "reports.$engine" -name incident.json)
        top=$(json "$inc" '.diff.top[0].function')
        echo "$engine: top grower $top"
        assert_eq "$top" leak_chunk "$engine: top grower"
        grep -q leak_chunk "$(dirname "$inc")/report.txt" || fail "$engine: report.txt lacks leak_chunk"
        if [ "$engine" = jeprof ]; then
                grep -q "jeprof not run" "$(dirname "$inc")/report.txt" || fail "jeprof ran on a hostile path"
        fi
done
[ -z "$(find "$T" -name 'PWNED*')" ] || fail "a command hidden in a name ran"
assert_no_ow_cgroups
