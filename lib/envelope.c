/*
 * envelope.c - the xc envelope around a plaintext (xc-envelope(5)): an age
 * v1 header with one X25519 stanza per recipient, shuffled, and one
 * "xc-route" stanza (expiry, mailbox tags) that relays read without a key.
 *
 * This is the part of the format that transports need too (xc-send,
 * xc-fetch and the spool read route stanzas), so it lives in the age
 * layer, below letters: nothing here knows what a letter is.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "xc.h"

static const char tagctx[] = "xc-mailbox-tag-v1";

static void
tag_prefix(uint8_t out[XC_TAG_LEN], const uint8_t pk[32])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, XC_TAG_LEN);
	crypto_generichash_update(&st, (const uint8_t *)tagctx, sizeof tagctx);
	crypto_generichash_update(&st, pk, 32);
	crypto_generichash_final(&st, out, XC_TAG_LEN);
}

void
xc_mailbox_tag(uint8_t tag[XC_TAG_LEN], const uint8_t pk[32], int bits)
{
	uint8_t h[XC_TAG_LEN];
	int i;

	tag_prefix(h, pk);
	randombytes_buf(tag, XC_TAG_LEN);
	for (i = 0; i < bits; i++) {
		uint8_t m = (uint8_t)(0x80 >> (i % 8));
		tag[i / 8] = (uint8_t)((tag[i / 8] & ~m) | (h[i / 8] & m));
	}
}

int
xc_mailbox_match(const uint8_t tag[XC_TAG_LEN], const uint8_t pk[32],
    int bits)
{
	uint8_t h[XC_TAG_LEN];
	int i;

	tag_prefix(h, pk);
	for (i = 0; i < bits; i++) {
		uint8_t m = (uint8_t)(0x80 >> (i % 8));
		if ((tag[i / 8] & m) != (h[i / 8] & m))
			return 0;
	}
	return 1;
}

int64_t
xc_route_expiry(int64_t expires)
{
	const int64_t g = XC_ROUTE_EXPIRY_GRAIN;

	return expires <= 0 ? 0 : (expires + g - 1) / g * g;
}

int
xc_route_get(const xc_header *h, xc_route *r)
{
	const xc_stanza *s = NULL;
	size_t i;
	char *e;
	long long v;

	memset(r, 0, sizeof *r);
	for (i = 0; i < h->nst; i++)
		if (strcmp(h->st[i].args[0], "xc-route") == 0) {
			if (s != NULL)
				return xc_fail(XC_EHEADER,
				    "more than one xc-route stanza");
			s = &h->st[i];
		}
	if (s == NULL)
		return xc_fail(XC_EHEADER,
		    "no xc-route stanza: not an xc envelope");
	if (s->nargs != 3 || strcmp(s->args[1], "1") != 0)
		return xc_fail(XC_EHEADER, "unsupported xc-route stanza");
	/* Canonical decimal only: strtoll alone would take "+5" and "-0". */
	errno = 0;
	v = strtoll(s->args[2], &e, 10);
	if (s->args[2][0] < '0' || s->args[2][0] > '9' || *e != '\0' ||
	    errno != 0 || v < 0 || v > (1LL << 40) ||
	    (s->args[2][0] == '0' && s->args[2][1] != '\0'))
		return xc_fail(XC_EHEADER, "bad expiry in xc-route stanza");
	if (s->bodylen == 0 || s->bodylen % XC_TAG_LEN != 0 ||
	    s->bodylen / XC_TAG_LEN > XC_MAX_RECIPIENTS)
		return xc_fail(XC_EHEADER, "bad tags in xc-route stanza");
	r->expires = v;
	r->ntags = s->bodylen / XC_TAG_LEN;
	memcpy(r->tags, s->body, s->bodylen);
	return 0;
}

int
xc_envelope_route(const xc_header *h, xc_route *r)
{
	size_t i, nx = 0;
	int rc;

	if ((rc = xc_route_get(h, r)) < 0)
		return rc;
	for (i = 0; i < h->nst; i++) {
		if (strcmp(h->st[i].args[0], "X25519") == 0)
			nx++;
		else if (strcmp(h->st[i].args[0], "xc-route") != 0)
			return xc_fail(XC_EHEADER, "an xc envelope has X25519 "
			    "stanzas only");
	}
	if (nx != r->ntags)
		return xc_fail(XC_EHEADER, "xc-route tags do not match the "
		    "recipients");
	return 0;
}

