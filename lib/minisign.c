/*
 * minisign.c - detached signatures in minisign's format, made with an xc
 * identity key, so that the real `minisign -V` checks them.
 *
 * Public key: "untrusted comment: ..." LF base64("Ed" || keyid || pk) LF.
 * Signature:  "untrusted comment: ..." LF base64("ED" || keyid || sig) LF
 *             "trusted comment: " TEXT LF base64(global_sig) LF
 * where sig is Ed25519 over BLAKE2b-512 of the file (minisign's pre-hashed
 * mode) and global_sig is Ed25519 over sig || TEXT.  The key id is the
 * first 8 bytes of SHA-256("xc-minisign-keyid" NUL || identity key): the
 * same for every signature of one identity, derived, never stored.
 * The legacy unhashed mode ("Ed" signatures) is refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "xc.h"

#define B64_VARIANT sodium_base64_VARIANT_ORIGINAL

void
xc_minisign_keyid(uint8_t id[8], const uint8_t ik[32])
{
	static const char label[] = "xc-minisign-keyid";
	crypto_hash_sha256_state st;
	uint8_t h[32];

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)label, sizeof label);
	crypto_hash_sha256_update(&st, ik, 32);
	crypto_hash_sha256_final(&st, h);
	memcpy(id, h, 8);
}

/* minisign prints key ids as the 8 bytes in reverse, upper-case hex. */
static void
keyid_hex(char out[17], const uint8_t id[8])
{
	int i;

	for (i = 0; i < 8; i++)
		snprintf(out + 2 * i, 3, "%02X", id[7 - i]);
}

int
xc_minisign_pubkey(char *out, size_t cap, const uint8_t ik[32],
    const char *handle)
{
	uint8_t blob[42];
	char b64[sodium_base64_ENCODED_LEN(42, B64_VARIANT)], hex[17];
	int n;

	blob[0] = 'E';
	blob[1] = 'd';
	xc_minisign_keyid(blob + 2, ik);
	memcpy(blob + 10, ik, 32);
	sodium_bin2base64(b64, sizeof b64, blob, sizeof blob, B64_VARIANT);
	keyid_hex(hex, blob + 2);
	n = snprintf(out, cap, "untrusted comment: minisign public key %s of "
	    "xc identity @%s\n%s\n", hex, handle, b64);
	if (n < 0 || (size_t)n >= cap)
		return xc_fail(XC_EINVAL, "buffer too small");
	return 0;
}

static int
prehash(uint8_t h[64], xc_rd in)
{
	crypto_generichash_state st;
	uint8_t buf[65536];
	size_t got;
	int rc;

	crypto_generichash_init(&st, NULL, 0, 64);
	for (;;) {
		if ((rc = in.read(in.ctx, buf, sizeof buf, &got)) < 0)
			return rc;
		if (got == 0)
			break;
		crypto_generichash_update(&st, buf, got);
	}
	crypto_generichash_final(&st, h, 64);
	return 0;
}

