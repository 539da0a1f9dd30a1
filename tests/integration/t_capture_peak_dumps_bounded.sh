#!/bin/bash
# gdump = fast (the default) switches jemalloc's peak dumps on in a fast
# climb; jemalloc then writes one at each new high of its mapped memory,
# which for small objects (CPython's, with PYTHONMALLOC=malloc) is every
# few KiB. Past CAP_PEAK_PER_STEP (16) peak dumps of a process since the last
# usage step they are switched off until the next step: a CPython leak of
# small str objects up to its OOM kill under 64 MiB writes a few hundred
# dumps in all, not thousands (seen: about 2,400 in 2.5 s before the bound),
# says so, and its bundle still names str's allocation with coverage > 0.6.
# The leak does not pause (py_leak.py 0) and the limit is small, so that the
# climb is a burst by gdump = fast's rule (fills the limit in 2 s or less) on
# a slow machine too: with the default pause under 128 MiB it took 5-6 s on
# one 2-core host and peak dumps were never switched on.
. "$(dirname "$0")/lib.sh"

PY=$(command -v python3-dbg) || skip "python3-dbg not installed (scripts/install-deps.sh installs it)"
ow_run_oom py 64M "$PY" "$REPO/tests/programs/py_leak.py" 0
# the dumps' seq counts every dump jemalloc wrote, kept or rotated
last=$(json "$B/incident.json" '[.dumps[].seq] | max')
peaks=$(grep -c 'since the last usage step; switched off until the next' "$T/py.err")
echo "dumps written: $((last + 1)); peak dumps switched off $peaks times; coverage $(json "$B/incident.json" .coverage)"
assert_ge "$peaks" 1 "times the peak dumps were switched off"
assert_le "$((last + 1))" 500 "dumps written in the climb"
json "$B/incident.json" '.diff.sites[0].file' | grep -q 'unicodeobject\.c$' ||
        fail "the first site is not str's allocation: $(jq -c .diff.sites[0] "$B/incident.json")"
cov=$(json "$B/incident.json" .coverage)
awk -v c="$cov" 'BEGIN { exit !(c > 0.6) }' || fail "coverage $cov is not above 0.6"
assert_no_ow_cgroups
