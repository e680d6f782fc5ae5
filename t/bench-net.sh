#!/bin/sh
# t/bench-net.sh: what TLS costs the network client (run by `make bench`,
# after the other bench scripts, or as `sh t/bench-net.sh`; needs root
# and inn2, as the t/10xx tests do).
#
# One xc node with TLS on loopback (xc-node init; nnrpd serves nntps), a
# thousand envelopes posted to it, then BENCH_NET_RUNS (default 7) rounds,
# each timing, in alternating order:
#   connection set-up: BENCH_NET_CONNECTS (default 50) connections made
#   one after another (greeting, MODE READER, QUIT; nntp-tool connect),
#   over plaintext, over nntps (pinned) and over STARTTLS (pinned), in
#   milliseconds per connection;
#   a fetch of the 1,000 envelopes (one connection, pipelined BODY, each
#   dearmored, hashed and written to a file; nntp-tool fetch), over
#   plaintext and over nntps, in milliseconds;
#   the same by xc-fetch, the client users run (overview, trial
#   decryption, inbox copies synced, cursors), into a fresh copy of the
#   recipient's keyring each time, over plaintext and over nntps with the
#   node's pin, in milliseconds.
# It prints each measure's median and min-max over the rounds, and the
# ratios TLS / plaintext: of the medians, and the min-max of the ratios
# within a round.  The machine may be shared: read the spread.
#
# Environment: XC_BIN (default <root>/bin), XC_NNTP_TOOL (default
# <root>/t/nntp-tool), BENCH_NET_RUNS, BENCH_NET_CONNECTS,
# BENCH_NET_ENVELOPES (default 1000), TMPDIR (default /var/tmp).
set -eu

me=bench-net
root=$(cd "$(dirname "$0")/.." && pwd)
XC_BIN=${XC_BIN:-$root/bin}
tool=${XC_NNTP_TOOL:-$root/t/nntp-tool}
runs=${BENCH_NET_RUNS:-7}
conns=${BENCH_NET_CONNECTS:-50}
envs=${BENCH_NET_ENVELOPES:-1000}
PATH=$XC_BIN:$PATH
export PATH

die() {
	echo "$me: error: $*" >&2
	exit 2
}
if [ "$(id -u)" -ne 0 ] || ! [ -x /usr/lib/news/bin/innd ]; then
	echo "$me: skipped: needs root and inn2 (sh .ci/deps), like t/10xx"
	exit 0
