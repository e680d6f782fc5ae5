#!/bin/sh
# 0740-strangers: letters never change trust (TESTPLAN T01-T03).  A
# stranger claiming a verified contact's handle, or my own, is reported with
# both fingerprints at level 1 at most, and the contact (or my identity)
# stays as it was; a stranger's first letter makes no contact; its card
# waits in a bounded quarantine until --adopt; contacts change only by
# --import, --adopt, --accept, --forget, --unverify and --rename, each
# saying what it does; a fork of a contact's chain is equivocation; and
# 1,000 letters from 1,000 strangers open in linear time.
# shellcheck source=t/lib.sh
. "$(dirname "$0")/lib.sh"

plan 117

A=$tmp/alice B=$tmp/bob M=$tmp/mallory C=$tmp/carol N=$tmp/mbob
key() { xc-keygen --home "$1" "@$2" > "$2.card" 2>/dev/null || exit 1; }
fp() { xc-verify "$1" | sed 's/.*fingerprint //'; }
key "$A" alice
key "$B" bob
key "$C" carol
xc-keygen --home "$M" @alice > mallory.card 2>/dev/null || exit 1
xc-keygen --home "$N" @bob > mbob.card 2>/dev/null || exit 1
afp=$(fp alice.card) mfp=$(fp mallory.card) cfp=$(fp carol.card)
bfp=$(fp bob.card) nfp=$(fp mbob.card)
xc-verify -q --home "$B" --import alice.card || exit 1
xc-verify -q --home "$B" --mark-verified @alice > /dev/null 2>&1 || exit 1
for h in "$A" "$M" "$C"; do
	xc-verify -q --home "$h" --import bob.card || exit 1
done
xc-verify -q --home "$N" --import --name @realbob bob.card || exit 1
cp "$B/contacts/alice/card" pinned.card
contacts() { xc-verify --home "$B" --contacts | sort; }
before=$(contacts)

# ---- T01: a stranger claims @alice, a verified contact ----
echo 'transfer the money' | xc-seal --home "$M" -r @bob -o m1.age || exit 1
expect_exit 0 xc-open --home "$B" m1.age
like "$(cat "$ERR")" "^xc-open: warning: m1\\.age: claims to be @alice, is not the @alice you know: @alice's fingerprint $afp, theirs $mfp\$" \
    "the claim is named, with both fingerprints"
like "$(cat "$ERR")" "^xc-open: m1\\.age: from @alice \\(stranger, $mfp\\), level 1 sealed, " \
    "reported as a stranger at level 1"
like "$(cat "$ERR")" "^xc-open: hint: .*xc-verify --adopt '$mfp'\$" "the adopt command is named"
expect_exit 0 xc-open --home "$B" --json m1.age
is "$(jf verification level level_name from fingerprint claim_conflict.name claim_conflict.with claim_conflict.fingerprint contact pinned)" \
    "stranger|1|sealed|alice|$mfp|alice|contact|$afp|null|null" \
    "--json: stranger, level 1, both fingerprints"
ok "alice's pinned card is untouched" cmp -s pinned.card "$B/contacts/alice/card"
is "$(contacts)" "$before" "the contacts are as they were (alice still verified)"
is_file_absent "$B/contacts/alice/pending" "nothing pending"
like "$(contacts)" '^@alice	verified	' "alice is still verified"
refused() {	# CODE CLASS ARGS...: refused, nothing on stdout
	_c=$1 _k=$2
	shift 2
	expect_exit "$_c" xc-open --home "$B" --json "$@"
	is "$(jf ok error)|$(sed 1d "$OUT")" "false|$_k|" "$_k: one error object"
}
refused 1 below-min-level --min-level 2 m1.age
like "$(jf message)" 'level 1 \(sealed\) is below --min-level 2 \(from a stranger\)' \
    "--min-level 2 keeps the stranger out"

# The real alice's next letter opens, verified, at level 2.
echo 'from the real alice' | xc-seal --home "$A" -r @bob -o a1.age || exit 1
expect_exit 0 xc-open --home "$B" --json a1.age
is "$(jf verification level fingerprint body)" "verified|2|$afp|from the real alice" \
    "the real alice's letter: verified, level 2"
expect_exit 0 xc-open --home "$B" --min-level 2 a1.age
# Sealing to @alice still goes to the pinned key: mallory cannot open it.
echo 'to alice' | xc-seal --home "$B" -r @alice -o toa.age || exit 1
expect_exit 0 xc-open --home "$A" toa.age
must_fail 1 xc-open --home "$M" toa.age

