#!/bin/sh
# 0920-hostile-spool: a spool that others can write (TESTPLAN H01).  The
# spool's tmp/, bob's bucket, the xc-spool marker, bob's inbox/new and
# alice's outbox/new are replaced in turn by a symbolic link (to a decoy
# directory of old envelopes and stale temporary files, to carol's inbox, to
# /dev), a FIFO, a regular file or a directory where a file belongs, and a
# directory or file of another uid (as root); xc-send, xc-fetch and
# xc-fetch --gc run against each.  Nothing outside the spool changes (the
# decoys are checksummed before and after, /dev gets no file of ours), no
# run takes 5 s, every exit status is the documented one and every error
# names the object.  Then files under envelope names that are not regular
# files (FIFO, symbolic link, device, directory) sit in bob's bucket; and
# FIFOs in the keyring (a key file, a contact's card) do not hang xc-open.
# shellcheck source=t/lib.sh
. "$(dirname "$0")/lib.sh"

plan 113

need_delivery
root_=0
[ "$(id -u)" -eq 0 ] && root_=1

parties alice bob carol

seal() {
	printf '%s\n' "$2" | xc-seal --home alice -r "$3" -o "$1" ||
	    bail "xc-seal $1"
}

# The pristine world: a spool P holding a letter to bob, bob's bucket BB.
seal m1.age "first letter" @bob
xc-send --home alice --spool P m1.age > /dev/null || bail "xc-send"
BB=$(cd P && ls -d [0-9a-f][0-9a-f])
[ "$(echo "$BB" | wc -w)" -eq 1 ] || bail "one bucket expected: $BB"
mkdir -p alice0 && cp -a alice/. alice0/ && cp -a bob bob0 || bail "cp"

# Decoys.  D: envelopes to bob with no expiry, 40 days old (what collection
# removes, were it led there), stale temporary files; carol's inbox/new:
# letters, 40 days old.
mkdir D
for i in 1 2 3; do
	seal "d$i.age" "decoy $i" @bob
	cp "d$i.age" "D/$(envid "d$i.age")-0.age"
