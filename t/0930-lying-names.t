#!/bin/sh
# 0930-lying-names: spool files whose names lie about their bytes
# (TESTPLAN H02).  An envelope renamed to another expiry, a copy with a
# lying expiry beside the real one, junk under the name of an envelope not
# yet sent, another envelope's bytes under that name, a link, a FIFO or a
# directory there, a file still being copied in place: none is fetched,
# recorded, deleted or taken for the envelope; xc-send replaces what holds
# its envelope's name with other bytes; every real envelope reaches bob
# exactly once and nothing is deleted before its time.  The clock moves
# with XC_TEST_NOW.
# shellcheck source=t/lib.sh
. "$(dirname "$0")/lib.sh"

plan 69

need_delivery
parties alice bob
seal() {
	_o=$1 _t=$2
	shift 2
	printf '%s\n' "$_t" | xc-seal --home alice -r @bob -o "$_o" "$@" ||
	    bail "xc-seal $_o"
}
# same A B: B is a regular file (cmp would wait on a FIFO) equal to A.
same() {
	test -f "$2" && ! test -L "$2" && cmp "$1" "$2"
}
fetch() {
	expect_exit 0 xc-fetch --home bob --spool S "$@"
}
later=$(($(date +%s) + 7200))	# two hours on: XC_TEST_NOW

seal m0.age "the spool's first letter"
xc-send --home alice --spool S m0.age > /dev/null || bail "xc-send"
BB=$(cd S && ls -d [0-9a-f][0-9a-f])
fetch
is "$(cat "$OUT")" "bob/inbox/new/$(envid m0.age)-0.age" "bob fetches the first letter"

# ---- an envelope renamed to an earlier expiry ----
seal m1.age "renamed"
id1=$(envid m1.age)
xc-send --home alice --spool S m1.age > /dev/null || bail "xc-send"
soon=$(($(date +%s) + 60))
mv "S/$BB/$id1-0.age" "S/$BB/$id1-$soon.age"
fetch
is "$(cat "$OUT")" "" "a letter renamed to another expiry: not fetched"
like "$(cat "$ERR")" "^xc-fetch: warning: spool 'S': left alone 1 file\\(s\\) whose names lie about their expiry" \
    "... with a warning"
ok "... nor recorded as seen" sh -c "! grep -q '^$id1 ' bob/state/seen"
expect_exit 0 env XC_TEST_NOW="$later" xc-fetch --home bob --spool S --gc
like "$(cat "$ERR")" "^xc-fetch: warning: spool 'S': kept 1 file\\(s\\) past their time whose names do not match their bytes" \
    "xc-fetch --gc two hours later: the lying name is kept"
ok "... the file is still there" test -f "S/$BB/$id1-$soon.age"
expect_exit 0 xc-send --home alice --spool S m1.age
fetch
is "$(cat "$OUT")" "bob/inbox/new/$id1-0.age" "sent again under its true name: fetched"
ok "... the very letter" same m1.age "bob/inbox/new/$id1-0.age"
fetch
is "$(cat "$OUT")" "" "... once"

