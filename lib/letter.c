/*
 * letter.c - sealing and opening letters: the signed, padded tar archive
 * inside an envelope (xc-letter(5)) and the envelope's routing stanza
 * (xc-envelope(5)).
 *
 * Sealing: hash every part first (the header lists each part's hash and
 * size, and tar needs the size before the data), build the age header and
 * its route stanza, sign a header that binds the recipient stanzas, then
 * write the archive in one thread while this one encrypts it.
 *
 * Opening: this thread reads the archive while another decrypts; the
 * signature is checked before the header's JSON is parsed, each part is
 * hashed as it streams into a temporary file (or memory for the body), and
 * nothing is committed until both the archive and the age payload ended
 * cleanly.  libarchive reads tar only; zlib sees only parts the signed
 * header bounds in size and ratio.
 */
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <cjson/cJSON.h>
#include <nettle/sha2.h>
#include <sodium.h>
#include <zlib.h>

#include "xc.h"

static const char magic[] = "xc-letter-v1";
static const char tagctx[] = "xc-mailbox-tag-v1";
static const char hdrname[] = "xc-letter";
#define IO_BUF 65536
#define PIPE_CAP (1024 * 1024)
#define PAX_MAX 512	/* "LEN path=" and a name of at most 255 bytes fit */

/* ---- small pieces ---- */

uint64_t
xc_padme(uint64_t len)
{
	uint64_t e, s, mask;

	if (len < 2)
		return len;
	for (e = 63; !(len >> e & 1); e--)
		;
	for (s = 63; !(e >> s & 1); s--)
		;
	s++;			/* bits needed for e */
	mask = ((uint64_t)1 << (e - s)) - 1;
	return (len + mask) & ~mask;
}

int
xc_part_name_ok(const char *name)
{
	const unsigned char *p = (const unsigned char *)name;
	size_t n = strlen(name);

	if (n == 0 || n > XC_MAX_NAME || p[0] == '.' || p[0] == '-')
		return -1;
	for (; *p; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '/' || *p == '\\')
			return -1;
	if (!xc_utf8_valid((const uint8_t *)name, n))
		return -1;
	/* Bidirectional and invisible format characters (U+200B-U+200F,
	 * U+202A-U+202E, U+2060-U+206F, U+FEFF) can make "exe.txt" show as
	 * "txt.exe": not in names. */
	for (p = (const unsigned char *)name; *p; p++)
		if ((p[0] == 0xe2 && p[1] == 0x80 && ((p[2] >= 0x8b &&
		    p[2] <= 0x8f) || (p[2] >= 0xaa && p[2] <= 0xae))) ||
		    (p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0xa0 &&
		    p[2] <= 0xaf) || (p[0] == 0xef && p[1] == 0xbb &&
		    p[2] == 0xbf))
			return -1;
	return 0;
}

static void
tag_prefix(uint8_t out[XC_TAG_LEN], const uint8_t pk[32])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, XC_TAG_LEN);
	crypto_generichash_update(&st, (const uint8_t *)tagctx, sizeof tagctx);
	crypto_generichash_update(&st, pk, 32);
	crypto_generichash_final(&st, out, XC_TAG_LEN);
}

void
xc_mailbox_tag(uint8_t tag[XC_TAG_LEN], const uint8_t pk[32], int bits)
{
	uint8_t h[XC_TAG_LEN];
	int i;

	tag_prefix(h, pk);
	randombytes_buf(tag, XC_TAG_LEN);
	for (i = 0; i < bits; i++) {
		uint8_t m = (uint8_t)(0x80 >> (i % 8));
		tag[i / 8] = (uint8_t)((tag[i / 8] & ~m) | (h[i / 8] & m));
	}
}

int
xc_mailbox_match(const uint8_t tag[XC_TAG_LEN], const uint8_t pk[32],
    int bits)
{
	uint8_t h[XC_TAG_LEN];
	int i;

	tag_prefix(h, pk);
	for (i = 0; i < bits; i++) {
		uint8_t m = (uint8_t)(0x80 >> (i % 8));
		if ((tag[i / 8] & m) != (h[i / 8] & m))
			return 0;
	}
	return 1;
}

int
xc_route_get(const xc_header *h, xc_route *r)
{
	const xc_stanza *s = NULL;
	size_t i;
	char *e;
	long long v;

	memset(r, 0, sizeof *r);
	for (i = 0; i < h->nst; i++)
		if (strcmp(h->st[i].args[0], "xc-route") == 0) {
			if (s != NULL)
				return xc_fail(XC_EHEADER,
				    "more than one xc-route stanza");
			s = &h->st[i];
		}
	if (s == NULL)
		return xc_fail(XC_EHEADER,
		    "no xc-route stanza: not an xc envelope");
	if (s->nargs != 3 || strcmp(s->args[1], "1") != 0)
		return xc_fail(XC_EHEADER, "unsupported xc-route stanza");
	/* Canonical decimal only: strtoll alone would take "+5" and "-0". */
	errno = 0;
	v = strtoll(s->args[2], &e, 10);
	if (s->args[2][0] < '0' || s->args[2][0] > '9' || *e != '\0' ||
	    errno != 0 || v < 0 || v > (1LL << 40) ||
	    (s->args[2][0] == '0' && s->args[2][1] != '\0'))
		return xc_fail(XC_EHEADER, "bad expiry in xc-route stanza");
	if (s->bodylen == 0 || s->bodylen % XC_TAG_LEN != 0 ||
	    s->bodylen / XC_TAG_LEN > XC_MAX_RECIPIENTS)
		return xc_fail(XC_EHEADER, "bad tags in xc-route stanza");
	r->expires = v;
	r->ntags = s->bodylen / XC_TAG_LEN;
	memcpy(r->tags, s->body, s->bodylen);
	return 0;
}

/* The hash the sender signs over the recipient stanzas (all but xc-route,
 * in header order): re-wrapping a letter for other keys changes it. */
static int
stanza_hash(uint8_t out[32], const xc_header *h)
{
	xc_header t;
	uint8_t *raw = NULL;
	size_t rawlen, i;
	int rc;

	memset(&t, 0, sizeof t);
	if ((t.st = calloc(h->nst ? h->nst : 1, sizeof *t.st)) == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	for (i = 0; i < h->nst; i++)
		if (strcmp(h->st[i].args[0], "xc-route") != 0)
			t.st[t.nst++] = h->st[i];
	if ((rc = xc_header_marshal(&t, &raw, &rawlen)) == 0)
		crypto_generichash(out, 32, raw, rawlen,
		    (const uint8_t *)"xc-stanzas-v1", 13);
	free(raw);
	free(t.st);
	return rc;
}

static void
hexid(char out[XC_ID_HEX + 1])
{
	uint8_t r[XC_ID_HEX / 2];

	randombytes_buf(r, sizeof r);
	sodium_bin2hex(out, XC_ID_HEX + 1, r, sizeof r);
}

static int
hexid_ok(const char *s)
{
	size_t i;

	for (i = 0; i < XC_ID_HEX; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' &&
		    s[i] <= 'f')))
			return 0;
	return s[i] == '\0';
}

/* Media types: detected from content, for the common image formats. */
static const char *const types[] = { "text/plain; charset=utf-8",
	"application/octet-stream", "image/jpeg", "image/png", "image/gif",
	"image/webp", NULL };

static const char *
sniff(const uint8_t *p, size_t n, int text)
{
	if (n >= 3 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff)
		return "image/jpeg";
	if (n >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0)
		return "image/png";
	if (n >= 6 && (memcmp(p, "GIF87a", 6) == 0 ||
	    memcmp(p, "GIF89a", 6) == 0))
		return "image/gif";
	if (n >= 12 && memcmp(p, "RIFF", 4) == 0 &&
	    memcmp(p + 8, "WEBP", 4) == 0)
		return "image/webp";
	return text ? types[0] : types[1];
}

static int
type_known(const char *t)
{
	size_t i;

	for (i = 0; types[i]; i++)
		if (strcmp(t, types[i]) == 0)
			return 1;
	return 0;
}

