/*
 * test-canon.c - canonical bytes (xc-letter(5), "Canonical bytes"): the tar
 * headers of lib/tar.c read back, and refused after any one byte changes;
 * every byte of a sealed letter changed in turn and encrypted again under
 * the same file key, as a co-recipient could, then opened with a real
 * output directory: refused each time, nothing left in the directory; and
 * 1,000 random letters re-serialised from what was read (signed header and
 * stored parts): the same bytes each time.
 */
#define _GNU_SOURCE		/* memfd_create */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "unit.h"

/* ---- tar headers ---- */

/* Parses the header at b (len bytes available) as the reader does. */
static int
parse(const uint8_t *b, size_t len, char *name, uint64_t *size,
    int64_t *mtime, int *end)
{
	int rc = xc_tar_parse(b, XC_TAR_BLOCK, name, size, mtime, end);

	if (rc == 1)
		rc = len >= XC_TAR_HDR_MAX ? xc_tar_parse(b, XC_TAR_HDR_MAX,
		    name, size, mtime, end) : -1;
	return rc;
}

static void
test_tar(void)
{
	char names[10][XC_MAX_NAME + 1], got[XC_MAX_NAME + 1];
	static const uint64_t sizes[] = { 0, 1, 511, 512, (uint64_t)1 << 32 };
	static const int64_t times[] = { 0, 1796399190, XC_MAX_TIME };
	uint8_t h[XC_TAR_HDR_MAX], z[XC_TAR_BLOCK] = { 0 };
	size_t i, j, k, n, bad = 0, flips = 0, accepted = 0;
	uint64_t size;
	int64_t mtime;
	int end;

	snprintf(names[0], sizeof names[0], "a");
	snprintf(names[1], sizeof names[1], "message.txt");
	for (i = 2; i < 5; i++) {
		memset(names[i], 'x', 97 + i);	/* 99, 100, 101 bytes */
		names[i][97 + i] = '\0';
	}
	memset(names[5], 'n', 255);
	names[5][255] = '\0';
	snprintf(names[6], sizeof names[6], "Zo\xc3\xab.txt");
	for (i = 0; i < 85; i++)
		memcpy(names[7] + 3 * i, "\xe2\x82\xac", 3);
	names[7][255] = '\0';
	snprintf(names[8], sizeof names[8], "xc-letter");
	snprintf(names[9], sizeof names[9], "a b~c.tar.gz");
	for (i = 0; i < 10; i++)
		for (j = 0; j < 5; j++)
			for (k = 0; k < 3; k++) {
				n = xc_tar_header(h, names[i], sizes[j], times[k]);
				if (n != (strlen(names[i]) > 100 || (i >= 6 && i <= 7) ?
				    XC_TAR_HDR_MAX : XC_TAR_BLOCK) ||
				    parse(h, n, got, &size, &mtime, &end) != 0 ||
				    end || strcmp(got, names[i]) != 0 ||
				    size != sizes[j] || mtime != times[k])
					bad++;
			}
	ok(bad == 0, "tar: 150 headers (names of 1-255 bytes, ASCII and "
	    "UTF-8; sizes to 4 GiB; dates to 2^33-1) read back (%zu wrong)",
	    bad);
	/* Every byte of a header, one bit flipped (bit i % 8). */
	for (i = 0; i < 10; i += 3) {
		n = xc_tar_header(h, names[i], 1234, 1796399190);
		for (j = 0; j < n; j++) {
			h[j] ^= (uint8_t)(1u << (j % 8));
			flips++;
			if (parse(h, n, got, &size, &mtime, &end) == 0)
				accepted++;
			h[j] ^= (uint8_t)(1u << (j % 8));
		}
	}
	ok(accepted == 0, "tar: %zu headers with one byte changed: %zu read",
	    flips, accepted);
	ok(xc_tar_parse(z, XC_TAR_BLOCK, got, &size, &mtime, &end) == 0 && end,
	    "tar: a zero block is the end");
}

/* ---- fixtures ---- */

struct party {
	xc_card card;
	uint8_t seed[32], *xsk;
	char *text;
	size_t len;
};

static int
party(struct party *p, const char *handle, int64_t now)
{
	p->xsk = sodium_malloc(32);
	return p->xsk == NULL || unit_card(&p->card, handle, p->seed, p->xsk,
	    &p->text, &p->len, now) != 0 ? -1 : 0;
}

static void
party_free(struct party *p)
{
	sodium_free(p->xsk);
	free(p->text);
}

