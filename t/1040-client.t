#!/bin/sh
# 1040-client: xc-send and xc-fetch with servers (three unpeered nodes):
# options and config lines, bad ones refused with status 2; how the spool
# and servers combine; posting (a duplicate counts as taken), the quorum
# (2 of 3 servers up: quorum 2 delivers, quorum 3 keeps the envelope in the
# outbox and a later --flush delivers it), a refusal kept in the outbox,
# an expired envelope; fetching: what is mine, once, across servers, one
# server down while the others are read (status 5, the server named), the
# cursors (saved per server and group, not with -u, and a lost cursor file
# fetches nothing twice); proof-of-work progress on a terminal only.

# shellcheck source=t/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=t/net.sh
. "$root/t/net.sh"
net_need
need_delivery
plan 72

U1=nntp://127.0.40.2:11940 U2=nntp://127.0.40.3:11940 U3=nntp://127.0.40.4:11940
parties alice bob
seal() {
	_f=$1
	shift
	printf '%s\n' "$1" | xc-seal --home alice -r @bob --ttl 2h -o "$_f" ||
	    bail "xc-seal"
}
# on URL ID: 1 if the node lists the envelope (in any group), else 0.
on() {
	_g=xc.b.$(python3 -c "
import base64, sys
d = open(sys.argv[1], 'rb').read().split(b'\n')
i = [k for k, l in enumerate(d) if l.startswith(b'-> xc-route')][0]
print('%02x' % base64.b64decode(d[i + 1] + b'=' * (-len(d[i + 1]) % 4))[0])" m1.age)
	"$NNTP_TOOL" list "$1" "$_g" 0 2>/dev/null | cut -d' ' -f2 | grep -cx "$2"
}
outbox() {
	ls alice/outbox/new | wc -l | tr -d ' '
}

# ---- options and config ----
seal m1.age "first"
id1=$(envid m1.age)
must_fail 2 xc-send --home alice --server ftp://127.0.0.1 m1.age
like "$(cat "$ERR")" "not a server URL" "... a bad URL is named as such"
must_fail 2 xc-send --home alice --server nntp://Host.Example --server nntp://host.example:119 m1.age
like "$(cat "$ERR")" "given twice" "... one server given twice (two spellings)"
must_fail 2 xc-send --home alice --quorum 2 m1.age
must_fail 2 xc-send --home alice --server "$U1" --quorum 0 m1.age
must_fail 2 xc-send --home alice --server "$U1" --quorum most m1.age
must_fail 2 xc-send --home alice --server "$U1" --timeout 0 m1.age
must_fail 2 xc-send --home alice --server "$U1" --quorum 2 m1.age
like "$(cat "$ERR")" "a quorum of 2, but 1 server" "... a quorum larger than the servers"
must_fail 2 xc-fetch --home bob --server "$U1" --quorum 1
# The config of the user ($HOME is the test's): alice's, then bob's.
cfg=$HOME/.config/xc/config
mkdir -p "$HOME/.config/xc"
printf '# servers\nsever %s\n' "$U1" > "$cfg"
must_fail 2 xc-send --home alice m1.age
is "$(cat "$ERR")" "xc-send: error: config '$cfg' line 2: unknown setting" "... an unknown config key, with its line"
printf 'server %s\nquorum 1\nquorum 2\n' "$U1" > "$cfg"
must_fail 2 xc-fetch --home bob
like "$(cat "$ERR")" "line 3: quorum given twice" "... a repeated key"
printf 'server %s\n' "$U1" > "$cfg"
must_fail 2 xc-fetch --home bob --gc
like "$(cat "$ERR")" "no spool to collect" "... --gc needs a spool"
rm -f "$cfg"
is_file_absent alice/outbox "the refused runs queued nothing"

node_new n1 127.0.40.2:11940
node_new n2 127.0.40.3:11940
# n3 takes envelopes of at most 32 KiB (a letter of level 2 is 16 KiB and
# some bytes).
node_new n3 127.0.40.4:11940 --max-size 32768

# ---- posting ----
expect_exit 0 xc-send --home alice --server "$U1" m1.age
is "$(cat "$OUT")|$(outbox)|$(on "$U1" "$id1")" "$id1|0|1" "posted to one server: the id printed, the outbox empty, the node has it"
expect_exit 0 xc-send --home alice --server "$U1" m1.age
is "$(cat "$OUT")|$(outbox)" "$id1|0" "posted again: a duplicate counts as taken"
seal m2.age "second"
id2=$(envid m2.age)
printf 'server %s\n# and\nserver %s\n' "$U1" "$U2" > "$cfg"
expect_exit 0 xc-send --home alice m2.age
is "$(on "$U1" "$id2")$(on "$U2" "$id2")|$(outbox)" "11|0" "the config's servers both get it"
is_file_absent alice/spool "no default spool with servers configured"
printf 'spool %s\nserver %s\n' "$tmp/w/S" "$U2" > "$cfg"
seal m3.age "third"
id3=$(envid m3.age)
expect_exit 0 xc-send --home alice m3.age
is "$(on "$U2" "$id3")|$(ls S/*/ 2>/dev/null | grep -c "$id3")" "1|1" "a spool and a server in the config: both get it"
seal m4.age "fourth"
id4=$(envid m4.age)
expect_exit 0 xc-send --home alice --spool S2 m4.age
is "$(on "$U2" "$id4")|$(ls S2/*/ | grep -c "$id4")" "0|1" "--spool on the command line: the spool only"
expect_exit 0 xc-send --home alice --server "$U1" m4.age
is "$(on "$U1" "$id4")|$(on "$U2" "$id4")|$(ls S/*/ | grep -c "$id4")" "1|0|0" "--server on the command line: that server only"
rm -f "$cfg"

# ---- the quorum ----
ok "n3 stopped" xc-node stop "$(node_dir n3)"
seal m5.age "fifth"
id5=$(envid m5.age)
expect_exit 0 xc-send --home alice --server "$U1" --server "$U2" --server "$U3" --quorum 2 m5.age
like "$(cat "$ERR")" "^xc-send: warning: server 'nntp://127.0.40.4:11940': cannot connect to the server \\($id5 went to 2 of 3 servers\\)" \
    "quorum 2 of 3 up: delivered, the server down named in a warning"
is "$(outbox)|$(on "$U1" "$id5")$(on "$U2" "$id5")" "0|11" "... out of the outbox, on the two"
seal m6.age "sixth"
id6=$(envid m6.age)
must_fail 5 xc-send --home alice --server "$U1" --server "$U2" --server "$U3" --quorum 3 m6.age
like "$(cat "$ERR")" "cannot deliver $id6 to server 'nntp://127.0.40.4:11940': cannot connect to the server" "quorum 3 of 3, one down: status 5, the server named"
like "$(cat "$ERR")" "^xc-send: hint: 1 envelope\\(s\\) kept in the outbox; xc-send --flush retries" "... and the hint"
is "$(cat "$OUT")|$(outbox)|$(on "$U1" "$id6")$(on "$U2" "$id6")" "$id6|1|11" "... the id printed, kept in the outbox, posted to the two"
ok "n3 started again" xc-node start "$(node_dir n3)"
expect_exit 0 xc-send --home alice --server "$U1" --server "$U2" --server "$U3" --quorum all --flush
is "$(outbox)|$(on "$U3" "$id6")|$(cat "$OUT")" "0|1|" "a later --flush delivers it to the third"

# A refusal: larger than n3 takes.
head -c 120000 /dev/urandom | base64 > big.txt
xc-seal --home alice -r @bob --ttl 2h -o big.age big.txt || bail "xc-seal"
idb=$(envid big.age)
must_fail 5 xc-send --home alice --server "$U3" big.age
like "$(cat "$ERR")" "cannot deliver $idb to server 'nntp://127.0.40.4:11940': the server refused it: 437 Article is bigger than" "a refusal: status 5, the server's code and reason"
is "$(outbox)" 1 "... the envelope kept in the outbox"
expect_exit 0 xc-send --home alice --server "$U1" --flush
is "$(outbox)" 0 "... another server takes it"

# An envelope that expired in the outbox.
seal m7.age "seventh"
id7=$(envid m7.age)
expect_exit 5 env XC_TEST_NOW=+172800 xc-send --home alice --server "$U1" m7.age
like "$(cat "$ERR")" "^xc-send: warning: $id7 expired in the outbox before any server took it: removed" \
    "an envelope that expired in the outbox: status 5, removed, said"
is "$(outbox)|$(on "$U1" "$id7")" "0|0" "... not posted"

# Proof-of-work progress: on a terminal, never on a pipe.
printf 'no expiry\n' | xc-seal --home alice -r @bob -o m8.age || bail "xc-seal"
if command -v script >/dev/null; then
	script -qec "xc-send --home alice --server $U2 $tmp/w/m8.age" /dev/null > tty.out 2>&1
	like "$(tr '\r' '\n' < tty.out)" "^xc-send: proof-of-work for [0-9a-f]{16}\\.\\.\\.: +[0-9]+%" "progress on a terminal"
else
	skip 1 "no script(1)"
fi
seal m9.age "ninth"
expect_exit 0 xc-send --home alice --server "$U2" m9.age
is "$(cat "$ERR")" "" "no progress, nothing at all, on a pipe"

# ---- fetching ----
expect_exit 0 xc-fetch --home bob --server "$U1"
is "$(sort "$OUT" | sed 's|.*/||' | cut -c1-64 | paste -sd' ' -)" \
    "$(printf '%s\n' "$id1" "$id2" "$id4" "$id5" "$id6" "$idb" | sort | paste -sd' ' -)" \
    "fetched from n1: its six letters for bob"
is "$(grep "$id1" "$OUT" | xc-open --home bob)" "first" "... xc-open reads them"
is "$(wc -l < bob/state/cursors | tr -d ' ')" 1 "... a cursor for n1's group"
expect_exit 0 xc-fetch --home bob --server "$U1"
is "$(cat "$OUT")" "" "again: nothing"
expect_exit 0 xc-fetch --home bob --server "$U2" --server "$U3"
is "$(sort "$OUT" | sed 's|.*/||' | cut -c1-64 | paste -sd' ' -)" "$(printf '%s\n' "$id3" "$(envid m8.age)" "$(envid m9.age)" | sort | paste -sd' ' -)" \
    "from n2 and n3: only what n1 did not have"
is "$(inbox_ids bob | uniq -d)" "" "... nothing twice in the inbox"
cp bob/state/cursors cursors.before
ok "n1 stopped" xc-node stop "$(node_dir n1)"
seal m10.age "tenth"
id10=$(envid m10.age)
xc-send --home alice --server "$U2" m10.age > /dev/null 2>&1 || bail "xc-send"
expect_exit 5 xc-fetch --home bob --server "$U1" --server "$U2" --timeout 2
like "$(cat "$ERR")" "^xc-fetch: error: server 'nntp://127.0.40.2:11940': cannot connect to the server" "one server down: status 5, named"
is "$(sed 's|.*/||' "$OUT" | cut -c1-64)" "$id10" "... the other still read"
is "$(cat bob/state/cursors | wc -l | tr -d ' ')|$(grep -c -Fxf cursors.before bob/state/cursors)" "3|2" "... the cursors of the server read moved, the other's not"
ok "n1 started again" xc-node start "$(node_dir n1)"
cp bob/state/cursors cursors.before
seal m11.age "eleventh"
xc-send --home alice --server "$U1" m11.age > /dev/null 2>&1 || bail "xc-send"
expect_exit 0 xc-fetch --home bob -u @bob --server "$U1"
is "$(sed 's|.*/||' "$OUT" | cut -c1-64)|$(cmp -s cursors.before bob/state/cursors && echo same)" "$(envid m11.age)|same" "with -u: fetched, the cursors kept where they were"
n=$(inbox_ids bob | wc -l | tr -d ' ')
rm bob/state/cursors
expect_exit 0 xc-fetch --home bob --server "$U1" --server "$U2" --server "$U3"
is "$(cat "$OUT")|$(inbox_ids bob | wc -l | tr -d ' ')" "|$n" "a lost cursor file: everything listed again, nothing fetched twice"
done_testing
