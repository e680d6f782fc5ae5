#!/bin/sh
# 0190-reading: a person reading and answering mail.  Several letters come
# out in date order, each after a blank line and a summary line (sender,
# trust, level, date, id, attachments); one letter comes alone; --json
# keeps the order given.  The id the report prints is the envelope id of
# xc-send and xc-fetch, and a reply round trip needs nothing else:
# `xc-seal --reply-to ID` (or its first digits, or a path) goes to the
# sender, --reply-all to the others but me.  A second identity does not
# break a script written for the first (the default identity); errors
# list the identities.  xc-seal warns when the envelope is over the
# spool's max-size, naming the setting.
# shellcheck source=t/lib.sh
. "$(dirname "$0")/lib.sh"

plan 60
need_delivery

parties alice bob carol
for p in bob carol; do
	xc-verify --home "$p" -q --import alice.card bob.card carol.card \
	    > /dev/null 2>&1
done
fp() { xc-keygen --home "$1" --list | cut -f2; }
iso() { python3 -c "import time; print(time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime($1)))"; }
now=$(date +%s)

# ---- several letters: date order, a summary before each ----
# Sealed out of order: the second is the oldest.
printf 'second\n' > 2.txt
printf 'first\n' > 1.txt
printf 'third, no newline' > 3.txt
printf 'data\n' > data.csv
XC_TEST_NOW=$((now - 60)) xc-seal --home alice -r @bob -o b.age 2.txt || bail seal
XC_TEST_NOW=$((now - 120)) xc-seal --home alice -r @bob -A data.csv -o a.age 1.txt || bail seal
XC_TEST_NOW=$((now - 30)) xc-seal --home carol -r @bob -o c.age 3.txt || bail seal
mkdir d1
expect_exit 0 xc-open --home bob -D d1 b.age c.age a.age
{
	printf '=== from @alice (contact), level 2 private, %s, id %s, 1 attachment: data.csv\nfirst\n' \
	    "$(iso $((now - 120)))" "$(envid a.age)"
	printf '\n=== from @alice (contact), level 2 private, %s, id %s\nsecond\n' \
	    "$(iso $((now - 60)))" "$(envid b.age)"
	printf '\n=== from @carol (contact), level 2 private, %s, id %s\nthird, no newline\n' \
	    "$(iso $((now - 30)))" "$(envid c.age)"
} > want
ok "three letters: oldest first, each after a summary line, blank lines between" cmp "$OUT" want
is "$(grep -c '^xc-open: [abc]\.age: from @' "$ERR")" 3 "the report lines still go to stderr, one per letter"
like "$(sed -n 1p "$ERR")" "^xc-open: b\\.age: from @alice \\(contact, $(fp alice)\\), level 2 private, $(iso $((now - 60))), id $(envid b.age)\$" \
    "... in the order given, with the id"
mkdir d1b
expect_exit 0 sh -c 'printf "%s\n" b.age c.age a.age | xc-open --home bob --allow-replay -D d1b'
ok "a list on stdin: the same order" cmp "$OUT" want
expect_exit 0 xc-open --home bob --allow-replay -D d1 c.age
is "$(cat "$OUT")" "third, no newline" "one letter: the text alone, as it is"
expect_exit 0 xc-open --home bob --allow-replay --json -D d1 b.age c.age a.age
is "$(jf id)|$(jl=2 jf id)|$(jl=3 jf id)" "$(envid b.age)|$(envid c.age)|$(envid a.age)" \
    "--json: the order given, id the envelope id"
is "$(jf path message_id | sed 's/|[0-9a-f]\{32\}$/|MSGID/')" "b.age|MSGID" "--json: path, and the message id apart"

# ---- a reply round trip with the ids the human report prints ----
S=$tmp/spool
rm -rf bob/inbox
printf 'lunch on friday?\n' | xc-seal --home alice -r @bob -r @carol |
    xc-send --home alice --spool "$S" > sent.id || bail send
