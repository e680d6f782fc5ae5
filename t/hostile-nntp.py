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
except (OSError, socket.timeout):
    pass
