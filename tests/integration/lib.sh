# lib.sh — helpers for integration tests (bash). Start each test with
#     . "$(dirname "$0")/lib.sh"
# A test exits 0 to pass, 77 to skip (use `skip`), anything else fails.
#
#   fail MSG...            print MSG, exit 1
#   skip REASON...         print REASON, exit 77 (run.sh shows it)
#   assert_eq A B [WHAT]   fail unless the strings are equal
#   assert_ge A B [WHAT]   fail unless integer A >= B
#   assert_le A B [WHAT]   fail unless integer A <= B
#   at_exit CMD...         run CMD on exit (last registered runs first)
#   wait_for CMD...        poll CMD until it succeeds; 1 after $WAIT_TIMEOUT s (10)
#                          times $WAIT_SCALE (1; a slower machine, such as the
#                          emulated one of make test-v2, sets more)
#   proc_gone PID          true when PID has exited (no process or a zombie)
#   rss_kib PID            VmRSS of PID in KiB
#   free_port              a TCP port nothing listens on (20000..32767)
#   start_leaky [ARG...]   start leaky-server on a free port in the background,
#                          with the caller's environment (MALLOC_CONF=... start_leaky);
#                          inside cgroup $LEAKY_CGROUP when set. Sets LEAKY_PID,
#                          LEAKY_PORT, LEAKY_URL, LEAKY_LOG (its stderr); stopped on exit
#   wait_leaky             wait up to $WAIT_TIMEOUT s for it to exit by itself, reap it,
#                          set LEAKY_STATUS (128+N for signal N); 1 on timeout
#   stop_leaky [SIG]       send SIG (TERM), then wait_leaky; SIGKILL after the timeout
#                          and return 1
#   cg_make NAME LIMIT     create memory cgroup NAME under our own (v1; on v2 under
#                          the nearest cgroup that gives its children the memory
#                          controller: ours, or our parent's when ours has
#                          processes) with LIMIT (bytes, or K/M/G) and no swap; sets
#                          CG; removed on exit; skips the test when that is not possible
#   cg_exec CG CMD...      replace this (sub)shell with CMD inside cgroup directory CG:
#                          ( cg_exec "$CG" prog args ) &  keeps $! as the pid of prog
#   cg_oom_kills [CG]      the oom_kill counter of CG (default $CG)
#   cg_rm [CG]             kill what is left in CG (and its children), remove them
#   cg_v2                  true when memory cgroups are cgroup v2 (unified hierarchy)
#   libc_debug_build       the analyzer tests' program leak_c (PIE, -ljemalloc) built in
#                          $T and $T as the working directory; sets LIBC_BID and
#                          LIBC_DEBUG (glibc's compressed separate debug file); skips
#                          without jemalloc's development files or libc6-dbg
#   ow_user_build          copies of oomwatch, oomwatch-analysis, the agent and leaky-server
#                          in a directory user nobody can reach (U), whatever the modes of
#                          the checkout's parents; sets OW_BIN, LEAKY_BIN, U (mode 0755)
#
# Other oomwatch instances (other suites) may run on the same machine: a test
# counts only the cgroups, sockets and processes it made (run.sh gives each
# test a memory cgroup of its own on v1).
#
# Variables: T (per-test temp dir, removed on exit), BUILD (= $OOMWATCH_BUILD, default
# <repo>/build), REPO, LEAKY_BIN.

# shellcheck disable=SC2034  # LEAKY_* and T are set for the tests that source this
set -u

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${OOMWATCH_BUILD:-$REPO/build}
LEAKY_BIN=$BUILD/leaky-server
WAIT_TIMEOUT=${WAIT_TIMEOUT:-10}
WAIT_SCALE=${WAIT_SCALE:-1}
T=$(mktemp -d "${TMPDIR:-/tmp}/oomwatch-test.XXXXXX") || exit 1

