#!/bin/sh
# 0760-replay: xc-open opens each (sender, message id) from one envelope
# only (TESTPLAN T04, P08).  The same envelope again (renamed, copied,
# armored) opens and says "opened before"; a co-recipient's copy with a new
# route stanza and header MAC (t/remac) is a replay: exit 7, class
# "replay", whichever came first, also between concurrent runs; letters
# dated before the 60-day window are reported as such; --allow-replay
# opens both.  The store is synced before anything is released, merged
# into a sorted file every 512 records, bounded by eviction (which moves
# the window, never lets a replay through), and refuses to guess when
# damaged.
# shellcheck source=t/lib.sh
. "$(dirname "$0")/lib.sh"

plan 56

remac=${XC_REMAC:-$root/t/remac}
if ! [ -x "$remac" ]; then
	echo "Bail out! $remac is missing: run make t/remac"
	exit 255
fi
A=$tmp/alice B=$tmp/bob C=$tmp/carol
day=86400
for p in alice bob carol; do
	xc-keygen --home "$tmp/$p" "@$p" > "$p.card" 2>/dev/null || exit 1
done
xc-verify -q --home "$A" --import bob.card carol.card > /dev/null || exit 1
xc-verify -q --home "$B" --import alice.card carol.card > /dev/null || exit 1
xc-verify -q --home "$C" --import alice.card bob.card > /dev/null || exit 1
echo 'restart the web server' | xc-seal --home "$A" -r @bob -r @carol -o m.age || exit 1
cp -a "$B" "$tmp/bob0"	# bob before he opened anything

# ---- the same envelope opens again, and says so ----
expect_exit 0 xc-open --home "$B" m.age
like "$(cat "$ERR")" "^xc-open: m\\.age: from @alice \\(contact, [0-9 ]*\\), level 2 private, [0-9TZ:-]*, id $(envid m.age)\$" \
    "first open: nothing said"
expect_exit 0 xc-open --home "$B" --json m.age
is "$(jf ok reopened replay body)" "true|true|null|restart the web server" \
    "the same file again: reopened"
expect_exit 0 xc-open --home "$B" m.age
like "$(cat "$ERR")" ', opened before$' "... said on stderr too"
cp m.age renamed-0123.age
expect_exit 0 xc-open --home "$B" --json renamed-0123.age
is "$(jf ok reopened)" "true|true" "a renamed copy (same bytes): the same envelope"
armor m.age > m.asc
expect_exit 0 xc-open --home "$B" --json < m.asc
is "$(jf ok reopened)" "true|true" "an armored copy: the same envelope"

# ---- a co-recipient's re-MAC: the same message in a new envelope ----
"$remac" "$C/ids/carol/enc-1.key" 1999999999 < m.age > m2.age || exit 1
ok "a new envelope (another id)" sh -c '! cmp -s m.age m2.age'
is "$(grep -ac '^-> xc-route 1 1999999999$' m2.age)" 1 "with carol's route stanza"
must_fail 7 xc-open --home "$B" m2.age
like "$(cat "$ERR")" "^xc-open: error: m2\\.age: a replay: this letter from @alice was opened before, from another envelope; --allow-replay opens it\$" \
    "the second envelope: a replay"
is "$(cat "$OUT")" "" "nothing on stdout"
expect_exit 7 xc-open --home "$B" --json m2.age
is "$(jf '#lines' ok error)" "1|false|replay" "--json: class replay"
expect_exit 0 xc-open --home "$B" --json --allow-replay m2.age
is "$(jf ok replay reopened forwarded body)" "true|other-envelope|false|false|restart the web server" \
    "--allow-replay opens it, marked (and not forwarded: the stanzas are the sender's)"
expect_exit 0 xc-open --home "$B" m.age
# Whichever comes first wins: a bob who sees carol's copy first.
cp -a "$tmp/bob0" "$tmp/bob1"
expect_exit 0 xc-open --home "$tmp/bob1" m2.age
must_fail 7 xc-open --home "$tmp/bob1" m.age
# A list: exit status of the first failure, the others opened.
cp -a "$tmp/bob0" "$tmp/bob2"
echo 'second' | xc-seal --home "$A" -r @bob -o n.age || exit 1
printf 'm.age\nm2.age\nn.age\n' | xc-open --home "$tmp/bob2" > list.out 2> list.err
is "$?|$(grep -v -e '^=== from @alice ' -e '^$' list.out)" "7|restart the web server
second" "a list: the replay refused (exit 7), the others opened"

