#!/bin/sh
# 0710-contacts: two keyrings exchange cards (xc-verify --import), compare
# safety numbers, follow rotations (with gaps), refuse another identity key
# for a pinned handle until --accept names its fingerprint; rotations are
# chained and serialised; secret files open to others, symlinked or
# passphrase-protected behave.
# shellcheck source=t/lib.sh
. "$(dirname "$0")/lib.sh"

plan 63

A=$tmp/alice B=$tmp/bob M=$tmp/mallory
xc-keygen --home "$A" @alice > alice.card 2>/dev/null || exit 1
xc-keygen --home "$B" @bob > bob.card 2>/dev/null || exit 1

# Exchange: the user's import pins the card.
expect_exit 0 xc-verify --home "$A" --import bob.card
like "$(cat "$ERR")" '^@bob: new contact, fingerprint [0-9]{5}( [0-9]{5}){5}$' "alice pins bob"
expect_exit 0 xc-verify --home "$B" --import alice.card
expect_exit 0 xc-verify --home "$A" --import bob.card
is "$(cat "$ERR")" "@bob: unchanged (contact)" "the same card again changes nothing"

# Safety numbers: the same 12 groups on both sides.
expect_exit 0 xc-verify --home "$A" --fingerprint @bob
sa=$(cat "$OUT")
must_fail 4 xc-verify --home "$B" --fingerprint @nobody
expect_exit 0 xc-verify --home "$B" --fingerprint @alice
is "$(cat "$OUT")" "$sa" "both sides compute the same safety number"
like "$sa" '^[0-9]{5}( [0-9]{5}){11}$' "12 groups of 5 digits"

# Mark verified after comparing.
expect_exit 0 xc-verify --home "$A" --mark-verified @bob
expect_exit 0 xc-verify --home "$A" --contacts
like "$(cat "$OUT")" '^@bob	verified	[0-9 ]{35}	seq 1	expires ' "--contacts shows the state"

# Rotation: a chained card signed by the pinned key imports cleanly and
# keeps the state; the old card is then a replay.
expect_exit 0 xc-keygen --home "$B" --rotate
cp "$OUT" bob2.card
expect_exit 0 xc-verify bob.card bob2.card
expect_exit 0 xc-verify --home "$A" --import bob2.card
is "$(cat "$ERR")" "@bob: rotated to card 2 (verified)" "rotation accepted, still verified"
must_fail 1 xc-verify --home "$A" --import bob.card
xc-keygen --home "$B" --rotate > bob3.card || exit 1
xc-keygen --home "$B" --rotate > bob4.card || exit 1
# A later card signed by the pinned key is taken with gaps (3 was missed).
expect_exit 0 xc-verify --home "$A" --import bob4.card
is "$(cat "$ERR")" "@bob: rotated to card 4 (verified)" "a gap: card 4 after card 2"
must_fail 1 xc-verify --home "$A" --import bob3.card
like "$(cat "$ERR")" "older than the pinned card" "card 3 after card 4: older"

