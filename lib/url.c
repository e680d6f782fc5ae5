/*
 * url.c - the syntax of server and proxy URLs (nntp://, nntps://,
 * socks5h://), of the hosts in them, and of certificate pins.
 *
 * Apart from the connection layer (lib/net.c) so that reading the config
 * file, which names servers and their pins, does not link TLS: xc-seal reads the config
 * for the spool's max-size and links no OpenSSL.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <sodium.h>

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

void
xc_tls_fingerprint_text(char out[XC_TLS_PIN_MAX], const uint8_t md[32])
{
	memcpy(out, "SHA256:", 7);
	xc_b64_encode(out + 7, md, 32);
}

/* One pin, "SHA256:" and the certificate's SHA-256: 64 hex digits, or 32
 * pairs with ':' between them (openssl x509 -fingerprint -sha256), or
 * base64 (43 characters, or 44 with its '='). */
static int
pin_one(uint8_t out[32], const char *s, size_t n)
{
	const char *end;
	size_t i, got;

	if (n < 7 || strncasecmp(s, "SHA256:", 7) != 0)
		return -1;
	s += 7;
	n -= 7;
	if (n == 64 || n == 95) {
		for (i = 2; n == 95 && i < n; i += 3)
			if (s[i] != ':')
				return -1;
		return sodium_hex2bin(out, 32, s, n, ":", &got, &end) == 0 &&
		    got == 32 && end == s + n ? 0 : -1;
	}
	if (n == 44 && s[43] == '=')
		n = 43;
	if (n != 43 || xc_b64_decode(out, 32, &got, s, 43) != 0 || got != 32)
		return -1;
	return 0;
}

int
xc_tls_pins(uint8_t out[][32], size_t max, size_t *n, const char *s)
{
	const char *e;

	*n = 0;
	for (;;) {
		e = strchr(s, ',');
		if (*n == max)
			return xc_fail(XC_EINVAL, "too many pins");
		if (pin_one(out[*n], s, e ? (size_t)(e - s) : strlen(s)) != 0)
			return xc_fail(XC_EINVAL, "a pin is SHA256: and the "
			    "certificate's SHA-256 in hex or base64");
		(*n)++;
		if (e == NULL)
			return 0;
		s = e + 1;
	}
}

int
xc_tls_pins_text(char out[XC_TLS_PINS_MAX], const char *s)
{
	uint8_t md[XC_TLS_MAX_PINS][32];
	size_t n, i, k = 0;
	int rc;

	if ((rc = xc_tls_pins(md, XC_TLS_MAX_PINS, &n, s)) < 0)
		return rc;
	for (i = 0; i < n; i++) {
		if (i)
			out[k++] = ',';
		xc_tls_fingerprint_text(out + k, md[i]);
		k += strlen(out + k);
	}
	return 0;
}

int
xc_tls_pin_text(char out[XC_TLS_PIN_MAX], const char *pin)
{
	uint8_t md[32];
	int rc;

	if (strchr(pin, ',') != NULL)
		return xc_fail(XC_EINVAL, "one pin, please");
	if ((rc = pin_one(md, pin, strlen(pin))) != 0)
		return xc_fail(XC_EINVAL, "a pin is SHA256: and the "
		    "certificate's SHA-256 in hex or base64");
	xc_tls_fingerprint_text(out, md);
	return 0;
}
