#!/bin/sh
# 0820-letter-format: what xc-letter(5) version 2 promises beyond the round
# trip of t/0800.  Size classes: text letters of 1 B to 4 KiB with 0 to 4
# attachments of up to 1 KiB, from handles of 1 and 32 characters, make
# envelopes of one size at level 2.  The route stanza's expiry is rounded
# up to the hour, and the signed expiry is what counts.  Sealing reads
# pipes (the text, -A -, -A /dev/stdin, process substitution) once, and
# gives back the same bytes as from files; nothing is left in $TMPDIR.
# The layers: what each program links.  OpenSSL's libcrypto is loaded
# only for large payloads, and letters open the same either way.  And
# libarchive, an independent implementation, writes the same tar headers
# as lib/tar.c and reads letters back.
# shellcheck source=t/lib.sh
. "$(dirname "$0")/lib.sh"

plan 70

CRAFT=${XC_CRAFT:-$root/t/craft}
case $CRAFT in /*) ;; *) CRAFT=$OLDPWD/$CRAFT ;; esac # lib.sh did cd
if ! [ -x "$CRAFT" ]; then
	echo "Bail out! $CRAFT is missing: run make t/craft"
	exit 255
fi

size() { wc -c < "$1" | tr -d ' '; }
# route FILE: the expiry of FILE's route stanza.
route() { sed -n 's/^-> xc-route 1 \([0-9]*\)$/\1/p' "$1"; }

xc-keygen --home b @bob > bob.card 2>/dev/null || exit 1
for h in a aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa; do
	xc-keygen --home "$h" "@$h" > /dev/null 2>&1 || exit 1
	xc-verify --home "$h" -q --import bob.card > /dev/null 2>&1 || exit 1
done
long=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa

# ---- size classes ----
# Texts of 1 B, 1 KiB and 4 KiB (random bytes: no compression helps), up
# to 4 random attachments of 1 KiB, from @a and from @aaa...a (32).
python3 -c '
import os
for n in (1, 1024, 4096):
    open("t%d" % n, "wb").write(os.urandom(n))
for i in range(1, 5):
    open("att%d.bin" % i, "wb").write(os.urandom(1024))
open("tiny.bin", "wb").write(b"x")'
sizes=
n=0
for h in a "$long"; do
	for t in t1 t1024 t4096; do
		set --
		for k in 0 1 2 3 4; do
			xc-seal --home "$h" -r @bob "$@" -o "c-$n.age" "$t" || exit 1
			sizes="$sizes $(size "c-$n.age")"
			n=$((n + 1))
			set -- "$@" -A "att$((k + 1)).bin"
		done
	done
	xc-seal --home "$h" -r @bob -A tiny.bin -o "c-$n.age" t1 || exit 1
	sizes="$sizes $(size "c-$n.age")"
	n=$((n + 1))
done
classes=$(printf '%s\n' $sizes | sort -u | wc -l)
is "$classes" 1 "level 2: $n envelopes (texts 1 B-4 KiB, 0-4 attachments of 1 KiB, handles of 1 and 32): one size"
first=${sizes# }
first=${first%% *}
mkdir o
expect_exit 0 xc-open --home b --json -D o c-29.age
like "$(cat "$OUT")" '"ok":true' "the largest of them opens"
ok "... and its letter is 16 KiB (the smallest class)" sh -c \
	"age -d -i b/ids/bob/enc-1.key c-29.age | wc -c | grep -qx 16384"
diag "level 2 envelope: $first bytes for every one of the $n"
# The same at level 1: no class, the sizes differ.
xc-seal --home a -r @bob --level 1 -o l1a.age t1 || exit 1
xc-seal --home a -r @bob --level 1 -A att1.bin -o l1b.age t4096 || exit 1
ok "level 1: not padded, the sizes differ" test "$(size l1a.age)" -lt "$(size l1b.age)"
ok "level 1: the letter is whole tar blocks" sh -c \
	"test \$((\$(age -d -i b/ids/bob/enc-1.key l1a.age | wc -c) % 512)) -eq 0"
# Above the class: Padme.
head -c 40000 /dev/urandom > r40k
xc-seal --home a -r @bob -o big.age r40k || exit 1
n40=$(age -d -i b/ids/bob/enc-1.key big.age | wc -c)
is "$(python3 -c '
L = '"$n40"'
e = L.bit_length() - 1
s = e.bit_length()
m = (1 << (e - s)) - 1
print(L > 16384 and (L + m) & ~m == L)')" True "above 16 KiB: a Padme size ($n40)"

# ---- the route stanza's expiry ----
expect_exit 0 xc-seal --home a -r @bob --ttl 90s -o ttl.age t1
r=$(route ttl.age)
expect_exit 0 xc-open --home b --json -D o ttl.age
signed=$(python3 -c '
import json, datetime, calendar
o = json.loads(open("'"$OUT"'").readline())
print(calendar.timegm(datetime.datetime.strptime(o["expires"], "%Y-%m-%dT%H:%M:%SZ").timetuple()))')
is "$((r % 3600))" 0 "the route stanza's expiry is a whole hour ($r)"
ok "... not before the signed expiry ($signed)" test "$r" -ge "$signed"
ok "... and less than an hour after it" test "$((r - signed))" -lt 3600
XC_TEST_NOW=$((signed - 1)) expect_exit 0 xc-open --home b -D o ttl.age
XC_TEST_NOW=$signed must_fail 1 xc-open --home b -D o ttl.age
like "$(cat "$ERR")" 'the letter has expired' "at the signed expiry, refused (the route says $((r - signed)) s more)"
XC_TEST_NOW=$signed must_fail 1 xc-open --home b --json -D o ttl.age
like "$(cat "$OUT")" '"error":"expired"' "... --json: expired"
expect_exit 0 xc-seal --home a -r @bob -o none.age t1
is "$(route none.age)" 0 "no expiry: 0"
expect_exit 0 xc-seal --home a -r @bob --ttl 1w -o week.age t1
ok "--ttl 1w: rounded too" test "$(($(route week.age) % 3600))" -eq 0

# ---- pipes ----
mkdir tmpdir from-file from-pipe
TMPDIR=$tmp/w/tmpdir
export TMPDIR
head -c 3000000 /dev/urandom > big.bin
seq 1 200000 > text.txt
printf 'the text\nof the letter\n' > body.txt
: > empty.bin
expect_exit 0 xc-seal --home a -r @bob -A big.bin -A text.txt -A empty.bin -o f.age body.txt
expect_exit 0 xc-open --home b -D from-file f.age
is "$(cat "$OUT")" "$(cat body.txt)" "from files: the text"
# The same through pipes: the text on stdin, big.bin through -A -... no:
# stdin can be one of them only.  The text from a pipe, the others from
# process substitutions (bash) and /dev/stdin.
expect_exit 0 bash -c 'cat body.txt | xc-seal --home a -r @bob -A <(cat big.bin) -A <(cat text.txt) -A <(cat empty.bin) -o p.age'
expect_exit 0 xc-open --home b --json -D from-pipe p.age
python3 -c '
import json
o = json.loads(open("'"$OUT"'").readline())
open("pbody", "w").write(o["body"])
print(len(o["attachments"]))' > pn
ok "from pipes: the text" cmp body.txt pbody
is "$(cat pn)" 3 "from pipes: three attachments"
i=0
for f in big.bin text.txt empty.bin; do
	got=$(python3 -c '
import json, sys
o = json.loads(open("'"$OUT"'").readline())
print(o["attachments"]['$i']["path"])')
	ok "process substitution: $f, the same bytes as from the file" cmp "$f" "$got"
	ok "... and as xc-open saved from the file" cmp "from-file/$f" "$got"
	i=$((i + 1))
done
is "$(ls -A tmpdir)" "" "nothing left in \$TMPDIR (staging is an unlinked file)"
# -A /dev/stdin and -A -, with the text from a file.
mkdir s1 s2
expect_exit 0 sh -c 'cat big.bin | xc-seal --home a -r @bob -A /dev/stdin -o s1.age body.txt'
expect_exit 0 xc-open --home b -D s1 s1.age
ok "-A /dev/stdin: the same bytes" cmp big.bin s1/stdin
is "$(cat "$OUT")" "$(cat body.txt)" "-A /dev/stdin: the text from MESSAGE_FILE"
expect_exit 0 sh -c 'cat text.txt | xc-seal --home a -r @bob -A - -o s2.age'
expect_exit 0 xc-open --home b --json -D s2 s2.age
like "$(cat "$OUT")" '"body":"","attachments":\[\{"name":"stdin"' "-A - without MESSAGE_FILE: an empty text"
ok "-A -: the same bytes" cmp text.txt s2/stdin
# A pipe of compressible text is staged compressed (zlib in the header).
age -d -i b/ids/bob/enc-1.key p.age | tar xOf - xc-letter | sed -n 2p > p.json
is "$(python3 -c '
import json
h = json.load(open("p.json"))
print(" ".join("%s:%s" % (p["encoding"], p["size"]) for p in h["parts"]))')" \
	"none:$(size body.txt) none:3000000 zlib:$(size text.txt) none:0" \
	"the parts: random bytes stored, text with zlib, the empty pipe empty"
expect_exit 2 sh -c 'echo x | xc-seal --home a -r @bob -A - -A /dev/stdin -o no.age body.txt'
like "$(cat "$ERR")" '^xc-seal: error: standard input attached twice$' "stdin twice: refused"
is_file_absent no.age "... no output"
mkdir adir
must_fail 2 xc-seal --home a -r @bob -A adir -o no.age body.txt
like "$(cat "$ERR")" "^xc-seal: error: 'adir' is a directory" "a directory: refused"
unset TMPDIR

# ---- the layers: what each program links ----
# The network programs speak TLS (libssl, and libcrypto under it), and
# never touch a letter; xc-keygen and xc-verify are network programs for
# --publish and --lookup (cards on news servers, xc-nntp(5)).
for p in xc-send xc-fetch xc-keygen xc-verify; do
	libs=$(ldd "$XC_BIN/$p" | awk '{ print $1 }' | grep -E 'libarchive|libz\.|libnettle' | tr '\n' ' ')
	is "$libs" "" "$p links no libarchive, zlib or Nettle"
done
for p in xc-seal xc-open; do
	libs=$(ldd "$XC_BIN/$p" | awk '{ print $1 }' | grep -E 'libarchive|libcrypto|libssl' | tr '\n' ' ')
	is "$libs" "" "$p links no libarchive or OpenSSL"
done

# ---- OpenSSL, loaded only for large payloads ----
if command -v strace > /dev/null 2>&1; then
	strace -f -e trace=openat -o small.trace xc-seal --home a -r @bob -o sm.age t1024 2>/dev/null
	is "$(grep -c 'libcrypto' small.trace)" 0 "a 1 KiB letter: libcrypto not loaded"
	strace -f -e trace=openat -o big.trace xc-seal --home a -r @bob -A big.bin -o bg.age t1 2>/dev/null
	like "$(grep -c 'libcrypto.*= [0-9]' big.trace)" '^[1-9]' "a 3 MB letter: libcrypto loaded"
	XC_CRYPTO=libsodium strace -f -e trace=openat -o sod.trace xc-seal --home a -r @bob -A big.bin -o bs.age t1 2>/dev/null
	is "$(grep -c 'libcrypto' sod.trace)" 0 "XC_CRYPTO=libsodium: not loaded"
else
	skip 3 "no strace"
	xc-seal --home a -r @bob -A big.bin -o bg.age t1
	XC_CRYPTO=libsodium xc-seal --home a -r @bob -A big.bin -o bs.age t1
fi
mkdir x1 x2
XC_CRYPTO=libsodium expect_exit 0 xc-open --home b -D x1 bg.age
ok "sealed with OpenSSL, opened with libsodium" cmp big.bin x1/big.bin
expect_exit 0 xc-open --home b -D x2 bs.age
ok "sealed with libsodium, opened with OpenSSL" cmp big.bin x2/big.bin
ok "age opens both" sh -c 'age -d -i b/ids/bob/enc-1.key bg.age > /dev/null &&
	age -d -i b/ids/bob/enc-1.key bs.age > /dev/null'

# ---- libarchive: the independent writer and reader ----
# craft tar (lib/tar.c) and craft latar (libarchive, pax restricted) write
# the same bytes for names that fit ustar, or are UTF-8 of up to 87 bytes.
printf 'data\n' > d.txt
python3 -c '
import random
random.seed(11)
names = ["a", "x" * 99, "y" * 100, "Zo\u00eb.txt", "\u00e9" * 43 + "x",
         "\u65e5\u672c\u8a9e.txt", "a b c", "notes.2026-12-04.log"]
for i in range(40):
    n = random.randint(1, 100)
    names.append("".join(random.choice("abcdefghijklmnopqrstuvwxyz0123456789._~+") for _ in range(n)).lstrip(".-") or "z")
with open("spec", "w") as f:
    for n in names:
        f.write("file %s d.txt\n" % n.replace(" ", "_"))'
"$CRAFT" tar --pad --mtime 1796399190 < spec > ours.tar || exit 1
"$CRAFT" latar --pad --mtime 1796399190 < spec > theirs.tar || exit 1
ok "lib/tar.c and libarchive write the same bytes for 48 names" cmp ours.tar theirs.tar
# libarchive reads a real letter: names in order, sizes, part hashes.
long8=$(python3 -c 'print("\u00e9" * 60 + ".txt")')
longa=$(python3 -c 'print("n" * 150 + ".dat")')
cp d.txt "$long8"
cp big.bin "$longa"
expect_exit 0 xc-seal --home a -r @bob -A "$long8" -A "$longa" -A big.bin -o la.age body.txt
age -d -i b/ids/bob/enc-1.key la.age > la.tar
"$CRAFT" list < la.tar > la.list
is "$(cut -f 1-3 la.list | tr '\t\n' ' /')" \
	"message.txt f $(size body.txt)/$long8 f 5/$longa f 3000000/big.bin f 3000000/xc-letter f $(tar xOf la.tar xc-letter | wc -c)/" \
	"libarchive lists the parts in order, then xc-letter"
is "$(tar --quoting-style=literal -tf la.tar | tr '\n' /)" "message.txt/$long8/$longa/big.bin/xc-letter/" "GNU tar lists the same"
ok "tar xOf gives a part back" sh -c "tar xOf la.tar big.bin | cmp -s - big.bin"
tar xOf la.tar xc-letter | sed -n 2p > la.json
is "$(python3 -c '
import json
h = json.load(open("la.json"))
print(" ".join(p["hash"] for p in h["parts"]))')" \
	"$("$CRAFT" hash < body.txt) $("$CRAFT" hash < "$long8") $("$CRAFT" hash < "$longa") $("$CRAFT" hash < big.bin)" \
	"the signed part hashes are SHA-256 trees of 64 KiB leaves (computed again by t/craft with libsodium)"
is "$(cut -f 4 la.list | sort -u)" "$(python3 -c '
import json; print(json.load(open("la.json"))["date"])')" "every entry's mtime is the letter's date"

done_testing
