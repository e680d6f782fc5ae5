#!/bin/sh
# seeds.sh - fills t/fuzz/seed-{header,armor,decrypt}/ with the age files
# of the CCTV vectors (inflated where the vector says `compressed: zlib`),
# read in place from t/vectors/age, t/fuzz/seed-json/ with the
# small documents written below, and t/fuzz/seed-card/ with the card
# vectors of t/vectors/card/: each whole card, and its JSON line alone
# (fuzz-card signs an input that is not a card), t/fuzz/seed-socks/ with
# SOCKS5 conversations, and t/fuzz/seed-letter-v2/
# and seed-letter-header/ with letters made by bin/ (see below).  Run by
# `make fuzz-seeds`.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
vectors=${XC_VECTORS:-$root/t/vectors/age}
out=$root/t/fuzz
rm -rf "$out/seed-header" "$out/seed-armor" "$out/seed-decrypt"
mkdir -p "$out/seed-header" "$out/seed-armor" "$out/seed-decrypt"

# JSON: a few documents the checker accepts and one of each way to be wrong.
# printf's format turns \NNN into bytes (invalid UTF-8); \\ is a backslash.
rm -rf "$out/seed-json"
mkdir -p "$out/seed-json"
json() { name=$1; shift; printf "$@" >"$out/seed-json/$name"; }
json card '{"v":1,"handle":"@alice","keys":{"ed25519":"c2lnbg","x25519":"age1qqqq"},"created":1700000000,"tags":["a","b"]}\n'
json letter '{"version":1,"from":"@alice","to":[{"handle":"@bob","fp":"ab12"}],"date":1700000000,"expiry":null,"parts":[{"name":"body.txt","type":"text/plain","size":12,"hash":"00ff"}],"signed":true,"draft":false}'
json unicode '{"name":"Zo\\u00eb","emoji":"\\ud83d\\ude00","raw":"\303\251\360\237\230\200","esc":"\\"\\\\\\/\\b\\f\\n\\r\\t\\u0001"}'
json numbers '[0,-1,9007199254740991,-9007199254740991,1000000000000000]'
json nested ' \t\r\n[[[[[[[[[[[[[[{"a":[]}]]]]]]]]]]]]]] \n'
json dup '{"a":1,"b":{"c":2},"a":3}'
json case '{"Key":1,"kEY":2,"k\\u0045y":3}'
json nul '{"a":"x\\u0000y"}'
json surrogate '["\\uD800","\\uDC00\\uD800","\\uD83D\\uDE00"]'
json utf8 '["\300\200","\355\240\200","\364\220\200\200","\342\202"]'
json numbers-bad '[1.5,1e3,-0,01,9007199254740992]'
json trailing '{"a":[1,2]}{}'
json deep '[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]'

