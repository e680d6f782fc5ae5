#!/usr/bin/env python3
# pty.py: runs a command with a pseudo-terminal, for the tests of what the
# programs do on a terminal (t/0170, t/0180, t/0190).
#
#   python3 t/pty.py [-0] [-1] [-2] [-w TEXT]... [-s FILE] OUTFILE CMD...
#
# The pty is the command's controlling terminal (so /dev/tty is it);
# -0, -1 and -2 also put standard input, output and error on it (the
# others are inherited).  Output processing is off: OUTFILE gets the bytes
# exactly as the command wrote them.  Each -w TEXT is typed, with a
# newline, the next time the command turns echo off (a passphrase
# prompt).  -s FILE types FILE's lines at once, then the end-of-file
# character (Ctrl-D), as a paste would.  The exit status is the command's,
# 128+N for a signal; a command still running after 120 seconds is killed.
import fcntl
import os
import select
import signal
import sys
import termios
import time

args = sys.argv[1:]
on, typed, paste = set(), [], None
while args and args[0].startswith('-'):
    a = args.pop(0)
    if a == '-w':
        typed.append(args.pop(0).encode() + b'\n')
    elif a == '-s':
        paste = open(args.pop(0), 'rb').read()
    elif a in ('-0', '-1', '-2'):
        on.add(int(a[1]))
    else:
        sys.exit('pty.py: unknown option ' + a)
out, cmd = args[0], args[1:]

master, slave = os.openpty()
a = termios.tcgetattr(slave)
a[1] &= ~termios.OPOST
termios.tcsetattr(slave, termios.TCSANOW, a)
pid = os.fork()
if pid == 0:
    try:
        os.close(master)
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        for fd in on:
            os.dup2(slave, fd)
        os.close(slave)
        os.execvp(cmd[0], cmd)
    finally:
        os._exit(127)

data, seen, deadline = b'', b'', time.time() + 120
if paste is not None:
    # line by line: a canonical terminal takes at most 4096 bytes a line
    for line in paste.splitlines(True):
        os.write(master, line)
    if paste and not paste.endswith(b'\n'):
        os.write(master, b'\n')
    os.write(master, b'\x04')
status = None
while True:
    if select.select([master], [], [], 0.02)[0]:
        try:
            b = os.read(master, 65536)
        except OSError:
            b = b''
        data += b
        seen += b
    if status is None:
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            status = st
    if status is not None:
        # what is left in the pty after the exit
        while select.select([master], [], [], 0.05)[0]:
            try:
                b = os.read(master, 65536)
            except OSError:
                break
            if not b:
                break
            data += b
        break
    if typed and not termios.tcgetattr(slave)[3] & termios.ECHO and \
            seen.rstrip().endswith(b':'):
        time.sleep(0.05)
        os.write(master, typed.pop(0))
        seen = b''
    if time.time() > deadline:
        os.kill(pid, signal.SIGKILL)
open(out, 'wb').write(data)
code = os.waitstatus_to_exitcode(status)
sys.exit(128 - code if code < 0 else code)
