#!/bin/sh
# 0180-terminals: the programs on a terminal and in pipes that went wrong.
# xc-open and xc-send with a terminal on stdin and no operand say how to
# use them and exit 2 (`-` still reads a paste); `xc-fetch | xc-open` with
# nothing fetched is exit 0; an empty stdin after a failed xc-seal is one
# line in xc-send ("no input", 3); armor inside other text opens and sends
# (one block; two are refused; raw mode stays strict); progress (bytes,
# rate, time left) appears on a pty for a 256 MiB seal and open that take
# more than a second, and never on a pipe, where stderr is byte for byte
# what it is without progress.
# shellcheck source=t/lib.sh
. "$(dirname "$0")/lib.sh"

plan 44
need_delivery

ptyrun() {
	python3 "$root/t/pty.py" "$@"
}
ptyrun /dev/null true 2>/dev/null || bail "no pseudo-terminal here"

parties bob alice
xc-verify --home alice -q --import bob.card > /dev/null 2>&1 || bail "import"
printf 'restart the web server\n' > msg.txt
xc-seal --home alice -r @bob -o m.age msg.txt || bail "seal"
armor m.age > m.asc

# ---- a terminal on stdin and no operand: how to use it, status 2 ----
ptyrun -0 -1 -2 tty.out xc-open --home bob
is "$?" 2 "xc-open typed alone on a terminal: status 2"
is "$(cat tty.out)" "$(printf '%s\n' \
    "xc-open: error: no envelope given, and standard input is a terminal" \
    "xc-open: hint: xc-open FILE.age..., or xc-fetch | xc-open; xc-open - reads an armored envelope pasted here")" \
    "... it says how to use it, at once"
ptyrun -0 -1 -2 tty.out xc-send --home alice --spool spool
is "$?" 2 "xc-send typed alone on a terminal: status 2"
is "$(cat tty.out)" "$(printf '%s\n' \
    "xc-send: error: no envelope given, and standard input is a terminal" \
    "xc-send: hint: xc-seal ... | xc-send, or xc-send FILE.age...; xc-send - reads an armored envelope pasted here; xc-send --flush delivers the outbox")" \
    "... it says how to use it"
is_file_absent alice/outbox "... and queues nothing"
# `-` reads the terminal: an armored envelope pasted, then Ctrl-D.
ptyrun -0 -s m.asc tty.out xc-open --home bob - > paste.out 2> paste.err
is "$?|$(cat paste.out)" "0|restart the web server" "xc-open - reads a pasted armored envelope"
ptyrun -0 -s m.asc tty.out xc-send --home bob --spool spool - > paste.out 2> paste.err
is "$?|$(cat paste.out)" "0|$(envid m.age)" "xc-send - reads a pasted one too: the same id as the binary"

# ---- empty pipes ----
xc-send --home bob --spool spool0 --flush || bail "an empty spool"
expect_exit 0 sh -c 'xc-fetch --home bob --spool spool0 | xc-open --home bob'
is "$(cat "$OUT")$(cat "$ERR")" "" "xc-fetch | xc-open with nothing fetched: status 0, silent"
expect_exit 0 xc-open --home bob < /dev/null
expect_exit 3 sh -c 'false | xc-send --home alice --spool spool'
is "$(od -c "$ERR" | sed -n 1,3p)" "$(printf 'xc-send: error: no input\n' | od -c | sed -n 1,3p)" \
    "an empty stdin: one line, byte for byte"
is "$(wc -c < "$OUT")|$(ls alice/outbox/new | wc -l)" "0|0" "... nothing printed, nothing queued"
# After a failed xc-seal: its error, then xc-send's one line.
xc-seal --home alice -r @nobody msg.txt 2> seal.err | xc-send --home alice --spool spool > send.out 2> send.err
is "$?|$(cat send.err)" "3|xc-send: error: no input" "xc-seal fails | xc-send: 'no input', status 3"
like "$(cat seal.err)" '^xc-seal: error: @nobody is not a contact$' "... the cause was said by xc-seal"
must_fail 3 xc-send --home alice --spool spool /dev/null
is "$(cat "$ERR")" "xc-send: error: '/dev/null': empty, not an envelope" "an empty operand is named"

# ---- armor within other text ----
{ printf 'hi bob, here it is:\n\n'; cat m.asc; printf '\ncheers, alice\n> quoted\n'; } > chat.txt
expect_exit 0 xc-open --home bob --allow-replay < chat.txt
is "$(cat "$OUT")" "restart the web server" "xc-open: armor in a chat message, on stdin"
expect_exit 0 xc-open --home bob --allow-replay chat.txt
is "$(cat "$OUT")" "restart the web server" "... and as an operand"
like "$(cat "$ERR")" ", id $(envid m.age)(,|\$)" "... the id is the binary envelope's"
expect_exit 0 xc-send --home bob --spool spool2 chat.txt
is "$(cat "$OUT")" "$(envid m.age)" "xc-send: armor in text is the same envelope"
{ cat chat.txt; printf 'and again:\n'; cat m.asc; } > two.txt
must_fail 3 xc-open --home bob --allow-replay < two.txt
is "$(cat "$ERR")" "xc-open: error: -: armor failure: more than one armored envelope in the input (one at a time)" \
    "two armored blocks: refused, named"
