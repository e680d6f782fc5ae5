/*
 * test-letter.c - the small pieces of letters and envelopes (lib/letter.c):
 * Padme against the definition of Nikitin et al. (PETS 2019) written out
 * here independently, and real letters (xc_letter_seal, then
 * xc_letter_open) landing on Padme sizes; part names; mailbox tags
 * against a BLAKE2b computed here, their k-bit matching and false-match
 * rate; the xc-route stanza, good and bad.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "../../lib/xc.h"
#include "unit.h"

/* ---- Padme ---- */

/* floor(log2(x)) for x >= 1, by shifting. */
static unsigned
ilog2(uint64_t x)
{
	unsigned n = 0;

	while (x >>= 1)
		n++;
	return n;
}

/* The paper's Algorithm 1: E = floor(log2 L), S = floor(log2 E) + 1,
 * lastBits = E - S, round L up to a multiple of 2^lastBits.  (L < 2 is
 * left alone: log2 of 0 has no floor.) */
static uint64_t
padme_ref(uint64_t L)
{
	unsigned E, S, last;
	uint64_t mask;

	if (L < 2)
		return L;
	E = ilog2(L);
	S = ilog2(E) + 1;
	last = E - S;
	mask = ((uint64_t)1 << last) - 1;
	return (L + mask) & ~mask;
}

int
unit_mem_write(void *ctx, const uint8_t *buf, size_t n)
{
	struct unit_buf *m = ctx;

	if (m->len + n > m->cap) {
		size_t cap = m->cap ? m->cap : 65536;
		uint8_t *np;
		while (cap < m->len + n)
			cap *= 2;
		if ((np = realloc(m->p, cap)) == NULL)
			return xc_fail(XC_ENOMEM, "out of memory");
		m->p = np;
		m->cap = cap;
	}
	memcpy(m->p + m->len, buf, n);
	m->len += n;
	return 0;
}

/* A card for handle with a fresh identity seed and X25519 key. */
int
unit_card(xc_card *c, const char *handle, uint8_t seed[32], uint8_t *xsk,
    char **text, size_t *len, int64_t now)
{
	uint8_t sk[64];

	memset(c, 0, sizeof *c);
	snprintf(c->handle, sizeof c->handle, "%s", handle);
	randombytes_buf(seed, 32);
	crypto_sign_seed_keypair(c->ik, sk, seed);
	sodium_memzero(sk, sizeof sk);
	if (xc_x25519_keygen(c->enc[0].pk, xsk) != 0)
		return -1;
	c->enc[0].from = now - 60;
	c->enc[0].until = now + 86400;
	c->nenc = 1;
	c->tag_bits = XC_DEFAULT_TAG_BITS;
	c->created = now - 60;
	c->expires = now + 30 * 86400;
	c->seq = 1;
	return xc_card_sign(c, seed, text, len);
}

static void
test_padme(void)
{
	static const uint64_t known[][2] = {
		{ 0, 0 }, { 1, 1 }, { 2, 2 }, { 3, 3 }, { 4, 4 }, { 5, 5 },
		{ 7, 7 }, { 8, 8 }, { 9, 10 }, { 17, 18 }, { 1000, 1024 },
		{ 1024, 1024 }, { 1025, 1088 }, { 1048576, 1048576 },
		{ 1048577, 1081344 }, { (uint64_t)1 << 32, (uint64_t)1 << 32 },
		{ ((uint64_t)1 << 32) + 1, ((uint64_t)1 << 32) +
		    ((uint64_t)1 << 26) },
	};
	uint64_t L, bad = 0, count = 0, over = 0;
	size_t i;

	for (i = 0; i < sizeof known / sizeof known[0]; i++)
		ok(xc_padme(known[i][0]) == known[i][1] &&
		    padme_ref(known[i][0]) == known[i][1],
		    "padme(%llu) = %llu", (unsigned long long)known[i][0],
		    (unsigned long long)known[i][1]);
	/* Every length to 1 MiB + 1 and the edges of every power of two to
	 * 2^62: the definition, L <= padme(L), idempotence, and the
	 * overhead bound (at most 1/2^S of L, under 12%). */
	for (L = 0; L <= 1048577; L++) {
		uint64_t p = xc_padme(L);
		if (p != padme_ref(L) || p < L || xc_padme(p) != p ||
		    (L > 0 && (p - L) * 100 > L * 12))
			bad++;
		if (L >= 1024 && L <= 1048576 && p == L)
			count++;
	}
	for (i = 1; i < 63; i++) {
		uint64_t b = (uint64_t)1 << i, v[3] = { b - 1, b, b + 1 };
		size_t k;
		for (k = 0; k < 3; k++) {
			uint64_t p = xc_padme(v[k]);
			if (p != padme_ref(v[k]) || p < v[k] ||
			    p - v[k] > v[k] / 8)
				over++;
		}
	}
	ok(bad == 0, "padme: the definition, bounds and idempotence for "
	    "every length up to 1 MiB + 1 (%llu wrong)",
	    (unsigned long long)bad);
	ok(over == 0, "padme: 2^k - 1, 2^k, 2^k + 1 for k < 63 (%llu wrong)",
	    (unsigned long long)over);
	ok(count == 225, "225 Padme sizes between 1 KiB and 1 MiB (%llu)",
	    (unsigned long long)count);
}

