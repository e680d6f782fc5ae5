/*
 * fuzz-letter-v2.c - libFuzzer target for the letter reader of
 * xc-letter(5) version 2 (xc_letter_read with dirfd -1: every part staged
 * and decoded in memory): the canonical tar recogniser, the staging and
 * hashing of parts before the signed header, the header, the checks of
 * the entries against it, the end of the archive and the padding, then
 * zlib.
 *
 * Two kinds of input.  One that begins with 'Z' (or 'Y') is a zlib
 * attachment (or body): bytes 1-3 give its declared size (little-endian,
 * at most 16 MiB), the rest its stored bytes; the target wraps them in a
 * valid unsigned letter (right hashes, sizes and padding) so that
 * inflation is reached with any bytes.
 * Any other input is a letter as it is; the seeds (t/fuzz/seeds.sh) are
 * letters from xc-seal opened with xc-open --raw, most of them unsigned,
 * whose headers a mutation does not break by breaking a signature.
 *
 * Properties, beyond no crash and no leak: a failure is one of the
 * documented codes and leaves nothing staged; a success read the whole
 * input, of its level's length (xc_letter_padded), a body of the declared
 * size, NUL-terminated, every part decoded to its declared size; and
 * (TESTPLAN B04, H07) xc_letter_serialize writes the input again, byte for
 * byte: no unsigned byte is left for anyone to change.
 */
#define _GNU_SOURCE		/* asprintf */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../../lib/xc.h"
#include "../../lib/letter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static int
put(void *ctx, const uint8_t *b, size_t n)
{
	struct buf *m = ctx;

	if (m->len + n > m->cap) {
		size_t cap = m->cap ? m->cap : 65536;
		while (cap < m->len + n)
			cap *= 2;
		if ((m->p = realloc(m->p, cap)) == NULL)
			abort();
		m->cap = cap;
	}
	memcpy(m->p + m->len, b, n);
	m->len += n;
	return 0;
}

static void
entry(struct buf *b, const char *name, const uint8_t *d, size_t n)
{
	static const uint8_t zero[512];
	uint8_t h[XC_TAR_HDR_MAX];

	put(b, h, xc_tar_header(h, name, n, 1796399190));
	if (n)
		put(b, d, n);
	put(b, zero, (size_t)XC_TAR_PAD(n));
}

#define PART "{\"name\":\"%s\",\"role\":\"%s\",\"type\":\"%s\"," \
	"\"size\":%zu,\"stored\":%zu,\"encoding\":\"%s\",\"hash\":\"%s\"}"

/* An unsigned level 1 letter: an empty text and one zlib part, or (for
 * 'Y') a zlib text alone.  The body is inflated to memory, an attachment
 * in memory too here (dirfd -1), but by the body's own path. */
static void
zletter(struct buf *b, const uint8_t *data, size_t size)
{
	static const uint8_t zero[1024];
	struct xc_tree t;
	uint8_t h[32], eh[32];
	char hb[48], ehb[48], body[256], file[256], *json;
	size_t declared = data[1] | (size_t)data[2] << 8 |
	    (size_t)data[3] << 16, n = size - 4;
	int len;

	xc_tree_init(&t);
	xc_tree_final(&t, eh);
	xc_tree_init(&t);
	xc_tree_update(&t, NULL, data + 4, n);
	xc_tree_final(&t, h);
	xc_b64_encode(hb, h, 32);
	xc_b64_encode(ehb, eh, 32);
	/* The body, then (but for 'Y') the attachment, as parts of the
	 * header. */
	if (data[0] == 'Y') {
		snprintf(body, sizeof body, PART, "message.txt", "body",
		    "text/plain; charset=utf-8", declared, n, "zlib", hb);
		file[0] = '\0';
	} else {
		snprintf(body, sizeof body, PART, "message.txt", "body",
		    "text/plain; charset=utf-8", (size_t)0, (size_t)0, "none",
		    ehb);
		snprintf(file, sizeof file, "," PART, "z.bin", "file",
		    "application/octet-stream", declared, n, "zlib", hb);
	}
	len = asprintf(&json, "xc-letter-v2 - -\n{\"v\":2,\"id\":"
	    "\"0123456789abcdef0123456789abcdef\",\"date\":1796399190,"
	    "\"expires\":0,\"level\":1,\"to\":[{\"handle\":\"bob\","
	    "\"fp\":\"12345 12345 12345 12345 12345 12345\"}],"
	    "\"stanzas\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
	    "\"reply_to\":\"\",\"thread\":\"\",\"parts\":[%s%s]}\n", body, file);
	if (len < 0)
		abort();
	if (data[0] == 'Y')
		entry(b, XC_BODY_NAME, data + 4, n);
	else {
		entry(b, XC_BODY_NAME, NULL, 0);
		entry(b, "z.bin", data + 4, n);
	}
	entry(b, XC_TRAILER_NAME, (uint8_t *)json, (size_t)len);
	put(b, zero, sizeof zero);
	free(json);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int done;
	struct buf made = { NULL, 0, 0 }, again = { NULL, 0, 0 };
	const uint8_t *in = data;
	xc_memrd m;
	xc_letter L;
	size_t i;
	int rc;

	if (!done) {
		if (sodium_init() < 0)
			abort();
		done = 1;
	}
	if (size >= 4 && (data[0] == 'Z' || data[0] == 'Y')) {
		zletter(&made, data, size);
		in = made.p;
		size = made.len;
	}
	m = (xc_memrd){ in, size, 0 };
	rc = xc_letter_read((xc_rd){ xc_mem_read, &m }, -1, &L);
	for (i = 0; i < L.nparts; i++)
		if (L.parts[i].tmp[0] != '\0' || L.parts[i].ztmp[0] != '\0')
			abort();
	if (rc != 0) {
		switch (rc) {
		case XC_EHEADER: case XC_EPAYLOAD: case XC_ELIMIT: case XC_ESIG:
		case XC_EJSON: case XC_ECARD: case XC_EUNSUPPORTED:
		case XC_ENOMEM:
			break;
		default:
			abort();
		}
		goto out;
	}
	if (L.length != size || L.nparts < 1 || L.body == NULL ||
	    L.bodylen != L.parts[0].size || L.body[L.bodylen] != 0 ||
	    L.padded != (L.level >= 2))
		abort();
	for (i = 0; i < L.nparts; i++)
		if (L.parts[i].mem == NULL && L.parts[i].size > 0)
			abort();
	if (xc_letter_serialize(&L, (xc_wr){ put, &again }) != 0 ||
	    again.len != size || memcmp(again.p, in, size) != 0)
		abort();
out:
	xc_letter_free(&L);
	free(made.p);
	free(again.p);
	return 0;
}
