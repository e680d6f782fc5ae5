#!/bin/sh
# 1110-tls-hostile: TLS never falls back to plaintext.  The client
# (t/nntp-tool) against servers that break TLS (t/hostile-tls.py on
# 127.0.0.1, which logs every byte it receives): an nntps port that speaks
# plaintext, STARTTLS refused three ways (580, 502, 500), a 382 with
# plaintext injected behind it, a 382 followed by plaintext, a handshake
# that never ends, a server that speaks TLS 1.1 at most.  Each is an error
# (exit 5, a clear message) within its bound, and the server's log proves
# that no NNTP request but MODE READER and STARTTLS went out in the clear:
# the client was posting, and no IHAVE was ever seen.

# shellcheck source=t/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=t/net.sh
. "$root/t/net.sh"
[ -x "$NNTP_TOOL" ] || { echo "Bail out! $NNTP_TOOL is missing"; exit 255; }
command -v python3 >/dev/null || { echo "1..0 # SKIP no python3"; exit 0; }
command -v openssl >/dev/null || { echo "1..0 # SKIP no openssl"; exit 0; }
plan 50

make_ids
echo "secret" | xc-seal -u @alice -r @bob --ttl 2h -o env.age
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj /CN=hostile -days 2 -keyout key.pem -out cert.pem 2>/dev/null
pin=$("$NNTP_TOOL" fingerprint cert.pem)

# hostile MODE [nntp-tool options]: serves MODE, posts env.age to it with
# the options given (the URL is nntps://, or nntp:// with -S); sets $secs
# and leaves the server's log in log.MODE.
hostile() {
	_mode=$1
	shift
	rm -f port
	python3 "$root/t/hostile-tls.py" "$_mode" port "log.$_mode" cert.pem \
	    key.pem &
	_srv=$!
	while ! [ -s port ]; do sleep 0.05; done
	case " $* " in
	*" -S "*) _url=nntp://127.0.0.1:$(cat port) ;;
	*) _url=nntps://127.0.0.1:$(cat port) ;;
	esac
	_t0=$(date +%s%N)
	expect_exit 5 "$NNTP_TOOL" -t 1000 -r 3000 "$@" post "$_url" env.age
	secs=$((($(date +%s%N) - _t0) / 1000000))
	kill "$_srv" 2>/dev/null
	wait "$_srv" 2>/dev/null
	like "$(cat "$ERR")" '^nntp-tool: error: ' "$_mode: an error line"
	ok "$_mode: ended in $secs ms (bound 4000)" test "$secs" -lt 4000
	is "$(grep -c 'IHAVE' "log.$_mode")" 0 "$_mode: no IHAVE reached the server"
}

# The lines the server read, as Python reprs (b'...', or b"..." when the
# bytes hold a quote).
cleartext() {
	cat "log.$1"
}

hostile plain -p "$pin"
like "$(cat "$ERR")" 'does not speak TLS there' "plain: a clear error"
like "$(sed -n 1p log.plain)" "^b[\"']\\\\x16\\\\x03" "plain: the server read a TLS ClientHello"
is "$(grep -c 'MODE READER\|GROUP\|BODY' log.plain)" 0 "plain: and no NNTP command"

for m in refuse noperm unknown; do
	hostile "$m" -S -p "$pin"
	like "$(cat "$ERR")" 'refused STARTTLS' "$m: STARTTLS refused is an error"
	is "$(cleartext "$m")" "b'MODE READER\\r\\n'
b'STARTTLS\\r\\n'" "$m: only MODE READER and STARTTLS went out in the clear"
done

hostile inject -S -p "$pin"
like "$(cat "$ERR")" 'sent data after agreeing to STARTTLS' "inject: refused"
is "$(cleartext inject)" "b'MODE READER\\r\\n'
b'STARTTLS\\r\\n'" "inject: nothing sent after the 382"

hostile plain382 -S -p "$pin"
like "$(cat "$ERR")" 'does not speak TLS there' "plain382: the handshake fails"
like "$(sed -n 3p log.plain382)" "^b[\"']\\\\x16\\\\x03" "plain382: a ClientHello after STARTTLS"
is "$(sed -n 1,2p log.plain382)" "b'MODE READER\\r\\n'
b'STARTTLS\\r\\n'" "plain382: and only those two commands before"

hostile stall -p "$pin"
like "$(cat "$ERR")" 'stopped answering|took too long' "stall: a timeout"

# TLS 1.1 at most: the client refuses, though the server can handshake.
hostile tls11 -p "$pin"
like "$(cat "$ERR")" 'does not speak TLS 1.2 or later' "tls11: refused"
like "$(cat log.tls11)" 'handshake failed' "tls11: no handshake happened"
rm -f port
python3 "$root/t/hostile-tls.py" tls11 port log.tls11b cert.pem key.pem &
srv=$!
while ! [ -s port ]; do sleep 0.05; done
echo | timeout 10 openssl s_client -connect "127.0.0.1:$(cat port)" -tls1_1 \
    -cipher 'ALL:@SECLEVEL=0' >/dev/null 2>&1
wait "$srv" 2>/dev/null
is "$(cat log.tls11b)" "handshake TLSv1.1" "tls11: the same server speaks TLS 1.1 to openssl"
done_testing
