#!/bin/bash
# /oom allocates in a tight loop until killed: still an oom-kill verdict,
# with process_oom_burst on top.
. "$(dirname "$0")/lib.sh"

ow_start_leaky -m 96M
curl -s -o /dev/null --max-time 60 "$LEAKY_URL/oom"
WAIT_TIMEOUT=60 ow_wait || fail "oomwatch did not exit: $(tail "$OW_LOG")"
assert_eq "$OW_STATUS" 137 "oomwatch exit status"
b=$(ow_bundle)
assert_eq "$(json "$b/incident.json" .verdict)" oom-kill "verdict"
assert_eq "$(json "$b/incident.json" '.diff.top[0].function')" process_oom_burst "top grower"
ms=$(json "$b/incident.json" .analysis_ms)
echo "analysis_ms=$ms"
assert_no_ow_cgroups
