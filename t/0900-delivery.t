#!/bin/sh
# 0900-delivery: xc-send and xc-fetch through a spool (xc-spool(5)).
# alice writes to bob and carol: ids are the BLAKE2b-256 of the envelope,
# files land in the bucket of each tag (hard links), the outbox empties, the
# inbox gets each envelope once and `xc-fetch | xc-open` reads it; refused
# input (not age, plain age, truncated, too large) leaves nothing anywhere;
# the spool is found by --spool, $XC_SPOOL, config, default; a full spool
# keeps envelopes in the outbox until --flush, a full inbox disk does not
# advance state/seen; concurrent xc-fetch runs never duplicate; merged
# spools deliver once; expired envelopes, inbox copies and attachments go;
# strace shows the inbox copy durable before its id is recorded.
# (The kill -9 test with concurrent senders and fetchers is 0910.)

# The full-disk tests mount small tmpfs file systems: in a private mount
# namespace when there is one to be had, so that they vanish with the test.
if [ -z "${XC_T0900_NS:-}" ]; then
	XC_T0900_NS=1
	export XC_T0900_NS
	if [ "$(id -u)" -eq 0 ] &&
	    unshare -m --propagation private true 2>/dev/null; then
		exec unshare -m --propagation private sh "$0" "$@"
	elif unshare -Urm true 2>/dev/null; then
		exec unshare -Urm sh "$0" "$@"
	fi
fi

# shellcheck source=t/lib.sh
. "$(dirname "$0")/lib.sh"

plan 251

bail() {
	echo "Bail out! $*"
	exit 255
}
for _p in xc-send xc-fetch; do
	[ -x "$XC_BIN/$_p" ] || bail "$XC_BIN/$_p is missing: run make first"
done

# Mounted file systems go before the temporary directory does.
mounts=
# shellcheck disable=SC2154 # $tmp is lib.sh's
trap 'for m in $mounts; do umount "$m" 2>/dev/null; done; rm -rf "$tmp"' EXIT

# listing DIR: DIR's entries (dot files too), sorted, each followed by '/'.
listing() {
	# shellcheck disable=SC2012 # names are compared, not parsed
	ls -A "$1" | sort | tr '\n' /
}

# spool_files SPOOL: "BUCKET/NAME" of every file in SPOOL's buckets, sorted.
spool_files() {
	(cd "$1" && find . -mindepth 2 -path './[0-9a-f][0-9a-f]/*' | cut -c3- | sort)
}

# nothing_left SPOOL: outbox/new, outbox/tmp and SPOOL/tmp are empty.
nothing_left() {
	is "$(listing alice/outbox/new)|$(listing alice/outbox/tmp)|$(listing "$1/tmp")" \
	    "||" "${2:-nothing} left in the outbox (new, tmp) or $1/tmp"
}

envid() {
	b2sum -l 256 "$1" | cut -c1-64
}

# The envelope helper: tags and expiry of the xc-route stanza, armor, and
# surgery on headers.
cat > "$tmp/env.py" <<'PY'
import base64, sys

def header(data):
    lines, pos = [], 0
    while True:
        nl = data.index(b'\n', pos)
        lines.append(data[pos:nl])
        pos = nl + 1
        if lines[-1].startswith(b'--- '):
            return lines, pos

def stanzas(lines):
    out, i = [], 1
    while not lines[i].startswith(b'--- '):
        st = [lines[i]]
        i += 1
        while True:
            st.append(lines[i])
            i += 1
            if len(st[-1]) < 64:
                break
        out.append(st)
    return out

def b64(s):
    return base64.b64decode(s + b'=' * (-len(s) % 4))

def route(data):
    for st in stanzas(header(data)[0]):
        a = st[0].split()
        if a[1] == b'xc-route':
            body = b64(b''.join(st[1:]))
            return int(a[3]), [body[i:i + 8] for i in range(0, len(body), 8)]

cmd, f = sys.argv[1], sys.argv[2]
data = open(f, 'rb').read()
if cmd == 'buckets':
    print(' '.join(sorted({'%02x' % t[0] for t in route(data)[1]})))
elif cmd == 'expires':
    print(route(data)[0])
elif cmd == 'dearmor':
    body = [l for l in data.split(b'\n') if l and not l.startswith(b'-----')]
    sys.stdout.buffer.write(base64.b64decode(b''.join(body)))
elif cmd == 'drop':		# drop the first stanza of type argv[3]
    lines, pos = header(data)
    for st in stanzas(lines):
        if st[0].split()[1] == sys.argv[3].encode():
            i = lines.index(st[0])
            del lines[i:i + len(st)]
            break
    sys.stdout.buffer.write(b'\n'.join(lines) + b'\n' + data[pos:])
elif cmd == 'head':		# the header and its MAC line only
    sys.stdout.buffer.write(data[:header(data)[1]])
PY
env_py() {
	python3 "$tmp/env.py" "$@"
}

# The parties: alice knows bob and carol.
for p in alice bob carol; do
	xc-keygen --home "$p" "@$p" > "$p.card" 2> /dev/null ||
	    bail "xc-keygen @$p"
done
xc-verify --home alice -q --import bob.card carol.card > /dev/null 2>&1 ||
    bail "xc-verify --import"

