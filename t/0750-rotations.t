#!/bin/sh
# 0750-rotations: key upkeep that cannot lose mail (TESTPLAN T05, T06).
# A contact who missed rotations gets the sender's current card in a
# letter, even after its own copy expired, and seals to it; retired keys
# are found from the chain and wiped after the grace period by every
# program that loads keys, also after a rotation killed at any syscall;
# tag bits and the grace period are chosen and kept; cards near expiry
# warn once a day; xc-keygen --rotate --older-than keeps two keyrings
# writing to each other for 400 simulated days (XC_TEST_NOW, xc(7)); and
# xc-keygen --chain exports the whole chain.
# shellcheck source=t/lib.sh
. "$(dirname "$0")/lib.sh"

plan 82

A=$tmp/alice B=$tmp/bob C=$tmp/carol
day=86400
xc-keygen --home "$A" @alice > alice.card 2>/dev/null || exit 1
xc-keygen --home "$B" @bob > bob.card 2>/dev/null || exit 1
xc-keygen --home "$C" @carol > carol.card 2>/dev/null || exit 1
for h in "$B" "$C"; do
	xc-verify -q --home "$h" --import alice.card > /dev/null || exit 1
done
xc-verify -q --home "$A" --import bob.card carol.card > /dev/null || exit 1
encs() { (cd "$1/ids/$2" && ls enc-*.key | tr '\n' ' '); }
recipient() { sed -n 2p "$1" | grep -o 'age1[a-z0-9]*'; }

# ---- T05: bob missed rotations 2 and 3; a letter brings card 4 ----
for n in 2 3 4; do
	xc-keygen --home "$A" --rotate --grace 0 > "alice$n.card" 2>/dev/null || exit 1
done
is "$(encs "$A" alice)" "enc-4.key " "grace 0: the retired keys 1-3 are wiped"
# What bob would do without the letter: seal to card 1, whose key is gone.
echo lost | xc-seal --home "$B" -r @alice -o lost.age || exit 1
must_fail 1 xc-open --home "$A" lost.age
echo 'alice here, card 4' | xc-seal --home "$A" -r @bob -o a4.age || exit 1
expect_exit 0 xc-open --home "$B" a4.age
like "$(cat "$ERR")" "^xc-open: a4\\.age: @alice's card follows a rotation: seq 4, was 1\$" \
    "the letter's card 4 replaces card 1 (with a gap)"
ok "bob's copy is card 4" cmp -s alice4.card "$B/contacts/alice/card"
like "$(xc-verify --home "$B" --contacts)" '^@alice	contact	' "still a contact, trust unchanged"
echo 'bob to alice' | xc-seal --home "$B" -r @alice -o b4.age || exit 1
expect_exit 0 age -d -i "$A/ids/alice/enc-4.key" -o /dev/null b4.age
expect_exit 0 xc-open --home "$A" b4.age
is "$(cat "$OUT")" "bob to alice" "bob's next letter goes to card 4's key and opens"

# A letter refused for its level still brings the card (a rotation is no
# trust change): alice rotates, bob refuses her letter, and has card 5.
xc-keygen --home "$A" --rotate > alice5.card 2>/dev/null || exit 1
echo 'low' | xc-seal --home "$A" -r @bob --level 1 -o low.age 2>/dev/null || exit 1
must_fail 1 xc-open --home "$B" --min-level 2 low.age
ok "the refused letter's card 5 was taken" cmp -s alice5.card "$B/contacts/alice/card"

# The same after carol's copy (card 1) has expired: 100 days on.  carol
# rotated on day 50 (alice imported that card), alice rotates on day 100.
now0=$(date +%s)
later=$((now0 + 100 * day))
XC_TEST_NOW=$((now0 + 50 * day)) xc-keygen --home "$C" --rotate > carol2.card 2>/dev/null || exit 1
XC_TEST_NOW=$((now0 + 50 * day)) xc-verify -q --home "$A" --import carol2.card > /dev/null || exit 1
XC_TEST_NOW=$later xc-keygen --home "$A" --rotate > alice6.card 2>/dev/null || exit 1
XC_TEST_NOW=$later must_fail 1 xc-seal --home "$C" -r @alice -o x.age < /dev/null
like "$(cat "$ERR")" '^xc-seal: error: the card of @alice has expired$' "carol's copy expired: refused"
like "$(cat "$ERR")" 'hint: @alice renews it with xc-keygen --rotate; a letter from them brings the new card' \
    "the hint names the command that helps (not --card)"
