/*
 * generate.c - writes the xc-card(5) test vectors into the directory named
 * by argv[1]: one NN-name.card file per case and a MANIFEST of verdicts
 * (see README).  Run by `make vectors`; the output is committed.
 *
 * This is a second implementation of the card's writing side, kept apart
 * from lib/card.c on purpose so that the vectors check the library rather
 * than echo it: the JSON is written here by its own code, and the signature
 * is computed from the RFC 8032 equations over libsodium's group and scalar
 * primitives, not with libsodium's crypto_sign_* signing functions.  Only
 * xc_b64_encode() and xc_age_recipient_encode() come from libxc; the unit
 * tests check both against published vectors.
 *
 * The signature scheme is pure Ed25519 (RFC 8032 §5.1.6, no prehash, no
 * context) over "xc-card-v1" NUL || JSON, as lib/card.c makes it with
 * crypto_sign_detached.  ed25519_sign() below is the only place that knows
 * it; a self-check against libsodium's verifier stops the run if the two
 * ever disagree.
 *
 * Everything is fixed: identity keys from the seeds 32 x 0x01 (alice) and
 * 32 x 0x02 (mallory), X25519 recipients from the secrets 32 x (0x40 + i),
 * and fixed times.  Two runs write identical bytes.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../../../lib/xc.h"

#define CAP 16384
#define NRCPT 10

/* Times: a card made at T0, valid until 2100-01-01.  Every verdict holds
 * at any time from T0 until 2096 (README), so the vectors can be
 * judged by the clock as well as at a fixed time. */
#define T0 1764000000
#define T_YEAR 1795536000
#define T_END 4102444800
#define T_FUTURE 4000000000	/* 2096-10-02 */

static const char magic[] = "xc-card-v1";	/* signed with its NUL */

static uint8_t alice_seed[32], alice_ik[32], mallory_seed[32], mallory_ik[32];
static char rcpt[NRCPT][XC_AGE_PUBLIC_MAX];
static const char *outdir;
static int nfile;
static char manifest[CAP * 2];
static size_t mlen;