# seal OUT TEXT XC-SEAL-ARG...: a letter from alice.
seal() {
	_o=$1 _t=$2
	shift 2
	printf '%s\n' "$_t" | xc-seal --home alice -o "$_o" "$@" ||
	    bail "xc-seal $*"
}

# copy_of HOME: a fresh keyring with bob's identity (own inbox and state).
copy_of() {
	mkdir -p "$1" && cp -R bob/ids "$1/" || bail "cp bob/ids"
}

# ---- 1. alice -> bob through a spool ----
seal m1.age "hello bob" -r @bob
id1=$(envid m1.age)
bb=$(env_py buckets m1.age)
like "$bb" '^[0-9a-f]{2}$' "one recipient, one bucket: bob's ($bb)"
expect_exit 0 xc-send --home alice --spool S m1.age
is "$(cat "$OUT")" "$id1" "xc-send prints the id: b2sum -l 256 of the envelope"
is "$(cat "$ERR")" "" "... and nothing on stderr"
ok "the spool holds it at S/$bb/ID-0.age, byte for byte" cmp m1.age "S/$bb/$id1-0.age"
is "$(stat -c %h "S/$bb/$id1-0.age")" 1 "... with one link (one bucket)"
is "$(spool_files S)" "$bb/$id1-0.age" "nothing else in the buckets"
is "$(listing S)" "$bb/tmp/xc-spool/" "the spool: its bucket, tmp/, the marker"
is "$(cat S/xc-spool)" "xc-spool-v1
max-size 1073741824" "the marker: version and the default max-size"
nothing_left S
is "$(listing alice/outbox/cur)" "" "outbox/cur is empty too"

expect_exit 0 xc-fetch --home carol --spool S
is "$(cat "$OUT")|$(listing carol/inbox/new)|$(listing carol/inbox/cur)" "||" \
    "carol fetches nothing of bob's"
expect_exit 0 xc-fetch --home bob --spool S
is "$(cat "$OUT")" "bob/inbox/new/$id1-0.age" "bob's xc-fetch prints the one inbox path"
is "$(cat "$ERR")" "" "... and nothing on stderr"
ok "the inbox copy is the envelope" cmp m1.age "bob/inbox/new/$id1-0.age"
is "$(listing bob/inbox/new)|$(listing bob/inbox/tmp)|$(listing bob/inbox/cur)" \
    "$id1-0.age/||" "inbox: the envelope in new/ (unread), tmp/ and cur/ empty"
like "$(cat bob/state/seen)" "^$id1 [0-9]+\$" "state/seen records the id ('ID UNTIL')"
is "$(wc -l < bob/state/seen | tr -d ' ')" 1 "... on one line"
ok "the spool keeps the envelope (other devices may fetch it)" \
    test -f "S/$bb/$id1-0.age"
expect_exit 0 xc-fetch --home bob --spool S
is "$(cat "$OUT")$(cat "$ERR")" "" "a second xc-fetch prints nothing"
expect_exit 0 xc-open --home bob "bob/inbox/new/$id1-0.age"
is "$(cat "$OUT")" "hello bob" "the inbox copy opens"
is "$(listing bob/inbox/new)|$(listing bob/inbox/cur)" "|$id1-0.age:2,S/" \
    "... and is marked read: moved to cur/ with the maildir flag S"

seal m2.age "second letter" -r @bob
id2=$(envid m2.age)
expect_exit 0 xc-send --home alice --spool S m2.age
ok "xc-fetch | xc-open" sh -c \
    'xc-fetch --home bob --spool S | xc-open --home bob > opened 2> opened.err'
is "$(cat opened)" "second letter" "... prints the new letter's text"
like "$(cat opened.err)" "^xc-open: bob/inbox/new/$id2-0.age: from @alice " \
    "... read from the inbox path"
ok "xc-fetch | xc-open with nothing new" sh -c \
    'xc-fetch --home bob --spool S | xc-open --home bob > opened 2>&1'
is "$(cat opened)" "" "... prints nothing"

# Two recipients: one file, linked into each tag's bucket.
seal m3.age "to both" -r @bob -r @carol
id3=$(envid m3.age)
b3=$(env_py buckets m3.age)
n3=$(echo "$b3" | wc -w)
like " $b3 " " $bb " "bob's bucket is one of the letter's ($b3)"
expect_exit 0 xc-send --home alice --spool S m3.age
is "$(cat "$OUT")" "$id3" "xc-send prints the id of the letter to two"
want=
for b in $b3; do
	want="$want$b/$id3-0.age/"
done
is "$(spool_files S | grep "$id3" | tr '\n' /)" "$want" "a file in each bucket of its tags"
is "$(stat -c '%h %i' S/*/"$id3"-0.age | sort -u)" \
    "$n3 $(stat -c %i "S/$bb/$id3-0.age")" \
    "... all one inode, with as many links as buckets ($n3)"
ok "... the envelope byte for byte" cmp m3.age "S/$bb/$id3-0.age"
expect_exit 0 xc-fetch --home carol --spool S
is "$(cat "$OUT")" "carol/inbox/new/$id3-0.age" "carol fetches it"
expect_exit 0 xc-fetch --home bob --spool S
is "$(cat "$OUT")" "bob/inbox/new/$id3-0.age" "bob fetches it"
nothing_left S

