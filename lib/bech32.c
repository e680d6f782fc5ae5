/*
 * bech32.c - Bech32 as in BIP 173, without its 90-character limit, as age
 * uses it for "age1..." recipients and "AGE-SECRET-KEY-1..." identities.
 *
 * Strings must be all lower or all upper case; the checksum is over the
 * lower-case form.  The 5-to-8-bit conversion rejects non-zero padding so
 * that every key has exactly one encoding.
 */
#include <string.h>

#include "xc.h"

static const char charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

static uint32_t
polymod_step(uint32_t pre)
{
	uint8_t b = pre >> 25;
	return ((pre & 0x1ffffff) << 5) ^
	    (-((b >> 0) & 1) & 0x3b6a57b2UL) ^
	    (-((b >> 1) & 1) & 0x26508e6dUL) ^
	    (-((b >> 2) & 1) & 0x1ea119faUL) ^
	    (-((b >> 3) & 1) & 0x3d4233ddUL) ^
	    (-((b >> 4) & 1) & 0x2a1462b3UL);
}

static uint32_t
hrp_polymod(const char *hrp, size_t n)
{
	uint32_t chk = 1;
	size_t i;

	for (i = 0; i < n; i++)
		chk = polymod_step(chk) ^ ((unsigned char)hrp[i] >> 5);
	chk = polymod_step(chk);
	for (i = 0; i < n; i++)
		chk = polymod_step(chk) ^ ((unsigned char)hrp[i] & 0x1f);
	return chk;
}

static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

int
xc_bech32_encode(char *out, size_t cap, const char *hrp, const uint8_t *data,
    size_t len)
{
	size_t hl = strlen(hrp), i, k = 0, n5 = (len * 8 + 4) / 5;
	char lhrp[64];
	uint32_t chk, acc = 0;
	unsigned bits = 0;

	if (hl == 0 || hl >= sizeof lhrp || hl + 1 + n5 + 6 + 1 > cap)
		return xc_fail(XC_EINVAL, "bech32 output too long");
	for (i = 0; i < hl; i++) {
		lhrp[i] = lower(hrp[i]);
		out[k++] = lhrp[i];
	}
	out[k++] = '1';
	chk = hrp_polymod(lhrp, hl);
	for (i = 0; i < len; i++) {
		acc = acc << 8 | data[i];
		bits += 8;
		while (bits >= 5) {
			unsigned v = acc >> (bits - 5) & 31;
			bits -= 5;
			chk = polymod_step(chk) ^ v;
			out[k++] = charset[v];
		}
		acc &= (1u << bits) - 1;
	}
	if (bits) {
		unsigned v = acc << (5 - bits) & 31;
		chk = polymod_step(chk) ^ v;
		out[k++] = charset[v];
	}
	for (i = 0; i < 6; i++)
		chk = polymod_step(chk);
	chk ^= 1;
	for (i = 0; i < 6; i++)
		out[k++] = charset[(chk >> ((5 - i) * 5)) & 31];
	out[k] = '\0';
	/* Upper-case hrp means an upper-case string (AGE-SECRET-KEY-). */
	if (hrp[0] >= 'A' && hrp[0] <= 'Z')
		for (i = 0; i < k; i++)
			if (out[i] >= 'a' && out[i] <= 'z')
				out[i] = (char)(out[i] - 'a' + 'A');
	return 0;
}

int
xc_bech32_decode(char *hrp, size_t hrpcap, uint8_t *data, size_t cap,
    size_t *len, const char *s, size_t n)
{
	int haslower = 0, hasupper = 0;
	size_t i, sep = (size_t)-1, k = 0;
	uint32_t chk, acc = 0;
	unsigned bits = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 33 || c > 126)
			return xc_fail(XC_EKEY, "invalid bech32 character");
		if (c >= 'a' && c <= 'z')
			haslower = 1;
		if (c >= 'A' && c <= 'Z')
			hasupper = 1;
		if (c == '1')
			sep = i;
	}
	if (haslower && hasupper)
		return xc_fail(XC_EKEY, "mixed-case bech32");
	if (sep == (size_t)-1 || sep == 0 || n - sep - 1 < 6 || sep >= hrpcap)
		return xc_fail(XC_EKEY, "malformed bech32");
	for (i = 0; i < sep; i++)
		hrp[i] = lower(s[i]);
	hrp[sep] = '\0';
	chk = hrp_polymod(hrp, sep);
	for (i = sep + 1; i < n; i++) {
		const char *p = strchr(charset, lower(s[i]));
		unsigned v;
		if (p == NULL || *p == '\0')
			return xc_fail(XC_EKEY, "invalid bech32 character");
		v = (unsigned)(p - charset);
		chk = polymod_step(chk) ^ v;
		if (i + 6 >= n)
			continue;	/* checksum characters */
		acc = acc << 5 | v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (k >= cap)
				return xc_fail(XC_EKEY, "bech32 data too long");
			data[k++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (chk != 1)
		return xc_fail(XC_EKEY, "bad bech32 checksum");
	if (bits >= 5 || acc != 0)
		return xc_fail(XC_EKEY, "non-zero bech32 padding");
	*len = k;
	return 0;
}
