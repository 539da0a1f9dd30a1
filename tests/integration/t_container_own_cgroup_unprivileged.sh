#!/bin/bash
# Own-cgroup mode (--cgroup-mode own), as in a container without privileges:
#  1. -m (or cgroup.parent) with own mode: exit 125, the reason named, the
#     target never runs.
#  2. a cgroup without a limit on it or above it: exit 125, said why.
#  3. oomwatch as user nobody with no capabilities at all (setpriv), inside
#     a cgroup whose 64 MiB limit the test set: it takes that limit, the
#     leak ends in an OOM kill of the target alone, oomwatch survives it,
#     writes the bundle (verdict oom-kill, process_leak on top, limit 64 MiB,
#     time, host, container = the cgroup, the target's exe and build-id)
#     and exits 137, with a summary naming the top grower in its termination
#     log (report.termination_log, as Kubernetes' /dev/termination-log); it
#     created no cgroup and the cgroup's limit is as before.
#  4. even as root, own mode opens nothing under /sys/fs/cgroup for writing
#     and creates or removes nothing there (strace).
. "$(dirname "$0")/lib.sh"

command -v setpriv >/dev/null || skip "no setpriv(1) (util-linux)"
id nobody >/dev/null 2>&1 || skip "no user nobody"
[ -x "$OW_BIN" ] || fail "$OW_BIN is not built"
[ -x "$LEAKY_BIN" ] || fail "$LEAKY_BIN is not built"
limit_file=memory.limit_in_bytes usage_file=memory.usage_in_bytes
cg_v2 && limit_file=memory.max usage_file=memory.current

# 1 ---------------------------------------------------------------------------
"$OW_BIN" run --cgroup-mode own -m 64M -d "$T/dumps" -r "$T/reports" -- touch "$T/ran1" 2>"$T/1.log"
assert_eq "$?" 125 "status of own mode with -m"
cat "$T/1.log"
grep -q "option --memory-limit: a memory limit cannot be given with cgroup.mode = own" "$T/1.log" ||
        fail "no reason given: $(cat "$T/1.log")"
printf '[cgroup]\nmode = own\nparent = /x\n' >"$T/1.conf"
"$OW_BIN" run -c "$T/1.conf" -d "$T/dumps" -r "$T/reports" -- touch "$T/ran1" 2>"$T/1b.log"
assert_eq "$?" 125 "status of own mode with cgroup.parent"
grep -q "1.conf:3: cgroup.parent cannot be used with cgroup.mode = own" "$T/1b.log" ||
        fail "no reason given: $(cat "$T/1b.log")"
[ -e "$T/ran1" ] && fail "the target ran"

# everything nobody runs is copied where nobody can read it (the checkout may
# be in a directory only root may enter)
nb=$(mktemp -d /tmp/oomwatch-own.XXXXXX) || fail "mktemp"
at_exit "rm -rf '$nb'"
chmod 755 "$nb"
cp "$OW_BIN" "$BUILD/oomwatch-analysis" "$BUILD/liboomwatch-agent.so" "$LEAKY_BIN" "$nb/" || fail "cannot copy the binaries"
mkdir "$nb/state" && chown nobody:nogroup "$nb/state" || fail "cannot give $nb/state to nobody"
as_nobody=(setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all --bounding-set=-all --no-new-privs)

