#!/bin/bash
# A target without jemalloc and preload_jemalloc = off: one clear warning,
# the verdict is still right, and the bundle says no heap profile was
# available.
. "$(dirname "$0")/lib.sh"

cc -O1 -g -o "$T/glibc_leak" "$REPO/tests/programs/glibc_leak.c" || fail "cc failed"
printf '[profiling]\npreload_jemalloc = off\n' > "$T/c.conf"
"$OW_BIN" run -c "$T/c.conf" -m 64M -d "$T/dumps" -r "$T/reports" -- "$T/glibc_leak" 2>"$T/err"
assert_eq "$?" 137 "status"
assert_eq "$(grep -c 'warning: .*does not use jemalloc' "$T/err")" 1 "warnings"
b=$(ow_bundle)
assert_eq "$(json "$b/incident.json" .verdict)" oom-kill "verdict"
assert_eq "$(json "$b/incident.json" .diff)" null "diff"
json "$b/incident.json" .analysis_error | grep -q "no heap profile" ||
        fail "analysis_error: $(json "$b/incident.json" .analysis_error)"
grep -q "no heap" "$b/report.txt" || fail "report.txt does not say there is no heap profile"
assert_no_ow_cgroups
