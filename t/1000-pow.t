#!/bin/sh
# 1000-pow: the proof-of-work of xc-nntp(5) and the article of an envelope.
# The C code (lib/pow.c through t/nntp-tool) against an independent Python
# implementation (hashlib), on fixed vectors and on envelopes; a solved
# nonce passes and one from another envelope does not; the article has
# exactly the header set of xc-nntp(5); solve times for 1 KiB and 1 MiB.

# shellcheck source=t/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=t/net.sh
. "$root/t/net.sh"

[ -x "$NNTP_TOOL" ] || { echo "Bail out! $NNTP_TOOL is missing"; exit 255; }
plan 17

cat > "$tmp/pow.py" <<'PY'
import hashlib, sys
PER_BYTE, EXTRA, MAX_TTL, MIN_TTL = 1, 16384, 30 * 86400, 300
def vector(idhex, size, exp, nonce, now):
    init = hashlib.sha512(b'xc-pow-v1\0' + bytes.fromhex(idhex) +
                          size.to_bytes(8, 'big') + exp.to_bytes(8, 'big')).digest()
    h = hashlib.sha512(nonce.to_bytes(8, 'big') + init).digest()
    trial = int.from_bytes(hashlib.sha512(h).digest()[:8], 'big')
    ttl = MAX_TTL if exp == 0 else max(exp - now, MIN_TTL)
    l = size + EXTRA
    d = PER_BYTE * (l + ((ttl * l) >> 16))
    target = min((1 << 64) // d, (1 << 64) - 1)
    return '%s %016x %016x %s' % (init.hex(), trial, target,
                                  'ok' if trial <= target else 'short')
a = sys.argv[1:]
print(vector(a[0], int(a[1]), int(a[2]), int(a[3], 16), int(a[4])))
PY

# Fixed vectors: ids, sizes, expiries, nonces, clocks.
n=0
while read -r id size exp nonce now; do
	n=$((n + 1))
	is "$("$NNTP_TOOL" pow-vector "$id" "$size" "$exp" "$nonce" "$now")" \
	    "$(python3 "$tmp/pow.py" "$id" "$size" "$exp" "$nonce" "$now")" \
	    "vector $n: C and Python agree"
done <<'V'
0000000000000000000000000000000000000000000000000000000000000000 0 0 0000000000000000 0
a1af075b531f97851a157123e5c29b5940b14ba315839ec5e7739342658db077 1024 1795625374 00000000deadbeef 1795600000
a1af075b531f97851a157123e5c29b5940b14ba315839ec5e7739342658db077 1048576 0 ffffffffffffffff 1795600000
0789dc5b204cec5323a88c6633c253fd9af9d22057a8b4c7a124938936181054 3812 1795625374 0123456789abcdef 1795625300
V

make_ids || { echo "Bail out! cannot make identities"; exit 255; }
echo hello | xc-seal -u @alice -r @bob --ttl 2h -o env.age
out=$("$NNTP_TOOL" pow env.age)
nonce=${out%% *}
id=$(b2sum -l 256 env.age | cut -c1-64)
size=$(wc -c < env.age)
exp=$(python3 -c "
import sys
d = open('env.age', 'rb').read().split(b'\n')
print([l for l in d if l.startswith(b'-> xc-route')][0].split()[3].decode())")
now=$(date +%s)
like "$("$NNTP_TOOL" pow-vector "$id" "$size" "$exp" "$nonce" "$now")" ' ok$' \
    "a solved nonce is sufficient (C)"
like "$(python3 "$tmp/pow.py" "$id" "$size" "$exp" "$nonce" "$now")" ' ok$' \
    "a solved nonce is sufficient (Python)"
# The same nonce for another size or expiry is (almost surely) short.
like "$("$NNTP_TOOL" pow-vector "$id" $((size + 1)) "$exp" "$nonce" "$now")" \
    ' short$' "the nonce is bound to the size"
like "$("$NNTP_TOOL" pow-vector "$id" "$size" $((exp + 1)) "$nonce" "$now")" \
    ' short$' "the nonce is bound to the expiry"

# The article: exactly the headers of xc-nntp(5), then the armor.
"$NNTP_TOOL" article env.age > art
heads=$(sed -n '1,/^\r$/p' art | tr -d '\r' | sed 's/:.*//' | tr '\n' ' ')
is "$heads" "Path From Newsgroups Subject Message-ID Date Expires Comments  " \
    "the header set"
is "$(grep '^Message-ID' art | tr -d '\r')" "Message-ID: <$id@xc>" \
    "Message-ID is <ID@xc>"
like "$(grep '^Date' art | tr -d '\r')" '^Date: [A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:00:00 \+0000$' \
    "the Date is rounded to the hour"
is "$(grep '^Expires' art | tr -d '\r')" \
    "Expires: $(python3 -c "import email.utils; print(email.utils.formatdate($exp).replace('-0000', '+0000'))")" \
    "Expires is the route stanza's expiry"
is "$(grep '^From' art | tr -d '\r')" "From: xc <xc@xc.invalid>" "From is fixed"
sed -n '/^\r$/,$p' art | tail -n +2 | tr -d '\r' > body
is "$(xc-open --raw -i "$XC_HOME/ids/bob/enc-1.key" body >/dev/null 2>&1; echo $?)" 0 \
    "the body is the envelope's armor (age opens it)"
is "$(python3 -c "
import base64
l = [x for x in open('body', 'rb').read().split(b'\n') if x and not x.startswith(b'-----')]
print(base64.b64decode(b''.join(l)) == open('env.age', 'rb').read())")" True \
    "the armor decodes to the envelope's bytes"

# No work for an envelope past its expiry.
expect_exit 3 "$NNTP_TOOL" -n $((exp + 10)) pow env.age

# Solve times at the default difficulty: 1 KiB without expiry (the
# longest lifetime), 1 MiB expiring in a day.
head -c 700 /dev/urandom | base64 > small
head -c 1000000 /dev/urandom > large
xc-seal -u @alice -r @bob -o small.age small
xc-seal -u @alice -r @bob --ttl 24h -o large.age -A large small
for f in small.age large.age; do
	out=$("$NNTP_TOOL" pow "$f")
	diag "proof-of-work, $(wc -c < "$f") bytes: $(echo "$out" | cut -d' ' -f3) ms (expected trials $(echo "$out" | cut -d' ' -f2))"
done
ok "solve times printed" true
done_testing
