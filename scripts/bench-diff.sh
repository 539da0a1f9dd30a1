#!/bin/bash
# bench-diff.sh — how much faster and leaner `oomwatch diff` is than
# `jeprof --text --base` on the same dump pair, and than llvm-symbolizer-14
# naming the same distinct addresses. Not a test: it prints numbers.
#
#   scripts/bench-diff.sh [RUNS [CASE...]]   (default 5 runs per tool; every case)
#
# Cases:
#   demo   two dumps of build/leaky-server around /cache and /leak requests
#   big    two dumps of a generated C++ program with a large binary (about
#          70 MB with DWARF: 300 heavy template instantiations and 40,000 small
#          functions), sampled at lg_prof_sample:8 so that thousands of stacks
#          need symbols
#   clang  Debian's clang-14 (libLLVM and libclang-cpp stripped to .dynsym)
#          compiling a generated C++ file with the system's libjemalloc
#          preloaded (lg_prof_interval:22, lg_prof_sample:14): the first dump
#          against the last, made here at bench time
#   scale  generated C programs without DWARF: 10^3, 10^4 and 10^5 distinct
#          stacks (1,000 symbols), then 10^3, 10^4 and 10^5 symbols (10,000
#          stacks); every allocation sampled (lg_prof_sample:0)
#   bundle clang-14 OOM-killed under `oomwatch run -m 200M` (libjemalloc
#          preloaded by preload_jemalloc = auto, default capture) compiling
#          deep templates: the bundle's analysis_ms (the target's death to
#          incident.json), RUNS times, with the symbol cache warm and off
# For each: the median wall time, CPU time (user + system, steadier when the
# machine is shared) and peak RSS (the child's ru_maxrss, measured by a small
# wrapper built here) of jeprof, of oomwatch diff (with its symbol cache warm,
# the steady state; for clang also with --symbol-cache off: glibc's debug file
# inflated every time) and of llvm-symbolizer-14 in batch mode on the distinct
# (module, address) pairs the analysis names (callers at return address - 1,
# as jeprof and oomwatch look them up). Work files go to $OOMWATCH_BUILD/bench-diff
# (default build/bench-diff); generated programs are built once. The tables
# are also kept in $OOMWATCH_BUILD/bench-diff/results.md.
set -euo pipefail
export LC_ALL=C

repo=$(cd "$(dirname "$0")/.." && pwd)
build=${OOMWATCH_BUILD:-$repo/build}
ow=$build/oomwatch
leaky=$build/leaky-server
work=$build/bench-diff
runs=${1:-5}
cases=("${@:2}")
case $runs in '' | *[!0-9]* | 0) echo "bench-diff: RUNS must be a positive integer" >&2; exit 2 ;; esac
for c in "${cases[@]}"; do
        case $c in demo | big | clang | scale | bundle) ;;
        *) echo "bench-diff: CASE must be demo, big, clang, scale or bundle, not '$c'" >&2; exit 2 ;;
        esac
