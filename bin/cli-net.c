/*
 * cli-net.c - how xc-send and xc-fetch pick their transports: the spool
 * and servers of the command line, the environment and the config file,
 * and the options --server, --quorum, --timeout, --pin, --starttls and
 * --proxy.  Apart from cli.c so that the programs without a network do
 * not link its layer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int
cli_spool_dir(const char *home, const char *opt, char out[XC_PATH_MAX])
{
	static xc_config cf;	/* large; used once per process */
	int code;

	if ((code = cli_transports(home, opt, &cf, out)) != 0)
		return code;
	if (out[0] == '\0' &&
	    snprintf(out, XC_PATH_MAX, "%s/spool", home) >= XC_PATH_MAX) {
		cli_error("spool path too long");
		return EX_USAGE_;
	}
	return 0;
}

/* Copies a spool path, or says it is too long. */
static int
spool_path(char out[XC_PATH_MAX], const char *dir)
{
	if (snprintf(out, XC_PATH_MAX, "%s", dir) >= XC_PATH_MAX) {
		cli_error("spool path too long");
		return EX_USAGE_;
	}
	return 0;
}

/* A server of the command line without --pin or --starttls is trusted as
 * the config's line for it says, as ssh's known_hosts does for a host:
 * naming a server on the command line must not drop its pin. */
static void
inherit_tls(xc_config *cf, const xc_config *file)
{
	size_t i, j;

	for (i = 0; i < cf->nserver; i++)
		for (j = 0; j < file->nserver; j++)
			if (!cf->pin[i][0] && !cf->starttls[i] &&
			    strcmp(cf->server[i], file->server[j]) == 0) {
				memcpy(cf->pin[i], file->pin[j],
				    XC_TLS_PINS_MAX);
				cf->starttls[i] = file->starttls[j];
			}
}

int
cli_transports(const char *home, const char *spoolopt, xc_config *cf,
    char spool[XC_PATH_MAX])
{
	static xc_config file;	/* large; used once per process */
	const char *env = getenv("XC_SPOOL");
	char path[XC_PATH_MAX];
	size_t line, i;
	int rc, saved;

	spool[0] = '\0';
	for (i = 0; i < cf->nserver; i++)
		if (xc_config_server_check(cf, i) < 0) {
			cli_error("--server '%s': %s", cf->server[i],
			    cf->starttls[i] ? "--starttls is for nntp:// "
			    "servers (nntps:// is TLS from the first byte)" :
			    "--pin needs TLS: an nntps:// server, or "
			    "--starttls");
			return EX_USAGE_;
		}
	if ((rc = xc_config_load(&file, home, path, &line)) < 0) {
		saved = errno;
		if (line)
			cli_error("config '%s' line %zu: %s", path, line,
			    xc_errdetail());
		else
			cli_error("config '%s': %s%s%s", path, xc_errdetail(),
			    rc == XC_EREAD ? ": " : "",
			    rc == XC_EREAD ? strerror(saved) : "");
		return rc == XC_EINVAL ? EX_USAGE_ : EX_SYSTEM;
	}
	/* The command line names the transports, or the environment and
	 * the config do; the default spool only when nothing names any. */
	if (spoolopt != NULL || cf->nserver > 0) {
		if (spoolopt != NULL && (rc = spool_path(spool, spoolopt)) != 0)
			return rc;
		inherit_tls(cf, &file);
	} else {
		rc = 0;
		if (env != NULL && *env != '\0')
			rc = spool_path(spool, env);
		else if (file.spool[0])
			rc = spool_path(spool, file.spool);
		if (rc != 0)
			return rc;
		for (i = 0; i < file.nserver; i++) {
			memcpy(cf->server[i], file.server[i], XC_URL_MAX);
			memcpy(cf->pin[i], file.pin[i], XC_TLS_PINS_MAX);
			cf->starttls[i] = file.starttls[i];
		}
		cf->nserver = file.nserver;
		if (spool[0] == '\0' && cf->nserver == 0 &&
		    snprintf(spool, XC_PATH_MAX, "%s/spool", home) >=
		    XC_PATH_MAX) {
			cli_error("spool path too long");
			return EX_USAGE_;
		}
	}
	if (cf->quorum == 0)
		cf->quorum = file.quorum;
	if (cf->timeout == 0)
		cf->timeout = file.timeout;
	if (cf->proxy[0] == '\0')
		memcpy(cf->proxy, file.proxy, XC_URL_MAX);
	return 0;
}

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
cli_net_setup(const xc_config *cf, xc_net *net, xc_transport *t)
{
	int s = cf->timeout ? cf->timeout : CLI_DEFAULT_TIMEOUT;
	size_t i;
	int rc;

	xc_url u;

	net->o.timeout_ms = s * 1000;
	net->o.response_ms = 4 * s * 1000;
	net->o.proxy = cf->proxy[0] ? cf->proxy : NULL;
	for (i = 0; i < cf->nserver; i++) {
		/* Said here, before anything is queued or read, rather than
		 * by the library at the first connection. */
		if (!cf->proxy[0] && xc_url_parse(&u, cf->server[i]) == 0 &&
		    xc_host_is_onion(u.host)) {
			cli_error("server '%s': an .onion server is reached "
			    "through Tor only", cf->server[i]);
			cli_hint("give Tor's SocksPort: --proxy "
			    "socks5h://127.0.0.1:9050, or a \"proxy\" line "
			    "in the config");
			return EX_USAGE_;
		}
		if ((rc = xc_net_add_tls(net, cf->server[i],
		    cf->pin[i][0] ? cf->pin[i] : NULL, cf->starttls[i] ?
		    XC_TLS_STARTTLS : XC_TLS_OFF, &t[i])) < 0) {
			cli_error("server '%s': %s", cf->server[i],
			    xc_errdetail());
			return rc == XC_ENOMEM ? EX_SYSTEM : EX_USAGE_;
		}
	}
	return 0;
}

void
cli_net_hint(const xc_net *net, size_t i)
{
	const char *fp = xc_net_rejected(net, i);

	if (fp != NULL)
		cli_hint("the server's certificate is %s; if its operator "
		    "confirms it (xc-node status), pin it: --pin %s", fp, fp);
}
