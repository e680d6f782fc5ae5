/*
 * tar.c - the canonical tar subset of letters (xc-letter(5), "Layout").
 *
 * A letter is a POSIX tar archive made of regular-file entries only, each
 * written exactly one way: a ustar header block (mode 0644, owner and
 * group 0 without names, the letter's date as mtime, fixed-width octal
 * fields), preceded by a pax 'x' entry holding one "path=" record when the
 * name is not ASCII or is longer than 100 bytes; then the data and zero
 * bytes to the end of its block.  The field formats are libarchive's
 * "pax restricted" ones, so that libarchive (t/craft) serves as an
 * independent writer of the same bytes in the tests.
 *
 * The reader does not interpret a header block so much as recognise it:
 * it pulls out the name, size and mtime, writes the header again with
 * xc_tar_header() and compares the bytes.  Whatever a writer could not
 * have produced (another type, a link, a checksum in another form, bytes
 * in unused fields, a second pax record) is therefore refused, and every
 * byte of a header is a function of (name, size, mtime).
 */
#include <stdio.h>
#include <string.h>

#include "xc.h"

#define NAME_MAX_USTAR 100
#define PAX_NAME_KEEP 90	/* "PaxHeader/" and 90 bytes of the name */

/* v as width-1 octal digits and then term (libarchive's layout). */
static void
octal(uint8_t *f, size_t width, uint64_t v, uint8_t term)
{
	size_t i;

	for (i = width - 1; i > 0; i--, v >>= 3)
		f[i - 1] = (uint8_t)('0' + (v & 7));
	f[width - 1] = term;
}

/* The n-1 octal digits of a field followed by term; -1 if not so. */
static int
unoctal(const uint8_t *f, size_t width, uint8_t term, uint64_t *v)
{
	size_t i;

	*v = 0;
	for (i = 0; i + 1 < width; i++) {
		if (f[i] < '0' || f[i] > '7')
			return -1;
		*v = *v << 3 | (uint64_t)(f[i] - '0');
	}
	return f[width - 1] == term ? 0 : -1;
}

static int
needs_pax(const char *name, size_t len)
{
	size_t i;

	if (len > NAME_MAX_USTAR)
		return 1;
	for (i = 0; i < len; i++)
		if ((unsigned char)name[i] >= 0x80)
			return 1;
	return 0;
}

static void
ustar_block(uint8_t b[XC_TAR_BLOCK], const char *name, size_t namelen,
    uint64_t size, int64_t mtime, uint8_t type)
{
	uint64_t sum = 0;
	size_t i;

	memset(b, 0, XC_TAR_BLOCK);
	memcpy(b, name, namelen);
	octal(b + 100, 7, 0644, ' ');		/* "000644 " NUL */
	octal(b + 108, 7, 0, ' ');		/* uid */
	octal(b + 116, 7, 0, ' ');		/* gid */
	octal(b + 124, 12, size, ' ');
	octal(b + 136, 12, (uint64_t)mtime, ' ');
	b[156] = type;
	memcpy(b + 257, "ustar\0" "00", 8);
	octal(b + 329, 7, 0, ' ');		/* devmajor */
	octal(b + 337, 7, 0, ' ');		/* devminor */
	memset(b + 148, ' ', 8);
	for (i = 0; i < XC_TAR_BLOCK; i++)
		sum += b[i];
	octal(b + 148, 7, sum, 0);		/* six digits, NUL, space */
	b[155] = ' ';
}

/* "LEN path=NAME\n", LEN counting itself. */
static size_t
pax_record(uint8_t *out, const char *name, size_t namelen)
{
	size_t body = namelen + 7, len = body + 1, d;
	char num[8];
	int n;

	for (d = 10; len >= d; d *= 10)
		len++;
	n = snprintf(num, sizeof num, "%zu", len);
	memcpy(out, num, (size_t)n);
	memcpy(out + n, " path=", 6);
	memcpy(out + n + 6, name, namelen);
	out[len - 1] = '\n';
	return len;
}

