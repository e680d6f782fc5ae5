/*
 * fuzz-decrypt.c - libFuzzer target for whole-file decryption (B02) with
 * the X25519 identity of the CCTV vectors, so that seeds from them reach
 * the payload.  Property: on failure, what was released is whole 64 KiB
 * chunks (the streaming rule never releases a partial, unverified chunk).
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../../lib/xc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char identity[] = "AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK"
    "2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0";

static int
count(void *ctx, const uint8_t *b, size_t n)
{
	(void)b;
	*(size_t *)ctx += n;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static xc_ids *ids;
	xc_memrd m = { data, size, 0 };
	size_t out = 0;
	int rc;

	if (ids == NULL) {
		if (sodium_init() < 0 || (ids = xc_ids_new()) == NULL ||
		    xc_ids_parse(ids, identity, sizeof identity - 1, NULL) != 0)
			abort();
	}
	rc = xc_age_decrypt((xc_rd){ xc_mem_read, &m },
	    (xc_wr){ count, &out }, ids);
	if (rc != 0 && out % XC_CHUNK_BYTES != 0)
		abort();
	return 0;
}
