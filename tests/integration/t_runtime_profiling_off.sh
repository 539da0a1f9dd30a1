#!/bin/bash
# Where no heap profile is possible, oomwatch says so and why, and claims
# nothing it does not do: a statically linked C program (LD_PRELOAD cannot
# reach it) and a #!/bin/sh shim (oomwatch cannot tell what it starts). For
# each, with preload_jemalloc = auto: the verdict is right; report.txt,
# incident.json, `oomwatch status` and the event log's start event say that
# profiling was off and why; stderr has one warning and no "preloading"; no
# warn_at dump is asked of a target that cannot answer.
. "$(dirname "$0")/lib.sh"

cc -O1 -g -o "$T/glibc_leak" "$REPO/tests/programs/glibc_leak.c" || fail "cc failed"
cc -O1 -static -o "$T/static_leak" "$REPO/tests/programs/glibc_leak.c" 2>"$T/cc.err" ||
        fail "cc -static failed (libc6-dev ships libc.a): $(cat "$T/cc.err")"
printf '#!/bin/sh\n# a shim: what it runs is its business\nexec "%s" "$@"\n' "$T/glibc_leak" >"$T/shim"
chmod +x "$T/shim"

for case in static_leak:static:"statically linked" shim:script:"shell script run by /bin/sh"; do
        prog=${case%%:*} rest=${case#*:}
        kind=${rest%%:*} why=${rest#*:}
        rm -rf "$T/reports" "$T/dumps" "$T/events"
        printf '[report]\nevents = %s\n' "$T/events" >"$T/c.conf"
        "$OW_BIN" run -v -c "$T/c.conf" -m 32M -d "$T/dumps" -r "$T/reports" -- "$T/$prog" 2>"$T/err"
        assert_eq "$?" 137 "$prog: exit status"
        b=$(ow_bundle)
        assert_eq "$(json "$b/incident.json" .verdict)" oom-kill "$prog: verdict"
        # stderr: one warning with the reason, no false claim
        assert_eq "$(grep -c "^oomwatch: warning: no heap profile: .*$why" "$T/err")" 1 "$prog: warnings"
        grep -qi preloading "$T/err" && fail "$prog: stderr claims a preload: $(grep -i preloading "$T/err")"
        grep -q 'no dump for warn_at' "$T/err" && fail "$prog: warn_at dumps were asked for: $(grep 'no dump' "$T/err")"
        # incident.json
        assert_eq "$(json "$b/incident.json" .runtime.kind)" "$kind" "$prog: runtime.kind"
        assert_eq "$(json "$b/incident.json" .runtime.profiling)" false "$prog: runtime.profiling"
        json "$b/incident.json" .runtime.why | grep -q "$why" || fail "$prog: runtime.why: $(json "$b/incident.json" .runtime.why)"
        assert_eq "$(json "$b/incident.json" .diff)" null "$prog: diff"
        # report.txt
        tr -s ' \n' ' ' <"$b/report.txt" | grep -q "profiling: off: .*$why" || fail "$prog: report.txt: $(cat "$b/report.txt")"
        grep -qi preloading "$b/report.txt" && fail "$prog: report.txt claims a preload"
        # the event log's start event
        start=$(grep -m1 '"event":"start"' "$T/events")
        assert_eq "$(jq -r .profiling <<<"$start")" false "$prog: start event's profiling"
        jq -r .why <<<"$start" | grep -q "$why" || fail "$prog: start event: $start"
        assert_eq "$(jq -r .runtime <<<"$start")" "$kind" "$prog: start event's runtime"
        # oomwatch status (the status file stays in the dump directory)
        "$OW_BIN" status "$T/dumps" >"$T/status" || fail "$prog: oomwatch status failed"
        grep -q "^profiling:   off: .*$why" "$T/status" || fail "$prog: status: $(cat "$T/status")"
        assert_eq "$(jq -r .profiling.on "$T/dumps/.oomwatch/status.json")" false "$prog: status file"
done
assert_no_ow_cgroups
