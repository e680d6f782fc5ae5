#!/bin/sh
# 0970-signals: interrupted work (TESTPLAN H05).  SIGINT, SIGTERM or
# SIGKILL at 20 random moments of a 200 MiB xc-seal -o (two attachments of
# 100 MiB), xc-open -D DIR of that letter, and xc-fetch of it: after
# SIGINT and SIGTERM no temporary file is left at all; what SIGKILL leaves
# is removed by the next run; the output (the envelope, the directory, the
# inbox) is at every moment either complete or untouched; a last run
# completes.  Then SIGPIPE and SIGHUP once each, and a failure (EIO,
# injected with strace) of the link of the first or the second of two
# attachments: none is saved.
# (make check-sanitize: attachments of 10 MiB, 10 moments each.)
# shellcheck source=t/lib.sh
. "$(dirname "$0")/lib.sh"

plan 28

need_delivery
mib=100 rounds=20
if [ -n "${XC_SANITIZE:-}" ]; then
	mib=10 rounds=10
fi
parties alice bob
head -c $((mib * 1048576)) /dev/urandom > a1.bin || bail "a1"
head -c $((mib * 1048576)) /dev/urandom > a2.bin || bail "a2"
printf 'two big attachments\n' > msg.txt

# The driver: runs one command ROUNDS times, each time sending a random
# signal (INT, TERM, KILL) at a random moment of its measured duration,
# and checks after each what the caller's check says; prints one line of
# counts per property.
cat > "$tmp/kill.py" <<'PY'
import os, random, signal, subprocess, sys, time
op, rounds = sys.argv[1], int(sys.argv[2])
cmd = sys.argv[3:]
def temps():
    """the temporary files of this operation"""
    if op == 'seal':
        return sorted(n for n in os.listdir('.') if n.startswith('.big.age.xc-'))
    if op == 'open':
        return sorted(n for n in os.listdir('out') if n.startswith('.xc-'))
    return sorted(os.listdir('bob/inbox/tmp'))
def state():
    """'none', 'whole' or 'partial'"""
    if op == 'seal':
        if not os.path.exists('big.age'):
            return 'none'
        return 'whole' if os.path.getsize('big.age') == int(os.environ['SIZE']) else 'partial'
    if op == 'open':
        have = [n for n in ('a1.bin', 'a2.bin') if os.path.exists('out/' + n)]
        if not have:
            return 'none'
        if len(have) == 2 and all(subprocess.call(['cmp', '-s', n, 'out/' + n]) == 0 for n in have):
            return 'whole'
        return 'partial'
    name = os.environ['NAME']
    p = 'bob/inbox/new/' + name
    if not os.path.exists(p):
        return 'none'
    return 'whole' if subprocess.call(['cmp', '-s', 'big.age', p]) == 0 else 'partial'
def reset():
    if op == 'seal' and os.path.exists('big.age'):
        os.unlink('big.age')
    if op == 'open':
        for n in ('a1.bin', 'a2.bin'):
            if os.path.exists('out/' + n):
                os.unlink('out/' + n)
    if op == 'fetch':
        p = 'bob/inbox/new/' + os.environ['NAME']
        if os.path.exists(p):
            os.unlink(p)
        if os.path.exists('bob/state/seen'):
            os.unlink('bob/state/seen')
# how long a whole run takes
t0 = time.time()
if subprocess.call(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) != 0:
    print('clean run failed'); sys.exit(1)
span = time.time() - t0
reset()
random.seed(os.getpid())
sigs = {'INT': 0, 'TERM': 0, 'KILL': 0}
partial = leftover = stale = crashed = done = 0
debris = []
for i in range(rounds):
    name = random.choice(list(sigs))
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(random.uniform(0, span * 1.1))
    if p.poll() is None:
        p.send_signal(getattr(signal, 'SIG' + name))
        sigs[name] += 1
    rc = p.wait()
    if rc == 0:
        done += 1
    elif rc not in (-signal.SIGINT, -signal.SIGTERM, -signal.SIGKILL):
        crashed += 1
        print('exit %d after SIG%s' % (rc, name), file=sys.stderr)
    # what the previous SIGKILL left is gone once a run got going
    if debris and rc == 0:
        stale += len(set(debris) & set(temps()))
        debris = []
    st = state()
    if st == 'partial':
        partial += 1
    t = temps()
    if rc in (-signal.SIGINT, -signal.SIGTERM) and t:
        # not what an earlier SIGKILL left, if this run died before its
        # sweep (counted below, once a run gets going)
        leftover += len(set(t) - set(debris))
    if rc == -signal.SIGKILL:
        debris = t
    reset()
