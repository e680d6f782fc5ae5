#!/bin/sh
# t/bench.sh: xc against the real age 1.1.1, in one run, on the same files.
# Run by `make bench`, or as `sh t/bench.sh` from anywhere.
#
# Measures, for each tool in $BENCH_TOOLS (default "xc age"):
#   encrypt and decrypt throughput of a 256 MiB random file, to /dev/null and
#   to a file (-o), best of 3 runs, in MB/s (10^6 bytes per second);
#   peak RSS of encrypt and decrypt (/usr/bin/time -f %M);
#   whole-process time of key generation, and of sealing and of opening a
#   1 KiB message, mean of 200 runs (hyperfine if installed, else a loop);
# and prints them side by side with the ratio xc/age and the issue's targets:
#   encrypt within 10% of age or better   (throughput ratio >= 0.90)
#   decrypt faster than age               (throughput ratio >  1.00)
#   1 KiB seal+open < 1/3 of age's time   (time ratio       <  0.33)
# Every tool decrypts the same ciphertext, made by age. Before timing, it
# checks that xc and age decrypt each other's output to the same bytes.
#
# Environment:
#   XC_BIN            where xc-keygen, xc-seal, xc-open are (default <root>/bin)
#   BENCH_TOOLS       tools to compare, first is the subject (default "xc age")
#   BENCH_SIZE_MIB    size of the big file in MiB (default 256)
#   BENCH_RUNS        throughput runs per tool, best kept (default 3)
#   BENCH_SMALL_RUNS  runs per tool for the 1 KiB message (default 200)
#   BENCH_STRICT=1    exit 1 if a target is missed (default: report only)
#   TMPDIR            the work directory goes here (default /var/tmp: on disk)
#
# Adding a tool (gpg, minisign...): write tool_NAME_check (sets ver_NAME and
# returns 0 if usable), and any of cmd_NAME_keygen, cmd_NAME_seal IN [OUT],
# cmd_NAME_open IN [OUT] (print one shell-quoted command line; no OUT means
# stdout), and ct_NAME (prints the path of the big ciphertext NAME can open,
# after prep_NAME has made it). A missing function shows as "-".
# The tool functions are called through computed names ("cmd_${t}_seal"), and
# ver_NAME is read through eval: tell shellcheck.
# shellcheck disable=SC2317,SC2034
set -eu

me=bench
root=$(cd "$(dirname "$0")/.." && pwd)
XC_BIN=${XC_BIN:-$root/bin}
size_mib=${BENCH_SIZE_MIB:-256}
runs=${BENCH_RUNS:-3}
small_runs=${BENCH_SMALL_RUNS:-200}
tools=${BENCH_TOOLS:-xc age}
strict=${BENCH_STRICT:-0}
subject=${tools%% *}	# numerator of the ratio
base=age		# denominator of the ratio

die() {
	echo "$me: error: $*" >&2
	exit 2
}

# q WORD: WORD quoted for sh (and for hyperfine -N, which splits the same way).
q() {
	case $1 in
	*[!A-Za-z0-9_./=:@%+,-]* | '') printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")" ;;
	*) printf '%s' "$1" ;;
	esac
}

have() { command -v "$1" >/dev/null 2>&1; }
# defined NAME: is NAME a shell function?
defined() { type "$1" 2>/dev/null | sed -n 1p | grep -q function; }
now_ns() { date +%s%N; }

# ---- tools -----------------------------------------------------------------

