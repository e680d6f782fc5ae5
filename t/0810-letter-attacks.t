#!/bin/sh
# 0810-letter-attacks: letters made by an attacker.  t/craft builds each
# one as lib/letter-seal.c would (canonical tar, the parts, then the signed
# "xc-letter" entry, padding to the size class) but with one thing wrong, signed by a real identity
# (@carol, whose card rides in the header) and wrapped to @bob's key; bob
# opens it with --allow-forwarded (a re-wrapped letter is "forwarded", so
# each one must still be refused for its own reason).  A control letter
# made the same way opens, so the harness is proven to work.
#
# For every attack: the exit code (3 malformed or over a limit, 1 for a
# part that does not match its signed hash), an error line saying why,
# nothing on stdout, nothing in DIR (no file, no .xc-*.part), nothing
# written anywhere else under the test's directory (find -newer), under
# 10 s and 64 MiB peak RSS (GNU time).  Then bytes of a real envelope
# flipped (every 7th), and bytes of the letter inside it changed and
# encrypted again under the same file key, as a co-recipient could (every
# 5th; t/unit tries every byte): never exit 0, never any output.
#
# Absolute names are tried as tar entries only ("/etc/x" can never be a
# write target there); in the header an absolute name points into $tmp, so
# that a regression could not write to the system even when run as root.
# shellcheck source=t/lib.sh
. "$(dirname "$0")/lib.sh"

