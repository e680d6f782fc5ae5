#!/bin/sh
# 1140-client-tls: xc-send and xc-fetch over TLS and through SOCKS5
# proxies.  Options and config lines (--pin and --starttls belong to the
# --server before them; "server URL pin PINS starttls" and "proxy" in the
# config) and their refusals, status 2 with the option or the config's
# line.  A node with a self-signed certificate (xc-node's): posting and
# fetching over nntps work with the right pin, from the command line or
# the config (a --server of the command line keeps its config line's
# pin), and with the certificate as the system store; a wrong pin, and no
# pin without an authority, are refused with status 5, nothing posted or
# fetched, and a hint naming the server's pin; STARTTLS works where nnrpd
# offers it, and where it is not offered (a node without TLS) it is an
# error before any NNTP command goes out in the clear.  Through Debian's
# microsocks with one account: xc-send works with an account for xc-post
# and is refused with one for xc-fetch, and the other way round for
# xc-fetch; through a logging proxy (t/socks5-proxy.py) the log shows
# xc-post for xc-send and xc-fetch for xc-fetch, and a server given by a
# name this machine cannot resolve works, strace seeing no resolver file
# opened and nothing sent to port 53.  .onion servers need the proxy.
# Then no file of either node holds a client or proxy address or a
# handle.

# shellcheck source=t/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=t/net.sh
. "$root/t/net.sh"
net_need
need_delivery
plan 106
unset SSL_CERT_FILE SSL_CERT_DIR

A=127.0.11.40
B=127.0.11.41
PX=127.0.11.49		# where microsocks connects from
P=11140
TP=56340
U=nntp://$A:$P
TU=nntps://$A:$TP
UB=nntp://$B:$P
parties alice bob
outbox() {
	ls alice/outbox/new | wc -l | tr -d ' '
}
# usage_is TEXT DESC: stderr's first line is "PROG: error: TEXT".
usage_is() {
	is "$(sed -n 1p "$ERR")" "$1" "$2"
}

# ---- options and config: refused with status 2, nothing queued ----
seal_next
zero=SHA256:$(printf '%064d' 0)
must_fail 2 xc-send --home alice --pin "$zero" --server "$TU" m1.age
usage_is "xc-send: error: --pin applies to the --server before it" "--pin before any --server"
must_fail 2 xc-fetch --home bob --starttls --server "$U"
usage_is "xc-fetch: error: --starttls applies to the --server before it" "--starttls before any --server"
must_fail 2 xc-send --home alice --server "$U" --pin "$zero" m1.age
usage_is "xc-send: error: --server '$U': --pin needs TLS: an nntps:// server, or --starttls" \
    "a pin for a plaintext server"
must_fail 2 xc-send --home alice --server "$TU" --starttls m1.age
usage_is "xc-send: error: --server '$TU': --starttls is for nntp:// servers (nntps:// is TLS from the first byte)" \
    "--starttls on nntps://"
must_fail 2 xc-fetch --home bob --server "$TU" --pin SHA256:abc
usage_is "xc-fetch: error: --pin 'SHA256:abc': a pin is SHA256: and the certificate's SHA-256 in hex or base64" \
    "a pin that does not parse"
must_fail 2 xc-send --home alice --server "$TU" --pin "$zero" --pin "$zero" m1.age
like "$(sed -n 1p "$ERR")" "a second --pin for one server \\(give its pins in one, with ','\\)\$" \
    "two --pin for one server"
must_fail 2 xc-send --home alice --proxy socks5://127.0.0.1:9050 --server "$TU" m1.age
usage_is "xc-send: error: --proxy 'socks5://127.0.0.1:9050': socks5:// would resolve names on this machine: use socks5h://" \
    "socks5:// refused"
must_fail 2 xc-fetch --home bob --proxy socks5h://localhost:9050 --server "$TU"
like "$(sed -n 1p "$ERR")" "the proxy's address must be numeric" "a proxy by name refused"
must_fail 2 xc-send --home alice --server nntp://abcdefghijklmnop.onion m1.age
is "$(cat "$ERR")" "xc-send: error: server 'nntp://abcdefghijklmnop.onion:119': an .onion server is reached through Tor only
xc-send: hint: give Tor's SocksPort: --proxy socks5h://127.0.0.1:9050, or a \"proxy\" line in the config" \
    "an .onion server without a proxy: refused, the proxy named"
must_fail 2 xc-fetch --home bob --server nntps://ABCDEFGHIJKLMNOP.ONION.
like "$(sed -n 1p "$ERR")" "an .onion server is reached through Tor only\$" "... for xc-fetch too"

