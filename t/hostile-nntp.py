#!/usr/bin/env python3
# hostile-nntp.py MODE PORTFILE: a hostile NNTP server on 127.0.0.1 for
# t/1030-hostile.t.  It answers one connection (then exits) in the way
# MODE says, after writing its port to PORTFILE:
#   longline   a greeting line of 1 MiB without an end
#   endless    a good greeting, then an endless multi-line answer to GROUP/OVER
#   wrongcode  answers "999 ..." and "2x0"
#   drip       a greeting one byte every 0.5 s, for ever
#   silent     accepts and says nothing
#   bigbody    a 222 BODY answer that never ends (64-column lines)
#   badover    OVER lines with numbers out of the range asked
# and for xc-send and xc-fetch (t/1070): after the greeting and MODE
# READER, the group asked is answered as itself, and the overview lines
# carry the tag in $HOSTILE_TAG (16 hex digits), so that the client asks
# for a body:
#   f-endless  an overview that never ends
#   f-drip     an overview one byte every 0.5 s
#   f-badover  an overview line numbered outside the range asked
#   f-bigbody  a body that never ends
#   f-junk     a body that is armor, but not the envelope its id names
#   p-silent   IHAVE answered 335, then silence
#   p-wrong    IHAVE answered with a line that is no status
#   p-later    IHAVE answered 436
# and for xc-verify --lookup (t/1160): the cards group, whose overview
# lists the files $HOSTILE_CARDS/1, 2... (bodies sent as they are, with
# CRLF) as articles with the Subject "xc-card1 $HOSTILE_HANDLE":
#   l-cards    then QUIT
#   l-endless  the same, then a body that never ends
import socket, sys, time
mode, portfile = sys.argv[1], sys.argv[2]
ls = socket.socket(); ls.bind(('127.0.0.1', 0)); ls.listen(1)
open(portfile, 'w').write('%d\n' % ls.getsockname()[1])
ls.settimeout(60)
try:
    c, _ = ls.accept()
except socket.timeout:
    sys.exit(0)
c.settimeout(60)
f = c.makefile('rb')
def send(b):
    try:
        c.sendall(b)
        return True
    except OSError:
        return False
def hello():
    send(b'200 hostile ready\r\n')
    f.readline()                      # MODE READER
    send(b'200 reader\r\n')
deadline = time.time() + 60
try:
    if mode == 'longline':
        send(b'200 ' + b'x' * (1 << 20))
        time.sleep(5)
    elif mode == 'endless':
        hello(); f.readline()         # GROUP
        send(b'211 5 1 5 xc.b.00\r\n'); f.readline()
        send(b'224 overview\r\n')
        line = b'1\txc1 0011223344556677\tx\td\t<' + b'a' * 64 + b'@xc>\t\t10\t1\r\n'
        while time.time() < deadline and send(line * 100):
            pass
    elif mode == 'wrongcode':
        send(b'999 what\r\n'); time.sleep(5)
    elif mode == 'drip':
        for b in b'200 slowly ready\r\n' * 1000:
            if time.time() > deadline or not send(bytes([b])):
                break
            time.sleep(0.5)
    elif mode == 'silent':
        time.sleep(60)
    elif mode == 'bigbody':
        hello(); f.readline()
        send(b'222 0 <x@xc> body\r\n')
        line = b'A' * 64 + b'\r\n'
        while time.time() < deadline and send(line * 1000):
            pass
    elif mode == 'badover':
        hello(); f.readline()
        send(b'211 5 1 5 xc.b.00\r\n'); f.readline()
        send(b'224 overview\r\n9999\txc1 0011223344556677\tx\td\t<' + b'a' * 64 +
             b'@xc>\t\t10\t1\r\n.\r\n')
        time.sleep(5)
    elif mode.startswith('f-'):
        import os
        tag = os.environ.get('HOSTILE_TAG', '00' * 8).encode()
        hello()
        g = f.readline().split()          # GROUP name
        name = g[1] if len(g) > 1 else b'xc.b.00'
        send(b'211 1 1 1 ' + name + b'\r\n')
        f.readline()                      # OVER 1-1
        ident = b'<' + b'ab' * 32 + b'@xc>'
        over = b'1\txc1 ' + tag + b'\tx\td\t' + ident + b'\t\t6000\t90\r\n'
        if mode == 'f-endless':
            send(b'224 overview\r\n')
            while time.time() < deadline and send(over * 100):
                pass
        elif mode == 'f-drip':
            for b in b'224 overview\r\n' + over * 1000:
                if time.time() > deadline or not send(bytes([b])):
                    break
                time.sleep(0.5)
        elif mode == 'f-badover':
            send(b'224 overview\r\n' + over.replace(b'1\t', b'7\t', 1) + b'.\r\n')
            time.sleep(5)
        else:
            send(b'224 overview\r\n' + over + b'.\r\n')
            f.readline()                  # BODY
            if mode == 'f-bigbody':
                send(b'222 0 ' + ident + b' body\r\n')
                line = b'A' * 64 + b'\r\n'
                while time.time() < deadline and send(line * 1000):
                    pass
            else:                         # f-junk: well-formed, wrong bytes
                send(b'222 0 ' + ident + b' body\r\n'
                     b'-----BEGIN AGE ENCRYPTED FILE-----\r\n'
                     b'YWdlLWVuY3J5cHRpb24ub3JnL3YxCg==\r\n'
                     b'-----END AGE ENCRYPTED FILE-----\r\n.\r\n')
                f.readline()              # QUIT
                send(b'205 bye\r\n')
    elif mode.startswith('l-'):
        import os
        d = os.environ['HOSTILE_CARDS']
        subj = b'xc-card1 ' + os.environ['HOSTILE_HANDLE'].encode()
        bodies = []
        while os.path.exists(os.path.join(d, str(len(bodies) + 1))):
            bodies.append(open(os.path.join(d, str(len(bodies) + 1)),
                               'rb').read())
        n = len(bodies)
        hello(); f.readline()             # GROUP xc.cards
        send(b'211 %d 1 %d xc.cards\r\n' % (n, n))
        f.readline()                      # OVER 1-n
        ids = [b'<' + (b'%02x' % k) * 32 + b'@xc>' for k in range(1, n + 1)]
        send(b'224 overview\r\n' + b''.join(
            b'%d\t%s\tx\tThu, 03 Dec 2026 10:00:00 +0000\t%s\t\t%d\t9\r\n'
            % (k + 1, subj, ids[k], len(bodies[k])) for k in range(n)) +
            b'.\r\n')
        for k in range(n):
            f.readline()                  # BODY <ID@xc>
        for k in range(n):
            if mode == 'l-endless' and k == n - 1:
                send(b'222 0 ' + ids[k] + b' body\r\n')
                while time.time() < deadline and send(b'QUFB\r\n' * 4096):
                    pass
                break
            body = bodies[k].replace(b'\r\n', b'\n').replace(b'\n', b'\r\n')
            send(b'222 0 ' + ids[k] + b' body\r\n' + body + b'.\r\n')
        f.readline()                      # QUIT
        send(b'205 bye\r\n')
    elif mode.startswith('p-'):
        hello(); f.readline()             # IHAVE
        if mode == 'p-silent':
            send(b'335 send it\r\n')
            time.sleep(30)
        elif mode == 'p-wrong':
            send(b'2x0 what\r\n')
            time.sleep(5)
        else:
            send(b'436 try later\r\n')
            f.readline()                  # QUIT
            send(b'205 bye\r\n')
except (OSError, socket.timeout):
    pass
