/*
 * letter-open.c - reading a letter (xc-letter(5), "Reading").
 *
 * A push parser: the STREAM decryption hands it each verified chunk
 * (feed()), so there is no second thread and no copy between them.  The
 * parts come before the signed header, so until the header arrives the
 * parser only recognises canonical tar headers (lib/tar.c), hashes each
 * part's bytes and stages them: the text in memory, attachments in
 * temporary files of the output directory, all bounded by the limits of
 * xc.h.  Nothing interprets a part's bytes before the signature over the
 * header and the header's hashes have been checked: zlib inflates a part
 * only afterwards, from the staged bytes, hashing them again as it reads
 * them back (a file swapped meanwhile would not match).  Nothing is
 * committed here; xc_letter_commit does that.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>
#include <zlib.h>

#include "xc.h"
#include "letter.h"

enum { R_HDR, R_DATA, R_PAD, R_TRAILER, R_END, R_PADDING, R_DONE };

struct rdr {
	xc_letter *L;
	int state;
	uint8_t hdr[XC_TAR_HDR_MAX];
	size_t have, want;		/* of the header blocks */
	uint64_t off;			/* bytes of letter read */
	uint64_t left;			/* of data, padding or zeros */
	xc_lpart *parts;		/* the entries, until the header says */
	size_t n, cap;
	xc_lpart *cur;
	size_t curcap;			/* of cur->smem */
	int fd;				/* cur's temporary file */
	struct xc_tree hs;
	struct xc_hasher *hasher;
	uint64_t total;
	int64_t mtime;
	int trailer_done;
	uint8_t *trailer;
	size_t tlen, tgot;
};

/* ---- staging ---- */

static int
tmp_create(int dirfd, char name[40], int *fd)
{
	char made[XC_TMP_NAME_MAX];
	int rc;

	/* Registered with the file layer, so that a signal handler (and
	 * xc_tmp_cleanup) removes it; ".xc-HEX.part", as xc-open sweeps. */
	if ((rc = xc_tmp_create(dirfd, ".xc-", ".part", 0600, made, fd)) < 0) {
		name[0] = '\0';
		*fd = -1;
		return xc_fail(XC_EWRITE,
		    "cannot create a file in the output directory");
	}
	memcpy(name, made, strlen(made) + 1);	/* 25 bytes */
	return 0;
}

/* The mode a new file would get, set on our own descriptor (not by name:
 * the directory may be shared), and the data on disk. */
static int
tmp_finish(int fd)
{
	mode_t um = umask(0);

	umask(um);
	if (fchmod(fd, 0666 & ~um) != 0 || fsync(fd) != 0)
		return xc_fail(XC_EWRITE, "cannot sync an attachment");
	return 0;
}

static int
mem_append(xc_lpart *p, size_t *cap, const uint8_t *b, size_t n)
{
	uint64_t need = p->size + n;	/* size counts what arrived */

	if (need > *cap) {
		size_t nc = *cap ? *cap : LETTER_IO;
		uint8_t *np;
		while (nc < need)
			nc *= 2;
		if (nc > p->stored)
			nc = (size_t)p->stored;
		if ((np = malloc(nc + 1)) == NULL)
			return xc_fail(XC_ENOMEM, "out of memory");
		if (p->size) {
			memcpy(np, p->smem, (size_t)p->size);
			sodium_memzero(p->smem, (size_t)p->size);
		}
		free(p->smem);
		p->smem = np;
		*cap = nc;
	}
	memcpy(p->smem + p->size, b, n);
	p->size += n;
	return 0;
}

static void
staged_free(struct rdr *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		xc_lpart *p = &r->parts[i];
		if (p->tmp[0] && r->L->dirfd >= 0)
			xc_tmp_remove(r->L->dirfd, p->tmp);
		if (p->ztmp[0] && r->L->dirfd >= 0)
			xc_tmp_remove(r->L->dirfd, p->ztmp);
		if (p->smem) {
			sodium_memzero(p->smem, (size_t)p->size);
			free(p->smem);
		}
	}
	free(r->parts);
	r->parts = NULL;
	r->n = 0;
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	free(r->trailer);
	r->trailer = NULL;
	xc_hasher_free(r->hasher);
	r->hasher = NULL;
}

/* ---- the parser ---- */

/* A part's header has arrived: check what can be checked before the
 * signature, and start staging it. */