echo 'card 6' | XC_TEST_NOW=$later xc-seal --home "$A" -r @carol -o a6.age 2>/dev/null || exit 1
XC_TEST_NOW=$later expect_exit 0 xc-open --home "$C" a6.age
like "$(cat "$ERR")" "card follows a rotation: seq 6, was 1" "the expired copy is replaced by card 6"
echo 'carol to alice' | XC_TEST_NOW=$later xc-seal --home "$C" -r @alice -o c6.age 2>/dev/null || exit 1
XC_TEST_NOW=$later expect_exit 0 xc-open --home "$A" c6.age
is "$(cat "$OUT")" "carol to alice" "carol's letter to card 6 opens"

# ---- retired keys: found from the chain, wiped by every program ----
# bob rotates with a grace of 2 days; after it, each program that loads
# keys wipes enc-1.key.
xc-keygen --home "$B" --rotate --grace 2 > bob2.card 2>/dev/null || exit 1
is "$(encs "$B" bob)" "enc-1.key enc-2.key " "within the grace: both keys"
ok "the grace is recorded" test "$(cat "$B/ids/bob/grace")" = 172800
for prog in seal open fetch; do
	cp -a "$B" "$tmp/b-$prog"
done
echo x | xc-seal --home "$B" -r @alice -o g.age 2>/dev/null || exit 1
XC_TEST_NOW=+$((3 * day)) xc-seal --home "$tmp/b-seal" -r @alice -o /dev/null < /dev/null 2>/dev/null
XC_TEST_NOW=+$((3 * day)) xc-open --home "$tmp/b-open" lost.age > /dev/null 2>&1
echo x | xc-seal --home "$A" -r @bob | xc-send --home "$A" --spool "$tmp/spool" > /dev/null || exit 1
XC_TEST_NOW=+$((3 * day)) xc-fetch --home "$tmp/b-fetch" --spool "$tmp/spool" > /dev/null 2>&1
is "$(encs "$tmp/b-seal" bob)|$(encs "$tmp/b-open" bob)|$(encs "$tmp/b-fetch" bob)" \
    "enc-2.key |enc-2.key |enc-2.key " "after the grace, xc-seal, xc-open and xc-fetch each wipe enc-1.key"
XC_TEST_NOW=+$day xc-open --home "$B" lost.age > /dev/null 2>&1
is "$(encs "$B" bob)" "enc-1.key enc-2.key " "within the grace nothing is wiped"
# The grace is remembered by the next rotation.
xc-keygen --home "$B" --rotate > bob3.card 2>/dev/null || exit 1
XC_TEST_NOW=+$((day + 3600)) xc-open --home "$B" lost.age > /dev/null 2>&1
is "$(encs "$B" bob)" "enc-1.key enc-2.key enc-3.key " "the remembered grace (2 days) still holds"
XC_TEST_NOW=+$((2 * day + 3600)) xc-open --home "$B" lost.age > /dev/null 2>&1
is "$(encs "$B" bob)" "enc-3.key " "2 days on, both retired keys are gone"
# A rotation that died before its commit left a key and a temp file:
# debris, wiped by the next sweep.
printf 'AGE-SECRET-KEY-1DEBRIS\n' > "$B/ids/bob/enc-4.key"
printf 'secret\n' > "$B/ids/bob/.tmp-0123456789abcdef"
chmod 600 "$B/ids/bob/enc-4.key" "$B/ids/bob/.tmp-0123456789abcdef"
xc-open --home "$B" lost.age > /dev/null 2>&1
is "$(ls -A "$B/ids/bob" | grep -c -e '^enc-4' -e '^\.tmp-')" 0 "debris of a dead rotation: wiped"