int
xc_minisign_sign(char **out, const uint8_t *seed, xc_rd in,
    const char *trusted, const char *untrusted)
{
	uint8_t pk[32], *sk, h[64], blob[74], global[64], *gm;
	char b64a[sodium_base64_ENCODED_LEN(74, B64_VARIANT)];
	char b64b[sodium_base64_ENCODED_LEN(64, B64_VARIANT)];
	size_t tlen = strlen(trusted), cap;
	int rc;

	if (strchr(trusted, '\n') || strchr(untrusted, '\n') || tlen > 4096)
		return xc_fail(XC_EINVAL, "comments are one short line");
	if ((rc = prehash(h, in)) < 0)
		return rc;
	if ((sk = sodium_malloc(64)) == NULL ||
	    (gm = malloc(64 + tlen)) == NULL) {
		sodium_free(sk);
		return xc_fail(XC_ENOMEM, "out of memory");
	}
	crypto_sign_seed_keypair(pk, sk, seed);
	blob[0] = 'E';
	blob[1] = 'D';
	xc_minisign_keyid(blob + 2, pk);
	crypto_sign_detached(blob + 10, NULL, h, sizeof h, sk);
	memcpy(gm, blob + 10, 64);
	memcpy(gm + 64, trusted, tlen);
	crypto_sign_detached(global, NULL, gm, 64 + tlen, sk);
	sodium_free(sk);
	free(gm);
	sodium_bin2base64(b64a, sizeof b64a, blob, sizeof blob, B64_VARIANT);
	sodium_bin2base64(b64b, sizeof b64b, global, sizeof global,
	    B64_VARIANT);
	cap = strlen(untrusted) + tlen + sizeof b64a + sizeof b64b + 64;
	if ((*out = malloc(cap)) == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	snprintf(*out, cap, "untrusted comment: %s\n%s\ntrusted comment: %s\n"
	    "%s\n", untrusted, b64a, trusted, b64b);
	return 0;
}

/* The next line of s (up to LF, CR trimmed) into [*l, *l + *n). */
static int
next_line(const char **s, const char *end, const char **l, size_t *n)
{
	const char *e;

	if (*s >= end)
		return -1;
	e = memchr(*s, '\n', (size_t)(end - *s));
	*l = *s;
	*n = e ? (size_t)(e - *s) : (size_t)(end - *s);
	*s = e ? e + 1 : end;
	if (*n > 0 && (*l)[*n - 1] == '\r')
		(*n)--;
	return 0;
}

static int
b64_exact(uint8_t *out, size_t want, const char *s, size_t n)
{
	size_t got;
	const char *end;

	if (sodium_base642bin(out, want, s, n, NULL, &got, &end,
	    B64_VARIANT) != 0 || got != want || end != s + n)
		return -1;
	return 0;
}

int
xc_minisign_keyid_of(uint8_t id[8], const char *sig, size_t len)
{
	const char *s = sig, *end = sig + len, *l;
	uint8_t blob[74];
	size_t n;

	if (next_line(&s, end, &l, &n) != 0 || n < 19 ||
	    memcmp(l, "untrusted comment: ", 19) != 0 ||
	    next_line(&s, end, &l, &n) != 0 || b64_exact(blob, 74, l, n) != 0)
		return xc_fail(XC_EKEY, "not a minisign signature");
	if (blob[0] != 'E' || blob[1] != 'D')
		return xc_fail(XC_EUNSUPPORTED,
		    "only pre-hashed (ED) minisign signatures are accepted");
	memcpy(id, blob + 2, 8);
	return 0;
}

int
xc_minisign_verify(const char *sig, size_t len, const uint8_t ik[32],
    xc_rd in, char *trusted, size_t tcap)
{
	const char *s = sig, *end = sig + len, *l, *tc;
	uint8_t blob[74], global[64], id[8], h[64], *gm;
	size_t n, tn;
	int rc;

	if (len > 65536 || next_line(&s, end, &l, &n) != 0 || n < 19 ||
	    memcmp(l, "untrusted comment: ", 19) != 0 ||
	    next_line(&s, end, &l, &n) != 0 || b64_exact(blob, 74, l, n) != 0 ||
	    next_line(&s, end, &tc, &tn) != 0 || tn < 17 ||
	    memcmp(tc, "trusted comment: ", 17) != 0 ||
	    next_line(&s, end, &l, &n) != 0 || b64_exact(global, 64, l, n) != 0)
		return xc_fail(XC_EKEY, "not a minisign signature");
	if (blob[0] != 'E' || blob[1] != 'D')
		return xc_fail(XC_EUNSUPPORTED,
		    "only pre-hashed (ED) minisign signatures are accepted");
	xc_minisign_keyid(id, ik);
	if (memcmp(id, blob + 2, 8) != 0)
		return xc_fail(XC_ESIG, "signed by another key");
	if ((rc = prehash(h, in)) < 0)
		return rc;
	if (crypto_sign_verify_detached(blob + 10, h, sizeof h, ik) != 0)
		return xc_fail(XC_ESIG, "signature does not verify");
	tc += 17;
	tn -= 17;
	if ((gm = malloc(64 + tn)) == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	memcpy(gm, blob + 10, 64);
	memcpy(gm + 64, tc, tn);
	rc = crypto_sign_verify_detached(global, gm, 64 + tn, ik);
	free(gm);
	if (rc != 0)
		return xc_fail(XC_ESIG, "trusted comment signature does not "
		    "verify");
	snprintf(trusted, tcap, "%.*s", (int)tn, tc);
	return 0;
}
