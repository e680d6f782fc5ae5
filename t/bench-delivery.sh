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
#   five minutes).  The target: fetch cost grows with my bucket, not with
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

# ---- messages per second ----
i=0
t0=$(now_ns)
while [ "$i" -lt "$msgs" ]; do
	printf 'disk %d%% on db1\n' "$i" | xc-seal --home "$A" -r @bob |
		xc-send --home "$A" --spool "$S" > /dev/null
	i=$((i + 1))
done
t1=$(now_ns)
send_rate=$(rate "$msgs" "$t0" "$t1")
t0=$(now_ns)
got=$(xc-fetch --home "$B" --spool "$S" | xc-open --home "$B" --json -D "$work" 2>/dev/null |
	grep -c '"ok":true' || true)
t1=$(now_ns)
fetch_rate=$(rate "$msgs" "$t0" "$t1")
[ "$got" -eq "$msgs" ] || die "bob opened $got of $msgs letters"

printf '\n%-44s %10s\n' "metric" "value"
printf '%-44s %10s\n' "xc-seal | xc-send, $msgs letters (msg/s)" "$send_rate"
printf '%-44s %10s\n' "xc-fetch | xc-open --json, $msgs (msg/s)" "$fetch_rate"

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
	# steady: best of 5
	best=
	for _ in 1 2 3 4 5; do
		t0=$(now_ns)
		xc-fetch --home "$h" --spool "$s" > /dev/null
		t1=$(now_ns)
		v=$(ms "$t0" "$t1")
		if [ -z "$best" ] || awk -v a="$v" -v b="$best" 'BEGIN { exit !(a < b) }'; then
			best=$v
		fi
	done
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
