#!/bin/bash
# demo.sh — oomwatch on the demo service: leaky-server runs under
# `oomwatch run -c configs/demo.conf` in a 96 MiB cgroup; the script drives
# /leak (with some normal traffic and a capped cache) until the kernel
# OOM-kills it, and oomwatch prints the incident report's head and the path
# of the bundle it wrote.
#
#   OOMWATCH_BUILD=$PWD/build scripts/demo.sh      (what `make demo` runs)
#
# EXIT STATUS: 0 when oomwatch reported an OOM kill with process_leak first
# where the heap grew, 1 otherwise.
set -uo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build=${OOMWATCH_BUILD:-$repo/build}
cd "$repo" || exit 1

for tool in curl jq; do
        command -v "$tool" >/dev/null || { echo "demo: $tool is not installed" >&2; exit 1; }
done
for f in "$build/oomwatch" "$build/leaky-server"; do
        [ -x "$f" ] || { echo "demo: $f is not built (run make)" >&2; exit 1; }
done

reports=build/demo/reports
rm -rf build/demo
port=$(( 20000 + RANDOM % 10000 ))
url=http://127.0.0.1:$port
ow=
cleanup() {
        [ -n "$ow" ] && kill -TERM "$ow" 2>/dev/null && wait "$ow" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '\n==> %s\n' "$*"; }

say "oomwatch run -c configs/demo.conf -- $build/leaky-server --port $port"
# the server logs every request; the demo shows the rest of its stderr and oomwatch's
exec 3> >(grep --line-buffered -v '"GET /' >&2)
filter=$!
"$build/oomwatch" run -c configs/demo.conf -- "$build/leaky-server" --port "$port" 2>&3 &
ow=$!
for _ in $(seq 100); do
        curl -s -o /dev/null --max-time 1 "$url/" && break
        kill -0 "$ow" 2>/dev/null || { echo "demo: oomwatch exited" >&2; exit 1; }
        sleep 0.05
done

say "Traffic: a 16 MiB cache, then /leak?mb=2 with normal requests until the OOM kill"
for _ in 1 2 3 4; do curl -s -o /dev/null --max-time 10 "$url/cache?mb=4"; done
n=0
while kill -0 "$ow" 2>/dev/null && [ $n -lt 500 ]; do
        curl -s -o /dev/null --max-time 10 "$url/leak?mb=2" || break
        curl -s -o /dev/null --max-time 10 "$url/" || break
        n=$((n + 1))
done
echo "    $n leak requests sent"
wait "$ow"
status=$?
ow=
exec 3>&-
wait "$filter"
echo
echo "oomwatch exited with status $status (137 = the target was OOM-killed)"

bundle=$(find "$reports" -mindepth 1 -maxdepth 1 -type d 2>/dev/null | head -n 1)
[ -n "$bundle" ] && [ -s "$bundle/incident.json" ] || { echo "demo: no incident bundle" >&2; exit 1; }
verdict=$(jq -r .verdict "$bundle/incident.json")
top=$(jq -r '.diff.sites[0].function' "$bundle/incident.json")
mib=$(jq -r '.diff.sites[0].bytes / 1048576 | . * 10 | floor / 10' "$bundle/incident.json")
ms=$(jq -r .analysis_ms "$bundle/incident.json")
say "Incident bundle $bundle"
ls -l "$bundle" | sed 's/^/    /'
echo
echo "verdict: $verdict; analysis took $ms ms after the kill"
echo "where it grew: $top (≈$mib MiB)"
[ -s "$bundle/incident.html" ] && echo "the incident page: file://$(cd "$bundle" && pwd)/incident.html (open it in a browser)"
[ -s "$bundle/profile.pb.gz" ] && echo "for pprof: go tool pprof -http=: $bundle/profile.pb.gz"
[ "$verdict" = oom-kill ] && [ "$top" = process_leak ]
