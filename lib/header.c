/*
 * header.c - the age v1 header: parsing, writing and its MAC.
 *
 * Parsing is as strict as the spec's ABNF (c2sp.org/age, "Header"): the
 * exact version line, "-> " stanza lines of 1*VCHAR arguments separated by
 * single spaces, bodies in 64-column canonical base64 ending with a shorter
 * line, and a "--- " MAC line of 43 base64 characters.  Anything else is a
 * header failure.  The whole header is bounded by XC_MAX_HEADER bytes and
 * XC_MAX_STANZAS stanzas before anything is allocated for it.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "xc.h"

static const char v1[] = "age-encryption.org/v1\n";
static const char vprefix[] = "age-encryption.org/";

/* Appends the next line (with its '\n') of in to *raw; *len tracks it. */
static int
readline(xc_in *in, uint8_t **raw, size_t *cap, size_t *len, size_t *start)
{
	*start = *len;
	for (;;) {
		const uint8_t *p, *nl;
		size_t avail, take;
		int rc;

		if ((rc = xc_in_peek(in, 1, &p, &avail)) < 0)
			return rc;
		if (avail == 0)
			return xc_fail(XC_EHEADER, "unexpected end of header");
		nl = memchr(p, '\n', avail);
		take = nl ? (size_t)(nl - p) + 1 : avail;
		if (take > XC_MAX_HEADER - *len)
			return xc_fail(XC_EHEADER, "header too long");
		if (*len + take > *cap) {
			size_t ncap = *cap ? *cap : 4096;
			uint8_t *n;
			while (ncap < *len + take)
				ncap *= 2;
			if (ncap > XC_MAX_HEADER)
				ncap = XC_MAX_HEADER;
			if ((n = realloc(*raw, ncap)) == NULL)
				return xc_fail(XC_ENOMEM, "out of memory");
			*raw = n;
			*cap = ncap;
		}
		memcpy(*raw + *len, p, take);
		*len += take;
		in->off += take;
		if (nl)
			return 0;
	}
}

static int
isb64(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/';
}

void
xc_header_free(xc_header *h)
{
	free(h->st);
	free(h->raw);
	free(h->arena);
	memset(h, 0, sizeof *h);
}

/*
 * Two passes: first the lines are read into h->raw and their shape checked,
 * then each stanza's arguments and body are copied into one arena that is
 * never larger than the header itself.
 */
int
xc_header_parse(xc_in *in, xc_header *h)
{
	size_t cap = 0, len = 0, start, nst = 0, i, macstart = 0;
	uint8_t *raw = NULL;
	char *arena = NULL;
	size_t apos = 0;
	int rc, inbody = 0;

	memset(h, 0, sizeof *h);
	if ((rc = readline(in, &raw, &cap, &len, &start)) < 0)
		goto out;
	if (len != sizeof v1 - 1 || memcmp(raw, v1, len) != 0) {
		rc = xc_fail(XC_EHEADER, len >= sizeof vprefix - 1 &&
		    memcmp(raw, vprefix, sizeof vprefix - 1) == 0 ?
		    "unsupported version" : "not an age file");
		goto out;
	}
	for (;;) {
		size_t ll;
		uint8_t *l;

		if ((rc = readline(in, &raw, &cap, &len, &start)) < 0)
			goto out;
		l = raw + start;
		ll = len - start - 1;		/* without '\n' */
		if (inbody) {
			for (i = 0; i < ll; i++)
				if (!isb64(l[i])) {
					rc = xc_fail(XC_EHEADER,
					    "invalid character in stanza body");
					goto out;
				}
			if (ll > 64) {
				rc = xc_fail(XC_EHEADER,
				    "stanza body line longer than 64 columns");
				goto out;
			}
			if (ll < 64)
				inbody = 0;
			continue;
		}
		if (ll >= 3 && memcmp(l, "---", 3) == 0) {
			macstart = start;
			break;
		}
		if (ll < 3 || memcmp(l, "-> ", 3) != 0) {
			rc = xc_fail(XC_EHEADER, "expected a stanza or MAC line");
			goto out;
		}
		for (i = 3; i < ll; i++) {
			if (l[i] == ' ' && (l[i - 1] == ' ' || i + 1 == ll)) {
				rc = xc_fail(XC_EHEADER,
				    "empty stanza argument");
				goto out;
			}
			if (l[i] != ' ' && (l[i] < 0x21 || l[i] > 0x7e)) {
				rc = xc_fail(XC_EHEADER,
				    "invalid character in stanza arguments");
				goto out;
			}
		}
		if (ll == 3) {
			rc = xc_fail(XC_EHEADER, "stanza without arguments");
			goto out;
		}
		if (++nst > XC_MAX_STANZAS) {
			rc = xc_fail(XC_EHEADER, "too many stanzas");
			goto out;
		}
		inbody = 1;
	}
	if (nst == 0) {
		rc = xc_fail(XC_EHEADER, "no recipient stanzas");
		goto out;
	}
	/* The MAC line: exactly "--- " + 43 base64 characters + LF. */
	{
		uint8_t *l = raw + macstart;
		size_t ll = len - macstart - 1, n;
		if (ll != 4 + 43 || l[3] != ' ' ||
		    xc_b64_decode(h->mac, sizeof h->mac, &n, (char *)l + 4,
		    43) != 0 || n != XC_MAC_BYTES) {
			rc = xc_fail(XC_EHEADER, "malformed MAC line");
			goto out;
		}
	}

	/* Second pass: split stanzas into the arena. */
	if ((h->st = calloc(nst, sizeof *h->st)) == NULL ||
	    (arena = malloc(macstart + 1)) == NULL) {
		rc = xc_fail(XC_ENOMEM, "out of memory");
		goto out;
	}
	{
		size_t pos = sizeof v1 - 1, s = 0;
		while (pos < macstart) {
			xc_stanza *st = &h->st[s++];
			uint8_t *l = raw + pos, *e = memchr(l, '\n',
			    macstart - pos);
			size_t ll = (size_t)(e - l), a = 3, b64start, b64len;

			while (a < ll) {
				size_t b = a;
				while (b < ll && l[b] != ' ')
					b++;
				if (st->nargs == XC_MAX_ARGS) {
					rc = xc_fail(XC_EHEADER,
					    "too many stanza arguments");
					goto out;
				}
				st->args[st->nargs++] = arena + apos;
				memcpy(arena + apos, l + a, b - a);
				apos += b - a;
				arena[apos++] = '\0';
				a = b + 1;
			}
			pos += ll + 1;
			/* Body: concatenate its lines' base64, then decode. */
			b64start = apos;
			for (;;) {
				uint8_t *bl = raw + pos;
				size_t bll = (size_t)((uint8_t *)memchr(bl, '\n',
				    macstart - pos) - bl);
				memcpy(arena + apos, bl, bll);
				apos += bll;
				pos += bll + 1;
				if (bll < 64)
					break;
			}
			b64len = apos - b64start;
			st->body = (uint8_t *)arena + b64start;
			if (xc_b64_decode(st->body, b64len, &st->bodylen,
			    arena + b64start, b64len) != 0) {
				rc = xc_fail(XC_EHEADER,
				    "non-canonical base64 in stanza body");
				goto out;
			}
			apos = b64start + st->bodylen;
		}
	}
	h->nst = nst;
	h->raw = raw;
	h->rawlen = macstart + 3;
	h->arena = arena;
	return 0;
out:
	free(raw);
	free(arena);
	free(h->st);
	memset(h, 0, sizeof *h);
	return rc;
}

