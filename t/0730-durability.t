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
	strace -f -qq -e trace=openat,write,fsync,rename,link,mkdir,close \
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
def path(args, i=0):
    return re.findall(r'"([^"]*)"', args)[i]
def parent(p):
    d = os.path.dirname(p.rstrip('/'))
    return d or '.'
bad = []
fd_path, written, synced = {}, set(), set()
pending_dir = None   # a directory that must be fsynced before more writes
dirfd = {}
for op, args, ret in ops:
    if op == 'openat' and ret >= 0:
        p = path(args)
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
    elif op in ('link', 'rename') and ret == 0:
        src, dst = path(args, 0), path(args, 1)
        if '.tmp-' not in src:
            continue
        if src not in written or src not in synced:
            bad.append(dst + ': put in place before its data was synced')
        if pending_dir:
            bad.append(dst + ': ' + pending_dir + ' not synced before')
        pending_dir = parent(dst)
    elif op == 'mkdir' and ret == 0:
        if pending_dir:
            bad.append('mkdir before syncing ' + pending_dir)
        pending_dir = parent(path(args))
if pending_dir:
    bad.append(pending_dir + ' never synced at the end')
n = sum(1 for op, a, r in ops if op in ('link', 'rename') and r == 0 and '.tmp-' in a)
print('\n'.join(bad) if bad else '')
open(sys.argv[1] + '.n', 'w').write(str(n))
PY
}

trace t1 xc-keygen --home "$tmp/h" @zed
is "$(check t1)" "" "xc-keygen @HANDLE: write, fsync, link/rename, fsync(dir)"
is "$(cat t1.n)" 4 "... for its 4 files"
trace t2 xc-keygen --home "$tmp/h" --rotate
is "$(check t2)" "" "xc-keygen --rotate: the same order"
is "$(cat t2.n)" 3 "... for its 3 files (key, card-N, card: the retired key is found from the chain)"
xc-keygen --home "$tmp/h" --card > zed.card
trace t3 xc-verify --home "$tmp/c" --import zed.card
is "$(check t3)" "" "xc-verify --import: the same order"
is "$(cat t3.n)" 3 "... for its 3 files (key index, state, card)"

done_testing
