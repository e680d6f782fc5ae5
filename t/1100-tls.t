#!/bin/sh
# 1100-tls: a node with TLS (xc-node init makes a self-signed certificate;
# nnrpd serves nntps on its own port and STARTTLS on the plaintext one)
# and the client over it (t/nntp-tool, as xc-send and xc-fetch will).
# The pin xc-node prints is the SHA-256 of the certificate that openssl
# prints, in each form a user may paste; posting, listing and fetching
# work over nntps and over STARTTLS with the right pin; a wrong pin, and
# no pin without an authority that signed the certificate, are refused
# before anything is posted; the system-store path checks the address;
# init's TLS options are checked; stop stops nnrpd.

# shellcheck source=t/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=t/net.sh
. "$root/t/net.sh"
net_need
command -v openssl >/dev/null || { echo "1..0 # SKIP no openssl"; exit 0; }
plan 43
unset SSL_CERT_FILE SSL_CERT_DIR

A=127.0.11.2
P=11100
TP=56300
U=nntp://$A:$P
TU=nntps://$A:$TP
node_new n1 "$A:$P" --tls-listen "$A:$TP"
N=$(node_dir n1)
C=$N/etc/tls/cert.pem

# What init wrote, and the pin to publish.
st=$(xc-node status "$N")
like "$st" "^tls nntps://$A:$TP SHA256:[A-Za-z0-9+/]{43}, nnrpd pid [0-9]+\$" \
    "status: the nntps URL, the pin and nnrpd"
pin=$(printf '%s\n' "$st" | sed -n 's/^tls [^ ]* \(SHA256:[^,]*\),.*/\1/p')
is "$("$NNTP_TOOL" fingerprint "$C")" "$pin" "the pin is the certificate's"
hex=$(openssl x509 -in "$C" -noout -fingerprint -sha256 | sed 's/.*=//')
is "$("$NNTP_TOOL" pin "SHA256:$hex")" "$pin" \
    "openssl x509 -fingerprint -sha256 gives the same pin"
b64=$(openssl x509 -in "$C" -outform DER | openssl dgst -sha256 -binary | base64)
is "$("$NNTP_TOOL" pin "SHA256:$b64")" "$pin" \
    "openssl dgst -sha256 | base64 gives the same pin (with its '=')"
lower=$(printf '%s' "$hex" | tr -d : | tr 'A-F' 'a-f')
is "$("$NNTP_TOOL" pin "sha256:$lower")" "$pin" "lowercase hex without colons"
is "$(stat -c '%U %a' "$N/etc/tls/key.pem")" "news 600" "the key: news's alone"
like "$(openssl x509 -in "$C" -noout -text)" "IP Address:$A" "the certificate names the address"
like "$(openssl x509 -in "$C" -noout -text)" "ASN1 OID: prime256v1" "an EC P-256 key"
like "$(cat "$N/etc/inn.conf")" '^tlsprotocols: \[ TLSv1\.2 TLSv1\.3 \]$' "TLS 1.2 and 1.3 only"
like "$(cat "$N/etc/inn.conf")" '^nnrpdflags: "-n"$' "no reverse DNS of readers"
npid=$(cat "$N/run/nnrpd-$TP.pid")
is "$(ps -o user= -p "$npid")" news "nnrpd runs as news"

make_ids
seal_envs 3 envs
stored() {
	find "$N/spool/articles" -type f | wc -l | tr -d ' '
}

# nntps with the right pin: post, list, fetch.
expect_exit 0 "$NNTP_TOOL" -p "$pin" post "$TU" envs/e0.age envs/e1.age
is "$(grep -c ' accepted 235 ' "$OUT")" 2 "nntps: two envelopes accepted"
id0=$(b2sum -l 256 envs/e0.age | cut -c1-64)
id1=$(b2sum -l 256 envs/e1.age | cut -c1-64)
g=$("$NNTP_TOOL" -p "$pin" list "$TU" "$(env_group envs/e0.age)" 0)
like "$g" "^[0-9]+ $id0 " "nntps: the listing has the first"
like "$g" "^[0-9]+ $id1 " "nntps: and the second"
mkdir got
expect_exit 0 "$NNTP_TOOL" -p "$pin" fetch "$TU" got "$id0" "$id1"
ok "nntps: the fetched envelopes are the posted ones" cmp got/"$id0".age envs/e0.age
# Every form of the pin, and a list with the right one last.
expect_exit 0 "$NNTP_TOOL" -p "SHA256:$hex" connect "$TU"
expect_exit 0 "$NNTP_TOOL" -p "SHA256:$(printf '%064d' 0),$pin" connect "$TU"

# A wrong pin: refused in the handshake, nothing posted, the real pin in a hint.
before=$(stored)
must_fail 5 "$NNTP_TOOL" -p "SHA256:$(printf '%064d' 0)" post "$TU" envs/e2.age
like "$(cat "$ERR")" 'not the pinned one' "wrong pin: the reason"
ok "wrong pin: the server's pin as a hint" \
    grep -qxF "nntp-tool: hint: the server's certificate is $pin" "$ERR"
is "$(stored)" "$before" "wrong pin: nothing stored"
# No pin: the system's authorities did not sign a node's own certificate.
must_fail 5 "$NNTP_TOOL" post "$TU" envs/e2.age
like "$(cat "$ERR")" 'not signed by an authority this machine trusts' \
    "no pin, no authority: refused"
is "$(stored)" "$before" "no pin: nothing stored"
# The certificate as an authority (SSL_CERT_FILE): accepted, for its address.
expect_exit 0 env SSL_CERT_FILE="$C" "$NNTP_TOOL" connect "$TU"
must_fail 3 "$NNTP_TOOL" -p "SHA1:$(printf '%040d' 0)" connect "$TU"
like "$(cat "$ERR")" 'a pin is SHA256: and' "a pin of another kind: refused"
must_fail 3 "$NNTP_TOOL" -p "SHA256:$(printf '%063d' 0)" connect "$TU"

# STARTTLS on the plaintext port: the same, and plaintext still works.
expect_exit 0 "$NNTP_TOOL" -S -p "$pin" post "$U" envs/e2.age
like "$(cat "$OUT")" ' accepted 235 ' "STARTTLS: accepted"
must_fail 5 "$NNTP_TOOL" -S -p "SHA256:$(printf '%064d' 0)" connect "$U"
expect_exit 0 "$NNTP_TOOL" connect "$U"
must_fail 5 "$NNTP_TOOL" -p "$pin" connect "nntps://$A:$P"
like "$(cat "$ERR")" 'does not speak TLS there' "nntps to the plaintext port: refused"

# init's options.
must_fail 2 xc-node init "$tmp/nodes/x" --listen "$A:$P" --tls-listen "$A:$P"
must_fail 2 xc-node init "$tmp/nodes/x" --tls-listen nowhere
must_fail 2 xc-node init "$tmp/nodes/x" --tls-listen "$A:1" --no-tls
must_fail 2 xc-node status "$N" --no-tls
expect_exit 0 xc-node init "$tmp/nodes/plain" --listen "$A:11101" --no-tls
is_file_absent "$tmp/nodes/plain/etc/tls/cert.pem" "--no-tls: no certificate"

# stop ends nnrpd too.
xc-node stop "$N" >/dev/null
ok "stop: nnrpd is gone" sh -c "! kill -0 $npid 2>/dev/null || grep -q '^State:.*Z' /proc/$npid/status"
done_testing
