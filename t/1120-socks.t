#!/bin/sh
# 1120-socks: the client through SOCKS5 proxies (socks5h: the proxy
# resolves names).  Through a logging proxy (t/socks5-proxy.py, which
# resolves test names from its command line and logs the user name of
# each CONNECT): posting, fetching, publishing a card and looking one up
# (xc-keygen --publish, xc-verify --lookup) work, over nntp and nntps,
# and its log shows the three user names xc-post, xc-fetch and
# xc-lookup and the names as the client gave them.  Through Debian's
# microsocks: posting and fetching work; with an account for xc-post only,
# posting works and fetching is refused.  A client whose resolver fails
# (its own mount namespace: an empty /etc/hosts, a resolv.conf naming a
# logging DNS server, t/dns-log.py) resolves nothing through the proxy,
# posting, fetching, publishing a card or looking one up:
# the DNS server hears no query and strace sees no resolver file opened,
# while the same client without the proxy does query.  .onion names need a
# proxy; socks5:// and proxies given by name are refused; hostile proxies
# end in a clear error within the bounds.

# shellcheck source=t/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=t/net.sh
. "$root/t/net.sh"
net_need
plan 73
unset SSL_CERT_FILE SSL_CERT_DIR

A=127.0.11.10
P=11120
TP=56320
node_new n1 "$A:$P" --tls-listen "$A:$TP"
N=$(node_dir n1)
pin=$("$NNTP_TOOL" fingerprint "$N/etc/tls/cert.pem")
make_ids
seal_envs 4 envs
id() { b2sum -l 256 "$1" | cut -c1-64; }
G=$(env_group envs/e0.age)

# proxy NAME MODE: starts t/socks5-proxy.py (test names mapped to the
# node) and sets $X to its URL.
proxy() {
	rm -f "port.$1"
	net_bg python3 "$root/t/socks5-proxy.py" "port.$1" "log.$1" "$2" \
	    n1.xc.test="$A" abcdefghijklmnop.onion="$A"
	while ! [ -s "port.$1" ]; do sleep 0.05; done
	X=socks5h://127.0.0.1:$(cat "port.$1")
}

# ---- the logging proxy: three purposes, three user names ----
proxy relay relay
R=$X
expect_exit 0 "$NNTP_TOOL" -x "$R" post "nntp://n1.xc.test:$P" envs/e0.age
like "$(cat "$OUT")" ' accepted 235 ' "posted through the proxy"
expect_exit 0 "$NNTP_TOOL" -x "$R" list "nntp://n1.xc.test:$P" "$G" 0
like "$(cat "$OUT")" "^[0-9]+ $(id envs/e0.age) " "listed through the proxy"
mkdir got
expect_exit 0 "$NNTP_TOOL" -x "$R" fetch "nntp://n1.xc.test:$P" got "$(id envs/e0.age)"
ok "fetched through the proxy" cmp "got/$(id envs/e0.age).age" envs/e0.age
# Publishing a card is posting (xc-post); looking one up has its own
# user name, so that Tor gives it circuits of its own.
xc-keygen --home carol @carol >/dev/null 2>&1 || bail "xc-keygen @carol"
expect_exit 0 xc-keygen --home carol --proxy "$R" --server "nntp://n1.xc.test:$P" --publish
like "$(cat "$ERR")" "^xc-keygen: published @carol \(1 card, until .*\) to nntp://n1\.xc\.test:$P\$" \
    "xc-keygen --publish through the proxy"
expect_exit 0 xc-verify --home carol --proxy "$R" --server "nntp://n1.xc.test:$P" --lookup @carol
like "$(cat "$OUT")" "	@carol	you	seq 1	" "xc-verify --lookup through the proxy"
# nntps through the proxy, by name with the pin, by address with the CA.
expect_exit 0 "$NNTP_TOOL" -x "$R" -p "$pin" post "nntps://n1.xc.test:$TP" envs/e1.age
like "$(cat "$OUT")" ' accepted 235 ' "posted over nntps through the proxy"
users=$(sed 's/ .*//; s/^user=//' log.relay | sort | uniq -c | awk '{ print $2 "=" $1 }' | tr '\n' ' ')
is "$users" "xc-fetch=2 xc-lookup=1 xc-post=3 " \
    "the proxy saw xc-post, xc-fetch and xc-lookup, each for its own connections"
