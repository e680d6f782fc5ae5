/*
 * test-codec.c - canonical base64 and Bech32 (BIP 173 lists; age keys).
 */
#include <string.h>

#include <sodium.h>

#include "../../lib/xc.h"
#include "unit.h"

static void
base64(void)
{
	static const char *bad[] = {
		"Zg==", "Zg=", "Zh", "Zm9=", "Zm9v\n", "Zm9 v", "Z", "Zm9vY",
		"Zm-v", "Zm_v",
	};
	uint8_t out[16];
	char enc[32];
	size_t n, i;

	ok(xc_b64_decode(out, sizeof out, &n, "Zg", 2) == 0 && n == 1 &&
	    out[0] == 'f', "base64 decodes an unpadded tail");
	ok(xc_b64_decode(out, sizeof out, &n, "", 0) == 0 && n == 0,
	    "base64 decodes the empty string");
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ok(xc_b64_decode(out, sizeof out, &n, bad[i], strlen(bad[i]))
		    != 0, "base64 rejects '%.*s'", (int)strcspn(bad[i], "\n"),
		    bad[i]);
	ok(xc_b64_decode(out, 2, &n, "Zm9v", 4) != 0,
	    "base64 respects the output capacity");
	for (i = 0; i < 200; i++) {
		uint8_t in[64], back[64];
		size_t len = i % 64;
		randombytes_buf(in, len);
		xc_b64_encode(enc, in, len % 20);
		if (xc_b64_decode(back, sizeof back, &n, enc, strlen(enc)) != 0
		    || n != len % 20 || memcmp(in, back, n) != 0)
			break;
	}
	ok(i == 200, "base64 round trip of 200 random strings");
}

static void
bech32(void)
{
	static const char *valid[] = {
		"A12UEL5L", "a12uel5l",
		"an83characterlonghumanreadablepartthatcontainsthenumber1andthe"
		"excludedcharactersbio1tt5tgs",
		"abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
		"11qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
		"qqqqqqqqqqqqqqqqqqc8247j",
		"split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
		"?1ezyfcl",
	};
	static const char *invalid[] = {
		" 1nwldj5", "\x7f" "1axkwrx", "\x80" "1eym55h",
		"pzry9x0s0muk", "1pzry9x0s0muk", "x1b4n0q5v", "li1dgmt3",
		"de1lg7wt\xff", "A1G7SGD8", "10a06t8", "1qzzfhee", "A12uEL5L",
	};
	char hrp[128], enc[256];
	uint8_t data[128];
	size_t n, i;

	for (i = 0; i < sizeof valid / sizeof valid[0]; i++)
		ok(xc_bech32_decode(hrp, sizeof hrp, data, sizeof data, &n,
		    valid[i], strlen(valid[i])) == 0, "BIP 173 valid: %s",
		    valid[i]);
	for (i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
		ok(xc_bech32_decode(hrp, sizeof hrp, data, sizeof data, &n,
		    invalid[i], strlen(invalid[i])) != 0,
		    "BIP 173 invalid #%zu", i);
	/* The 90-character limit does not apply (age's rule). */
	{
		uint8_t big[100];
		memset(big, 7, sizeof big);
		ok(xc_bech32_encode(enc, sizeof enc, "age", big, sizeof big) ==
		    0 && strlen(enc) > 90 && xc_bech32_decode(hrp, sizeof hrp,
		    data, sizeof data, &n, enc, strlen(enc)) == 0 && n == 100 &&
		    memcmp(data, big, 100) == 0,
		    "bech32 longer than 90 characters round-trips");
	}
}

static void
agekeys(void)
{
	static const char sk_s[] = "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFP"
	    "YYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX";
	static const char pk_s[] = "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye"
	    "869xeexvn73equnujwj";
	uint8_t sk[32], pk[32], pk2[32];
	char s[XC_AGE_SECRET_MAX];
	size_t i;

	ok(xc_age_identity_decode(sk, sk_s, strlen(sk_s)) == 0 &&
	    xc_x25519_public(pk, sk) == 0 &&
	    xc_age_recipient_encode(s, sizeof s, pk) == 0 &&
	    strcmp(s, pk_s) == 0, "spec example identity gives its recipient");
	ok(xc_age_recipient_decode(pk2, pk_s, strlen(pk_s)) == 0 &&
	    memcmp(pk, pk2, 32) == 0, "spec example recipient decodes");
	{
		char low[sizeof sk_s];
		for (i = 0; i < sizeof sk_s; i++)
			low[i] = (char)(sk_s[i] >= 'A' && sk_s[i] <= 'Z' ?
			    sk_s[i] + 32 : sk_s[i]);
		ok(xc_age_identity_decode(sk, low, strlen(low)) == XC_EKEY,
		    "lower-case identity refused");
	}
	ok(xc_age_recipient_decode(pk2, "age1pq1xyz", 10) == XC_EUNSUPPORTED,
	    "ML-KEM recipient reported as unsupported");
	ok(xc_age_identity_decode(sk, "AGE-SECRET-KEY-PQ-1XX", 21) ==
	    XC_EUNSUPPORTED, "ML-KEM identity reported as unsupported");
	ok(xc_age_recipient_decode(pk2, pk_s, strlen(pk_s) - 1) == XC_EKEY,
	    "truncated recipient refused");
	for (i = 0; i < 10000; i++) {
		uint8_t a[32], b[32], p[32];
		char e[XC_AGE_SECRET_MAX];
		randombytes_buf(a, 32);
		if (xc_age_identity_encode(e, sizeof e, a) != 0 ||
		    xc_age_identity_decode(b, e, strlen(e)) != 0 ||
		    memcmp(a, b, 32) != 0 || xc_x25519_public(p, a) != 0 ||
		    xc_age_recipient_encode(e, sizeof e, p) != 0 ||
		    xc_age_recipient_decode(b, e, strlen(e)) != 0 ||
		    memcmp(p, b, 32) != 0)
			break;
	}
	ok(i == 10000, "10000 random age keys round-trip");
}

void
test_codec(void)
{
	base64();
	bech32();
	agekeys();
}
