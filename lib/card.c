/*
 * card.c - handles and cards: the signed statement "handle H has identity
 * key I and encryption keys E1..En", chained across rotations (xc-card(5)).
 *
 * Order of work on an untrusted card, so that general-purpose parsers only
 * see authenticated, bounded input: size cap; the fixed first line (magic,
 * identity key, signature) in canonical base64; the Ed25519 signature over
 * "xc-card-v1" NUL || JSON; only then the strict JSON check and cJSON; then
 * every field, with no field missing, unknown or out of range (reach, the
 * servers where the owner fetches, is the one optional field).  The JSON is
 * written by hand in a fixed order (never by cJSON's printer, which
 * rewrites integers as doubles) and signed as written.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "xc.h"

static const char magic[] = "xc-card-v1";
#define IK_B64 43
#define SIG_B64 86
#define LINE1 (sizeof magic - 1 + 1 + IK_B64 + 1 + SIG_B64 + 1)

int
xc_handle_norm(char out[XC_HANDLE_MAX + 1], const char *in, size_t len)
{
	size_t i;

	if (len > 0 && in[0] == '@') {
		in++;
		len--;
	}
	if (len == 0 || len > XC_HANDLE_MAX)
		return xc_fail(XC_EINVAL, "a handle is 1 to 32 characters");
	for (i = 0; i < len; i++) {
		char c = in[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '_'))
			return xc_fail(XC_EINVAL,
			    "a handle has only letters, digits and '_'");
		out[i] = c;
	}
	out[len] = '\0';
	return 0;
}

/* The signed message, "xc-card-v1" NUL || JSON, in one buffer: pure
 * Ed25519 (libsodium's multi-part API would be Ed25519ph). */
static uint8_t *
sig_message(const char *json, size_t len)
{
	uint8_t *m = malloc(sizeof magic + len);

	if (m != NULL) {
		memcpy(m, magic, sizeof magic);
		memcpy(m + sizeof magic, json, len);
	}
	return m;
}