# The same envelope again: the same id, the same one file.
expect_exit 0 xc-send --home alice --spool S m1.age m1.age
is "$(cat "$OUT")" "$id1
$id1" "the same envelope twice: the same id twice"
expect_exit 0 xc-send --home alice --spool S - < m1.age
is "$(cat "$OUT")" "$id1" "... and from standard input"
is "$(spool_files S | grep -c "$id1")|$(stat -c %h "S/$bb/$id1-0.age")" "1|1" \
    "still one file with one link"
ok "... unchanged" cmp m1.age "S/$bb/$id1-0.age"
nothing_left S
expect_exit 0 xc-fetch --home bob --spool S
is "$(cat "$OUT")|$(listing bob/inbox/new)" "|$id3-0.age/" \
    "bob does not fetch it again (new/ holds the one letter not yet read)"
is "$(wc -l < bob/state/seen | tr -d ' ')" 3 "state/seen: one line per envelope fetched"

# Armor is stored as the binary envelope it encodes.
seal m4.asc "armored letter" -r @bob -a
env_py dearmor m4.asc > m4.bin
id4=$(envid m4.bin)
expect_exit 0 xc-send --home alice --spool S m4.asc
is "$(cat "$OUT")" "$id4" "armored input: the id of the binary envelope"
is "$(head -c 21 "S/$bb/$id4-0.age")" "age-encryption.org/v1" \
    "... stored as binary (age-encryption.org/v1)"
ok "... exactly the bytes the armor encodes" cmp m4.bin "S/$bb/$id4-0.age"
expect_exit 0 xc-send --home alice --spool S < m4.asc
is "$(cat "$OUT")" "$id4" "armored standard input: the same id"
ok "bob reads the armored letter" sh -c \
    'xc-fetch --home bob --spool S | xc-open --home bob > opened 2> /dev/null'
is "$(cat opened)" "armored letter" "... its text"
nothing_left S

# ---- 2. refused input: exit 3, nothing queued, nothing in the spool ----
mkdir R
printf 'xc-spool-v1\n' > R/xc-spool
# refused CODE SPOOL FILE ERE: xc-send refuses FILE with CODE, names it on
# stderr (ERE), prints no id and leaves nothing anywhere.
refused() {
	must_fail "$1" xc-send --home alice --spool "$2" "$3"
	like "$(cat "$ERR")" "^xc-send: error: '$3': $4" "... says why ($3)"
	is "$(cat "$OUT")|$(spool_files "$2" | tr '\n' /)" "|" \
	    "... no id printed, no envelope in $2"
	nothing_left "$2"
}
printf 'just text\n' > junk.txt
head -c 5000 /dev/urandom > rand.bin
: > empty.bin
age-keygen -o age.key 2> /dev/null || bail "age-keygen"
age -r "$(age-keygen -y age.key)" -o plain.age m1.age || bail "age -r"
age -a -r "$(age-keygen -y age.key)" -o plain.asc m1.age || bail "age -a -r"
env_py head m1.age > headonly.age
env_py drop m3.age X25519 > onestanza.age
env_py drop m1.age xc-route > noroute.age
refused 3 R junk.txt "not an xc envelope"
refused 3 R rand.bin "not an xc envelope"
refused 3 R empty.bin "empty, not an envelope"
refused 3 R plain.age "not an xc envelope: .*xc-route"
refused 3 R plain.asc "not an xc envelope: .*xc-route"
refused 3 R headonly.age "not an xc envelope: envelope without a payload"
refused 3 R onestanza.age "not an xc envelope: xc-route tags do not match"
refused 3 R noroute.age "not an xc envelope: .*xc-route"
must_fail 3 xc-send --home alice --spool R < rand.bin
like "$(cat "$ERR")" "^xc-send: error: '-': not an xc envelope" \
    "standard input is named '-'"
is "$(cat "$OUT")|$(spool_files R | tr '\n' /)" "|" "... nothing printed, nothing stored"
nothing_left R "standard input refused:"

# max-size in the marker.
size1=$(wc -c < m1.age | tr -d ' ')
[ "$size1" -gt 2048 ] || bail "m1.age is only $size1 bytes"
mkdir small exact
printf 'xc-spool-v1\nmax-size 2048\n' > small/xc-spool
refused 3 small m1.age "envelope larger than the spool's max-size \\(2048 bytes\\)"
printf 'xc-spool-v1\nmax-size %d\n' "$((size1 - 1))" > exact/xc-spool
refused 3 exact m1.age "envelope larger than the spool's max-size"
printf 'xc-spool-v1\nmax-size %d\n' "$size1" > exact/xc-spool
expect_exit 0 xc-send --home alice --spool exact m1.age
is "$(cat "$OUT")|$(spool_files exact)" "$id1|$bb/$id1-0.age" \
    "an envelope of exactly max-size bytes is taken"

# A refused operand does not stop the others; the first failure's code.
expect_exit 3 xc-send --home alice --spool R junk.txt m2.age rand.bin
is "$(cat "$OUT")" "$id2" "junk, letter, junk: the letter's id only, exit 3"
is "$(grep -c "^xc-send: error: '\(junk.txt\|rand.bin\)': not an xc envelope" "$ERR")" 2 \
    "... an error for each refused operand"
is "$(spool_files R)" "$bb/$id2-0.age" "... and the letter is delivered"
nothing_left R "mixed operands:"

# Spools and operands xc-send cannot use.
mkdir V
printf 'xc-spool-v9\n' > V/xc-spool
must_fail 5 xc-send --home alice --spool V m1.age
like "$(cat "$ERR")" "^xc-send: error: spool 'V': unknown spool version" \
    "an unknown spool version: exit 5, not delivered"
