#!/bin/sh
# Install the Debian packages oomwatch builds, tests and demos with.
# Idempotent: installs only what is missing, and runs `apt-get update`
# only when something is. Set OOMWATCH_DEPS=minimal to skip the packages
# used only by the wider checks (fuzzing, benchmarks, the cgroup v2 VM).
set -eu

core="build-essential pkg-config libjemalloc-dev libjemalloc2 libcgroup-dev libinih-dev
libdw-dev libelf-dev libmicrohttpd-dev check curl jq graphviz binutils"
wide="clang libclang-rt-14-dev wrk qemu-system-x86 busybox-static cpio hyperfine"

want="$core"
[ "${OOMWATCH_DEPS:-full}" = minimal ] || want="$want $wide"

missing=""
for p in $want; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing="$missing $p"
done

if [ -z "$missing" ]; then
	exit 0
fi

echo "install-deps: missing Debian packages:$missing" >&2
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: not root; run as root:" >&2
	echo "  apt-get update && apt-get install -y --no-install-recommends$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "install-deps: installed:$missing" >&2
