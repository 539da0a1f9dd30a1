#!/bin/bash
# The symbol cache of an analysis that runs as another user (report.user =
# nobody): the cache directory exists already as root's own `oomwatch diff`
# leaves it (mode 0700, its copies in a 0700 subdirectory). oomwatch run
# makes it passable (0711, not readable) and gives nobody a directory of its
# own there; nobody's analysis keeps glibc's decompressed debug file in it,
# and the next bundle's analysis reads that copy instead of inflating the
# debug file again. Root's copies stay unreadable to nobody.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root (a user to become)"
id nobody >/dev/null 2>&1 || skip "no user nobody"
[ -x "$OW_BIN" ] || fail "$OW_BIN is not built"
libc_debug_build
bid=$LIBC_BID
# under a directory nobody can pass ($T is 0700), as /var/cache is
top=$(mktemp -d /tmp/oomwatch-cache.XXXXXX) || fail "mktemp"
at_exit "rm -rf '$top'"
chmod 0755 "$top"
cache=$top/cache
mkdir -m 0700 "$cache" "$cache/debug"
echo secret >"$cache/debug/root-only"
chmod 0600 "$cache/debug/root-only"
printf '[report]\nuser = nobody\non = always\nsymbol_cache = %s\n' "$cache" >c.conf

bundle() { # N: run leak_c under oomwatch, the bundle's incident.json in $J
        "$OW_BIN" run -q -c c.conf -m 128M -d "$T/d$1" -r "$T/r$1" -- ./leak_c 2>"$T/run$1.err" ||
                fail "run $1: oomwatch failed: $(cat "$T/run$1.err")"
        J=$(ls "$T/r$1"/*/incident.json 2>/dev/null | head -n 1)
        [ -n "$J" ] || fail "run $1: no bundle: $(cat "$T/run$1.err")"
}
bundle 1
mine=$cache/uid-65534
copy=$mine/debug/$bid.debug
assert_eq "$(stat -c %a "$cache")" 711 "mode of the cache directory (passable, not readable)"
assert_eq "$(stat -c '%U %a' "$mine")" "nobody 700" "owner and mode of nobody's cache"
[ -f "$copy" ] || fail "nobody's analysis kept no copy of glibc's debug file: $(find "$cache" -ls 2>&1)"
assert_eq "$(stat -c '%U %a' "$copy")" "nobody 600" "owner and mode of the copy"
if readelf -SW "$copy" | grep -q ' \.debug_info .* C '; then fail "the copy is still compressed"; fi
assert_eq "$(stat -c %a "$cache/debug")" 700 "mode of root's own copies' directory"
su nobody -s /bin/sh -c "cat '$cache/debug/root-only'" >/dev/null 2>&1 && fail "nobody can read root's cache"
jq -r '.diff.top[].function' "$J" | grep -q '__libc_start_call_main' ||
        fail "libc's frames are not named in the first bundle"

# the second bundle's analysis reads the copy (its mtime marks the use)
touch -d '2000-01-01' "$copy"
bundle 2
used=$(stat -c %Y "$copy")
[ "$used" -gt 946684800 ] || fail "the second analysis did not use nobody's copy (mtime $used)"
jq -r '.diff.top[].function' "$J" | grep -q '__libc_start_call_main' ||
        fail "libc's frames are not named in the second bundle"
assert_no_ow_cgroups
