#!/bin/sh
# 0800-letters: signed letters in xc envelopes (xc-seal and xc-open without
# --raw).  Three parties with their own keyrings (--home): alice writes to
# bob and to {bob, carol}; text (empty, UTF-8, with NULs), binary, image and
# oddly named attachments come back byte for byte, with --json fields and
# media types; a 100 MiB attachment streams in bounded memory; the real age
# and tar read the envelope; attachments never overwrite; stdin is one
# envelope or a list of paths; forwarded, expired, below-level, unsigned,
# key-changed and not-for-me letters are refused with their exit status and
# error class, with nothing on stdout and nothing left in the -d DIR.
# shellcheck source=t/lib.sh
. "$(dirname "$0")/lib.sh"

plan 263

bail() {
	echo "Bail out! $*"
	exit 255
}

# listing DIR: DIR's entries (dot files too), sorted, each followed by '/'.
listing() {
	# shellcheck disable=SC2012 # names are compared, not parsed
	ls -A "$1" | sort | tr '\n' /
}

# bodies: the texts on stdout ($OUT) of several letters, without the
# summary line ("=== from @alice ...") and the blank line that head each.
bodies() {
	grep -v -e '^=== from @' -e '^$' "$OUT"
}

# refused CODE CLASS DIR XC-OPEN-ARG...: xc-open -D DIR fails with CODE,
# prints nothing on stdout and leaves nothing in DIR (no attachment, no
# .xc-*.part); with --json stdout is exactly one error object of CLASS.
# The plain run's stderr is kept in $tmp/err.plain.
refused() {
	_code=$1 _cls=$2 _dir=$3
	shift 3
	mkdir -p "$_dir"
	must_fail "$_code" xc-open -D "$_dir" "$@"
	cp "$ERR" "$tmp/err.plain"
	is "$(cat "$OUT")|$(listing "$_dir")" "|" \
	    "$_cls: nothing on stdout, nothing in $_dir"
	expect_exit "$_code" xc-open --json -D "$_dir" "$@"
	is "$(jf '#lines' ok error)|$(listing "$_dir")" "1|false|$_cls|" \
	    "$_cls: --json prints one error object, nothing in $_dir"
}

# seal_fails CODE XC-SEAL-ARG...: xc-seal -o sealed/x.age fails with CODE,
# with nothing on stdout and no file in sealed/ (no temporary file either).
mkdir sealed
seal_fails() {
	_code=$1
	shift
	must_fail "$_code" xc-seal -o sealed/x.age "$@"
	is "$(cat "$OUT")|$(listing sealed)" "|" "nothing written"
}

size() {
	wc -c < "$1" | tr -d ' '
}

# The parties: alice knows bob and carol, and they know her: each imported
# the others' cards (letters never make contacts).
for p in alice bob carol; do
	xc-keygen --home "$p" "@$p" > "$p.card" 2> "$p.fp" ||
	    bail "xc-keygen @$p"
done
afp=$(sed 's/^Fingerprint of @alice: //' alice.fp)
xc-verify --home alice -q --import bob.card carol.card > /dev/null 2>&1 ||
    bail "xc-verify --import"
for p in bob carol; do
	xc-verify --home $p -q --import alice.card > /dev/null 2>&1 ||
	    bail "xc-verify --import"
done
bobkey=bob/ids/bob/enc-1.key
carolkey=carol/ids/carol/enc-1.key
bobr=$(sed -n 2p bob.card | grep -o 'age1[a-z0-9]*')
carolr=$(sed -n 2p carol.card | grep -o 'age1[a-z0-9]*')
if [ -z "$bobr" ] || [ -z "$carolr" ]; then
	bail "no age recipient in the cards"
fi