# ---- concurrent runs: one envelope wins ----
i=0
while [ $i -lt 8 ]; do
	"$remac" "$C/ids/carol/enc-1.key" $((2000000000 + i)) < m.age > "c$i.age" || exit 1
	i=$((i + 1))
done
cp -a "$tmp/bob0" "$tmp/bob3"
i=0
while [ $i -lt 8 ]; do
	{ xc-open --home "$tmp/bob3" "c$i.age" > /dev/null 2>&1; echo $? > "c$i.rc"; } &
	i=$((i + 1))
done
wait
is "$(cat c?.rc | sort | uniq -c | awk '{printf "%s:%s ", $2, $1}')" "0:1 7:7 " \
    "8 concurrent runs with 8 envelopes of one letter: 1 opens, 7 are replays"

# ---- the window: 60 days ----
XC_TEST_NOW=+$((59 * day)) expect_exit 0 xc-open --home "$tmp/bob0" --json n.age
is "$(jf ok reopened)" "true|false" "59 days on, a letter never opened opens"
cp -a "$tmp/bob0" "$tmp/bob4"
XC_TEST_NOW=+$((61 * day)) must_fail 7 xc-open --home "$tmp/bob4" m.age
like "$(cat "$ERR")" "m\\.age: dated [0-9TZ:-]{20}, before the replay window \\(since [0-9TZ:-]{20}\\): it may have been opened before; --allow-replay opens it\$" \
    "61 days on: dated before the window"
XC_TEST_NOW=+$((61 * day)) expect_exit 0 xc-open --home "$tmp/bob4" --json --allow-replay m.age
is "$(jf ok replay)" "true|before-window" "--allow-replay opens it, marked"
XC_TEST_NOW=+$((61 * day)) expect_exit 0 xc-open --home "$B" --json m.age
is "$(jf ok reopened)" "true|true" "a letter opened within the window is still known after it"

# ---- synced before anything is released ----
if strace -o /dev/null true 2>/dev/null; then
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
	export ASAN_OPTIONS	# LeakSanitizer cannot run under ptrace
	cp -a "$tmp/bob0" "$tmp/bob5"
	strace -f -qq -e trace=openat,write,fsync -o tr xc-open --home "$tmp/bob5" m.age > /dev/null 2>&1
	is "$(python3 - tr <<'PY'
import re, sys
fd, synced = None, False
for line in open(sys.argv[1]):
    m = re.search(r'openat\(.*"[^"]*/state/opened\.new".* = (\d+)', line)
    if m:
        fd = m.group(1)
    if fd and re.search(r'fsync\(%s\)' % fd, line):
        synced = True
    if re.search(r'write\(1, "restart', line):
        print('synced' if synced else 'released before the sync')
        break
else:
    print('no write')
PY
)" synced "the record is synced before the text is written"
else
	skip 1 "strace cannot trace here"
fi

# ---- the sorted file: merged every 512 records, then binary search ----
cp -a "$B" "$tmp/bob6"
mkdir -p many
i=0
while [ $i -lt 520 ]; do
	echo "n $i" | xc-seal --home "$A" -r @bob -o "many/$i.age" || exit 1
	i=$((i + 1))
