#!/bin/sh
# t/bench-letters.sh: xc letters (xc-letter(5) version 2) against age 1.1.1,
# age+minisign, gpg (--compress-algo none) and this machine's ceilings, all
# in one run.  Run by `make bench` after t/bench.sh, or as
# `sh t/bench-letters.sh` from anywhere (after make t/bench t/craft).
#
# Every figure is the median of BENCH_REPS (default 7) interleaved rounds:
# each round runs every command once, in one order on odd rounds and in the
# reverse order on even ones (t/bench.c), and prints min-max beside the
# median; nothing is best-of-N.  A ratio is one median over another.  On a
# machine others use, ratios within one run are what count.
#
# What is measured (the targets are issue 11's):
#   256 MiB (BENCH_SIZE_MIB) of random bytes as an attachment:
#     xc-seal -A big.bin > ct   against  age -r R big.bin > ct
#     xc-open -D DIR ct         against  age -d -i KEY ct > out
#     (xc-open syncs the saved file and DIR; "age -d ... + fsync" adds an
#     fsync of age's output, for the durable comparison)
#     targets: seal <= 1.0x age encrypt; seal+open <= 1.0x age enc+dec
#   1 KiB of text, one process per command (batches of BENCH_SMALL_BATCH):
#     target: xc seal+open <= 0.9x age encrypt+decrypt
#   1,000 small letters (BENCH_MANY) opened by one xc-open, against one
#     age -d process per letter on the same envelopes:
#     target: xc's rate >= 5x age's
#   xc-fetch trial decryption: a spool of BENCH_TRIAL envelopes to other
#     keys, tags of 0 bits, a keyring whose card says tag_bits 0, so that
#     every envelope must be unwrapped; against the X25519 scalar
#     multiplications per second measured in the same run:
#     target: >= 0.6x
#   ldd of xc-send, xc-fetch, xc-keygen and xc-verify: no libarchive
#   peak RSS of xc-seal and xc-open at every size: <= 16 MiB
#   ceilings, in process: ChaCha20-Poly1305 by libsodium and by OpenSSL,
#     SHA-256 by Nettle and by OpenSSL, X25519 by libsodium
#   and for comparison: age+minisign (minisign -S, then age; age -d, then
#   minisign -V) and gpg --sign --encrypt --compress-algo none.
#
# Environment: XC_BIN (default <root>/bin), BENCH_REPS, BENCH_SIZE_MIB,
# BENCH_SMALL_BATCH (default 20), BENCH_MANY (1000), BENCH_TRIAL (20000),
# BENCH_STRICT=1 (exit 1 when a target is missed), TMPDIR (default
# /var/tmp: on disk).
set -eu