/* 1,000 real letters, bodies of random bytes (no zlib) of sizes drawn
 * about log-uniformly from 1 B to 1 MiB, sealed to bob at level 2 and opened:
 * each one's length is a Padme size, the body comes back, and the
 * lengths between 1 KiB and 1 MiB take at most 225 values. */
static void
test_padded_letters(void)
{
	enum { N = 1000 };
	const int64_t now = (int64_t)time(NULL);
	xc_card carol, bob;
	uint8_t cseed[32], bseed[32], *csk = sodium_malloc(32),
	    *bsk = sodium_malloc(32), *body = malloc(1 << 20);
	char *ctext = NULL, *btext = NULL;
	size_t clen, blen, i, j, nseen = 0, bad = 0, notpad = 0, failed = 0;
	uint64_t *seen = calloc(N, sizeof *seen), minlen = UINT64_MAX,
	    maxlen = 0;
	xc_ids *ids = xc_ids_new();

	if (csk == NULL || bsk == NULL || body == NULL || seen == NULL ||
	    ids == NULL || unit_card(&carol, "carol", cseed, csk, &ctext,
	    &clen, now) != 0 || unit_card(&bob, "bob", bseed, bsk, &btext,
	    &blen, now) != 0 || xc_ids_add_x25519(ids, bsk) != 0) {
		ok(0, "padded letters: set up (%s)", xc_errdetail());
		goto out;
	}
	for (i = 0; i < N; i++) {
		/* An octave [2^b, 2^(b+1)), b uniform in 0..20, then a size
		 * uniform in it: about log-uniform from 1 B to 1 MiB. */
		uint32_t b = randombytes_uniform(21);
		size_t size = ((size_t)1 << b) +
		    randombytes_uniform((uint32_t)1 << b);
		struct unit_buf env = { NULL, 0, 0 };
		xc_part part;
		xc_seal_opts o;
		xc_letter L;
		xc_memrd m;
		int rc;

		if (size < 1)
			size = 1;
		if (size > 1 << 20)
			size = 1 << 20;
		randombytes_buf(body, size);
		memset(&part, 0, sizeof part);
		snprintf(part.name, sizeof part.name, "%s", XC_BODY_NAME);
		part.body = 1;
		part.fd = -1;
		part.mem = body;
		part.memlen = size;
		memset(&o, 0, sizeof o);
		o.seed = cseed;
		o.card = ctext;
		o.cardlen = clen;
		o.to = &bob;
		o.nto = 1;
		o.date = now;
		o.level = 2;
		o.parts = &part;
		o.nparts = 1;
		if (xc_letter_seal(&o, (xc_wr){ unit_mem_write, &env }) != 0) {
			if (failed++ == 0)
				diag("seal of %zu bytes: %s", size,
				    xc_errdetail());
			free(env.p);
			continue;
		}
		m = (xc_memrd){ env.p, env.len, 0 };
		rc = xc_letter_open((xc_rd){ xc_mem_read, &m }, ids, -1, &L);
		if (rc != 0 || L.bodylen != size ||
		    memcmp(L.body, body, size) != 0) {
			if (failed++ == 0)
				diag("open of %zu bytes: %s", size,
				    xc_errdetail());
		} else {
			if (!L.padded || xc_padme(L.length) != L.length)
				notpad++;
			if (L.length < minlen)
				minlen = L.length;
			if (L.length > maxlen)
				maxlen = L.length;
			if (L.length >= 1024 && L.length <= 1048576) {
				for (j = 0; j < nseen && seen[j] != L.length;
				    j++)
					;
				if (j == nseen)
					seen[nseen++] = L.length;
				if (padme_ref(L.length) != L.length)
					bad++;
			}
		}
		xc_letter_free(&L);
		free(env.p);
	}
	ok(failed == 0, "padded letters: %d sealed and opened (%zu failed)",
	    N, failed);
	ok(notpad == 0, "padded letters: every length is a Padme size "
	    "(%zu not)", notpad);
	ok(bad == 0 && nseen <= 225, "padded letters: %zu distinct lengths "
	    "between 1 KiB and 1 MiB, all Padme sizes (at most 225)", nseen);
	diag("padded letters: lengths %llu to %llu bytes",
	    (unsigned long long)minlen, (unsigned long long)maxlen);
out:
	xc_ids_free(ids);
	sodium_free(csk);
	sodium_free(bsk);
	free(ctext);
	free(btext);
	free(body);
	free(seen);
}