# ---- T06: a rotation killed (SIGKILL) at every syscall from its lock on ----
if strace -o /dev/null true 2>/dev/null; then
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
	export ASAN_OPTIONS	# LeakSanitizer cannot run under ptrace
	K=$tmp/k
	xc-keygen --home "$K" @kim > /dev/null 2>&1 || exit 1
	xc-keygen --home "$tmp/sender" @sam > /dev/null 2>&1 || exit 1
	cp -a "$K" "$tmp/probe"
	strace -f -qq -o probe.tr xc-keygen --home "$tmp/probe" --rotate > /dev/null 2>&1
	# "NAME N" for every syscall from the first flock: the N-th call of
	# NAME in the whole run (what strace's when=N counts).
	python3 - probe.tr > events <<'PY'
import re, sys
seen, on = {}, False
for line in open(sys.argv[1]):
    m = re.match(r'\d+\s+(\w+)\(', line)
    if not m:
        continue
    name = m.group(1)
    seen[name] = seen.get(name, 0) + 1
    on = on or name == 'flock'
    if on and name != 'exit_group':
        print(name, seen[name])
PY
	kills=0 bad=0 committed=0
	while read -r name nth; do
		R=$tmp/r
		rm -rf "$R" "$tmp/s" && cp -a "$K" "$R" && cp -a "$tmp/sender" "$tmp/s"
		strace -f -qq -o /dev/null -e inject="$name":signal=KILL:when="$nth" \
		    xc-keygen --home "$R" --rotate > /dev/null 2>&1
		[ $? -eq 137 ] && kills=$((kills + 1))
		seq=$(xc-keygen --home "$R" --card | sed -n 's/.*"seq":\([0-9]*\).*/\1/p')
		[ "$seq" = 2 ] && committed=$((committed + 1))
		echo "mail after $name $nth" | xc-seal --home "$tmp/s" \
		    -R "$R/ids/kim/card" -o m.age 2> /dev/null
		got=$(XC_TEST_NOW=+$((8 * day)) xc-open --home "$R" m.age 2>/dev/null)
		left=$(cd "$R/ids/kim" && ls -A | grep -e '^enc-' -e '^\.tmp-' | tr '\n' ' ')
		if [ "$got" != "mail after $name $nth" ] ||
		    [ "$left" != "enc-$seq.key " ]; then
			bad=$((bad + 1))
			[ "$bad" -le 3 ] && diag "killed at $name #$nth: seq $seq, left '$left', open: $got"
		fi
	done < events
	diag "rotation killed at $(wc -l < events | tr -d ' ') syscalls ($kills SIGKILLs, $committed after the commit)"
	ok "a SIGKILL landed at every syscall" test "$kills" -eq "$(wc -l < events)" -a "$kills" -gt 20
	ok "some kills came after the commit" test "$committed" -gt 5
	is "$bad" 0 "after the grace: only the current key on disk, no temp file, and mail opens"
else
	skip 3 "strace cannot trace here"
fi

# ---- tag bits: chosen, kept across rotations, changed on request ----
xc-keygen --home "$tmp/t" --tag-bits 4 @tim > tim1.card 2>/dev/null || exit 1
like "$(sed -n 2p tim1.card)" '"tag_bits":4,' "--tag-bits 4 on the first card"
xc-keygen --home "$tmp/t" --rotate > tim2.card 2>/dev/null || exit 1
like "$(sed -n 2p tim2.card)" '"tag_bits":4,' "kept by --rotate"
xc-keygen --home "$tmp/t" --rotate --tag-bits 16 > tim3.card 2>/dev/null || exit 1
like "$(sed -n 2p tim3.card)" '"tag_bits":16,' "--rotate --tag-bits 16 changes it"
xc-keygen --home "$tmp/t" --rotate --tag-bits 0 > tim4.card 2>/dev/null || exit 1
like "$(sed -n 2p tim4.card)" '"tag_bits":0,' "0 bits: one bucket for all"
for bad in 17 -1 x '' 4.5; do
	must_fail 2 xc-keygen --home "$tmp/t" --rotate --tag-bits "$bad"
