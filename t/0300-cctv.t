#!/usr/bin/perl
# 0300-cctv: every C2SP CCTV age vector through `xc-open --raw` (TESTPLAN V01).
#
# Each vector is a header of `key: value` lines, an empty line, then an age
# file (zlib-compressed when `compressed: zlib`). We check the exit status,
# the class word on stderr and the SHA-256 of everything written to stdout
# (raw mode releases each chunk once its tag verifies, so failing vectors
# with a `payload` hash released that much plaintext).
#
# xc has no ML-KEM: vectors named hybrid* or armor_hybrid, or with an
# AGE-SECRET-KEY-PQ-1 identity, must only fail cleanly (exit 1 or 3, never a
# signal, nothing on stdout, an error line), both with the vector's PQ
# identity and with an unrelated X25519 identity (which makes xc parse the
# hybrid stanzas). If such a vector also lists an X25519 identity, it is
# run with the X25519 identities only and compared like any other vector.
#
# Only core Perl modules. Isolation as t/lib.sh: temp dir, HOME, XC_HOME,
# LC_ALL=C, $XC_BIN.
use strict;
use warnings;
use Cwd qw(abs_path);
use Digest::SHA qw(sha256_hex);
use File::Basename qw(dirname);
use File::Temp qw(tempdir);
use Compress::Zlib qw(uncompress);
use POSIX qw(_exit);

$| = 1;

my $root = abs_path(dirname($0) . '/..');
my $bin = abs_path($ENV{XC_BIN} // "$root/bin");
my $vectors = "$root/t/vectors/age";
if (!-x "$bin/xc-open") {
	print "Bail out! $bin/xc-open is missing: run make first\n";
	exit 255;
}
my $tmp = tempdir('xc-test.XXXXXX', TMPDIR => 1, CLEANUP => 1);
$ENV{PATH} = "$bin:$ENV{PATH}";
$ENV{HOME} = "$tmp/home";
$ENV{XC_HOME} = "$tmp/xc";
$ENV{LC_ALL} = 'C';
mkdir $ENV{HOME} or die;
mkdir $ENV{XC_HOME} or die;
chdir $tmp or die;

# An X25519 identity that matches no vector, for vectors that list none
# (xc-open needs at least one -i) and for the ML-KEM vectors.
my $unrelated = 'AGE-SECRET-KEY-1PP29SYXDFX3T8DH9YG4UAX9XHV83UMTZJFYMESVZ30MZ9MCVC6DS8ZTSQR';

my %class = (
	'success' => [0, undef],
	'no match' => [1, 'no identity matched'],
	'HMAC failure' => [3, 'header MAC failure'],
	'header failure' => [3, 'header failure'],
	'payload failure' => [3, 'payload failure'],
	'armor failure' => [3, 'armor failure'],
);
my %known = map { $_ => 1 } ('expect', 'payload', 'identity', 'passphrase',
    'armored', 'compressed', 'file key', 'comment');

opendir(my $dh, $vectors) or do {
	print "Bail out! cannot read $vectors: $!\n";
	exit 255;
};
my @files = sort grep { -f "$vectors/$_" && !/^\./ && $_ ne 'README' } readdir $dh;
closedir $dh;

my $n = 0;
my $failed = 0;
print '1..', scalar(@files) + 2, "\n";

sub ok {
	my ($pass, $desc, @diag) = @_;
	$n++;
	print $pass ? 'ok' : 'not ok', " $n - $desc\n";
	if (!$pass) {
		$failed++;
		print STDERR map { "# $_\n" } @diag;
	}
	return $pass;
}

sub slurp {
	my ($f) = @_;
	open my $fh, '<:raw', $f or die "$f: $!";
	local $/;
	my $s = <$fh>;
	return $s // '';
}

sub spew {
	my ($f, $data, $mode) = @_;
	unlink $f;
	sysopen my $fh, $f, POSIX::O_WRONLY() | POSIX::O_CREAT() | POSIX::O_EXCL(), $mode
	    or die "$f: $!";
	binmode $fh;
	print $fh $data or die;
	close $fh or die;
	chmod $mode, $f or die;
}

# run(INPUT_FILE, CMD...): (exit status, signal, stdout, stderr).
sub run {
	my ($in, @cmd) = @_;
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		open STDIN, '<', $in or _exit(126);
		open STDOUT, '>', "$tmp/stdout" or _exit(126);
		open STDERR, '>', "$tmp/stderr" or _exit(126);
		exec { $cmd[0] } @cmd or _exit(127);
	}
	waitpid $pid, 0;
	my $st = $?;
	return ($st >> 8, $st & 127, slurp("$tmp/stdout"), slurp("$tmp/stderr"));
}

sub show {
	my ($code, $sig, $out, $err) = @_;
	my $e = $err;
	$e =~ s/\n(?=.)/\n#   /g;
	chomp $e;
	return ("exit $code" . ($sig ? ", killed by signal $sig" : ''),
	    'stdout: ' . length($out) . ' bytes, sha256 ' . sha256_hex($out),
	    "stderr: $e");
}

