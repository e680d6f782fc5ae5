#!/bin/sh
# demo.sh - the README's main job (`make demo`): make a key, seal a file to
# it with xc-seal, and open it with both xc-open and the real age, saying
# what happens at each step.  Exits non-zero if any step fails.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${XC_BIN:-$root/bin}
dir=$(mktemp -d "${TMPDIR:-/tmp}/xc-demo.XXXXXX")
trap 'rm -rf "$dir"' EXIT
step() { printf '\n== %s\n' "$*"; }

step "1. make an age identity with xc-keygen (file mode 0600, never overwritten)"
"$bin/xc-keygen" --age -o "$dir/key.txt"
ls -l "$dir/key.txt" | awk '{ print $1, $NF }'
recipient=$("$bin/xc-keygen" -y "$dir/key.txt")
echo "recipient: $recipient"

step "2. seal a message to it with xc-seal --raw"
printf 'disk 91%% on db1\n' > "$dir/message.txt"
"$bin/xc-seal" --raw -r "$recipient" -o "$dir/message.age" "$dir/message.txt"
echo "message.age: $(wc -c < "$dir/message.age") bytes; header:"
sed -n '1,3p' "$dir/message.age" | cut -c1-72

step "3. open it with xc-open --raw"
"$bin/xc-open" --raw -i "$dir/key.txt" "$dir/message.age"

step "4. open the same file with the real age ($(age --version))"
age -d -i "$dir/key.txt" "$dir/message.age"

step "5. and the other way: age encrypts, armored; xc-open decrypts"
printf 'hello from age\n' | age -e -a -r "$recipient" > "$dir/from-age.asc"
head -n 1 "$dir/from-age.asc"
"$bin/xc-open" --raw -i "$dir/key.txt" "$dir/from-age.asc"

step "6. a tampered file is refused, with a class and an exit status"
cp "$dir/message.age" "$dir/bad.age"
printf '\001' | dd of="$dir/bad.age" bs=1 seek=$(( $(wc -c < "$dir/bad.age") - 1 )) conv=notrunc 2>/dev/null
status=0
"$bin/xc-open" --raw -i "$dir/key.txt" "$dir/bad.age" || status=$?
echo "exit status: $status (3 = bad input, see xc(7))"
[ "$status" -eq 3 ]

printf '\ndemo: ok\n'
