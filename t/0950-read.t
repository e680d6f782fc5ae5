#!/bin/sh
# 0950-read: read means read.  A fetched letter stays in inbox/new, listed
# by xc-fetch --unread, until xc-open has opened it; xc-open then moves it
# to inbox/cur with the maildir flag S.  A letter that does not open (a
# wrong passphrase, a damaged envelope, a refusal) stays unread and loses
# nothing; the next run opens it.  xc-fetch and xc-open ask for the
# passphrase of a protected keyring on the terminal, once per run (a pty
# test types it), and not at all when there is nothing to open.  A fetch
# whose output was lost prints the same letters again next time.
# shellcheck source=t/lib.sh
. "$(dirname "$0")/lib.sh"

plan 51

need_delivery

printf 'correct horse\n' > pw
printf 'wrong horse\n' > badpw
chmod 600 pw badpw
xc-keygen --home alice @alice > alice.card 2> /dev/null || bail "xc-keygen"
# bob: a protected identity; bob2: two behind one passphrase
xc-keygen --home bob --passphrase-file pw @bob > bob.card 2> /dev/null ||
    bail "xc-keygen @bob"
xc-keygen --home bob2 --passphrase-file pw @bobby > bobby.card 2> /dev/null ||
    bail "xc-keygen @bobby"
xc-keygen --home bob2 --passphrase-file pw @robert > robert.card 2> /dev/null ||
    bail "xc-keygen @robert"
xc-verify --home alice -q --import bob.card bobby.card robert.card \
    > /dev/null 2>&1 || bail "xc-verify --import"
send() {
	printf '%s\n' "$2" | xc-seal --home alice -r "$3" -o "$1.age" ||
	    bail "xc-seal $1"
	xc-send --home alice --spool S "$1.age" > /dev/null || bail "xc-send $1"
}
P="--passphrase-file pw"
# to_full CMD...: CMD with its standard output on /dev/full.
to_full() {
	"$@" > /dev/full
}

# ---- fetched is not read ----
send m1 "one" @bob
send m2 "two" @bob
n1=$(envid m1.age)-0.age n2=$(envid m2.age)-0.age
# shellcheck disable=SC2086 # $P is two words
expect_exit 0 xc-fetch --home bob --spool S $P
is "$(cat "$OUT")" "$(printf 'bob/inbox/new/%s\n' "$n1" "$n2" | sort)" \
    "xc-fetch prints the new letters' paths in inbox/new"
is "$(listing bob/inbox/new)|$(listing bob/inbox/cur)" "$(printf '%s\n' "$n1" "$n2" | sort | tr '\n' /)|" \
    "... where they stay: unread"
# shellcheck disable=SC2086
expect_exit 0 xc-fetch --home bob --spool S $P
is "$(cat "$OUT")" "" "a second xc-fetch: nothing new"
# shellcheck disable=SC2086
expect_exit 0 xc-fetch --home bob --spool S $P --unread
is "$(cat "$OUT")" "$(printf 'bob/inbox/new/%s\n' "$n1" "$n2" | sort)" \
    "xc-fetch --unread: both letters, still unread"

# ---- a wrong passphrase loses nothing ----
# shellcheck disable=SC2086
ok "xc-fetch --unread | xc-open with a wrong passphrase" sh -c \
    "xc-fetch --home bob --spool S $P --unread | xc-open --home bob --passphrase-file badpw > o1 2> e1; echo \$? > rc1"
is "$(cat rc1)|$(cat o1)" "1|" "... xc-open exits 1 and prints nothing"
like "$(cat e1)" "^xc-open: error: .*wrong passphrase" "... it says why"
is "$(listing bob/inbox/new)|$(listing bob/inbox/cur)" "$(printf '%s\n' "$n1" "$n2" | sort | tr '\n' /)|" \
    "... both letters are still unread"
must_fail 1 xc-fetch --home bob --spool S --passphrase-file badpw --unread
is "$(cat "$OUT")" "" "xc-fetch with a wrong passphrase: exit 1, nothing printed"
# shellcheck disable=SC2086
ok "the next run: xc-fetch --unread | xc-open" sh -c \
    "xc-fetch --home bob --spool S $P --unread | xc-open --home bob $P > o2 2> e2"
is "$(grep -v -e '^=== from @alice ' -e '^$' o2 | sort | tr '\n' /)" "one/two/" "... opens both"
is "$(listing bob/inbox/new)|$(listing bob/inbox/cur)" "|$(printf '%s:2,S\n' "$n1" "$n2" | sort | tr '\n' /)" \
    "... and marks them read: inbox/cur, flag S"
# shellcheck disable=SC2086
expect_exit 0 xc-fetch --home bob --spool S $P --unread
is "$(cat "$OUT")" "" "xc-fetch --unread: nothing unread any more"
# shellcheck disable=SC2086
expect_exit 0 xc-open --home bob $P "bob/inbox/cur/$n1:2,S"
is "$(cat "$OUT")" "one" "a read letter opens again from inbox/cur"

