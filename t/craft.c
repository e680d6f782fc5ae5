/*
 * craft.c - makes letters the way an attacker would: any tar, any header,
 * signed with a real identity, in a real envelope.  A test tool for
 * the letter tests (t/08*.t), linked against libxc and libarchive; never
 * installed.
 *
 *   craft wrap [-a] [--expires T] AGE1... < plaintext > envelope
 *       xc_envelope_seal to those X25519 keys (12-bit mailbox tags).
 *   craft sign HOME HANDLE < json > entry
 *   craft sign - < json > entry
 *       the "xc-letter" entry: frame line, JSON, LF.  The JSON is stdin
 *       less one final LF, if there is one; it is signed as it is, with
 *       the identity's seed (HOME holds an identity without passphrase),
 *       or not at all ("- -") with "-".
 *   craft hash < data
 *       a part's "hash" as lib/letter.c computes it (SHA-256 of the
 *       SHA-256 of each 64 KiB, xc-letter(5)), in unpadded base64; with
 *       libsodium's SHA-256, not the library's Nettle.
 *   craft tar [--pad] [--mtime T] < spec > tar
 *       a tar as lib/tar.c writes one (canonical headers, the end of the
 *       archive), one entry per spec line: "file NAME PATH", and what xc
 *       never writes: "symlink NAME TARGET", "hardlink NAME TARGET",
 *       "chardev NAME", "fifo NAME", "dir NAME", "type NAME C" (any type
 *       flag C), "empty COUNT" (regular files e0 ... eCOUNT-1), and "pax
 *       KEY=VALUE": a pax record in an 'x' entry of its own before the
 *       next entry.  NAME has no spaces; PATH, TARGET and KEY=VALUE run
 *       to the end of the line.  --pad appends zero bytes up to the size
 *       class of a level 2 letter (xc_letter_padded).
 *   craft latar [--pad] [--mtime T] < spec > tar
 *       the same, written by libarchive ("pax restricted", UTF-8 names):
 *       an implementation independent of lib/tar.c, whose bytes the tests
 *       compare with craft tar's for "file" lines.
 *   craft list < tar
 *       each entry as libarchive reads it: "NAME TAB f|? TAB SIZE TAB
 *       MTIME TAB SHA-256 (base64)".
 *   craft mutate IDENTITY ENVELOPE DIR [STEP]
 *       the letter inside ENVELOPE with one byte changed, encrypted again
 *       under the same file key, as a co-recipient could (see the
 *       function).
 *   craft zlib [BYTES] < data > stream
 *       an RFC 1950 stream (level 6) of stdin, or of BYTES zero bytes.
 *   craft flip [--step N] DIR [AGE1...] < file
 *       for every offset i (every Nth, and the last), DIR/NNNNNN (i, six
 *       digits): the file with byte i XORed with 1 << (i % 8); wrapped as
 *       by "craft wrap" when keys are given.  Prints the number of files.
 *
 * Exit 0 on success, 2 on misuse, 1 on any other failure (with a message).
 */
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <sodium.h>
#include <zlib.h>

#include "../lib/xc.h"

#define CRAFT_MAX_IN ((size_t)1 << 30)	/* what craft holds in memory */
#define CHUNK 65536

static const char usage[] =
    "usage: craft wrap [-a] [--expires T] AGE1... < plaintext\n"
    "       craft sign HOME HANDLE < json | craft sign - < json\n"
    "       craft hash < data\n"
    "       craft tar [--pad] [--mtime T] < spec\n"
    "       craft latar [--pad] [--mtime T] < spec\n"
    "       craft list < tar\n"
    "       craft mutate IDENTITY ENVELOPE DIR [STEP]\n"
    "       craft zlib [BYTES] < data\n"
    "       craft flip [--step N] DIR [AGE1...] < file\n"
    "       craft spool N DIR AGE1 EVERY [BITS]\n"
    "       craft retag HOME HANDLE BITS\n";

