#!/bin/bash
# SIGTERM and SIGINT stop leaky-server cleanly: exit status 0 within 2 s,
# also with a filled cache and an idle keep-alive connection open.
. "$(dirname "$0")/lib.sh"

for sig in TERM INT; do
        start_leaky
        curl -sf --max-time 10 -o /dev/null "$LEAKY_URL/cache?mb=8" || fail "GET /cache failed"
        exec 3<>"/dev/tcp/127.0.0.1/$LEAKY_PORT" || fail "cannot connect"
        t0=$(date +%s%N)
        WAIT_TIMEOUT=5 stop_leaky "$sig" || fail "SIG$sig: not gone within 5 s, killed"
        ms=$((($(date +%s%N) - t0) / 1000000))
        exec 3>&-
        assert_eq "$LEAKY_STATUS" 0 "exit status after SIG$sig"
        assert_le "$ms" 2000 "milliseconds to exit after SIG$sig"
        grep -q "SIG$sig received, shutting down" "$LEAKY_LOG" || fail "no shutdown line"
        echo "SIG$sig: exit 0 after $ms ms"
done