# The config of the user ($HOME is the test's, shared by alice and bob:
# each writes it in turn and removes it after).
cfg=$HOME/.config/xc/config
mkdir -p "$HOME/.config/xc"
# cfg_fails PROG HOME LINE TEXT CONFIG: PROG refuses the config with
# status 2, naming the file, the line and TEXT.
cfg_fails() {
	printf '%b' "$5" > "$cfg"
	must_fail 2 "$1" --home "$2"
	is "$(cat "$ERR")" "$1: error: config '$cfg' line $3: $4" \
	    "config line $3: $4"
}
cfg_fails xc-send alice 2 "not a proxy URL (socks5h://address:port)" \
    "server $TU pin $zero\nproxy http://127.0.0.1:3128\n"
cfg_fails xc-fetch bob 1 "socks5:// would resolve names on this machine: use socks5h://" \
    "proxy socks5://127.0.0.1:9050\n"
cfg_fails xc-send alice 3 "proxy given twice" \
    "proxy socks5h://127.0.0.1:9050\n# Tor\nproxy socks5h://127.0.0.1:9150\n"
cfg_fails xc-fetch bob 1 "a pin is SHA256: and the certificate's SHA-256 in hex or base64" \
    "server $TU pin SHA256:abc\n"
cfg_fails xc-send alice 1 "a pin needs TLS: an nntps:// server, or starttls" \
    "server $U pin $zero\n"
cfg_fails xc-send alice 1 "starttls is for nntp:// servers (nntps:// is TLS from the first byte)" \
    "server $TU starttls\n"
cfg_fails xc-fetch bob 2 "after the server's URL: \"pin SHA256:...\" and \"starttls\", once each" \
    "server $U starttls\nserver $TU pin\n"
cfg_fails xc-send alice 1 "pins given twice for one server" \
    "server $TU pin $zero pin $zero\n"
cfg_fails xc-send alice 1 "after the server's URL: \"pin SHA256:...\" and \"starttls\", once each" \
    "server $U starttls starttls\n"
rm -f "$cfg"
is_file_absent alice/outbox "the refused runs queued nothing"

# ---- a node with TLS, and one without ----
node_new n1 "$A:$P" --tls-listen "$A:$TP"
node_new n2 "$B:$P" --no-tls
N=$(node_dir n1)
pin=$("$NNTP_TOOL" fingerprint "$N/etc/tls/cert.pem")
G=$(env_group m1.age)
# on URL ID [nntp-tool options]: 1 if the node lists the envelope.
on() {
	_u=$1 _i=$2
	shift 2
	"$NNTP_TOOL" "$@" list "$_u" "$G" 0 2>/dev/null | cut -d' ' -f2 |
	    grep -cx "$_i"
}
hint="the server's certificate is $pin; if its operator confirms it (xc-node status), pin it: --pin $pin"

# ---- nntps: a wrong pin, no pin and no authority, the right pin ----
id1=$id
must_fail 5 xc-send --home alice --server "$TU" --pin "$zero" m1.age
is "$(cat "$ERR")" "xc-send: error: cannot deliver $id1 to server '$TU': the server's certificate is not the pinned one
xc-send: hint: $hint
xc-send: hint: 1 envelope(s) kept in the outbox; xc-send --flush retries" \
    "a wrong pin: refused, the server's pin as a hint"
is "$(cat "$OUT")|$(outbox)|$(on "$U" "$id1")" "$id1|1|0" \
    "... the envelope queued in the outbox, not posted"
must_fail 5 xc-send --home alice --server "$TU" --flush
is "$(cat "$ERR")" "xc-send: error: cannot deliver $id1 to server '$TU': the server's certificate is not signed by an authority this machine trusts
xc-send: hint: $hint
xc-send: hint: 1 envelope(s) kept in the outbox; xc-send --flush retries" \
    "no pin and no authority: refused, the pin as a hint"
is "$(outbox)|$(on "$U" "$id1")" "1|0" "... still in the outbox, not posted"
expect_exit 0 xc-send --home alice --server "$TU" --pin "$pin" --flush
is "$(outbox)|$(on "$U" "$id1")" "0|1" "the right pin: posted over nntps"

must_fail 5 xc-fetch --home bob --server "$TU" --pin "$zero"
is "$(cat "$ERR")" "xc-fetch: error: server '$TU': the server's certificate is not the pinned one
xc-fetch: hint: $hint" "xc-fetch, a wrong pin: refused, the pin as a hint"
must_fail 5 xc-fetch --home bob --server "$TU"
like "$(sed -n 1p "$ERR")" "^xc-fetch: error: server '$TU': the server's certificate is not signed by an authority this machine trusts\$" \
    "xc-fetch, no pin and no authority: refused"
is "$(inbox_ids bob)" "" "... nothing fetched"
expect_exit 0 xc-fetch --home bob --server "$TU" --pin "$pin"
is "$(inbox_ids bob)" "$id1" "the right pin: fetched over nntps"