me=bench-letters
root=$(cd "$(dirname "$0")/.." && pwd)
XC_BIN=${XC_BIN:-$root/bin}
case $XC_BIN in /*) ;; *) XC_BIN=$(cd "$XC_BIN" && pwd) ;; esac
BENCH=$root/t/bench
CRAFT=${XC_CRAFT:-$root/t/craft}
reps=${BENCH_REPS:-7}
size_mib=${BENCH_SIZE_MIB:-256}
small_batch=${BENCH_SMALL_BATCH:-20}
many=${BENCH_MANY:-1000}
trial=${BENCH_TRIAL:-20000}
strict=${BENCH_STRICT:-0}
LC_ALL=C
export LC_ALL

die() {
	echo "$me: error: $*" >&2
	exit 2
}
have() { command -v "$1" >/dev/null 2>&1; }

for v in "$reps" "$size_mib" "$small_batch" "$many" "$trial"; do
	case $v in '' | *[!0-9]* | 0) die "BENCH_* must be positive integers" ;; esac
done
[ "$reps" -ge 7 ] || die "BENCH_REPS must be at least 7"
for p in xc-keygen xc-seal xc-open xc-verify xc-send xc-fetch; do
	[ -x "$XC_BIN/$p" ] || die "no $XC_BIN/$p: run make"
done
[ -x "$BENCH" ] && [ -x "$CRAFT" ] || die "run make t/bench t/craft"
have age && have age-keygen || die "age and age-keygen are needed (the baseline)"
AGE=$(command -v age)
MINISIGN=$(command -v minisign || true)
GPG=$(command -v gpg || true)

work=$(mktemp -d "${TMPDIR:-/var/tmp}/xc-bench-letters.XXXXXX") || die "no work directory"
case $work in *' '*) die "the work directory has a space: $work" ;; esac
cleanup() {
	if [ -d "$work/gnupg" ] && have gpgconf; then
		gpgconf --homedir "$work/gnupg" --kill gpg-agent >/dev/null 2>&1 || :
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
need_kib=$((size_mib * 1024 * 8 + 65536))
avail_kib=$(df -Pk "$work" | awk 'NR == 2 { print $4 }')
[ "$avail_kib" -ge "$need_kib" ] || die "need $((need_kib / 1024)) MiB free in $work"
load_before=$(cut -d ' ' -f 1-3 /proc/loadavg)
cd "$work"

# ---- keys, data, and what each tool makes ----
echo "$me: preparing keys and $size_mib MiB in $work" >&2
A=$work/alice B=$work/bob T=$work/trial
"$XC_BIN/xc-keygen" --home "$A" @alice >alice.card 2>/dev/null
"$XC_BIN/xc-keygen" --home "$B" @bob >bob.card 2>/dev/null
"$XC_BIN/xc-verify" --home "$A" --import bob.card >/dev/null 2>&1
"$XC_BIN/xc-verify" --home "$B" --import alice.card >/dev/null 2>&1
age-keygen -o age.key 2>/dev/null
R=$(age-keygen -y age.key)
head -c $((size_mib * 1048576)) /dev/urandom >big.bin
od -An -tx1 -N 504 /dev/urandom | tr -d ' \n' | fold -w 63 | awk 1 >msg1k.txt
[ "$(wc -c <msg1k.txt)" -eq 1024 ] || die "msg1k.txt is not 1 KiB"
: >empty.txt

"$XC_BIN/xc-seal" --home "$A" -r @bob -A big.bin empty.txt >big.xc
mkdir out
"$XC_BIN/xc-open" --home "$B" -D out big.xc >/dev/null 2>&1 ||
	die "xc-open of the big letter failed"
cmp -s big.bin out/big.bin || die "xc-open gave back other bytes"
age -d -i "$B/ids/bob/enc-1.key" big.xc | tar tf - >list.txt
[ "$(tr '\n' ' ' <list.txt)" = "message.txt big.bin xc-letter " ] ||
	die "age -d | tar tf: $(tr '\n' ' ' <list.txt)"
age -r "$R" big.bin >big.age
age -d -i age.key big.age | cmp -s - big.bin || die "age's round trip differs"
"$XC_BIN/xc-seal" --home "$A" -r @bob msg1k.txt >small.xc
"$XC_BIN/xc-open" --home "$B" -D out small.xc 2>/dev/null | cmp -s - msg1k.txt ||
	die "xc's 1 KiB round trip differs"
age -r "$R" msg1k.txt >small.age
mkdir many
i=0
while [ "$i" -lt "$many" ]; do
	printf 'disk %d%% on db1\n' "$i" | "$XC_BIN/xc-seal" --home "$A" -r @bob \
		>"many/$i.age"
	echo "$work/many/$i.age" >>many.list
	i=$((i + 1))
done
got=$("$XC_BIN/xc-open" --home "$B" -D out <many.list 2>/dev/null | grep -c '^disk ')
[ "$got" -eq "$many" ] || die "xc-open opened $got of $many letters"
"$XC_BIN/xc-keygen" --home "$T" @tom >/dev/null 2>&1
"$CRAFT" retag "$T" tom 0
tk=$(grep -o 'age1[a-z0-9]*' "$T/ids/tom/card" | head -n 1)
"$CRAFT" spool "$trial" spool "$tk" 0 0
"$XC_BIN/xc-fetch" --home "$T" --spool spool >/dev/null 2>&1 ||
	die "xc-fetch of the trial spool failed"
[ "$(wc -l <"$T/state/seen")" -eq "$trial" ] ||
	die "xc-fetch did not look at every envelope"

am=0
if [ -n "$MINISIGN" ]; then
	minisign -G -W -p mini.pub -s mini.key >/dev/null 2>&1 &&
		minisign -S -s mini.key -m big.bin -x big.sig >/dev/null 2>&1 &&
		minisign -S -s mini.key -m msg1k.txt -x small.sig >/dev/null 2>&1 &&
		minisign -V -p mini.pub -m big.bin -x big.sig >/dev/null 2>&1 &&
		am=1
fi
gpgok=0
if [ -n "$GPG" ]; then
	mkdir -m 700 gnupg
	G="$GPG --homedir $work/gnupg --batch --yes --trust-model always"
	if $G --pinentry-mode loopback --passphrase '' --quick-gen-key 'alice <a@x>' \
		future-default default never >/dev/null 2>&1 &&
		$G --pinentry-mode loopback --passphrase '' --quick-gen-key 'bob <b@x>' \
			future-default default never >/dev/null 2>&1 &&
		$G --compress-algo none --sign --encrypt -r bob -u alice -o big.gpg big.bin \
			>/dev/null 2>&1 &&
		$G --compress-algo none --sign --encrypt -r bob -u alice -o small.gpg msg1k.txt \
			>/dev/null 2>&1 &&
		$G -o - --decrypt big.gpg 2>/dev/null | cmp -s - big.bin; then
		gpgok=1
	fi
fi

# ---- the plan: LABEL BATCH SETUP STDIN STDOUT ARGV (t/bench.c) ----
X=$XC_BIN
tab=$(printf '\t')
row() { printf '%s\n' "$*" | sed "s/ | /$tab/g"; }
# tools SUFFIX BATCH IN TEXT XC AGE SIG GPG OUT: the rows of one size, IN
# the attachment (or none), TEXT the text, XC, AGE and GPG what each tool
# opens, SIG minisign's signature of IN (or TEXT), OUT xc-open's directory.
tools() {
	_s=$1 _b=$2 _in=$3 _t=$4 _xc=$5 _age=$6 _sig=$7 _gpg=$8 _d=$9
	_m=${_in:-$_t}
	row "xc_seal$_s | $_b | - | - | $work/o.xc | $X/xc-seal --home $A -r @bob${_in:+ -A $_in} $_t"
	row "xc_open$_s | $_b | @fresh $_d | - | - | $X/xc-open --home $B -D $_d $_xc"
	row "age_enc$_s | $_b | - | - | $work/o.age | $AGE -r $R $_m"
	row "age_dec$_s | $_b | - | - | $work/o.out | $AGE -d -i $work/age.key $_age"
	[ -n "$_s" ] || row "age_dec_sync | $_b | - | - | - | $AGE -d -i $work/age.key -o $work/o.out $_age ;; @fsync $work/o.out"
	if [ "$am" = 1 ]; then
		row "am_enc$_s | $_b | - | - | - | $MINISIGN -S -s $work/mini.key -m $_m -x $work/o.sig ;; $AGE -r $R -o $work/o.am $_m"
		row "am_dec$_s | $_b | - | - | - | $AGE -d -i $work/age.key -o $work/o.amout $_age ;; $MINISIGN -V -q -p $work/mini.pub -m $work/o.amout -x $_sig"
	fi
	if [ "$gpgok" = 1 ]; then
		row "gpg_enc$_s | $_b | - | - | - | $G --compress-algo none --sign --encrypt -r bob -u alice -o $work/o.gpg $_m"
		row "gpg_dec$_s | $_b | - | - | $work/o.gout | $G -o - --decrypt $_gpg"
	fi
}
{
	tools "" 1 "$work/big.bin" "$work/empty.txt" "$work/big.xc" "$work/big.age" \
		"$work/big.sig" "$work/big.gpg" "$work/d"
	tools 1k "$small_batch" "" "$work/msg1k.txt" "$work/small.xc" \
		"$work/small.age" "$work/small.sig" "$work/small.gpg" "$work/d1"
	row "xc_open_many | 1 | @fresh $work/dm | $work/many.list | - | $X/xc-open --home $B -D $work/dm"
	row "age_dec_many | $many | - | - | - | $AGE -d -i $B/ids/bob/enc-1.key %"
	row "fetch_trial | 1 | @rm $T/state/seen | - | - | $X/xc-fetch --home $T --spool $work/spool"
	row "x25519 | 1 | - | - | - | @x25519 $trial"
	row "aead_sodium | 1 | - | - | - | @aead-sodium $size_mib"
	row "aead_openssl | 1 | - | - | - | @aead-openssl $size_mib"
	row "sha256_nettle | 1 | - | - | - | @sha256-nettle $size_mib"
	row "sha256_openssl | 1 | - | - | - | @sha256-openssl $size_mib"
} >plan

echo "$me: $reps interleaved rounds" >&2
"$BENCH" run "$reps" plan many.list >samples || die "a command failed (see above)"

# ---- peak RSS: one run of each, under time(1) ----
rss_of() { # LABEL: the plan's command, run once under /usr/bin/time
	awk -F '\t' -v l="$1" '$1 == l' plan | while IFS="$tab" read -r _l _b _s in out cmd; do
		case $_s in "@fresh "*) rm -rf "${_s#@fresh }" && mkdir -p "${_s#@fresh }" ;; esac
		[ "$in" = - ] && in=/dev/null
		[ "$out" = - ] && out=/dev/null
		# shellcheck disable=SC2086 # the plan's words
		/usr/bin/time -f %M -o "$work/rss.$1" $cmd <"$in" >"$out" 2>/dev/null
	done
}
peak() { if [ -s "$work/rss.$1" ]; then tail -n 1 "$work/rss.$1"; else echo -; fi; }
if [ -x /usr/bin/time ]; then
	for l in xc_seal xc_open xc_seal1k xc_open1k xc_open_many age_enc age_dec; do
		rss_of "$l"
	done
fi

# ---- report ----
# stat LABEL: "median min max" of LABEL's seconds per run; peak LABEL: the
# largest peak RSS in KiB.
stat() {
	awk -v l="$1" '$1 == l { print $3 }' samples | sort -g | awk '
		{ v[NR] = $1 }
		END { if (NR == 0) { print "- - -"; exit }
		      m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		      printf "%.9f %.9f %.9f\n", m, v[1], v[NR] }'
}
med() { stat "$1" | cut -d ' ' -f 1; }
has() { grep -q "^$1 " samples; }
missed=0
# line TEXT MEDIAN MIN MAX UNIT: one row of the table.
line() { printf '%-44s %12s  %s\n' "$1" "$2" "($3 - $4 $5)"; }
ms() { stat "$1" | awk -v s="${2:-1}" '{ printf "%.3f %.3f %.3f\n", $1 * 1e3 * s, $2 * 1e3 * s, $3 * 1e3 * s }'; }
secs() { stat "$1" | awk '{ printf "%.3f %.3f %.3f\n", $1, $2, $3 }'; }
mbps() {
	stat "$1" | awk -v b=$((size_mib * 1048576)) '{ printf "%.0f %.0f %.0f\n", b / 1e6 / $1, b / 1e6 / $3, b / 1e6 / $2 }'
}
show() { # LABEL TEXT KIND
	has "$1" || return 0
	set -- "$2" $($3 "$1")
	line "$1" "$2" "$3" "$4" "$5"
}
# target TEXT RATIO OP LIMIT
target() {
	if awk -v r="$2" -v l="$4" -v op="$3" 'BEGIN { exit !(op == "<=" ? r <= l : r >= l) }'; then
		v=met
	else
		v=MISSED
		missed=$((missed + 1))
	fi
	printf '%-62s %6s  %-7s %s\n' "$1" "$2" "$3 $4" "$v"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | sed -n 1p)
echo "xc letters bench, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(uname -sr), $(nproc) cpu ($cpu)"
echo "$reps interleaved rounds; median (min - max); in $work ($(df -PT "$work" | awk 'NR == 2 { print $2 }'))"
echo "load average: $load_before at the start, $(cut -d ' ' -f 1-3 /proc/loadavg) at the end"
echo "  xc:   $("$X/xc-seal" -V) ($X); XC_CRYPTO=${XC_CRYPTO:-(unset: OpenSSL for large payloads)}"
echo "  age:  $(age --version)"
[ "$am" = 0 ] || echo "  minisign: $(minisign -v 2>&1 | head -n 1)"
[ "$gpgok" = 0 ] || echo "  gpg:  $($GPG --version | head -n 1)"
echo
echo "$size_mib MiB attachment (seconds)"
secs1() { set -- $(secs "$1"); echo "$1 $2 $3 s"; }
for l in xc_seal age_enc am_enc gpg_enc xc_open age_dec age_dec_sync am_dec gpg_dec; do
	has "$l" || continue
	set -- $(secs "$l")
	line "  $l" "$1" "$2" "$3" "s"
done
echo "1 KiB letter, one process (ms)"
for l in xc_seal1k xc_open1k age_enc1k age_dec1k am_enc1k am_dec1k gpg_enc1k gpg_dec1k; do
	has "$l" || continue
	set -- $(ms "$l")
	line "  $l" "$1" "$2" "$3" "ms"
done
echo "$many letters (s)"
set -- $(secs xc_open_many)
line "  xc_open_many (one process)" "$1" "$2" "$3" "s"
set -- $(stat age_dec_many | awk -v n="$many" '{ printf "%.3f %.3f %.3f\n", $1 * n, $2 * n, $3 * n }')
line "  age_dec_many ($many processes)" "$1" "$2" "$3" "s"
echo "trial decryption, $trial envelopes, tag bits 0 (per second)"
set -- $(stat fetch_trial | awk -v n="$trial" '{ printf "%.0f %.0f %.0f\n", n / $1, n / $3, n / $2 }')
line "  xc-fetch" "$1" "$2" "$3" "/s"
set -- $(stat x25519 | awk -v n="$trial" '{ printf "%.0f %.0f %.0f\n", n / $1, n / $3, n / $2 }')
line "  X25519 (libsodium, in process)" "$1" "$2" "$3" "/s"
echo "ceilings, one core, in process (MB/s)"
for l in aead_sodium aead_openssl sha256_nettle sha256_openssl; do
	set -- $(mbps "$l")
	line "  $l" "$1" "$2" "$3" "MB/s"
done
set -- $(mbps xc_seal)
line "  (xc_seal, the whole process)" "$1" "$2" "$3" "MB/s"
echo "peak RSS, one run each, time(1) (KiB)"
for l in xc_seal xc_open xc_seal1k xc_open1k xc_open_many age_enc age_dec; do
	printf '  %-42s %12s\n' "$l" "$(peak "$l")"
done

echo
echo "targets (ratios of medians)"
target "$size_mib MiB seal / age encrypt" "$(ratio "$(med xc_seal)" "$(med age_enc)")" "<=" 1.0
target "$size_mib MiB seal+open / age encrypt+decrypt" \
	"$(ratio "$(awk -v a="$(med xc_seal)" -v b="$(med xc_open)" 'BEGIN { print a + b }')" \
		"$(awk -v a="$(med age_enc)" -v b="$(med age_dec)" 'BEGIN { print a + b }')")" "<=" 1.0
target "  (the same, age's output fsynced as xc-open's is)" \
	"$(ratio "$(awk -v a="$(med xc_seal)" -v b="$(med xc_open)" 'BEGIN { print a + b }')" \
		"$(awk -v a="$(med age_enc)" -v b="$(med age_dec_sync)" 'BEGIN { print a + b }')")" "<=" 1.0
target "1 KiB seal+open / age encrypt+decrypt" \
	"$(ratio "$(awk -v a="$(med xc_seal1k)" -v b="$(med xc_open1k)" 'BEGIN { print a + b }')" \
		"$(awk -v a="$(med age_enc1k)" -v b="$(med age_dec1k)" 'BEGIN { print a + b }')")" "<=" 0.9
target "$many letters: one xc-open's rate / $many age -d's" \
	"$(awk -v x="$(med xc_open_many)" -v a="$(med age_dec_many)" -v n="$many" 'BEGIN { printf "%.2f", a * n / x }')" ">=" 5
target "xc-fetch trial decryption / X25519 rate" \
	"$(awk -v f="$(med fetch_trial)" -v x="$(med x25519)" 'BEGIN { printf "%.2f", x / f }')" ">=" 0.6
nlib=0
for p in xc-send xc-fetch xc-keygen xc-verify; do
	ldd "$X/$p" | grep -q libarchive && nlib=$((nlib + 1))
done
target "programs of xc-send, xc-fetch, xc-keygen, xc-verify linking libarchive" "$nlib" "<=" 0
rss=0
for l in xc_seal xc_open xc_seal1k xc_open1k xc_open_many; do
	v=$(peak "$l")
	[ "$v" = - ] || [ "$v" -le "$rss" ] || rss=$v
done
target "peak RSS of xc-seal and xc-open (KiB)" "$rss" "<=" 16384
echo
echo "xc-open syncs what it saves (the file and its directory); age and gpg do not:"
echo "age_dec_sync adds an fsync of age's output.  gpg signs and encrypts, without zlib."
echo "age+minisign: minisign -S and age -r; age -d and minisign -V (BLAKE2b prehash)."
[ "$missed" -eq 0 ] || echo "$me: $missed target(s) missed"
[ "$missed" -eq 0 ] || [ "$strict" != 1 ] || exit 1
exit 0