# Another identity key for @bob: refused loudly, named, kept pending.
xc-keygen --home "$M" @bob > mallory.card 2>/dev/null || exit 1
must_fail 1 xc-verify --home "$A" --import mallory.card
like "$(cat "$ERR")" 'THE IDENTITY KEY OF @bob HAS CHANGED' "the refusal is loud"
like "$(cat "$ERR")" '^xc-verify: error: pinned:  [0-9 ]{35}$' "it names the pinned fingerprint"
like "$(cat "$ERR")" '^xc-verify: error: offered: [0-9 ]{35}$' "and the offered one"
ok "the pinned card is still bob's" cmp -s "$A/contacts/bob/card" bob4.card
expect_exit 0 xc-verify --home "$A" --contacts
like "$(cat "$OUT")" '^@bob	changed	' "the contact is marked changed"
must_fail 1 xc-verify --home "$A" --mark-verified @bob
must_fail 1 xc-verify --home "$A" --fingerprint @bob
must_fail 1 xc-verify --home "$A" --import mallory.card
mfp=$(xc-verify mallory.card | sed 's/.*fingerprint //')
bfp=$(xc-verify bob4.card | sed 's/.*fingerprint //')
must_fail 2 xc-verify --home "$A" --accept @bob
must_fail 1 xc-verify --home "$A" --accept @bob "$bfp"
like "$(cat "$ERR")" "is not the fingerprint of the offered key" "--accept with the pinned key's fingerprint: refused"
ok "a wrong fingerprint changes nothing" cmp -s "$A/contacts/bob/card" bob4.card
expect_exit 0 xc-verify --home "$A" --accept @bob "$mfp"
is "$(cat "$ERR")" "@bob: changed -> contact, accepting fingerprint $mfp (was $bfp)" "--accept says what it does"
ok "--accept pins the offered card" cmp -s "$A/contacts/bob/card" mallory.card
expect_exit 0 xc-verify --home "$A" --contacts
like "$(cat "$OUT")" '^@bob	contact	' "back to contact, not verified"
must_fail 4 xc-verify --home "$A" --accept @bob "$mfp"

# Usage.
must_fail 2 xc-keygen --home "$A" --rotate --grace -1
must_fail 2 xc-keygen --home "$A" --rotate --grace 3651
must_fail 2 xc-keygen --home "$A" --rotate --grace x
must_fail 2 xc-keygen --home "$A" --grace 3 --list
must_fail 2 xc-verify --home "$A" --import
must_fail 2 xc-verify --home "$A" --contacts --import bob.card
must_fail 2 xc-verify --home "$A" --fingerprint @bad-handle
must_fail 2 xc-verify --home "$A" bob.card

# Two concurrent rotations: both succeed, one after the other, and the
# chain stays whole.
xc-keygen --home "$A" --rotate > r1.card &
xc-keygen --home "$A" --rotate > r2.card &
wait
ok "both rotations printed a card" test -s r1.card -a -s r2.card
expect_exit 0 xc-verify "$A"/ids/alice/card-1 "$A"/ids/alice/card-2 "$A"/ids/alice/card-3
ok "the current card is the last of the chain" cmp -s "$A/ids/alice/card" "$A/ids/alice/card-3"

# Secret files: open to others, or a symlink, are refused.
chmod 640 "$A/ids/alice/identity.key"
must_fail 4 xc-keygen --home "$A" --rotate
chmod 600 "$A/ids/alice/identity.key"
mv "$A/ids/alice/identity.key" "$A/ids/alice/real.key"
ln -s real.key "$A/ids/alice/identity.key"
must_fail 4 xc-keygen --home "$A" --rotate

# A passphrase-protected identity: encrypted on disk, useless without it.
printf 'correct horse\n' > pw && chmod 600 pw
printf 'wrong horse\n' > bad && chmod 600 bad
expect_exit 0 xc-keygen --home "$tmp/p" --passphrase-file pw @carol
ok "no plaintext secret on disk" sh -c "! grep -rqs -e 'SECRET-KEY' -e 'IDENTITY-KEY' '$tmp/p'"
must_fail 1 xc-keygen --home "$tmp/p" --rotate --passphrase-file bad
must_fail 4 setsid -w xc-keygen --home "$tmp/p" --rotate </dev/null
expect_exit 0 xc-keygen --home "$tmp/p" --rotate --passphrase-file pw
ok "still no plaintext secret on disk" sh -c "! grep -rqs -e 'SECRET-KEY' -e 'IDENTITY-KEY' '$tmp/p'"

# Debris of a rotation that died before its commit is cleared.
printf 'junk\n' > "$tmp/p/ids/carol/card-3"
printf 'junk\n' > "$tmp/p/ids/carol/enc-3.key"
expect_exit 0 xc-keygen --home "$tmp/p" --rotate --passphrase-file pw
expect_exit 0 xc-verify "$tmp/p"/ids/carol/card-1 "$tmp/p"/ids/carol/card-2 "$tmp/p"/ids/carol/card-3

done_testing
