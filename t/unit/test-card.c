/*
 * test-card.c - handles and cards (xc-card(5)): every file of
 * t/vectors/card/ judged as its MANIFEST says, the writer against the
 * vectors' independent signer byte for byte, handle normalisation, a sign
 * and parse round trip, every one-bit flip and every truncation of a real
 * card refused, and fingerprints and safety numbers (shape, symmetry and a
 * known answer computed outside libxc).
 *
 * The vectors are read relative to the project root, where t/0010-unit.t
 * runs this binary.  A missing MANIFEST is a failure, not a skip.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../../lib/xc.h"
#include "unit.h"

#define VECDIR "t/vectors/card"
#define T0 1764000000
/* The vectors' verdicts hold at any time in [T0, 4000000000 - 3601]. */
static const int64_t nows[] = { T0, T0 + 86400, 4000000000 - 3601 };
#define MAX_FILE (64 * 1024)

/* Reads a whole file into an exactly sized buffer, so that ASan sees any
 * read past the card's length. */
static char *
slurp(const char *path, size_t *len)
{
	char tmp[MAX_FILE], *buf;
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL)
		return NULL;
	n = fread(tmp, 1, sizeof tmp, f);
	if (ferror(f) || n == sizeof tmp) {
		fclose(f);
		return NULL;
	}
	fclose(f);
	if ((buf = malloc(n ? n : 1)) == NULL)
		return NULL;
	memcpy(buf, tmp, n);
	*len = n;
	return buf;
}

static const char *
word(int rc)
{
	switch (rc) {
	case 0: return "ok";
	case XC_ESIG: return "sig";
	case XC_ECARD: case XC_EJSON: case XC_ELIMIT: return "card";
	case XC_EEXPIRED: return "expired";
	case XC_ECHAIN: return "chain";
	}
	return "other-error";
}

/* Parses VECDIR/name into c; the code of xc_card_parse, or a code
 * no verdict uses when the file cannot be read. */
static int
load(xc_card *c, const char *name)
{
	char path[512];
	char *buf;
	size_t len;
	int rc;

	snprintf(path, sizeof path, VECDIR "/%s", name);
	if ((buf = slurp(path, &len)) == NULL) {
		diag("cannot read '%s'", path);
		return XC_EREAD;
	}
	rc = xc_card_parse(c, buf, len);
	if (rc == 0) {
		uint8_t h[32];
		crypto_hash_sha256(h, (const uint8_t *)buf, len);
		if (memcmp(h, c->hash, 32) != 0) {
			diag("%s: hash is not SHA-256 of the card", name);
			rc = XC_EINVAL;
		}
	}
	free(buf);
	return rc;
}

/* The verdict of one vector: parse, then time at now, then the chain. */
static const char *
judge(const char *name, const char *prevname, int64_t now)
{
	xc_card c, p;
	int rc;

	if ((rc = load(&c, name)) < 0)
		return word(rc);
	if ((rc = xc_card_check_time(&c, now)) < 0)
		return word(rc);
	if (prevname != NULL) {
		if (load(&p, prevname) != 0) {
			diag("%s: predecessor %s is not a valid card", name,
			    prevname);
			return "bad-predecessor";
		}
		if ((rc = xc_card_check_chain(&p, &c)) < 0)
			return word(rc);
	}
	return "ok";
}