xc-fetch --home bob --spool "$S" | xc-open --home bob -D d1 > read.out 2> read.err
id1=$(sed -n 's/.*, id \([0-9a-f]\{64\}\).*/\1/p' read.err)
is "$id1" "$(cat sent.id)" "bob's report prints the id xc-send printed"
expect_exit 0 sh -c "printf 'yes\\n' | xc-seal --home bob --reply-to $id1 | xc-send --home bob --spool '$S'"
xc-fetch --home alice --spool "$S" | xc-open --home alice > read.out 2> read.err
is "$(cat read.out)" "yes" "--reply-to ID (no -r): the reply reaches the sender"
like "$(cat read.err)" "^xc-open: .*: from @bob \\(contact, " "... from bob"
id2=$(sed -n 's/.*, id \([0-9a-f]\{64\}\).*/\1/p' read.err)
short=$(printf %.8s "$id2")
expect_exit 0 sh -c "printf 'noon?\\n' | xc-seal --home alice --reply-to $short | xc-send --home alice --spool '$S'"
xc-fetch --home bob --spool "$S" | xc-open --home bob --json > read.json
OUT=read.json
is "$(jf from body)" "alice|noon?" "--reply-to with the first 8 digits of the id: back to bob"
is "$(jl=1 jf reply_to)" "$(xc-open --home alice --json --allow-replay "$(ls alice/inbox/cur/"$id2"*)" | sed 's/.*"message_id":"\([0-9a-f]*\)".*/\1/')" \
    "... reply_to is the message id of the letter answered"
# carol never got a reply: reply goes to the sender only.
xc-fetch --home carol --spool "$S" > carol.list
is "$(wc -l < carol.list)" 1 "carol got the first letter only"
# --reply-all: the others too, but not me.
printf 'all of us\n' | xc-seal --home bob --reply-to "$id1" --reply-all |
    xc-send --home bob --spool "$S" > /dev/null || bail send
xc-fetch --home carol --spool "$S" | xc-open --home carol --json > all.json
OUT=all.json
is "$(jf '#lines' from body)" "1|bob|all of us" "--reply-all: carol, a recipient of the letter answered, gets it"
xc-fetch --home alice --spool "$S" | xc-open --home alice > all.out 2>/dev/null
is "$(cat all.out)" "all of us" "... and alice, its sender"
is "$(xc-fetch --home bob --spool "$S" | wc -l)" 0 "... but not bob, who wrote it"
# A path works as well as an id; -r overrides the recipients.
f=$(ls carol/inbox/new/"$id1"*)
expect_exit 0 xc-seal --home carol --reply-to "$f" -r @bob -o r.age 1.txt
expect_exit 0 xc-open --home bob --json r.age
is "$(jf from to)" "carol|bob" "--reply-to FILE -r @bob: to bob, not the sender"
# Mistakes.
must_fail 4 xc-seal --home bob --reply-to 0123456789abcdef 1.txt
is "$(cat "$ERR")" "xc-seal: error: --reply-to 0123456789abcdef: no such letter in the inbox
xc-seal: hint: give the envelope's path instead: --reply-to FILE" "an unknown id: named, with a hint"
must_fail 2 xc-seal --home bob --reply-to abc 1.txt
must_fail 2 xc-seal --home bob --reply-all -r @alice 1.txt
must_fail 2 xc-seal --home bob --reply-to "$id1" --reply-all -r @alice 1.txt
xc-keygen --home mallory @mallory > /dev/null 2>&1 || bail keygen
xc-seal --home mallory -R bob.card -o mal.age 1.txt 2>/dev/null || bail seal
must_fail 1 xc-seal --home bob --reply-to mal.age 1.txt
like "$(cat "$ERR")" "^xc-seal: error: --reply-to 'mal\\.age': the sender, @mallory, is a stranger" \
    "a stranger's letter: no reply until adopted"
is "$(ls bob/outbox/new 2>/dev/null | wc -l)" 0 "nothing queued by the failures"

