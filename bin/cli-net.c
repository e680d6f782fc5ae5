/*
 * cli-net.c - the network options of xc-send and xc-fetch, and of
 * xc-keygen --publish and xc-verify --lookup (--server, --quorum,
 * --timeout, --pin, --starttls, --proxy), and the transports of their
 * servers.  Apart from cli.c so that the programs without a network
 * do not link its layer; which spool and servers the config names is read
 * in cli.c, since xc-seal needs the spool's max-size too.
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
			    "(nntp://host[:port] or nntps://host[:port])" :
			    xc_errdetail());
		return 1;
	case CLI_OPT_PIN:
	case CLI_OPT_STARTTLS:
		if (cf->nserver == 0)
			cli_usage_error(usage, "%s applies to the --server "
			    "before it", ch == CLI_OPT_PIN ? "--pin" :
			    "--starttls");
		if (ch == CLI_OPT_STARTTLS) {
			if (cf->starttls[cf->nserver - 1])
				cli_usage_error(usage, "--starttls given twice "
				    "for '%s'", cf->server[cf->nserver - 1]);
			cf->starttls[cf->nserver - 1] = 1;
		} else if ((rc = xc_config_server_pin(cf, cf->nserver - 1,
		    arg)) < 0)
			cli_usage_error(usage, "--pin '%s': %s", arg,
			    rc == XC_EEXIST ? "a second --pin for one server "
			    "(give its pins in one, with ',')" :
			    xc_errdetail());
		return 1;
	case CLI_OPT_PROXY:
		if ((rc = xc_config_proxy(cf, arg)) < 0)
			cli_usage_error(usage, "--proxy '%s': %s", arg,
			    xc_errdetail());
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
cli_net_quorum(const xc_config *cf, int *quorum)
{
	/* One server unless told otherwise.  The network floods what one
	 * node took to the others, and a higher default would keep every
	 * envelope in the outbox (and every run at status 5) while one
	 * listed server is down (xc-send(1)). */
	*quorum = cf->quorum == XC_QUORUM_ALL ? (int)cf->nserver :
	    cf->quorum ? cf->quorum : 1;
	if (cf->nserver && (size_t)*quorum > cf->nserver) {
		cli_error("a quorum of %d, but %zu server(s)", *quorum,
		    cf->nserver);
		return EX_USAGE_;
	}
	return 0;
}

int
cli_net_is_onion(const char *url)
{
	xc_url u;

	return xc_url_parse(&u, url) == 0 && xc_host_is_onion(u.host);
}

int
cli_net_setup(const xc_config *cf, xc_net *net, xc_transport *t)
{
	int s = cf->timeout ? cf->timeout : CLI_DEFAULT_TIMEOUT;
	size_t i;
	int rc;

	net->o.timeout_ms = s * 1000;
	net->o.response_ms = 4 * s * 1000;
	net->o.proxy = cf->proxy[0] ? cf->proxy : NULL;
	for (i = 0; i < cf->nserver; i++) {
		/* Said here, before anything is queued or read, rather than
		 * by the library at the first connection. */
		if (!cf->proxy[0] && cli_net_is_onion(cf->server[i])) {
			cli_error("server '%s': an .onion server is reached "
			    "through Tor only", cf->server[i]);
			cli_hint("give Tor's SocksPort: --proxy "
			    "socks5h://127.0.0.1:9050, or a \"proxy\" line "
			    "in the config");
			return EX_USAGE_;
		}
		if ((rc = xc_net_add_tls(net, cf->server[i],
		    cf->pin[i][0] ? cf->pin[i] : NULL, cf->starttls[i] ?
		    XC_TLS_STARTTLS : XC_TLS_OFF, t ? &t[i] : NULL)) < 0) {
			cli_error("server '%s': %s", cf->server[i],
			    xc_errdetail());
			return rc == XC_ENOMEM ? EX_SYSTEM : EX_USAGE_;
		}
	}
	return 0;
}

int
cli_net_servers(const char *home, xc_config *cf, const char *what)
{
	char spool[XC_PATH_MAX];
	int code;

	if ((code = cli_transports(home, NULL, cf, spool)) != 0)
		return code;
	if (cf->nserver > 0)
		return 0;
	cli_error("no server to %s", what);
	cli_hint("give one: --server nntps://HOST, or a \"server\" line in "
	    "the config (xc(7))");
	return EX_USAGE_;
}

void
cli_net_hint(const xc_net *net, size_t i)
{
	const char *fp = xc_net_rejected(net, i);

	if (fp != NULL)
		cli_hint("the server's certificate is %s; if its operator "
		    "confirms it (xc-node status), pin it: --pin %s", fp, fp);
}
