/*
 * armor.c - age's ASCII armor: strict PEM (RFC 7468 §3, figure 3) with the
 * label "AGE ENCRYPTED FILE" and padded base64 in 64-column lines.
 *
 * The reader accepts whitespace before and after the PEM block and CRLF line
 * ends, as the spec allows, and nothing else: no headers, no empty or
 * over-long lines, no line after the short last line, canonical base64 with
 * padding only at the very end.  Bytes are released as they are decoded;
 * the payload's own authentication decides what is trusted.
 *
 * Text mode (xc_armor_rd_new_text: letters and xc-send, never raw mode,
 * whose strictness the CCTV vectors check) finds the one armored block in
 * surrounding text, such as a pasted chat message: lines before the BEGIN
 * line and after the END line are skipped, at most XC_MAX_ARMOR_TEXT bytes
 * of them, and a second BEGIN line is an error.  The block itself is read
 * as strictly as ever.
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
	int text;		/* text mode */
	size_t skipped;		/* text skipped so far */
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

/* Text mode: the next line, of any length, of which the first cap bytes
 * (without LF or CRLF, and without trailing blanks) go to line; *eof when
 * nothing is left.  Skipped bytes count against XC_MAX_ARMOR_TEXT. */
static int
text_line(xc_armor_rd *a, char *line, size_t cap, size_t *n, int *eof)
{
	size_t k = 0, total = 0;
	int rc;

	*eof = 0;
	for (;;) {
		const uint8_t *p, *nl;
		size_t avail, take;
		if ((rc = xc_in_peek(a->under, 1, &p, &avail)) < 0)
			return rc;
		if (avail == 0) {
			*eof = total == 0;
			break;
		}
		nl = memchr(p, '\n', avail);
		take = nl ? (size_t)(nl - p) + 1 : avail;
		if (k < cap) {
			size_t c = take < cap - k ? take : cap - k;
			memcpy(line + k, p, c);
			k += c;
		}
		a->under->off += take;
		total += take;
		a->skipped += take;
		if (a->skipped > XC_MAX_ARMOR_TEXT)
			return xc_fail(XC_EARMOR, "too much text around the "
			    "armor");
		if (nl)
			break;
	}
	while (k > 0 && (line[k - 1] == '\n' || line[k - 1] == '\r' ||
	    line[k - 1] == ' ' || line[k - 1] == '\t'))
		k--;
	*n = k;
	return 0;
}

/* Text mode: skips lines up to the next BEGIN line.  Before the block
 * (after 0) that line must come; after it (after 1) it must not. */
static int
text_skip(xc_armor_rd *a, int after)
{
	char line[80];
	size_t n = 0;
	int rc, eof;

	for (;;) {
		if ((rc = text_line(a, line, sizeof line, &n, &eof)) < 0)
			return rc;
		if (eof)
			return after ? 0 : xc_fail(XC_EARMOR,
			    "no age armor BEGIN line");
		if (n == sizeof begin - 1 && memcmp(line, begin, n) == 0)
			return after ? xc_fail(XC_EARMOR, "more than one "
			    "armored envelope in the input (one at a time)") : 0;
	}
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
		if (!a->started && a->text) {
			if ((rc = text_skip(a, 0)) < 0)
				return rc;
			a->started = 1;
			continue;
		}
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
		if (a->text && n == sizeof end - 1 && memcmp(line, end, n) ==
		    0) {
			if ((rc = text_skip(a, 1)) < 0)
				return rc;
			a->done = 1;
			break;
		}
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

int
xc_armor_rd_new_text(xc_armor_rd **ap, xc_in *under, xc_rd *as)
{
	int rc;

	if ((rc = xc_armor_rd_new(ap, under, as)) == 0)
		(*ap)->text = 1;
	return rc;
}

void
xc_armor_rd_free(xc_armor_rd *a)
{
	free(a);
}
