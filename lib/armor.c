/*
 * armor.c - age's ASCII armor: strict PEM (RFC 7468 §3, figure 3) with the
 * label "AGE ENCRYPTED FILE" and padded base64 in 64-column lines.
 *
 * The reader accepts whitespace before and after the PEM block and CRLF line
 * ends, as the spec allows, and nothing else: no headers, no empty or
 * over-long lines, no line after the short last line, canonical base64 with
 * padding only at the very end.  Bytes are released as they are decoded;
 * the payload's own authentication decides what is trusted.
 */
#include <stdlib.h>
#include <string.h>

#include "xc.h"

static const char begin[] = "-----BEGIN AGE ENCRYPTED FILE-----";
static const char end[] = "-----END AGE ENCRYPTED FILE-----";

/* ---- writer ---- */

struct xc_armor_wr {
	xc_wr under;
	uint8_t part[48];	/* bytes waiting for a full line */
	size_t npart;
	int started;
};

static int
put_line(xc_armor_wr *a, const uint8_t *in, size_t n)
{
	char line[66];
	size_t i, k = 0;
	static const char al[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	for (i = 0; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		    in[i + 2];
		line[k++] = al[v >> 18];
		line[k++] = al[v >> 12 & 63];
		line[k++] = al[v >> 6 & 63];
		line[k++] = al[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;
		line[k++] = al[v >> 18];
		line[k++] = al[v >> 12 & 63];
		line[k++] = '=';
		line[k++] = '=';
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		line[k++] = al[v >> 18];
		line[k++] = al[v >> 12 & 63];
		line[k++] = al[v >> 6 & 63];
		line[k++] = '=';
	}
	line[k++] = '\n';
	return a->under.write(a->under.ctx, (uint8_t *)line, k);
}

static int
armor_write(void *ctx, const uint8_t *buf, size_t len)
{
	xc_armor_wr *a = ctx;
	int rc;

	if (!a->started) {
		if ((rc = a->under.write(a->under.ctx, (const uint8_t *)begin,
		    sizeof begin - 1)) < 0 ||
		    (rc = a->under.write(a->under.ctx, (const uint8_t *)"\n",
		    1)) < 0)
			return rc;
		a->started = 1;
	}
	while (len > 0) {
		size_t take = 48 - a->npart < len ? 48 - a->npart : len;
		memcpy(a->part + a->npart, buf, take);
		a->npart += take;
		buf += take;
		len -= take;
		if (a->npart == 48) {
			if ((rc = put_line(a, a->part, 48)) < 0)
				return rc;
			a->npart = 0;
		}
	}
	return 0;
}

int
xc_armor_wr_new(xc_armor_wr **ap, xc_wr under, xc_wr *as)
{
	xc_armor_wr *a = calloc(1, sizeof *a);

	if (a == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	a->under = under;
	as->write = armor_write;
	as->ctx = a;
	*ap = a;
	return 0;
}

int
xc_armor_wr_close(xc_armor_wr *a)
{
	int rc;

	if ((rc = armor_write(a, NULL, 0)) < 0)
		return rc;
	if (a->npart > 0 && (rc = put_line(a, a->part, a->npart)) < 0)
		return rc;
	a->npart = 0;
	if ((rc = a->under.write(a->under.ctx, (const uint8_t *)end,
	    sizeof end - 1)) < 0)
		return rc;
	return a->under.write(a->under.ctx, (const uint8_t *)"\n", 1);
}

void
xc_armor_wr_free(xc_armor_wr *a)
{
	free(a);
}

/* ---- reader ---- */

struct xc_armor_rd {
	xc_in *under;
	uint8_t out[48];
	size_t off, len;
	int started, lastline, done;
};

static int
isws(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Skips whitespace (at most XC_MAX_ARMOR_WS bytes); *eof if input ended. */
static int
skip_ws(xc_in *in, int *eof)
{
	size_t n = 0;

	for (;;) {
		const uint8_t *p;
		size_t avail, i;
		int rc;

		if ((rc = xc_in_peek(in, 1, &p, &avail)) < 0)
			return rc;
		if (avail == 0) {
			*eof = 1;
			return 0;
		}
		for (i = 0; i < avail && isws(p[i]); i++)
			;
		in->off += i;
		n += i;
		if (n > XC_MAX_ARMOR_WS)
			return xc_fail(XC_EARMOR, "too much whitespace");
		if (i < avail) {
			*eof = 0;
			return 0;
		}
	}
}

/* Reads one line without its LF or CRLF; *eof when nothing is left. */
static int
get_line(xc_in *in, char *line, size_t cap, size_t *n, int *eof)
{
	size_t k;
	int rc;

	if ((rc = xc_in_line(in, (uint8_t *)line, cap, &k)) < 0)
		return rc == XC_ELIMIT ? xc_fail(XC_EARMOR, "line too long") :
		    rc;
	*eof = k == 0;
	if (k > 0 && line[k - 1] == '\n')
		k--;
	if (k > 0 && line[k - 1] == '\r')
		k--;
	*n = k;
	return 0;
}

/* Decodes one armor line of padded base64 into a->out. */
static int
decode_line(xc_armor_rd *a, const char *l, size_t n)
{
	size_t pad = 0, i, got;

	if (n == 0)
		return xc_fail(XC_EARMOR, "empty line");
	if (n > 64)
		return xc_fail(XC_EARMOR, "line longer than 64 columns");
	if (n % 4 != 0)
		return xc_fail(XC_EARMOR, "base64 line is not padded");
	while (pad < 2 && l[n - 1 - pad] == '=')
		pad++;
	for (i = 0; i < n - pad; i++)
		if (l[i] == '=')
			return xc_fail(XC_EARMOR, "misplaced base64 padding");
	if (xc_b64_decode(a->out, sizeof a->out, &got, l, n - pad) != 0)
		return xc_fail(XC_EARMOR, "invalid or non-canonical base64");
	if (n < 64 || pad > 0)
		a->lastline = 1;
	a->off = 0;
	a->len = got;
	return 0;
}

static int
armor_read(void *ctx, uint8_t *buf, size_t len, size_t *got)
{
	xc_armor_rd *a = ctx;
	char line[80];
	size_t n, k = 0;
	int rc, eof;

	while (k < len) {
		if (a->off < a->len) {
			size_t take = a->len - a->off < len - k ?
			    a->len - a->off : len - k;
			memcpy(buf + k, a->out + a->off, take);
			a->off += take;
			k += take;
			continue;
		}
		if (a->done)
			break;
		if (!a->started) {
			if ((rc = skip_ws(a->under, &eof)) < 0)
				return rc;
			if ((rc = get_line(a->under, line, sizeof line, &n,
			    &eof)) < 0)
				return rc;
			if (n != sizeof begin - 1 || memcmp(line, begin, n) != 0)
				return xc_fail(XC_EARMOR,
				    "no age armor BEGIN line");
			a->started = 1;
			continue;
		}
		if ((rc = get_line(a->under, line, sizeof line, &n, &eof)) < 0)
			return rc;
		if (eof)
			return xc_fail(XC_EARMOR, "missing END line");
		if (n == sizeof end - 1 && memcmp(line, end, n) == 0) {
			if ((rc = skip_ws(a->under, &eof)) < 0)
				return rc;
			if (!eof)
				return xc_fail(XC_EARMOR,
				    "data after the END line");
			a->done = 1;
			break;
		}
		if (a->lastline)
			return xc_fail(XC_EARMOR, "line after the last line");
		if ((rc = decode_line(a, line, n)) < 0)
			return rc;
	}
	*got = k;
	return 0;
}

int
xc_armor_rd_new(xc_armor_rd **ap, xc_in *under, xc_rd *as)
{
	xc_armor_rd *a = calloc(1, sizeof *a);

	if (a == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	a->under = under;
	as->read = armor_read;
	as->ctx = a;
	*ap = a;
	return 0;
}

void
xc_armor_rd_free(xc_armor_rd *a)
{
	free(a);
}