int
xc_header_marshal(const xc_header *h, uint8_t **out, size_t *outlen)
{
	size_t n = sizeof v1 - 1 + 3, i, j, k = 0;
	uint8_t *b;
	char *tmp;

	for (i = 0; i < h->nst; i++) {
		const xc_stanza *st = &h->st[i];
		size_t bl = xc_b64_len(st->bodylen);
		if (st->nargs == 0 || st->bodylen > XC_MAX_HEADER)
			return xc_fail(XC_EINVAL, "bad stanza");
		n += 3;
		for (j = 0; j < st->nargs; j++)
			n += strlen(st->args[j]) + 1;
		n += bl + bl / 64 + 1;
	}
	if ((b = malloc(n)) == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	memcpy(b, v1, sizeof v1 - 1);
	k = sizeof v1 - 1;
	for (i = 0; i < h->nst; i++) {
		const xc_stanza *st = &h->st[i];
		size_t bl = xc_b64_len(st->bodylen), p;
		memcpy(b + k, "->", 2);
		k += 2;
		for (j = 0; j < st->nargs; j++) {
			size_t al = strlen(st->args[j]);
			b[k++] = ' ';
			memcpy(b + k, st->args[j], al);
			k += al;
		}
		b[k++] = '\n';
		if ((tmp = malloc(bl + 1)) == NULL) {
			free(b);
			return xc_fail(XC_ENOMEM, "out of memory");
		}
		xc_b64_encode(tmp, st->body, st->bodylen);
		/* Full 64-column lines, then a shorter (maybe empty) one. */
		for (p = 0; p + 64 <= bl; p += 64) {
			memcpy(b + k, tmp + p, 64);
			k += 64;
			b[k++] = '\n';
		}
		memcpy(b + k, tmp + p, bl - p);
		k += bl - p;
		b[k++] = '\n';
		free(tmp);
	}
	memcpy(b + k, "---", 3);
	k += 3;
	*out = b;
	*outlen = k;
	return 0;
}

int
xc_header_mac(uint8_t mac[XC_MAC_BYTES], const uint8_t *filekey,
    const uint8_t *raw, size_t rawlen)
{
	uint8_t *key = xc_secure_block();
	int rc;

	if (key == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	if ((rc = xc_hkdf_sha256(key, 32, filekey, XC_FILE_KEY_BYTES, NULL, 0,
	    "header", 6)) == 0)
		crypto_auth_hmacsha256(mac, raw, rawlen, key);
	xc_secure_release(key);
	return rc;
}

int
xc_header_write(xc_wr w, const xc_header *h)
{
	uint8_t *b;
	size_t n;
	char line[4 + 44 + 1];
	int rc;

	if ((rc = xc_header_marshal(h, &b, &n)) < 0)
		return rc;
	line[0] = ' ';
	xc_b64_encode(line + 1, h->mac, XC_MAC_BYTES);
	strcat(line, "\n");
	if ((rc = w.write(w.ctx, b, n)) == 0)
		rc = w.write(w.ctx, (uint8_t *)line, strlen(line));
	free(b);
	return rc;
}
