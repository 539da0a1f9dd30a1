#!/bin/bash
# Promise 1 when oomwatch's own parent left SIGCHLD ignored (SIG_IGN is
# inherited across exec; some daemons and language runtimes start children
# so). With SIGCHLD ignored the kernel reaps oomwatch's children itself:
# no SIGCHLD reaches the signalfd and waitpid() finds nothing, so oomwatch
# must reset SIGCHLD to SIG_DFL before it forks. Now it never learns that
# the target exited, never exits, and even SIGTERM does not end it.
. "$(dirname "$0")/lib.sh"

command -v perl >/dev/null || skip "no perl to start oomwatch with SIGCHLD ignored"
perl -e '$SIG{CHLD} = "IGNORE"; exec @ARGV' \
        "$OW_BIN" run -q -m 32M -d "$T/dumps" -r "$T/reports" -- sh -c 'exit 3' 2>"$T/err" &
OW_LOG=$T/err
OW_PID=$!
at_exit "kill -KILL $OW_PID 2>/dev/null; cg_rm $(_cg_self_memory)/oomwatch.$OW_PID"
WAIT_TIMEOUT=5 ow_wait || fail "oomwatch did not exit after its target did (SIGCHLD ignored by its parent)"
assert_eq "$OW_STATUS" 3 "status"
assert_no_ow_cgroups