/* Parts over 1 MiB may not expand more than XC_MAX_RATIO times. */
static int
ratio_ok(uint64_t size, uint64_t stored)
{
	return size <= (1u << 20) || size / XC_MAX_RATIO <= stored;
}

/* libarchive converts names through the thread's locale and fails (3.6
 * crashes) on non-ASCII names in the C locale.  Names in letters are UTF-8,
 * so the threads that run libarchive switch their own locale, never the
 * process's, to C.UTF-8 (built into glibc since 2.35). */
static locale_t
utf8_locale(locale_t *old)
{
	locale_t l = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);

	*old = l ? uselocale(l) : (locale_t)0;
	return l;
}

static void
restore_locale(locale_t l, locale_t old)
{
	if (l) {
		uselocale(old);
		freelocale(l);
	}
}

/* ---- sealing ---- */

/* Where stored bytes of a part go: hashed, and written when a is set. */
struct emit {
	struct sha256_ctx hs, raw;	/* stored bytes, source bytes */
	uint64_t stored, size;
	struct archive *a;
};

static int
emit_stored(struct emit *e, const uint8_t *p, size_t n)
{
	if (e->a == NULL)	/* pass one hashes; pass two only writes */
		sha256_update(&e->hs, n, p);
	e->stored += n;
	if (e->a && n && archive_write_data(e->a, p, n) != (la_ssize_t)n)
		return xc_fail(XC_EWRITE, "cannot write the letter");
	return 0;
}

/* Reads a part's source once: hashes the source bytes and the stored bytes
 * (deflated when zlib) and, with e->a, writes the stored bytes. */
static int
pass(xc_part *pt, int zlib, struct emit *e, uint8_t *ibuf, uint8_t *obuf)
{
	z_stream z;
	size_t off = 0;
	int rc = 0, zr, done = 0;

	memset(&z, 0, sizeof z);
	sha256_init(&e->hs);
	sha256_init(&e->raw);
	e->stored = e->size = 0;
	if (zlib && deflateInit(&z, 6) != Z_OK)
		return xc_fail(XC_ENOMEM, "cannot start zlib");
	if (!pt->body && lseek(pt->fd, 0, SEEK_SET) != 0) {
		rc = xc_fail(XC_EREAD, "cannot rewind an attachment");
		goto out;
	}
	while (!done) {
		const uint8_t *in;
		size_t n;
		if (pt->body) {
			n = pt->memlen - off < IO_BUF ? pt->memlen - off : IO_BUF;
			in = pt->mem + off;
			off += n;
		} else {
			if ((rc = xc_fd_read(&pt->fd, ibuf, IO_BUF, &n)) < 0)
				goto out;
			in = ibuf;
		}
		done = n == 0;
		if (zlib && e->a == NULL)	/* pass one may fall back */
			sha256_update(&e->raw, n, in);
		e->size += n;
		if (e->size > XC_MAX_PART) {
			rc = xc_fail(XC_ELIMIT, "attachment larger than 4 GiB");
			goto out;
		}
		if (!zlib) {
			if ((rc = emit_stored(e, in, n)) < 0)
				goto out;
			continue;
		}
		z.next_in = (uint8_t *)(uintptr_t)in;
		z.avail_in = (uInt)n;
		do {
			z.next_out = obuf;
			z.avail_out = IO_BUF;
			zr = deflate(&z, done ? Z_FINISH : Z_NO_FLUSH);
			if (zr == Z_STREAM_ERROR) {
				rc = xc_fail(XC_EINVAL, "zlib failed");
				goto out;
			}
			if ((rc = emit_stored(e, obuf, IO_BUF - z.avail_out))
			    < 0)
				goto out;
		} while (z.avail_out == 0 || (done && zr != Z_STREAM_END));
	}
out:
	if (zlib)
		deflateEnd(&z);
	return rc;
}

/* The size and times of an attachment, taken before pass one. */
static void
stamp(const xc_part *pt, int64_t out[3])
{
	struct stat sb;

	memset(out, 0, 3 * sizeof *out);
	if (fstat(pt->fd, &sb) == 0) {
		out[0] = (int64_t)sb.st_size;
		out[1] = (int64_t)sb.st_mtim.tv_sec * 1000000000 +
		    sb.st_mtim.tv_nsec;
		out[2] = (int64_t)sb.st_ctim.tv_sec * 1000000000 +
		    sb.st_ctim.tv_nsec;
	}
}

static int
file_changed(const xc_part *pt)
{
	int64_t now[3];

	stamp(pt, now);
	return memcmp(now, pt->stamp, sizeof now) != 0;
}

/* Pass one: media type, whether zlib pays, size, stored size and hash. */
static int
prepare_part(xc_part *pt, uint8_t *ibuf, uint8_t *obuf)
{
	struct emit e;
	uint8_t rawh[32], zh[32];
	const uint8_t *head;
	size_t n;
	int rc, pays = 0;

	if (pt->body) {
		head = pt->mem;
		n = pt->memlen < IO_BUF ? pt->memlen : IO_BUF;
	} else {
		if (lseek(pt->fd, 0, SEEK_SET) != 0)
			return xc_fail(XC_EINVAL,
			    "an attachment must be a regular file");
		stamp(pt, pt->stamp);
		if ((rc = xc_fd_read(&pt->fd, ibuf, IO_BUF, &n)) < 0)
			return rc;
		head = ibuf;
	}
	/* The text is text (or bytes); attachments are sniffed. */
	snprintf(pt->type, sizeof pt->type, "%s", pt->body ?
	    (xc_utf8_valid(pt->mem, pt->memlen) ? types[0] : types[1]) :
	    sniff(head, n, 0));
	/* zlib where it pays: not for images (already compressed), and only
	 * when the first 64 KiB shrink by a tenth. */
	if (n >= 128 && strncmp(pt->type, "image/", 6) != 0) {
		uLongf zn = IO_BUF;
		uint8_t *tmp = malloc(compressBound(IO_BUF));
		if (tmp == NULL)
			return xc_fail(XC_ENOMEM, "out of memory");
		zn = compressBound(IO_BUF);
		if (compress2(tmp, &zn, head, n, 6) == Z_OK && zn * 10 < n * 9)
			pays = 1;
		free(tmp);
	}
	e.a = NULL;	/* hash only */
	if ((rc = pass(pt, pays, &e, ibuf, obuf)) < 0)
		return rc;
	sha256_digest(&e.hs, 32, zh);
	if (pays)
		sha256_digest(&e.raw, 32, rawh);
	else
		memcpy(rawh, zh, 32);
	pt->size = e.size;
	if (pays && e.stored < e.size && ratio_ok(e.size, e.stored)) {
		pt->zlib = 1;
		pt->stored = e.stored;
		memcpy(pt->hash, zh, 32);
	} else {
		pt->zlib = 0;
		pt->stored = e.size;
		memcpy(pt->hash, rawh, 32);
	}
	if (pt->body && pt->size > XC_MAX_BODY)
		return xc_fail(XC_ELIMIT, "message text larger than 16 MiB");
	return 0;
}

static const xc_card_key *
current_key(const xc_card *c, int64_t now)
{
	const xc_card_key *best = NULL;
	size_t i;

	for (i = 0; i < c->nenc; i++)
		if (c->enc[i].from <= now + 3600 && now < c->enc[i].until &&
		    (best == NULL || c->enc[i].from > best->from))
			best = &c->enc[i];
	return best;
}