tool_xc_check() {
	for p in xc-keygen xc-seal xc-open; do
		[ -x "$XC_BIN/$p" ] || return 1
	done
	ver_xc="$("$XC_BIN/xc-seal" -V 2>/dev/null | sed -n 1p)"
	[ -n "$ver_xc" ] || ver_xc='xc (no -V)'
	ver_xc="$ver_xc ($XC_BIN)"
}
cmd_xc_keygen() { printf '%s --age' "$(q "$XC_BIN/xc-keygen")"; }
cmd_xc_seal() {
	printf '%s --raw -r %s' "$(q "$XC_BIN/xc-seal")" "$(q "$recip")"
	[ $# -lt 2 ] || printf ' -o %s' "$(q "$2")"
	printf ' %s' "$(q "$1")"
}
cmd_xc_open() {
	printf '%s --raw -i %s' "$(q "$XC_BIN/xc-open")" "$(q "$key")"
	[ $# -lt 2 ] || printf ' -o %s' "$(q "$2")"
	printf ' %s' "$(q "$1")"
}
ct_xc() { printf '%s' "$ct_big"; }

tool_age_check() {
	have age && have age-keygen || return 1
	ver_age="age $(age --version 2>/dev/null) ($(command -v age))"
}
cmd_age_keygen() { printf '%s' "$(q "$(command -v age-keygen)")"; }
cmd_age_seal() {
	printf '%s -e -r %s' "$(q "$(command -v age)")" "$(q "$recip")"
	[ $# -lt 2 ] || printf ' -o %s' "$(q "$2")"
	printf ' %s' "$(q "$1")"
}
cmd_age_open() {
	printf '%s -d -i %s' "$(q "$(command -v age)")" "$(q "$key")"
	[ $# -lt 2 ] || printf ' -o %s' "$(q "$2")"
	printf ' %s' "$(q "$1")"
}
ct_age() { printf '%s' "$ct_big"; }

# ---- set-up ----------------------------------------------------------------

case " $tools " in *" $base "*) ;; *) die "BENCH_TOOLS must include $base (the baseline)" ;; esac
for t in $tools; do
	defined "tool_${t}_check" || die "unknown tool '$t' in BENCH_TOOLS"
	if ! "tool_${t}_check"; then
		case $t in
		xc) die "xc-keygen/xc-seal/xc-open not found in $XC_BIN: run make, or set XC_BIN, or BENCH_TOOLS=age" ;;
		*) die "tool '$t' is not installed" ;;
		esac
	fi
done

rss_tool=
[ -x /usr/bin/time ] && rss_tool=/usr/bin/time
small_timer=loop
have hyperfine && have perl && small_timer=hyperfine

bytes=$((size_mib * 1024 * 1024))
work=$(mktemp -d "${TMPDIR:-/var/tmp}/xc-bench.XXXXXX") || die "cannot create a work directory"
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM HUP

need_kib=$((size_mib * 1024 * 4 + 4096))
avail_kib=$(df -Pk "$work" | awk 'NR == 2 { print $4 }')
[ "$avail_kib" -ge "$need_kib" ] ||
	die "need $((need_kib / 1024)) MiB free in $work, have $((avail_kib / 1024)) MiB"
fstype=$(df -PT "$work" 2>/dev/null | awk 'NR == 2 { print $2 }')
[ -n "$fstype" ] || fstype=unknown

res=$work/res
mkdir "$res"
put() { printf '%s\n' "$3" >"$res/$1.$2"; }
get() { if [ -f "$res/$1.$2" ]; then cat "$res/$1.$2"; else echo -; fi; }

echo "$me: preparing $size_mib MiB of random data in $work" >&2
big=$work/big.bin
head -c "$bytes" /dev/urandom >"$big"
small=$work/msg1k.bin
head -c 1024 /dev/urandom >"$small"

key=$work/key.txt
age-keygen -o "$key" 2>/dev/null
chmod 600 "$key"
recip=$(age-keygen -y "$key")
ct_big=$work/big.age
ct_small=$work/msg1k.age
age -e -r "$recip" -o "$ct_big" "$big"
age -e -r "$recip" -o "$ct_small" "$small"

for t in $tools; do
	! defined "prep_$t" || "prep_$t"
done

# ---- cross-checks (not timed) ----------------------------------------------

check_fail() {
	echo "$me: error: cross-check failed: $*" >&2
	exit 1
}
if [ "$subject" = xc ]; then
	echo "$me: cross-checking xc against age" >&2
	[ "$("$XC_BIN/xc-keygen" -y "$key")" = "$recip" ] ||
		check_fail "xc-keygen -y disagrees with age-keygen -y"
	eval "$(cmd_xc_open "$ct_big" "$work/chk.out")" ||
		check_fail "xc-open cannot open age's ciphertext"
	cmp -s "$big" "$work/chk.out" || check_fail "xc-open output differs from the plaintext"
	rm -f "$work/chk.out"
	eval "$(cmd_xc_seal "$big" "$work/chk.age")" || check_fail "xc-seal failed"
	age -d -i "$key" -o "$work/chk.out" "$work/chk.age" ||
		check_fail "age cannot open xc-seal's output"
	cmp -s "$big" "$work/chk.out" || check_fail "age's output of xc's file differs from the plaintext"
	rm -f "$work/chk.out" "$work/chk.age"
fi

# ---- throughput ------------------------------------------------------------

# mbps NS: MB/s for $bytes in NS nanoseconds.
mbps() { awk -v b="$bytes" -v ns="$1" 'BEGIN { printf "%.2f", b / 1e6 / (ns / 1e9) }'; }