static int
start_part(struct rdr *r, const char *name, uint64_t size)
{
	xc_lpart *p;
	int body = r->n == 0, rc;

	if (r->n == XC_MAX_PARTS)
		return xc_fail(XC_ELIMIT, "a letter has 1 to 1024 parts");
	if (body ? strcmp(name, XC_BODY_NAME) != 0 :
	    xc_part_name_ok(name) != 0 || strcmp(name, XC_BODY_NAME) == 0)
		return xc_fail(XC_EPAYLOAD, body ? "the first entry of a "
		    "letter is not message.txt" : "unsafe part name");
	if (size > (body || r->L->dirfd < 0 ? (uint64_t)XC_MAX_BODY :
	    XC_MAX_PART))
		return xc_fail(XC_ELIMIT, body ? "message text over 16 MiB" :
		    "part larger than 4 GiB");
	if ((r->total += size) > XC_MAX_TOTAL)
		return xc_fail(XC_ELIMIT, "letter larger than 16 GiB");
	if (r->L->dirfd < 0 && r->total > XC_MAX_IN_MEMORY)
		return xc_fail(XC_ELIMIT, "letter too large to read in memory");
	if (r->n == r->cap) {
		size_t nc = r->cap ? r->cap * 2 : 8;
		xc_lpart *np = realloc(r->parts, nc * sizeof *np);
		if (np == NULL)
			return xc_fail(XC_ENOMEM, "out of memory");
		r->parts = np;
		r->cap = nc;
	}
	p = r->cur = &r->parts[r->n++];
	memset(p, 0, sizeof *p);
	snprintf(p->name, sizeof p->name, "%s", name);
	p->body = body;
	p->stored = size;	/* p->size counts the bytes as they come */
	p->offset = r->off;
	r->curcap = 0;
	xc_tree_init(&r->hs);
	/* An empty attachment gets its file once the letter is checked. */
	if (!body && size > 0 && r->L->dirfd >= 0) {
		struct stat sb;
		if ((rc = tmp_create(r->L->dirfd, p->tmp, &r->fd)) < 0)
			return rc;
		if (fstat(r->fd, &sb) != 0)
			return xc_fail(XC_EWRITE, "cannot write an attachment");
		p->tmpino = (uint64_t)sb.st_ino;
	}
	return 0;
}

static int
part_bytes(struct rdr *r, const uint8_t *b, size_t n)
{
	xc_lpart *p = r->cur;
	int rc;

	xc_tree_update(&r->hs, r->hasher, b, n);
	if (r->fd >= 0) {
		if (xc_fd_write(&r->fd, b, n) < 0)
			return xc_fail(XC_EWRITE, "cannot write an attachment");
		p->size += n;
		return 0;
	}
	if ((rc = mem_append(p, &r->curcap, b, n)) < 0)
		return rc;
	return 0;
}

static int
end_part(struct rdr *r)
{
	xc_lpart *p = r->cur;
	int rc = 0;

	xc_tree_final(&r->hs, p->hash);
	/* Synced only once the letter is checked (decode()): a bad letter
	 * costs no disk flush. */
	if (r->fd >= 0) {
		if (close(r->fd) != 0)
			rc = xc_fail(XC_EWRITE, "cannot write an attachment");
		r->fd = -1;
	}
	r->cur = NULL;
	return rc;
}

/* The signed header arrived: its signature, then its entries against the
 * ones read, then the length the letter must have. */
static int
end_trailer(struct rdr *r)
{
	xc_letter *L = r->L;
	size_t i;
	int rc;

	if ((rc = xc_letter_header(L, r->trailer, r->tlen)) < 0)
		return rc;
	if (L->date != r->mtime)
		return xc_fail(XC_EPAYLOAD,
		    "tar header not as xc writes one (not canonical)");
	if (L->nparts != r->n)
		return xc_fail(XC_EPAYLOAD, r->n < L->nparts ?
		    "letter ends before its last part" :
		    "entries after the last part");
	for (i = 0; i < r->n; i++)
		if (strcmp(L->parts[i].name, r->parts[i].name) != 0 ||
		    L->parts[i].stored != r->parts[i].stored)
			return xc_fail(XC_EPAYLOAD,
			    "letter entry differs from its header");
	for (i = 0; i < r->n; i++)
		if (sodium_memcmp(L->parts[i].hash, r->parts[i].hash, 32) != 0)
			return xc_fail(XC_ESIG,
			    "a part does not match its signed hash");
	/* The staged bytes now belong to the letter. */
	for (i = 0; i < r->n; i++) {
		xc_lpart *p = &L->parts[i], *s = &r->parts[i];
		p->offset = s->offset;
		p->smem = s->smem;
		p->tmpino = s->tmpino;
		memcpy(p->zlib ? p->ztmp : p->tmp, s->tmp, sizeof p->tmp);
	}
	free(r->parts);
	r->parts = NULL;
	r->n = 0;
	L->trailer = r->trailer;
	L->trailerlen = r->tlen;
	r->trailer = NULL;
	return 0;
}

