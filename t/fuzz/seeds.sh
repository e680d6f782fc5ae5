#!/bin/sh
# seeds.sh - fills t/fuzz/seed-{header,armor,decrypt}/ with the age files
# of the CCTV vectors (inflated where the vector says `compressed: zlib`),
# read in place from ../shared/vectors/age.  Run by `make fuzz-seeds`.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
vectors=${XC_VECTORS:-$root/../shared/vectors/age}
out=$root/t/fuzz
rm -rf "$out/seed-header" "$out/seed-armor" "$out/seed-decrypt"
mkdir -p "$out/seed-header" "$out/seed-armor" "$out/seed-decrypt"
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
	printf "fuzz seeds: %d vectors\n", scalar @files;
' "$out" "$vectors"/*
