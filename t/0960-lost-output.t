#!/bin/sh
# 0960-lost-output: output that cannot be written is an error (TESTPLAN
# H04).  Every program, with its standard output on /dev/full and with it
# closed (>&-), and with a short output (under one stdio buffer) and a long
# one where it has one (xc-keygen has none): exit 4 with "cannot write"
# on stderr, never 0.  With standard output closed, no file a program
# opens gets descriptor 1, so nothing it prints lands in its own files:
# the keyring, the outbox, the spool, the inbox and the lock stay as they
# should be.  Standard input and error closed do no harm either.
# shellcheck source=t/lib.sh
. "$(dirname "$0")/lib.sh"

plan 80

need_delivery
to_full() {
	"$@" > /dev/full
}
to_closed() {
	"$@" >&-
}
# lost HOW WHAT CMD...: CMD with standard output HOW (full or closed) exits
# 4 and says it could not write.
lost() {
	_how=$1 _what=$2
	shift 2
	must_fail 4 "to_$_how" "$@"
	like "$(cat "$ERR")" "error: cannot write (to standard output|'-')" \
	    "$_what, stdout $_how: says the output was lost"
}

xc-keygen --home alice @alice > alice.card 2> /dev/null || bail "xc-keygen"
xc-keygen --home bob @bob > bob.card 2> /dev/null || bail "xc-keygen"
xc-verify --home alice -q --import bob.card > /dev/null 2>&1 || bail "import"
xc-verify --home bob -q --import alice.card > /dev/null 2>&1 || bail "import"
xc-keygen --age -o age.key 2> /dev/null || bail "age key"
head -c 1048576 /dev/urandom | base64 > big.txt	# 1.4 MB of text
printf 'short\n' > short.txt
head -c 1048576 /dev/urandom | xc-seal --raw -r "$(xc-keygen -y age.key)" > raw.age ||
    bail "xc-seal --raw"

# ---- xc-keygen ----
for how in full closed; do
	lost $how "xc-keygen @HANDLE" xc-keygen --home "k$how" "@k$how"
	ok "... the identity is whole (its key and card files)" sh -c \
	    "grep -q '^XC-IDENTITY-KEY-1' k$how/ids/k$how/identity.key &&
	     head -c 10 k$how/ids/k$how/card | grep -q '^xc-card-v1'"
	lost $how "xc-keygen -y" xc-keygen -y age.key
done

# ---- xc-seal ----
for how in full closed; do
	lost $how "xc-seal, short" xc-seal --home alice -r @bob short.txt
	lost $how "xc-seal, 1.4 MB" xc-seal --home alice -r @bob big.txt
	lost $how "xc-seal --raw, short" xc-seal --raw -r "$(xc-keygen -y age.key)" short.txt
done
is "$(ls -A | grep -c '^\.')" 0 "xc-seal left no temporary file"

# ---- xc-verify ----
for how in full closed; do
	lost $how "xc-verify CARD" xc-verify bob.card
	# shellcheck disable=SC2046 # 300 operands
	lost $how "xc-verify CARD x300" xc-verify $(i=0; while [ $i -lt 300 ]; do
	    echo bob.card; i=$((i + 1)); done)
done

# ---- xc-send ----
xc-seal --home alice -r @bob -o m1.age short.txt || bail "xc-seal"
xc-seal --home alice -r @bob -o m2.age big.txt || bail "xc-seal"
id1=$(envid m1.age)
for how in full closed; do
	lost $how "xc-send, one id" xc-send --home alice --spool S m1.age
	# shellcheck disable=SC2046 # 300 operands
	lost $how "xc-send, 300 ids" xc-send --home alice --spool S $(i=0; while [ $i -lt 300 ]; do
	    echo m1.age; i=$((i + 1)); done)
done
is "$(ls alice/outbox/new | wc -l | tr -d ' ')" 0 "... the envelope was delivered all the same (the outbox is empty)"
ok "... and is whole in the spool" cmp m1.age S/*/"$id1-0.age"
ok "... no id printed into the spool or the outbox" sh -c "! grep -rq $id1 S alice/outbox"

# ---- xc-fetch ----
i=0
while [ $i -lt 60 ]; do
	printf 'letter %d\n' $i | xc-seal --home alice -r @bob -o "f$i.age" || bail "xc-seal"
	i=$((i + 1))
done
xc-send --home alice --spool S f*.age > /dev/null || bail "xc-send"
lost full "xc-fetch, 61 paths" xc-fetch --home bob --spool S
lost closed "xc-fetch, 61 paths" xc-fetch --home bob --spool S
is "$(wc -c < bob/state/fetch.lock | tr -d ' ')" 0 "... the lock file holds nothing printed"
ok "... nor does the state" sh -c "! grep -rq inbox/new bob/state bob/inbox"
lost closed "xc-fetch --json" xc-fetch --home bob --spool S --json
expect_exit 0 xc-fetch --home bob --spool S
is "$(wc -l < "$OUT" | tr -d ' ')" 61 "the next run prints the 61 letters (none was recorded)"
expect_exit 0 xc-send --home alice --spool S m2.age
expect_exit 0 xc-fetch --home bob --spool S
one=$(cat "$OUT")
lost full "xc-fetch --unread, 62 paths" xc-fetch --home bob --spool S --unread
lost closed "xc-fetch --unread, 62 paths" xc-fetch --home bob --spool S --unread

# ---- xc-open ----
for how in full closed; do
	lost $how "xc-open, short" xc-open --home bob "bob/inbox/new/$id1-0.age"
	lost $how "xc-open, 1.4 MB" xc-open --home bob "$one"
	lost $how "xc-open --json" xc-open --home bob --json "bob/inbox/new/$id1-0.age"
	lost $how "xc-open --raw, 1 MiB" xc-open --raw -i age.key raw.age
done
is "$(ls bob/inbox/new | wc -l | tr -d ' ')" 62 "... every letter is still unread"
expect_exit 0 xc-open --home bob "$one"
ok "... and opens when its output can be written" cmp big.txt "$OUT"

# ---- standard input and error closed ----
expect_exit 0 sh -c "xc-fetch --home bob --spool S --unread <&- 2>&- > list"
is "$(wc -l < list | tr -d ' ')" 61 "xc-fetch with stdin and stderr closed: works"
is "$(wc -c < bob/state/fetch.lock | tr -d ' ')" 0 "... nothing written to the lock"

done_testing
