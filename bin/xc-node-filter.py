# filter_innd.py - the xc node filter, run by innd's embedded Python on
# every article it is offered: posted by a client (through nnrpd) or fed by
# a peer (IHAVE, CHECK/TAKETHIS).  Written by `xc-node init` (xc-node(8));
# the mapping it enforces is xc-nntp(5).  Parameters come first, set by
# init.
#
# An article is stored only if it is exactly an xc envelope as xc-nntp(5)
# maps one: Message-ID <ID@xc> with ID the BLAKE2b-256 of the envelope,
# the body the strict age armor of an age file whose header has X25519
# stanzas and one xc-route stanza, Newsgroups the buckets of its tags,
# Subject its tags, Expires its route expiry, a sufficient proof-of-work,
# and nothing else that a news server would act on (Control, Supersedes...);
# or exactly a chain of cards in xc.cards: each card signed by its
# identity key, all of the handle of the Subject, chained, Message-ID the
# BLAKE2b-256 of the chain and its Expires, a sufficient proof-of-work.
# Anything else is refused with a reason starting "xc: ".  Python rather
# than Perl: hashlib has BLAKE2b and SHA-512 in C, Perl's core has no
# BLAKE2b.  Checking a 1 MiB envelope costs one base64 decoding and one
# BLAKE2b pass; the proof-of-work, three SHA-512 over at most 80 bytes.

import base64
import binascii
import ctypes
import email.utils
import hashlib
import json
import re
import time

_MID = re.compile(rb'<([0-9a-f]{64})@xc>\Z')
_POW = re.compile(rb'xc-pow 1 ([0-9a-f]{16})\Z')
_EXP = re.compile(rb'(0|[1-9][0-9]{0,12})\Z')
_B64 = re.compile(rb'[A-Za-z0-9+/]*\Z')
_FROM = b'xc <xc@xc.invalid>'
_WDAY = ('Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun')
_MON = ('Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep',
        'Oct', 'Nov', 'Dec')
# Headers a news server acts on, which an envelope never carries.
_FORBIDDEN = ('Control', 'Also-Control', 'Supersedes', 'Approved',
              'Followup-To', 'References', 'Distribution', 'Injection-Date',
              'NNTP-Posting-Host', 'X-Trace', 'Cancel-Key', 'Cancel-Lock')
BEGIN = b'-----BEGIN AGE ENCRYPTED FILE-----'
END = b'-----END AGE ENCRYPTED FILE-----'
# Cards (xc-nntp(5), "Cards"): a chain of cards of one handle.
CARDS = b'xc.cards'
MAX_CHAIN = 65536
_CSUBJ = re.compile(rb'xc-card1 ([a-z0-9_]{1,32})\Z')
_CLINE = re.compile(rb'xc-card-v1 ([A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]) '
                    rb'([A-Za-z0-9+/]{85}[AQgw])\Z')
# Card signatures are checked by libsodium (xc's own dependency), through
# ctypes: pure Python Ed25519 would cost milliseconds a card.
try:
    _sodium = ctypes.CDLL('libsodium.so.23')
    if _sodium.sodium_init() < 0:
        _sodium = None
except OSError:
    _sodium = None


class Refused(Exception):
    pass


def rfc5322(t):
    g = time.gmtime(t)
    return ('%s, %02d %s %04d %02d:%02d:%02d +0000' % (
        _WDAY[g.tm_wday], g.tm_mday, _MON[g.tm_mon - 1], g.tm_year,
        g.tm_hour, g.tm_min, g.tm_sec)).encode()


def header(art, name):
    v = art[name]
    return None if v is None else bytes(v)


def unterminated(body):
    """The body as innd hands it over, in wire format with its terminating
    dot line (its LF cut): without that line."""
    for end in (b'\r\n.\r\n', b'\r\n.\r'):
        if body.endswith(end):
            return body[:2 - len(end)]
    return body


def b64lines(data, what):
    """Padded base64 in lines of 64 columns, the last 4 to 64 in fours,
    decoded strictly and encoded back (canonical), both in C: a check per
    line in Python was most of the filter's time."""
    if not data:
        raise Refused('xc: malformed ' + what)
    last = len(data[-1])
    if not 0 < last <= 64 or last % 4 or not set(map(len, data[:-1])) <= {64}:
        raise Refused('xc: malformed ' + what)
    joined = b''.join(data)
    try:
        raw = binascii.a2b_base64(joined, strict_mode=True)
    except Exception:
        raise Refused('xc: malformed ' + what)
    if base64.b64encode(raw) != joined:
        raise Refused('xc: malformed ' + what)
    return raw


def dearmor(body):
    """The strict age armor (RFC 7468 as age has it): whitespace around
    the block, 64-column padded base64, CRLF or LF.  innd hands the body
    over in wire format, with its terminating dot line (its LF cut)."""
    body = unterminated(body)
    lines = body.replace(b'\r\n', b'\n').strip(b' \t\r\n').split(b'\n')
    if len(lines) < 3 or lines[0] != BEGIN or lines[-1] != END:
        raise Refused('xc: not an armored age file')
    return b64lines(lines[1:-1], 'armor')


