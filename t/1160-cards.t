#!/bin/sh
# 1160-cards: cards on the network (xc-nntp(5), "Cards").  xc-keygen
# --publish posts an identity's chain to the cards group of two unpeered
# nodes (again: "it had it already"); xc-verify --lookup lists every
# identity key that claims a handle, with fingerprints, dates and servers,
# and imports nothing: a stranger stays one until --adopt, a stranger who
# claims a contact's handle is said not to be the one I know, and my own
# card is "you".  A rotation published later reaches a contact that looks
# it up (and a letter to it then uses the new key); a chain longer than an
# article holds is posted from its newest cards.  The node's filter
# refuses card articles that are not exactly chains of the Subject's
# handle (a bad signature, another handle, two keys, unchained, Expires
# after the card or past 30 days, junk, a crosspost, no proof-of-work); a
# hostile server's bad cards are left out and counted, its endless body
# ends in a clear error, and of its 20 made-up claimants 16 are kept aside.  Bad options: status 2; no card: 1; a
# server down: 5, the others still read.

# shellcheck source=t/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=t/net.sh
. "$root/t/net.sh"
net_need
plan 86

A1=127.0.16.2 A2=127.0.16.3 P=11160
U1=nntp://$A1:$P U2=nntp://$A2:$P
node_new n1 "$A1:$P"
node_new n2 "$A2:$P"
for p in alice bob carol; do
	xc-keygen --home "$p" "@$p" >"$p.card" 2>/dev/null || bail "xc-keygen @$p"
done
# mallory claims @alice with a key of her own.
xc-keygen --home mallory @alice >mallory.card 2>/dev/null || bail "xc-keygen mallory"
fp() { xc-keygen --home "$1" --list | cut -f2; }
afp=$(fp alice) mfp=$(fp mallory)
today_plus30=$(python3 -c "import time; t = int(time.time()); print(time.strftime('%Y-%m-%d', time.gmtime(t - t % 86400 + 30 * 86400)))")

# ---- options ----
must_fail 2 xc-keygen --home alice --publish
is "$(cat "$ERR")" "xc-keygen: error: no server to publish to
xc-keygen: hint: give one: --server nntps://HOST, or a \"server\" line in the config (xc(7))" \
    "--publish without a server: status 2, a hint"
must_fail 2 xc-keygen --home alice --server "$U1" --card
like "$(cat "$ERR")" "go with --publish" "--server without --publish"
must_fail 2 xc-keygen --home alice --server "$U1" --quorum 2 --publish
like "$(cat "$ERR")" "a quorum of 2, but 1 server" "a quorum larger than the servers"
must_fail 2 xc-verify --home bob --server "$U1" --lookup 'al ice'
like "$(cat "$ERR")" "'al ice' is not a handle" "--lookup of what is not a handle"
must_fail 2 xc-verify --home bob --server "$U1" --contacts
like "$(cat "$ERR")" "go with --lookup" "--server without --lookup"
must_fail 2 xc-verify --home bob --lookup @alice
like "$(cat "$ERR")" "no server to look up on" "--lookup without a server"

# ---- publish ----
expect_exit 0 xc-keygen --home alice --server "$U1" --server "$U2" --publish
is "$(cat "$ERR")" "xc-keygen: published @alice (1 card, until $today_plus30) to $U1
xc-keygen: published @alice (1 card, until $today_plus30) to $U2" \
    "published to both servers, until 30 days from today"
is "$(cat "$OUT")" "" "... nothing on stdout"
expect_exit 0 xc-keygen --home alice --server "$U1" --publish
is "$(cat "$ERR")" "xc-keygen: published @alice (1 card, until $today_plus30) to $U1 (it had it already)" \
    "published again the same day: the server had it"
expect_exit 0 xc-keygen --home mallory --server "$U1" --publish

# ---- lookup: every claimant, nothing imported ----
expect_exit 0 xc-verify --home bob --server "$U1" --server "$U2" --lookup @alice
is "$(cut -f1-4 "$OUT" | sort)" "$(printf '%s\t@alice\tstranger\tseq 1\n%s\t@alice\tstranger\tseq 1' "$afp" "$mfp" | sort)" \
    "both keys that claim @alice are listed, with their fingerprints"
is "$(grep "^$afp" "$OUT" | cut -f7)|$(grep "^$mfp" "$OUT" | cut -f7)" "on 2 of 2 servers|on 1 of 2 servers" \
    "... and the servers that carry each"
like "$(grep "^$afp" "$OUT" | cut -f5)" "^first seen 20[0-9-]*T[0-9:]*Z\$" "... when each was first seen"
is "$(sed -n 1p "$ERR")" "xc-verify: 2 identity keys claim @alice: a handle is a claim, the key is the identity" \
    "the user is told that a handle is a claim"
like "$(cat "$ERR")" "hint: compare a fingerprint with its owner, then: xc-verify --adopt FINGERPRINT" \
    "... and how to adopt one"
