/*
 * letter.h - what lib/letter.c, lib/letter-seal.c and lib/letter-open.c
 * share, and nothing else includes: the magic, media types and the
 * pieces of the signed header.  The public interface is in xc.h.
 */
#ifndef XC_LETTER_H
#define XC_LETTER_H

#include "xc.h"

#define LETTER_MAGIC "xc-letter-v2"
#define LETTER_IO 65536		/* read and write unit of parts */
/* "xc-letter-v2 " IK " " SIG LF: the signed frame line. */
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

#endif