# The quarantine keeps mallory's card, under its key, for --adopt.
expect_exit 0 xc-verify --home "$B" --strangers
like "$(cat "$OUT")" "^$mfp	@alice	seq 1	last seen [0-9T:Z-]{20}	expires [0-9-]{10}\$" \
    "--strangers lists the stranger's card"
is "$(ls "$B/strangers" | wc -l | tr -d ' ')" 1 "one card in the quarantine"

# ---- T02: first letter from a stranger makes no contact ----
echo 'hi bob, I am carol' | xc-seal --home "$C" -r @bob -o c1.age || exit 1
expect_exit 0 xc-open --home "$B" --json c1.age
is "$(jf verification level claim_conflict)" "stranger|1|null" "carol: a stranger, level 1"
refused 1 below-min-level --min-level 2 c1.age
must_fail 1 xc-seal --home "$B" -r @carol -o x.age < /dev/null
like "$(cat "$ERR")" '^xc-seal: error: @carol is not a contact$' "xc-seal -r @carol: not a contact"
like "$(cat "$ERR")" 'hint: .*xc-verify --strangers, --adopt' "... and how to make one"
is_file_absent x.age
is_file_absent "$B/contacts/carol"

# --adopt: by the full fingerprint only, shown before it acts.
must_fail 1 xc-verify --home "$B" --adopt "${cfp% *}"
like "$(cat "$ERR")" "no stranger with this fingerprint" "a fingerprint cut short: refused"
must_fail 1 xc-verify --home "$B" --adopt "$(echo "$cfp" | tr 0-9 1-90)"
must_fail 2 xc-verify --home "$B" --adopt
expect_exit 0 xc-verify --home "$B" --adopt "$(echo "$cfp" | tr -d ' ')"
is "$(cat "$ERR")" "@carol: new contact, fingerprint $cfp" "--adopt: a new contact"
is "$(ls "$B/strangers" | wc -l | tr -d ' ')" 1 "the adopted card left the quarantine"
echo 'to carol' | xc-seal --home "$B" -r @carol -o toc.age || exit 1
expect_exit 0 xc-open --home "$C" toc.age
echo 'again' | xc-seal --home "$C" -r @bob -o c2.age || exit 1
expect_exit 0 xc-open --home "$B" --json c2.age
is "$(jf verification level contact)" "contact|2|carol" "carol's next letter: a contact, level 2"
like "$(jf pinned)" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T' "--json says when she was pinned"

# Adopting mallory under the taken name @alice: a key change, refused
# loudly; under a name of bob's choosing: a contact of its own.
must_fail 1 xc-verify --home "$B" --adopt "$mfp"
like "$(cat "$ERR")" 'THE IDENTITY KEY OF @alice HAS CHANGED' "adopting under a taken name: loud"
like "$(cat "$ERR")" "hint: .*xc-verify --accept @alice '$mfp'" "... naming the command and the fingerprint"
expect_exit 0 xc-verify --home "$B" --forget @alice
xc-verify -q --home "$B" --import alice.card > /dev/null || exit 1
expect_exit 0 xc-verify --home "$B" --adopt "$mfp" --name @mallory
is "$(cat "$ERR")" "@mallory: new contact, handle @alice, fingerprint $mfp" "--adopt --name"
expect_exit 0 xc-open --home "$B" m1.age
like "$(cat "$ERR")" "^xc-open: m1\\.age: from @mallory \\(contact, handle @alice, $mfp\\), level 2 " \
    "her letter now: from the contact @mallory, who claims the handle @alice"
expect_exit 0 xc-open --home "$B" a1.age
like "$(cat "$ERR")" "^xc-open: a1\\.age: from @alice \\(contact, $afp\\)" "and alice's from @alice"
# Two contacts who claim one handle are two recipients.
echo 'to both' | xc-seal --home "$B" -r @alice -r @mallory -o both.age || exit 1
expect_exit 0 xc-open --home "$A" both.age
expect_exit 0 xc-open --home "$M" both.age
is "$(grep -ac '^-> X25519 ' both.age)" 2 "two contacts with one handle: two stanzas"
must_fail 1 xc-verify --home "$B" --import --name @mal2 mallory.card
like "$(cat "$ERR")" "this key is a contact under another name" "one key, one contact"
like "$(cat "$ERR")" "hint: it is the contact @mallory: to name it otherwise, xc-verify --rename @mallory @NEWNAME" \
    "... and how to rename it"