static int
start_entry(struct rdr *r)
{
	char name[XC_MAX_NAME + 1];
	uint64_t size;
	int64_t mtime;
	int end, rc;

	rc = xc_tar_parse(r->hdr, r->have, name, &size, &mtime, &end);
	if (rc < 0)
		return rc;
	if (rc == 1) {
		r->want = XC_TAR_HDR_MAX;
		return 0;
	}
	r->off += r->have;
	r->have = 0;
	r->want = XC_TAR_BLOCK;
	if (end)
		return xc_fail(XC_EPAYLOAD, "letter ends before its header");
	if (r->n == 0 && !r->trailer)
		r->mtime = mtime;
	else if (mtime != r->mtime)
		return xc_fail(XC_EPAYLOAD,
		    "tar header not as xc writes one (not canonical)");
	r->left = size;
	if (strcmp(name, XC_TRAILER_NAME) == 0) {
		if (size > XC_MAX_LETTER_HEADER)
			return xc_fail(XC_ELIMIT, "letter header over 1 MiB");
		if ((r->trailer = malloc(size ? size : 1)) == NULL)
			return xc_fail(XC_ENOMEM, "out of memory");
		r->tlen = (size_t)size;
		r->tgot = 0;
		r->state = R_TRAILER;
		return 0;
	}
	r->state = R_DATA;
	return start_part(r, name, size);
}

/* Whether n bytes are all zero (not a secret: no need for constant time). */
static int
zero(const uint8_t *b, size_t n)
{
	return n == 0 || (b[0] == 0 && memcmp(b, b + 1, n - 1) == 0);
}

static int
feed(void *ctx, const uint8_t *b, size_t n)
{
	struct rdr *r = ctx;
	xc_letter *L = r->L;
	size_t k;
	int rc;

	while (n > 0) {
		switch (r->state) {
		case R_HDR:
			k = r->want - r->have < n ? r->want - r->have : n;
			memcpy(r->hdr + r->have, b, k);
			r->have += k;
			if (r->have % XC_TAR_BLOCK == 0 && r->have == r->want &&
			    (rc = start_entry(r)) < 0)
				return rc;
			b += k;
			n -= k;
			continue;
		case R_DATA:
		case R_TRAILER:
			k = r->left < n ? (size_t)r->left : n;
			if (r->state == R_TRAILER) {
				memcpy(r->trailer + r->tgot, b, k);
				r->tgot += k;
			} else if (k && (rc = part_bytes(r, b, k)) < 0)
				return rc;
			r->left -= k;
			if (r->left == 0) {
				uint64_t sz = r->state == R_DATA ?
				    r->cur->stored : r->tlen;
				if (r->state == R_DATA) {
					if ((rc = end_part(r)) < 0)
						return rc;
				} else {
					if ((rc = end_trailer(r)) < 0)
						return rc;
					r->trailer_done = 1;
				}
				r->state = R_PAD;
				r->left = XC_TAR_PAD(sz);
			}
			break;
		case R_PAD:
			k = r->left < n ? (size_t)r->left : n;
			if (!zero(b, k))
				return xc_fail(XC_EPAYLOAD,
				    "tar padding is not zero");
			r->left -= k;
			r->off += k;
			if (r->left == 0 && r->trailer_done) {
				r->state = R_END;
				r->left = 2 * XC_TAR_BLOCK;
			} else if (r->left == 0)
				r->state = R_HDR;
			b += k;
			n -= k;
			continue;
		case R_END:
			k = r->left < n ? (size_t)r->left : n;
			if (!zero(b, k))
				return xc_fail(XC_EPAYLOAD,
				    "entries after the last part");
			r->left -= k;
			r->off += k;
			if (r->left == 0) {
				r->state = R_PADDING;
				r->left = xc_letter_padded(r->off, L->level) -
				    r->off;
			}
			b += k;
			n -= k;
			continue;
		case R_PADDING:
			k = r->left < n ? (size_t)r->left : n;
			if (!zero(b, k) || k < n)
				return xc_fail(XC_EPAYLOAD,
				    "bytes after the end of the letter");
			r->left -= k;
			r->off += k;
			b += k;
			n -= k;
			continue;
		default:
			return xc_fail(XC_EPAYLOAD,
			    "bytes after the end of the letter");
		}
		r->off += k;
		b += k;
		n -= k;
	}
	return 0;
}

/* ---- after the last byte ---- */