CRAFT=${XC_CRAFT:-$root/t/craft}
case $CRAFT in /*) ;; *) CRAFT=$OLDPWD/$CRAFT ;; esac # lib.sh did cd
if ! [ -x "$CRAFT" ]; then
	echo "Bail out! $CRAFT is missing: run make t/craft"
	exit 255
fi

plan 203

# Bounds: 64 MiB and 10 s; ASan needs more of both.  Under sanitizers
# the flipped files go to xc-open 250 at a time (one run each would take
# minutes).
rss_limit=65536 time_limit=10 batch=1
if [ -n "${XC_SANITIZE:-}" ]; then
	rss_limit=262144 time_limit=60 batch=250
fi
timer=
[ -x /usr/bin/time ] && timer="/usr/bin/time -f %M:%e -o $tmp/bounds"

S=$tmp/carol B=$tmp/bob A=$tmp/alice D=$tmp/w/d
xc-keygen --home "$S" @carol > carol.card 2>/dev/null || exit 1
xc-keygen --home "$B" @bob > bob.card 2>/dev/null || exit 1
xc-keygen --home "$A" @alice > alice.card 2>/dev/null || exit 1
xc-verify --home "$A" --import bob.card > /dev/null 2>&1 || exit 1
bobfp=$(xc-keygen --home "$B" --list | cut -f2)
bobpk=$(xc-keygen -y "$B/ids/bob/enc-1.key") || exit 1
now=$(date +%s)
empty=$("$CRAFT" hash < /dev/null) || exit 1
# carol's card as a JSON string: escaped quotes, "\n" for each LF.
cardj=$(sed 's/\\/\\\\/g; s/"/\\"/g' carol.card | awk '{printf "%s\\n", $0}')
printf 'hello bob\n' > body.txt
printf 'some notes\n' > notes.txt
stamp=$tmp/stamp
: > "$stamp"
: > "$tmp/bounds"

# part NAME ROLE TYPE SIZE STORED ENCODING HASH: one element of "parts".
part() {
	printf '{"name":"%s","role":"%s","type":"%s","size":%s,"stored":%s,"encoding":"%s","hash":"%s"}' "$@"
}
# body [FILE]: the body part for FILE (default body.txt).
body() {
	_f=${1:-body.txt}
	_n=$(wc -c < "$_f")
	part message.txt body "text/plain; charset=utf-8" "$_n" "$_n" none \
		"$("$CRAFT" hash < "$_f")"
}
# file NAME FILE: an attachment part named NAME, FILE's bytes stored as
# they are.
file() {
	_n=$(wc -c < "$2")
	part "$1" file application/octet-stream "$_n" "$_n" none \
		"$("$CRAFT" hash < "$2")"
}
# header PARTS [EXTRA]: carol's letter header listing PARTS (a JSON
# array's elements); EXTRA (',"key":value...') goes before "parts".
header() {
	printf '{"v":2,"id":"%s","date":%s,"expires":0,"level":2,"from":"carol","card":"%s","to":[{"handle":"bob","fp":"%s"}],"stanzas":"%s","reply_to":"","thread":""%s,"parts":[%s]}' \
		0123456789abcdef0123456789abcdef "$now" "$cardj" "$bobfp" \
		"$empty" "${2:-}" "$1"
}
# anon PARTS: an unsigned letter's header.
anon() {
	printf '{"v":2,"id":"%s","date":%s,"expires":0,"level":2,"to":[{"handle":"bob","fp":"%s"}],"stanzas":"%s","reply_to":"","thread":"","parts":[%s]}' \
		0123456789abcdef0123456789abcdef "$now" "$bobfp" "$empty" "$1"
}
# sign NAME JSON: NAME.hdr, the xc-letter entry of JSON signed by carol.
sign() {
	printf '%s' "$2" | "$CRAFT" sign "$S" carol > "$1.hdr" || exit 1
}
# wrap NAME [SPEC...]: NAME.tar (the spec lines, by default the body,
# then NAME.hdr as "xc-letter"), padded, and NAME.age for bob.
wrap() {
	_n=$1
	shift
	[ $# -gt 0 ] || set -- "file message.txt body.txt"
	{
		printf '%s\n' "$@"
		echo "file xc-letter $_n.hdr"
	} | "$CRAFT" tar --pad --mtime "$now" > "$_n.tar" || exit 1
	"$CRAFT" wrap "$bobpk" < "$_n.tar" > "$_n.age" || exit 1
}
# letter NAME JSON [SPEC...]: sign, then wrap.
letter() {
	sign "$1" "$2"
	_n=$1
	shift 2
	wrap "$_n" "$@"
}

# released: what an xc-open run left behind (nothing, or a description):
# output on stdout, files in DIR, anything written under $tmp since the
# stamp (DIR itself excepted: a temporary file may come and go), /etc/x.
released() {
	[ -s "$OUT" ] && echo "stdout: $(head -c 100 "$OUT")"
	for _f in "$D"/* "$D"/.[!.]* "$D"/..?*; do
		[ -e "$_f" ] || [ -L "$_f" ] && echo "in DIR: $_f"
	done
	find "$tmp" -newer "$stamp" ! -path "$D" ! -path "$OUT" ! -path "$ERR" \
		! -path "$tmp/bounds" | sed 's/^/written: /'
	[ -e /etc/x ] && echo "written: /etc/x"
	return 0
}

# bounds DESC: peak RSS and time of the last run within the limits.
bounds() {
	if [ -z "$timer" ]; then
		skip 1 "no /usr/bin/time"
		return
	fi
	_b=$(tail -n 1 "$tmp/bounds")
	_kib=${_b%%:*} _s=${_b#*:}
	ok "$1: ${_kib} KiB, ${_s} s (< $rss_limit KiB, < $time_limit s)" \
		awk -v k="$_kib" -v s="$_s" -v K="$rss_limit" -v S="$time_limit" \
		'BEGIN { exit !(k + 0 > 0 && k + 0 < K && s + 0 < S) }'
}

# fresh: an empty DIR, and the stamp that released() compares with.
fresh() {
	rm -rf "$D" && mkdir "$D" || exit 1
	touch "$stamp"
}

# attack CODE WHY DESC NAME: NAME.age is refused with CODE and an error
# line matching WHY, releases nothing, within the bounds.  4 tests.
attack() {
	fresh
	# shellcheck disable=SC2086
	must_fail "$1" $timer xc-open --home "$B" -D "$D" --allow-forwarded "$4.age"
	like "$(cat "$ERR")" "^xc-open: error: $4\.age: .*$2" "$3: refused: $2"
	is "$(released)" "" "$3: nothing released"
	bounds "$3"
}

# ---- the control letters: the harness works ----
letter ctl "$(header "$(body),$(file notes.txt notes.txt)")" \
	"file message.txt body.txt" "file notes.txt notes.txt"
fresh
# shellcheck disable=SC2086
expect_exit 0 $timer xc-open --home "$B" -D "$D" --allow-forwarded ctl.age
is "$(cat "$OUT")" "hello bob" "control: the text on stdout"
is "$(cat "$D/notes.txt" 2>/dev/null)" "some notes" "control: the attachment in DIR"
like "$(cat "$ERR")" "from @carol \(stranger, .*forwarded: re-encrypted" \
	"control: from carol, forwarded"
bounds "control"
# The same letter without --allow-forwarded: refused as forwarded only.
fresh
must_fail 1 xc-open --home "$B" -D "$D" ctl.age
like "$(cat "$ERR")" "forwarded letter" "control: forwarded without --allow-forwarded"
printf '%s' "$(anon "$(body)")" | "$CRAFT" sign - > anon.hdr || exit 1
wrap anon
fresh
expect_exit 0 xc-open --home "$B" -D "$D" --allow-forwarded --allow-anonymous anon.age
like "$(cat "$ERR")" "anonymous \(unsigned\)" "control: an unsigned letter opens"
is "$(cat "$OUT")" "hello bob" "control: unsigned letter's text"

# ---- names ----
# The header names the part so: the name check refuses it.
for n in ../x "$tmp/abs/x" a/b; do
	letter name "$(header "$(body),$(file "$n" notes.txt)")" \
		"file message.txt body.txt" "file $n notes.txt"
	attack 3 "unsafe part name" "header names '$n'" name
done
# The header says "x", the tar entry is named so: refused before the
# signed header is even read.
for n in ../x /etc/x a/b; do
	letter entry "$(header "$(body),$(file x notes.txt)")" \
		"file message.txt body.txt" "file $n notes.txt"
	attack 3 "unsafe part name" "tar entry '$n'" entry
done

# A pax record renames entry "x" to "../x": xc writes no pax entry for
# an ASCII name that short.
letter paxp "$(header "$(body),$(file x notes.txt)")" \
	"file message.txt body.txt" "pax path=../x" "file x notes.txt"
attack 3 "not canonical" "pax path=../x over entry x" paxp

# ---- pax records the signature does not cover ----
# xc writes one record only, "path=" (long or non-ASCII names), and
# accepts exactly that and nothing else.
for r in "comment=hi" "linkpath=/etc/passwd" "size=0"; do
	letter paxr "$(header "$(body),$(file x notes.txt)")" \
		"file message.txt body.txt" "pax $r" "file x notes.txt"
	attack 3 "pax records other than one path" "pax record '$r'" paxr
done

# ---- entries that are not plain files ----
for k in "symlink link /etc/passwd" "hardlink link message.txt" \
	"chardev link" "fifo link" "dir link"; do
	letter kind "$(header "$(body),$(part link file application/octet-stream 0 0 none "$empty")")" \
		"file message.txt body.txt" "$k"
	attack 3 "not a plain file" "${k%% *} entry" kind
done

# ---- duplicates ----
letter dup "$(header "$(body),$(file a.txt notes.txt),$(file a.txt notes.txt)")" \
	"file message.txt body.txt" "file a.txt notes.txt" "file a.txt notes.txt"
attack 3 "two parts with one name" "two parts named a.txt" dup
letter dup2 "$(header "$(body),$(file a.txt notes.txt),$(file b.txt notes.txt)")" \
	"file message.txt body.txt" "file a.txt notes.txt" "file a.txt notes.txt"
attack 3 "differs from its header" "tar entry a.txt twice" dup2

# ---- many entries ----
# The signed header comes last: the count is checked as entries come,
# against the most a letter may have (1,024).
letter many "$(header "$(body)")" "file message.txt body.txt" "empty 100000"
attack 3 "1 to 1024 parts" "100,000 empty entries" many
parts=$(body)
i=0
while [ $i -lt 1024 ]; do
	parts="$parts,$(part e$i file application/octet-stream 0 0 none "$empty")"
	i=$((i + 1))
done
letter parts "$(header "$parts")" "file message.txt body.txt" "empty 1024"
attack 3 "1 to 1024 parts" "1025 parts" parts

# ---- a zlib bomb: 1 GiB of zeros ----
"$CRAFT" zlib 1073741824 > bomb.z || exit 1
zn=$(wc -c < bomb.z)
zh=$("$CRAFT" hash < bomb.z)
letter bomb "$(header "$(body),$(part bomb.bin file application/octet-stream 1073741824 "$zn" zlib "$zh")")" \
	"file message.txt body.txt" "file bomb.bin bomb.z"
attack 3 "expands more than 200 times" "zlib bomb, 1 GiB declared" bomb
letter bomb2 "$(header "$(body),$(part bomb.bin file application/octet-stream 1000 "$zn" zlib "$zh")")" \
	"file message.txt body.txt" "file bomb.bin bomb.z"
attack 3 "longer than its header says" "zlib bomb, 1000 bytes declared" bomb2
# Honestly declared, stored without zlib, signed as zlib: inflated only
# after the hashes match, and refused then.
# Two zlib streams end to end, signed as one part of the first's size.
"$CRAFT" zlib < notes.txt > two.z && "$CRAFT" zlib < notes.txt >> two.z || exit 1
letter twoz "$(header "$(body),$(part two.txt file application/octet-stream "$(wc -c < notes.txt)" "$(wc -c < two.z)" zlib "$("$CRAFT" hash < two.z)")")" \
	"file message.txt body.txt" "file two.txt two.z"
attack 3 "data after a zlib stream" "two zlib streams in one part" twoz
nn=$(wc -c < notes.txt)
letter bomb3 "$(header "$(body),$(part raw.bin file application/octet-stream 1000 "$nn" zlib "$("$CRAFT" hash < notes.txt)")")" \
	"file message.txt body.txt" "file raw.bin notes.txt"
attack 3 "bad zlib data in a part" "a zlib part that is not zlib" bomb3
# The body is inflated to memory: a failure there frees what it took
# (make check-sanitize finds a leak otherwise).
letter bodyz "$(header "$(part message.txt body "text/plain; charset=utf-8" 1000 "$zn" zlib "$zh")")" \
	"file message.txt bomb.z"
attack 3 "longer than its header says" "a zlib body, 1000 bytes declared" bodyz
diag "zlib bomb: 1073741824 bytes in $zn"

# ---- the header ----
# 10 MB: a signed header with a 10 MB string in it.
pad=$(head -c 10000000 /dev/zero | tr '\0' a)
letter big "$(header "$(body)" ",\"x\":\"$pad\"")"
unset pad
attack 3 "letter header over 1 MiB" "10 MB header entry" big
# JSON nested 10,000 deep, signed.
deep=$(awk 'BEGIN { for (i = 0; i < 10000; i++) printf "["; for (i = 0; i < 10000; i++) printf "]" }')
letter deep "$(header "$(body)" ",\"x\":$deep")"
attack 3 "JSON nested too deeply" "JSON nested 10,000 deep" deep
# An unsigned header that names a sender.
printf '%s' "$(header "$(body)")" | "$CRAFT" sign - > anonfrom.hdr || exit 1
wrap anonfrom
attack 3 "an unsigned letter names a sender" "unsigned header with from and card" anonfrom
printf '%s' "$(anon "$(body)" | sed 's/"level":2,/"level":2,"from":"carol",/')" |
	"$CRAFT" sign - > anonfrom2.hdr || exit 1
wrap anonfrom2
attack 3 "an unsigned letter names a sender" "unsigned header with from" anonfrom2

# ---- parts ----
printf 'hello eve\n' > other.txt
letter hash "$(header "$(body other.txt)")"
attack 1 "does not match its signed hash" "body hash mismatch" hash
letter extra "$(header "$(body)")" "file message.txt body.txt" "file extra.txt notes.txt"
attack 3 "entries after the last part" "extra entry after the last part" extra
letter missing "$(header "$(body),$(file notes.txt notes.txt)")"
attack 3 "ends before its last part" "missing part" missing

# ---- padding and the end of the archive ----
letter padding "$(header "$(body)")"
len=$(wc -c < padding.tar)
printf '\001' | dd of=padding.tar bs=1 seek=$((len - 1)) conv=notrunc 2>/dev/null
"$CRAFT" wrap "$bobpk" < padding.tar > padding.age || exit 1
attack 3 "bytes after the end of the letter" "non-zero padding" padding
# The class is exact: one zero byte more, or 512 fewer, is refused.
letter padlong "$(header "$(body)")"
printf '\000' >> padlong.tar
"$CRAFT" wrap "$bobpk" < padlong.tar > padlong.age || exit 1
attack 3 "bytes after the end of the letter" "one byte of padding too many" padlong
letter padshort "$(header "$(body)")"
len=$(wc -c < padshort.tar)
head -c $((len - 512)) padshort.tar > padshort.cut
"$CRAFT" wrap "$bobpk" < padshort.cut > padshort.age || exit 1
attack 3 "letter cut short" "512 bytes of padding missing" padshort
# An entry after the signed header.
sign after "$(header "$(body)")"
printf '%s\n' "file message.txt body.txt" "file xc-letter after.hdr" \
	"file extra.txt notes.txt" | "$CRAFT" tar --pad --mtime "$now" > after.tar || exit 1
"$CRAFT" wrap "$bobpk" < after.tar > after.age || exit 1
attack 3 "entries after the last part" "an entry after xc-letter" after

# ---- tar header fields the signature does not name ----
# tarpatch NAME OFFSET BYTES: NAME.tar with BYTES (printf-style escapes) at
# OFFSET, the checksum of its block recomputed as xc writes one, then
# wrapped to bob as NAME.age.
tarpatch() {
	python3 -c '
import sys
p, off, data = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode().decode("unicode_escape").encode("latin-1")
b = bytearray(open(p, "rb").read())
b[off:off + len(data)] = data
blk = off - off % 512
b[blk + 148:blk + 156] = b" " * 8
b[blk + 148:blk + 156] = b"%06o\0 " % sum(b[blk:blk + 512])
open(p, "wb").write(b)' "$1.tar" "$2" "$3" || exit 1
	"$CRAFT" wrap "$bobpk" < "$1.tar" > "$1.age" || exit 1
}
for f in "100 000755 mode" "108 000001 uid" "116 000001 gid" \
	"265 root uname" "297 root gname" "157 x linkname" "345 a prefix" \
	"500 x the last 12 bytes" "263 01 version" "329 000001 devmajor"; do
	set -- $f
	letter field "$(header "$(body)")"
	tarpatch field "$1" "$2"
	attack 3 "not canonical" "tar header field $3 changed" field
done
# The date of one entry, one second off the signed date.
letter mtime "$(header "$(body)")"
tarpatch mtime 136 "$(printf '%011o' $((now + 1)))"
attack 3 "not canonical" "an entry's mtime is not the letter's date" mtime
# The checksum in another valid form (seven digits and a NUL).
letter sum "$(header "$(body)")"
python3 -c '
b = bytearray(open("sum.tar", "rb").read())
b[148:156] = b"%07o\0" % int(b[148:154], 8)
open("sum.tar", "wb").write(b)' || exit 1
"$CRAFT" wrap "$bobpk" < sum.tar > sum.age || exit 1
attack 3 "bad tar header checksum" "the checksum field in another form" sum

# ---- every byte flipped ----
# inDIR: the first file in DIR, or nothing (shell builtins only).
inDIR() {
	for _f in "$D"/* "$D"/.[!.]* "$D"/..?*; do
		if [ -e "$_f" ] || [ -L "$_f" ]; then
			echo "$_f"
			return
		fi
	done
}
# runflips DIR [OPTIONS]: xc-open on every file in DIR, one run
# per file (in batches of $batch files under sanitizers).  Each run must
# exit non-zero without a signal, with one error line per file, nothing on
# stdout and nothing in DIR; nothing may be written elsewhere.  Sets nbad
# (runs breaking the rule), runs, and codes ("exit:count ...").
runflips() {
	_fwd=${2:-}
	nbad=0 runs=0 codes= _files= _c=0 _i=0
	_total=$(find "$1" -type f | wc -l)
	fresh
	cd "$1" || exit 1
	for _f in *; do
		_files="$_files $_f" _c=$((_c + 1)) _i=$((_i + 1))
		[ "$_c" -lt "$batch" ] && [ "$_i" -lt "$_total" ] && continue
		# shellcheck disable=SC2086
		xc-open --home "$B" -D "$D" $_fwd $_files > "$OUT" 2> "$ERR"
		_rc=$?
		runs=$((runs + 1))
		eval "_n$_rc=\$((\${_n$_rc:-0} + 1))"
		case " $codes " in *" $_rc "*) ;; *) codes="$codes $_rc" ;; esac
		if [ "$batch" -gt 1 ]; then
			_e=$(grep -c '^xc-open: error: ' "$ERR")
		else
			_e=0
			IFS= read -r _l < "$ERR" && case $_l in
			"xc-open: error: "*) _e=1 ;; esac
		fi
		_in=$(inDIR)
		if [ "$_rc" -eq 0 ] || [ "$_rc" -gt 128 ] || [ "$_e" -ne "$_c" ] ||
			[ -s "$OUT" ] || [ -n "$_in" ]; then
			nbad=$((nbad + 1))
			[ "$nbad" -le 3 ] && diag "flipped$_files: exit $_rc, $_e error lines" \
				"$(head -c 300 "$ERR")" "$(head -c 100 "$OUT")" "$_in"
			[ -z "$_in" ] || { rm -rf "$D" && mkdir "$D"; }
		fi
		_files= _c=0
	done
	cd "$tmp/w" || exit 1
	_w=$(find "$tmp" -newer "$stamp" ! -path "$D" ! -path "$OUT" ! -path "$ERR")
	if [ -n "$_w" ]; then
		nbad=$((nbad + 1))
		diag "written outside DIR: $(echo "$_w" | head -n 3)"
	fi
	_h=
	for _k in $codes; do
		eval "_h=\"\$_h exit $_k: \$_n$_k,\""
		eval "unset _n$_k"
	done
	codes=${_h%,}
}

# A real envelope from alice to bob, with a small attachment (so that
# there is a part between the text and the signed header); every 7th
# byte flipped (7 and 8 are coprime: every bit position is hit): real
# xc-open.
printf 'hi bob, alice here\n' > hi.txt
expect_exit 0 xc-seal --home "$A" -r @bob -A notes.txt -o real.age hi.txt
fresh
expect_exit 0 xc-open --home "$B" -D "$D" real.age
is "$(cat "$OUT")|$(cat "$D/notes.txt")" "hi bob, alice here|some notes" \
	"real envelope: control opens"
mkdir envflips && "$CRAFT" flip --step 7 envflips < real.age > nenv || exit 1
t0=$(date +%s)
# --allow-replay: a flipped copy that opened would be refused as a replay
# of real.age, which would hide it.
runflips "$tmp/w/envflips" --allow-replay
t1=$(date +%s)
is "$nbad" 0 "flipped envelopes: every one refused, nothing released"
diag "envelope: $(cat nenv) bytes flipped, $runs xc-open runs,$codes; $((t1 - t0)) s"

# The letter inside it, changed byte by byte and encrypted again under the
# same file key, as bob could to carol, a co-recipient (same stanzas, same
# MAC: not "forwarded"): every 5th byte here, every byte in t/unit.
mkdir letflips
"$CRAFT" mutate "$B/ids/bob/enc-1.key" real.age letflips 5 > nlet || exit 1
t0=$(date +%s)
runflips "$tmp/w/letflips" --allow-replay
t1=$(date +%s)
is "$nbad" 0 "changed letters under the same file key: every one refused, nothing released"
diag "letter: $(cut -d ' ' -f 2 nlet) of $(cut -d ' ' -f 1 nlet) bytes changed (tar headers, parts, xc-letter entry, end blocks, padding), $runs xc-open runs,$codes; $((t1 - t0)) s"

done_testing
