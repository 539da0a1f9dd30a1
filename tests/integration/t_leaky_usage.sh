#!/bin/bash
# --help exits 0 with a usage text; bad arguments exit 2 with a message.
. "$(dirname "$0")/lib.sh"

[ -x "$LEAKY_BIN" ] || fail "$LEAKY_BIN is not built"
"$LEAKY_BIN" --help >"$T/out" 2>&1
assert_eq "$?" 0 "exit status of --help"
grep -q -- "--cache-mb" "$T/out" || fail "--help does not mention --cache-mb"

for args in "--port x" "--port 70000" "--port -1" "--cache-mb 0" "--cache-mb 1x" "--bogus" "extra"; do
        # shellcheck disable=SC2086
        timeout 5 "$LEAKY_BIN" $args >"$T/out" 2>&1
        assert_eq "$?" 2 "exit status of '$args'"
        grep -q "leaky-server" "$T/out" || fail "no message for '$args'"
done
