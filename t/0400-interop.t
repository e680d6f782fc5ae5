#!/bin/sh
# 0400-interop: xc against the real age 1.1.1, both directions (TESTPLAN V03):
# age -e -> xc-open --raw and xc-seal --raw -> age -d, compared with cmp.
# Sizes around the 64 KiB chunk and 1 MiB batch boundaries, 10 MiB, and 100 sizes below 1 MiB
# drawn from a fixed seed; 1 and 5 recipients, -R files, armor, scrypt
# passphrases (age prompts on /dev/tty: a small pty helper answers), and an
# identity file where only the last key matches.
# shellcheck source=t/lib.sh
. "$(dirname "$0")/lib.sh"

plan 273

seed=20261125
python3 -c "
import random, sys
random.seed($seed)
sys.stdout.buffer.write(random.randbytes(10 << 20))
" >base || exit 1
sizes="0 1 65535 65536 65537 196608 196609 1048575 1048576 1048577 2097152 2097153 3211264 10485760 $(python3 -c "
import random
random.seed($seed)
print(' '.join(str(random.randrange(1 << 20)) for _ in range(100)))
")"

# Keys from both tools: each side decrypts with keys the other side made.
xc-keygen --age -o xk 2>/dev/null || exit 1
age-keygen -o ak 2>/dev/null || exit 1
xpub=$(age-keygen -y xk) || exit 1
apub=$(age-keygen -y ak) || exit 1

# A check is a few steps; the first failing step is reported.
why=
# step OUTFILE CMD...: run CMD (stdout to OUTFILE) unless a step failed.
step() {
	[ -z "$why" ] || return 0
	_f=$1
	shift
	"$@" >"$_f" 2>"$ERR"
	_rc=$?
	[ "$_rc" -eq 0 ] || why="exit $_rc from: $* ($(head -c 300 "$ERR"))"
}
same() {
	[ -n "$why" ] || cmp -s "$1" "$2" || why="$1 and $2 differ"
}
verdict() {
	if [ -z "$why" ]; then
		_tap 0 "$1"
	else
		_tap 1 "$1"
		diag "$why"
	fi
	why=
}

# Binary, every size; alternate files/-o and stdin/stdout on the xc side.
i=0
for n in $sizes; do
	head -c "$n" base >p
	rm -f c d
	step /dev/null age -e -r "$xpub" -o c p
	if [ $((i % 2)) -eq 0 ]; then
		step /dev/null xc-open --raw -i xk -o d c
	else
		step d xc-open --raw -i xk <c
	fi
	same p d
	verdict "age -e | xc-open --raw: $n bytes"

	rm -f c d
	if [ $((i % 2)) -eq 0 ]; then
		step c xc-seal --raw -r "$apub" <p
	else
		step /dev/null xc-seal --raw -r "$apub" -o c p
	fi
	step d age -d -i ak c
	same p d
	verdict "xc-seal --raw | age -d: $n bytes"
	i=$((i + 1))
done

# Five recipients (three keys from xc-keygen, two from age-keygen).
head -c 100000 base >p
rargs=
for k in 1 2 3 4 5; do
	if [ "$k" -le 3 ]; then
		xc-keygen --age -o r$k 2>/dev/null
	else
		age-keygen -o r$k 2>/dev/null
	fi
	rargs="$rargs -r $(age-keygen -y r$k)"
done
# shellcheck disable=SC2086 # $rargs is a list of options
step c5x xc-seal --raw $rargs p
verdict "xc-seal --raw to 5 recipients"
is "$(grep -ac '^-> X25519 ' c5x)" 5 "... 5 X25519 stanzas"
# shellcheck disable=SC2086
step /dev/null age -e $rargs -o c5a p
verdict "age -e to 5 recipients"
for k in 1 2 3 4 5; do
	step d age -d -i r$k c5x
	same p d
	verdict "5 recipients: age -d with key $k"
	step d xc-open --raw -i r$k c5a
	same p d
	verdict "5 recipients: xc-open --raw with key $k"
done

# Recipients files: comments and blank lines allowed.
{
	printf '# our team\n\n'
	for k in 1 2 3; do age-keygen -y r$k; done
	printf '\n# more\n'
	for k in 4 5; do age-keygen -y r$k; done
} >team
step c xc-seal --raw -R team -o cR p
step d age -d -i r4 cR
same p d
verdict "xc-seal -R FILE | age -d"
step d age -d -i r2 cR
same p d
verdict "xc-seal -R FILE | age -d (another key)"
step /dev/null age -e -R team -o cR p
step d xc-open --raw -i r5 cR
same p d
verdict "age -e -R FILE | xc-open --raw"
age-keygen -y ak >team2
step c xc-seal --raw -R team -R team2 -r "$xpub" p
step d age -d -i ak c
same p d
step d xc-open --raw -i xk c
same p d
step d age -d -i r3 c
same p d
verdict "xc-seal -R -R -r: every recipient decrypts"