int
xc_stanza_hash(uint8_t out[32], const xc_header *h)
{
	xc_header t;
	uint8_t *raw = NULL;
	size_t rawlen, i;
	int rc;

	memset(&t, 0, sizeof t);
	if ((t.st = calloc(h->nst ? h->nst : 1, sizeof *t.st)) == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	for (i = 0; i < h->nst; i++)
		if (strcmp(h->st[i].args[0], "xc-route") != 0)
			t.st[t.nst++] = h->st[i];
	if ((rc = xc_header_marshal(&t, &raw, &rawlen)) == 0)
		crypto_generichash(out, 32, raw, rawlen,
		    (const uint8_t *)"xc-stanzas-v1", 13);
	free(raw);
	free(t.st);
	return rc;
}

/* What xc_envelope_begin keeps until xc_envelope_free. */
struct envpriv {
	xc_header h;
	xc_stanza *st;
	void *arena;
	uint8_t *filekey;
	uint8_t tags[XC_MAX_RECIPIENTS][XC_TAG_LEN];
	char expiry[24];
	xc_armor_wr *aw;
};

static void
shuffle(xc_stanza *st, size_t n)
{
	size_t i;

	for (i = n; i > 1; i--) {
		size_t j = randombytes_uniform((uint32_t)i);
		xc_stanza t = st[i - 1];
		st[i - 1] = st[j];
		st[j] = t;
	}
}

static int
build(struct envpriv *p, uint8_t stanzas[32], const uint8_t (*pks)[32],
    const int *bits, size_t n, int64_t expires)
{
	xc_rcpts *r;
	uint8_t *raw = NULL;
	size_t nst, rawlen, i;
	int rc = 0;

	if ((r = xc_rcpts_new()) == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	for (i = 0; i < n && rc == 0; i++) {
		rc = xc_rcpts_add_x25519(r, pks[i]);
		xc_mailbox_tag(p->tags[i], pks[i], bits[i]);
	}
	randombytes_buf(p->filekey, XC_FILE_KEY_BYTES);
	if (rc == 0)
		rc = xc_rcpts_wrap(r, p->filekey, &p->st, &nst, &p->arena);
	xc_rcpts_free(r);
	if (rc < 0)
		return rc;
	/* Neither stanza order nor tag order says which recipient is which. */
	shuffle(p->st, nst);
	for (i = n; i > 1; i--) {
		size_t j = randombytes_uniform((uint32_t)i);
		uint8_t t[XC_TAG_LEN];
		memcpy(t, p->tags[i - 1], XC_TAG_LEN);
		memcpy(p->tags[i - 1], p->tags[j], XC_TAG_LEN);
		memcpy(p->tags[j], t, XC_TAG_LEN);
	}
	if ((p->h.st = calloc(nst + 1, sizeof *p->h.st)) == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	memcpy(p->h.st, p->st, nst * sizeof *p->st);
	p->h.nst = nst;
	if ((rc = xc_stanza_hash(stanzas, &p->h)) < 0)
		return rc;
	snprintf(p->expiry, sizeof p->expiry, "%lld", (long long)expires);
	p->h.st[nst].args[0] = (char *)"xc-route";
	p->h.st[nst].args[1] = (char *)"1";
	p->h.st[nst].args[2] = p->expiry;
	p->h.st[nst].nargs = 3;
	p->h.st[nst].body = &p->tags[0][0];
	p->h.st[nst].bodylen = n * XC_TAG_LEN;
	p->h.nst = nst + 1;
	if ((rc = xc_header_marshal(&p->h, &raw, &rawlen)) == 0)
		rc = xc_header_mac(p->h.mac, p->filekey, raw, rawlen);
	free(raw);
	return rc;
}

int
xc_envelope_begin(xc_envelope *e, xc_wr out, const uint8_t (*pks)[32],
    const int *bits, size_t n, int64_t expires, int armor)
{
	struct envpriv *p;
	uint8_t nonce[XC_NONCE_BYTES];
	int rc;

	memset(e, 0, sizeof *e);
	if (n < 1 || n > XC_MAX_RECIPIENTS || expires < 0 ||
	    expires > ((int64_t)1 << 40))
		return xc_fail(XC_EINVAL, "1 to 64 recipients");
	if ((p = calloc(1, sizeof *p)) == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	e->priv = p;
	p->filekey = sodium_malloc(XC_FILE_KEY_BYTES);
	e->key = sodium_malloc(32);
	if (p->filekey == NULL || e->key == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	if ((rc = build(p, e->stanzas, pks, bits, n, expires)) < 0)
		return rc;
	e->w = out;
	if (armor && (rc = xc_armor_wr_new(&p->aw, out, &e->w)) < 0)
		return rc;
	if ((rc = xc_header_write(e->w, &p->h)) < 0)
		return rc;
	randombytes_buf(nonce, sizeof nonce);
	if ((rc = e->w.write(e->w.ctx, nonce, sizeof nonce)) < 0)
		return rc;
	return xc_age_payload_key(e->key, p->filekey, nonce);
}

int
xc_envelope_finish(xc_envelope *e)
{
	struct envpriv *p = e->priv;

	return p && p->aw ? xc_armor_wr_close(p->aw) : 0;
}

void
xc_envelope_free(xc_envelope *e)
{
	struct envpriv *p = e->priv;

	if (p) {
		xc_armor_wr_free(p->aw);
		free(p->h.st);
		free(p->st);
		free(p->arena);
		sodium_free(p->filekey);
		free(p);
	}
	sodium_free(e->key);
	memset(e, 0, sizeof *e);
}

int
xc_envelope_seal(xc_rd in, xc_wr out, const uint8_t (*pks)[32],
    const int *bits, size_t n, int64_t expires, int armor)
{
	xc_envelope e;
	int rc;

	if ((rc = xc_envelope_begin(&e, out, pks, bits, n, expires,
	    armor)) == 0 && (rc = xc_stream_encrypt(in, e.w, e.key)) == 0)
		rc = xc_envelope_finish(&e);
	xc_envelope_free(&e);
	return rc;
}

/* ---- the spool's marker (here, not in the spool code, since xc-seal
 * reads the max-size of the spool it will be sent to) ---- */

int
xc_spool_marker_parse(const char *buf, size_t len, uint64_t *max_size)
{
	const char *l, *end = buf + len;

	*max_size = XC_SPOOL_MAX_SIZE;
	if (len < sizeof XC_SPOOL_MAGIC - 1 ||
	    memcmp(buf, XC_SPOOL_MAGIC, sizeof XC_SPOOL_MAGIC - 1) != 0)
		return xc_fail(XC_EUNSUPPORTED, "unknown spool version");
	/* "max-size N" may lower or raise the envelope limit; other lines
	 * and values out of range are ignored. */
	for (l = buf + sizeof XC_SPOOL_MAGIC - 1; l < end;) {
		const char *nl = memchr(l, '\n', (size_t)(end - l));
		size_t ll = nl ? (size_t)(nl - l) : (size_t)(end - l), i;
		uint64_t v = 0;
		if (ll > 9 && ll <= 9 + 14 && memcmp(l, "max-size ", 9) == 0) {
			for (i = 9; i < ll && l[i] >= '0' && l[i] <= '9'; i++)
				v = v * 10 + (uint64_t)(l[i] - '0');
			if (i == ll && v >= 1024 && v <= ((uint64_t)1 << 40))
				*max_size = v;
		}
		l += ll + 1;
	}
	return 0;
}

/* ---- names: "ID-EXPIRY.age" in spools, outboxes and inboxes (here, not in
 * the spool code, since xc-open reads inbox names too) ---- */

int
xc_envelope_name(char out[XC_ENVNAME_MAX], const char *id, int64_t expires)
{
	snprintf(out, XC_ENVNAME_MAX, "%s-%lld.age", id, (long long)expires);
	return 0;
}

/* "ID-EXPIRY.age" at the start of name; the rest in *rest. */
static int
parse_prefix(const char *name, char id[XC_ENVID_HEX + 1], int64_t *expires,
    const char **rest)
{
	const char *p;
	int64_t v = 0;
	size_t i;

	for (i = 0; i < XC_ENVID_HEX; i++)
		if (!((name[i] >= '0' && name[i] <= '9') ||
		    (name[i] >= 'a' && name[i] <= 'f')))
			return -1;
	p = name + XC_ENVID_HEX;
	if (*p++ != '-' || *p < '0' || *p > '9' || (*p == '0' && p[1] != '.'))
		return -1;
	for (i = 0; *p >= '0' && *p <= '9'; p++, i++) {
		if (i == 18)
			return -1;	/* no overflow */
		v = v * 10 + (*p - '0');
	}
	if (strncmp(p, ".age", 4) != 0)
		return -1;
	memcpy(id, name, XC_ENVID_HEX);
	id[XC_ENVID_HEX] = '\0';
	*expires = v;
	*rest = p + 4;
	return 0;
}

int
xc_envelope_parse_name(const char *name, char id[XC_ENVID_HEX + 1],
    int64_t *expires)
{
	const char *rest;

	return parse_prefix(name, id, expires, &rest) == 0 && *rest == '\0' ?
	    0 : -1;
}

int
xc_maildir_parse_name(const char *name, char id[XC_ENVID_HEX + 1],
    int64_t *expires, const char **info)
{
	const char *rest, *p;

	if (parse_prefix(name, id, expires, &rest) != 0)
		return -1;
	if (*rest != '\0') {
		if (strncmp(rest, ":2,", 3) != 0)
			return -1;
		for (p = rest + 3; *p; p++)
			if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')))
				return -1;
	}
	*info = rest;
	return 0;
}
