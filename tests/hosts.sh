#!/bin/sh
# Test hosts: N small machines on this one for the tests of remote work
# (ssh, sudo, files under /etc), up in well under a second each and
# removed completely, also after a test that died. Needs root, iproute2's
# ip netns, unshare/nsenter, overlayfs, OpenSSH's sshd and sudo.
#
#	. "$GF_SRC/tests/lib.sh"
#	. "$GF_SRC/tests/hosts.sh"
#	hosts_can_run || skip_all "$HOSTS_SKIP"
#	hosts_up 3 "$TEST_DIR/hosts" || { echo "Bail out! $HOSTS_ERR"; exit 1; }
#	ssh -F "$HOSTS_DIR/ssh_config" gfh1 sudo -n true    # or hosts_ssh gfh1 ...
#	hosts_cut gfh2; hosts_heal gfh2; hosts_kill gfh3
#	hosts_exec gfh1 CMD...      # as root inside the host
#	hosts_addr gfh1; hosts_down
#
# hosts_up sets HOSTS_DIR, HOSTS_ID, HOSTS_NET (198.18.k), HOSTS_NAMES
# ("gfh1 gfh2 gfh3") and HOSTS_UP_MS (how long it took), or HOSTS_ERR. At
# exit every harness the test's shell owns is removed, then lib.sh's
# test_cleanup runs (a test's own EXIT trap must call hosts_at_exit).
# By hand, as root:
#	sh tests/hosts.sh up 3 /tmp/h && ssh -F /tmp/h/ssh_config gfh1
#	sh tests/hosts.sh cut|heal|kill gfh2 [/tmp/h]
#	HOSTS_DIR=/tmp/h sh tests/hosts.sh exec gfh1 CMD...
#	sh tests/hosts.sh down /tmp/h;  sh tests/hosts.sh sweep
# (without a DIR: $HOSTS_DIR, else the only harness there is).
#
# Host gfhK (K = 1..N, N <= 253) of a harness with id <id> (6 hex digits) is:
# - a network namespace gfhosts-<id>-gfhK whose eth0 is one end of a veth
#   pair; the other, gfv-<id>-K, is a port of the harness's bridge
#   gfbr-<id>. The harness takes a free 198.18.<k>.0/24 (198.18.0.0/15 is
#   set aside for network tests): the bridge is .1 on the runner, gfhK is
#   .(K+1). No other address and no default route anywhere, IPv6 off on
#   all of them: traffic stays between the runner and its hosts.
# - a mount and UTS namespace: hostname gfhK; /etc /var /usr /opt /home
#   /root /srv /run are overlays of the runner's whose upper layers are on
#   a tmpfs of the host's own, /tmp is a tmpfs: what a host writes is seen
#   by no other host nor the runner, and goes with the host. The runner's
#   /proc/mounts shows none of it (only the namespace's /run/netns entry).
# - a real sshd (/usr/sbin/sshd -D) on port 22 of its address, with its
#   config and host key in the host's /etc/ssh/gfhosts-<id>/ and its log in
#   DIR/gfhK/sshd.log; a login user gf (HOSTS_USER) with the harness's key
#   and sudo without a password.
# - held by a small shell (pid in DIR/gfhK/holder.pid, sshd's in sshd.pid)
#   that hosts_exec enters; not a child of the test's shell, so a bare
#   `wait` there does not wait for it. /proc/<holder>/root/... shows the
#   runner the host's files.
#
# DIR must be new or empty: it gets ssh_config (strict host key checking,
# the harness's names only), known_hosts (gfhK and its address),
# id_ed25519, hosts.env (the harness's settings) and a directory per host
# with its logs, and hosts_down removes it. cut takes the host's link down (silence: connects
# time out), heal brings it back, kill SIGKILLs every process in the host
# (connects are refused; with cut too it stops answering at all).
#
# Harnesses share only /run/gf-hosts: <id>/ (owner, dir) and the net-<k>
# claims (symlinks to <id>). The owner is the shell that sourced this file (or
# HOSTS_OWNER; by hand, the shell that ran `up`). Every hosts_up, and
# `sweep`, first removes the harnesses whose owner is gone, by name
# (gfhosts-<id>-*, gfbr-<id>, gfv-<id>-*) and by recorded PID, so that two
# test files in parallel never meet and a killed test leaves nothing.