/* An attachment's descriptor holding data: a memory file, or a pipe
 * (written whole first: data must fit the pipe). */
static int
source(const uint8_t *data, size_t n, int pipe_it)
{
	int fd[2];

	if (pipe_it) {
		if (pipe(fd) != 0)
			return -1;
		if (n && write(fd[1], data, n) != (ssize_t)n) {
			close(fd[0]);
			fd[0] = -1;
		}
		close(fd[1]);
		return fd[0];
	}
	if ((fd[0] = memfd_create("part", MFD_CLOEXEC)) < 0)
		return -1;
	if ((n && write(fd[0], data, n) != (ssize_t)n) ||
	    lseek(fd[0], 0, SEEK_SET) != 0) {
		close(fd[0]);
		return -1;
	}
	return fd[0];
}

/* The envelope's header through the nonce, the payload key and the letter
 * (plaintext) of env, opened with ids. */
struct opened {
	size_t prefix;
	uint8_t key[32];
	struct unit_buf letter;
};

static int
open_raw(const struct unit_buf *env, const xc_ids *ids, struct opened *o)
{
	xc_memrd m = { env->p, env->len, 0 };
	xc_age_rd r;
	int rc;

	memset(o, 0, sizeof *o);
	if ((rc = xc_age_rd_open(&r, (xc_rd){ xc_mem_read, &m }, ids)) < 0)
		return rc;
	o->prefix = r.h.rawlen + 1 + 43 + 1 + XC_NONCE_BYTES;
	memcpy(o->key, r.key, 32);
	rc = xc_stream_decrypt(r.payload, (xc_wr){ unit_mem_write, &o->letter },
	    r.key);
	xc_age_rd_close(&r);
	return rc;
}

static size_t
entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	if (d == NULL)
		return (size_t)-1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* ---- every byte, under the same file key ---- */

