#!/bin/bash
# bench-tree.sh — what profiling every process of a tree costs: the cgroup's
# memory per child of a target that forks N children that stay (each touches
# 256 KiB), under oomwatch with
#   all      the defaults: jemalloc preloaded, every process profiled, each
#            with its agent channel and thread
#   scoped   profiling.processes = a pattern the children do not match (here
#            the parent does not match either): prof.active off in them
#   none     profiling.agent = off and preload_jemalloc = off: glibc malloc,
#            no agent: the reference
# and the same for children that exec another program (/bin/sleep: a
# shell's fork + exec). Not a test: it prints a table (medians of RUNS runs)
# and the ratio of each to the reference measured in the same run.
#
#   scripts/bench-tree.sh [RUNS [N]]       (default 3 runs, N = 100 children)
#
# Memory: memory.usage_in_bytes (v1) or memory.current (v2) of the target's
# cgroup once the children are up, minus the same with no child, over N.
set -uo pipefail
export LC_ALL=C

repo=$(cd "$(dirname "$0")/.." && pwd)
build=${OOMWATCH_BUILD:-$repo/build}
ow=$build/oomwatch
runs=${1:-3}
n=${2:-100}
work=$build/bench-tree
case $runs$n in *[!0-9]*) echo "bench-tree: RUNS and N must be positive integers" >&2; exit 2 ;; esac
[ -x "$ow" ] || { echo "bench-tree: $ow is not built (run make)" >&2; exit 1; }
command -v jq >/dev/null || { echo "bench-tree: jq not found (scripts/install-deps.sh)" >&2; exit 1; }
rm -rf "$work"
mkdir -p "$work"
cc -O1 -g -o "$work/fork_hold" "$repo/tests/programs/fork_hold.c" || exit 1

# usage of the target's cgroup with K children of kind KIND under config CONF
measure() { # CONF K EXEC...
        local conf=$1 k=$2 out=$work/out.$$ cg usage pid i
        shift 2
        rm -rf "$work/d" "$work/r"
        "$ow" run -q -c "$conf" -m 1G -d "$work/d" -r "$work/r" -- "$work/fork_hold" "$k" 256 "$@" >"$out" 2>"$work/err" &
        pid=$!
        for ((i = 0; i < 300; i++)); do
                grep -q '^up' "$out" 2>/dev/null && break
                sleep 0.05
        done
        sleep 0.5
        cg=$("$ow" status --json "$pid" 2>/dev/null | jq -r .cgroup.path)
        usage=$(cat "$cg/memory.usage_in_bytes" 2>/dev/null || cat "$cg/memory.current" 2>/dev/null)
        kill -TERM "$pid"
        wait "$pid" 2>/dev/null
        rm -f "$out"
        echo "${usage:-0}"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

printf '[profiling]\n' >"$work/all.conf"
printf '[profiling]\nprocesses = no-such-program\n' >"$work/scoped.conf"
printf '[profiling]\nagent = off\npreload_jemalloc = off\n[cgroup]\nwarn_at = off\n' >"$work/none.conf"

declare -A per
for kind in fork exec; do
        args=()
        [ "$kind" = exec ] && args=(/bin/sleep 3600)
        for conf in all scoped none; do
                vals=()
                for ((r = 0; r < runs; r++)); do
                        base=$(measure "$work/$conf.conf" 0)
                        with=$(measure "$work/$conf.conf" "$n" "${args[@]}")
                        vals+=($(( (with - base) / n )))
                done
                per[$kind.$conf]=$(printf '%s\n' "${vals[@]}" | median)
        done
done

printf '\nmemory per child (cgroup usage / %d children, median of %d runs)\n\n' "$n" "$runs"
printf '| children | %-22s | %-22s | %-22s |\n' "all (default)" "scoped" "none (reference)"
printf '| --- | --- | --- | --- |\n'
for kind in fork exec; do
        ref=${per[$kind.none]}
        # the ratio outside the printf: a '>' in a print's argument list is
        # an output redirection to some awks (a file named 0)
        cell() { awk -v v="$1" -v r="$ref" 'BEGIN { x = 0; if (r > 0) x = v / r; printf "%.0f KiB (%.1fx)", v / 1024, x }'; }
        printf '| %s | %-22s | %-22s | %-22s |\n' \
                "$([ "$kind" = fork ] && echo "fork, 256 KiB each" || echo "fork + exec sleep")" \
                "$(cell "${per[$kind.all]}")" "$(cell "${per[$kind.scoped]}")" "$(cell "$ref")"
done