static void
vectors(void)
{
	static const char *const words[] = { "ok", "sig", "card", "expired",
	    "chain" };
	size_t count[5] = { 0 }, n = 0, i, j;
	char line[512], name[128], verdict[32], prev[140];
	FILE *f = fopen(VECDIR "/MANIFEST", "r");
	int all = 1, fields;

	if (!ok(f != NULL, "card vectors: " VECDIR "/MANIFEST is readable"))
		return;
	while (fgets(line, sizeof line, f) != NULL) {
		const char *got = "", *pv = NULL;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		prev[0] = '\0';
		fields = sscanf(line, "%127s %31s %139s", name, verdict, prev);
		if (fields < 2 || (fields == 3 &&
		    strncmp(prev, "prev=", 5) != 0)) {
			ok(0, "card vectors: MANIFEST line '%.*s'",
			    (int)strcspn(line, "\n"), line);
			all = 0;
			continue;
		}
		if (fields == 3)
			pv = prev + 5;
		for (i = 0; i < 5 && strcmp(words[i], verdict) != 0; i++)
			;
		if (i == 5) {
			ok(0, "card vector %s: unknown verdict '%s'", name,
			    verdict);
			all = 0;
			continue;
		}
		count[i]++;
		n++;
		for (j = 0; j < sizeof nows / sizeof nows[0]; j++) {
			got = judge(name, pv, nows[j]);
			if (strcmp(got, verdict) != 0)
				break;
		}
		all &= ok(j == sizeof nows / sizeof nows[0],
		    "card vector %s: %s%s%s", name, verdict,
		    j < sizeof nows / sizeof nows[0] ? ", got " : "",
		    j < sizeof nows / sizeof nows[0] ? got : "");
	}
	fclose(f);
	diag("card vectors: %zu in all: %zu ok, %zu sig, %zu card, "
	    "%zu expired, %zu chain", n, count[0], count[1], count[2],
	    count[3], count[4]);
	ok(n >= 60 && count[0] && count[1] && count[2] && count[3] &&
	    count[4] && all, "card vectors: at least 60, every verdict "
	    "present, all as expected");
}

/* The vectors' keys: identity seeds 32 x 0x01 (alice) and 32 x 0x02, and
 * X25519 recipients from the secrets 32 x (0x40 + i). */
static void
alice(xc_card *c, uint8_t seed[32])
{
	uint8_t sk[32], pk[64];

	memset(c, 0, sizeof *c);
	memset(seed, 0x01, 32);
	crypto_sign_seed_keypair(c->ik, pk, seed);
	sodium_memzero(pk, sizeof pk);
	strcpy(c->handle, "alice");
	memset(sk, 0x40, 32);
	crypto_scalarmult_base(c->enc[0].pk, sk);
	c->enc[0].from = T0;
	c->enc[0].until = 1795536000;
	c->nenc = 1;
	c->tag_bits = 12;
	c->created = T0;
	c->expires = 4102444800;
	c->seq = 1;
}

/* xc_card_sign is deterministic, so it must write the vectors' bytes. */
static void
writer(void)
{
	xc_card c;
	uint8_t seed[32], sk[32], h1[32];
	char *out = NULL, *want;
	size_t len = 0, wlen;

	alice(&c, seed);
	want = slurp(VECDIR "/01-first.card", &wlen);
	ok(xc_card_sign(&c, seed, &out, &len) == 0 && want != NULL &&
	    len == wlen && memcmp(out, want, len) == 0,
	    "card writer: xc_card_sign writes 01-first.card byte for byte");
	free(out);
	free(want);

	want = slurp(VECDIR "/01-first.card", &wlen);
	if (want != NULL)
		crypto_hash_sha256(h1, (const uint8_t *)want, wlen);
	free(want);
	alice(&c, seed);
	c.enc[0].until = T0 + 30 * 86400;
	memset(sk, 0x41, 32);
	crypto_scalarmult_base(c.enc[1].pk, sk);
	c.enc[1].from = T0 + 3600;
	c.enc[1].until = 1795536000 + 3600;
	c.nenc = 2;
	c.created = T0 + 3600;
	c.seq = 2;
	c.has_prev = 1;
	memcpy(c.prev, h1, 32);
	out = NULL;
	want = slurp(VECDIR "/02-rotation.card", &wlen);
	ok(xc_card_sign(&c, seed, &out, &len) == 0 && want != NULL &&
	    len == wlen && memcmp(out, want, len) == 0,
	    "card writer: xc_card_sign writes 02-rotation.card byte for byte");
	free(out);
	free(want);
}

