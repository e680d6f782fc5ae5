#!/bin/sh
# 1150-reach: where to reach a card's owner ("reach", xc-card(5)).  @bob's
# card lists his node (nntps, its self-signed certificate pinned); @alice
# has @bob as a contact and, with no server configured (the spool only) or
# with her own node, `xc-seal -r @bob | xc-send` posts the envelope to
# @bob's node too, where xc-fetch finds it; the quorum counts the
# configured servers only (a recipient's server taking it does not keep
# status 0 when hers is down).  --server or --spool on the command line,
# and --no-reach, post to nothing else.  A wrong pin on the card: that
# server refused with a warning, the envelope delivered elsewhere, nothing
# sent to it in the clear.  An .onion server without a proxy is skipped
# with a warning.  A stranger's card (kept in the quarantine from a
# letter) listing servers is never used.  xc-keygen's --reach, --pin and
# --starttls, their refusals, and --rotate keeping or clearing the list;
# xc-verify's refusals of bad lists.

# shellcheck source=t/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=t/net.sh
. "$root/t/net.sh"
net_need
need_delivery
plan 64
unset SSL_CERT_FILE SSL_CERT_DIR

A=127.0.11.50
B=127.0.11.51
P=11150
TP=56350
UA=nntp://$A:$P
UB=nntp://$B:$P
TB=nntps://$B:$TP
zero=SHA256:$(printf '%064d' 0)
cfg=$HOME/.config/xc/config
mkdir -p "$HOME/.config/xc"

# usage_is TEXT DESC: stderr's first line is TEXT.
usage_is() {
	is "$(sed -n 1p "$ERR")" "$1" "$2"
}
# on URL FILE: 1 if the node lists the envelope in FILE, else 0.
on() {
	"$NNTP_TOOL" list "$1" "$(env_group "$2")" 0 2>/dev/null |
	    cut -d' ' -f2 | grep -cx "$(envid "$2")"
}

# ---- xc-keygen --reach: options refused with status 2 ----
must_fail 2 xc-keygen --home x --pin "$zero" --reach "$TB" @x
usage_is "xc-keygen: error: --pin applies to the --reach (or --server) before it" \
    "--pin before any --reach"
must_fail 2 xc-keygen --home x --reach "$UB" --pin "$zero" @x
usage_is "xc-keygen: error: --reach '$UB': --pin needs TLS: an nntps:// server, or --starttls" \
    "a pin for a plaintext server"
must_fail 2 xc-keygen --home x --reach "$TB" --starttls @x
usage_is "xc-keygen: error: --reach '$TB': --starttls is for nntp:// servers (nntps:// is TLS from the first byte)" \
    "--starttls on nntps://"
must_fail 2 xc-keygen --home x --reach http://example.org @x
usage_is "xc-keygen: error: --reach 'http://example.org': not a server URL (nntp://host[:port] or nntps://host[:port])" \
    "not a server URL"
must_fail 2 xc-keygen --home x --reach "$UB" --reach "nntp://$B:$P/" @x
usage_is "xc-keygen: error: --reach 'nntp://$B:$P/': a server given twice" \
    "one server twice (two spellings)"
must_fail 2 xc-keygen --home x --reach none --reach "$UB" @x
usage_is "xc-keygen: error: --reach none lists no server; it goes alone" \
    "--reach none with a server"
must_fail 2 xc-keygen --home x --reach nntp://h1 --reach nntp://h2 \
    --reach nntp://h3 --reach nntp://h4 --reach nntp://h5 --reach nntp://h6 \
    --reach nntp://h7 --reach nntp://h8 --reach nntp://h9 @x
usage_is "xc-keygen: error: --reach: at most 8 servers on a card" "9 servers"
must_fail 2 xc-keygen --home x --card --reach "$UB"
usage_is "xc-keygen: error: --reach goes with @HANDLE or --rotate" \
    "--reach with --card"
is_file_absent x "... no keyring made by the refused runs"

# ---- the nodes: n1 @alice's, n2 @bob's (TLS, a self-signed cert) ----
node_new n1 "$A:$P"
node_new n2 "$B:$P" --tls-listen "$B:$TP"
pin=$("$NNTP_TOOL" fingerprint "$(node_dir n2)/etc/tls/cert.pem")

expect_exit 0 xc-keygen --home bob @bob --reach "nntps://$B:$TP/" --pin "$pin"
cp "$OUT" bob.card
is "$(sed -n 2p "$ERR")" "Card of @bob lists server $TB (pinned)" \
    "xc-keygen says which servers the card lists"
