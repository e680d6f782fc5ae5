#!/bin/sh
# demo-network.sh - the README's second demo (`make demo-network`): three
# xc nodes (INN2 news servers made by xc-node) on loopback, peered in a
# mesh; alice posts to the first, the envelope floods to the others, bob
# fetches from the third, opens and replies there, alice fetches the reply
# from the first.  Needs root (innd runs as news) and Debian's inn2; says
# so and exits 0 without them.  The nodes are stopped at the end, however
# it ends.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${XC_BIN:-$root/bin}
PATH=$bin:$PATH
export PATH
why=
[ "$(id -u)" -eq 0 ] || why="it needs root (the nodes' innd runs as the user news)"
[ -x /usr/lib/news/bin/innd ] || why="it needs Debian's inn2 (sh .ci/deps installs it)"
if [ -n "$why" ]; then
	echo "demo-network: skipped: $why"
	exit 0
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/xc-demo-network.XXXXXX")
chmod 755 "$dir"	# the nodes' files belong to news
nodes=
stop_nodes() {
	for n in $nodes; do
		xc-node stop "$dir/$n" > /dev/null 2>&1 || :
		for f in run/xc-node.pid run/innd.pid run/innfeed.pid; do
			p=$(cat "$dir/$n/$f" 2>/dev/null || :)
			case $p in ''|*[!0-9]*) ;; *) kill -9 "$p" 2>/dev/null || : ;; esac
		done
	done
	rm -rf "$dir"
}
trap stop_nodes EXIT
trap 'exit 130' INT TERM HUP
A=$dir/alice B=$dir/bob
exec 2>&1	# one stream, in the order things happen
step() { printf '\n== %s\n' "$*"; }
run() { printf '$ %s\n' "$*" | sed "s|$dir/||g" >&2; "$@"; }

step "1. three xc nodes on loopback, each an INN2 instance in its own directory"
for i in 1 2 3; do
	nodes="$nodes n$i"
	run xc-node init "$dir/n$i" --listen "127.0.90.$((i + 1)):11990" --name "n$i"
	run xc-node start "$dir/n$i"
done

step "2. peered in a mesh: each feeds the others what it takes (innfeed)"
for i in 1 2 3; do
	for j in 1 2 3; do
		[ "$i" = "$j" ] || run xc-node peer "$dir/n$i" "127.0.90.$((j + 1)):11990"
	done
done
sleep 1

step "3. two identities; alice uses n1, bob uses n3 (a 'server' line in each config)"
run xc-keygen --home "$A" @alice > "$dir/alice.card"
run xc-keygen --home "$B" @bob > "$dir/bob.card"
run xc-verify --home "$A" --import "$dir/bob.card"
run xc-verify --home "$B" --import "$dir/alice.card"
# Each has a config of their own (~/.config/xc/config, here under
# XDG_CONFIG_HOME); the user's own is never read.
AC=$dir/alice-config BC=$dir/bob-config
mkdir -p "$AC/xc" "$BC/xc"
echo "server nntp://127.0.90.2:11990" > "$AC/xc/config"
echo "server nntp://127.0.90.4:11990" > "$BC/xc/config"
echo "alice's ~/.config/xc/config: $(cat "$AC/xc/config")"
echo "bob's ~/.config/xc/config:   $(cat "$BC/xc/config")"

step "4. alice seals to @bob and posts to n1 (with proof-of-work, 2 h expiry)"
echo "$ echo 'disk 91% on db1' | xc-seal -r @bob --ttl 2h | xc-send"
id=$(echo 'disk 91% on db1' | xc-seal --home "$A" -r @bob --ttl 2h |
	XDG_CONFIG_HOME=$AC xc-send --home "$A")
echo "envelope id: $id"
echo "the article n1 holds (headers; the body is the envelope's age armor):"
art=$(find "$dir/n1/spool/articles" -type f | head -n 1)
tr -d '\r' < "$art" | sed -n '1,/^$/p' | sed 's/^/  /'

step "5. it floods to n2 and n3: bob fetches from n3 and opens"
t=0
until [ -n "$(find "$dir/n3/spool/articles" -type f 2>/dev/null)" ] || [ $t -ge 100 ]; do
	sleep 0.1
	t=$((t + 1))
done
echo "on n3 within $(((t + 1) * 100)) ms"
echo "$ xc-fetch | xc-open"
XDG_CONFIG_HOME=$BC xc-fetch --home "$B" | xc-open --home "$B"

step "6. bob replies through n3; alice fetches the reply from n1"
echo "$ echo 'on it' | xc-seal -r @alice --ttl 2h | xc-send"
echo 'on it, cleaning /var/log' | xc-seal --home "$B" -r @alice --ttl 2h |
	XDG_CONFIG_HOME=$BC xc-send --home "$B" > /dev/null
got=
t=0
while [ -z "$got" ] && [ $t -lt 50 ]; do
	got=$(XDG_CONFIG_HOME=$AC xc-fetch --home "$A")
	[ -n "$got" ] || sleep 0.2
	t=$((t + 1))
done
echo "$ xc-fetch | xc-open --json"
echo "$got" | xc-open --home "$A" --json

step "7. fetching again finds nothing new (a cursor per server and group)"
echo "$ xc-fetch"
[ -z "$(XDG_CONFIG_HOME=$BC xc-fetch --home "$B")" ]
echo "(nothing)"

printf '\ndemo-network: ok\n'
