#!/usr/bin/env python3
# 0160-readme: every `$ command` in the README is run, in order, and what it
# prints is compared with the lines under it, so the README cannot drift
# from the programs.
#
# The README's example blocks are indented four spaces. In a block, a line
# "    $ CMD" (or "    NAME$ CMD" for a person NAME, such as alice$ and
# bob$) is a command; a trailing backslash, | or && continues it on the
# next line.
# The lines after it, up to the next command or the end of the block, are
# what it prints on a terminal (stdout and stderr together, line-buffered
# as on a terminal). In those lines "..." matches any text within a line,
# and a line that is only "..." matches any number of lines. Blocks with no
# prompt are illustrations and are not run.
#
# Each person has a shell of their own that lives for the whole README (so
# variables carry from one command to the next) and a home of their own
# (HOME, so ~/.local/share/xc is their keyring); all share one working
# directory, as people who hand each other files. The clock is fixed with
# XC_TEST_NOW, so dates in the README are the programs' real output. A
# command must exit 0 unless its output ends with a line "[exit N]".
#
# Isolation as t/lib.sh: a temporary directory, LC_ALL=C, the programs of
# $XC_BIN first on PATH.
import os
import re
import shutil
import subprocess
import sys
import tempfile

root = os.path.abspath(os.path.join(os.path.dirname(sys.argv[0]), '..'))
xcbin = os.path.abspath(os.environ.get('XC_BIN', os.path.join(root, 'bin')))
readme = os.environ.get('XC_README', os.path.join(root, 'README'))
NOW = '1798797600'	# 2027-01-01T10:00:00Z
TIMEOUT = 120

CMD = re.compile(r'^    ([a-z]*)\$ (.*)$')


def blocks(lines):
    """The indented blocks of the README, as lists of (lineno, text)."""
    out, cur = [], []
    for n, line in enumerate(lines, 1):
        if line.startswith('    ') or (line.strip() == '' and cur):
            cur.append((n, line))
        else:
            if cur:
                out.append(cur)
            cur = []
    if cur:
        out.append(cur)
    return out


def commands(block):
    """(lineno, person, command, expected lines) for each prompt."""
    out, i = [], 0
    while i < len(block):
        n, line = block[i]
        m = CMD.match(line)
        i += 1
        if not m:
            continue
        person, cmd = m.group(1) or 'you', m.group(2)
        while cmd.rstrip().endswith(('\\', '|', '&&')) and i < len(block):
            cmd = cmd + '\n' + block[i][1][4:].lstrip()
            i += 1
        want = []
        while i < len(block) and not CMD.match(block[i][1]):
            want.append(block[i][1][4:])
            i += 1
        while want and want[-1].strip() == '':
            want.pop()
        out.append((n, person, cmd, want))
    return out


def line_re(w):
    return re.compile('^' + '.*'.join(re.escape(p) for p in w.split('...'))
                      + '$')


def matches(want, got):
    """want (with ... wildcards) against got, both lists of lines."""
    memo = {}

    def m(i, j):
        if (i, j) in memo:
            return memo[(i, j)]
        if i == len(want):
            r = j == len(got)
        elif want[i] == '...':
            r = any(m(i + 1, k) for k in range(j, len(got) + 1))
        else:
            r = j < len(got) and line_re(want[i]).match(got[j]) is not None \
                and m(i + 1, j + 1)
        memo[(i, j)] = r
        return r
    return m(0, 0)


class Shell:
    """A long-lived bash for one person; commands run one at a time."""

    def __init__(self, name, tmp, work):
        home = os.path.join(tmp, 'home-' + name)
        os.mkdir(home, 0o700)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith('XC_') and not k.startswith('XDG_')}
        env.update(HOME=home, LC_ALL='C', XC_TEST_NOW=NOW,
                   PATH=xcbin + ':' + os.environ['PATH'],
                   _STDBUF_O='L', TERM='dumb')
        # Line-buffered stdout, as on a terminal (stdbuf(1)'s library).
        lib = '/usr/libexec/coreutils/libstdbuf.so'
        if os.path.exists(lib):
            env['LD_PRELOAD'] = lib
            env['ASAN_OPTIONS'] = env.get('ASAN_OPTIONS', '') + \
                ':verify_asan_link_order=0'
        self.out = os.path.join(tmp, 'out-' + name)
        self.p = subprocess.Popen(['bash', '--norc', '--noprofile'],
                                  stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, cwd=work, env=env,
                                  text=True)

    def run(self, cmd):
        try:
            self.p.stdin.write('{ %s\n} >%s 2>&1 </dev/null; echo "rc $?"\n'
                               % (cmd, self.out))
            self.p.stdin.flush()
        except BrokenPipeError:
            return None, 'the shell is gone'
        line = self.p.stdout.readline()
        if not line.startswith('rc '):
            return None, ''
        with open(self.out, errors='replace') as f:
            return int(line.split()[1]), f.read()

    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=10)


def main():
    with open(readme) as f:
        lines = f.read().split('\n')
    todo = [c for b in blocks(lines) for c in commands(b)]
    print('1..%d' % len(todo))
    if not todo:
        print('# no commands in %s' % readme)
        return 1
    tmp = tempfile.mkdtemp(prefix='xc-test.')
    work = os.path.join(tmp, 'w')
    os.mkdir(work)
    shells, failed = {}, 0
    try:
        for k, (n, person, cmd, want) in enumerate(todo, 1):
            if person not in shells:
                shells[person] = Shell(person, tmp, work)
            code = 0
            if want and re.match(r'^\[exit \d+\]$', want[-1]):
                code = int(want[-1][6:-1])
                want = want[:-1]
            rc, out = shells[person].run(cmd)
            got = out.split('\n')
            if got and got[-1] == '':
                got.pop()
            short = cmd.split('\n')[0]
            good = rc == code and matches(want, got)
            print('%s %d - README line %d: %s$ %s' % (
                'ok' if good else 'not ok', k, n,
                '' if person == 'you' else person, short))
            if not good:
                failed += 1
                print('# exit status %s, wanted %d' % (rc, code))
                print('# wanted:')
                for w in want:
                    print('#   ' + w)
                print('# got:')
                for g in got:
                    print('#   ' + g)
    finally:
        for s in shells.values():
            try:
                s.close()
            except Exception:
                s.p.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


sys.exit(main())
