/*
 * stream.c - the age v1 payload: STREAM over ChaCha20-Poly1305 with 64 KiB
 * chunks (c2sp.org/age, "Payload").
 *
 * Nonce: an 11-byte big-endian chunk counter and a last-chunk flag byte.
 * Decryption releases a chunk only after its tag verifies, requires a final
 * chunk, refuses an empty final chunk unless it is the only one, and refuses
 * any data after the final chunk.  Memory is one chunk buffer, whatever the
 * size of the payload.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "xc.h"

#define ENC_CHUNK (XC_CHUNK_BYTES + XC_TAG_BYTES)

static void
nonce_set(uint8_t n[12], uint64_t ctr, int last)
{
	int i;

	memset(n, 0, 12);
	for (i = 0; i < 8; i++)
		n[10 - i] = (uint8_t)(ctr >> (8 * i));
	n[11] = last ? 1 : 0;
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

int
xc_stream_encrypt(xc_rd in, xc_wr out, const uint8_t key[32])
{
	uint8_t *buf, nonce[12];
	size_t have = 0, got;
	uint64_t ctr = 0;
	int rc;

	/* One spare byte tells a full chunk from the final one. */
	if ((buf = malloc(ENC_CHUNK + 1)) == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	for (;;) {
		uint8_t carry = 0;
		int last;

		if ((rc = read_full(in, buf + have, XC_CHUNK_BYTES + 1 - have,
		    &got)) < 0)
			break;
		have += got;
		last = have <= XC_CHUNK_BYTES;
		if (!last) {
			carry = buf[XC_CHUNK_BYTES];
			have = XC_CHUNK_BYTES;
		}
		nonce_set(nonce, ctr, last);
		crypto_aead_chacha20poly1305_ietf_encrypt_detached(buf,
		    buf + have, NULL, buf, have, NULL, 0, NULL, nonce, key);
		if ((rc = out.write(out.ctx, buf, have + XC_TAG_BYTES)) < 0)
			break;
		if (last)
			break;
		buf[0] = carry;
		have = 1;
		ctr++;
	}
	sodium_memzero(buf, ENC_CHUNK + 1);
	free(buf);
	return rc;
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

/*
 * A full-length chunk is tried as a middle chunk first, then as the final
 * one (which must then be followed by end of input); a short chunk can only
 * be final.  This is the reference implementation's order, and it decides
 * which authenticated chunks are released before a failure.
 */
int
xc_stream_decrypt(xc_in *in, xc_wr out, const uint8_t key[32])
{
	uint8_t *buf, *pt;
	uint64_t ctr = 0;
	int rc;

	buf = malloc(ENC_CHUNK);
	pt = malloc(XC_CHUNK_BYTES);
	if (buf == NULL || pt == NULL) {
		free(buf);
		free(pt);
		return xc_fail(XC_ENOMEM, "out of memory");
	}
	for (;;) {
		const uint8_t *p;
		size_t n, avail;
		int last = 0;

		if ((rc = xc_in_read(in, buf, ENC_CHUNK, &n)) < 0)
			break;
		if (n == 0) {
			rc = xc_fail(XC_EPAYLOAD, ctr == 0 ? "no payload chunks"
			    : "missing final chunk (truncated file)");
			break;
		}
		if (n < ENC_CHUNK) {
			last = 1;
			if (n < XC_TAG_BYTES) {
				rc = xc_fail(XC_EPAYLOAD, "truncated chunk");
				break;
			}
			if (n == XC_TAG_BYTES && ctr > 0) {
				rc = xc_fail(XC_EPAYLOAD, "empty final chunk");
				break;
			}
			rc = open_chunk(pt, buf, n, ctr, 1, key);
		} else if ((rc = open_chunk(pt, buf, n, ctr, 0, key)) != 0) {
			last = 1;
			rc = open_chunk(pt, buf, n, ctr, 1, key);
		}
		if (rc != 0) {
			rc = xc_fail(XC_EPAYLOAD, "chunk failed authentication");
			break;
		}
		if ((rc = out.write(out.ctx, pt, n - XC_TAG_BYTES)) < 0)
			break;
		if (last) {
			if ((rc = xc_in_peek(in, 1, &p, &avail)) < 0)
				break;
			if (avail > 0)
				rc = xc_fail(XC_EPAYLOAD,
				    "trailing data after the final chunk");
			break;
		}
		if (++ctr == (uint64_t)1 << 63) {
			rc = xc_fail(XC_EPAYLOAD, "too many chunks");
			break;
		}
	}
	sodium_memzero(pt, XC_CHUNK_BYTES);
	free(buf);
	free(pt);
	return rc;
}
