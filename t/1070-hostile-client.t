#!/bin/sh
# 1070-hostile-client: the NNTP path of xc-send and xc-fetch against a
# hostile server (t/hostile-nntp.py on 127.0.0.1): an overlong line, wrong
# codes, slow drips, silence, an endless overview, an endless body, an
# overview out of range, junk for a body, "try later".  With --timeout 1
# (one second without a byte, four for a response) each run ends within
# 6 s, in bounded memory (max RSS printed and checked), with status 5 and
# a clear error naming the server; xc-send keeps the envelope in the
# outbox, byte for byte; xc-fetch saves no cursor and delivers nothing.

# shellcheck source=t/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=t/net.sh
. "$root/t/net.sh"
need_delivery
command -v python3 >/dev/null || { echo "1..0 # SKIP no python3"; exit 0; }
plan 68

parties alice bob
printf 'for bob\n' | xc-seal --home alice -r @bob --ttl 2h -o m.age || bail "xc-seal"
id=$(envid m.age)
HOSTILE_TAG=$(python3 -c "
import base64, sys
d = open('m.age', 'rb').read().split(b'\n')
i = [k for k, l in enumerate(d) if l.startswith(b'-> xc-route')][0]
print(base64.b64decode(d[i + 1] + b'=' * (-len(d[i + 1]) % 4))[:8].hex())")
export HOSTILE_TAG
# Queued once, while no server answers: each run below retries it.
xc-send --home alice --server nntp://127.0.0.1:9 m.age > /dev/null 2>&1
[ "$(ls alice/outbox/new)" = "$id-$(ls alice/outbox/new | cut -d- -f2)" ] ||
    bail "the envelope is not in the outbox"
sum=$(cat alice/outbox/new/* | md5sum)
maxrss=131072
[ -z "${XC_SANITIZE:-}" ] || maxrss=262144

# against MODE CODE CMD...: serve MODE, run CMD with --server its URL
# appended, expecting CODE; sets $ms (wall time) and $rss (KiB).
against() {
	_mode=$1 _code=$2
	shift 2
	hostile_start "$_mode"
	_t0=$(date +%s%N)
	expect_exit "$_code" /usr/bin/time -f "%M" -o rss "$@" --timeout 1 \
	    --server "$hostile_url"
	ms=$((($(date +%s%N) - _t0) / 1000000))
	rss=$(tail -n 1 rss)
	hostile_stop
	# RSS: a body is read whole up to the network's limit (32 MiB of
	# envelope, its armor), twice over while it grows; the sanitizer
	# build keeps what realloc frees in its quarantine.
	ok "$_mode: ended in $ms ms (bound 6000), max RSS $rss KiB (bound $maxrss)" \
	    test "$ms" -lt 6000 -a "$rss" -lt "$maxrss"
}

# sent MODE WHY: xc-send --flush against MODE: status 5, the error names
# the envelope and the server and says WHY; the outbox is as it was.
sent() {
	against "$1" 5 xc-send --home alice --flush
	like "$(cat "$ERR")" "^xc-send: error: cannot deliver $id to server 'nntp://127\\.0\\.0\\.1:[0-9]+': ($2)" \
	    "$1: xc-send says why, naming the server"
	is "$(cat alice/outbox/new/* | md5sum)|$(ls alice/outbox/new | wc -l | tr -d ' ')" "$sum|1" \
	    "$1: the envelope waits in the outbox, intact"
}

# fetched MODE CODE WHY: xc-fetch against MODE: status CODE, WHY on
# stderr, nothing printed or delivered; no cursor unless CODE is 0.
fetched() {
	against "$1" "$2" xc-fetch --home bob
	like "$(cat "$ERR")" "$3" "$1: xc-fetch says why"
	is "$(cat "$OUT")|$(inbox_ids bob | wc -l | tr -d ' ')" "|0" "$1: nothing fetched"
	if [ "$2" -eq 0 ]; then
		is "$(wc -l < bob/state/cursors 2>/dev/null | tr -d ' ')" 1 "$1: the cursor moves past the junk"
		rm -f bob/state/cursors
	else
		is_file_absent bob/state/cursors "$1: no cursor saved"
	fi
}

sent longline 'the server sent an overlong line'
sent wrongcode 'the server sent a malformed status line'
sent drip 'the server took too long to answer'
sent silent 'the server stopped answering|the server took too long'
sent p-silent 'the server stopped answering|the server took too long'
sent p-wrong 'the server sent a malformed status line'
sent p-later 'the server asks to try again later: 436 try later'

net="^xc-fetch: error: server 'nntp://127\\.0\\.0\\.1:[0-9]+': "
fetched longline 5 "${net}the server sent an overlong line"
fetched wrongcode 5 "${net}the server sent a malformed status line"
fetched silent 5 "${net}(the server stopped answering|the server took too long)"
fetched f-endless 5 "${net}(the server sent a malformed overview line|the server sent too long a response|the server took too long)"
fetched f-drip 5 "${net}the server took too long to answer"
fetched f-badover 5 "${net}the server sent a malformed overview line"
fetched f-bigbody 5 "${net}(the server sent too long a response|the server took too long)"
fetched f-junk 0 "^xc-fetch: warning: left alone 1 article\\(s\\) that are not the envelopes their ids name"
done_testing