done
ls many/*.age | xc-open --home "$tmp/bob6" --json > many.json 2> /dev/null
is "$?|$(grep -c '"ok":true' many.json)" "0|520" "520 more letters open"
st=$tmp/bob6/state
is "$(( $(wc -c < "$st/opened") / 80 ))|$(( $(wc -c < "$st/opened.new") / 80 ))" "513|9" \
    "512 records merged into the sorted file (and its header), 9 in the journal"
is "$(head -c 13 "$st/opened")|$(sed 1d "$st/opened" | cut -c1-32 | sort -c && echo sorted)" \
    "xc-opened-v1 |sorted" "the file has its header, and its records are sorted"
must_fail 7 xc-open --home "$tmp/bob6" m2.age
like "$(cat "$ERR")" "a replay" "a replay of a merged record: found by the binary search"
expect_exit 0 xc-open --home "$tmp/bob6" --json many/7.age
is "$(jf reopened)" true "a merged letter reopens"

# ---- bounded: at most 100,000 records; eviction moves the window ----
# Letters dated 59.5 days ago, from keyrings made 70 days ago.
old=$(( $(date +%s) - 70 * day ))
for p in ed fay; do
	XC_TEST_NOW=$old xc-keygen --home "$tmp/$p" "@$p" > "$p.card" 2>/dev/null || exit 1
done
XC_TEST_NOW=$old xc-verify -q --home "$tmp/ed" --import fay.card > /dev/null || exit 1
XC_TEST_NOW=$old xc-verify -q --home "$tmp/fay" --import ed.card > /dev/null || exit 1
echo 'old news' | XC_TEST_NOW=$(( $(date +%s) - 119 * day / 2 )) \
    xc-seal --home "$tmp/ed" -r @fay -o old.age || exit 1
cp -a "$tmp/fay" "$tmp/fay2"
expect_exit 0 xc-open --home "$tmp/fay" old.age
is "$(cat "$OUT")" "old news" "59.5 days old: within the window"
# 99,999 records that expire in 200 days, and 511 in the journal that
# expire tomorrow: the next open makes 100,511, and the 511 are evicted.
python3 - "$tmp/fay2/state" "$(date +%s)" <<'PY'
import os, sys
d, now = sys.argv[1], int(sys.argv[2])
os.makedirs(d, exist_ok=True)
rec = lambda k, u: b'%032x %032x %013d\n' % (k, 0, u)
keys = sorted(int.from_bytes(os.urandom(16), 'big') for _ in range(99999))
with open(os.path.join(d, 'opened'), 'wb') as f:
    f.write(b'xc-opened-v1 ' + b'0'.ljust(66) + b'\n')
    f.write(b''.join(rec(k, now + 200 * 86400) for k in keys))
with open(os.path.join(d, 'opened.new'), 'wb') as f:
    f.write(b''.join(rec(int.from_bytes(os.urandom(16), 'big'), now + 86400)
                     for _ in range(511)))
for n in ('opened', 'opened.new'):
    os.chmod(os.path.join(d, n), 0o600)
PY
echo 'new' | xc-seal --home "$tmp/ed" -r @fay -o new.age 2>/dev/null || exit 1
t0=$(date +%s%N)
expect_exit 0 xc-open --home "$tmp/fay2" new.age
t1=$(date +%s%N)
is "$(( $(wc -c < "$tmp/fay2/state/opened") / 80 ))|$(wc -c < "$tmp/fay2/state/opened.new" | tr -d ' ')" \
    "100001|0" "merged and bounded: 100,000 records and the header"
like "$(head -n 1 "$tmp/fay2/state/opened")" "^xc-opened-v1 [0-9]{10}" "the header records what was evicted"
must_fail 7 xc-open --home "$tmp/fay2" old.age
like "$(cat "$ERR")" "before the replay window" \
    "after an eviction, a letter that might have been evicted is not taken for new"
expect_exit 0 xc-open --home "$tmp/fay2" --json new.age
is "$(jf reopened)" true "the new letter's record survived the eviction"
t2=$(date +%s%N)
expect_exit 0 xc-open --home "$tmp/fay2" new.age
t3=$(date +%s%N)
diag "100,000 records: merge and open $(( (t1 - t0) / 1000000 )) ms, a lookup by binary search $(( (t3 - t2) / 1000000 )) ms"

# ---- a damaged store is not guessed at ----
cp -a "$tmp/bob6" "$tmp/bob7"
printf 'partial rec' >> "$tmp/bob7/state/opened.new"
expect_exit 0 xc-open --home "$tmp/bob7" n.age
is "$(( $(wc -c < "$tmp/bob7/state/opened.new") % 80 ))" 0 "a torn last record is cut off"
printf 'garbage' | dd of="$tmp/bob7/state/opened" bs=1 seek=0 conv=notrunc 2>/dev/null
must_fail 4 xc-open --home "$tmp/bob7" n.age
like "$(cat "$ERR")" "the replay store: the replay store is damaged" "a damaged header: exit 4, said"
is "$(cat "$OUT")" "" "nothing released"
must_fail 2 xc-open --raw --allow-replay -i "$A/ids/alice/enc-1.key" m.age

done_testing