static void die(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

static void
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "craft: error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void
misuse(void)
{
	fputs(usage, stderr);
	exit(2);
}

/* All of stdin, at most CRAFT_MAX_IN bytes, in a buffer one byte longer
 * (for a NUL). */
static uint8_t *
slurp(int fd, size_t *len)
{
	size_t cap = CHUNK, n = 0;
	uint8_t *buf = malloc(cap + 1), *nb;
	ssize_t r;

	if (buf == NULL)
		die("out of memory");
	for (;;) {
		if (n == cap) {
			if (cap >= CRAFT_MAX_IN)
				die("input over 1 GiB");
			cap *= 2;
			if ((nb = realloc(buf, cap + 1)) == NULL)
				die("out of memory");
			buf = nb;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die("cannot read: %s", strerror(errno));
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = 0;
	*len = n;
	return buf;
}

static void
put(int fd, const void *p, size_t n)
{
	if (xc_fd_write(&fd, p, n) < 0)
		die("cannot write: %s", strerror(errno));
}

static int64_t
number(const char *s)
{
	char *e;
	long long v;

	errno = 0;
	v = strtoll(s, &e, 10);
	if (*s == '\0' || *e != '\0' || errno != 0 || v < 0)
		die("not a number: '%s'", s);
	return v;
}

/* ---- wrap ---- */

static void
keys_of(char **args, size_t n, uint8_t (*pks)[32], int *bits)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (xc_age_recipient_decode(pks[i], args[i], strlen(args[i])))
			die("not an age recipient: '%s'", args[i]);
		bits[i] = XC_DEFAULT_TAG_BITS;
	}
}

static void
wrap_mem(int out, const uint8_t *p, size_t len, const uint8_t (*pks)[32],
    const int *bits, size_t n, int64_t expires, int armor)
{
	xc_memrd m = { p, len, 0 };
	int rc;

	rc = xc_envelope_seal((xc_rd){ xc_mem_read, &m },
	    (xc_wr){ xc_fd_write, &out }, pks, bits, n, expires, armor);
	if (rc < 0)
		die("xc_envelope_seal: %s", xc_errdetail());
}

static int
cmd_wrap(int argc, char **argv)
{
	uint8_t (*pks)[32];
	int *bits, armor = 0, in = 0, rc;
	int64_t expires = 0;
	size_t n;

	while (argc > 0 && argv[0][0] == '-') {
		if (strcmp(argv[0], "-a") == 0)
			armor = 1;
		else if (strcmp(argv[0], "--expires") == 0 && argc > 1) {
			expires = number(argv[1]);
			argc--, argv++;
		} else
			misuse();
		argc--, argv++;
	}
	if (argc < 1 || argc > XC_MAX_RECIPIENTS)
		misuse();
	n = (size_t)argc;
	pks = calloc(n, sizeof *pks);
	bits = calloc(n, sizeof *bits);
	if (pks == NULL || bits == NULL)
		die("out of memory");
	keys_of(argv, n, pks, bits);
	rc = xc_envelope_seal((xc_rd){ xc_fd_read, &in },
	    (xc_wr){ xc_fd_write, &(int){ 1 } }, (const uint8_t (*)[32])pks,
	    bits, n, expires, armor);
	if (rc < 0)
		die("xc_envelope_seal: %s", xc_errdetail());
	free(pks);
	free(bits);
	return 0;
}

/* ---- sign ---- */

/* ---- spool: a populated spool for benchmarks ---- */

/* craft spool N DIR AGE1 EVERY [BITS]: N envelopes of 1 KiB of random
 * bytes in the spool DIR, one in EVERY to AGE1, the others to fresh random
 * keys, all with tags of BITS bits (default 12).  In one process: making 100,000 with xc-seal would take
 * minutes of process start-up. */
static int
cmd_spool(int argc, char **argv)
{
	char tmp[] = "/tmp/craft-spool.XXXXXX", id[XC_ENVID_HEX + 1];
	char name[XC_ENVNAME_MAX];
	uint8_t pk[1][32], payload[1024];
	int bits[1], fd, mine, every, tbits = 12;
	long i, n;
	uint64_t size;
	xc_spool sp;
	xc_route r;

	if (argc != 4 && argc != 5)
		misuse();
	n = (long)number(argv[0]);
	every = (int)number(argv[3]);
	if (argc == 5 && (tbits = (int)number(argv[4])) > XC_MAX_TAG_BITS)
		misuse();
	if (xc_spool_open(&sp, argv[1], 1) < 0)
		die("%s: %s", argv[1], xc_errdetail());
	if ((fd = mkstemp(tmp)) < 0)
		die("mkstemp");
	for (i = 0; i < n; i++) {
		mine = every > 0 && i % every == 0;
		if (mine)
			keys_of(&argv[2], 1, pk, bits);
		else {
			uint8_t *sk = sodium_malloc(32);
			xc_x25519_keygen(pk[0], sk);
			sodium_free(sk);
		}
		bits[0] = tbits;
		randombytes_buf(payload, sizeof payload);
		if (ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0 ||
		    xc_envelope_seal((xc_rd){ xc_mem_read, &(xc_memrd){
		    payload, sizeof payload, 0 } }, (xc_wr){ xc_fd_write, &fd },
		    (const uint8_t (*)[32])pk, bits, 1, 0, 0) < 0 ||
		    xc_envelope_check(fd, sp.max_size, id, &r, &size) < 0)
			die("envelope %ld: %s", i, xc_errdetail());
		xc_envelope_name(name, id, 0);
		if (xc_spool_put(&sp, tmp, name, &r) < 0)
			die("spool: %s", xc_errdetail());
	}
	close(fd);
	unlink(tmp);
	return 0;
}

/* ---- sign ---- */

static int
cmd_sign(int argc, char **argv)
{
	static const char magic[] = "xc-letter-v2";
	uint8_t *json, *seed = NULL, *sk, *msg, pk[32], sig[64];
	char ik64[48], sig64[96];
	size_t len;
	int rc;

	if (!(argc == 1 && strcmp(argv[0], "-") == 0) && argc != 2)
		misuse();
	json = slurp(0, &len);
	if (len > 0 && json[len - 1] == '\n')
		len--;
	if (argc == 1) {
		put(1, "xc-letter-v2 - -\n", 17);
		put(1, json, len);
		put(1, "\n", 1);
		free(json);
		return 0;
	}
	if ((rc = xc_identity_seed(argv[0], argv[1], NULL, 0, &seed)) < 0)
		die("cannot read the identity seed: %s", xc_errdetail());
	if ((sk = sodium_malloc(crypto_sign_SECRETKEYBYTES)) == NULL ||
	    (msg = malloc(sizeof magic + len)) == NULL)
		die("out of memory");
	crypto_sign_seed_keypair(pk, sk, seed);
	memcpy(msg, magic, sizeof magic);	/* with its NUL */
	memcpy(msg + sizeof magic, json, len);
	crypto_sign_detached(sig, NULL, msg, sizeof magic + len, sk);
	sodium_free(sk);
	sodium_free(seed);
	xc_b64_encode(ik64, pk, 32);
	xc_b64_encode(sig64, sig, 64);
	put(1, magic, sizeof magic - 1);
	put(1, " ", 1);
	put(1, ik64, strlen(ik64));
	put(1, " ", 1);
	put(1, sig64, strlen(sig64));
	put(1, "\n", 1);
	put(1, json, len);
	put(1, "\n", 1);
	free(msg);
	free(json);
	return 0;
}

/* ---- hash ---- */

static int
cmd_hash(int argc, char **argv)
{
	static const char label[] = "xc-leaves-v2";
	crypto_hash_sha256_state root, leaf;
	uint8_t buf[CHUNK], h[32];
	char b64[48];
	size_t got, k, have = 0;
	int in = 0;

	if (argc != 0)
		misuse();
	/* Leaves of 64 KiB (CHUNK), each hashed, the digests hashed. */
	crypto_hash_sha256_init(&root);
	crypto_hash_sha256_update(&root, (const uint8_t *)label, sizeof label);
	crypto_hash_sha256_init(&leaf);
	for (;;) {
		if (xc_fd_read(&in, buf, sizeof buf, &got) < 0)
			die("cannot read: %s", strerror(errno));
		if (got == 0)
			break;
		for (k = 0; k < got;) {
			size_t m = CHUNK - have < got - k ? CHUNK - have : got - k;
			crypto_hash_sha256_update(&leaf, buf + k, m);
			have += m;
			k += m;
			if (have == CHUNK) {
				crypto_hash_sha256_final(&leaf, h);
				crypto_hash_sha256_update(&root, h, 32);
				crypto_hash_sha256_init(&leaf);
				have = 0;
			}
		}
	}
	if (have) {
		crypto_hash_sha256_final(&leaf, h);
		crypto_hash_sha256_update(&root, h, 32);
	}
	crypto_hash_sha256_final(&root, h);
	xc_b64_encode(b64, h, 32);
	printf("%s\n", b64);
	return fflush(stdout) == 0 ? 0 : 1;
}

static uint64_t written;

/* n as libarchive writes a numeric field: width-1 octal digits, then
 * term. */
static void
octal(uint8_t *f, size_t width, uint64_t n, uint8_t term)
{
	size_t i;

	for (i = width - 1; i > 0; i--, n >>= 3)
		f[i - 1] = (uint8_t)('0' + (n & 7));
	f[width - 1] = term;
}

/* ---- tar, as lib/tar.c writes it, plus what it never writes ---- */

/* A ustar block of any type, fields formatted as lib/tar.c and libarchive
 * format them; linkname may be NULL. */
static void
raw_block(uint8_t b[512], const char *name, char type, uint64_t size,
    const char *link, int64_t mtime)
{
	uint64_t sum = 0;
	size_t i;

	memset(b, 0, 512);
	memcpy(b, name, strlen(name) < 100 ? strlen(name) : 100);
	octal(b + 100, 7, type == '5' ? 0755 : 0644, ' ');
	octal(b + 108, 7, 0, ' ');
	octal(b + 116, 7, 0, ' ');
	octal(b + 124, 12, size, ' ');
	octal(b + 136, 12, (uint64_t)mtime, ' ');
	b[156] = (uint8_t)type;
	if (link)
		memcpy(b + 157, link, strlen(link) < 100 ? strlen(link) : 100);
	memcpy(b + 257, "ustar\0" "00", 8);
	octal(b + 329, 7, type == '3' ? 1 : 0, ' ');
	octal(b + 337, 7, type == '3' ? 3 : 0, ' ');
	memset(b + 148, ' ', 8);
	for (i = 0; i < 512; i++)
		sum += b[i];
	octal(b + 148, 7, sum, 0);
	b[155] = ' ';
}

static void
put_data(const void *p, uint64_t n)
{
	static const uint8_t zero[512];

	put(1, p, (size_t)n);
	put(1, zero, (size_t)XC_TAR_PAD(n));
	written += n + XC_TAR_PAD(n);
}

static void
our_file(const char *name, const char *path, int64_t mtime)
{
	uint8_t hdr[XC_TAR_HDR_MAX], *data;
	size_t len, h;
	int fd;

	if ((fd = open(path, O_RDONLY)) < 0)
		die("cannot open '%s'", path);
	data = slurp(fd, &len);
	close(fd);
	h = xc_tar_header(hdr, name, len, mtime);
	put(1, hdr, h);
	written += h;
	put_data(data, len);
	free(data);
}

static void
our_raw(const char *name, char type, const char *link, int64_t mtime)
{
	uint8_t b[512];

	raw_block(b, name, type, 0, link, mtime);
	put(1, b, 512);
	written += 512;
}

/* The end of a tar made so far: zeros to the class of a letter of level
 * (xc_letter_padded). */
static void
pad_class(int level)
{
	static const uint8_t zero[CHUNK];
	uint64_t left;

	for (left = xc_letter_padded(written, level) - written; left > 0;) {
		size_t k = left < CHUNK ? (size_t)left : CHUNK;
		put(1, zero, k);
		left -= k;
	}
}

/* The options of craft tar and latar. */
static void
spec_options(int argc, char **argv, int *level, int64_t *mtime)
{
	for (; argc > 0; argc--, argv++)
		if (strcmp(argv[0], "--pad") == 0)
			*level = 2;
		else if (strcmp(argv[0], "--mtime") == 0 && argc > 1) {
			*mtime = number(argv[1]);
			argc--, argv++;
		} else
			misuse();
}

/* The next spec line of stdin, cut into TYPE NAME [REST]; 0 at the end. */
static int
spec_next(char **line, size_t *cap, char **type, char **name, char **rest)
{
	ssize_t n;

	while ((n = getline(line, cap, stdin)) > 0) {
		if ((*line)[n - 1] == '\n')
			(*line)[--n] = '\0';
		if (n == 0 || (*line)[0] == '#')
			continue;
		*type = *line;
		if ((*name = strchr(*type, ' ')) == NULL)
			die("bad spec line: '%s'", *line);
		*(*name)++ = '\0';
		if ((*rest = strchr(*name, ' ')) != NULL)
			*(*rest)++ = '\0';
		return 1;
	}
	return 0;
}

static int
cmd_tar(int argc, char **argv)
{
	static const uint8_t zero[CHUNK];
	char *line = NULL, *type, *name, *rest, *recs = NULL;
	size_t cap = 0, nrecs = 0;
	int64_t mtime = 0;
	int level = 0;

	spec_options(argc, argv, &level, &mtime);
	while (spec_next(&line, &cap, &type, &name, &rest)) {
		if (strcmp(type, "pax") == 0) {
			/* "LEN KEY=VALUE\n", LEN counting itself. */
			size_t body = strlen(name) + (rest ? strlen(rest) + 1 :
			    0) + 2, len = body + 1, d;
			char *nr;
			for (d = 10; len >= d; d *= 10)
				len++;
			if ((nr = realloc(recs, nrecs + len + 1)) == NULL)
				die("out of memory");
			recs = nr;
			snprintf(recs + nrecs, len + 1, "%zu %s%s%s\n", len, name,
			    rest ? " " : "", rest ? rest : "");
			nrecs += len;
			continue;
		}
		if (nrecs) {
			uint8_t b[512];
			char pn[120];
			snprintf(pn, sizeof pn, "PaxHeader/%.90s", name);
			raw_block(b, pn, 'x', nrecs, NULL, mtime);
			put(1, b, 512);
			written += 512;
			put_data(recs, nrecs);
			nrecs = 0;
		}
		if (strcmp(type, "file") == 0 && rest)
			our_file(name, rest, mtime);
		else if (strcmp(type, "symlink") == 0 && rest)
			our_raw(name, '2', rest, mtime);
		else if (strcmp(type, "hardlink") == 0 && rest)
			our_raw(name, '1', rest, mtime);
		else if (strcmp(type, "chardev") == 0 && !rest)
			our_raw(name, '3', NULL, mtime);
		else if (strcmp(type, "fifo") == 0 && !rest)
			our_raw(name, '6', NULL, mtime);
		else if (strcmp(type, "dir") == 0 && !rest)
			our_raw(name, '5', NULL, mtime);
		else if (strcmp(type, "type") == 0 && rest && strlen(rest) == 1)
			our_raw(name, rest[0], NULL, mtime);
		else if (strcmp(type, "empty") == 0 && !rest) {
			int64_t i, count = number(name);
			uint8_t hdr[XC_TAR_HDR_MAX];
			char e[32];
			for (i = 0; i < count; i++) {
				snprintf(e, sizeof e, "e%lld", (long long)i);
				put(1, hdr, xc_tar_header(hdr, e, 0, mtime));
				written += 512;
			}
		} else
			die("bad spec line: '%s'", type);
	}
	free(line);
	free(recs);
	put(1, zero, 1024);
	written += 1024;
	pad_class(level);
	return 0;
}

/* ---- list: a tar read by libarchive (the independent reader) ---- */

static int
cmd_list(int argc, char **argv)
{
	struct archive *a;
	struct archive_entry *e;
	locale_t loc, old;
	uint8_t buf[CHUNK], h[32];
	char b64[48];
	int r;

	if (argc != 0)
		misuse();
	if ((loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0)) == 0)
		die("no C.UTF-8 locale");
	old = uselocale(loc);
	if ((a = archive_read_new()) == NULL ||
	    archive_read_support_format_tar(a) != ARCHIVE_OK ||
	    archive_read_open_fd(a, 0, CHUNK) != ARCHIVE_OK)
		die("cannot read a tar");
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		crypto_hash_sha256_state st;
		la_ssize_t n;
		crypto_hash_sha256_init(&st);
		while ((n = archive_read_data(a, buf, sizeof buf)) > 0)
			crypto_hash_sha256_update(&st, buf, (size_t)n);
		if (n < 0)
			die("libarchive: %s", archive_error_string(a));
		crypto_hash_sha256_final(&st, h);
		xc_b64_encode(b64, h, 32);
		printf("%s\t%c\t%lld\t%lld\t%s\n", archive_entry_pathname(e),
		    archive_entry_filetype(e) == AE_IFREG ? 'f' : '?',
		    (long long)archive_entry_size(e),
		    (long long)archive_entry_mtime(e), b64);
	}
	if (r != ARCHIVE_EOF)
		die("libarchive: %s", archive_error_string(a));
	archive_read_free(a);
	uselocale(old);
	freelocale(loc);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* ---- tar, by libarchive (the independent writer) ---- */