HOSTS_RUN=${HOSTS_RUN:-/run/gf-hosts}
HOSTS_USER=${HOSTS_USER:-gf}
HOSTS_ID=${HOSTS_ID:-}
HOSTS_DIR=${HOSTS_DIR:-}
HOSTS_NET=${HOSTS_NET:-}
HOSTS_NAMES=${HOSTS_NAMES:-}
HOSTS_UP_MS=
HOSTS_SKIP=
HOSTS_ERR=
_hosts_cli=""
_hosts_idglob='[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'
case $0 in
*/hosts.sh | hosts.sh) _hosts_cli=1; : "${HOSTS_SH:=$0}" ;;
*) : "${HOSTS_SH:=${GF_SRC:-.}/tests/hosts.sh}" ;;
esac
case $HOSTS_SH in /*) ;; *) HOSTS_SH=$(pwd)/$HOSTS_SH ;; esac

# Field 22 of /proc/PID/stat, the start time: a pid with the same start
# time is the same process, not a later one that reused the number.
_hosts_starttime() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20; }
# PID START names a live process (a zombie is dead: only its entry is left).
_hosts_alive() {
	_ha_stat=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$_ha_stat" ] && [ "$(echo "$_ha_stat" | cut -d' ' -f20)" = "$2" ] &&
	    [ "${_ha_stat%% *}" != Z ]
}
_hosts_record() { echo "$1 $(_hosts_starttime "$1")" >"$2"; }	# PID FILE
# Whether the process recorded in FILE is still running.
hosts_recorded_alive() {	# FILE
	[ -s "$1" ] || return 1
	read -r _hr_pid _hr_start <"$1" && _hosts_alive "$_hr_pid" "$_hr_start"
}
_hosts_kill_recorded() {	# FILE
	hosts_recorded_alive "$1" && kill -9 "$_hr_pid" 2>/dev/null
	return 0
}

# SIGKILL every process in network namespace NS until none is left (a
# session may fork while we look).
_hosts_netns_kill() {	# NS
	_hk_i=0
	while _hk_pids=$(ip netns pids "$1" 2>/dev/null) && [ -n "$_hk_pids" ]; do
		kill -9 $_hk_pids 2>/dev/null
		_hk_i=$((_hk_i + 1))
		[ $_hk_i -lt 100 ] || return 1
		sleep 0.05
	done
	return 0
}

# Sets HOSTS_SKIP and returns 1 when test hosts cannot run here.
hosts_can_run() {
	HOSTS_SKIP=
	[ "$(id -u)" = 0 ] || { HOSTS_SKIP='test hosts need root'; return 1; }
	for _hc in ip unshare nsenter ssh ssh-keygen sudo; do
		command -v $_hc >/dev/null 2>&1 ||
		    { HOSTS_SKIP="test hosts need $_hc"; return 1; }
	done
	[ -x /usr/sbin/sshd ] || { HOSTS_SKIP='test hosts need /usr/sbin/sshd (openssh-server)'; return 1; }
	ip netns list >/dev/null 2>&1 || { HOSTS_SKIP='test hosts need ip netns'; return 1; }
	grep -qw overlay /proc/filesystems 2>/dev/null ||
	    modprobe overlay 2>/dev/null ||
	    { HOSTS_SKIP='test hosts need overlayfs'; return 1; }
	_hc_d=$(mktemp -d "${TMPDIR:-/tmp}/gfhosts-probe.XXXXXX") || {
		HOSTS_SKIP='test hosts need a temporary directory'; return 1; }
	unshare -m -u -n --propagation private sh -c '
		cd "$1" && mount -t tmpfs gfhosts-probe . && cd "$1" &&
		mkdir u w && mount -t overlay -o lowerdir=/etc,upperdir=u,workdir=w \
		    gfhosts-probe /etc && echo x >/etc/gfhosts-probe' sh "$_hc_d" \
	    >/dev/null 2>&1
	_hc_rc=$?
	rm -rf "$_hc_d"
	[ $_hc_rc -eq 0 ] || {
		HOSTS_SKIP='test hosts need mount namespaces and an overlay of /etc (unshare -m, mount -t overlay)'
		return 1
	}
	return 0
}

# Load DIR's settings (hosts.env) into HOSTS_*. Without DIR: HOSTS_DIR,
# else the only harness in /run/gf-hosts.
_hosts_use() {	# [DIR]
	_hu_dir=${1:-$HOSTS_DIR}
	if [ -z "$_hu_dir" ]; then
		for _hu_r in "$HOSTS_RUN"/$_hosts_idglob/dir; do
			[ -f "$_hu_r" ] || continue
			[ -z "$_hu_dir" ] || { HOSTS_ERR='several harnesses: name the DIR'; return 1; }
			_hu_dir=$(cat "$_hu_r")
		done
	fi
	[ -f "$_hu_dir/hosts.env" ] || { HOSTS_ERR="no harness in '$_hu_dir'"; return 1; }
	. "$_hu_dir/hosts.env"
}

# The index K of host gfhK of the current harness, or fail.
_hosts_index() {	# NAME
	case " $HOSTS_NAMES " in
	*" $1 "*) echo "${1#gfh}" ;;
	*) echo "hosts: no host '$1' in ${HOSTS_DIR:-the harness}" >&2; return 1 ;;
	esac
}
hosts_addr() { _ha_k=$(_hosts_index "$1") && echo "$HOSTS_NET.$((_ha_k + 1))"; }

# Take the host's link down: nothing reaches it and it reaches nothing.
hosts_cut() { _hc_k=$(_hosts_index "$1") && ip link set "gfv-$HOSTS_ID-$_hc_k" down; }
hosts_heal() { _hh_k=$(_hosts_index "$1") && ip link set "gfv-$HOSTS_ID-$_hh_k" up; }
# SIGKILL every process of the host (its sshd, sessions, anything started
# there): a crash. Its address stays, so connects are refused.
hosts_kill() {
	_hosts_index "$1" >/dev/null || return 1
	_hosts_netns_kill "gfhosts-$HOSTS_ID-$1"
	_hosts_kill_recorded "$HOSTS_DIR/$1/holder.pid"
	_hosts_kill_recorded "$HOSTS_DIR/$1/sshd.pid"
}
# Run a command as root in the host (its network, mounts and hostname).
hosts_exec() {	# NAME CMD...
	_hosts_index "$1" >/dev/null || return 1
	hosts_recorded_alive "$HOSTS_DIR/$1/holder.pid" ||
	    { echo "hosts: $1 is not running" >&2; return 1; }
	shift
	nsenter -t "$_hr_pid" -n -m -u -r -w -- "$@"
}
# ssh to a host as the login user, host key checked.
hosts_ssh() { ssh -F "$HOSTS_DIR/ssh_config" "$@"; }	# NAME CMD...

# An Ansible inventory (GreenFlow's hosts.yaml layout) of the hosts named,
# reached as HOSTS_USER with the harness's key; NAME=HOST gives host HOST
# (gfhK) that name in it, NAME@ROLE puts it in the children group ROLE.
hosts_inventory() {	# [NAME[=HOST][@ROLE]]...
	echo "all:"
	echo "  hosts:"
	for _hi in "$@"; do
		_hi_name=${_hi%@*}; _hi_host=${_hi_name#*=}; _hi_name=${_hi_name%=*}
		printf '    %s:\n      ansible_host: %s\n      ansible_user: %s\n' \
		    "$_hi_name" "$(hosts_addr "$_hi_host")" "$HOSTS_USER"
		printf '      ansible_ssh_private_key_file: %s\n' "$HOSTS_DIR/id_ed25519"
	done
	_hi_head="  children:"
	for _hi in "$@"; do
		case $_hi in *@*) ;; *) continue ;; esac
		_hi_name=${_hi%@*}; _hi_name=${_hi_name%=*}
		[ -n "$_hi_head" ] && echo "$_hi_head"; _hi_head=
		printf '    %s:\n      hosts:\n        %s:\n' "${_hi##*@}" "$_hi_name"
	done
}

# The hosts share the runner's PIDs; a process is on host NAME when it is
# in NAME's network namespace.
hosts_netns_of() { readlink "/proc/$1/ns/net" 2>/dev/null; }	# PID
hosts_netns() { hosts_netns_of "$(cut -d' ' -f1 "$HOSTS_DIR/$1/holder.pid")"; }	# NAME
hosts_runs_on() {	# NAME PID
	test -n "$2" && test "$(hosts_netns_of "$2")" = "$(hosts_netns "$1")"
}

# Remove everything of harness ID: processes (by namespace, then by the
# PIDs recorded in DIR), links, namespaces, claims. Leaves DIR.
_hosts_teardown() {	# ID [DIR]
	_ht_ns=$(ip netns list 2>/dev/null | sed 's/ .*//' | grep "^gfhosts-$1-")
	for _ht_n in $_ht_ns; do _hosts_netns_kill "$_ht_n"; done
	# Only a DIR that is still this harness's: a later one may use it.
	if [ -n "${2:-}" ] && grep -qx "HOSTS_ID=$1" "$2/hosts.env" 2>/dev/null; then
		for _ht_f in "$2"/*/holder.pid "$2"/*/sshd.pid; do
			[ -f "$_ht_f" ] && _hosts_kill_recorded "$_ht_f"
		done
	fi
	# Deleting the runner's end of a veth pair takes the host's end along.
	for _ht_l in $(ip -o link show 2>/dev/null | sed -n 's/^[0-9]*: \([^:@]*\).*/\1/p' |
	    grep -E "^(gfv-$1-[0-9]+|gfbr-$1)\$"); do
		ip link del "$_ht_l" 2>/dev/null
	done
	for _ht_n in $_ht_ns; do ip netns del "$_ht_n" 2>/dev/null; done
	for _ht_c in "$HOSTS_RUN"/net-*; do
		[ "$(readlink "$_ht_c" 2>/dev/null)" = "$1" ] && rm -f "$_ht_c"
	done
	rm -rf "${HOSTS_RUN:?}/$1"
	return 0
}

