#!/bin/sh
# 0600-memory: xc-seal and xc-open stream. A 1 GiB stream (binary) and a
# 256 MiB stream (armored) go through seal | open in one pipeline, nothing
# stored on disk; each process's peak RSS (GNU time %M, KiB) stays under
# 16 MiB and the output hashes to the same SHA-256 as the input stream
# (hashed by a tee into a FIFO while it is encrypted).
# shellcheck source=t/lib.sh
. "$(dirname "$0")/lib.sh"

plan 10

limit=16384 # KiB
# AddressSanitizer's shadow and quarantine roughly double what a process
# keeps resident (the same allowance as t/0810's).
[ -z "${XC_SANITIZE:-}" ] || limit=32768
if ! [ -x /usr/bin/time ]; then
	skip 10 "no /usr/bin/time"
	done_testing
fi
age-keygen -o key 2>/dev/null || exit 1
pub=$(age-keygen -y key) || exit 1

# rss FILE: the number GNU time wrote last (it may prefix a status line).
rss() {
	tail -n 1 "$1" 2>/dev/null
}

# roundtrip NAME BYTES SEAL_OPTION...: the checks for one stream.
roundtrip() {
	_name=$1
	_bytes=$2
	shift 2
	rm -f fifo st.seal st.open rss.seal rss.open in.sum out.sum
	mkfifo fifo || exit 1
	sha256sum <fifo >in.sum &
	_sum=$!
	head -c "$_bytes" /dev/zero | tee fifo |
		{
			/usr/bin/time -f %M -o rss.seal xc-seal --raw "$@" -r "$pub"
			echo $? >st.seal
		} |
		{
			/usr/bin/time -f %M -o rss.open xc-open --raw -i key
			echo $? >st.open
		} | sha256sum >out.sum
	wait "$_sum"
	is "$(cat st.seal)" 0 "$_name: xc-seal exit 0"
	is "$(cat st.open)" 0 "$_name: xc-open exit 0"
	is "$(cut -d' ' -f1 out.sum)" "$(cut -d' ' -f1 in.sum)" \
		"$_name: the output has the input's SHA-256"
	diag "$_name: peak RSS xc-seal $(rss rss.seal) KiB, xc-open $(rss rss.open) KiB"
	ok "$_name: xc-seal peak RSS < $limit KiB" test "$(rss rss.seal)" -lt "$limit"
	ok "$_name: xc-open peak RSS < $limit KiB" test "$(rss rss.open)" -lt "$limit"
}

roundtrip "1 GiB" 1073741824
roundtrip "256 MiB armored" 268435456 -a

done_testing
