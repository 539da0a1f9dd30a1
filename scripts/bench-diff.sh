#!/bin/bash
# bench-diff.sh — how much faster and leaner `oomwatch diff` is than
# `jeprof --text --base` on the same dump pair. Not a test: it prints numbers.
#
#   scripts/bench-diff.sh [RUNS]        (default 5 runs per tool and case)
#
# Cases:
#   demo  two dumps of build/leaky-server around /cache and /leak requests
#   big   two dumps of a generated C++ program with a large binary (about
#         70 MB with DWARF: 300 heavy template instantiations and 40,000 small
#         functions), sampled at lg_prof_sample:8 so that thousands of stacks
#         need symbols
# For each it prints the median wall time, CPU time (user + system, steadier
# when the machine is shared) and peak RSS (the child's ru_maxrss, measured
# by a small wrapper built here) of both tools, and their ratios. Work files go to $OOMWATCH_BUILD/bench-diff (default
# build/bench-diff); the big program is generated and built once.
set -euo pipefail
export LC_ALL=C

repo=$(cd "$(dirname "$0")/.." && pwd)
build=${OOMWATCH_BUILD:-$repo/build}
ow=$build/oomwatch
leaky=$build/leaky-server
work=$build/bench-diff
runs=${1:-5}
case $runs in '' | *[!0-9]* | 0) echo "bench-diff: RUNS must be a positive integer" >&2; exit 2 ;; esac

for tool in jeprof curl g++ cc; do
        command -v "$tool" >/dev/null || { echo "bench-diff: $tool not found" >&2; exit 1; }
done
[ -x "$ow" ] || { echo "bench-diff: $ow not built (run make)" >&2; exit 1; }
mkdir -p "$work"

# ---- measuring wrapper: wall seconds and peak RSS of one command -----------
measure=$work/measure2
if [ ! -x "$measure" ]; then
        cat >"$work/measure.c" <<'C'
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
/* measure CMD ARG...: run CMD with stdout and stderr on /dev/null; print
 * "<wall seconds> <peak RSS KiB> <exit status> <CPU seconds>" */
int main(int argc, char **argv)
{
        if (argc < 2)
                return 2;
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        pid_t pid = fork();
        if (pid < 0)
                return 2;
        if (pid == 0) {
                int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
                dup2(fd, 1);
                dup2(fd, 2);
                execvp(argv[1], argv + 1);
                _exit(127);
        }
        int st;
        struct rusage ru;
        if (wait4(pid, &st, 0, &ru) < 0)
                return 2;
        clock_gettime(CLOCK_MONOTONIC, &b);
        printf("%.4f %ld %d %.4f\n", (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9,
               ru.ru_maxrss, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st),
               (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
        return 0;
}
C
        cc -O2 -o "$measure" "$work/measure.c"   # measure2: the version with CPU time
fi

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# bench NAME -- CMD...: runs CMD $runs times; sets T_MED (wall s), C_MED
# (CPU s, user + system: steadier on a shared machine) and R_MED (KiB)
bench() {
        local name=$1 out=$work/$1.times i
        shift 2
        : >"$out"
        for ((i = 0; i < runs; i++)); do
                "$measure" "$@" >>"$out"
        done
        if awk '$3 != 0 { bad = 1 } END { exit !bad }' "$out"; then
                echo "bench-diff: $name failed: $*" >&2
                exit 1
        fi
        T_MED=$(cut -d' ' -f1 "$out" | median)
        R_MED=$(cut -d' ' -f2 "$out" | median)
        C_MED=$(cut -d' ' -f4 "$out" | median)
}

row() { # case binary-bytes base new binary
        local name=$1 binsize=$2 base=$3 new=$4 bin=$5 jt jc jr ot oc orr
        bench "$name-jeprof" -- jeprof --text --base="$base" "$bin" "$new"
        jt=$T_MED jc=$C_MED jr=$R_MED
        bench "$name-oomwatch" -- "$ow" diff --base "$base" "$new"
        ot=$T_MED oc=$C_MED orr=$R_MED
        awk -v n="$name" -v b="$binsize" -v jt="$jt" -v jc="$jc" -v jr="$jr" -v ot="$ot" -v oc="$oc" -v or="$orr" 'BEGIN {
                printf "%-5s %7.1f %8.3f %8.3f %9.1f %8.3f %8.3f %8.1f %7.1fx %7.1fx %8.2fx\n",
                       n, b / 1048576, jt, jc, jr / 1024, ot, oc, or / 1024, jt / ot, jc / oc, jr / or }'
}

# ---- case (a): the demo server ------------------------------------------------
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

# ---- case (b): a large generated C++ program ------------------------------
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
                printf '#include <jemalloc/jemalloc.h>\n#include <cstdio>\n'
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
        sed -i 's/#include <cstdio>/#include <cstdio>\n#include <cstdlib>/' "$dir/main.cc"
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

demo_pair
big_build
big_pair

echo "runs per tool: $runs; medians of wall and CPU (user+system) seconds and of peak RSS (MB)"
printf '%-5s %7s %8s %8s %9s %8s %8s %8s %8s %8s %9s\n' case bin_MB jeprof_s jeprof_c jeprof_MB \
        oomw_s oomw_c oomw_MB wall_x cpu_x mem_ratio
row demo "$(stat -c %s "$leaky")" "$DEMO_A" "$DEMO_B" "$leaky"
row big "$(stat -c %s "$work/big/bigprog")" "$BIG_A" "$BIG_B" "$work/big/bigprog"
echo "dumps: demo $(wc -l <"$DEMO_B") lines, big $(grep -c '^@' "$BIG_B") stacks"