# ---- T03: a card with my own handle ----
echo 'a note' | xc-seal --home "$N" -r @realbob -o n1.age || exit 1
expect_exit 0 xc-open --home "$B" --json n1.age
is "$(jf verification level claim_conflict.with claim_conflict.fingerprint)" \
    "stranger|1|own|$bfp" "a stranger with my handle: level 1, my fingerprint named"
expect_exit 0 xc-open --home "$B" n1.age
like "$(cat "$ERR")" "^xc-open: warning: n1\\.age: claims to be @bob, is not you: your fingerprint $bfp, theirs $nfp\$" \
    "... and said in words"
must_fail 1 xc-verify --home "$B" --import mbob.card
like "$(cat "$ERR")" "the name is an own identity's handle" "import under my own handle: refused"
like "$(cat "$ERR")" 'hint: .*--name @NAME' "... with the way out"
must_fail 1 xc-verify --home "$B" --import bob.card
like "$(cat "$ERR")" "the card is of an own identity" "my own card is no contact"
is_file_absent "$B/contacts/bob"
must_fail 1 xc-seal --home "$B" -R mbob.card -o x.age < /dev/null
like "$(cat "$ERR")" "hint: .*xc-verify --import --name @NAME" "xc-seal -R with my handle: refused, hint"
expect_exit 0 xc-verify --home "$B" --import --name @otherbob mbob.card
is "$(cat "$ERR")" "@otherbob: new contact, handle @bob, fingerprint $nfp" "under another name"
# A note to self goes to my own key, not to the card with my handle.
echo 'note to self' | xc-seal --home "$B" -r @bob -o self.age || exit 1
expect_exit 0 xc-open --home "$B" --json self.age
is "$(jf verification to level body)" "own|bob|2|note to self" \
    "a note to self opens with my own key"
must_fail 1 xc-open --home "$N" self.age

# ---- the other contact commands, each saying what it does ----
expect_exit 0 xc-verify --home "$B" --mark-verified @carol
is "$(cat "$ERR")" "@carol: contact -> verified, fingerprint $cfp" "--mark-verified"
expect_exit 0 xc-verify --home "$B" --unverify @carol
is "$(cat "$ERR")" "@carol: verified -> contact (not verified), fingerprint $cfp" "--unverify"
like "$(contacts)" '@carol	contact	' "carol is an unverified contact again"
must_fail 1 xc-verify --home "$B" --rename @carol @bob
like "$(cat "$ERR")" "own identity's handle" "--rename to my own handle: refused"
must_fail 1 xc-verify --home "$B" --rename @carol @alice
like "$(cat "$ERR")" "another contact's" "--rename to another contact's name: refused"
must_fail 2 xc-verify --home "$B" --rename @carol
must_fail 2 xc-verify --home "$B" --rename @carol @bad-name
must_fail 4 xc-verify --home "$B" --rename @nobody @x
expect_exit 0 xc-verify --home "$B" --rename @carol @caro
is "$(cat "$ERR")" "@carol: renamed to @caro (contact), fingerprint $cfp" "--rename"
like "$(contacts)" "^@caro	contact	$cfp	seq 1	expires [0-9-]{10}	pinned [0-9-]{10}	handle @carol\$" \
    "--contacts: the local name, and the handle it claims"
must_fail 1 xc-seal --home "$B" -r @carol -o x.age < /dev/null
echo 'to caro' | xc-seal --home "$B" -r @caro -o tocaro.age || exit 1
expect_exit 0 xc-open --home "$C" tocaro.age
echo 'still me' | xc-seal --home "$C" -r @bob -o c3.age || exit 1
expect_exit 0 xc-open --home "$B" c3.age
like "$(cat "$ERR")" "from @caro \\(contact, handle @carol, $cfp\\), level 2" "her letters name the local name"
expect_exit 0 xc-verify --home "$B" --forget @caro
is "$(cat "$ERR")" "@caro: forgetting the contact (contact), fingerprint $cfp" "--forget"
is_file_absent "$B/contacts/caro"
expect_exit 0 xc-open --home "$B" --json c3.age
is "$(jf verification level)" "stranger|1" "a forgotten contact's letters are a stranger's"
must_fail 4 xc-verify --home "$B" --forget @caro
must_fail 2 xc-verify --home "$B" --forget
must_fail 2 xc-verify --home "$B" --name @x --contacts
must_fail 2 xc-verify --home "$B" --name @x --import alice.card carol.card
must_fail 2 xc-verify --home "$B" --name bad-name --import alice.card

