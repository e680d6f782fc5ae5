/*
 * fuzz-armor.c - libFuzzer target for the ASCII armor reader.
 * Property: whatever the reader accepts, re-armored by the writer and read
 * again, gives the same bytes; the reader never returns more than it read.
 */
#include <stdlib.h>
#include <string.h>

#include "../../lib/xc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static int
put(void *ctx, const uint8_t *b, size_t n)
{
	struct buf *o = ctx;

	if (n == 0)
		return 0;
	if (o->len + n > o->cap) {
		o->cap = (o->len + n) * 2;
		if ((o->p = realloc(o->p, o->cap)) == NULL)
			abort();
	}
	memcpy(o->p + o->len, b, n);
	o->len += n;
	return 0;
}

/* Reads all of data through the armor reader into out; 0 on success. */
static int
dearmor(const uint8_t *data, size_t size, struct buf *out)
{
	xc_memrd m = { data, size, 0 };
	xc_in *in = malloc(sizeof *in);
	xc_armor_rd *a;
	xc_rd rd;
	uint8_t chunk[1000];
	size_t got;
	int rc;

	xc_in_init(in, (xc_rd){ xc_mem_read, &m });
	if (xc_armor_rd_new(&a, in, &rd) != 0)
		abort();
	do {
		if ((rc = rd.read(rd.ctx, chunk, sizeof chunk, &got)) != 0)
			break;
		put(out, chunk, got);
	} while (got > 0);
	xc_armor_rd_free(a);
	free(in);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf one = {0}, arm = {0}, two = {0};

	if (dearmor(data, size, &one) == 0) {
		xc_armor_wr *w;
		xc_wr wr;
		if (one.len > size)
			abort();
		if (xc_armor_wr_new(&w, (xc_wr){ put, &arm }, &wr) != 0 ||
		    wr.write(wr.ctx, one.p, one.len) != 0 ||
		    xc_armor_wr_close(w) != 0)
			abort();
		xc_armor_wr_free(w);
		if (dearmor(arm.p, arm.len, &two) != 0 || two.len != one.len ||
		    (one.len && memcmp(one.p, two.p, one.len) != 0))
			abort();
	}
	free(one.p);
	free(arm.p);
	free(two.p);
	return 0;
}
