#!/bin/sh
# 1130-privacy: what two nodes keep after a run over TLS and a proxy.
# Two peered nodes with TLS; a client that reaches them only through
# Debian's microsocks (which connects out from 127.0.11.39), over nntps
# with their pins, posts envelopes to one node and, once they flooded to
# the other, fetches them there, over nntps and over STARTTLS; carol
# publishes her card to one node and dave looks it up on the other, and
# looks up @zoe, whom nobody published.  Then every file of both nodes
# (spool, overview, history, logs, configuration) is searched for the
# client's address (127.0.0.1), the proxy's address and the handles of
# sender, recipient, the looker and the one looked up in vain (with their
# '@' or quotes: a bare "bob" turns up by chance in base64 one run in
# ten): none is there, only carol's, in her card; nor is the
# Injection-Info that nnrpd adds to what clients post.

# shellcheck source=t/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=t/net.sh
. "$root/t/net.sh"
net_need
command -v microsocks >/dev/null || { echo "1..0 # SKIP no microsocks (sh .ci/deps)"; exit 0; }
plan 14
unset SSL_CERT_FILE SSL_CERT_DIR

A1=127.0.11.30
A2=127.0.11.31
PX=127.0.11.39		# where the proxy connects from
node_new n1 "$A1:11130" --tls-listen "$A1:56330"
node_new n2 "$A2:11130" --tls-listen "$A2:56330"
xc-node peer "$(node_dir n1)" "$A2:11130" >/dev/null &&
    xc-node peer "$(node_dir n2)" "$A1:11130" >/dev/null
pin1=$("$NNTP_TOOL" fingerprint "$(node_dir n1)/etc/tls/cert.pem")
pin2=$("$NNTP_TOOL" fingerprint "$(node_dir n2)/etc/tls/cert.pem")
net_bg sh -c 'exec microsocks "$@" 2>>microsocks.log' sh -i 127.0.0.1 \
    -p 11139 -b "$PX"
wait_port 127.0.0.1 11139
X=socks5h://127.0.0.1:11139

make_ids
seal_envs 5 envs
G=$(env_group envs/e0.age)
for i in 0 1 2 3 4; do b2sum -l 256 "envs/e$i.age" | cut -c1-64; done >ids

expect_exit 0 "$NNTP_TOOL" -x "$X" -p "$pin1" post "nntps://$A1:56330" \
    envs/e0.age envs/e1.age envs/e2.age envs/e3.age envs/e4.age
is "$(grep -c ' accepted 235 ' "$OUT")" 5 "five envelopes posted over nntps through the proxy"
# Until they flooded to n2 (listed there over nntps through the proxy).
i=0
while [ "$i" -lt 60 ]; do
	n=$("$NNTP_TOOL" -x "$X" -p "$pin2" list "nntps://$A2:56330" "$G" 0 2>/dev/null |
	    cut -d' ' -f2 | grep -Fxf ids | sort -u | wc -l | tr -d ' ')
	[ "$n" -eq 5 ] && break
	sleep 0.5
	i=$((i + 1))
done
is "$n" 5 "all five reached the peer"
mkdir got
expect_exit 0 "$NNTP_TOOL" -x "$X" -p "$pin2" fetch "nntps://$A2:56330" got $(cat ids)
expect_exit 0 "$NNTP_TOOL" -x "$X" -S -p "$pin2" fetch "nntp://$A2:11130" got $(head -n 1 ids)
ok "what was fetched is what was posted" cmp "got/$(head -n 1 ids).age" envs/e0.age
like "$(cat microsocks.log)" "connected to $A2:56330" "the proxy carried the connections"

# Cards: published to n1, looked up on n2 once flooded there.
xc-keygen --home carol @carol >/dev/null 2>&1 && xc-keygen --home dave @dave >/dev/null 2>&1 ||
    bail "xc-keygen"
expect_exit 0 xc-keygen --home carol --proxy "$X" --server "nntps://$A1:56330" --pin "$pin1" --publish
i=0
while [ "$i" -lt 60 ]; do
	xc-verify --home dave --proxy "$X" --server "nntps://$A2:56330" --pin "$pin2" \
	    --lookup @carol >lookup.out 2>/dev/null && break
	sleep 0.5
	i=$((i + 1))
done
is "$(cut -f2-4 lookup.out)" "@carol	stranger	seq 1" "carol's card reached the peer and was looked up there through the proxy"
must_fail 1 xc-verify --home dave --proxy "$X" --server "nntps://$A2:56330" --pin "$pin2" --lookup @zoe
is "$(cat "$ERR")" "xc-verify: error: no card claims @zoe on 1 server" "nobody claims @zoe"

xc-node stop "$(node_dir n1)" >/dev/null
xc-node stop "$(node_dir n2)" >/dev/null
px_re=$(printf '%s' "$PX" | sed 's/\./\\./g')
# The handles with their '@', which no base64 (armor, PEM) can contain.
leaks=$(grep -rlaE "127\\.0\\.0\\.1|$px_re|@alice|@bob|[@\" ]dave\\b|[@\" ]zoe\\b" \
    "$(node_dir n1)" "$(node_dir n2)" 2>/dev/null)
is "$leaks" "" "no client or proxy address, no handle, in any file of either node"
is "$(grep -rlaE 'xc-card1 carol' "$(node_dir n1)/spool/articles" "$(node_dir n2)/spool/articles" | wc -l | tr -d ' ')" 2 \
    "carol's handle is there, in her published card: one article on each node"
# nnrpd's Injection-Info (the host name, and its pid, the same for every
# envelope of a connection) is taken out by the node's nnrpd filter.
is "$(grep -rlaE 'Injection-Info|logging-data' "$(node_dir n1)/spool" \
    "$(node_dir n2)/spool")" "" "no Injection-Info in any article of either node"
done_testing
