#!/bin/sh
# 0200-keygen: xc-keygen --age writes age's identity-file format; -o creates
# the file 0600 and never overwrites; -y agrees with the real age-keygen -y;
# the real age uses keys made by xc-keygen.
# shellcheck source=t/lib.sh
. "$(dirname "$0")/lib.sh"

plan 46

created_re='^# created: [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$'
public_re='^# public key: age1[02-9ac-hj-np-z]{58}$'
secret_re='^AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58}$'

# check_format FILE: the three lines of an age identity file, in order.
check_format() {
	is "$(wc -l <"$1")" 3 "$1 has 3 lines"
	like "$(sed -n 1p "$1")" "$created_re" "$1 line 1: # created"
	like "$(sed -n 2p "$1")" "$public_re" "$1 line 2: # public key"
	like "$(sed -n 3p "$1")" "$secret_re" "$1 line 3: the secret key"
	# The creation time is now (UTC), give or take two minutes.
	_t=$(sed -n '1s/^# created: //p' "$1")
	_t=$(date -u -d "$_t" +%s 2>/dev/null || echo 0)
	_d=$(($(date -u +%s) - _t))
	ok "$1 creation time is now" test "$_d" -ge -120 -a "$_d" -le 120
	# The public key line is the recipient of the secret key (age decides).
	is "$(age-keygen -y "$1" 2>&1)" "$(sed -n 's/^# public key: //p' "$1")" \
		"$1 public key matches its secret key (age-keygen -y)"
}

# To stdout.
expect_exit 0 xc-keygen --age
cp "$OUT" k0
chmod 600 k0
check_format k0

# To a file: mode 0600, nothing on stdout, the recipient on stderr.
expect_exit 0 xc-keygen --age -o k1
is "$(wc -c <"$OUT")" 0 "-o: nothing on stdout"
is "$(stat -c %a k1)" 600 "-o: key file mode 0600"
check_format k1
pub1=$(sed -n 's/^# public key: //p' k1)
is "$(cat "$ERR")" "Public key: $pub1" "-o: 'Public key: age1...' on stderr"
expect_exit 0 xc-keygen --age -o k1b
is "$(stat -c %a k1b)" 600 "-o: second key file mode 0600"
ok "two keys differ" sh -c '! cmp -s k1 k1b'

# An existing file is never overwritten.
cp k1 k1.orig
must_fail 4 xc-keygen --age -o k1
ok "-o FILE exists: says so" grep -qF "cannot create 'k1': File exists" "$ERR"
ok "-o FILE exists: file unchanged" cmp k1 k1.orig
must_fail 4 xc-keygen --age -o no-such-dir/k
is_file_absent no-such-dir

# -y: same recipients as age-keygen -y, from a file, stdin and "-".
expect_exit 0 xc-keygen -y k1
is "$(cat "$OUT")" "$(age-keygen -y k1)" "-y FILE as age-keygen -y"
expect_exit 0 xc-keygen -y <k1
is "$(cat "$OUT")" "$pub1" "-y reads stdin"
expect_exit 0 xc-keygen -y - <k1
is "$(cat "$OUT")" "$pub1" "-y - reads stdin"

# Several keys, comments and blank lines: every recipient, in order.
for i in 2 3 4; do
	age-keygen -o a$i 2>/dev/null
done
{
	printf '# three keys\n\n'
	grep '^AGE' a2
	printf '# another comment\n'
	grep '^AGE' a3
	printf '\n\n'
	grep '^AGE' a4
} >multi
chmod 600 multi
expect_exit 0 xc-keygen -y multi
cat a2 a3 a4 | sed -n 's/^# public key: //p' >multi.want
ok "-y FILE with 3 keys: all recipients in order" cmp "$OUT" multi.want
is "$(cat "$OUT")" "$(age-keygen -y multi)" "... as age-keygen -y"

# A bad bech32 checksum (last character changed) on line 3: exit 3, line named.
sec=$(grep '^AGE' a2)
badsec=${sec%?}Q
[ "$badsec" != "$sec" ] || badsec=${sec%?}P
printf '# comment\n\n%s\n' "$badsec" >bad
chmod 600 bad
must_fail 3 xc-keygen -y bad
like "$(cat "$ERR")" 'line 3' "bad bech32: the line is named"
is "$(wc -c <"$OUT")" 0 "bad bech32: nothing on stdout"
printf 'AGE-SECRET-KEY-1\n' >short
chmod 600 short
must_fail 3 xc-keygen -y short
like "$(cat "$ERR")" 'line 1' "truncated key: the line is named"
printf '%s\n%s\n' "$sec" "$pub1" >recip-line
chmod 600 recip-line
must_fail 3 xc-keygen -y recip-line
like "$(cat "$ERR")" 'line 2' "a recipient is not an identity: line 2 named"
must_fail 4 xc-keygen -y no-such-file

# The real age encrypts to and decrypts with keys made by xc-keygen.
head -c 100000 /dev/urandom >plain
age -e -r "$pub1" -o c1 plain
expect_exit 0 age -d -i k1 -o p1 c1
ok "age -d -i uses an xc-keygen -o key" cmp plain p1
age -e -r "$(sed -n 's/^# public key: //p' k0)" -o c0 plain
expect_exit 0 age -d -i k0 -o p0 c0
ok "age -d -i uses an xc-keygen stdout key" cmp plain p0

done_testing