def b64_stanza(lines):
    s = b''.join(lines)
    if not _B64.match(s) or len(s) % 4 == 1:
        raise Refused('xc: not an xc envelope (stanza body)')
    raw = base64.b64decode(s + b'=' * (-len(s) % 4))
    if base64.b64encode(raw).rstrip(b'=') != s:
        raise Refused('xc: not an xc envelope (stanza body)')
    return raw


def route(env):
    """(expiry, tags) of the envelope; refuses anything but an age v1
    header of X25519 stanzas and one xc-route stanza, then a payload."""
    if not env.startswith(b'age-encryption.org/v1\n'):
        raise Refused('xc: not an age file')
    pos, stanzas, r = 22, 0, None
    nx = 0
    while True:
        nl = env.find(b'\n', pos, pos + 4096)
        if nl < 0:
            raise Refused('xc: not an xc envelope (header)')
        line = env[pos:nl]
        pos = nl + 1
        if line.startswith(b'--- '):
            break
        if not line.startswith(b'-> '):
            raise Refused('xc: not an xc envelope (header)')
        args = line[3:].split(b' ')
        body = []
        while True:
            nl = env.find(b'\n', pos, pos + 4096)
            if nl < 0:
                raise Refused('xc: not an xc envelope (header)')
            b = env[pos:nl]
            pos = nl + 1
            if len(b) > 64:
                raise Refused('xc: not an xc envelope (header)')
            body.append(b)
            if len(b) < 64:
                break
        stanzas += 1
        if stanzas > 256:
            raise Refused('xc: not an xc envelope (header)')
        if args[0] == b'X25519':
            nx += 1
        elif args[0] == b'xc-route':
            if r is not None or len(args) != 3 or args[1] != b'1' or \
                    not _EXP.match(args[2]) or int(args[2]) > 1 << 40:
                raise Refused('xc: not an xc envelope (route stanza)')
            raw = b64_stanza(body)
            if not raw or len(raw) % 8 or len(raw) > 64 * 8:
                raise Refused('xc: not an xc envelope (route stanza)')
            r = (int(args[2]), [raw[i:i + 8] for i in range(0, len(raw), 8)])
        else:
            raise Refused('xc: not an xc envelope (stanza type)')
    if r is None or nx != len(r[1]):
        raise Refused('xc: not an xc envelope (route stanza)')
    if len(line) != 47 or len(env) < pos + 32:
        raise Refused('xc: not an xc envelope (payload)')
    return r