# The files: random bytes, NULs (compressible: stored with zlib), a tiny
# JPEG and GIF, a name with a space and UTF-8, and two names over the 100
# bytes of a ustar name field (ASCII, and 2-byte UTF-8 characters).
u8='ünï cödé.txt'
long=$(python3 -c 'print("n" * 150 + ".dat")')
long8=$(python3 -c 'print("é" * 60 + ".txt")')
python3 -c '
import os, sys
w = lambda name, data: open(name.encode(), "wb").write(data)
w("msg.txt", "Dear Bob,\nünïcödé ✓ and a\ttab\n".encode())
w("rand.bin", os.urandom(5000))
w("nul.bin", b"\0" * 70000 + b"end\0\0")
w("photo.jpg", bytes.fromhex(
  "FFD8FFE000104A46494600010101004800480000FFDB0043000302020202020302"
  "02020303030304060404040404080606050609080A0A090809090A0C0F0C0A0B0E"
  "0B09090D110D0E0F101011100A0C12131210130F101010FFC9000B080001000101"
  "011100FFCC000600101005FFDA0008010100003F00D2CF20FFD9"))
w("anim.gif", bytes.fromhex("47494638396101000100800000ffffff0000002"
  "1f90401000000002c00000000010001000002024401003b"))
w(sys.argv[1], "a file with a UTF-8 name\n".encode())
w(sys.argv[2], os.urandom(300))
w(sys.argv[3], b"long UTF-8 name\n")
' "$u8" "$long" "$long8" || bail "python3"
files="rand.bin nul.bin photo.jpg anim.gif"
types="application/octet-stream application/octet-stream image/jpeg image/gif"

# ---- alice -> {bob, carol}: one envelope, both open it ----
expect_exit 0 xc-seal --home alice -r @bob -r @carol -A rand.bin \
    -A nul.bin -A photo.jpg -A anim.gif -A "$u8" -A "$long" -A "$long8" \
    -o m1.age msg.txt
is "$(cat "$OUT")$(listing .| grep -c '\.xc-')" 0 \
    "xc-seal -o: nothing on stdout, no temporary file"
is "$(head -c 22 m1.age)" "age-encryption.org/v1" "the envelope is an age v1 file"
is "$(grep -ac '^-> X25519 ' m1.age) $(grep -ac '^-> xc-route 1 0$' m1.age)" \
    "2 1" "two X25519 stanzas and one xc-route stanza without expiry"

# shellcheck disable=SC2086 # $files is a list of plain names
want=$(printf '%s\n' $files "$u8" "$long" "$long8" | sort | tr '\n' /)
mkdir b1
expect_exit 0 xc-open --home bob -D b1 m1.age
ok "bob: stdout is the text" cmp "$OUT" msg.txt
is "$(listing b1)" "$want" "bob: exactly the attachments were saved"
for f in $files "$u8" "$long" "$long8"; do
	ok "bob: $f" cmp "$f" "b1/$f"
done
is "$(stat -c %a b1/rand.bin)" 644 "attachments get 0666 & ~umask"
like "$(sed -n 1p "$ERR")" "^xc-open: m1.age: from @alice \\(contact, $afp\\), level 2 private, [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z, id $(envid m1.age)\$" \
    "bob: stderr names the sender, trust, fingerprint, level and date"
is "$(grep -c '^xc-open: saved b1/' "$ERR")" 7 "bob: one 'saved' line per attachment"
like "$(cat "$ERR")" '^xc-open: saved b1/photo\.jpg \(image/jpeg, 125 bytes\)$' \
    "bob: the 'saved' line of the JPEG"

mkdir c1
expect_exit 0 xc-open --home carol --json -D c1 m1.age
is "$(jf '#lines' ok path id from fingerprint verification to level level_name claimed_level)" \
    "1|true|m1.age|$(envid m1.age)|alice|$afp|contact|carol|2|private|2" \
    "carol --json: sender, a contact, level 2 private"
is "$(jf forwarded expires reply_to thread attachments.#)" \
    "false|null|null|null|7" "carol --json: not forwarded, no expiry, no thread, 7 attachments"
