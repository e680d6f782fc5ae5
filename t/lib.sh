# t/lib.sh: sourced by every shell test (t/NNNN-topic.t).
#
# Isolation: each test runs in a fresh temporary directory (removed on exit)
# with HOME and XC_HOME inside it and LC_ALL=C; the tools come from $XC_BIN
# (default <root>/bin), so `make check-sanitize` can point the same tests at
# other builds. The working directory is $tmp/w.
#
# TAP: plan N; ok DESC CMD... (CMD's stdout goes to stderr); is GOT WANT DESC;
# like TEXT ERE DESC; expect_exit CODE CMD...; must_fail CODE CMD...;
# is_file_absent PATH [DESC]; skip N REASON; diag MSG...; done_testing (last
# line of every test: checks the plan and sets the exit status); jf FIELD...
# (fields of a JSON object in $OUT).
# expect_exit and must_fail leave the command's output in $OUT and $ERR.
# Death by a signal is never the expected outcome: a crash fails the test.

set -u

root=$(cd "$(dirname "$0")/.." && pwd) || exit 1
XC_BIN=${XC_BIN:-$root/bin}
case $XC_BIN in /*) ;; *) XC_BIN=$(cd "$XC_BIN" && pwd) || exit 1 ;; esac
for _p in xc-keygen xc-seal xc-open xc-verify; do
	if ! [ -x "$XC_BIN/$_p" ]; then
		echo "Bail out! $XC_BIN/$_p is missing: run make first"
		exit 255
	fi
done
PATH=$XC_BIN:$PATH
LC_ALL=C
export XC_BIN PATH LC_ALL
umask 022

tmp=$(mktemp -d "${TMPDIR:-/tmp}/xc-test.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
HOME=$tmp/home
XC_HOME=$tmp/xc
export HOME XC_HOME
# The config is ~/.config/xc/config of this HOME: never the user's.
unset XDG_CONFIG_HOME XDG_DATA_HOME
mkdir "$HOME" "$XC_HOME" "$tmp/w" && cd "$tmp/w" || exit 1
OUT=$tmp/stdout
ERR=$tmp/stderr

_tap_n=0
_tap_failed=0
_tap_plan=

plan() {
	_tap_plan=$1
	printf '1..%d\n' "$1"
}

diag() {
	printf '%s\n' "$@" | sed 's/^/# /' >&2
}

# _tap STATUS DESC: the one place a result line is printed.
_tap() {
	_tap_n=$((_tap_n + 1))
	if [ "$1" -eq 0 ]; then
		printf 'ok %d - %s\n' "$_tap_n" "$2"
	else
		printf 'not ok %d - %s\n' "$_tap_n" "$2"
		_tap_failed=$((_tap_failed + 1))
	fi
	return "$1"
}

# ok DESC CMD...: passes when CMD exits 0.
ok() {
	_d=$1
	shift
	"$@" >&2
	_tap $? "$_d"
}

is() {
	if [ "$1" = "$2" ]; then
		_tap 0 "$3"
	else
		_tap 1 "$3"
		diag "     got: '$1'" "expected: '$2'"
		return 1
	fi
}

# like TEXT ERE DESC: some line of TEXT matches the extended regex.
like() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		_tap 0 "$3"
	else
		_tap 1 "$3"
		diag "text: '$1'" "does not match: /$2/"
		return 1
	fi
}

is_file_absent() {
	_d="no file '$1'"
	[ $# -lt 2 ] || _d=$2
	if [ -e "$1" ] || [ -L "$1" ]; then
		_tap 1 "$_d"
		diag "'$1' exists"
		return 1
	fi
	_tap 0 "$_d"
}

skip() {
	_s=0
	while [ "$_s" -lt "$1" ]; do
		_tap_n=$((_tap_n + 1))
		printf 'ok %d # skip %s\n' "$_tap_n" "$2"
		_s=$((_s + 1))
	done
}

_show_output() {
	diag "command: $*" "exit: $_got"
	[ -s "$OUT" ] && diag "stdout:" "$(head -c 400 "$OUT" | head -n 5)"
	[ -s "$ERR" ] && diag "stderr:" "$(head -c 400 "$ERR" | head -n 5)"
	return 0
}

# _status CODE CMD...: run CMD (stdin inherited), set _got and _why.
_status() {
	_want=$1
	shift
	"$@" >"$OUT" 2>"$ERR"
	_got=$?
	_why=
	if [ "$_got" -gt 128 ]; then
		_why="killed by signal $((_got - 128))"
	elif [ "$_got" -ne "$_want" ]; then
		_why="exit $_got, expected $_want"
	fi
}

expect_exit() {
	_status "$@"
	shift
	if [ -n "$_why" ]; then
		_tap 1 "exit $_want: $*"
		diag "$_why"
		_show_output "$@"
		return 1
	fi
	_tap 0 "exit $_want: $*"
}

# must_fail CODE CMD...: like expect_exit, and CODE must be non-zero and
# stderr must carry a "<prog>: error: " line (prog: the first xc-* word).
must_fail() {
	_status "$@"
	shift
	_prog=${1##*/}
	for _a; do # the xc tool, also behind a wrapper such as setsid
		case ${_a##*/} in xc-*) _prog=${_a##*/}; break ;; esac
	done
	if [ "$_want" -eq 0 ]; then
		_why="must_fail with exit code 0 is a test bug"
	elif [ -z "$_why" ] && ! grep -q "^$_prog: error: " "$ERR"; then
		_why="no '$_prog: error: ' line on stderr"
	fi
	if [ -n "$_why" ]; then
		_tap 1 "fails with $_want: $*"
		diag "$_why"
		_show_output "$@"
		return 1
	fi
	_tap 0 "fails with $_want: $*"
}

