#!/bin/bash
# A target started through env(1) or `sh -c` is judged by the program it
# runs, not by env or the shell: `sh -c 'exec "$0"' STATIC` is the static
# program (no "preloading" claim, profiling off and why), `env -i PROG`
# takes away LD_PRELOAD and MALLOC_CONF (profiling off, and the report says
# that env -i is why), and `env A=1 PROG` is PROG, profiled as usual.
. "$(dirname "$0")/lib.sh"

cc -O1 -g -o "$T/glibc_leak" "$REPO/tests/programs/glibc_leak.c" || fail "cc failed"
cc -O1 -static -o "$T/static_leak" "$REPO/tests/programs/glibc_leak.c" 2>"$T/cc.err" ||
        fail "cc -static failed (libc6-dev ships libc.a): $(cat "$T/cc.err")"

# sh -c 'exec "$0"': the static program behind the shell
ow_run_oom shc 32M sh -c 'exec "$0" "$@"' "$T/static_leak"
assert_eq "$(json "$B/incident.json" .runtime.kind)" static "sh -c: runtime.kind"
assert_eq "$(json "$B/incident.json" .runtime.profiling)" false "sh -c: runtime.profiling"
json "$B/incident.json" .runtime.via | grep -q "^sh -c 'exec" || fail "sh -c: runtime.via: $(json "$B/incident.json" .runtime.via)"
grep -qi preloading "$T/shc.err" && fail "sh -c: stderr claims a preload: $(grep -i preloading "$T/shc.err")"
grep -q '^oomwatch: warning: no heap profile: .*statically linked' "$T/shc.err" || fail "sh -c: no warning: $(head -5 "$T/shc.err")"

# env -i: what oomwatch sets for the target is gone
ow_run_oom envi 32M env -i "$T/glibc_leak"
assert_eq "$(json "$B/incident.json" .runtime.profiling)" false "env -i: runtime.profiling"
json "$B/incident.json" .runtime.why | grep -q "'env -i' takes away the LD_PRELOAD and MALLOC_CONF" ||
        fail "env -i: runtime.why: $(json "$B/incident.json" .runtime.why)"
tr -s ' \n' ' ' <"$B/report.txt" | grep -q "profiling: off: .*'env -i' takes away" || fail "env -i: report.txt: $(cat "$B/report.txt")"
grep -qi preloading "$T/envi.err" && fail "env -i: stderr claims a preload"

# env NAME=VALUE PROG: PROG, profiled
ow_run_oom envset 32M env -u NOTHING LEAK_NOTE=x "$T/glibc_leak"
assert_eq "$(json "$B/incident.json" .runtime.profiling)" true "env: runtime.profiling"
assert_eq "$(json "$B/incident.json" .runtime.program)" "$T/glibc_leak" "env: runtime.program"
json "$B/incident.json" .diff.top[0].function | grep -q . || fail "env: no diff: $(jq -c .diff "$B/incident.json")"
assert_no_ow_cgroups
