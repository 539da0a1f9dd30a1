#!/bin/bash
# What the documentation says oomwatch does, checked against what it does
# (as t_docs_options_in_man_and_help does for options and defaults):
# 1. the dump directory: oomwatch.conf(5) (target.user) and DEPLOYING.md say
#    a missing one is created owned by target.user, mode 0700, and no page
#    says it is root's; run as root with target.user = nobody, it is
#    nobody's with mode 700. The example unit relies on that (no
#    ExecStartPre= making it) and lets the service through its state
#    directory.
# 2. the event log: every event oomwatch writes in a real OOM kill, and
#    every member of it, is named in report.events' entry of oomwatch.conf(5).
# 3. the metrics: the families in the textfile of that run are exactly the
#    ones report.metrics' entry names.
# 4. oomwatch config prints a value as the file wrote it (10s, not
#    10000ms), and what it prints for the defaults is itself a valid file
#    that prints the same.
# 5. oomwatch status after the supervisor ended says what oomwatch.1 says:
#    "none (the supervisor has ended)", and --json has live false.
. "$(dirname "$0")/lib.sh"

MAN5=$REPO/docs/man/oomwatch.conf.5 MAN1=$REPO/docs/man/oomwatch.1 DEP=$REPO/docs/DEPLOYING.md
UNIT=$REPO/docs/examples/oomwatch-myservice.service
# an entry of oomwatch.conf.5 (from its \fBKEY\fR line to the next .TP), as plain text
entry() {
        awk -v k="$1" '
                index($0, "\\fB" k "\\fR") == 1 { on = 1 }
                on && /^\.TP/ { exit }
                on { s = $0; gsub(/\\f[BIRP]/, "", s); gsub(/\\-/, "-", s); sub(/^\.[A-Z]+ /, "", s); gsub(/"/, "", s); print s }
        ' "$MAN5" | tr '\n' ' '
}

# 1 ---------------------------------------------------------------------------
user_doc=$(entry user)
grep -q "is created owned by this user" <<<"$user_doc" || fail "oomwatch.conf(5) target.user does not say who owns a created dump dir: $user_doc"
doc_mode=$(grep -o 'mode 0[0-7]*' <<<"$user_doc" | head -n 1 | sed 's/mode 0//')
grep -q "a dump directory it creates is owned by that" "$DEP" || fail "DEPLOYING.md does not say who owns a created dump dir"
grep -q "mode 0$doc_mode" "$DEP" || fail "DEPLOYING.md gives another mode than oomwatch.conf(5) ($doc_mode)"
if grep -ni "dump dir[a-z]* .*owned by root\|creates a missing one owned by root" "$MAN5" "$MAN1" "$DEP" "$REPO/README.md"; then
        fail "a page says the dump directory oomwatch creates is root's"
fi
grep -q '^ExecStartPre=.*dumps' "$UNIT" && fail "the example unit still makes the dump directory itself"
smode=$(sed -n 's/^StateDirectoryMode=//p' "$UNIT")
[ $((0$smode & 1)) = 1 ] || fail "the example's StateDirectoryMode=$smode does not let the service through"
mkdir -m 0711 "$T/state"
chmod 0711 "$T"
printf '[target]\nuser = nobody\n' > "$T/u.conf"
# (ow_start's own -d and -r come first: these win)
ow_start -q -c "$T/u.conf" -m 32M -d "$T/state/dumps" -r "$T/state/reports" -- /bin/true
ow_wait || fail "oomwatch did not exit"
assert_eq "$OW_STATUS" 0 "oomwatch run as nobody: $(cat "$OW_LOG")"
got=$(stat -c '%U %a' "$T/state/dumps")
echo "created dump directory: $got (documented: the user, mode $doc_mode)"
assert_eq "$got" "nobody $doc_mode" "owner and mode of the dump directory oomwatch created"

# 2 and 3: one real OOM kill with an event log and metrics ---------------------
printf '[report]\nevents = %s\nmetrics = %s\n' "$T/events.jsonl" "$T/m.prom" > "$T/c.conf"
ow_start_leaky -m 64M -c "$T/c.conf"
leak_until_gone 2
WAIT_TIMEOUT=60 ow_wait || fail "oomwatch did not exit"
ev_doc=$(entry events)
ev_doc=${ev_doc#*one of }
while read -r name members; do
        # the text in parentheses after ".B name" in the entry
        doc=$(grep -o "\b$name ([^)]*)" <<<"$ev_doc" | head -n 1)
        [ -n "$doc" ] || fail "event '$name' is not in oomwatch.conf(5)'s events entry"
        for m in $members; do
                grep -qw "$m" <<<"${doc#* }" || fail "member '$m' of event '$name' is not documented: $doc"
        done
done < <(jq -r '"\(.event) \(keys - ["ts", "event"] | join(" "))"' "$T/events.jsonl" | sort -u)
echo "events documented: $(jq -r .event "$T/events.jsonl" | sort -u | tr '\n' ' ')"

met_doc=$(entry metrics | grep -o 'oomwatch_[a-z_]*' | sort -u)
met_got=$(sed -n 's/^# TYPE \([a-z_]*\) .*/\1/p' "$T/m.prom" | sort -u)
assert_eq "$(tr '\n' ' ' <<<"$met_got")" "$(tr '\n' ' ' <<<"$met_doc")" "metric families written vs documented"

# 5: the status after the end ----------------------------------------------------
grep -q 'none (the supervisor has ended)' "$MAN1" || fail "oomwatch.1 does not say what status prints after the end"
"$OW_BIN" status "$T/dumps" > "$T/st.txt" || fail "oomwatch status DIR failed"
grep -q '^target: *none (the supervisor has ended)$' "$T/st.txt" || fail "status after the end: $(cat "$T/st.txt")"
"$OW_BIN" status --json "$T/dumps" > "$T/st.json" || fail "oomwatch status --json DIR failed"
assert_eq "$(jq .live "$T/st.json")" false "live after the end"

# 4: oomwatch config ------------------------------------------------------------------
cat > "$T/w.conf" <<'CONF'
[target]
stop_timeout = 10s
restart_delay = 1500ms
[cgroup]
memory_limit = 512M
warn_at = 95, 90
[report]
formats = collapsed,svg
CONF
"$OW_BIN" config "$T/w.conf" > "$T/w.out" 2>/dev/null || fail "oomwatch config failed"
for kv in "stop_timeout = 10s" "restart_delay = 1500ms" "memory_limit = 512M" "warn_at = 95, 90" "formats = collapsed,svg"; do
        k=${kv%% =*}
        line=$(grep -E "^$k +=" "$T/w.out")
        v=$(sed -E 's/^[a-z_]+ += (.*)   # .*/\1/' <<<"$line")
        assert_eq "$k = $v" "$kv" "oomwatch config's line for $k"
done
grep -E '^formats +=' "$T/w.out" | grep -q 'report.txt and incident.json are always written' ||
        fail "oomwatch config does not say where the rest of the formats comes from"
# the defaults it prints are a valid file that prints the same
: > "$T/empty.conf"
"$OW_BIN" config "$T/empty.conf" > "$T/d.out" 2>/dev/null || fail "oomwatch config (empty) failed"
awk '/^\[/ { print; next } /^[a-z_]+ += / { v = $0; sub(/^[a-z_]+ += /, "", v); sub(/   # .*/, "", v)
        if (v !~ /^\(/) { k = $1; print k " = " v } }' "$T/d.out" > "$T/d.conf"
"$OW_BIN" config "$T/d.conf" > "$T/d2.out" 2>"$T/d2.err" || fail "the printed defaults are not a valid file: $(cat "$T/d2.err")"
strip() { sed -E 's/   # .*//' "$1" | grep -v '^MALLOC_CONF='; }
assert_eq "$(strip "$T/d2.out")" "$(strip "$T/d.out")" "values printed from the printed defaults"
assert_no_ow_cgroups