is "$(cat "$OUT")|$(listing V)|$(listing alice/outbox/new)" "$id1|xc-spool/|$id1-0.age/" \
    "... nothing written into it; the envelope waits in the outbox"
expect_exit 0 xc-send --home alice --spool S --flush
nothing_left S "after --flush into S,"
must_fail 3 xc-fetch --home bob --spool V
must_fail 4 xc-fetch --home bob --spool nosuch
like "$(cat "$ERR")" "^xc-fetch: hint: xc-send creates it" "xc-fetch: no spool: a hint"
is_file_absent nosuch "xc-fetch does not create a spool"
must_fail 2 xc-send --home alice --spool S --flush m1.age
must_fail 2 xc-fetch --home bob --spool S extra
must_fail 2 xc-fetch --home bob --spool S --gc --json
must_fail 4 xc-send --home alice --spool S nosuch.age
like "$(cat "$ERR")" "^xc-send: error: cannot open 'nosuch.age'" "a missing operand: exit 4"

# ---- 3. where the spool is ----
seal m5.age "where is the spool" -r @bob
id5=$(envid m5.age)
mkdir L
# L's user has a config of their own: XDG_CONFIG_HOME=Lconf.
mkdir -p Lconf/xc
printf '# comment\n\n  spool %s\n' "$tmp/w/cfgspool" > Lconf/xc/config
Lconf=$tmp/w/Lconf
# lands WHERE DESC CMD...: CMD puts m5 into spool WHERE and no other.
lands() {
	_where=$1 _d=$2
	shift 2
	rm -rf L/spool L2/spool cfgspool envspool optspool
	"$@" > "$OUT" 2> "$ERR"
	_got=$?
	_all=
	for _s in L/spool L2/spool cfgspool envspool optspool; do
		[ -e "$_s/$bb/$id5-0.age" ] && _all="$_all$_s "
	done
	is "$_got|$(cat "$OUT")|$_all" "0|$id5|$_where " "$_d"
}
mkdir L2
lands L2/spool "default: \$XC_HOME/spool" env XC_HOME="$tmp/w/L2" xc-send m5.age
lands cfgspool "'spool DIR' in \$XDG_CONFIG_HOME/xc/config" env XDG_CONFIG_HOME="$Lconf" xc-send --home L m5.age
lands envspool "\$XC_SPOOL before the config" env XDG_CONFIG_HOME="$Lconf" XC_SPOOL=envspool xc-send --home L m5.age
lands optspool "--spool before \$XC_SPOOL" env XDG_CONFIG_HOME="$Lconf" XC_SPOOL=envspool xc-send --home L --spool optspool m5.age
rm Lconf/xc/config
lands L/spool "without config: --home DIR's spool" env XDG_CONFIG_HOME="$Lconf" xc-send --home L m5.age
copy_of bobL
mkdir -p bobLconf/xc
printf 'spool %s\n' "$tmp/w/L/spool" > bobLconf/xc/config
expect_exit 0 env XDG_CONFIG_HOME="$tmp/w/bobLconf" xc-fetch --home bobL
is "$(cat "$OUT")" "bobL/inbox/new/$id5-0.age" "xc-fetch finds the spool in its config"
expect_exit 0 env XC_HOME="$tmp/w/bobL" XC_SPOOL="$tmp/w/L/spool" xc-fetch
is "$(cat "$OUT")" "" "... and \$XC_SPOOL: the same spool, nothing new"

# ---- 4. full disks ----
# mnt DIR: a 64 KiB tmpfs on DIR.
mnt() {
	mkdir -p "$1" && mount -t tmpfs -o size=64k tmpfs "$1" 2> /dev/null &&
	    mounts="$1 $mounts"
}
# fill DIR: fill DIR's file system.
fill() {
	dd if=/dev/zero of="$1/fill" bs=1024 > /dev/null 2>&1
	[ "$(df -k "$1" | awk 'NR == 2 { print $4 }')" -eq 0 ] ||
	    bail "could not fill $1"
}
if ! mnt "$tmp/m1"; then
	skip 48 "cannot mount a tmpfs (neither root nor unshare -Urm)"
