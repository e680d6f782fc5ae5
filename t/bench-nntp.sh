#!/bin/sh
# t/bench-nntp.sh: the network (run by `make bench` after the other bench
# scripts, or as `sh t/bench-nntp.sh`; needs root and inn2, like the
# network tests, and says so and exits 0 without them).
#
# Measures, in one run, interleaved, BENCH_REPS (default 7) rounds, each
# figure as the median and min-max over the rounds:
#   node ingest: articles/s one node takes from a streaming peer (MODE
#     STREAM, TAKETHIS pipelined) with its xc filter, and with the filter
#     switched off (ctlinnd python n) on the same node, BENCH_INGEST (300)
#     fresh articles each way per round; the target: ratio >= 0.5;
#   xc-send posting rate against the raw client (t/nntp-tool post: the
#     same library calls, one IHAVE after another, no outbox), each
#     BENCH_POST (100) fresh envelopes per round, proof-of-work included
#     in both; the target: ratio >= 0.5;
#   xc-fetch download rate against the raw pipelined client (nntp-tool
#     list, then fetch: OVER and BODY pipelined, files written without
#     fsync), everything the node holds for the recipient, from scratch
#     each round; the target: ratio >= 0.5;
#   propagation over a mesh of three nodes: BENCH_PROPAGATION (200)
#     envelopes posted to one node, the ms from its answer until each is
#     listed by each of the other two (p50 and p99 per round);
#   proof-of-work at the default difficulty: ms for 1 KiB and 1 MiB of
#     payload, expiring in 2 h and without expiry (30 days of work; the
#     1 MiB one takes ~20 s a round: BENCH_POW_LONG=0 leaves it out); the
#     time of one search is a geometric draw, so the expected time (trials
#     expected / trials per second, measured) is printed beside it.
# Envelopes are variants of one sealed envelope (t/nntp-tool variants: the
# payload's last 16 bytes random), so each has its own id and the same
# size, and the node takes each as new.
#
# Environment: XC_BIN, XC_NNTP_TOOL, XC_CRAFT, BENCH_REPS, BENCH_INGEST,
# BENCH_POST, BENCH_PROPAGATION, BENCH_POW_LONG, BENCH_STRICT=1 (exit 1 on
# a missed target), TMPDIR (default /var/tmp).
set -eu

me=bench-nntp
root=$(cd "$(dirname "$0")/.." && pwd)
XC_BIN=${XC_BIN:-$root/bin}
tool=${XC_NNTP_TOOL:-$root/t/nntp-tool}
craft=${XC_CRAFT:-$root/t/craft}
reps=${BENCH_REPS:-7}
ningest=${BENCH_INGEST:-300}
npost=${BENCH_POST:-100}
nprop=${BENCH_PROPAGATION:-200}
powlong=${BENCH_POW_LONG:-1}
strict=${BENCH_STRICT:-0}
PATH=$XC_BIN:$PATH
export PATH
INN=/usr/lib/news/bin

die() {
	echo "$me: error: $*" >&2
	exit 2
}
why=
[ "$(id -u)" -eq 0 ] || why="needs root (innd runs as news)"
[ -x "$INN/innd" ] || why="needs inn2 (sh .ci/deps)"
if [ -n "$why" ]; then
	echo "$me: skipped: $why"
	exit 0
fi
for p in "$XC_BIN/xc-send" "$XC_BIN/xc-fetch" "$XC_BIN/xc-node" "$tool" "$craft"; do
	[ -x "$p" ] || die "no $p: run make all t/nntp-tool t/craft"
done
work=$(mktemp -d "${TMPDIR:-/var/tmp}/xc-bench-nntp.XXXXXX") || die "no work directory"
chmod 755 "$work"
nodes=
cleanup() {
	for n in $nodes; do
		xc-node stop "$work/$n" > /dev/null 2>&1 || :
		for f in run/xc-node.pid run/innd.pid run/innfeed.pid; do
			p=$(cat "$work/$n/$f" 2>/dev/null || :)
			case $p in ''|*[!0-9]*) ;; *) kill -9 "$p" 2>/dev/null || : ;; esac
		done
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
cd "$work"

