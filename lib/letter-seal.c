/*
 * letter-seal.c - sealing a letter in one pass over its inputs
 * (xc-letter(5), "Sealing").
 *
 * The parts come first and the signed header last, so every input is read
 * once, from where it is, and hashed on the way into the archive: the
 * archive is produced on demand by a read callback (produce()) that the
 * STREAM encryption pulls from, so this thread reads and hashes the next
 * MiB while the stream's worker encrypts the last one.  Only what tar
 * cannot take on the fly is staged first: a part whose size is unknown (a
 * pipe, a terminal) and a part worth compressing (its stored size is known
 * only once it is compressed).  Staged bytes go to an unlinked file in
 * $TMPDIR encrypted with ChaCha20 under a key that never leaves this
 * process, so no plaintext of the letter reaches the disk here.
 */
#define _GNU_SOURCE		/* O_TMPFILE */
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

enum { SRC_MEM = 1, SRC_FD, SRC_STAGED };

/* Where a part's stored bytes come from (xc_part.priv). */
struct src {
	int kind;
	const uint8_t *mem;		/* SRC_MEM: the stored bytes */
	uint8_t *zmem;			/* a compressed body (owned) */
	uint8_t *head;			/* SRC_FD: bytes read to sniff */
	size_t headlen;
	int sfd;			/* SRC_STAGED: the staging file */
	uint8_t *skey;			/* its key (secure) */
	uint8_t nonce[crypto_stream_chacha20_ietf_NONCEBYTES];
	struct stat st;			/* SRC_FD: size and times at start */
	struct xc_tree hs;		/* of the stored bytes */
	struct xc_hasher *hasher;	/* the letter's helper thread */
	uint64_t done;			/* stored bytes produced */
};

static int
read_full(int fd, uint8_t *buf, size_t len, size_t *got)
{
	size_t k = 0, g;
	int rc;

	while (k < len) {
		if ((rc = xc_fd_read(&fd, buf + k, len - k, &g)) < 0)
			return xc_fail(rc, "cannot read an attachment");
		if (g == 0)
			break;
		k += g;
	}
	*got = k;
	return 0;
}

/* ---- staging: an unlinked file, ChaCha20 under a throw-away key ---- */

static void
stage_xor(struct src *s, uint8_t *buf, size_t n, uint64_t off)
{
	while (n > 0) {
		uint64_t blk = off / 64;
		size_t in = (size_t)(off % 64), k;
		if (in == 0 && n >= 64) {
			k = n & ~(size_t)63;
			crypto_stream_chacha20_ietf_xor_ic(buf, buf, k,
			    s->nonce, (uint32_t)blk, s->skey);
		} else {
			uint8_t ks[64] = { 0 };
			size_t i;
			crypto_stream_chacha20_ietf_xor_ic(ks, ks, 64, s->nonce,
			    (uint32_t)blk, s->skey);
			k = 64 - in < n ? 64 - in : n;
			for (i = 0; i < k; i++)
				buf[i] ^= ks[in + i];
			sodium_memzero(ks, sizeof ks);
		}
		buf += k;
		n -= k;
		off += k;
	}
}

