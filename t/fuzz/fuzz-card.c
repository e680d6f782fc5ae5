/*
 * fuzz-card.c - libFuzzer target for the card parser (B10, xc-card(5)).
 *
 * An input that begins with "xc-card-v1" is parsed as it is.  Any other
 * input is taken as the JSON line of a card: the target signs it with the
 * vectors' identity key (seed 32 x 0x01) and parses the card so made, so
 * that the checks behind the signature are reached as well; the seeds
 * hold both kinds (t/fuzz/seeds.sh).
 *
 * Properties, beyond no crash and no leak: when a parse succeeds, the hash
 * is SHA-256 of the bytes, a second parse gives the identical struct, every
 * field is inside its documented range (reach: canonical servers, each
 * once), and when the card is under the
 * fuzzer's key xc_card_sign() writes from the fields a card that parses to
 * the same fields.  A failed parse returns a card error only.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../../lib/xc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char magic[] = "xc-card-v1";
#define LINE1 142

static uint8_t seed[32], pk[32], sk[64];

static void
init(void)
{
	static int done;

	if (done)
		return;
	if (sodium_init() < 0)
		abort();
	memset(seed, 0x01, 32);
	crypto_sign_seed_keypair(pk, sk, seed);
	done = 1;
}

/* line 1 for the fuzzer's key and a signature over json, then json, LF. */
static char *
sign_json(const uint8_t *json, size_t jlen, size_t *len)
{
	uint8_t sig[64], *m;
	char ik64[44], sig64[87], *card;

	if ((card = malloc(LINE1 + jlen + 1)) == NULL ||
	    (m = malloc(sizeof magic + jlen)) == NULL)
		abort();
	memcpy(m, magic, sizeof magic);
	if (jlen)
		memcpy(m + sizeof magic, json, jlen);
	crypto_sign_detached(sig, NULL, m, sizeof magic + jlen, sk);
	free(m);
	xc_b64_encode(ik64, pk, 32);
	xc_b64_encode(sig64, sig, 64);
	memcpy(card, magic, 10);
	card[10] = ' ';
	memcpy(card + 11, ik64, 43);
	card[54] = ' ';
	memcpy(card + 55, sig64, 86);
	card[141] = '\n';
	memcpy(card + LINE1, json, jlen);
	card[LINE1 + jlen] = '\n';
	*len = LINE1 + jlen + 1;
	return card;
}

static void
check_fields(const xc_card *c)
{
	const int64_t tmax = (int64_t)1 << 40;
	char h[XC_HANDLE_MAX + 1];
	size_t i;

	if (memchr(c->handle, '\0', sizeof c->handle) == NULL ||
	    xc_handle_norm(h, c->handle, strlen(c->handle)) != 0 ||
	    strcmp(h, c->handle) != 0)
		abort();
	if (c->nenc < 1 || c->nenc > XC_MAX_CARD_KEYS)
		abort();
	for (i = 0; i < c->nenc; i++)
		if (c->enc[i].from < 0 || c->enc[i].until <= c->enc[i].from ||
		    c->enc[i].until > tmax)
			abort();
	if (c->tag_bits < 0 || c->tag_bits > XC_MAX_TAG_BITS ||
	    c->created < 0 || c->expires <= c->created || c->expires > tmax ||
	    c->seq < 1 || c->seq > (uint64_t)tmax ||
	    (c->has_prev != 0) != (c->seq > 1))
		abort();
	/* reach: at most 8 servers, each canonical, once, with TLS settings
	 * a config line would take. */
	if (c->nreach > XC_MAX_REACH)
		abort();
	for (i = 0; i < c->nreach; i++) {
		char canon[XC_URL_MAX], pins[XC_TLS_PINS_MAX];
		const xc_card_reach *r = &c->reach[i];
		size_t j;
		if (xc_server_canon(canon, r->url) != 0 ||
		    strcmp(canon, r->url) != 0 ||
		    xc_server_tls_check(r->url, r->pin, r->starttls) != 0 ||
		    (r->pin[0] && (xc_tls_pins_text(pins, r->pin) != 0 ||
		    strcmp(pins, r->pin) != 0)))
			abort();
		for (j = 0; j < i; j++)
			if (strcmp(c->reach[j].url, r->url) == 0)
				abort();
	}
}

static void
check(const char *buf, size_t len)
{
	xc_card c, d;
	uint8_t h[32];
	char fp[XC_FINGERPRINT_LEN + 1], sn[XC_SAFETY_LEN + 1], *out;
	size_t olen;
	int rc;

	rc = xc_card_parse(&c, buf, len);
	if (rc == XC_ENOMEM)
		return;
	if (rc != 0) {
		if (rc != XC_ECARD && rc != XC_ESIG)
			abort();
		return;
	}
	crypto_hash_sha256(h, (const uint8_t *)buf, len);
	if (memcmp(h, c.hash, 32) != 0)
		abort();
	if (xc_card_parse(&d, buf, len) != 0)
		abort();
	if (memcmp(&c, &d, sizeof c) != 0)
		abort();
	check_fields(&c);
	if (xc_card_check_chain(&c, &c) != XC_ECHAIN)
		abort();
	(void)xc_card_check_time(&c, c.created);
	xc_fingerprint(fp, c.handle, c.ik);
	xc_safety_number(sn, &c, &d);
	if (strlen(fp) != XC_FINGERPRINT_LEN || strlen(sn) != XC_SAFETY_LEN)
		abort();
	if (memcmp(c.ik, pk, 32) != 0)
		return;
	/* Under our key: the writer's card of these fields reads back. */
	if (xc_card_sign(&d, seed, &out, &olen) != 0)
		abort();
	memcpy(d.hash, c.hash, 32);
	if (memcmp(&c, &d, sizeof c) != 0)
		abort();
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *card;
	size_t len;

	init();
	if (size >= sizeof magic - 1 &&
	    memcmp(data, magic, sizeof magic - 1) == 0) {
		check((const char *)data, size);
		return 0;
	}
	if (size > XC_MAX_CARD)
		return 0;
	card = sign_json(data, size, &len);
	check(card, len);
	free(card);
	return 0;
}
