#!/bin/sh
# 0910-delivery-crash: 1,000 letters from alice to bob, carol and dave
# (each to one, two or three of them) go through one spool while 4 xc-send
# loops (batches of 10, a killed batch sent again) and xc-fetch loops for
# each recipient (two for bob, one of them --no-wait) run at once, and a
# killer sends SIGKILL to random xc-send and xc-fetch processes at random
# moments.  After an xc-send --flush and one clean xc-fetch each: every
# recipient's inbox holds each of its letters exactly once, every letter
# opens and verifies, every file in the spool and the inboxes is whole (its
# name is the hash of its bytes) and in the buckets of its tags, the spool's
# envelopes pass xc-send's check again, and the only temporary files left
# belong to killed processes.  Runs that were not killed exit 0 (6: busy).
# shellcheck source=t/lib.sh
. "$(dirname "$0")/lib.sh"

plan 33

bail() {
	echo "Bail out! $*"
	exit 255
}
for _p in xc-send xc-fetch; do
	[ -x "$XC_BIN/$_p" ] || bail "$XC_BIN/$_p is missing: run make first"
done
N=1000
MINKILLS=60

listing() {
	# shellcheck disable=SC2012 # names are compared, not parsed
	ls -A "$1" | sort | tr '\n' /
}

for p in alice bob carol dave; do
	xc-keygen --home "$p" "@$p" > "$p.card" 2> /dev/null ||
	    bail "xc-keygen @$p"
done
xc-verify --home alice -q --import bob.card carol.card dave.card \
    > /dev/null 2>&1 || bail "xc-verify --import"

# Letter i goes to the recipients of the bits of i % 7 + 1 (bob 1, carol 2,
# dave 4): each of them gets 4/7 of the letters, each subset ~143.
mkdir L
seal_part() {
	i=$1
	while [ "$i" -lt $N ]; do
		m=$((i % 7 + 1)) to='' args=''
		[ $((m & 1)) -ne 0 ] && to="$to bob" args="$args -r @bob"
		[ $((m & 2)) -ne 0 ] && to="$to carol" args="$args -r @carol"
		[ $((m & 4)) -ne 0 ] && to="$to dave" args="$args -r @dave"
		# shellcheck disable=SC2086 # $args is a list of options
		printf 'letter %d to%s\n' "$i" "$to" |
		    xc-seal --home alice $args -o "L/$i.age" || exit 1
		i=$((i + 2))
	done
}
t0=$(date +%s)
seal_part 0 &
s0=$!
seal_part 1 &
s1=$!
wait $s0 && wait $s1 || bail "xc-seal"
[ "$(ls L | wc -l)" -eq $N ] || bail "sealed $(ls L | wc -l) letters"
i=0
while [ $i -lt $N ]; do
	m=$((i % 7 + 1)) to=''
	[ $((m & 1)) -ne 0 ] && to="$to bob"
	[ $((m & 2)) -ne 0 ] && to="$to carol"
	[ $((m & 4)) -ne 0 ] && to="$to dave"
	for r in $to; do
		echo "letter $i to$to" >> "want.$r"
	done
	i=$((i + 1))
done
diag "sealed $N letters in $(($(date +%s) - t0)) s"

