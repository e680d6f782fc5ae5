# t/net.sh: sourced by the network tests (t/10xx-*.t) after lib.sh.
#
# Nodes are INN2 instances made by xc-node in $tmp/nodes (made readable by
# the user news, who runs them), on 127.0.0.0/8, and stopped when the test
# ends, however it ends: `xc-node stop`, then SIGKILL by pid for anything
# left (innd, innfeed, the scheduler).  Tests that need nodes skip when
# not run as root or without inn2.
#
# net_need; node_new NAME ADDR:PORT; node_dir NAME; post URL FILE...;
# seal_envs N DIR (N envelopes to @bob, 2 h expiry); seal_next (one more,
# m$seal_n.age, its id in $id); env_group FILE;
# net_bg CMD... (a helper server, stopped with the nodes); wait_port ADDR
# PORT; NNTP_TOOL; hostile_start MODE / hostile_stop (t/hostile-nntp.py on
# 127.0.0.1).

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
	# Node addresses and ports are fixed per test, so two trees running
	# their network tests at once would take each other's: one at a time
	# on this machine (a lock on innd's own file, which leaves nothing
	# behind; released when the test exits).
	exec 9</usr/lib/news/bin/innd
	flock 9
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

# net_bg CMD...: runs CMD in the background, killed by net_stop_all (the
# test's proxies and helper servers); its pid in $bg_pid.
_bg=
net_bg() {
	"$@" &
	bg_pid=$!
	_bg="$_bg $bg_pid"
}

# wait_port ADDR PORT: until something listens there (10 s at most).
wait_port() {
	python3 -c '
import socket, sys, time
for i in range(200):
    try:
        socket.create_connection((sys.argv[1], int(sys.argv[2])), 1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)' "$1" "$2"
}