# jf FIELD...: fields of the JSON object on line $jl of $OUT, joined by '|':
# strings as they are, other values as JSON.  "a.0.b" walks objects and
# arrays, "a.#" is a length, "#lines" the number of lines of $OUT.
jl=1
jf() {
	python3 -c '
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
try:
    o = json.loads(lines[int(sys.argv[2]) - 1])
except (IndexError, ValueError) as e:
    o = {}
out = []
for f in sys.argv[3:]:
    v = o
    try:
        if f == "#lines":
            v = len(lines)
        else:
            for k in f.split("."):
                v = len(v) if k == "#" else \
                    v[int(k)] if isinstance(v, list) else v[k]
    except (KeyError, IndexError, TypeError, ValueError):
        v = "<no %s>" % f
    out.append(v if isinstance(v, str) else json.dumps(v))
print("|".join(out))' "$OUT" "$jl" "$@"
}

done_testing() {
	if [ -z "$_tap_plan" ]; then
		diag "no plan"
		exit 255
	fi
	if [ "$_tap_n" -ne "$_tap_plan" ]; then
		diag "planned $_tap_plan tests but ran $_tap_n"
		exit 255
	fi
	[ "$_tap_failed" -eq 0 ] || diag "failed $_tap_failed/$_tap_n tests"
	[ "$_tap_failed" -gt 254 ] && _tap_failed=254
	exit "$_tap_failed"
}

# ---- helpers of the delivery tests (t/09xx) ----
# bail MSG: stops the whole test ("Bail out!"), for a broken fixture.
bail() {
	echo "Bail out! $*"
	exit 255
}
# need_delivery: xc-send and xc-fetch are built.
need_delivery() {
	for _p in xc-send xc-fetch; do
		[ -x "$XC_BIN/$_p" ] || bail "$XC_BIN/$_p is missing: run make first"
	done
}
# envid FILE: an envelope's id, the BLAKE2b-256 of its bytes.
envid() {
	b2sum -l 256 "$1" | cut -c1-64
}
# armor FILE: FILE in age's ASCII armor, on stdout (not by xc: a reference).
armor() {
	python3 -c '
import base64, sys
b = base64.b64encode(open(sys.argv[1], "rb").read()).decode()
print("-----BEGIN AGE ENCRYPTED FILE-----")
for i in range(0, len(b), 64):
    print(b[i:i + 64])
print("-----END AGE ENCRYPTED FILE-----")' "$1"
}
# listing DIR: DIR's entries (dot files too), sorted, each followed by '/'.
listing() {
	# shellcheck disable=SC2012 # names are compared, not parsed
	ls -A "$1" | sort | tr '\n' /
}
# parties NAME...: an identity @NAME in the keyring NAME, its card in
# NAME.card; the first one imports the cards of the others.
parties() {
	for _n; do
		xc-keygen --home "$_n" "@$_n" > "$_n.card" 2> /dev/null ||
		    bail "xc-keygen @$_n"
	done
	_first=$1
	shift
	for _n; do
		xc-verify --home "$_first" -q --import "$_n.card" > /dev/null 2>&1 ||
		    bail "xc-verify --import $_n.card"
	done
}