static cJSON *
header_json(const xc_seal_opts *o, const uint8_t envhash[32])
{
	cJSON *j = cJSON_CreateObject(), *to, *parts;
	char b64[64], fp[XC_FINGERPRINT_LEN + 1];
	size_t i;

	if (j == NULL)
		return NULL;
	cJSON_AddNumberToObject(j, "v", 1);
	cJSON_AddStringToObject(j, "id", o->id);
	cJSON_AddNumberToObject(j, "date", (double)o->date);
	cJSON_AddNumberToObject(j, "expires", (double)o->expires);
	cJSON_AddNumberToObject(j, "level", o->level);
	if (o->seed) {
		xc_card c;
		if (xc_card_parse(&c, o->card, o->cardlen) != 0) {
			cJSON_Delete(j);
			return NULL;
		}
		cJSON_AddStringToObject(j, "from", c.handle);
		cJSON_AddStringToObject(j, "card", o->card);
	}
	to = cJSON_AddArrayToObject(j, "to");
	for (i = 0; to && i < o->nto; i++) {
		cJSON *r = cJSON_CreateObject();
		xc_fingerprint(fp, o->to[i].handle, o->to[i].ik);
		cJSON_AddStringToObject(r, "handle", o->to[i].handle);
		cJSON_AddStringToObject(r, "fp", fp);
		cJSON_AddItemToArray(to, r);
	}
	xc_b64_encode(b64, envhash, 32);
	cJSON_AddStringToObject(j, "stanzas", b64);
	cJSON_AddStringToObject(j, "reply_to", o->reply_to ? o->reply_to : "");
	cJSON_AddStringToObject(j, "thread", o->thread ? o->thread : "");
	parts = cJSON_AddArrayToObject(j, "parts");
	for (i = 0; parts && i < o->nparts; i++) {
		const xc_part *pt = &o->parts[i];
		cJSON *p = cJSON_CreateObject();
		cJSON_AddStringToObject(p, "name", pt->name);
		cJSON_AddStringToObject(p, "role", pt->body ? "body" : "file");
		cJSON_AddStringToObject(p, "type", pt->type);
		cJSON_AddNumberToObject(p, "size", (double)pt->size);
		cJSON_AddNumberToObject(p, "stored", (double)pt->stored);
		cJSON_AddStringToObject(p, "encoding",
		    pt->zlib ? "zlib" : "none");
		xc_b64_encode(b64, pt->hash, 32);
		cJSON_AddStringToObject(p, "hash", b64);
		cJSON_AddItemToArray(parts, p);
	}
	return j;
}

/* The xc-letter entry: frame line, JSON, newline. */
static int
header_entry(const xc_seal_opts *o, const uint8_t envhash[32], char **out,
    size_t *outlen)
{
	cJSON *j = header_json(o, envhash);
	char *json = NULL, *buf = NULL;
	size_t jlen, n;
	int rc = 0;

	if (j == NULL || (json = cJSON_PrintUnformatted(j)) == NULL) {
		cJSON_Delete(j);
		return xc_fail(XC_ENOMEM, "out of memory");
	}
	cJSON_Delete(j);
	jlen = strlen(json);
	if (jlen + 200 > XC_MAX_LETTER_HEADER) {
		rc = xc_fail(XC_ELIMIT, "letter header too large");
		goto out;
	}
	n = sizeof magic + 44 + 1 + 88 + 1 + jlen + 1;
	if ((buf = malloc(n + 1)) == NULL) {
		rc = xc_fail(XC_ENOMEM, "out of memory");
		goto out;
	}
	if (o->seed) {
		uint8_t *sk = sodium_malloc(crypto_sign_SECRETKEYBYTES), pk[32];
		uint8_t sig[64], *msg;
		char ik64[48], sig64[96];
		if (sk == NULL || (msg = malloc(sizeof magic + jlen)) == NULL) {
			sodium_free(sk);
			rc = xc_fail(XC_ENOMEM, "out of memory");
			goto out;
		}
		crypto_sign_seed_keypair(pk, sk, o->seed);
		memcpy(msg, magic, sizeof magic);	/* with its NUL */
		memcpy(msg + sizeof magic, json, jlen);
		crypto_sign_detached(sig, NULL, msg, sizeof magic + jlen, sk);
		sodium_free(sk);
		free(msg);
		xc_b64_encode(ik64, pk, 32);
		xc_b64_encode(sig64, sig, 64);
		*outlen = (size_t)snprintf(buf, n + 1, "%s %s %s\n%s\n", magic,
		    ik64, sig64, json);
	} else
		*outlen = (size_t)snprintf(buf, n + 1, "%s - -\n%s\n", magic,
		    json);
	*out = buf;
	buf = NULL;
out:
	free(buf);
	free(json);
	return rc;
}

struct sealer {
	xc_seal_opts *o;
	xc_pipe *pipe;
	const char *hdr;
	size_t hdrlen;
	uint64_t written;
	int rc;
	const char *detail;
};

static la_ssize_t
seal_write_cb(struct archive *a, void *ctx, const void *buf, size_t n)
{
	struct sealer *s = ctx;

	if (xc_pipe_write(s->pipe, buf, n) < 0)
		return -1;
	s->written += n;
	return (la_ssize_t)n;
}

static int
add_entry(struct archive *a, const char *name, uint64_t size, int64_t mtime)
{
	struct archive_entry *e = archive_entry_new();
	int r;

	if (e == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	archive_entry_copy_pathname(e, name);	/* UTF-8: see utf8_locale */
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_mtime(e, mtime, 0);	/* owners stay 0, names "" */
	r = archive_write_header(a, e);
	archive_entry_free(e);
	return r == ARCHIVE_OK ? 0 : xc_fail(XC_EWRITE,
	    "cannot write the letter");
}

static void *
seal_thread(void *arg)
{
	struct sealer *s = arg;
	xc_seal_opts *o = s->o;
	struct archive *a;
	uint8_t *ibuf = malloc(IO_BUF), *obuf = malloc(IO_BUF);
	size_t i;
	int rc = 0;
	locale_t old, loc = utf8_locale(&old);

	if ((a = archive_write_new()) == NULL || ibuf == NULL ||
	    obuf == NULL) {
		rc = xc_fail(XC_ENOMEM, "out of memory");
		goto out;
	}
	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_set_options(a, "hdrcharset=UTF-8") != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(a, 0) != ARCHIVE_OK ||
	    archive_write_open(a, s, NULL, seal_write_cb, NULL) !=
	    ARCHIVE_OK) {
		rc = xc_fail(XC_EWRITE, "cannot start the letter");
		goto out;
	}
	if ((rc = add_entry(a, hdrname, s->hdrlen, o->date)) < 0)
		goto out;
	if (archive_write_data(a, s->hdr, s->hdrlen) != (la_ssize_t)s->hdrlen) {
		rc = xc_fail(XC_EWRITE, "cannot write the letter");
		goto out;
	}
	for (i = 0; i < o->nparts; i++) {
		xc_part *pt = &o->parts[i];
		struct emit e;
		if ((rc = add_entry(a, pt->name, pt->stored, o->date)) < 0)
			goto out;
		e.a = a;
		if ((rc = pass(pt, pt->zlib, &e, ibuf, obuf)) < 0)
			goto out;
		/* Hashing twice would halve the speed: a file that changed
		 * between the passes shows in its size and times (and the
		 * reader would refuse it anyway: its hash is signed). */
		if (e.stored != pt->stored || (!pt->body &&
		    file_changed(pt))) {
			rc = xc_fail(XC_EREAD,
			    "an attachment changed while it was sealed");
			goto out;
		}
	}
	if (archive_write_close(a) != ARCHIVE_OK) {
		rc = xc_fail(XC_EWRITE, "cannot write the letter");
		goto out;
	}
	if (o->level >= 2) {
		uint64_t pad = xc_padme(s->written) - s->written;
		memset(obuf, 0, IO_BUF);
		while (pad > 0 && rc == 0) {
			size_t k = pad < IO_BUF ? (size_t)pad : IO_BUF;
			rc = xc_pipe_write(s->pipe, obuf, k);
			pad -= k;
		}
	}
out:
	if (a)
		archive_write_free(a);
	free(ibuf);
	free(obuf);
	restore_locale(loc, old);
	s->rc = rc;
	s->detail = xc_errdetail();
	xc_pipe_close_write(s->pipe, rc);
	return NULL;
}

static void
shuffle(xc_stanza *st, size_t n)
{
	size_t i;

	for (i = n; i > 1; i--) {
		size_t j = randombytes_uniform((uint32_t)i);
		xc_stanza t = st[i - 1];
		st[i - 1] = st[j];
		st[j] = t;
	}
}

/* An envelope under construction: the header with its route stanza and
 * MAC, and the payload key once the header is written. */