# a last run, untouched
rc = subprocess.call(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
final = state()
print('%s: %d moments (INT %d, TERM %d, KILL %d; %d runs finished first), %.1f s each'
      % (op, rounds, sigs['INT'], sigs['TERM'], sigs['KILL'], done, span), file=sys.stderr)
print('crashed %d' % crashed)
print('partial %d' % partial)
print('left by INT/TERM %d' % leftover)
print('left by KILL after the next run %d' % stale)
print('last run %d %s, temporary files %d' % (rc, final, len(temps())))
PY

# ---- xc-seal -o ----
xc-seal --home alice -r @bob -A a1.bin -A a2.bin -o big.age msg.txt || bail "xc-seal"
SIZE=$(wc -c < big.age | tr -d ' ')
export SIZE
python3 "$tmp/kill.py" seal "$rounds" xc-seal --home alice -r @bob -A a1.bin \
    -A a2.bin -o big.age msg.txt > seal.out 2> seal.err || bail "kill.py seal: $(cat seal.out seal.err)"
diag "$(cat seal.err)"
is "$(sed -n 1p seal.out)" "crashed 0" "xc-seal: every run ends by its signal or exit 0"
is "$(sed -n 2p seal.out)" "partial 0" "... the output file is never partial"
is "$(sed -n 3p seal.out)" "left by INT/TERM 0" "... SIGINT and SIGTERM leave no temporary file"
is "$(sed -n 4p seal.out)" "left by KILL after the next run 0" "... what SIGKILL left, the next run removes"
is "$(sed -n 5p seal.out)" "last run 0 whole, temporary files 0" "... the last run writes the envelope, nothing else"

# ---- xc-open -D DIR ----
mkdir out
xc-seal --home alice -r @bob -A a1.bin -A a2.bin -o big.age msg.txt || bail "xc-seal"
python3 "$tmp/kill.py" open "$rounds" xc-open --home bob -D out big.age \
    > open.out 2> open.err || bail "kill.py open: $(cat open.out open.err)"
diag "$(cat open.err)"
is "$(sed -n 1p open.out)" "crashed 0" "xc-open -D: every run ends by its signal or exit 0"
is "$(sed -n 2p open.out)" "partial 0" "... the directory is complete or untouched"
is "$(sed -n 3p open.out)" "left by INT/TERM 0" "... SIGINT and SIGTERM leave no .part file"
is "$(sed -n 4p open.out)" "left by KILL after the next run 0" "... what SIGKILL left, the next run removes"
is "$(sed -n 5p open.out)" "last run 0 whole, temporary files 0" "... the last run saves both attachments"

# ---- xc-fetch ----
NAME=$(b2sum -l 256 big.age | cut -c1-64)-0.age
export NAME
xc-send --home alice --spool S big.age > /dev/null || bail "xc-send"
python3 "$tmp/kill.py" fetch "$rounds" xc-fetch --home bob --spool S \
    > fetch.out 2> fetch.err || bail "kill.py fetch: $(cat fetch.out fetch.err)"
diag "$(cat fetch.err)"
is "$(sed -n 1p fetch.out)" "crashed 0" "xc-fetch: every run ends by its signal or exit 0"
is "$(sed -n 2p fetch.out)" "partial 0" "... inbox/new never holds a partial envelope"
is "$(sed -n 3p fetch.out)" "left by INT/TERM 0" "... SIGINT and SIGTERM leave nothing in inbox/tmp"
is "$(sed -n 4p fetch.out)" "left by KILL after the next run 0" "... what SIGKILL left, the next run removes"
is "$(sed -n 5p fetch.out)" "last run 0 whole, temporary files 0" "... the last run fetches the letter"

# ---- SIGPIPE, SIGHUP ----
rm -f "bob/inbox/new/$NAME" bob/state/seen
# xc-seal writing its envelope to a pipe whose reader has gone
python3 - <<'PY' > pipe.out
import os, subprocess
r, w = os.pipe()
p = subprocess.Popen(['xc-seal', '--home', 'alice', '-r', '@bob', '-A', 'a1.bin',
                      '-A', 'a2.bin', 'msg.txt'], stdout=w, stderr=subprocess.DEVNULL)
os.close(w)
os.read(r, 1000)
os.close(r)
print(p.wait())
PY
is "$(cat pipe.out)" "-13" "xc-seal to a pipe closed early: ends by SIGPIPE"
# SIGHUP while xc-seal waits for its text on a pipe held open
python3 - <<'PY' > hup.out
import os, signal, subprocess, time
r, w = os.pipe()
p = subprocess.Popen(['xc-seal', '--home', 'alice', '-r', '@bob', '-A', 'a1.bin',
                      '-o', 'hup.age'], stdin=r)
os.close(r)
os.write(w, b'half a text')
time.sleep(0.5)
p.send_signal(signal.SIGHUP)
print(p.wait())
os.close(w)
PY
is "$(cat hup.out)" "-1" "xc-seal -o: ends by SIGHUP"
is "$(ls -A | grep -c '^\.hup.age.xc-')|$(test -e hup.age && echo there)" "0|" \
    "... leaving no temporary file and no output"
expect_exit 0 xc-fetch --home bob --spool S
is "$(cat "$OUT")" "bob/inbox/new/$NAME" "the letter is fetched"
# SIGHUP while xc-open -D DIR is in the middle of an attachment: the envelope
# comes through a pipe, three quarters of it, and the pipe stays open.
python3 - <<'PY' > open-hup.out
import os, signal, subprocess, time
env = open('bob/inbox/new/' + os.environ['NAME'], 'rb').read()
r, w = os.pipe()
p = subprocess.Popen(['xc-open', '--home', 'bob', '-D', 'out'], stdin=r,
                     stdout=subprocess.DEVNULL)
os.close(r)
os.write(w, env[:len(env) * 3 // 4])
time.sleep(0.5)
parts = [n for n in os.listdir('out') if n.endswith('.part')]
p.send_signal(signal.SIGHUP)
print(p.wait(), len(parts))
os.close(w)
PY
is "$(cat open-hup.out)|$(ls -A out | tr '\n' /)" "-1 2|a1.bin/a2.bin/" \
    "xc-open -D: SIGHUP in the middle of an attachment removes its .part file"
is "$(ls bob/inbox/new)" "$NAME" "... and the letter stays unread"

# ---- attachments: all or none ----
if ! strace -o /dev/null true 2> /dev/null; then
	skip 6 "strace cannot trace here"
else
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
	export ASAN_OPTIONS	# LeakSanitizer cannot run under ptrace
	printf 'first\n' > one.txt
	printf 'second\n' > two.txt
	xc-seal --home alice -r @bob -A one.txt -A two.txt -o two.age msg.txt ||
	    bail "xc-seal"
	# Which linkat calls save the attachments: temporary files are
	# linked into place too (O_TMPFILE, through /proc/self/fd).
	rm -rf o2 && mkdir o2
	strace -f -qq -e trace=linkat -o links.trace xc-open --home bob -D o2 two.age \
	    > /dev/null 2>&1
	grep -n 'linkat(' links.trace | grep -v '/proc/self/fd' | cut -d: -f1 > saves
	for n in 1 2; do
		at=$(sed -n "${n}p" saves)
		rm -rf o2 && mkdir o2
		must_fail 4 strace -f -qq -o /dev/null -e inject=linkat:error=EIO:when=${at:-0} \
		    xc-open --home bob -D o2 two.age
		is "$(ls -A o2 | tr '\n' /)" "" "link of attachment $n fails (EIO): nothing saved, no .part left"
	done
	rm -rf o2 && mkdir o2
	expect_exit 0 xc-open --home bob -D o2 two.age
	is "$(ls -A o2 | tr '\n' /)" "one.txt/two.txt/" "without the failure: both saved"
fi

done_testing
