#!/bin/sh
# 0100-cli: help, version and usage errors of xc-keygen, xc-seal and xc-open.
# Help goes to stdout (exit 0); usage errors exit 2 with an `error:` line on
# stderr and nothing on stdout.
# shellcheck source=t/lib.sh
. "$(dirname "$0")/lib.sh"

plan 101

# Fixtures come from the real age, so this test does not depend on xc-keygen.
age-keygen -o key 2>/dev/null || exit 1
recip=$(age-keygen -y key) || exit 1
printf 'hello\n' >msg
printf 'secret words\n' >pw

no_stdout() {
	is "$(wc -c <"$OUT")" 0 "nothing on stdout"
}

no_stderr() {
	is "$(wc -c <"$ERR")" 0 "nothing on stderr"
}

# help_shows TOOL LINE...: -h and --help print every usage LINE on stdout.
help_shows() {
	_tool=$1
	shift
	for _opt in -h --help; do
		expect_exit 0 "$_tool" "$_opt"
		for _line; do
			ok "$_tool $_opt shows '$_line'" grep -qF -- "$_line" "$OUT"
		done
		no_stderr
	done
}

help_shows xc-keygen \
	'xc-keygen --age [-o FILE]' \
	'xc-keygen -y [FILE]'
help_shows xc-seal \
	'xc-seal --raw [-a] [-r RECIPIENT]... [-R RECIPIENTS_FILE]... [-o OUT] [INPUT]' \
	'xc-seal --raw [-a] (-p | --passphrase-file FILE)'
help_shows xc-open \
	'xc-open --raw [-d] [-i IDENTITY_FILE]... [-p | --passphrase-file FILE] [-o OUT] [INPUT]'

for tool in xc-keygen xc-seal xc-open; do
	for opt in -V --version; do
		expect_exit 0 "$tool" "$opt"
		is "$(cat "$OUT")" "$tool 0.1.0" "$tool $opt prints its version"
	done
	must_fail 2 "$tool" --no-such-option </dev/null
	no_stdout
	must_fail 2 "$tool" -Z </dev/null
	no_stdout
done

# A missing option argument is a usage error too.
must_fail 2 xc-open --raw msg -i
no_stdout

# xc-keygen: a mode is required, and only one.
must_fail 2 xc-keygen </dev/null
no_stdout
must_fail 2 xc-keygen --age -y key
no_stdout

# Without --raw, -r takes a handle: an age recipient is a usage error that
# points at --raw; a file that is not an envelope is bad input.
must_fail 2 xc-seal -r "$recip" msg
no_stdout
ok "xc-seal -r age1... without --raw mentions --raw" grep -q -e '--raw' "$ERR"
must_fail 3 xc-open -i key msg
no_stdout

# Missing recipients or identities.
must_fail 2 xc-seal --raw msg
no_stdout
must_fail 2 xc-seal --raw </dev/null
no_stdout
must_fail 2 xc-open --raw msg
no_stdout

# Passphrase and recipients cannot be mixed. setsid: no controlling terminal,
# so a tool that prompts before checking its options cannot hang.
must_fail 2 xc-seal --raw --passphrase-file pw -r "$recip" msg
no_stdout
must_fail 2 setsid -w xc-seal --raw -p -r "$recip" msg </dev/null
no_stdout

# Malformed arguments.
must_fail 2 xc-seal --raw -r not-a-recipient msg
no_stdout
bad=${recip%?}q
[ "$bad" != "$recip" ] || bad=${recip%?}p
must_fail 2 xc-seal --raw -r "$bad" msg
no_stdout
must_fail 2 xc-seal --raw --passphrase-file pw --work-factor 23 msg
no_stdout
must_fail 2 xc-seal --raw --passphrase-file pw --work-factor 0 msg
no_stdout
must_fail 2 xc-seal --raw --passphrase-file pw --work-factor x msg
no_stdout

# The same file as input and output is refused and left alone.
cp msg same
must_fail 2 xc-seal --raw -r "$recip" -o same same
ok "input file unchanged" cmp msg same

