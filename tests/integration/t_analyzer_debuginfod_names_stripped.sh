#!/bin/bash
# Names for a stripped program, through a real debuginfod server.
# The test builds a leaking C program, keeps its debug file (objcopy
# --only-keep-debug) in a directory served by Debian's `debuginfod -F` on
# 127.0.0.1, and strips the program (build-id only, no debuglink). Under
# `oomwatch run` it is OOM-killed:
# - without servers, the bundle names nothing in it: report.txt says so once,
#   with the program's build-id and how to get names, and incident.json
#   lists the module with its build-id and its unnamed functions;
# - with report.debuginfod_urls naming the server, the bundle names the
#   leaking function (and its file:line), and only the program was asked for;
# - `oomwatch diff BUNDLE` later, with DEBUGINFOD_URLS, names it in the first
#   bundle; without, it prints the hint (stderr) and the same table;
# - a server that accepts and never answers costs at most
#   report.debuginfod_timeout (here 1 s, plus libdebuginfod's one-second
#   progress tick): the bundle says "timed out".
. "$(dirname "$0")/lib.sh"

command -v debuginfod >/dev/null || skip "debuginfod is not installed (apt-get install debuginfod)"
command -v python3 >/dev/null || skip "python3 is not installed"
OW=${OOMWATCH_BIN:-$BUILD/oomwatch}
[ -x "$OW" ] || fail "$OW is not built"
cd "$T" || fail "cd $T"

cc -O1 -g -fPIE -pie -o leaker "$REPO/tests/programs/glibc_leak.c" 2>build.err ||
        fail "building the test program: $(cat build.err)"
mkdir -p served
objcopy --only-keep-debug leaker served/leaker.debug || fail "objcopy --only-keep-debug"
strip --strip-all leaker || fail "strip"
bid=$(readelf -n leaker | awk '/Build ID/ { print $3 }')
[ -n "$bid" ] || fail "the stripped program has no build-id"
if nm leaker 2>/dev/null | grep -q leak_chunk; then fail "leaker is not stripped"; fi

# the debug file from the server (a fresh client cache each time: a miss
# would be remembered)
probe() {
        probes=$((${probes:-0} + 1))
        DEBUGINFOD_URLS="http://127.0.0.1:$port" DEBUGINFOD_CACHE_PATH="$T/probe.$probes" \
                debuginfod-find debuginfo "$bid" >/dev/null 2>&1
}
# the server, on a free port; stopped at the end
start_debuginfod() {
        local try
        for try in 1 2 3; do
                port=$(free_port) || fail "no free TCP port"
                debuginfod -F -p "$port" -d "$T/db.sqlite" -t 0 -g 0 "$T/served" >"$T/debuginfod.log" 2>&1 &
                dpid=$!
                # indexed and answering: the debug file by build-id
                if WAIT_TIMEOUT=20 wait_for probe; then
                        return 0
                fi
                kill "$dpid" 2>/dev/null
                wait "$dpid" 2>/dev/null
        done
        fail "debuginfod did not serve $bid: $(tail -5 "$T/debuginfod.log")"
}
start_debuginfod
at_exit 'kill $dpid 2>/dev/null; wait $dpid 2>/dev/null'