now_ns() { date +%s%N; }
# rate N T0 T1: N per second.
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.1f\n", n / ((b - a) / 1e9) }'; }
# stats FILE: "median (min-max)" of the numbers in FILE.
stats() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
	    m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
	    printf "%.2f (%.2f-%.2f)", m, v[1], v[NR] }'
}
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# ratio A B: A / B.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f\n", a / b }'; }
# percentile P FILE
percentile() {
	sort -n "$2" | awk -v p="$1" '{ v[NR] = $1 }
	    END { i = int(NR * p / 100 + 0.999); if (i < 1) i = 1; print v[i] }'
}
ctl() { _n=$1; shift; runuser -u news -- env INNCONF="$work/$_n/etc/inn.conf" "$INN/ctlinnd" -s -t 20 "$@"; }
node() {
	nodes="$nodes $1"
	xc-node init "$work/$1" --listen "$2" --name "$1" > /dev/null
	xc-node start "$work/$1" > /dev/null
}

echo "$me: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(uname -sr), $(nproc) cpu, INN $(dpkg-query -W -f '${Version}' inn2 2>/dev/null || echo '?'), $reps rounds"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (a shared machine: other work runs beside this)"

# ---- set-up: keys, envelopes, nodes ----
xc-keygen --home alice @alice > alice.card 2> /dev/null
xc-keygen --home bob @bob > bob.card 2> /dev/null
xc-verify --home alice --import bob.card > /dev/null 2>&1
echo "a letter for the benchmark" | xc-seal --home alice -r @bob --ttl 2h -o base.age
size=$(wc -c < base.age | tr -d ' ')
G=xc.b.$(python3 -c "
import base64
d = open('base.age', 'rb').read().split(b'\n')
i = [k for k, l in enumerate(d) if l.startswith(b'-> xc-route')][0]
print('%02x' % base64.b64decode(d[i + 1] + b'=' * (-len(d[i + 1]) % 4))[0])")
mkdir ing post prop art
"$tool" variants base.age $((reps * 2 * ningest)) ing
"$tool" variants base.age $((reps * 2 * npost)) post
"$tool" variants base.age $((reps * nprop)) prop
# The ingest articles, proof-of-work made beforehand (two at a time).
ls ing | sed 's|^|ing/|' | xargs -P 2 -n 100 "$tool" articles art > /dev/null

node F 127.0.92.2:11992
node P 127.0.92.3:11992
node M1 127.0.92.4:11992
node M2 127.0.92.5:11992
node M3 127.0.92.6:11992
UF=nntp://127.0.92.2:11992 UP=nntp://127.0.92.3:11992
UM1=nntp://127.0.92.4:11992 UM2=nntp://127.0.92.5:11992 UM3=nntp://127.0.92.6:11992
# The ingest peer: this script, from 127.0.92.9.
printf 'peer bench {\n    hostname: "127.0.92.9"\n    patterns: "xc.*"\n}\n' >> F/etc/incoming.conf
ctl F reload incoming.conf bench > /dev/null
for a in M1:127.0.92.5 M1:127.0.92.6 M2:127.0.92.4 M2:127.0.92.6 M3:127.0.92.4 M3:127.0.92.5; do
	xc-node peer "$work/${a%%:*}" "${a#*:}:11992" > /dev/null
done
sleep 2

cat > stream.py <<'PY'
# stream.py HOST PORT SRC FILE...: MODE STREAM, then TAKETHIS of each
# article, pipelined; prints "RATE TAKEN" (articles/s, 239 answers).
import socket, sys, threading, time
host, port, src, files = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
arts = []
for p in files:
    data = open(p, 'rb').read()
    ident = p.rsplit('/', 1)[-1][:-4]
    lines = data.split(b'\r\n')
    body = b'\r\n'.join(b'.' + l if l.startswith(b'.') else l for l in lines)
    if not body.endswith(b'\r\n'):
        body += b'\r\n'
    arts.append(b'TAKETHIS <' + ident.encode() + b'@xc>\r\n' + body + b'.\r\n')
s = socket.socket()
s.bind((src, 0))
s.connect((host, port))
f = s.makefile('rb')
assert f.readline().startswith(b'200')
s.sendall(b'MODE STREAM\r\n')
assert f.readline().startswith(b'203')
t0 = time.time()
w = threading.Thread(target=lambda: [s.sendall(a) for a in arts])
w.start()
ok = 0
for _ in arts:
    if f.readline().startswith(b'239'):
        ok += 1
t1 = time.time()
w.join()
print('%.1f %d' % (len(arts) / (t1 - t0), ok))
PY

# ---- the rounds ----
: > r.ingest.on; : > r.ingest.off; : > r.ingest.ratio
: > r.post.xc; : > r.post.raw; : > r.post.ratio
: > r.fetch.xc; : > r.fetch.raw; : > r.fetch.ratio
: > r.prop.p50; : > r.prop.p99
arts=$(ls art)
r=0
while [ "$r" -lt "$reps" ]; do
	# ingest: alternately filter first and filter last
	set -- $(echo "$arts" | sed -n "$((r * 2 * ningest + 1)),$(((r * 2 + 1) * ningest))p" | sed 's|^|art/|')
	on_files="$*"
	set -- $(echo "$arts" | sed -n "$(((r * 2 + 1) * ningest + 1)),$(((r * 2 + 2) * ningest))p" | sed 's|^|art/|')
	off_files="$*"
	for mode in $([ $((r % 2)) -eq 0 ] && echo "on off" || echo "off on"); do
		ctl F python "$([ "$mode" = on ] && echo y || echo n)" > /dev/null 2>&1 || :
		# shellcheck disable=SC2086
		out=$(python3 stream.py 127.0.92.2 11992 127.0.92.9 $([ "$mode" = on ] && echo "$on_files" || echo "$off_files"))
		[ "${out#* }" -eq "$ningest" ] || die "ingest ($mode): took ${out#* } of $ningest"
		echo "${out% *}" >> r.ingest.$mode
	done
	ratio "$(tail -n 1 r.ingest.on)" "$(tail -n 1 r.ingest.off)" >> r.ingest.ratio
	# posting: xc-send and the raw client, alternately first
	set -- $(ls post | sed -n "$((r * 2 * npost + 1)),$(((r * 2 + 1) * npost))p" | sed 's|^|post/|')
	xfiles="$*"
	set -- $(ls post | sed -n "$(((r * 2 + 1) * npost + 1)),$(((r * 2 + 2) * npost))p" | sed 's|^|post/|')
	rfiles="$*"
	for who in $([ $((r % 2)) -eq 0 ] && echo "xc raw" || echo "raw xc"); do
		t0=$(now_ns)
		if [ "$who" = xc ]; then
			# shellcheck disable=SC2086
			xc-send --home alice --server "$UP" $xfiles > /dev/null
		else
			# shellcheck disable=SC2086
			"$tool" post "$UP" $rfiles > posted 2> /dev/null
			[ "$(grep -c ' accepted ' posted)" -eq "$npost" ] || die "raw post: $(grep -vc ' accepted ' posted) refused"
		fi
		t1=$(now_ns)
		rate "$npost" "$t0" "$t1" >> r.post.$who
	done
	ratio "$(tail -n 1 r.post.xc)" "$(tail -n 1 r.post.raw)" >> r.post.ratio
	# fetching: everything for bob, from scratch, alternately first
	held=$(( (r + 1) * 2 * npost ))
	for who in $([ $((r % 2)) -eq 0 ] && echo "xc raw" || echo "raw xc"); do
		rm -rf bobf got && mkdir got && cp -a bob bobf && rm -rf bobf/inbox bobf/state
		t0=$(now_ns)
		if [ "$who" = xc ]; then
			n=$(xc-fetch --home bobf --server "$UP" | wc -l)
		else
			"$tool" list "$UP" "$G" 0 | grep -v '^next' | cut -d' ' -f2 |
			    xargs "$tool" fetch "$UP" got > fetched
			n=$(grep -c ' ok$' fetched)
		fi
		t1=$(now_ns)
		[ "$n" -eq "$held" ] || die "fetch ($who): $n of $held"
		rate "$n" "$t0" "$t1" >> r.fetch.$who
	done
	ratio "$(tail -n 1 r.fetch.xc)" "$(tail -n 1 r.fetch.raw)" >> r.fetch.ratio
	# propagation over the mesh
	for i in 1 2 3; do
		eval "u=\$UM$i"
		"$tool" watch "$u" "$G" "$nprop" 120 > "watch.$i" 2> /dev/null &
		echo $! > "watch.$i.pid"
	done
	for i in 1 2 3; do until grep -q ready "watch.$i" 2>/dev/null; do sleep 0.05; done; done
	# shellcheck disable=SC2046
	"$tool" post "$UM1" $(ls prop | sed -n "$((r * nprop + 1)),$(((r + 1) * nprop))p" | sed 's|^|prop/|') > /dev/null 2> posted
	for i in 1 2 3; do wait "$(cat "watch.$i.pid")" || die "propagation: a node missed envelopes"; done
	# from the entry's answer to the listing by each of the two others
	awk 'FNR == NR { if ($1 == "posted") t[$2] = $3; next }
	    ($1 in t) { print $2 - t[$1] }' posted watch.2 watch.3 | sort -n > lat
	percentile 50 lat >> r.prop.p50
	percentile 99 lat >> r.prop.p99
	r=$((r + 1))
done

# ---- proof-of-work ----
key=$(grep -o 'age1[a-z0-9]*' bob/ids/bob/card | head -n 1)
head -c 1024 /dev/urandom > p1k
head -c 1048576 /dev/urandom > p1m
exp=$(($(date +%s) + 7200))
"$craft" wrap --expires "$exp" "$key" < p1k > pow.1k.2h
"$craft" wrap "$key" < p1k > pow.1k.none
"$craft" wrap --expires "$exp" "$key" < p1m > pow.1m.2h
"$craft" wrap "$key" < p1m > pow.1m.none
trials=$("$tool" pow-rate)
kinds="1k.2h 1k.none 1m.2h"
[ "$powlong" = 0 ] || kinds="$kinds 1m.none"
for k in $kinds; do : > "r.pow.$k"; done
r=0
while [ "$r" -lt "$reps" ]; do
	for k in $kinds; do
		"$tool" pow "pow.$k" > pow.out
		cut -d' ' -f3 pow.out >> "r.pow.$k"
		cut -d' ' -f2 pow.out > "x.pow.$k"
	done
	r=$((r + 1))
done

# ---- the report ----
met() { awk -v r="$(median "$1")" 'BEGIN { exit !(r >= 0.5) }' && echo met || echo MISSED; }
printf '\n%-66s %s\n' "metric ($reps rounds)" "median (min-max)"
printf '%-66s %s\n' "node ingest with the filter (articles/s, $size B)" "$(stats r.ingest.on)"
printf '%-66s %s\n' "node ingest, filter off (ctlinnd python n)" "$(stats r.ingest.off)"
printf '%-66s %s  [>= 0.5: %s]\n' "  ratio with / without the filter" "$(stats r.ingest.ratio)" "$(met r.ingest.ratio)"
printf '%-66s %s\n' "xc-send --server, $npost envelopes (envelopes/s)" "$(stats r.post.xc)"
printf '%-66s %s\n' "raw client (nntp-tool post), $npost envelopes" "$(stats r.post.raw)"
printf '%-66s %s  [>= 0.5: %s]\n' "  ratio xc-send / raw" "$(stats r.post.ratio)" "$(met r.post.ratio)"
printf '%-66s %s\n' "xc-fetch --server, everything held (envelopes/s)" "$(stats r.fetch.xc)"
printf '%-66s %s\n' "raw pipelined client (nntp-tool list + fetch)" "$(stats r.fetch.raw)"
printf '%-66s %s  [>= 0.5: %s]\n' "  ratio xc-fetch / raw" "$(stats r.fetch.ratio)" "$(met r.fetch.ratio)"
printf '%-66s %s\n' "propagation over a mesh of 3, p50 (ms, $nprop envelopes)" "$(stats r.prop.p50)"
printf '%-66s %s\n' "propagation over a mesh of 3, p99 (ms)" "$(stats r.prop.p99)"
for k in $kinds; do
	case $k in
	1k.*) what="1 KiB" f=pow.${k} ;;
	1m.*) what="1 MiB" f=pow.${k} ;;
	esac
	case $k in *.2h) life="expiring in 2 h" ;; *) life="no expiry (30 days)" ;; esac
	printf '%-66s %s\n' "proof-of-work, $what payload ($(wc -c < "$f" | tr -d ' ') B), $life (ms)" \
	    "$(stats r.pow.$k), expected $(awk -v x="$(cat x.pow.$k)" -v r="$trials" 'BEGIN { printf "%.0f", x / r * 1000 }') ($(cat x.pow.$k) trials)"
done
printf '%-66s %s\n' "proof-of-work trials per second, one core" "$trials"
fails=$(for f in r.ingest.ratio r.post.ratio r.fetch.ratio; do met $f; done | grep -c MISSED || true)
[ "$fails" -eq 0 ] || [ "$strict" != 1 ] || exit 1
