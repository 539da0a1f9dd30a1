#!/bin/bash
# Programs without jemalloc (glibc malloc in C, operator new in C++) run with
# preload_jemalloc = auto get the system libjemalloc preloaded: the OOM kill
# is reported and the leaking function is on top.
. "$(dirname "$0")/lib.sh"

cc -O1 -g -fno-omit-frame-pointer -o "$T/glibc_leak" "$REPO/tests/programs/glibc_leak.c" || fail "cc failed"
command -v c++ >/dev/null || skip "no C++ compiler"
c++ -O1 -g -fno-omit-frame-pointer -o "$T/cxx_leak" "$REPO/tests/programs/cxx_leak.cc" || fail "c++ failed"

for prog in glibc_leak:leak_chunk cxx_leak:demo::Registry::remember; do
        bin=${prog%%:*} fn=${prog#*:}
        rm -rf "$T/reports" "$T/dumps"
        "$OW_BIN" run -m 64M -d "$T/dumps" -r "$T/reports" -- "$T/$bin" 2>"$T/$bin.log"
        status=$?
        assert_eq "$status" 137 "$bin: exit status"
        b=$(ow_bundle)
        assert_eq "$(json "$b/incident.json" .verdict)" oom-kill "$bin: verdict"
        top=$(json "$b/incident.json" '.diff.top[0].function')
        echo "$bin: top grower $top"
        assert_eq "$top" "$fn" "$bin: top grower"
done
assert_no_ow_cgroups
