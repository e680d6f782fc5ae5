/*
 * url.c - the syntax of server and proxy URLs (nntp://, nntps://,
 * socks5h://) and of the hosts in them.
 *
 * Apart from the connection layer (lib/net.c) so that reading the config
 * file, which names servers, does not link TLS: xc-seal reads the config
 * for the spool's max-size and links no OpenSSL.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "xc.h"

/* A host name or address as a URL may give it: letters, digits, '-', '.',
 * and for IPv6 literals (in brackets) hex digits and ':'. */
static int
host_ok(const char *h, size_t n, int v6)
{
	size_t i;

	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i < n; i++) {
		char c = h[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '-' ||
		    (v6 && c == ':'))
			continue;
		return 0;
	}
	return 1;
}

int
xc_ip_literal(const char *host, uint8_t out[16])
{
	if (inet_pton(AF_INET, host, out) == 1)
		return 4;
	if (inet_pton(AF_INET6, host, out) == 1)
		return 16;
	return 0;
}

int
xc_host_is_onion(const char *host)
{
	size_t n = strlen(host);

	if (n > 0 && host[n - 1] == '.')
		n--;
	return n >= 6 && strncasecmp(host + n - 6, ".onion", 6) == 0;
}

/* SCHEME://host[:port][/]: the host (brackets taken off an IPv6 literal)
 * and the port, or def. */
static int
parse_hostport(xc_url *u, const char *h, const char *def, const char *what)
{
	const char *e, *p;
	size_t n;
	int v6 = 0;

	if (*h == '[') {
		if ((e = strchr(h, ']')) == NULL)
			return xc_fail(XC_EINVAL, "unterminated IPv6 address");
		v6 = 1;
		h++;
		n = (size_t)(e - h);
		e++;
	} else {
		for (e = h; *e && *e != ':' && *e != '/'; e++)
			;
		n = (size_t)(e - h);
	}
	if (!host_ok(h, n, v6))
		return xc_fail(XC_EINVAL, what);
	memcpy(u->host, h, n);
	if (*e == ':') {
		char *end;
		unsigned long v;
		p = e + 1;
		if (*p < '0' || *p > '9')
			return xc_fail(XC_EINVAL, "bad port in URL");
		v = strtoul(p, &end, 10);
		if (v == 0 || v > 65535 || end - p > 5)
			return xc_fail(XC_EINVAL, "bad port in URL");
		memcpy(u->port, p, (size_t)(end - p));
		e = end;
	} else
		strcpy(u->port, def);
	if (*e == '/')
		e++;
	if (*e != '\0')
		return xc_fail(XC_EINVAL, "URL has a path");
	return 0;
}

int
xc_url_parse(xc_url *u, const char *s)
{
	memset(u, 0, sizeof *u);
	if (strncmp(s, "nntp://", 7) == 0) {
		strcpy(u->scheme, "nntp");
		return parse_hostport(u, s + 7, "119", "bad host in server URL");
	}
	if (strncmp(s, "nntps://", 8) == 0) {
		strcpy(u->scheme, "nntps");
		return parse_hostport(u, s + 8, "563", "bad host in server URL");
	}
	return xc_fail(XC_EINVAL, "not a server URL (nntp://host[:port] or "
	    "nntps://host[:port])");
}

int
xc_proxy_parse(xc_url *u, const char *s)
{
	uint8_t a[16];
	int rc;

	memset(u, 0, sizeof *u);
	if (strncmp(s, "socks5://", 9) == 0)
		return xc_fail(XC_EINVAL, "socks5:// would resolve names on "
		    "this machine: use socks5h://");
	if (strncmp(s, "socks5h://", 10) != 0)
		return xc_fail(XC_EINVAL, "not a proxy URL "
		    "(socks5h://address:port)");
	if (strchr(s + 10, '@') != NULL)
		return xc_fail(XC_EINVAL, "a proxy URL takes no user name "
		    "(xc chooses one per purpose)");
	strcpy(u->scheme, "socks5h");
	if ((rc = parse_hostport(u, s + 10, "1080", "bad address in proxy "
	    "URL")) < 0)
		return rc;
	/* Looking the proxy's own name up would be a DNS query too. */
	if (!xc_ip_literal(u->host, a))
		return xc_fail(XC_EINVAL, "the proxy's address must be "
		    "numeric (no name is looked up when a proxy is used)");
	return 0;
}