is "$(jf body)" "$(cat msg.txt)" "carol --json: the body"
like "$(jf message_id)" '^[0-9a-f]{32}$' "carol --json: a 32 hex digit message id"
like "$(jf date)" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' \
    "carol --json: an ISO UTC date"
like "$(jf not_protected.0)|$(jf not_protected.1)" '^sender not verified in person\|size class' "carol --json: what level 2 leaves unprotected"
id1=$(jf message_id)
i=0
# shellcheck disable=SC2086 # $types is a list of media types
set -- $types application/octet-stream application/octet-stream \
    application/octet-stream
for f in $files "$u8" "$long" "$long8"; do
	is "$(jf attachments.$i.name attachments.$i.path attachments.$i.type attachments.$i.size)" \
	    "$f|c1/$f|$1|$(size "$f")" "carol --json: attachment $i: name, path, type, size"
	ok "carol: $f" cmp "$f" "$(jf attachments.$i.path)"
	i=$((i + 1))
	shift
done
is "$(listing c1)" "$want" "carol: exactly the attachments were saved"

# The real age opens the envelope with either key file; the letter is a
# tar: "message.txt", the attachments in order, then "xc-letter".
expect_exit 0 age -d -i "$bobkey" -o m1.tar m1.age
expect_exit 0 age -d -i "$carolkey" -o m1c.tar m1.age
ok "bob's and carol's age give the same letter" cmp m1.tar m1c.tar
# shellcheck disable=SC2086 # $files is a list of plain names
is "$(tar --quoting-style=literal -tf - < m1.tar 2>&1)" "$(printf '%s\n' \
    message.txt $files "$u8" "$long" "$long8" xc-letter)" \
    "tar tf lists message.txt, the attachments in order and xc-letter"
ok "message.txt in the tar is the text" sh -c 'tar -xOf m1.tar message.txt | cmp -s - msg.txt'
tar -xOf m1.tar xc-letter | sed -n 2p > m1.json
is "$(python3 -c '
import json
h = json.load(open("m1.json"))
print(h["id"], h["from"], " ".join(sorted(t["handle"] for t in h["to"])),
      h["level"], [p["encoding"] for p in h["parts"]][1:3])')" \
    "$id1 alice bob carol 2 ['none', 'zlib']" \
    "the signed header: the message id --json reported, both recipients, zlib for the NULs"

# A reply (bob answers m1.age, by its path): to the sender, alice;
# reply_to and thread are the message id of the letter answered.
expect_exit 0 xc-seal --home bob --reply-to m1.age -o reply.age msg.txt
mkdir r1
expect_exit 0 xc-open --home alice --json -D r1 reply.age
is "$(jf from to reply_to thread)" "bob|alice|$id1|$id1" "--reply-to FILE: to the sender; reply_to and thread"
seal_fails 4 --home alice -r @bob --reply-to "${id1}0" msg.txt
like "$(cat "$ERR")" "^xc-seal: error: --reply-to ${id1}0: no such letter in the inbox\$" \
    "--reply-to an id that is no envelope's in the inbox"
seal_fails 2 --home alice -r @bob --reply-to "$(echo "$id1" | tr a-f A-F)" msg.txt

# Empty text; text with NULs (base64 in --json); one recipient.
expect_exit 0 xc-seal --home alice -r @bob -o empty.age < /dev/null
mkdir e0
expect_exit 0 xc-open --home bob -D e0 empty.age
is "$(size "$OUT")|$(listing e0)" "0|" "empty text: nothing on stdout, nothing saved"
expect_exit 0 xc-open --home bob --json -D e0 empty.age
is "$(jf body attachments.# to)" "|0|bob" "empty text: --json body \"\", no attachments"
printf 'a\000b' > nul.txt
expect_exit 0 xc-seal --home alice -r @bob -o nultext.age nul.txt
expect_exit 0 xc-open --home bob -D e0 nultext.age
ok "a text with a NUL comes back byte for byte" cmp "$OUT" nul.txt
expect_exit 0 xc-open --home bob --json -D e0 nultext.age
is "$(jf body_base64 body)" "YQBi|<no body>" "a text with a NUL is body_base64 in --json"
refused 1 not-for-me e1 --home carol empty.age

