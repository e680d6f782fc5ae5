#!/usr/bin/env python3
# hostile-tls.py MODE PORTFILE LOG [CERT KEY]: an NNTP server on 127.0.0.1
# that breaks TLS, for t/1110-tls-hostile.t.  It writes its port to
# PORTFILE, answers one connection the way MODE says, and writes to LOG
# every byte the client sent in the clear (Python's repr of the bytes, one
# read per line), so a test can prove that no request left the client
# unencrypted.  Modes:
#   plain      an nntps port that speaks plaintext NNTP (greets at once)
#   refuse     STARTTLS answered with 580
#   noperm     STARTTLS answered with 502
#   unknown    STARTTLS answered with 500 (a server without it)
#   inject     382 and, in the same write, "200 injected" before any TLS
#   plain382   382, then plaintext instead of a handshake
#   stall      an nntps port that reads the ClientHello and says nothing
#   tls11      a real TLS server that speaks TLS 1.0 and 1.1 only (CERT KEY)
import socket, ssl, sys, time, warnings

mode, portfile, logfile = sys.argv[1], sys.argv[2], sys.argv[3]
log = open(logfile, 'w', buffering=1)
ls = socket.socket()
ls.bind(('127.0.0.1', 0))
ls.listen(1)
open(portfile, 'w').write('%d\n' % ls.getsockname()[1])
ls.settimeout(60)
try:
    c, _ = ls.accept()
except socket.timeout:
    sys.exit(0)
c.settimeout(5)


def drain(until=None):
    """Logs what the client sends; returns once a line ends with until."""
    buf = b''
    while True:
        try:
            d = c.recv(65536)
        except (socket.timeout, OSError):
            return buf
        if not d:
            return buf
        log.write(repr(d) + '\n')
        buf += d
        if until and buf.endswith(until):
            return buf


def hello():
    c.sendall(b'200 hostile ready\r\n')
    drain(b'\r\n')                  # MODE READER
    c.sendall(b'200 reader\r\n')
    drain(b'\r\n')                  # STARTTLS


try:
    if mode == 'plain':
        c.sendall(b'200 plaintext server\r\n')
        drain()
    elif mode == 'stall':
        drain()
        time.sleep(10)
    elif mode in ('refuse', 'noperm', 'unknown'):
        hello()
        c.sendall({'refuse': b'580 Can not initiate TLS negotiation\r\n',
                   'noperm': b'502 Command unavailable\r\n',
                   'unknown': b'500 What?\r\n'}[mode])
        drain()
    elif mode == 'inject':
        hello()
        c.sendall(b'382 Continue with TLS negotiation\r\n200 injected\r\n')
        drain()
    elif mode == 'plain382':
        hello()
        c.sendall(b'382 Continue with TLS negotiation\r\n')
        time.sleep(0.2)
        c.sendall(b'200 still plaintext\r\n')
        drain()
    elif mode == 'tls11':
        warnings.simplefilter('ignore', DeprecationWarning)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[4], sys.argv[5])
        ctx.set_ciphers('ALL:@SECLEVEL=0')
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        try:
            t = ctx.wrap_socket(c, server_side=True)
            log.write('handshake %s\n' % t.version())
            t.sendall(b'200 old TLS\r\n')
            t.recv(1000)
        except (ssl.SSLError, OSError) as e:
            log.write('handshake failed: %s\n' % e.__class__.__name__)
except OSError:
    pass
