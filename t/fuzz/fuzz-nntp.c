/*
 * fuzz-nntp.c - libFuzzer target for the NNTP client's response parser
 * (lib/nntp.c): the input is everything a server says on one connection,
 * read through an in-memory xc_conn; the client greets, lists a group,
 * fetches two envelopes and posts one.  Properties: no crash, no leak,
 * and the cursor of a listing is never moved by a failed one (B08).
 */
#include <stdlib.h>
#include <string.h>

#include "../../lib/xc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct memconn {
	xc_conn c;
	const uint8_t *p;
	size_t len, off;
};

static int
mread(xc_conn *c, uint8_t *buf, size_t len, size_t *got)
{
	struct memconn *m = (struct memconn *)c;
	size_t n = m->len - m->off;

	if (n == 0)
		return xc_fail(XC_ENET, "the server closed the connection");
	if (n > len)
		n = len;
	if (n > 7)	/* small reads: lines cross buffer boundaries */
		n = 7 + (m->off % 300);
	if (n > m->len - m->off)
		n = m->len - m->off;
	memcpy(buf, m->p + m->off, n);
	m->off += n;
	*got = n;
	return 0;
}

static int
mwrite(xc_conn *c, const uint8_t *buf, size_t len)
{
	return 0;
}

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

	m->p = data;
	m->len = size;
	m->c.read = mread;
	m->c.write = mwrite;
	m->c.close = mclose;
	m->c.timeout_ms = 1000;
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
