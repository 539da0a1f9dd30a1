# secret_lib.sh — the root-only program and the crafted dump of promise 23's
# tests. Source after lib.sh:
#     . "$(dirname "$0")/lib.sh"
#     . "$(dirname "$0")/secret_lib.sh"
#
#   secret_build         copy what nobody runs ($U, ow_user_build); build
#                        $T/secret/secretbin (mode 0700 in a 0700 directory,
#                        with DWARF: oomwatch_secret_fn_7d1e, secret_src_7d1e.c);
#                        write $U/crafted.heap (1 GiB allocated in it) and
#                        $U/plant.sh; check that root's `oomwatch diff` of the
#                        crafted dump names the function (the attack is real)
#   secret_attack DIR    see below; sets BUNDLE

secret_build() {
ow_user_build
S=$T/secret
mkdir -m 0700 "$S"
cat > "$S/secret_src_7d1e.c" <<'C'
#include <stdlib.h>
__attribute__((noinline)) void *oomwatch_secret_fn_7d1e(size_t n) { return malloc(n); }
int main(void) { return oomwatch_secret_fn_7d1e(16) == 0; }
C
cc -g -O0 -no-pie -fno-pie -o "$S/secretbin" "$S/secret_src_7d1e.c" || fail "cannot build the secret program"
chmod 0700 "$S/secretbin"
su nobody -s /bin/sh -c "cat '$S/secretbin'" >/dev/null 2>&1 && fail "nobody can read the secret program"
fn=$(nm "$S/secretbin" | awk '$3 == "oomwatch_secret_fn_7d1e" { print $1 }')
main=$(nm "$S/secretbin" | awk '$3 == "main" { print $1 }')
[ -n "$fn" ] && [ -n "$main" ] || fail "no symbols in the secret program"
maps=$(readelf -lW "$S/secretbin" | while read -r type off va _ _ msz flags; do
        [ "$type" = LOAD ] || continue
        s=$((va & ~4095)) e=$(((va + msz + 4095) & ~4095)) o=$((off & ~4095))
        case $flags in *E*) perm=r-xp ;; *) perm=r--p ;; esac
        printf '%012x-%012x %s %08x 00:00 0 %s\n' "$s" "$e" "$perm" "$o" "$S/secretbin"
done)
# the newest dump the target leaves: 1 GiB allocated in the secret function
cat > "$U/crafted.heap" <<H
heap_v2/524288
  t*: 1024: 1073741824 [0: 0]
@ 0x$(printf %x $((16#$fn + 4))) 0x$(printf %x $((16#$main + 8)))
  t*: 1024: 1073741824 [0: 0]

MAPPED_LIBRARIES:
$maps
H
chmod 0644 "$U/crafted.heap"
# as root, the analyzer reads the secret program: the attack is real
"$OW_BIN" diff "$U/crafted.heap" > "$T/as_root.txt" 2>&1 || fail "diff as root failed: $(cat "$T/as_root.txt")"
grep -q oomwatch_secret_fn_7d1e "$T/as_root.txt" || fail "as root the crafted dump does not name the secret function: $(cat "$T/as_root.txt")"

cat > "$U/plant.sh" <<'SH'
#!/bin/sh
# plant.sh DUMPDIR CRAFTED PROG ARGS...: a dump of this very process, seq 100000
d=$1 c=$2; shift 2
cp "$c" "$d/oomwatch.$$.100000.i99999.heap"
exec "$@"
SH
chmod 0755 "$U/plant.sh"
}

# run the target (planting the crafted dump) until its OOM kill, with config
# $T/c.conf; the bundle is made, and no root-only name is in it or the logs
secret_attack() { # DUMPDIR
        local port b leaks
        rm -rf "$T/reports"
        port=$(free_port) || fail "no free port"
        LEAKY_URL=http://127.0.0.1:$port
        ow_start -m 96M -c "$T/c.conf" -d "$1" -- "$U/plant.sh" "$1" "$U/crafted.heap" "$LEAKY_BIN" --port "$port"
        wait_for grep -qs "listening on" "$OW_LOG" || fail "the target did not start: $(cat "$OW_LOG")"
        leak_until_gone
        WAIT_TIMEOUT=60 ow_wait || fail "oomwatch did not exit"
        assert_eq "$OW_STATUS" 137 "status"
        b=$(ow_bundle)
        assert_eq "$(json "$b/incident.json" .verdict)" oom-kill "verdict"
        ls "$b"/dumps | grep -q '\.100000\.' || fail "the crafted dump is not in the bundle (the test proves nothing): $(ls "$b/dumps")"
        assert_eq "$(json "$b/incident.json" .diff.new)" "dumps/$(ls "$b"/dumps | grep '\.100000\.')" "the dump the diff used"
        leaks=$(grep -rl -e oomwatch_secret_fn_7d1e -e secret_src_7d1e "$b" "$OW_LOG" "$T/oomwatch.out" 2>/dev/null)
        [ -z "$leaks" ] || fail "root-only names reached: $leaks"
        echo "top of the diff as the analysis saw it: $(json "$b/incident.json" '.diff.top[0].function')"
        BUNDLE=$b
}