static la_ssize_t
tar_write_cb(struct archive *a, void *ctx, const void *buf, size_t n)
{
	put(1, buf, n);
	written += n;
	return (la_ssize_t)n;
}

/* "file NAME PATH" lines only: what lib/tar.c must write byte for byte
 * as libarchive does. */
static int
cmd_latar(int argc, char **argv)
{
	struct archive *a;
	struct archive_entry *e;
	locale_t loc, old;
	char *line = NULL, *type, *name, *rest;
	uint8_t buf[CHUNK];
	size_t cap = 0, got;
	int64_t mtime = 0;
	int level = 0, fd;

	spec_options(argc, argv, &level, &mtime);
	/* As lib/letter.c did: names are UTF-8 through a per-thread locale. */
	if ((loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0)) == 0)
		die("no C.UTF-8 locale");
	old = uselocale(loc);
	if ((a = archive_write_new()) == NULL ||
	    archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_set_options(a, "hdrcharset=UTF-8") != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(a, 0) != ARCHIVE_OK ||
	    archive_write_open(a, NULL, NULL, tar_write_cb, NULL) !=
	    ARCHIVE_OK)
		die("cannot start the tar");
	while (spec_next(&line, &cap, &type, &name, &rest)) {
		struct stat st;
		if (strcmp(type, "file") != 0 || rest == NULL)
			die("latar takes \"file NAME PATH\" lines only");
		if ((fd = open(rest, O_RDONLY)) < 0 || fstat(fd, &st) != 0 ||
		    (e = archive_entry_new()) == NULL)
			die("cannot open '%s'", rest);
		archive_entry_copy_pathname(e, name);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)st.st_size);
		archive_entry_set_mtime(e, mtime, 0);
		if (archive_write_header(a, e) != ARCHIVE_OK)
			die("libarchive: %s", archive_error_string(a));
		archive_entry_free(e);
		while (xc_fd_read(&fd, buf, sizeof buf, &got) == 0 && got > 0)
			if (archive_write_data(a, buf, got) != (la_ssize_t)got)
				die("libarchive: %s", archive_error_string(a));
		close(fd);
	}
	free(line);
	if (archive_write_close(a) != ARCHIVE_OK)
		die("cannot finish the tar: %s", archive_error_string(a));
	archive_write_free(a);
	uselocale(old);
	freelocale(loc);
	pad_class(level);
	return 0;
}

