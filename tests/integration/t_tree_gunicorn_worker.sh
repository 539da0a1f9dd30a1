#!/bin/bash
# A real pre-fork server: gunicorn (Debian's python3-gunicorn, sync
# workers) under oomwatch with a WSGI app whose /leak keeps 2 MiB per
# request in leak_request(). A worker is OOM-killed; the master forks a new
# one and runs on. The bundle is the worker's (a child of the master,
# named by the kernel, its own dumps), its growth in CPython's bytearray
# (PyByteArray_Resize, where it grew), and oomwatch is still running.
. "$(dirname "$0")/lib.sh"

py=/usr/bin/python3
[ -x "$py" ] && "$py" -c 'import gunicorn' 2>/dev/null || skip "no Debian python3 with gunicorn (scripts/install-deps.sh)"
mkdir -p "$T/app"
cat >"$T/app/app.py" <<'PY'
kept = []

def leak_request(n):
    kept.append(bytearray(n))
    return len(kept)

def app(environ, start_response):
    path = environ.get("PATH_INFO", "/")
    if path == "/leak":
        body = b"leaked %d\n" % leak_request(2 << 20)
    else:
        import os
        body = b"%d" % os.getpid()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
PY
port=$(free_port) || fail "no free TCP port"
ow_start -m 128M -- "$py" -m gunicorn -w 1 -b "127.0.0.1:$port" --chdir "$T/app" app:app
up() { curl -s --max-time 2 "http://127.0.0.1:$port/" >/dev/null; }
WAIT_TIMEOUT=20 wait_for up || fail "gunicorn did not start: $(tail -n 5 "$OW_LOG")"
worker=$(curl -s --max-time 5 "http://127.0.0.1:$port/")
master=$(awk '/^PPid:/ { print $2 }' "/proc/$worker/status")
bundle() { find "$T/reports" -mindepth 2 -maxdepth 2 -name incident.json ! -path "*/.*/*" 2>/dev/null | head -n 1; }
has() { [ -n "$(bundle)" ]; }
for ((i = 0; i < 100; i++)); do
        has && break
        curl -s -o /dev/null --max-time 10 "http://127.0.0.1:$port/leak"
done
WAIT_TIMEOUT=30 wait_for has || fail "no bundle: $(grep -v 'GET\|INFO' "$OW_LOG" | tail -n 5)"
j=$(bundle)
echo "$(jq -c '{victim, analysis_ms, top: .diff.top[0].function, site: .diff.sites[0].function}' "$j")"
assert_eq "$(json "$j" .victim.pid)" "$worker" "the victim (the worker)"
assert_eq "$(json "$j" .victim.relation)" child "the victim's relation"
assert_eq "$(json "$j" .target.pid)" "$master" "the target (the master)"
assert_eq "$(json "$j" '[.dumps[].pid] | unique | join(",")')" "$worker" "whose dumps the bundle holds"
assert_eq "$(json "$j" '.diff.sites[0].function')" PyByteArray_Resize "where it grew"
kill -0 "$master" 2>/dev/null || fail "the master is gone"
up2() { [ "$(curl -s --max-time 2 "http://127.0.0.1:$port/")" -gt 0 ] 2>/dev/null && [ "$(curl -s --max-time 2 "http://127.0.0.1:$port/")" != "$worker" ]; }
WAIT_TIMEOUT=20 wait_for up2 || fail "no new worker answers"
proc_gone "$OW_PID" && fail "oomwatch exited"
kill -TERM "$OW_PID"
ow_wait || fail "oomwatch did not stop"
assert_no_ow_cgroups
