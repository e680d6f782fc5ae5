/*
 * net.c - the connection layer of the network client: byte streams with
 * deadlines (the syntax of server and proxy URLs is in lib/url.c).
 *
 * Everything the NNTP code reads or writes goes through an xc_conn, so that
 * TLS (lib/tls.c, a conn that wraps another) and SOCKS5h proxies
 * (lib/socks.c, a conn that connects through one, names resolved by the
 * proxy) plug in here without touching the protocol code.  Every wait is
 * bounded twice: by the inactivity timeout and by the deadline of the
 * response being read, so a server that drips one byte just before each
 * timeout still ends within the deadline.
 *
 * With a proxy, no name is ever looked up on this machine: the proxy's
 * address must be numeric and the server's name goes to the proxy as it
 * is.  Without one, a .onion name is refused rather than handed to the
 * system's resolver, which would leak it to the DNS.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "xc.h"

int64_t
xc_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- a connection over a file descriptor ---- */

struct fdconn {
	xc_conn c;
	int fd;
	int sock;		/* a TCP socket (not a pipe or socketpair) */
};

/* Waits for fd to be ready for events, within the timeout and the
 * deadline. */
static int
wait_fd(xc_conn *c, int fd, short events)
{
	struct pollfd p = { fd, events, 0 };
	int64_t now = xc_monotonic_ms(), ms = c->timeout_ms;
	int r;

	if (c->deadline && c->deadline - now < ms)
		ms = c->deadline - now;
	if (ms <= 0)
		return xc_fail(XC_ENET, "the server took too long to answer");
	do
		r = poll(&p, 1, (int)ms);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return xc_fail(XC_ENET, "poll failed");
	if (r == 0)
		return xc_fail(XC_ENET, c->deadline && xc_monotonic_ms() >=
		    c->deadline ? "the server took too long to answer" :
		    "the server stopped answering (timeout)");
	return 0;
}

static int
fd_read(xc_conn *c, uint8_t *buf, size_t len, size_t *got)
{
	struct fdconn *f = (struct fdconn *)c;
	ssize_t n;
	int rc;

	for (;;) {
		if ((rc = wait_fd(c, f->fd, POLLIN)) < 0)
			return rc;
		n = read(f->fd, buf, len);
#ifdef TCP_QUICKACK
		/* ACK at once, not after the 40 ms delayed ACK: nnrpd
		 * writes its TLS 1.3 session tickets and its greeting as
		 * small segments with Nagle on, so each waited for our ACK
		 * (an nntps connection took 50 ms instead of 10).  Linux
		 * clears the flag by itself, hence every read. */
		if (n > 0 && f->sock)
			(void)setsockopt(f->fd, IPPROTO_TCP, TCP_QUICKACK,
			    &(int){ 1 }, sizeof(int));
#endif
		if (n > 0) {
			*got = (size_t)n;
			return 0;
		}
		if (n == 0)
			return xc_fail(XC_ENET, "the server closed the "
			    "connection");
		if (errno != EINTR && errno != EAGAIN)
			return xc_fail(XC_ENET, "cannot read from the server");
	}
}

