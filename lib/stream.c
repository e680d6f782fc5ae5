/*
 * stream.c - the age v1 payload: STREAM over ChaCha20-Poly1305 with 64 KiB
 * chunks (c2sp.org/age, "Payload").
 *
 * Nonce: an 11-byte big-endian chunk counter and a last-chunk flag byte.
 * Decryption releases a chunk only after its tag verifies, requires a final
 * chunk, refuses an empty final chunk unless it is the only one, and refuses
 * any data after the final chunk.
 *
 * Speed: a payload longer than one chunk is processed in batches of
 * XC_BATCH chunks.  Sealing turns three buffers: while this thread reads
 * the next batch (for letters: reads and hashes the parts,
 * lib/letter-seal.c), a worker thread seals the current one and writes
 * the one before.  Opening turns two: the worker opens a batch's chunks
 * while this thread reads the next one, then writes the opened one while
 * the worker starts on the next (for letters: hashes and stages the parts,
 * lib/letter-open.c).  Chunks are independent once
 * their counters are known; only a batch's last chunk waits until the next
 * read says whether it is final.  Release order is unchanged: chunks are
 * written in order and never past the first one that failed.  Memory: three
 * pairs of 1 MiB buffers at most, one chunk for a payload that fits in one
 * (no thread, no large buffers).
 *
 * The AEAD: libsodium's ChaCha20-Poly1305 runs at ~1.4 GB/s on one core
 * here, OpenSSL's at ~3.4 GB/s (AVX-512), and age's Go code at about the
 * latter.  Linking libcrypto costs every process ~0.9 ms of start-up
 * (measured: 1.76 ms against 0.91 for a program that only initialises
 * libsodium), more than a small letter's whole work, so it is not linked:
 * once a payload has passed BULK_AFTER bytes, libcrypto is loaded with
 * dlopen(3) (~1 ms, once per process) and carries the rest of the chunks.
 * Without it (not installed, or XC_CRYPTO=libsodium in the environment)
 * libsodium carries everything; the bytes are the same either way.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "xc.h"

#define ENC_CHUNK (XC_CHUNK_BYTES + XC_TAG_BYTES)
#define XC_BATCH 16
#define BULK_AFTER (2 * XC_BATCH * (uint64_t)XC_CHUNK_BYTES)
#ifndef XC_LIBCRYPTO
#define XC_LIBCRYPTO "libcrypto.so.3"
#endif

static void
nonce_set(uint8_t n[12], uint64_t ctr, int last)
{
	int i;

	memset(n, 0, 12);
	for (i = 0; i < 8; i++)
		n[10 - i] = (uint8_t)(ctr >> (8 * i));
	n[11] = last ? 1 : 0;
}

/* ---- OpenSSL's ChaCha20-Poly1305, loaded when a payload is large ---- */

static struct {
	__typeof__(&EVP_CIPHER_CTX_new) ctx_new;
	__typeof__(&EVP_CIPHER_CTX_free) ctx_free;
	__typeof__(&EVP_chacha20_poly1305) chacha;
	__typeof__(&EVP_CipherInit_ex) init;
	__typeof__(&EVP_CipherUpdate) update;
	__typeof__(&EVP_CipherFinal_ex) final;
	__typeof__(&EVP_CIPHER_CTX_ctrl) ctrl;
	int ok;
} ossl;
static pthread_once_t ossl_once = PTHREAD_ONCE_INIT;

static void
ossl_load(void)
{
	const char *want = getenv("XC_CRYPTO");
	void *h;

	if (want != NULL && strcmp(want, "libsodium") == 0)
		return;
	if ((h = dlopen(XC_LIBCRYPTO, RTLD_NOW | RTLD_LOCAL)) == NULL)
		return;
	*(void **)&ossl.ctx_new = dlsym(h, "EVP_CIPHER_CTX_new");
	*(void **)&ossl.ctx_free = dlsym(h, "EVP_CIPHER_CTX_free");
	*(void **)&ossl.chacha = dlsym(h, "EVP_chacha20_poly1305");
	*(void **)&ossl.init = dlsym(h, "EVP_CipherInit_ex");
	*(void **)&ossl.update = dlsym(h, "EVP_CipherUpdate");
	*(void **)&ossl.final = dlsym(h, "EVP_CipherFinal_ex");
	*(void **)&ossl.ctrl = dlsym(h, "EVP_CIPHER_CTX_ctrl");
	/* Never dlclose'd: the library stays for the process's life. */
	ossl.ok = ossl.ctx_new && ossl.ctx_free && ossl.chacha &&
	    ossl.init && ossl.update && ossl.final && ossl.ctrl &&
	    ossl.chacha() != NULL;
}

