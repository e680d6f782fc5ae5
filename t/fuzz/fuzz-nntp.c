/*
 * fuzz-nntp.c - libFuzzer target for the NNTP client's response parser
 * (lib/nntp.c): the input is everything a server says on one connection,
 * read through an in-memory xc_conn; the client greets, lists a group,
 * fetches two envelopes and posts one.  Properties: no crash, no leak,
 * and the cursor of a listing is never moved by a failed one (B08).
 */
#include <stdlib.h>
#include <string.h>

#include "memconn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
mclose(xc_conn *c)
{
	free(c);
}

static int
each(void *arg, const xc_nntp_over *o)
{
	(*(size_t *)arg)++;
	return o->route.ntags == 0 ? XC_EINVAL : 0;
}

static int
got(void *arg, size_t i, int st, const uint8_t *env, size_t len)
{
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct memconn *m = calloc(1, sizeof *m);
	xc_net_opts o = { 1000, 1000, 65536, NULL };
	xc_nntp *n;
	xc_post_result r;
	uint64_t next = 12345, foreign = 0;
	size_t seen = 0;
	static const char *const ids[] = {
		"0000000000000000000000000000000000000000000000000000000000000000",
		"a1af075b531f97851a157123e5c29b5940b14ba315839ec5e7739342658db077"
	};

	if (m == NULL)
		return 0;
	/* small reads (7 to 306 bytes): lines cross buffer boundaries */
	memconn_init(m, data, size, 7, 300, mclose);
	if (xc_nntp_open(&n, &m->c, &o) != 0)
		return 0;
	if (xc_nntp_list(n, "xc.b.00", 3, each, &seen, &next, &foreign) != 0 &&
	    next != 12345)
		abort();
	(void)xc_nntp_fetch(n, ids, 2, got, NULL);
	(void)xc_nntp_post(n, ids[0], (const uint8_t *)"a\r\n", 3, &r);
	(void)xc_nntp_last(n);
	xc_nntp_close(n);
	return 0;
}