# Tear harness ID down and remove its DIR if DIR is still its own.
_hosts_remove() {	# ID DIR
	_hosts_teardown "$1" "$2"
	[ -n "$2" ] && grep -qx "HOSTS_ID=$1" "$2/hosts.env" 2>/dev/null && rm -rf "$2"
	return 0
}

# Remove the harnesses whose owner is gone, and names of harnesses with no
# entry in /run/gf-hosts at all.
hosts_sweep() {
	for _hs_r in "$HOSTS_RUN"/$_hosts_idglob; do
		[ -d "$_hs_r" ] && [ ! -L "$_hs_r" ] || continue
		_hs_id=$(basename "$_hs_r")
		if [ -s "$_hs_r/owner" ]; then
			read -r _hs_pid _hs_start <"$_hs_r/owner"
			_hosts_alive "$_hs_pid" "$_hs_start" && continue
		else
			# An entry is made before its owner is written: only an old
			# one without owner is a leftover.
			[ -n "$(find "$_hs_r" -maxdepth 0 -mmin +1 2>/dev/null)" ] || continue
		fi
		_hosts_remove "$_hs_id" "$(cat "$_hs_r/dir" 2>/dev/null)"
	done
	for _hs_id in $( { ip netns list 2>/dev/null | sed -n 's/^gfhosts-\([0-9a-f]\{6\}\)-.*/\1/p'
	    ip -o link show 2>/dev/null | sed -n 's/^[0-9]*: gf\(br\|v\)-\([0-9a-f]\{6\}\)[-:@].*/\2/p'
	    } | sort -u); do
		[ -d "$HOSTS_RUN/$_hs_id" ] || _hosts_teardown "$_hs_id"
	done
	for _hs_c in "$HOSTS_RUN"/net-*; do
		[ -L "$_hs_c" ] && [ ! -d "$HOSTS_RUN/$(readlink "$_hs_c")" ] && rm -f "$_hs_c"
	done
	return 0
}

