/*
 * socks.c - SOCKS5 (RFC 1928) with user name and password (RFC 1929), the
 * client side, over an xc_conn: the way to reach servers through Tor.
 *
 * Names are never resolved here: the host goes to the proxy as a domain
 * name (ATYP 3) and the proxy resolves it ("socks5h"); IP literals go as
 * addresses.  The user name says what the connection is for (xc-post,
 * xc-fetch, xc-lookup), so that a Tor whose SocksPort isolates by
 * credentials (IsolateSOCKSAuth, on by default) builds separate circuits
 * for posting, fetching and looking up cards, and an exit or a node cannot
 * link them by the circuit.  Both "no authentication" and "user name and
 * password" are offered: Tor picks the second whenever it is offered;
 * proxies without accounts (microsocks without -u) pick the first.
 *
 * The proxy's answers are hostile input: each is read to its exact length
 * (never a byte of what follows, which is the server's greeting), checked
 * field by field, and bounded by the connection's deadlines.
 */
#include <string.h>

#include "xc.h"

static const char *const purpose_user[] = {
	[XC_NET_OTHER] = "xc",
	[XC_NET_POST] = "xc-post",
	[XC_NET_FETCH] = "xc-fetch",
	[XC_NET_LOOKUP] = "xc-lookup",
};

const char *
xc_socks5_user(int purpose)
{
	if (purpose < 0 || purpose > XC_NET_LOOKUP)
		purpose = XC_NET_OTHER;
	return purpose_user[purpose];
}

/* Reads exactly len bytes: no more, so the stream after a reply is left
 * for the protocol that follows. */
static int
read_exact(xc_conn *c, uint8_t *buf, size_t len)
{
	size_t got;
	int rc;

	while (len > 0) {
		if ((rc = c->read(c, buf, len, &got)) < 0)
			return rc;
		buf += got;
		len -= got;
	}
	return 0;
}

/* RFC 1928 section 6, and Tor's extended codes (proposal 304) for onion
 * services, which a SocksPort with ExtendedErrors sends. */
static const char *
reply_text(uint8_t rep)
{
	switch (rep) {
	case 0x01: return "the proxy failed (general SOCKS server failure)";
	case 0x02: return "the proxy's rules do not allow the connection";
	case 0x03: return "the proxy cannot reach the server's network";
	case 0x04: return "the proxy cannot reach the server (host "
	    "unreachable)";
	case 0x05: return "the server refused the proxy's connection";
	case 0x06: return "the proxy's connection to the server timed out";
	case 0x07: return "the proxy does not support CONNECT";
	case 0x08: return "the proxy does not support that address type";
	case 0xf0: return "the onion service's descriptor cannot be found";
	case 0xf1: return "the onion service's descriptor is invalid";
	case 0xf2: return "the onion service's introduction failed";
	case 0xf3: return "the onion service's rendezvous failed";
	case 0xf4: return "the onion service needs client authorization";
	case 0xf5: return "the onion service refused the client "
	    "authorization";
	case 0xf6: return "the proxy says the onion address is invalid";
	case 0xf7: return "the onion service's introduction timed out";
	}
	return "the proxy refused the connection (unknown reply code)";
}

int
xc_socks5_reply(const uint8_t *p, size_t len, size_t *need)
{
	size_t total;

	/* VER REP RSV ATYP, then the bound address and port. */
	*need = 5;
	if (len < 5)
		return 0;
	if (p[0] != 5)
		return xc_fail(XC_ENET, "the proxy is not a SOCKS5 proxy");
	if (p[1] != 0)
		return xc_fail(XC_ENET, reply_text(p[1]));
	if (p[2] != 0)
		return xc_fail(XC_ENET, "the proxy sent a malformed reply");
	switch (p[3]) {
	case 1: total = 4 + 4 + 2; break;
	case 4: total = 4 + 16 + 2; break;
	case 3:
		if (p[4] == 0)
			return xc_fail(XC_ENET, "the proxy sent a malformed "
			    "reply");
		total = 4 + 1 + (size_t)p[4] + 2;
		break;
	default:
		return xc_fail(XC_ENET, "the proxy sent a malformed reply");
	}
	*need = total;
	return len < total ? 0 : (int)total;
}

