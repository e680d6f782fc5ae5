#!/bin/sh
# 1010-node: one xc node (xc-node init/start/status/stop) and its filter.
# A real envelope is accepted, the same one again is a duplicate; each bad
# article is refused with its documented reason and nothing is stored: no
# or bad proof-of-work, id not the hash, Expires not the route stanza's,
# not an envelope, over size, a Control header; 10,000 posts of one
# envelope store one article; a bad copy posted first does not block the
# real envelope; the node's files name no client address and no handle.

# shellcheck source=t/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=t/net.sh
. "$root/t/net.sh"
net_need
plan 42

A=127.0.10.2:11910
U=nntp://$A
node_new n1 "$A" --max-size 65536
N=$(node_dir n1)

# init wrote what the issue asks for.
like "$(cat "$N/etc/inn.conf")" '^remembertrash: false$' "remembertrash false"
like "$(cat "$N/etc/inn.conf")" '^addinjectionpostinghost: false$' "no posting host"
like "$(cat "$N/etc/inn.conf")" '^maxartsize: [0-9]+$' "an explicit maxartsize"
like "$(cat "$N/etc/inn.conf")" '^logipaddr: false$' "no addresses in the news log"
like "$(xc-node status "$N")" 'running, innd pid [0-9]+, 127.0.10.2:11910, scheduler running' "status: running"
is "$(stat -c %U "$(dirname "$(readlink -f /proc/"$(cat "$N/run/innd.pid")"/exe)")" >/dev/null; ps -o user= -p "$(cat "$N/run/innd.pid")")" news "innd runs as news"
must_fail 4 xc-node init "$N"
must_fail 5 xc-node start "$N"

make_ids
echo "hello bob" | xc-seal -u @alice -r @bob --ttl 2h -o good.age
id=$(b2sum -l 256 good.age | cut -c1-64)
"$NNTP_TOOL" article good.age > good.art

# stored: the number of articles in the node's spool.
stored() {
	find "$N/spool/articles" -type f | wc -l | tr -d ' '
}
# refused NAME ARTICLE-FILE ID REASON: refused with REASON, nothing stored.
refused() {
	_before=$(stored)
	_o=$("$NNTP_TOOL" post-article "$U" "$3" "$2" 2>/dev/null)
	is "$_o" "$3 refused 437 $4" "$1: refused, '$4'"
	is "$(stored)" "$_before" "$1: nothing stored"
}

# Crafted copies of the good article (python edits the headers/body).
cat > "$tmp/craft.py" <<'PY'
import sys
art = open(sys.argv[1], 'rb').read()
head, body = art.split(b'\r\n\r\n', 1)
h = head.split(b'\r\n')
what = sys.argv[2]
def setf(name, val):
    global h
    h = [l for l in h if not l.startswith(name + b':')]
    if val is not None:
        h.insert(len(h) - 1, name + b': ' + val)
if what == 'nopow':
    setf(b'Comments', None)
elif what == 'badpow':
    setf(b'Comments', b'xc-pow 1 0000000000000000')
elif what == 'expires':
    setf(b'Expires', b'Thu, 01 Jan 2099 00:00:00 +0000')
elif what == 'noexpires':
    setf(b'Expires', None)
elif what == 'control':
    setf(b'Control', b'cancel <x@xc>')
elif what == 'notenv':
    body = b'hello, this is not an envelope\r\n'
elif what == 'flip':	# one byte of the armor changed
    i = body.index(b'\r\n') + 10
    body = body[:i] + (b'A' if body[i:i+1] != b'A' else b'B') + body[i+1:]
elif what in ('short', 'char', 'midpad'):	# one armor line malformed
    l = body.split(b'\r\n')
    l[2] = {'short': l[2][:-1], 'char': l[2][:-1] + b'*',
            'midpad': l[2][:-1] + b'='}[what]
    body = b'\r\n'.join(l)
elif what == 'big':
    body = body.replace(b'-----END', (b'A' * 64 + b'\r\n') * 2000 + b'-----END')
sys.stdout.buffer.write(b'\r\n'.join(h) + b'\r\n\r\n' + body)
PY
for w in nopow badpow expires noexpires control notenv flip short char midpad \
    big; do
	python3 "$tmp/craft.py" good.art $w > $w.art