# Names: base names sanitised; "message.txt" is the text's; duplicates get
# ".N" before the extension.
mkdir n1 n2
python3 -c '
for p in ("n1/a.txt", "n2/a.txt", "n1/message.txt", "n1/.hidden",
          "n1/-x", "n1/back\\slash", "n1/new\nline", "n1/noext", "n2/noext"):
    open(p, "w").write(p + "\n")'
expect_exit 0 xc-seal --home alice -r @bob -A n1/a.txt -A n2/a.txt \
    -A n1/message.txt -A n1/.hidden -A n1/-x -A 'n1/back\slash' \
    -A "n1/new
line" -A n1/noext -A n2/noext -o names.age < /dev/null
mkdir n3
expect_exit 0 xc-open --home bob --json -D n3 names.age
is "$(i=0; while [ $i -lt 9 ]; do jf attachments.$i.name; i=$((i + 1)); done | tr '\n' ' ')" \
    'a.txt a.1.txt message.1.txt hidden x back_slash new_line noext noext.1 ' \
    "part names: sanitised, unique, message.txt reserved"
ok "n2/a.txt was saved as a.1.txt" cmp n2/a.txt n3/a.1.txt
ok "a name with a newline was saved as new_line" cmp "n1/new
line" n3/new_line

# ---- a 100 MiB attachment: streamed, in bounded memory ----
limit=32768 # KiB
if [ -x /usr/bin/time ]; then
	head -c 104857600 /dev/urandom > big.bin
	expect_exit 0 /usr/bin/time -f %M -o rss.seal xc-seal --home alice \
	    -r @bob -A big.bin -o big.age /dev/null
	mkdir big
	expect_exit 0 /usr/bin/time -f %M -o rss.open xc-open --home bob \
	    -D big big.age
	ok "100 MiB: bob's copy is equal" cmp big.bin big/big.bin
	diag "100 MiB attachment: peak RSS xc-seal $(tail -n 1 rss.seal) KiB, xc-open $(tail -n 1 rss.open) KiB"
	if [ -n "${XC_SANITIZE:-}" ]; then
		skip 2 "peak RSS means nothing under the sanitizers"
	else
		ok "100 MiB: xc-seal peak RSS < $limit KiB" \
		    test "$(tail -n 1 rss.seal)" -lt "$limit"
		ok "100 MiB: xc-open peak RSS < $limit KiB" \
		    test "$(tail -n 1 rss.open)" -lt "$limit"
	fi
	rm -rf big big.bin big.age
else
	skip 5 "no /usr/bin/time"
fi

# ---- never overwrite ----
mkdir ow sl
printf 'mine\n' > ow/notes.txt
cp ow/notes.txt mine.copy
ino=$(stat -c %i ow/notes.txt)
printf "the letter's notes\n" > notes.txt
printf 'no extension\n' > notes
expect_exit 0 xc-seal --home alice -r @bob -A photo.jpg -A notes.txt \
    -A notes -o p.age < /dev/null
expect_exit 0 xc-open --home bob --json -D ow p.age
is "$(jf attachments.0.path attachments.1.path attachments.2.path)" \
    "ow/photo.jpg|ow/notes.1.txt|ow/notes" "first open: photo.jpg, notes.1.txt, notes"
expect_exit 0 xc-open --home bob --json -D ow p.age
is "$(jf attachments.0.path attachments.1.path attachments.2.path)" \
    "ow/photo.1.jpg|ow/notes.2.txt|ow/notes.1" "second open: photo.1.jpg, notes.2.txt, notes.1"
