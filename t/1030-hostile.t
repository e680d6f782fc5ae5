#!/bin/sh
# 1030-hostile: the NNTP client (lib/nntp.c, through t/nntp-tool) against a
# hostile server (t/hostile-nntp.py on 127.0.0.1): overlong lines, endless
# multi-line answers, wrong codes, slow drips, silence, a body that never
# ends, an overview out of range.  Each ends within its bound (inactivity
# 1 s, response 3 s, 1 MiB), with exit 5 and a clear error, in bounded
# memory (max RSS printed and checked); the cursor does not move.

# shellcheck source=t/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=t/net.sh
. "$root/t/net.sh"
[ -x "$NNTP_TOOL" ] || { echo "Bail out! $NNTP_TOOL is missing"; exit 255; }
command -v python3 >/dev/null || { echo "1..0 # SKIP no python3"; exit 0; }
plan 31

# hostile MODE CMD...: serve MODE, run nntp-tool CMD against it; sets
# $secs (wall time), $rss (KiB) and leaves the output in $OUT/$ERR.
hostile() {
	_mode=$1
	shift
	hostile_start "$_mode"
	_url=$hostile_url
	_t0=$(date +%s%N)
	case $1 in
	list) set -- list "$_url" xc.b.00 0 ;;
	fetch) mkdir -p got; set -- fetch "$_url" got "$(printf '%064d' 0)" ;;
	esac
	expect_exit 5 /usr/bin/time -f "%M" -o rss "$NNTP_TOOL" -t 1000 -r 3000 \
	    -m 1048576 "$@"
	like "$(cat "$ERR")" '^nntp-tool: error: ' "$_mode: an error line"
	secs=$((($(date +%s%N) - _t0) / 1000000))
	rss=$(tail -n 1 rss)
	hostile_stop
	ok "$_mode: ended in $secs ms (bound 4000), max RSS $rss KiB (bound 16384)" \
	    test "$secs" -lt 4000 -a "$rss" -lt 16384
}

hostile longline list
like "$(cat "$ERR")" 'overlong line' "longline: a clear error"
hostile endless list
like "$(cat "$ERR")" 'malformed overview line|too long a response' "endless: a clear error"
is "$(grep -c '^next' "$OUT")" 0 "endless: no cursor printed"
hostile wrongcode list
like "$(cat "$ERR")" 'malformed status line' "wrongcode: a clear error"
hostile drip list
like "$(cat "$ERR")" 'took too long' "drip: a clear error"
hostile silent list
like "$(cat "$ERR")" 'stopped answering|took too long' "silent: a clear error"
hostile badover list
like "$(cat "$ERR")" 'malformed overview line' "badover: a clear error"
is "$(grep -c '^next' "$OUT")" 0 "badover: no cursor printed"
hostile bigbody fetch
like "$(cat "$ERR")" 'too long a response' "bigbody: a clear error"
is "$(ls got)" "" "bigbody: nothing written"
done_testing