/* ---- zlib ---- */

static int
cmd_zlib(int argc, char **argv)
{
	static uint8_t in[CHUNK], out[CHUNK];
	z_stream z;
	int64_t zeros = -1;
	size_t got;
	int fd = 0, done = 0, zr;

	if (argc > 1)
		misuse();
	if (argc == 1)
		zeros = number(argv[0]);
	memset(&z, 0, sizeof z);
	if (deflateInit(&z, 6) != Z_OK)
		die("cannot start zlib");
	while (!done) {
		if (zeros >= 0) {
			got = zeros < CHUNK ? (size_t)zeros : CHUNK;
			zeros -= (int64_t)got;
		} else if (xc_fd_read(&fd, in, sizeof in, &got) < 0)
			die("cannot read: %s", strerror(errno));
		done = got == 0;
		z.next_in = in;
		z.avail_in = (uInt)got;
		do {
			z.next_out = out;
			z.avail_out = sizeof out;
			zr = deflate(&z, done ? Z_FINISH : Z_NO_FLUSH);
			if (zr == Z_STREAM_ERROR)
				die("zlib failed");
			put(1, out, sizeof out - z.avail_out);
		} while (z.avail_out == 0);
	}
	if (zr != Z_STREAM_END)
		die("zlib did not finish");
	deflateEnd(&z);
	return 0;
}

