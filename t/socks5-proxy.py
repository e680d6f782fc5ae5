#!/usr/bin/env python3
# socks5-proxy.py PORTFILE LOG [MODE] [NAME=ADDRESS...]: a SOCKS5 proxy
# (RFC 1928, RFC 1929) on 127.0.0.1 for the t/11xx tests, which writes its
# port to PORTFILE and one line per CONNECT to LOG:
#   user=USER pass=PASS atyp=name|ipv4|ipv6 host=HOST port=PORT
# (user=- when the client chose no authentication).  Like Tor, it picks
# user name and password whenever the client offers it.  It resolves
# names itself, from the NAME=ADDRESS pairs only (no DNS: the tests check
# that the client never resolves), and relays bytes both ways.  It serves
# until killed.  MODE (default "relay") makes it hostile instead, on every
# connection:
#   badver     answers the methods with version 4
#   nomethod   accepts no method (0xff)
#   authfail   refuses the user name and password
#   refused    answers CONNECT with "connection refused" (5)
#   badatyp    answers CONNECT with address type 7
#   drip       answers CONNECT one byte every 0.5 s, for ever
#   silent     reads the methods and says nothing
#   eager      relays, but sends its reply and the server's first bytes in
#              one write (the client must read the reply to its end only)
import os, socket, struct, sys, threading, time

portfile, logfile = sys.argv[1], sys.argv[2]
mode = 'relay'
names = {}
for a in sys.argv[3:]:
    if '=' in a:
        k, v = a.split('=', 1)
        names[k.lower()] = v
    else:
        mode = a
log = open(logfile, 'a', buffering=1)
lock = threading.Lock()


def recv_exact(s, n):
    b = b''
    while len(b) < n:
        d = s.recv(n - len(b))
        if not d:
            raise EOFError
        b += d
    return b


def pump(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(c):
    c.settimeout(30)
    ver, n = recv_exact(c, 2)
    methods = recv_exact(c, n)
    if mode == 'silent':
        time.sleep(30)
        return
    if mode == 'badver':
        c.sendall(b'\x04\x00')
        time.sleep(5)
        return
    if mode == 'nomethod' or (2 not in methods and 0 not in methods):
        c.sendall(b'\x05\xff')
        return
    user = pw = '-'
    if 2 in methods:
        c.sendall(b'\x05\x02')
        v, ul = recv_exact(c, 2)
        user = recv_exact(c, ul).decode('ascii', 'replace')
        pl = recv_exact(c, 1)[0]
        pw = recv_exact(c, pl).decode('ascii', 'replace')
        if mode == 'authfail':
            c.sendall(b'\x01\x01')
            return
        c.sendall(b'\x01\x00')
    else:
        c.sendall(b'\x05\x00')
    v, cmd, rsv, atyp = recv_exact(c, 4)
    if atyp == 1:
        host, kind = socket.inet_ntop(socket.AF_INET, recv_exact(c, 4)), 'ipv4'
    elif atyp == 4:
        host, kind = socket.inet_ntop(socket.AF_INET6, recv_exact(c, 16)), 'ipv6'
    else:
        host, kind = recv_exact(c, recv_exact(c, 1)[0]).decode('ascii', 'replace'), 'name'
    port = struct.unpack('>H', recv_exact(c, 2))[0]
    with lock:
        log.write('user=%s pass=%s atyp=%s host=%s port=%d\n' % (user, pw, kind, host, port))
    if mode == 'refused':
        c.sendall(b'\x05\x05\x00\x01\x00\x00\x00\x00\x00\x00')
        return
    if mode == 'badatyp':
        c.sendall(b'\x05\x00\x00\x07\x00\x00\x00\x00\x00\x00')
        time.sleep(5)
        return
    if mode == 'drip':
        for b in b'\x05\x00\x00\x01\x7f\x00\x00\x01\x00\x77' * 100:
            c.sendall(bytes([b]))
            time.sleep(0.5)
        return
    addr = names.get(host.lower(), host if kind != 'name' else None)
    try:
        if addr is None:
            raise OSError('unknown name')
        s = socket.create_connection((addr, port), timeout=10)
    except OSError:
        c.sendall(b'\x05\x04\x00\x01\x00\x00\x00\x00\x00\x00')
        return
    s.settimeout(None)
    c.settimeout(None)
    reply = b'\x05\x00\x00\x01' + socket.inet_aton('127.0.0.1') + b'\x00\x00'
    if mode == 'eager':
        s.settimeout(10)
        reply += s.recv(65536)
        s.settimeout(None)
    c.sendall(reply)
    threading.Thread(target=pump, args=(s, c), daemon=True).start()
    pump(c, s)


def handle(c):
    try:
        serve(c)
    except (OSError, EOFError, ValueError):
        pass
    finally:
        try:
            c.close()
        except OSError:
            pass


ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(('127.0.0.1', 0))
ls.listen(64)
with open(portfile + '.tmp', 'w') as f:
    f.write('%d\n' % ls.getsockname()[1])
os.rename(portfile + '.tmp', portfile)
while True:
    c, _ = ls.accept()
    threading.Thread(target=handle, args=(c,), daemon=True).start()