# At the exit of the shell that sourced this file: remove every harness
# it owns (also those started by hand with HOSTS_OWNER=$$).
hosts_at_exit() {
	_hx_me="$$ $(_hosts_starttime $$)"
	for _hx_r in "$HOSTS_RUN"/$_hosts_idglob; do
		[ "$(cat "$_hx_r/owner" 2>/dev/null)" = "$_hx_me" ] || continue
		_hosts_remove "$(basename "$_hx_r")" "$(cat "$_hx_r/dir" 2>/dev/null)"
	done
	if command -v test_cleanup >/dev/null 2>&1; then test_cleanup; fi
}

# Start N hosts gfh1..gfhN with their files in DIR. Sets HOSTS_DIR,
# HOSTS_ID, HOSTS_NET (198.18.k), HOSTS_NAMES, HOSTS_UP_MS (the wall time
# it took); on failure HOSTS_ERR, with nothing left running.
hosts_up() {	# N DIR
	HOSTS_ERR=
	case ${1:-} in
	'' | *[!0-9]*) HOSTS_ERR="hosts_up: '${1:-}' is not a number of hosts"; return 1 ;;
	esac
	[ "$1" -ge 1 ] && [ "$1" -le 253 ] || { HOSTS_ERR='hosts_up: 1 to 253 hosts'; return 1; }
	_hu_t0=$(date +%s%N)
	mkdir -p "$2" && [ -z "$(ls -A "$2")" ] ||
	    { HOSTS_ERR="hosts_up: '$2' is not a new or empty directory"; return 1; }
	_hu_d=$(cd "$2" && pwd)
	mkdir -p -m 0700 "$HOSTS_RUN" || { HOSTS_ERR="hosts_up: cannot make $HOSTS_RUN"; return 1; }
	hosts_sweep

	_hu_i=0
	while :; do
		_hu_id=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
		mkdir "$HOSTS_RUN/$_hu_id" 2>/dev/null && break
		_hu_i=$((_hu_i + 1))
		[ $_hu_i -lt 100 ] || { HOSTS_ERR='hosts_up: no free id'; return 1; }
	done
	_hu_owner=${HOSTS_OWNER:-$$}
	echo "$_hu_d" >"$HOSTS_RUN/$_hu_id/dir"
	_hosts_record "$_hu_owner" "$HOSTS_RUN/$_hu_id/owner"
	# A /24 no one else has: claimed by an atomic symlink (-n: never one
	# inside the directory an existing claim points to), and not one
	# the runner already has an address or route in.
	_hu_k=1
	while [ $_hu_k -le 254 ]; do
		if ln -sn "$_hu_id" "$HOSTS_RUN/net-$_hu_k" 2>/dev/null; then
			[ -z "$(ip -4 -o addr show to "198.18.$_hu_k.0/24")$(ip -4 -o route show root "198.18.$_hu_k.0/24")" ] &&
			    break
			rm -f "$HOSTS_RUN/net-$_hu_k"
		fi
		_hu_k=$((_hu_k + 1))
	done
	[ $_hu_k -le 254 ] || {
		rm -rf "${HOSTS_RUN:?}/$_hu_id"
		HOSTS_ERR='hosts_up: no free /24 in 198.18.0.0/16'; return 1; }

	HOSTS_DIR=$_hu_d HOSTS_ID=$_hu_id HOSTS_NET=198.18.$_hu_k HOSTS_NAMES=
	_hu_i=1
	while [ $_hu_i -le "$1" ]; do
		HOSTS_NAMES="${HOSTS_NAMES:+$HOSTS_NAMES }gfh$_hu_i"
		_hu_i=$((_hu_i + 1))
	done
	printf 'HOSTS_DIR=%s\nHOSTS_ID=%s\nHOSTS_NET=%s\nHOSTS_NAMES="%s"\n' \
	    "$HOSTS_DIR" "$HOSTS_ID" "$HOSTS_NET" "$HOSTS_NAMES" >"$_hu_d/hosts.env"
	if [ -z "$_hosts_cli" ]; then
		trap hosts_at_exit EXIT
		command -v test_cleanup >/dev/null 2>&1 || trap 'exit 130' INT TERM
	fi

	_hosts_up_all "$@" || {
		_hosts_teardown "$HOSTS_ID" "$_hu_d"
		return 1
	}
	HOSTS_UP_MS=$(( ($(date +%s%N) - _hu_t0) / 1000000 ))
}