fi
[ -x "$tool" ] || die "no $tool: run make t/nntp-tool"
[ -x "$XC_BIN/xc-node" ] || die "run make first"
work=$(mktemp -d "${TMPDIR:-/var/tmp}/xc-bench-net.XXXXXX") || die "no work directory"
chmod 755 "$work"
node=$work/node
cleanup() {
	xc-node stop "$node" >/dev/null 2>&1 || :
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
now_ns() { date +%s%N; }

A=127.0.11.250
U=nntp://$A:11199
TU=nntps://$A:56399
xc-node init "$node" --listen "$A:11199" --tls-listen "$A:56399" >/dev/null
xc-node start "$node" >/dev/null
pin=$("$tool" fingerprint "$node/etc/tls/cert.pem")

echo "$me: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(uname -sr), $(nproc) cpu," \
	"$(openssl version 2>/dev/null || echo OpenSSL), INN $(dpkg-query -W -f='${Version}' inn2 2>/dev/null)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

# The envelopes: sealed, posted once (plaintext), their ids kept.
export XC_HOME=$work/xc HOME=$work
xc-keygen @alice >/dev/null 2>&1
xc-keygen @bob >/dev/null 2>&1
mkdir "$work/envs"
i=0
while [ "$i" -lt "$envs" ]; do
	echo "letter $i" | xc-seal -u @alice -r @bob --ttl 2h -o "$work/envs/e$i.age"
	i=$((i + 1))
done
(cd "$work/envs" && "$tool" post "$U" ./*.age) >"$work/posted" 2>/dev/null ||
	die "posting failed"
cut -d' ' -f1 "$work/posted" >"$work/ids"
[ "$(wc -l <"$work/ids")" -eq "$envs" ] || die "posted $(wc -l <"$work/ids") of $envs"

# conn KIND: ms per connection; fetch KIND: ms for the whole fetch;
# xcfetch KIND: the same by xc-fetch into a fresh copy of the keyring.
conn() {
	case $1 in
	plain) _o=$("$tool" connect "$U" "$conns") ;;
	nntps) _o=$("$tool" -p "$pin" connect "$TU" "$conns") ;;
	starttls) _o=$("$tool" -S -p "$pin" connect "$U" "$conns") ;;
	esac
	awk -v t="${_o#ok }" -v n="$conns" 'BEGIN { printf "%.2f", t / n }'
}
fetch() {
	rm -rf "$work/got" && mkdir "$work/got"
	_t0=$(now_ns)
	# shellcheck disable=SC2046 # one id per word
	case $1 in
	plain) "$tool" fetch "$U" "$work/got" $(cat "$work/ids") ;;
	nntps) "$tool" -p "$pin" fetch "$TU" "$work/got" $(cat "$work/ids") ;;
	esac >"$work/fetched"
	_t1=$(now_ns)
	[ "$(grep -c ' ok$' "$work/fetched")" -eq "$envs" ] || die "fetch $1 incomplete"
	awk -v a="$_t0" -v b="$_t1" 'BEGIN { printf "%.1f", (b - a) / 1e6 }'
}

xcfetch() {
	rm -rf "$work/f" && cp -a "$work/xc" "$work/f"
	_t0=$(now_ns)
	case $1 in
	plain) xc-fetch --home "$work/f" --server "$U" ;;
	nntps) xc-fetch --home "$work/f" --server "$TU" --pin "$pin" ;;
	esac >"$work/fetched" || die "xc-fetch $1 failed"
	_t1=$(now_ns)
	[ "$(wc -l <"$work/fetched")" -eq "$envs" ] || die "xc-fetch $1 incomplete"
	awk -v a="$_t0" -v b="$_t1" 'BEGIN { printf "%.1f", (b - a) / 1e6 }'
}

: >"$work/results"
r=1
while [ "$r" -le "$runs" ]; do
	if [ $((r % 2)) -eq 1 ]; then order="plain nntps starttls"; else order="starttls nntps plain"; fi
	for k in $order; do echo "conn-$k $r $(conn "$k")" >>"$work/results"; done
	if [ $((r % 2)) -eq 1 ]; then order="plain nntps"; else order="nntps plain"; fi
	for k in $order; do echo "fetch-$k $r $(fetch "$k")" >>"$work/results"; done
	for k in $order; do echo "xcfetch-$k $r $(xcfetch "$k")" >>"$work/results"; done
	r=$((r + 1))
done

# stats NAME: "median min max" of NAME's values.
stats() {
	awk -v n="$1" '$1 == n { print $3 }' "$work/results" | sort -n |
	    awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
		printf "%.2f %.2f %.2f", m, v[1], v[NR] }'
}
# ratio A B: median(A)/median(B), and the min-max of A/B within rounds.
ratio() {
	awk -v a="$1" -v b="$2" '$1 == a { x[$2] = $3 } $1 == b { y[$2] = $3 }
	    END { for (r in x) print x[r] / y[r] }' "$work/results" | sort -n |
	    awk '{ v[NR] = $1 } END { printf "%.2f-%.2f", v[1], v[NR] }'
}
med() { stats "$1" | cut -d' ' -f1; }

printf '\n%-40s %10s %18s\n' "measure ($runs rounds)" "median" "min-max"
for m in conn-plain conn-nntps conn-starttls fetch-plain fetch-nntps \
    xcfetch-plain xcfetch-nntps; do
	set -- $(stats "$m")
	case $m in
	conn-*) what="set-up ${m#conn-} (ms/connection)" ;;
	fetch-*) what="fetch $envs ${m#fetch-} (ms)" ;;
	xcfetch-*) what="xc-fetch $envs ${m#xcfetch-} (ms)" ;;
	esac
	printf '%-40s %10s %18s\n' "$what" "$1" "$2-$3"
done
printf '\n%-40s %10s %18s\n' "ratio to plaintext" "medians" "per round"
for p in "conn-nntps conn-plain" "conn-starttls conn-plain" "fetch-nntps fetch-plain" \
    "xcfetch-nntps xcfetch-plain"; do
	set -- $p
	printf '%-40s %10s %18s\n' "${1#*-} / plaintext (${1%%-*})" \
	    "$(awk -v a="$(med "$1")" -v b="$(med "$2")" 'BEGIN { printf "%.2f", a / b }')" \
	    "$(ratio "$1" "$2")"
done
