#!/bin/bash
# Promise 22: nothing the target plants can block or redirect the supervisor.
# The target runs as nobody and owns its dump directory. Before it starts the
# service it plants FIFOs under every name oomwatch ever wrote there (the old
# status file and its temporary file), tries to plant one inside oomwatch's
# own directory (.oomwatch, root's: refused), then moves that directory away
# and puts a forged one in its place, with FIFOs under the status file's
# names and a forged status. Then it leaks until the OOM kill. oomwatch keeps
# working through all of it: status rewrites at every dump, the OOM verdict,
# the bundle, exit 137; `oomwatch status DIR` refuses the forged directory
# (and does not hang), while `oomwatch status PID` shows the real state.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root to run the target as another user"
ow_user_build
cat > "$U/plant.sh" <<'SH'
#!/bin/sh
d=$1; shift
mkfifo "$d/.oomwatch-status.json.tmp" "$d/oomwatch-status.json" "$d/status.json.tmp"
if mkfifo "$d/.oomwatch/status.json.tmp" 2>/dev/null; then echo "PLANTED INSIDE" >&2; fi
mv "$d/.oomwatch" "$d/.moved" && mkdir "$d/.oomwatch" &&
        mkfifo "$d/.oomwatch/status.json.tmp" &&
        echo '{"supervisor_pid": 1, "state": "forged", "dump_dir": "/forged"}' > "$d/.oomwatch/status.json" &&
        echo planted >&2
exec "$@"
SH
chmod 0755 "$U/plant.sh"
printf '[target]\nuser = nobody\n' > "$T/c.conf"
port=$(free_port) || fail "no free port"
LEAKY_URL=http://127.0.0.1:$port
ow_start -m 96M -c "$T/c.conf" -d "$U/dumps" -- "$U/plant.sh" "$U/dumps" "$LEAKY_BIN" --port "$port"
wait_for grep -qs "listening on" "$OW_LOG" || fail "the target did not start: $(cat "$OW_LOG")"
grep -q "PLANTED INSIDE" "$OW_LOG" && fail "the target could write into oomwatch's own directory"
grep -q "^planted" "$OW_LOG" || fail "the target could not set its traps: $(cat "$OW_LOG")"
timeout 10 "$OW_BIN" status "$U/dumps" > "$T/st.out" 2> "$T/st.err"
rc=$?
[ "$rc" = 124 ] && fail "oomwatch status DIR hung"
assert_eq "$rc" 1 "oomwatch status on the forged directory"
grep -q "not oomwatch's" "$T/st.err" || fail "no refusal of the forged directory: $(cat "$T/st.err")"
grep -q forged "$T/st.out" && fail "the forged status was shown"
"$OW_BIN" status "$OW_PID" > "$T/st.out" || fail "oomwatch status PID failed"
grep -q "^supervisor:  pid $OW_PID, running" "$T/st.out" || fail "status PID: $(cat "$T/st.out")"
leak_until_gone
WAIT_TIMEOUT=60 ow_wait || fail "oomwatch did not exit after the OOM kill"
assert_eq "$OW_STATUS" 137 "status"
b=$(ow_bundle)
assert_eq "$(json "$b/incident.json" '.diff.top[0].function')" process_leak "top grower"
[ -p "$U/dumps/oomwatch-status.json" ] || fail "the planted FIFO was touched"
assert_eq "$(json "$U/dumps/.moved/status.json" .state)" done "oomwatch's own status, in its moved directory"
assert_no_ow_cgroups
