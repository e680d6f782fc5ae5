#!/bin/sh
# 0770-terminal: what came from someone else never drives the terminal
# (TESTPLAN P14, H06).  Every Unicode C0, C1, bidirectional, invisible
# format, line and paragraph separator code point (Cc, Cf, Zl, Zp: 230 in
# Unicode 14) in a body, a handle, an attachment name, a file name and a
# trusted comment: zero of them reach a pty (run through Python's pty
# module), escaped as \xNN or \u{XXXX} instead; bodies to a pipe stay
# byte for byte; the JSON output carries them escaped per RFC 8259, also
# on a terminal, and parses back to the same strings.
# shellcheck source=t/lib.sh
. "$(dirname "$0")/lib.sh"

plan 34

A=$tmp/alice B=$tmp/bob
xc-keygen --home "$A" @alice > alice.card 2>/dev/null || exit 1
xc-keygen --home "$B" @bob > bob.card 2>/dev/null || exit 1
xc-verify -q --home "$A" --import bob.card > /dev/null || exit 1
xc-verify -q --home "$B" --import alice.card > /dev/null || exit 1

# pty OUTFILE CMD...: runs CMD with stdin, stdout and stderr on a pty (no
# output processing: bytes as the program wrote them); OUTFILE gets them.
pty() {
	python3 - "$@" <<'PY'
import os, pty, sys, termios
out, argv = sys.argv[1], sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    a = termios.tcgetattr(1)
    a[1] &= ~termios.OPOST
    termios.tcsetattr(1, termios.TCSANOW, a)
    try:
        os.execvp(argv[0], argv)
    finally:
        os._exit(127)
data = b''
while True:
    try:
        b = os.read(fd, 65536)
    except OSError:
        break
    if not b:
        break
    data += b
open(out, 'wb').write(data)
st = os.waitpid(pid, 0)[1]
sys.exit(os.WEXITSTATUS(st) if os.WIFEXITED(st) else 128 + os.WTERMSIG(st))
PY
}

# unsafe FILE: the unsafe code points (and stray bytes) in FILE, counted;
# nothing for a clean file.
unsafe() {
	python3 - "$1" <<'PY'
import sys, unicodedata
b = open(sys.argv[1], 'rb').read()
s = b.decode('utf-8', 'surrogateescape')
bad = [c for c in s if c not in '\n\t' and
       (unicodedata.category(c) in ('Cc', 'Cf', 'Zl', 'Zp') or
        0xdc80 <= ord(c) <= 0xdcff)]
if bad:
    print('%d unsafe: %s' % (len(bad), ' '.join('U+%04X' % ord(c) for c in bad[:12])))
PY
}

# The 230 code points, each after an "x", and a CSI colour change as it
# would be written by an attacker (NUL apart: a text with one is base64 in
# --json).  File names: every one but NUL and newline (a trusted comment
# is one line), in names of at most 200 bytes, name.0 to name.N listing
# them.
python3 - <<'PY'
import unicodedata
cps = [c for c in range(0x110000)
       if unicodedata.category(chr(c)) in ('Cc', 'Cf', 'Zl', 'Zp')]
open('cps', 'w').write('%d\n' % len(cps))
body = ''.join('x' + chr(c) for c in cps if c) + \
    '\x1b[31mRED\x1b[0m\u202egnp.exe\n'
open('body.txt', 'w', encoding='utf-8', newline='').write(body)
names, cur = [], 'n'
for c in cps:
    if c in (0, 10):
        continue
    if len((cur + chr(c) + 'n.txt').encode()) > 200:
        names.append(cur + '.txt')
        cur = 'n'
    cur += chr(c) + 'n'
names.append(cur + '.txt')
for i, n in enumerate(names):
    open('name.%d' % i, 'w', encoding='utf-8', newline='').write(n)
open('nnames', 'w').write('%d\n' % len(names))
PY
nn=$(cat nnames)
is "$(cat cps)" 230 "230 code points of Unicode 14 are Cc, Cf, Zl or Zp"

# ---- a body ----
xc-seal --home "$A" -r @bob -o body.age body.txt || exit 1
expect_exit 0 pty pty.out xc-open --home "$B" body.age
is "$(unsafe pty.out)" "" "a body on a pty: no unsafe code point reaches it"
like "$(cat pty.out)" '\\x1b\[31mRED\\x1b\[0m\\u\{202e\}gnp\.exe' "escaped as \\xNN and \\u{XXXX}"
like "$(cat pty.out)" 'x\\x01x\\x02' "SOH and STX escaped too"
like "$(cat pty.out)" 'x\\u\{e007f\}' "and the last tag character"
like "$(cat pty.out)" "^xc-open: body\\.age: from @alice \\(contact, " "the report is there"
expect_exit 0 xc-open --home "$B" body.age
ok "the body to a pipe: byte for byte" cmp -s "$OUT" body.txt
expect_exit 0 xc-open --home "$B" --json body.age
ok "--json to a pipe: the body parses back to the same string" python3 -c '
import json, sys
o = json.loads(open(sys.argv[1], encoding="utf-8").read())
sys.exit(o["body"] != open("body.txt", encoding="utf-8", newline="").read())' "$OUT"
like "$(cat "$OUT")" 'x\\u001bx\\u001c' "C0 controls are \\u00XX escapes in the JSON"
is "$(unsafe "$OUT" | sed 's/:.*//')" "199 unsafe" \
    "to a pipe the JSON is cJSON's: the non-C0 code points as they are (RFC 8259 allows them)"
