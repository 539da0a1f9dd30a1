#!/bin/bash
# The supervisor's idle footprint (docs/PERFORMANCE.md): while it supervises,
# the only shared libraries it maps are the C library and the dynamic
# loader. libcgroup is loaded by the short-lived child that calls it, the
# analyzer's libraries (libdw, libelf, zlib) by oomwatch-analysis, libinih is
# linked in. A library linked back into the supervisor stays resident for
# its whole life and fails this test.
. "$(dirname "$0")/lib.sh"

ow_sanitized && skip "a sanitizer build maps the sanitizers' runtime and its libraries"
ow_start -q -m 64M -- sleep 60
running() { [ -n "$(ow_cgroups)" ] && [ -n "$(cat "$(ow_cgroups | head -n 1)/cgroup.procs" 2>/dev/null)" ]; }
wait_for running || fail "the target did not start: $(cat "$OW_LOG")"
libs=$(awk '$6 ~ /\.so/ { n = $6; sub(".*/", "", n); print n }' "/proc/$OW_PID/maps" | sort -u | tr '\n' ' ')
echo "libraries: $libs; $(grep VmRSS "/proc/$OW_PID/status" | tr -s '\t ' ' '), $(grep '^Pss:' "/proc/$OW_PID/smaps_rollup" | tr -s ' ')"
for l in $libs; do
        case $l in
        libc.so.6 | ld-linux-*.so.*) ;;
        *) fail "the supervisor maps $l: $libs" ;;
        esac
done
kill -TERM "$OW_PID"
ow_wait || fail "oomwatch did not stop"
assert_no_ow_cgroups
