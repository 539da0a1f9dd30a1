#!/bin/sh
# The Debian packages `make test-browser` needs on top of install-deps.sh's:
# Chromium (run headless) and zlib's headers (the test's PNG reader,
# tests/browser/pngstat.c). Kept out of the default deps on purpose.
# Idempotent: does nothing when both are installed; apt only for the missing.
set -eu

missing=$(for p in chromium zlib1g-dev; do
	dpkg-query -W -f='${db:Status-Status}\n' "$p" 2>/dev/null | grep -qx installed || printf ' %s' "$p"
done)
[ -n "$missing" ] || exit 0

echo "install-browser: missing:$missing" >&2
[ "$(id -u)" = 0 ] || {
	echo "install-browser: run as root: apt-get update && apt-get install -y --no-install-recommends$missing" >&2
	exit 1
}
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "install-browser: installed:$missing" >&2
