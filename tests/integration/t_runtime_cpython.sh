#!/bin/bash
# CPython leaking small objects (tests/programs/py_leak.py: a str per
# request): without PYTHONMALLOC in the environment oomwatch preloads
# jemalloc and sets PYTHONMALLOC=malloc, so the heap profile sees Python's
# objects: coverage > 0.6 and the first site is str's allocation in
# unicodeobject.c. A PYTHONMALLOC=pymalloc set by the user is kept, and the
# report says what it costs. A pyenv shim (a version manager's bash script)
# is followed to the interpreter it selects.
# python3-dbg (scripts/install-deps.sh): Debian's python3 is stripped, so its
# functions would be python3.11+0xOFF.
. "$(dirname "$0")/lib.sh"

PY=$(command -v python3-dbg) || skip "python3-dbg not installed (scripts/install-deps.sh installs it)"
prog=$REPO/tests/programs/py_leak.py

run_py() { # NAME CMD...: one OOM-killed run; sets B (the bundle)
        local name=$1
        shift
        # 128 MiB: at 64 the debug interpreter's own memory and the
        # sampling error (one sample per 512 KiB: about 8% of the heap's
        # estimate) put runs below 0.6 (0.587 to 0.884 over ten runs;
        # 0.69 to 0.85 at 128 MiB)
        ow_run_oom "$name" 128M "$@"
        assert_eq "$(json "$B/incident.json" .runtime.kind)" cpython "$name: runtime"
        echo "$name: coverage $(json "$B/incident.json" .coverage), first site $(jq -c .diff.sites[0] "$B/incident.json")"
}
cov_above() { awk -v c="$1" -v m="$2" 'BEGIN { exit !(c > m) }'; }

# 1. PYTHONMALLOC unset: oomwatch sets it
unset PYTHONMALLOC
run_py default "$PY" "$prog"
grep -qx 'PYTHONMALLOC=malloc' "$T/default.err" || fail "the target did not get PYTHONMALLOC=malloc: $(head -5 "$T/default.err")"
grep -q 'preloading .*libjemalloc.* and setting PYTHONMALLOC=malloc' "$T/default.err" || fail "no plan line: $(head -3 "$T/default.err")"
cov=$(json "$B/incident.json" .coverage)
cov_above "$cov" 0.6 || fail "coverage $cov is not above 0.6"
json "$B/incident.json" '.diff.sites[0].file' | grep -q 'unicodeobject\.c$' ||
        fail "the first site is not str's allocation: $(jq -c .diff.sites[0] "$B/incident.json")"
json "$B/incident.json" .runtime.note | grep -q 'set PYTHONMALLOC=malloc' || fail "runtime note: $(json "$B/incident.json" .runtime.note)"
grep -q '^runtime:      CPython' "$B/report.txt" || fail "report.txt has no runtime line"

# 2. the user's PYTHONMALLOC=pymalloc is kept, and explained
PYTHONMALLOC=pymalloc run_py pymalloc "$PY" "$prog"
grep -qx 'PYTHONMALLOC=pymalloc' "$T/pymalloc.err" || fail "the user's PYTHONMALLOC was not kept: $(head -5 "$T/pymalloc.err")"
grep -q '^oomwatch: note: CPython: PYTHONMALLOC=pymalloc is set' "$T/pymalloc.err" || fail "no note on stderr: $(head -3 "$T/pymalloc.err")"
json "$B/incident.json" .runtime.note | grep -q 'PYTHONMALLOC=pymalloc is set in the target.s environment and kept' ||
        fail "runtime note: $(json "$B/incident.json" .runtime.note)"
tr -s ' \n' ' ' <"$B/report.txt" | grep -q 'PYTHONMALLOC=pymalloc is set in the target.s environment and kept, so CPython.s own allocator' ||
        fail "report.txt does not explain pymalloc"
cov_pm=$(json "$B/incident.json" .coverage)
cov_above "$cov" "$cov_pm" || fail "coverage with pymalloc ($cov_pm) is not below the one with malloc ($cov)"

# 3. a pyenv shim: bash script -> libexec/pyenv -> versions/<v>/bin/python3
root=$T/pyenv
mkdir -p "$root/shims" "$root/libexec" "$root/versions/3.99/bin"
ln -s "$PY" "$root/versions/3.99/bin/python3"
cat >"$root/shims/python3" <<SHIM
#!/usr/bin/env bash
set -e
program="\${0##*/}"
export PYENV_ROOT="$root"
exec "$root/libexec/pyenv" exec "\$program" "\$@"
SHIM
cat >"$root/libexec/pyenv" <<'PYENV'
#!/bin/sh
# the part of pyenv exec this test needs: run the selected version's program
shift
prog=$1
shift
exec "$PYENV_ROOT/versions/$PYENV_VERSION/bin/$prog" "$@"
PYENV
chmod +x "$root/shims/python3" "$root/libexec/pyenv"
PYENV_VERSION=3.99 PATH="$root/shims:$PATH" run_py shim python3 "$prog"
json "$B/incident.json" .runtime.via | grep -q '^pyenv shim, version 3.99 from PYENV_VERSION' ||
        fail "runtime.via: $(json "$B/incident.json" .runtime.via)"
grep -qx 'PYTHONMALLOC=malloc' "$T/shim.err" || fail "the shim's python did not get PYTHONMALLOC=malloc"
cov=$(json "$B/incident.json" .coverage)
cov_above "$cov" 0.6 || fail "shim: coverage $cov is not above 0.6"
assert_no_ow_cgroups