# ---- a copy with a lying expiry beside the real one ----
seal m2.age "copied with a lie"
seal m3.age "expires honestly" --ttl 60s
id2=$(envid m2.age) id3=$(envid m3.age)
e3=$(python3 -c '
import base64, sys
d = open(sys.argv[1], "rb").read()
for l in d.split(b"\n"):
    if l.startswith(b"-> xc-route "):
        print(l.split()[3].decode())
' m3.age)
xc-send --home alice --spool S m2.age m3.age > /dev/null || bail "xc-send"
cp "S/$BB/$id2-0.age" "S/$BB/$id2-$soon.age"
ln "S/$BB/$id3-$e3.age" "S/$BB/$id3-0.age"
fetch
is "$(cat "$OUT")" "$(printf 'bob/inbox/new/%s\n' "$id2-0.age" "$id3-$e3.age" | sort)" \
    "copies under lying names beside the real ones: each real one fetched once"
is "$(ls bob/inbox/new | grep -c -e "$id2-$soon" -e "$id3-0")" 0 "... the two lies are not in the inbox"
expect_exit 0 env XC_TEST_NOW="$later" xc-fetch --home bob --spool S --gc
is "$(cat "$ERR" | head -n 1)" "xc-fetch: removed 1 expired envelope(s)" \
    "two hours later --gc removes the one envelope whose time has come"
is "$(listing "S/$BB" | tr / '\n' | grep -c "^$id3-")|$(listing "S/$BB" | tr / '\n' | grep -c "^$id2-")" "1|2" \
    "... m3's true name is gone, its lying copy (-0) kept; m2 and its copy stay"
ok "... m2 is untouched" same m2.age "S/$BB/$id2-0.age"

# ---- junk under the name of an envelope not yet sent ----
seal m4.age "junk was here first"
id4=$(envid m4.age)
head -c 3000 /dev/urandom > "S/$BB/$id4-0.age"
fetch
is "$(cat "$OUT")" "" "junk under a future letter's name: nothing fetched"
ok "... its id not recorded" sh -c "! grep -q '^$id4 ' bob/state/seen"
expect_exit 0 xc-send --home alice --spool S m4.age
is "$(cat "$OUT")" "$id4" "xc-send: the id"
like "$(cat "$ERR")" "^xc-send: warning: spool 'S': replaced 1 file\\(s\\) that did not match their names" \
    "... the junk under its name is replaced, with a warning"
ok "... by the envelope" same m4.age "S/$BB/$id4-0.age"
is "$(listing alice/outbox/new)" "" "... and only then leaves the outbox"
fetch
is "$(cat "$OUT")" "bob/inbox/new/$id4-0.age" "bob fetches the real letter"
fetch
is "$(cat "$OUT")" "" "... once"

# ---- another envelope's bytes under the name ----
seal m5.age "m5: never sent"
seal m6.age "m6: sent after its name was taken"
id6=$(envid m6.age)
cp m5.age "S/$BB/$id6-0.age"
fetch
is "$(cat "$OUT")|$(listing bob/inbox/new | tr / '\n' | grep -c "^$(envid m5.age)")" "|0" \
    "an envelope of bob's under another id: not fetched under either"
expect_exit 0 xc-send --home alice --spool S m6.age
ok "xc-send replaces it" same m6.age "S/$BB/$id6-0.age"
fetch
is "$(cat "$OUT")" "bob/inbox/new/$id6-0.age" "... and bob gets m6"
expect_exit 0 xc-open --home bob "bob/inbox/new/$id6-0.age"
is "$(cat "$OUT")" "m6: sent after its name was taken" "... which opens to m6"

# ---- a link, a FIFO, a directory under the name ----
mkdir D
seal d.age "decoy"
cp d.age D/decoy.age
seal m7.age "m7 (a link was there)"
seal m8.age "m8 (a FIFO was there)"
seal m9.age "m9 (a directory is there)"
id7=$(envid m7.age) id8=$(envid m8.age) id9=$(envid m9.age)
ln -s "$tmp/w/D/decoy.age" "S/$BB/$id7-0.age"
mkfifo "S/$BB/$id8-0.age"
mkdir "S/$BB/$id9-0.age"
expect_exit 0 timeout -s KILL 5 xc-send --home alice --spool S m7.age m8.age
ok "a link under the name is replaced by the envelope" test -f "S/$BB/$id7-0.age" -a ! -L "S/$BB/$id7-0.age"
ok "... the file it pointed to is untouched" cmp d.age D/decoy.age
ok "a FIFO under the name is replaced" same m8.age "S/$BB/$id8-0.age"
must_fail 5 timeout -s KILL 5 xc-send --home alice --spool S m9.age
like "$(cat "$ERR")" "^xc-send: error: cannot deliver $id9 to the spool 'S': cannot replace a file that does not match its name" \
    "a directory under the name: exit 5, named"
is "$(listing alice/outbox/new)" "$id9-0.age/" "... the envelope waits in the outbox"
rmdir "S/$BB/$id9-0.age"
expect_exit 0 xc-send --home alice --spool S --flush
fetch
is "$(cat "$OUT")" "$(printf 'bob/inbox/new/%s\n' "$id7-0.age" "$id8-0.age" "$id9-0.age" | sort)" \
    "once the directory is gone: m7, m8 and m9 fetched, once each"

# ---- a file still being copied in place ----
seal mA.age "copied slowly"
idA=$(envid mA.age)
head -c 1000 mA.age > "S/$BB/$idA-0.age"
fetch
is "$(cat "$OUT")" "" "a file half copied in place: not fetched"
fetch
is "$(cat "$OUT")" "" "... nor by the next run (remembered by the copy, not by id)"
tail -c +1001 mA.age >> "S/$BB/$idA-0.age"
fetch
is "$(cat "$OUT")" "bob/inbox/new/$idA-0.age" "once whole: fetched"

# ---- nothing was lost, nothing deleted early ----
is "$(ls bob/inbox/new bob/inbox/cur | grep -c '\.age')" 10 "bob's inbox: the ten real letters"
is "$(cut -d' ' -f1 bob/state/seen | sort | uniq -d)" "" "state/seen: each id once"
for f in m0 m1 m2 m4 m6 m7 m8 m9 mA; do
	ok "$f is still in the spool" same "$f.age" "S/$BB/$(envid "$f.age")-0.age"
done

done_testing