/* Appends to a fixed buffer; *n past cap marks an overflow. */
static void
put(char *buf, size_t cap, size_t *n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
put(char *buf, size_t cap, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (*n >= cap)
		return;
	va_start(ap, fmt);
	w = vsnprintf(buf + *n, cap - *n, fmt, ap);
	va_end(ap);
	*n = w < 0 ? cap : *n + (size_t)w;
}

int
xc_card_sign(xc_card *c, const uint8_t *seed, char **out, size_t *outlen)
{
	char ik64[IK_B64 + 1], sig64[SIG_B64 + 1], prev64[IK_B64 + 1];
	char *json = NULL, *card = NULL, rcpt[XC_AGE_PUBLIC_MAX];
	char h[XC_HANDLE_MAX + 1];
	uint8_t pk[32], sig[64], *sk = NULL, *msg;
	const size_t cap = XC_MAX_CARD;
	size_t i, n = 0;
	int rc = 0;

	if (xc_handle_norm(h, c->handle, strlen(c->handle)) != 0 ||
	    strcmp(h, c->handle) != 0 || c->nenc == 0 ||
	    c->nenc > XC_MAX_CARD_KEYS || c->seq == 0 || c->tag_bits < 0 ||
	    c->tag_bits > XC_MAX_TAG_BITS || c->expires <= c->created ||
	    c->nreach > XC_MAX_REACH ||
	    (c->seq == 1) == (c->has_prev != 0))
		return xc_fail(XC_EINVAL, "card fields out of range");
	if ((sk = sodium_malloc(64)) == NULL ||
	    (json = malloc(cap)) == NULL) {
		rc = xc_fail(XC_ENOMEM, "out of memory");
		goto out;
	}
	crypto_sign_seed_keypair(pk, sk, seed);
	if (sodium_memcmp(pk, c->ik, 32) != 0) {
		rc = xc_fail(XC_EINVAL, "the key does not match the card");
		goto out;
	}
	xc_b64_encode(ik64, c->ik, 32);
	put(json, cap, &n, "{\"v\":1,\"handle\":\"%s\",\"ik\":\"%s\",\"enc\":[",
	    c->handle, ik64);
	for (i = 0; i < c->nenc; i++) {
		xc_age_recipient_encode(rcpt, sizeof rcpt, c->enc[i].pk);
		put(json, cap, &n, "%s{\"age\":\"%s\",\"from\":%" PRId64
		    ",\"until\":%" PRId64 "}", i ? "," : "", rcpt,
		    c->enc[i].from, c->enc[i].until);
	}
	if (c->has_prev)
		xc_b64_encode(prev64, c->prev, 32);
	put(json, cap, &n, "],\"tag_bits\":%d,\"created\":%" PRId64
	    ",\"expires\":%" PRId64 ",\"seq\":%" PRIu64 ",\"prev\":%s%s%s",
	    c->tag_bits, c->created, c->expires, c->seq,
	    c->has_prev ? "\"" : "", c->has_prev ? prev64 : "null",
	    c->has_prev ? "\"" : "");
	/* Canonical URLs and pins need no escaping; the read-back below
	 * refuses anything else. */
	for (i = 0; i < c->nreach; i++) {
		const xc_card_reach *r = &c->reach[i];
		put(json, cap, &n, "%s{\"url\":\"%.*s\"", i ? "," :
		    ",\"reach\":[", (int)strnlen(r->url, sizeof r->url),
		    r->url);
		if (r->pin[0])
			put(json, cap, &n, ",\"pin\":\"%.*s\"",
			    (int)strnlen(r->pin, sizeof r->pin), r->pin);
		put(json, cap, &n, "%s}", r->starttls ? ",\"starttls\":true" :
		    "");
	}
	put(json, cap, &n, "%s}", c->nreach ? "]" : "");
	if (n >= cap || LINE1 + n + 1 > XC_MAX_CARD) {
		rc = xc_fail(XC_ELIMIT, "card too large");
		goto out;
	}
	if ((msg = sig_message(json, n)) == NULL) {
		rc = xc_fail(XC_ENOMEM, "out of memory");
		goto out;
	}
	crypto_sign_detached(sig, NULL, msg, sizeof magic + n, sk);
	free(msg);
	xc_b64_encode(sig64, sig, 64);
	if ((card = malloc(LINE1 + n + 2)) == NULL) {
		rc = xc_fail(XC_ENOMEM, "out of memory");
		goto out;
	}
	snprintf(card, LINE1 + n + 2, "%s %s %s\n%s\n", magic, ik64, sig64,
	    json);
	*outlen = LINE1 + n + 1;
	/* What we wrote must read back; the caller's card is only updated
	 * (its hash) when it does. */
	{
		xc_card back;
		if ((rc = xc_card_parse(&back, card, *outlen)) < 0) {
			free(card);
			if (rc != XC_ENOMEM)
				rc = xc_fail(XC_EINVAL,
				    "card fields out of range");
			goto out;
		}
		memcpy(c->hash, back.hash, 32);
	}
	*out = card;
out:
	sodium_free(sk);
	free(json);
	return rc;
}

/* ---- parsing ---- */

size_t
xc_card_next(const char *p, size_t left)
{
	const char *nl;

	if (left == 0)
		return 0;
	if ((nl = memchr(p, '\n', left)) != NULL)
		nl = memchr(nl + 1, '\n', left - (size_t)(nl + 1 - p));
	return nl ? (size_t)(nl + 1 - p) : left;
}

/* One server of "reach": what a config's server line would accept, in
 * canonical form only, so that a card has one spelling of its list. */
static int
reach_entry(xc_card_reach *r, const cJSON *e)
{
	static const char *const keys[] = { "url", "pin", "starttls", NULL };
	const cJSON *u = xc_json_get(e, "url"), *p, *s;
	char canon[XC_URL_MAX];

	if (!cJSON_IsObject(e) || xc_json_only_keys(e, keys) != 0)
		return xc_fail(XC_ECARD, "bad reach entry: only url, pin and "
		    "starttls");
	if (!cJSON_IsString(u) || xc_server_canon(canon, u->valuestring) != 0)
		return xc_fail(XC_ECARD, "bad reach entry: not a server URL");
	if (strcmp(canon, u->valuestring) != 0)
		return xc_fail(XC_ECARD, "bad reach entry: a URL not in "
		    "canonical form (scheme://host:port, lower case)");
	memcpy(r->url, canon, strlen(canon) + 1);
	if ((p = xc_json_get(e, "pin")) != NULL &&
	    (!cJSON_IsString(p) || xc_tls_pins_text(r->pin, p->valuestring)
	    != 0 || strcmp(r->pin, p->valuestring) != 0))
		return xc_fail(XC_ECARD, "bad reach entry: pins not in "
		    "canonical form (SHA256:BASE64, ',' between them)");
	if ((s = xc_json_get(e, "starttls")) != NULL && !cJSON_IsTrue(s))
		return xc_fail(XC_ECARD, "bad reach entry: starttls is only "
		    "true");
	r->starttls = s != NULL;
	if (xc_server_tls_check(r->url, r->pin, r->starttls) != 0)
		return xc_failf(XC_ECARD, "bad reach entry: %s",
		    xc_errdetail());
	return 0;
}

/* "reach": absent, or 1 to XC_MAX_REACH servers, each once. */
static int
reach(xc_card *c, const cJSON *f)
{
	const cJSON *e;
	size_t i;
	int rc;

	c->nreach = 0;
	if (f == NULL)
		return 0;
	if (!cJSON_IsArray(f) || cJSON_GetArraySize(f) < 1 ||
	    cJSON_GetArraySize(f) > XC_MAX_REACH)
		return xc_fail(XC_ECARD, "bad reach: a list of 1 to 8 servers");
	cJSON_ArrayForEach(e, f) {
		xc_card_reach *r = &c->reach[c->nreach];
		if ((rc = reach_entry(r, e)) < 0)
			return rc;
		for (i = 0; i < c->nreach; i++)
			if (strcmp(c->reach[i].url, r->url) == 0)
				return xc_fail(XC_ECARD, "bad reach: a server "
				    "listed twice");
		c->nreach++;
	}
	return 0;
}

static int
fields(xc_card *c, const cJSON *o)
{
	static const char *const top[] = { "v", "handle", "ik", "enc",
	    "tag_bits", "created", "expires", "seq", "prev", "reach", NULL };
	static const char *const keyf[] = { "age", "from", "until", NULL };
	const int64_t tmax = (int64_t)1 << 40;	/* year ~36800 */
	const cJSON *f, *e;
	uint8_t ik[32];
	int64_t v;
	char h[XC_HANDLE_MAX + 1];

	if (!cJSON_IsObject(o) || xc_json_only_keys(o, top) != 0)
		return xc_fail(XC_ECARD, "unknown or missing card field");
	if (xc_json_int(o, "v", 1, 1, &v) != 0)
		return xc_fail(XC_ECARD, "unsupported card version");
	f = xc_json_get(o, "handle");
	if (!cJSON_IsString(f) || xc_handle_norm(h, f->valuestring,
	    strlen(f->valuestring)) != 0 || strcmp(h, f->valuestring) != 0)
		return xc_fail(XC_ECARD, "bad handle");
	memcpy(c->handle, h, strlen(h) + 1);	/* the rest stays zero */
	if (xc_json_b64(xc_json_get(o, "ik"), ik, 32) != 0 ||
	    memcmp(ik, c->ik, 32) != 0)
		return xc_fail(XC_ECARD,
		    "identity key differs from the signed one");
	f = xc_json_get(o, "enc");
	if (!cJSON_IsArray(f) || cJSON_GetArraySize(f) < 1 ||
	    cJSON_GetArraySize(f) > XC_MAX_CARD_KEYS)
		return xc_fail(XC_ECARD, "bad list of encryption keys");
	c->nenc = 0;
	cJSON_ArrayForEach(e, f) {
		xc_card_key *k = &c->enc[c->nenc++];
		const cJSON *a = xc_json_get(e, "age");
		if (!cJSON_IsObject(e) || xc_json_only_keys(e, keyf) != 0 ||
		    !cJSON_IsString(a) || xc_age_recipient_decode(k->pk,
		    a->valuestring, strlen(a->valuestring)) != 0 ||
		    xc_json_int(e, "from", 0, tmax, &k->from) != 0 ||
		    xc_json_int(e, "until", 0, tmax, &k->until) != 0 ||
		    k->until <= k->from)
			return xc_fail(XC_ECARD, "bad encryption key entry");
	}
	if (xc_json_int(o, "tag_bits", 0, XC_MAX_TAG_BITS, &v) != 0)
		return xc_fail(XC_ECARD, "bad tag_bits");
	c->tag_bits = (int)v;
	if (xc_json_int(o, "created", 0, tmax, &c->created) != 0 ||
	    xc_json_int(o, "expires", 0, tmax, &c->expires) != 0 ||
	    c->expires <= c->created)
		return xc_fail(XC_ECARD, "bad created or expires time");
	if (xc_json_int(o, "seq", 1, (int64_t)1 << 40, &v) != 0)
		return xc_fail(XC_ECARD, "bad sequence number");
	c->seq = (uint64_t)v;
	f = xc_json_get(o, "prev");
	c->has_prev = !cJSON_IsNull(f);
	if (c->seq == 1 ? c->has_prev :
	    (!c->has_prev || xc_json_b64(f, c->prev, 32) != 0))
		return xc_fail(XC_ECARD,
		    "prev must be null on a first card and a hash after it");
	return reach(c, xc_json_get(o, "reach"));
}

/*
 * One process parses the same cards again and again (xc-open: the sender's
 * card in every letter, then the pinned copy in the keyring, then its own),
 * and each parse verifies an Ed25519 signature, 85 us here.  The cards
 * parsed last are remembered by the SHA-256 of their bytes: the same bytes
 * always parse to the same card, so a hit skips the signature and the JSON.
 */
#define CARD_MEMO 16
static struct {
	int used;
	xc_card card;		/* card.hash is the key */
} memo[CARD_MEMO];
static size_t memo_next;
static pthread_mutex_t memo_mu = PTHREAD_MUTEX_INITIALIZER;

static int
memo_get(xc_card *c, const uint8_t hash[32])
{
	size_t i;
	int hit = 0;

	pthread_mutex_lock(&memo_mu);
	for (i = 0; i < CARD_MEMO && !hit; i++)
		if (memo[i].used && memcmp(memo[i].card.hash, hash, 32) == 0) {
			*c = memo[i].card;
			hit = 1;
		}
	pthread_mutex_unlock(&memo_mu);
	return hit;
}

static void
memo_put(const xc_card *c)
{
	pthread_mutex_lock(&memo_mu);
	memo[memo_next].card = *c;
	memo[memo_next].used = 1;
	memo_next = (memo_next + 1) % CARD_MEMO;
	pthread_mutex_unlock(&memo_mu);
}

int
xc_card_parse(xc_card *c, const char *buf, size_t len)
{
	uint8_t sig[64], *msg;
	const char *json;
	size_t n, jlen;
	cJSON *o = NULL;
	int rc;

	memset(c, 0, sizeof *c);
	if (len > XC_MAX_CARD)
		return xc_fail(XC_ECARD, "card too large");
	crypto_hash_sha256(c->hash, (const uint8_t *)buf, len);
	if (memo_get(c, c->hash))
		return 0;
	if (len < LINE1 + 3 || memcmp(buf, magic, sizeof magic - 1) != 0 ||
	    buf[sizeof magic - 1] != ' ' ||
	    buf[sizeof magic + IK_B64] != ' ' || buf[LINE1 - 1] != '\n')
		return xc_fail(XC_ECARD, "not an xc-card-v1 card");
	if (xc_b64_decode(c->ik, 32, &n, buf + sizeof magic, IK_B64) != 0 ||
	    n != 32 || xc_b64_decode(sig, 64, &n, buf + sizeof magic +
	    IK_B64 + 1, SIG_B64) != 0 || n != 64)
		return xc_fail(XC_ECARD, "bad base64 on the card's first line");
	json = buf + LINE1;
	jlen = len - LINE1 - 1;
	if (buf[len - 1] != '\n' || memchr(json, '\n', jlen) != NULL)
		return xc_fail(XC_ECARD,
		    "a card is two lines, each ending in a newline");
	if ((msg = sig_message(json, jlen)) == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	rc = crypto_sign_verify_detached(sig, msg, sizeof magic + jlen, c->ik);
	free(msg);
	if (rc != 0)
		return xc_fail(XC_ESIG, "card signature does not verify");
	if ((rc = xc_json_parse(json, jlen, &o)) < 0)
		return rc == XC_ENOMEM ? rc :
		    xc_fail(XC_ECARD, "card JSON is not strict JSON");
	rc = fields(c, o);
	cJSON_Delete(o);
	if (rc == 0)
		memo_put(c);	/* c->hash: computed above */
	return rc;
}

int
xc_card_check_time(const xc_card *c, int64_t now)
{
	if (c->created - 3600 > now)	/* created <= 2^40: no overflow */
		return xc_fail(XC_EEXPIRED, "card created in the future");
	if (now >= c->expires)
		return xc_fail(XC_EEXPIRED, "card expired");
	return 0;
}

int
xc_card_check_chain(const xc_card *prev, const xc_card *next)
{
	if (strcmp(prev->handle, next->handle) != 0)
		return xc_fail(XC_ECHAIN, "cards of different handles");
	if (sodium_memcmp(prev->ik, next->ik, 32) != 0)
		return xc_fail(XC_ECHAIN, "identity key changed");
	if (next->seq != prev->seq + 1 || !next->has_prev ||
	    sodium_memcmp(next->prev, prev->hash, 32) != 0)
		return xc_fail(XC_ECHAIN, "card does not follow the previous one");
	return 0;
}

/* 30 decimal digits from 6 big-endian 40-bit words of a hash, as Signal's
 * safety numbers do (each word mod 100000 keeps ~99 bits in all). */
void
xc_fingerprint(char out[XC_FINGERPRINT_LEN + 1], const char *handle,
    const uint8_t ik[32])
{
	static const char label[] = "xc-fingerprint-v1";
	crypto_hash_sha256_state st;
	uint8_t h[32];
	size_t i, k = 0;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)label, sizeof label);
	crypto_hash_sha256_update(&st, (const uint8_t *)handle,
	    strlen(handle) + 1);
	crypto_hash_sha256_update(&st, ik, 32);
	crypto_hash_sha256_final(&st, h);
	for (i = 0; i < 6; i++) {
		uint64_t v = 0;
		size_t j;
		for (j = 0; j < 5; j++)
			v = v << 8 | h[5 * i + j];
		k += (size_t)snprintf(out + k, XC_FINGERPRINT_LEN + 1 - k,
		    "%s%05u", i ? " " : "", (unsigned)(v % 100000));
	}
}

void
xc_safety_number(char out[XC_SAFETY_LEN + 1], const xc_card *a,
    const xc_card *b)
{
	char fa[XC_FINGERPRINT_LEN + 1], fb[XC_FINGERPRINT_LEN + 1];

	xc_fingerprint(fa, a->handle, a->ik);
	xc_fingerprint(fb, b->handle, b->ik);
	if (strcmp(fa, fb) > 0)
		snprintf(out, XC_SAFETY_LEN + 1, "%s %s", fb, fa);
	else
		snprintf(out, XC_SAFETY_LEN + 1, "%s %s", fa, fb);
}