my ($plain_ok, $plain_total, $pq_ok, $pq_total, $skipped) = (0, 0, 0, 0, 0);

for my $name (@files) {
	my $data = slurp("$vectors/$name");
	my ($head, $body) = split /\n\n/, $data, 2;
	my (%v, @ids, @pws, $unknown);
	for my $line (split /\n/, $head) {
		my ($k, $val) = $line =~ /^([^:]+): ?(.*)$/ or do { $unknown = $line; last };
		if ($k eq 'identity') { push @ids, $val }
		elsif ($k eq 'passphrase') { push @pws, $val }
		elsif ($known{$k}) { $v{$k} = $val }
		else { $unknown = $k; last }
	}
	if (defined $unknown || !defined $body || !$class{$v{expect} // ''}) {
		# The vectors README: a file with an unknown key is ignored.
		$n++;
		$skipped++;
		print "ok $n # skip $name: unknown key or expectation\n";
		next;
	}
	if (($v{compressed} // '') eq 'zlib') {
		$body = uncompress($body);
		if (!defined $body) {
			ok(0, "$name: cannot inflate the vector body");
			next;
		}
	}
	spew("$tmp/input", $body, 0600);

	my $pq = $name =~ /^(hybrid|armor_hybrid)/ || grep { /^AGE-SECRET-KEY-PQ-1/ } @ids;
	my @x25519 = grep { !/^AGE-SECRET-KEY-PQ-1/ } @ids;

	if ($pq && !@x25519) {
		# No ML-KEM: a clean failure, with the PQ key and with an X25519 key.
		$pq_total++;
		my @why;
		for my $try ([PQ => join("\n", @ids) . "\n"], [X25519 => "$unrelated\n"]) {
			spew("$tmp/ids", $try->[1], 0600);
			my @r = run("$tmp/input", 'xc-open', '--raw', '-i', "$tmp/ids");
			my ($code, $sig, $out, $err) = @r;
			my @bad;
			push @bad, "killed by signal $sig" if $sig;
			push @bad, "exit $code, expected 1 or 3" if !$sig && $code != 1 && $code != 3;
			push @bad, 'plaintext on stdout' if length $out;
			push @bad, 'no error line' if $err !~ /^xc-open: error: /m;
			push @why, "with the $try->[0] identity: " . join(', ', @bad), show(@r) if @bad;
		}
		$pq_ok++ if ok(!@why, "$name: fails cleanly (needs ML-KEM)", @why);
		next;
	}

	$plain_total++ if !$pq;
	$pq_total++ if $pq;
	my @cmd = ('xc-open', '--raw');
	my @use = $pq ? @x25519 : @ids;
	@use = ($unrelated) if !@use && !@pws;
	if (@use) {
		spew("$tmp/ids", join("\n", @use) . "\n", 0600);
		push @cmd, '-i', "$tmp/ids";
	}
	if (@pws) {
		spew("$tmp/pw", "$pws[0]\n", 0600);
		push @cmd, '--passphrase-file', "$tmp/pw";
	}
	my @r = run("$tmp/input", @cmd);
	my ($code, $sig, $out, $err) = @r;
	my ($want, $word) = @{$class{$v{expect}}};
	my @bad;
	if ($sig) {
		push @bad, "killed by signal $sig";
	} elsif ($code != $want) {
		push @bad, "exit $code, expected $want ($v{expect})";
	}
	if (defined $word) {
		push @bad, "stderr lacks 'xc-open: error: $word'"
		    if $err !~ /^xc-open: error: \Q$word\E/m;
	} else {
		push @bad, 'stderr not empty' if length $err;
	}
	if (defined $v{payload}) {
		push @bad, "stdout sha256 is not $v{payload}"
		    if sha256_hex($out) ne lc $v{payload};
	} elsif (length $out) {
		push @bad, 'stdout not empty (the vector releases no plaintext)';
	}
	my $pass = ok(!@bad, "$name: $v{expect}" . ($pq ? ' (X25519 identities only)' : ''),
	    @bad, show(@r));
	if ($pq) { $pq_ok++ if $pass } else { $plain_ok++ if $pass }
}

ok(@files == 143, 'the vector directory holds 143 files', 'found ' . scalar(@files));
print "# cctv: $plain_ok/$plain_total non-ML-KEM vectors as expected, ",
    "$pq_ok/$pq_total ML-KEM vectors failed cleanly, $skipped skipped\n";
ok($plain_ok == 124 && $plain_total == 124 && $pq_ok == 19 && $pq_total == 19,
    'cctv summary: 124/124 as expected, 19/19 ML-KEM vectors failed cleanly');
print STDERR "# failed $failed/$n tests\n" if $failed;
exit($failed > 254 ? 254 : $failed);