static void die(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
static void add(char *buf, size_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "generate: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

/* ---- Ed25519ph from the RFC 8032 equations ---- */

static void
reduce32(uint8_t out[32], const uint8_t in[32])
{
	uint8_t wide[64] = { 0 };

	memcpy(wide, in, 32);
	crypto_core_ed25519_scalar_reduce(out, wide);
}

/* SHA-512(a || b || c) mod L. */
static void
hash_mod_l(uint8_t out[32], const uint8_t *a, size_t alen, const uint8_t *b,
    size_t blen, const uint8_t *c, size_t clen)
{
	crypto_hash_sha512_state st;
	uint8_t h[64];

	crypto_hash_sha512_init(&st);
	crypto_hash_sha512_update(&st, a, alen);
	crypto_hash_sha512_update(&st, b, blen);
	crypto_hash_sha512_update(&st, c, clen);
	crypto_hash_sha512_final(&st, h);
	crypto_core_ed25519_scalar_reduce(out, h);
}

/* Public key A = s * B, s the clamped first half of SHA-512(seed). */
static void
ed25519_public(uint8_t A[32], uint8_t s[32], uint8_t prefix[32],
    const uint8_t seed[32])
{
	uint8_t h[64];

	crypto_hash_sha512(h, seed, 32);
	h[0] &= 248;
	h[31] &= 127;
	h[31] |= 64;
	reduce32(s, h);		/* s mod L: the same multiple of B */
	memcpy(prefix, h + 32, 32);
	if (crypto_scalarmult_ed25519_base_noclamp(A, s) != 0)
		die("scalar multiplication failed");
}

/* RFC 8032 §5.1.6: r = H(prefix || M), R = rB, k = H(R || A || M),
 * S = r + k s mod L; the signature is R || S. */
static void
ed25519_sign(uint8_t sig[64], const uint8_t seed[32], const uint8_t *m,
    size_t mlen_)
{
	uint8_t A[32], s[32], prefix[32], r[32], k[32], ks[32];

	ed25519_public(A, s, prefix, seed);
	hash_mod_l(r, prefix, 32, m, mlen_, NULL, 0);
	if (crypto_scalarmult_ed25519_base_noclamp(sig, r) != 0)
		die("nonce is zero");
	hash_mod_l(k, sig, 32, A, 32, m, mlen_);
	crypto_core_ed25519_scalar_mul(ks, k, s);
	crypto_core_ed25519_scalar_add(sig + 32, r, ks);
	sodium_memzero(s, sizeof s);
	sodium_memzero(prefix, sizeof prefix);
}

/* The signed message: "xc-card-v1" NUL || JSON. */
static void
card_sign(uint8_t sig[64], const uint8_t seed[32], const char *json,
    size_t jlen)
{
	uint8_t *m = malloc(sizeof magic + jlen);

	if (m == NULL)
		die("out of memory");
	memcpy(m, magic, sizeof magic);
	memcpy(m + sizeof magic, json, jlen);
	ed25519_sign(sig, seed, m, sizeof magic + jlen);
	free(m);
}

/* libsodium's verifier must accept what ed25519_sign() made. */
static void
self_check(const uint8_t sig[64], const uint8_t ik[32], const char *json,
    size_t jlen)
{
	uint8_t *m = malloc(sizeof magic + jlen);

	if (m == NULL)
		die("out of memory");
	memcpy(m, magic, sizeof magic);
	memcpy(m + sizeof magic, json, jlen);
	if (crypto_sign_verify_detached(sig, m, sizeof magic + jlen, ik) != 0)
		die("self-check: libsodium rejects our Ed25519 signature");
	free(m);
}

/* ---- writing cards ---- */

struct key {
	int r;			/* index into rcpt[] */
	int64_t from, until;
};

struct fields {
	const char *handle;	/* written between quotes as it is */
	const uint8_t *ik;
	struct key enc[NRCPT];
	int nenc;
	int tag_bits;
	int64_t created, expires, seq;
	const uint8_t *prev;	/* NULL writes null */
};

/* The first card of @alice: what every case starts from. */
static struct fields
first(void)
{
	struct fields f;

	memset(&f, 0, sizeof f);
	f.handle = "alice";
	f.ik = alice_ik;
	f.enc[0] = (struct key){ 0, T0, T_YEAR };
	f.nenc = 1;
	f.tag_bits = 12;
	f.created = T0;
	f.expires = T_END;
	f.seq = 1;
	return f;
}

static void
add(char *buf, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int w;

	va_start(ap, fmt);
	w = vsnprintf(buf + *n, CAP - *n, fmt, ap);
	va_end(ap);
	if (w < 0 || (size_t)w >= CAP - *n)
		die("buffer overflow");
	*n += (size_t)w;
}

/* The JSON line in xc's field order, without its LF. */
static size_t
json_write(char *out, const struct fields *f)
{
	char b64[64];
	size_t n = 0;
	int i;

	xc_b64_encode(b64, f->ik, 32);
	add(out, &n, "{\"v\":1,\"handle\":\"%s\",\"ik\":\"%s\",\"enc\":[",
	    f->handle, b64);
	for (i = 0; i < f->nenc; i++)
		add(out, &n, "%s{\"age\":\"%s\",\"from\":%" PRId64
		    ",\"until\":%" PRId64 "}", i ? "," : "", rcpt[f->enc[i].r],
		    f->enc[i].from, f->enc[i].until);
	add(out, &n, "],\"tag_bits\":%d,\"created\":%" PRId64
	    ",\"expires\":%" PRId64 ",\"seq\":%" PRId64 ",\"prev\":",
	    f->tag_bits, f->created, f->expires, f->seq);
	if (f->prev != NULL) {
		xc_b64_encode(b64, f->prev, 32);
		add(out, &n, "\"%s\"}", b64);
	} else
		add(out, &n, "null}");
	return n;
}

/* Replaces the one occurrence of from in the NUL-terminated s. */
static size_t
replace(char *s, const char *from, const char *to)
{
	char *p = strstr(s, from), tail[CAP];

	if (p == NULL || strstr(p + 1, from) != NULL)
		die("'%s' does not occur exactly once", from);
	snprintf(tail, sizeof tail, "%s", p + strlen(from));
	if ((size_t)(p - s) + strlen(to) + strlen(tail) >= CAP)
		die("buffer overflow");
	sprintf(p, "%s%s", to, tail);
	return strlen(s);
}

/* Line 1 with line_ik and sig, then json and its LF. */
static size_t
assemble(char *card, const uint8_t line_ik[32], const uint8_t sig[64],
    const char *json, size_t jlen)
{
	char ik64[64], sig64[128];
	size_t n = 0;

	xc_b64_encode(ik64, line_ik, 32);
	xc_b64_encode(sig64, sig, 64);
	add(card, &n, "%s %s %s\n", magic, ik64, sig64);
	if (n + jlen + 1 >= CAP)
		die("buffer overflow");
	memcpy(card + n, json, jlen);
	n += jlen;
	card[n++] = '\n';
	card[n] = '\0';
	return n;
}

/* A card whose line 1 names the signer's key and whose signature verifies
 * over json: the usual case, valid or not in its JSON. */
static size_t
signed_card(char *card, const uint8_t seed[32], const uint8_t ik[32],
    const char *json, size_t jlen)
{
	uint8_t sig[64];

	card_sign(sig, seed, json, jlen);
	self_check(sig, ik, json, jlen);
	return assemble(card, ik, sig, json, jlen);
}

static size_t
alice_card(char *card, const char *json, size_t jlen)
{
	return signed_card(card, alice_seed, alice_ik, json, jlen);
}

/* Writes NN-name.card and its MANIFEST line; returns the file name. */
static const char *
emit(const char *name, const char *verdict, const char *prev,
    const char *card, size_t len)
{
	static char stems[100][64];
	char path[4096];
	char *stem;
	FILE *f;
	size_t w;

	if (nfile >= 99)
		die("too many vectors");
	stem = stems[++nfile];
	snprintf(stem, sizeof stems[0], "%02d-%s.card", nfile, name);
	snprintf(path, sizeof path, "%s/%s", outdir, stem);
	if ((f = fopen(path, "wb")) == NULL)
		die("cannot create '%s'", path);
	w = fwrite(card, 1, len, f);
	if (fclose(f) != 0 || w != len)
		die("cannot write '%s'", path);
	w = (size_t)snprintf(manifest + mlen, sizeof manifest - mlen,
	    "%s %s%s%s\n", stem, verdict, prev ? " prev=" : "",
	    prev ? prev : "");
	if (w >= sizeof manifest - mlen)
		die("manifest too long");
	mlen += w;
	return stem;
}

/* Emits a card signed by alice made from the fields. */
static const char *
emit_fields(const char *name, const char *verdict, const char *prev,
    const struct fields *fl)
{
	char json[CAP], card[CAP];
	size_t jlen = json_write(json, fl);

	return emit(name, verdict, prev, card, alice_card(card, json, jlen));
}

/* Emits a card signed by alice whose JSON is first()'s with one edit. */
static void
emit_edit(const char *name, const char *verdict, const char *from,
    const char *to)
{
	struct fields fl = first();
	char json[CAP], card[CAP];
	size_t jlen;

	json_write(json, &fl);
	jlen = replace(json, from, to);
	emit(name, verdict, NULL, card, alice_card(card, json, jlen));
}

/* Pads the JSON after its '{' with spaces so that the card is total
 * bytes long, and signs the result: only the size differs from valid. */
static void
emit_padded(const char *name, const char *verdict, size_t total)
{
	struct fields fl = first();
	char json[CAP], card[CAP], body[CAP];
	size_t jlen = json_write(json, &fl), base, pad;

	base = strlen(magic) + 1 + 43 + 1 + 86 + 1 + jlen + 1;
	if (total < base || total - base + jlen >= CAP)
		die("cannot pad to %zu", total);
	pad = total - base;
	body[0] = '{';
	memset(body + 1, ' ', pad);
	memcpy(body + 1 + pad, json + 1, jlen - 1);
	jlen += pad;
	if (alice_card(card, body, jlen) != total)
		die("padding went wrong");
	emit(name, verdict, NULL, card, total);
}

/* Sets the low bit of the base64 character *s (the last of a field, whose
 * low bits encode nothing, so decoding leniently gives the same bytes). */
static void
noncanonical(char *s)
{
	static const char a[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = strchr(a, *s);

	if (p == NULL || *s == '\0' || ((p - a) & 1))
		die("unexpected base64 character");
	*s = a[(p - a) | 1];
}

static void
keys(void)
{
	uint8_t sk[32], pk[32], s[32], prefix[32];
	int i;

	memset(alice_seed, 0x01, 32);
	memset(mallory_seed, 0x02, 32);
	ed25519_public(alice_ik, s, prefix, alice_seed);
	ed25519_public(mallory_ik, s, prefix, mallory_seed);
	/* The key the RFC 8032 equations give is libsodium's. */
	{
		uint8_t lpk[32], lsk[64];
		crypto_sign_seed_keypair(lpk, lsk, alice_seed);
		if (memcmp(lpk, alice_ik, 32) != 0)
			die("self-check: public keys differ");
		sodium_memzero(lsk, sizeof lsk);
	}
	for (i = 0; i < NRCPT; i++) {
		memset(sk, 0x40 + i, 32);
		if (crypto_scalarmult_base(pk, sk) != 0 ||
		    xc_age_recipient_encode(rcpt[i], sizeof rcpt[i], pk) != 0)
			die("cannot make recipient %d", i);
	}
}

int
main(int argc, char **argv)
{
	char json[CAP], card[CAP], c2[CAP], path[4096];
	uint8_t h1[32], other[32], sig[64], zero_ik[32];
	struct fields fl;
	const char *v1;
	size_t jlen, len, n1;
	FILE *f;
	int i;

	if (argc != 2) {
		fprintf(stderr, "usage: generate DIR\n");
		return 2;
	}
	outdir = argv[1];
	if (sodium_init() < 0)
		die("sodium_init failed");
	keys();
	mlen = (size_t)snprintf(manifest, sizeof manifest,
	    "# xc-card(5) test vectors: FILE VERDICT [prev=FILE]; see README.\n"
	    "# The verdicts hold at any time from %" PRId64 " to %" PRId64
	    ".\n", (int64_t)T0, (int64_t)T_FUTURE - 3600 - 1);

	/* Valid cards and chains. */
	fl = first();
	jlen = json_write(json, &fl);
	n1 = alice_card(card, json, jlen);
	crypto_hash_sha256(h1, (const uint8_t *)card, n1);
	v1 = emit("first", "ok", NULL, card, n1);

	fl = first();		/* the old key kept for a month's grace */
	fl.enc[0].until = T0 + 30 * 86400;
	fl.enc[1] = (struct key){ 1, T0 + 3600, T_YEAR + 3600 };
	fl.nenc = 2;
	fl.created = T0 + 3600;
	fl.seq = 2;
	fl.prev = h1;
	emit_fields("rotation", "ok", v1, &fl);

	memcpy(other, h1, 32);
	other[31] ^= 1;
	fl.prev = other;
	emit_fields("rotation-wrong-prev", "chain", v1, &fl);
	fl.prev = h1;
	fl.seq = 3;
	emit_fields("rotation-seq3", "chain", v1, &fl);
	fl.seq = 2;
	fl.ik = mallory_ik;	/* a well-formed card, but another key's */
	jlen = json_write(json, &fl);
	len = signed_card(card, mallory_seed, mallory_ik, json, jlen);
	emit("rotation-other-ik", "chain", v1, card, len);

	/* Signatures. */
	fl = first();
	jlen = json_write(json, &fl);
	card_sign(sig, alice_seed, json, jlen);
	sig[5] ^= 0x10;
	len = assemble(card, alice_ik, sig, json, jlen);
	emit("sig-bitflip", "sig", NULL, card, len);
	card_sign(sig, mallory_seed, json, jlen);
	len = assemble(card, alice_ik, sig, json, jlen);
	emit("sig-other-key", "sig", NULL, card, len);
	card_sign(sig, alice_seed, json, jlen);
	memcpy(c2, json, jlen + 1);
	len = replace(c2, "\"tag_bits\":12", "\"tag_bits\":13");
	len = assemble(card, alice_ik, sig, c2, len);
	emit("sig-json-changed", "sig", NULL, card, len);
	memset(sig, 0, 64);
	len = assemble(card, alice_ik, sig, json, jlen);
	emit("sig-zero", "sig", NULL, card, len);
	/* The identity point as key, R = identity and S = 0: an equation a
	 * verifier without the small-order checks accepts for any message. */
	memset(zero_ik, 0, 32);
	zero_ik[0] = 1;
	memset(sig, 0, 64);
	sig[0] = 1;
	fl.ik = zero_ik;
	jlen = json_write(json, &fl);
	len = assemble(card, zero_ik, sig, json, jlen);
	emit("sig-identity-key", "sig", NULL, card, len);

	/* The JSON names another key than line 1. */
	fl = first();
	fl.ik = mallory_ik;
	jlen = json_write(json, &fl);
	emit("ik-mismatch", "card", NULL, card, alice_card(card, json, jlen));

	/* Handles. */
	{
		static const struct {
			const char *name, *verdict, *handle;
		} h[] = {
			{ "handle-upper", "card", "Alice" },
			{ "handle-at", "card", "@alice" },
			{ "handle-33", "card",
			    "abcdefghijklmnopqrstuvwxyz_012345" },
			{ "handle-32", "ok",
			    "abcdefghijklmnopqrstuvwxyz_01234" },
			{ "handle-hyphen", "card", "a-b" },
			{ "handle-space", "card", "a b" },
			{ "handle-utf8", "card", "alic\xc3\xa9" },
			{ "handle-empty", "card", "" },
			{ "handle-nul", "card", "alice\\u0000x" },
			/* JSON escapes are the same string: accepted. */
			{ "handle-escaped", "ok", "\\u0061lice" },
		};
		for (i = 0; i < (int)(sizeof h / sizeof h[0]); i++) {
			fl = first();
			fl.handle = h[i].handle;
			emit_fields(h[i].name, h[i].verdict, NULL, &fl);
		}
	}

	/* Times. */
	fl = first();
	fl.created = 946684800;
	fl.expires = 1000000000;
	fl.enc[0] = (struct key){ 0, 946684800, 1000000000 };
	emit_fields("expired", "expired", NULL, &fl);
	fl = first();
	fl.created = T_FUTURE;
	emit_fields("created-future", "expired", NULL, &fl);
	fl = first();
	fl.expires = (int64_t)1 << 40;
	emit_fields("expires-2p40", "ok", NULL, &fl);
	fl.expires = ((int64_t)1 << 40) + 1;
	emit_fields("expires-over-2p40", "card", NULL, &fl);
	fl = first();
	fl.expires = fl.created;
	emit_fields("expires-eq-created", "card", NULL, &fl);
	emit_edit("created-2p53", "card", "\"created\":1764000000",
	    "\"created\":9007199254740992");

	/* Strict JSON. */
	emit_edit("dup-key", "card", "\"handle\":\"alice\"",
	    "\"handle\":\"alice\",\"handle\":\"mallory\"");
	emit_edit("case-variant-key", "card", "\"handle\":\"alice\"",
	    "\"handle\":\"alice\",\"Handle\":\"mallory\"");
	{
		char deep[128];
		size_t k = (size_t)snprintf(deep, sizeof deep, "\"v\":1,\"x\":");
		memset(deep + k, '[', 40);
		memset(deep + k + 40, ']', 40);
		deep[k + 80] = '\0';
		emit_edit("deep-nesting", "card", "\"v\":1", deep);
	}
	emit_edit("tag-bits-float", "card", "\"tag_bits\":12",
	    "\"tag_bits\":1.5");
	emit_edit("tag-bits-exponent", "card", "\"tag_bits\":12",
	    "\"tag_bits\":1e1");
	emit_edit("v-string", "card", "\"v\":1", "\"v\":\"1\"");
	emit_edit("unknown-field", "card", "\"v\":1", "\"v\":1,\"note\":\"hi\"");
	emit_edit("missing-field", "card", "\"tag_bits\":12,", "");
	emit_edit("enc-extra-field", "card", "\"until\":1795536000",
	    "\"until\":1795536000,\"x\":0");
	{
		/* Field order and whitespace other than LF are free; the
		 * signature covers them as written. */
		char ws[CAP];
		fl = first();
		json_write(json, &fl);
		jlen = 0;
		add(ws, &jlen, " {\"prev\":null,\"seq\":1,%s\t", json + 1);
		replace(ws, ",\"seq\":1,\"prev\":null}", "}");
		jlen = replace(ws, "\"v\":1,", "\"v\" : 1 ,\t");
		emit("json-reordered-spaced", "ok", NULL, card,
		    alice_card(card, ws, jlen));
		fl = first();
		jlen = json_write(json, &fl);
		json[jlen++] = '\r';
		json[jlen] = '\0';
		emit("json-cr-before-lf", "ok", NULL, card,
		    alice_card(card, json, jlen));
	}

	/* Fields. */
	emit_edit("v2", "card", "\"v\":1", "\"v\":2");
	fl = first();
	fl.seq = 0;
	emit_fields("seq0", "card", NULL, &fl);
	fl = first();
	fl.prev = h1;
	emit_fields("seq1-with-prev", "card", NULL, &fl);
	fl = first();
	fl.seq = 2;
	emit_fields("seq2-prev-null", "card", NULL, &fl);
	{
		char b31[64], p[80];
		xc_b64_encode(b31, h1, 31);
		snprintf(p, sizeof p, "\"prev\":\"%s\"", b31);
		fl = first();
		fl.seq = 2;
		fl.prev = h1;
		jlen = json_write(json, &fl);
		xc_b64_encode(b31, h1, 32);
		snprintf(c2, sizeof c2, "\"prev\":\"%s\"", b31);
		jlen = replace(json, c2, p);
		emit("prev-31-bytes", "card", NULL, card,
		    alice_card(card, json, jlen));
	}
	fl = first();
	fl.tag_bits = 25;
	emit_fields("tag-bits-25", "card", NULL, &fl);
	fl.tag_bits = 24;
	emit_fields("tag-bits-24", "ok", NULL, &fl);
	fl.tag_bits = 0;
	emit_fields("tag-bits-0", "ok", NULL, &fl);
	fl.tag_bits = -1;
	emit_fields("tag-bits-negative", "card", NULL, &fl);
	fl = first();
	fl.nenc = 0;
	emit_fields("enc-empty", "card", NULL, &fl);
	for (i = 0; i < NRCPT; i++)
		fl.enc[i] = (struct key){ i, T0, T_YEAR };
	fl.nenc = 8;
	emit_fields("enc-8", "ok", NULL, &fl);
	fl.nenc = 9;
	emit_fields("enc-9", "card", NULL, &fl);
	fl = first();
	fl.enc[0].until = fl.enc[0].from;
	emit_fields("enc-from-eq-until", "card", NULL, &fl);
	fl.enc[0].until = fl.enc[0].from - 1;
	emit_fields("enc-from-gt-until", "card", NULL, &fl);
	fl = first();
	fl.enc[0].from = -1;
	emit_fields("enc-from-negative", "card", NULL, &fl);
	{
		char bad[XC_AGE_PUBLIC_MAX], up[XC_AGE_PUBLIC_MAX];
		snprintf(bad, sizeof bad, "%s", rcpt[0]);
		bad[10] = bad[10] == 'q' ? 'p' : 'q';	/* checksum fails */
		emit_edit("age-bad-checksum", "card", rcpt[0], bad);
		for (i = 0; rcpt[0][i]; i++)
			up[i] = (char)(rcpt[0][i] >= 'a' && rcpt[0][i] <= 'z' ?
			    rcpt[0][i] - 32 : rcpt[0][i]);
		up[i] = '\0';
		emit_edit("age-upper-case", "card", rcpt[0], up);
	}

	/* Shape of the file. */
	fl = first();
	jlen = json_write(json, &fl);
	len = alice_card(card, json, jlen);
	memcpy(c2, card, len);
	memcpy(c2 + len, "junk", 4);
	emit("trailing-bytes", "card", NULL, c2, len + 4);
	emit("no-final-lf", "card", NULL, card, len - 1);
	memcpy(c2 + len, "{}\n", 3);
	emit("three-lines", "card", NULL, c2, len + 3);
	memcpy(c2, card, len);
	memmove(c2 + 142, c2 + 141, len - 141);
	c2[141] = '\r';
	emit("line1-crlf", "card", NULL, c2, len + 1);
	memcpy(c2, card, len);
	c2[9] = '2';
	emit("magic-v2", "card", NULL, c2, len);
	memcpy(c2, card, len);
	noncanonical(c2 + 11 + 42);
	emit("b64-ik-noncanonical", "card", NULL, c2, len);
	memcpy(c2, card, len);
	noncanonical(c2 + 11 + 43 + 1 + 85);
	emit("b64-sig-noncanonical", "card", NULL, c2, len);
	emit_padded("size-8192", "ok", XC_MAX_CARD);
	emit_padded("size-8193", "card", XC_MAX_CARD + 1);
	emit_padded("oversize-9000", "card", 9000);

	/* "reach": where the owner fetches, as config server lines have it,
	 * in canonical form only. */
	{
		const char *end = "\"prev\":null}";
		char r[CAP], pin[80];
		size_t n;

		snprintf(pin, sizeof pin, "SHA256:%043d", 0);
		for (i = 7; i < 50; i++)
			pin[i] = 'A';
		snprintf(r, sizeof r, "\"prev\":null,\"reach\":["
		    "{\"url\":\"nntps://n1.example.org:563\",\"pin\":\"%s\"},"
		    "{\"url\":\"nntp://[::1]:119\",\"starttls\":true},"
		    "{\"url\":\"nntp://abcdefghijklmnop.onion:119\"}]}", pin);
		emit_edit("reach", "ok", end, r);
		for (n = 0, i = 1; i <= 9; i++) {
			add(r, &n, "%s{\"url\":\"nntp://h%d.example.org:119\"}",
			    i == 1 ? "\"prev\":null,\"reach\":[" : ",", i);
			if (i == 8) {
				add(r, &n, "]}");
				emit_edit("reach-8", "ok", end, r);
				n -= 2;
			}
		}
		add(r, &n, "]}");
		emit_edit("reach-9", "card", end, r);
		emit_edit("reach-empty", "card", end,
		    "\"prev\":null,\"reach\":[]}");
		emit_edit("reach-null", "card", end,
		    "\"prev\":null,\"reach\":null}");
		emit_edit("reach-bad-url", "card", end, "\"prev\":null,"
		    "\"reach\":[{\"url\":\"http://example.org:80\"}]}");
		emit_edit("reach-noncanonical-url", "card", end, "\"prev\":null,"
		    "\"reach\":[{\"url\":\"nntp://Example.org\"}]}");
		snprintf(r, sizeof r, "\"prev\":null,\"reach\":[{\"url\":"
		    "\"nntp://example.org:119\",\"pin\":\"%s\"}]}", pin);
		emit_edit("reach-pin-plain", "card", end, r);
		snprintf(r, sizeof r, "\"prev\":null,\"reach\":[{\"url\":"
		    "\"nntps://example.org:563\",\"pin\":\"SHA256:%064d\"}]}",
		    0);
		emit_edit("reach-pin-hex", "card", end, r);
		emit_edit("reach-starttls-nntps", "card", end, "\"prev\":null,"
		    "\"reach\":[{\"url\":\"nntps://example.org:563\","
		    "\"starttls\":true}]}");
		emit_edit("reach-starttls-false", "card", end, "\"prev\":null,"
		    "\"reach\":[{\"url\":\"nntp://example.org:119\","
		    "\"starttls\":false}]}");
		emit_edit("reach-unknown-member", "card", end, "\"prev\":null,"
		    "\"reach\":[{\"url\":\"nntps://example.org:563\","
		    "\"note\":\"hi\"}]}");
		emit_edit("reach-twice", "card", end, "\"prev\":null,"
		    "\"reach\":[{\"url\":\"nntp://example.org:119\"},"
		    "{\"url\":\"nntp://example.org:119\"}]}");
	}

	snprintf(path, sizeof path, "%s/MANIFEST", outdir);
	if ((f = fopen(path, "wb")) == NULL)
		die("cannot create '%s'", path);
	if (fwrite(manifest, 1, mlen, f) != mlen || fclose(f) != 0)
		die("cannot write '%s'", path);
	printf("generate: %d cards in %s\n", nfile, outdir);
	return 0;
}