/* ---- flip ---- */

static int
cmd_flip(int argc, char **argv)
{
	uint8_t *buf, (*pks)[32] = NULL;
	int *bits = NULL, fd;
	size_t len, i, n, step = 1, nfiles = 0;
	char path[4096];

	if (argc > 2 && strcmp(argv[0], "--step") == 0) {
		if ((step = (size_t)number(argv[1])) == 0)
			misuse();
		argc -= 2;
		argv += 2;
	}
	if (argc < 1)
		misuse();
	n = (size_t)argc - 1;
	if (n > XC_MAX_RECIPIENTS)
		misuse();
	if (n) {
		pks = calloc(n, sizeof *pks);
		bits = calloc(n, sizeof *bits);
		if (pks == NULL || bits == NULL)
			die("out of memory");
		keys_of(argv + 1, n, pks, bits);
	}
	buf = slurp(0, &len);
	for (i = 0; i < len; i = i + step < len || i + 1 == len ? i + step :
	    len - 1) {
		uint8_t m = (uint8_t)(1u << (i % 8));
		snprintf(path, sizeof path, "%s/%06zu", argv[0], i);
		if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0)
			die("cannot create '%s'", path);
		buf[i] ^= m;
		if (n)
			wrap_mem(fd, buf, len, (const uint8_t (*)[32])pks, bits,
			    n, 0, 0);
		else
			put(fd, buf, len);
		buf[i] ^= m;
		if (close(fd) != 0)
			die("cannot write '%s'", path);
		nfiles++;
	}
	printf("%zu\n", nfiles);
	free(buf);
	free(pks);
	free(bits);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* ---- mutate: what a co-recipient can do ---- */

