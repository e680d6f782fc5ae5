/*
 * fuzz-json.c - libFuzzer target for the strict JSON checker (B03).
 * Properties: whatever xc_json_check() accepts, cJSON parses (on a
 * NUL-terminated copy, require_null_terminated=1), holds every number as an
 * integer of magnitude at most 2^53-1, and prints back to a document the
 * checker accepts again; printing that reparsed document gives the same
 * bytes (a canonical form).  A tighter depth limit never accepts more.
 *
 * cJSON_PrintUnformatted() is not usable for numbers as it stands: it
 * prints 1000000000000000 as "1e+15" and 9007199254740991 as
 * "9.00719925474099e+15" (a different number: its round-trip test compares
 * with a tolerance).  So numbers are rewritten as raw integer text before
 * printing; that checks cJSON's value for each of them exactly.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../../lib/xc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Depth is at most XC_MAX_JSON_DEPTH here, so the recursion is bounded. */
static void
numbers_to_raw(cJSON *item)
{
	char buf[32], *s;
	cJSON *c;

	if (cJSON_IsNumber(item)) {
		double d = item->valuedouble;
		if (!(d >= -9007199254740991.0 && d <= 9007199254740991.0) ||
		    (double)(int64_t)d != d)
			abort();
		snprintf(buf, sizeof buf, "%" PRId64, (int64_t)d);
		if ((s = cJSON_malloc(strlen(buf) + 1)) == NULL)
			abort();
		memcpy(s, buf, strlen(buf) + 1);
		item->type = cJSON_Raw;
		item->valuestring = s;
		return;
	}
	for (c = item->child; c != NULL; c = c->next)
		numbers_to_raw(c);
}

static char *
print(cJSON *j)
{
	char *p;

	numbers_to_raw(j);
	if ((p = cJSON_PrintUnformatted(j)) == NULL)
		abort();
	return p;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	char *copy, *p1, *p2;
	cJSON *j, *k;

	if (xc_json_check(s, size, 4, XC_MAX_JSON) == 0 &&
	    xc_json_check(s, size, XC_MAX_JSON_DEPTH, XC_MAX_JSON) != 0)
		abort();
	if (xc_json_check(s, size, XC_MAX_JSON_DEPTH, XC_MAX_JSON) != 0) {
		if (xc_json_parse(s, size, &j) == 0 || j != NULL)
			abort();
		return 0;
	}
	if ((copy = malloc(size + 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	if ((j = cJSON_ParseWithLengthOpts(copy, size + 1, NULL, 1)) == NULL)
		abort();
	free(copy);
	p1 = print(j);
	cJSON_Delete(j);
	if (xc_json_check(p1, strlen(p1), XC_MAX_JSON_DEPTH, XC_MAX_JSON) != 0)
		abort();
	if (xc_json_parse(p1, strlen(p1), &k) != 0)
		abort();
	p2 = print(k);
	cJSON_Delete(k);
	if (strcmp(p1, p2) != 0)
		abort();
	cJSON_free(p1);
	cJSON_free(p2);
	return 0;
}