/* A context holding key, for sealing (enc) or opening; NULL: libsodium. */
static EVP_CIPHER_CTX *
ossl_ctx(const uint8_t key[32], int enc)
{
	EVP_CIPHER_CTX *c;

	pthread_once(&ossl_once, ossl_load);
	if (!ossl.ok || (c = ossl.ctx_new()) == NULL)
		return NULL;
	if (ossl.init(c, ossl.chacha(), NULL, key, NULL, enc) != 1) {
		ossl.ctx_free(c);
		return NULL;
	}
	return c;
}

/* What a thread seals and opens chunks with: OpenSSL's context, or NULL
 * and libsodium. */
typedef EVP_CIPHER_CTX *aead;

/* Out of place: the ciphertext may still be needed for a second try with
 * the final flag.  A chunk that fails leaves zeros, never unauthenticated
 * plaintext. */
static int
open_chunk(uint8_t *pt, const uint8_t *ct, size_t n, uint64_t ctr, int last,
    const uint8_t key[32], aead c)
{
	uint8_t nonce[12];
	int l1 = 0, l2 = 0;

	nonce_set(nonce, ctr, last);
	if (c == NULL)
		return crypto_aead_chacha20poly1305_ietf_decrypt_detached(pt,
		    NULL, ct, n - XC_TAG_BYTES, ct + n - XC_TAG_BYTES, NULL, 0,
		    nonce, key);
	if (ossl.init(c, NULL, NULL, NULL, nonce, 0) == 1 &&
	    ossl.ctrl(c, EVP_CTRL_AEAD_SET_TAG, XC_TAG_BYTES,
	    (void *)(uintptr_t)(ct + n - XC_TAG_BYTES)) == 1 &&
	    ossl.update(c, pt, &l1, ct, (int)(n - XC_TAG_BYTES)) == 1 &&
	    ossl.final(c, pt + l1, &l2) == 1)
		return 0;
	sodium_memzero(pt, n - XC_TAG_BYTES);
	return -1;
}

static void
seal_chunk(uint8_t *ct, const uint8_t *pt, size_t len, uint64_t ctr,
    int last, const uint8_t key[32], aead c)
{
	uint8_t nonce[12];
	int l1 = 0, l2 = 0;

	nonce_set(nonce, ctr, last);
	if (c != NULL && ossl.init(c, NULL, NULL, NULL, nonce, 1) == 1 &&
	    ossl.update(c, ct, &l1, pt, (int)len) == 1 &&
	    ossl.final(c, ct + l1, &l2) == 1 &&
	    ossl.ctrl(c, EVP_CTRL_AEAD_GET_TAG, XC_TAG_BYTES, ct + len) == 1)
		return;
	crypto_aead_chacha20poly1305_ietf_encrypt_detached(ct, ct + len, NULL,
	    pt, len, NULL, 0, NULL, nonce, key);
}

/* Reads until len bytes or end of input. */
static int
read_full(xc_rd in, uint8_t *buf, size_t len, size_t *got)
{
	size_t k = 0, g;
	int rc;

	while (k < len) {
		if ((rc = in.read(in.ctx, buf + k, len - k, &g)) < 0)
			return rc;
		if (g == 0)
			break;
		k += g;
	}
	*got = k;
	return 0;
}

/* A batch: chunk i of pt (XC_CHUNK_BYTES apart) is chunk i of ct
 * (ENC_CHUNK apart). */
struct batch {
	uint8_t *pt, *ct;
	size_t n;		/* bytes read: plaintext (seal), sealed (open) */
	size_t k;		/* chunks in it */
	uint64_t ctr;		/* counter of chunk 0 */
	int last;		/* sealing: chunk k-1 is the final chunk */
	int res[XC_BATCH];	/* opening, as a middle chunk: 0 or -1 */
};