struct membuf {
	uint8_t *p;
	size_t len, cap;
};

static int
mem_write(void *ctx, const uint8_t *buf, size_t n)
{
	struct membuf *m = ctx;

	if (m->len + n > m->cap) {
		size_t cap = m->cap ? m->cap : CHUNK;
		while (cap < m->len + n)
			cap *= 2;
		if ((m->p = realloc(m->p, cap)) == NULL)
			die("out of memory");
		m->cap = cap;
	}
	memcpy(m->p + m->len, buf, n);
	m->len += n;
	return 0;
}

/* craft mutate IDENTITY ENVELOPE DIR [STEP]: the letter inside ENVELOPE
 * (binary), opened with the age identity file, with byte i XORed with
 * 1 << (i % 8), for i = 0, STEP, 2 STEP ... and the last byte, each
 * encrypted again under the same file key: the same header, stanzas, MAC
 * and nonce, a new payload.  DIR/NNNNNN (i).  Prints the letter's length
 * and the number of files. */
static int
cmd_mutate(int argc, char **argv)
{
	struct membuf letter = { NULL, 0, 0 };
	xc_age_rd r;
	xc_ids *ids;
	uint8_t *env, *text;
	size_t envlen, textlen, prefix, i, step = 1, nfiles = 0, line;
	char path[4096];
	int fd, rc;

	if (argc != 3 && argc != 4)
		misuse();
	if (argc == 4 && (step = (size_t)number(argv[3])) == 0)
		misuse();
	if ((fd = open(argv[0], O_RDONLY)) < 0)
		die("cannot open '%s'", argv[0]);
	text = slurp(fd, &textlen);
	close(fd);
	if ((ids = xc_ids_new()) == NULL ||
	    xc_ids_parse(ids, (char *)text, textlen, &line) != 0)
		die("'%s': %s", argv[0], xc_errdetail());
	if ((fd = open(argv[1], O_RDONLY)) < 0)
		die("cannot open '%s'", argv[1]);
	env = slurp(fd, &envlen);
	close(fd);
	xc_memrd m = { env, envlen, 0 };
	if ((rc = xc_age_rd_open(&r, (xc_rd){ xc_mem_read, &m }, ids)) < 0 ||
	    (rc = xc_stream_decrypt(r.payload, (xc_wr){ mem_write, &letter },
	    r.key)) < 0)
		die("'%s': %s", argv[1], xc_errdetail());
	/* The header to "---", a space, the MAC in base64, LF; the nonce. */
	prefix = r.h.rawlen + 1 + 43 + 1 + XC_NONCE_BYTES;
	if (r.ain != NULL || prefix > envlen)
		die("'%s': an armored envelope", argv[1]);
	for (i = 0; i < letter.len; i = i + step < letter.len || i ==
	    letter.len - 1 ? i + step : letter.len - 1) {
		uint8_t mask = (uint8_t)(1u << (i % 8));
		xc_memrd lm = { letter.p, letter.len, 0 };
		snprintf(path, sizeof path, "%s/%06zu", argv[2], i);
		if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0)
			die("cannot create '%s'", path);
		letter.p[i] ^= mask;
		put(fd, env, prefix);
		if (xc_stream_encrypt((xc_rd){ xc_mem_read, &lm },
		    (xc_wr){ xc_fd_write, &fd }, r.key) < 0)
			die("cannot encrypt: %s", xc_errdetail());
		letter.p[i] ^= mask;
		if (close(fd) != 0)
			die("cannot write '%s'", path);
		nfiles++;
		if (i == letter.len - 1)
			break;
	}
	printf("%zu %zu\n", letter.len, nfiles);
	xc_age_rd_close(&r);
	xc_ids_free(ids);
	free(letter.p);
	free(env);
	free(text);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* ---- retag: a card with other mailbox tag bits (benchmarks) ---- */