expect_exit 0 pty pty.json xc-open --home "$B" --json body.age
is "$(unsafe pty.json)" "" "--json on a pty: nothing unsafe"
ok "--json on a pty parses back to the same body" python3 -c '
import json, sys
o = json.loads(open(sys.argv[1], encoding="utf-8").read())
sys.exit(o["body"] != open("body.txt", encoding="utf-8", newline="").read())' pty.json

# ---- attachment names ----
mkdir att out
set --
i=0
while [ $i -lt "$nn" ]; do
	cp body.txt "att/$(cat "name.$i")"
	set -- "$@" -A "att/$(cat "name.$i")"
	i=$((i + 1))
done
xc-seal --home "$A" -r @bob "$@" -o att.age < /dev/null || exit 1
expect_exit 0 pty pty.att xc-open --home "$B" -D out att.age
is "$(unsafe pty.att)" "" "$nn attachment names on a pty: nothing unsafe"
is "$(grep -c '^xc-open: saved out/n' pty.att)" "$nn" "one 'saved' line each"
like "$(cat pty.att)" '^xc-open: saved out/n_n_n' "C0 controls became _ (xc-seal), the rest escaped"
like "$(cat pty.att)" 'n\\u\{0080\}n\\u\{0081\}n' "C1 controls escaped"
expect_exit 0 xc-open --home "$B" --json -D out att.age
ok "--json: the names as saved carry the C1 and other characters xc-seal kept" python3 -c '
import json, sys
a = json.loads(open(sys.argv[1], encoding="utf-8").read())["attachments"]
n = "".join(x["name"] for x in a)
sys.exit(not ("\u0080" in n and "\u009b" in n and "\u2028" in n and "\U000e0001" in n))' "$OUT"

# ---- a handle, and a file name, in messages ----
expect_exit 2 pty pty.h xc-seal --home "$A" -r "@a$(printf '\033]0;pwned\007')b" -o x.age
is "$(unsafe pty.h)" "" "a bad handle quoted in an error: nothing unsafe"
like "$(cat pty.h)" "'@a\\\\x1b\\]0;pwned\\\\x07b' is not a handle" "... escaped in the error"
expect_exit 2 pty pty.v xc-verify --home "$B" --fingerprint "@$(printf '\342\200\256')evil"
is "$(unsafe pty.v)" "" "xc-verify's error: nothing unsafe"
expect_exit 4 pty pty.f xc-open --home "$B" "$(cat name.0)"
is "$(unsafe pty.f)" "" "a file name in xc-open's error: nothing unsafe"
# A handle from a letter is a card's: only [a-z0-9_] parse (xc-card(5)).
expect_exit 0 pty pty.r xc-open --home "$B" body.age
like "$(cat pty.r)" '^xc-open: body\.age: from @alice ' "a handle from a card is printed as it is"

# ---- trusted comments ----
bad=0 signed=0
i=0
while [ $i -lt "$nn" ]; do
	f=$(cat "name.$i")
	cp body.txt "$f"
	xc-seal --home "$A" --sign "$f" -o "sig.$i" 2> /dev/null || exit 1
	pty "pty.tc$i" xc-verify --home "$B" -m "$f" -x "sig.$i" ||
	    bad=$((bad + 1))
	[ -z "$(unsafe "pty.tc$i")" ] || { bad=$((bad + 1)); diag "$(unsafe "pty.tc$i")"; }
	grep -q '^Trusted comment: timestamp:[0-9]*	file:n' "pty.tc$i" || bad=$((bad + 1))
	xc-verify --home "$B" -m "$f" -x "sig.$i" > "tc$i" 2>&1 || bad=$((bad + 1))
	python3 -c '
import sys
out = open(sys.argv[1], "rb").read().decode("utf-8")
name = open(sys.argv[2], encoding="utf-8", newline="").read()
sys.exit(("file:" + name + "\thashed") not in out)' "tc$i" "name.$i" || bad=$((bad + 1))
	i=$((i + 1))
done
is "$bad" 0 "$nn trusted comments: verified, nothing unsafe on a pty (tabs kept), as signed to a pipe"
like "$(cat pty.tc0)" 'file:n\\x01n\\x02n' "... escaped as \\xNN"

done_testing