done
printf 'x' > D/0123456789abcdef.1.tmp
printf 'x' > D/0123456789abcdef.2.tmp~
touch -d '40 days ago' D/*
for i in 1 2; do
	seal "c$i.age" "to carol $i" @carol
	xc-send --home alice --spool PC "c$i.age" > /dev/null || bail "xc-send"
done
xc-fetch --home carol --spool PC > /dev/null || bail "xc-fetch carol"
for f in carol/inbox/cur/*; do	# unread: where an older xc-fetch put them
	[ -e "$f" ] && mv "$f" carol/inbox/new/
done
touch -d '40 days ago' carol/inbox/new/*
[ "$(ls carol/inbox/new | wc -l)" -eq 2 ] || bail "carol's inbox"

# snap: a checksum of the decoys (names, types, modes, times, bytes).
cat > "$tmp/snap.py" <<'PY'
import hashlib, os, stat, sys
h = hashlib.sha256()
for top in sys.argv[1:]:
    for dp, dn, fn in sorted(os.walk(top)):
        dn.sort()
        for n in sorted(fn + dn):
            p = os.path.join(dp, n)
            st = os.lstat(p)
            h.update(('%s %o %d %d\n' % (p, st.st_mode, st.st_size, st.st_mtime_ns)).encode())
            if stat.S_ISREG(st.st_mode):
                h.update(open(p, 'rb').read())
print(h.hexdigest())
PY
snap() {
	python3 "$tmp/snap.py" D carol/inbox
	# shellcheck disable=SC2010 # names only
	ls -A /dev | grep -E '\.age$|\.tmp~?$|^xc-spool$'
}
before=$(snap)

# fresh: the world as it was, for the next case.
fresh() {
	rm -rf S alice bob
	cp -a P S && cp -a alice0 alice && cp -a bob0 bob || bail "fresh copy"
}

# replace WHAT HOW: WHAT (a path) becomes HOW.
replace() {
	rm -rf "$1"
	case $2 in
	link-decoy) ln -s "$tmp/w/D" "$1" ;;
	link-inbox) ln -s "$tmp/w/carol/inbox/new" "$1" ;;
	link-dev) ln -s /dev "$1" ;;
	fifo) mkfifo "$1" ;;
	file) printf 'not what you want\n' > "$1" ;;
	dir) mkdir "$1" ;;
	other-file) printf 'xc-spool-v1\n' > "$1" && chown 12345:12345 "$1" ;;
	other-dir) mkdir -m 755 "$1" && chown 12345:12345 "$1" ;;
	esac || bail "replace $1 by $2"
}

# runs CASE SEND FETCH GC ERE: xc-send (a new letter to bob), xc-fetch and
# xc-fetch --gc exit with SEND, FETCH and GC, each within 5 s; every
# failure's error line matches ERE; the decoys are unchanged.
n=0
runs() {
	_case=$1
	n=$((n + 1))
	seal "new$n.age" "letter $n" @bob
	timeout -s KILL 5 xc-send --home alice --spool S "new$n.age" > out.send 2> err.send
	_s=$?
	timeout -s KILL 5 xc-fetch --home bob --spool S > out.fetch 2> err.fetch
	_f=$?
	timeout -s KILL 5 xc-fetch --home bob --spool S --gc > out.gc 2> err.gc
	_g=$?
	is "$_s $_f $_g" "$2 $3 $4" "$_case: xc-send $2, xc-fetch $3, xc-fetch --gc $4, each in 5 s"
	_bad=
	[ "$_s" -ne 0 ] && ! grep -Eq "^xc-send: error: $5" err.send && _bad="$_bad send:$(head -n 1 err.send)"
	[ "$_f" -ne 0 ] && ! grep -Eq "^xc-fetch: error: $5" err.fetch && _bad="$_bad fetch:$(head -n 1 err.fetch)"
	[ "$_g" -ne 0 ] && ! grep -Eq "^xc-fetch: error: $5" err.gc && _bad="$_bad gc:$(head -n 1 err.gc)"
	is "$_bad" "" "$_case: each error names the object"
	is "$(snap)" "$before" "$_case: nothing outside the spool changed"
}

kinds='(a symbolic link|a FIFO|a regular file|a directory), not (a directory|a regular file): not used'

# ---- the spool's tmp/ ----
for how in link-decoy link-inbox link-dev fifo file; do
	fresh
	replace S/tmp $how
	runs "tmp/ as $how" 5 0 3 "(spool 'S': its tmp/ is $kinds|spool 'S': 1 bucket\\(s\\) or tmp/ not directories)"
done
is "$(cat out.fetch)" "bob/inbox/new/$(envid m1.age)-0.age" "... xc-fetch still fetches what the buckets hold"
like "$(cat err.send)" "^xc-send: hint: what was accepted waits in the outbox" "... xc-send keeps the letter in the outbox"
is "$(ls alice/outbox/new | wc -l | tr -d ' ')" 1 "... one envelope waits there"

# ---- bob's bucket ----
for how in link-decoy link-inbox link-dev fifo file; do
	fresh
	replace "S/$BB" $how
	runs "bucket $BB as $how" 5 3 3 "(cannot deliver [0-9a-f]{64} to the spool 'S': bucket $BB is $kinds|spool 'S': bucket $BB is $kinds|spool 'S': 1 bucket\\(s\\) or tmp/ not directories)"
done
is "$(cat out.fetch)" "" "... xc-fetch fetches nothing through it"
# bob's own unread letters, 40 days old, behind a link as his bucket.
fresh
xc-fetch --home bob --spool S > /dev/null || bail "xc-fetch"
touch -d '40 days ago' bob/inbox/new/*
own=$(python3 "$tmp/snap.py" bob/inbox/new)
rm -rf "S/$BB" && ln -s "$tmp/w/bob/inbox/new" "S/$BB"
expect_exit 3 timeout -s KILL 5 xc-fetch --home bob --spool S
expect_exit 3 timeout -s KILL 5 xc-fetch --home bob --spool S --gc
is "$(python3 "$tmp/snap.py" bob/inbox/new)" "$own" "bucket as a link to bob's own inbox/new: his letters stay"

# ---- the marker ----
for how in link-decoy link-inbox link-dev fifo dir; do
	fresh
	replace S/xc-spool $how
	runs "xc-spool as $how" 5 3 3 "spool 'S': its xc-spool marker is $kinds"
done
is "$(ls alice/outbox/new | wc -l | tr -d ' ')" 1 "... xc-send keeps the letter in the outbox"

# ---- bob's inbox/new ----
for how in link-decoy link-inbox link-dev fifo file; do
	fresh
	mkdir -p bob/inbox/tmp bob/inbox/cur
	replace bob/inbox/new $how
	runs "inbox/new as $how" 0 4 0 "inbox 'bob/inbox': its new/ is $kinds"
done

# ---- alice's outbox/new ----
for how in link-decoy link-inbox link-dev fifo file; do
	fresh
	replace alice/outbox/new $how
	runs "outbox/new as $how" 4 0 0 "outbox '.*alice/outbox': its new/ is $kinds"
done

# ---- another uid's files and directories ----
if [ $root_ -eq 1 ]; then
	fresh
	replace S/tmp other-dir
	runs "tmp/ of another uid" 0 0 0 "-"
	fresh
	replace "S/$BB" other-dir
	runs "bucket of another uid" 0 0 0 "-"
	fresh
	replace S/xc-spool other-file
	runs "xc-spool of another uid" 0 0 0 "-"
	fresh
	mkdir -p bob/inbox/tmp bob/inbox/cur
	replace bob/inbox/new other-dir
	runs "inbox/new of another uid" 0 4 0 "inbox 'bob/inbox': its new/ is a directory owned by another user: not used"
	fresh
	replace alice/outbox/new other-dir
	runs "outbox/new of another uid" 4 0 0 "outbox '.*alice/outbox': its new/ is a directory owned by another user: not used"
else
	skip 15 "not root: cannot make files of another uid"
fi

# ---- files under envelope names that are not regular files ----
fresh
xc-fetch --home bob --spool S > /dev/null || bail "xc-fetch"
d1=$(envid d1.age) d2=$(envid d2.age) d3=$(envid d3.age)
mkfifo "S/$BB/$d1-0.age"
ln -s "$tmp/w/D/$d2-0.age" "S/$BB/$d2-0.age"
mkdir "S/$BB/$d3-0.age"
ln -s "$tmp/w/D/$d1-0.age" "S/$BB/$d1-1.age"	# expired name: --gc
mkfifo "S/$BB/$d2-1.age"
if [ $root_ -eq 1 ]; then
	mknod "S/$BB/$d3-1.age" c 1 3	# /dev/null's numbers
fi
seal m9.age "a real one beside them" @bob
expect_exit 0 timeout -s KILL 5 xc-send --home alice --spool S m9.age
expect_exit 0 timeout -s KILL 5 xc-fetch --home bob --spool S
is "$(cat "$OUT")" "bob/inbox/new/$(envid m9.age)-0.age" "a FIFO, links and a directory under envelope names: only the real letter is fetched"
like "$(cat "$ERR")" "^xc-fetch: warning: spool 'S': left alone 0 file\\(s\\) whose names lie about their expiry and 3 that are not regular files" \
    "... the others are left alone, with a warning"
expect_exit 0 timeout -s KILL 5 xc-fetch --home bob --spool S
is "$(cat "$OUT")$(cat "$ERR")" "" "... said once: the next run is silent"
expect_exit 0 timeout -s KILL 5 xc-fetch --home bob --spool S --gc
like "$(cat "$ERR")" "^xc-fetch: warning: spool 'S': kept [0-9]+ file\\(s\\) past their time whose names do not match their bytes" \
    "xc-fetch --gc keeps what it cannot check"
ok "... the expired-name link, FIFO and device stay" test -L "S/$BB/$d1-1.age" -a -p "S/$BB/$d2-1.age"
is "$(snap)" "$before" "... and nothing outside the spool changed"
ok "... nor /dev/null" test -c /dev/null

# ---- FIFOs in the keyring ----
fresh
xc-fetch --home bob --spool S > /dev/null || bail "xc-fetch"
letter=bob/inbox/new/$(envid m1.age)-0.age
cp -a bob bobk
rm bobk/ids/bob/enc-1.key && mkfifo bobk/ids/bob/enc-1.key
must_fail 4 timeout -s KILL 5 xc-open --home bobk "$letter"
like "$(cat "$ERR")" "^xc-open: error: @bob: not a regular file" \
    "a FIFO as bob's key file: exit 4 within 5 s, named"
# A letter pins nobody: alice is made a contact by the command that does.
rm -rf bobk && cp -a bob bobk
xc-verify --home bobk -q --import alice.card >/dev/null 2>&1 &&
    rm bobk/contacts/alice/card && mkfifo bobk/contacts/alice/card ||
    bail "a FIFO as alice's card"
timeout -s KILL 5 xc-open --home bobk "bobk/inbox/new/$(envid m1.age)-0.age" \
    > /dev/null 2>err.fifo
rc=$?
ok "a FIFO as a contact's card: xc-open ends within 5 s, no signal (exit $rc)" \
    test "$rc" -lt 124
# What it cannot read gives no trust: the sender is a stranger.
like "$(cat err.fifo)" "^xc-open: .*: from @alice \\(stranger, " \
    "... and the sender whose card is a FIFO counts as a stranger"

done_testing
