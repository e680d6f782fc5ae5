#!/bin/sh
# 0980-shared-spool: two users of one machine share a spool, the recipe of
# xc-spool(5): a directory of their group with the set-group-ID bit (mode
# 2770), made by root.  The users (uids 4101 and 4102, group 4242, run
# with setpriv; no user is added to the system) keep the umask 022, which
# would deny the group write access to what they make: new directories and
# files follow the spool's mode instead.  They exchange 100 letters, each
# writing into tmp/ and buckets the other made, and each collecting
# expired letters from a bucket the other made.  Every letter arrives once
# and opens.  Needs root (skipped otherwise).
# shellcheck source=t/lib.sh
. "$(dirname "$0")/lib.sh"

plan 13

if [ "$(id -u)" -ne 0 ] || ! command -v setpriv > /dev/null 2>&1; then
	skip 13 "needs root and setpriv to run as two uids"
	done_testing
fi
G=4242 UA=4101 UB=4102
# Other uids must reach the tools and the test directory.
chmod 711 "$tmp" "$tmp/w" || bail "chmod"
mkdir -m 1777 X && mkdir -m 2770 S && chgrp "$G" S || bail "the spool"
chmod 2770 S
for u in a b; do
	mkdir "h$u" && chmod 700 "h$u" || bail "home"
done
chown "$UA:$G" ha && chown "$UB:$G" hb || bail "chown"
# as UID CMD: CMD in sh -c as UID (group G only), umask 022, own keyring.
as() {
	_u=$1
	shift
	[ "$_u" = "$UA" ] && _h=$tmp/w/ha || _h=$tmp/w/hb
	setpriv --reuid="$_u" --regid="$G" --clear-groups \
	    env HOME="$_h" XC_HOME="$_h" XC_SPOOL="$tmp/w/S" PATH="$PATH" \
	    X="$tmp/w/X" sh -c "umask 022; cd '$_h' && $*"
}
# A private directory above the tree (mode 0700) keeps other uids from the
# tools: say so instead of failing on it.
if ! as $UA 'command -v xc-keygen > /dev/null && test -x "$(command -v xc-keygen)"' 2> /dev/null; then
	skip 13 "another uid cannot reach the tools (a directory above them is private)"
	done_testing
fi
as $UA 'xc-keygen @ua > $X/ua.card 2> /dev/null' || bail "xc-keygen @ua"
as $UB 'xc-keygen @ub > $X/ub.card 2> /dev/null' || bail "xc-keygen @ub"
as $UA 'xc-verify -q --import $X/ub.card > /dev/null' || bail "import"
as $UB 'xc-verify -q --import $X/ua.card > /dev/null' || bail "import"

# 50 rounds: ua writes to ub, ub to ua; the first makes tmp/ and ub's
# bucket, the second ua's bucket.
cat > X/round.sh <<'SH'
i=$1 to=$2 from=$3
printf 'from %s, letter %d\n' "$from" "$i" | xc-seal -r "@$to" | xc-send > /dev/null
SH
bad=0
i=1
while [ $i -le 50 ]; do
	as $UA "sh \$X/round.sh $i ub ua" || bad=$((bad + 1))
	as $UB "sh \$X/round.sh $i ua ub" || bad=$((bad + 1))
	i=$((i + 1))
done
is "$bad" 0 "100 letters sealed and sent, 50 each way, every xc-send exit 0"
is "$(find S -mindepth 1 -type d ! -perm 2770 | wc -l | tr -d ' ')|$(find S -type d ! -group $G | wc -l | tr -d ' ')" "0|0" \
    "every directory of the spool: mode 2770 and the group"
is "$(find S -type f ! -perm 640 | wc -l | tr -d ' ')|$(find S -type f ! -group $G | wc -l | tr -d ' ')" "0|0" \
    "every file: mode 0640 (the spool's read bits) and the group"
is "$(find S -mindepth 1 -maxdepth 1 -type d -user $UA | wc -l | tr -d ' ')|$(find S -mindepth 1 -maxdepth 1 -type d -user $UB | wc -l | tr -d ' ')" "2|1" \
    "ua made tmp/ and ub's bucket, ub made ua's bucket"

as $UA 'xc-fetch > $X/ua.list 2> $X/ua.err'
is "$?|$(wc -l < X/ua.list | tr -d ' ')|$(cat X/ua.err)" "0|50|" "ua fetches 50 letters"
as $UB 'xc-fetch > $X/ub.list 2> $X/ub.err'
is "$?|$(wc -l < X/ub.list | tr -d ' ')|$(cat X/ub.err)" "0|50|" "ub fetches 50 letters"
as $UA 'xc-open < $X/ua.list > $X/ua.text 2> /dev/null'
is "$?|$(grep -v -e '^=== from @ub ' -e '^$' X/ua.text | sort | uniq | wc -l | tr -d ' ')|$(grep -c '^from ub, letter' X/ua.text)" "0|50|50" \
    "ua opens them: 50 different letters from ub"
as $UB 'xc-open < $X/ub.list > $X/ub.text 2> /dev/null'
is "$?|$(grep -v -e '^=== from @ua ' -e '^$' X/ub.text | sort | uniq | wc -l | tr -d ' ')|$(grep -c '^from ua, letter' X/ub.text)" "0|50|50" \
    "ub opens them: 50 different letters from ua"
as $UA 'xc-fetch --unread' > X/none
is "$?|$(cat X/none)" "0|" "... read: none left unread"

# Collection by the other user: letters that expire, written by ua into
# ub's bucket (made by ua), collected by ub.
as $UA 'for i in 1 2 3; do echo "soon $i" | xc-seal -r @ub --ttl 1m | xc-send > /dev/null; done'
n=$(find S -type f -name '*-[1-9]*.age' | wc -l | tr -d ' ')
is "$n" 3 "ua sends three letters that expire"
as $UB 'XC_TEST_NOW=+3600 xc-fetch --gc 2> $X/gc.err'
is "$?|$(cat X/gc.err)" "0|xc-fetch: removed 3 expired envelope(s)" \
    "ub, an hour later, collects them from a bucket ua made"
is "$(find S -type f -name '*-[1-9]*.age' | wc -l | tr -d ' ')" 0 "... gone"
# shellcheck disable=SC2012 # a count
is "$(ls S/tmp | wc -l | tr -d ' ')" 0 "nothing left in tmp/"

done_testing
