/*
 * test-age.c - whole-file properties of the age layer, in process:
 * round trips at chunk boundaries, header parse/marshal identity on the
 * CCTV vectors (V02), every-bit flips and every-offset truncation of a
 * two-chunk file (P01, P02): never accepted, and what is released before
 * a failure is always whole authenticated chunks.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <zlib.h>

#include "../../lib/xc.h"
#include "unit.h"

struct membuf {
	uint8_t *p;
	size_t len, cap;
};

static int
mem_write(void *ctx, const uint8_t *buf, size_t len)
{
	struct membuf *m = ctx;

	if (len == 0)
		return 0;
	if (m->len + len > m->cap) {
		size_t nc = m->cap ? m->cap : 1024;
		while (nc < m->len + len)
			nc *= 2;
		if ((m->p = realloc(m->p, nc)) == NULL)
			return XC_ENOMEM;
		m->cap = nc;
	}
	memcpy(m->p + m->len, buf, len);
	m->len += len;
	return 0;
}

static int
seal(const uint8_t *pt, size_t n, const xc_rcpts *r, int armor,
    struct membuf *out)
{
	xc_memrd m = { pt, n, 0 };
	xc_rd rd = { xc_mem_read, &m };
	xc_wr wr = { mem_write, out };

	out->len = 0;
	return xc_age_encrypt(rd, wr, r, armor);
}

static int
open_(const uint8_t *ct, size_t n, const xc_ids *ids, struct membuf *out)
{
	xc_memrd m = { ct, n, 0 };
	xc_rd rd = { xc_mem_read, &m };
	xc_wr wr = { mem_write, out };

	out->len = 0;
	return xc_age_decrypt(rd, wr, ids);
}

/* Released output must be whole chunks of the plaintext, from its start. */
static int
released_ok(const struct membuf *out, const uint8_t *pt, size_t n)
{
	return out->len <= n && out->len % XC_CHUNK_BYTES == 0 &&
	    (out->len == 0 || memcmp(out->p, pt, out->len) == 0);
}

static void
roundtrips(xc_ids *ids, xc_rcpts *r, const char *what)
{
	/* Chunk edges, and batch edges (16 chunks) of the threaded path. */
	static const size_t sizes[] = { 0, 1, 65535, 65536, 65537, 131072,
	    131073, 196608 + 1, 1048575, 1048576, 1048577, 2097152 + 7 };
	struct membuf ct = {0}, pt = {0};
	uint8_t *in = malloc(2097152 + 7);
	size_t i;
	int armor;

	randombytes_buf(in, 2097152 + 7);
	for (armor = 0; armor < 2; armor++)
		for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
			ok(seal(in, sizes[i], r, armor, &ct) == 0 &&
			    open_(ct.p, ct.len, ids, &pt) == 0 &&
			    pt.len == sizes[i] && (pt.len == 0 ||
			    memcmp(pt.p, in, pt.len) == 0),
			    "%s%s round trip of %zu bytes", what,
			    armor ? " armored" : "", sizes[i]);
	free(in);
	free(ct.p);
	free(pt.p);
}

/* V02: parse then marshal gives back the header bytes exactly. */
static void
header_roundtrip(void)
{
	const char *dir = getenv("XC_VECTORS");
	size_t tried = 0, same = 0;
	struct dirent *e;
	DIR *d;

	if (dir == NULL)
		dir = "t/vectors/age";
	if ((d = opendir(dir)) == NULL) {
		ok(0, "open vectors directory '%s'", dir);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		char path[1024], *buf = malloc(1 << 20), *body;
		uint8_t *age = malloc(1 << 22), *m;
		uLongf alen = 1 << 22;
		size_t n, blen, mlen;
		FILE *f;
		xc_header h;
		xc_in *in = malloc(sizeof *in);
		xc_memrd mr;

		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if (e->d_name[0] == '.' || (f = fopen(path, "rb")) == NULL)
			goto next;
		n = fread(buf, 1, (1 << 20) - 1, f);
		fclose(f);
		buf[n] = '\0';
		if ((body = strstr(buf, "\n\n")) == NULL)
			goto next;
		*body = '\0';
		body += 2;
		blen = n - (size_t)(body - buf);
		if (strstr(buf, "armored: yes"))
			goto next;
		if (strstr(buf, "compressed: zlib")) {
			if (uncompress(age, &alen, (uint8_t *)body, blen) !=
			    Z_OK)
				goto next;
		} else {
			memcpy(age, body, blen);
			alen = blen;
		}
		mr.p = age;
		mr.len = alen;
		mr.off = 0;
		xc_in_init(in, (xc_rd){ xc_mem_read, &mr });
		if (xc_header_parse(in, &h) != 0)
			goto next;
		tried++;
		if (xc_header_marshal(&h, &m, &mlen) == 0) {
			if (mlen == h.rawlen && memcmp(m, age, mlen) == 0)
				same++;
			else
				diag("header differs after marshal: %s",
				    e->d_name);
			free(m);
		}
		xc_header_free(&h);
next:
		free(in);
		free(buf);
		free(age);
	}
	closedir(d);
	ok(tried >= 43 && same == tried,
	    "V02: %zu/%zu parsed CCTV headers marshal back byte for byte",
	    same, tried);
}