_hosts_up_all() {	# N DIR
	_hu_br=gfbr-$HOSTS_ID
	_hu_hosts=""
	ssh-keygen -q -t ed25519 -N '' -C "gfhosts-$HOSTS_ID" -f "$_hu_d/id_ed25519" ||
	    { HOSTS_ERR='hosts_up: ssh-keygen failed'; return 1; }
	{
		for _hu_h in $HOSTS_NAMES; do
			printf 'Host %s\n\tHostName %s\n' "$_hu_h" "$(hosts_addr "$_hu_h")"
			_hu_hosts="$_hu_hosts $_hu_h $(hosts_addr "$_hu_h")"
		done
		# Only the harness's names: a mistyped one is not looked up
		# anywhere else. The quicker key exchange first: tests open
		# many connections.
		printf 'Host %s\n' "$HOSTS_NAMES"
		printf '\t%s\n' "User $HOSTS_USER" "IdentityFile $_hu_d/id_ed25519" \
		    'IdentitiesOnly yes' "UserKnownHostsFile $_hu_d/known_hosts" \
		    'GlobalKnownHostsFile /dev/null' 'StrictHostKeyChecking yes' \
		    'CheckHostIP no' 'UpdateHostKeys no' 'BatchMode yes' \
		    'PasswordAuthentication no' 'ConnectTimeout 5' \
		    'KexAlgorithms curve25519-sha256,sntrup761x25519-sha512@openssh.com' \
		    'ControlMaster no' 'ControlPath none' 'LogLevel ERROR'
	} >"$_hu_d/ssh_config"
	: >"$_hu_d/known_hosts"
	for _hu_h in $HOSTS_NAMES; do
		mkdir -p "$_hu_d/$_hu_h/rw"
		: >"$_hu_d/$_hu_h/ready"
		ssh-keygen -q -t ed25519 -N '' -C "$_hu_h" -f "$_hu_d/$_hu_h/ssh_host_ed25519_key" ||
		    { HOSTS_ERR='hosts_up: ssh-keygen failed'; return 1; }
		echo "$_hu_h,$(hosts_addr "$_hu_h") $(cut -d' ' -f1,2 "$_hu_d/$_hu_h/ssh_host_ed25519_key.pub")" \
		    >>"$_hu_d/known_hosts"
	done

	{
		echo "link add $_hu_br type bridge"
		for _hu_h in $HOSTS_NAMES; do echo "netns add gfhosts-$HOSTS_ID-$_hu_h"; done
	} | ip -batch - || { HOSTS_ERR='hosts_up: cannot make the bridge or the namespaces'; return 1; }
	echo 1 >"/proc/sys/net/ipv6/conf/$_hu_br/disable_ipv6" 2>/dev/null
	{
		for _hu_h in $HOSTS_NAMES; do
			echo "link add gfv-$HOSTS_ID-${_hu_h#gfh} type veth peer name eth0 netns gfhosts-$HOSTS_ID-$_hu_h"
		done
	} | ip -batch - || { HOSTS_ERR='hosts_up: cannot make the links'; return 1; }
	for _hu_h in $HOSTS_NAMES; do
		echo 1 >"/proc/sys/net/ipv6/conf/gfv-$HOSTS_ID-${_hu_h#gfh}/disable_ipv6" 2>/dev/null
	done
	{
		echo "addr add $HOSTS_NET.1/24 dev $_hu_br"
		echo "link set $_hu_br up"
		for _hu_h in $HOSTS_NAMES; do
			echo "link set gfv-$HOSTS_ID-${_hu_h#gfh} master $_hu_br up"
		done
	} | ip -batch - || { HOSTS_ERR='hosts_up: cannot set the links up'; return 1; }

	# Each holder from a subshell that exits at once: not a child of the
	# test's shell, whose `wait` would wait for it.
	for _hu_h in $HOSTS_NAMES; do
		(
			ip netns exec "gfhosts-$HOSTS_ID-$_hu_h" unshare -m -u --propagation private \
			    sh "$HOSTS_SH" _host "$HOSTS_ID" "$_hu_h" "$(hosts_addr "$_hu_h")" \
			    "$_hu_d" "$HOSTS_USER" $_hu_hosts </dev/null >"$_hu_d/$_hu_h/setup.log" 2>&1 &
			_hosts_record $! "$_hu_d/$_hu_h/holder.pid"
		)
	done
	_hu_end=$(( $(date +%s) + 20 ))
	for _hu_h in $HOSTS_NAMES; do
		while [ ! -s "$_hu_d/$_hu_h/ready" ]; do
			if ! hosts_recorded_alive "$_hu_d/$_hu_h/holder.pid" ||
			    [ "$(date +%s)" -gt $_hu_end ]; then
				HOSTS_ERR="hosts_up: $_hu_h did not start: $(tail -n 5 "$_hu_d/$_hu_h/setup.log" "$_hu_d/$_hu_h/sshd.log" 2>&1)"
				return 1
			fi
			sleep 0.01
		done
	done
}

