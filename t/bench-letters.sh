#!/bin/sh
# t/bench-letters.sh: xc letters against age 1.1.1 and gpg, in one run, on the
# same files. Run by `make bench` after t/bench.sh, or as
# `sh t/bench-letters.sh` from anywhere.
#
# Measures, for xc (letter mode), age and gpg (sign+encrypt), on this machine:
#   seal and open of one 256 MiB random attachment, whole-process wall time,
#   best of 3 runs, as MB/s of the attachment (10^6 bytes per second): seal,
#   open, and seal+open (the two times of one run added up);
#   peak RSS of seal and open of that attachment (/usr/bin/time -f %M);
#   seal and open of a 1 KiB text, mean of 200 runs (hyperfine if installed,
#   else a loop), in ms;
# and prints them side by side with the ratios xc/age and xc/gpg and the
# issue's targets:
#   letters at least half as fast as raw age    (seal+open MB/s ratio >= 0.50)
#   1 KiB seal+open < 1/3 of age's time         (time ratio           <  0.333)
# Each tool opens what it sealed. Before timing, it checks that xc-open gives
# back the sealed bytes, that the real age opens xc's envelope into a tar
# holding message.txt and the attachment, and that age and gpg round-trip.
#
# The tools as run:
#   xc   xc-seal --home A -r @bob -A big.bin -o ENV </dev/null
#        xc-open --home B -D OUTDIR ENV            (OUTDIR emptied between runs)
#        two identities @alice (home A) and @bob (home B); bob's card imported
#        into alice's keyring; level 2 (default: padded, signed, sealed sender)
#   age  age -r RECIPIENT -o CT big.bin;  age -d -i KEY -o OUT CT
#   gpg  gpg --sign --encrypt -r bob -u alice -o CT big.bin;
#        gpg -o OUT --decrypt CT   (one temporary GNUPGHOME, ed25519/cv25519
#        keys, --trust-model always; gpg's defaults otherwise, zlib included)
# stderr of every timed command goes to /dev/null; the cross-checks run the
# same commands first with stderr shown.
#
# Environment:
#   XC_BIN            where xc-keygen, xc-seal, xc-open, xc-verify are
#                     (default <root>/bin)
#   BENCH_SIZE_MIB    size of the attachment in MiB (default 256)
#   BENCH_RUNS        throughput runs per tool, best kept (default 3)
#   BENCH_SMALL_RUNS  runs per command for the 1 KiB text (default 200)
#   BENCH_STRICT=1    exit 1 if a target is missed (default: report only)
#   TMPDIR            the work directory goes here (default /var/tmp: on disk)
#
# The tool functions are called through computed names ("cmd_${t}_seal"), and
# ver_NAME is read through eval: tell shellcheck.
# shellcheck disable=SC2317,SC2034
set -eu

me=bench-letters
root=$(cd "$(dirname "$0")/.." && pwd)
XC_BIN=${XC_BIN:-$root/bin}
case $XC_BIN in /*) ;; *) XC_BIN=$(cd "$XC_BIN" && pwd) ;; esac
size_mib=${BENCH_SIZE_MIB:-256}
runs=${BENCH_RUNS:-3}
small_runs=${BENCH_SMALL_RUNS:-200}
strict=${BENCH_STRICT:-0}
LC_ALL=C
export LC_ALL
tools='xc age gpg'	# the table's columns; a missing tool shows as "-"
subject=xc
bases='age gpg'		# denominators of the ratios
target_base=age		# the targets are against age

die() {
	echo "$me: error: $*" >&2
	exit 2
}
warn() { echo "$me: warning: $*" >&2; }

# q WORD: WORD quoted for sh (and for hyperfine -N, which splits the same way).
q() {
	case $1 in
	*[!A-Za-z0-9_./=:@%+,-]* | '') printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")" ;;
	*) printf '%s' "$1" ;;
	esac
}

have() { command -v "$1" >/dev/null 2>&1; }
now_ns() { date +%s%N; }

for v in "$size_mib" "$runs" "$small_runs"; do
	case $v in '' | *[!0-9]* | 0) die "BENCH_SIZE_MIB, BENCH_RUNS and BENCH_SMALL_RUNS must be positive integers" ;; esac
done

# ---- tools -----------------------------------------------------------------
#
# cmd_T_seal IN CT [BODY]: print one shell-quoted command line sealing IN
# (attachment for xc, the file itself for age and gpg) into CT; for xc, BODY
# is the text file and IN may be empty (no attachment).
# cmd_T_open CT OUT: the command line opening CT; OUT is a file for age and
# gpg, a directory for xc (the text goes to stdout); no OUT means stdout.
# out_T OUT: the path of the opened big file.

tool_xc_check() {
	for p in xc-keygen xc-seal xc-open xc-verify; do
		[ -x "$XC_BIN/$p" ] || return 1
	done
	ver_xc="$("$XC_BIN/xc-seal" -V 2>/dev/null | sed -n 1p)"
	[ -n "$ver_xc" ] || ver_xc='xc (no -V)'
	ver_xc="$ver_xc ($XC_BIN)"
}
cmd_xc_seal() {
	printf '%s --home %s -r @bob' "$(q "$XC_BIN/xc-seal")" "$(q "$home_a")"
	[ -z "$1" ] || printf ' -A %s' "$(q "$1")"
	printf ' -o %s' "$(q "$2")"
	[ -z "${3:-}" ] || printf ' %s' "$(q "$3")"
}
cmd_xc_open() {
	printf '%s --home %s' "$(q "$XC_BIN/xc-open")" "$(q "$home_b")"
	[ $# -lt 2 ] || printf ' -D %s' "$(q "$2")"
	printf ' %s' "$(q "$1")"
}
out_xc() { printf '%s/%s' "$1" "${big##*/}"; }