else
	mnt "$tmp/m2" && mnt "$tmp/m3" || bail "mount tmpfs"
	F=$tmp/m1/S
	seal m6.age "before the spool filled up" -r @bob
	seal m7.age "queued while full" -r @bob
	seal m8.age "queued while full, to both" -r @bob -r @carol
	id6=$(envid m6.age) id7=$(envid m7.age) id8=$(envid m8.age)
	expect_exit 0 xc-send --home alice --spool "$F" m6.age
	fill "$tmp/m1"
	must_fail 5 xc-send --home alice --spool "$F" m7.age
	is "$(cat "$OUT")" "$id7" "full spool: exit 5, the id is printed (queued)"
	like "$(cat "$ERR")" "^xc-send: error: cannot deliver $id7 to the spool '$F': .*No space left on device" \
	    "... the error names the envelope, the spool and ENOSPC"
	like "$(cat "$ERR")" "^xc-send: hint: 1 envelope\\(s\\) kept in the outbox; xc-send --flush retries" \
	    "... and hints at --flush"
	is "$(listing alice/outbox/new)" "$id7-0.age/" "... the envelope waits in outbox/new"
	ok "... intact" cmp m7.age "alice/outbox/new/$id7-0.age"
	is "$(listing alice/outbox/tmp)|$(listing "$F/tmp")|$(spool_files "$F")" \
	    "||$bb/$id6-0.age" "... no partial file in the outbox or the spool"
	must_fail 5 xc-send --home alice --spool "$F" m8.age
	is "$(cat "$OUT")" "$id8" "a second letter is queued too"
	is "$(listing alice/outbox/new)" "$(printf '%s\n' "$id7-0.age" "$id8-0.age" | sort | tr '\n' /)" \
	    "... both wait in outbox/new"
	must_fail 5 xc-send --home alice --spool "$F" --flush
	like "$(cat "$ERR")" "kept in the outbox" "--flush on a full spool: exit 5"
	like "$(cat "$ERR")" "^xc-send: hint: 2 envelope\\(s\\) kept" "... both kept"
	ok "... m7 intact" cmp m7.age "alice/outbox/new/$id7-0.age"
	ok "... m8 intact" cmp m8.age "alice/outbox/new/$id8-0.age"
	is "$(cat "$OUT")|$(listing alice/outbox/tmp)|$(listing "$F/tmp")|$(spool_files "$F")" \
	    "|||$bb/$id6-0.age" "... nothing printed, no partial file anywhere"
	rm "$tmp/m1/fill"
	expect_exit 0 xc-send --home alice --spool "$F" --flush
	is "$(cat "$OUT")$(cat "$ERR")" "" "space again: --flush delivers silently"
	nothing_left "$F" "after --flush, nothing"
	ok "m7 in the spool" cmp m7.age "$F/$bb/$id7-0.age"
	is "$(stat -c %h "$F/$bb/$id8-0.age")" "$(env_py buckets m8.age | wc -w)" \
	    "m8 in all its buckets"
	copy_of bobF
	expect_exit 0 xc-fetch --home bobF --spool "$F"
	is "$(cat "$OUT")" "$(printf 'bobF/inbox/new/%s\n' "$id6-0.age" "$id7-0.age" "$id8-0.age" | sort)" \
	    "bob fetches the three letters, each once"
	expect_exit 0 xc-fetch --home bobF --spool "$F"
	is "$(cat "$OUT")" "" "... and nothing more"
	expect_exit 0 xc-fetch --home carol --spool "$F"
	is "$(cat "$OUT")" "carol/inbox/new/$id8-0.age" "carol fetches hers"

	# An outbox on a full disk: exit 4, nothing queued.
	H=$tmp/m2/alice
	expect_exit 0 xc-send --home "$H" --spool "$F" --flush
	fill "$tmp/m2"
	must_fail 4 xc-send --home "$H" --spool "$F" m1.age
	like "$(cat "$ERR")" "^xc-send: error: cannot queue 'm1.age' in the outbox '$H/outbox': .*No space left on device" \
	    "full outbox: exit 4, ENOSPC"
	is "$(cat "$OUT")|$(listing "$H/outbox/new")|$(listing "$H/outbox/tmp")" "||" \
	    "... no id, nothing in outbox new/ or tmp/"

	# An inbox on a full disk: exit 4, state/seen unchanged; later once.
	B=$tmp/m3/bob
	G=$tmp/w/G
	mkdir "$B" && cp -R bob/ids "$B/" || bail "cp bob/ids"
	seal m9.age "fetched before the disk filled" -r @bob
	seal m10.age "fetched after space was freed" -r @bob
	id9=$(envid m9.age) id10=$(envid m10.age)
	expect_exit 0 xc-send --home alice --spool "$G" m9.age
	expect_exit 0 xc-fetch --home "$B" --spool "$G"
	is "$(cat "$OUT")" "$B/inbox/new/$id9-0.age" "bob on a small disk fetches m9"
	cp "$B/state/seen" seen.before
	expect_exit 0 xc-send --home alice --spool "$G" m10.age
	fill "$tmp/m3"
	must_fail 4 xc-fetch --home "$B" --spool "$G"
	like "$(cat "$ERR")" "^xc-fetch: error: inbox '$B/inbox': .*No space left on device" \
	    "full inbox disk: exit 4, ENOSPC, and the inbox is named (not the spool)"
	is "$(cat "$OUT")|$(listing "$B/inbox/new")|$(listing "$B/inbox/tmp")|$(listing "$B/inbox/cur")" \
	    "|$id9-0.age/||" "... nothing printed, no partial file, only m9 in new/"
	ok "... state/seen not advanced" cmp seen.before "$B/state/seen"
	must_fail 4 xc-fetch --home "$B" --spool "$G"
	ok "... nor by a second try" cmp seen.before "$B/state/seen"
	rm "$tmp/m3/fill"
	expect_exit 0 xc-fetch --home "$B" --spool "$G"
	is "$(cat "$OUT")" "$B/inbox/new/$id10-0.age" "space again: m10 is fetched"
	ok "... intact" cmp m10.age "$B/inbox/new/$id10-0.age"
	expect_exit 0 xc-fetch --home "$B" --spool "$G"
	is "$(cat "$OUT")|$(listing "$B/inbox/new")" "|$(printf '%s\n' "$id9-0.age" "$id10-0.age" | sort | tr '\n' /)" \
	    "... once: nothing more, two letters in new/"
	is "$(cut -d' ' -f1 "$B/state/seen" | sort | tr '\n' /)" "$(printf '%s\n' "$id9" "$id10" | sort | tr '\n' /)" \
	    "state/seen: each id once"
