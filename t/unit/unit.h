/*
 * unit.h - a minimal TAP producer for the C unit tests: ok() prints one
 * test line, and main.c prints the plan at the end ("1..N" last is valid
 * TAP), so suites need not count their tests in advance.
 */
#ifndef XC_UNIT_H
#define XC_UNIT_H

#include <stddef.h>
#include <stdint.h>

#include "../../lib/xc.h"

int ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Decodes hex into out (at most cap bytes); returns the length or -1. */
long unhex(uint8_t *out, size_t cap, const char *hex);

/* A growing buffer, and an xc_wr callback that appends to one. */
struct unit_buf {
	uint8_t *p;
	size_t len, cap;
};
int unit_mem_write(void *ctx, const uint8_t *buf, size_t n);
/* A signed card for handle (valid around now) with a fresh identity seed
 * and X25519 secret xsk; its text in *text (malloc'd). */
int unit_card(xc_card *card, const char *handle, uint8_t seed[32],
    uint8_t *xsk, char **text, size_t *len, int64_t now);

void test_codec(void);
void test_hkdf(void);
void test_age(void);
void test_json(void);
void test_card(void);
void test_letter(void);
void test_canon(void);

#endif