tool_age_check() {
	have age && have age-keygen || return 1
	ver_age="age $(age --version 2>/dev/null) ($(command -v age))"
}
cmd_age_seal() {
	printf '%s -r %s -o %s %s' "$(q "$(command -v age)")" "$(q "$recip")" "$(q "$2")" "$(q "$1")"
}
cmd_age_open() {
	printf '%s -d -i %s' "$(q "$(command -v age)")" "$(q "$key")"
	[ $# -lt 2 ] || printf ' -o %s' "$(q "$2")"
	printf ' %s' "$(q "$1")"
}
out_age() { printf '%s' "$1"; }

tool_gpg_check() {
	have gpg || return 1
	ver_gpg="$(gpg --version 2>/dev/null | sed -n 1p), $(gpg --version 2>/dev/null | sed -n 2p) ($(command -v gpg))"
}
gpg_base() {
	printf '%s --homedir %s --batch --yes --trust-model always' "$(q "$(command -v gpg)")" "$(q "$gnupg")"
}
cmd_gpg_seal() {
	printf '%s --sign --encrypt -r bob -u alice -o %s %s' "$(gpg_base)" "$(q "$2")" "$(q "$1")"
}
cmd_gpg_open() {
	printf '%s' "$(gpg_base)"
	[ $# -lt 2 ] || printf ' -o %s' "$(q "$2")"
	printf ' --decrypt %s' "$(q "$1")"
}
out_gpg() { printf '%s' "$1"; }

# ---- set-up ----------------------------------------------------------------

tool_xc_check || die "xc-keygen/xc-seal/xc-open/xc-verify not found in $XC_BIN: run make, or set XC_BIN"
tool_age_check || die "age and age-keygen are needed (the baseline)"
avail='xc age'
if tool_gpg_check; then
	avail="$avail gpg"
else
	warn "gpg is not installed: its column shows \"-\""
fi
is_avail() { case " $avail " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

rss_tool=
[ -x /usr/bin/time ] && rss_tool=/usr/bin/time
small_timer=loop
have hyperfine && have perl && small_timer=hyperfine

bytes=$((size_mib * 1024 * 1024))
work=$(mktemp -d "${TMPDIR:-/var/tmp}/xc-bench-letters.XXXXXX") || die "cannot create a work directory"
gnupg=$work/gnupg
cleanup() {
	# the gpg-agent this run started (its socket is in $gnupg)
	if [ -d "$gnupg" ] && have gpgconf; then
		gpgconf --homedir "$gnupg" --kill gpg-agent >/dev/null 2>&1 || :
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# the attachment, one envelope and one opened copy at a time, with room to spare
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

# loadavg: the 1, 5 and 15 minute load averages, to tell a busy machine
loadavg() { cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null || echo '?'; }
load_before=$(loadavg)

echo "$me: preparing $size_mib MiB of random data in $work" >&2
big=$work/big.bin
head -c "$bytes" /dev/urandom >"$big"
# 1 KiB of text: 16 lines of 63 hex digits and a newline
small=$work/msg1k.txt
od -An -tx1 -N 504 /dev/urandom | tr -d ' \n' | fold -w 63 | awk 1 >"$small"
[ "$(wc -c <"$small" | tr -d ' ')" = 1024 ] || die "the 1 KiB text is not 1024 bytes"

echo "$me: making keys" >&2
home_a=$work/alice
home_b=$work/bob
"$XC_BIN/xc-keygen" --home "$home_a" @alice >/dev/null 2>&1 || die "xc-keygen @alice failed"
"$XC_BIN/xc-keygen" --home "$home_b" @bob >/dev/null 2>&1 || die "xc-keygen @bob failed"
"$XC_BIN/xc-keygen" --home "$home_b" --card >"$work/bob.card" || die "xc-keygen --card failed"
"$XC_BIN/xc-verify" --home "$home_a" --import "$work/bob.card" >/dev/null 2>&1 ||
	die "xc-verify --import of bob's card failed"
bob_key=$home_b/ids/bob/enc-1.key
[ -f "$bob_key" ] || die "no $bob_key: the keyring layout changed"

key=$work/age.key
age-keygen -o "$key" 2>/dev/null
chmod 600 "$key"
recip=$(age-keygen -y "$key")

if is_avail gpg; then
	mkdir -m 700 "$gnupg"
	for u in 'alice <a@x>' 'bob <b@x>'; do
		if ! gpg --homedir "$gnupg" --batch --pinentry-mode loopback --passphrase '' \
			--quick-gen-key "$u" future-default default never >"$work/gpg.log" 2>&1; then
			cat "$work/gpg.log" >&2
			warn "gpg --quick-gen-key failed: its column shows \"-\""
			avail='xc age'
			break
		fi
	done
fi

# ---- cross-checks (not timed) ----------------------------------------------

check_fail() {
	echo "$me: error: cross-check failed: $*" >&2
	exit 1
}
# empty_out T OUT: make OUT ready for T's open (a new empty directory for xc).
empty_out() {
	rm -rf "$2"
	[ "$1" != xc ] || mkdir "$2"
}

echo "$me: cross-checking" >&2
ct=$work/chk.ct
out=$work/chk.out
eval "$(cmd_xc_seal "$big" "$ct")" </dev/null || check_fail "xc-seal -A failed"
empty_out xc "$out"
eval "$(cmd_xc_open "$ct" "$out")" </dev/null >"$work/chk.txt" || check_fail "xc-open failed"
cmp -s "$big" "$(out_xc "$out")" || check_fail "xc-open's attachment differs from the sealed file"
[ ! -s "$work/chk.txt" ] || check_fail "xc-open printed a text, the letter had none"
age -d -i "$bob_key" "$ct" | tar tf - >"$work/chk.list" || check_fail "age -d | tar tf failed on xc's envelope"
grep -qx message.txt "$work/chk.list" || check_fail "no message.txt in the letter: $(tr '\n' ' ' <"$work/chk.list")"
grep -qx "${big##*/}" "$work/chk.list" || check_fail "no ${big##*/} in the letter: $(tr '\n' ' ' <"$work/chk.list")"
eval "$(cmd_xc_seal '' "$ct" "$small")" </dev/null || check_fail "xc-seal of the text failed"
empty_out xc "$out"
eval "$(cmd_xc_open "$ct" "$out")" </dev/null >"$work/chk.txt" 2>/dev/null || check_fail "xc-open of the text failed"
cmp -s "$small" "$work/chk.txt" || check_fail "xc-open's text differs from the sealed text"
for t in age gpg; do
	is_avail "$t" || continue
	rm -f "$ct"
	empty_out "$t" "$out"
	eval "$("cmd_${t}_seal" "$big" "$ct")" </dev/null 2>"$work/chk.err" ||
		{ cat "$work/chk.err" >&2; check_fail "$t seal failed"; }
	eval "$("cmd_${t}_open" "$ct" "$out")" </dev/null 2>"$work/chk.err" ||
		{ cat "$work/chk.err" >&2; check_fail "$t open failed"; }
	cmp -s "$big" "$(out_"$t" "$out")" || check_fail "$t's round trip differs from the plaintext"
done
rm -rf "$ct" "$out" "$work/chk.txt" "$work/chk.list" "$work/chk.err"

# ---- throughput ------------------------------------------------------------

# mbps NS: MB/s for $bytes in NS nanoseconds.
mbps() { awk -v b="$bytes" -v ns="$1" 'BEGIN { printf "%.2f", b / 1e6 / (ns / 1e9) }'; }

# timed CMDLINE: run it once (stdin, stdout and stderr on /dev/null) and print
# its wall time in ns.
timed() {
	sync
	t0=$(now_ns)
	eval "$1" </dev/null >/dev/null 2>&1 || die "failed: $1 (run it by hand to see why)"
	t1=$(now_ns)
	echo $((t1 - t0))
}

# keep ROW TOOL MBPS: keep the best MB/s.
keep() {
	old=$(get "$1" "$2")
	if [ "$old" = - ] || awk -v a="$3" -v b="$old" 'BEGIN { exit !(a > b) }'; then
		put "$1" "$2" "$3"
	fi
}

# tools in turn, reversed on every other run, so that no tool always goes first
order() {
	if [ $(($1 % 2)) -eq 1 ]; then
		echo "$avail"
	else
		echo "$avail" | awk '{ for (i = NF; i > 0; i--) printf "%s%s", $i, (i > 1 ? " " : "\n") }'
	fi
}

echo "$me: seal and open of $size_mib MiB, best of $runs runs" >&2
r=1
while [ "$r" -le "$runs" ]; do
	for t in $(order "$r"); do
		ct=$work/big.$t
		out=$work/out.$t
		rm -f "$ct"
		ns_seal=$(timed "$("cmd_${t}_seal" "$big" "$ct")")
		empty_out "$t" "$out"
		ns_open=$(timed "$("cmd_${t}_open" "$ct" "$out")")
		[ "$r" -gt 1 ] || [ -s "$(out_"$t" "$out")" ] || die "$t's open wrote nothing"
		keep seal "$t" "$(mbps "$ns_seal")"
		keep open "$t" "$(mbps "$ns_open")"
		keep both "$t" "$(mbps $((ns_seal + ns_open)))"
		[ "$r" -lt "$runs" ] || put ct_size "$t" "$(wc -c <"$ct" | tr -d ' ')"
		rm -rf "$ct" "$out"
	done
	r=$((r + 1))
done

# ---- peak RSS --------------------------------------------------------------

# rss ROW TOOL CMDLINE: peak RSS of CMDLINE in KiB.
rss() {
	eval "$rss_tool -f %M -o $(q "$work/rss") $3" </dev/null >/dev/null 2>&1 ||
		die "failed: $3 (run it by hand to see why)"
	put "$1" "$2" "$(tail -n 1 "$work/rss")"
}

if [ -n "$rss_tool" ]; then
	echo "$me: peak RSS" >&2
	for t in $avail; do
		ct=$work/big.$t
		out=$work/out.$t
		rm -f "$ct"
		rss rss_seal "$t" "$("cmd_${t}_seal" "$big" "$ct")"
		empty_out "$t" "$out"
		rss rss_open "$t" "$("cmd_${t}_open" "$ct" "$out")"
		rm -rf "$ct" "$out"
	done
fi

# ---- 1 KiB text ------------------------------------------------------------

# Each tool opens a 1 KiB ciphertext made once here, while its seal command
# writes another file at every run.
small_out=$work/small.out
mkdir "$small_out"
small_tools=
set --
for t in $avail; do
	if [ "$t" = xc ]; then
		eval "$(cmd_xc_seal '' "$work/small.$t" "$small")" </dev/null
		seal=$(cmd_xc_seal '' "$work/small-seal.$t" "$small")
	else
		eval "$("cmd_${t}_seal" "$small" "$work/small.$t")" </dev/null 2>/dev/null
		seal=$("cmd_${t}_seal" "$small" "$work/small-seal.$t")
	fi
	# xc-open writes the text to stdout; -D for the same command as above
	if [ "$t" = xc ]; then
		open=$(cmd_xc_open "$work/small.$t" "$small_out")
	else
		open=$("cmd_${t}_open" "$work/small.$t")
	fi
	small_tools="$small_tools $t:small_seal $t:small_open"
	set -- "$@" "$seal" "$open"
done

echo "$me: 1 KiB text, $small_runs runs per command ($small_timer)" >&2
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
	put "${1#*:}" "${1%%:*}" "$m"
	shift
done <"$work/means"
for t in $avail; do
	put small_both "$t" "$(awk -v a="$(get small_seal "$t")" -v b="$(get small_open "$t")" \
		'BEGIN { printf "%.3f", a + b }')"
done

# ---- report ----------------------------------------------------------------

# ratio ROW BASE: subject/BASE for ROW, 2 decimals, or "-".
ratio() {
	a=$(get "$1" "$subject")
	b=$(get "$1" "$2")
	if [ "$a" = - ] || [ "$b" = - ]; then
		echo -
	else
		awk -v a="$a" -v b="$b" 'BEGIN { if (b == 0) print "-"; else printf "%.2f", a / b }'
	fi
}

# verdict ROW OP LIMIT: "met" or "MISSED" for the unrounded ratio against
# $target_base, "-" if there is none.
verdict() {
	a=$(get "$1" "$subject")
	b=$(get "$1" "$target_base")
	if [ "$a" = - ] || [ "$b" = - ]; then
		echo '-'
		return
	fi
	if awk -v a="$a" -v b="$b" -v op="$2" -v l="$3" 'BEGIN {
		if (b == 0) exit 1
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
echo "xc letters bench, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(uname -sr), $ncpu cpu ${cpu:+($cpu)}"
echo "attachment: $size_mib MiB from /dev/urandom, in $work ($fstype); best of $runs runs; MB/s = 10^6 bytes of attachment/s"
echo "load average: $load_before at the start, $(loadavg) at the end"
echo "1 KiB text: mean of $small_runs runs per command ($small_timer); each tool opens its own ciphertext"
for t in $tools; do
	if is_avail "$t"; then
		eval "v=\$ver_$t"
	else
		v='not available'
	fi
	printf '  %-4s %s\n' "$t:" "$v"
done
[ "$small_timer" != hyperfine ] || printf '  %-4s %s\n' '' "$(hyperfine --version 2>/dev/null)"
echo

hdr=$(printf '%-28s' metric)
for t in $tools; do hdr="$hdr$(printf ' %10s' "$t")"; done
for b in $bases; do hdr="$hdr$(printf ' %7s' "$subject/$b")"; done
hdr="$hdr$(printf '  %-7s %-7s %s' limit status target)"
echo "$hdr"

# row ROW LABEL [OP LIMIT TEXT]
row() {
	line=$(printf '%-28s' "$2")
	for t in $tools; do line="$line$(printf ' %10s' "$(get "$1" "$t")")"; done
	for b in $bases; do line="$line$(printf ' %7s' "$(ratio "$1" "$b")")"; done
	if [ $# -ge 5 ]; then
		line="$line$(printf '  %-7s %-7s %s' "$3 $4" "$(verdict "$1" "$3" "$4")" "$5")"
	fi
	echo "$line"
}

t_big='letters >= 0.50 of raw age throughput'
t_small="1 KiB seal+open < 1/3 of age's time"
row seal "${size_mib} MiB seal (MB/s)"
row open "${size_mib} MiB open (MB/s)"
row both "${size_mib} MiB seal+open (MB/s)" '>=' 0.50 "$t_big"
row ct_size "${size_mib} MiB ciphertext (bytes)"
if [ -n "$rss_tool" ]; then
	row rss_seal "peak RSS seal (KiB)"
	row rss_open "peak RSS open (KiB)"
fi
row small_seal "1 KiB seal (ms)"
row small_open "1 KiB open (ms)"
row small_both "1 KiB seal+open (ms)" '<' 0.333 "$t_small"
echo
echo "ratio: MB/s rows, higher is better; size, RSS and ms rows, lower is better"
echo "xc: level 2 letter (signed, padded, sealed sender); its -o and -d outputs are"
echo "  fsynced before they are renamed or linked, age's and gpg's are not"
echo "gpg: sign+encrypt with its defaults (zlib compression tried on the random data)"

if [ -f "$work/missed" ]; then
	n=$(wc -l <"$work/missed" | tr -d ' ')
	echo "$me: $n target row(s) missed"
	[ "$strict" != 1 ] || exit 1
fi
exit 0
