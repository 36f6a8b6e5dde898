#!/bin/sh
# Install a test peer that comes from PyPI, once per machine, into .peers/
# of the source tree (ignored by git), and print the path of the Python
# that runs it. Quick when it is already there; several tests may ask at
# once (the install is done under a lock).
#
# Usage: scripts/peers.sh moto
#   moto: moto's server (EC2, S3) in .peers/moto-venv; run it with
#   "$(scripts/peers.sh moto) -m moto.server -H 127.0.0.1 -p PORT".
#
# Exit status: 0 with the Python's path on stdout; 69 when the package
# index cannot be reached (tests skip then); 70 when the install failed
# otherwise; 71 when no Python venv can be
# made (scripts/install-deps.sh installs python3-venv); 64 for usage.
set -eu

MOTO_SPEC='moto[server]==5.0.28'

src=$(cd "$(dirname "$0")/.." && pwd)
[ $# -eq 1 ] || { echo "usage: scripts/peers.sh moto" >&2; exit 64; }
case $1 in
moto) spec=$MOTO_SPEC; dir=$src/.peers/moto-venv; probe='import moto.server, boto3' ;;
*) echo "peers: unknown peer '$1' (moto)" >&2; exit 64 ;;
esac

ready() {
	[ -x "$dir/bin/python" ] && [ "$(cat "$dir/.gf-spec" 2>/dev/null)" = "$spec" ]
}
if ready; then
	echo "$dir/bin/python"
	exit 0
fi

mkdir -p "$src/.peers"
exec 9>"$src/.peers/.lock"
flock 9
if ! ready; then
	py=/usr/bin/python3
	[ -x "$py" ] || py=$(command -v python3 || true)
	[ -n "$py" ] || { echo "peers: python3 not found" >&2; exit 71; }
	rm -rf "$dir"
	"$py" -m venv "$dir" >&2 || {
		echo "peers: cannot make a venv with $py (package python3-venv)" >&2
		rm -rf "$dir"
		exit 71
	}
	if ! "$dir/bin/python" -m pip install --disable-pip-version-check \
	    -q "$spec" >"$src/.peers/$1-install.log" 2>&1; then
		rm -rf "$dir"
		# Only an index that cannot be reached is a reason to skip.
		if grep -Eq 'NewConnectionError|ConnectTimeout|Name or service not known|Temporary failure in name resolution|No matching distribution|ProxyError' \
		    "$src/.peers/$1-install.log"; then
			echo "peers: the package index cannot be reached to install $spec" >&2
			exit 69
		fi
		echo "peers: cannot install $spec (see .peers/$1-install.log)" >&2
		exit 70
	fi
	"$dir/bin/python" -c "$probe" || { rm -rf "$dir"; exit 71; }
	echo "$spec" >"$dir/.gf-spec"
fi
echo "$dir/bin/python"