is "$(sed -n 2p bob.card | sed 's/.*,"prev":null,//')" \
    "\"reach\":[{\"url\":\"$TB\",\"pin\":\"$pin\"}]}" \
    "the card lists them last, canonical"
xc-keygen --home alice @alice > alice.card 2>/dev/null || bail "xc-keygen @alice"
xc-verify --home alice -q --import bob.card > /dev/null 2>&1 || bail "import bob"
xc-verify --home bob -q --import alice.card > /dev/null 2>&1 || bail "import alice"

# ---- no server configured: the spool, and @bob's node ----
expect_exit 0 sh -c 'echo hello | xc-seal --home alice -r @bob --ttl 2h |
    tee m0.age | xc-send --home alice'
id0=$(envid m0.age)
is "$(cat "$OUT")|$(on "$UB" m0.age)|$(on "$UA" m0.age)" "$id0|1|0" \
    "xc-seal -r @bob | xc-send: posted to the node @bob's card lists"
is "$(find alice/spool -name "$id0-*" | wc -l | tr -d ' ')" 1 \
    "... and into the spool, as without a card's servers"
expect_exit 0 xc-fetch --home bob --server "$TB" --pin "$pin"
is "$(inbox_ids bob)" "$id0" "@bob fetches it from his node"

# ---- her own node configured: both ----
printf 'server %s\n' "$UA" > "$cfg"
seal_next
expect_exit 0 xc-send --home alice "m$seal_n.age"
is "$(on "$UA" "m$seal_n.age")|$(on "$UB" "m$seal_n.age")|$(cat "$ERR")" "1|1|" \
    "her configured node and @bob's, without a word"
seal_next
expect_exit 0 xc-send --home alice --no-reach "m$seal_n.age"
is "$(on "$UA" "m$seal_n.age")|$(on "$UB" "m$seal_n.age")" "1|0" \
    "--no-reach: her configured node only"
seal_next
expect_exit 0 xc-send --home alice --server "$UA" "m$seal_n.age"
is "$(on "$UA" "m$seal_n.age")|$(on "$UB" "m$seal_n.age")" "1|0" \
    "--server on the command line: that server only"
seal_next
expect_exit 0 xc-send --home alice --spool sp "m$seal_n.age"
is "$(on "$UA" "m$seal_n.age")|$(on "$UB" "m$seal_n.age")|$(find sp -name "$id-*" | wc -l | tr -d ' ')" \
    "0|0|1" "--spool on the command line: that spool only"
# The same server configured and on the card: posted once, the config's
# settings (a plaintext port of n2 here stands for "her own").
printf 'server %s\n' "$TB" > "$cfg"
seal_next
must_fail 5 xc-send --home alice "m$seal_n.age"
like "$(sed -n 1p "$ERR")" "cannot deliver $id to server '$TB': the server's certificate is not signed by an authority" \
    "a server both configured (without pin) and on the card: the config's line wins"
is "$(on "$UB" "m$seal_n.age")|$(ls alice/outbox/new | wc -l | tr -d ' ')" "0|1" \
    "... not posted with the card's pin, kept in the outbox"
printf 'server %s pin %s\n' "$TB" "$pin" > "$cfg"
expect_exit 0 xc-send --home alice --flush
# Her node down: the quorum counts her servers, not @bob's.
printf 'server nntp://%s:%s\n' "$A" 11159 > "$cfg"
seal_next
must_fail 5 xc-send --home alice "m$seal_n.age"
is "$(on "$UB" "m$seal_n.age")|$(ls alice/outbox/new | wc -l | tr -d ' ')" "1|1" \
    "her server down: posted to @bob's, kept in the outbox, status 5"
like "$(sed -n 1p "$ERR")" "^xc-send: error: cannot deliver $id to server 'nntp://$A:11159': " \
    "... her server named"
printf 'server %s\n' "$UA" > "$cfg"
expect_exit 0 xc-send --home alice --flush
is "$(ls alice/outbox/new | wc -l | tr -d ' ')" 0 "... a later --flush delivers it"

# ---- a wrong pin on the card ----
xc-keygen --home bob --rotate --reach "$TB" --pin "$zero" > bob2.card 2>/dev/null ||
    bail "rotate"
xc-verify --home alice -q --import bob2.card > /dev/null 2>&1 || bail "import bob2"
seal_next
if command -v strace > /dev/null; then
	expect_exit 0 env ASAN_OPTIONS=detect_leaks=0 strace -f -qq -s 64 \
	    -e trace=write,sendto,sendmsg -o trace.st xc-send --home alice \
	    "m$seal_n.age"
	is "$(grep -cE 'IHAVE|MODE READER' trace.st)" 2 \
	    "a wrong pin: no NNTP command to @bob's node (two to hers)"