# time_once ROW TOOL CMDLINE [OUTFILE]: one timed run; keeps the best MB/s.
time_once() {
	[ -z "${4:-}" ] || rm -f "$4"
	sync
	t0=$(now_ns)
	if [ -n "${4:-}" ]; then
		eval "$3" </dev/null || die "$2 failed: $3"
	else
		eval "$3" </dev/null >/dev/null || die "$2 failed: $3"
	fi
	t1=$(now_ns)
	v=$(mbps $((t1 - t0)))
	old=$(get "$1" "$2")
	if [ "$old" = - ] || awk -v a="$v" -v b="$old" 'BEGIN { exit !(a > b) }'; then
		put "$1" "$2" "$v"
	fi
	[ -z "${4:-}" ] || rm -f "$4"
}

# tools in turn, reversed on every other run, so that no tool always goes first
order() {
	if [ $(($1 % 2)) -eq 1 ]; then
		echo "$tools"
	else
		echo "$tools" | awk '{ for (i = NF; i > 0; i--) printf "%s%s", $i, (i > 1 ? " " : "\n") }'
	fi
}

echo "$me: throughput, best of $runs runs" >&2
r=1
while [ "$r" -le "$runs" ]; do
	for t in $(order "$r"); do
		if defined "cmd_${t}_seal"; then
			time_once enc_null "$t" "$("cmd_${t}_seal" "$big")"
			time_once enc_file "$t" "$("cmd_${t}_seal" "$big" "$work/out.$t")" "$work/out.$t"
		fi
		if defined "cmd_${t}_open" && defined "ct_$t"; then
			ct=$("ct_$t")
			time_once dec_null "$t" "$("cmd_${t}_open" "$ct")"
			time_once dec_file "$t" "$("cmd_${t}_open" "$ct" "$work/out.$t")" "$work/out.$t"
		fi
	done
	r=$((r + 1))
done

# ---- peak RSS --------------------------------------------------------------

if [ -n "$rss_tool" ]; then
	echo "$me: peak RSS" >&2
	for t in $tools; do
		if defined "cmd_${t}_seal"; then
			eval "$rss_tool -f %M -o $(q "$work/rss") $("cmd_${t}_seal" "$big")" </dev/null >/dev/null
			put rss_enc "$t" "$(tail -n 1 "$work/rss")"
		fi
		if defined "cmd_${t}_open" && defined "ct_$t"; then
			eval "$rss_tool -f %M -o $(q "$work/rss") $("cmd_${t}_open" "$("ct_$t")")" </dev/null >/dev/null
			put rss_dec "$t" "$(tail -n 1 "$work/rss")"
		fi
	done
fi

# ---- small messages --------------------------------------------------------

# small ROW CMD...: mean whole-process time of each CMD in ms, stored as
# ROW.TOOL in the order of $small_tools.
small() {
	row=$1
	shift
	if [ "$small_timer" = hyperfine ]; then
		# One retry: a busy machine once made hyperfine fail to spawn age.
		for try in 1 2; do
			if hyperfine -N --runs "$small_runs" --warmup 10 --style none \
				--export-json "$work/hf.json" "$@" </dev/null >"$work/hf.log" 2>&1; then
				break
			fi
			cat "$work/hf.log" >&2
			[ "$try" = 1 ] || die "hyperfine failed"
			echo "$me: hyperfine failed; trying once more" >&2
		done
		perl -MJSON::PP -e '
			local $/; open my $f, "<", $ARGV[0] or die;
			my $j = decode_json(<$f>);
			printf "%.3f\n", $_->{mean} * 1000 for @{ $j->{results} };
		' "$work/hf.json" >"$work/means"
	else
		: >"$work/means"
		for c in "$@"; do
			i=0
			t0=$(now_ns)
			while [ "$i" -lt "$small_runs" ]; do
				eval "$c" </dev/null >/dev/null 2>&1 || die "failed: $c"
				i=$((i + 1))
			done
			t1=$(now_ns)
			awk -v ns=$((t1 - t0)) -v n="$small_runs" 'BEGIN { printf "%.3f\n", ns / n / 1e6 }' >>"$work/means"
		done
	fi
	# shellcheck disable=SC2086 # a word list
	set -- $small_tools
	while read -r m; do
		put "$row" "$1" "$m"
		shift
	done <"$work/means"
}

