/*
 * fuzz-letter-header.c - libFuzzer target for the "xc-letter" entry of a
 * letter (xc_letter_header: frame line, signature, strict JSON, card,
 * recipients, parts; xc-letter(5)).
 *
 * An input that begins with "xc-letter-v2" is parsed as it is.  Any other
 * input is taken as the header's JSON: the target signs it with the card
 * vectors' identity key (seed 32 x 0x01, the key of
 * t/vectors/card/01-first.card, which the seeds carry in their "card"
 * field), so that the checks behind the signature are reached as well;
 * t/fuzz/seeds.sh writes both kinds.
 *
 * Properties, beyond no crash and no leak: a failure is one of the
 * documented codes; a success holds only what the format allows: 1 to
 * 1024 parts, the body first and only first, safe and distinct names,
 * known media types, sizes within the limits, "none" parts stored as they
 * are, zlib parts within the ratio, 1 to 64 recipients, and for a signed
 * header a card whose identity key signed it.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../../lib/xc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char magic[] = "xc-letter-v2";
#define LINE1 (sizeof magic + 43 + 1 + 86 + 1)

static uint8_t pk[32], sk[64];

static void
init(void)
{
	static int done;
	uint8_t seed[32];

	if (done)
		return;
	if (sodium_init() < 0)
		abort();
	memset(seed, 0x01, 32);
	crypto_sign_seed_keypair(pk, sk, seed);
	done = 1;
}

/* The signed entry for json: frame line, json, LF. */
static uint8_t *
sign_json(const uint8_t *json, size_t jlen, size_t *len)
{
	uint8_t sig[64], *m, *e;
	char ik64[44], sig64[87];

	if ((e = malloc(LINE1 + jlen + 1)) == NULL ||
	    (m = malloc(sizeof magic + jlen)) == NULL)
		abort();
	memcpy(m, magic, sizeof magic);
	if (jlen)
		memcpy(m + sizeof magic, json, jlen);
	crypto_sign_detached(sig, NULL, m, sizeof magic + jlen, sk);
	free(m);
	xc_b64_encode(ik64, pk, 32);
	xc_b64_encode(sig64, sig, 64);
	memcpy(e, magic, sizeof magic - 1);
	e[sizeof magic - 1] = ' ';
	memcpy(e + sizeof magic, ik64, 43);
	e[sizeof magic + 43] = ' ';
	memcpy(e + sizeof magic + 44, sig64, 86);
	e[LINE1 - 1] = '\n';
	if (jlen)
		memcpy(e + LINE1, json, jlen);
	e[LINE1 + jlen] = '\n';
	*len = LINE1 + jlen + 1;
	return e;
}

static const char *const types[] = { "text/plain; charset=utf-8",
	"application/octet-stream", "image/jpeg", "image/png", "image/gif",
	"image/webp", NULL };

static void
check_parts(const xc_letter *L)
{
	uint64_t total = 0;
	size_t i, j, t;

	if (L->nparts < 1 || L->nparts > XC_MAX_PARTS || !L->parts[0].body ||
	    strcmp(L->parts[0].name, XC_BODY_NAME) != 0 ||
	    L->parts[0].size > XC_MAX_BODY)
		abort();
	for (i = 0; i < L->nparts; i++) {
		const xc_lpart *p = &L->parts[i];
		if ((i > 0) == (p->body != 0) || xc_part_name_ok(p->name) != 0 ||
		    p->size > XC_MAX_PART || p->stored > XC_MAX_PART ||
		    (!p->zlib && p->stored != p->size) ||
		    (p->zlib && p->size > (1u << 20) &&
		    p->size / XC_MAX_RATIO > p->stored) || p->tmp[0] != '\0')
			abort();
		for (t = 0; types[t] && strcmp(types[t], p->type) != 0; t++)
			;
		if (types[t] == NULL)
			abort();
		for (j = 0; j < i; j++)
			if (strcmp(L->parts[j].name, p->name) == 0)
				abort();
		total += p->size;
	}
	if (total > XC_MAX_TOTAL)
		abort();
}

static void
check(const uint8_t *buf, size_t len)
{
	xc_letter L;
	char h[XC_HANDLE_MAX + 1];
	size_t i;
	int rc;

	memset(&L, 0, sizeof L);
	L.dirfd = -1;
	rc = xc_letter_header(&L, buf, len);
	if (rc != 0) {
		switch (rc) {
		case XC_EHEADER: case XC_ELIMIT: case XC_ESIG: case XC_EJSON:
		case XC_ECARD: case XC_EUNSUPPORTED: case XC_ENOMEM:
			break;
		default:
			abort();
		}
		xc_letter_free(&L);
		return;
	}
	check_parts(&L);
	if (L.nto < 1 || L.nto > XC_MAX_RECIPIENTS || L.level < 0 ||
	    L.level > 4 || L.date < 0 || (L.expires && L.expires <= L.date) ||
	    strlen(L.id) != XC_ID_HEX)
		abort();
	for (i = 0; i < L.nto; i++)
		if (xc_handle_norm(h, L.to[i].handle, strlen(L.to[i].handle))
		    != 0 || strcmp(h, L.to[i].handle) != 0 ||
		    strlen(L.to[i].fp) != XC_FINGERPRINT_LEN)
			abort();
	if (L.is_signed) {
		xc_card c;
		if (L.card == NULL || memcmp(L.sender.ik, L.ik, 32) != 0 ||
		    xc_card_parse(&c, L.card, L.cardlen) != 0 ||
		    memcmp(c.ik, L.ik, 32) != 0)
			abort();
	} else if (L.card != NULL)
		abort();
	xc_letter_free(&L);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *e;
	size_t len;

	init();
	if (size >= sizeof magic - 1 &&
	    memcmp(data, magic, sizeof magic - 1) == 0) {
		check(data, size);
		return 0;
	}
	if (size > XC_MAX_LETTER_HEADER)
		return 0;
	e = sign_json(data, size, &len);
	check(e, len);
	free(e);
	return 0;
}
