#!/usr/bin/env python3
# dns-log.py ADDRESS LOG READY: a DNS server on ADDRESS port 53 (UDP) for
# t/1120-socks.t that writes every name it is asked for to LOG, one a
# line, and answers NXDOMAIN.  A client pointed at it by resolv.conf can
# thus be caught resolving.  Touches READY once it listens; serves until
# killed.
import socket, sys

addr, logfile, ready = sys.argv[1], sys.argv[2], sys.argv[3]
log = open(logfile, 'a', buffering=1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((addr, 53))
open(ready, 'w').close()
while True:
    q, peer = s.recvfrom(4096)
    if len(q) < 12:
        continue
    i, labels = 12, []
    while i < len(q) and q[i] != 0 and len(labels) < 64:
        n = q[i]
        labels.append(q[i + 1:i + 1 + n].decode('ascii', 'replace'))
        i += 1 + n
    log.write('.'.join(labels) + '\n')
    # the header with QR set, RCODE 3, the question echoed
    flags = 0x8000 | 0x0100 | 0x0080 | 3
    s.sendto(q[:2] + flags.to_bytes(2, 'big') + q[4:6] + b'\0\0\0\0\0\0' +
             q[12:i + 5], peer)