# Armor both ways.
for n in 0 1 65536 196609 777777; do
	head -c "$n" base >p
	step ca xc-seal --raw -a -r "$apub" p
	step d age -d -i ak ca
	same p d
	verdict "xc-seal --raw -a | age -d: $n bytes"
	step /dev/null age -e -a -r "$xpub" -o ca p
	step d xc-open --raw -i xk ca
	same p d
	verdict "age -e -a | xc-open --raw: $n bytes"
done
# Armor shape (the last file, 777777 bytes): PEM lines of 64 columns, the
# last data line shorter, nothing around the block.
step ca xc-seal --raw --armor -r "$apub" p
verdict "xc-seal --raw --armor"
is "$(head -n 1 ca)" "-----BEGIN AGE ENCRYPTED FILE-----" "armor: BEGIN line"
is "$(tail -n 1 ca)" "-----END AGE ENCRYPTED FILE-----" "armor: END line"
is "$(sed '1d;$d' ca | awk 'length($0) != 64' | wc -l)" 1 \
	"armor: every data line but the last has 64 columns"
is "$(sed '1d;$d' ca | tail -n 1 | awk 'length($0) > 0 && length($0) < 64' | wc -l)" 1 \
	"armor: the last data line is shorter"

# Identity files with several keys: only the last one matches.
for k in 1 2 3; do age-keygen -o u$k 2>/dev/null; done
{
	cat u1
	printf '\n# not this one either\n'
	grep '^AGE' u2
	printf '\n'
	grep '^AGE' u3
	cat xk
} >ids
chmod 600 ids
head -c 70000 base >p
step /dev/null age -e -r "$xpub" -o c p
step d xc-open --raw -i ids c
same p d
verdict "xc-open -i FILE: 4 keys, the last matches"
step d xc-open --raw -i u1 -i u2 -i u3 -i xk c
same p d
verdict "xc-open -i x4: the last file matches"
step c xc-seal --raw -r "$xpub" p
step d age -d -i ids c
same p d
verdict "age -d reads the same identity file"
must_fail 1 xc-open --raw -i u1 -i u2 -i u3 c
like "$(cat "$ERR")" '^xc-open: error: no identity matched' "no key matches: class word"

# scrypt. age reads passphrases from /dev/tty: ptyrun gives the command a
# pty as controlling terminal (stdin/stdout/stderr unchanged) and types
# PASSPHRASE, COUNT times, each once a prompt is shown with echo off.
cat >ptyrun.py <<'EOF'
import fcntl, os, re, select, signal, sys, termios, time
pw, count, cmd = sys.argv[1].encode() + b'\n', int(sys.argv[2]), sys.argv[3:]
signal.alarm(60)
master, slave = os.openpty()
pid = os.fork()
if pid == 0:
    os.close(master)
    os.setsid()
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    os.close(slave)
    os.execvp(cmd[0], cmd)
seen, sent, since = b'', 0, None
while True:
    if select.select([master], [], [], 0.02)[0]:
        seen += os.read(master, 4096)
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        break
    echo_off = not termios.tcgetattr(slave)[3] & termios.ECHO
    if sent < count and echo_off:
        since = since or time.time()
        if re.search(rb':\s*$', seen) or time.time() - since > 2:
            time.sleep(0.05)
            os.write(master, pw)
            sent, seen, since = sent + 1, b'', None
code = os.waitstatus_to_exitcode(status)
sys.exit(128 - code if code < 0 else code)
EOF
pty() {
	python3 ptyrun.py "$@"
}

printf 'correct horse battery staple\n' >pw
chmod 600 pw
head -c 100000 base >p
if pty 'correct horse battery staple' 0 true 2>/dev/null; then
	step /dev/null xc-seal --raw --passphrase-file pw --work-factor 10 -o cs p
	step d pty 'correct horse battery staple' 1 age -d cs
	same p d
	verdict "xc-seal --passphrase-file | age -d (passphrase typed)"
	step /dev/null xc-seal --raw --passphrase-file pw -o cs18 p
	is "$(sed -n 2p cs18 | cut -d' ' -f2,4)" "scrypt 18" "default work factor 18"
	step d pty 'correct horse battery staple' 1 age -d cs18
	same p d
	verdict "xc-seal default work factor | age -d"
	step /dev/null pty 'correct horse battery staple' 2 age -e -p -o ca p
	step d xc-open --raw --passphrase-file pw ca
	same p d
	verdict "age -e -p (passphrase typed twice) | xc-open --passphrase-file"
	step /dev/null pty 'correct horse battery staple' 2 xc-seal --raw -p --work-factor 10 -o cp p
	step d xc-open --raw --passphrase-file pw cp
	same p d
	verdict "xc-seal -p (passphrase typed twice) | xc-open --passphrase-file"
	step d pty 'correct horse battery staple' 1 xc-open --raw -p cp
	same p d
	verdict "xc-open -p (passphrase typed)"
	printf 'wrong\n' >pw2
	chmod 600 pw2
	must_fail 1 xc-open --raw --passphrase-file pw2 cs
	is "$(wc -c <"$OUT")" 0 "wrong passphrase: nothing on stdout"
else
	skip 8 "cannot drive a pty with python3"
fi

done_testing
