/*
 * cli-net.c - the network options of xc-send and xc-fetch (--server,
 * --quorum, --timeout) and the transports of their servers.  Apart from
 * cli.c so that the programs without a network do not link its layer;
 * which spool and servers the config names is read in cli.c, since
 * xc-seal needs the spool's max-size too.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int
cli_net_option(int ch, const char *arg, xc_config *cf, const char *usage)
{
	int rc;

	switch (ch) {
	case CLI_OPT_SERVER:
		if ((rc = xc_config_add_server(cf, arg)) < 0)
			cli_usage_error(usage, "--server '%s': %s", arg,
			    rc == XC_EINVAL ? "not a server URL "
			    "(nntp://host[:port])" : xc_errdetail());
		return 1;
	case CLI_OPT_QUORUM:
		if (cf->quorum)
			cli_usage_error(usage, "--quorum given twice");
		if (xc_config_quorum(arg, &cf->quorum) < 0)
			cli_usage_error(usage, "--quorum takes a number of "
			    "servers (1-%d) or \"all\"", XC_MAX_SERVERS);
		return 1;
	case CLI_OPT_TIMEOUT:
		if (cf->timeout)
			cli_usage_error(usage, "--timeout given twice");
		if (xc_config_timeout(arg, &cf->timeout) < 0)
			cli_usage_error(usage, "--timeout takes a number of "
			    "seconds (1-%d)", XC_MAX_TIMEOUT);
		return 1;
	}
	return 0;
}

int
cli_net_setup(const xc_config *cf, xc_net *net, xc_transport *t)
{
	int s = cf->timeout ? cf->timeout : CLI_DEFAULT_TIMEOUT;
	size_t i;
	int rc;

	net->o.timeout_ms = s * 1000;
	net->o.response_ms = 4 * s * 1000;
	for (i = 0; i < cf->nserver; i++)
		if ((rc = xc_net_add(net, cf->server[i], &t[i])) < 0) {
			cli_error("server '%s': %s", cf->server[i],
			    xc_errdetail());
			return rc == XC_ENOMEM ? EX_SYSTEM : EX_USAGE_;
		}
	return 0;
}