struct env {
	xc_header h;
	xc_stanza *st;
	void *arena;
	uint8_t *filekey, *key;
	uint8_t envhash[32];
	uint8_t tags[XC_MAX_RECIPIENTS][XC_TAG_LEN];
	char expiry[24];
	xc_armor_wr *aw;
	xc_wr w;
};

static void
env_free(struct env *e)
{
	xc_armor_wr_free(e->aw);
	free(e->h.st);
	free(e->st);
	free(e->arena);
	sodium_free(e->filekey);
	sodium_free(e->key);
}

static int
env_build(struct env *e, const uint8_t (*pks)[32], const int *bits,
    size_t n, int64_t expires)
{
	xc_rcpts *r;
	uint8_t *raw = NULL;
	size_t nst, rawlen, i;
	int rc = 0;

	memset(e, 0, sizeof *e);
	if (n < 1 || n > XC_MAX_RECIPIENTS || expires < 0)
		return xc_fail(XC_EINVAL, "1 to 64 recipients");
	e->filekey = sodium_malloc(XC_FILE_KEY_BYTES);
	e->key = sodium_malloc(32);
	if (e->filekey == NULL || e->key == NULL ||
	    (r = xc_rcpts_new()) == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	for (i = 0; i < n && rc == 0; i++) {
		rc = xc_rcpts_add_x25519(r, pks[i]);
		xc_mailbox_tag(e->tags[i], pks[i], bits[i]);
	}
	randombytes_buf(e->filekey, XC_FILE_KEY_BYTES);
	if (rc == 0)
		rc = xc_rcpts_wrap(r, e->filekey, &e->st, &nst, &e->arena);
	xc_rcpts_free(r);
	if (rc < 0)
		return rc;
	/* Neither stanza order nor tag order says which recipient is which. */
	shuffle(e->st, nst);
	for (i = n; i > 1; i--) {
		size_t j = randombytes_uniform((uint32_t)i);
		uint8_t t[XC_TAG_LEN];
		memcpy(t, e->tags[i - 1], XC_TAG_LEN);
		memcpy(e->tags[i - 1], e->tags[j], XC_TAG_LEN);
		memcpy(e->tags[j], t, XC_TAG_LEN);
	}
	if ((e->h.st = calloc(nst + 1, sizeof *e->h.st)) == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	memcpy(e->h.st, e->st, nst * sizeof *e->st);
	e->h.nst = nst;
	if ((rc = stanza_hash(e->envhash, &e->h)) < 0)
		return rc;
	snprintf(e->expiry, sizeof e->expiry, "%lld", (long long)expires);
	e->h.st[nst].args[0] = (char *)"xc-route";
	e->h.st[nst].args[1] = (char *)"1";
	e->h.st[nst].args[2] = e->expiry;
	e->h.st[nst].nargs = 3;
	e->h.st[nst].body = &e->tags[0][0];
	e->h.st[nst].bodylen = n * XC_TAG_LEN;
	e->h.nst = nst + 1;
	if ((rc = xc_header_marshal(&e->h, &raw, &rawlen)) == 0)
		rc = xc_header_mac(e->h.mac, e->filekey, raw, rawlen);
	free(raw);
	return rc;
}

/* Writes the header and the nonce; e->w and e->key are then the payload's
 * sink and key. */
static int
env_begin(struct env *e, xc_wr out, int armor)
{
	uint8_t nonce[XC_NONCE_BYTES];
	int rc;

	e->w = out;
	if (armor && (rc = xc_armor_wr_new(&e->aw, out, &e->w)) < 0)
		return rc;
	if ((rc = xc_header_write(e->w, &e->h)) < 0)
		return rc;
	randombytes_buf(nonce, sizeof nonce);
	if ((rc = e->w.write(e->w.ctx, nonce, sizeof nonce)) < 0)
		return rc;
	return xc_age_payload_key(e->key, e->filekey, nonce);
}

int
xc_envelope_seal(xc_rd in, xc_wr out, const uint8_t (*pks)[32],
    const int *bits, size_t n, int64_t expires, int armor)
{
	struct env e;
	int rc;

	if ((rc = env_build(&e, pks, bits, n, expires)) == 0 &&
	    (rc = env_begin(&e, out, armor)) == 0 &&
	    (rc = xc_stream_encrypt(in, e.w, e.key)) == 0 && e.aw)
		rc = xc_armor_wr_close(e.aw);
	env_free(&e);
	return rc;
}

int
xc_letter_seal(xc_seal_opts *o, xc_wr out)
{
	struct env e;
	xc_pipe *pipe = NULL;
	struct sealer s;
	pthread_t th;
	uint8_t (*pks)[32] = NULL, *ibuf = NULL, *obuf = NULL;
	int *bits = NULL;
	char *hdr = NULL;
	uint64_t total = 0;
	size_t i, j;
	int rc, small;

	memset(&e, 0, sizeof e);
	memset(&s, 0, sizeof s);
	if (o->nto < 1 || o->nto > XC_MAX_RECIPIENTS || o->nparts < 1 ||
	    o->nparts > XC_MAX_PARTS || !o->parts[0].body ||
	    o->level < 1 || o->level > 3)
		return xc_fail(XC_EINVAL, "bad letter");
	for (i = 0; i < o->nparts; i++) {
		if (xc_part_name_ok(o->parts[i].name) != 0 ||
		    (i > 0 && (o->parts[i].body ||
		    strcmp(o->parts[i].name, XC_BODY_NAME) == 0)))
			return xc_fail(XC_EINVAL, "unsafe or reserved part name");
		for (j = 0; j < i; j++)
			if (strcmp(o->parts[i].name, o->parts[j].name) == 0)
				return xc_fail(XC_EEXIST,
				    "two attachments with one name");
	}
	hexid(o->id);
	ibuf = malloc(IO_BUF);
	obuf = malloc(IO_BUF);
	pks = calloc(o->nto, sizeof *pks);
	bits = calloc(o->nto, sizeof *bits);
	if (ibuf == NULL || obuf == NULL || pks == NULL || bits == NULL) {
		rc = xc_fail(XC_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < o->nparts; i++) {
		if ((rc = prepare_part(&o->parts[i], ibuf, obuf)) < 0)
			goto out;
		total += o->parts[i].size;
	}
	if (total > XC_MAX_TOTAL) {
		rc = xc_fail(XC_ELIMIT, "letter larger than 16 GiB");
		goto out;
	}
	for (i = 0; i < o->nto; i++) {
		const xc_card_key *k = current_key(&o->to[i], o->date);
		if (k == NULL) {
			rc = xc_fail(XC_EEXPIRED,
			    "a recipient has no valid encryption key");
			goto out;
		}
		memcpy(pks[i], k->pk, 32);
		bits[i] = o->to[i].tag_bits;
	}
	if ((rc = env_build(&e, (const uint8_t (*)[32])pks, bits, o->nto,
	    o->expires)) < 0 ||
	    (rc = header_entry(o, e.envhash, &hdr, &s.hdrlen)) < 0 ||
	    (rc = env_begin(&e, out, o->armor)) < 0 ||
	    (rc = xc_pipe_new(&pipe, PIPE_CAP)) < 0)
		goto out;
	s.o = o;
	s.pipe = pipe;
	s.hdr = hdr;
	/* A letter that surely fits in the pipe is written before it is
	 * encrypted, without a thread (tar adds at most 1.5 KiB per entry,
	 * Padme at most 12%). */
	{
		uint64_t est = s.hdrlen + 4096;
		for (i = 0; i < o->nparts; i++)
			est += o->parts[i].stored + 2048;
		small = est + est / 8 < PIPE_CAP;
	}
	if (small)
		seal_thread(&s);
	else if (pthread_create(&th, NULL, seal_thread, &s) != 0) {
		rc = xc_fail(XC_ENOMEM, "cannot start a thread");
		goto out;
	}
	rc = xc_stream_encrypt((xc_rd){ xc_pipe_read, pipe }, e.w, e.key);
	xc_pipe_close_read(pipe);
	if (!small)
		pthread_join(th, NULL);
	if (s.rc < 0)	/* the root cause, not the pipe that carried it */
		rc = xc_fail(s.rc, s.detail);
	if (rc == 0 && e.aw)
		rc = xc_armor_wr_close(e.aw);
out:
	xc_pipe_free(pipe);
	env_free(&e);
	free(pks);
	free(bits);
	free(hdr);
	free(ibuf);
	free(obuf);
	return rc;
}

/* ---- opening ---- */

static int
str_field(const cJSON *o, const char *name, char *out, size_t cap)
{
	const cJSON *f = xc_json_get(o, name);

	if (!cJSON_IsString(f) || strlen(f->valuestring) >= cap)
		return -1;
	memcpy(out, f->valuestring, strlen(f->valuestring) + 1);
	return 0;
}

static int
parse_parts(xc_letter *L, const cJSON *arr)
{
	static const char *const pf[] = { "name", "role", "type", "size",
	    "stored", "encoding", "hash", NULL };
	const cJSON *e;
	uint64_t total = 0;
	size_t i, j, n;
	char role[8], enc[8];

	if (!cJSON_IsArray(arr) || (n = (size_t)cJSON_GetArraySize(arr)) < 1 ||
	    n > XC_MAX_PARTS)
		return xc_fail(XC_ELIMIT, "a letter has 1 to 1024 parts");
	if ((L->parts = calloc(n, sizeof *L->parts)) == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	i = 0;
	cJSON_ArrayForEach(e, arr) {
		xc_lpart *p = &L->parts[i];
		int64_t v;
		if (!cJSON_IsObject(e) || xc_json_only_keys(e, pf) != 0 ||
		    str_field(e, "name", p->name, sizeof p->name) != 0 ||
		    str_field(e, "role", role, sizeof role) != 0 ||
		    str_field(e, "type", p->type, sizeof p->type) != 0 ||
		    str_field(e, "encoding", enc, sizeof enc) != 0 ||
		    xc_json_b64(xc_json_get(e, "hash"), p->hash, 32) != 0)
			return xc_fail(XC_EJSON, "bad part in letter header");
		if (xc_json_int(e, "size", 0, (int64_t)XC_MAX_PART, &v) != 0)
			return xc_fail(XC_ELIMIT, "part larger than 4 GiB");
		p->size = (uint64_t)v;
		if (xc_json_int(e, "stored", 0, (int64_t)XC_MAX_PART, &v) != 0)
			return xc_fail(XC_ELIMIT, "part larger than 4 GiB");
		p->stored = (uint64_t)v;
		p->body = strcmp(role, "body") == 0;
		if ((i == 0) != p->body || (!p->body && strcmp(role, "file")))
			return xc_fail(XC_EJSON,
			    "the first part, and only it, is the body");
		if (p->body && strcmp(p->name, XC_BODY_NAME) != 0)
			return xc_fail(XC_EJSON, "the body is not message.txt");
		if (xc_part_name_ok(p->name) != 0)
			return xc_fail(XC_EJSON, "unsafe part name");
		if (!type_known(p->type))
			return xc_fail(XC_EJSON, "unknown media type");
		if (strcmp(enc, "zlib") == 0)
			p->zlib = 1;
		else if (strcmp(enc, "none") != 0 || p->stored != p->size)
			return xc_fail(XC_EJSON, "bad part encoding");
		if (p->zlib && !ratio_ok(p->size, p->stored))
			return xc_fail(XC_ELIMIT,
			    "part expands more than 200 times");
		if (p->body && p->size > XC_MAX_BODY)
			return xc_fail(XC_ELIMIT, "message text over 16 MiB");
		total += p->size;
		if (total > XC_MAX_TOTAL)
			return xc_fail(XC_ELIMIT, "letter larger than 16 GiB");
		for (j = 0; j < i; j++)
			if (strcmp(L->parts[j].name, p->name) == 0)
				return xc_fail(XC_EJSON,
				    "two parts with one name");
		L->nparts = ++i;
	}
	return 0;
}

static int
parse_header_json(xc_letter *L, const cJSON *j)
{
	static const char *const top[] = { "v", "id", "date", "expires",
	    "level", "from", "card", "to", "stanzas", "reply_to", "thread",
	    "parts", NULL };
	static const char *const tof[] = { "handle", "fp", NULL };
	const int64_t tmax = (int64_t)1 << 40;
	const cJSON *f, *e;
	char from[XC_HANDLE_MAX + 2];
	int64_t v;
	size_t n;

	if (!cJSON_IsObject(j) || xc_json_only_keys(j, top) != 0)
		return xc_fail(XC_EJSON, "unknown field in letter header");
	if (xc_json_int(j, "v", 1, 1, &v) != 0)
		return xc_fail(XC_EUNSUPPORTED, "unsupported letter version");
	if (str_field(j, "id", L->id, sizeof L->id) != 0 || !hexid_ok(L->id) ||
	    str_field(j, "reply_to", L->reply_to, sizeof L->reply_to) != 0 ||
	    (L->reply_to[0] && !hexid_ok(L->reply_to)) ||
	    str_field(j, "thread", L->thread, sizeof L->thread) != 0 ||
	    (L->thread[0] && !hexid_ok(L->thread)))
		return xc_fail(XC_EJSON, "bad message id");
	if (xc_json_int(j, "date", 0, tmax, &L->date) != 0 ||
	    xc_json_int(j, "expires", 0, tmax, &L->expires) != 0 ||
	    (L->expires && L->expires <= L->date))
		return xc_fail(XC_EJSON, "bad date or expiry");
	if (xc_json_int(j, "level", 0, 4, &v) != 0)
		return xc_fail(XC_EJSON, "bad level");
	L->level = (int)v;
	if (xc_json_b64(xc_json_get(j, "stanzas"), L->envhash, 32) != 0)
		return xc_fail(XC_EJSON, "bad stanzas hash");
	if (L->is_signed) {
		const cJSON *c = xc_json_get(j, "card");
		int rc;
		if (str_field(j, "from", from, sizeof from) != 0 ||
		    !cJSON_IsString(c))
			return xc_fail(XC_EJSON, "a signed letter names its "
			    "sender and carries a card");
		L->cardlen = strlen(c->valuestring);
		if ((L->card = malloc(L->cardlen + 1)) == NULL)
			return xc_fail(XC_ENOMEM, "out of memory");
		memcpy(L->card, c->valuestring, L->cardlen + 1);
		if ((rc = xc_card_parse(&L->sender, L->card, L->cardlen)) < 0)
			return rc == XC_ENOMEM ? rc :
			    xc_fail(XC_ECARD, "bad sender card in letter");
		if (sodium_memcmp(L->sender.ik, L->ik, 32) != 0 ||
		    strcmp(L->sender.handle, from) != 0)
			return xc_fail(XC_ESIG, "letter signed by another key "
			    "than its sender's card names");
	} else if (xc_json_get(j, "from") || xc_json_get(j, "card"))
		return xc_fail(XC_EJSON, "an unsigned letter names a sender");
	f = xc_json_get(j, "to");
	if (!cJSON_IsArray(f) || (n = (size_t)cJSON_GetArraySize(f)) < 1 ||
	    n > XC_MAX_RECIPIENTS)
		return xc_fail(XC_EJSON, "bad recipient list");
	if ((L->to = calloc(n, sizeof *L->to)) == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	cJSON_ArrayForEach(e, f) {
		xc_laddr *a = &L->to[L->nto];
		char h[XC_HANDLE_MAX + 1];
		if (!cJSON_IsObject(e) || xc_json_only_keys(e, tof) != 0 ||
		    str_field(e, "handle", a->handle, sizeof a->handle) != 0 ||
		    xc_handle_norm(h, a->handle, strlen(a->handle)) != 0 ||
		    strcmp(h, a->handle) != 0 ||
		    str_field(e, "fp", a->fp, sizeof a->fp) != 0 ||
		    strlen(a->fp) != XC_FINGERPRINT_LEN)
			return xc_fail(XC_EJSON, "bad recipient in letter");
		L->nto++;
	}
	return parse_parts(L, xc_json_get(j, "parts"));
}

int
xc_letter_header(xc_letter *L, const uint8_t *buf, size_t len)
{
	const size_t l1 = sizeof magic + 43 + 1 + 86 + 1;	/* signed frame */
	const char *json;
	size_t jlen, n;
	uint8_t sig[64], *msg;
	cJSON *j = NULL;
	int rc;

	if (len > XC_MAX_LETTER_HEADER)
		return xc_fail(XC_ELIMIT, "letter header over 1 MiB");
	if (len < sizeof magic + 5 || memcmp(buf, magic, sizeof magic - 1) ||
	    buf[sizeof magic - 1] != ' ')
		return xc_fail(XC_EHEADER, "not an xc-letter-v1 letter");
	if (memcmp(buf + sizeof magic, "- -\n", 4) == 0) {
		L->is_signed = 0;
		json = (const char *)buf + sizeof magic + 4;
	} else {
		if (len < l1 + 2 || buf[sizeof magic + 43] != ' ' ||
		    buf[l1 - 1] != '\n' ||
		    xc_b64_decode(L->ik, 32, &n, (const char *)buf +
		    sizeof magic, 43) != 0 || n != 32 ||
		    xc_b64_decode(sig, 64, &n, (const char *)buf +
		    sizeof magic + 44, 86) != 0 || n != 64)
			return xc_fail(XC_EHEADER, "bad letter frame line");
		L->is_signed = 1;
		json = (const char *)buf + l1;
	}
	jlen = len - (size_t)(json - (const char *)buf);
	if (jlen < 2 || json[jlen - 1] != '\n' ||
	    memchr(json, '\n', jlen - 1) != NULL)
		return xc_fail(XC_EHEADER,
		    "a letter header is two lines, each ending in a newline");
	jlen--;
	/* The signature first: the JSON parser sees only signed bytes. */
	if (L->is_signed) {
		if ((msg = malloc(sizeof magic + jlen)) == NULL)
			return xc_fail(XC_ENOMEM, "out of memory");
		memcpy(msg, magic, sizeof magic);
		memcpy(msg + sizeof magic, json, jlen);
		rc = crypto_sign_verify_detached(sig, msg, sizeof magic + jlen,
		    L->ik);
		free(msg);
		if (rc != 0)
			return xc_fail(XC_ESIG, "letter signature does not verify");
	}
	if ((rc = xc_json_check(json, jlen, XC_MAX_LETTER_DEPTH,
	    XC_MAX_LETTER_HEADER)) < 0)
		return rc;
	if ((j = cJSON_ParseWithLength(json, jlen)) == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	rc = parse_header_json(L, j);
	cJSON_Delete(j);
	return rc;
}

/*
 * The tar bytes libarchive skips: block padding after data and the unused
 * ends of blocks.  A shadow check walks the same bytes and accepts only
 * what xc writes: ustar blocks of type '0' (a file) or 'x' (pax records)
 * with a canonical checksum field, data, zero padding to the block, and
 * after the first zero block nothing but zeros.  With the signed hashes
 * that makes every byte of a letter count: flip one and it is refused.
 */
struct shadow {
	uint8_t blk[512];
	size_t have;		/* bytes of the current header block */
	uint64_t data, pad;	/* still to skip: entry data, then zeros */
	int end;		/* past the first zero block */
	int pax;		/* the data is a pax record set: kept in rec */
	uint8_t rec[PAX_MAX];
	size_t reclen;
	const char *bad;
};

/* xc writes a pax entry only for a name ustar cannot hold, and then exactly
 * one record, "LEN path=NAME\n": anything else (linkpath, size, comments)
 * could make libarchive read another structure than this check does. */
static void
shadow_pax(struct shadow *s)
{
	const uint8_t *r = s->rec;
	size_t n = s->reclen, i, len = 0;

	for (i = 0; i < n && i < 4 && r[i] >= '0' && r[i] <= '9'; i++)
		len = len * 10 + (size_t)(r[i] - '0');
	if (i == 0 || r[0] == '0' || len != n || i >= n || r[i] != ' ' ||
	    n - i - 1 < 6 || memcmp(r + i + 1, "path=", 5) != 0 ||
	    r[n - 1] != '\n' || memchr(r + i + 6, '\n', n - i - 7) != NULL)
		s->bad = "pax records other than one path";
}

/* n-1 octal digits, then term: exactly as libarchive writes them. */
static uint64_t
octal(const uint8_t *f, size_t n, uint8_t term, int *ok)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i + 1 < n; i++) {
		if (f[i] < '0' || f[i] > '7')
			*ok = 0;
		v = v << 3 | (uint64_t)(f[i] - '0');
	}
	if (f[n - 1] != term)
		*ok = 0;
	return v;
}

static void
shadow_block(struct shadow *s)
{
	const uint8_t *b = s->blk;
	uint64_t sum = 0, want;
	size_t i;
	int ok = 1;

	if (sodium_is_zero(b, 512)) {
		s->end = 1;
		return;
	}
	for (i = 0; i < 512; i++)
		sum += (i >= 148 && i < 156) ? ' ' : b[i];
	want = octal(b + 148, 7, 0, &ok);	/* six digits, NUL, a space */
	if (!ok || b[155] != ' ' || want != sum)
		s->bad = "bad tar header checksum";
	else if (b[156] != '0' && b[156] != 'x')
		s->bad = "letter entry is not a plain file (link, device, "
		    "FIFO)";
	else {
		s->data = octal(b + 124, 12, ' ', &ok);
		if (!ok)
			s->bad = "bad tar size field";
		s->pax = b[156] == 'x';
		s->reclen = 0;
		if (s->pax && (s->data == 0 || s->data > PAX_MAX))
			s->bad = "pax records other than one path";
		s->pad = (512 - s->data % 512) % 512;
	}
}

static void
shadow_feed(struct shadow *s, const uint8_t *p, size_t n)
{
	while (n > 0 && s->bad == NULL) {
		size_t k;
		if (s->end) {
			if (!sodium_is_zero(p, n))
				s->bad = "bytes after the end of the letter";
			return;
		}
		if (s->data > 0) {
			k = s->data < n ? (size_t)s->data : n;
			if (s->pax) {	/* at most PAX_MAX: checked above */
				memcpy(s->rec + s->reclen, p, k);
				s->reclen += k;
			}
			s->data -= k;
			if (s->data == 0 && s->pax)
				shadow_pax(s);
		} else if (s->pad > 0) {
			k = s->pad < n ? (size_t)s->pad : n;
			if (!sodium_is_zero(p, k))
				s->bad = "tar padding is not zero";
			s->pad -= k;
		} else {
			k = 512 - s->have < n ? 512 - s->have : n;
			memcpy(s->blk + s->have, p, k);
			if ((s->have += k) == 512) {
				s->have = 0;
				shadow_block(s);
			}
		}
		p += k;
		n -= k;
	}
}

struct reader {
	xc_rd src;
	uint8_t *buf;
	uint64_t total;
	int rc;
	const char *detail;
	struct shadow sh;
};

static la_ssize_t
read_cb(struct archive *a, void *ctx, const void **out)
{
	struct reader *r = ctx;
	size_t got;
	int rc;

	if ((rc = r->src.read(r->src.ctx, r->buf, IO_BUF, &got)) < 0) {
		r->rc = rc;
		r->detail = xc_errdetail();
		return -1;
	}
	r->total += got;
	shadow_feed(&r->sh, r->buf, got);
	if (r->sh.bad) {
		r->rc = xc_fail(XC_EPAYLOAD, r->sh.bad);
		r->detail = r->sh.bad;
		return -1;
	}
	*out = r->buf;
	return (la_ssize_t)got;
}

/* Writes to the part's sink: the body in memory, attachments to a
 * temporary file in dirfd, or nowhere (dirfd -1: check only). */
struct sink {
	xc_letter *L;
	xc_lpart *p;
	int fd;
	uint64_t out;
};

static int
sink_write(struct sink *k, const uint8_t *b, size_t n)
{
	if (n > k->p->size - k->out)
		return xc_fail(XC_EPAYLOAD, "part longer than its header says");
	if (k->p->body)
		memcpy(k->L->body + k->out, b, n);
	else if (k->fd >= 0 && xc_fd_write(&k->fd, b, n) < 0)
		return xc_fail(XC_EWRITE, "cannot write an attachment");
	k->out += n;
	return 0;
}

static int
read_part(xc_letter *L, struct archive *a, xc_lpart *p, uint8_t *buf,
    uint8_t *zbuf)
{
	struct sha256_ctx hs;
	struct sink k = { L, p, -1, 0 };
	z_stream z;
	uint8_t h[32];
	uint64_t in = 0;
	int rc = 0, zr = Z_OK;

	memset(&z, 0, sizeof z);
	if (p->body) {
		if ((L->body = malloc(p->size + 1)) == NULL)
			return xc_fail(XC_ENOMEM, "out of memory");
		L->body[p->size] = 0;
		L->bodylen = p->size;
	} else if (L->dirfd >= 0) {
		char hex[17];
		uint8_t rnd[8];
		randombytes_buf(rnd, sizeof rnd);
		sodium_bin2hex(hex, sizeof hex, rnd, sizeof rnd);
		snprintf(p->tmp, sizeof p->tmp, ".xc-%s.part", hex);
		k.fd = openat(L->dirfd, p->tmp, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0600);
		if (k.fd < 0) {
			p->tmp[0] = '\0';
			return xc_fail(XC_EWRITE,
			    "cannot create a file in the output directory");
		}
	}
	if (p->zlib && inflateInit(&z) != Z_OK) {
		rc = xc_fail(XC_ENOMEM, "cannot start zlib");
		goto out;
	}
	sha256_init(&hs);
	for (;;) {
		la_ssize_t n = archive_read_data(a, buf, IO_BUF);
		if (n < 0) {
			struct reader *r = L->rd;
			rc = r->rc < 0 ? xc_fail(r->rc, r->detail) :
			    xc_fail(XC_EPAYLOAD, "damaged tar entry");
			goto out;
		}
		if (n == 0)
			break;
		in += (uint64_t)n;
		if (in > p->stored) {
			rc = xc_fail(XC_EPAYLOAD, "part longer than declared");
			goto out;
		}
		sha256_update(&hs, (size_t)n, buf);
		if (!p->zlib) {
			if ((rc = sink_write(&k, buf, (size_t)n)) < 0)
				goto out;
			continue;
		}
		z.next_in = buf;
		z.avail_in = (uInt)n;
		while (z.avail_in > 0 && zr != Z_STREAM_END) {
			z.next_out = zbuf;
			z.avail_out = IO_BUF;
			zr = inflate(&z, Z_NO_FLUSH);
			if (zr != Z_OK && zr != Z_STREAM_END) {
				rc = xc_fail(XC_EPAYLOAD, "bad zlib data in a part");
				goto out;
			}
			if ((rc = sink_write(&k, zbuf, IO_BUF - z.avail_out)) < 0)
				goto out;
		}
		if (z.avail_in > 0) {
			rc = xc_fail(XC_EPAYLOAD, "data after a zlib stream");
			goto out;
		}
	}
	sha256_digest(&hs, 32, h);
	if (in != p->stored || sodium_memcmp(h, p->hash, 32) != 0) {
		rc = xc_fail(XC_ESIG, "a part does not match its signed hash");
		goto out;
	}
	if ((p->zlib && zr != Z_STREAM_END) || k.out != p->size) {
		rc = xc_fail(XC_EPAYLOAD, "part shorter than declared");
		goto out;
	}
	if (k.fd >= 0) {
		/* The mode a new file would get, set on our own descriptor
		 * (not by name: the directory may be shared). */
		mode_t um = umask(0);
		umask(um);
		if (fchmod(k.fd, 0666 & ~um) != 0 || fsync(k.fd) != 0)
			rc = xc_fail(XC_EWRITE, "cannot sync an attachment");
	}
out:
	if (p->zlib)
		inflateEnd(&z);
	if (k.fd >= 0 && close(k.fd) != 0 && rc == 0)
		rc = xc_fail(XC_EWRITE, "cannot write an attachment");
	return rc;
}

/* The next tar entry must be a plain file named name, of size bytes. */
static int
next_entry(struct archive *a, struct reader *r, const char *name,
    uint64_t size, int exact, uint64_t *got)
{
	struct archive_entry *e;
	const char *path;
	int ar = archive_read_next_header(a, &e);

	if (ar == ARCHIVE_EOF)
		return xc_fail(XC_EPAYLOAD, "letter ends before its last part");
	if (ar != ARCHIVE_OK)
		return r->rc < 0 ? xc_fail(r->rc, r->detail) :
		    xc_fail(XC_EPAYLOAD, "damaged tar header in letter");
	path = archive_entry_pathname(e);	/* UTF-8: see utf8_locale */
	if (archive_entry_filetype(e) != AE_IFREG ||
	    archive_entry_hardlink(e) != NULL ||
	    archive_entry_symlink(e) != NULL ||
	    archive_entry_sparse_count(e) != 0 ||
	    archive_entry_is_encrypted(e))
		return xc_fail(XC_EPAYLOAD,
		    "letter entry is not a plain file (link, device, FIFO)");
	if (path == NULL || strcmp(path, name) != 0)
		return xc_fail(XC_EPAYLOAD,
		    "letter entry differs from its header");
	if (!archive_entry_size_is_set(e) || archive_entry_size(e) < 0 ||
	    (exact ? (uint64_t)archive_entry_size(e) != size :
	    (uint64_t)archive_entry_size(e) > size))
		return xc_fail(XC_ELIMIT, exact ?
		    "letter entry size differs from its header" :
		    "letter header over 1 MiB");
	*got = (uint64_t)archive_entry_size(e);
	return 0;
}

int
xc_letter_read(xc_rd src, int dirfd, xc_letter *L)
{
	struct archive *a = NULL;
	struct archive_entry *e;
	struct reader r;
	uint8_t *hdr = NULL, *zbuf = NULL, *dbuf = NULL;
	uint64_t hlen, got;
	size_t i;
	la_ssize_t n;
	int rc, ar;
	locale_t old, loc = utf8_locale(&old);

	memset(L, 0, sizeof *L);
	L->dirfd = dirfd;
	memset(&r, 0, sizeof r);
	r.src = src;
	L->rd = &r;
	if ((r.buf = malloc(IO_BUF)) == NULL ||
	    (zbuf = malloc(IO_BUF)) == NULL ||
	    (dbuf = malloc(IO_BUF)) == NULL ||
	    (a = archive_read_new()) == NULL) {
		rc = xc_fail(XC_ENOMEM, "out of memory");
		goto out;
	}
	/* tar only: no other format, no decompression filter. */
	if (archive_read_support_format_tar(a) != ARCHIVE_OK ||
	    archive_read_open(a, &r, NULL, read_cb, NULL) != ARCHIVE_OK) {
		rc = r.rc < 0 ? xc_fail(r.rc, r.detail) :
		    xc_fail(XC_EPAYLOAD, "not a letter (tar)");
		goto out;
	}
	if ((rc = next_entry(a, &r, hdrname, XC_MAX_LETTER_HEADER, 0,
	    &hlen)) < 0)
		goto out;
	if ((hdr = malloc(hlen ? hlen : 1)) == NULL) {
		rc = xc_fail(XC_ENOMEM, "out of memory");
		goto out;
	}
	for (got = 0; got < hlen; got += (uint64_t)n)
		if ((n = archive_read_data(a, hdr + got, hlen - got)) <= 0) {
			rc = r.rc < 0 ? xc_fail(r.rc, r.detail) :
			    xc_fail(XC_EPAYLOAD, "letter header cut short");
			goto out;
		}
	if ((rc = xc_letter_header(L, hdr, hlen)) < 0)
		goto out;
	for (i = 0; i < L->nparts; i++) {
		xc_lpart *p = &L->parts[i];
		if ((rc = next_entry(a, &r, p->name, p->stored, 1, &got)) < 0 ||
		    (rc = read_part(L, a, p, dbuf, zbuf)) < 0)
			goto out;
	}
	ar = archive_read_next_header(a, &e);
	if (ar != ARCHIVE_EOF) {
		rc = r.rc < 0 ? xc_fail(r.rc, r.detail) :
		    xc_fail(XC_EPAYLOAD, "entries after the last part");
		goto out;
	}
	/* The padding: zero bytes to the end. */
	for (;;) {
		size_t k;
		if ((rc = src.read(src.ctx, r.buf, IO_BUF, &k)) < 0)
			goto out;
		if (k == 0)
			break;
		r.total += k;
		shadow_feed(&r.sh, r.buf, k);
		if (r.sh.bad) {
			rc = xc_fail(XC_EPAYLOAD, r.sh.bad);
			goto out;
		}
	}
	if (!r.sh.end) {
		rc = xc_fail(XC_EPAYLOAD, "letter cut short");
		goto out;
	}
	L->length = r.total;
	L->rd = NULL;
	L->padded = xc_padme(r.total) == r.total;
out:
	if (a)
		archive_read_free(a);
	free(r.buf);
	free(zbuf);
	free(dbuf);
	free(hdr);
	L->rd = NULL;
	restore_locale(loc, old);
	return rc;
}

int
xc_letter_addressed(const xc_letter *L, const char *handle,
    const uint8_t ik[32])
{
	char fp[XC_FINGERPRINT_LEN + 1];
	size_t i;

	xc_fingerprint(fp, handle, ik);
	for (i = 0; i < L->nto; i++)
		if (strcmp(L->to[i].handle, handle) == 0 &&
		    strcmp(L->to[i].fp, fp) == 0)
			return 1;
	return 0;
}

struct opener {
	xc_age_rd *ar;
	xc_pipe *pipe;
	int rc;
	const char *detail;
};

static void *
open_thread(void *arg)
{
	struct opener *o = arg;

	o->rc = xc_stream_decrypt(o->ar->payload,
	    (xc_wr){ xc_pipe_write, o->pipe }, o->ar->key);
	o->detail = xc_errdetail();
	xc_pipe_close_write(o->pipe, o->rc);
	return NULL;
}

int
xc_letter_open(xc_rd src, const xc_ids *ids, int dirfd, xc_letter *L)
{
	xc_age_rd ar;
	xc_route route;
	xc_pipe *pipe = NULL;
	struct opener op;
	pthread_t th;
	uint8_t envhash[32], pk[32];
	int rc, small;

	memset(L, 0, sizeof *L);
	L->dirfd = -1;
	if ((rc = xc_age_rd_open(&ar, src, ids)) < 0)
		return rc;
	if ((rc = xc_route_get(&ar.h, &route)) < 0 ||
	    (rc = stanza_hash(envhash, &ar.h)) < 0 ||
	    (rc = xc_ids_recipient(ids, ar.which, pk)) < 0 ||
	    (rc = xc_pipe_new(&pipe, PIPE_CAP)) < 0)
		goto out;
	memset(&op, 0, sizeof op);
	op.ar = &ar;
	op.pipe = pipe;
	/* A payload that fits in the input buffer (most text messages) is
	 * opened before it is read, without a thread: it fits in the pipe. */
	{
		const uint8_t *p;
		size_t avail;
		if ((rc = xc_in_peek(ar.payload, sizeof ar.payload->buf, &p,
		    &avail)) < 0)
			goto out;
		small = ar.payload->eof && avail < PIPE_CAP / 2;
	}
	if (small)
		open_thread(&op);
	else if (pthread_create(&th, NULL, open_thread, &op) != 0) {
		rc = xc_fail(XC_ENOMEM, "cannot start a thread");
		goto out;
	}
	rc = xc_letter_read((xc_rd){ xc_pipe_read, pipe }, dirfd, L);
	xc_pipe_close_read(pipe);
	if (!small)
		pthread_join(th, NULL);
	if (op.rc < 0 && op.rc != XC_EWRITE)	/* the age layer's failure */
		rc = xc_fail(op.rc, op.detail);
	else if (rc == 0 && op.rc < 0)
		rc = xc_fail(op.rc, op.detail);
	if (rc < 0)
		goto out;
	L->route = route;
	memcpy(L->key, pk, 32);
	L->rewrapped = sodium_memcmp(envhash, L->envhash, 32) != 0;
out:
	xc_pipe_free(pipe);
	xc_age_rd_close(&ar);
	return rc;
}

/* "photo.jpg" -> "photo.1.jpg"; "notes" -> "notes.1".  The stem is cut
 * (on a character boundary) so that the result is still a valid name. */
static void
alt_name(char *out, size_t cap, const char *name, int k)
{
	const char *dot = strrchr(name, '.');
	char suffix[XC_MAX_NAME + 16];
	size_t stem, room, i;

	if (dot == NULL || dot == name)
		dot = name + strlen(name);
	snprintf(suffix, sizeof suffix, ".%d%s", k, dot);
	if (strlen(suffix) > XC_MAX_NAME / 2)	/* a long extension goes */
		snprintf(suffix, sizeof suffix, ".%d", k);
	stem = (size_t)(dot - name);
	room = XC_MAX_NAME - strlen(suffix);
	if (stem > room) {
		for (i = room; i > 0 && ((unsigned char)name[i] & 0xc0) == 0x80;
		    i--)
			;
		stem = i;
	}
	snprintf(out, cap, "%.*s%s", (int)stem, name, suffix);
}

/* All the attachments or none: each is linked to its name (never over an
 * existing file), and if one link or the sync of the directory fails, the
 * ones linked so far are removed again; only then do the temporary names
 * go. */
int
xc_letter_commit(xc_letter *L)
{
	struct stat a, b;
	size_t i, done;
	int k, rc = 0, saved;

	for (done = 0; done < L->nparts && rc == 0; done++) {
		xc_lpart *p = &L->parts[done];
		if (p->tmp[0] == '\0')
			continue;
		snprintf(p->saved, sizeof p->saved, "%s", p->name);
		for (k = 1; linkat(L->dirfd, p->tmp, L->dirfd, p->saved, 0)
		    != 0; k++) {
			if (errno != EEXIST || k > 9999) {
				rc = xc_fail(XC_EWRITE,
				    "cannot save an attachment");
				p->saved[0] = '\0';
				break;
			}
			alt_name(p->saved, sizeof p->saved, p->name, k);
		}
	}
	if (rc == 0 && L->dirfd >= 0 && fsync(L->dirfd) != 0)
		rc = xc_fail(XC_EWRITE, "cannot sync the output directory");
	if (rc < 0) {
		saved = errno;
		/* Undone: a name is removed only if it is still our file. */
		for (i = 0; i < done && i < L->nparts; i++) {
			xc_lpart *p = &L->parts[i];
			if (p->tmp[0] == '\0' || p->saved[0] == '\0')
				continue;
			if (fstatat(L->dirfd, p->tmp, &a,
			    AT_SYMLINK_NOFOLLOW) == 0 &&
			    fstatat(L->dirfd, p->saved, &b,
			    AT_SYMLINK_NOFOLLOW) == 0 &&
			    a.st_dev == b.st_dev && a.st_ino == b.st_ino)
				unlinkat(L->dirfd, p->saved, 0);
			p->saved[0] = '\0';
		}
		fsync(L->dirfd);
		errno = saved;
		return rc;
	}
	for (i = 0; i < L->nparts; i++) {
		xc_lpart *p = &L->parts[i];
		if (p->tmp[0] == '\0')
			continue;
		unlinkat(L->dirfd, p->tmp, 0);
		p->tmp[0] = '\0';
	}
	return 0;
}

void
xc_letter_free(xc_letter *L)
{
	size_t i;

	for (i = 0; i < L->nparts; i++)
		if (L->parts[i].tmp[0] && L->dirfd >= 0)
			unlinkat(L->dirfd, L->parts[i].tmp, 0);
	if (L->body) {
		sodium_memzero(L->body, L->bodylen);
		free(L->body);
	}
	free(L->parts);
	free(L->to);
	free(L->card);
	memset(L, 0, sizeof *L);
	L->dirfd = -1;
}
