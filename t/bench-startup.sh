#!/bin/sh
# t/bench-startup.sh: what starting each program costs (run by `make
# bench`, or as `sh t/bench-startup.sh`): mostly the dynamic loader
# mapping and relocating the shared libraries a program links, which is
# what a script pays per call.  BENCH_START_RUNS (default 7) rounds, each
# starting every program BENCH_START_N (default 300) times in a row with
# -V (minisign: -v; age: --version), the programs in a new order each
# round; microseconds per start, median and min-max over the rounds, and
# the ratio to minisign (C and libsodium, as xc's floor), of the medians
# and min-max within a round.  The machine may be shared: read the spread.
#
# Environment: XC_BIN (default <root>/bin), BENCH_START_RUNS,
# BENCH_START_N.
set -eu

me=bench-startup
root=$(cd "$(dirname "$0")/.." && pwd)
XC_BIN=${XC_BIN:-$root/bin}
runs=${BENCH_START_RUNS:-7}
n=${BENCH_START_N:-300}
work=$(mktemp -d "${TMPDIR:-/tmp}/xc-bench-startup.XXXXXX")
trap 'rm -rf "$work"' EXIT

progs="xc-keygen xc-verify xc-seal xc-open xc-send xc-fetch"
others=
command -v minisign >/dev/null 2>&1 && others="$others minisign"
command -v age >/dev/null 2>&1 && others="$others age"
[ -n "$others" ] || { echo "$me: error: no minisign or age to compare with" >&2; exit 1; }

cmd() {
	case $1 in
	minisign) echo "minisign -v" ;;
	age) echo "age --version" ;;
	*) echo "$XC_BIN/$1 -V" ;;
	esac
}

# one PROG: microseconds per start over $n starts.
one() {
	_c=$(cmd "$1")
	_t0=$(date +%s%N)
	_i=0
	while [ "$_i" -lt "$n" ]; do
		$_c >/dev/null 2>&1
		_i=$((_i + 1))
	done
	_t1=$(date +%s%N)
	echo $(((_t1 - _t0) / n / 1000))
}

r=0
while [ "$r" -lt "$runs" ]; do
	# A new order each round (rotated by the round number).
	list=$(echo $progs $others | tr ' ' '\n' | awk -v r="$r" '
		{ a[NR] = $0 } END { for (i = 0; i < NR; i++) print a[(i + r) % NR + 1] }')
	for p in $list; do
		one "$p" >>"$work/$p"
	done
	if [ -e "$work/minisign" ]; then
		base=$(tail -n 1 "$work/minisign")
		for p in $progs; do
			awk -v a="$(tail -n 1 "$work/$p")" -v b="$base" \
			    'BEGIN { printf "%.2f\n", a / b }' >>"$work/$p.ratio"
		done
	fi
	r=$((r + 1))
done

stats() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%s (%s-%s)", m, v[1], v[NR] }'
}

echo "$me: $runs rounds of $n starts each, interleaved; load: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-12s %-22s %s\n' program "us per start" "/ minisign (median of rounds; min-max)"
for p in $progs $others; do
	if [ -e "$work/$p.ratio" ]; then
		printf '%-12s %-22s %s\n' "$p" "$(stats "$work/$p")" "$(stats "$work/$p.ratio")"
	else
		printf '%-12s %s\n' "$p" "$(stats "$work/$p")"
	fi
done
for p in $progs; do
	printf '%-12s %s\n' "$p" "$(ldd "$XC_BIN/$p" | awk '{ print $1 }' |
	    grep -E 'lib(ssl|crypto|z|nettle|cjson|sodium)\.' | tr '\n' ' ')"
done
