/*
 * fuzz-minisign.c - libFuzzer target for the minisign signature reader
 * (xc-verify -m/-x).  Property: no crash, and nothing verifies under a key
 * that never signed anything.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../../lib/xc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t msg[] = "hello\n";
	uint8_t ik[32], id[8];
	char trusted[4200];
	xc_memrd m = { msg, sizeof msg - 1, 0 };

	if (sodium_init() < 0)
		abort();
	memset(ik, 0x42, sizeof ik);
	(void)xc_minisign_keyid_of(id, (const char *)data, size);
	if (xc_minisign_verify((const char *)data, size, ik,
	    (xc_rd){ xc_mem_read, &m }, trusted, sizeof trusted) == 0)
		abort();
	return 0;
}