/* Inflates n stored bytes (from memory, or read back from the staged
 * file zfd and hashed again) into exactly p->size bytes: to memory (out)
 * or to the file ofd. */
static int
inflate_part(xc_lpart *p, const uint8_t *mem, int zfd, uint8_t *out,
    int ofd)
{
	struct xc_tree hs;
	z_stream z;
	uint8_t *ibuf = NULL, *obuf = NULL, h[32];
	uint64_t in = 0, outn = 0;
	int rc = 0, zr = Z_OK;

	memset(&z, 0, sizeof z);
	if ((ibuf = malloc(LETTER_IO)) == NULL ||
	    (obuf = malloc(LETTER_IO)) == NULL || inflateInit(&z) != Z_OK) {
		free(ibuf);
		free(obuf);
		return xc_fail(XC_ENOMEM, "cannot start zlib");
	}
	xc_tree_init(&hs);
	while (in < p->stored && zr != Z_STREAM_END) {
		size_t k = p->stored - in < LETTER_IO ? (size_t)(p->stored -
		    in) : LETTER_IO, got = k;
		if (mem)
			memcpy(ibuf, mem + in, k);
		else {
			size_t g = 0;
			while (g < k) {
				size_t one;
				if (xc_fd_read(&zfd, ibuf + g, k - g, &one) < 0 ||
				    one == 0) {
					rc = xc_fail(XC_EREAD, "cannot read a "
					    "staged attachment");
					goto out;
				}
				g += one;
			}
			xc_tree_update(&hs, NULL, ibuf, k);
		}
		in += k;
		z.next_in = ibuf;
		z.avail_in = (uInt)got;
		while (z.avail_in > 0 && zr != Z_STREAM_END) {
			size_t m;
			z.next_out = obuf;
			z.avail_out = LETTER_IO;
			zr = inflate(&z, Z_NO_FLUSH);
			if (zr != Z_OK && zr != Z_STREAM_END) {
				rc = xc_fail(XC_EPAYLOAD,
				    "bad zlib data in a part");
				goto out;
			}
			m = LETTER_IO - z.avail_out;
			if (m > p->size - outn) {
				rc = xc_fail(XC_EPAYLOAD,
				    "part longer than its header says");
				goto out;
			}
			if (out)
				memcpy(out + outn, obuf, m);
			else if (m && xc_fd_write(&ofd, obuf, m) < 0) {
				rc = xc_fail(XC_EWRITE,
				    "cannot write an attachment");
				goto out;
			}
			outn += m;
		}
	}
	if (zr != Z_STREAM_END || z.avail_in > 0 || in != p->stored) {
		rc = xc_fail(XC_EPAYLOAD, zr == Z_STREAM_END ?
		    "data after a zlib stream" : "bad zlib data in a part");
		goto out;
	}
	if (outn != p->size) {
		rc = xc_fail(XC_EPAYLOAD, "part shorter than declared");
		goto out;
	}
	if (!mem) {
		xc_tree_final(&hs, h);
		if (sodium_memcmp(h, p->hash, 32) != 0)
			rc = xc_fail(XC_EREAD, "a staged attachment changed");
	}
out:
	inflateEnd(&z);
	sodium_memzero(obuf, LETTER_IO);
	free(ibuf);
	free(obuf);
	return rc;
}

/* A staged file again, by name: the one this process wrote (the
 * directory may be shared), or an error. */