/* The worker and this thread take chunks [next, limit) of the current
 * batch under one mutex; a chunk is 20-50 us of work, the lock is noise. */
struct pool {
	pthread_mutex_t mu;
	pthread_cond_t more, finished;
	pthread_t thread;
	int threaded, quit, opening;
	const uint8_t *key;
	aead c[2];		/* this thread's, the worker's */
	uint64_t bytes;		/* through the pool so far */
	struct batch *b;
	size_t next, limit, done;
	/* Sealing: a batch to write (the worker writes it when it has no
	 * chunk to do; this thread, if it has not started by the time the
	 * next one is ready), whether a write is under way, and the first
	 * write error. */
	struct batch *wb;
	size_t wlen;
	int wbusy;
	xc_wr out;
	int wrc;
	const char *wdetail;
};

static void
do_chunk(struct pool *p, struct batch *b, size_t i, int who)
{
	if (p->opening)
		b->res[i] = open_chunk(b->pt + i * XC_CHUNK_BYTES,
		    b->ct + i * ENC_CHUNK, ENC_CHUNK, b->ctr + i, 0, p->key,
		    p->c[who]);
	else {
		/* b->last may still change for chunks before k-1: read it
		 * only for chunk k-1, which is offered after it is set. */
		size_t len = i + 1 == b->k ?
		    b->n - (b->k - 1) * XC_CHUNK_BYTES : XC_CHUNK_BYTES;
		seal_chunk(b->ct + i * ENC_CHUNK, b->pt + i * XC_CHUNK_BYTES,
		    len, b->ctr + i, i + 1 == b->k && b->last, p->key,
		    p->c[who]);
	}
}

/* Takes and does chunks while there are any; returns with mu held. */
static void
take_chunks(struct pool *p, int who)
{
	while (p->b != NULL && p->next < p->limit) {
		struct batch *b = p->b;
		size_t i = p->next++;
		pthread_mutex_unlock(&p->mu);
		do_chunk(p, b, i, who);
		pthread_mutex_lock(&p->mu);
		p->done++;
		pthread_cond_signal(&p->finished);
	}
}

/* Writes the pending batch, if any; called and returns with mu held. */
static void
take_write(struct pool *p)
{
	struct batch *b = p->wb;
	size_t len = p->wlen;
	int rc;

	if (b == NULL)
		return;
	p->wb = NULL;
	p->wbusy = 1;
	pthread_mutex_unlock(&p->mu);
	rc = p->wrc < 0 ? p->wrc : p->out.write(p->out.ctx, b->ct, len);
	pthread_mutex_lock(&p->mu);
	if (rc < 0 && p->wrc == 0) {
		p->wrc = rc;
		p->wdetail = xc_errdetail();
	}
	p->wbusy = 0;
	pthread_cond_broadcast(&p->finished);
}

