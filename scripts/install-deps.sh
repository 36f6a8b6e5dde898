#!/bin/sh
# Install the Debian packages gf needs, and only those that are missing.
# Usage: scripts/install-deps.sh [build|check|demo|bench|fuzz]...   (default: check)
# Idempotent: with everything present it runs no apt-get at all.
set -eu

build_pkgs="build-essential pkg-config libcurl4-openssl-dev libjansson-dev
libyaml-dev libarchive-dev libgit2-dev libssh2-1-dev libexpat1-dev"
check_pkgs="$build_pkgs perl jq zstd mandoc libxml2-utils prometheus
prometheus-node-exporter stress-ng git lighttpd openssh-server
openssh-client procps iproute2 util-linux sudo tar gzip python3 python3-pandas
lighttpd-mod-openssl openssl python3-venv"
demo_pkgs="$build_pkgs prometheus prometheus-node-exporter stress-ng git jq
zstd procps"
bench_pkgs="$check_pkgs hyperfine python3 python3-numpy python3-pandas
python3-sklearn python3-xgboost"
fuzz_pkgs="$build_pkgs clang libclang-rt-14-dev"

[ $# -gt 0 ] || set -- check
want=""
for set_name in "$@"; do
	case $set_name in
	build) want="$want $build_pkgs" ;;
	check) want="$want $check_pkgs" ;;
	demo) want="$want $demo_pkgs" ;;
	bench) want="$want $bench_pkgs" ;;
	fuzz) want="$want $fuzz_pkgs" ;;
	*) echo "install-deps: unknown set '$set_name' (build, check, demo, bench, fuzz)" >&2; exit 64 ;;
	esac
done

missing=""
for p in $(printf '%s\n' $want | sort -u); do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$status" = installed ] || missing="$missing $p"
done
[ -n "$missing" ] || exit 0

if [ "$(id -u)" -eq 0 ]; then
	sudo=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
	sudo="sudo -n"
else
	echo "install-deps: missing Debian packages:$missing" >&2
	echo "install-deps: run as root, or give this user password-less sudo, or install them yourself" >&2
	exit 77
fi

echo "install-deps: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# Debian's prometheus packages start a service on 0.0.0.0 where systemd runs;
# gf starts its own instances on loopback, so keep the packaged ones stopped.
policy_added=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
	$sudo chmod 755 /usr/sbin/policy-rc.d
	policy_added=1
fi
trap '[ -z "$policy_added" ] || $sudo rm -f /usr/sbin/policy-rc.d' EXIT
# An old package list may not know today's versions: refresh once, then retry.
if ! $sudo apt-get install -y -q --no-install-recommends $missing >&2; then
	$sudo apt-get update -q >&2
	$sudo apt-get install -y -q --no-install-recommends $missing >&2
fi
