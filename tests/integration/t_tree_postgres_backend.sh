#!/bin/bash
# A real database: PostgreSQL (Debian's postgresql) under oomwatch, the
# cluster made by initdb as nobody in a temporary directory, the server run
# as nobody. One query (string_agg over 80 million rows) grows its backend
# until the kernel OOM-kills it; the postmaster resets and lives on. The
# bundle is the backend's (a child of the target, named by the kernel, its
# own dumps), and "where it grew" names the SQL function that grew
# (string_agg_transfn), not PostgreSQL's allocator (palloc, repalloc and the
# memory context's static functions under them). The server accepts
# connections again, oomwatch runs on until SIGTERM and exits with the
# postmaster's status (0: a smart shutdown).
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root (the cluster and the server run as nobody)"
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$pgbin" ] && [ -x "$pgbin/postgres" ] && [ -x "$pgbin/initdb" ] && [ -x "$pgbin/psql" ] ||
        skip "no Debian postgresql (scripts/install-deps.sh)"
id nobody >/dev/null 2>&1 || skip "no user nobody"
pg=$(mktemp -d /tmp/oomwatch-pg.XXXXXX) || fail "mktemp"
at_exit "rm -rf '$pg'"
chmod 0755 "$pg"
mkdir "$pg/sock" "$pg/dumps"
chown nobody "$pg" "$pg/sock" "$pg/dumps"
as_nobody() { su nobody -s /bin/sh -c "$*"; }
as_nobody "'$pgbin/initdb' -D '$pg/data' -A trust -U postgres --no-sync --no-instructions" >"$T/initdb.log" 2>&1 ||
        skip "initdb failed as nobody: $(tail -n 3 "$T/initdb.log")"
port=$(free_port) || fail "no free port"
psql() { "$pgbin/psql" -X -h "$pg/sock" -p "$port" -U postgres -d postgres -Atq "$@"; }
printf '[target]\nuser = nobody\n' >"$T/c.conf"
ow_start -m 192M -c "$T/c.conf" -d "$pg/dumps" -- "$pgbin/postgres" -D "$pg/data" -k "$pg/sock" -p "$port" \
        -c listen_addresses= -c shared_buffers=16MB -c fsync=off -c jit=off
up() { psql -c 'select 1' >/dev/null 2>&1; }
WAIT_TIMEOUT=30 wait_for up || fail "postgres did not start: $(tail -n 5 "$OW_LOG")"
master=$(head -n 1 "$pg/data/postmaster.pid")
assert_eq "$(awk '/^PPid:/ { print $2 }' "/proc/$master/status")" "$OW_PID" "the postmaster is oomwatch's child"
psql -c 'select length(string_agg(x::text, $$,$$)) from generate_series(1, 80000000) x' >"$T/query.out" 2>&1 &&
        fail "the query was not killed: $(cat "$T/query.out")"
bundle() { find "$T/reports" -mindepth 2 -maxdepth 2 -name incident.json ! -path "*/.*/*" 2>/dev/null | head -n 1; }
has() { [ -n "$(bundle)" ]; }
WAIT_TIMEOUT=60 wait_for has || fail "no bundle: $(grep -v 'LOG:' "$OW_LOG" | tail -n 5)"
j=$(bundle)
echo "$(jq -c '{victim, analysis_ms, top: .diff.top[0].function, site: .diff.sites[0].function}' "$j")"
victim=$(json "$j" .victim.pid)
[ "$victim" != "$master" ] || fail "the postmaster was the victim"
assert_eq "$(json "$j" .verdict)" oom-kill "verdict"
assert_eq "$(json "$j" .victim.relation)" child "the victim's relation"
assert_eq "$(json "$j" .target.pid)" "$master" "the target (the postmaster)"
assert_eq "$(json "$j" '[.dumps[].pid] | unique | join(",")')" "$victim" "whose dumps the bundle holds"
assert_eq "$(json "$j" '.diff.sites[0].function')" string_agg_transfn "where it grew"
grep -q "OOM-killed: *pid $victim (postgres: .*), a child of the target" "$(dirname "$j")/report.txt" ||
        fail "report.txt does not name the backend: $(grep OOM-killed "$(dirname "$j")/report.txt")"
kill -0 "$master" 2>/dev/null || fail "the postmaster is gone"
WAIT_TIMEOUT=30 wait_for up || fail "postgres does not accept connections after the reset: $(tail -n 5 "$OW_LOG")"
proc_gone "$OW_PID" && fail "oomwatch exited"
kill -TERM "$OW_PID"
WAIT_TIMEOUT=30 ow_wait || fail "oomwatch did not stop"
assert_eq "$OW_STATUS" 0 "oomwatch's status (the postmaster's smart shutdown)"
assert_no_ow_cgroups
