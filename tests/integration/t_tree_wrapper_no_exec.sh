#!/bin/bash
# A start script that does not exec (sh -c '...; echo', and a bash script
# file run as `bash start.sh`) runs the demo server as its child; the server
# leaks until the kernel OOM-kills it, the wrapper says so and exits 0.
# oomwatch writes the bundle of the kill (victim: the server, a child of the
# target; process_leak on top; from the server's own dumps), exits 137 (an
# OOM kill in the tree, documented) and its last line says so.
. "$(dirname "$0")/lib.sh"

# In an AddressSanitizer build (server and all) the wrapper was seen once
# not to say the server's status after the kill: it was gone too, most
# likely by a second OOM kill while the sanitized server's memory was still
# being freed. The wrapper's words are what this test reads.
ow_sanitized && skip "AddressSanitizer build: the wrapper can be OOM-killed after the server"

cat >"$T/start.sh" <<'SCRIPT'
#!/bin/bash
echo "starting $1"
"$1" --port "$2"
echo "server status $?"
exit 0
SCRIPT

run_case() { # sh | bash
        local name=$1
        rm -rf "$T/reports" "$T/dumps"
        LEAKY_PORT=$(free_port) || fail "no free TCP port"
        LEAKY_URL=http://127.0.0.1:$LEAKY_PORT
        if [ "$name" = sh ]; then
                ow_start -m 64M -- sh -c '"$0" --port "$1"; echo "server status $?"' "$LEAKY_BIN" "$LEAKY_PORT"
        else
                ow_start -m 64M -- bash "$T/start.sh" "$LEAKY_BIN" "$LEAKY_PORT"
        fi
        wait_for _ow_leaky_up || fail "$name: leaky-server did not start: $(cat "$OW_LOG")"
        leak_until_gone 2 300
        WAIT_TIMEOUT=60 ow_wait || fail "$name: oomwatch did not exit"
        grep -q "^server status 137" "$T/oomwatch.out" || fail "$name: the wrapper did not see its child killed: $(cat "$T/oomwatch.out")"
        assert_eq "$OW_STATUS" 137 "$name: oomwatch's status (the wrapper exited 0 after an OOM kill in its tree)"
        tail -n 1 "$OW_LOG" | grep -q "1 process of the target's tree was OOM-killed during the run (the last: pid [0-9]* (.*leaky-server.*)); the target exited with status 0; exiting with 137" ||
                fail "$name: the last line does not tell the kill: $(tail -n 2 "$OW_LOG")"
        b=$(ow_bundle)
        j=$b/incident.json
        echo "$name: $(jq -c '{victim, top: .diff.top[0].function, site: .diff.sites[0].function, analysis_ms}' "$j")"
        assert_eq "$(json "$j" .verdict)" oom-kill "$name: verdict"
        assert_eq "$(json "$j" .victim.relation)" child "$name: the victim's relation"
        assert_eq "$(json "$j" .victim.exe)" "$(readlink -f "$LEAKY_BIN")" "$name: the victim's executable"
        assert_eq "$(json "$j" '.diff.top[0].function')" process_leak "$name: top grower"
        assert_eq "$(json "$j" '[.dumps[].pid] | unique | length')" 1 "$name: processes whose dumps are in the bundle"
        assert_eq "$(json "$j" '.dumps[0].pid')" "$(json "$j" .victim.pid)" "$name: the dumps are the victim's"
        grep -q "^OOM-killed:   pid $(json "$j" .victim.pid) (.*leaky-server.*), a child of the target" "$b/report.txt" ||
                fail "$name: report.txt does not name the victim: $(head -n 6 "$b/report.txt")"
}
run_case sh
run_case bash
assert_no_ow_cgroups
