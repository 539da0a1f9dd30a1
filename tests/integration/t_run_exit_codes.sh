#!/bin/bash
# The target's exit code is oomwatch's; 126 not executable, 127 not found;
# death by signal N is 128+N; no bundle without an OOM kill by default.
. "$(dirname "$0")/lib.sh"

run() { "$OW_BIN" run -q -m 64M -d "$T/dumps" -r "$T/reports" -- "$@"; }
for code in 0 1 2 42 124 125 126 127 128 200 255; do
        run sh -c "exit $code"
        assert_eq "$?" "$code" "exit $code"
done
run sh -c 'kill -TERM $$'
assert_eq "$?" 143 "death by SIGTERM"
run sh -c 'kill -SEGV $$'
assert_eq "$?" 139 "death by SIGSEGV"
run /nonexistent/program
assert_eq "$?" 127 "not found"
run no-such-command-oomwatch
assert_eq "$?" 127 "not found on PATH"
printf '#!/bin/sh\n' > "$T/noexec"
chmod 0644 "$T/noexec"
run "$T/noexec"
assert_eq "$?" 126 "not executable"
[ -d "$T/reports" ] && [ -n "$(ls -A "$T/reports")" ] && fail "bundles written without an OOM kill"
assert_no_ow_cgroups
