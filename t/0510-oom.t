#!/bin/sh
# 0510-oom: memory runs out at each allocation in turn (TESTPLAN B12).
# t/oom.so fails the XC_OOM_N-th malloc/calloc/realloc; for every N up to
# the number a clean run makes, each program must exit 0 with the right
# result or 4 with an error line: never a crash, never another status,
# never a half-made output file or identity, and xc-open never releases
# more than whole authenticated chunks.
# shellcheck source=t/lib.sh
. "$(dirname "$0")/lib.sh"

shim=$root/t/oom.so
if [ -n "${XC_SANITIZE:-}" ] || ! [ -f "$shim" ]; then
	# ASan must be the first library loaded: it cannot run under a shim.
	plan 1
	skip 1 "no allocation-failure shim for this build"
	done_testing
fi
plan 4

xc-keygen --age -o key 2>/dev/null || exit 1
pub=$(xc-keygen -y key)
head -c 200000 /dev/urandom > p
xc-seal --raw -r "$pub" -o c p || exit 1

# calls CMD...: how many allocations a clean run of CMD makes.
calls() {
	XC_OOM_REPORT=$tmp/count LD_PRELOAD=$shim "$@" > /dev/null 2>&1
	cat "$tmp/count"
}

# each NAME CHECK CMD...: runs CMD failing allocation 1..K; CHECK judges
# a run (exit status in $st, output in out, stderr in err); reset removes
# what a run made before the next one.
reset() { rm -rf sealed "$tmp/h" "$tmp/c"; }
each() {
	name=$1 check=$2
	shift 2
	k=$(calls "$@")
	bad=0 n=1
	while [ "$n" -le "$k" ]; do
		reset
		XC_OOM_N=$n LD_PRELOAD=$shim "$@" > out 2> err
		st=$?
		if ! $check; then
			bad=$((bad + 1))
			[ $bad -le 3 ] && diag "$name: allocation $n of $k: exit $st: $(head -c 200 err)"
		fi
		n=$((n + 1))
	done
	is "$bad" 0 "$name: $k allocations failed in turn, each handled"
}

error_line() { [ $st -eq 4 ] && grep -q '^xc-[a-z]*: error: ' err; }

open_ok() {
	case $st in
	0) cmp -s out p ;;
	4) error_line && [ $(($(wc -c < out) % 65536)) -eq 0 ] ;;
	*) false ;;
	esac
}
each xc-open open_ok xc-open --raw -i key c

seal_ok() {
	case $st in
	0) xc-open --raw -i key sealed | cmp -s - p ;;
	4) error_line && [ -z "$(ls -A | grep -e sealed -e '\.xc-')" ] ;;
	*) false ;;
	esac
}
each xc-seal seal_ok xc-seal --raw -r "$pub" -o sealed p

keygen_ok() {
	case $st in
	0) xc-verify -q "$tmp/h/ids/x/card" ;;
	4) error_line && ! [ -e "$tmp/h/ids/x" ] ;;
	*) false ;;
	esac
}
each xc-keygen keygen_ok xc-keygen --home "$tmp/h" @x

import_ok() {
	case $st in
	0) grep -q '^@x: new contact' err ;;
	4) error_line ;;
	*) false ;;
	esac
}
xc-keygen --home "$tmp/src" @x > x.card 2>/dev/null || exit 1
each xc-verify import_ok xc-verify --home "$tmp/c" --import x.card

done_testing