# The system-store path: the node's certificate as the only authority,
# its address checked.
seal_next
id2=$id
expect_exit 0 env SSL_CERT_FILE="$N/etc/tls/cert.pem" xc-send --home alice \
    --server "$TU" m2.age
is "$(on "$U" "$id2")" 1 "with the certificate as an authority: posted"
expect_exit 0 env SSL_CERT_FILE="$N/etc/tls/cert.pem" xc-fetch --home bob \
    --server "$TU"
is "$(inbox_ids bob | grep -c "$id2")" 1 "... and fetched"

# ---- the pin in the config ----
seal_next
id3=$id
printf 'server nntps://127.0.11.40:%s/ pin %s\n' "$TP" "$pin" > "$cfg"
expect_exit 0 xc-send --home alice m3.age
is "$(on "$U" "$id3")" 1 "a server line's pin: posted"
# The same server on the command line keeps its line's pin (a second
# posting counts as taken).
expect_exit 0 xc-send --home alice --server "nntps://127.0.11.40:$TP" m3.age
is "$(cat "$OUT")|$(outbox)" "$id3|0" "--server without --pin: the config line's pin"
printf 'server %s pin %s\n' "$TU" "$zero" > "$cfg"
expect_exit 0 xc-send --home alice --server "$TU" --pin "$pin" m3.age
is "$(outbox)" 0 "--pin on the command line wins over the config's"
must_fail 5 xc-send --home alice --server "$TU" m3.age
like "$(sed -n 1p "$ERR")" "the server's certificate is not the pinned one\$" \
    "... and the config's wrong pin is used when none is given"
expect_exit 0 xc-send --home alice --server "$TU" --pin "$pin" --flush
rm -f "$cfg"
# Several pins (a certificate being replaced), one of them the node's.
printf 'server %s pin %s,%s\n' "$TU" "$zero" "$pin" > "$cfg"
expect_exit 0 xc-fetch --home bob
is "$(inbox_ids bob | grep -c "$id3")" 1 "fetched with a config of two pins, one the node's"
rm -f "$cfg"

# ---- STARTTLS ----
seal_next
id4=$id
expect_exit 0 xc-send --home alice --server "$U" --starttls --pin "$pin" m4.age
is "$(on "$U" "$id4")" 1 "STARTTLS: posted"
printf 'server %s starttls pin %s\n' "$U" "$pin" > "$cfg"
expect_exit 0 xc-fetch --home bob
is "$(inbox_ids bob | grep -c "$id4")" 1 "STARTTLS from the config: fetched"
rm -f "$cfg"
# n2 has no TLS: nnrpd does not offer STARTTLS, which is an error, and
# no other command goes out in the clear.
seal_next
id5=$id
expect_exit 5 env ASAN_OPTIONS=detect_leaks=0 strace -f -qq -s 64 \
    -e trace=write,sendto,sendmsg -o trace.st xc-send --home alice \
    --server "$UB" --starttls m5.age
like "$(sed -n 1p "$ERR")" "^xc-send: error: cannot deliver $id5 to server '$UB': the server refused STARTTLS\$" \
    "STARTTLS not offered: refused"