/* ---- part names ---- */

static void
test_names(void)
{
	static const char *const good[] = { "a", "message.txt", "photo.jpg",
	    "Zo\xc3\xab.txt", "\xe6\x97\xa5\xe6\x9c\xac.txt", "a b", "x.",
	    "a..b", "_x", "~x", "\xf0\x9f\x98\x80", NULL };
	static const char *const bad[] = { "", ".", "..", ".hidden", "-rf",
	    "../x", "/etc/x", "a/b", "a\\b", "a\x01", "\x1f", "a\x7f",
	    "tab\there", "new\nline", "\xc0\x80", "\xff", "\xed\xa0\x80",
	    "\xf4\x90\x80\x80", "\xe2\x82", "a\xc3",
	    /* right-to-left override, zero-width space, word joiner, BOM */
	    "exe\xe2\x80\xaetxt.", "a\xe2\x80\x8b" "b", "a\xe2\x81\xa0",
	    "\xef\xbb\xbf" "a", NULL };
	char name[300];
	size_t i;

	for (i = 0; good[i]; i++)
		ok(xc_part_name_ok(good[i]) == 0, "part name ok: '%s'", good[i]);
	for (i = 0; bad[i]; i++)
		ok(xc_part_name_ok(bad[i]) != 0, "part name refused: #%zu", i);
	memset(name, 'a', sizeof name);
	name[255] = '\0';
	ok(xc_part_name_ok(name) == 0, "part name of 255 bytes ok");
	name[255] = 'a';
	name[256] = '\0';
	ok(xc_part_name_ok(name) != 0, "part name of 256 bytes refused");
	/* 85 three-byte characters: 255 bytes; one more ASCII: 256. */
	for (i = 0; i < 85; i++)
		memcpy(name + 3 * i, "\xe2\x82\xac", 3);
	name[255] = '\0';
	ok(xc_part_name_ok(name) == 0, "255 bytes of UTF-8 ok");
	name[255] = 'x';
	name[256] = '\0';
	ok(xc_part_name_ok(name) != 0, "256 bytes of UTF-8 refused");
}

/* ---- mailbox tags ---- */

/* BLAKE2b-64 of "xc-mailbox-tag-v1" NUL || pk, computed here. */
static void
tag_ref(uint8_t out[8], const uint8_t pk[32])
{
	static const char ctx[] = "xc-mailbox-tag-v1";
	uint8_t msg[sizeof ctx + 32];

	memcpy(msg, ctx, sizeof ctx);
	memcpy(msg + sizeof ctx, pk, 32);
	crypto_generichash(out, 8, msg, sizeof msg, NULL, 0);
}

