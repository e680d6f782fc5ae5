/*
 * fuzz-header.c - libFuzzer target for the age header parser (B01).
 * Property: a header that parses marshals back to exactly the bytes it was
 * parsed from (so the parser accepts one encoding per header, and the MAC
 * covers what was read); a failed parse leaves nothing allocated.
 */
#include <stdlib.h>
#include <string.h>

#include "../../lib/xc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	xc_memrd m = { data, size, 0 };
	xc_in *in = malloc(sizeof *in);
	xc_header h;
	uint8_t *out;
	size_t n;

	xc_in_init(in, (xc_rd){ xc_mem_read, &m });
	if (xc_header_parse(in, &h) == 0) {
		if (xc_header_marshal(&h, &out, &n) != 0)
			abort();
		if (n != h.rawlen || n > size || memcmp(out, data, n) != 0)
			abort();
		free(out);
		xc_header_free(&h);
	}
	free(in);
	return 0;
}
