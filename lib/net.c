/*
 * net.c - the connection layer of the network client: server URLs and byte
 * streams with deadlines.
 *
 * Everything the NNTP code reads or writes goes through an xc_conn, so that
 * TLS (a conn that wraps another) and SOCKS5h proxies (a conn that connects
 * through one, names resolved by the proxy) plug in here without touching
 * the protocol code.  Every wait is bounded twice: by the inactivity
 * timeout and by the deadline of the response being read, so a server that
 * drips one byte just before each timeout still ends within the deadline.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
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
xc_url_parse(xc_url *u, const char *s)
{
	const char *h, *e, *p = NULL;
	size_t n;
	int v6 = 0;

	memset(u, 0, sizeof *u);
	if (strncmp(s, "nntp://", 7) == 0)
		strcpy(u->scheme, "nntp");
	else if (strncmp(s, "nntps://", 8) == 0)
		return xc_fail(XC_EUNSUPPORTED, "nntps:// is not supported "
		    "yet");
	else
		return xc_fail(XC_EINVAL, "not a server URL (nntp://host"
		    "[:port])");
	h = s + 7;
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
		return xc_fail(XC_EINVAL, "bad host in server URL");
	memcpy(u->host, h, n);
	if (*e == ':') {
		char *end;
		unsigned long v;
		p = e + 1;
		if (*p < '0' || *p > '9')
			return xc_fail(XC_EINVAL, "bad port in server URL");
		v = strtoul(p, &end, 10);
		if (v == 0 || v > 65535 || end - p > 5)
			return xc_fail(XC_EINVAL, "bad port in server URL");
		memcpy(u->port, p, (size_t)(end - p));
		e = end;
	} else
		strcpy(u->port, "119");
	if (*e == '/')
		e++;
	if (*e != '\0')
		return xc_fail(XC_EINVAL, "server URL has a path");
	return 0;
}

/* ---- a connection over a file descriptor ---- */

struct fdconn {
	xc_conn c;
	int fd;
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

int
xc_conn_tcp(xc_conn **cp, const char *host, const char *port,
    const xc_net_opts *o)
{
	struct addrinfo hints, *res = NULL, *ai;
	int fd = -1, rc, ms = o && o->timeout_ms > 0 ? o->timeout_ms : 30000;

	if (o && o->proxy)
		return xc_fail(XC_EUNSUPPORTED, "proxies are not supported "
		    "yet");
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
