# prefork_lib.sh — the pre-fork server (tests/programs/prefork_server.c) for
# the process-tree tests. Source after lib.sh:
#     . "$(dirname "$0")/lib.sh"
#     . "$(dirname "$0")/prefork_lib.sh"
#
#   prefork_build            compile it into $PREFORK
#   prefork_ports N          print a free port P such that P..P+N-1 look free
#   prefork_up               wait until the server under oomwatch ($T/oomwatch.out) listens
#   prefork_kill_worker PORT [MB]
#                            leak MB (2) MiB at a time through worker 0 on PORT until
#                            the kernel kills it (the master says so); sets WORKER to
#                            its pid; fails when it was not killed after 200 requests
#
# Variables: PREFORK, MASTER (prefork_up sets it), WORKER.

PREFORK=$T/prefork

prefork_build() {
        cc -O1 -g -o "$PREFORK" "$REPO/tests/programs/prefork_server.c" || fail "cannot build the pre-fork server"
}

prefork_ports() {
        local p i k ok
        for ((i = 0; i < 20; i++)); do
                p=$(free_port) || return 1
                ok=1
                for ((k = 1; k < ${1:-1}; k++)); do
                        [ $((p + k)) -lt 32768 ] && ! grep -qi ":$(printf '%04X' $((p + k))) " /proc/net/tcp || ok=0
                done
                [ "$ok" = 1 ] && { echo "$p"; return 0; }
        done
        return 1
}

_prefork_listening() { grep -q "^listening on" "$T/oomwatch.out"; }
prefork_up() {
        wait_for _prefork_listening || fail "the pre-fork server did not start: $(cat "$OW_LOG" "$T/oomwatch.out")"
        MASTER=$(awk '$1 == "master" { print $2 }' "$T/oomwatch.out")
}

prefork_kill_worker() {
        local port=$1 mb=${2:-2} i
        WORKER=$(curl -s --max-time 5 "http://127.0.0.1:$port/pid") || fail "worker 0 does not answer"
        for ((i = 0; i < 200; i++)); do
                grep -q "^worker 0 pid $WORKER died of signal 9" "$T/oomwatch.out" && return 0
                curl -s -o /dev/null --max-time 10 "http://127.0.0.1:$port/leak?mb=$mb"
        done
        grep -q "^worker 0 pid $WORKER died of signal 9" "$T/oomwatch.out" ||
                fail "worker $WORKER was not killed after $i requests: $(tail -n 12 "$OW_LOG"; echo "-- the server's output:"; tail -n 6 "$T/oomwatch.out")"
}
