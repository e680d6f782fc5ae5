#!/bin/sh
# t/bench.sh: raw mode (plain age v1 files) against the real age 1.1.1, in
# one run, on the same files.  Run by `make bench`, or as `sh t/bench.sh`
# from anywhere (after make t/bench).
#
# Every figure is the median of BENCH_REPS (default 7) interleaved rounds
# (t/bench.c: each round runs every command once, the order reversed on
# every other round), with min-max beside it; never best-of-N.  Measured:
#   encrypt and decrypt of a 256 MiB (BENCH_SIZE_MIB) random file, to
#   stdout (/dev/null) and with -o (xc syncs the file before renaming it;
#   age does not);
#   key generation, and sealing and opening a 1 KiB message, one process
#   each (batches of BENCH_SMALL_BATCH, default 20);
#   peak RSS of encrypt and decrypt (time(1), one run each).
# Targets (issue 2): encrypt within 10% of age or better; decrypt faster
# than age; 1 KiB seal+open under 1/3 of age's time.  Every tool decrypts
# the same ciphertext, made by age; xc and age first decrypt each other's.
#
# Environment: XC_BIN (default <root>/bin), BENCH_REPS, BENCH_SIZE_MIB,
# BENCH_SMALL_BATCH, BENCH_STRICT=1 (exit 1 on a miss), TMPDIR (default
# /var/tmp: on disk).
set -eu