else
	expect_exit 0 xc-send --home alice "m$seal_n.age"
	skip 1 "no strace"
fi
is "$(cat "$ERR")" "xc-send: warning: server '$TB' (a recipient's card): the server's certificate is not the pinned one ($id not delivered there)" \
    "a wrong pin on the card: a warning, status 0"
is "$(on "$UA" "m$seal_n.age")|$(on "$UB" "m$seal_n.age")" "1|0" \
    "... delivered to her node, not to @bob's"

# ---- an .onion server without a proxy: skipped ----
xc-keygen --home bob --rotate --reach nntp://abcdefghijklmnop.onion \
    --reach "$TB" --pin "$pin" > bob3.card 2>/dev/null || bail "rotate"
xc-verify --home alice -q --import bob3.card > /dev/null 2>&1 || bail "import bob3"
seal_next
expect_exit 0 xc-send --home alice "m$seal_n.age"
is "$(cat "$ERR")" "xc-send: warning: server 'nntp://abcdefghijklmnop.onion:119' (@bob's card): an .onion server is reached through Tor only: skipped" \
    "an .onion server on the card without a proxy: skipped, said"
is "$(on "$UB" "m$seal_n.age")" 1 "... the card's other server used"

# ---- --rotate keeps the list; --reach none clears it ----
expect_exit 0 xc-keygen --home bob --rotate
cp "$OUT" bob4.card
is "$(sed -n 2p bob4.card | sed 's/.*,"reach"/"reach"/')" \
    "\"reach\":[{\"url\":\"nntp://abcdefghijklmnop.onion:119\"},{\"url\":\"$TB\",\"pin\":\"$pin\"}]}" \
    "--rotate without --reach keeps the list"
expect_exit 0 xc-keygen --home bob --rotate --reach none
cp "$OUT" bob5.card
is "$(grep -c reach bob5.card)|$(cat "$ERR")" "0|The card of @bob lists no server" \
    "--rotate --reach none: no list"
xc-verify --home alice -q --import bob5.card > /dev/null 2>&1 || bail "import bob5"
seal_next
expect_exit 0 xc-send --home alice "m$seal_n.age"
is "$(on "$UB" "m$seal_n.age")" 0 "a card without a list: her servers only"

# ---- a stranger's card is never used ----
# @carol's card has tag_bits 0: her key matches every envelope's tags, so
# were a stranger's card used, everything @alice sends would go there.
xc-keygen --home carol --tag-bits 0 @carol --reach "$TB" --pin "$pin" \
    > carol.card 2>/dev/null || bail "xc-keygen @carol"
echo "hi alice" | xc-seal --home carol -R alice.card -o c.age 2>/dev/null ||
    bail "carol seals"
xc-open --home alice c.age > /dev/null 2>&1
is "$(ls alice/strangers | wc -l | tr -d ' ')" 1 "@carol's card kept in the quarantine"
seal_next
expect_exit 0 xc-send --home alice "m$seal_n.age"
is "$(on "$UA" "m$seal_n.age")|$(on "$UB" "m$seal_n.age")" "1|0" \
    "a stranger's card whose key matches every tag: its servers not used"
# Once a contact, her card's servers are used for what her key matches:
# with 0 tag bits, every envelope (a false match adds a server, no more).
xc-verify --home alice -q --import carol.card > /dev/null 2>&1 || bail "import carol"
seal_next
expect_exit 0 xc-send --home alice "m$seal_n.age"
is "$(on "$UA" "m$seal_n.age")|$(on "$UB" "m$seal_n.age")" "1|1" \
    "the same card, a contact's: a tag that matches by chance adds her server"

# ---- bad lists refused by readers ----
v=$root/t/vectors/card
must_fail 3 xc-verify "$v/68-reach-9.card"
is "$(cat "$ERR")" "xc-verify: error: '$v/68-reach-9.card': malformed card: bad reach: a list of 1 to 8 servers" \
    "9 servers: refused"
must_fail 3 xc-verify --home alice --import "$v/73-reach-pin-plain.card"
is "$(cat "$ERR")" "xc-verify: error: '$v/73-reach-pin-plain.card': malformed card: bad reach entry: a pin needs TLS: an nntps:// server, or starttls" \
    "a pin on plaintext without starttls: refused by --import"

rm -f "$cfg"
done_testing
