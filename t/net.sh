# t/net.sh: sourced by the network tests (t/10xx-*.t) after lib.sh.
#
# Nodes are INN2 instances made by xc-node in $tmp/nodes (made readable by
# the user news, who runs them), on 127.0.0.0/8, and stopped when the test
# ends, however it ends: `xc-node stop`, then SIGKILL by pid for anything
# left (innd, innfeed, the scheduler).  Tests that need nodes skip when
# not run as root or without inn2.
#
# net_need; node_new NAME ADDR:PORT; node_dir NAME; post URL FILE...;
# seal_envs N DIR (N envelopes to @bob, 2 h expiry); NNTP_TOOL.

NNTP_TOOL=${XC_NNTP_TOOL:-$root/t/nntp-tool}
_nodes=

net_need() {
	_why=
	[ "$(id -u)" -eq 0 ] || _why="nodes need root (innd runs as news)"
	[ -x /usr/lib/news/bin/innd ] || _why="inn2 is not installed (sh .ci/deps)"
	getent passwd news >/dev/null || _why="no user news"
	command -v python3 >/dev/null || _why="no python3"
	[ -x "$NNTP_TOOL" ] || _why="$NNTP_TOOL is missing: make check builds it"
	if [ -n "$_why" ]; then
		echo "1..0 # SKIP $_why"
		exit 0
	fi
	# shellcheck disable=SC2154 # $tmp is lib.sh's
	chmod 755 "$tmp"
	mkdir -p "$tmp/nodes"
	trap 'net_stop_all; rm -rf "$tmp"' EXIT
}

node_dir() {
	echo "$tmp/nodes/$1"
}

# node_new NAME ADDR:PORT [init options]: init and start.
node_new() {
	_n=$1
	_l=$2
	shift 2
	_nodes="$_nodes $_n"
	xc-node init "$tmp/nodes/$_n" --listen "$_l" --name "$_n" "$@" >/dev/null &&
	    xc-node start "$tmp/nodes/$_n" >/dev/null
}

_kill_pidfile() {
	[ -s "$1" ] || return 0
	_p=$(cat "$1")
	case $_p in *[!0-9]*|'') return 0 ;; esac
	kill -9 "$_p" 2>/dev/null
	return 0
}

net_stop_all() {
	for _n in $_nodes; do
		_d=$tmp/nodes/$_n
		[ -d "$_d" ] || continue
		xc-node stop "$_d" >/dev/null 2>&1
		for _f in run/xc-node.pid run/innd.pid run/innfeed.pid; do
			_kill_pidfile "$_d/$_f"
		done
	done
}

# seal_envs N DIR: N envelopes from @alice to @bob with a 2 h expiry.
seal_envs() {
	mkdir -p "$2"
	_i=0
	while [ "$_i" -lt "$1" ]; do
		echo "letter $_i" | xc-seal -u @alice -r @bob --ttl 2h \
		    -o "$2/e$_i.age" || return 1
		_i=$((_i + 1))
	done
}

# make_ids: @alice and @bob in $XC_HOME.
make_ids() {
	xc-keygen @alice >/dev/null 2>&1 && xc-keygen @bob >/dev/null 2>&1
}

# percentile P FILE: the P-th percentile of the numbers in FILE.
percentile() {
	sort -n "$2" | awk -v p="$1" '{ v[NR] = $1 }
	    END { i = int(NR * p / 100 + 0.999); if (i < 1) i = 1; print v[i] }'
}