static double
scale(void)
{
	const char *s = getenv("XC_SANITIZE");
	return s && *s ? 0.1 : 1.0;
}

static void
flips_and_truncations(xc_ids *ids, xc_rcpts *r)
{
	size_t ptlen = XC_CHUNK_BYTES + 100, i, bad = 0, leaks = 0, runs = 0;
	uint8_t *pt = malloc(ptlen);
	struct membuf ct = {0}, out = {0};
	size_t hdr, budget = (size_t)(30000 * scale());

	randombytes_buf(pt, ptlen);
	if (!ok(seal(pt, ptlen, r, 0, &ct) == 0, "seal a two-chunk file"))
		return;
	hdr = ct.len - (ptlen + 2 * XC_TAG_BYTES) - XC_NONCE_BYTES;
	/* Every bit of the header, nonce, chunk edges and second chunk;
	 * a random sample of the rest up to the budget. */
	for (i = 0; i < ct.len * 8 && runs < budget; i++) {
		size_t byte = i / 8;
		int edge = byte < hdr + XC_NONCE_BYTES + 256 ||
		    byte + 512 > ct.len ||
		    (byte > hdr + XC_NONCE_BYTES + XC_CHUNK_BYTES - 256 &&
		    byte < hdr + XC_NONCE_BYTES + XC_CHUNK_BYTES + 64);
		int rc;

		if (!edge && randombytes_uniform(16) != 0)
			continue;
		ct.p[byte] ^= (uint8_t)(1u << (i % 8));
		rc = open_(ct.p, ct.len, ids, &out);
		ct.p[byte] ^= (uint8_t)(1u << (i % 8));
		runs++;
		if (rc == 0)
			bad++;
		else if (!released_ok(&out, pt, ptlen))
			leaks++;
	}
	ok(bad == 0 && leaks == 0, "P01: %zu bit flips: %zu accepted, %zu "
	    "released unauthenticated bytes", runs, bad, leaks);

	bad = leaks = runs = 0;
	for (i = 0; i < ct.len; i += (scale() < 1 && i > hdr + 64 &&
	    i + 64 < ct.len) ? 97 : 1) {
		int rc = open_(ct.p, i, ids, &out);
		runs++;
		if (rc == 0)
			bad++;
		else if (!released_ok(&out, pt, ptlen))
			leaks++;
	}
	ok(bad == 0 && leaks == 0, "P02: %zu truncations: %zu accepted, %zu "
	    "released unauthenticated bytes", runs, bad, leaks);
	ok(open_(ct.p, ct.len, ids, &out) == 0 && out.len == ptlen,
	    "the untouched file still opens");
	free(pt);
	free(ct.p);
	free(out.p);
}

/*
 * A 40-chunk file crosses batches: a bad chunk anywhere releases exactly
 * the chunks before it, and a cut after chunk 16 (a batch edge) releases
 * 16 chunks and then fails.
 */
