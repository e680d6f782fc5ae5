/*
 * hkdf.c - HKDF-SHA-256 (RFC 5869) built on libsodium's HMAC-SHA-256,
 * because libsodium 1.0.18 (Debian 12) has no HKDF API.
 *
 * Extract: PRK = HMAC(salt, IKM), with an all-zero salt of hash length when
 * the salt is empty.  Expand: T(i) = HMAC(PRK, T(i-1) || info || i).
 */
#include <string.h>

#include <sodium.h>

#include "xc.h"

int
xc_hkdf_sha256(uint8_t *out, size_t outlen, const uint8_t *ikm, size_t ikmlen,
    const uint8_t *salt, size_t saltlen, const char *info, size_t infolen)
{
	uint8_t zero[crypto_auth_hmacsha256_BYTES] = {0};
	uint8_t prk[crypto_auth_hmacsha256_BYTES];
	uint8_t t[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;
	size_t done = 0;
	uint8_t ctr = 1;

	if (outlen > 255 * sizeof t)
		return xc_fail(XC_EINVAL, "HKDF output too long");
	if (saltlen == 0) {
		salt = zero;
		saltlen = sizeof zero;
	}
	crypto_auth_hmacsha256_init(&st, salt, saltlen);
	crypto_auth_hmacsha256_update(&st, ikm, ikmlen);
	crypto_auth_hmacsha256_final(&st, prk);
	while (done < outlen) {
		size_t take = outlen - done < sizeof t ? outlen - done :
		    sizeof t;
		crypto_auth_hmacsha256_init(&st, prk, sizeof prk);
		if (done > 0)
			crypto_auth_hmacsha256_update(&st, t, sizeof t);
		crypto_auth_hmacsha256_update(&st, (const uint8_t *)info,
		    infolen);
		crypto_auth_hmacsha256_update(&st, &ctr, 1);
		crypto_auth_hmacsha256_final(&st, t);
		memcpy(out + done, t, take);
		done += take;
		ctr++;
	}
	sodium_memzero(prk, sizeof prk);
	sodium_memzero(t, sizeof t);
	sodium_memzero(&st, sizeof st);
	return 0;
}
