#!/bin/bash
# run.sh — run the integration tests: every tests/integration/t_*.sh, sorted.
#
#   tests/integration/run.sh [PATTERN...]
#
# PATTERN (a substring or shell glob) keeps only tests whose name matches
# one of them.
# Each test runs as its own bash process under timeout(1) ($TEST_TIMEOUT s,
# default 120) with OOMWATCH_BUILD set (default <repo>/build). Its exit status
# decides: 0 pass, 77 skip, anything else fail. The output of a failed test is
# shown indented; a skipped test shows the reason it printed last.
#
# EXIT STATUS: 0 when no test failed, 1 otherwise.
set -u
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
export OOMWATCH_BUILD=${OOMWATCH_BUILD:-$repo/build}
timeout_s=${TEST_TIMEOUT:-120}
patterns=("$@")

out=$(mktemp "${TMPDIR:-/tmp}/oomwatch-run.XXXXXX") || exit 1
trap 'rm -f "$out"' EXIT

passed=0 failed=0 skipped=0
for t in "$here"/t_*.sh; do
        [ -e "$t" ] || continue
        name=$(basename "$t" .sh)
        if [ ${#patterns[@]} -gt 0 ]; then
                keep=0
                for p in "${patterns[@]}"; do
                        # shellcheck disable=SC2053
                        [[ $name == *$p* ]] && keep=1
                done
                [ "$keep" = 1 ] || continue
        fi

        # Output goes to a file, not a pipe: a stray background process must
        # not be able to hold the runner up.
        timeout -k 5 "$timeout_s" bash "$t" >"$out" 2>&1 </dev/null
        rc=$?
        case $rc in
        0)
                echo "PASS $name"
                passed=$((passed + 1))
                ;;
        77)
                reason=$(sed -n 's/^SKIP: //p' "$out" | tail -n 1)
                echo "SKIP $name: ${reason:-no reason given}"
                skipped=$((skipped + 1))
                ;;
        *)
                if [ "$rc" = 124 ]; then
                        echo "FAIL $name (timed out after ${timeout_s} s)"
                else
                        echo "FAIL $name (exit $rc)"
                fi
                sed 's/^/    /' "$out"
                failed=$((failed + 1))
                ;;
        esac
done

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