static int
prefix_eq(const uint8_t *a, const uint8_t *b, int bits)
{
	int i;

	for (i = 0; i < bits; i++)
		if (((a[i / 8] ^ b[i / 8]) >> (7 - i % 8)) & 1)
			return 0;
	return 1;
}

static void
test_tags(void)
{
	enum { NKEYS = 8192 };
	uint8_t (*pk)[32] = malloc(NKEYS * sizeof *pk), tag[8], ref[8],
	    t2[8];
	size_t i, own = 0, prefix = 0, other12 = 0, other24 = 0, k0 = 0,
	    edge = 0, same = 0;
	int k;

	if (pk == NULL) {
		ok(0, "tags: out of memory");
		return;
	}
	randombytes_buf(pk, NKEYS * sizeof *pk);
	for (i = 0; i < NKEYS; i++) {
		const uint8_t *other = pk[(i + 1) % NKEYS];
		xc_mailbox_tag(tag, pk[i], 12);
		tag_ref(ref, pk[i]);
		own += xc_mailbox_match(tag, pk[i], 12);
		prefix += prefix_eq(tag, ref, 12);
		other12 += xc_mailbox_match(tag, other, 12);
		xc_mailbox_tag(tag, pk[i], 24);
		other24 += xc_mailbox_match(tag, other, 24);
		own += xc_mailbox_match(tag, pk[i], 24);
		prefix += prefix_eq(tag, ref, 24);
		/* k = 0: a random tag, matching every key. */
		xc_mailbox_tag(tag, pk[i], 0);
		k0 += xc_mailbox_match(tag, other, 0);
		/* The rest of a tag is random: two tags of one key differ. */
		xc_mailbox_tag(t2, pk[i], 12);
		xc_mailbox_tag(tag, pk[i], 12);
		same += memcmp(t2, tag, 8) == 0;
	}
	ok(own == 2 * NKEYS, "tags: k=12 and k=24 tags match their own key "
	    "(%zu of %d)", own, 2 * NKEYS);
	ok(prefix == 2 * NKEYS, "tags: the first k bits are BLAKE2b-64 of "
	    "\"xc-mailbox-tag-v1\\0\" || key (%zu of %d)", prefix, 2 * NKEYS);
	/* Another key matches a 12-bit tag with p = 1/4096: 2 expected of
	 * 8,192; more than 12 has probability below 1e-6. */
	ok(other12 <= 12, "tags: k=12 matches another key %zu times of %d "
	    "(about 2 expected)", other12, NKEYS);
	diag("k=12 false matches: %zu of %d (p = 1/4096)", other12, NKEYS);
	ok(other24 <= 1, "tags: k=24 matches another key %zu times of %d",
	    other24, NKEYS);
	ok(k0 == NKEYS, "tags: k=0 matches any key");
	ok(same == 0, "tags: the bits after the k-bit prefix are random");
	/* Exactly k bits count: flipping bit k-1 breaks a match at k,
	 * flipping bit k does not. */
	for (k = 1; k <= XC_MAX_TAG_BITS; k++) {
		xc_mailbox_tag(tag, pk[k], k);
		memcpy(t2, tag, 8);
		t2[(k - 1) / 8] ^= (uint8_t)(0x80 >> ((k - 1) % 8));
		if (!xc_mailbox_match(tag, pk[k], k) ||
		    xc_mailbox_match(t2, pk[k], k) ||
		    !xc_mailbox_match(t2, pk[k], k - 1))
			edge++;
		memcpy(t2, tag, 8);
		t2[k / 8] ^= (uint8_t)(0x80 >> (k % 8));
		if (!xc_mailbox_match(t2, pk[k], k))
			edge++;
	}
	ok(edge == 0, "tags: exactly the first k bits count, k = 1..24");
	free(pk);
}

/* ---- the xc-route stanza ---- */

