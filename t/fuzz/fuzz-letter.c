/*
 * fuzz-letter.c - libFuzzer target for the letter reader (xc_letter_read:
 * the shadow check of the raw tar bytes, libarchive's tar reader, the
 * header, every part streamed, hashed and inflated, the padding), on raw
 * plaintext, with dirfd -1 so that attachments are checked and never
 * kept.  The seeds (t/fuzz/seeds.sh) are real letters from xc-seal,
 * opened with xc-open --raw.
 *
 * Properties, beyond no crash and no leak: a failure is one of the
 * documented codes and leaves no temporary file named; a success read
 * the whole input (length, padded as Padme says), a body of the declared
 * size, NUL-terminated, and no attachment kept.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../../lib/xc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int done;
	xc_memrd m = { data, size, 0 };
	xc_letter L;
	size_t i;
	int rc;

	if (!done) {
		if (sodium_init() < 0)
			abort();
		done = 1;
	}
	rc = xc_letter_read((xc_rd){ xc_mem_read, &m }, -1, &L);
	for (i = 0; i < L.nparts; i++)
		if (L.parts[i].tmp[0] != '\0')
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
		xc_letter_free(&L);
		return 0;
	}
	if (L.length != size || L.padded != (xc_padme(size) == size) ||
	    L.nparts < 1 || L.body == NULL ||
	    L.bodylen != L.parts[0].size || L.body[L.bodylen] != 0)
		abort();
	xc_letter_free(&L);
	return 0;
}
