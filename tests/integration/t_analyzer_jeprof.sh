#!/bin/bash
# jeprof is the oracle: on dump pairs of a C PIE, a C++ program (templates,
# inlined functions, new/new[]) and a program whose leak goes through a shared
# library, `oomwatch diff` agrees with `jeprof --text --base` on the total and
# on the cum bytes of jeprof's top 10 functions outside the allocator, within
# 0.5% (template arguments, which oomwatch keeps and jeprof drops, are
# removed from both sides by jeprof's own rule before comparing); for the C programs the text output is jeprof's line for line; and the
# C++ profile's top grower is the allocating function, never a jemalloc
# internal (jeprof says malloc_usable_size there).
. "$(dirname "$0")/lib.sh"

command -v jeprof >/dev/null || skip "jeprof not installed"
pkg-config --exists jemalloc || skip "jemalloc development files not installed"
command -v g++ >/dev/null || skip "g++ not installed"
OW=${OOMWATCH_BIN:-$BUILD/oomwatch}
[ -x "$OW" ] || fail "$OW is not built"

src=$REPO/tests/programs
jl=$(pkg-config --libs jemalloc)
cd "$T" || fail "cd $T"
# shellcheck disable=SC2086,SC2016  # $jl is a list of flags; $ORIGIN is for the linker
{
        cc -O1 -g -fPIE -pie -fno-omit-frame-pointer -o leak_c "$src/leak_c.c" $jl &&
        g++ -O1 -g -fPIE -pie -o leak_cxx "$src/leak_cxx.cc" $jl &&
        cc -O1 -g -fPIC -shared -o libowleak.so "$src/libowleak.c" &&
        cc -O1 -g -fPIE -pie -o leak_so "$src/leak_so.c" -L. -lowleak -Wl,-rpath,'$ORIGIN' $jl
} 2>build.err || fail "building the test programs: $(cat build.err)"

# jeprof rows that are the allocator's own frames (Debian's libjemalloc is
# stripped: jeprof names its internals after the nearest exported symbol)
alloc_re='^(malloc_usable_size|malloc|calloc|realloc|free|mallocx|rallocx|je_|prof_|imalloc|operator new|_Zn)'

# compare PROG BASE NEW: prints the compared rows, fails on disagreement
compare() {
        local prog=$1 base=$2 new=$3
        jeprof --text --show_bytes --base="$base" "./$prog" "$new" >jeprof.txt 2>jeprof.err ||
                fail "jeprof failed on $new: $(cat jeprof.err)"
        "$OW" diff --format json --top 100000 --base "$base" "$new" >ow.json 2>ow.err ||
                fail "oomwatch diff failed on $new: $(cat ow.err)"
        grep -o '{"function":"[^"]*","flat_bytes":-\{0,1\}[0-9]*,"cum_bytes":-\{0,1\}[0-9]*' ow.json |
                sed 's/{"function":"\([^"]*\)","flat_bytes":\(-\{0,1\}[0-9]*\),"cum_bytes":\(-\{0,1\}[0-9]*\)/\3\t\1/' >ow.rows
        local ow_total
        ow_total=$(sed -n 's/.*"growth_bytes":\(-\{0,1\}[0-9]*\).*/\1/p' ow.json)
        [ -n "$ow_total" ] || fail "no growth_bytes in oomwatch's JSON: $(cat ow.json)"
        awk -v prog="$prog" -v ow_total="$ow_total" -v re="$alloc_re" '
                function abs(x) { return x < 0 ? -x : x }
                function close_enough(a, b) { return abs(a - b) <= 0.005 * (abs(a) > abs(b) ? abs(a) : abs(b)) + 2 }
                # jeprof drops template arguments, oomwatch keeps them: both
                # sides get jeprof`s own rule (while (s/<[^<>]*>//g) {}), and
                # oomwatch`s rows that then share a name are added up
                function untemplate(n) { while (gsub(/<[^<>]*>/, "", n)) {} return n }
                FNR == NR { split($0, f, "\t"); mine[untemplate(f[2])] += f[1]; next }
                /^Total: / { total = $2; next }
                NF >= 6 {
                        name = $6; for (i = 7; i <= NF; i++) name = name " " $i
                        sub(/@@?[A-Za-z0-9_.]+$/, "", name)
                        name = untemplate(name)
                        if (name ~ re) next
                        if (name ~ / \(inline\)$/) { sub(/ \(inline\)$/, "", name); inl[name] = $4; next }
                        cum[name] = $4; plain[name] = 1
                }
                END {
                        if (!close_enough(total, ow_total)) {
                                printf "%s: total: jeprof %d, oomwatch %d\n", prog, total, ow_total; bad = 1
                        }
                        # inlined frames jeprof names after their caller (binutils
                        # addr2line) are not comparable; the others join the list
                        for (n in inl) if (!(n in plain)) cum[n] = inl[n]
                        k = 0
                        for (n in cum) { order[++k] = n }
                        # top 10 by |cum|, then name
                        for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) {
                                a = abs(cum[order[i]]); b = abs(cum[order[j]])
                                if (b > a || (b == a && order[j] < order[i])) { t = order[i]; order[i] = order[j]; order[j] = t }
                        }
                        for (i = 1; i <= k && i <= 10; i++) {
                                n = order[i]
                                # a function in both dumps with the same sampled bytes: jeprof
                                # prints it with cum 0, oomwatch leaves out what did not grow
                                if (!(n in mine) && cum[n] == 0) mine[n] = 0
                                if (!(n in mine)) { printf "%s: %s: jeprof cum %d, missing in oomwatch\n", prog, n, cum[n]; bad = 1; continue }
                                ok = close_enough(cum[n], mine[n])
                                printf "%s %-40s jeprof %10d  oomwatch %10d  %s\n", prog, n, cum[n], mine[n], ok ? "ok" : "DIFFERENT"
                                if (!ok) bad = 1
                        }
                        exit bad
                }' ow.rows jeprof.txt || fail "$prog: oomwatch disagrees with jeprof on $base -> $new"
}