echo "$me: 1 KiB messages, $small_runs runs each ($small_timer)" >&2
for op in keygen seal open; do
	small_tools=
	case $op in
	keygen) arg= ;;
	seal) arg=$small ;;
	open) arg=$ct_small ;;
	esac
	# Build the argument list for `small` in the positional parameters.
	set -- "small_$op"
	for t in $tools; do
		defined "cmd_${t}_$op" || continue
		small_tools="$small_tools $t"
		if [ -n "$arg" ]; then
			set -- "$@" "$("cmd_${t}_$op" "$arg")"
		else
			set -- "$@" "$("cmd_${t}_$op")"
		fi
	done
	[ -z "$small_tools" ] || small "$@"
done
for t in $tools; do
	s=$(get small_seal "$t")
	o=$(get small_open "$t")
	[ "$s" = - ] || [ "$o" = - ] || put small_both "$t" "$(awk -v a="$s" -v b="$o" 'BEGIN { printf "%.3f", a + b }')"
done

# ---- report ----------------------------------------------------------------

# ratio ROW: subject/base for ROW, 2 decimals, or "-".
ratio() {
	a=$(get "$1" "$subject")
	b=$(get "$1" "$base")
	if [ "$a" = - ] || [ "$b" = - ] || [ "$subject" = "$base" ]; then
		echo -
	else
		awk -v a="$a" -v b="$b" 'BEGIN { if (b == 0) print "-"; else printf "%.2f", a / b }'
	fi
}

# verdict ROW OP LIMIT: "met" or "MISSED" for the unrounded ratio, "" if none.
verdict() {
	a=$(get "$1" "$subject")
	b=$(get "$1" "$base")
	if [ "$a" = - ] || [ "$b" = - ] || [ "$subject" = "$base" ]; then
		echo '-'
		return
	fi
	if awk -v a="$a" -v b="$b" -v op="$2" -v l="$3" 'BEGIN {
		r = a / b
		ok = (op == ">=") ? r >= l : (op == ">") ? r > l : r < l
		exit !ok
	}'; then
		echo met
	else
		echo MISSED
		echo x >>"$work/missed"
	fi
}

ncpu=$(nproc 2>/dev/null || echo ?)
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | sed -n 1p)
echo "xc bench, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(uname -sr), $ncpu cpu ${cpu:+($cpu)}"
echo "big file: $size_mib MiB from /dev/urandom, in $work ($fstype); best of $runs runs; MB/s = 10^6 bytes/s"
echo "1 KiB message: mean of $small_runs runs per command ($small_timer); every tool opens the same age ciphertext"
for t in $tools; do
	eval "v=\$ver_$t"
	printf '  %-4s %s\n' "$t:" "$v"
done
echo

hdr=$(printf '%-30s' metric)
for t in $tools; do hdr="$hdr$(printf ' %10s' "$t")"; done
hdr="$hdr$(printf ' %8s  %-7s %-7s %s' "$subject/$base" limit status target)"
echo "$hdr"

# row ROW LABEL [OP LIMIT TEXT]
row() {
	line=$(printf '%-30s' "$2")
	for t in $tools; do line="$line$(printf ' %10s' "$(get "$1" "$t")")"; done
	line="$line$(printf ' %8s' "$(ratio "$1")")"
	if [ $# -ge 5 ]; then
		line="$line$(printf '  %-7s %-7s %s' "$3 $4" "$(verdict "$1" "$3" "$4")" "$5")"
	fi
	echo "$line"
}

t_enc='encrypt within 10% of age or better'
t_dec='decrypt faster than age'
t_small="1 KiB seal+open < 1/3 of age's time"
row enc_null "encrypt > /dev/null (MB/s)" '>=' 0.90 "$t_enc"
row enc_file "encrypt -o file (MB/s)" '>=' 0.90 "$t_enc"
row dec_null "decrypt > /dev/null (MB/s)" '>' 1.00 "$t_dec"
row dec_file "decrypt -o file (MB/s)" '>' 1.00 "$t_dec"
if [ -n "$rss_tool" ]; then
	row rss_enc "peak RSS encrypt (KiB)"
	row rss_dec "peak RSS decrypt (KiB)"
fi
row small_keygen "keygen (ms)"
row small_seal "1 KiB seal (ms)"
row small_open "1 KiB open (ms)"
row small_both "1 KiB seal+open (ms)" '<' 0.333 "$t_small"
echo
echo "ratio: throughput rows, higher is better; RSS and time rows, lower is better"
echo "-o file: each tool's own -o path, with whatever it does to make the file durable"
echo "  (a tool that fsyncs before renaming pays for it here; > /dev/null rows do not)"

if [ -f "$work/missed" ]; then
	n=$(wc -l <"$work/missed")
	echo "$me: $n target row(s) missed"
	[ "$strict" != 1 ] || exit 1
fi
exit 0