is "$(listing ow)" "notes/notes.1/notes.1.txt/notes.2.txt/notes.txt/photo.1.jpg/photo.jpg/" \
    "nothing else in the directory"
ok "the existing notes.txt is untouched" cmp ow/notes.txt mine.copy
is "$(stat -c %i ow/notes.txt)" "$ino" "and is the same file"
ok "photo.1.jpg is the JPEG" cmp photo.jpg ow/photo.1.jpg
ok "notes.2.txt is the letter's" cmp notes.txt ow/notes.2.txt
ln -s ../victim sl/photo.jpg
expect_exit 0 xc-open --home bob -D sl p.age
ok "a dangling symlink is not followed: photo.1.jpg instead" \
    sh -c '! test -e victim && test -L sl/photo.jpg && cmp -s photo.jpg sl/photo.1.jpg'
n255=$(python3 -c 'print("l" * 251 + ".txt")')
printf 'long\n' > "$n255"
expect_exit 0 xc-seal --home alice -r @bob -A "$n255" -o l255.age < /dev/null
mkdir d255
expect_exit 0 xc-open --home bob -D d255 l255.age
# The ".1" alternative of a 255-byte name is cut to fit the file system.
expect_exit 0 xc-open --home bob -D d255 l255.age
n255b=$(python3 -c 'print("l" * 249 + ".1.txt")')
ok "a 255-byte name opened twice: a shortened .1 alternative" test -f "d255/$n255b"
ok "the shortened copy has the same content" cmp -s "d255/$n255" "d255/$n255b"
rm -f "d255/$n255b"
is "$(listing d255)" "$n255/" "nothing else in d255 (no temporary file)"
rm -f "$n255"

