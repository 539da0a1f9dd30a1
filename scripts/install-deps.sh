#!/bin/sh
# Install the Debian packages oomwatch builds, tests and demos with.
# Idempotent: installs only what is missing, and runs `apt-get update`
# only when something is. Set OOMWATCH_DEPS=minimal to skip the packages
# used only by the wider checks (fuzzing, benchmarks, the cgroup v2 VM);
# OOMWATCH_DEPS=bench adds what scripts/bench-diff.sh needs on top.
set -eu

core="build-essential pkg-config libjemalloc-dev libjemalloc2 libcgroup-dev libinih-dev
libdw-dev libelf-dev zlib1g-dev libmicrohttpd-dev check curl jq yq strace graphviz binutils xz-utils
python3 python3-dbg python3-gunicorn postgresql libc6-dbg debuginfod"
# chromium: the browser tests (tests/browser/, part of make test)
wide="clang libclang-rt-14-dev wrk earlyoom qemu-system-x86 busybox-static cpio hyperfine golang-go prometheus chromium"

# only for scripts/bench-diff.sh (the clang-14 case and llvm-symbolizer-14):
# OOMWATCH_DEPS=bench adds them
bench="clang-14 llvm-14"

want="$core"
case ${OOMWATCH_DEPS:-full} in
minimal) ;;
bench) want="$want $wide $bench" ;;
*) want="$want $wide" ;;
esac

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
