#!/bin/sh
# 0700-identity: handles, own identities in the keyring and their cards
# (xc-keygen @HANDLE, --card, --list, --home), xc-verify on card files and
# on the published vectors in t/vectors/card, and the real age opening a
# file sealed to a card's recipient with the keyring's age key file.
# shellcheck source=t/lib.sh
. "$(dirname "$0")/lib.sh"

plan 52

mode() { stat -c %a "$1"; }
ids=$XC_HOME/ids

# A new identity: card on stdout, fingerprint on stderr, files and modes.
expect_exit 0 xc-keygen @Alice
cp "$OUT" alice.card
like "$(head -n 1 alice.card)" '^xc-card-v1 [A-Za-z0-9+/]{43} [A-Za-z0-9+/]{86}$' "card line 1"
like "$(sed -n 2p alice.card)" '^\{"v":1,"handle":"alice",' "card JSON names the folded handle"
is "$(wc -l < alice.card | tr -d ' ')" 2 "a card is two lines"
like "$(cat "$ERR")" '^Fingerprint of @alice: [0-9]{5}( [0-9]{5}){5}$' "fingerprint on stderr"
fp=$(sed 's/^Fingerprint of @alice: //' "$ERR")
is "$(mode "$ids")$(mode "$ids/alice")" 700700 "keyring directories are 0700"
is "$(mode "$ids/alice/identity.key") $(mode "$ids/alice/enc-1.key")" "600 600" "secret files are 0600"
is "$(mode "$ids/alice/card")" 644 "the card is public"
like "$(grep -v '^#' "$ids/alice/identity.key")" '^XC-IDENTITY-KEY-1[02-9AC-HJ-NP-Z]+$' "identity key is bech32"
ok "no temporary files left" sh -c "! ls -A '$ids/alice' | grep -q tmp"

# xc-verify: the card is good.
expect_exit 0 xc-verify alice.card
is "$(cat "$OUT")" "alice.card: @alice seq 1 fingerprint $fp" "xc-verify prints the fingerprint"
expect_exit 0 xc-verify -q - < alice.card
is "$(cat "$OUT")" "" "-q prints nothing"

