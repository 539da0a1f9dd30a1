#!/bin/bash
# Every JSON file oomwatch writes keeps UTF-8 as it is and escapes bytes that
# are not UTF-8 so that they come back: a dump directory "dümps" is "dümps" in
# incident.json and the status file (not "dÃ¼mps"); a
# program path and a report directory with bytes 0xff and 0xfe are written as
# \udcff and \udcfe, and `oomwatch status` reads the bundle's path back
# byte for byte. Every file parses with jq.
. "$(dirname "$0")/lib.sh"

dumps="$T/dümps"
reports="$T/rëports-"$'\xfe'
prog="$T/lëaky-"$'\xff'
ln -s "$LEAKY_BIN" "$prog"
port=$(free_port) || fail "no free TCP port"
cat > "$T/c.conf" <<CONF
[report]
events = $T/events.jsonl
CONF
"$OW_BIN" run -m 96M -c "$T/c.conf" -d "$dumps" -r "$reports" -- "$prog" --port "$port" \
        >"$T/out" 2>"$T/log" &
OW_PID=$!
at_exit _ow_stop
wait_for grep -qs "listening on" "$T/log" || fail "the target did not start: $(cat "$T/log")"
curl -s -o /dev/null --max-time 60 "http://127.0.0.1:$port/oom"
WAIT_TIMEOUT=60 ow_wait || fail "oomwatch did not exit"
assert_eq "$OW_STATUS" 137 "exit status"

bundle=$(find "$reports" -mindepth 1 -maxdepth 1 -type d)
[ -n "$bundle" ] && [ -s "$bundle/incident.json" ] || fail "no bundle in $reports"
for f in "$bundle/incident.json" "$dumps/.oomwatch/status.json" "$T/events.jsonl"; do
        jq -e . "$f" >/dev/null || fail "not JSON: $f"
        grep -qE '\\u00[89a-f][0-9a-f]' "$f" && fail "UTF-8 escaped byte by byte (\\u00XX) in $f"
done
assert_eq "$(jq -r .verdict "$bundle/incident.json")" oom-kill "verdict"
assert_eq "$(jq -r '.diff.top[0].function' "$bundle/incident.json")" process_oom_burst "top grower"
grep -qF '"dumps/oomwatch.' "$bundle/incident.json" || fail "no dump in incident.json"
assert_eq "$(jq -r .dump_dir "$dumps/.oomwatch/status.json")" "$dumps" "dump_dir in the status file"
grep -qF '"dir":"'"$T"'/rëports-\udcfe/' "$T/events.jsonl" || fail "the report event does not name rëports-\\udcfe"
# the program path: its 0xff as \udcff, the rest as written
grep -qF '"'"$T"'/lëaky-\udcff"' "$bundle/incident.json" || fail "argv[0] not escaped as \\udcff: $(grep -A2 argv "$bundle/incident.json")"
grep -qF '\udcfe' "$dumps/.oomwatch/status.json" || fail "the bundle path's 0xfe not escaped in the status file"
# ... and read back to the same bytes
"$OW_BIN" status "$dumps" > "$T/status.txt" || fail "oomwatch status failed"
got=$(sed -n 's/^last bundle: //p' "$T/status.txt")
[ "$got" = "$bundle" ] || fail "status reads back '$got', the bundle is '$bundle'"
echo "bundle path with 0xfe read back exactly: $(printf %s "$got" | od -An -c | tr -s ' ' | tail -c 60)"
assert_no_ow_cgroups