/* "reach": written last, in the order given, and read back as written;
 * the writer refuses a list a reader would refuse. */
static void
reach(void)
{
	xc_card c, back;
	uint8_t seed[32];
	char *out = NULL, *want;
	size_t len = 0, wlen;

	alice(&c, seed);
	c.nreach = 3;
	strcpy(c.reach[0].url, "nntps://n1.example.org:563");
	strcpy(c.reach[0].pin, "SHA256:"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	strcpy(c.reach[1].url, "nntp://[::1]:119");
	c.reach[1].starttls = 1;
	strcpy(c.reach[2].url, "nntp://abcdefghijklmnop.onion:119");
	want = slurp(VECDIR "/66-reach.card", &wlen);
	ok(xc_card_sign(&c, seed, &out, &len) == 0 && want != NULL &&
	    len == wlen && memcmp(out, want, len) == 0,
	    "card reach: xc_card_sign writes 66-reach.card byte for byte");
	ok(out != NULL && xc_card_parse(&back, out, len) == 0 &&
	    back.nreach == 3 && strcmp(back.reach[0].pin, c.reach[0].pin) == 0 &&
	    !back.reach[0].starttls && back.reach[1].starttls &&
	    back.reach[1].pin[0] == '\0' &&
	    strcmp(back.reach[2].url, c.reach[2].url) == 0,
	    "card reach: read back, server by server");
	free(out);
	free(want);
	out = NULL;
	strcpy(c.reach[2].url, "nntp://Example.org");
	ok(xc_card_sign(&c, seed, &out, &len) == XC_EINVAL && out == NULL,
	    "card reach: the writer refuses a URL not in canonical form");
	strcpy(c.reach[2].url, "nntp://example.org:119");
	strcpy(c.reach[2].pin, c.reach[0].pin);
	ok(xc_card_sign(&c, seed, &out, &len) == XC_EINVAL && out == NULL,
	    "card reach: ... and a pin on a plaintext server");
	c.reach[2].pin[0] = '\0';
	strcpy(c.reach[2].url, c.reach[0].url);
	ok(xc_card_sign(&c, seed, &out, &len) == XC_EINVAL && out == NULL,
	    "card reach: ... and a server listed twice");
	c.nreach = XC_MAX_REACH + 1;
	ok(xc_card_sign(&c, seed, &out, &len) == XC_EINVAL && out == NULL,
	    "card reach: ... and more than %d servers", XC_MAX_REACH);
	alice(&c, seed);
	ok(xc_card_sign(&c, seed, &out, &len) == 0 &&
	    strstr(out, "reach") == NULL,
	    "card reach: absent from a card that lists no server");
	free(out);
}

static void
handles(void)
{
	static const char *const good[][2] = {
		{ "alice", "alice" }, { "@alice", "alice" },
		{ "@Alice", "alice" }, { "ALICE", "alice" }, { "a_1", "a_1" },
		{ "_", "_" }, { "0", "0" },
		{ "abcdefghijklmnopqrstuvwxyz_01234",
		    "abcdefghijklmnopqrstuvwxyz_01234" },
		{ "@abcdefghijklmnopqrstuvwxyz_01234",
		    "abcdefghijklmnopqrstuvwxyz_01234" },
	};
	static const char *const bad[] = {
		"", "@", "@@alice", "abcdefghijklmnopqrstuvwxyz_012345",
		"a-b", "a b", "\xc3\xa9", "alice\n", "alice.", "al@ice",
	};
	char out[XC_HANDLE_MAX + 1];
	size_t i;

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		memset(out, 'x', sizeof out);
		ok(xc_handle_norm(out, good[i][0], strlen(good[i][0])) == 0 &&
		    strcmp(out, good[i][1]) == 0,
		    "handle '%s' is '%s'", good[i][0], good[i][1]);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ok(xc_handle_norm(out, bad[i], strlen(bad[i])) == XC_EINVAL,
		    "handle '%.*s' (%zu bytes) is refused",
		    (int)strcspn(bad[i], "\n"), bad[i], strlen(bad[i]));
	ok(xc_handle_norm(out, "alice\0x", 7) == XC_EINVAL,
	    "handle with a NUL inside its length is refused");
}

/* A card with three keys, a predecessor and unusual values in every
 * field, signed by alice's key. */
static int
make(xc_card *c, uint8_t seed[32], char **out, size_t *len)
{
	uint8_t sk[32];
	size_t i;

	alice(c, seed);
	strcpy(c->handle, "a_very_long_handle_of_32_chars_9");
	for (i = 0; i < 3; i++) {
		memset(sk, 0x50 + (int)i, 32);
		crypto_scalarmult_base(c->enc[i].pk, sk);
		c->enc[i].from = (int64_t)i * 1000;
		c->enc[i].until = ((int64_t)1 << 40) - (int64_t)i;
	}
	c->nenc = 3;
	c->tag_bits = 24;
	c->created = 0;
	c->expires = (int64_t)1 << 40;
	c->seq = 123456789;
	c->has_prev = 1;
	for (i = 0; i < 32; i++)
		c->prev[i] = (uint8_t)(0xa0 + i);
	return xc_card_sign(c, seed, out, len);
}

static void
roundtrip(void)
{
	xc_card want, c, d;
	uint8_t seed[32], h[32];
	char *out = NULL;
	size_t len = 0, i;
	int same;

	if (!ok(make(&c, seed, &out, &len) == 0, "card sign: signs"))
		return;
	alice(&want, seed);	/* for the identity key */
	ok(xc_card_parse(&d, out, len) == 0, "card sign: the card parses");
	same = strcmp(d.handle, "a_very_long_handle_of_32_chars_9") == 0 &&
	    memcmp(d.ik, want.ik, 32) == 0 && d.nenc == 3 &&
	    d.tag_bits == 24 && d.created == 0 &&
	    d.expires == (int64_t)1 << 40 && d.seq == 123456789 &&
	    d.has_prev == 1;
	for (i = 0; i < 3; i++) {
		uint8_t sk[32], pk[32];
		memset(sk, 0x50 + (int)i, 32);
		crypto_scalarmult_base(pk, sk);
		same &= memcmp(d.enc[i].pk, pk, 32) == 0 &&
		    d.enc[i].from == (int64_t)i * 1000 &&
		    d.enc[i].until == ((int64_t)1 << 40) - (int64_t)i;
	}
	for (i = 0; i < 32; i++)
		same &= d.prev[i] == (uint8_t)(0xa0 + i);
	ok(same, "card sign: every field reads back as written");
	crypto_hash_sha256(h, (const uint8_t *)out, len);
	ok(memcmp(d.hash, h, 32) == 0 && memcmp(c.hash, h, 32) == 0,
	    "card sign: the hash is SHA-256 of the card's bytes");
	ok(memcmp(&c, &d, sizeof c) == 0,
	    "card sign: the signer's struct equals the parsed one");
	ok(len < XC_MAX_CARD && out[len - 1] == '\n' &&
	    memchr(out, '\n', len - 1) == out + 141,
	    "card sign: two lines, the first of 142 bytes");
	free(out);

	/* Refusals: wrong key, and fields the format does not allow. */
	alice(&c, seed);
	seed[0] ^= 1;
	ok(xc_card_sign(&c, seed, &out, &len) == XC_EINVAL,
	    "card sign: refuses a seed that is not the card's key");
	alice(&c, seed);
	c.nenc = 0;
	ok(xc_card_sign(&c, seed, &out, &len) == XC_EINVAL,
	    "card sign: refuses a card without keys");
	alice(&c, seed);
	c.has_prev = 1;
	ok(xc_card_sign(&c, seed, &out, &len) == XC_EINVAL,
	    "card sign: refuses a first card with a predecessor");
	alice(&c, seed);
	strcpy(c.handle, "Alice");
	ok(xc_card_sign(&c, seed, &out, &len) == XC_EINVAL,
	    "card sign: refuses a handle that is not canonical");
	alice(&c, seed);
	c.enc[0].until = c.enc[0].from;
	ok(xc_card_sign(&c, seed, &out, &len) < 0,
	    "card sign: refuses a key valid until it is valid from");
	alice(&c, seed);
	c.tag_bits = XC_MAX_TAG_BITS + 1;
	ok(xc_card_sign(&c, seed, &out, &len) == XC_EINVAL,
	    "card sign: refuses tag_bits above %d", XC_MAX_TAG_BITS);
}

/* Every one-bit change and every proper prefix of a real card is refused,
 * and only for the signature or the shape. */
static void
tamper(void)
{
	xc_card c;
	uint8_t seed[32];
	char *card = NULL, *buf;
	size_t len = 0, i, nsig = 0, ncard = 0, nbad = 0, ntr = 0;
	int rc;

	if (!ok(make(&c, seed, &card, &len) == 0, "card tamper: signed"))
		return;
	buf = malloc(len);
	for (i = 0; i < len * 8; i++) {
		memcpy(buf, card, len);
		buf[i / 8] = (char)(buf[i / 8] ^ (1 << (i % 8)));
		rc = xc_card_parse(&c, buf, len);
		if (rc == XC_ESIG)
			nsig++;
		else if (rc == XC_ECARD)
			ncard++;
		else {
			if (nbad++ < 5)
				diag("bit %zu: %s", i, word(rc));
		}
	}
	diag("%zu one-bit flips: %zu XC_ESIG, %zu XC_ECARD", len * 8, nsig,
	    ncard);
	ok(nbad == 0 && nsig + ncard == len * 8,
	    "card tamper: all %zu one-bit flips refused (XC_ESIG or XC_ECARD)",
	    len * 8);
	for (i = 0; i < len; i++) {
		char *t = malloc(i ? i : 1);
		memcpy(t, card, i);
		rc = xc_card_parse(&c, t, i);
		if (rc == XC_ECARD || rc == XC_ESIG)
			ntr++;
		free(t);
	}
	ok(ntr == len, "card tamper: all %zu truncations refused", len);
	memcpy(buf, card, len);
	ok(xc_card_parse(&c, buf, len) == 0,
	    "card tamper: the untouched card still parses");
	free(buf);
	free(card);
}

static void
prints(void)
{
	static const char label[] = "xc-fingerprint-v1";
	uint8_t seed[32], ik[32], sk[64], h[32], m[256];
	char fp[XC_FINGERPRINT_LEN + 1], want[XC_FINGERPRINT_LEN + 1];
	char s1[XC_SAFETY_LEN + 1], s2[XC_SAFETY_LEN + 1];
	xc_card a, b;
	size_t i, k = 0, n = 0;
	int shape = 1;

	memset(seed, 0x01, 32);
	crypto_sign_seed_keypair(ik, sk, seed);
	memset(fp, 'x', sizeof fp);
	xc_fingerprint(fp, "alice", ik);
	for (i = 0; i < sizeof fp; i++)
		shape &= i == XC_FINGERPRINT_LEN ? fp[i] == '\0' :
		    i % 6 == 5 ? fp[i] == ' ' : (fp[i] >= '0' && fp[i] <= '9');
	ok(shape && strlen(fp) == 35,
	    "fingerprint: 35 characters, 6 groups of 5 digits");

	/* The algorithm of xc-card(5), with SHA-256 called directly. */
	memcpy(m + n, label, sizeof label);
	n += sizeof label;
	memcpy(m + n, "alice", 6);
	n += 6;
	memcpy(m + n, ik, 32);
	n += 32;
	crypto_hash_sha256(h, m, n);
	for (i = 0; i < 6; i++) {
		uint64_t v = 0;
		size_t j;
		for (j = 0; j < 5; j++)
			v = v << 8 | h[5 * i + j];
		k += (size_t)snprintf(want + k, sizeof want - k, "%s%05u",
		    i ? " " : "", (unsigned)(v % 100000));
	}
	ok(strcmp(fp, want) == 0, "fingerprint: matches the algorithm "
	    "computed here (%s)", want);
	/* Computed with Python's hashlib and the RFC 8032 key of the seed. */
	ok(strcmp(fp, "60254 26328 66483 14360 45789 41030") == 0,
	    "fingerprint: known answer for @alice, seed 32 x 0x01");

	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	strcpy(a.handle, "alice");
	memcpy(a.ik, ik, 32);
	memset(seed, 0x02, 32);
	strcpy(b.handle, "bob");
	crypto_sign_seed_keypair(b.ik, sk, seed);
	sodium_memzero(sk, sizeof sk);
	xc_safety_number(s1, &a, &b);
	xc_safety_number(s2, &b, &a);
	ok(strcmp(s1, s2) == 0, "safety number: the same on both sides");
	ok(strlen(s1) == XC_SAFETY_LEN && s1[35] == ' ',
	    "safety number: 71 characters");
	ok(strcmp(s1, "03486 85488 31602 06656 19586 52400 "
	    "60254 26328 66483 14360 45789 41030") == 0,
	    "safety number: known answer for @alice and @bob, smaller first");
	b.ik[7] ^= 1;
	xc_safety_number(s2, &a, &b);
	ok(strcmp(s1, s2) != 0, "safety number: changes with a key");
	b.ik[7] ^= 1;
	strcpy(b.handle, "bob2");
	xc_safety_number(s2, &b, &a);
	ok(strcmp(s1, s2) != 0, "safety number: changes with a handle");
	xc_safety_number(s2, &a, &a);
	ok(strlen(s2) == XC_SAFETY_LEN && strncmp(s2, s2 + 36, 35) == 0,
	    "safety number: with oneself, the fingerprint twice");
}

static void
times(void)
{
	xc_card c;
	uint8_t seed[32];

	alice(&c, seed);
	c.created = 1000;
	c.expires = 2000;
	ok(xc_card_check_time(&c, 1999) == 0 &&
	    xc_card_check_time(&c, 2000) == XC_EEXPIRED &&
	    xc_card_check_time(&c, 1000 - 3600) == 0 &&
	    xc_card_check_time(&c, 1000 - 3601) == XC_EEXPIRED,
	    "card time: expires at 'expires', 1 h of skew on 'created'");
}

/* xc_card_check_chain on cards made by the writer. */
static void
chains(void)
{
	xc_card a, b;
	uint8_t seed[32];
	char *out = NULL;
	size_t len;

	alice(&a, seed);
	if (!ok(xc_card_sign(&a, seed, &out, &len) == 0, "card chain: first"))
		return;
	free(out);
	alice(&b, seed);
	b.seq = 2;
	b.has_prev = 1;
	memcpy(b.prev, a.hash, 32);
	if (!ok(xc_card_sign(&b, seed, &out, &len) == 0, "card chain: second"))
		return;
	free(out);
	ok(xc_card_check_chain(&a, &b) == 0, "card chain: seq 2 follows seq 1");
	ok(xc_card_check_chain(&b, &a) == XC_ECHAIN &&
	    xc_card_check_chain(&a, &a) == XC_ECHAIN &&
	    xc_card_check_chain(&b, &b) == XC_ECHAIN,
	    "card chain: not backwards, not onto itself");
	strcpy(b.handle, "alicia");
	if (!ok(xc_card_sign(&b, seed, &out, &len) == 0,
	    "card chain: second, under another handle"))
		return;
	free(out);
	ok(xc_card_check_chain(&a, &b) == XC_ECHAIN,
	    "card chain: the handle may not change");
}

void
test_card(void)
{
	vectors();
	writer();
	reach();
	handles();
	roundtrip();
	tamper();
	prints();
	times();
	chains();
}
