#!/bin/sh
# 1050-mesh: 2,000 envelopes through xc-send and xc-fetch over a mesh of
# three nodes.  Three concurrent senders post them in batches to random
# entry nodes; every node gets all of them (propagation p50/p99 printed);
# three recipients, each fetching from another node, get each of theirs
# exactly once.  Then, with traffic: kill -9 of one node's innd and a
# restart while 200 more are posted; and one node stopped for 30 s while
# 200 more are posted and brought back: every envelope reaches every node
# afterwards with no new traffic (times printed), and the recipients get
# the new ones, once.  No node keeps a client's address or a handle.

# shellcheck source=t/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=t/net.sh
. "$root/t/net.sh"
net_need
need_delivery
plan 22

N=${XC_T1050_ENVELOPES:-2000}
K=200
parties alice bob carol dave
seal_for $((N + 2 * K)) envs bob carol dave || bail "xc-seal failed"
G=$(awk '{ print $3 }' envs/index | sort -u | paste -sd, -)
mkdir a b c
head -n "$N" envs/index > a/index
sed -n "$((N + 1)),$((N + K))p" envs/index > b/index
sed -n "$((N + K + 1)),$((N + 2 * K))p" envs/index > c/index
for p in a b c; do
	awk '{ print $2 }' "$p/index" | sort > "$p/ids"
	for f in $(awk '{ print $1 }' "$p/index"); do ln "envs/$f" "$p/$f"; done
	for r in bob carol dave; do
		awk -v r=$r '$4 == r { print $2 }' "$p/index" | sort > "$p/ids.$r"
	done
done

U1=nntp://127.0.50.2:11950 U2=nntp://127.0.50.3:11950 U3=nntp://127.0.50.4:11950
node_new m1 127.0.50.2:11950
node_new m2 127.0.50.3:11950
node_new m3 127.0.50.4:11950
ok "mesh peered" sh -c "$(cat <<SH
xc-node peer $(node_dir m1) 127.0.50.3:11950 && xc-node peer $(node_dir m2) 127.0.50.2:11950 &&
xc-node peer $(node_dir m1) 127.0.50.4:11950 && xc-node peer $(node_dir m3) 127.0.50.2:11950 &&
xc-node peer $(node_dir m2) 127.0.50.4:11950 && xc-node peer $(node_dir m3) 127.0.50.3:11950
SH
)"
sleep 2

# fetched HOME URL PHASE: xc-fetch into HOME from URL; its paths in
# fetch.HOME.PHASE.
fetched() {
	xc-fetch --home "$1" --server "$2" > "fetch.$1.$3" 2> "fetch.$1.$3.err"
}

# ---- 1. N envelopes, three senders, random entries ----
watch_nodes "$N" "$G" "$U1" "$U2" "$U3"
t0=$(date +%s%N)
send_random a 3 "$U1" "$U2" "$U3"
send_wait
secs=$((($(date +%s%N) - t0) / 1000000))
watched 3
is "$(cat send.*/outbox/new/* 2>/dev/null | wc -c | tr -d ' ')" 0 "every outbox is empty"
for u in "$U1" "$U2" "$U3"; do
	is "$(node_has "$u" "$G" a/ids)" "$N" "$u has all $N envelopes"
done
diag "mesh of 3, $N envelopes from 3 concurrent xc-sends to random entries in $secs ms:" \
    "propagation p50 $(percentile 50 lat) ms, p99 $(percentile 99 lat) ms (n=$(wc -l < lat | tr -d ' '))"
fetched bob "$U1" 1 && fetched carol "$U2" 1 && fetched dave "$U3" 1
ok "three recipients fetched, from m1, m2 and m3" test $? -eq 0
for r in bob carol dave; do
	is "$(inbox_ids $r | uniq -c | awk '$1 != 1' | wc -l | tr -d ' ')|$(inbox_ids $r | md5sum)" \
	    "0|$(md5sum < a/ids.$r)" "$r has each of his $(wc -l < a/ids.$r | tr -d ' ') once, and no other"
done

# ---- 2. kill -9 of m2's innd while 200 more are posted, a restart ----
watch_nodes "$K" "$G" "$U1" "$U2" "$U3"
send_random b 3 "$U1" "$U2" "$U3"
sleep 1
kill -9 "$(cat "$(node_dir m2)/run/innd.pid")"
sleep 2
ok "m2 restarted after kill -9" xc-node start "$(node_dir m2)"
send_wait
t0=$(date +%s%N)
watched 3
t=$((($(date +%s%N) - t0) / 1000000))
is "$(cat send.*/outbox/new/* 2>/dev/null | wc -c | tr -d ' ')" 0 "kill -9: every outbox is empty"
for u in "$U1" "$U2" "$U3"; do
	is "$(node_has "$u" "$G" b/ids)" "$K" "kill -9: $u has all $K"
done
diag "kill -9 of m2's innd while $K were posted, a restart: every node had all of them $t ms after the last xc-send"

# ---- 3. m3 stopped for 30 s while 200 more are posted ----
ok "m3 stopped" xc-node stop "$(node_dir m3)"
s0=$(date +%s)
send_random c 3 "$U1" "$U2"
send_wait
sleep $((30 - ($(date +%s) - s0)))
ok "m3 started again after 30 s" xc-node start "$(node_dir m3)"
t0=$(date +%s%N)
_end=$(($(date +%s) + 120))
while [ "$(node_has "$U3" "$G" c/ids)" -lt "$K" ] && [ "$(date +%s)" -lt "$_end" ]; do
	sleep 0.5
done
t=$((($(date +%s%N) - t0) / 1000000))
is "$(node_has "$U3" "$G" c/ids)" "$K" "after 30 s down: m3 has all $K without new traffic"
diag "m3 down for 30 s while $K were posted elsewhere: it had all of them $t ms after its start"

# ---- 4. the recipients again: the new ones, once ----
fetched bob "$U2" 2 && fetched carol "$U3" 2 && fetched dave "$U3" 2
ok "three recipients fetched again" test $? -eq 0
for r in bob carol dave; do
	sort -m a/ids.$r b/ids.$r c/ids.$r > all.$r
	is "$(inbox_ids $r | uniq -c | awk '$1 != 1' | wc -l | tr -d ' ')|$(inbox_ids $r | md5sum)|$(wc -l < fetch.$r.2 | tr -d ' ')" \
	    "0|$(sort all.$r | md5sum)|$(($(wc -l < b/ids.$r) + $(wc -l < c/ids.$r)))" \
	    "$r has every one of his once, and this run printed only the new ones"
done
# The clients came from 127.0.0.1; no node kept it, nor a handle.
is "$(grep -rlIE '127\.0\.0\.1|@(alice|bob|carol|dave)|"(alice|bob|carol|dave)"' \
    "$(node_dir m1)" "$(node_dir m2)" "$(node_dir m3)" 2>/dev/null)" "" \
    "the nodes' spools, overview, history and logs hold no client address and no handle"
done_testing