me=bench
root=$(cd "$(dirname "$0")/.." && pwd)
XC_BIN=${XC_BIN:-$root/bin}
case $XC_BIN in /*) ;; *) XC_BIN=$(cd "$XC_BIN" && pwd) ;; esac
BENCH=$root/t/bench
reps=${BENCH_REPS:-7}
size_mib=${BENCH_SIZE_MIB:-256}
small_batch=${BENCH_SMALL_BATCH:-20}
strict=${BENCH_STRICT:-0}
LC_ALL=C
export LC_ALL

die() {
	echo "$me: error: $*" >&2
	exit 2
}
for v in "$reps" "$size_mib" "$small_batch"; do
	case $v in '' | *[!0-9]* | 0) die "BENCH_* must be positive integers" ;; esac
done
[ "$reps" -ge 7 ] || die "BENCH_REPS must be at least 7"
for p in xc-keygen xc-seal xc-open; do
	[ -x "$XC_BIN/$p" ] || die "no $XC_BIN/$p: run make"
done
[ -x "$BENCH" ] || die "no $BENCH: run make t/bench"
command -v age >/dev/null 2>&1 && command -v age-keygen >/dev/null 2>&1 ||
	die "age and age-keygen are needed (the baseline)"
AGE=$(command -v age)
AGEKEYGEN=$(command -v age-keygen)

work=$(mktemp -d "${TMPDIR:-/var/tmp}/xc-bench.XXXXXX") || die "no work directory"
case $work in *' '*) die "the work directory has a space: $work" ;; esac
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM HUP
avail_kib=$(df -Pk "$work" | awk 'NR == 2 { print $4 }')
[ "$avail_kib" -ge $((size_mib * 1024 * 4 + 4096)) ] || die "not enough room in $work"
load_before=$(cut -d ' ' -f 1-3 /proc/loadavg)
cd "$work"

echo "$me: preparing $size_mib MiB in $work" >&2
head -c $((size_mib * 1048576)) /dev/urandom >big.bin
head -c 1024 /dev/urandom >small.bin
age-keygen -o key.txt 2>/dev/null
chmod 600 key.txt
R=$(age-keygen -y key.txt)
age -e -r "$R" -o big.age big.bin
age -e -r "$R" -o small.age small.bin
X=$XC_BIN

# Cross-checks (not timed).
[ "$("$X/xc-keygen" -y key.txt)" = "$R" ] || die "xc-keygen -y disagrees with age-keygen -y"
"$X/xc-open" --raw -i key.txt big.age | cmp -s - big.bin || die "xc-open cannot open age's file"
"$X/xc-seal" --raw -r "$R" -o chk.age big.bin
age -d -i key.txt chk.age | cmp -s - big.bin || die "age cannot open xc-seal's file"
rm -f chk.age

tab=$(printf '\t')
row() { printf '%s\n' "$*" | sed "s/ | /$tab/g"; }
{
	row "xc_enc_null | 1 | - | - | - | $X/xc-seal --raw -r $R $work/big.bin"
	row "age_enc_null | 1 | - | - | - | $AGE -e -r $R $work/big.bin"
	row "xc_enc_file | 1 | @rm $work/o.xc | - | - | $X/xc-seal --raw -r $R -o $work/o.xc $work/big.bin"
	row "age_enc_file | 1 | @rm $work/o.age | - | - | $AGE -e -r $R -o $work/o.age $work/big.bin"
	row "xc_dec_null | 1 | - | - | - | $X/xc-open --raw -i $work/key.txt $work/big.age"
	row "age_dec_null | 1 | - | - | - | $AGE -d -i $work/key.txt $work/big.age"
	row "xc_dec_file | 1 | @rm $work/o.out | - | - | $X/xc-open --raw -i $work/key.txt -o $work/o.out $work/big.age"
	row "age_dec_file | 1 | @rm $work/o.out | - | - | $AGE -d -i $work/key.txt -o $work/o.out $work/big.age"
	row "xc_keygen | $small_batch | - | - | - | $X/xc-keygen --age"
	row "age_keygen | $small_batch | - | - | - | $AGEKEYGEN"
	row "xc_seal | $small_batch | - | - | - | $X/xc-seal --raw -r $R $work/small.bin"
	row "age_seal | $small_batch | - | - | - | $AGE -e -r $R $work/small.bin"
	row "xc_open | $small_batch | - | - | - | $X/xc-open --raw -i $work/key.txt $work/small.age"
	row "age_open | $small_batch | - | - | - | $AGE -d -i $work/key.txt $work/small.age"
} >plan
echo "$me: $reps interleaved rounds" >&2
"$BENCH" run "$reps" plan >samples || die "a command failed"

stat() {
	awk -v l="$1" '$1 == l { print $3 }' samples | sort -g | awk '
		{ v[NR] = $1 }
		END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		      printf "%.9f %.9f %.9f\n", m, v[1], v[NR] }'
}
med() { stat "$1" | cut -d ' ' -f 1; }
mbps() {
	stat "$1" | awk -v b=$((size_mib * 1048576)) '{ printf "%.0f (%.0f - %.0f)\n", b / 1e6 / $1, b / 1e6 / $3, b / 1e6 / $2 }'
}
ms() { stat "$1" | awk '{ printf "%.3f (%.3f - %.3f)\n", $1 * 1e3, $2 * 1e3, $3 * 1e3 }'; }
rss() {
	/usr/bin/time -f %M -o "$work/rss" "$@" >/dev/null 2>&1 && tail -n 1 "$work/rss"
}
missed=0
# line TEXT XC AGE [RATIO OP LIMIT]
line() {
	v=
	if [ $# -ge 6 ]; then
		if awk -v r="$4" -v l="$6" -v op="$5" 'BEGIN { exit !(op == ">=" ? r >= l : op == ">" ? r > l : r < l) }'; then
			v="met ($5 $6)"
		else
			v="MISSED ($5 $6)"
			missed=$((missed + 1))
		fi
	fi
	printf '%-28s %-26s %-26s %6s  %s\n' "$1" "$2" "$3" "${4:-}" "$v"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

echo "xc bench (raw mode), $(date -u +%Y-%m-%dT%H:%M:%SZ), $(uname -sr), $(nproc) cpu"
echo "$reps interleaved rounds, median (min - max); $size_mib MiB from /dev/urandom in $work"
echo "load average: $load_before at the start, $(cut -d ' ' -f 1-3 /proc/loadavg) at the end"
echo "  xc: $("$X/xc-seal" -V) ($X); age: $(age --version)"
echo
printf '%-28s %-26s %-26s %6s  %s\n' metric xc age xc/age target
for k in enc_null enc_file dec_null dec_file; do
	case $k in enc*) op='>=' lim=0.90 ;; *) op='>' lim=1.00 ;; esac
	line "$k (MB/s)" "$(mbps "xc_$k")" "$(mbps "age_$k")" \
		"$(ratio "$(med "age_$k")" "$(med "xc_$k")")" "$op" "$lim"
done
if [ -x /usr/bin/time ]; then
	line "peak RSS encrypt (KiB)" "$(rss "$X/xc-seal" --raw -r "$R" big.bin)" "$(rss age -e -r "$R" big.bin)"
	line "peak RSS decrypt (KiB)" "$(rss "$X/xc-open" --raw -i key.txt big.age)" "$(rss age -d -i key.txt big.age)"
fi
for k in keygen seal open; do
	line "1 KiB $k (ms)" "$(ms "xc_$k")" "$(ms "age_$k")" "$(ratio "$(med "xc_$k")" "$(med "age_$k")")"
done
line "1 KiB seal+open (ms)" \
	"$(awk -v a="$(med xc_seal)" -v b="$(med xc_open)" 'BEGIN { printf "%.3f", (a + b) * 1e3 }')" \
	"$(awk -v a="$(med age_seal)" -v b="$(med age_open)" 'BEGIN { printf "%.3f", (a + b) * 1e3 }')" \
	"$(ratio "$(awk -v a="$(med xc_seal)" -v b="$(med xc_open)" 'BEGIN { print a + b }')" \
		"$(awk -v a="$(med age_seal)" -v b="$(med age_open)" 'BEGIN { print a + b }')")" '<' 0.333
echo
echo "ratio: throughput rows, xc's MB/s over age's (higher is better); time rows, xc's time over age's"
echo "-o rows: xc syncs the file before renaming it into place, age does not"
[ "$missed" -eq 0 ] || echo "$me: $missed target row(s) missed"
[ "$missed" -eq 0 ] || [ "$strict" != 1 ] || exit 1
exit 0