is "$(wc -c < "$OUT")" 0 "... nothing released"
must_fail 3 xc-send --home bob --spool spool2 two.txt
like "$(cat "$ERR")" "more than one armored envelope in the input" "xc-send refuses them too"
{ printf 'hello\n'; } > noarmor.txt
must_fail 3 xc-send --home bob --spool spool2 noarmor.txt
like "$(cat "$ERR")" "no age armor BEGIN line" "text without armor: not an envelope"
# Raw mode keeps age's strictness (the CCTV vectors want text around armor
# refused).
age-keygen -o key.txt 2>/dev/null || bail "age-keygen"
xc-seal --raw -a -r "$(age-keygen -y key.txt)" -o r.asc msg.txt || bail "seal --raw"
{ printf 'hi\n'; cat r.asc; } > rchat.txt
must_fail 3 xc-open --raw -i key.txt rchat.txt
like "$(cat "$ERR")" '^xc-open: error: armor failure: ' "raw mode: text before the armor is an armor failure"
expect_exit 0 xc-open --raw -i key.txt r.asc

# ---- progress: on a terminal for long work, never on a pipe ----
# 256 MiB; the envelope goes to a FIFO read at about 100 MiB/s, so that
# sealing takes more than a second on any machine; stdin of xc-open is a
# slow pipe the same way.
head -c 268435456 /dev/zero | tr '\0' 'x' > big.bin
mkfifo fifo
slow='
import signal, sys, time
signal.alarm(120)	# never left behind, whatever the writer does
src = open(sys.argv[1], "rb") if len(sys.argv) > 1 else sys.stdin.buffer
dst = open(sys.argv[2], "wb") if len(sys.argv) > 2 else sys.stdout.buffer
while True:
    b = src.read(1 << 20)
    if not b:
        break
    dst.write(b)
    time.sleep(0.01)
'
now=$(date +%s)
python3 -c "$slow" fifo big.age &
XC_TEST_NOW=$now ptyrun -2 seal.tty xc-seal --home alice -r @bob -A big.bin -o fifo < /dev/null
is "$?" 0 "a 256 MiB seal with stderr on a terminal"
wait
tr '\r' '\n' < seal.tty > seal.lines
like "$(cat seal.lines)" '^xc-seal: [0-9.]+ MiB of [0-9.]+ MiB \([0-9]+%\), [0-9.]+ MiB/s, [0-9]+ s left *$' \
    "... shows bytes, total, rate and time left"
is "$(tr -dc '\n' < seal.tty | wc -c)|$(tr -dc '\r' < seal.tty | wc -c | sed 's/^[1-9][0-9]*$/some/')" "0|some" \
    "... rewrites one line (carriage returns, no newline)"
like "$(tail -c 2 seal.tty | od -An -c | tr -d ' ')" '^\\r$' "... and erases it at the end"
python3 -c "$slow" fifo big2.age &
XC_TEST_NOW=$now xc-seal --home alice -r @bob -A big.bin -o fifo < /dev/null 2> seal.err
is "$?|$(wc -c < seal.err)" "0|0" "the same seal with stderr on a pipe: nothing at all on stderr"
wait
mkdir got1 got2
python3 -c "$slow" big.age | ptyrun -2 open.tty xc-open --home bob -D got1 - > open.out
is "$?" 0 "a 256 MiB open from a slow pipe, stderr on a terminal"
like "$(tr '\r' '\n' < open.tty)" '^xc-open: [0-9.]+ MiB, [0-9.]+ MiB/s *$' \
    "... shows bytes and rate (the size of a pipe is unknown)"
ok "... the attachment" cmp -s big.bin got1/big.bin
python3 -c "$slow" big2.age | xc-open --home bob -D got2 - > open.out 2> open.err
when=$(python3 -c "import time; print(time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime($now)))")
printf 'xc-open: -: from @alice (contact, %s), level 2 private, %s, id %s\nxc-open: saved got2/big.bin (application/octet-stream, 268435456 bytes)\n' \
    "$(xc-keygen --home alice --list | cut -f2)" "$when" "$(envid big2.age)" > open.want
ok "the same open with stderr on a pipe: stderr is byte for byte the report" cmp open.err open.want
ok "... the attachment" cmp -s big.bin got2/big.bin
rm -rf big.age big2.age big.bin got1 got2

done_testing
