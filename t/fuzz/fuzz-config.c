/*
 * fuzz-config.c - libFuzzer target for the config file of xc-send and
 * xc-fetch (lib/config.c).
 *
 * Properties: an accepted config holds at most XC_MAX_SERVERS servers,
 * each a URL xc_url_parse takes and in canonical form (adding it to a new
 * config gives the same string), none twice; a quorum of 0, "all" or
 * 1..XC_MAX_SERVERS; a timeout of 0..XC_MAX_TIMEOUT; a spool without a
 * newline.  A refused one names a line within the input.
 */
#include <stdlib.h>
#include <string.h>

#include "../../lib/xc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static xc_config cf, again;
	size_t line, i, j, lines = 1;
	xc_url u;

	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (xc_config_parse(&cf, (const char *)data, size, &line) != 0) {
		if (line < 1 || line > lines)
			abort();
		return 0;
	}
	if (cf.nserver > XC_MAX_SERVERS || cf.quorum < XC_QUORUM_ALL ||
	    cf.quorum > XC_MAX_SERVERS || cf.timeout < 0 ||
	    cf.timeout > XC_MAX_TIMEOUT || strchr(cf.spool, '\n') != NULL)
		abort();
	memset(&again, 0, sizeof again);
	for (i = 0; i < cf.nserver; i++) {
		if (xc_url_parse(&u, cf.server[i]) != 0 ||
		    xc_config_add_server(&again, cf.server[i]) != 0 ||
		    strcmp(again.server[i], cf.server[i]) != 0)
			abort();
		for (j = 0; j < i; j++)
			if (strcmp(cf.server[i], cf.server[j]) == 0)
				abort();
	}
	return 0;
}