static int
staged_open(int dirfd, const char *name, uint64_t ino, int *fd)
{
	struct stat sb;

	if ((*fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return xc_fail(XC_EREAD, "cannot read a staged attachment");
	if (fstat(*fd, &sb) != 0 || (uint64_t)sb.st_ino != ino ||
	    !S_ISREG(sb.st_mode)) {
		close(*fd);
		*fd = -1;
		return xc_fail(XC_EREAD, "a staged attachment was replaced");
	}
	return 0;
}

/* Syncs (when rc is 0) and closes an attachment's file. */
static int
tmp_done(int fd, int rc)
{
	if (rc == 0)
		rc = tmp_finish(fd);
	if (close(fd) != 0 && rc == 0)
		rc = xc_fail(XC_EWRITE, "cannot write an attachment");
	return rc;
}

static int
decode(xc_letter *L, xc_lpart *p)
{
	int zfd = -1, ofd = -1, rc;

	if (p->body || L->dirfd < 0) {
		if (!p->zlib) {
			/* smem has room for a NUL (mem_append). */
			if (p->smem == NULL && (p->smem = malloc(1)) == NULL)
				return xc_fail(XC_ENOMEM, "out of memory");
			p->mem = p->smem;
			p->mem[p->size] = 0;
		} else {
			if ((p->mem = malloc((size_t)p->size + 1)) == NULL)
				return xc_fail(XC_ENOMEM, "out of memory");
			p->mem[p->size] = 0;
			/* On failure the buffer is no part's and no body's
			 * yet: xc_letter_free would not see it. */
			if ((rc = inflate_part(p, p->smem, -1, p->mem, -1)) <
			    0) {
				sodium_memzero(p->mem, (size_t)p->size);
				free(p->mem);
				p->mem = NULL;
				return rc;
			}
		}
		if (p->body) {
			L->body = p->mem;
			L->bodylen = (size_t)p->size;
		}
		return 0;
	}
	if (p->stored == 0)	/* nothing was staged */
		return (rc = tmp_create(L->dirfd, p->tmp, &ofd)) < 0 ? rc :
		    tmp_done(ofd, p->zlib ? xc_fail(XC_EPAYLOAD,
		    "bad zlib data in a part") : 0);
	if ((rc = staged_open(L->dirfd, p->zlib ? p->ztmp : p->tmp,
	    p->tmpino, &zfd)) < 0)
		return rc;
	if (!p->zlib)
		return tmp_done(zfd, 0);
	if ((rc = tmp_create(L->dirfd, p->tmp, &ofd)) == 0)
		rc = inflate_part(p, NULL, zfd, NULL, ofd);
	close(zfd);
	xc_tmp_remove(L->dirfd, p->ztmp);
	p->ztmp[0] = '\0';
	return ofd >= 0 ? tmp_done(ofd, rc) : rc;
}

static int
finish(struct rdr *r)
{
	xc_letter *L = r->L;
	size_t i;
	int rc;

	if (r->state == R_PADDING && r->left == 0)
		r->state = R_DONE;
	if (r->state != R_DONE)
		return xc_fail(XC_EPAYLOAD, r->trailer_done ?
		    "letter cut short" : "letter ends before its header");
	for (i = 0; i < L->nparts; i++)
		if ((rc = decode(L, &L->parts[i])) < 0)
			return rc;
	L->length = r->off;
	L->padded = L->level >= 2;
	/* Nothing to save: the letter is done with the directory (so that
	 * xc_letter_commit does not sync it for no file). */
	if (L->nparts == 1)
		L->dirfd = -1;
	return 0;
}

static void
rdr_init(struct rdr *r, xc_letter *L, int dirfd)
{
	memset(L, 0, sizeof *L);
	L->dirfd = dirfd;
	memset(r, 0, sizeof *r);
	r->L = L;
	r->fd = -1;
	r->state = R_HDR;
	r->want = XC_TAR_BLOCK;
	/* Without memory for it, parts are hashed on this thread alone. */
	if (xc_hasher_new(&r->hasher) < 0)
		r->hasher = NULL;
}

int
xc_letter_read(xc_rd src, int dirfd, xc_letter *L)
{
	struct rdr r;
	uint8_t *buf;
	size_t got;
	int rc = 0;

	rdr_init(&r, L, dirfd);
	if ((buf = malloc(LETTER_IO)) == NULL) {
		staged_free(&r);
		return xc_fail(XC_ENOMEM, "out of memory");
	}
	for (;;) {
		if ((rc = src.read(src.ctx, buf, LETTER_IO, &got)) < 0 ||
		    got == 0 || (rc = feed(&r, buf, got)) < 0)
			break;
	}
	if (rc == 0)
		rc = finish(&r);
	staged_free(&r);
	sodium_memzero(buf, LETTER_IO);
	free(buf);
	return rc;
}

int
xc_letter_open(xc_rd src, const xc_ids *ids, int dirfd, xc_letter *L)
{
	xc_age_rd ar;
	xc_route route;
	struct rdr r;
	uint8_t envhash[32], pk[32];
	int rc;

	rdr_init(&r, L, dirfd);
	if ((rc = xc_age_rd_open(&ar, src, ids)) < 0) {
		staged_free(&r);
		return rc;
	}
	if ((rc = xc_route_get(&ar.h, &route)) < 0 ||
	    (rc = xc_stanza_hash(envhash, &ar.h)) < 0 ||
	    (rc = xc_ids_recipient(ids, ar.which, pk)) < 0)
		goto out;
	if ((rc = xc_stream_decrypt(ar.payload, (xc_wr){ feed, &r },
	    ar.key)) < 0 || (rc = finish(&r)) < 0)
		goto out;
	L->route = route;
	memcpy(L->key, pk, 32);
	L->rewrapped = sodium_memcmp(envhash, L->envhash, 32) != 0;
out:
	staged_free(&r);
	xc_age_rd_close(&ar);
	return rc;
}
