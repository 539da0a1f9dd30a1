#!/bin/bash
# A program with a statically linked jemalloc whose symbols carry a prefix
# (_rjem_, as Rust's tikv-jemallocator builds it) and are not dynamic: the
# agent finds _rjem_mallctl in the executable's symbol table and dumps
# through it; the profile names the program's own allocating function.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

agent_build
lib=$(${CC:-cc} -print-file-name=libjemalloc.a)
[ -f "$lib" ] || skip "no static libjemalloc.a"
command -v objcopy >/dev/null || skip "no objcopy"
args=()
for s in aligned_alloc calloc dallocx free mallctl mallctlbymib mallctlnametomib malloc malloc_conf \
         malloc_conf_2_conf_harder malloc_message malloc_stats_print malloc_usable_size mallocx memalign \
         nallocx posix_memalign rallocx realloc sallocx sdallocx valloc xallocx; do
        args+=(--redefine-sym "$s=_rjem_$s")
done
objcopy "${args[@]}" "$lib" "$T/librjem.a" || skip "objcopy cannot rename $lib"
${CC:-cc} -std=gnu11 -O2 -g -fno-omit-frame-pointer -DTARGET_RJEM -o "$T/target_rjem" \
        "$REPO/tests/programs/agent_target.c" "$T/librjem.a" -lpthread -lm -ldl ||
        fail "cannot link against the prefixed static jemalloc"
nm -D --defined-only "$T/target_rjem" | grep -q mallctl && fail "test set-up: mallctl is dynamic"

MALLOC_CONF=prof:true,prof_prefix:$T/d agent_drive ready "waitfile:$T/held" dump wait -- "$T/target_rjem" --ms 800 --mark "$T/held"
assert_eq "$DRIVE_RC" 0 "driver status"
pid=$(awk '$1 == "target" { print $2 }' "$OUT")
assert_eq "$(out_field kind hello)" ready "hello kind"
assert_eq "$(out_field mallctl hello)" _rjem_mallctl "mallctl found"
assert_eq "$(out_field where hello)" exe "where it was found"
f=$(dump_reply 1)
[[ $f =~ ^$T/d\.$pid\.[0-9]+\.m0\.heap$ ]] || fail "dump is named '$f'"
assert_eq "$(head -c 8 "$f")" "heap_v2/" "start of $f"
if command -v jeprof >/dev/null; then
        jeprof --text "$T/target_rjem" "$f" 2>/dev/null | grep -q hold_memory ||
                fail "jeprof does not name hold_memory in $f"
fi
grep -qx 'exit 0' "$OUT" || fail "the target did not exit 0"

# With the system jemalloc preloaded too (its profiling off), the agent
# serves the program's own jemalloc, the one with profiling on.
so=$(${CC:-cc} -print-file-name=libjemalloc.so.2)
if [ -f "$so" ]; then
        mkdir "$T/cwd"
        (cd "$T/cwd" && AGENT_PRELOAD="$so:$AGENT" agent_drive ready dump wait -- "$T/target_rjem" --ms 300)
        pid=$(awk '$1 == "target" { print $2 }' "$OUT")
        assert_eq "$(out_field mallctl hello)" _rjem_mallctl "mallctl chosen next to a preloaded jemalloc"
        assert_eq "$(out_field kind hello)" ready "hello kind next to a preloaded jemalloc"
        f=$(dump_reply 1)
        [[ $f =~ ^$T/cwd/jeprof\.$pid\.[0-9]+\.m0\.heap$ ]] || fail "dump next to a preloaded jemalloc is named '$f'"
        [ -f "$f" ] || fail "'$f' does not exist"
fi

# Stripped of its symbol table, the same program is reported as having none.
strip -s -o "$T/target_stripped" "$T/target_rjem" || skip "cannot strip"
MALLOC_CONF=prof:true,prof_prefix:$T/s agent_drive hello dump wait -- "$T/target_stripped" --ms 300
assert_eq "$(out_field kind hello)" nojemalloc "hello kind of the stripped program"
grep -q '^refused dump' "$OUT" || fail "dump not refused for the stripped program"
grep -qx 'exit 0' "$OUT" || fail "the stripped target did not exit 0"