# run NAME URLS [TIMEOUT]: an OOM-killed run of leaker; sets BUNDLE
run() {
        printf '[report]\nsymbol_cache = %s\ndebuginfod_urls = %s\ndebuginfod_timeout = %s\n' \
                "$T/cache.$1" "$2" "${3:-10s}" >"$1.conf"
        env -u DEBUGINFOD_URLS -u DEBUGINFOD_CACHE_PATH "$OW" run -q -c "$1.conf" -m 48M -d "$T/dumps.$1" \
                -r "$T/reports.$1" -- ./leaker >"$1.out" 2>&1
        local rc=$?
        assert_eq "$rc" 137 "$1: exit status"
        BUNDLE=$(ls -d "$T/reports.$1"/*/ | head -n 1)
        BUNDLE=${BUNDLE%/}
        [ -f "$BUNDLE/incident.json" ] || fail "$1: no bundle: $(cat "$1.out")"
        assert_eq "$(jq -r .verdict "$BUNDLE/incident.json")" oom-kill "$1: verdict"
}
module() { # BUNDLE FIELD: the field of the leaker's module in incident.json
        jq -r --arg p "$T/leaker" '.modules[] | select(.path == $p) | .'"$2" "$1/incident.json"
}

# 1. no servers: no name, the hint with the build-id, the module listed
run plain off
plain=$BUNDLE
if grep -q leak_chunk "$plain/report.txt"; then fail "leak_chunk named without its debug file"; fi
hints=$(grep -c '^no names for .* in leaker (build-id '"$bid"')$' "$plain/report.txt")
assert_eq "$hints" 1 "hint lines for leaker"
grep -q "oomwatch diff $plain" "$plain/report.txt" || fail "the hint does not say how to name them later"
assert_eq "$(module "$plain" build_id)" "$bid" "build_id in incident.json"
assert_ge "$(module "$plain" unnamed_functions)" 1 "unnamed_functions"
assert_eq "$(module "$plain" debuginfod)" null "debuginfod asked without servers"

# 2. the server in the configuration: named, with file:line
before=$(grep -c 'GET /buildid/' "$T/debuginfod.log")
run served "http://127.0.0.1:$port"
grep -q 'leak_chunk' "$BUNDLE/report.txt" || fail "leak_chunk not named with debuginfod: $(head -30 "$BUNDLE/report.txt")"
assert_eq "$(jq -r '.diff.sites[0].function' "$BUNDLE/incident.json")" leak_chunk "top site"
jq -r '.diff.sites[0].file' "$BUNDLE/incident.json" | grep -q 'glibc_leak.c$' || fail "no file for the site"
if grep -q '^no names for .* in leaker ' "$BUNDLE/report.txt"; then fail "a hint although named"; fi
assert_eq "$(module "$BUNDLE" debuginfod)" found "debuginfod status"
[ -s "$T/cache.served/debuginfod/$bid/debuginfo" ] || fail "the download is not in the cache"
# only the module whose frames had no names was asked for
asked=$(($(grep -c 'GET /buildid/' "$T/debuginfod.log") - before))
assert_eq "$asked" 1 "queries to the server ($(grep 'GET /buildid' "$T/debuginfod.log"))"
grep 'GET /buildid/' "$T/debuginfod.log" | tail -n 1 | grep -q "/buildid/$bid/debuginfo" || fail "not the program's debug file asked for"

# 3. the first bundle again, later
DEBUGINFOD_URLS="http://127.0.0.1:$port" DEBUGINFOD_CACHE_PATH="$T/cli-cache" \
        "$OW" diff --symbol-cache off "$plain" >again.txt 2>again.err || fail "oomwatch diff BUNDLE: $(cat again.err)"
sed -n 2p again.txt | grep -q 'leak_chunk$' || fail "re-symbolized diff does not name leak_chunk first: $(cat again.txt)"
env -u DEBUGINFOD_URLS "$OW" diff --symbol-cache off "$plain" >none.txt 2>none.err || fail "oomwatch diff BUNDLE without servers"
grep -q "build-id $bid" none.err || fail "no hint on stderr: $(cat none.err)"
if grep -q leak_chunk none.txt; then fail "named without servers"; fi
# the bundle's own diff: the same rows as its report.txt
diff <(sed -n '/^Total:/,/^$/p' "$plain/report.txt" | sed '/^$/d') none.txt >/dev/null ||
        fail "oomwatch diff BUNDLE differs from the bundle's table: $(diff <(sed -n '/^Total:/,/^$/p' "$plain/report.txt") none.txt)"

# 4. a server that never answers: the bundle waits about the limit, no more
sport=$(free_port) || fail "no free TCP port"
python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16); held = []
while True: held.append(s.accept()[0])
' "$sport" &
spid=$!
at_exit 'kill $spid 2>/dev/null; wait $spid 2>/dev/null'
wait_for bash -c "exec 3<>/dev/tcp/127.0.0.1/$sport" || fail "the silent server did not start"
run silent "http://127.0.0.1:$sport" 1s
assert_eq "$(module "$BUNDLE" debuginfod)" "timed out" "debuginfod status with a silent server"
grep -q 'debuginfod: timed out' "$BUNDLE/report.txt" || fail "the hint does not say it timed out"
# not a timing test: the limit must hold at all (without it, libdebuginfod
# waits 90 s per server); generous for a loaded machine
ms=$(jq .analysis_ms "$BUNDLE/incident.json")
assert_le "$ms" 8000 "analysis_ms with a 1 s debuginfod limit"
exit 0
