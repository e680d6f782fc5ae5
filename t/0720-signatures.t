#!/bin/sh
# 0720-signatures: detached signatures in minisign's format made with an
# identity key (xc-seal --sign), checked by the real minisign with the key
# from xc-keygen --minisign and by xc-verify -m/-x against contacts.
# shellcheck source=t/lib.sh
. "$(dirname "$0")/lib.sh"

plan 35

A=$tmp/alice B=$tmp/bob
xc-keygen --home "$A" @alice > alice.card 2>/dev/null || exit 1
xc-keygen --home "$B" @bob > bob.card 2>/dev/null || exit 1
xc-verify --home "$B" --import alice.card > /dev/null || exit 1
head -c 100000 /dev/urandom > release.tar

# The public key, as minisign writes them.
expect_exit 0 xc-keygen --home "$A" --minisign
cp "$OUT" alice.pub
like "$(head -n 1 alice.pub)" '^untrusted comment: minisign public key [0-9A-F]{16} of xc identity @alice$' "public key comment"
like "$(sed -n 2p alice.pub)" '^RW[A-Za-z0-9+/]{54}$' "public key line (Ed, key id, key)"

# Sign; the real minisign verifies.
expect_exit 0 xc-seal --home "$A" --sign release.tar
ok "the signature is FILE.minisig" test -s release.tar.minisig
like "$(sed -n 3p release.tar.minisig)" '^trusted comment: timestamp:[0-9]+	file:release.tar	hashed	xc:@alice$' "trusted comment names the file and the handle"
like "$(sed -n 2p release.tar.minisig)" '^RU[A-Za-z0-9+/]{97}=$' "pre-hashed (ED) signature"
expect_exit 0 minisign -Vm release.tar -p alice.pub
like "$(cat "$OUT")" '^Signature and comment signature verified$' "minisign accepts it"
expect_exit 0 xc-verify --home "$B" -m release.tar -x release.tar.minisig
is "$(sed -n 3p "$OUT")" "Signed by @alice (contact)" "xc-verify names the contact and its state"
expect_exit 0 xc-verify --home "$A" -q -m release.tar -x release.tar.minisig -r @alice
is "$(cat "$OUT")" "" "-q: nothing on stdout"

# A changed byte: both refuse.
cp release.tar changed.tar
printf 'x' | dd of=changed.tar bs=1 seek=5000 conv=notrunc 2>/dev/null
cp release.tar.minisig changed.tar.minisig
expect_exit 1 minisign -Vm changed.tar -p alice.pub
must_fail 1 xc-verify --home "$B" -m changed.tar -x changed.tar.minisig
# A changed trusted comment: the global signature catches it.
sed '3s/file:release.tar/file:other.tar/' release.tar.minisig > forged.minisig
must_fail 1 xc-verify --home "$B" -m release.tar -x forged.minisig

# Who signed: an unknown key, the wrong contact, a changed contact.
must_fail 1 xc-verify --home "$tmp/empty" -m release.tar -x release.tar.minisig
must_fail 1 xc-verify --home "$B" -m release.tar -x release.tar.minisig -r @bob
must_fail 2 xc-verify --home "$B" -m release.tar -x release.tar.minisig -r @no-such
xc-keygen --home "$tmp/m" @alice > mallory.card 2>/dev/null || exit 1
xc-verify --home "$B" --import mallory.card > /dev/null 2>&1
must_fail 1 xc-verify --home "$B" -m release.tar -x release.tar.minisig

# Not a signature; missing files.
printf 'hello\n' > junk.minisig
must_fail 3 xc-verify --home "$A" -m release.tar -x junk.minisig
must_fail 4 xc-verify --home "$A" -m nope.tar -x release.tar.minisig
expect_exit 0 xc-verify --home "$A" -m release.tar
like "$(cat "$OUT")" '^Signed by @alice ' "-m FILE without -x: FILE.minisig, as minisign -V"
must_fail 2 xc-verify --home "$A" -m - < release.tar
must_fail 4 xc-verify --home "$A" -m nope.tar
like "$(cat "$ERR")" "^xc-verify: error: cannot open 'nope\\.tar\\.minisig'" "... named when it is missing"
sed '2s/^RU/RW/' release.tar.minisig > legacy.minisig	# "Ed": unhashed
must_fail 3 xc-verify --home "$tmp/empty" -m release.tar -x legacy.minisig
must_fail 2 xc-seal --home "$A" --sign -
must_fail 4 xc-seal --home "$A" --sign no-such-file
is_file_absent no-such-file.minisig

# -o, and a passphrase-protected identity.
printf 'pw one\n' > pw && chmod 600 pw
printf 'pw two\n' > bad && chmod 600 bad
xc-keygen --home "$tmp/p" --passphrase-file pw @carol > /dev/null 2>&1 || exit 1
must_fail 1 xc-seal --home "$tmp/p" --passphrase-file bad -o c.sig --sign release.tar
is_file_absent c.sig
expect_exit 0 xc-seal --home "$tmp/p" --passphrase-file pw -o c.sig --sign release.tar
xc-keygen --home "$tmp/p" --minisign > carol.pub
expect_exit 0 minisign -Vm release.tar -x c.sig -p carol.pub

done_testing
