/*
 * stream.c - the age v1 payload: STREAM over ChaCha20-Poly1305 with 64 KiB
 * chunks (c2sp.org/age, "Payload").
 *
 * Nonce: an 11-byte big-endian chunk counter and a last-chunk flag byte.
 * Decryption releases a chunk only after its tag verifies, requires a final
 * chunk, refuses an empty final chunk unless it is the only one, and refuses
 * any data after the final chunk.
 *
 * Chunks are independent once their counters are known, so both directions
 * work on batches of XC_BATCH chunks and split each batch between two
 * threads (the machines we target have at least two cores; libsodium is
 * thread-safe).  Memory is two batch buffers, whatever the payload's size;
 * they start at one chunk and grow only while batches come back full, so a
 * short message costs neither 4 MiB of page faults nor their wiping.
 * Release order is unchanged: chunks are written in order, and never past
 * the first one that failed.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "xc.h"

#define ENC_CHUNK (XC_CHUNK_BYTES + XC_TAG_BYTES)
#define XC_BATCH 32

static void
nonce_set(uint8_t n[12], uint64_t ctr, int last)
{
	int i;

	memset(n, 0, 12);
	for (i = 0; i < 8; i++)
		n[10 - i] = (uint8_t)(ctr >> (8 * i));
	n[11] = last ? 1 : 0;
}

/* One batch: chunk i of pt (XC_CHUNK_BYTES apart) is chunk i of ct
 * (ENC_CHUNK apart); the last chunk of the batch has length lastlen. */
struct batch {
	uint8_t *pt, *ct;
	size_t cap;		/* chunks the buffers hold, up to XC_BATCH */
	size_t k, lastlen;	/* lastlen counts plaintext bytes */
	uint64_t ctr;		/* counter of chunk 0 */
	int last;		/* chunk k-1 is the final chunk (sealing) */
	int opening;
	const uint8_t *key;
	int res[XC_BATCH];	/* opening: 0 or -1 per chunk */
	size_t from, to;	/* the range a thread works on */
};

static void
seal_chunk(struct batch *b, size_t i)
{
	size_t len = i + 1 == b->k ? b->lastlen : XC_CHUNK_BYTES;
	uint8_t nonce[12], *ct = b->ct + i * ENC_CHUNK;

	nonce_set(nonce, b->ctr + i, b->last && i + 1 == b->k);
	crypto_aead_chacha20poly1305_ietf_encrypt_detached(ct, ct + len, NULL,
	    b->pt + i * XC_CHUNK_BYTES, len, NULL, 0, NULL, nonce, b->key);
}

/* Out of place: libsodium zeroes the output when a tag fails, and the
 * ciphertext may still be needed for a second try with the final flag. */
static int
open_chunk(uint8_t *pt, const uint8_t *ct, size_t n, uint64_t ctr, int last,
    const uint8_t key[32])
{
	uint8_t nonce[12];

	nonce_set(nonce, ctr, last);
	return crypto_aead_chacha20poly1305_ietf_decrypt_detached(pt, NULL,
	    ct, n - XC_TAG_BYTES, ct + n - XC_TAG_BYTES, NULL, 0, nonce, key);
}

static void *
work(void *arg)
{
	struct batch *b = arg;
	size_t i;

	for (i = b->from; i < b->to; i++) {
		if (!b->opening)
			seal_chunk(b, i);
		else
			b->res[i] = open_chunk(b->pt + i * XC_CHUNK_BYTES,
			    b->ct + i * ENC_CHUNK, ENC_CHUNK, b->ctr + i, 0,
			    b->key);
	}
	return NULL;
}

/* Runs chunks [0, n) of b, half of them on a second thread when there is
 * enough work; without a thread (creation failed) it all runs here. */