done
must_fail 2 xc-keygen --home "$tmp/t" --tag-bits 4 --card
must_fail 2 xc-keygen --home "$tmp/t" --older-than 3 --list
# A tag-bits-4 recipient gets mail through a spool.
xc-verify -q --home "$A" --import tim4.card > /dev/null || exit 1
echo 'to tim' | xc-seal --home "$A" -r @tim | xc-send --home "$A" --spool "$tmp/sp" > /dev/null || exit 1
expect_exit 0 xc-fetch --home "$tmp/t" --spool "$tmp/sp"
is "$(wc -l < "$OUT" | tr -d ' ')" 1 "xc-fetch finds the letter to a 0-bit card"

# ---- --older-than: rotate only what is due ----
before=$(cat "$A/ids/alice/card")
expect_exit 0 xc-keygen --home "$A" --rotate --older-than 30
is "$(cat "$OUT")|$(cat "$A/ids/alice/card")" "|$before" "not due: nothing printed, nothing changed"
XC_TEST_NOW=$((later + 31 * day)) expect_exit 0 xc-keygen --home "$A" --rotate --older-than 30
like "$(sed -n 2p "$OUT")" '"seq":7,' "due: the next card on stdout"
xc-keygen --home "$tmp/two" @one > /dev/null 2>&1 || exit 1
xc-keygen --home "$tmp/two" @two > /dev/null 2>&1 || exit 1
XC_TEST_NOW=+$((31 * day)) expect_exit 0 xc-keygen --home "$tmp/two" --rotate --older-than 30
is "$(grep -c '^xc-card-v1 ' "$OUT")" 2 "without @HANDLE, every identity that is due"
must_fail 2 xc-keygen --home "$tmp/two" --rotate --older-than x
rm "$tmp/two/ids/.default"	# as a keyring made before default identities
must_fail 2 xc-keygen --home "$tmp/two" --rotate
like "$(cat "$ERR")" 'several identities and no default: name one' "--rotate without --older-than names one"

# ---- cards near expiry: a warning, at most once a day per card ----
W=$tmp/w X=$tmp/x
xc-keygen --home "$W" @wes > wes.card 2>/dev/null || exit 1
xc-keygen --home "$X" @xena > xena.card 2>/dev/null || exit 1
xc-verify -q --home "$W" --import xena.card > /dev/null || exit 1
xc-verify -q --home "$X" --import wes.card > /dev/null || exit 1
exp=$(sed -n 's/.*"expires":\([0-9]*\).*/\1/p' wes.card)
xexp=$(sed -n 's/.*"expires":\([0-9]*\).*/\1/p' xena.card)
when=$(date -u -d "@$exp" +%Y-%m-%d)
xwhen=$(date -u -d "@$xexp" +%Y-%m-%d)
# wes's card is the later one: "in N days" holds for both.
XC_TEST_NOW=$((exp - 15 * day)) expect_exit 0 xc-seal --home "$W" -r @xena -o w1.age < /dev/null
is "$(cat "$ERR")" "" "15 days before: no warning"
XC_TEST_NOW=$((exp - 14 * day)) expect_exit 0 xc-seal --home "$W" -r @xena -o w2.age < /dev/null
is "$(cat "$ERR")" "xc-seal: warning: your card @wes expires on $when (in 14 days)
xc-seal: hint: renew it: xc-keygen --rotate @wes (from cron: xc-keygen --rotate --older-than 30)
xc-seal: warning: the card of @xena expires on $xwhen (in 14 days)
xc-seal: hint: @xena renews it with xc-keygen --rotate; their next letter brings the new card" \
    "14 days before: a warning for each card, with the command that renews"
XC_TEST_NOW=$((exp - 14 * day + 3600)) expect_exit 0 xc-seal --home "$W" -r @xena -o w3.age < /dev/null
is "$(cat "$ERR")" "" "an hour later: not again"
XC_TEST_NOW=$((exp - 13 * day)) expect_exit 0 xc-seal --home "$W" -r @xena -o w4.age < /dev/null
like "$(cat "$ERR")" "^xc-seal: warning: your card @wes expires on $when \\(in 13 days\\)\$" "a day later: again"
XC_TEST_NOW=$((exp - 2 * day)) expect_exit 0 xc-open --home "$X" w4.age
like "$(cat "$ERR")" "^xc-open: warning: the card of @wes expires on $when \\(in 2 days\\)\$" \
    "a contact's card: xc-open warns"
