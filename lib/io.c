/*
 * io.c - byte sources and sinks: file descriptors, memory, and the buffered
 * reader that the header parser and the payload reader share.
 *
 * Reads are bounded by the caller's buffer; a line longer than the caller
 * allows is an error, never a reallocation.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "xc.h"

int
xc_fd_read(void *fdp, uint8_t *buf, size_t len, size_t *got)
{
	int fd = *(int *)fdp;
	ssize_t n;

	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return xc_fail(XC_EREAD, "read failed");
	*got = (size_t)n;
	return 0;
}

int
xc_fd_write(void *fdp, const uint8_t *buf, size_t len)
{
	int fd = *(int *)fdp;

	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return xc_fail(XC_EWRITE, "write failed");
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int
xc_mem_read(void *mp, uint8_t *buf, size_t len, size_t *got)
{
	xc_memrd *m = mp;
	size_t n = m->len - m->off;

	if (n > len)
		n = len;
	if (n)
		memcpy(buf, m->p + m->off, n);
	m->off += n;
	*got = n;
	return 0;
}

void
xc_in_init(xc_in *in, xc_rd src)
{
	in->src = src;
	in->off = in->len = 0;
	in->eof = 0;
}

/* Refills the buffer, keeping unread bytes at its start. */
static int
fill(xc_in *in)
{
	size_t got;
	int rc;

	if (in->eof)
		return 0;
	if (in->off > 0) {
		memmove(in->buf, in->buf + in->off, in->len - in->off);
		in->len -= in->off;
		in->off = 0;
	}
	if (in->len == sizeof in->buf)
		return 0;
	if ((rc = in->src.read(in->src.ctx, in->buf + in->len,
	    sizeof in->buf - in->len, &got)) < 0)
		return rc;
	if (got == 0)
		in->eof = 1;
	in->len += got;
	return 0;
}

int
xc_in_peek(xc_in *in, size_t n, const uint8_t **p, size_t *avail)
{
	int rc;

	if (n > sizeof in->buf)
		n = sizeof in->buf;
	while (in->len - in->off < n && !in->eof)
		if ((rc = fill(in)) < 0)
			return rc;
	*p = in->buf + in->off;
	*avail = in->len - in->off;
	return 0;
}

int
xc_in_line(xc_in *in, uint8_t *out, size_t cap, size_t *n)
{
	size_t k = 0;
	int rc;

	for (;;) {
		uint8_t *s = in->buf + in->off;
		size_t have = in->len - in->off;
		uint8_t *nl = memchr(s, '\n', have);
		size_t take = nl ? (size_t)(nl - s) + 1 : have;

		if (take > cap - k)
			return xc_fail(XC_ELIMIT, "line too long");
		memcpy(out + k, s, take);
		k += take;
		in->off += take;
		if (nl)
			break;
		if (in->eof)
			break;
		if ((rc = fill(in)) < 0)
			return rc;
		if (in->eof && in->off == in->len)
			break;
	}
	*n = k;
	return 0;
}

int
xc_in_read(xc_in *in, uint8_t *out, size_t len, size_t *got)
{
	size_t k = 0;
	int rc;

	/* Serve what is buffered, then read large requests directly. */
	while (k < len) {
		size_t have = in->len - in->off;
		if (have > 0) {
			size_t take = have < len - k ? have : len - k;
			memcpy(out + k, in->buf + in->off, take);
			in->off += take;
			k += take;
			continue;
		}
		if (in->eof)
			break;
		if (len - k >= sizeof in->buf) {
			size_t g;
			if ((rc = in->src.read(in->src.ctx, out + k, len - k,
			    &g)) < 0)
				return rc;
			if (g == 0)
				in->eof = 1;
			k += g;
		} else if ((rc = fill(in)) < 0)
			return rc;
	}
	*got = k;
	return 0;
}
