#!/bin/sh
# t/bench-delivery.sh: delivery through a spool (run by `make bench`, after
# t/bench.sh and t/bench-letters.sh, or as `sh t/bench-delivery.sh`).
#
# Measures, in one run, on this machine:
#   messages per second through `xc-seal | xc-send` (one pipeline per
#   message, as a bot sends them) and through `xc-fetch | xc-open --json`
#   (one pipeline for all of them, as a cron job reads them), for
#   BENCH_MESSAGES (default 1,000) small letters;
#   how xc-fetch's time grows with the spool: spools of 1k, 10k and 100k
#   envelopes (BENCH_SPOOL_SIZES), 1% of them mine, made in one process by
#   t/craft; the first fetch (reads the headers in my bucket, fetches my
#   envelopes) and a steady fetch (nothing new: what a cron job pays every
#   five minutes), the median of 7.  The message rates are medians of 7
#   rounds of BENCH_MESSAGES/7 letters each, sending and fetching in turn.  The target: fetch cost grows with my bucket, not with
#   the whole spool (the steady fetch of 100k within 4x that of 1k).
#
# Environment: XC_BIN (default <root>/bin), XC_CRAFT (default <root>/t/craft),
# BENCH_MESSAGES, BENCH_SPOOL_SIZES, BENCH_STRICT=1 (exit 1 on a miss),
# TMPDIR (default /var/tmp: on disk).
set -eu

me=bench-delivery
root=$(cd "$(dirname "$0")/.." && pwd)
XC_BIN=${XC_BIN:-$root/bin}
craft=${XC_CRAFT:-$root/t/craft}
msgs=${BENCH_MESSAGES:-1000}
sizes=${BENCH_SPOOL_SIZES:-1000 10000 100000}
strict=${BENCH_STRICT:-0}
PATH=$XC_BIN:$PATH
export PATH

die() {
	echo "$me: error: $*" >&2
	exit 2
}
if [ ! -x "$XC_BIN/xc-send" ] || [ ! -x "$XC_BIN/xc-fetch" ]; then
	die "run make first"
fi
[ -x "$craft" ] || die "no $craft: run make t/craft"
work=$(mktemp -d "${TMPDIR:-/var/tmp}/xc-bench-delivery.XXXXXX") || die "no work directory"
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM HUP
now_ns() { date +%s%N; }
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1e6 }'; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.1f", n / ((b - a) / 1e9) }'; }

A=$work/alice B=$work/bob S=$work/spool
xc-keygen --home "$A" @alice > "$work/alice.card" 2>/dev/null
xc-keygen --home "$B" @bob > "$work/bob.card" 2>/dev/null
xc-verify --home "$A" --import "$work/bob.card" > /dev/null 2>&1
xc-verify --home "$B" --import "$work/alice.card" > /dev/null 2>&1

echo "$me: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(uname -sr), $(nproc) cpu," \
	"$(df -PT "$work" | awk 'NR == 2 { print $2 }') in $work"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- messages per second: 7 rounds of msgs/7, send and fetch in turn ----
# rates: "median (min - max)" of the numbers on stdin.
rates() {
	sort -g | awk '{ v[NR] = $1 }
		END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		      printf "%.1f (%.1f - %.1f)", m, v[1], v[NR] }'
}
per=$(( (msgs + 6) / 7 ))
: > "$work/send.rates"
: > "$work/fetch.rates"
r=0
while [ "$r" -lt 7 ]; do
	i=0
	t0=$(now_ns)
	while [ "$i" -lt "$per" ]; do
		printf 'disk %d%% on db1\n' "$i" | xc-seal --home "$A" -r @bob |
			xc-send --home "$A" --spool "$S" > /dev/null
		i=$((i + 1))
	done
	t1=$(now_ns)
	rate "$per" "$t0" "$t1" >> "$work/send.rates"
	echo >> "$work/send.rates"
	t0=$(now_ns)
	got=$(xc-fetch --home "$B" --spool "$S" | xc-open --home "$B" --json -D "$work" 2>/dev/null |
		grep -c '"ok":true' || true)
	t1=$(now_ns)
	[ "$got" -eq "$per" ] || die "bob opened $got of $per letters"
	rate "$per" "$t0" "$t1" >> "$work/fetch.rates"
	echo >> "$work/fetch.rates"
	r=$((r + 1))
done
send_rate=$(rates < "$work/send.rates")
fetch_rate=$(rates < "$work/fetch.rates")

printf '\n%-44s %s\n' "metric (7 rounds: median (min - max))" "value"
printf '%-44s %s\n' "xc-seal | xc-send, $per letters (msg/s)" "$send_rate"
printf '%-44s %s\n' "xc-fetch | xc-open --json, $per (msg/s)" "$fetch_rate"

# ---- fetch time against spool size ----
key=$(grep -o 'age1[a-z0-9]*' "$B/ids/bob/card" | head -n 1)
printf '\n%-10s %8s %10s %14s %14s\n' "spool" "mine" "bucket" "first fetch ms" "steady ms"
first_steady='' last_steady=''
for n in $sizes; do
	s=$work/s$n h=$work/h$n
	rm -rf "$h" && cp -a "$B" "$h" && rm -rf "$h/inbox" "$h/state"
	"$craft" spool "$n" "$s" "$key" 100
	bucket=$(for d in "$s"/??; do find "$d" -type f | wc -l; done | sort -n | tail -n 1)
	t0=$(now_ns)
	mine=$(xc-fetch --home "$h" --spool "$s" | wc -l)
	t1=$(now_ns)
	first=$(ms "$t0" "$t1")
	# steady: the median of 7 (never the best)
	: > "$work/steady"
	for _ in 1 2 3 4 5 6 7; do
		t0=$(now_ns)
		xc-fetch --home "$h" --spool "$s" > /dev/null
		t1=$(now_ns)
		ms "$t0" "$t1" >> "$work/steady"
		echo >> "$work/steady"
	done
	best=$(sort -g "$work/steady" | sed -n 4p)
	[ -n "$first_steady" ] || first_steady=$best
	last_steady=$best
	printf '%-10s %8s %10s %14s %14s\n' "$n" "$mine" "$bucket" "$first" "$best"
	rm -rf "$s" "$h"
done
ratio=$(awk -v a="$last_steady" -v b="$first_steady" 'BEGIN { printf "%.2f", a / b }')
status=met
awk -v r="$ratio" 'BEGIN { exit !(r <= 4) }' || status=MISSED
printf '\nsteady fetch, largest / smallest spool: %s (limit <= 4: %s)\n' "$ratio" "$status"
echo "bucket: files in the largest bucket (mine are all in one; the others spread over 256)"
[ "$status" = met ] || [ "$strict" != 1 ] || exit 1