# Remove harness DIR completely (default: the current one).
hosts_down() {	# [DIR]
	_hosts_use "${1:-}" || return 1
	_hd_dir=$HOSTS_DIR
	_hosts_teardown "$HOSTS_ID" "$_hd_dir"
	rm -rf "$_hd_dir"
}

# Inside the host's namespaces (network from ip netns exec, mount and UTS
# from unshare): make it a machine, start its sshd, then hold the
# namespaces until killed. Runs as `sh hosts.sh _host ...`.
_hosts_host() {	# ID NAME ADDR DIR USER [NAME ADDR]...
	id=$1 name=$2 addr=$3 hd=$4/$2 key=$4/id_ed25519.pub user=$5
	shift 5
	fail() { echo "hosts: $name: $*" >&2; exit 1; }
	exec 3>"$hd/sshd.pid" 4>>"$hd/sshd.log" 5>"$hd/ready" || fail "cannot write in $hd"

	echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6 2>/dev/null
	echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6 2>/dev/null
	printf '%s\n' 'link set lo up' "addr add $addr/24 dev eth0" 'link set eth0 up' |
	    ip -batch - || fail 'cannot configure eth0'

	# The upper layers on a tmpfs of the host's own; from inside it, by
	# relative paths: overlaying the runner's directories may hide the
	# path of the harness's directory, never the working directory.
	mount -t tmpfs -o mode=0755 "gfhosts-$id-$name" "$hd/rw" && cd "$hd/rw" ||
	    fail 'cannot mount its tmpfs'
	for d in etc var usr opt home root srv run; do
		[ -d "/$d" ] && [ ! -L "/$d" ] || continue
		mkdir "$d" ".$d.work" &&
		    mount -t overlay -o "lowerdir=/$d,upperdir=$d,workdir=.$d.work" \
			"gfhosts-$id-$name-$d" "/$d" || fail "cannot overlay /$d"
	done

	echo "$name" >/proc/sys/kernel/hostname && echo "$name" >/etc/hostname ||
	    fail 'cannot set the hostname'
	{
		printf '127.0.0.1\tlocalhost\n'
		while [ $# -ge 2 ]; do printf '%s\t%s\n' "$2" "$1"; shift 2; done
	} >/etc/hosts

	if ! grep -q "^$user:" /etc/passwd; then
		uid=2000
		while grep -q "^[^:]*:[^:]*:$uid:" /etc/passwd /etc/group; do uid=$((uid + 1)); done
		echo "$user:x:$uid:$uid:test host user:/home/$user:/bin/sh" >>/etc/passwd &&
		    echo "$user:x:$uid:" >>/etc/group &&
		    echo "$user:*:19000:0:99999:7:::" >>/etc/shadow || fail "cannot add $user"
	fi
	home=$(awk -F: -v u="$user" '$1 == u { print $6 }' /etc/passwd)
	mkdir -p "$home/.ssh" && cp "$key" "$home/.ssh/authorized_keys" &&
	    chmod 700 "$home/.ssh" && chmod 600 "$home/.ssh/authorized_keys" &&
	    chown -R "$user:" "$home" || fail "cannot give $user its key"
	echo "$user ALL=(ALL:ALL) NOPASSWD: ALL" >/etc/sudoers.d/gfhosts &&
	    chmod 440 /etc/sudoers.d/gfhosts || fail 'cannot write sudoers'

	sd=/etc/ssh/gfhosts-$id
	mkdir -p "$sd" /run/sshd && chmod 755 /run/sshd &&
	    cp "$hd/ssh_host_ed25519_key" "$sd/" && chmod 600 "$sd/ssh_host_ed25519_key" ||
	    fail 'cannot install its host key'
	printf '%s\n' "ListenAddress $addr:22" 'PidFile none' \
	    'AuthorizedKeysFile .ssh/authorized_keys' 'PasswordAuthentication no' \
	    'KbdInteractiveAuthentication no' 'PermitRootLogin no' "AllowUsers $user" \
	    'UsePAM no' 'PrintMotd no' 'Subsystem sftp internal-sftp' \
	    >"$sd/sshd_config" || fail 'cannot write its sshd_config'

	mount -t tmpfs -o mode=1777,nosuid,nodev "gfhosts-$id-$name-tmp" /tmp ||
	    fail 'cannot mount /tmp'
	cd /
	/usr/sbin/sshd -D -e -f "$sd/sshd_config" -h "$sd/ssh_host_ed25519_key" \
	    </dev/null >&4 2>&4 &
	sshd=$!
	echo "$sshd $(_hosts_starttime $sshd)" >&3
	exec 3>&- 4>&-
	# Listening on port 22 (0x16) of this namespace.
	i=0
	while ! grep -q ':0016 00000000:0000 0A' /proc/net/tcp; do
		kill -0 $sshd 2>/dev/null || fail 'sshd exited: see sshd.log'
		i=$((i + 1))
		[ $i -lt 1000 ] || fail 'sshd does not listen'
		sleep 0.01
	done
	echo ready >&5
	exec 5>&-
	# Hold the namespaces; wait reaps sshd if it dies.
	trap 'kill $s 2>/dev/null; exit 0' TERM INT HUP
	while :; do
		sleep 3600 &
		s=$!
		wait $s
	done
}

_hosts_usage() {
	echo 'usage: sh tests/hosts.sh up N DIR | down [DIR] | cut|heal|kill NAME [DIR] | exec NAME CMD... | sweep' >&2
	echo '  (exec, and cut/heal/kill without DIR, use $HOSTS_DIR or the only harness)' >&2
	exit 64
}

if [ -n "$_hosts_cli" ]; then
	set -u
	[ $# -ge 1 ] || _hosts_usage
	_hc_cmd=$1
	shift
	case $_hc_cmd in
	_host) _hosts_host "$@" ;;
	up)
		[ $# -eq 2 ] || _hosts_usage
		hosts_can_run || { echo "hosts: $HOSTS_SKIP" >&2; exit 77; }
		: "${HOSTS_OWNER:=$PPID}"
		hosts_up "$1" "$2" || { echo "$HOSTS_ERR" >&2; exit 1; }
		echo "hosts: $HOSTS_NAMES up in $HOSTS_UP_MS ms on $HOSTS_NET.0/24 (id $HOSTS_ID)"
		echo "hosts: ssh -F $HOSTS_DIR/ssh_config gfh1; sh $HOSTS_SH down $HOSTS_DIR"
		;;
	down)
		[ $# -le 1 ] || _hosts_usage
		hosts_down "${1:-}" || { echo "hosts: $HOSTS_ERR" >&2; exit 1; }
		;;
	cut | heal | kill)
		[ $# -ge 1 ] && [ $# -le 2 ] || _hosts_usage
		_hosts_use "${2:-}" || { echo "hosts: $HOSTS_ERR" >&2; exit 1; }
		"hosts_$_hc_cmd" "$1"
		;;
	exec)
		[ $# -ge 2 ] || _hosts_usage
		_hosts_use || { echo "hosts: $HOSTS_ERR" >&2; exit 1; }
		hosts_exec "$@"
		;;
	sweep) hosts_sweep ;;
	*) _hosts_usage ;;
	esac
fi