static void
run_batch(struct batch *b, size_t n)
{
	struct batch half;
	pthread_t t;
	int threaded = 0;

	b->from = 0;
	b->to = n;
	if (n >= 4) {
		half = *b;
		half.from = n / 2;
		b->to = n / 2;
		threaded = pthread_create(&t, NULL, work, &half) == 0;
		if (!threaded)
			b->to = n;
	}
	work(b);
	if (threaded) {
		pthread_join(t, NULL);
		memcpy(b->res + n / 2, half.res + n / 2,
		    (n - n / 2) * sizeof b->res[0]);
	}
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

static int
batch_alloc(struct batch *b, size_t cap)
{
	uint8_t *p;

	/* One spare plaintext byte tells a full chunk from the final one;
	 * only that carried byte survives a resize, and the old plaintext is
	 * wiped (realloc would free it as it is). */
	if ((p = malloc(cap * XC_CHUNK_BYTES + 1)) == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	if (b->pt != NULL) {
		p[0] = b->pt[0];
		sodium_memzero(b->pt, b->cap * XC_CHUNK_BYTES + 1);
		free(b->pt);
	}
	b->pt = p;
	free(b->ct);
	if ((b->ct = malloc(cap * ENC_CHUNK)) == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	b->cap = cap;
	return 0;
}

static int
batch_new(struct batch *b, const uint8_t key[32], int opening)
{
	memset(b, 0, sizeof *b);
	b->key = key;
	b->opening = opening;
	return batch_alloc(b, 1);
}

/* After a full batch: more input is likely, so take bigger bites. */
static int
batch_grow(struct batch *b)
{
	if (b->cap >= XC_BATCH)
		return 0;
	return batch_alloc(b, b->cap * 8 < XC_BATCH ? b->cap * 8 : XC_BATCH);
}

static void
batch_free(struct batch *b)
{
	if (b->pt)
		sodium_memzero(b->pt, b->cap * XC_CHUNK_BYTES + 1);
	free(b->pt);
	free(b->ct);
}

int
xc_stream_encrypt(xc_rd in, xc_wr out, const uint8_t key[32])
{
	struct batch b;
	size_t have = 0, got;
	int rc;

	if ((rc = batch_new(&b, key, 0)) < 0) {
		batch_free(&b);
		return rc;
	}
	for (;;) {
		size_t cap = b.cap * XC_CHUNK_BYTES;
		uint8_t carry = 0;

		if ((rc = read_full(in, b.pt + have, cap + 1 - have, &got)) < 0)
			break;
		have += got;
		if (have > cap) {
			carry = b.pt[cap];
			b.k = b.cap;
			b.lastlen = XC_CHUNK_BYTES;
			b.last = 0;
		} else {
			/* have == 0 only for an empty payload: one empty chunk. */
			b.k = have == 0 ? 1 : (have + XC_CHUNK_BYTES - 1) /
			    XC_CHUNK_BYTES;
			b.lastlen = have - (b.k - 1) * XC_CHUNK_BYTES;
			b.last = 1;
		}
		run_batch(&b, b.k);
		if ((rc = out.write(out.ctx, b.ct, (b.k - 1) * ENC_CHUNK +
		    b.lastlen + XC_TAG_BYTES)) < 0 || b.last)
			break;
		b.ctr += b.k;
		if ((rc = batch_grow(&b)) < 0)
			break;
		b.pt[0] = carry;
		have = 1;
	}
	batch_free(&b);
	return rc;
}

/*
 * A full-length chunk followed by more data is tried as a middle chunk
 * first, then as the final one (which is then an error: trailing data, but
 * the chunk itself is released, as the reference implementation does).  The
 * chunk at the end of input is final if short, and if full is tried as a
 * middle chunk and then as the final one.
 */
int
xc_stream_decrypt(xc_in *in, xc_wr out, const uint8_t key[32])
{
	struct batch b;
	int rc;

	if ((rc = batch_new(&b, key, 1)) < 0) {
		batch_free(&b);
		return rc;
	}
	for (;;) {
		const uint8_t *p;
		size_t n, avail, k, m, j, tail;
		int atend, last = 0;
		uint8_t *ct, *pt;

		if ((rc = xc_in_read(in, b.ct, b.cap * ENC_CHUNK, &n)) < 0)
			break;
		if (n == 0) {
			rc = xc_fail(XC_EPAYLOAD, b.ctr == 0 ?
			    "no payload chunks" :
			    "missing final chunk (truncated file)");
			break;
		}
		if (n == b.cap * ENC_CHUNK) {
			if ((rc = xc_in_peek(in, 1, &p, &avail)) < 0)
				break;
			atend = avail == 0;
		} else
			atend = 1;
		k = (n + ENC_CHUNK - 1) / ENC_CHUNK;
		tail = n - (k - 1) * ENC_CHUNK;
		/* Chunks followed by more data: all but an end-of-input one. */
		m = atend ? k - 1 : k;
		run_batch(&b, m);
		for (j = 0; j < m && b.res[j] == 0; j++)
			;
		if (j > 0 && (rc = out.write(out.ctx, b.pt, j *
		    XC_CHUNK_BYTES)) < 0)
			break;
		ct = b.ct + j * ENC_CHUNK;
		pt = b.pt + j * XC_CHUNK_BYTES;
		if (j < m) {
			/* It may open as the final chunk: release it, then
			 * complain about what follows it. */
			if (open_chunk(pt, ct, ENC_CHUNK, b.ctr + j, 1, key) ==
			    0) {
				if ((rc = out.write(out.ctx, pt,
				    XC_CHUNK_BYTES)) < 0)
					break;
				rc = xc_fail(XC_EPAYLOAD,
				    "trailing data after the final chunk");
			} else
				rc = xc_fail(XC_EPAYLOAD,
				    "chunk failed authentication");
			break;
		}
		if (!atend) {
			b.ctr += k;
			if ((rc = batch_grow(&b)) < 0)
				break;
			continue;
		}
		/* The chunk at the end of input, k-1. */
		if (tail < ENC_CHUNK) {
			last = 1;
			if (tail < XC_TAG_BYTES) {
				rc = xc_fail(XC_EPAYLOAD, "truncated chunk");
				break;
			}
			if (tail == XC_TAG_BYTES && b.ctr + j > 0) {
				rc = xc_fail(XC_EPAYLOAD, "empty final chunk");
				break;
			}
			rc = open_chunk(pt, ct, tail, b.ctr + j, 1, key);
		} else if ((rc = open_chunk(pt, ct, tail, b.ctr + j, 0, key))
		    != 0) {
			last = 1;
			rc = open_chunk(pt, ct, tail, b.ctr + j, 1, key);
		}
		if (rc != 0) {
			rc = xc_fail(XC_EPAYLOAD, "chunk failed authentication");
			break;
		}
		if ((rc = out.write(out.ctx, pt, tail - XC_TAG_BYTES)) < 0 ||
		    last)
			break;
		b.ctr += k;	/* a full middle chunk at the end: keep reading */
	}
	batch_free(&b);
	return rc;
}