expect_exit 0 env SSL_CERT_FILE="$N/etc/tls/cert.pem" "$NNTP_TOOL" -x "$R" \
    connect "nntps://$A:$TP"
expect_exit 5 env SSL_CERT_FILE="$N/etc/tls/cert.pem" "$NNTP_TOOL" -x "$R" \
    connect "nntps://n1.xc.test:$TP"
like "$(cat "$ERR")" 'not for that host' "a trusted certificate for another name: refused"
like "$(sed -n 1p log.relay)" "^user=xc-post pass=xc atyp=name host=n1.xc.test port=$P\$" \
    "the name went to the proxy as a name"
like "$(cat log.relay)" "atyp=ipv4 host=$A port=$TP" "an address went as an address"

# .onion: through Tor only.
must_fail 3 "$NNTP_TOOL" connect "nntp://abcdefghijklmnop.onion:$P"
like "$(cat "$ERR")" 'through Tor only' "an .onion server without a proxy: refused"
must_fail 3 "$NNTP_TOOL" connect "nntp://ABCDEFGHIJKLMNOP.ONION.:$P"
expect_exit 0 "$NNTP_TOOL" -x "$R" connect "nntp://abcdefghijklmnop.onion:$P"
like "$(tail -n 1 log.relay)" "atyp=name host=abcdefghijklmnop.onion port=$P\$" \
    "the .onion name went to the proxy"

# Proxy URLs that would resolve here, or that we cannot honour.
must_fail 3 "$NNTP_TOOL" -x "socks5://127.0.0.1:1080" connect "nntp://$A:$P"
like "$(cat "$ERR")" 'use socks5h://' "socks5:// refused"
must_fail 3 "$NNTP_TOOL" -x "socks5h://localhost:1080" connect "nntp://$A:$P"
like "$(cat "$ERR")" 'must be numeric' "a proxy by name refused"
must_fail 3 "$NNTP_TOOL" -x "socks5h://u:p@127.0.0.1:1080" connect "nntp://$A:$P"
must_fail 3 "$NNTP_TOOL" -x "http://127.0.0.1:3128" connect "nntp://$A:$P"
must_fail 5 "$NNTP_TOOL" -x "socks5h://127.0.0.1:1" connect "nntp://$A:$P"
like "$(cat "$ERR")" 'cannot connect to the proxy' "a proxy that is not there"

# ---- hostile proxies: a clear error within the bounds ----
hostile() {
	proxy "$1" "$1"
	_t0=$(date +%s%N)
	must_fail 5 "$NNTP_TOOL" -t 1000 -r 3000 -x "$X" connect "nntp://n1.xc.test:$P"
	_ms=$((($(date +%s%N) - _t0) / 1000000))
	like "$(cat "$ERR")" "$2" "$1: '$2'"
	ok "$1: ended in $_ms ms (bound 4000)" test "$_ms" -lt 4000
}
hostile badver 'not a SOCKS5 proxy'
hostile nomethod 'accepts none of our authentication methods'
hostile authfail 'refused the user name and password'
hostile refused "the server refused the proxy's connection"
hostile badatyp 'malformed reply'
hostile drip 'took too long'
hostile silent 'stopped answering|took too long'
# A proxy that sends its reply and the greeting in one write.
proxy eager eager
expect_exit 0 "$NNTP_TOOL" -x "$X" post "nntp://n1.xc.test:$P" envs/e2.age
like "$(cat "$OUT")" ' accepted 235 ' "eager: the greeting after the reply is read"

