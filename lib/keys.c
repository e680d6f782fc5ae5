/*
 * keys.c - X25519 keys in age's bech32 encodings, identity and recipient
 * sets, and the two native stanza types (X25519 and scrypt) of age v1.
 *
 * Secret keys and passphrases live only in sodium_malloc'd memory and are
 * freed (and so wiped) with their set.  Unwrapping follows the spec's rules:
 * a stanza of our type with a bad shape is a header failure (never a silent
 * skip), a body is checked to be exactly 32 bytes before it is opened, an
 * all-zero X25519 shared secret aborts, and a failed tag is "not this
 * identity".
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "xc.h"

#define MAX_SET 4096		/* keys in one identity or recipient set */

static const char x25519_info[] = "age-encryption.org/v1/X25519";
static const char scrypt_label[] = "age-encryption.org/v1/scrypt";
static const uint8_t zero_nonce[12];

/*
 * Opening many envelopes in one process (xc-open, xc-fetch) needs a few
 * short-lived secrets per envelope (file key, payload key, MAC key): they
 * live in secure blocks that are wiped and kept for the next envelope,
 * instead of a sodium_malloc (mmap, mprotect, mlock: ~35 us here) each.
 */
#define SPARE_BLOCKS 4
static uint8_t *spare[SPARE_BLOCKS];
static size_t nspare;
static pthread_mutex_t spare_mu = PTHREAD_MUTEX_INITIALIZER;

uint8_t *
xc_secure_block(void)
{
	uint8_t *p = NULL;

	pthread_mutex_lock(&spare_mu);
	if (nspare > 0)
		p = spare[--nspare];
	pthread_mutex_unlock(&spare_mu);
	return p ? p : sodium_malloc(XC_SECURE_BLOCK);
}

void
xc_secure_release(uint8_t *p)
{
	if (p == NULL)
		return;
	sodium_memzero(p, XC_SECURE_BLOCK);
	pthread_mutex_lock(&spare_mu);
	if (nspare < SPARE_BLOCKS) {
		spare[nspare++] = p;
		p = NULL;
	}
	pthread_mutex_unlock(&spare_mu);
	sodium_free(p);
}

int
xc_x25519_public(uint8_t pk[32], const uint8_t *sk)
{
	if (crypto_scalarmult_base(pk, sk) != 0)
		return xc_fail(XC_EKEY, "invalid X25519 secret key");
	return 0;
}

int
xc_x25519_keygen(uint8_t pk[32], uint8_t *sk)
{
	randombytes_buf(sk, 32);
	return xc_x25519_public(pk, sk);
}

int
xc_age_recipient_encode(char *out, size_t cap, const uint8_t pk[32])
{
	return xc_bech32_encode(out, cap, "age", pk, 32);
}

int
xc_age_identity_encode(char *out, size_t cap, const uint8_t *sk)
{
	return xc_bech32_encode(out, cap, "AGE-SECRET-KEY-", sk, 32);
}

/* Decodes s as bech32 of 32 bytes with the given (lower-case) hrp and case. */
static int
decode32(uint8_t *out, const char *s, size_t len, const char *hrp, int upper)
{
	char h[32];
	uint8_t d[40];
	size_t n;
	int rc;

	size_t hl = strlen(hrp), i;

	/* Name the expected form for lines that are not keys at all. */
	for (i = 0; i < hl; i++)
		if (i >= len || (s[i] | 0x20) != hrp[i])
			return xc_fail(XC_EKEY, upper ?
			    "not an age identity (AGE-SECRET-KEY-1...)" :
			    "not an age recipient (age1...)");
	if (upper ? !(s[0] >= 'A' && s[0] <= 'Z') :
	    !(s[0] >= 'a' && s[0] <= 'z'))
		return xc_fail(XC_EKEY, "wrong case for this key type");
	if ((rc = xc_bech32_decode(h, sizeof h, d, sizeof d, &n, s, len)) < 0)
		goto out;
	if (strcmp(h, hrp) != 0) {
		rc = xc_fail(XC_EKEY, "wrong key type");
		goto out;
	}
	if (n != 32) {
		rc = xc_fail(XC_EKEY, "wrong key length");
		goto out;
	}
	memcpy(out, d, 32);
	rc = 0;
out:
	sodium_memzero(d, sizeof d);
	return rc;
}

void
xc_utc(char out[32], int64_t t, int full)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 32, full ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%d", &tm);
}