static int
route(const char *a1, const char *a2, size_t nargs, size_t ntags,
    int twice, xc_route *r)
{
	static uint8_t body[(XC_MAX_RECIPIENTS + 1) * XC_TAG_LEN];
	static char t0[] = "X25519", t1[] = "xc-route", e[] = "c29tZQ";
	xc_stanza st[3];
	xc_header h;
	size_t i;

	memset(st, 0, sizeof st);
	for (i = 0; i < sizeof body; i++)
		body[i] = (uint8_t)i;
	st[0].args[0] = t0;
	st[0].args[1] = e;
	st[0].nargs = 2;
	st[0].body = body;
	st[0].bodylen = 32;
	for (i = 1; i < (twice ? 3u : 2u); i++) {
		st[i].args[0] = t1;
		st[i].args[1] = (char *)a1;
		st[i].args[2] = (char *)a2;
		st[i].args[3] = e;
		st[i].nargs = nargs;
		st[i].body = ntags ? body : NULL;
		st[i].bodylen = ntags * XC_TAG_LEN;
	}
	memset(&h, 0, sizeof h);
	h.st = st;
	h.nst = twice ? 3 : (nargs ? 2 : 1);
	return xc_route_get(&h, r);
}

static void
test_route(void)
{
	static const char *const badexp[] = { "-1", "01", "00", "abc", "",
	    "1e3", "+5", "-0", "+0", " 5", "5 ", "0x10", "1099511627777",
	    "99999999999999999999", "18446744073709551616", NULL };
	xc_route r;
	size_t i;

	ok(route("1", "0", 3, 1, 0, &r) == 0 && r.expires == 0 &&
	    r.ntags == 1 && r.tags[0][7] == 7, "route: one tag, no expiry");
	ok(route("1", "1795000000", 3, XC_MAX_RECIPIENTS, 0, &r) == 0 &&
	    r.expires == 1795000000 && r.ntags == XC_MAX_RECIPIENTS &&
	    r.tags[63][0] == (uint8_t)(63 * 8), "route: 64 tags, an expiry");
	ok(route("1", "1099511627776", 3, 2, 0, &r) == 0 &&
	    r.expires == (int64_t)1 << 40, "route: expiry 2^40");
	ok(route("1", "0", 0, 0, 0, &r) == XC_EHEADER, "route: none");
	ok(route("1", "0", 3, 1, 1, &r) == XC_EHEADER, "route: two");
	ok(route("1", "0", 2, 1, 0, &r) == XC_EHEADER, "route: 1 argument");
	ok(route("1", "0", 4, 1, 0, &r) == XC_EHEADER, "route: 3 arguments");
	ok(route("2", "0", 3, 1, 0, &r) == XC_EHEADER, "route: version 2");
	ok(route("01", "0", 3, 1, 0, &r) == XC_EHEADER, "route: version 01");
	ok(route("1", "0", 3, 0, 0, &r) == XC_EHEADER, "route: no tags");
	ok(route("1", "0", 3, XC_MAX_RECIPIENTS + 1, 0, &r) == XC_EHEADER,
	    "route: 65 tags");
	for (i = 0; badexp[i]; i++)
		ok(route("1", badexp[i], 3, 1, 0, &r) == XC_EHEADER,
		    "route: expiry '%s' refused", badexp[i]);
	{
		/* Tag bodies that are not a multiple of 8 bytes. */
		static char t1[] = "xc-route", v[] = "1", z[] = "0";
		uint8_t b[16] = { 0 };
		size_t n, bad = 0;
		for (n = 1; n < 16; n++) {
			xc_stanza st;
			xc_header h;
			if (n == 8)
				continue;
			memset(&st, 0, sizeof st);
			st.args[0] = t1;
			st.args[1] = v;
			st.args[2] = z;
			st.nargs = 3;
			st.body = b;
			st.bodylen = n;
			memset(&h, 0, sizeof h);
			h.st = &st;
			h.nst = 1;
			bad += xc_route_get(&h, &r) != XC_EHEADER;
		}
		ok(bad == 0, "route: bodies of 1-7 and 9-15 bytes refused");
	}
}

void
test_letter(void)
{
	test_padme();
	test_padded_letters();
	test_names();
	test_tags();
	test_route();
}
