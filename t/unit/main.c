/*
 * main.c - runs every unit suite and prints TAP.  XC_UNIT_ONLY=name runs one.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "unit.h"

static int n, failed;

int
ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		failed++;
	return cond;
}

void
diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

long
unhex(uint8_t *out, size_t cap, const char *hex)
{
	size_t bin;

	if (sodium_hex2bin(out, cap, hex, strlen(hex), NULL, &bin, NULL) != 0)
		return -1;
	return (long)bin;
}

int
main(void)
{
	const char *only = getenv("XC_UNIT_ONLY");
	static const struct {
		const char *name;
		void (*fn)(void);
	} suites[] = {
		{"codec", test_codec},
		{"hkdf", test_hkdf},
		{"age", test_age},
		{"json", test_json},
		{"card", test_card},
		{"letter", test_letter},
		{"canon", test_canon},
	};
	size_t i;

	if (sodium_init() < 0) {
		printf("Bail out! sodium_init failed\n");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < sizeof suites / sizeof suites[0]; i++)
		if (only == NULL || strcmp(only, suites[i].name) == 0) {
			diag("suite %s", suites[i].name);
			suites[i].fn();
		}
	printf("1..%d\n", n);
	return failed != 0;
}
