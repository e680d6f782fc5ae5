/*
 * pow.c - proof-of-work for envelopes on the network (xc-nntp(5)).
 *
 * Bitmessage's formula, bound to an envelope's id, size and lifetime:
 *
 *   initial = SHA-512("xc-pow-v1" NUL || id || be64(size) || be64(expires))
 *   trial   = be64(first 8 bytes of SHA-512(SHA-512(be64(nonce) || initial)))
 *   L       = size + extra
 *   target  = floor(2^64 / (per_byte * (L + floor(ttl * L / 2^16))))
 *
 * and the work is sufficient when trial <= target.  ttl is what is left of
 * the envelope's life when it is checked (expires - now, at least 300 s),
 * or XC_POW_MAX_TTL for an envelope that does not expire, so the target
 * only grows as an envelope ages: a nonce found when posting stays good
 * on every hop.  The work travels beside the envelope (a header of the
 * article), never inside it, so the id stays the hash of the envelope.
 * Checking costs two SHA-512 over 73 and 80 bytes once the id is known.
 */
#include <string.h>

#include <sodium.h>

#include "xc.h"

static void
be64(uint8_t out[8], uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		out[i] = (uint8_t)v;
		v >>= 8;
	}
}

void
xc_pow_initial(uint8_t out[64], const uint8_t id[32], uint64_t size,
    int64_t expires)
{
	static const char label[] = "xc-pow-v1";	/* and its NUL */
	uint8_t buf[sizeof label + 32 + 16];

	memcpy(buf, label, sizeof label);
	memcpy(buf + sizeof label, id, 32);
	be64(buf + sizeof label + 32, size);
	be64(buf + sizeof label + 40, (uint64_t)expires);
	crypto_hash_sha512(out, buf, sizeof buf);
}

uint64_t
xc_pow_trial(const uint8_t initial[64], uint64_t nonce)
{
	uint8_t buf[72], h[64];
	uint64_t v = 0;
	int i;

	be64(buf, nonce);
	memcpy(buf + 8, initial, 64);
	crypto_hash_sha512(h, buf, sizeof buf);
	crypto_hash_sha512(h, h, 64);
	for (i = 0; i < 8; i++)
		v = v << 8 | h[i];
	return v;
}

int64_t
xc_pow_ttl(int64_t expires, int64_t now)
{
	int64_t ttl;

	if (expires == 0)
		return XC_POW_MAX_TTL;
	ttl = expires - now;
	return ttl < XC_POW_MIN_TTL ? XC_POW_MIN_TTL : ttl;
}

uint64_t
xc_pow_target(uint64_t size, int64_t ttl, const xc_pow_params *p)
{
	unsigned __int128 l, d;

	if (ttl < 0)
		ttl = 0;
	l = (unsigned __int128)size + p->extra;
	d = (unsigned __int128)p->per_byte *
	    (l + (l * (unsigned __int128)ttl >> 16));
	if (d <= 1)
		return UINT64_MAX;
	d = ((unsigned __int128)1 << 64) / d;
	return d > UINT64_MAX ? UINT64_MAX : (uint64_t)d;
}

const xc_pow_params xc_pow_default = {
	XC_POW_PER_BYTE, XC_POW_EXTRA
};

int
xc_pow_check(uint64_t nonce, const uint8_t id[32], uint64_t size,
    int64_t expires, int64_t now, const xc_pow_params *p)
{
	uint8_t init[64];

	xc_pow_initial(init, id, size, expires);
	if (xc_pow_trial(init, nonce) >
	    xc_pow_target(size, xc_pow_ttl(expires, now), p))
		return xc_fail(XC_ELIMIT, "insufficient proof-of-work");
	return 0;
}

int
xc_pow_solve(uint64_t *nonce, const uint8_t id[32], uint64_t size,
    int64_t expires, int64_t now, const xc_pow_params *p,
    int (*progress)(void *arg, uint64_t tried, uint64_t expected), void *arg)
{
	uint8_t init[64];
	uint64_t target, n, expected;

	if (expires != 0 && expires <= now)
		return xc_fail(XC_EEXPIRED, "envelope has expired");
	if (expires != 0 && expires - now > XC_POW_MAX_TTL)
		return xc_fail(XC_ELIMIT, "envelope lives longer than the "
		    "network keeps one");
	/* The lifetime at posting: the target only grows from here. */
	target = xc_pow_target(size, xc_pow_ttl(expires, now), p);
	expected = target ? UINT64_MAX / target : UINT64_MAX;
	xc_pow_initial(init, id, size, expires);
	/* A random start, so that two posters of one envelope (or a crash
	 * and a retry) do not walk the same nonces in step. */
	randombytes_buf(&n, sizeof n);
	/* Once before the search, so that a caller can tell a long one. */
	if (progress && progress(arg, 0, expected) != 0)
		return xc_fail(XC_EINVAL, "proof-of-work interrupted");
	for (uint64_t tried = 1;; tried++, n++) {
		if (xc_pow_trial(init, n) <= target)
			break;
		if (progress && (tried & 0xffff) == 0 &&
		    progress(arg, tried, expected) != 0)
			return xc_fail(XC_EINVAL, "proof-of-work interrupted");
	}
	*nonce = n;
	return 0;
}
