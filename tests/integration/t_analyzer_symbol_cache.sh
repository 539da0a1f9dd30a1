#!/bin/bash
# The symbol cache: glibc's separate debug file (libc6-dbg) is compressed;
# the first `oomwatch diff` keeps it decompressed in --symbol-cache DIR, the
# next ones read that copy instead of inflating it again, and every output
# is the same with the cache, without it, cold or warm. A copy that is not
# what it claims (another build-id, a symlink, writable by others) is not
# used and changes nothing.
. "$(dirname "$0")/lib.sh"

OW=${OOMWATCH_BIN:-$BUILD/oomwatch}
[ -x "$OW" ] || fail "$OW is not built"
libc_debug_build
bid=$LIBC_BID src=$LIBC_DEBUG
MALLOC_CONF=prof:true,lg_prof_sample:14,prof_prefix:$T/leak_c ./leak_c 2>run.err || fail "leak_c: $(cat run.err)"
d=("$T"/leak_c.*.heap)
assert_eq "${#d[@]}" 3 "dump count"

run() { # NAME CACHE: text and json outputs into NAME.txt, NAME.json
        "$OW" diff --symbol-cache "$2" --base "${d[0]}" "${d[2]}" >"$1.txt" || fail "$1: diff failed"
        "$OW" diff --symbol-cache "$2" --format json --top 100 --base "${d[0]}" "${d[2]}" >"$1.json" ||
                fail "$1: diff --format json failed"
        "$OW" trend --symbol-cache "$2" "${d[@]}" >"$1.trend" || fail "$1: trend failed"
}
same() { # A B: the outputs agree
        for x in txt json trend; do
                cmp -s "$1.$x" "$2.$x" || fail "$2.$x differs from $1.$x: $(diff "$1.$x" "$2.$x" | head -5)"
        done
}

run off off
grep -q '__libc_start_call_main' off.txt || fail "libc's frames are not named from libc6-dbg: $(cat off.txt)"

cache=$T/cache
copy=$cache/debug/$bid.debug
run cold "$cache"
same off cold
[ -f "$copy" ] || fail "no decompressed copy in $cache/debug: $(ls -la "$cache/debug" 2>&1)"
if readelf -SW "$copy" | grep -q ' \.debug_info .* C '; then fail "the copy is still compressed"; fi
assert_eq "$(stat -c %a "$cache/debug")" 700 "mode of the cache directory"
assert_eq "$(stat -c %a "$copy")" 600 "mode of the copy"

# warm: the copy is read (its mtime marks the use) and nothing changes
touch -d '2000-01-01' "$copy"
run warm "$cache"
same off warm
used=$(stat -c %Y "$copy")
[ "$used" -gt 946684800 ] || fail "the copy was not used (mtime $used)"

# rejected copies change no name and are replaced by a good one
replaced() { # WHAT
        [ -f "$copy" ] && [ ! -L "$copy" ] || fail "$1: no regular copy afterwards"
        assert_eq "$(readelf -n "$copy" | awk '/Build ID/ { print $3 }')" "$bid" "$1: build-id of the new copy"
        assert_eq "$(stat -c %a "$copy")" 600 "$1: mode of the new copy"
}
# another build-id (ld.so's debug file under libc's name)
ldso=$(ldd /bin/true | awk '$1 ~ /ld-linux/ { print $1 }')
lbid=$(readelf -n "$ldso" | awk '/Build ID/ { print $3 }')
lsrc=/usr/lib/debug/.build-id/${lbid:0:2}/${lbid:2}.debug
if [ -f "$lsrc" ]; then
        cp "$lsrc" "$copy"
        run wrongid "$cache"
        same off wrongid
        replaced "another build-id"
fi
# a symlink is not followed (and the file it names is left alone)
before=$(md5sum <"$src")
rm -f "$copy"
ln -s "$src" "$copy"
run symlink "$cache"
same off symlink
replaced "a symlink"
assert_eq "$(md5sum <"$src")" "$before" "the symlink's target"
# a copy others may write
chmod 0666 "$copy"
run writable "$cache"
same off writable
replaced "a world-writable copy"
exit 0