# ---- the default identity: a second one breaks no script ----
printf 'disk 91%%\n' > alert.txt
expect_exit 0 xc-seal --home alice -r @bob -o x1.age alert.txt
xc-keygen --home alice @alice_bot > /dev/null 2>&1 || bail keygen
expect_exit 0 xc-seal --home alice -r @bob -o x2.age alert.txt
expect_exit 0 xc-open --home bob --json x2.age
is "$(jf from)" alice "after a second identity: the script still signs as the first"
expect_exit 0 xc-keygen --home alice --list
is "$(cut -f1,5 "$OUT" | tr '\t\n' ' /')" "@alice default/@alice_bot/" "--list marks the default"
expect_exit 0 xc-keygen --home alice --default
is "$(cat "$OUT")" "@alice" "--default prints it"
expect_exit 0 xc-keygen --home alice --default @alice_bot
is "$(cat "$ERR")|$(cat alice/ids/.default)" "xc-keygen: @alice_bot is the default identity|@alice_bot" \
    "--default @HANDLE: said on stderr, kept in the keyring"
xc-verify --home bob -q --import "$(xc-keygen --home alice --card @alice_bot > bot.card; echo bot.card)" > /dev/null 2>&1
expect_exit 0 xc-seal --home alice -r @bob -o x3.age alert.txt
expect_exit 0 xc-open --home bob --json x3.age
is "$(jf from)" alice_bot "... and signs from then on"
must_fail 4 xc-keygen --home alice --default @nobody
rm alice/ids/.default		# a keyring from before defaults
must_fail 2 xc-seal --home alice -r @bob -o x4.age alert.txt
is "$(cat "$ERR")" "xc-seal: error: several identities and no default: name one
xc-seal: hint: the identities here are @alice and @alice_bot: name one with -u @HANDLE, or make one the default: xc-keygen --default @HANDLE" \
    "several identities, no default: the handles are listed"
is_file_absent x4.age
expect_exit 0 xc-seal --home alice -u @alice -r @bob -o x4.age alert.txt

# ---- xc-seal warns about the spool's max-size ----
mkdir sp
xc-send --home alice --spool sp --flush || bail "spool"
printf 'xc-spool-v1\nmax-size 100000\n' > sp/xc-spool
head -c 200000 /dev/urandom > big.bin
XC_SPOOL=$tmp/w/sp expect_exit 0 xc-seal --home alice -u @alice -r @bob -A big.bin -o big.age < /dev/null
is "$(cat "$ERR")" "xc-seal: warning: the envelope ($(wc -c < big.age) bytes) is larger than the spool's max-size, 100000 bytes: xc-send will refuse it
xc-seal: hint: the setting is max-size in '$tmp/w/sp/xc-spool'" \
    "an envelope over max-size: warned, with its size and the setting"
XC_SPOOL=$tmp/w/sp must_fail 3 xc-send --home alice big.age
XC_SPOOL=$tmp/w/sp expect_exit 0 xc-seal --home alice -u @alice -r @bob -a -A big.bin -o big.asc < /dev/null
like "$(cat "$ERR")" "^xc-seal: warning: the envelope \\($(wc -c < big.age) bytes\\)" \
    "armored: the size of the envelope xc-send stores (binary)"
XC_SPOOL=$tmp/w/sp expect_exit 0 xc-seal --home alice -u @alice -r @bob -o small.age alert.txt
is "$(wc -c < "$ERR")" 0 "under max-size: no warning"
mkdir -p "$HOME/.config/xc"
printf 'spool %s\n' "$tmp/w/sp" > "$HOME/.config/xc/config"
expect_exit 0 xc-seal --home alice -u @alice -r @bob -A big.bin -o big2.age < /dev/null
like "$(cat "$ERR")" "max-size in '$tmp/w/sp/xc-spool'" "the spool of the configuration"
rm "$HOME/.config/xc/config"

done_testing