# One identity per handle: a second is refused and changes nothing.
sums=$(cat "$ids"/alice/* | cksum)
must_fail 4 xc-keygen @alice
must_fail 4 xc-keygen @ALICE
is "$(cat "$ids"/alice/* | cksum)" "$sums" "the existing identity is untouched"
is "$(cat "$OUT")" "" "nothing on stdout"

# Handles: '@' optional, 1-32 of [a-z0-9_].
must_fail 2 xc-keygen @
must_fail 2 xc-keygen @a-b
must_fail 2 xc-keygen "@a b"
must_fail 2 xc-keygen @abcdefghijklmnopqrstuvwxyz0123456
expect_exit 0 xc-keygen abcdefghijklmnopqrstuvwxyz012345
is "$(ls "$ids" | sort | tr '\n' ' ')" "abcdefghijklmnopqrstuvwxyz012345 alice " "only the valid handles were made"

# --card and --list.
expect_exit 0 xc-keygen --card
ok "--card of the default identity, the first one made" cmp -s "$OUT" alice.card
expect_exit 0 xc-keygen --card @alice
ok "--card prints the same card" cmp -s "$OUT" alice.card
expect_exit 0 xc-keygen --list
like "$(cat "$OUT")" "^@alice	$fp	seq 1	expires [0-9]{4}-[0-9]{2}-[0-9]{2}	default\$" "--list line, the default marked"
must_fail 4 xc-keygen --card @nobody

# --home overrides XC_HOME; an empty home has no card to print.
expect_exit 0 xc-keygen --home h2 @bob
ok "--home made the identity there" test -f h2/ids/bob/card
is "$(mode h2)" 700 "a new home is made 0700"
must_fail 4 xc-keygen --home empty --card
must_fail 2 xc-keygen --home h2 --age

# The encryption key is an age identity file: the real age and xc-open use it.
rcpt=$(sed -n 2p alice.card | grep -o 'age1[a-z0-9]*')
printf 'to alice\n' > msg
age -e -r "$rcpt" -o msg.age msg
expect_exit 0 age -d -i "$ids/alice/enc-1.key" msg.age
is "$(cat "$OUT")" "to alice" "age opens a file sealed to the card's recipient"
expect_exit 0 xc-open --raw -i "$ids/alice/enc-1.key" msg.age
is "$(cat "$OUT")" "to alice" "xc-open opens it with the keyring's key file"

# Bad cards: a flipped signature byte, a truncation, a missing file.
python3 -c "
import sys
b = bytearray(open('alice.card', 'rb').read())
b[80] = ord('A') if b[80] != ord('A') else ord('B')	# inside the signature
sys.stdout.buffer.write(b)" > swapped.card
must_fail 1 xc-verify swapped.card
head -c 200 alice.card > short.card
must_fail 3 xc-verify short.card
must_fail 4 xc-verify nonexistent.card
expect_exit 3 xc-verify short.card alice.card
is "$(cat "$OUT")" "alice.card: @alice seq 1 fingerprint $fp" "every card is checked; status of the first failure"

# Two identities for one handle given in order: not a chain.
xc-keygen --home h3 @alice > other.card 2>/dev/null
must_fail 1 xc-verify alice.card other.card

# Concurrent creators of one handle: exactly one wins, the loser changes nothing.
i=0
while [ $i -lt 8 ]; do
	xc-keygen @carol > "c$i.out" 2>/dev/null &
	i=$((i + 1))
done
wait
is "$(for f in c?.out; do [ -s "$f" ] && echo x; done | wc -l | tr -d ' ')" 1 "8 concurrent creations: one card printed"
ok "the winner's card is the keyring's" sh -c "cat c?.out | cmp -s - '$ids/carol/card'"
is "$(ls "$ids/carol" | tr '\n' ' ')" "card card-1 enc-1.key identity.key " "and the identity is whole"

# A full disk at each write of a new identity: exit 4 with the cause, and
# no half identity left behind; then the handle can be made.
if strace -o /dev/null true 2>/dev/null; then
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
	export ASAN_OPTIONS	# LeakSanitizer cannot run under ptrace
	bad=0
	for n in 1 2 3 4; do
		strace -f -o /dev/null -e trace=write \
		    -e inject=write:error=ENOSPC:when=$n \
		    xc-keygen --home full @dana > /dev/null 2> err
		st=$?
		if [ $st -ne 4 ] || ! grep -q 'No space left on device' err ||
		    [ -e full/ids/dana ]; then
			bad=$((bad + 1))
			diag "write $n: exit $st, $(cat err), $(ls full/ids 2>&1)"
		fi
	done
	is "$bad" 0 "ENOSPC at each of 4 writes: exit 4, nothing left"
	expect_exit 0 xc-keygen --home full @dana
else
	skip 2 "strace cannot trace here"
fi

# The published card vectors: each verdict maps to an exit status.
vectors=$root/t/vectors/card
if [ -f "$vectors/MANIFEST" ]; then
	bad=0 n=0
	while read -r name verdict extra; do
		case $name in ''|'#'*) continue ;; esac
		case $verdict in
		ok) want=0 ;; sig|expired|chain) want=1 ;; card) want=3 ;;
		*) want=99 ;;
		esac
		prev=
		case $extra in prev=*) prev=$vectors/${extra#prev=} ;; esac
		# shellcheck disable=SC2086 # $prev is empty or one path
		xc-verify -q $prev "$vectors/$name" >/dev/null 2>&1
		got=$?
		n=$((n + 1))
		if [ "$got" -ne "$want" ]; then
			bad=$((bad + 1))
			diag "$name: verdict $verdict wants exit $want, got $got"
		fi
	done < "$vectors/MANIFEST"
	is "$bad" 0 "card vectors: $n files, each with its documented exit status"
else
	skip 1 "no card vectors yet"
fi

done_testing
