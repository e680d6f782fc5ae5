/*
 * fuzz-spool.c - libFuzzer target for what xc-fetch and xc-send read from
 * a spool and from the keyring's state (lib/spool.c, lib/store.c): the
 * spool's xc-spool marker, envelope and maildir file names, and the
 * store files (state/seen, state/skipped).
 *
 * Properties: a marker is accepted only if it begins with the version line,
 * and its max-size is the default or within 1024..2^40; a name parses only
 * if writing back the id and expiry gives the same name (maildir names:
 * plus their info); a store holds no more entries than the input has lines,
 * each of them found again by its key, with no duplicate keys.
 */
#include <stdlib.h>
#include <string.h>

#include "../../lib/xc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
names(const char *s, size_t n)
{
	char name[256], id[XC_ENVID_HEX + 1], back[XC_ENVNAME_MAX];
	char id2[XC_ENVID_HEX + 1];
	const char *info;
	int64_t exp, exp2;

	if (n >= sizeof name)
		return;
	memcpy(name, s, n);
	name[n] = '\0';
	if (xc_envelope_parse_name(name, id, &exp) == 0) {
		xc_envelope_name(back, id, exp);
		if (strcmp(back, name) != 0 || exp < 0)
			abort();
	}
	if (xc_maildir_parse_name(name, id2, &exp2, &info) == 0) {
		size_t k;
		xc_envelope_name(back, id2, exp2);
		k = strlen(back);
		if (strncmp(back, name, k) != 0 || strcmp(name + k, info) != 0)
			abort();
		if (*info == '\0' && xc_envelope_parse_name(name, id, &exp) != 0)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *l, *end = s + size;
	uint64_t max;
	xc_store st;
	size_t lines = 0, i, j;

	if (xc_spool_marker_parse(s, size, &max) == 0) {
		if (size < 12 || memcmp(s, "xc-spool-v1\n", 12) != 0)
			abort();
		if (max != XC_SPOOL_MAX_SIZE &&
		    (max < 1024 || max > ((uint64_t)1 << 40)))
			abort();
	}
	for (l = s; l < end;) {
		const char *nl = memchr(l, '\n', (size_t)(end - l));
		size_t n = nl ? (size_t)(nl - l) : (size_t)(end - l);
		names(l, n);
		lines += nl != NULL;
		l += n + 1;
	}
	memset(&st, 0, sizeof st);
	st.expires = 1;
	if (xc_store_parse(&st, s, size, 32, 1000) == 0) {
		if (st.n > lines)
			abort();
		for (i = 0; i < st.n; i++) {
			if (xc_store_get(&st, st.v[i].key) != &st.v[i])
				abort();
			if (st.v[i].val != 0 && st.v[i].val <= 1000)
				abort();	/* forgotten by then */
		}
		for (i = 0; i < st.n && i < 64; i++)
			for (j = i + 1; j < st.n; j++)
				if (memcmp(st.v[i].key, st.v[j].key, 32) == 0)
					abort();
	}
	xc_store_free(&st);
	memset(&st, 0, sizeof st);
	if (xc_store_parse(&st, s, size, 16, 0) == 0 && st.n > lines)
		abort();
	xc_store_free(&st);
	return 0;
}
