#!/bin/sh
# 0170-age-habits: what the hands of an age or minisign user type works.
# `xc-open -d` is age's decrypt flag (a no-op), attachments go to -D DIR,
# and the old `-d DIR` is caught with a hint; `xc-open --raw -d -i KEY`
# decrypts a file made by the real age byte for byte as `age -d -i KEY`
# does, and without --raw a plain age file gets a hint naming --raw;
# `xc-open --raw` on a passphrase file (binary or armored, made by xc or
# by age) asks for the passphrase on the terminal, as `age -d` does; the
# option letters of xc(7)'s table are those the programs take.
# shellcheck source=t/lib.sh
. "$(dirname "$0")/lib.sh"

plan 49

ptyrun() {
	python3 "$root/t/pty.py" "$@"
}

xc-keygen --home alice @alice > alice.card 2>/dev/null || bail "keygen alice"
xc-keygen --home bob @bob > bob.card 2>/dev/null || bail "keygen bob"
xc-verify --home alice -q --import bob.card > /dev/null 2>&1 || bail "import"
xc-verify --home bob -q --import alice.card > /dev/null 2>&1 || bail "import"
age-keygen -o key.txt 2>/dev/null || bail "age-keygen"
chmod 600 key.txt
recip=$(age-keygen -y key.txt)
head -c 300000 /dev/urandom > plain.bin
age -r "$recip" -o plain.age plain.bin || bail "age -e"

# ---- -d: decrypt, as age -d ----
expect_exit 0 xc-open --raw -d -i key.txt plain.age
cp "$OUT" xc.out
expect_exit 0 age -d -i key.txt plain.age
ok "xc-open --raw -d -i KEY gives what age -d -i KEY gives" cmp -s xc.out "$OUT"
ok "... which is the plaintext" cmp -s xc.out plain.bin
expect_exit 0 xc-open --raw --decrypt -i key.txt -o out.bin plain.age
ok "--decrypt -o OUT" cmp -s out.bin plain.bin

# A plain age file without --raw: refused, with a hint naming --raw.
must_fail 3 xc-open -d -i key.txt plain.age
is "$(cat "$ERR")" "xc-open: error: plain.age: header failure: no xc-route stanza: not an xc envelope
xc-open: hint: a plain age file, not a letter: xc-open --raw decrypts it (-i KEY, or it asks for a passphrase); no signature says who made it" \
    "letter mode: a plain age file is named as such, with --raw in the hint"
is "$(wc -c < "$OUT")" 0 "... and nothing on stdout"
# To bob's own key, opened with the keyring: the same.
age -r "$(xc-keygen -y bob/ids/bob/enc-1.key)" -o tobob.age plain.bin || bail "age -e"
must_fail 3 xc-open --home bob tobob.age
like "$(sed -n 2p "$ERR")" '^xc-open: hint: a plain age file, not a letter: xc-open --raw' \
    "the same with the keyring's keys"
expect_exit 3 xc-open --home bob --json tobob.age
is "$(jf ok path error)|$(wc -l < "$ERR")" "false|tobob.age|bad-input|1" \
    "--json: the error object, and no hint"

# ---- letters: -d is a no-op, -D DIR takes the attachments ----
printf 'the plan\n' > msg.txt
printf 'attached\n' > a.txt
xc-seal --home alice -r @bob -A a.txt -o l1.age msg.txt || bail "seal"
mkdir att
expect_exit 0 xc-open --home bob -d -D att l1.age
is "$(cat "$OUT")|$(cat att/a.txt)" "the plan|attached" "xc-open -d -D DIR: the text, and the attachment in DIR"
rm att/a.txt
expect_exit 0 xc-open --home bob --allow-replay --dir att l1.age
is "$(cat att/a.txt)" attached "--dir DIR"
rm att/a.txt
expect_exit 0 xc-open --home bob --directory att l1.age
is "$(cat att/a.txt)" attached "--directory DIR (the old long name)"
rm att/a.txt
must_fail 2 xc-open --home bob -D att -D att l1.age
# The old habit: -d DIR.  DIR is then an operand, named, with a hint.
mkdir old
expect_exit 4 xc-open --home bob -d old l1.age
is "$(sed -n 1p "$ERR")
$(sed -n 2p "$ERR")" "xc-open: error: old: is a directory, not an envelope
xc-open: hint: attachments go to -D DIR; -d is age's decrypt flag and takes no argument" \
    "xc-open -d DIR: DIR is named, and -D is in the hint"
is "$(cat "$OUT")|$(cat a.txt)|$(ls old | wc -l)" "the plan|attached|0" \
    "... the letter still opens, into the current directory"
rm -f a.1.txt