fi

# ---- 4b. a torn last line in state/seen (a crash mid-append) ----
copy_of bobT
seal mA.age "A" -r @bob
seal mB.age "B" -r @bob
idA=$(envid mA.age) idB=$(envid mB.age)
expect_exit 0 xc-send --home alice --spool T mA.age
expect_exit 0 xc-fetch --home bobT --spool T
printf '%s' "0123456789abcdef" >> bobT/state/seen
expect_exit 0 xc-send --home alice --spool T mB.age
expect_exit 0 xc-fetch --home bobT --spool T
is "$(cat "$OUT")" "bobT/inbox/new/$idB-0.age" "after a torn line in state/seen: B is fetched"
like "$(cat bobT/state/seen)" "^$idB [0-9]+\$" "... and recorded on a line of its own"
like "$(cat bobT/state/seen)" "^$idA [0-9]+\$" "... after A's"
rm bobT/inbox/new/*
expect_exit 0 xc-fetch --home bobT --spool T
is "$(cat "$OUT")" "" "... so that B is not fetched again once read and deleted"

# ---- 5. concurrent xc-fetch runs on one home ----
i=0
files=
while [ $i -lt 40 ]; do
	seal "c$i.age" "concurrent $i" -r @bob
	files="$files c$i.age"
	i=$((i + 1))
done
# shellcheck disable=SC2086 # plain names
expect_exit 0 xc-send --home alice --spool C $files
is "$(spool_files C | wc -l | tr -d ' ')" 40 "40 letters to bob in spool C"
# fetch_20 HOME ARG...: 20 concurrent xc-fetch --home HOME ARG...; their
# outputs in f.N.out, f.N.err, f.N.rc.
fetch_20() {
	_h=$1
	shift
	rm -f f.*.out f.*.err f.*.rc
	_i=0
	while [ $_i -lt 20 ]; do
		(xc-fetch --home "$_h" --spool C "$@" > "f.$_i.out" 2> "f.$_i.err"
		 echo $? > "f.$_i.rc") &
		_i=$((_i + 1))
	done
	wait
}
copy_of bobN
fetch_20 bobN --no-wait
is "$(cat f.*.rc | sort -u | tr '\n' ' ')" "$(cat f.*.rc | grep -Ex '0|6' | sort -u | tr '\n' ' ')" \
    "20 concurrent --no-wait: every exit is 0 or 6 ($(grep -lx 6 f.*.rc | wc -l) busy)"
bad=0
for r in f.*.rc; do
	n=${r%.rc}
	if [ "$(cat "$r")" = 6 ]; then
		[ -s "$n.out" ] && bad=$((bad + 1))
		grep -q "^xc-fetch: error: another xc-fetch is running on 'bobN'" "$n.err" ||
		    bad=$((bad + 1))
	fi
done
is "$bad" 0 "... each busy run says so and prints nothing"
ok "... at least one run fetched" grep -qx 0 f.*.rc
is "$(cat f.*.out | sort | uniq -d)" "" "... no path printed twice"
is "$(cat f.*.out | sort | tr '\n' /)" \
    "$(for f in bobN/inbox/new/*; do echo "$f"; done | sort | tr '\n' /)" \
    "... the printed paths are the inbox"
is "$(ls bobN/inbox/new | wc -l | tr -d ' ')|$(listing bobN/inbox/cur)|$(listing bobN/inbox/tmp)" \
    "40||" "... 40 letters in new/, nothing in cur/ or tmp/"
is "$(cut -d' ' -f1 bobN/state/seen | sort | uniq -d)|$(wc -l < bobN/state/seen | tr -d ' ')" "|40" \
    "... state/seen: 40 ids, none twice"

copy_of bobW
fetch_20 bobW
is "$(cat f.*.rc | sort -u | tr '\n' ' ')" "0 " "20 concurrent waiting xc-fetch: all exit 0"
is "$(cat f.*.err)" "" "... and say nothing on stderr"
is "$(cat f.*.out | sort | uniq -d)" "" "... no path printed twice"
is "$(cat f.*.out | sort | tr '\n' /)" \
    "$(for f in bobW/inbox/new/*; do echo "$f"; done | sort | tr '\n' /)" \
    "... the union of the printed paths is the inbox"
is "$(ls bobW/inbox/new | wc -l | tr -d ' ')|$(listing bobW/inbox/cur)|$(listing bobW/inbox/tmp)" \
    "40||" "... 40 letters in new/, nothing in cur/ or tmp/"
ls bobW/inbox/new/* | xc-open --home bobW 2> /dev/null |
    grep -v -e '^=== from @' -e '^$' > opened
is "$(sort opened | tr '\n' /)" "$(i=0; while [ $i -lt 40 ]; do echo "concurrent $i"; i=$((i + 1)); done | sort | tr '\n' /)" \
    "... they open to the 40 texts"

# ---- 6. spools merged by copying files ----
seal ma.age "only in S1 (a)" -r @bob
seal mb.age "only in S1 (b), to both" -r @bob -r @carol
seal mc.age "only in S2" -r @bob
seal ms.age "in both spools" -r @bob
ida=$(envid ma.age) idb=$(envid mb.age) idc=$(envid mc.age) ids=$(envid ms.age)
expect_exit 0 xc-send --home alice --spool S1 ma.age mb.age ms.age
expect_exit 0 xc-send --home alice --spool S2 mc.age ms.age
copy_of bobM
expect_exit 0 xc-fetch --home bobM --spool S2
is "$(cat "$OUT")" "$(printf 'bobM/inbox/new/%s-0.age\n' "$idc" "$ids" | sort)" \
    "bob fetches S2 before the merge"
want=$( (spool_files S1; spool_files S2) | sort -u | tr '\n' /)
ok "cp -rn S1/. S2/" cp -rn S1/. S2/
is "$(spool_files S2 | tr '\n' /)" "$want" "S2 now holds the files of both"
expect_exit 0 xc-fetch --home bobM --spool S2
is "$(cat "$OUT")" "$(printf 'bobM/inbox/new/%s-0.age\n' "$ida" "$idb" | sort)" \
    "after the merge bob gets only what S1 added"
expect_exit 0 xc-fetch --home bobM --spool S2
is "$(cat "$OUT")" "" "... and then nothing"
copy_of bobM2
expect_exit 0 xc-fetch --home bobM2 --spool S2
is "$(cat "$OUT")" "$(printf 'bobM2/inbox/new/%s-0.age\n' "$ida" "$idb" "$idc" "$ids" | sort)" \
    "a fresh keyring gets every letter of the merged spool once"
ok "a merged copy is intact" cmp mb.age "S2/$bb/$idb-0.age"
ok "cp -rn again changes nothing" cp -rn S1/. S2/
expect_exit 0 xc-fetch --home bobM2 --spool S2
is "$(cat "$OUT")" "" "... nothing new to fetch"
if command -v rsync > /dev/null 2>&1; then
	expect_exit 0 rsync -a S1/ S3/
	expect_exit 0 rsync -a S2/ S3/
	copy_of bobM3
	expect_exit 0 xc-fetch --home bobM3 --spool S3
	is "$(cat "$OUT")" "$(printf 'bobM3/inbox/new/%s-0.age\n' "$ida" "$idb" "$idc" "$ids" | sort)" \
	    "rsync -a merge: every letter once"
else
	skip 4 "rsync is not installed"
fi

# ---- 7. expiry ----
# In spool X an expiring letter and one without expiry (xc-fetch --gc); in
# Y an expiring letter bob never fetched (xc-fetch skips and collects it);
# in Z one bob fetches and opens, saving an attachment, before it expires.
seal mk.age "no expiry" -r @bob
seal mx.age "expires in X" -r @bob --ttl 2s
seal my.age "expires in Y" -r @bob --ttl 2s
idk=$(envid mk.age) idx=$(envid mx.age)
expect_exit 0 xc-send --home alice --spool X mk.age mx.age
expect_exit 0 xc-send --home alice --spool Y my.age
printf 'attached\n' > att.txt
copy_of bobE
# Seal, send, fetch and open within the 2 s: tried again on a slow machine.
try=0
while :; do
	try=$((try + 1))
	rm -rf Z att
	mkdir att
	seal mz.age "expires in Z, with an attachment" -r @bob --ttl 2s -A att.txt
	xc-send --home alice --spool Z mz.age > /dev/null 2>&1 &&
	    xc-fetch --home bobE --spool Z --json > fetched.json 2> /dev/null &&
	    xc-open --home bobE -D att "$(sed 's/.*"path":"\([^"]*\)".*/\1/' fetched.json)" \
	    > opened 2> opened.err && break
	[ "$(date +%s)" -ge "$(env_py expires mz.age)" ] && [ $try -lt 3 ] || break