/* The request's address: an IPv4 or IPv6 literal as such, anything else
 * as a name for the proxy to resolve.  *k is the length written. */
static int
put_address(uint8_t *out, size_t *k, const char *host)
{
	uint8_t a[16];
	size_t n = strlen(host);
	int fam = xc_ip_literal(host, a);

	if (fam == 4 || fam == 16) {
		out[(*k)++] = fam == 4 ? 1 : 4;
		memcpy(out + *k, a, (size_t)fam);
		*k += (size_t)fam;
	} else {
		if (n == 0 || n > 255)
			return xc_fail(XC_EINVAL, "the server's name is too "
			    "long for a proxy");
		out[(*k)++] = 3;
		out[(*k)++] = (uint8_t)n;
		memcpy(out + *k, host, n);
		*k += n;
	}
	return 0;
}

int
xc_socks5_connect(xc_conn *c, const char *host, const char *port,
    int purpose)
{
	const char *user = xc_socks5_user(purpose);
	uint8_t req[4 + 1 + 255 + 2], rep[4 + 1 + 255 + 2];
	size_t k, ul = strlen(user), need;
	unsigned long pn = 0;
	int rc;

	for (k = 0; port[k]; k++) {
		if (port[k] < '0' || port[k] > '9' || k >= 5)
			return xc_fail(XC_EINVAL, "bad port");
		pn = pn * 10 + (unsigned long)(port[k] - '0');
	}
	if (k == 0 || pn == 0 || pn > 65535)
		return xc_fail(XC_EINVAL, "bad port");

	/* Methods: 0 (none) and 2 (user name and password). */
	if ((rc = c->write(c, (const uint8_t *)"\x05\x02\x00\x02", 4)) < 0 ||
	    (rc = read_exact(c, rep, 2)) < 0)
		return rc;
	if (rep[0] != 5)
		return xc_fail(XC_ENET, "the proxy is not a SOCKS5 proxy");
	if (rep[1] == 2) {
		/* RFC 1929: VER 1, ULEN, UNAME, PLEN, PASSWD.  The password
		 * is no secret: the credentials only name a circuit. */
		k = 0;
		req[k++] = 1;
		req[k++] = (uint8_t)ul;
		memcpy(req + k, user, ul);
		k += ul;
		req[k++] = 2;
		memcpy(req + k, "xc", 2);
		k += 2;
		if ((rc = c->write(c, req, k)) < 0 ||
		    (rc = read_exact(c, rep, 2)) < 0)
			return rc;
		if (rep[0] != 1)
			return xc_fail(XC_ENET, "the proxy sent a malformed "
			    "authentication reply");
		if (rep[1] != 0)
			return xc_fail(XC_ENET, "the proxy refused the user "
			    "name and password");
	} else if (rep[1] == 0xff)
		return xc_fail(XC_ENET, "the proxy accepts none of our "
		    "authentication methods");
	else if (rep[1] != 0)
		return xc_fail(XC_ENET, "the proxy chose a method we did not "
		    "offer");

	/* CONNECT: VER CMD RSV ATYP DST.ADDR DST.PORT. */
	k = 0;
	req[k++] = 5;
	req[k++] = 1;
	req[k++] = 0;
	if ((rc = put_address(req, &k, host)) < 0)
		return rc;
	req[k++] = (uint8_t)(pn >> 8);
	req[k++] = (uint8_t)pn;
	if ((rc = c->write(c, req, k)) < 0 ||
	    (rc = read_exact(c, rep, 5)) < 0)
		return rc;
	if ((rc = xc_socks5_reply(rep, 5, &need)) < 0)
		return rc;
	if (rc == 0 && (rc = read_exact(c, rep + 5, need - 5)) < 0)
		return rc;
	rc = xc_socks5_reply(rep, need, &need);
	return rc < 0 ? rc : 0;
}
