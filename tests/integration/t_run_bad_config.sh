#!/bin/bash
# Bad configuration and bad options: exit 125 with FILE:LINE or the option
# named, nothing started, no cgroup left.
. "$(dirname "$0")/lib.sh"

marker=$T/started
printf '[cgroup]\nmemory_limit = 64M\n[profiling]\nmalloc_conf = prof_final:true;lg_prof_interval:30\n' > "$T/semi.conf"
"$OW_BIN" run -c "$T/semi.conf" -- touch "$marker" 2>"$T/err"
assert_eq "$?" 125 "status for ';' in malloc_conf"
grep -q "^oomwatch run: $T/semi.conf:4: malloc_conf: " "$T/err" || fail "no FILE:LINE: $(cat "$T/err")"

printf '[cgroup]\nmemory_limit = 64M\nmemory_limit = 32M\n' > "$T/dup.conf"
"$OW_BIN" run -c "$T/dup.conf" -- touch "$marker" 2>"$T/err"
assert_eq "$?" 125 "status for a duplicate key"
grep -q "$T/dup.conf:3: duplicate key" "$T/err" || fail "$(cat "$T/err")"

"$OW_BIN" run -m 12Q -- touch "$marker" 2>"$T/err"
assert_eq "$?" 125 "status for a bad size"
grep -q "option --memory-limit" "$T/err" || fail "$(cat "$T/err")"

"$OW_BIN" run --keep -- touch "$marker" 2>"$T/err"
assert_eq "$?" 125 "status for a bad option"

"$OW_BIN" run -- touch "$marker" 2>"$T/err"
assert_eq "$?" 125 "status without a limit"
grep -q "no memory limit" "$T/err" || fail "$(cat "$T/err")"

"$OW_BIN" run -c "$T/missing.conf" -m 64M -- touch "$marker" 2>"$T/err"
assert_eq "$?" 125 "status for a missing config file"
grep -q "$T/missing.conf: No such file" "$T/err" || fail "$(cat "$T/err")"

# the dump dir is someone else's and world-writable: refused before anything starts
mkdir -p "$T/shared"
chown 65534 "$T/shared" && chmod 0777 "$T/shared"
"$OW_BIN" run -m 64M -d "$T/shared" -- touch "$marker" 2>"$T/err"
assert_eq "$?" 125 "status for an unsafe dump dir"
grep -q "writable by others" "$T/err" || fail "$(cat "$T/err")"

[ -e "$marker" ] && fail "the target was started"
assert_no_ow_cgroups