expect_exit 0 xc-verify --home bob --contacts
is "$(cat "$OUT")" "" "nothing imported: bob has no contact"
expect_exit 0 xc-verify --home bob --strangers
is "$(cut -f1 "$OUT" | sort | tr '\n' ' ')" "$(printf '%s\n%s\n' "$afp" "$mfp" | sort | tr '\n' ' ')" \
    "both cards are kept aside as strangers'"
expect_exit 0 xc-verify --home bob --adopt "$afp"
expect_exit 0 xc-verify --home bob --server "$U1" --lookup alice
is "$(grep "^$afp" "$OUT" | cut -f3)|$(grep "^$mfp" "$OUT" | cut -f3)" "contact @alice|stranger, not the @alice you know" \
    "after --adopt: alice a contact, mallory not the @alice bob knows"
expect_exit 0 xc-verify --home alice --server "$U1" --lookup @alice
is "$(grep "^$afp" "$OUT" | cut -f3)" "you" "my own card is me"

# ---- a rotation published later ----
xc-keygen --home alice --rotate >/dev/null 2>&1 || bail "rotate"
expect_exit 0 xc-keygen --home alice --server "$U2" --publish
like "$(cat "$ERR")" "published @alice \\(2 cards, until" "the chain of 2 cards published"
expect_exit 0 xc-verify --home bob --server "$U1" --server "$U2" --lookup @alice
like "$(cat "$ERR")" "^xc-verify: @alice: took card 2, signed by the pinned identity key \\(a rotation\\)" \
    "the contact takes the rotation"
is "$(grep "^$afp" "$OUT" | cut -f3-4)" "contact @alice	seq 2" "... listed with its newest card"
is "$(xc-verify --home bob --contacts | cut -f4)" "seq 2" "... pinned"
printf 'after the rotation\n' | xc-seal --home bob -r @alice -o r.age 2>/dev/null
expect_exit 0 xc-open --home alice r.age
like "$(cat "$OUT")" "after the rotation" "a letter to @alice uses the new key, which alice opens"
expect_exit 0 xc-verify --home bob --server "$U1" --server "$U2" --json --lookup @alice
unlike_took=$(grep -c "took card" "$ERR")
is "$unlike_took" "0" "a second lookup takes nothing again"
# --json: one object per key, the members of xc(7) "JSON output".
jl=$(grep -n "^{\"fingerprint\":\"$afp\"" "$OUT" | cut -d: -f1)
is "$(jf '#lines' handle verification contact claim_conflict card_updated seq servers servers_asked equivocates expired)" \
    "2|alice|contact|alice|null|false|2|2|2|false|false" "--json: alice, a contact, her newest card, on both servers"
like "$(jf first_seen)|$(jf expires)|$(jf card)" "^20[0-9-]+T[0-9:]+Z\\|20[0-9-]+T[0-9:]+Z\\|xc-card-v1 " \
    "... dates in ISO 8601, and the card itself"
jl=$(grep -n "^{\"fingerprint\":\"$mfp\"" "$OUT" | cut -d: -f1)
is "$(jf verification contact claim_conflict.with claim_conflict.fingerprint servers)" "stranger|null|alice|$afp|1" \
    "--json: mallory, a stranger claiming the @alice bob knows (her fingerprint named)"
must_fail 2 xc-verify --home bob --json --contacts

# ---- a chain longer than an article holds ----
# 150 cards of about 600 bytes: the newest that fit in 64 KiB are posted,
# still a chain, and a lookup finds the current card.
xc-keygen --home long @long >/dev/null 2>&1 || bail "xc-keygen @long"
i=1
while [ "$i" -lt 150 ]; do
	xc-keygen --home long --rotate >/dev/null 2>&1 || bail "rotate $i"
	i=$((i + 1))
done
chain=$(xc-keygen --home long --chain | wc -c | tr -d ' ')
expect_exit 0 xc-keygen --home long --server "$U1" --publish
n=$(sed -n 's/^xc-keygen: published @long (\([0-9]*\) cards, until .*/\1/p' "$ERR")
ok "a chain of $chain bytes: the newest $n of 150 cards posted" \
    test "$chain" -gt 65536 -a "${n:-0}" -gt 50 -a "${n:-999}" -lt 150
expect_exit 0 xc-verify --home bob --server "$U1" --lookup @long
is "$(cut -f2-4 "$OUT")" "@long	stranger	seq 150" "... and a lookup finds card 150"

# ---- nobody, a server down ----
must_fail 1 xc-verify --home bob --server "$U1" --lookup @nobody
is "$(cat "$ERR")" "xc-verify: error: no card claims @nobody on 1 server" "no claimant: status 1"
must_fail 5 xc-verify --home bob --timeout 5 --server "$U1" --server nntp://127.0.16.9:1 --lookup @alice
like "$(cat "$ERR")" "server 'nntp://127.0.16.9:1': " "a server down: named, status 5"
is "$(cut -f1 "$OUT" | sort | tr '\n' ' ')" "$(printf '%s\n%s\n' "$afp" "$mfp" | sort | tr '\n' ' ')" \
    "... and the other server still read"