int
xc_age_identity_file(char *out, size_t cap, const uint8_t *sk,
    int64_t created)
{
	char rcpt[XC_AGE_PUBLIC_MAX], when[32];
	uint8_t pk[32];
	int n, rc;

	if ((rc = xc_x25519_public(pk, sk)) < 0 ||
	    (rc = xc_age_recipient_encode(rcpt, sizeof rcpt, pk)) < 0)
		return rc;
	xc_utc(when, created, 1);
	n = snprintf(out, cap, "# created: %s\n# public key: %s\n", when,
	    rcpt);
	if (n < 0 || (size_t)n >= cap ||
	    (rc = xc_age_identity_encode(out + n, cap - (size_t)n, sk)) < 0 ||
	    strlen(out) + 2 > cap)
		return xc_fail(XC_EINVAL, "buffer too small");
	strcat(out, "\n");
	return 0;
}

int
xc_age_recipient_decode(uint8_t pk[32], const char *s, size_t len)
{
	if (len >= 7 && memcmp(s, "age1pq1", 7) == 0)
		return xc_fail(XC_EUNSUPPORTED,
		    "ML-KEM hybrid recipients are not supported");
	/* Whole hrps: "age1tag..." can be the start of an X25519 recipient. */
	if ((len >= 8 && memcmp(s, "age1tag1", 8) == 0) ||
	    (len >= 10 && memcmp(s, "age1tagpq1", 10) == 0))
		return xc_fail(XC_EUNSUPPORTED,
		    "tagged (hardware) recipients are not supported");
	if (len >= 4 && memcmp(s, "ssh-", 4) == 0)
		return xc_fail(XC_EUNSUPPORTED,
		    "ssh recipients are not supported");
	return decode32(pk, s, len, "age", 0);
}

int
xc_age_identity_decode(uint8_t *sk, const char *s, size_t len)
{
	if (len >= 19 && memcmp(s, "AGE-SECRET-KEY-PQ-1", 19) == 0)
		return xc_fail(XC_EUNSUPPORTED,
		    "ML-KEM hybrid identities are not supported");
	if (len >= 11 && memcmp(s, "AGE-PLUGIN-", 11) == 0)
		return xc_fail(XC_EUNSUPPORTED,
		    "plugin identities are not supported");
	return decode32(sk, s, len, "age-secret-key-", 1);
}

/* ---- identity sets ---- */

struct id {
	uint8_t *sk;		/* X25519 secret, or NULL */
	uint8_t pk[32];		/* its public key, computed once */
	char *pw;		/* passphrase, or NULL */
	size_t pwlen;
};
/* Trial decryption tries every identity on every envelope (xc-fetch: on
 * every envelope of its buckets), so what does not change is computed
 * once: the public keys, and one secure scratch buffer for the wrap key
 * instead of an allocation (mmap, mprotect, mlock) per attempt. */
struct xc_ids {
	struct id *v;
	size_t n, cap;
	uint8_t *scratch;	/* 32 bytes, secure */
};

xc_ids *
xc_ids_new(void)
{
	return calloc(1, sizeof(xc_ids));
}

void
xc_ids_free(xc_ids *ids)
{
	size_t i;

	if (ids == NULL)
		return;
	for (i = 0; i < ids->n; i++) {
		sodium_free(ids->v[i].sk);
		sodium_free(ids->v[i].pw);
	}
	sodium_free(ids->scratch);
	free(ids->v);
	free(ids);
}

size_t
xc_ids_count(const xc_ids *ids)
{
	return ids->n;
}

static struct id *
ids_push(xc_ids *ids)
{
	if (ids->scratch == NULL && (ids->scratch = sodium_malloc(32)) == NULL)
		return NULL;
	if (ids->n == ids->cap) {
		size_t nc = ids->cap ? ids->cap * 2 : 4;
		struct id *v;
		if (nc > MAX_SET || (v = realloc(ids->v, nc * sizeof *v)) ==
		    NULL)
			return NULL;
		ids->v = v;
		ids->cap = nc;
	}
	memset(&ids->v[ids->n], 0, sizeof ids->v[0]);
	return &ids->v[ids->n];
}

int
xc_ids_recipient(const xc_ids *ids, size_t i, uint8_t pk[32])
{
	if (i >= ids->n || ids->v[i].sk == NULL)
		return xc_fail(XC_EINVAL, "not an X25519 identity");
	memcpy(pk, ids->v[i].pk, 32);
	return 0;
}

int
xc_ids_add_x25519(xc_ids *ids, const uint8_t *sk)
{
	struct id *e = ids_push(ids);

	if (e == NULL || (e->sk = sodium_malloc(32)) == NULL)
		return xc_fail(XC_ENOMEM, "too many identities");
	memcpy(e->sk, sk, 32);
	if (xc_x25519_public(e->pk, sk) < 0) {
		sodium_free(e->sk);
		e->sk = NULL;
		return XC_EKEY;
	}
	ids->n++;
	return 0;
}

