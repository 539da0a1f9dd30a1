#!/bin/bash
# oomwatch diff and trend show their progress on stderr when it is a
# terminal, and never when it is a file or a pipe (the output stays clean).
. "$(dirname "$0")/lib.sh"

command -v script >/dev/null || skip "script(1) (util-linux) is needed for a terminal"
d=$REPO/tests/data
set -- "$d"/leak_c.*.heap
[ $# -ge 3 ] || fail "test dumps missing in $d"
base=$1 new=$3

# a pipe: no progress
"$OW_BIN" diff --base "$base" "$new" 2>"$T/err.pipe" >/dev/null || fail "diff failed: $(cat "$T/err.pipe")"
# (stderr may say why frames have no names: the test dumps' program is gone)
if grep -q '% of .* stacks\|'$'\033' "$T/err.pipe"; then fail "progress written to a non-terminal: $(cat -v "$T/err.pipe")"; fi

# a terminal (script gives the command a pty; stdout goes to a file)
script -qec "'$OW_BIN' diff --base '$base' '$new' > '$T/out.tty'" "$T/typescript" >/dev/null ||
        fail "diff under a terminal failed"
grep -q "% of .* stacks" "$T/typescript" || fail "no progress on the terminal: $(cat -v "$T/typescript" | head -5)"
grep -q "Total:" "$T/out.tty" || fail "the report is missing"
grep -q "stacks" "$T/out.tty" && fail "progress leaked into the report"
script -qec "'$OW_BIN' trend $* > /dev/null" "$T/typescript2" >/dev/null || fail "trend under a terminal failed"
grep -q "% of .* stacks" "$T/typescript2" || fail "no progress for trend"
echo "progress line: $(tr '\r' '\n' < "$T/typescript" | grep -m1 '% of' | cat -v)"