# Cards: the files as they are, and each second line without its LF.
rm -rf "$out/seed-card"
mkdir -p "$out/seed-card"
ncard=0
for f in "$root"/t/vectors/card/*.card; do
	name=$(basename "$f" .card)
	cp "$f" "$out/seed-card/$name.card"
	printf '%s' "$(sed -n 2p "$f")" >"$out/seed-card/$name.json"
	ncard=$((ncard + 1))
done
[ "$ncard" -gt 0 ] || { echo "seeds.sh: no card vectors" >&2; exit 1; }
echo "fuzz seeds: $ncard card vectors, each as a card and as JSON"

# SOCKS5 (fuzz-socks): the first byte picks the host and the purpose, the
# rest is what the proxy says: no authentication and an IPv4 reply, user
# name and password and a name reply, an IPv6 reply, a refusal, Tor's
# "invalid onion address", no acceptable method; each followed by a
# greeting that must not be read.
rm -rf "$out/seed-socks"
mkdir -p "$out/seed-socks"
socks() { name=$1; shift; printf "$@" >"$out/seed-socks/$name"; }
socks none-ipv4 '\000\005\000\005\000\000\001\177\000\000\001\000\167200 hi\r\n'
socks auth-name '\001\005\002\001\000\005\000\000\003\005abcde\000\167200 hi\r\n'
socks none-ipv6 '\002\005\000\005\000\000\004\040\001\015\270\000\000\000\000\000\000\000\000\000\000\000\007\000\167'
socks refused '\000\005\000\005\005\000\001\000\000\000\000\000\000'
socks onion '\003\005\002\001\000\005\366\000\001\000\000\000\000\000\000'
socks nomethod '\000\005\377'
echo "fuzz seeds: 6 SOCKS5 conversations"

# Minisign signatures: one made by minisign's format rules, and a broken one.
rm -rf "$out/seed-minisign"
mkdir -p "$out/seed-minisign"
printf 'untrusted comment: x\nRUQlOv2M+pTm9NzjN+I251MQLf5wWxTm9M06B0mHA1NTrKid/vtWjJOLFCT4x8nQPXlBfqW70hYimjIJLP1Gt+GNDvAww31AHwg=\ntrusted comment: timestamp:1795615629\tfile:f\thashed\txc:@alice\n2QXPLbcaM/t7H7WTz6ZAkK0dRwk7X+HhtVWRy2sDpYjB3b6XjrLwOPA7IFko8WRRrHv7dyx450lAT/VcTjqfAQ==\n' >"$out/seed-minisign/good"
printf 'untrusted comment: x\nRWQ=\n' >"$out/seed-minisign/short"

# Letters (fuzz-letter-v2, fuzz-letter-header): real ones made by the
# programs of bin/ (make them first) and opened with xc-open --raw: a
# padded letter, one with a zlib attachment and an image, an unpadded one,
# and unsigned ones (--anonymous: a mutation of their header is not
# stopped by a signature) with zlib parts, long and UTF-8 names, several
# attachments, an expiry; zlib parts for the target to wrap ('Z', 'Y');
# the "xc-letter" entries; and for fuzz-letter-header JSON headers it
# signs itself, carrying the vectors' card 01-first.card (its key is the
# target's).
rm -rf "$out/seed-letter" "$out/seed-letter-v2" "$out/seed-letter-header"
mkdir -p "$out/seed-letter-v2" "$out/seed-letter-header"
lt=$(mktemp -d "${TMPDIR:-/tmp}/xc-seeds.XXXXXX")
(
	set -e
	cd "$lt"
	PATH=$root/bin:$PATH
	xc-keygen --home a @alice >alice.card 2>/dev/null
	xc-keygen --home b @bob >bob.card 2>/dev/null
	xc-verify --home a --import bob.card >/dev/null 2>&1
	seq 1 3000 >notes.txt
	printf '\211PNG\r\n\032\n0000' >dot.png
	printf 'hello bob\n' | xc-seal --home a -r @bob -o padded.age
	printf 'with files\n' | xc-seal --home a -r @bob -A notes.txt \
		-A dot.png -o files.age
	printf 'sealed only\n' | xc-seal --home a -r @bob --level 1 -o level1.age
	printf 'who knows\n' | xc-seal --home a -r @bob --anonymous -o anon.age
	seq 1 40000 >big.txt
	head -c 3000 /dev/urandom >r.bin
	cp r.bin "$(printf 'Zo\303\253 na\303\257ve r\303\251sum\303\251.bin')"
	cp r.bin nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn.dat
	seq 1 3000 | xc-seal --home a -r @bob --anonymous -A big.txt \
		-A dot.png -o anonz.age
	printf 'names\n' | xc-seal --home a -r @bob --anonymous --level 1 \
		-A Zo* -A nnnn* -A r.bin -o anonn.age
	printf 'soon gone\n' | xc-seal --home a -r @bob --anonymous --ttl 1h \
		-A notes.txt -o anont.age
	for f in padded files level1 anon anonz anonn anont; do
		xc-open --raw -i b/ids/bob/enc-1.key -o "$f.tar" "$f.age"
		cp "$f.tar" "$out/seed-letter-v2/$f"
		tar xOf "$f.tar" xc-letter >"$out/seed-letter-header/$f"
	done
	# 'Z' (an attachment) or 'Y' (the body) and a 3-byte size, then a
	# zlib stream (fuzz-letter-v2 wraps it).
	python3 -c '
import sys, zlib
d = b"a line of a zlib part\n" * 500
for k in b"ZY":
    c = chr(k).lower()
    open(sys.argv[1] + "/" + c + "-good", "wb").write(bytes([k]) + len(d).to_bytes(3, "little") + zlib.compress(d))
    open(sys.argv[1] + "/" + c + "-short", "wb").write(bytes([k]) + (len(d) - 1).to_bytes(3, "little") + zlib.compress(d))
' "$out/seed-letter-v2"
	# JSON headers under the target's key: 01-first.card's.
	card=$(sed 's/\\/\\\\/g; s/"/\\"/g' "$root/t/vectors/card/01-first.card" |
		awk '{printf "%s\\n", $0}')
	h='{"v":2,"id":"0123456789abcdef0123456789abcdef","date":1764000000,"expires":1764086400,"level":3,"from":"alice","card":"'$card'","to":[{"handle":"bob","fp":"12345 12345 12345 12345 12345 12345"},{"handle":"carol","fp":"12345 12345 12345 12345 12345 12346"}],"stanzas":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","reply_to":"","thread":"ffffffffffffffffffffffffffffffff","parts":['
	p1='{"name":"message.txt","role":"body","type":"text/plain; charset=utf-8","size":10,"stored":10,"encoding":"none","hash":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}'
	p2='{"name":"Zo\u00eb.png","role":"file","type":"image/png","size":2000000,"stored":10001,"encoding":"zlib","hash":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}'
	printf '%s' "$h$p1]}" >"$out/seed-letter-header/json-signed"
	printf '%s' "$h$p1,$p2]}" >"$out/seed-letter-header/json-files"
)
rc=$?
rm -rf "$lt"
[ "$rc" -eq 0 ] || { echo "seeds.sh: cannot make letters (run make first)" >&2; exit 1; }
echo "fuzz seeds: 7 letters, 2 zlib parts, 7 headers, 2 JSON headers"

# Spool markers, names and store files (fuzz-spool).
rm -rf "$out/seed-spool"
mkdir -p "$out/seed-spool"
id=0789dc5b204cec5323a88c6633c253fd9af9d22057a8b4c7a124938936181054
printf 'xc-spool-v1\nmax-size 1073741824\n' >"$out/seed-spool/marker"
printf 'xc-spool-v1\nmax-size 2048\nother line\n' >"$out/seed-spool/marker-small"
printf '%s-0.age\n%s-1795625374.age\n%s-0.age:2,S\n' "$id" "$id" "$id" \
    >"$out/seed-spool/names"
printf '%s 0\n%s 1795625374\n%s 12' "$id" "$id" "$id" >"$out/seed-spool/seen"
echo "fuzz seeds: 4 spool files"

# Config files of xc-send and xc-fetch (fuzz-config).
rm -rf "$out/seed-config"
mkdir -p "$out/seed-config"
printf '# servers\nserver nntp://127.0.0.1:119\nserver nntp://[::1]:1119/\nquorum all\ntimeout 30\nspool /srv/xc spool\n' \
    >"$out/seed-config/full"
printf 'spool /srv/xc\r\n  \n\tserver   nntp://Example.ORG\n' >"$out/seed-config/spaces"
# TLS and the proxy: pins in base64, hex and hex pairs, starttls, Tor.
printf 'proxy socks5h://127.0.0.1:9050\nserver nntps://n1.example:563 pin SHA256:%s\nserver nntp://[::1]:119 starttls pin sha256:%s,SHA256:%s\n' \
    "$(printf '%043d' 0)" "$(printf '%064d' 0)" \
    "$(printf '%062d' 0 | sed 's/../&:/g')00" >"$out/seed-config/tls"
printf 'proxy socks5h://[::1]\nserver nntps://abcdefghijklmnop.onion\tpin\tSHA256:%s=  starttls\n' \
    "$(printf '%043d' 0)" >"$out/seed-config/tls-bad"
echo "fuzz seeds: 4 config files"

# A server's side of a lookup of @alice (fuzz-lookup): the greeting, MODE
# READER, GROUP and OVER of xc.cards, then bodies: the vectors' chain of
# two cards, a card of another key, and junk.
rm -rf "$out/seed-lookup"
mkdir -p "$out/seed-lookup"
python3 - "$root/t/vectors/card" "$out/seed-lookup" <<'PY'
import base64, sys
v, out = sys.argv[1], sys.argv[2]
def card(n):
    return open('%s/%s.card' % (v, n), 'rb').read()
def body(b):
    e = base64.b64encode(b)
    return b''.join(e[i:i + 64] + b'\r\n' for i in range(0, len(e), 64))
bodies = [body(card('01-first') + card('02-rotation')),
          body(card('05-rotation-other-ik')), b'!!!\r\n']
ids = [b'<' + (b'%02x' % k) * 32 + b'@xc>' for k in range(1, 4)]
s = b'200 ready\r\n200 reader\r\n211 3 1 3 xc.cards\r\n224 overview\r\n'
for k in range(3):
    s += b'%d\txc-card1 alice\tx\tThu, 03 Dec 2026 10:00:00 +0000\t%s\t\t%d\t9\r\n' % (
        k + 1, ids[k], len(bodies[k]))
s += b'.\r\n'
for k in range(3):
    s += b'222 0 ' + ids[k] + b' body\r\n' + bodies[k] + b'.\r\n'
open(out + '/chain', 'wb').write(s)
open(out + '/nogroup', 'wb').write(b'200 ready\r\n200 reader\r\n411 no such group\r\n')
PY
echo "fuzz seeds: 2 server transcripts of a lookup"

exec perl -MCompress::Zlib -e '
	my ($out, @files) = @ARGV;
	for my $f (@files) {
		open my $fh, "<:raw", $f or die "$f: $!";
		local $/; my $all = <$fh>; close $fh;
		my ($hdr, $body) = split /\n\n/, $all, 2;
		$body = uncompress($body) if $hdr =~ /^compressed: zlib$/m;
		defined $body or die "$f: cannot inflate";
		(my $name = $f) =~ s{.*/}{};
		my $armored = $hdr =~ /^armored: yes$/m;
		# Big seeds make libFuzzer pick a huge max_len and blow its
		# 256 MiB limit under ASan: the header target gets the first
		# 64 KiB, the others skip files over 256 KiB.
		for my $d ($armored ? ("armor", "decrypt") : ("header", "decrypt")) {
			my $b = $d eq "header" ? substr($body, 0, 65536) : $body;
			next if length($b) > 262144;
			open my $o, ">:raw", "$out/seed-$d/$name" or die $!;
			print $o $b; close $o;
		}
	}
	printf "fuzz seeds: %d vectors, 13 JSON documents\n", scalar @files;
' "$out" "$vectors"/*
