#!/bin/bash
# A target that dies of a signal or exits with a failure status is said so
# on standard error at the default verbosity ("died of signal 11
# (Segmentation fault)", "exited with status 3"), with oomwatch's status
# 139 and 3; an exit with status 0 is said under -v only.
. "$(dirname "$0")/lib.sh"

ow_start -m 32M -- sh -c 'kill -SEGV $$'
ow_wait || fail "oomwatch did not exit"
assert_eq "$OW_STATUS" 139 "status after SIGSEGV"
grep -q '^oomwatch: target (pid [0-9]*) died of signal 11 (Segmentation fault)$' "$OW_LOG" ||
        fail "the death by SIGSEGV was not said: $(cat "$OW_LOG")"
ow_start -m 32M -- sh -c 'exit 3'
ow_wait || fail "oomwatch did not exit"
assert_eq "$OW_STATUS" 3 "status after exit 3"
grep -q '^oomwatch: target (pid [0-9]*) exited with status 3$' "$OW_LOG" ||
        fail "the exit with status 3 was not said: $(cat "$OW_LOG")"
ow_start -m 32M -- sh -c 'exit 0'
ow_wait || fail "oomwatch did not exit"
assert_eq "$OW_STATUS" 0 "status after exit 0"
grep -q 'exited with status' "$OW_LOG" && fail "an exit with status 0 was said without -v: $(cat "$OW_LOG")"
ow_start -v -m 32M -- sh -c 'exit 0'
ow_wait || fail "oomwatch did not exit"
grep -q '^oomwatch: target (pid [0-9]*) exited with status 0$' "$OW_LOG" || fail "-v did not say the exit"
assert_no_ow_cgroups
