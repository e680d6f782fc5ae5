/*
 * fuzz-lookup.c - libFuzzer target for a lookup of cards (lib/lookup.c
 * over lib/nntp.c): the input is everything a server says on one
 * connection (greeting, GROUP, OVER of the cards group, the bodies), read
 * through an in-memory xc_conn.  Properties, beyond no crash and no leak:
 * every card kept is one the card parser takes, claims the handle asked
 * for, is kept once, and is marked as found on the one server asked.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "memconn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
mclose(xc_conn *c)
{
	free(c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int done;
	struct memconn *m = calloc(1, sizeof *m);
	xc_net_opts o = { 1000, 1000, 1 << 20, NULL };
	xc_nntp *n;
	xc_lookup L;
	xc_card c;
	size_t i, j;

	if (!done) {
		if (sodium_init() < 0)
			abort();
		done = 1;
	}
	if (m == NULL)
		return 0;
	memconn_init(m, data, size, 7, 300, mclose);
	if (xc_nntp_open(&n, &m->c, &o) != 0)
		return 0;
	memset(&L, 0, sizeof L);
	(void)xc_lookup_nntp(n, 3, "alice", &L);
	xc_nntp_close(n);
	if (L.n > XC_LOOKUP_MAX_CARDS)
		abort();
	for (i = 0; i < L.n; i++) {
		if (xc_card_parse(&c, L.v[i].card, L.v[i].len) != 0 ||
		    strcmp(c.handle, "alice") != 0 ||
		    memcmp(c.hash, L.v[i].c.hash, 32) != 0 ||
		    L.v[i].servers != 1u << 3 || L.v[i].card[L.v[i].len] != 0)
			abort();
		for (j = 0; j < i; j++)
			if (memcmp(L.v[j].c.hash, c.hash, 32) == 0)
				abort();
	}
	xc_lookup_free(&L);
	return 0;
}