static void
batches(xc_ids *ids, xc_rcpts *r)
{
	static const size_t bad[] = { 0, 1, 14, 15, 16, 17, 31, 32, 39 };
	size_t ptlen = 40 * (size_t)XC_CHUNK_BYTES - 1000, hdr, i;
	uint8_t *pt = malloc(ptlen);
	struct membuf ct = {0}, out = {0};
	const size_t enc = XC_CHUNK_BYTES + XC_TAG_BYTES;

	randombytes_buf(pt, ptlen);
	seal(pt, ptlen, r, 0, &ct);
	hdr = ct.len - (ptlen + 40 * XC_TAG_BYTES);	/* header + nonce */
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		size_t at = hdr + bad[i] * enc + 100;
		int rc;
		ct.p[at] ^= 0x40;
		rc = open_(ct.p, ct.len, ids, &out);
		ct.p[at] ^= 0x40;
		ok(rc == XC_EPAYLOAD && out.len == bad[i] * XC_CHUNK_BYTES &&
		    released_ok(&out, pt, ptlen), "bad chunk %zu of 40: "
		    "exactly %zu chunks released", bad[i], bad[i]);
	}
	ok(open_(ct.p, hdr + 16 * enc, ids, &out) == XC_EPAYLOAD &&
	    out.len == 16 * XC_CHUNK_BYTES && released_ok(&out, pt, ptlen),
	    "cut at a batch edge: 16 chunks released, then a failure");
	ok(open_(ct.p, ct.len, ids, &out) == 0 && out.len == ptlen &&
	    memcmp(out.p, pt, ptlen) == 0, "the 40-chunk file opens");
	free(pt);
	free(ct.p);
	free(out.p);
}

static void
errors(xc_ids *ids, xc_rcpts *r)
{
	struct membuf ct = {0}, out = {0};
	xc_ids *other = xc_ids_new();
	uint8_t pk[32], *sk = sodium_malloc(32);
	uint8_t msg[10] = "hello";
	size_t line = 0;

	xc_x25519_keygen(pk, sk);
	xc_ids_add_x25519(other, sk);
	seal(msg, sizeof msg, r, 0, &ct);
	ok(open_(ct.p, ct.len, other, &out) == XC_ENOMATCH && out.len == 0,
	    "a wrong key is 'no identity matched'");
	ct.p[ct.len - 1] ^= 1;
	ok(open_(ct.p, ct.len, ids, &out) == XC_EPAYLOAD && out.len == 0,
	    "a flipped tag is a payload failure");
	ok(open_((const uint8_t *)"", 0, ids, &out) == XC_EHEADER,
	    "empty input is a header failure");
	ok(open_((const uint8_t *)"hello\n", 6, ids, &out) == XC_EARMOR,
	    "text that is not armor is an armor failure");
	ok(xc_ids_parse(other, "# c\n\nAGE-SECRET-KEY-1XYZ\n", 25, &line) ==
	    XC_EKEY && line == 3, "bad identity line is reported by number");
	ok(xc_ids_parse(other, "# only a comment\n", 17, &line) == XC_EKEY,
	    "an identity file without identities is refused");
	ok(xc_rcpts_parse(r, "ssh-ed25519 AAAA x\n", 19, &line) ==
	    XC_EUNSUPPORTED && line == 1, "ssh recipients are unsupported");
	sodium_free(sk);
	xc_ids_free(other);
	free(ct.p);
	free(out.p);
}

void
test_age(void)
{
	uint8_t pk[32], *sk = sodium_malloc(32);
	xc_ids *ids = xc_ids_new(), *pwids = xc_ids_new();
	xc_rcpts *r = xc_rcpts_new(), *pwr = xc_rcpts_new();

	xc_x25519_keygen(pk, sk);
	xc_ids_add_x25519(ids, sk);
	xc_rcpts_add_x25519(r, pk);
	xc_ids_add_passphrase(pwids, "correct horse", 13);
	xc_rcpts_set_passphrase(pwr, "correct horse", 13, 10);
	roundtrips(ids, r, "X25519");
	roundtrips(pwids, pwr, "scrypt");
	ok(xc_rcpts_add_x25519(pwr, pk) == XC_EINVAL,
	    "a passphrase set refuses X25519 recipients");
	header_roundtrip();
	batches(ids, r);
	errors(ids, r);
	flips_and_truncations(ids, r);
	sodium_free(sk);
	xc_ids_free(ids);
	xc_ids_free(pwids);
	xc_rcpts_free(r);
	xc_rcpts_free(pwr);
}