done
idz=$(envid mz.age)
expz=$(env_py expires mz.age)
is "$(cat fetched.json)" "{\"id\":\"$idz\",\"path\":\"bobE/inbox/new/$idz-$expz.age\",\"expires\":\"$(date -u -d "@$expz" +%Y-%m-%dT%H:%M:%SZ)\",\"size\":$(wc -c < mz.age | tr -d ' ')}" \
    "xc-fetch --json: id, path, expiry, size of the --ttl 2s letter"
is "$(cat opened)|$(listing att)" "expires in Z, with an attachment|att.txt/" \
    "xc-open saves its attachment"
# The route stanza's expiry is the signed one rounded up to the hour
# (xc-envelope(5)); state/expiring.d/DAY has the signed one, which governs.
like "$(cat bobE/state/expiring.d/*)" "^[0-9]+ [0-9]+ [0-9]+ $tmp/w/att/att.txt\$" \
    "... and lists it in state/expiring.d/DAY"
sexp=$(cat bobE/state/expiring.d/* | cut -d ' ' -f 1)
ok "... with the signed expiry, at most the route's" test "$sexp" -le "$expz"
is "$(ls bobE/state/expiring.d)" "$((sexp / 86400))" "... in the file of its day (the expiry / 86400)"
is "$(spool_files X | tr '\n' /)" "$(printf '%s\n' "$bb/$idk-0.age" "$bb/$idx-$(env_py expires mx.age).age" | sort | tr '\n' /)" \
    "X holds both letters, the expiring one named ID-EXPIRY.age"
last=$expz
for f in mx.age my.age; do
	e=$(env_py expires "$f")
	[ "$e" -gt "$last" ] && last=$e
done
# The clock of xc(7)'s XC_TEST_NOW, not an hour of sleep.
XC_TEST_NOW=$last
export XC_TEST_NOW
expect_exit 0 xc-fetch --home bobE --spool X --gc
is "$(cat "$ERR")" "xc-fetch: removed 1 expired envelope(s)" "xc-fetch --gc: removed 1"
is "$(spool_files X)" "$bb/$idk-0.age" "... the expired one; the other stays"
expect_exit 0 xc-fetch --home bobE --spool Y
is "$(cat "$OUT")" "" "xc-fetch does not fetch an expired letter"
is "$(spool_files Y)|$(listing bobE/inbox/new)" "|" "... collects it from its bucket, nothing in inbox/new"
is "$(listing bobE/inbox/cur)" "" "... and deletes the expired inbox copy"
is_file_absent att/att.txt "... and the attachment saved from it"
is "$(ls bobE/state/expiring.d)" "" "... which leaves state/expiring.d"
expect_exit 0 xc-fetch --home bobE --spool X
is "$(cat "$OUT")" "bobE/inbox/new/$idk-0.age" "the letter without expiry is fetched"
unset XC_TEST_NOW

# ---- 8. the order of the file-system calls of a fetch ----
# order TRACE NAME: the labelled calls of the strace output TRACE for the
# envelope NAME, in order, repeats collapsed.
cat > "$tmp/order.py" <<'PY'
import os, re, sys
name = sys.argv[2]
fds, dirs, out = {}, {}, []
def label(s):
    if not out or out[-1] != s:
        out.append(s)
def at(fd, p):
    # a name relative to a directory descriptor (the *at calls)
    if p.startswith('/') or fd == 'AT_FDCWD':
        return p
    return os.path.join(dirs.get(int(fd), '?'), p)
for line in open(sys.argv[1]):
    m = re.match(r'\d+\s+(\w+)\((.*)\)\s+=\s+(-?\d+)', line)
    if not m:
        continue
    op, args, ret = m.group(1), m.group(2), int(m.group(3))
    a = [x.strip() for x in re.split(r',(?=(?:[^"]*"[^"]*")*[^"]*$)', args)]
    q = lambda x: x.strip('"')
    fd = int(a[0]) if a[0].isdigit() else None
    if op == 'openat' and ret >= 0:
        p = at(a[0], q(a[1]))
        if 'O_DIRECTORY' in args and 'O_TMPFILE' not in args:
            dirs[ret] = p
            if p in ('bobS/inbox/new', 'bobS/state'):
                fds[ret] = p.split('/')[-1]
        elif p == 'bobS/inbox/tmp/.' and 'O_TMPFILE' in args or \
            re.match(r'bobS/inbox/tmp/[0-9a-f]{16}\.\d+\.tmp~$', p):
            fds[ret] = 'tmp'
            label('open-tmp')
        elif p == 'bobS/state/seen':
            fds[ret] = 'seen'
    elif op == 'write' and fd in fds:
        label('write-' + fds[fd])
    elif op == 'write' and fd == 1:
        label('print')
    elif op in ('fsync', 'fdatasync') and fd in fds and ret == 0:
        label('fsync-' + fds[fd])
    elif op == 'close' and fd is not None:
        fds.pop(fd, None)
        dirs.pop(fd, None)
    elif op == 'linkat' and ret == 0:
        if 'inbox/tmp/' in at(a[0], q(a[1])) and at(a[2], q(a[3])) == 'bobS/inbox/new/' + name:
            label('link-new')
print(' '.join(out))
PY
# traced_fetch TRACE: one xc-fetch for bobS from spool TS under strace.
traced_fetch() {
	strace -f -qq -e trace=openat,write,fsync,fdatasync,linkat,close \
	    -o "$1" xc-fetch --home bobS --spool TS > "$1.out" 2>&1
}
if ! strace -o /dev/null true 2> /dev/null; then
	skip 4 "strace cannot trace here"
else
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
	export ASAN_OPTIONS	# LeakSanitizer cannot run under ptrace
	copy_of bobS
	seal mt1.age "traced first" -r @bob
	seal mt2.age "traced second" -r @bob
	idt1=$(envid mt1.age) idt2=$(envid mt2.age)
	xc-send --home alice --spool TS mt1.age > /dev/null || bail "xc-send"
	traced_fetch t1
	is "$(cat t1.out)" "bobS/inbox/new/$idt1-0.age" "the first traced xc-fetch fetched a letter"
	is "$(python3 "$tmp/order.py" t1 "$idt1-0.age")" \
	    "open-tmp write-tmp fsync-tmp link-new fsync-new print write-seen fsync-seen fsync-state" \
	    "the first fetch: the inbox copy written, synced, linked into new/, new/ synced; then its path printed; then state/seen made (write, fsync, fsync state/)"
	xc-send --home alice --spool TS mt2.age > /dev/null || bail "xc-send"
	traced_fetch t2
	is "$(cat t2.out)" "bobS/inbox/new/$idt2-0.age" "the second traced xc-fetch fetched a letter"
	is "$(python3 "$tmp/order.py" t2 "$idt2-0.age")" \
	    "open-tmp write-tmp fsync-tmp link-new fsync-new print write-seen fsync-seen" \
	    "the next fetch: write tmp, fsync, link into new/, fsync new/, print, then append to state/seen (write, fsync)"
fi

done_testing