net_stop_all() {
	for _p in $_bg; do
		kill "$_p" 2>/dev/null
		wait "$_p" 2>/dev/null
	done
	for _n in $_nodes; do
		_d=$tmp/nodes/$_n
		[ -d "$_d" ] || continue
		xc-node stop "$_d" >/dev/null 2>&1
		for _f in run/xc-node.pid run/innd.pid run/innfeed.pid \
		    run/nnrpd*.pid; do
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

# seal_next: a new envelope from @alice (keyring alice) to @bob in
# m$seal_n.age, its id in $id.
seal_n=0
seal_next() {
	seal_n=$((seal_n + 1))
	echo "letter $seal_n" | xc-seal --home alice -r @bob --ttl 2h \
	    -o "m$seal_n.age" || bail "xc-seal"
	id=$(envid "m$seal_n.age")
}

# make_ids: @alice and @bob in $XC_HOME.
make_ids() {
	xc-keygen @alice >/dev/null 2>&1 && xc-keygen @bob >/dev/null 2>&1
}

# env_group FILE: the group (xc.b.XX) of an envelope's first tag.
env_group() {
	python3 -c '
import base64, sys
d = open(sys.argv[1], "rb").read().split(b"\n")
i = [k for k, l in enumerate(d) if l.startswith(b"-> xc-route")][0]
t = base64.b64decode(d[i + 1] + b"=" * (-len(d[i + 1]) % 4))
print("xc.b.%02x" % t[0])' "$1"
}

# percentile P FILE: the P-th percentile of the numbers in FILE.
percentile() {
	sort -n "$2" | awk -v p="$1" '{ v[NR] = $1 }
	    END { i = int(NR * p / 100 + 0.999); if (i < 1) i = 1; print v[i] }'
}

# ---- through xc-send and xc-fetch (t/1040-t/1099) ----
# seal_for N DIR NAME...: N envelopes from @alice (keyring alice, see
# parties in lib.sh) with a 2 h expiry, the i-th to the (i mod k)-th NAME;
# then DIR/index holds "FILE ID GROUP NAME" per envelope and DIR/ids.NAME
# the sorted ids of each NAME.
seal_for() {
	_n=$1 _dir=$2
	shift 2
	mkdir -p "$_dir"
	: > "$_dir/who"
	_i=0
	while [ "$_i" -lt "$_n" ]; do
		_k=$((_i % $#))
		_to=$(eval "echo \${$((_k + 1))}")
		echo "letter $_i to $_to" | xc-seal --home alice -r "@$_to" \
		    --ttl 2h -o "$_dir/e$_i.age" || return 1
		echo "e$_i.age $_to" >> "$_dir/who"
		_i=$((_i + 1))
	done
	python3 - "$_dir" <<'PY' || return 1
import base64, hashlib, os, sys
d = sys.argv[1]
with open(os.path.join(d, 'index'), 'w') as ix:
    for line in open(os.path.join(d, 'who')):
        f, to = line.split()
        b = open(os.path.join(d, f), 'rb').read()
        lines = b.split(b'\n')
        k = [i for i, l in enumerate(lines) if l.startswith(b'-> xc-route')][0]
        body = lines[k + 1]
        tag = base64.b64decode(body + b'=' * (-len(body) % 4))
        ix.write('%s %s xc.b.%02x %s\n' % (f, hashlib.blake2b(b, digest_size=32).hexdigest(), tag[0], to))
PY
	for _to; do
		awk -v t="$_to" '$4 == t { print $2 }' "$_dir/index" | sort > "$_dir/ids.$_to"
	done
}

# send_random DIR SENDERS ENTRY_URL...: starts SENDERS concurrent senders
# (keyrings send.1...) of the envelopes of DIR/index, in batches of 20
# files, each batch to a random entry; what a batch could not deliver
# stays in that sender's outbox and goes with its next batch.  Each ends
# with xc-send --flush to every entry until its outbox is empty (60
# tries).  send_wait waits for them.
send_random() {
	_dir=$1 _ns=$2
	shift 2
	XC_ENTRIES="$*"
	export XC_ENTRIES
	: > senders.pids
	_s=1
	while [ "$_s" -le "$_ns" ]; do
		(
			awk -v s="$_s" -v n="$_ns" '(NR - 1) % n == s - 1 {
			    print d "/" $1 }' d="$_dir" "$_dir/index" |
			    xargs -n 20 sh -c 'xc-send --home "$0" --server \
				"$(shuf -n 1 -e $XC_ENTRIES)" "$@" >/dev/null 2>&1; :' \
				"send.$_s"
			_t=0
			_all=
			for _u in $XC_ENTRIES; do _all="$_all --server $_u"; done
			while [ "$(ls "send.$_s/outbox/new" 2>/dev/null | wc -l)" -gt 0 ] &&
			    [ "$_t" -lt 60 ]; do
				# shellcheck disable=SC2086
				xc-send --home "send.$_s" --flush $_all >/dev/null 2>&1 ||
				    sleep 1
				_t=$((_t + 1))
			done
		) &
		echo $! >> senders.pids
		_s=$((_s + 1))
	done
}
send_wait() {
	for _p in $(cat senders.pids); do
		wait "$_p"
	done
}

# watch_nodes N GROUPS URL...: a watcher per node (nntp-tool watch, 300 s)
# of the N envelopes to come in GROUPS (comma-separated), writing
# watch.K ("ID MS" lines); returns once each is ready.
watch_nodes() {
	_wn=$1 _wg=$2
	shift 2
	_w=0
	for _u; do
		_w=$((_w + 1))
		"$NNTP_TOOL" watch "$_u" "$_wg" "$_wn" 300 > "watch.$_w" 2>/dev/null &
		echo $! > "watch.$_w.pid"
	done
	_i=1
	while [ "$_i" -le "$_w" ]; do
		until grep -q ready "watch.$_i" 2>/dev/null; do sleep 0.05; done
		_i=$((_i + 1))
	done
}

# watched K: waits for the K watchers; then lat holds, per envelope and
# node, the ms from its first arrival anywhere (its entry node) to its
# arrival there, the entry's own zero left out.
watched() {
	_i=1
	while [ "$_i" -le "$1" ]; do
		wait "$(cat "watch.$_i.pid")"
		_i=$((_i + 1))
	done
	cat $(seq -f 'watch.%g' 1 "$1") | awk '$1 != "ready" {
	    n[$1]++; t[$1, n[$1]] = $2
	    if (!($1 in m) || $2 < m[$1]) m[$1] = $2 }
	    END { for (id in n) { z = 0
	        for (k = 1; k <= n[id]; k++) {
	            d = t[id, k] - m[id]
	            if (d == 0 && !z) { z = 1; continue }
	            print d } } }' | sort -n > lat
}

# node_has URL GROUPS IDSFILE: how many of the ids the node lists in GROUPS.
node_has() {
	for _g in $(echo "$2" | tr , ' '); do
		"$NNTP_TOOL" list "$1" "$_g" 0 2>/dev/null | cut -d' ' -f2
	done | grep -Fxf "$3" | sort -u | wc -l | tr -d ' '
}

# inbox_ids HOME: the sorted ids of the envelopes in HOME's inbox.
inbox_ids() {
	ls "$1/inbox/new" "$1/inbox/cur" 2>/dev/null | grep -E '^[0-9a-f]{64}-' |
	    cut -c1-64 | sort
}

# hostile_start MODE: t/hostile-nntp.py serving MODE on 127.0.0.1, one
# connection; sets hostile_url.  hostile_stop ends it.
hostile_start() {
	rm -f port
	python3 "$root/t/hostile-nntp.py" "$1" port &
	_hostile_pid=$!
	while ! [ -s port ]; do sleep 0.05; done
	hostile_url=nntp://127.0.0.1:$(cat port)
}
hostile_stop() {
	kill "$_hostile_pid" 2>/dev/null
	wait "$_hostile_pid" 2>/dev/null
}