static void *
worker(void *arg)
{
	struct pool *p = arg;

	pthread_mutex_lock(&p->mu);
	while (!p->quit) {
		take_chunks(p, 1);
		take_write(p);
		if (!p->quit && p->wb == NULL &&
		    !(p->b != NULL && p->next < p->limit))
			pthread_cond_wait(&p->more, &p->mu);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Hands b (len bytes of it) to the worker to write, once the batch before
 * it is written: this thread writes that one itself if the worker has not
 * started it (or there is no worker).  With b NULL, waits until all is
 * written.  Returns the first write error so far. */
static int
pool_write(struct pool *p, struct batch *b, size_t len)
{
	int rc;

	pthread_mutex_lock(&p->mu);
	take_write(p);
	while (p->wbusy)
		pthread_cond_wait(&p->finished, &p->mu);
	if (b != NULL) {
		p->wb = b;
		p->wlen = len;
		if (p->threaded)
			pthread_cond_broadcast(&p->more);
		else
			take_write(p);
	}
	rc = p->wrc;
	pthread_mutex_unlock(&p->mu);
	return rc < 0 ? xc_fail(rc, p->wdetail) : 0;
}

static void
pool_init(struct pool *p, const uint8_t *key, int opening)
{
	memset(p, 0, sizeof *p);
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->more, NULL);
	pthread_cond_init(&p->finished, NULL);
	p->key = key;
	p->opening = opening;
	/* Without a thread this thread does every chunk itself. */
	p->threaded = pthread_create(&p->thread, NULL, worker, p) == 0;
}

static void
pool_free(struct pool *p)
{
	int i;

	if (p->threaded) {
		pthread_mutex_lock(&p->mu);
		p->quit = 1;
		pthread_cond_broadcast(&p->more);
		pthread_mutex_unlock(&p->mu);
		pthread_join(p->thread, NULL);
	}
	for (i = 0; i < 2; i++)
		if (p->c[i])
			ossl.ctx_free(p->c[i]);
	pthread_cond_destroy(&p->more);
	pthread_cond_destroy(&p->finished);
	pthread_mutex_destroy(&p->mu);
}

/* Makes chunks [0, limit) of b available (a batch is started at 0 and may
 * be extended to all its chunks later).  A new batch is where the pool may
 * switch to OpenSSL: no chunk is being done then. */
static void
pool_offer(struct pool *p, struct batch *b, size_t limit)
{
	pthread_mutex_lock(&p->mu);
	if (p->b != b) {
		if (p->c[0] == NULL && p->bytes >= BULK_AFTER &&
		    p->next == p->done) {
			p->c[0] = ossl_ctx(p->key, !p->opening);
			p->c[1] = p->c[0] ? ossl_ctx(p->key, !p->opening) : NULL;
			if (p->c[1] == NULL && p->c[0]) {
				ossl.ctx_free(p->c[0]);
				p->c[0] = NULL;
			}
		}
		p->b = b;
		p->next = p->done = 0;
		p->bytes += b->n;
	}
	p->limit = limit;
	pthread_cond_broadcast(&p->more);
	pthread_mutex_unlock(&p->mu);
}

/* Helps until the offered chunks are all done. */
static void
pool_finish(struct pool *p)
{
	pthread_mutex_lock(&p->mu);
	take_chunks(p, 0);
	while (p->done < p->limit)
		pthread_cond_wait(&p->finished, &p->mu);
	p->b = NULL;
	pthread_mutex_unlock(&p->mu);
}

static int
batches_new(struct batch *b, int n)
{
	int i;

	memset(b, 0, (size_t)n * sizeof *b);
	for (i = 0; i < n; i++) {
		b[i].pt = malloc(XC_BATCH * XC_CHUNK_BYTES);
		b[i].ct = malloc(XC_BATCH * ENC_CHUNK);
		if (b[i].pt == NULL || b[i].ct == NULL)
			return xc_fail(XC_ENOMEM, "out of memory");
	}
	return 0;
}

static void
batches_free(struct batch *b, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		if (b[i].pt)
			sodium_memzero(b[i].pt, XC_BATCH * XC_CHUNK_BYTES);
		free(b[i].pt);
		free(b[i].ct);
	}
}

static size_t
chunks(size_t n, size_t per)
{
	return n == 0 ? 1 : (n + per - 1) / per;
}

/* Payloads past one chunk: "have" plaintext bytes are already in first.
 * Three batches turn: while this thread reads (and, for letters, hashes)
 * the next one, the worker seals the current one and writes the one
 * before.  Reading the next batch tells whether the current one's last
 * chunk is final. */