/* craft retag HOME HANDLE BITS: the identity's current card signed again
 * with tag_bits BITS (no option of xc-keygen sets them yet). */
static int
cmd_retag(int argc, char **argv)
{
	char path[4096], *card, *out;
	size_t len, outlen;
	uint8_t *seed;
	xc_card c;
	FILE *f;
	int k;

	if (argc != 3)
		misuse();
	if (xc_identity_card(argv[0], argv[1], &card, &len) < 0 ||
	    xc_card_parse(&c, card, len) < 0 ||
	    xc_identity_seed(argv[0], argv[1], NULL, 0, &seed) < 0)
		die("%s: %s", argv[1], xc_errdetail());
	c.tag_bits = (int)number(argv[2]);
	if (xc_card_sign(&c, seed, &out, &outlen) < 0)
		die("cannot sign: %s", xc_errdetail());
	for (k = 0; k < 2; k++) {
		snprintf(path, sizeof path, k ? "%s/ids/%s/card-%llu" :
		    "%s/ids/%s/card", argv[0], argv[1],
		    (unsigned long long)c.seq);
		if ((f = fopen(path, "w")) == NULL ||
		    fwrite(out, 1, outlen, f) != outlen || fclose(f) != 0)
			die("cannot write '%s'", path);
	}
	sodium_free(seed);
	free(card);
	free(out);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{ "wrap", cmd_wrap }, { "sign", cmd_sign }, { "hash", cmd_hash },
		{ "tar", cmd_tar }, { "zlib", cmd_zlib }, { "flip", cmd_flip },
		{ "latar", cmd_latar }, { "list", cmd_list },
		{ "mutate", cmd_mutate }, { "retag", cmd_retag },
		{ "spool", cmd_spool },
	};
	size_t i;

	if (sodium_init() < 0)
		die("cannot initialise libsodium");
	if (argc < 2)
		misuse();
	for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 2, argv + 2);
	misuse();
	return 2;
}