# 2 ---------------------------------------------------------------------------
limited_above=
d=$(_cg_self_memory) || skip "no memory cgroup of our own"
while :; do
        v=$(cat "$d/$limit_file" 2>/dev/null || echo max)
        [ "$v" = max ] || [ "$v" -ge $((1 << 62)) ] || limited_above=$d
        case $d in /sys/fs/cgroup | /sys/fs/cgroup/memory) break ;; esac
        d=${d%/*}
done
cg_make own-nolimit 64M
if cg_v2; then
        echo max >"$CG/memory.max"
else
        # memsw first: the limit may not exceed it
        [ -e "$CG/memory.memsw.limit_in_bytes" ] && echo -1 >"$CG/memory.memsw.limit_in_bytes"
        echo -1 >"$CG/memory.limit_in_bytes"
fi
if [ -z "$limited_above" ]; then
        (cg_exec "$CG" "${as_nobody[@]}" "$nb/oomwatch" run --cgroup-mode own -d "$nb/state/d2" -r "$nb/state/r2" -- \
                touch "$nb/state/ran2") 2>"$T/2.log"
        assert_eq "$?" 125 "status of own mode without a limit"
        cat "$T/2.log"
        grep -q "nor an ancestor it can see has a memory limit" "$T/2.log" || fail "no reason given: $(cat "$T/2.log")"
        [ -e "$nb/state/ran2" ] && fail "the target ran without a limit"
else
        echo "note: $limited_above has a memory limit; the no-limit case is not checked here"
fi
cg_rm "$CG"

# 3 ---------------------------------------------------------------------------
cg_make own-64m 64M
before=$(cat "$CG/$limit_file")
LEAKY_PORT=$(free_port) || fail "no free TCP port"
LEAKY_URL=http://127.0.0.1:$LEAKY_PORT
OW_LOG=$T/3.log
printf '[cgroup]\nmode = own\n[report]\ntermination_log = %s\n' "$nb/state/termination-log" >"$nb/own.conf"
chmod 644 "$nb/own.conf"
# An AddressSanitizer build of oomwatch never reuses freed memory while it
# sits in quarantine: it faults in fresh pages all the time, and one fault in
# the instant between the target's OOM kill and the uncharge of the target's
# pages got oomwatch itself killed as the next victim (2 runs in 6; the
# kernel's log showed the fault in do_anonymous_page). A built oomwatch
# reuses its heap (its RSS stays flat: t_rel_09); without quarantine the
# sanitized one does too, and keeps its other checks.
ow_sanitized && export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:thread_local_quarantine_size_kb=0"
(cg_exec "$CG" "${as_nobody[@]}" "$nb/oomwatch" run -v -c "$nb/own.conf" -d "$nb/state/dumps" -r "$nb/state/reports" -- \
        "$nb/leaky-server" --port "$LEAKY_PORT") >/dev/null 2>"$OW_LOG" &
OW_PID=$!
at_exit _ow_stop
wait_for _ow_leaky_up || fail "leaky-server under oomwatch did not start: $(cat "$OW_LOG")"
proc_gone "$OW_PID" && fail "oomwatch exited at start: $(cat "$OW_LOG")"
rss=$(rss_kib "$OW_PID") usage=$(($(cat "$CG/$usage_file") >> 10))
echo "measured: oomwatch VmRSS $rss kB at rest ($(pct "$rss" $((64 << 10))) of the 64 MiB limit);" \
        "the cgroup's usage $usage kB ($(pct "$usage" $((64 << 10)))) with the service idle"
# the subshell became oomwatch through exec (sh, setpriv)
ow=$OW_PID
assert_eq "$(readlink "/proc/$ow/exe")" "$nb/oomwatch" "the process checked"
assert_eq "$(awk '/^Uid:/ { print $2 }' "/proc/$ow/status")" 65534 "oomwatch's uid"
for c in CapInh CapPrm CapEff CapBnd CapAmb; do
        assert_eq "$(awk -v c="$c:" '$1 == c { print $2 }' "/proc/$ow/status")" 0000000000000000 "oomwatch's $c"
done
grep -q "own-cgroup mode: supervising in $CG (cgroup v[12]), limit 64 MiB set by $CG" "$OW_LOG" ||
        fail "oomwatch did not say which cgroup and limit it found: $(cat "$OW_LOG")"
leak_until_gone 2
WAIT_TIMEOUT=60 ow_wait || fail "oomwatch did not exit after the leak: $(tail "$OW_LOG")"
assert_eq "$OW_STATUS" 137 "oomwatch's exit status"
b=$(find "$nb/state/reports" -mindepth 1 -maxdepth 1 -type d)
[ "$(echo "$b" | wc -l)" = 1 ] && [ -n "$b" ] || fail "expected one bundle, found: $b; $(grep -v "GET " "$OW_LOG" | tail)"
assert_eq "$(json "$b/incident.json" .verdict)" oom-kill "verdict"
arss=$(json "$b/incident.json" .analysis_peak_rss)
echo "measured: kill to bundle $(json "$b/incident.json" .analysis_ms) ms;" \
        "the analysis's peak RSS $((arss >> 10)) kB ($(pct "$arss" $((64 << 20))) of the limit)"
assert_ge "$arss" 1 "the analysis's peak RSS"
assert_le "$arss" $((64 << 20)) "the analysis's peak RSS (it ran in the 64 MiB cgroup)"
echo "measured: the bundle $(du -sk "$b" | cut -f1) kB, the dump directory $(du -sk "$nb/state/dumps" | cut -f1) kB"
assert_eq "$(json "$b/incident.json" '.diff.top[0].function')" process_leak "top grower"
assert_eq "$(json "$b/incident.json" .cgroup.memory_limit)" $((64 << 20)) "limit in the bundle"
assert_ge "$(json "$b/incident.json" .cgroup.oom_kills)" 1 "oom kills"
grep -q '^limit: *64 MiB' "$b/report.txt" || fail "report.txt does not say the 64 MiB limit: $(head "$b/report.txt")"
assert_eq "$(stat -c %U "$b/incident.json")" nobody "owner of the bundle"
# who, where, when: bundles from a fleet can be told apart
json "$b/incident.json" '{time, host, container, exe: .target.exe, build_id: .target.build_id, cgroup}'
[[ $(json "$b/incident.json" .time) =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$ ]] ||
        fail "time is not RFC 3339 UTC: $(json "$b/incident.json" .time)"
assert_eq "$(json "$b/incident.json" .host)" "$(uname -n)" "host"
if cg_v2; then want=${CG#/sys/fs/cgroup}; else want=${CG#/sys/fs/cgroup/memory}; fi
assert_eq "$(json "$b/incident.json" .container)" "$want" "container (the cgroup)"
assert_eq "$(json "$b/incident.json" .cgroup.mode)" own "cgroup mode"
assert_eq "$(json "$b/incident.json" .cgroup.id)" "$(stat -c %i "$CG")" "cgroup id"
assert_eq "$(json "$b/incident.json" .target.exe)" "$nb/leaky-server" "exe"
if command -v readelf >/dev/null; then
        assert_eq "$(json "$b/incident.json" .target.build_id)" \
                "$(readelf -n "$nb/leaky-server" | awk '/Build ID:/ { print $3 }')" "build-id"
else
        [[ $(json "$b/incident.json" .target.build_id) =~ ^[0-9a-f]{16,}$ ]] || fail "no build-id"
fi
# the summary for kubectl describe pod
tl=$nb/state/termination-log
[ -s "$tl" ] || fail "no termination log: $(tail "$OW_LOG")"
cat "$tl"
assert_le "$(stat -c %s "$tl")" 4096 "bytes in the termination log"
grep -q '^verdict: *oom-kill' "$tl" || fail "the termination log has no verdict"
grep -A1 '^where it grew' "$tl" | grep -q ' process_leak ' || fail "the termination log does not name the top grower"
assert_eq "$(tail -n 1 "$tl")" "bundle: $b" "the termination log's last line"
assert_eq "$(find "$CG" -mindepth 1 -type d | wc -l)" 0 "cgroups created under $CG"
assert_eq "$(cat "$CG/$limit_file")" "$before" "the cgroup's limit afterwards"

# 4 ---------------------------------------------------------------------------
if command -v strace >/dev/null; then
        printf '[cgroup]\nmode = own\n[report]\non = exit\n' >"$T/4.conf"
        # LeakSanitizer stops the world with ptrace, which strace holds already
        ow_sanitized && export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
        (cg_exec "$CG" strace -f -qq -o "$T/strace" -e trace=open,openat,openat2,mkdir,mkdirat,rmdir,unlink,unlinkat,rename,renameat,renameat2 \
                "$OW_BIN" run -q -c "$T/4.conf" -d "$T/dumps4" -r "$T/reports4" -- sh -c 'exit 3') 2>"$T/4.log"
        assert_eq "$?" 3 "status of the target under strace"
        [ -s "$T/reports4"/*/incident.json ] || fail "no bundle under strace: $(cat "$T/4.log")"
        grep -q '/sys/fs/cgroup' "$T/strace" || fail "strace saw no access to /sys/fs/cgroup at all: $(head "$T/strace")"
        bad=$(grep '/sys/fs/cgroup' "$T/strace" | grep -E 'O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|mkdir|rmdir|unlink|rename' || true)
        [ -z "$bad" ] || fail "own mode wrote under /sys/fs/cgroup: $bad"
else
        echo "note: no strace; the no-write check as root is not made"
fi
assert_no_ow_cgroups
