/*
 * memconn.h - an xc_conn over a byte array for the network fuzz targets:
 * reads hand out what a server or proxy "says" in small, varying pieces,
 * so that lines and replies cross read boundaries; writes go nowhere.
 */
#include <string.h>

#include "../../lib/xc.h"

struct memconn {
	xc_conn c;
	const uint8_t *p;
	size_t len, off;
	size_t base, spread;	/* a read gives base + off % spread bytes */
};

static int
memconn_read(xc_conn *c, uint8_t *buf, size_t len, size_t *got)
{
	struct memconn *m = (struct memconn *)c;
	size_t n = m->len - m->off;

	if (n == 0)
		return xc_fail(XC_ENET, "the server closed the connection");
	if (n > len)
		n = len;
	if (n > m->base)
		n = m->base + m->off % m->spread;
	if (n > m->len - m->off)
		n = m->len - m->off;
	if (n > len)
		n = len;
	memcpy(buf, m->p + m->off, n);
	m->off += n;
	*got = n;
	return 0;
}

static int
memconn_write(xc_conn *c, const uint8_t *buf, size_t len)
{
	(void)c;
	(void)buf;
	(void)len;
	return 0;
}

static void
memconn_init(struct memconn *m, const uint8_t *p, size_t len, size_t base,
    size_t spread, void (*close)(xc_conn *))
{
	memset(m, 0, sizeof *m);
	m->p = p;
	m->len = len;
	m->base = base;
	m->spread = spread;
	m->c.read = memconn_read;
	m->c.write = memconn_write;
	m->c.close = close;
	m->c.timeout_ms = 1000;
}