# No terminal for a passphrase prompt: exit 4.
must_fail 4 setsid -w xc-seal --raw -p -o sealed msg </dev/null
is_file_absent sealed
must_fail 4 setsid -w xc-open --raw -p msg </dev/null

# Binary output to a terminal is refused unless -a or -o (`script` gives a pty).
if command -v script >/dev/null 2>&1; then
	script -qec "xc-seal --raw -r $recip msg" /dev/null </dev/null >tty.out 2>&1
	is "$?" 2 "xc-seal refuses binary output to a terminal"
	ok "... with an error line" grep -q '^xc-seal: error: ' tty.out
	ok "... and no ciphertext" sh -c '! grep -q "age-encryption.org" tty.out'
	script -qec "xc-seal --raw -a -r $recip msg" /dev/null </dev/null >tty.out 2>&1
	is "$?" 0 "xc-seal -a writes armor to a terminal"
	ok "... an armored file" grep -q '^-----BEGIN AGE ENCRYPTED FILE-----' tty.out
else
	skip 5 "script(1) not available"
fi

# -o onto something that is not a regular file is written in place: the
# temp-and-rename of -o must never replace a device or FIFO node (it once
# turned /dev/null into a regular file when run as root).
mkfifo fifo
timeout 20 cat fifo > from-fifo &
reader=$!
expect_exit 0 xc-seal --raw -r "$recip" -o fifo msg
wait "$reader"
ok "-o FIFO stays a FIFO" test -p fifo
ok "... and the ciphertext went through it" grep -q '^age-encryption.org/v1$' from-fifo
timeout 20 cat fifo > opened &
reader=$!
expect_exit 0 xc-open --raw -i key -o fifo from-fifo
wait "$reader"
ok "xc-open -o FIFO writes the plaintext through it" cmp -s opened msg

# -o through a symlink replaces what it points to and keeps the link; and
# -o /dev/stdout is standard output (it once replaced the /dev/stdout link).
echo old > target
ln -s target link
expect_exit 0 xc-seal --raw -r "$recip" -o link msg
ok "-o symlink: the link is still a link" test -L link
ok "... and its target holds the ciphertext" grep -q '^age-encryption.org/v1$' target
xc-seal --raw -r "$recip" -o /dev/stdout msg > via-stdout
expect_exit 0 xc-open --raw -i key via-stdout
is "$(cat "$OUT")" "hello" "-o /dev/stdout writes to standard output"

# Secrets hygiene (TESTPLAN P13): no core dumps while a key is in memory.
mkfifo hold
xc-open --raw -i key hold > /dev/null 2>&1 &
pid=$!
core=
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do	# up to 2 s
	core=$(awk '/^Max core file size/ { print $5 " " $6 }' "/proc/$pid/limits" 2>/dev/null)
	[ "$core" = "0 0" ] && break
	sleep 0.1
done
is "$core" "0 0" "xc-open runs with soft and hard core size limits of 0"
printf '' > hold
wait "$pid"

# XC_TEST_NOW (xc(7)): the clock of every program, for tests.
XC_TEST_NOW=1800000000 xc-keygen --age -o clock.key 2>/dev/null
is "$(sed -n 1p clock.key)" "# created: 2027-01-15T08:00:00Z" "XC_TEST_NOW sets the time"
before=$(date -u -d @$(($(date +%s) + 86400)) +%Y-%m-%dT%H:%M)
XC_TEST_NOW=+86400 xc-keygen --age -o clock2.key 2>/dev/null
after=$(date -u -d @$(($(date +%s) + 86400)) +%Y-%m-%dT%H:%M)
got=$(sed -n 1p clock2.key | cut -c12-27)
ok "XC_TEST_NOW=+N is an offset from the clock ($got)" \
    test "$got" = "$before" -o "$got" = "$after"
XC_TEST_NOW=soon xc-keygen --age -o clock3.key 2>/dev/null
is "$(sed -n 1p clock3.key | cut -c12-21)" "$(date -u +%Y-%m-%d)" "an XC_TEST_NOW that is not a number is ignored"

done_testing