static int
seal_batches(xc_rd in, xc_wr out, const uint8_t key[32], const uint8_t *first,
    size_t have)
{
	const size_t full = XC_BATCH * XC_CHUNK_BYTES;
	struct batch bb[3], *a = &bb[0], *nb;
	struct pool p;
	size_t got;
	int rc, t = 0;

	if ((rc = batches_new(bb, 3)) < 0) {
		batches_free(bb, 3);
		return rc;
	}
	pool_init(&p, key, 0);
	p.out = out;
	memcpy(a->pt, first, have);
	if ((rc = read_full(in, a->pt + have, full - have, &got)) < 0)
		goto out;
	a->n = have + got;
	a->k = chunks(a->n, XC_CHUNK_BYTES);
	a->last = a->n < full;
	pool_offer(&p, a, a->last ? a->k : a->k - 1);
	for (;;) {
		nb = &bb[(t + 1) % 3];
		nb->n = 0;
		if (!a->last) {
			/* nb was handed to the writer two rounds ago: the
			 * pool_write of the last round waited for it. */
			rc = read_full(in, nb->pt, full, &got);
			nb->n = rc < 0 ? 0 : got;
			a->last = nb->n == 0;
			pool_offer(&p, a, rc < 0 ? a->k - 1 : a->k);
		}
		pool_finish(&p);
		if (rc < 0)
			break;
		if (nb->n > 0) {
			nb->ctr = a->ctr + a->k;
			nb->k = chunks(nb->n, XC_CHUNK_BYTES);
			nb->last = nb->n < full;
			pool_offer(&p, nb, nb->last ? nb->k : nb->k - 1);
		}
		if ((rc = pool_write(&p, a, (a->k - 1) * ENC_CHUNK + a->n -
		    (a->k - 1) * XC_CHUNK_BYTES + XC_TAG_BYTES)) < 0 ||
		    nb->n == 0)
			break;
		a = nb;
		t = (t + 1) % 3;
	}
out:
	if (rc == 0)
		rc = pool_write(&p, NULL, 0);	/* the last one written */
	pool_free(&p);
	batches_free(bb, 3);
	return rc;
}

int
xc_stream_encrypt(xc_rd in, xc_wr out, const uint8_t key[32])
{
	uint8_t *pt, *ct;
	size_t got;
	int rc;

	/* One spare byte tells a payload of one chunk from a longer one. */
	pt = malloc(XC_CHUNK_BYTES + 1);
	ct = malloc(ENC_CHUNK);
	if (pt == NULL || ct == NULL) {
		rc = xc_fail(XC_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = read_full(in, pt, XC_CHUNK_BYTES + 1, &got)) < 0)
		goto out;
	if (got <= XC_CHUNK_BYTES) {
		seal_chunk(ct, pt, got, 0, 1, key, NULL);
		rc = out.write(out.ctx, ct, got + XC_TAG_BYTES);
	} else
		rc = seal_batches(in, out, key, pt, got);
out:
	if (pt)
		sodium_memzero(pt, XC_CHUNK_BYTES + 1);
	free(pt);
	free(ct);
	return rc;
}

/*
 * The chunk at the end of input: final if short (and then not empty unless
 * it is the only chunk); if full, tried as a middle chunk first (a file
 * without a final chunk, reported by the caller's next read) and then as
 * the final one.  *last says which it was.
 */
static int
open_tail(uint8_t *pt, const uint8_t *ct, size_t n, uint64_t ctr,
    const uint8_t key[32], aead c, int *last)
{
	*last = 1;
	if (n < ENC_CHUNK) {
		if (n < XC_TAG_BYTES)
			return xc_fail(XC_EPAYLOAD, "truncated chunk");
		if (n == XC_TAG_BYTES && ctr > 0)
			return xc_fail(XC_EPAYLOAD, "empty final chunk");
		if (open_chunk(pt, ct, n, ctr, 1, key, c) == 0)
			return 0;
	} else if (open_chunk(pt, ct, n, ctr, 0, key, c) == 0) {
		*last = 0;
		return 0;
	} else if (open_chunk(pt, ct, n, ctr, 1, key, c) == 0)
		return 0;
	return xc_fail(XC_EPAYLOAD, "chunk failed authentication");
}

/*
 * A full chunk followed by more data failed as a middle chunk: if it opens
 * as the final one, release it and complain about what follows (as the
 * reference implementation does); else it is a bad chunk.
 */
static int
open_failed_middle(uint8_t *pt, const uint8_t *ct, uint64_t ctr,
    const uint8_t key[32], aead c, xc_wr out)
{
	int rc;

	if (open_chunk(pt, ct, ENC_CHUNK, ctr, 1, key, c) != 0)
		return xc_fail(XC_EPAYLOAD, "chunk failed authentication");
	if ((rc = out.write(out.ctx, pt, XC_CHUNK_BYTES)) < 0)
		return rc;
	return xc_fail(XC_EPAYLOAD, "trailing data after the final chunk");
}

/* Payloads past one chunk: one sealed chunk is already in first.  Each
 * round: a's middle chunks are being opened; this thread reads nb, helps
 * finish a, offers nb's middle chunks to the worker and writes a (the
 * verified chunks, in order) meanwhile. */