# ---- the node's filter ----
# refused WHY WHAT CHAIN [SUBJECT [EXPIRES [SED]]]: the article of CHAIN
# (crafted by nntp-tool, edited by SED) is refused by the filter for WHY.
xc-keygen --home alice --chain >alice.chain
exp=$(($(date +%s) + 20 * 86400))
exp=$((exp - exp % 3600))
refused() {
	rf_why=$1 rf_what=$2 rf_f=$3
	rf_id=$("$NNTP_TOOL" cards-article "${4:-alice}" "${5:-$exp}" "$rf_f" "$rf_f.art") ||
	    bail "cards-article"
	[ -n "${6:-}" ] && sed -i "$6" "$rf_f.art"
	expect_exit 1 "$NNTP_TOOL" post-article "$U1" "$rf_id" "$rf_f.art"
	is "$(cut -d' ' -f2- "$OUT")" "refused 437 xc: $rf_why" "filter: $rf_what: refused ($rf_why)"
}
head -n 2 alice.chain >c1
sed -n 3,4p alice.chain >c2
cp alice.chain good
id=$("$NNTP_TOOL" cards-article alice "$exp" good good.art)
expect_exit 0 "$NNTP_TOOL" post-article "$U1" "$id" good.art
like "$(cat "$OUT")" " accepted 235 " "filter: a crafted chain that is right: accepted"
sed '2s/"seq":1/"seq":7/' c1 >badsig
refused "a card's signature does not verify" "a JSON the signature does not cover" badsig
refused "a card of another handle or key" "alice's card under Subject xc-card1 bob" c1 bob
cat c1 mallory.card >twokeys
refused "the cards are not a chain" "cards of two keys" twokeys
cat c2 c1 >unchained
refused "the cards are not a chain" "the cards in the wrong order" unchained
refused "Expires after the card expires" "Expires after the card" c1 alice $((exp + 90 * 86400))
refused "expires more than 30 days ahead" "Expires 40 days ahead" c1 alice $((exp + 20 * 86400))
printf 'not a card\nat all\n' >junk
refused "not a card" "two lines that are no card" junk
refused "not an armored age file" "crossposted to a bucket" c1 alice "$exp" 's/^Newsgroups: xc.cards/Newsgroups: xc.cards,xc.b.00/'
refused "insufficient proof-of-work" "no proof-of-work" c1 alice "$exp" 's/^Comments: xc-pow 1 .*/Comments: xc-pow 1 0000000000000000\r/'

# ---- a hostile server ----
mkdir cards
base64 -w 64 <alice.card >cards/1                # good: alice's first card
base64 -w 64 <badsig >cards/2                    # a signature that fails
base64 -w 64 <bob.card >cards/3                  # another handle's card
printf '!!! not base64 !!!\n' >cards/4
export HOSTILE_CARDS=$PWD/cards HOSTILE_HANDLE=alice
hostile_start l-cards
expect_exit 0 xc-verify --home carol --server "$hostile_url" --lookup @alice
hostile_stop
is "$(cut -f1-4 "$OUT")" "$afp	@alice	stranger	seq 1" "a hostile server: only the good card listed"
like "$(cat "$ERR")" "xc-verify: warning: left out 3 article\\(s\\) or card\\(s\\) that are not good cards of @alice" \
    "... the bad ones left out and counted"
hostile_start l-endless
must_fail 5 xc-verify --home carol --timeout 5 --server "$hostile_url" --lookup @alice
hostile_stop
like "$(cat "$ERR")" "too long a response" "an endless body: a clear error, status 5"

# ---- a flood of claimants: the quarantine keeps 16 of them ----
rm -rf cards
mkdir cards
i=1
while [ "$i" -le 20 ]; do
	xc-keygen --home "f$i" @alice 2>/dev/null | base64 -w 64 >"cards/$i" ||
	    bail "xc-keygen f$i"
	i=$((i + 1))
done
xc-keygen --home erin @erin >/dev/null 2>&1 || bail "xc-keygen @erin"
hostile_start l-cards
expect_exit 0 xc-verify --home erin --server "$hostile_url" --lookup @alice
hostile_stop
is "$(grep -c '	stranger	seq 1	' "$OUT")" 20 "20 claimants: all listed"
like "$(cat "$ERR")" "^xc-verify: warning: only the first 16 strangers' cards were kept for --adopt\$" \
    "... and the user told that 16 were kept aside"
expect_exit 0 xc-verify --home erin --strangers
is "$(wc -l <"$OUT" | tr -d ' ')" 16 "... 16, so that a lookup cannot push letters' strangers out"
unset HOSTILE_CARDS HOSTILE_HANDLE

done_testing
