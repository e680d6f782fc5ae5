/*
 * age.c - whole age v1 files: encryption to a recipient set and decryption
 * with an identity set, composing header, stanzas, MAC, STREAM and armor.
 *
 * Order of checks when opening (as the reference implementation and the
 * CCTV vectors expect): armor detection, the whole header's syntax, the
 * scrypt-alone rule, unwrapping the file key, the header MAC, the nonce,
 * then the payload chunk by chunk.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "xc.h"

static const char magic[] = "age-encryption.org/";

static int
payload_key(uint8_t *key, const uint8_t *filekey, const uint8_t *nonce)
{
	return xc_hkdf_sha256(key, 32, filekey, XC_FILE_KEY_BYTES, nonce,
	    XC_NONCE_BYTES, "payload", 7);
}

int
xc_age_encrypt(xc_rd in, xc_wr out, const xc_rcpts *r, int armor)
{
	xc_header h;
	xc_armor_wr *aw = NULL;
	uint8_t *filekey, *key, nonce[XC_NONCE_BYTES], *raw = NULL;
	size_t rawlen;
	void *arena = NULL;
	xc_wr w = out;
	int rc;

	memset(&h, 0, sizeof h);
	filekey = sodium_malloc(XC_FILE_KEY_BYTES);
	key = sodium_malloc(32);
	if (filekey == NULL || key == NULL) {
		rc = xc_fail(XC_ENOMEM, "out of memory");
		goto out;
	}
	randombytes_buf(filekey, XC_FILE_KEY_BYTES);
	if ((rc = xc_rcpts_wrap(r, filekey, &h.st, &h.nst, &arena)) < 0)
		goto out;
	if ((rc = xc_header_marshal(&h, &raw, &rawlen)) < 0 ||
	    (rc = xc_header_mac(h.mac, filekey, raw, rawlen)) < 0)
		goto out;
	if (armor && (rc = xc_armor_wr_new(&aw, out, &w)) < 0)
		goto out;
	if ((rc = xc_header_write(w, &h)) < 0)
		goto out;
	randombytes_buf(nonce, sizeof nonce);
	if ((rc = w.write(w.ctx, nonce, sizeof nonce)) < 0 ||
	    (rc = payload_key(key, filekey, nonce)) < 0 ||
	    (rc = xc_stream_encrypt(in, w, key)) < 0)
		goto out;
	if (aw)
		rc = xc_armor_wr_close(aw);
out:
	xc_armor_wr_free(aw);
	free(h.st);
	free(arena);
	free(raw);
	sodium_free(filekey);
	sodium_free(key);
	return rc;
}

int
xc_age_payload_key(uint8_t *key, const uint8_t *filekey,
    const uint8_t *nonce)
{
	return payload_key(key, filekey, nonce);
}

void
xc_age_rd_close(xc_age_rd *r)
{
	xc_header_free(&r->h);
	xc_armor_rd_free(r->ar);
	free(r->ain);
	free(r->in);
	xc_secure_release(r->key);
	memset(r, 0, sizeof *r);
}

int
xc_age_rd_open(xc_age_rd *r, xc_rd src, const xc_ids *ids)
{
	uint8_t *filekey = NULL, mac[XC_MAC_BYTES], nonce[XC_NONCE_BYTES];
	const uint8_t *p;
	size_t avail, n;
	int rc;

	memset(r, 0, sizeof *r);
	if ((r->in = malloc(sizeof *r->in)) == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	xc_in_init(r->in, src);
	r->payload = r->in;
	/* Binary iff the input starts like the version line (or is a prefix
	 * of it, e.g. empty); everything else must be armor. */
	if ((rc = xc_in_peek(r->in, sizeof magic - 1, &p, &avail)) < 0)
		goto out;
	n = avail < sizeof magic - 1 ? avail : sizeof magic - 1;
	if (memcmp(p, magic, n) != 0) {
		xc_rd ard;
		if ((r->ain = malloc(sizeof *r->ain)) == NULL) {
			rc = xc_fail(XC_ENOMEM, "out of memory");
			goto out;
		}
		if ((rc = xc_armor_rd_new(&r->ar, r->in, &ard)) < 0)
			goto out;
		xc_in_init(r->ain, ard);
		r->payload = r->ain;
	}
	if ((rc = xc_header_parse(r->payload, &r->h)) < 0)
		goto out;
	/* The payload key, then the file key, in one recycled block. */
	if ((r->key = xc_secure_block()) == NULL) {
		rc = xc_fail(XC_ENOMEM, "out of memory");
		goto out;
	}
	filekey = r->key + 32;
	if ((rc = xc_age_unwrap(&r->h, ids, filekey, &r->which)) < 0)
		goto out;
	if ((rc = xc_header_mac(mac, filekey, r->h.raw, r->h.rawlen)) < 0)
		goto out;
	if (crypto_verify_32(mac, r->h.mac) != 0) {
		rc = xc_fail(XC_EMAC, "header MAC does not verify");
		goto out;
	}
	if ((rc = xc_in_read(r->payload, nonce, sizeof nonce, &n)) < 0)
		goto out;
	if (n != sizeof nonce) {
		rc = xc_fail(XC_EHEADER, "missing or short payload nonce");
		goto out;
	}
	rc = payload_key(r->key, filekey, nonce);
out:
	if (filekey)
		sodium_memzero(filekey, XC_FILE_KEY_BYTES);
	if (rc < 0)
		xc_age_rd_close(r);
	return rc;
}

int
xc_age_decrypt(xc_rd src, xc_wr out, const xc_ids *ids)
{
	xc_age_rd r;
	int rc;

	if ((rc = xc_age_rd_open(&r, src, ids)) < 0)
		return rc;
	rc = xc_stream_decrypt(r.payload, out, r.key);
	xc_age_rd_close(&r);
	return rc;
}