# ---- refused and damaged letters stay unread ----
send m3 "three" @bob
# shellcheck disable=SC2086
expect_exit 0 xc-fetch --home bob --spool S $P
n3=$(envid m3.age)-0.age
# shellcheck disable=SC2086
must_fail 1 xc-open --home bob $P --min-level 4 "bob/inbox/new/$n3"
is "$(listing bob/inbox/new)" "$n3/" "refused (--min-level): still unread"
cp "bob/inbox/new/$n3" m3.copy
python3 -c '
import sys
p = sys.argv[1]
d = bytearray(open(p, "rb").read())
d[-20] ^= 1
open(p, "wb").write(d)
' "bob/inbox/new/$n3"
# shellcheck disable=SC2086
must_fail 3 xc-open --home bob $P "bob/inbox/new/$n3"
is "$(listing bob/inbox/new)" "$n3/" "damaged: still unread"
cp m3.copy "bob/inbox/new/$n3"
cp "bob/inbox/new/$n3" elsewhere.age
# shellcheck disable=SC2086
expect_exit 0 xc-open --home bob $P elsewhere.age
is "$(listing bob/inbox/new)|$(test -f elsewhere.age && echo kept)" "$n3/|kept" \
    "a copy outside the inbox opens and marks nothing"
# shellcheck disable=SC2086
expect_exit 0 xc-open --home bob $P < "bob/inbox/new/$n3"
is "$(listing bob/inbox/new)" "$n3/" "... nor does the envelope on standard input"

# ---- output that is lost is printed again ----
send m4 "four" @bob
n4=$(envid m4.age)-0.age
# shellcheck disable=SC2086
must_fail 4 to_full xc-fetch --home bob --spool S $P
like "$(cat "$ERR")" "^xc-fetch: error: cannot write to standard output: No space left on device" \
    "xc-fetch > /dev/full: exit 4"
is "$(listing bob/inbox/new)" "$(printf '%s\n' "$n3" "$n4" | sort | tr '\n' /)" "... the letter is in inbox/new"
# shellcheck disable=SC2086
expect_exit 0 xc-fetch --home bob --spool S $P
is "$(cat "$OUT")" "bob/inbox/new/$n4" "... and the next run prints it"
# shellcheck disable=SC2086
expect_exit 0 xc-fetch --home bob --spool S $P
is "$(cat "$OUT")" "" "... once"
# shellcheck disable=SC2086
must_fail 4 to_full xc-open --home bob $P --json "bob/inbox/new/$n4"
is "$(listing bob/inbox/new)" "$(printf '%s\n' "$n3" "$n4" | sort | tr '\n' /)" \
    "xc-open --json > /dev/full: exit 4, the letter stays unread"

# ---- passphrases on the terminal ----
send m5 "five, typed for" @bobby
n5=$(envid m5.age)-0.age
# nothing to open: no question asked, even without a terminal
expect_exit 0 setsid -w xc-open --home bob2 < /dev/null
is "$(cat "$OUT")$(cat "$ERR")" "" "xc-open with nothing to open: no passphrase asked"
must_fail 4 setsid -w xc-fetch --home bob2 --spool S < /dev/null
like "$(cat "$ERR")" "no terminal to read a passphrase from" "xc-fetch without a terminal: exit 4, says so"
like "$(cat "$ERR")" "^xc-fetch: hint: use --passphrase-file FILE" "... and hints"
is "$(listing bob2/inbox/new 2> /dev/null)" "" "... and fetches nothing"
# pty PASSWORD CMD: runs CMD on a new pty; types PASSWORD at each prompt;
# prints the prompts seen and what came out.
cat > "$tmp/ptyrun.py" <<'PY'
import os, pty, sys, time, select
pw, cmd = sys.argv[1].encode(), sys.argv[2]
pid, fd = pty.fork()
if pid == 0:
    os.execvp('sh', ['sh', '-c', cmd])
out, prompts, end = b'', 0, time.time() + 30
while time.time() < end:
    r, _, _ = select.select([fd], [], [], 0.2)
    if fd in r:
        try:
            b = os.read(fd, 4096)
        except OSError:
            break
        if not b:
            break
        out += b
        while out.count(b'Enter passphrase:') > prompts:
            prompts += 1
            time.sleep(0.1)
            os.write(fd, pw + b'\n')
_, st = os.waitpid(pid, 0)
sys.stdout.write('prompts=%d exit=%d\n' % (prompts, os.waitstatus_to_exitcode(st)))
sys.stdout.write(out.decode('utf-8', 'replace').replace('\r', ''))
PY
python3 "$tmp/ptyrun.py" 'correct horse' \
    "xc-fetch --home bob2 --spool S | xc-open --home bob2 2> e3" > pty.out
is "$(head -n 1 pty.out)" "prompts=2 exit=0" \
    "xc-fetch | xc-open on a terminal: one prompt each (two identities, one passphrase)"
ok "... the letter's text comes out" grep -q "^five, typed for\$" pty.out
is "$(ls bob2/inbox/cur | grep -c "$n5:2,S")" 1 "... and it is marked read"
send m6 "six" @robert
python3 "$tmp/ptyrun.py" 'wrong horse' \
    "xc-fetch --home bob2 --spool S | xc-open --home bob2" > pty.out
is "$(head -n 1 pty.out)" "prompts=1 exit=0" "a wrong passphrase typed to xc-fetch: asked once"
ok "... refused" grep -q "wrong passphrase" pty.out
is "$(listing bob2/inbox/new)" "" "... nothing fetched"
python3 "$tmp/ptyrun.py" 'correct horse' \
    "xc-fetch --home bob2 --spool S | xc-open --home bob2" > pty.out
ok "the next run on the terminal opens it" grep -q "^six\$" pty.out

done_testing