# ---- microsocks, Debian's: no accounts, then an account for xc-post ----
if command -v microsocks >/dev/null; then
	net_bg sh -c 'exec microsocks "$@" 2>>microsocks.log' sh \
	    -i 127.0.0.1 -p 11121 -b 127.0.11.19
	wait_port 127.0.0.1 11121
	M=socks5h://127.0.0.1:11121
	expect_exit 0 "$NNTP_TOOL" -x "$M" -p "$pin" post "nntps://$A:$TP" envs/e3.age
	like "$(cat "$OUT")" ' accepted 235 ' "microsocks: posted over nntps"
	expect_exit 0 "$NNTP_TOOL" -x "$M" -p "$pin" fetch "nntps://$A:$TP" got "$(id envs/e3.age)"
	ok "microsocks: fetched" cmp "got/$(id envs/e3.age).age" envs/e3.age
	net_bg sh -c 'exec microsocks "$@" 2>>microsocks.log' sh \
	    -i 127.0.0.1 -p 11122 -u xc-post -P xc
	wait_port 127.0.0.1 11122
	M=socks5h://127.0.0.1:11122
	expect_exit 0 "$NNTP_TOOL" -x "$M" -u post post "nntp://$A:$P" envs/e3.age
	like "$(cat "$OUT")" ' duplicate 435 ' "microsocks as xc-post: posting works"
	must_fail 5 "$NNTP_TOOL" -x "$M" list "nntp://$A:$P" "$G" 0
	like "$(cat "$ERR")" 'refused the user name and password' \
	    "microsocks as xc-post: fetching (xc-fetch) is refused"
else
	skip 9 "no microsocks (sh .ci/deps)"
fi

# ---- no name is resolved by the client ----
# nsrun CMD...: CMD in a mount namespace whose /etc/hosts is empty and
# whose resolv.conf names dns-log.py.
: >hosts
printf 'nameserver 127.0.11.53\noptions timeout:1 attempts:1\n' >resolv
nsrun() {
	unshare -m sh -c 'mount --bind "$1" /etc/hosts &&
	    mount --bind "$2" /etc/resolv.conf && shift 2 && exec "$@"' \
	    sh "$tmp/w/hosts" "$tmp/w/resolv" "$@"
}
if nsrun true 2>/dev/null; then
	net_bg python3 "$root/t/dns-log.py" 127.0.11.53 dns.log dns.ready
	while ! [ -e dns.ready ]; do sleep 0.05; done
	: >dns.log
	expect_exit 5 nsrun "$NNTP_TOOL" connect "nntp://n1.xc.test:$P"
	like "$(cat "$ERR")" "cannot resolve the server's name" \
	    "without the proxy the name does not resolve there"
	like "$(cat dns.log)" '^n1\.xc\.test$' "and the DNS server heard the query"
	: >dns.log
	expect_exit 0 nsrun "$NNTP_TOOL" -x "$R" -u fetch list "nntp://n1.xc.test:$P" "$G" 0
	expect_exit 0 nsrun "$NNTP_TOOL" -x "$R" -p "$pin" fetch "nntps://n1.xc.test:$TP" \
	    got "$(id envs/e1.age)"
	# (LeakSanitizer cannot run under ptrace: off for this one)
	expect_exit 0 nsrun env ASAN_OPTIONS=detect_leaks=0 strace -f -qq \
	    -e trace=openat,connect,sendto,sendmsg -o trace \
	    "$NNTP_TOOL" -x "$R" post "nntp://n1.xc.test:$P" envs/e3.age
	expect_exit 0 nsrun xc-keygen --home carol --proxy "$R" \
	    --server "nntp://n1.xc.test:$P" --publish
	expect_exit 0 nsrun xc-verify --home carol --proxy "$R" \
	    --server "nntps://n1.xc.test:$TP" --pin "$pin" --lookup @carol
	is "$(cat dns.log)" "" "through the proxy: no DNS query"
	is "$(grep -cE 'resolv\.conf|/etc/hosts|nsswitch|gai\.conf|htons\(53\)' trace)" 0 \
	    "through the proxy: no resolver file opened, nothing sent to port 53"
	like "$(grep 'connect(' trace)" "htons\\($(cat port.relay)\\)" "strace saw the connection to the proxy"
else
	skip 10 "no mount namespaces here (unshare -m)"
fi
done_testing
