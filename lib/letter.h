/*
 * letter.h - what lib/letter.c, lib/letter-seal.c and lib/letter-open.c
 * share, and nothing else includes: the magic, media types and the
 * pieces of the signed header.  The public interface is in xc.h.
 */
#ifndef XC_LETTER_H
#define XC_LETTER_H

#include <pthread.h>

#include <nettle/sha2.h>

#include "xc.h"

#define LETTER_MAGIC "xc-letter-v2"
#define LETTER_IO 65536		/* read and write unit of parts */
/* "xc-letter-v2 " IK " " SIG LF: the signed frame line. */
#define LETTER_LEAF 65536	/* the leaves of a part hash */
#define LETTER_LINE1 (sizeof LETTER_MAGIC + 43 + 1 + 86 + 1)

extern const char *const xc_letter_types[];
/* The media type of a part from its first bytes (text: the body). */
const char *xc_letter_sniff(const uint8_t *p, size_t n, int text);
/* Parts over 1 MiB may not expand more than XC_MAX_RATIO times. */
int xc_letter_ratio_ok(uint64_t size, uint64_t stored);
/* The signed xc-letter entry for o (its parts' sizes and hashes set):
 * frame line, JSON, LF; *out is malloc'd. */
int xc_letter_trailer(const xc_seal_opts *o, const uint8_t stanzas[32],
    char **out, size_t *outlen);

/*
 * The hash of a part (xc-letter(5), "Part hashes"): SHA-256 over
 * "xc-leaves-v2" NUL and then the SHA-256 of each 64 KiB leaf of the stored
 * bytes, in order (the last leaf may be shorter; an empty part has none).
 * Leaves are independent, so a helper thread hashes every other whole
 * leaf of a large update while the caller hashes the rest: the parts of a
 * large letter are hashed on two cores, on both sides.
 */
struct xc_hasher;		/* the helper thread, started when needed */
struct xc_tree {
	struct sha256_ctx root, leaf;
	uint64_t off;		/* bytes so far */
};
int xc_hasher_new(struct xc_hasher **h);
void xc_hasher_free(struct xc_hasher *h);
void xc_tree_init(struct xc_tree *t);
void xc_tree_update(struct xc_tree *t, struct xc_hasher *h, const uint8_t *p,
    size_t n);
void xc_tree_final(struct xc_tree *t, uint8_t out[32]);

#endif