static int
open_batches(xc_in *in, xc_wr out, const uint8_t key[32], const uint8_t *first)
{
	const size_t full = XC_BATCH * ENC_CHUNK;
	struct batch bb[2], *a = &bb[0], *nb = &bb[1], *t;
	struct pool p;
	size_t got;
	int rc;

	if ((rc = batches_new(bb, 2)) < 0) {
		batches_free(bb, 2);
		return rc;
	}
	pool_init(&p, key, 1);
	memcpy(a->ct, first, ENC_CHUNK);
	if ((rc = xc_in_read(in, a->ct + ENC_CHUNK, full - ENC_CHUNK,
	    &got)) < 0)
		goto out;
	a->n = ENC_CHUNK + got;
	a->k = chunks(a->n, ENC_CHUNK);
	/* Chunks 0..k-2 are followed by data: middle candidates. */
	pool_offer(&p, a, a->k - 1);
	for (;;) {
		size_t m, j, tail;
		int atend = a->n < full, rrc = 0, last;

		nb->n = 0;
		if (!atend) {
			rrc = xc_in_read(in, nb->ct, full, &got);
			nb->n = rrc < 0 ? 0 : got;
			atend = rrc == 0 && nb->n == 0;
			if (rrc == 0 && !atend)
				pool_offer(&p, a, a->k);
		}
		pool_finish(&p);
		m = p.limit;
		for (j = 0; j < m && a->res[j] == 0; j++)
			;
		if (j == m && m == a->k && nb->n > 0) {
			nb->ctr = a->ctr + a->k;
			nb->k = chunks(nb->n, ENC_CHUNK);
			pool_offer(&p, nb, nb->k - 1);
		}
		if (j > 0 && (rc = out.write(out.ctx, a->pt, j *
		    XC_CHUNK_BYTES)) < 0)
			break;
		if (j < m) {
			rc = open_failed_middle(a->pt + j * XC_CHUNK_BYTES,
			    a->ct + j * ENC_CHUNK, a->ctr + j, key, p.c[0], out);
			break;
		}
		if (rrc < 0) {		/* reading ahead failed */
			rc = rrc;
			break;
		}
		if (m < a->k) {		/* chunk k-1 ends the input */
			tail = a->n - (a->k - 1) * ENC_CHUNK;
			if ((rc = open_tail(a->pt + m * XC_CHUNK_BYTES,
			    a->ct + m * ENC_CHUNK, tail, a->ctr + m, key, p.c[0],
			    &last)) < 0 ||
			    (rc = out.write(out.ctx, a->pt + m *
			    XC_CHUNK_BYTES, tail - XC_TAG_BYTES)) < 0)
				break;
			if (!last)
				rc = xc_fail(XC_EPAYLOAD,
				    "missing final chunk (truncated file)");
			break;
		}
		t = a;
		a = nb;
		nb = t;
	}
out:
	pool_free(&p);
	batches_free(bb, 2);
	return rc;
}

int
xc_stream_decrypt(xc_in *in, xc_wr out, const uint8_t key[32])
{
	uint8_t *ct, *pt;
	const uint8_t *p;
	size_t n, avail;
	int rc, last;

	ct = malloc(ENC_CHUNK);
	pt = malloc(XC_CHUNK_BYTES);
	if (ct == NULL || pt == NULL) {
		rc = xc_fail(XC_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = xc_in_read(in, ct, ENC_CHUNK, &n)) < 0)
		goto out;
	if (n == 0) {
		rc = xc_fail(XC_EPAYLOAD, "no payload chunks");
		goto out;
	}
	if (n == ENC_CHUNK) {
		if ((rc = xc_in_peek(in, 1, &p, &avail)) < 0)
			goto out;
		if (avail > 0) {
			rc = open_batches(in, out, key, ct);
			goto out;
		}
	}
	if ((rc = open_tail(pt, ct, n, 0, key, NULL, &last)) < 0 ||
	    (rc = out.write(out.ctx, pt, n - XC_TAG_BYTES)) < 0)
		goto out;
	if (!last)
		rc = xc_fail(XC_EPAYLOAD, "missing final chunk (truncated file)");
out:
	if (pt)
		sodium_memzero(pt, XC_CHUNK_BYTES);
	free(pt);
	free(ct);
	return rc;
}