static int
stage_open(struct src *s)
{
	const char *dir = getenv("TMPDIR");
	char path[XC_PATH_MAX];

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	if ((s->skey = sodium_malloc(crypto_stream_chacha20_ietf_KEYBYTES))
	    == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	randombytes_buf(s->skey, crypto_stream_chacha20_ietf_KEYBYTES);
	randombytes_buf(s->nonce, sizeof s->nonce);
#ifdef O_TMPFILE
	s->sfd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
#else
	s->sfd = -1;
#endif
	if (s->sfd < 0 && snprintf(path, sizeof path, "%s/.xc-seal.XXXXXX",
	    dir) < (int)sizeof path && (s->sfd = mkstemp(path)) >= 0)
		unlink(path);
	if (s->sfd < 0)
		return xc_fail(XC_EWRITE, "cannot create a temporary file in "
		    "$TMPDIR to stage an attachment");
	s->kind = SRC_STAGED;
	return 0;
}

/* Appends to the staging file: whole 64 KiB blocks from buf (cap bytes),
 * the rest when flush is set. */
struct stager {
	struct src *s;
	uint8_t *buf;
	size_t len;
	uint64_t off;
};

static int
stage_write(struct stager *w, const uint8_t *p, size_t n, int flush)
{
	while (n > 0 || (flush && w->len > 0)) {
		size_t k = LETTER_IO - w->len < n ? LETTER_IO - w->len : n;
		if (k) {
			memcpy(w->buf + w->len, p, k);
			w->len += k;
			p += k;
			n -= k;
		}
		if (w->len == LETTER_IO || (flush && n == 0)) {
			stage_xor(w->s, w->buf, w->len, w->off);
			if (xc_fd_write(&w->s->sfd, w->buf, w->len) < 0)
				return xc_fail(XC_EWRITE, "cannot stage an "
				    "attachment in $TMPDIR");
			w->off += w->len;
			w->len = 0;
		}
	}
	return 0;
}

/* ---- compression ---- */

/* zlib where it pays: not for images (compressed already), and only when
 * the first 64 KiB shrink by a tenth. */
static int
pays(const char *type, const uint8_t *head, size_t n)
{
	uLongf zn;
	uint8_t *tmp;
	int yes = 0;

	if (n < 128 || strncmp(type, "image/", 6) == 0)
		return 0;
	zn = compressBound(LETTER_IO);
	if ((tmp = malloc(zn)) == NULL)
		return 0;
	if (compress2(tmp, &zn, head, n, 6) == Z_OK && zn * 10 < n * 9)
		yes = 1;
	free(tmp);
	return yes;
}

/* A deflate stream whose output goes to emit.  Once a part has shrunk
 * more than 100 times past 512 KiB, the rest is stored (deflate level 0):
 * the writer never makes a part the reader refuses for its ratio. */
struct zw {
	z_stream z;
	int stored;
	uint8_t *obuf;
	int (*emit)(void *, const uint8_t *, size_t);
	void *arg;
};

static int
zw_feed(struct zw *w, const uint8_t *in, size_t n, int finish)
{
	int zr, rc;

	w->z.next_in = (uint8_t *)(uintptr_t)in;
	w->z.avail_in = (uInt)n;
	do {
		w->z.next_out = w->obuf;
		w->z.avail_out = LETTER_IO;
		zr = deflate(&w->z, finish ? Z_FINISH : Z_NO_FLUSH);
		if (zr == Z_STREAM_ERROR)
			return xc_fail(XC_EINVAL, "zlib failed");
		if ((rc = w->emit(w->arg, w->obuf, LETTER_IO -
		    w->z.avail_out)) < 0)
			return rc;
	} while (w->z.avail_out == 0 || (finish && zr != Z_STREAM_END));
	if (!w->stored && !finish && w->z.total_in >= 512 * 1024 &&
	    w->z.total_out < w->z.total_in / 100) {
		w->stored = 1;
		do {
			w->z.next_out = w->obuf;
			w->z.avail_out = LETTER_IO;
			zr = deflateParams(&w->z, 0, Z_DEFAULT_STRATEGY);
			if ((rc = w->emit(w->arg, w->obuf, LETTER_IO -
			    w->z.avail_out)) < 0)
				return rc;
		} while (zr == Z_BUF_ERROR);
		if (zr != Z_OK)
			return xc_fail(XC_EINVAL, "zlib failed");
	}
	return 0;
}

/* ---- preparing parts ---- */

struct growbuf {
	uint8_t *p;
	size_t len, cap;
};

static int
grow_emit(void *arg, const uint8_t *p, size_t n)
{
	struct growbuf *g = arg;

	if (g->len + n > g->cap) {
		size_t cap = g->cap ? g->cap : LETTER_IO;
		uint8_t *np;
		while (cap < g->len + n)
			cap *= 2;
		if (cap > XC_MAX_BODY + (size_t)LETTER_IO) {
			return xc_fail(XC_ELIMIT, "message text larger than "
			    "16 MiB");
		}
		if ((np = malloc(cap)) == NULL)
			return xc_fail(XC_ENOMEM, "out of memory");
		if (g->len) {
			memcpy(np, g->p, g->len);
			sodium_memzero(g->p, g->len);
		}
		free(g->p);
		g->p = np;
		g->cap = cap;
	}
	memcpy(g->p + g->len, p, n);
	g->len += n;
	return 0;
}

static int
prepare_body(xc_part *pt, struct src *s)
{
	struct growbuf g = { NULL, 0, 0 };
	size_t n = pt->memlen < LETTER_IO ? pt->memlen : LETTER_IO, off;
	int rc = 0;

	if (pt->memlen > XC_MAX_BODY)
		return xc_fail(XC_ELIMIT, "message text larger than 16 MiB");
	snprintf(pt->type, sizeof pt->type, "%s", xc_letter_types[
	    xc_utf8_valid(pt->mem, pt->memlen) ? 0 : 1]);
	pt->size = pt->memlen;
	s->kind = SRC_MEM;
	s->mem = pt->mem;
	pt->stored = pt->memlen;
	if (pays(pt->type, pt->mem, n)) {
		struct zw w;
		memset(&w, 0, sizeof w);
		if ((w.obuf = malloc(LETTER_IO)) == NULL ||
		    deflateInit(&w.z, 6) != Z_OK) {
			free(w.obuf);
			return xc_fail(XC_ENOMEM, "cannot start zlib");
		}
		w.emit = grow_emit;
		w.arg = &g;
		for (off = 0; rc == 0 && off < pt->memlen; off += n) {
			n = pt->memlen - off < LETTER_IO ? pt->memlen - off :
			    LETTER_IO;
			rc = zw_feed(&w, pt->mem + off, n, 0);
		}
		if (rc == 0)
			rc = zw_feed(&w, NULL, 0, 1);
		deflateEnd(&w.z);
		free(w.obuf);
		if (rc == 0 && g.len < pt->memlen &&
		    xc_letter_ratio_ok(pt->size, g.len)) {
			s->zmem = g.p;
			s->mem = g.p;
			pt->stored = g.len;
			pt->zlib = 1;
		} else {
			if (g.p)
				sodium_memzero(g.p, g.len);
			free(g.p);
		}
		if (rc < 0)
			return rc;
	}
	xc_tree_init(&s->hs);
	xc_tree_update(&s->hs, s->hasher, s->mem, (size_t)pt->stored);
	xc_tree_final(&s->hs, pt->hash);
	return 0;
}

static int
stage_emit(void *arg, const uint8_t *p, size_t n)
{
	struct stager *w = arg;

	xc_tree_update(&w->s->hs, w->s->hasher, p, n);
	return stage_write(w, p, n, 0);
}

/* Stages an attachment (head already read): its size, stored size and
 * hash come out of it. */
static int
stage_part(xc_part *pt, struct src *s, uint8_t *ibuf, size_t have)
{
	struct stager w = { s, NULL, 0, 0 };
	struct zw z;
	size_t n = have;
	int rc, first = 1;

	memset(&z, 0, sizeof z);
	if ((rc = stage_open(s)) < 0)
		return rc;
	if ((w.buf = malloc(LETTER_IO)) == NULL ||
	    (pt->zlib && ((z.obuf = malloc(LETTER_IO)) == NULL ||
	    deflateInit(&z.z, 6) != Z_OK))) {
		free(w.buf);
		free(z.obuf);
		return xc_fail(XC_ENOMEM, "out of memory");
	}
	z.emit = stage_emit;
	z.arg = &w;
	xc_tree_init(&s->hs);
	pt->size = 0;
	for (;;) {
		if (!first && (rc = read_full(pt->fd, ibuf, LETTER_IO, &n)) < 0)
			goto out;
		first = 0;
		pt->size += n;
		if (pt->size > XC_MAX_PART) {
			rc = xc_fail(XC_ELIMIT, "attachment larger than 4 GiB");
			goto out;
		}
		if (pt->zlib)
			rc = zw_feed(&z, ibuf, n, n == 0);
		else
			rc = stage_emit(&w, ibuf, n);
		if (rc < 0 || n == 0)
			break;
	}
	if (rc == 0)
		rc = stage_write(&w, NULL, 0, 1);
	pt->stored = w.off;
	xc_tree_final(&s->hs, pt->hash);
	if (rc == 0 && lseek(s->sfd, 0, SEEK_SET) != 0)
		rc = xc_fail(XC_EREAD, "cannot read a staged attachment");
out:
	if (pt->zlib)
		deflateEnd(&z.z);
	if (w.buf)
		sodium_memzero(w.buf, LETTER_IO);
	free(w.buf);
	free(z.obuf);
	return rc;
}

static int
prepare_file(xc_part *pt, struct src *s, uint8_t *ibuf)
{
	off_t at;
	size_t n;
	int rc;

	if (fstat(pt->fd, &s->st) != 0 || S_ISDIR(s->st.st_mode))
		return xc_fail(XC_EINVAL, "an attachment is a directory");
	at = S_ISREG(s->st.st_mode) ? lseek(pt->fd, 0, SEEK_CUR) : -1;
	if ((rc = read_full(pt->fd, ibuf, LETTER_IO, &n)) < 0)
		return rc;
	snprintf(pt->type, sizeof pt->type, "%s", xc_letter_sniff(ibuf, n, 0));
	pt->zlib = pays(pt->type, ibuf, n);
	if (at < 0 || pt->zlib)
		return stage_part(pt, s, ibuf, n);
	/* A regular file, stored as it is: its size is known, and it is
	 * read and hashed while the letter is written. */
	if ((uint64_t)(s->st.st_size - at) > XC_MAX_PART)
		return xc_fail(XC_ELIMIT, "attachment larger than 4 GiB");
	pt->size = pt->stored = (uint64_t)(s->st.st_size - at);
	if (n > pt->stored)
		return xc_fail(XC_EREAD,
		    "an attachment changed while it was sealed");
	if ((s->head = malloc(n ? n : 1)) == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	memcpy(s->head, ibuf, n);
	s->headlen = n;
	s->kind = SRC_FD;
	xc_tree_init(&s->hs);
	if (pt->stored == 0)	/* read to its end already */
		xc_tree_final(&s->hs, pt->hash);
	return 0;
}

static void
src_free(xc_part *pt)
{
	struct src *s = pt->priv;

	if (s == NULL)
		return;
	if (s->zmem) {
		sodium_memzero(s->zmem, (size_t)pt->stored);
		free(s->zmem);
	}
	if (s->head) {
		sodium_memzero(s->head, s->headlen);
		free(s->head);
	}
	if (s->kind == SRC_STAGED && s->sfd >= 0)
		close(s->sfd);
	sodium_free(s->skey);
	free(s);
	pt->priv = NULL;
}

/* ---- producing the archive ---- */

enum { P_HDR, P_DATA, P_PAD, P_TRAILER, P_ZEROS, P_DONE };

struct producer {
	xc_seal_opts *o;
	const uint8_t *stanzas;
	size_t i;			/* part; nparts: the trailer */
	int phase;
	uint8_t hdr[XC_TAR_HDR_MAX];
	size_t hlen, hoff;
	uint64_t left;			/* of data, padding or zeros */
	uint64_t off;			/* bytes of letter produced */
	char *trailer;
	size_t tlen;
};

static int
changed(const struct src *s, int fd)
{
	struct stat now;

	return fstat(fd, &now) != 0 || now.st_size != s->st.st_size ||
	    now.st_mtim.tv_sec != s->st.st_mtim.tv_sec ||
	    now.st_mtim.tv_nsec != s->st.st_mtim.tv_nsec ||
	    now.st_ctim.tv_sec != s->st.st_ctim.tv_sec ||
	    now.st_ctim.tv_nsec != s->st.st_ctim.tv_nsec;
}

/* Up to len stored bytes of part pt into buf. */
static int
part_data(xc_part *pt, uint8_t *buf, size_t len, size_t *got)
{
	struct src *s = pt->priv;
	uint64_t want = pt->stored - s->done;
	size_t k = want < len ? (size_t)want : len, n = 0;
	int rc;

	switch (s->kind) {
	case SRC_MEM:
		memcpy(buf, s->mem + s->done, k);
		n = k;
		break;
	case SRC_FD:
		if (s->done < s->headlen) {
			n = s->headlen - (size_t)s->done < k ?
			    s->headlen - (size_t)s->done : k;
			memcpy(buf, s->head + s->done, n);
		} else if ((rc = read_full(pt->fd, buf, k, &n)) < 0)
			return rc;
		xc_tree_update(&s->hs, s->hasher, buf, n);
		if (n == 0)
			return xc_fail(XC_EREAD,
			    "an attachment changed while it was sealed");
		break;
	case SRC_STAGED:
		if ((rc = read_full(s->sfd, buf, k, &n)) < 0)
			return rc;
		if (n != k)
			return xc_fail(XC_EREAD, "a staged attachment is gone");
		stage_xor(s, buf, n, s->done);
		break;
	}
	s->done += n;
	*got = n;
	if (s->done == pt->stored && s->kind == SRC_FD) {
		uint8_t one;
		if ((rc = read_full(pt->fd, &one, 1, &k)) < 0)
			return rc;
		/* Hashing twice would halve the speed: a file that changed
		 * while it was read shows in its size and times (and the
		 * reader would refuse it anyway: its hash is signed). */
		if (k != 0 || changed(s, pt->fd))
			return xc_fail(XC_EREAD,
			    "an attachment changed while it was sealed");
		xc_tree_final(&s->hs, pt->hash);
	}
	return 0;
}

static int
start_entry(struct producer *p, const char *name, uint64_t size)
{
	p->hlen = xc_tar_header(p->hdr, name, size, p->o->date);
	p->hoff = 0;
	p->phase = P_HDR;
	p->left = size;
	return 0;
}

static int
produce(void *ctx, uint8_t *buf, size_t len, size_t *got)
{
	static const uint8_t zero[512];
	struct producer *p = ctx;
	size_t k = 0, n = 0;
	int rc;

	while (n < len && p->phase != P_DONE) {
		switch (p->phase) {
		case P_HDR:
			k = p->hlen - p->hoff < len - n ? p->hlen - p->hoff :
			    len - n;
			memcpy(buf + n, p->hdr + p->hoff, k);
			p->hoff += k;
			if (p->hoff == p->hlen)
				p->phase = p->i < p->o->nparts ? P_DATA :
				    P_TRAILER;
			break;
		case P_DATA:
			if (p->left == 0) {
				k = 0;
				p->phase = P_PAD;
				p->left = XC_TAR_PAD(p->o->parts[p->i].stored);
				break;
			}
			if ((rc = part_data(&p->o->parts[p->i], buf + n,
			    len - n, &k)) < 0)
				return rc;
			p->left -= k;
			break;
		case P_TRAILER:
			k = p->left < len - n ? (size_t)p->left : len - n;
			memcpy(buf + n, p->trailer + (p->tlen - p->left), k);
			if ((p->left -= k) == 0) {
				p->phase = P_PAD;
				p->left = XC_TAR_PAD(p->tlen);
			}
			break;
		case P_PAD:
		case P_ZEROS:
			k = p->left < len - n ? (size_t)p->left : len - n;
			if (k > sizeof zero)
				k = sizeof zero;
			memcpy(buf + n, zero, k);
			p->left -= k;
			if (p->left > 0)
				break;
			if (p->phase == P_ZEROS)
				p->phase = P_DONE;
			else if (p->i < p->o->nparts && ++p->i < p->o->nparts)
				start_entry(p, p->o->parts[p->i].name,
				    p->o->parts[p->i].stored);
			else if (p->i == p->o->nparts && p->trailer == NULL) {
				/* Every hash is known: sign the header. */
				if ((rc = xc_letter_trailer(p->o, p->stanzas,
				    &p->trailer, &p->tlen)) < 0)
					return rc;
				start_entry(p, XC_TRAILER_NAME, p->tlen);
			} else {
				/* The end of the archive, then the class. */
				uint64_t end = p->off + k + 2 * XC_TAR_BLOCK;
				p->phase = P_ZEROS;
				p->left = 2 * XC_TAR_BLOCK +
				    xc_letter_padded(end, p->o->level) - end;
			}
			break;
		default:
			k = 0;
			break;
		}
		n += k;
		p->off += k;
	}
	*got = n;
	return 0;
}

/* ---- sealing ---- */

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

static void
hexid(char out[XC_ID_HEX + 1])
{
	uint8_t r[XC_ID_HEX / 2];

	randombytes_buf(r, sizeof r);
	sodium_bin2hex(out, XC_ID_HEX + 1, r, sizeof r);
}

static int
check_opts(const xc_seal_opts *o)
{
	size_t i, j;

	if (o->nto < 1 || o->nto > XC_MAX_RECIPIENTS || o->nparts < 1 ||
	    o->nparts > XC_MAX_PARTS || !o->parts[0].body ||
	    o->level < 1 || o->level > 3 || o->date < 0 ||
	    o->date > XC_MAX_TIME || o->expires < 0 ||
	    o->expires > XC_MAX_TIME || (o->expires && o->expires <= o->date))
		return xc_fail(XC_EINVAL, "bad letter");
	for (i = 0; i < o->nparts; i++) {
		if (xc_part_name_ok(o->parts[i].name) != 0 ||
		    strcmp(o->parts[i].name, XC_TRAILER_NAME) == 0 ||
		    (i > 0 && (o->parts[i].body ||
		    strcmp(o->parts[i].name, XC_BODY_NAME) == 0)))
			return xc_fail(XC_EINVAL, "unsafe or reserved part name");
		for (j = 0; j < i; j++)
			if (strcmp(o->parts[i].name, o->parts[j].name) == 0)
				return xc_fail(XC_EEXIST,
				    "two attachments with one name");
	}
	return 0;
}

int
xc_letter_seal(xc_seal_opts *o, xc_wr out)
{
	xc_envelope e;
	struct producer p;
	struct xc_hasher *hasher = NULL;
	uint8_t (*pks)[32] = NULL, *ibuf = NULL;
	int *bits = NULL;
	uint64_t total = 0;
	size_t i;
	int rc;

	memset(&e, 0, sizeof e);
	memset(&p, 0, sizeof p);
	for (i = 0; i < o->nparts; i++)
		o->parts[i].priv = NULL;
	if ((rc = check_opts(o)) < 0)
		return rc;
	hexid(o->id);
	ibuf = malloc(LETTER_IO);
	pks = calloc(o->nto, sizeof *pks);
	bits = calloc(o->nto, sizeof *bits);
	if (ibuf == NULL || pks == NULL || bits == NULL ||
	    xc_hasher_new(&hasher) < 0) {
		rc = xc_fail(XC_ENOMEM, "out of memory");
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
	for (i = 0; i < o->nparts; i++) {
		xc_part *pt = &o->parts[i];
		struct src *s = calloc(1, sizeof *s);
		if ((pt->priv = s) == NULL) {
			rc = xc_fail(XC_ENOMEM, "out of memory");
			goto out;
		}
		s->sfd = -1;
		s->hasher = hasher;
		pt->zlib = 0;
		if ((rc = pt->body ? prepare_body(pt, s) :
		    prepare_file(pt, s, ibuf)) < 0)
			goto out;
		total += pt->size;
	}
	if (total > XC_MAX_TOTAL) {
		rc = xc_fail(XC_ELIMIT, "letter larger than 16 GiB");
		goto out;
	}
	if ((rc = xc_envelope_begin(&e, out, (const uint8_t (*)[32])pks, bits,
	    o->nto, xc_route_expiry(o->expires), o->armor)) < 0)
		goto out;
	p.o = o;
	p.stanzas = e.stanzas;
	start_entry(&p, o->parts[0].name, o->parts[0].stored);
	if ((rc = xc_stream_encrypt((xc_rd){ produce, &p }, e.w, e.key)) == 0)
		rc = xc_envelope_finish(&e);
out:
	xc_envelope_free(&e);
	for (i = 0; i < o->nparts; i++)
		src_free(&o->parts[i]);
	xc_hasher_free(hasher);
	free(p.trailer);
	if (ibuf)
		sodium_memzero(ibuf, LETTER_IO);
	free(ibuf);
	free(pks);
	free(bits);
	return rc;
}