int
xc_ids_add_passphrase(xc_ids *ids, const char *pw, size_t len)
{
	struct id *e;

	if (len == 0 || len > XC_MAX_PASSPHRASE)
		return xc_fail(XC_EINVAL, "passphrase empty or too long");
	if ((e = ids_push(ids)) == NULL ||
	    (e->pw = sodium_malloc(len)) == NULL)
		return xc_fail(XC_ENOMEM, "too many identities");
	memcpy(e->pw, pw, len);
	e->pwlen = len;
	ids->n++;
	return 0;
}

/*
 * Calls fn on each meaningful line of a key file: '#' comments and blank
 * lines are skipped, surrounding spaces, tabs and a CR are trimmed.
 */
static int
each_line(const char *text, size_t len, size_t *lineno,
    int (*fn)(void *, const char *, size_t), void *arg)
{
	size_t pos = 0, no = 0;
	int rc;

	if (len > XC_MAX_KEYFILE)
		return xc_fail(XC_ELIMIT, "key file too large");
	while (pos < len) {
		const char *l = text + pos, *e = memchr(l, '\n', len - pos);
		size_t ll = e ? (size_t)(e - l) : len - pos;

		pos += ll + (e != NULL);
		no++;
		while (ll > 0 && (l[ll - 1] == '\r' || l[ll - 1] == ' ' ||
		    l[ll - 1] == '\t'))
			ll--;
		while (ll > 0 && (l[0] == ' ' || l[0] == '\t')) {
			l++;
			ll--;
		}
		if (ll == 0 || l[0] == '#')
			continue;
		if ((rc = fn(arg, l, ll)) < 0) {
			if (lineno)
				*lineno = no;
			return rc;
		}
	}
	return 0;
}