static int
fd_write(xc_conn *c, const uint8_t *buf, size_t len)
{
	struct fdconn *f = (struct fdconn *)c;
	ssize_t n;
	int rc;

	while (len > 0) {
		if ((rc = wait_fd(c, f->fd, POLLOUT)) < 0)
			return rc;
		n = send(f->fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == ENOTSOCK)
			n = write(f->fd, buf, len);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return xc_fail(XC_ENET, "cannot write to the server");
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static void
fd_close(xc_conn *c)
{
	struct fdconn *f = (struct fdconn *)c;

	if (f == NULL)
		return;
	close(f->fd);
	free(f);
}

static int
is_tcp(int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	int type = 0;
	socklen_t tl = sizeof type;

	return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) == 0 &&
	    type == SOCK_STREAM && getsockname(fd, (struct sockaddr *)&ss,
	    &sl) == 0 && (ss.ss_family == AF_INET || ss.ss_family == AF_INET6);
}

int
xc_conn_fd(xc_conn **cp, int fd, const xc_net_opts *o)
{
	struct fdconn *f = calloc(1, sizeof *f);
	int fl;

	if (f == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	/* Non-blocking: a write to a server that reads nothing must not
	 * outlive the deadline either. */
	if ((fl = fcntl(fd, F_GETFL)) >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	f->fd = fd;
	f->sock = is_tcp(fd);
	f->c.read = fd_read;
	f->c.write = fd_write;
	f->c.close = fd_close;
	f->c.timeout_ms = o && o->timeout_ms > 0 ? o->timeout_ms : 30000;
	f->c.ctx = f;
	*cp = &f->c;
	return 0;
}

/* connect(2) with the timeout: non-blocking, then poll for writability. */
static int
connect_timeout(int fd, const struct sockaddr *sa, socklen_t len, int ms)
{
	struct pollfd p = { fd, POLLOUT, 0 };
	int err = 0, r;
	socklen_t el = sizeof err;

	if (fcntl(fd, F_SETFL, O_NONBLOCK) != 0)
		return -1;
	if (connect(fd, sa, len) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return -1;
	do
		r = poll(&p, 1, ms);
	while (r < 0 && errno == EINTR);
	if (r <= 0) {
		errno = r == 0 ? ETIMEDOUT : errno;
		return -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0)
		return -1;
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

/* The proxy's socket, from its numeric address: no resolver at all. */
static int
proxy_socket(const xc_url *p, int ms)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	uint8_t a[16];
	socklen_t len;
	int fam = xc_ip_literal(p->host, a), fd;
	uint16_t port = (uint16_t)strtoul(p->port, NULL, 10);

	memset(&ss, 0, sizeof ss);
	if (fam == 4) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		memcpy(&s4->sin_addr, a, 4);
		len = sizeof *s4;
	} else {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, a, 16);
		len = sizeof *s6;
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect_timeout(fd, (struct sockaddr *)&ss, len, ms) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
via_proxy(xc_conn **cp, const char *host, const char *port,
    const xc_net_opts *o, int ms)
{
	xc_url p;
	xc_conn *c;
	int fd, rc;

	if ((rc = xc_proxy_parse(&p, o->proxy)) < 0)
		return rc;
	if ((fd = proxy_socket(&p, ms)) < 0)
		return xc_fail(XC_ENET, "cannot connect to the proxy");
	if ((rc = xc_conn_fd(&c, fd, o)) < 0) {
		close(fd);
		return rc;
	}
	c->deadline = xc_monotonic_ms() + (o->response_ms > 0 ?
	    o->response_ms : 120000);
	if ((rc = xc_socks5_connect(c, host, port, o->purpose)) < 0) {
		c->close(c);
		return rc;
	}
	c->deadline = 0;
	*cp = c;
	return 0;
}

int
xc_conn_tcp(xc_conn **cp, const char *host, const char *port,
    const xc_net_opts *o)
{
	struct addrinfo hints, *res = NULL, *ai;
	int fd = -1, rc, ms = o && o->timeout_ms > 0 ? o->timeout_ms : 30000;

	if (o && o->proxy)
		return via_proxy(cp, host, port, o, ms);
	if (xc_host_is_onion(host))
		return xc_fail(XC_EINVAL, "an .onion server is reached "
		    "through Tor only (a socks5h:// proxy)");
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0)
		return xc_fail(XC_ENET, "cannot resolve the server's name");
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect_timeout(fd, ai->ai_addr, ai->ai_addrlen, ms) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return xc_fail(XC_ENET, "cannot connect to the server");
	if ((rc = xc_conn_fd(cp, fd, o)) < 0)
		close(fd);
	return rc;
}

int
xc_conn_open(xc_conn **cp, const xc_url *u, const xc_net_opts *o)
{
	xc_conn *c;
	int rc;

	xc_tls_forget();
	if ((rc = xc_conn_tcp(&c, u->host, u->port, o)) < 0)
		return rc;
	if (strcmp(u->scheme, "nntps") != 0) {
		*cp = c;
		return 0;
	}
	return xc_conn_tls(cp, c, u->host, o);
}
