#!/bin/bash
# A C++ service (tests/programs/cxx_service.cc: worker threads that churn
# strings, vectors and maps, plus a slow leak through std::vector<std::string>
# in SessionStore::remember_request), glibc malloc with jemalloc preloaded:
# the report's headline, "where it grew", names that function first (not
# basic_string::_M_mutate, where the bytes are allocated), with the line of
# the leaking push_back; incident.json's diff.sites and `oomwatch diff
# --format json` say the same; and the trend names it first.
#
# All under the default capture (no configuration but the limit): usage steps
# and warn_at, no interval dumps. Interval dumps count gross allocation, so
# under this churn they fired by the hundred (770-830 in 3 s) and rotated the
# threshold dumps away; the steps write about 20 for the whole run (at most
# 40 here), and the ladder they leave is what the trend reads.
. "$(dirname "$0")/lib.sh"

command -v g++ >/dev/null || skip "no C++ compiler"
g++ -O2 -g -pthread -o "$T/cxx_service" "$REPO/tests/programs/cxx_service.cc" 2>"$T/cc.err" ||
        fail "g++ failed: $(cat "$T/cc.err")"
fn=svc::SessionStore::remember_request
line=$(grep -n 'log.push_back(rq.path' "$REPO/tests/programs/cxx_service.cc" | cut -d: -f1)

"$OW_BIN" run -v -m 64M -d "$T/dumps" -r "$T/reports" -- "$T/cxx_service" 4 8192 2>"$T/err"
assert_eq "$?" 137 "exit status"
b=$(ow_bundle)
assert_eq "$(json "$b/incident.json" .verdict)" oom-kill "verdict"

# the capture: step and threshold dumps only (jemalloc numbers every dump a
# process writes, of every kind, with one counter), about 20 in all
grep -q 'lg_prof_interval:-1' "$T/err" || fail "interval dumps are on by default: $(grep MALLOC_CONF "$T/err")"
written=$(ls "$b/dumps" | sed -n 's/^oomwatch\.[0-9]*\.\([0-9]*\)\..*/\1/p' | sort -n | tail -1)
[ -n "$written" ] || fail "no dumps in the bundle"
written=$((written + 1))
steps=$(grep -c '^oomwatch: step dump:' "$T/err")
echo "dumps written: $written ($steps step dumps); in the bundle: $(ls "$b/dumps" | tr '\n' ' ')"
assert_le "$written" 40 "dumps written for the whole run"
assert_ge "$steps" 8 "step dumps (4 MiB steps under 64 MiB)"
ls "$b/dumps" | grep -v '\.m[0-9]*\.heap$' && fail "dumps other than the agent's in the bundle"

# incident.json: the first site is the leaking function, with its line
assert_eq "$(json "$b/incident.json" '.diff.sites[0].function')" "$fn" "first site"
assert_eq "$(json "$b/incident.json" '.diff.sites[0].line')" "$line" "the first site's line (the push_back)"
json "$b/incident.json" '.diff.sites[0].file' | grep -q 'cxx_service\.cc$' || fail "site file: $(json "$b/incident.json" .diff.sites[0])"
assert_eq "$(json "$b/incident.json" '.diff.sites[0].module')" "$T/cxx_service" "site module"
# the flat table is jeprof's: a libstdc++ internal there, the user's code only in the sites
top=$(json "$b/incident.json" '.diff.top[0].function')
echo "flat top: $top; first site: $fn"
case $top in std::*) ;; *) fail "flat top row is not the C++ library's: $top" ;; esac
site_bytes=$(json "$b/incident.json" '.diff.sites[0].bytes')
growth=$(json "$b/incident.json" '.diff.growth_bytes')
assert_ge "$((site_bytes * 10))" "$((growth * 9))" "the first site's share of the growth (x10)"

# report.txt: the headline's first line, and the table below it
first=$(sed -n '/^where it grew/{n;p;q}' "$b/report.txt")
echo "report.txt: $first"
grep -Fq " $fn  at cxx_service.cc:$line  in cxx_service" <<<"$first" || fail "first 'where it grew' line: $first"
[ "$(grep -n '^where it grew' "$b/report.txt" | cut -d: -f1)" -lt "$(grep -n '^all growth' "$b/report.txt" | cut -d: -f1)" ] ||
        fail "the sites are not above the flat/cum table"

# the trend over the ladder names it first
assert_eq "$(json "$b/incident.json" '.trend.suspects[0].function')" "$fn" "first trend suspect"
grep -A1 '^steady growth across the dumps' "$b/report.txt" | grep -Fq "$fn" || fail "report.txt's trend"

# oomwatch diff --format json prints the bundle's "diff" object, sites included
base=$(json "$b/incident.json" .diff.base) new=$(json "$b/incident.json" .diff.new)
(cd "$b" && "$OW_BIN" diff --format json --base "$base" "$new") >"$T/diff.json" || fail "oomwatch diff failed"
assert_eq "$(jq -c .sites "$T/diff.json")" "$(jq -c .diff.sites "$b/incident.json")" "diff --format json sites"
# a pattern of one's own: with SessionStore hidden, the site is its caller
(cd "$b" && "$OW_BIN" diff --format json --hide 'default,svc::SessionStore::*' --base "$base" "$new") >"$T/hide.json" ||
        fail "oomwatch diff --hide failed"
assert_eq "$(jq -r '.sites[0].function' "$T/hide.json")" worker "first site with SessionStore hidden"
echo "dumps in the bundle: $(find "$b/dumps" -name '*.heap' | wc -l)"
assert_no_ow_cgroups
