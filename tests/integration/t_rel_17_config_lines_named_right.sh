#!/bin/bash
# Promise 17, two malformed configurations the main test leaves out:
# - a section header without its ']' must be reported at its own line
#   (now the message names the next line, "key ... is outside any section");
# - report.formats with a stray ',' (or empty) is malformed like the same
#   mistake in malloc_conf, which is refused (now accepted silently).
. "$(dirname "$0")/lib.sh"

marker=$T/started
printf '# case\n[target\nrestart = never\n' > "$T/c.conf"
"$OW_BIN" run -c "$T/c.conf" -m 64M -d "$T/dumps" -r "$T/reports" -- touch "$marker" 2>"$T/err"
rc=$?
assert_eq "$rc" 125 "status for '[target'"
grep -q "$T/c.conf:2: " "$T/err" || fail "'[target' on line 2 reported as: $(cat "$T/err")"
for v in "svg," ",svg" "svg,,dot"; do
        printf '# case\n[report]\nformats = %s\n' "$v" > "$T/c.conf"
        "$OW_BIN" run -c "$T/c.conf" -m 64M -d "$T/dumps" -r "$T/reports" -- touch "$marker" 2>"$T/err"
        rc=$?
        assert_eq "$rc" 125 "status for formats = '$v'"
        grep -q "$T/c.conf:3: " "$T/err" || fail "formats = '$v': $(cat "$T/err")"
done
[ -e "$marker" ] && fail "the target was started"
assert_no_ow_cgroups