# ---- --raw on a passphrase file: asked for, as age -d does ----
printf 'correct horse\n' > pw
chmod 600 pw
xc-seal --raw --passphrase-file pw --work-factor 10 -o s.age plain.bin || bail "seal -p"
xc-seal --raw -a --passphrase-file pw --work-factor 10 -o s.asc plain.bin || bail "seal -p -a"
is "$(sed -n 2p s.age | cut -d' ' -f2)" scrypt "a passphrase file: one scrypt stanza"
if ptyrun /dev/null true 2>/dev/null; then
	ptyrun -w 'correct horse' tty.out xc-open --raw s.age > p.out 2> p.err
	is "$?|$(cat p.err)" "0|" "xc-open --raw PASSPHRASE-FILE: no -p needed"
	ok "... the plaintext" cmp -s p.out plain.bin
	is "$(tr -d '\r\n' < tty.out)" "Enter passphrase: " "... asked on the terminal"
	ptyrun -w 'correct horse' tty.out xc-open --raw -o p2.out s.asc > /dev/null 2> p.err
	is "$?|$(cat p.err)" "0|" "the same for an armored file"
	ok "... the plaintext" cmp -s p2.out plain.bin
	ptyrun -w 'correct horse' tty.out sh -c 'xc-open --raw < s.asc' > p.out 2> p.err
	is "$?|$(cat p.err)" "0|" "the same from standard input, the prompt on the terminal"
	ok "... the plaintext" cmp -s p.out plain.bin
	ptyrun -w 'wrong horse' tty.out xc-open --raw s.age > p.out 2> p.err
	is "$?|$(cat p.err)|$(wc -c < p.out)" "1|xc-open: error: no identity matched any recipient of this file|0" \
	    "a wrong passphrase: status 1, nothing released"
	ptyrun -w 'correct horse' -w 'correct horse' /dev/null \
	    age -e -p -o agep.age plain.bin > /dev/null 2>&1
	ptyrun -w 'correct horse' tty.out xc-open --raw -d agep.age > p.out 2> p.err
	is "$?|$(cat p.err)" "0|" "a file of age -e -p: xc-open --raw -d asks, as age -d"
	ok "... the plaintext" cmp -s p.out plain.bin
else
	skip 11 "no pseudo-terminal here"
fi
# No terminal: said, status 4 (as -p).
must_fail 4 setsid -w xc-open --raw s.age < /dev/null
is "$(sed -n 1p "$ERR")" "xc-open: error: no terminal to read a passphrase from" \
    "no terminal: said"
# A file that is not encrypted to a passphrase, and no identity: usage.
must_fail 2 xc-open --raw plain.age < /dev/null
like "$(sed -n 1p "$ERR")" '^xc-open: error: no identity: give -i, -p or --passphrase-file$' \
    "an X25519 file without -i: usage error, as before"
must_fail 2 xc-open --raw < plain.age
must_fail 2 xc-open --raw < /dev/null
# The passphrase file still works as before.
expect_exit 0 xc-open --raw --passphrase-file pw s.asc
ok "--passphrase-file: the plaintext" cmp -s "$OUT" plain.bin

# ---- the options table of xc(7) is what the programs take ----
# Each xc program's column lists the short options of its getopt string
# (from --help: "  -X, --long" or "  -X ARG"), and nothing else.
python3 - "$root/man/xc.7" > table.out <<'PY'
import re, subprocess, sys
man = open(sys.argv[1]).read()
a = man.index('.Bl -column "opt" "keygen"')
rows = man[a:man.index('.El', a)].splitlines()[2:]
cols = ['xc-keygen', 'xc-seal', 'xc-open', 'xc-verify', 'xc-send',
        'xc-fetch', 'xc-node']
table = {p: set() for p in cols}
for r in rows:
    cells = r[len('.It '):].split(' Ta ')
    letter = cells[0].split()[1]
    for p, c in zip(cols, cells[1:8]):
        if c.strip() != '\\&-':
            table[p].add(letter)
bad = []
for p in cols:
    h = subprocess.run([p, '--help'], capture_output=True, text=True).stdout
    # the usage lines, then the option lines of the help text
    took = set(re.findall(r'^\s+-([A-Za-z0-9])\b', h, re.M))
    took |= set(re.findall(r'\[-([A-Za-z0-9])[\] |]', h))
    took.discard('-')
    if took != table[p]:
        bad.append('%s: help %s, xc(7) %s' % (p, sorted(took), sorted(table[p])))
print('\n'.join(bad))
PY
is "$(cat table.out)" "" "xc(7)'s table of option letters: what each program's --help lists"
grep -q 'Sy age' "$root/man/xc.7" && grep -q 'Sy minisign' "$root/man/xc.7"
is "$?" 0 "... beside age and minisign"

# ---- xc-verify -m FILE: FILE.minisig by default, as minisign -V ----
printf 'release\n' > rel.tar
expect_exit 0 xc-seal --home alice --sign rel.tar
expect_exit 0 xc-verify --home bob -m rel.tar
is "$(sed -n 3p "$OUT")" "Signed by @alice (contact)" "xc-verify -m FILE reads FILE.minisig"
if command -v minisign > /dev/null 2>&1; then
	xc-keygen --home alice --minisign > alice.pub
	expect_exit 0 minisign -V -m rel.tar -p alice.pub
	is "$(sed -n 1p "$OUT")" "Signature and comment signature verified" \
	    "... the file minisign -V -m FILE reads too"
else
	skip 2 "no minisign"
fi

done_testing