# ---- stdin: one envelope (binary, armored) or a list of paths ----
mkdir inbox s1 s2 s3 s4 s5 s6
printf 'one\n' > one.txt
printf 'two\n' > two.txt
head -c 200000 /dev/urandom > one.bin
head -c 3000 /dev/urandom > two.bin
expect_exit 0 xc-seal --home alice -r @bob -A one.bin -o inbox/one.age one.txt
expect_exit 0 xc-seal --home alice -r @bob -A two.bin -o inbox/two.age two.txt
expect_exit 0 xc-seal --home alice -r @bob -a -o one.asc one.txt
like "$(head -n 1 one.asc)" '^-----BEGIN AGE ENCRYPTED FILE-----$' "-a: armored"
expect_exit 0 xc-open --home bob -D s1 < inbox/one.age
is "$(cat "$OUT")|$(listing s1)" "one|one.bin/" "stdin: a binary envelope"
like "$(sed -n 1p "$ERR")" '^xc-open: -: from @alice ' "stdin is named '-'"
ok "stdin: the attachment" cmp one.bin s1/one.bin
{ printf '\n \t\n'; cat one.asc; } > ws.asc
expect_exit 0 xc-open --home bob -D s1 < ws.asc
is "$(cat "$OUT")|$(listing s1)" "one|one.bin/" "stdin: an armored envelope after blank space"
expect_exit 0 xc-open --home bob -D s1 - < one.asc
is "$(cat "$OUT")" one "operand '-': stdin"
expect_exit 0 sh -c 'ls inbox/*.age | xc-open --home bob -D s2'
is "$(bodies)|$(listing s2)" "one
two|one.bin/two.bin/" "ls inbox/*.age | xc-open: both letters"
ok "list: one.bin" cmp one.bin s2/one.bin
ok "list: two.bin" cmp two.bin s2/two.bin
expect_exit 4 sh -c 'printf "inbox/one.age\n\nnope.age\ninbox/two.age\n" | xc-open --home bob -D s3'
is "$(bodies)|$(listing s3)" "one
two|one.bin/two.bin/" "a list with a missing path: exit 4, the others are opened"
like "$(cat "$ERR")" '^xc-open: error: nope\.age: cannot open: No such file or directory$' \
    "the missing path is named on stderr"
printf 'junk\n' > junk.age
expect_exit 3 sh -c 'printf "junk.age\nnope.age\ninbox/two.age\n" | xc-open --home bob -D s4'
is "$(cat "$OUT")|$(listing s4)" "two|two.bin/" "a list: exit status of the first failure (3, not 4)"
expect_exit 0 xc-open --home bob -D s5 inbox/one.age inbox/two.age
is "$(bodies)|$(listing s5)" "one
two|one.bin/two.bin/" "two operands: both letters"
expect_exit 4 xc-open --home bob --json -D s6 inbox/two.age nope.age inbox/one.age
is "$(jf '#lines' ok body)|$(jl=2 jf ok path error)|$(jl=3 jf ok body)" \
    "3|true|two|false|nope.age|system|true|one" "--json: one object per operand, in order"
is "$(listing s6)" "one.bin/two.bin/" "the good operands were opened"
refused 3 bad-input s7 --home bob junk.age
# A flipped byte at the end: the attachment had been streamed to a
# temporary file, which goes.
python3 -c '
b = bytearray(open("inbox/one.age", "rb").read())
b[-1] ^= 1
open("flip.age", "wb").write(b)'
refused 3 bad-input s8 --home bob flip.age

# ---- forwarding (a letter re-wrapped by a recipient, with t/craft) ----
craft=${XC_CRAFT:-$root/t/craft}
if [ -x "$craft" ]; then
	expect_exit 0 xc-seal --home alice -r @bob -A one.bin -o tobob.age one.txt
	age -d -i "$bobkey" -o fw.tar tobob.age || bail "age -d"
	"$craft" wrap "$carolr" < fw.tar > fw1.age || bail "t/craft wrap"
	"$craft" wrap "$bobr" "$carolr" < fw.tar > fw2.age || bail "t/craft wrap"
	refused 1 forwarded f1 --home carol fw1.age
	mkdir f2
	expect_exit 0 xc-open --home carol --allow-forwarded --json -D f2 fw1.age
	is "$(jf ok from forwarded forwarded_reason to body)" \
	    "true|alice|true|re-encrypted by someone other than the sender|carol|one" "carol --allow-forwarded: forwarded:true"
	ok "forwarded: the attachment" cmp one.bin f2/one.bin
	expect_exit 0 xc-open --home carol --allow-forwarded -D f2 fw1.age
	like "$(sed -n 1p "$ERR")" ', forwarded: re-encrypted by someone other than the sender, opened before$' \
	    "forwarded: said on stderr"
	refused 1 forwarded f3 --home bob fw2.age
	ok "bob sees the re-wrap to {bob, carol}" grep -q 'forwarded letter' "$tmp/err.plain"
	mkdir f4
	expect_exit 0 xc-open --home bob --allow-forwarded --json -D f4 fw2.age
	is "$(jf ok forwarded to)|$(listing f4)" "true|true|bob|one.bin/" \
	    "bob --allow-forwarded: forwarded:true"
else
	skip 17 "no t/craft"
fi

# ---- disappearing letters ----
expect_exit 0 xc-seal --home alice -r @bob --ttl 2s -A two.bin -o ttl.age two.txt
is "$(grep -ac '^-> xc-route 1 [1-9][0-9]*$' ttl.age)" 1 "the route stanza has the expiry"
mkdir x1
expect_exit 0 xc-open --home bob --json -D x1 ttl.age
is "$(jf ok body)|$(listing x1)" "true|two|two.bin/" "before it expires, it opens"
is "$(python3 -c '
import json, datetime
o = json.loads(open("'"$OUT"'").readline())
p = lambda s: datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ")
print(int((p(o["expires"]) - p(o["date"])).total_seconds()))')" 2 \
    "--json expires is date + 2 s"
sleep 3
refused 1 expired x2 --home bob ttl.age
expect_exit 0 xc-seal --home alice -r @bob --ttl 1w -o week.age two.txt
expect_exit 0 xc-seal --home alice -r @bob --ttl 90 -o s90.age two.txt
for t in 0 2x 1y 367d -5 ''; do
	seal_fails 2 --home alice -r @bob --ttl "$t" two.txt
done

# ---- levels ----
expect_exit 0 xc-seal --home alice -r @bob --level 1 -o l1.age two.txt
mkdir v1
expect_exit 0 xc-open --home bob --json -D v1 l1.age
is "$(jf level level_name claimed_level)" "1|sealed|1" "--level 1 opens at level 1 (sealed)"
refused 1 below-min-level v2 --home bob --min-level 2 l1.age
expect_exit 0 xc-open --home bob --min-level 2 -D v1 empty.age
seal_fails 1 --home alice -r @bob --level 3 --ttl 1h two.txt
like "$(cat "$ERR")" 'hint: .*xc-verify --mark-verified' "level 3: hint to verify"
expect_exit 0 xc-verify --home alice --mark-verified @bob
seal_fails 2 --home alice -r @bob --level 3 two.txt
seal_fails 1 --home alice -r @bob -r @carol --level 3 --ttl 1h two.txt
expect_exit 0 xc-seal --home alice -r @bob --level 3 --ttl 1h -o l3.age two.txt
expect_exit 0 xc-open --home bob --json -D v1 l3.age
is "$(jf verification level level_name claimed_level)" "contact|2|private|3" \
    "level 3 from an unverified contact: level 2"
refused 1 below-min-level v3 --home bob --min-level 3 l3.age
expect_exit 0 xc-verify --home bob --mark-verified @alice
expect_exit 0 xc-open --home bob --json --min-level 3 -D v1 l3.age
is "$(jf verification level level_name not_protected.#)" "verified|3|verified|5" \
    "after bob verifies alice: level 3"
expect_exit 0 xc-open --home bob --json -D v1 empty.age
is "$(jf verification level)" "verified|2" "a level 2 letter from a verified contact: level 2"
for lv in 0 4; do
	seal_fails 2 --home alice -r @bob --level $lv two.txt
done
like "$(cat "$ERR")" 'level 4 needs Tor' "level 4: why"
seal_fails 2 --home alice -r @bob --level 5 two.txt
must_fail 2 xc-open --home bob --min-level 5 l3.age
is "$(cat "$OUT")" "" "--min-level 5: nothing on stdout"

# ---- anonymous letters: no identity needed; opened on request only ----
mkdir anon
xc-verify --home anon -q --import bob.card > /dev/null 2>&1 || bail "import"
expect_exit 0 xc-seal --home anon --anonymous -r @bob -A two.bin -o an.age two.txt
refused 1 anonymous a0 --home bob an.age
like "$(cat "$tmp/err.plain")" 'unsigned letter.*--allow-anonymous opens it' \
    "unsigned: refused by default, the option named"
mkdir a1
expect_exit 0 xc-open --home bob --allow-anonymous --json -D a1 an.age
is "$(jf ok from fingerprint verification level claimed_level body)|$(listing a1)" \
    "true|null|null|anonymous|0|2|two|two.bin/" "anonymous: from null, verification anonymous, level 0"
expect_exit 0 xc-open --home bob --allow-anonymous -D a1 an.age
like "$(sed -n 1p "$ERR")" '^xc-open: an\.age: anonymous \(unsigned\), level 0, ' \
    "anonymous: said on stderr"
refused 1 below-min-level a2 --home bob --allow-anonymous --min-level 1 an.age
seal_fails 2 --home alice --anonymous -u @alice -r @bob two.txt

# ---- xc-seal's refusals ----
seal_fails 1 --home alice -r @dave two.txt
like "$(cat "$ERR")" '^xc-seal: hint: .*xc-verify --import CARD.*or give -R CARD' \
    "unknown handle: hint"
seal_fails 2 --home alice -r "$bobr" two.txt
like "$(cat "$ERR")" 'age recipients go with --raw' "an age recipient: hint"
seal_fails 2 --home alice -r @bob -A n1 two.txt
seal_fails 4 --home alice -r @bob -A nonexistent two.txt
head -c 16777216 /dev/urandom > t16
expect_exit 0 xc-seal --home alice -r @bob -o t16.age < t16
expect_exit 0 xc-open --home bob -D a1 t16.age
ok "16 MiB of text: accepted, and back byte for byte" cmp "$OUT" t16
rm -f t16.age
mkfifo fifo
{ cat t16; printf x; } > fifo &
seal_fails 3 --home alice -r @bob < fifo
wait
like "$(cat "$ERR")" 'hint: attach large data with -A FILE' "16 MiB + 1 on stdin: exit 3, hint"
rm -f t16

# ---- another identity key claiming @alice: a stranger; alice untouched ----
xc-keygen --home alice2 @alice > alice2.card 2> /dev/null || bail "xc-keygen"
expect_exit 0 xc-seal --home alice2 -R bob.card -A two.bin -o kc.age two.txt
mkdir k1
expect_exit 0 xc-open --home bob --json -D k1 kc.age
is "$(jf verification level claim_conflict.with claim_conflict.name)" \
    "stranger|1|contact|alice" "the impostor's letter: a stranger at level 1, claiming a contact's handle"
ok "the impostor's card is not pinned" cmp alice.card bob/contacts/alice/card
is_file_absent bob/contacts/alice/pending "nothing pending: a letter changes no contact"
# The user's own import of that card makes @alice "changed": her pinned
# key's letters are then refused until the user decides.
must_fail 1 xc-verify --home bob --import alice2.card
ok "the offered card waits as pending" cmp alice2.card bob/contacts/alice/pending
mkdir k2
xc-open --home bob --json -D k2 inbox/two.age > "$OUT" 2> "$ERR"
st=$?
is "$st|$(jf error)|$(listing k2)" "1|key-changed|" \
    "the pinned key while a change is pending: refused as key-changed"
seal_fails 1 --home bob -R alice2.card two.txt
like "$(cat "$ERR")" 'hint: .*xc-verify --accept @alice' "xc-seal -R with a changed key: hint"

# ---- a note to self ----
expect_exit 0 xc-seal --home alice -r @alice -A two.bin -o self.age two.txt
mkdir o1
expect_exit 0 xc-open --home alice --json -D o1 self.age
is "$(jf from verification to level)|$(listing o1)" "alice|own|alice|2|two.bin/" \
    "a note to self: verification own"

# ---- a passphrase-protected keyring ----
printf 'correct horse\n' > pw.txt
printf 'wrong horse\n' > badpw.txt
chmod 600 pw.txt badpw.txt
expect_exit 0 xc-keygen --home dan --passphrase-file pw.txt @dan
xc-keygen --home dan --card > dan.card 2>/dev/null
expect_exit 0 xc-seal --home alice -R dan.card -o dan.age two.txt
mkdir pd
must_fail 4 xc-open --home dan -D pd dan.age < /dev/null
like "$(cat "$ERR")" 'passphrase' "a locked keyring without a passphrase: says so"
must_fail 1 xc-open --home dan --passphrase-file badpw.txt -D pd dan.age
expect_exit 0 xc-open --home dan --passphrase-file pw.txt -D pd dan.age
is "$(cat "$OUT")" "$(cat two.txt)" "a locked keyring opens with --passphrase-file"
xc-verify --home dan -q --import alice.card > /dev/null || bail "import"
expect_exit 0 xc-seal --home dan --passphrase-file pw.txt -r @alice -o fromdan.age two.txt
expect_exit 0 xc-open --home alice --json -D pd fromdan.age
is "$(jf from)" "dan" "a letter signed with a protected identity key"

done_testing
