#!/bin/sh
# 0730-durability: the order of file-system calls behind every keyring
# write (TESTPLAN D02), read from strace: each file is written to a temp
# file, fsynced, then linked or renamed into place, then its directory is
# fsynced before anything else is written; each new directory is synced
# into its parent.  Checked for xc-keygen @HANDLE, --rotate and xc-verify
# --import.
# shellcheck source=t/lib.sh
. "$(dirname "$0")/lib.sh"

if ! strace -o /dev/null true 2>/dev/null; then
	plan 1
	skip 1 "strace cannot trace here"
	done_testing
fi
plan 6
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
export ASAN_OPTIONS	# LeakSanitizer cannot run under ptrace

trace() {
	out=$1
	shift
	strace -f -qq -e trace=openat,write,fsync,rename,renameat,renameat2,link,linkat,mkdir,mkdirat,close \
	    -o "$out" "$@" > /dev/null 2>&1
}

# check TRACE: prints what is out of order; silent when all is well.
check() {
	python3 - "$1" <<'PY'
import os, re, sys
ops = []
for line in open(sys.argv[1]):
    m = re.match(r'(\d+)\s+(\w+)\((.*)\)\s+=\s+(-?\d+)', line)
    if m:
        ops.append((m.group(2), m.group(3), int(m.group(4))))
def parent(p):
    d = os.path.dirname(p.rstrip('/'))
    return d or '.'
bad = []
fd_path, written, synced = {}, set(), set()
pending_dir = None   # a directory that must be fsynced before more writes
dirfd = {}
def at(fd, name):
    # a name relative to a directory descriptor (the *at calls)
    if name.startswith('/') or fd == 'AT_FDCWD':
        return name
    return os.path.join(dirfd.get(int(fd), '?'), name)
def names(op, args):
    # the paths an operation names, resolved
    parts = [a.strip() for a in re.split(r',(?=(?:[^"]*"[^"]*")*[^"]*$)', args)]
    q = lambda a: a.strip('"')
    if op in ('openat', 'mkdirat'):
        return [at(parts[0], q(parts[1]))]
    if op in ('linkat', 'renameat', 'renameat2'):
        return [at(parts[0], q(parts[1])), at(parts[2], q(parts[3]))]
    return [q(a) for a in parts if a.startswith('"')]
for op, args, ret in ops:
    if op == 'openat' and ret >= 0:
        p = names(op, args)[0]
        if 'O_DIRECTORY' in args:
            dirfd[ret] = p
        else:
            if pending_dir and '.tmp-' in p:
                bad.append('new temp file before syncing ' + pending_dir)
            fd_path[ret] = p
    elif op == 'write':
        fd = int(args.split(',')[0])
        if fd in fd_path:
            written.add(fd_path[fd]); synced.discard(fd_path[fd])
    elif op == 'fsync' and ret == 0:
        fd = int(args.split(',')[0])
        if fd in fd_path:
            synced.add(fd_path[fd])
        elif fd in dirfd and pending_dir == dirfd[fd]:
            pending_dir = None
    elif op == 'close':
        fd = int(args.split(',')[0])
        fd_path.pop(fd, None); dirfd.pop(fd, None)
    elif op in ('link', 'rename', 'linkat', 'renameat', 'renameat2') and ret == 0:
        src, dst = names(op, args)[:2]
        m = re.match(r'/proc/self/fd/(\d+)$', src)
        if m:
            # an unnamed (O_TMPFILE) temporary file taking its name
            fd_path[int(m.group(1))] = dst
            continue
        if '.tmp-' not in src:
            continue
        if '.tmp-' in os.path.basename(dst):
            # a temporary file taking its name: the same file
            for fd in fd_path:
                if fd_path[fd] == src:
                    fd_path[fd] = dst
            continue
        if src not in written or src not in synced:
            bad.append(dst + ': put in place before its data was synced')
        if pending_dir:
            bad.append(dst + ': ' + pending_dir + ' not synced before')
        pending_dir = parent(dst)
    elif op in ('mkdir', 'mkdirat') and ret == 0:
        if pending_dir:
            bad.append('mkdir before syncing ' + pending_dir)
        pending_dir = parent(names(op, args)[0])
if pending_dir:
    bad.append(pending_dir + ' never synced at the end')
n = 0
for op, a, r in ops:
    if op in ('link', 'rename', 'linkat', 'renameat', 'renameat2') and r == 0:
        q = re.findall(r'"([^"]*)"', a)
        if len(q) == 2 and '.tmp-' in q[0] and '.tmp-' not in os.path.basename(q[1]):
            n += 1
print('\n'.join(bad) if bad else '')
open(sys.argv[1] + '.n', 'w').write(str(n))
PY
}

trace t1 xc-keygen --home "$tmp/h" @zed
is "$(check t1)" "" "xc-keygen @HANDLE: write, fsync, link/rename, fsync(dir)"
is "$(cat t1.n)" 5 "... for its 4 files and the default identity (ids/.default)"
trace t2 xc-keygen --home "$tmp/h" --rotate
is "$(check t2)" "" "xc-keygen --rotate: the same order"
is "$(cat t2.n)" 3 "... for its 3 files (key, card-N, card: the retired key is found from the chain)"
xc-keygen --home "$tmp/h" --card > zed.card
trace t3 xc-verify --home "$tmp/c" --import zed.card
is "$(check t3)" "" "xc-verify --import: the same order"
is "$(cat t3.n)" 3 "... for its 3 files (key index, state, card)"

done_testing
