/*
 * fuzz-config.c - libFuzzer target for the config file of xc-send and
 * xc-fetch (lib/config.c).
 *
 * Properties: an accepted config holds at most XC_MAX_SERVERS servers,
 * each a URL xc_url_parse takes and in canonical form (adding it to a new
 * config gives the same string), none twice; a quorum of 0, "all" or
 * 1..XC_MAX_SERVERS; a timeout of 0..XC_MAX_TIMEOUT; a spool without a
 * newline; each server's pins canonical (parsing them again gives the
 * same text), only with TLS (nntps://, or starttls on nntp://); a proxy
 * that xc_proxy_parse takes, canonical too.  A refused one names a line
 * within the input.
 */
#include <stdlib.h>
#include <string.h>

#include "../../lib/xc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static xc_config cf, again;
	static char pins[XC_TLS_PINS_MAX];
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
		if (cf.pin[i][0] && (xc_tls_pins_text(pins, cf.pin[i]) != 0 ||
		    strcmp(pins, cf.pin[i]) != 0))
			abort();
		if (xc_config_server_check(&cf, i) != 0)
			abort();
	}
	if (cf.proxy[0] && (xc_proxy_parse(&u, cf.proxy) != 0 ||
	    xc_config_proxy(&again, cf.proxy) != 0 ||
	    strcmp(again.proxy, cf.proxy) != 0))
		abort();
	return 0;
}