# ---- equivocation: two cards with one sequence number from alice's key ----
cp -a "$A" "$tmp/alice2"
xc-keygen --home "$A" --rotate > a2.card 2>/dev/null || exit 1
xc-keygen --home "$tmp/alice2" --rotate > a2x.card 2>/dev/null || exit 1
expect_exit 0 xc-verify --home "$B" --import a2.card
is "$(cat "$ERR")" "@alice: rotated to card 2 (contact)" "card 2 taken"
must_fail 1 xc-verify --home "$B" --import a2x.card
like "$(cat "$ERR")" "EQUIVOCATION: @alice's identity key signed two different cards with one sequence number" \
    "a second card 2: equivocation"
ok "the pinned card stays" cmp -s a2.card "$B/contacts/alice/card"
echo 'from the fork' | xc-seal --home "$tmp/alice2" -r @bob -o fork.age || exit 1
expect_exit 0 xc-open --home "$B" fork.age
like "$(cat "$ERR")" "warning: fork\\.age: @alice's identity key signed two different cards with one sequence number \\(equivocation\\)" \
    "a letter carrying the fork: warned"
ok "... and the pinned card stays" cmp -s a2.card "$B/contacts/alice/card"

# ---- 1,000 strangers: the quarantine stays bounded, opening stays linear ----
n=1000 small=100
[ -n "${XC_SANITIZE:-}" ] && n=300 small=30	# ASan is ~10 times slower
mkdir many
i=0
while [ $i -lt $n ]; do
	h=$tmp/s/$i
	xc-keygen --home "$h" "@s$i" > /dev/null 2>&1 &&
	    echo "letter $i" | xc-seal --home "$h" -R bob.card \
	    -o "many/$i.age" 2> /dev/null ||
	    { echo "Bail out! stranger $i"; exit 255; }
	rm -rf "$h"
	i=$((i + 1))
done
ls many/*.age | sort -t/ -k2 -n > all
head -n "$small" all > few
tail -n 256 all > fill
# Two copies of bob's keyring: the same start for both runs, except that
# the small run starts with a full quarantine (256 others' cards), as the
# large run is for most of its letters: the two then compare the same
# steady state, each new stranger pruning a full quarantine.
cp -a "$B" "$tmp/b1"
cp -a "$B" "$tmp/b2"
xc-open --home "$tmp/b1" --json < fill > /dev/null 2>&1
# CPU time (user + system, from time(1)): on a shared machine wall time
# measures the neighbours too.
cpu_us() { awk '{ printf "%d", ($1 + $2) * 1000000 }' "$1"; }
t0=$(date +%s%N)
/usr/bin/time -f '%U %S' -o cpu1 xc-open --home "$tmp/b1" --json < few > few.json 2> /dev/null
st1=$?
t1=$(date +%s%N)
/usr/bin/time -f '%U %S' -o cpu2 xc-open --home "$tmp/b2" --json < all > all.json 2> /dev/null
st2=$?
t2=$(date +%s%N)
is "$st1|$st2|$(wc -l < all.json | tr -d ' ')|$(grep -c '"verification":"stranger","contact":null' all.json)" \
    "0|0|$n|$n" "$n letters from $n strangers: all open, all strangers"
per1=$(( (t1 - t0) / small / 1000 )) per2=$(( (t2 - t1) / n / 1000 ))
cpu1=$(( $(cpu_us cpu1) / small )) cpu2=$(( $(cpu_us cpu2) / n ))
diag "$small strangers: $per1 us per letter ($cpu1 us CPU); $n strangers: $per2 us per letter ($cpu2 us CPU)"
if [ -n "${XC_SANITIZE:-}" ]; then
	skip 1 "timing means little under the sanitizers"
else
	ok "per-letter CPU time with $n strangers < 3 x with $small ($cpu2 vs $cpu1 us)" \
	    test "$cpu2" -lt $((3 * cpu1))
fi
is "$(ls "$tmp/b2/strangers" | wc -l | tr -d ' ')" 256 "the quarantine holds at most 256 cards"
ok "the newest strangers are the ones kept" sh -c \
    "xc-verify --home '$tmp/b2' --strangers | grep -q '	@s$((n - 1))	'"
is "$(xc-verify --home "$tmp/b2" --contacts | sort)" "$(contacts)" "and no contact came from them"
# A card unseen for 30 days leaves the quarantine.
XC_TEST_NOW=+$((31 * 86400)) xc-verify --home "$tmp/b2" --strangers > old.txt
is "$(wc -l < old.txt | tr -d ' ')|$(ls "$tmp/b2/strangers" | wc -l | tr -d ' ')" "0|0" \
    "31 days later the quarantine is empty"

done_testing
