#!/bin/bash
# Promise 17: bad configuration never starts a half-configured target.
# Every key with a malformed or impossible value, unknown sections and
# keys, keys outside a section and lines that are not INI each give exit
# 125 and "FILE:LINE: message" naming the right line; nothing is started
# and no cgroup is left. (t_run_bad_config covers duplicate keys, ';' in
# malloc_conf, a missing file, bad options and an unsafe dump dir.)
. "$(dirname "$0")/lib.sh"

# SECTION|KEY|VALUE: the case is line 3 of "# case / [SECTION] / KEY = VALUE"
cases='target|restart|sometimes
target|restart_delay|5parsecs
target|restart_delay|-1s
target|max_restarts|-1
target|max_restarts|1e3
target|max_restarts|99999999999999999999
target|max_restarts|
target|user|
target|workdir|
target|command|"unterminated
cgroup|memory_limit|0
cgroup|memory_limit|4096
cgroup|memory_limit|-5M
cgroup|memory_limit|12Q
cgroup|memory_limit|99999999T
cgroup|memory_limit|18446744073709551615
cgroup|swap|lots
cgroup|swap|-1M
cgroup|warn_at|80,x
cgroup|warn_at|150
cgroup|warn_at|0
cgroup|warn_at|80,80
cgroup|warn_at|1,2,3,4,5,6,7,8,9
cgroup|parent|../../escape
profiling|lg_prof_sample|100
profiling|lg_prof_sample|-1
profiling|lg_prof_sample|nineteen
profiling|interval|sometimes
profiling|interval|0
profiling|gdump|maybe
profiling|gdump|150%
profiling|gdump|0%
profiling|final|perhaps
profiling|malloc_conf|garbage
profiling|malloc_conf|prof_prefix:/etc/x
profiling|malloc_conf|a:b,,c:d
profiling|malloc_conf|prof_accum:true,
profiling|malloc_conf|:true
profiling|malloc_conf|prof_accum:maybe
profiling|preload_jemalloc|sometimes
profiling|agent|yes-ish
dumps|dir|
dumps|keep|0
dumps|keep|-1
dumps|keep|many
dumps|keep_baseline|maybe
dumps|baseline_after|soon
dumps|baseline_after|-5s
dumps|max_bytes|0
dumps|max_bytes|big
report|dir|
report|on|never
report|formats|pdf
report|top|0
report|top|-3
report|top|lots
report|engine|gdb
report|symbol_cache|relative/dir
report|symbol_cache|
report|debuginfod_urls|ftp://example.org
report|debuginfod_urls|
report|debuginfod_timeout|forever
report|debuginfod_timeout|2m
report|user|
report|user|root
report|user|0
report|user|no-such-user-7d1e
target|bogus|1'

marker=$T/started
check() { # WHAT LINE: after a run with $T/c.conf
        local what=$1 line=$2 rc=$3
        [ "$rc" = 125 ] || fail "$what: status $rc, expected 125 ($(head -c 200 "$T/err"))"
        grep -q "$T/c.conf:$line: " "$T/err" || fail "$what: no '$T/c.conf:$line:' in: $(cat "$T/err")"
        [ -e "$marker" ] && fail "$what: the target was started"
        return 0
}
n=0
while IFS='|' read -r section key value; do
        printf '# case\n[%s]\n%s = %s\n' "$section" "$key" "$value" > "$T/c.conf"
        limit=(-m 64M)
        [ "$key" = memory_limit ] && limit=()
        "$OW_BIN" run -c "$T/c.conf" "${limit[@]}" -d "$T/dumps" -r "$T/reports" -- touch "$marker" 2>"$T/err"
        check "$section.$key = '$value'" 3 $?
        n=$((n + 1))
done <<<"$cases"

# an unknown section (its header's line), a key outside any section, lines
# that are not INI, and a duplicate key
structural=($'[bogus]\nx = 1'
            'keep = 3'
            $'[target]\nthis is not ini'
            $'[target]\nrestart = never\n[dumps]\nkeep = 2\nkeep = 3')
lines=(2 2 3 6)
for i in "${!structural[@]}"; do
        printf '# case\n%s\n' "${structural[i]}" > "$T/c.conf"
        "$OW_BIN" run -c "$T/c.conf" -m 64M -d "$T/dumps" -r "$T/reports" -- touch "$marker" 2>"$T/err"
        check "structural case $i" "${lines[i]}" $?
        n=$((n + 1))
done
echo "$n malformed configurations: each 125 with FILE:LINE, nothing started"
assert_no_ow_cgroups