for prog in leak_c leak_cxx leak_so; do
        MALLOC_CONF=prof:true,lg_prof_sample:14,prof_prefix:$T/$prog "./$prog" 2>run.err ||
                fail "$prog failed: $(cat run.err)"
        dumps=("$T/$prog".*.heap)   # one pid, seq 0..2: the glob's order is seq order
        assert_eq "${#dumps[@]}" 3 "$prog dump count"
        compare "$prog" "${dumps[0]}" "${dumps[1]}"
        compare "$prog" "${dumps[1]}" "${dumps[2]}"
done

# for the C programs (no inlining, no allocator differences) the text output
# is jeprof's, line for line: same columns, order and totals. One documented
# difference is normalised: jeprof's "Total: X MB" divides by 1048576, which
# oomwatch writes as IEC "MiB" and marks as the estimate it is ("≈X MiB").
for prog in leak_c leak_so; do
        dumps=("$T/$prog".*.heap)
        jeprof --text --base="${dumps[0]}" "./$prog" "${dumps[2]}" >jeprof-raw.txt 2>/dev/null ||
                fail "jeprof --text failed on $prog"
        sed -E 's/^Total: (-?[0-9]+\.[0-9]) MB$/Total: ≈\1 MiB/' jeprof-raw.txt >jeprof-text.txt
        "$OW" diff --top 1000 --base "${dumps[0]}" "${dumps[2]}" >ow-text.txt || fail "oomwatch diff failed on $prog"
        diff -u jeprof-text.txt ow-text.txt || fail "$prog: text output differs from jeprof --text"
done

# the C++ profile: the biggest grower is the always-inlined helper that calls
# new[]; no jemalloc frame is named anywhere
dumps=("$T"/leak_cxx.*.heap)
"$OW" diff --format json --base "${dumps[0]}" "${dumps[1]}" >cxx.json || fail "oomwatch diff failed"
top=$(sed -n 's/.*"top":\[{"function":"\([^"]*\)".*/\1/p' cxx.json)
assert_eq "$top" "shop::make_blob" "top C++ grower"
# template arguments are kept where jeprof drops them
jq -e '[.top[].function] | index("shop::Store<shop::Item>::add")' cxx.json >/dev/null ||
        fail "no shop::Store<shop::Item>::add row: $(jq -c '[.top[].function]' cxx.json)"
if grep -Eq '"function":"(malloc_usable_size|je_[^"]*|prof_[^"]*|operator new[^"]*)"' cxx.json; then
        fail "allocator frames in the C++ diff: $(cat cxx.json)"
fi
# the shared-library leak is named inside the library
dumps=("$T"/leak_so.*.heap)
"$OW" diff --format json --base "${dumps[0]}" "${dumps[2]}" >so.json || fail "oomwatch diff failed"
top=$(sed -n 's/.*"top":\[{"function":"\([^"]*\)".*/\1/p' so.json)
assert_eq "$top" "owl_new_record" "top grower of the shared-library leak"
exit 0