done
want() { [ ${#cases[@]} -eq 0 ] || [[ " ${cases[*]} " == *" $1 "* ]]; }

# the clang case and llvm-symbolizer: bench-only packages
if want clang || want scale || want bundle; then
        if ! command -v clang++-14 >/dev/null || ! command -v llvm-symbolizer-14 >/dev/null; then
                OOMWATCH_DEPS=bench "$repo/scripts/install-deps.sh" ||
                        { echo "bench-diff: clang-14 and llvm-14 are needed (OOMWATCH_DEPS=bench scripts/install-deps.sh)" >&2; exit 1; }
        fi
fi
for tool in jeprof curl g++ cc python3 readelf; do
        command -v "$tool" >/dev/null || { echo "bench-diff: $tool not found" >&2; exit 1; }
done
[ -x "$ow" ] || { echo "bench-diff: $ow not built (run make)" >&2; exit 1; }
mkdir -p "$work"
results=$work/results.md
: >"$results"
symcache=$work/symcache

# ---- measuring wrapper: wall seconds and peak RSS of one command -----------
measure=$work/measure3
if [ ! -x "$measure" ]; then
        cat >"$work/measure.c" <<'C'
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
/* measure [-i FILE] CMD ARG...: run CMD with stdout and stderr on /dev/null
 * (stdin from FILE); print "<wall s> <peak RSS KiB> <exit status> <CPU s>" */
int main(int argc, char **argv)
{
        const char *in = NULL;
        int a = 1;
        if (argc > 2 && strcmp(argv[1], "-i") == 0) {
                in = argv[2];
                a = 3;
        }
        if (argc <= a)
                return 2;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        pid_t pid = fork();
        if (pid < 0)
                return 2;
        if (pid == 0) {
                int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
                dup2(fd, 1);
                dup2(fd, 2);
                if (in) {
                        int i = open(in, O_RDONLY | O_CLOEXEC);
                        if (i < 0)
                                _exit(126);
                        dup2(i, 0);
                }
                execvp(argv[a], argv + a);
                _exit(127);
        }
        int st;
        struct rusage ru;
        if (wait4(pid, &st, 0, &ru) < 0)
                return 2;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        printf("%.4f %ld %d %.4f\n", (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
               ru.ru_maxrss, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st),
               (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
        return 0;
}
C
        cc -O2 -o "$measure" "$work/measure.c"
fi

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# bench NAME [-i FILE] -- CMD...: runs CMD $runs times; sets T_MED (wall s),
# C_MED (CPU s, user + system) and R_MED (KiB)
bench() {
        local name=$1 out=$work/$1.times i in=()
        shift
        if [ "$1" = -i ]; then
                in=(-i "$2")
                shift 2
        fi
        shift
        : >"$out"
        for ((i = 0; i < runs; i++)); do
                "$measure" "${in[@]}" "$@" >>"$out"
        done
        if awk '$3 != 0 { bad = 1 } END { exit !bad }' "$out"; then
                echo "bench-diff: $name failed: $*" >&2
                exit 1
        fi
        T_MED=$(cut -d' ' -f1 "$out" | median)
        R_MED=$(cut -d' ' -f2 "$out" | median)
        C_MED=$(cut -d' ' -f4 "$out" | median)
}

# the distinct (module, ELF address) pairs of dumps, as llvm-symbolizer reads them
addrs=$work/addrs.py
cat >"$addrs" <<'PY'
import re, subprocess, sys
segs = {}
def loads(path):
    if path not in segs:
        s = []
        try:
            out = subprocess.run(["readelf", "-lW", path], capture_output=True, text=True).stdout
        except OSError:
            out = ""
        for l in out.splitlines():
            f = l.split()
            if f and f[0] == "LOAD":
                s.append((int(f[1], 16), int(f[2], 16), int(f[4], 16)))  # offset, vaddr, filesz
        segs[path] = s
    return segs[path]
seen = set()
for dump in sys.argv[1:]:
    maps, stacks, inmaps = [], [], False
    for line in open(dump, errors="replace"):
        if line.startswith("MAPPED_LIBRARIES:"):
            inmaps = True
            continue
        if inmaps:
            m = re.match(r"([0-9a-f]+)-([0-9a-f]+) (\S+) ([0-9a-f]+) \S+ \S+\s+(/\S.*)$", line.rstrip("\n"))
            if m and "x" in m.group(3):
                maps.append((int(m.group(1), 16), int(m.group(2), 16), int(m.group(4), 16), m.group(5)))
        elif line.startswith("@"):
            stacks.append([int(a, 16) for a in line.split()[1:]])
    for st in stacks:
        for i, a in enumerate(st):
            a -= 1 if i else 0
            for start, end, off, path in maps:
                if start <= a < end:
                    foff = a - start + off
                    for po, pv, pf in loads(path):
                        if po <= foff < po + pf:
                            seen.add((path, pv + foff - po))
                            break
                    break
for path, v in sorted(seen):
    print('"%s" 0x%x' % (path, v))
PY

# row NAME BINARY BASE NEW: jeprof, oomwatch (warm cache) and llvm-symbolizer on
# the same pair; prints a table row and keeps it in $results
row() {
        local name=$1 bin=$2 base=$3 new=$4 extra=${5:-} jt jc jr ot oc orr st sc sr n
        python3 "$addrs" "$base" "$new" >"$work/$name.addrs"
        n=$(wc -l <"$work/$name.addrs")
        bench "$name-jeprof" -- jeprof --text --base="$base" "$bin" "$new"
        jt=$T_MED jc=$C_MED jr=$R_MED
        "$ow" diff --symbol-cache "$symcache" --base "$base" "$new" >/dev/null 2>&1   # warm the cache
        bench "$name-oomwatch" -- "$ow" diff --symbol-cache "$symcache" --base "$base" "$new"
        ot=$T_MED oc=$C_MED orr=$R_MED
        bench "$name-llvm" -i "$work/$name.addrs" -- llvm-symbolizer-14
        st=$T_MED sc=$C_MED sr=$R_MED
        awk -v n="$name" -v a="$n" -v jt="$jt" -v jc="$jc" -v jr="$jr" -v ot="$ot" -v oc="$oc" -v or="$orr" \
            -v st="$st" -v sr="$sr" -v x="$extra" 'BEGIN {
                printf "| %s%s | %d | %.3f s / %.3f s / %.0f MB | %.3f s / %.3f s / %.1f MB | %.0fx / %.0fx | %.1fx less | %.3f s / %.1f MB | %.1fx |\n",
                       n, x, a, jt, jc, jr / 1024, ot, oc, or / 1024, jt / ot, jc / oc, jr / or, st, sr / 1024, st / ot }' |
                tee -a "$results"
}

header() {
        printf '\n%s (median of %d runs: wall / CPU / peak RSS)\n\n' "$1" "$runs" | tee -a "$results"
        printf '| case | distinct addresses | jeprof | oomwatch diff | faster (wall / CPU) | memory | llvm-symbolizer-14 | oomwatch faster than llvm-symbolizer |\n' | tee -a "$results"
        printf '| --- | --- | --- | --- | --- | --- | --- | --- |\n' | tee -a "$results"
}

# ---- case demo: the demo server ---------------------------------------------
demo_pair() {
        local dir=$work/demo port pid i a b
        [ -x "$leaky" ] || { echo "bench-diff: $leaky not built" >&2; exit 1; }
        rm -rf "$dir"
        mkdir -p "$dir"
        for i in 1 2 3 4 5; do
                port=$((20000 + RANDOM % 12000))
                MALLOC_CONF=prof:true,prof_prefix:$dir/dump "$leaky" --port "$port" >/dev/null 2>&1 &
                pid=$!
                for _ in $(seq 50); do
                        curl -sf -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null && break
                        sleep 0.1
                done
                kill -0 "$pid" 2>/dev/null && break
        done
        a=$(curl -sf "http://127.0.0.1:$port/dump")
        curl -sf -o /dev/null "http://127.0.0.1:$port/cache?mb=16"
        curl -sf -o /dev/null "http://127.0.0.1:$port/leak?mb=32"
        for i in $(seq 20); do curl -sf -o /dev/null "http://127.0.0.1:$port/"; done
        b=$(curl -sf "http://127.0.0.1:$port/dump")
        kill "$pid"
        wait "$pid" 2>/dev/null || true
        DEMO_A=$a DEMO_B=$b
}

# ---- case big: a large generated C++ program ------------------------------
big_build() {
        local dir=$work/big tus=5 inst=60 ftus=16 nf=2500 i n gen=2
        [ -x "$dir/bigprog" ] && [ "$(cat "$dir/generation" 2>/dev/null)" = "$gen" ] && return 0
        rm -rf "$dir"
        mkdir -p "$dir"
        echo "bench-diff: generating and building the large C++ program (once)..." >&2
        for ((i = 0; i < tus; i++)); do
                {
                        printf '#include <map>\n#include <memory>\n#include <string>\n#include <unordered_map>\n#include <vector>\n'
                        printf 'namespace mod%d {\n' "$i"
                        cat <<'CXX'
template <int N> struct Node {
        std::string name;
        std::vector<long> vals;
        std::map<int, std::string> attrs;
        Node() : name(40 + N % 50, char(65 + N % 26)), vals(4 + N % 9) { attrs[N] = name; }
};
template <int N> struct Registry {
        std::vector<std::unique_ptr<Node<N>>> items;
        std::unordered_map<int, Node<N> *> index;
        __attribute__((noinline)) void grow(int n)
        {
                for (int k = 0; k < n; k++) {
                        items.push_back(std::make_unique<Node<N>>());
                        index[(int)items.size()] = items.back().get();
                }
        }
};
CXX
                        for ((n = 0; n < inst; n++)); do printf 'static Registry<%d> r%d;\n' "$n" "$n"; done
                        printf 'void run(int round)\n{\n'
                        for ((n = 0; n < inst; n++)); do printf '        r%d.grow(round * %d);\n' "$n" $((n % 5 + 1)); done
                        printf '}\n}\n'
                } >"$dir/mod$i.cc"
        done
        # many small functions: a symbol table of the size real programs have
        for ((i = 0; i < ftus; i++)); do
                {
                        printf '#include <string>\n#include <vector>\nnamespace flat%d {\n' "$i"
                        printf 'static std::vector<std::string *> keep;\n'
                        for ((n = 0; n < nf; n++)); do
                                printf '__attribute__((noinline)) void f%d(int n) { for (int k = 0; k < n; k++) keep.push_back(new std::string(%d, %d)); }\n' \
                                        "$n" $((n % 60 + 20)) $((n % 26 + 65))
                        done
                        printf 'void run(int round)\n{\n'
                        for ((n = 0; n < nf; n += 4)); do printf '        f%d(round);\n' "$n"; done
                        printf '}\n}\n'
                } >"$dir/flat$i.cc"
        done
        {
                printf '#include <jemalloc/jemalloc.h>\n#include <cstdio>\n#include <cstdlib>\n'
                for ((i = 0; i < tus; i++)); do printf 'namespace mod%d { void run(int); }\n' "$i"; done
                for ((i = 0; i < ftus; i++)); do printf 'namespace flat%d { void run(int); }\n' "$i"; done
                printf 'static void dump() { if (mallctl("prof.dump", nullptr, nullptr, nullptr, 0)) { std::perror("prof.dump"); std::exit(1); } }\n'
                printf 'int main()\n{\n'
                for r in 1 2; do
                        for ((i = 0; i < tus; i++)); do printf '        mod%d::run(%d);\n' "$i" "$r"; done
                        for ((i = 0; i < ftus; i++)); do printf '        flat%d::run(%d);\n' "$i" "$r"; done
                        printf '        dump();\n'
                done
                printf '        return 0;\n}\n'
        } >"$dir/main.cc"
        local objs=() src k=0 jobs
        jobs=$(nproc 2>/dev/null || echo 2)
        for src in "$dir"/mod*.cc "$dir"/flat*.cc; do
                g++ -O1 -g -c "$src" -o "${src%.cc}.o" &
                objs+=("${src%.cc}.o")
                k=$((k + 1))
                if ((k % jobs == 0)); then wait; fi
        done
        wait
        # shellcheck disable=SC2046  # pkg-config prints a list of flags
        g++ -O1 -g -o "$dir/bigprog" "$dir/main.cc" "${objs[@]}" $(pkg-config --libs jemalloc)
        echo "$gen" >"$dir/generation"
}

big_pair() {
        local dir=$work/big
        rm -f "$dir"/dump.*.heap
        MALLOC_CONF=prof:true,lg_prof_sample:8,prof_prefix:$dir/dump "$dir/bigprog"
        local d=("$dir"/dump.*.heap)    # one pid, seq 0 and 1: the glob's order
        BIG_A=${d[0]} BIG_B=${d[1]}
}

# ---- case clang: clang-14 compiling C++ with libjemalloc preloaded --------
clang_pair() {
        local dir=$work/clang jem
        jem=$(find /usr/lib /lib -name 'libjemalloc.so.2' 2>/dev/null | head -n 1)
        [ -n "$jem" ] || { echo "bench-diff: libjemalloc.so.2 not found" >&2; exit 1; }
        rm -rf "$dir"
        mkdir -p "$dir"
        cat >"$dir/src.cc" <<'CXX'
#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>
template <typename T> struct Box { T v; std::vector<T> more; };
template <int N> struct Rec {
        std::map<int, std::string> m;
        Rec<N - 1> inner;
        int f() { return N + (int)m.size() + inner.f(); }
};
template <> struct Rec<0> { int f() { return 0; } };
int run(const std::vector<std::string> &in)
{
        std::map<std::string, Box<std::string>> idx;
        for (auto &s : in) idx[s].more.push_back(s);
        Rec<40> r;
        std::shared_ptr<int> sp = std::make_shared<int>(1);
        return r.f() + (int)idx.size() + *sp;
}
CXX
        LD_PRELOAD=$jem MALLOC_CONF=prof:true,lg_prof_interval:22,lg_prof_sample:14,prof_prefix:$dir/d \
                clang++-14 -O1 -c "$dir/src.cc" -o "$dir/src.o"
        # order by (pid, seq)
        mapfile -t CLANG_DUMPS < <(cd "$dir" && ls d.*.heap | sort -t. -k2,2n -k3,3n | sed "s|^|$dir/|")
        CLANG_A=${CLANG_DUMPS[0]} CLANG_B=${CLANG_DUMPS[${#CLANG_DUMPS[@]} - 1]}
        CLANG_BIN=$(readlink -f "$(command -v clang++-14)")
}

# ---- case scale: distinct stacks and symbols ---------------------------------
# scale_build STACKS SYMBOLS: a C program whose every allocation has a stack
# of its own (bits of a counter pick one of two functions at each of 17
# levels) and SYMBOLS extra functions; no DWARF (the symbol table path)
scale_build() {
        local n=$1 s=$2 dir=$work/scale/$1-$2 j
        SCALE_BIN=$dir/prog
        [ -x "$SCALE_BIN" ] && return 0
        mkdir -p "$dir"
        {
                printf '#include <jemalloc/jemalloc.h>\n#include <stdio.h>\n#include <stdlib.h>\n'
                printf 'void *keep[%d];\nunsigned nkeep;\n' "$n"
                printf '__attribute__((noinline)) static void leaf(unsigned k) { void *p = malloc(16 + k %% 7); __asm__ volatile("" : : "r"(p) : "memory"); keep[nkeep++] = p; }\n'
                for ((j = 16; j >= 0; j--)); do
                        for b in 0 1; do
                                if ((j == 16)); then
                                        printf '__attribute__((noinline)) void lv%d_%d(unsigned k) { leaf(k); __asm__ volatile(""); }\n' "$j" "$b"
                                else
                                        printf '__attribute__((noinline)) void lv%d_%d(unsigned k) { if ((k >> %d) & 1) lv%d_1(k); else lv%d_0(k); __asm__ volatile(""); }\n' \
                                                "$j" "$b" $((j + 1)) $((j + 1)) $((j + 1))
                                fi
                        done
                done
                printf 'static void dump(void) { if (mallctl("prof.dump", NULL, NULL, NULL, 0)) { perror("prof.dump"); exit(1); } }\n'
                printf 'int main(void)\n{\n        for (unsigned k = 0; k < %d; k++) {\n' "$n"
                printf '                if (k & 1) lv0_1(k); else lv0_0(k);\n'
                printf '                if (k + 1 == %d / 2) dump();\n        }\n        dump();\n        return 0;\n}\n' "$n"
        } >"$dir/stacks.c"
        # the extra symbols: functions of 16 bytes each
        {
                printf '\t.text\n'
                for ((j = 0; j < s; j++)); do
                        printf '\t.globl pad_%d\n\t.type pad_%d, @function\npad_%d:\n\tret\n\t.skip 15\n\t.size pad_%d, 16\n' "$j" "$j" "$j" "$j"
                done
                printf '\t.section .note.GNU-stack,"",@progbits\n'
        } >"$dir/pad.s"
        # shellcheck disable=SC2046  # pkg-config prints a list of flags
        cc -O1 -fno-optimize-sibling-calls -fno-omit-frame-pointer -o "$SCALE_BIN" "$dir/stacks.c" "$dir/pad.s" \
                $(pkg-config --libs jemalloc)
}

scale_pair() {
        local dir
        dir=$(dirname "$SCALE_BIN")
        rm -f "$dir"/dump.*.heap
        MALLOC_CONF=prof:true,lg_prof_sample:0,prof_prefix:$dir/dump "$SCALE_BIN"
        local d=("$dir"/dump.*.heap)
        SCALE_A=${d[0]} SCALE_B=${d[1]}
}

echo "runs per tool: $runs; oomwatch with its symbol cache warm (--symbol-cache $symcache) unless said"

if want demo || want big; then
        header "Programs with DWARF"
        if want demo; then
                demo_pair
                row demo "$leaky" "$DEMO_A" "$DEMO_B"
        fi
        if want big; then
                big_build
                big_pair
                row big "$work/big/bigprog" "$BIG_A" "$BIG_B" " ($(grep -c '^@' "$BIG_B") stacks, $(($(stat -c %s "$work/big/bigprog") >> 20)) MB binary)"
        fi
fi

if want clang; then
        clang_pair
        header "clang-14 (C++, libLLVM and libclang-cpp stripped to .dynsym; ${#CLANG_DUMPS[@]} dumps, newest $(($(stat -c %s "$CLANG_B") >> 10)) KB, $(grep -c '^@' "$CLANG_B") stacks)"
        row clang "$CLANG_BIN" "$CLANG_A" "$CLANG_B"
        # glibc's compressed debug file inflated in every run: the first
        # analysis on a machine, or --symbol-cache off
        bench clang-cold -- "$ow" diff --symbol-cache off --base "$CLANG_A" "$CLANG_B"
        awk -v t="$T_MED" -v c="$C_MED" -v r="$R_MED" -v jt="$(cut -d' ' -f1 "$work/clang-jeprof.times" | median)" 'BEGIN {
                printf "| clang, --symbol-cache off | | | %.3f s / %.3f s / %.1f MB | %.0fx (wall) | | | |\n", t, c, r / 1024, jt / t }' |
                tee -a "$results"
fi

if want scale; then
        header "Scaling: generated C programs without DWARF (every allocation sampled)"
        for spec in 1000:1000 10000:1000 100000:1000 10000:10000 10000:100000; do
                scale_build "${spec%%:*}" "${spec##*:}"
                scale_pair
                syms=$(readelf -sW "$SCALE_BIN" | awk '$4 == "FUNC"' | wc -l)
                row "scale" "$SCALE_BIN" "$SCALE_A" "$SCALE_B" \
                        " $(grep -c '^@' "$SCALE_B") stacks, $syms symbols, $(($(stat -c %s "$SCALE_B") >> 10)) KB dump"
        done
fi
# ---- case bundle: analysis_ms of OOM-killed clang-14 bundles ------------------
bundle_runs() { # NAME SYMBOL_CACHE: RUNS OOM kills; prints the analysis_ms row
        local name=$1 cache=$2 dir=$work/bundle i ms=() v
        for ((i = 0; i < runs; i++)); do
                rm -rf "$dir/dumps" "$dir/reports"
                printf '[report]\nsymbol_cache = %s\ndebuginfod_urls = off\n' "$cache" >"$dir/c.conf"
                timeout 300 "$ow" run -q -c "$dir/c.conf" -m 200M -d "$dir/dumps" -r "$dir/reports" -- \
                        clang++-14 -O0 -ftemplate-depth=3000 -c "$dir/deep.cc" -o /dev/null >/dev/null 2>&1 || true
                v=$(jq -r 'select(.verdict == "oom-kill") | .analysis_ms' "$dir"/reports/*/incident.json 2>/dev/null)
                [ -n "$v" ] || { echo "bench-diff: $name: run $i gave no oom-kill bundle" >&2; continue; }
                ms+=("$v")
        done
        [ ${#ms[@]} -gt 0 ] || return 0
        printf '%s\n' "${ms[@]}" | sort -n | awk -v n="$name" '{ v[NR] = $1 } END {
                m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
                printf "| %s | %d | %g ms | %d ms | %d ms |\n", n, NR, m, v[1], v[NR] }' | tee -a "$results"
}

if want bundle; then
        command -v jq >/dev/null || { echo "bench-diff: jq not found" >&2; exit 1; }
        mkdir -p "$work/bundle"
        python3 - "$work/bundle/deep.cc" <<'PY'
import sys
parts = ['#include <functional>\n#include <map>\n#include <string>\n#include <vector>\n',
         'template <int N> struct Rec { std::map<int, std::string> m; std::vector<std::function<int(int)>> fs;'
         ' Rec<N - 1> inner; int f() { fs.push_back([this](int x) { return x + (int)m.size(); });'
         ' return N + fs.back()(1) + inner.f(); } };\ntemplate <> struct Rec<0> { int f() { return 0; } };\n']
for i in range(6):
    parts.append('namespace n%d { int run() { Rec<%d> r; return r.f(); } }\n' % (i, 900 + i))
open(sys.argv[1], 'w').write(''.join(parts))
PY
        printf '\nOOM to bundle: clang-14 OOM-killed under -m 200M, analysis_ms (%d runs)\n\n' "$runs" | tee -a "$results"
        printf '| case | bundles | median | min | max |\n| --- | --- | --- | --- | --- |\n' | tee -a "$results"
        bundle_runs "symbol cache warm" "$symcache"
        bundle_runs "symbol_cache = off (glibc's debug file inflated)" off
fi
echo
echo "results: $results"