done
refused "no proof-of-work" nopow.art "$id" "xc: no proof-of-work"
refused "a bad copy first" badpow.art "$id" "xc: insufficient proof-of-work"
refused "Expires not the route stanza's" expires.art "$id" "xc: Expires is not the route stanza expiry"
refused "no Expires" noexpires.art "$id" "xc: Expires is not the route stanza expiry"
refused "a Control header" control.art "$id" "xc: header not allowed: Control"
refused "not an envelope" notenv.art "$id" "xc: not an armored age file"
refused "id not the hash" flip.art "$id" "xc: Message-ID is not the hash of the envelope"
refused "an armor line of 63 columns" short.art "$id" "xc: malformed armor"
refused "a character outside base64" char.art "$id" "xc: malformed armor"
refused "padding inside the armor" midpad.art "$id" "xc: malformed armor"
before=$(stored)
o=$("$NNTP_TOOL" post-article "$U" "$id" big.art 2>/dev/null)
is "$o" "$id refused 437 Article is bigger than local limit of 106494 bytes" \
    "over maxartsize: refused by nnrpd"
is "$(stored)" "$before" "over maxartsize: nothing stored"
# A real envelope over the node's max-size but within maxartsize: the filter.
head -c 66000 /dev/urandom > blob
echo big | xc-seal -u @alice -r @bob --ttl 2h -A blob -o big.age
bid=$(b2sum -l 256 big.age | cut -c1-64)
is "$("$NNTP_TOOL" post "$U" big.age 2>/dev/null)" \
    "$bid refused 437 xc: envelope larger than 65536 bytes" "over max-size: refused by the filter"
is "$(stored)" "$before" "over max-size: nothing stored"

# The real envelope after all those bad copies: accepted, then duplicate.
is "$("$NNTP_TOOL" post "$U" good.age 2>/dev/null)" \
    "$id accepted 235 Article received <$id@xc>" "the real envelope is accepted after bad copies"
is "$("$NNTP_TOOL" post "$U" good.age 2>/dev/null)" "$id duplicate 435 Duplicate" \
    "the same envelope again: duplicate"
is "$(stored)" 1 "one article stored"

# 10,000 posts of one envelope, on 4 connections: one article.
python3 - "$A" "$id" good.art > flood.out <<'PY'
import socket, sys, threading
host, port = sys.argv[1].split(':')
mid = sys.argv[2]
art = open(sys.argv[3], 'rb').read()
counts = {}
lock = threading.Lock()
def worker(n):
    s = socket.create_connection((host, int(port)))
    f = s.makefile('rb')
    f.readline()
    s.sendall(b'MODE READER\r\n'); f.readline()
    for i in range(n):
        s.sendall(b'IHAVE <' + mid.encode() + b'@xc>\r\n')
        r = f.readline()[:3]
        if r == b'335':
            s.sendall(art + b'.\r\n'); r = f.readline()[:3]
        with lock:
            counts[r] = counts.get(r, 0) + 1
    s.sendall(b'QUIT\r\n')
ts = [threading.Thread(target=worker, args=(2500,)) for _ in range(4)]
[t.start() for t in ts]; [t.join() for t in ts]
print(' '.join('%s=%d' % (k.decode(), v) for k, v in sorted(counts.items())))
PY
is "$(cat flood.out)" "435=10000" "10,000 posts: each a duplicate"
is "$(stored)" 1 "10,000 posts: still one article"
like "$("$NNTP_TOOL" list "$U" "xc.b.$(python3 -c "
d = open('good.age', 'rb').read().split(b'\n')
i = [k for k, l in enumerate(d) if l.startswith(b'-> xc-route')][0]
import base64; print('%02x' % base64.b64decode(d[i+1] + b'=' * (-len(d[i+1]) % 4))[0])")" 0)" \
    "^1 $id [0-9a-f]{16}$" "the overview lists it with its tag"
mkdir got
is "$("$NNTP_TOOL" fetch "$U" got "$id")" "$id ok" "fetched"
ok "the fetched envelope is the one posted" cmp got/"$id".age good.age

# Nothing on the node names the client or a handle.
xc-node stop "$N" >/dev/null
# A handle is @alice or "alice" (in JSON): a bare "bob" turns up by
# chance in the base64 of an article (about one article in twelve).
leaks=$(grep -rlaE '127\.0\.0\.1|localhost|@(alice|bob)|"(alice|bob)"' "$N/spool" "$N/db" "$N/log" 2>/dev/null)
is "$leaks" "" "spool, overview, history and logs: no client address, no handle"
expect_exit 1 xc-node status "$N"
done_testing