like "$(cat "$ERR")" "^xc-open: hint: @wes renews it with xc-keygen --rotate" "... naming the command"
like "$(cat "$ERR")" "^xc-open: warning: your card @xena expires on $xwhen" "and of its own card"
XC_TEST_NOW=$((exp - 2 * day)) expect_exit 0 xc-seal --home "$X" -r @wes -o /dev/null < /dev/null
is "$(grep -c warning "$ERR")" 0 "the same cards, the same day: once"

# ---- 400 simulated days: renewal from a cron-like loop keeps mail flowing ----
R1=$tmp/r1 R2=$tmp/r2
xc-keygen --home "$R1" @ann > ann.card 2>/dev/null || exit 1
xc-keygen --home "$R2" @ben > ben.card 2>/dev/null || exit 1
xc-verify -q --home "$R1" --import ben.card > /dev/null || exit 1
xc-verify -q --home "$R2" --import ann.card > /dev/null || exit 1
start=$(date +%s)
d=0 fails=0 warned=0
while [ $d -le 400 ]; do
	XC_TEST_NOW=$((start + d * day))
	export XC_TEST_NOW
	for h in "$R1" "$R2"; do	# the crontab: daily
		xc-keygen --home "$h" --rotate --older-than 30 > /dev/null 2>> cron.err ||
		    fails=$((fails + 1))
	done
	if [ $((d % 3)) -eq 0 ]; then	# they write every three days
		echo "day $d" | xc-seal --home "$R1" -r @ben -o ab.age 2>> loop.err &&
		    [ "$(xc-open --home "$R2" ab.age 2>> loop.err)" = "day $d" ] &&
		    echo "re $d" | xc-seal --home "$R2" -r @ann -o ba.age 2>> loop.err &&
		    [ "$(xc-open --home "$R1" ba.age 2>> loop.err)" = "re $d" ] ||
		    { fails=$((fails + 1)); diag "day $d failed"; }
	fi
	d=$((d + 1))
done
unset XC_TEST_NOW
is "$fails" 0 "401 days of daily renewal and letters every 3 days: no failure"
is "$(grep -c warning loop.err cron.err | awk -F: '{s += $2} END {print s}')" 0 "and no expiry warning"
seq1=$(xc-keygen --home "$R1" --card | sed -n 's/.*"seq":\([0-9]*\).*/\1/p')
ok "ann rotated about every 30 days (card $seq1)" test "$seq1" -ge 13 -a "$seq1" -le 15
is "$(encs "$R1" ann)" "enc-$seq1.key " "and only her current key is on disk"
ok "ben's copy of ann's card is her current one" cmp -s "$R1/ids/ann/card" "$R2/contacts/ann/card"

# ---- --chain: the whole chain, verified and imported as one file ----
expect_exit 0 xc-keygen --home "$R1" --chain
cp "$OUT" chain.txt
is "$(grep -c '^xc-card-v1 ' chain.txt)" "$seq1" "--chain prints every card"
ok "the last card of the chain is the current one" sh -c \
    "tail -n 2 chain.txt | cmp -s - '$R1/ids/ann/card'"
XC_TEST_NOW=$((start + 400 * day)) expect_exit 0 xc-verify chain.txt
is "$(wc -l < "$OUT" | tr -d ' ')" "$seq1" "xc-verify checks each card of the chain"
XC_TEST_NOW=$((start + 400 * day)) expect_exit 0 xc-verify --home "$tmp/fresh" --import chain.txt
like "$(cat "$ERR")" "^@ann: new contact, fingerprint " "--import of a chain pins its last card"
ok "... the current one" cmp -s "$R1/ids/ann/card" "$tmp/fresh/contacts/ann/card"
sed '3,4d' chain.txt > gap.txt
XC_TEST_NOW=$((start + 400 * day)) must_fail 1 xc-verify gap.txt
like "$(cat "$ERR")" "'gap.txt' card 2: broken card chain" "a chain with a card missing: refused, the card named"
must_fail 2 xc-keygen --home "$R1" --chain --card
XC_TEST_NOW=$((start + 400 * day)) must_fail 1 xc-verify "$R1/ids/ann/card-1"
like "$(cat "$ERR")" "expired" "a card alone is checked against the clock"

done_testing
