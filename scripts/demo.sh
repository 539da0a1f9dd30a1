#!/bin/bash
# demo.sh — the classic manual heap-profiling routine, automated on the demo
# service: start it with jemalloc profiling on, dump a baseline, drive traffic
# (leaks, normal requests, cache inserts), dump again, and let
# `jeprof --base=<baseline>` name the call stack that grew.
#
#   OOMWATCH_BUILD=$PWD/build scripts/demo.sh      (what `make demo` runs)
#
# EXIT STATUS: 0 when the top grower is process_leak, 1 otherwise or on error.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build=${OOMWATCH_BUILD:-$repo/build}
server=$build/leaky-server
leaks=8 leak_mb=8 cache_mb=4 cache_cap_mb=32

for tool in curl jeprof; do
        command -v "$tool" >/dev/null || { echo "demo: $tool is not installed" >&2; exit 1; }
done
[ -x "$server" ] || { echo "demo: $server is not built (run make)" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/oomwatch-demo.XXXXXX")
pid=
cleanup() {
        if [ -n "$pid" ]; then
                kill -TERM "$pid" 2>/dev/null || true
                wait "$pid" 2>/dev/null || true
        fi
        rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '\n==> %s\n' "$*"; }
get() { curl -sf --max-time 30 "$url$1"; }
rss_mib() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status"; }

conf=prof:true,prof_active:true,lg_prof_sample:19,prof_prefix:$tmp/leaky
say "Starting $server with MALLOC_CONF=$conf"
MALLOC_CONF=$conf "$server" --port 0 --cache-mb "$cache_cap_mb" 2>"$tmp/server.log" &
pid=$!
for _ in $(seq 100); do
        grep -q "listening on" "$tmp/server.log" && break
        kill -0 "$pid" 2>/dev/null || { cat "$tmp/server.log" >&2; exit 1; }
        sleep 0.05
done
url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$tmp/server.log" | head -n 1)
[ -n "$url" ] || { echo "demo: server did not start" >&2; cat "$tmp/server.log" >&2; exit 1; }
echo "    listening on $url, pid $pid, RSS $(rss_mib) MiB"

say "Baseline heap dump: GET /dump"
base=$(get /dump)
echo "    $base"

say "Traffic: $leaks x /leak?mb=$leak_mb, 5 x / after each, $leaks x /cache?mb=$cache_mb"
for _ in $(seq "$leaks"); do
        get "/leak?mb=$leak_mb" >/dev/null
        for _ in 1 2 3 4 5; do get / >/dev/null; done
        get "/cache?mb=$cache_mb" >/dev/null
done
echo "    $(grep -c '"GET ' "$tmp/server.log") requests served, RSS now $(rss_mib) MiB"

say "Second heap dump: GET /dump"
new=$(get /dump)
echo "    $new"

say "jeprof --text --base=$(basename "$base") $(basename "$server") $(basename "$new")"
if ! jeprof --text --base="$base" "$server" "$new" >"$tmp/diff" 2>"$tmp/jeprof.err"; then
        cat "$tmp/jeprof.err" >&2
        exit 1
fi
# Columns: flat MB, flat%, sum%, cum MB, cum%, function.
head -n 11 "$tmp/diff" | sed 's/^/    /'

read -r top top_mb < <(awk '/^Total:/ { getline; print $6, $1; exit }' "$tmp/diff") || true
echo
if grep -q ' cache_insert$' "$tmp/diff"; then
        echo "cache_insert grew too, but only up to its $cache_cap_mb MiB cap:" \
             "one diff cannot tell a full cache from a leak."
fi
echo "top grower: ${top:-none} (${top_mb:-0} MiB)"
[ "${top:-}" = process_leak ]
