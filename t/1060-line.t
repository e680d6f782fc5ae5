#!/bin/sh
# 1060-line: 2,000 envelopes through xc-send and xc-fetch over five nodes
# in a line (l1 - l2 - l3 - l4 - l5: four hops end to end).  Three
# concurrent senders post them in batches to random entry nodes; every
# node gets all of them (propagation p50/p99 printed); three recipients
# fetching from l1, l3 and l5 get each of theirs exactly once, and a
# second run of each fetches nothing.

# shellcheck source=t/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=t/net.sh
. "$root/t/net.sh"
net_need
need_delivery
plan 12

N=${XC_T1060_ENVELOPES:-2000}
parties alice bob carol dave
seal_for "$N" a bob carol dave || bail "xc-seal failed"
G=$(awk '{ print $3 }' a/index | sort -u | paste -sd, -)
awk '{ print $2 }' a/index | sort > a/ids

n=1
while [ $n -le 5 ]; do
	node_new l$n 127.0.60.$((n + 1)):11960
	n=$((n + 1))
done
n=1
peered=0
while [ $n -lt 5 ]; do
	xc-node peer "$(node_dir l$n)" 127.0.60.$((n + 2)):11960 >/dev/null &&
	    xc-node peer "$(node_dir l$((n + 1)))" 127.0.60.$((n + 1)):11960 >/dev/null ||
	    peered=1
	n=$((n + 1))
done
is "$peered" 0 "five nodes peered in a line"
sleep 2
U="nntp://127.0.60.2:11960 nntp://127.0.60.3:11960 nntp://127.0.60.4:11960 nntp://127.0.60.5:11960 nntp://127.0.60.6:11960"

# shellcheck disable=SC2086
watch_nodes "$N" "$G" $U
t0=$(date +%s%N)
# shellcheck disable=SC2086
send_random a 3 $U
send_wait
secs=$((($(date +%s%N) - t0) / 1000000))
watched 5
is "$(cat send.*/outbox/new/* 2>/dev/null | wc -c | tr -d ' ')" 0 "every outbox is empty"
n=1
for u in $U; do
	is "$(node_has "$u" "$G" a/ids)" "$N" "l$n has all $N envelopes"
	n=$((n + 1))
done
diag "line of 5 (4 hops), $N envelopes from 3 concurrent xc-sends to random entries in $secs ms:" \
    "propagation p50 $(percentile 50 lat) ms, p99 $(percentile 99 lat) ms (n=$(wc -l < lat | tr -d ' '))"

set -- $U
xc-fetch --home bob --server "$1" > fetch.bob 2>&1 &&
    xc-fetch --home carol --server "$3" > fetch.carol 2>&1 &&
    xc-fetch --home dave --server "$5" > fetch.dave 2>&1
ok "three recipients fetched, from l1, l3 and l5" test $? -eq 0
for r in bob carol dave; do
	is "$(inbox_ids $r | uniq -c | awk '$1 != 1' | wc -l | tr -d ' ')|$(inbox_ids $r | md5sum)|$(wc -l < fetch.$r | tr -d ' ')" \
	    "0|$(md5sum < a/ids.$r)|$(wc -l < a/ids.$r | tr -d ' ')" \
	    "$r has each of his $(wc -l < a/ids.$r | tr -d ' ') once, and no other"
done
xc-fetch --home bob --server "$1" > again.bob && xc-fetch --home carol --server "$3" > again.carol &&
    xc-fetch --home dave --server "$5" > again.dave
is "$?|$(cat again.bob again.carol again.dave | wc -l | tr -d ' ')" "0|0" "a second run of each fetches nothing"
done_testing
