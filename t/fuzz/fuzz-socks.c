/*
 * fuzz-socks.c - libFuzzer target for the SOCKS5 client (lib/socks.c): the
 * input is everything a proxy says on one connection, read through an
 * in-memory xc_conn in small pieces; the client offers its methods,
 * authenticates if asked, and sends CONNECT (to a name, an IPv4 and an
 * IPv6 address in turn, by the first byte).  Properties: no crash, no
 * leak; a success consumed exactly the method reply, the authentication
 * reply when method 2 was chosen, and the CONNECT reply as
 * xc_socks5_reply measures it, and not a byte more (what follows is the
 * server's greeting); xc_socks5_reply agrees with itself on any prefix.
 */
#include <stdlib.h>
#include <string.h>

#include "memconn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
mclose(xc_conn *c)
{
	(void)c;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const hosts[] = { "node.example.onion",
		"192.0.2.7", "2001:db8::7" };
	struct memconn m;
	size_t need, used, i;
	int rc, r2;

	if (size < 1)
		return 0;
	/* The reply parser alone, on every prefix: monotone and bounded. */
	for (i = 0; i <= size - 1 && i <= 300; i++) {
		rc = xc_socks5_reply(data + 1, i, &need);
		if (rc > 0 && ((size_t)rc > i || (size_t)rc != need))
			abort();
		if (rc == 0 && need <= i)
			abort();
		if (need > 4 + 1 + 255 + 2)
			abort();
	}

	/* reads of 1 to 3 bytes: replies cross read boundaries */
	memconn_init(&m, data + 1, size - 1, 1, 3, mclose);
	rc = xc_socks5_connect(&m.c, hosts[data[0] % 3], "119", data[0] % 4);
	if (rc == 0) {
		/* Exactly the replies were read. */
		used = 2 + (m.p[1] == 2 ? 2 : 0);
		if (used > m.len)
			abort();
		r2 = xc_socks5_reply(m.p + used, m.len - used, &need);
		if (r2 <= 0 || used + (size_t)r2 != m.off)
			abort();
	}
	return 0;
}