# sender LOG FILE...: xc-send the FILEs in batches of 10; a batch whose
# xc-send was killed goes again.  LOG gets "send PID EXIT" per run.
cat > sender.sh <<'SH'
log=$1
shift
while [ $# -gt 0 ]; do
	batch= n=0
	while [ $# -gt 0 ] && [ $n -lt 10 ]; do
		batch="$batch $1" n=$((n + 1))
		shift
	done
	while :; do
		# shellcheck disable=SC2086 # plain names
		xc-send --home alice --spool S $batch > /dev/null 2>> "$log.err" &
		pid=$!
		wait $pid
		rc=$?
		echo "send $pid $rc" >> "$log"
		[ $rc -gt 128 ] || break
	done
done
SH
# fetcher LOG HOME STOP ARG...: xc-fetch until STOP exists.
cat > fetcher.sh <<'SH'
log=$1 home=$2 stop=$3
shift 3
while ! [ -e "$stop" ]; do
	xc-fetch --home "$home" --spool S "$@" > /dev/null 2>> "$log.err" &
	pid=$!
	wait $pid
	echo "fetch $pid $?" >> "$log"
done
SH
# killer STOP MIN SECONDS LOOP-PID...: SIGKILL to a random xc-send or
# xc-fetch child of the loops every few milliseconds, until STOP exists and
# MIN runs were killed (by the loops' logs), or after SECONDS.
cat > killer.py <<'PY'
import glob, os, random, sys, time
stop, need, end = sys.argv[1], int(sys.argv[2]), time.time() + float(sys.argv[3])
loops = set(sys.argv[4:])
def killed():
    n = 0
    for f in glob.glob('log.*[0-9]'):
        n += sum(1 for l in open(f) if l.split()[2:] == ['137'])
    return n
sent = 0
while time.time() < end:
    if os.path.exists(stop) and killed() >= need:
        break
    time.sleep(random.uniform(0.002, 0.04))
    victims = []
    for p in os.listdir('/proc'):
        if not p.isdigit():
            continue
        try:
            st = open('/proc/%s/stat' % p).read()
        except OSError:
            continue
        comm = st[st.index('(') + 1:st.rindex(')')]
        ppid = st[st.rindex(')') + 2:].split()[1]
        if ppid in loops and comm in ('xc-send', 'xc-fetch'):
            victims.append(int(p))
    if victims:
        try:
            os.kill(random.choice(victims), 9)
            sent += 1
        except OSError:
            pass
open('killer.sent', 'w').write('%d\n' % sent)
PY

t0=$(date +%s)
xc-send --home alice --spool S --flush || bail "xc-send: cannot create the spool"
loops=
for j in 0 1 2 3; do
	# shellcheck disable=SC2046 # plain names
	sh sender.sh "log.s$j" $(i=$j; while [ $i -lt $N ]; do
	    echo "L/$i.age"; i=$((i + 4)); done) 2> /dev/null &
	eval "sender$j=\$!"
	loops="$loops $!"
done
sh fetcher.sh log.f0 bob stop 2> /dev/null &
fetchers=$!
sh fetcher.sh log.f1 bob stop --no-wait 2> /dev/null &
fetchers="$fetchers $!"
sh fetcher.sh log.f2 carol stop 2> /dev/null &
fetchers="$fetchers $!"
sh fetcher.sh log.f3 dave stop 2> /dev/null &
fetchers="$fetchers $!"
# shellcheck disable=SC2086 # pids
python3 killer.py senders.done $MINKILLS 120 $loops $fetchers &
killer=$!
# shellcheck disable=SC2154 # set by eval
wait "$sender0" "$sender1" "$sender2" "$sender3"
touch senders.done
wait $killer
touch stop
# shellcheck disable=SC2086 # pids
wait $fetchers
diag "senders, fetchers and killer ran for $(($(date +%s) - t0)) s"

ks=$(cat log.s* | awk '$3 == 137' | wc -l | tr -d ' ')
kf=$(cat log.f* | awk '$3 == 137' | wc -l | tr -d ' ')
diag "kills delivered: $ks xc-send, $kf xc-fetch ($(cat killer.sent) SIGKILLs sent);" \
    "runs: $(cat log.s*[0-9] | wc -l) xc-send, $(cat log.f*[0-9] | wc -l) xc-fetch"
ok "at least 50 runs were killed ($((ks + kf)))" test $((ks + kf)) -ge 50
ok "xc-send runs were killed ($ks)" test "$ks" -gt 0
ok "xc-fetch runs were killed ($kf)" test "$kf" -gt 0

# Runs that were not killed succeeded: xc-send 0, xc-fetch 0 (6: busy,
# --no-wait only).
is "$(cat log.s*[0-9] | awk '$3 != 137 && $3 != 0')" "" \
    "every xc-send that was not killed exited 0"
cat log.s*.err | grep -q . && diag "xc-send stderr (first lines):" "$(cat log.s*.err | sed 's/[0-9a-f]\{64\}/ID/' | sort | uniq -c | sort -rn | head -n 5)"
cat log.f*.err | grep -v 'another xc-fetch is running' | grep -q . && diag "xc-fetch stderr (first lines):" "$(cat log.f*.err | grep -v 'another xc-fetch is running' | sort | uniq -c | sort -rn | head -n 5)"
is "$(cat log.f0 log.f2 log.f3 | awk '$3 != 137 && $3 != 0')" "" \
    "every waiting xc-fetch that was not killed exited 0"
is "$(awk '$3 != 137 && $3 != 0 && $3 != 6' log.f1)" "" \
    "every xc-fetch --no-wait that was not killed exited 0 or 6"

# What the killed runs left is finished now.
expect_exit 0 xc-send --home alice --spool S --flush
is "$(listing alice/outbox/new)|$(listing alice/outbox/cur)" "|" \
    "the outbox is empty after --flush"
for r in bob carol dave; do
	expect_exit 0 xc-fetch --home $r --spool S
done

# Every recipient has each of its letters exactly once, and all open.
for r in bob carol dave; do
	# shellcheck disable=SC2010 # plain names
	is "$(ls $r/inbox/new $r/inbox/cur | grep -v ':$' | grep . | sort | uniq -d)" "" \
	    "$r: no envelope both in inbox/new and inbox/cur"
	ls $r/inbox/new/* $r/inbox/cur/* 2> /dev/null > "files.$r"
	xc-open --home $r --json < "files.$r" > "json.$r" 2> "err.$r"
	rc=$?
	ok "$r: xc-open --json opens all $(wc -l < "files.$r") inbox files (exit $rc)" test $rc -eq 0
	python3 - "json.$r" $r > "got.$r" <<'PY' || bail "json.$r"
import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    if o.get('ok') is not True or o.get('from') != 'alice' or o.get('to') != sys.argv[2]:
        print('BAD', line.strip()[:200])
    else:
        print(o['body'].rstrip('\n'))
PY
	is "$(sort "got.$r" | uniq -d | head -n 3)" "" "$r: no letter twice"
	sort "got.$r" > "got.$r.sorted"
	sort "want.$r" > "want.$r.sorted"
	is "$(diff "want.$r.sorted" "got.$r.sorted" | head -n 5)" "" \
	    "$r: exactly its $(wc -l < "want.$r") letters, each once, each verified"
done

# Whole files only: every spool and inbox file is named by the hash of its
# bytes; every spool envelope is in the bucket of each of its tags.
cat > check.py <<'PY'
import base64, hashlib, os, re, sys
def route(data):
    pos, lines = 0, []
    while True:
        nl = data.index(b'\n', pos)
        lines.append(data[pos:nl]); pos = nl + 1
        if lines[-1].startswith(b'--- '):
            break
    for i, l in enumerate(lines):
        if l.startswith(b'-> xc-route '):
            body = b''
            for b in lines[i + 1:]:
                body += b
                if len(b) < 64:
                    break
            raw = base64.b64decode(body + b'=' * (-len(body) % 4))
            return {'%02x' % raw[j] for j in range(0, len(raw), 8)}
bad, ids, links = [], {}, 0
spool = sys.argv[1]
for d in sorted(os.listdir(spool)):
    if d in ('tmp', 'xc-spool'):
        continue
    if not re.fullmatch(r'[0-9a-f]{2}', d):
        bad.append('stray entry in the spool: ' + d); continue
    for n in os.listdir(os.path.join(spool, d)):
        p = os.path.join(spool, d, n)
        m = re.fullmatch(r'([0-9a-f]{64})-0\.age', n)
        data = open(p, 'rb').read()
        if not m or hashlib.blake2b(data, digest_size=32).hexdigest() != m.group(1):
            bad.append('not whole: ' + p); continue
        links += 1
        bs = route(data)
        if d not in bs:
            bad.append('in the wrong bucket: ' + p)
        ids.setdefault(n, p)
        for b in bs:
            q = os.path.join(spool, b, n)
            if not os.path.exists(q):
                bad.append('missing link: ' + q)
for f in sys.argv[2:]:
    m = re.fullmatch(r'([0-9a-f]{64})-0\.age(:2,[A-Za-z]*)?', os.path.basename(f))
    data = open(f, 'rb').read()
    if not m or hashlib.blake2b(data, digest_size=32).hexdigest() != m.group(1):
        bad.append('not whole: ' + f)
print('\n'.join(sorted(set(bad))))
open('spool.ids', 'w').write(''.join(sorted(n[:64] + '\n' for n in ids)))
open('resend.list', 'w').write(''.join(p + '\n' for p in ids.values()))
open('spool.links', 'w').write('%d\n' % links)
PY
# (Opened letters moved to inbox/cur with the maildir flag S: listed again.)
# shellcheck disable=SC2046 # inbox paths
is "$(python3 check.py S $(ls bob/inbox/new/* bob/inbox/cur/* carol/inbox/new/* \
    carol/inbox/cur/* dave/inbox/new/* dave/inbox/cur/* 2> /dev/null))" "" \
    "every spool and inbox file is whole and every envelope in all its buckets"
is "$(wc -l < spool.ids | tr -d ' ')" $N "the spool holds $N envelopes"
b2sum -l 256 L/*.age | cut -c1-64 | sort > sent.ids
ok "... exactly the $N sealed ones" cmp sent.ids spool.ids
diag "$(cat spool.links) links in the spool"

# xc-send checks each spool envelope again: a fresh outbox, a fresh spool.
# shellcheck disable=SC2046 # spool paths, one per envelope
expect_exit 0 sh -c 'xc-send --home fresh --spool S2 $(cat resend.list)'
is "$(sort "$OUT" | cksum)" "$(cksum < spool.ids)" \
    "... and takes every one of them, with the same id"

# Temporary files: only from killed runs ("<hex>.<pid>.tmp", pid killed).
cat log.s*[0-9] log.f*[0-9] | awk '$3 == 137 { print $2 }' | sort -u > killed.pids
left=0 stray=
for d in S/tmp alice/outbox/tmp bob/inbox/tmp carol/inbox/tmp dave/inbox/tmp; do
	for f in "$d"/* "$d"/.[!.]*; do
		[ -e "$f" ] || continue
		left=$((left + 1))
		pid=$(basename "$f" | sed -n 's/^[0-9a-f]\{16\}\.\([0-9]*\)\.tmp~\{0,1\}$/\1/p')
		[ -n "$pid" ] && grep -qx "$pid" killed.pids || stray="$stray $f"
	done
done
is "$stray" "" "temporary files left ($left) all belong to killed runs"
# shellcheck disable=SC2010 # plain names
is "$(ls -A S | grep -vEx '[0-9a-f]{2}|tmp|xc-spool')|$(ls -A S | grep -cEx 'tmp|xc-spool')" "|2" \
    "the spool holds buckets, tmp/ and xc-spool, nothing else"
for r in bob carol dave; do
	is "$(awk '{ print $1 }' $r/state/seen | sort | uniq -d | wc -l | tr -d ' ')" 0 \
	    "$r: state/seen names each id once"
done

diag "total $(($(date +%s) - t0)) s after sealing"
done_testing