static void
test_mutations(void)
{
	const int64_t now = (int64_t)time(NULL);
	struct party carol, bob;
	char dir[64];
	uint8_t body[300], notes[3000], rnd[700];
	const char *long8 = "\xc3\xa9\xc3\xa9\xc3\xa9 une pi\xc3\xa8"
	    "ce jointe au nom qui ne tient pas dans les cent octets d'un "
	    "en-t\xc3\xaate ustar, loin de l\xc3\xa0.bin";
	struct unit_buf env = { NULL, 0, 0 }, env2 = { NULL, 0, 0 };
	struct opened op;
	xc_part parts[3];
	xc_seal_opts o;
	xc_ids *ids = xc_ids_new();
	xc_letter L;
	size_t i, accepted = 0, left = 0, tried = 0, len, full;
	int dirfd = -1, rc;

	memset(&op, 0, sizeof op);
	memset(parts, 0, sizeof parts);
	/* tmpfs when there is one: 16,000 letters stage files here. */
	snprintf(dir, sizeof dir, "%s/xc-unit-canon.XXXXXX",
	    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (ids == NULL || party(&carol, "carol", now) != 0 ||
	    party(&bob, "bob", now) != 0 ||
	    xc_ids_add_x25519(ids, bob.xsk) != 0 || mkdtemp(dir) == NULL ||
	    (dirfd = open(dir, O_RDONLY | O_DIRECTORY)) < 0) {
		ok(0, "mutations: set up (%s)", xc_errdetail());
		goto out;
	}
	randombytes_buf(body, sizeof body);
	for (i = 0; i < sizeof notes; i++)
		notes[i] = (uint8_t)"line of notes\n"[i % 14];
	randombytes_buf(rnd, sizeof rnd);
	snprintf(parts[0].name, sizeof parts[0].name, "%s", XC_BODY_NAME);
	parts[0].body = 1;
	parts[0].mem = body;
	parts[0].memlen = sizeof body;
	parts[0].fd = -1;
	snprintf(parts[1].name, sizeof parts[1].name, "notes.txt");
	parts[1].fd = source(notes, sizeof notes, 0);
	snprintf(parts[2].name, sizeof parts[2].name, "%s", long8);
	parts[2].fd = source(rnd, sizeof rnd, 1);
	memset(&o, 0, sizeof o);
	o.seed = carol.seed;
	o.card = carol.text;
	o.cardlen = carol.len;
	o.to = &bob.card;
	o.nto = 1;
	o.date = now;
	o.level = 2;
	o.parts = parts;
	o.nparts = 3;
	if ((rc = xc_letter_seal(&o, (xc_wr){ unit_mem_write, &env })) != 0 ||
	    (rc = open_raw(&env, ids, &op)) != 0) {
		ok(0, "mutations: seal (%s)", xc_errdetail());
		goto out;
	}
	ok(parts[1].zlib && !parts[2].zlib && op.letter.len == XC_MIN_PADDED,
	    "mutations: a letter of %zu bytes, one part stored with zlib, one "
	    "from a pipe with a pax name", op.letter.len);
	/* The control, re-encrypted the same way, opens. */
	/* i = 0: unchanged; 1..len: byte i - 1 changed; then the padding a
	 * block short, and a byte short. */
	for (i = 0; i <= op.letter.len + 2; i++) {
		xc_memrd lm = { op.letter.p, op.letter.len, 0 }, em;
		size_t at = i - 1;
		int change = i >= 1 && i <= op.letter.len;
		uint8_t mask = (uint8_t)(1u << (at % 8));
		len = op.letter.len;
		if (i == op.letter.len + 1)
			len -= 512;
		else if (i == op.letter.len + 2)
			len -= 1;
		lm.len = len;
		env2.len = 0;
		if (change)
			op.letter.p[at] ^= mask;
		if (unit_mem_write(&env2, env.p, op.prefix) != 0 ||
		    xc_stream_encrypt((xc_rd){ xc_mem_read, &lm },
		    (xc_wr){ unit_mem_write, &env2 }, op.key) != 0)
			break;
		if (change)
			op.letter.p[at] ^= mask;
		em = (xc_memrd){ env2.p, env2.len, 0 };
		rc = xc_letter_open((xc_rd){ xc_mem_read, &em }, ids, dirfd, &L);
		if (i == 0)
			ok(rc == 0 && !L.rewrapped && L.nparts == 3 &&
			    L.bodylen == sizeof body, "mutations: the letter "
			    "encrypted again, unchanged, opens (%s)",
			    rc ? xc_errdetail() : "ok");
		else {
			tried++;
			accepted += rc == 0;
		}
		xc_letter_free(&L);
		left += entries(dir);
	}
	/* One byte too many. */
	full = op.letter.len;
	{
		xc_memrd lm;
		uint8_t zero = 0;
		env2.len = 0;
		unit_mem_write(&op.letter, &zero, 1);
		lm = (xc_memrd){ op.letter.p, op.letter.len, 0 };
		unit_mem_write(&env2, env.p, op.prefix);
		xc_stream_encrypt((xc_rd){ xc_mem_read, &lm },
		    (xc_wr){ unit_mem_write, &env2 }, op.key);
		lm = (xc_memrd){ env2.p, env2.len, 0 };
		accepted += xc_letter_open((xc_rd){ xc_mem_read, &lm }, ids,
		    dirfd, &L) == 0;
		tried++;
		xc_letter_free(&L);
		left += entries(dir);
	}
	ok(accepted == 0 && tried == full + 3, "mutations: every byte of the "
	    "letter changed (%zu), 512 or 1 bytes of padding missing, one too "
	    "many, each encrypted under the same file key: %zu of %zu opened",
	    full, accepted, tried);
	ok(left == 0, "mutations: nothing left in the directory (%zu files)",
	    left);
out:
	for (i = 1; i < 3; i++)
		if (parts[i].fd >= 0)
			close(parts[i].fd);
	if (dirfd >= 0)
		close(dirfd);
	rmdir(dir);
	free(env.p);
	free(env2.p);
	free(op.letter.p);
	xc_ids_free(ids);
	party_free(&carol);
	party_free(&bob);
}

/* ---- 1,000 letters serialised again ---- */

static void
test_reserialize(void)
{
	enum { N = 1000 };
	const int64_t now = (int64_t)time(NULL);
	static const char *const pool[] = { "a.txt", "notes", "photo.png",
	    "Zo\xc3\xab.txt", "report 2026.pdf",
	    "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"
	    "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn.log", "x", "data.csv" };
	struct party carol, bob;
	uint8_t *data = malloc(70000);
	xc_ids *ids = xc_ids_new();
	size_t i, same = 0, failed = 0, classes = 0, zparts = 0, pipes = 0;

	if (data == NULL || ids == NULL || party(&carol, "carol", now) != 0 ||
	    party(&bob, "bob", now) != 0 ||
	    xc_ids_add_x25519(ids, bob.xsk) != 0) {
		ok(0, "re-serialisation: set up");
		goto out;
	}
	for (i = 0; i < N; i++) {
		struct unit_buf env = { NULL, 0, 0 }, again = { NULL, 0, 0 };
		struct opened op;
		xc_part parts[5];
		xc_seal_opts o;
		xc_letter L;
		xc_memrd m;
		size_t np = 1 + randombytes_uniform(5), k, bodylen;
		int rc = -1;

		memset(parts, 0, sizeof parts);
		memset(&L, 0, sizeof L);
		memset(&op, 0, sizeof op);
		bodylen = randombytes_uniform(6000);
		randombytes_buf(data, 70000);
		if (randombytes_uniform(2))
			for (k = 0; k < bodylen; k++)
				data[k] = (uint8_t)('a' + data[k] % 4);
		parts[0].body = 1;
		parts[0].fd = -1;
		parts[0].mem = data;
		parts[0].memlen = bodylen;
		snprintf(parts[0].name, sizeof parts[0].name, XC_BODY_NAME);
		for (k = 1; k < np; k++) {
			size_t n = randombytes_uniform(k == 1 ? 20000 : 5000);
			const uint8_t *src = data + 6000 + 1000 * k;
			uint8_t *z = NULL;
			int kind = (int)randombytes_uniform(3), p;
			if (kind == 1) {	/* compressible */
				if ((z = malloc(n + 1)) != NULL)
					for (size_t q = 0; q < n; q++)
						z[q] = (uint8_t)"0123456789,\n"
						    [(q * 7 + k) % 12];
				src = z ? z : src;
			}
			snprintf(parts[k].name, sizeof parts[k].name, "%zu-%s", k,
			    pool[randombytes_uniform(8)]);
			p = n < 60000 && randombytes_uniform(3) == 0;
			pipes += p;
			parts[k].fd = source(src, n, p);
			free(z);
		}
		memset(&o, 0, sizeof o);
		o.seed = randombytes_uniform(4) ? carol.seed : NULL;
		o.card = carol.text;
		o.cardlen = carol.len;
		o.to = &bob.card;
		o.nto = 1;
		o.date = now - (int64_t)randombytes_uniform(1000);
		o.level = 1 + (int)randombytes_uniform(3);
		o.expires = o.level == 3 || randombytes_uniform(2) ?
		    o.date + 1 + randombytes_uniform(86400) : 0;
		o.parts = parts;
		o.nparts = np;
		if (xc_letter_seal(&o, (xc_wr){ unit_mem_write, &env }) != 0 ||
		    open_raw(&env, ids, &op) != 0)
			goto next;
		m = (xc_memrd){ env.p, env.len, 0 };
		if ((rc = xc_letter_open((xc_rd){ xc_mem_read, &m }, ids, -1,
		    &L)) != 0 || xc_letter_serialize(&L, (xc_wr){
		    unit_mem_write, &again }) != 0)
			goto next;
		for (k = 0; k < L.nparts; k++)
			zparts += L.parts[k].zlib;
		if (again.len == op.letter.len &&
		    memcmp(again.p, op.letter.p, again.len) == 0)
			same++;
		if (L.length == op.letter.len && (L.level < 2 ?
		    L.length % 512 == 0 : L.length >= XC_MIN_PADDED &&
		    (L.length == XC_MIN_PADDED || xc_padme(L.length) ==
		    L.length)))
			classes++;
next:
		if (rc != 0 && failed++ == 0)
			diag("letter %zu: %s", i, xc_errdetail());
		for (k = 1; k < np; k++)
			if (parts[k].fd >= 0)
				close(parts[k].fd);
		xc_letter_free(&L);
		free(env.p);
		free(again.p);
		free(op.letter.p);
	}
	ok(failed == 0, "re-serialisation: %d random letters sealed and "
	    "opened (%zu failed)", N, failed);
	ok(same == N, "re-serialisation: %zu of %d written again from their "
	    "signed header and stored parts, byte for byte", same, N);
	ok(classes == N, "re-serialisation: %zu of %d of their level's "
	    "length (whole blocks at 1, the size class from 2)", classes, N);
	diag("re-serialisation: %zu parts stored with zlib, %zu from pipes",
	    zparts, pipes);
out:
	free(data);
	xc_ids_free(ids);
	party_free(&carol);
	party_free(&bob);
}

void
test_canon(void)
{
	test_tar();
	test_mutations();
	test_reserialize();
}
