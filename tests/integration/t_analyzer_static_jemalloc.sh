#!/bin/bash
# With jemalloc linked statically into the executable there is no allocator
# library to drop frames by: the analyzer still removes jemalloc's own frames
# (prof_backtrace_impl, je_prof_tctx_create, realloc's tail-called
# do_rallocx, ...) and charges the growth to the allocating functions.
. "$(dirname "$0")/lib.sh"

OW=${OOMWATCH_BIN:-$BUILD/oomwatch}
[ -x "$OW" ] || fail "$OW is not built"
archive=$(pkg-config --variable=libdir jemalloc 2>/dev/null)/libjemalloc_pic.a
[ -f "$archive" ] || skip "no static jemalloc ($archive)"

cd "$T" || fail "cd $T"
cc -O1 -g -fPIE -pie -o leak_c_static "$REPO/tests/programs/leak_c.c" "$archive" -lpthread -lm -ldl -lstdc++ \
        2>build.err || fail "building leak_c with $archive: $(cat build.err)"
MALLOC_CONF=prof:true,lg_prof_sample:14,prof_prefix:$T/st ./leak_c_static 2>run.err ||
        fail "leak_c_static failed: $(cat run.err)"
dumps=("$T"/st.*.heap)
assert_eq "${#dumps[@]}" 3 "dumps"

"$OW" diff --format json --top 100 --base "${dumps[0]}" "${dumps[2]}" >diff.json 2>diff.err ||
        fail "oomwatch diff failed: $(cat diff.err)"
# the functions with flat growth are exactly the three allocating ones
flat=$(grep -o '"function":"[^"]*","flat_bytes":-\{0,1\}[1-9][0-9]*' diff.json |
        sed 's/"function":"\([^"]*\)".*/\1/' | sort | tr '\n' ' ')
assert_eq "$flat" "big_buffers grow_table small_records " "functions with flat growth"
if grep -Eq '"function":"(je_|prof_|do_rallocx|imalloc|malloc|calloc|realloc)' diff.json; then
        fail "jemalloc frames in the diff: $(cat diff.json)"
fi
exit 0