is "$(on "$UB" "$id5")|$(outbox)" "0|1" "... not posted in plaintext, kept in the outbox"
is "$(grep -oE '"(MODE READER|STARTTLS|IHAVE|QUIT)[^"]*"' trace.st | tr -d '"' | tr '\n' ' ')" \
    'MODE READER\r\n STARTTLS\r\n ' "... only MODE READER and STARTTLS went out"
must_fail 5 xc-fetch --home bob --server "$UB" --starttls
like "$(sed -n 1p "$ERR")" "^xc-fetch: error: server '$UB': the server refused STARTTLS\$" \
    "xc-fetch: STARTTLS not offered: refused"
expect_exit 0 xc-send --home alice --server "$TU" --pin "$pin" --flush

# ---- microsocks: an account per purpose ----
if command -v microsocks >/dev/null; then
	net_bg sh -c 'exec microsocks "$@" 2>>microsocks.log' sh \
	    -i 127.0.0.1 -p 11141 -u xc-post -P xc -b "$PX"
	net_bg sh -c 'exec microsocks "$@" 2>>microsocks.log' sh \
	    -i 127.0.0.1 -p 11142 -u xc-fetch -P xc -b "$PX"
	wait_port 127.0.0.1 11141 && wait_port 127.0.0.1 11142
	MP=socks5h://127.0.0.1:11141
	MF=socks5h://127.0.0.1:11142
	seal_next
	id6=$id
	expect_exit 0 xc-send --home alice --proxy "$MP" --server "$TU" --pin "$pin" m6.age
	is "$(on "$U" "$id6")|$(outbox)" "1|0" "microsocks for xc-post: xc-send posted over nntps"
	must_fail 5 xc-fetch --home bob --proxy "$MP" --server "$TU" --pin "$pin"
	is "$(cat "$ERR")" "xc-fetch: error: server '$TU': the proxy refused the user name and password" \
	    "microsocks for xc-post: xc-fetch (xc-fetch) refused"
	expect_exit 0 xc-fetch --home bob --proxy "$MF" --server "$TU" --pin "$pin"
	is "$(inbox_ids bob | grep -c "$id6")" 1 "microsocks for xc-fetch: xc-fetch fetched"
	seal_next
	printf 'proxy %s\nserver %s pin %s\n' "$MF" "$TU" "$pin" > "$cfg"
	must_fail 5 xc-send --home alice m7.age
	like "$(sed -n 1p "$ERR")" "the proxy refused the user name and password\$" \
	    "microsocks for xc-fetch: xc-send (xc-post) refused, the proxy from the config"
	printf 'proxy %s\nserver %s pin %s\n' "$MP" "$TU" "$pin" > "$cfg"
	expect_exit 0 xc-send --home alice --flush
	is "$(outbox)" 0 "... and the right proxy in the config delivers it"
	rm -f "$cfg"
	like "$(cat microsocks.log)" "connected to $A:$TP" "microsocks carried the connections"
else
	skip 11 "no microsocks (sh .ci/deps)"
fi

# ---- a logging proxy: the user names; names resolved by the proxy ----
rm -f port.relay
net_bg python3 "$root/t/socks5-proxy.py" port.relay log.relay relay \
    n1.xc.test="$A" abcdefghijklmnop.onion="$A"
while ! [ -s port.relay ]; do sleep 0.05; done
R=socks5h://127.0.0.1:$(cat port.relay)
NU=nntps://n1.xc.test:$TP
getent hosts n1.xc.test >/dev/null
is "$?" 2 "n1.xc.test does not resolve on this machine"
seal_next
id8=$id
must_fail 5 xc-send --home alice --server "$NU" --pin "$pin" m8.age
is "$(sed -n 1p "$ERR")" "xc-send: error: cannot deliver $id8 to server '$NU': cannot resolve the server's name" \
    "without the proxy: the name is looked up here, and fails"
expect_exit 0 env ASAN_OPTIONS=detect_leaks=0 strace -f -qq \
    -e trace=openat,connect,sendto,sendmsg -o trace.send \
    xc-send --home alice --proxy "$R" --server "$NU" --pin "$pin" --flush
is "$(outbox)|$(on "$U" "$id8")" "0|1" "through the proxy, by name: posted"
expect_exit 0 env ASAN_OPTIONS=detect_leaks=0 strace -f -qq \
    -e trace=openat,connect,sendto,sendmsg -o trace.fetch \
    xc-fetch --home bob --proxy "$R" --server "$NU" --pin "$pin"
is "$(inbox_ids bob | grep -c "$id8")" 1 "through the proxy, by name: fetched"
is "$(grep -cE 'resolv\.conf|/etc/hosts|nsswitch|gai\.conf|htons\(53\)' trace.send trace.fetch | tr '\n' ' ')" \
    "trace.send:0 trace.fetch:0 " \
    "no resolver file opened, nothing sent to port 53, by xc-send or xc-fetch"
like "$(grep 'connect(' trace.send)" "htons\\($(cat port.relay)\\)" "strace saw xc-send's connection to the proxy"
is "$(sed 's/ .*//' log.relay | tr '\n' ' ')" "user=xc-post user=xc-fetch " \
    "the proxy's log: xc-post for xc-send, xc-fetch for xc-fetch"
is "$(sed 's/^[^ ]* [^ ]* //' log.relay | sort -u)" "atyp=name host=n1.xc.test port=$TP" \
    "the server's name went to the proxy as a name"
seal_next
id9=$id
expect_exit 0 xc-send --home alice --proxy "$R" --server nntp://abcdefghijklmnop.onion:$P m9.age
is "$(on "$U" "$id9")|$(tail -n 1 log.relay)" \
    "1|user=xc-post pass=xc atyp=name host=abcdefghijklmnop.onion port=$P" \
    "an .onion server through the proxy: its name to the proxy, posted"

# ---- what the nodes kept ----
xc-node stop "$N" >/dev/null
xc-node stop "$(node_dir n2)" >/dev/null
px_re=$(printf '%s' "$PX" | sed 's/\./\\./g')
# The handles with their '@', which no base64 (armor, PEM) can contain.
leaks=$(grep -rlaE "127\\.0\\.0\\.1|$px_re|@alice|@bob" "$N" "$(node_dir n2)" 2>/dev/null)
is "$leaks" "" "no client or proxy address, no handle, in any file of either node"
is "$(grep -rlaE 'Injection-Info|logging-data' "$N/spool")" "" \
    "no Injection-Info in any article"
done_testing
