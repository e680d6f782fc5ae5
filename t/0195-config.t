#!/bin/sh
# 0195-config: where the config of xc-send and xc-fetch is (xc(7),
# "Configuration"): ${XDG_CONFIG_HOME:-$HOME/.config}/xc/config, apart from
# the keyring (xc-seal reads it for the limit it warns about); an
# XDG_CONFIG_HOME that is not absolute counts as unset.  The config of
# before, $XC_HOME/config in the keyring, is still read when
# the new file is absent, with one warning that names both paths and a
# hint whose commands move it; it is ignored once the new file exists.
# Without HOME and XDG_CONFIG_HOME only the old place is read.
# shellcheck source=t/lib.sh
. "$(dirname "$0")/lib.sh"

plan 29
need_delivery

parties alice bob
printf 'hello\n' | xc-seal --home alice -r @bob -o m.age || bail "xc-seal"
id=$(envid m.age)
new=$HOME/.config/xc/config
# where: the spools among A B C D that hold the envelope.
where() {
	_all=
	for _s in A B C D; do
		ls "$_s"/*/ 2> /dev/null | grep -q "$id" && _all="$_all$_s "
	done
	printf '%s' "$_all"
}

# ---- ~/.config/xc/config, or $XDG_CONFIG_HOME/xc/config ----
mkdir -p "$HOME/.config/xc" xdg/xc
printf 'spool %s\n' "$tmp/w/A" > "$new"
printf 'spool %s\n' "$tmp/w/B" > xdg/xc/config
expect_exit 0 xc-send --home alice m.age
is "$(where)|$(cat "$ERR")" "A |" "~/.config/xc/config names the spool; nothing on stderr"
rm -rf A
expect_exit 0 env XDG_CONFIG_HOME="$tmp/w/xdg" xc-send --home alice m.age
is "$(where)|$(cat "$ERR")" "B |" "\$XDG_CONFIG_HOME/xc/config before ~/.config"
rm -rf B
expect_exit 0 env XDG_CONFIG_HOME=xdg xc-send --home alice m.age
is "$(where)" "A " "a relative XDG_CONFIG_HOME counts as unset"
rm -rf A

# ---- the old place: $XC_HOME/config ----
printf 'spool %s\n' "$tmp/w/C" > alice/config
expect_exit 0 xc-send --home alice m.age
is "$(where)|$(cat "$ERR")" "A |" "the new file exists: the old one is not read, nothing said"
rm -rf A "$new"
expect_exit 0 xc-send --home alice m.age
is "$(where)|$(cat "$OUT")" "C |$id" "no new file: the old one is read, the envelope delivered"
is "$(cat "$ERR")" "xc-send: warning: the config 'alice/config' is read from its old place; its place is now '$new'
xc-send: hint: mkdir -p '$HOME/.config/xc' && mv 'alice/config' '$new'" \
    "... with one warning naming both paths, and a hint"
rm -rf "$HOME/.config/xc" C
# The hint's commands, as given.
expect_exit 0 sh -c "$(sed -n 's/^xc-send: hint: //p' "$ERR")"
is "$(cat "$new")|$(test -e alice/config && echo left)" "spool $tmp/w/C|" \
    "the hint's commands move it"
expect_exit 0 xc-send --home alice m.age
is "$(where)|$(cat "$ERR")" "C |" "moved: read from the new place, nothing said"

# xc-fetch too, once per run; bob has a HOME of his own.
mkdir bobhome
printf 'spool %s\n' "$tmp/w/C" > bob/config
expect_exit 0 env HOME="$tmp/w/bobhome" xc-fetch --home bob
is "$(cat "$OUT")" "bob/inbox/new/$id-0.age" "xc-fetch reads the spool of the old config"
is "$(grep -c warning "$ERR")|$(sed -n 1p "$ERR")" "1|xc-fetch: warning: the config 'bob/config' is read from its old place; its place is now '$tmp/w/bobhome/.config/xc/config'" \
    "... and says so once"

# A bad line in the old file: named with that file, status 2 as ever.
printf 'spool %s\nspool %s\n' "$tmp/w/C" "$tmp/w/D" > bob/config
must_fail 2 env HOME="$tmp/w/bobhome" xc-fetch --home bob
is "$(sed -n 3p "$ERR")" "xc-fetch: error: config 'bob/config' line 2: spool given twice" \
    "a bad old config: its path and line, after the warning"

# Neither HOME nor XDG_CONFIG_HOME: only the old place.
printf 'spool %s\n' "$tmp/w/D" > alice/config
rm -rf C
expect_exit 0 env -u HOME xc-send --home alice m.age
is "$(where)|$(cat "$ERR")" "D |xc-send: warning: the config 'alice/config' is read from its old place; set HOME or XDG_CONFIG_HOME to move it" \
    "no HOME: the old config, and a warning that says what is missing"
rm alice/config
expect_exit 0 env -u HOME xc-send --home alice --spool D m.age
is "$(cat "$ERR")" "" "no HOME and no old config: nothing to read, nothing said"

# xc-seal reads the config too: with servers, over what the network
# carries, it warns (the spool's max-size is t/0190's).
printf 'server nntp://127.0.0.1:1\n' > "$new"
head -c 33554432 /dev/urandom > big.bin
expect_exit 0 xc-seal --home alice -r @bob -A big.bin -o big.age < /dev/null
is "$(cat "$ERR")" "xc-seal: warning: the envelope ($(wc -c < big.age | tr -d ' ') bytes) is larger than what the network carries, 33554432 bytes: xc-send will refuse it
xc-seal: hint: the config names servers; a spool carries more: xc-send --spool DIR" \
    "xc-seal: over 32 MiB with servers in the config, a warning"
# A config xc-send would refuse: the envelope is made all the same (the
# config only sets what xc-seal warns about), and that is a warning.
rm -f big.age
printf 'server nntp://127.0.0.1:1\nsever x\n' > "$new"
expect_exit 0 xc-seal --home alice -r @bob -o m2.age < /dev/null
is "$(cat "$ERR")" "xc-seal: warning: config '$new' line 2: unknown setting: the envelope's size was not checked against xc-send's limit" \
    "xc-seal: a malformed config, a warning with its line, status 0"
ok "... and the envelope is made" test -s m2.age

done_testing