static int
ids_line(void *arg, const char *l, size_t ll)
{
	uint8_t *sk = sodium_malloc(32);
	int rc;

	if (sk == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	if ((rc = xc_age_identity_decode(sk, l, ll)) == 0)
		rc = xc_ids_add_x25519(arg, sk);
	sodium_free(sk);
	return rc;
}

int
xc_ids_parse(xc_ids *ids, const char *text, size_t len, size_t *line)
{
	size_t before = ids->n;
	int rc = each_line(text, len, line, ids_line, ids);

	if (rc == 0 && ids->n == before) {
		if (line)
			*line = 0;
		return xc_fail(XC_EKEY, "no identities found");
	}
	return rc;
}

/* ---- recipient sets ---- */

struct xc_rcpts {
	uint8_t (*pk)[32];
	size_t n, cap;
	char *pw;
	size_t pwlen;
	int logn;
};

xc_rcpts *
xc_rcpts_new(void)
{
	return calloc(1, sizeof(xc_rcpts));
}

void
xc_rcpts_free(xc_rcpts *r)
{
	if (r == NULL)
		return;
	free(r->pk);
	sodium_free(r->pw);
	free(r);
}

size_t
xc_rcpts_count(const xc_rcpts *r)
{
	return r->n + (r->pw != NULL);
}

int
xc_rcpts_add_x25519(xc_rcpts *r, const uint8_t pk[32])
{
	if (r->pw != NULL)
		return xc_fail(XC_EINVAL,
		    "a passphrase cannot be mixed with recipients");
	if (r->n == r->cap) {
		size_t nc = r->cap ? r->cap * 2 : 4;
		void *v;
		if (nc > MAX_SET || (v = realloc(r->pk, nc * 32)) == NULL)
			return xc_fail(XC_ENOMEM, "too many recipients");
		r->pk = v;
		r->cap = nc;
	}
	memcpy(r->pk[r->n++], pk, 32);
	return 0;
}

int
xc_rcpts_add_string(xc_rcpts *r, const char *s, size_t len)
{
	uint8_t pk[32];
	int rc;

	if ((rc = xc_age_recipient_decode(pk, s, len)) < 0)
		return rc;
	return xc_rcpts_add_x25519(r, pk);
}

static int
rcpts_line(void *arg, const char *l, size_t ll)
{
	return xc_rcpts_add_string(arg, l, ll);
}

int
xc_rcpts_parse(xc_rcpts *r, const char *text, size_t len, size_t *line)
{
	size_t before = r->n;
	int rc = each_line(text, len, line, rcpts_line, r);

	if (rc == 0 && r->n == before) {
		if (line)
			*line = 0;
		return xc_fail(XC_EKEY, "no recipients found");
	}
	return rc;
}

int
xc_rcpts_set_passphrase(xc_rcpts *r, const char *pw, size_t len, int logn)
{
	if (r->n > 0 || r->pw != NULL)
		return xc_fail(XC_EINVAL,
		    "a passphrase cannot be mixed with recipients");
	if (len == 0 || len > XC_MAX_PASSPHRASE)
		return xc_fail(XC_EINVAL, "passphrase empty or too long");
	if (logn < 1 || logn > XC_MAX_SCRYPT_LOGN)
		return xc_fail(XC_EINVAL, "work factor out of range");
	if ((r->pw = sodium_malloc(len)) == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	memcpy(r->pw, pw, len);
	r->pwlen = len;
	r->logn = logn;
	return 0;
}

/* ---- wrapping and unwrapping ---- */

static int
scrypt_key(uint8_t *key, const char *pw, size_t pwlen, const uint8_t salt[16],
    int logn)
{
	uint8_t s[sizeof scrypt_label - 1 + 16];

	memcpy(s, scrypt_label, sizeof scrypt_label - 1);
	memcpy(s + sizeof scrypt_label - 1, salt, 16);
	if (crypto_pwhash_scryptsalsa208sha256_ll((const uint8_t *)pw, pwlen,
	    s, sizeof s, (uint64_t)1 << logn, 8, 1, key, 32) != 0)
		return xc_fail(XC_ENOMEM, "scrypt failed (out of memory?)");
	return 0;
}

/* wrap key = HKDF(X25519(secret, point), share || pk, info); the point is
 * the recipient when wrapping and the ephemeral share when unwrapping. */
static int
x25519_wrap_key(uint8_t *key, const uint8_t *secret, const uint8_t point[32],
    const uint8_t share[32], const uint8_t pk[32])
{
	uint8_t shared[32], salt[64];
	int rc;

	if (crypto_scalarmult(shared, secret, point) != 0)
		return xc_fail(XC_EHEADER, "all-zero X25519 shared secret");
	memcpy(salt, share, 32);
	memcpy(salt + 32, pk, 32);
	rc = xc_hkdf_sha256(key, 32, shared, 32, salt, 64, x25519_info,
	    sizeof x25519_info - 1);
	sodium_memzero(shared, sizeof shared);
	return rc;
}

/*
 * Builds the stanzas for r.  Arguments and bodies are written into one
 * arena owned by the caller (freed with free()).
 */
int
xc_rcpts_wrap(const xc_rcpts *r, const uint8_t *filekey, xc_stanza **stp,
    size_t *nstp, void **arenap)
{
	size_t n = r->n + (r->pw != NULL), i, per = 16 + 64 + 8 + 48;
	xc_stanza *st;
	char *arena;
	uint8_t *key = NULL, *eph = NULL;
	int rc = 0;

	if (n == 0)
		return xc_fail(XC_EINVAL, "no recipients");
	st = calloc(n, sizeof *st);
	arena = malloc(n * per);
	key = sodium_malloc(32);
	eph = sodium_malloc(32);
	if (st == NULL || arena == NULL || key == NULL || eph == NULL) {
		rc = xc_fail(XC_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		char *a = arena + i * per;
		uint8_t *body = (uint8_t *)a + per - 48;

		if (r->pw != NULL) {
			uint8_t salt[16];
			randombytes_buf(salt, sizeof salt);
			if ((rc = scrypt_key(key, r->pw, r->pwlen, salt,
			    r->logn)) < 0)
				goto out;
			strcpy(a, "scrypt");
			st[i].args[0] = a;
			st[i].args[1] = a + 7;
			xc_b64_encode(a + 7, salt, 16);
			st[i].args[2] = a + 7 + 23;
			snprintf(a + 7 + 23, 8, "%d", r->logn);
			st[i].nargs = 3;
		} else {
			uint8_t share[32];
			randombytes_buf(eph, 32);
			if (crypto_scalarmult_base(share, eph) != 0 ||
			    (rc = x25519_wrap_key(key, eph, r->pk[i],
			    share, r->pk[i])) < 0) {
				rc = xc_fail(XC_EKEY,
				    "recipient is a low-order point");
				goto out;
			}
			strcpy(a, "X25519");
			st[i].args[0] = a;
			st[i].args[1] = a + 7;
			xc_b64_encode(a + 7, share, 32);
			st[i].nargs = 2;
		}
		crypto_aead_chacha20poly1305_ietf_encrypt(body, NULL, filekey,
		    XC_FILE_KEY_BYTES, NULL, 0, NULL, zero_nonce, key);
		st[i].body = body;
		st[i].bodylen = XC_FILE_KEY_BYTES + XC_TAG_BYTES;
	}
	*stp = st;
	*nstp = n;
	*arenap = arena;
	st = NULL;
	arena = NULL;
out:
	free(st);
	free(arena);
	sodium_free(key);
	sodium_free(eph);
	return rc;
}

/* Opens a 32-byte stanza body; -1 if the tag does not verify. */
static int
open_body(uint8_t *filekey, const xc_stanza *st, const uint8_t *key)
{
	return crypto_aead_chacha20poly1305_ietf_decrypt(filekey, NULL, NULL,
	    st->body, st->bodylen, NULL, 0, zero_nonce, key);
}

static int
unwrap_x25519(const struct id *e, uint8_t *key, const xc_header *h,
    uint8_t *filekey)
{
	const uint8_t *sk = e->sk, *pk = e->pk;
	uint8_t share[32];
	size_t i, n;
	int rc = XC_ENOMATCH;

	for (i = 0; i < h->nst; i++) {
		const xc_stanza *st = &h->st[i];
		if (strcmp(st->args[0], "X25519") != 0)
			continue;
		if (st->nargs != 2 || xc_b64_decode(share, sizeof share, &n,
		    st->args[1], strlen(st->args[1])) != 0 || n != 32) {
			rc = xc_fail(XC_EHEADER, "malformed X25519 stanza");
			break;
		}
		if (st->bodylen != XC_FILE_KEY_BYTES + XC_TAG_BYTES) {
			rc = xc_fail(XC_EHEADER,
			    "X25519 stanza body has the wrong length");
			break;
		}
		if ((rc = x25519_wrap_key(key, sk, share, share, pk)) < 0)
			break;
		if (open_body(filekey, st, key) == 0) {
			rc = 0;
			break;
		}
		rc = XC_ENOMATCH;
	}
	sodium_memzero(key, 32);
	return rc;
}

/* The work factor must be decimal without leading zeros, 1..22. */
static int
parse_logn(const char *s)
{
	int v = 0;

	if (*s < '1' || *s > '9')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 100)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

static int
unwrap_scrypt(const char *pw, size_t pwlen, const xc_header *h,
    uint8_t *filekey)
{
	uint8_t salt[16], *key;
	size_t i, n;
	int rc = XC_ENOMATCH, logn;

	if ((key = sodium_malloc(32)) == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	for (i = 0; i < h->nst; i++) {
		const xc_stanza *st = &h->st[i];
		if (strcmp(st->args[0], "scrypt") != 0)
			continue;
		if (st->nargs != 3 || xc_b64_decode(salt, sizeof salt, &n,
		    st->args[1], strlen(st->args[1])) != 0 || n != 16 ||
		    (logn = parse_logn(st->args[2])) < 0) {
			rc = xc_fail(XC_EHEADER, "malformed scrypt stanza");
			break;
		}
		if (logn > XC_MAX_SCRYPT_LOGN) {
			rc = xc_fail(XC_EHEADER,
			    "scrypt work factor too large");
			break;
		}
		if (st->bodylen != XC_FILE_KEY_BYTES + XC_TAG_BYTES) {
			rc = xc_fail(XC_EHEADER,
			    "scrypt stanza body has the wrong length");
			break;
		}
		if ((rc = scrypt_key(key, pw, pwlen, salt, logn)) < 0)
			break;
		if (open_body(filekey, st, key) == 0) {
			rc = 0;
			break;
		}
		rc = XC_ENOMATCH;
	}
	sodium_free(key);
	return rc;
}

int
xc_age_unwrap(const xc_header *h, const xc_ids *ids, uint8_t *filekey,
    size_t *which)
{
	size_t i;

	/* The spec: an scrypt stanza must be the only one in the header. */
	for (i = 0; i < h->nst; i++)
		if (strcmp(h->st[i].args[0], "scrypt") == 0 && h->nst != 1)
			return xc_fail(XC_EHEADER,
			    "scrypt stanza mixed with other stanzas");
	for (i = 0; i < ids->n; i++) {
		const struct id *e = &ids->v[i];
		int rc = e->sk ? unwrap_x25519(e, ids->scratch, h, filekey) :
		    unwrap_scrypt(e->pw, e->pwlen, h, filekey);
		if (rc != XC_ENOMATCH) {
			if (which)
				*which = i;
			return rc;
		}
	}
	return xc_fail(XC_ENOMATCH, "no identity matched any recipient");
}
