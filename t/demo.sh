#!/bin/sh
# demo.sh - the README's main job (`make demo`): two identities in a
# temporary home exchange letters through a spool, with nothing but files:
# alice sends bob a text and a picture, bob fetches, opens and verifies,
# replies; alice fetches the reply.  Says what happens at each step and
# exits non-zero if any step fails.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${XC_BIN:-$root/bin}
dir=$(mktemp -d "${TMPDIR:-/tmp}/xc-demo.XXXXXX")
trap 'rm -rf "$dir"' EXIT
PATH=$bin:$PATH
export PATH
A=$dir/alice B=$dir/bob S=$dir/spool
exec 2>&1	# one stream, in the order things happen
step() { printf '\n== %s\n' "$*"; }
# run CMD...: shows the command (paths relative to the demo directory).
run() { printf '$ %s\n' "$*" | sed "s|$dir/||g" >&2; "$@"; }

step "1. two identities, each in its own keyring (a temporary \$XC_HOME)"
run xc-keygen --home "$A" @alice > "$dir/alice.card"
run xc-keygen --home "$B" @bob > "$dir/bob.card"

step "2. they exchange cards (self-signed: handle, identity key, age keys)"
run xc-verify --home "$A" --import "$dir/bob.card"
run xc-verify --home "$B" --import "$dir/alice.card"

step "3. alice seals a text and a picture to @bob and sends it into the spool"
# A 1x1 GIF, the smallest picture there is.
printf 'GIF89a\001\000\001\000\200\000\000\377\377\377\000\000\000!\371\004\001\000\000\000\000,\000\000\000\000\001\000\001\000\000\002\002D\001\000;' > "$dir/dot.gif"
printf 'disk 91%% on db1 - graph attached\n' |
	xc-seal --home "$A" -r @bob -A "$dir/dot.gif" |
	xc-send --home "$A" --spool "$S" > "$dir/id"
echo "$ printf 'disk 91%%...' | xc-seal -r @bob -A dot.gif | xc-send --spool spool"
echo "envelope id: $(cat "$dir/id")"
echo "the spool is plain files (any sync tool can carry it):"
(cd "$S" && find . -type f | sort | sed 's|^\./|  |')

step "4. the envelope is a real age file: bob's key opens it with age, tar lists it"
f=$(find "$S" -name '*.age' | head -n 1)
echo "$ age -d -i bob/ids/bob/enc-1.key spool/.../ID-0.age | tar tv"
age -d -i "$B/ids/bob/enc-1.key" "$f" | tar tvf - | sed 's/^/  /'

step "5. bob fetches and opens: signature, hashes and padding are checked first"
mkdir "$dir/bob-files"
echo "$ xc-fetch --spool spool | xc-open -D bob-files"
xc-fetch --home "$B" --spool "$S" | xc-open --home "$B" -D "$dir/bob-files"
ls -l "$dir/bob-files" | sed -n '2,$p' | awk '{ print "  " $1, $5, $NF }'

step "6. bob replies (--reply-to the id xc-open printed: to its sender); alice fetches it"
id=$(xc-fetch --home "$B" --spool "$S" | wc -l)	# nothing new: prints nothing
[ "$id" -eq 0 ]
mkdir "$dir/again"
envid=$(find "$B/inbox/cur" -name '*.age:2,S' | head -n 1 |
	xc-open --home "$B" --json -D "$dir/again" 2>/dev/null |
	sed 's/.*"id":"\([0-9a-f]*\)".*/\1/')
echo "$ printf 'on it...' | xc-seal --reply-to $(printf %.12s "$envid") | xc-send"
printf 'on it, cleaning /var/log\n' |
	xc-seal --home "$B" --reply-to "$(printf %.12s "$envid")" |
	xc-send --home "$B" --spool "$S" > /dev/null
echo "$ xc-fetch --spool spool | xc-open --json"
xc-fetch --home "$A" --spool "$S" | xc-open --home "$A" --json

step "7. a tampered envelope is refused, with a class and an exit status"
cp "$f" "$dir/bad.age"
printf '\001' | dd of="$dir/bad.age" bs=1 seek=$(( $(wc -c < "$dir/bad.age") - 20 )) conv=notrunc 2>/dev/null
status=0
xc-open --home "$B" -D "$dir/bob-files" "$dir/bad.age" || status=$?
echo "exit status: $status (3 = bad input, see xc(7))"
[ "$status" -eq 3 ]

printf '\ndemo: ok\n'