size_t
xc_tar_header(uint8_t out[XC_TAR_HDR_MAX], const char *name, uint64_t size,
    int64_t mtime)
{
	size_t len = strlen(name), rl;
	char pname[sizeof "PaxHeader/" + PAX_NAME_KEEP];

	if (!needs_pax(name, len)) {
		ustar_block(out, name, len, size, mtime, '0');
		return XC_TAR_BLOCK;
	}
	memset(out + XC_TAR_BLOCK, 0, XC_TAR_BLOCK);
	rl = pax_record(out + XC_TAR_BLOCK, name, len);
	snprintf(pname, sizeof pname, "PaxHeader/%.*s",
	    (int)(len < PAX_NAME_KEEP ? len : PAX_NAME_KEEP), name);
	ustar_block(out, pname, strlen(pname), rl, mtime, 'x');
	ustar_block(out + 2 * XC_TAR_BLOCK, name, len < NAME_MAX_USTAR ? len :
	    NAME_MAX_USTAR, size, mtime, '0');
	return 3 * XC_TAR_BLOCK;
}

/*
 * The reader's side: a header in hdr (have bytes so far, a multiple of
 * 512).  Returns 1 when more blocks are needed (after a pax entry), 0 with
 * the entry's name, size and mtime when the header is complete and
 * canonical, XC_EPAYLOAD otherwise.  An all-zero first block is the end of
 * the archive (*end set).
 */
int
xc_tar_parse(const uint8_t *hdr, size_t have, char name[XC_MAX_NAME + 1],
    uint64_t *size, int64_t *mtime, int *end)
{
	uint8_t again[XC_TAR_HDR_MAX];
	const uint8_t *b = hdr + have - XC_TAR_BLOCK;
	uint64_t v, sum = 0, want;
	size_t i, n;

	*end = 0;
	if (have == 2 * XC_TAR_BLOCK)
		return 1;	/* a pax record block: checked with the rest */
	if (have == XC_TAR_BLOCK) {
		for (i = 0; i < XC_TAR_BLOCK && hdr[i] == 0; i++)
			;
		if (i == XC_TAR_BLOCK) {
			*end = 1;
			return 0;
		}
	}
	for (i = 0; i < XC_TAR_BLOCK; i++)
		sum += (i >= 148 && i < 156) ? ' ' : b[i];
	if (unoctal(b + 148, 7, 0, &want) != 0 || b[155] != ' ' ||
	    want != sum)
		return xc_fail(XC_EPAYLOAD, "bad tar header checksum");
	if (b[156] != '0' && b[156] != 'x')
		return xc_fail(XC_EPAYLOAD,
		    "letter entry is not a plain file (link, device, FIFO)");
	if (unoctal(b + 124, 12, ' ', size) != 0 ||
	    unoctal(b + 136, 12, ' ', &v) != 0)
		return xc_fail(XC_EPAYLOAD, "bad number in a tar header");
	*mtime = (int64_t)v;
	if (have == XC_TAR_BLOCK && b[156] == 'x') {
		if (*size == 0 || *size >= XC_TAR_BLOCK)
			return xc_fail(XC_EPAYLOAD,
			    "pax records other than one path");
		return 1;	/* the record block and the entry's header */
	}
	if (b[156] == 'x')
		return xc_fail(XC_EPAYLOAD, "pax records other than one path");
	if (have == XC_TAR_BLOCK) {
		n = strnlen((const char *)b, NAME_MAX_USTAR);
		memcpy(name, b, n);
		name[n] = '\0';
	} else {
		/* "LEN path=NAME\n", exactly as pax_record() writes it. */
		const uint8_t *r = hdr + XC_TAR_BLOCK;
		uint64_t rl;
		if (unoctal(hdr + 124, 12, ' ', &rl) != 0)
			return xc_fail(XC_EPAYLOAD, "bad number in a tar header");
		for (i = 0; i < 4 && r[i] >= '0' && r[i] <= '9'; i++)
			;
		if (i == 0 || i + 7 > rl || memcmp(r + i, " path=", 6) != 0 ||
		    r[rl - 1] != '\n' || (n = rl - i - 7) == 0 ||
		    n > XC_MAX_NAME || memchr(r + i + 6, '\n', n) != NULL ||
		    memchr(r + i + 6, '\0', n) != NULL)
			return xc_fail(XC_EPAYLOAD,
			    "pax records other than one path");
		memcpy(name, r + i + 6, n);
		name[n] = '\0';
	}
	if (xc_tar_header(again, name, *size, *mtime) != have ||
	    memcmp(again, hdr, have) != 0)
		return xc_fail(XC_EPAYLOAD,
		    "tar header not as xc writes one (not canonical)");
	return 0;
}