_exit_cmds=()
at_exit() { _exit_cmds+=("$*"); }
_run_exit_cmds() {
        local i
        for ((i = ${#_exit_cmds[@]} - 1; i >= 0; i--)); do
                eval "${_exit_cmds[i]}" || true
        done
        rm -rf "$T"
}
trap _run_exit_cmds EXIT
trap 'exit 143' TERM    # timeout(1) sends TERM: still clean up
trap 'exit 130' INT

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }

assert_eq() {
        [ "$1" = "$2" ] || fail "${3:-value}: expected '$2', got '$1'"
}
assert_ge() {
        [ "$1" -ge "$2" ] 2>/dev/null || fail "${3:-value}: expected >= $2, got '$1'"
}
assert_le() {
        [ "$1" -le "$2" ] 2>/dev/null || fail "${3:-value}: expected <= $2, got '$1'"
}

wait_for() {
        local deadline=$((SECONDS + WAIT_TIMEOUT * WAIT_SCALE))
        until "$@"; do
                [ "$SECONDS" -lt "$deadline" ] || return 1
                sleep 0.05
        done
}

proc_gone() {
        local state
        state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 0
        [ -z "$state" ] || [ "$state" = Z ]
}

rss_kib() {
        awk '/^VmRSS:/ { print $2; found = 1 } END { exit !found }' "/proc/$1/status"
}

free_port() {
        local used port i
        # Local ports of every TCP socket, from hex in /proc/net/tcp{,6}.
        used=$(awk 'FNR > 1 { split($2, a, ":"); print a[2] }' /proc/net/tcp /proc/net/tcp6 |
               while read -r hex; do echo $((16#$hex)); done)
        for ((i = 0; i < 100; i++)); do
                port=$((20000 + RANDOM % 12768))
                if ! grep -qx "$port" <<<"$used"; then
                        echo "$port"
                        return 0
                fi
        done
        return 1
}

cg_exec() {
        local cg=$1
        shift
        exec sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$cg" "$@"
}

# Starts on a free port; retries when another process takes the port first.
start_leaky() {
        local try
        [ -x "$LEAKY_BIN" ] || fail "$LEAKY_BIN is not built"
        LEAKY_LOG=$T/leaky.log
        for try in 1 2 3; do
                LEAKY_PORT=$(free_port) || fail "no free TCP port"
                LEAKY_URL=http://127.0.0.1:$LEAKY_PORT
                if [ -n "${LEAKY_CGROUP:-}" ]; then
                        (cg_exec "$LEAKY_CGROUP" "$LEAKY_BIN" --port "$LEAKY_PORT" "$@") \
                                >/dev/null 2>"$LEAKY_LOG" &
                else
                        "$LEAKY_BIN" --port "$LEAKY_PORT" "$@" >/dev/null 2>"$LEAKY_LOG" &
                fi
                LEAKY_PID=$!
                [ "$try" = 1 ] && at_exit stop_leaky
                # The start-up line comes once the socket listens; probing with
                # a request would add a log line and allocations of its own.
                wait_for _leaky_up_or_gone || fail "leaky-server did not start: $(cat "$LEAKY_LOG")"
                proc_gone "$LEAKY_PID" || return 0
                wait "$LEAKY_PID"
                grep -q "cannot listen" "$LEAKY_LOG" || fail "leaky-server exited: $(cat "$LEAKY_LOG")"
        done
        fail "leaky-server found no free port: $(cat "$LEAKY_LOG")"
}
_leaky_up_or_gone() {
        grep -q "listening on" "$LEAKY_LOG" || proc_gone "$LEAKY_PID"
}

wait_leaky() {
        [ -n "${LEAKY_PID:-}" ] || return 0
        wait_for proc_gone "$LEAKY_PID" || return 1
        wait "$LEAKY_PID"
        LEAKY_STATUS=$?
        LEAKY_PID=
}

stop_leaky() {
        [ -n "${LEAKY_PID:-}" ] || return 0
        kill -s "${1:-TERM}" "$LEAKY_PID" 2>/dev/null
        wait_leaky && return 0
        kill -s KILL "$LEAKY_PID" 2>/dev/null
        WAIT_TIMEOUT=5 wait_leaky
        return 1
}

# Memory cgroups are v2 when no v1 memory hierarchy is mounted and the unified
# hierarchy at /sys/fs/cgroup offers the memory controller.
cg_v2() {
        [ ! -d /sys/fs/cgroup/memory ] && [ "$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ] &&
                grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null
}

# The memory cgroup directory of this shell: v1 /sys/fs/cgroup/memory/x;
# v2 /sys/fs/cgroup/x from the "0::" line, when it has the memory controller.
_cg_self_memory() {
        local path
        if cg_v2; then
                path=$(sed -n 's/^0:://p' /proc/self/cgroup)
                [ -n "$path" ] && grep -qw memory "/sys/fs/cgroup${path%/}/cgroup.controllers" 2>/dev/null ||
                        return 1
                echo "/sys/fs/cgroup${path%/}"
                return 0
        fi
        path=$(awk -F: '$2 == "memory" { print $3 }' /proc/self/cgroup)
        [ -n "$path" ] && [ -d "/sys/fs/cgroup/memory$path" ] || return 1
        echo "/sys/fs/cgroup/memory${path%/}"
}

# Where this shell can create memory cgroups. v1: its own cgroup. v2 (no
# internal processes): its own when that already gives memory to its
# children or is the root, else its parent's when that one does.
_cg_base() {
        local self parent
        self=$(_cg_self_memory) || return 1
        cg_v2 || { echo "$self"; return 0; }
        if grep -qw memory "$self/cgroup.subtree_control" 2>/dev/null; then
                echo "$self"
        elif [ "$self" = /sys/fs/cgroup ]; then
                echo +memory > "$self/cgroup.subtree_control" 2>/dev/null || return 1
                echo "$self"
        else
                parent=${self%/*}
                grep -qw memory "$parent/cgroup.subtree_control" 2>/dev/null || return 1
                echo "$parent"
        fi
}

cg_make() {
        local parent
        parent=$(_cg_base) || skip "no memory cgroup this process can create children in"
        CG=$parent/$1
        mkdir "$CG" 2>/dev/null || skip "cannot create cgroup '$CG' (no permission?)"
        at_exit cg_rm "$CG"
        if cg_v2; then
                echo "$2" > "$CG/memory.max" || fail "cannot set memory limit of '$CG'"
                if [ -e "$CG/memory.swap.max" ]; then
                        echo 0 > "$CG/memory.swap.max" || fail "cannot forbid swap in '$CG'"
                fi
                return 0
        fi
        echo "$2" > "$CG/memory.limit_in_bytes" || fail "cannot set memory limit of '$CG'"
        if [ -e "$CG/memory.memsw.limit_in_bytes" ]; then
                echo "$2" > "$CG/memory.memsw.limit_in_bytes" ||
                        fail "cannot set memory+swap limit of '$CG'"
        fi
        echo 0 > "$CG/memory.swappiness" 2>/dev/null || true
}

cg_oom_kills() {
        local cg=${1:-$CG} f=memory.oom_control
        [ -e "$cg/$f" ] || f=memory.events
        awk '$1 == "oom_kill" { print $2; found = 1 } END { exit !found }' "$cg/$f"
}

cg_rm() {
        local cg=${1:-$CG} pid pids i d
        [ -d "$cg" ] || return 0
        [ -e "$cg/cgroup.kill" ] && echo 1 > "$cg/cgroup.kill" 2>/dev/null
        for ((i = 0; i < 100; i++)); do
                # cgroupfs files have no size: read them
                pids=$(find "$cg" -name cgroup.procs -exec cat {} + 2>/dev/null)
                [ -n "$pids" ] || break
                for pid in $pids; do kill -KILL "$pid" 2>/dev/null; done
                sleep 0.05
        done
        for ((i = 0; i < 100; i++)); do
                # children first (v2 leaves a supervisor may have left behind)
                find "$cg" -mindepth 1 -depth -type d 2>/dev/null | while read -r d; do rmdir "$d" 2>/dev/null; done
                rmdir "$cg" 2>/dev/null && return 0
                sleep 0.05
        done
        echo "warning: cannot remove cgroup '$cg'" >&2
        return 1
}

# ---- oomwatch run ---------------------------------------------------------------
#   ow_start [OPTION...] -- CMD...   start `oomwatch run OPTION... -- CMD...` in the
#                          background with dumps in $T/dumps and reports in $T/reports
#                          (unless the options say otherwise); sets OW_PID, OW_LOG.
#                          OW_PREFIX=(CMD...) runs oomwatch through CMD (which must exec
#                          it: OW_PID stays oomwatch's); OW_GATE=FIFO makes it wait for
#                          a line on FIFO before it starts.
#                          On cgroup v2 oomwatch starts in a fresh cgroup of its own
#                          ($OW_CG, under _cg_base), as a service manager with
#                          delegation would start it: v2 lets a cgroup with
#                          processes give no memory controller to its children
#   ow_start_leaky [OPTION...]       ow_start ... -- leaky-server on a free port, wait
#                          until it listens; sets LEAKY_PORT, LEAKY_URL
#   ow_wait                wait (up to $WAIT_TIMEOUT s) for oomwatch to exit; OW_STATUS
#   ow_bundle              print the one bundle directory under $T/reports
#   ow_cgroups             print the target cgroups oomwatch made under our own memory
#                          cgroup (v2: under the test's $OW_CG cgroups)
#   assert_no_ow_cgroups   fail if any is left (v2: or a supervisor's leaf oomwatch.*.sup)
#   json FILE FILTER       jq -r FILTER FILE
#   page_data PAGE         the JSON an incident.html draws from (its #data script)
#   pct N TOTAL            N as a percentage of TOTAL ("12.3%")
OW_BIN=$BUILD/oomwatch
_ow_cgs=()

# v2: a fresh cgroup for one supervisor (sets OW_CG; removed on exit)
ow_make_cgroup() {
        local base
        base=$(_cg_base) || skip "no memory cgroup this process can create children in"
        OW_CG=$base/ow-test.$$.${#_ow_cgs[@]}
        mkdir "$OW_CG" 2>/dev/null || skip "cannot create cgroup '$OW_CG' (no permission?)"
        _ow_cgs+=("$OW_CG")
        at_exit cg_rm "$OW_CG"
}

ow_start() {
        [ -x "$OW_BIN" ] || fail "$OW_BIN is not built"
        OW_LOG=$T/oomwatch.log
        # emptied here, not by the background job's redirection: a second run
        # in one test must not find the first run's "listening on"
        : >"$OW_LOG"
        local pre=(${OW_PREFIX+"${OW_PREFIX[@]}"})
        if cg_v2; then
                ow_make_cgroup
                (_ow_gate; cg_exec "$OW_CG" ${pre+"${pre[@]}"} "$OW_BIN" run -d "$T/dumps" -r "$T/reports" "$@") \
                        >"$T/oomwatch.out" 2>"$OW_LOG" &
        else
                (_ow_gate; exec ${pre+"${pre[@]}"} "$OW_BIN" run -d "$T/dumps" -r "$T/reports" "$@") \
                        >"$T/oomwatch.out" 2>"$OW_LOG" &
        fi
        OW_PID=$!
        at_exit _ow_stop
}
# OW_GATE=FIFO: the process that becomes oomwatch waits for a line on FIFO
# first, so a test knows oomwatch's pid before it starts
_ow_gate() {
        [ -z "${OW_GATE:-}" ] || read -r _ < "$OW_GATE"
}
_ow_stop() {
        [ -n "${OW_PID:-}" ] || return 0
        kill -TERM "$OW_PID" 2>/dev/null
        WAIT_TIMEOUT=5 ow_wait || kill -KILL "$OW_PID" 2>/dev/null
}

ow_start_leaky() {
        local args=() a
        LEAKY_PORT=$(free_port) || fail "no free TCP port"
        LEAKY_URL=http://127.0.0.1:$LEAKY_PORT
        for a in "$@"; do args+=("$a"); done
        ow_start "${args[@]}" -- "$LEAKY_BIN" --port "$LEAKY_PORT"
        wait_for _ow_leaky_up || fail "leaky-server under oomwatch did not start: $(cat "$OW_LOG")"
        proc_gone "$OW_PID" && fail "oomwatch exited at start: $(cat "$OW_LOG")"
        return 0
}
_ow_leaky_up() {
        grep -qs "listening on" "$OW_LOG" || proc_gone "$OW_PID"
}

ow_wait() {
        [ -n "${OW_PID:-}" ] || return 0
        wait_for proc_gone "$OW_PID" || { _ow_diag >&2; return 1; }
        wait "$OW_PID"
        OW_STATUS=$?
        OW_PID=
}

# What oomwatch and its target are doing, for a test that timed out.
_ow_diag() {
        local cg p t
        echo "--- oomwatch $OW_PID still running; last lines of its log:"
        grep -v '"GET ' "$OW_LOG" 2>/dev/null | tail -n 8
        echo "--- oomwatch: $(awk '{ print "state", $3 }' "/proc/$OW_PID/stat" 2>/dev/null) wchan $(cat "/proc/$OW_PID/wchan" 2>/dev/null)"
        for cg in $(ow_cgroups); do
                echo "--- $cg: usage $(cat "$cg/memory.usage_in_bytes" 2>/dev/null)," \
                        "$(tr '\n' ' ' < "$cg/memory.oom_control" 2>/dev/null)"
                while read -r p; do
                        for t in /proc/"$p"/task/*; do
                                echo "    task ${t##*/} $(cat "$t/comm" 2>/dev/null)" \
                                        "state $(awk '{ print $3 }' "$t/stat" 2>/dev/null) wchan $(cat "$t/wchan" 2>/dev/null)"
                        done
                done < "$cg/cgroup.procs"
        done
}

ow_bundle() {
        local d n
        n=$(find "$T/reports" -mindepth 1 -maxdepth 1 -type d 2>/dev/null | wc -l)
        [ "$n" = 1 ] || fail "expected one incident bundle in $T/reports, found $n"
        d=$(find "$T/reports" -mindepth 1 -maxdepth 1 -type d)
        echo "$d"
}

# ow_run_oom NAME LIMIT CMD...: `oomwatch run -v -m LIMIT` over CMD, which must
# be OOM-killed, with its stderr in $T/NAME.err; sets B (the bundle)
ow_run_oom() {
        local name=$1 limit=$2
        shift 2
        rm -rf "$T/reports" "$T/dumps"
        "$OW_BIN" run -v -m "$limit" -d "$T/dumps" -r "$T/reports" -- "$@" 2>"$T/$name.err"
        assert_eq "$?" 137 "$name: exit status"
        B=$(ow_bundle)
        assert_eq "$(json "$B/incident.json" .verdict)" oom-kill "$name: verdict"
}

_ow_parents() {
        if cg_v2; then
                [ ${#_ow_cgs[@]} = 0 ] || printf '%s\n' "${_ow_cgs[@]}"
        else
                _cg_self_memory || true
        fi
}

ow_cgroups() {
        local parent
        _ow_parents | while read -r parent; do
                find "$parent" -mindepth 1 -maxdepth 1 -type d -name 'oomwatch.*' ! -name '*.sup' 2>/dev/null
        done
}

# A cgroup is left behind when no live supervisor holds it: a live one holds
# an flock on its oomwatch.<svid> cgroup, and is itself in its v2 leaf
# oomwatch.<svid>.sup. This test's supervisors only (see above).
ow_cgroup_live() { # CG
        if [[ $1 == *.sup ]]; then
                [ -n "$(cat "$1/cgroup.procs" 2>/dev/null)" ]
        else
                flock -n -E 99 "$1" true 2>/dev/null
                [ $? = 99 ]
        fi
}
assert_no_ow_cgroups() {
        local left="" cg parent
        for cg in $(_ow_parents | while read -r parent; do
                find "$parent" -mindepth 1 -maxdepth 1 -type d -name 'oomwatch.*' 2>/dev/null; done); do
                ow_cgroup_live "$cg" && continue
                left="$left $cg"
        done
        [ -z "$left" ] || fail "cgroups left behind:$left"
}

json() { jq -r "$2" "$1"; }
# pct N TOTAL: N as a percentage of TOTAL, one decimal
pct() { awk -v n="$1" -v t="$2" 'BEGIN { printf "%.1f%%", t ? 100 * n / t : 0 }'; }
# page_data PAGE: the JSON an incident.html draws from (its #data script)
page_data() {
        awk '/<script type="application\/json" id="data">/ { sub(/.*id="data">/, ""); sub(/<\/script>.*/, ""); print; exit }' "$1"
}

# leak_until_gone [MB [MAX]]: GET /leak?mb=MB (2) until oomwatch exits, at
# most MAX (200) requests: a slow leak that ends in the OOM kill.
leak_until_gone() {
        local i
        for ((i = 0; i < ${2:-200}; i++)); do
                proc_gone "$OW_PID" && break
                curl -s -o /dev/null --max-time 10 "$LEAKY_URL/leak?mb=${1:-2}"
        done
}

# Is oomwatch an AddressSanitizer build (make SANITIZE=1)? Its allocator keeps
# freed memory in quarantine and everything runs a few times slower.
libc_debug_build() {
        local libc
        pkg-config --exists jemalloc || skip "jemalloc development files not installed"
        libc=$(ldd /bin/true | awk '$1 ~ /^libc\.so/ { print $3 }')
        LIBC_BID=$(readelf -n "$libc" | awk '/Build ID/ { print $3 }')
        [ -n "$LIBC_BID" ] || fail "no build-id in $libc"
        LIBC_DEBUG=/usr/lib/debug/.build-id/${LIBC_BID:0:2}/${LIBC_BID:2}.debug
        [ -f "$LIBC_DEBUG" ] || skip "libc6-dbg is not installed ($LIBC_DEBUG)"
        readelf -SW "$LIBC_DEBUG" | grep -q ' \.debug_info .* C ' || skip "$LIBC_DEBUG has no compressed sections"
        cd "$T" || fail "cd $T"
        # shellcheck disable=SC2046  # a list of flags
        cc -O1 -g -fPIE -pie -o leak_c "$REPO/tests/programs/leak_c.c" $(pkg-config --libs jemalloc) 2>build.err ||
                fail "building leak_c: $(cat build.err)"
}

ow_sanitized() { ldd "$OW_BIN" 2>/dev/null | grep -q libasan; }

ow_user_build() {
        local d f
        for d in "${TMPDIR:-/tmp}" /tmp /var/tmp /dev/shm; do
                [ -d "$d" ] || continue
                U=$(mktemp -d "$d/oomwatch-user.XXXXXX" 2>/dev/null) || continue
                chmod 0755 "$U"
                for f in oomwatch oomwatch-analysis liboomwatch-agent.so leaky-server; do
                        [ -e "$BUILD/$f" ] && cp "$BUILD/$f" "$U/"
                done
                if su nobody -s /bin/sh -c "test -x '$U/leaky-server' && test -r '$U/liboomwatch-agent.so'" 2>/dev/null; then
                        at_exit rm -rf "'$U'"
                        OW_BIN=$U/oomwatch
                        LEAKY_BIN=$U/leaky-server
                        return 0
                fi
                rm -rf "$U"
        done
        fail "found no directory from which user nobody can run programs (tried \$TMPDIR, /tmp, /var/tmp, /dev/shm)"
}
