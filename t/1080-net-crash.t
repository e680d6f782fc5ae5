#!/bin/sh
# 1080-net-crash: xc-send and xc-fetch with a server, killed (D01, D08)
# and traced (D02).  xc-send posting 300 envelopes is killed with SIGKILL
# at random moments, 10 times; then --flush: the node has every one, the
# outbox is empty.  xc-fetch of those 300 is killed 10 times; then a
# clean run: each envelope in the inbox once, whole, nothing left in
# inbox/tmp, every path printed once over all the runs that printed.
# Under strace, a fetch of 20: each inbox copy is written, synced (one
# syncfs for the batch), then linked into new/, new/ synced, and only
# then the seen ids written and synced, and only then the cursors.

# shellcheck source=t/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=t/net.sh
. "$root/t/net.sh"
net_need
need_delivery
plan 11

U=nntp://127.0.80.2:11980
parties alice bob
seal_for 320 a bob || bail "xc-seal failed"
G=$(awk '{ print $3 }' a/index | sort -u | paste -sd, -)
mkdir b c
head -n 300 a/index | awk '{ print "a/" $1 }' > b/files
head -n 300 a/index | awk '{ print $2 }' | sort > b/ids
tail -n 20 a/index | awk '{ print "a/" $1 }' > c/files
tail -n 20 a/index | awk '{ print $2 }' | sort > c/ids
node_new n1 127.0.80.2:11980

# rand_ms MAX: a random number of milliseconds below MAX.
rand_ms() {
	od -An -N2 -tu2 /dev/urandom | awk -v m="$1" '{ print $1 % m }'
}
# killed MS CMD...: runs CMD, kills it with SIGKILL after MS ms.
killed() {
	_ms=$1
	shift
	"$@" &
	_p=$!
	sleep "$(awk -v m="$_ms" 'BEGIN { printf "%.3f", m / 1000 }')"
	kill -9 "$_p" 2>/dev/null
	wait "$_p" 2>/dev/null
	return 0
}

# ---- D08: xc-send killed ----
i=0
while [ $i -lt 10 ]; do
	# shellcheck disable=SC2046
	killed "$(rand_ms 1500)" xc-send --home alice --server "$U" $(cat b/files) > /dev/null 2>&1
	i=$((i + 1))
done
expect_exit 0 xc-send --home alice --server "$U" --flush
is "$(ls alice/outbox/new | wc -l | tr -d ' ')|$(node_has "$U" "$G" b/ids)" "0|300" \
    "xc-send killed 10 times, then --flush: the outbox empty, the node has all 300"

# ---- D01: xc-fetch killed ----
i=0
: > printed
while [ $i -lt 10 ]; do
	killed "$(rand_ms 800)" sh -c "xc-fetch --home bob --server $U >> printed 2>/dev/null"
	i=$((i + 1))
done
expect_exit 0 xc-fetch --home bob --server "$U"
cat "$OUT" >> printed
is "$(inbox_ids bob | md5sum)" "$(md5sum < b/ids)" "xc-fetch killed 10 times, then a clean run: each of the 300 in the inbox, once"
bad=0
for f in bob/inbox/new/*; do
	[ "$(envid "$f")" = "$(basename "$f" | cut -c1-64)" ] || bad=$((bad + 1))
done
is "$bad|$(ls bob/inbox/tmp | wc -l | tr -d ' ')" "0|0" "... every copy whole, nothing left in inbox/tmp"
is "$(sort printed | uniq -d | wc -l | tr -d ' ')|$(sort -u printed | wc -l | tr -d ' ')" "0|300" \
    "... every path printed, none twice"

# ---- D02: the order of a fetch from a server ----
if ! strace -o /dev/null true 2>/dev/null; then
	skip 4 "strace cannot trace here"
else
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
	export ASAN_OPTIONS	# LeakSanitizer cannot run under ptrace
	# shellcheck disable=SC2046
	xc-send --home alice --server "$U" $(cat c/files) > /dev/null 2>&1 || bail "xc-send"
	expect_exit 0 strace -f -qq -o trace -e trace=openat,write,fsync,syncfs,linkat,renameat,rename,close \
	    xc-fetch --home bob --server "$U"
	is "$(wc -l < "$OUT" | tr -d ' ')" 20 "traced: 20 fetched"
	python3 - trace > order <<'PY'
import re, sys
# Labels the calls on the inbox copies (tmp), new/, state/seen and the
# state file written by rename (state), collapsing repeats.
fds, out = {}, []
def label(s):
    if not out or out[-1] != s:
        out.append(s)
for line in open(sys.argv[1]):
    m = re.match(r'\d+\s+(\w+)\((.*)\)\s+=\s+(-?\d+)', line)
    if not m:
        continue
    call, args, ret = m.group(1), m.group(2), int(m.group(3))
    names = re.findall(r'"([^"]*)"', args)
    if call == 'openat' and ret >= 0:
        at = args.split(',')[0].strip()
        # a file made without a name in inbox/tmp is an inbox copy
        fds[ret] = (('tmp' if at.isdigit() and fds.get(int(at)) == 'tmpdir'
                     else 'anon')
                    if 'O_TMPFILE' in args else
                    'tmpdir' if names[0] == 'tmp' else
                    {'new': 'new', 'seen': 'seen'}.get(names[0], names[0]))
    elif call == 'close':
        fds.pop(int(args.split(',')[0]), None)
    elif call == 'linkat' and re.match(r'[0-9a-f]{64}-\d+\.age$', names[-1]):
        label('link-new')
    elif call == 'linkat' and names[0].startswith('/proc/self/fd/'):
        fd = int(names[0].rsplit('/', 1)[1])
        fds[fd] = 'tmp' if names[1].endswith('.tmp') else 'state'
    elif call == 'syncfs':
        label('syncfs')
    elif call in ('write', 'fsync'):
        what = fds.get(int(args.split(',')[0]))
        if what in ('tmp', 'new', 'seen', 'state'):
            label(call + '-' + what)
    elif call.startswith('rename') and names[-1] == 'cursors':
        label('rename-cursors')
print(' '.join(out))
PY
	like "$(cat order)" "^write-tmp syncfs link-new fsync-new .*write-seen fsync-seen .*write-state fsync-state rename-cursors" \
	    "each copy written, one syncfs, linked into new/, new/ synced; then the seen ids; then the cursors"
	like "$(tr ' ' '\n' < order | grep -E 'link-new|seen|cursors' | uniq | paste -sd' ' -)" \
	    "^link-new write-seen fsync-seen rename-cursors$" \
	    "... no link into new/ after the seen ids, none after the cursors"
	is "$(inbox_ids bob | grep -cFxf c/ids)" 20 "... and the 20 are in the inbox"
fi
done_testing