def target(size, ttl):
    l = size + EXTRA
    d = PER_BYTE * (l + ((ttl * l) >> 16))
    return (1 << 64) - 1 if d <= 1 else min((1 << 64) // d, (1 << 64) - 1)


def pow_ok(art, mid, size, exp, ttl):
    p = _POW.match(header(art, 'Comments') or b'')
    if not p:
        raise Refused('xc: no proof-of-work')
    initial = hashlib.sha512(b'xc-pow-v1\0' + bytes.fromhex(mid.decode())
                             + size.to_bytes(8, 'big')
                             + exp.to_bytes(8, 'big')).digest()
    h = hashlib.sha512(bytes.fromhex(p.group(1).decode()) + initial).digest()
    trial = int.from_bytes(hashlib.sha512(h).digest()[:8], 'big')
    if trial > target(size, ttl):
        raise Refused('xc: insufficient proof-of-work')


def unb64(s):
    return base64.b64decode(s + b'=' * (-len(s) % 4))


def check_cards(art, now, mid):
    """A chain of cards of one handle, each signed by its identity key,
    linked one to the next; Expires no later than the last card's."""
    s = _CSUBJ.match(header(art, 'Subject') or b'')
    if not s:
        raise Refused('xc: Subject is not xc-card1 HANDLE')
    body = unterminated(header(art, '__BODY__') or b'')
    if len(body) > MAX_CHAIN * 4 // 3 + MAX_CHAIN // 24 + 4096:
        raise Refused('xc: chain larger than %d bytes' % MAX_CHAIN)
    chain = b64lines(body.replace(b'\r\n', b'\n').strip(b'\n')
                     .split(b'\n'), 'chain of cards')
    if len(chain) > MAX_CHAIN:
        raise Refused('xc: chain larger than %d bytes' % MAX_CHAIN)
    lines = chain.split(b'\n')
    if len(lines) < 3 or len(lines) % 2 != 1 or lines[-1] != b'':
        raise Refused('xc: not a chain of cards')
    if _sodium is None:
        raise Refused('xc: this node cannot check card signatures')
    prev = None
    for i in range(0, len(lines) - 1, 2):
        c = _CLINE.match(lines[i])
        if not c or len(lines[i + 1]) > 8192:
            raise Refused('xc: not a card')
        ik, sig, js = unb64(c.group(1)), unb64(c.group(2)), lines[i + 1]
        msg = b'xc-card-v1\0' + js
        if _sodium.crypto_sign_verify_detached(
                sig, msg, ctypes.c_ulonglong(len(msg)), ik) != 0:
            raise Refused('xc: a card\'s signature does not verify')
        j = json.loads(js)
        if not isinstance(j, dict) or j.get('handle') != \
                s.group(1).decode() or j.get('ik') != c.group(1).decode():
            raise Refused('xc: a card of another handle or key')
        card = lines[i] + b'\n' + js + b'\n'
        if prev is not None and (
                j.get('seq') != prev[1].get('seq', 0) + 1 or
                j.get('prev') != base64.b64encode(
                    hashlib.sha256(prev[0]).digest()).rstrip(b'=').decode()
                or ik != prev[2]):
            raise Refused('xc: the cards are not a chain')
        prev = (card, j, ik)
    last = prev[1].get('expires')
    if not isinstance(last, int) or isinstance(last, bool):
        raise Refused('xc: not a card')
    expires = header(art, 'Expires') or b''
    t = email.utils.parsedate_tz(expires.decode('ascii', 'replace'))
    exp = email.utils.mktime_tz(t) if t else 0
    if exp <= 0 or rfc5322(exp) != expires:
        raise Refused('xc: Expires missing or malformed')
    if exp > last:
        raise Refused('xc: Expires after the card expires')
    if exp <= now:
        raise Refused('xc: expired')
    if exp - now > MAX_TTL + 3600:
        raise Refused('xc: expires more than %d days ahead' %
                      (MAX_TTL // 86400))
    if hashlib.blake2b(chain + exp.to_bytes(8, 'big'),
                       digest_size=32).hexdigest().encode() != mid:
        raise Refused('xc: Message-ID is not the hash of the chain')
    pow_ok(art, mid, len(chain), exp, max(exp - now, MIN_TTL))
    return ''


def check(art, now):
    mid = header(art, 'Message-ID')
    m = _MID.match(mid or b'')
    if not m:
        raise Refused('xc: Message-ID is not <ID@xc>')
    for h in _FORBIDDEN:
        if art[h] is not None:
            raise Refused('xc: header not allowed: %s' % h)
    if header(art, 'From') != _FROM:
        raise Refused('xc: From is not the fixed one')
    if header(art, 'Newsgroups') == CARDS:
        return check_cards(art, now, m.group(1))
    body = header(art, '__BODY__') or b''
    if len(body) > MAX_ENVELOPE * 4 // 3 + MAX_ENVELOPE // 24 + 4096:
        raise Refused('xc: envelope larger than %d bytes' % MAX_ENVELOPE)
    env = dearmor(body)
    if len(env) > MAX_ENVELOPE:
        raise Refused('xc: envelope larger than %d bytes' % MAX_ENVELOPE)
    if hashlib.blake2b(env, digest_size=32).hexdigest().encode() != m.group(1):
        raise Refused('xc: Message-ID is not the hash of the envelope')
    exp, tags = route(env)
    groups = b','.join(sorted({b'xc.b.%02x' % t[0] for t in tags}))
    if header(art, 'Newsgroups') != groups:
        raise Refused('xc: Newsgroups are not the buckets of the tags')
    if header(art, 'Subject') != b'xc1 ' + b' '.join(t.hex().encode()
                                                     for t in tags):
        raise Refused('xc: Subject is not the tags')
    expires = header(art, 'Expires')
    if exp == 0:
        if expires is not None:
            raise Refused('xc: Expires but the route stanza has no expiry')
        ttl = MAX_TTL
    else:
        if expires != rfc5322(exp):
            raise Refused('xc: Expires is not the route stanza expiry')
        if exp <= now:
            raise Refused('xc: expired')
        if exp - now > MAX_TTL + 3600:
            raise Refused('xc: expires more than %d days ahead' %
                          (MAX_TTL // 86400))
        ttl = max(exp - now, MIN_TTL)
    pow_ok(art, m.group(1), len(env), exp, ttl)
    return ''


class XcFilter:
    def filter_art(self, art):
        try:
            return check(art, int(time.time()))
        except Refused as e:
            return str(e)
        except Exception:
            return 'xc: malformed article'

    def filter_messageid(self, msgid):
        # Refused before the body is sent (IHAVE, CHECK).
        if not _MID.match(bytes(msgid) if not isinstance(msgid, str)
                          else msgid.encode()):
            return 'xc: Message-ID is not <ID@xc>'
        return ''

    def filter_mode(self, oldmode, newmode, reason):
        pass

    def filter_before_reload(self):
        pass

    def filter_close(self):
        pass


if __name__ != '__main__':
    try:
        import INN
        INN.set_filter_hook(XcFilter())
    except ImportError:
        pass
