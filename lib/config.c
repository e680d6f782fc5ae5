/*
 * config.c - the configuration file of xc-send and xc-fetch (xc(7),
 * "Configuration"): where the spool is, which servers to use, how many
 * of them must take an envelope, how long to wait for one.  It lives in
 * ${XDG_CONFIG_HOME:-~/.config}/xc/config, apart from the keyring: a
 * keyring copied to another machine does not bring its spool and servers.
 * It was in the keyring before; that file is still read when the new one
 * is absent, and the programs say so.
 *
 * Strict on purpose: an unknown key, a key given twice or a value that
 * does not parse is an error naming its line, never skipped, so that a
 * setting written for a later version (a proxy, a pin) cannot be dropped
 * without a word by this one.  Server URLs are kept in one canonical form
 * so that two spellings of one server are one server (for the quorum, and
 * for the cursors of xc-fetch, which are keyed by it); so are pins and the
 * proxy.
 *
 * A pin belongs to one server, on that server's line ("server URL pin
 * SHA256:..."), never to the file as a whole: each node has a certificate
 * of its own, and a pin meant for one server must not become the only
 * certificate another is allowed to show.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xc.h"

int
xc_config_path(char out[XC_PATH_MAX])
{
	const char *x = getenv("XDG_CONFIG_HOME"), *h = getenv("HOME");
	int n;

	/* The XDG Base Directory rule: a relative XDG_CONFIG_HOME is
	 * ignored, as if unset. */
	if (x != NULL && *x == '/')
		n = snprintf(out, XC_PATH_MAX, "%s/xc/config", x);
	else if (h != NULL && *h)
		n = snprintf(out, XC_PATH_MAX, "%s/.config/xc/config", h);
	else
		return xc_fail(XC_EINVAL, "no config directory: set "
		    "XDG_CONFIG_HOME or HOME");
	if (n < 0 || n >= XC_PATH_MAX)
		return xc_fail(XC_EINVAL, "config path too long");
	return 0;
}

int
xc_config_old_path(char out[XC_PATH_MAX], const char *home)
{
	if (snprintf(out, XC_PATH_MAX, "%s/config", home) >= XC_PATH_MAX)
		return xc_fail(XC_EINVAL, "config path too long");
	return 0;
}

int
xc_config_quorum(const char *s, int *quorum)
{
	char *end;
	long v;

	if (strcmp(s, "all") == 0) {
		*quorum = XC_QUORUM_ALL;
		return 0;
	}
	if (*s < '1' || *s > '9')
		return -1;
	v = strtol(s, &end, 10);
	if (*end || v < 1 || v > XC_MAX_SERVERS)
		return -1;
	*quorum = (int)v;
	return 0;
}

int
xc_config_timeout(const char *s, int *seconds)
{
	char *end;
	long v;

	if (*s < '1' || *s > '9' || strlen(s) > 6)
		return -1;
	v = strtol(s, &end, 10);
	if (*end || v < 1 || v > XC_MAX_TIMEOUT)
		return -1;
	*seconds = (int)v;
	return 0;
}

int
xc_server_canon(char out[XC_URL_MAX], const char *url)
{
	xc_url u;
	size_t i;
	int rc;

	if ((rc = xc_url_parse(&u, url)) < 0)
		return rc;
	for (i = 0; u.host[i]; i++)
		if (u.host[i] >= 'A' && u.host[i] <= 'Z')
			u.host[i] = (char)(u.host[i] - 'A' + 'a');
	snprintf(out, XC_URL_MAX, strchr(u.host, ':') ? "%s://[%s]:%s" :
	    "%s://%s:%s", u.scheme, u.host, u.port);
	return 0;
}

int
xc_config_add_server(xc_config *cf, const char *url)
{
	char canon[XC_URL_MAX];
	size_t i;
	int rc;

	if ((rc = xc_server_canon(canon, url)) < 0)
		return rc;
	for (i = 0; i < cf->nserver; i++)
		if (strcmp(cf->server[i], canon) == 0)
			return xc_fail(XC_EEXIST, "a server given twice");
	if (cf->nserver == XC_MAX_SERVERS)
		return xc_fail(XC_ELIMIT, "too many servers");
	memcpy(cf->server[cf->nserver++], canon, sizeof canon);
	return 0;
}

int
xc_config_server_pin(xc_config *cf, size_t i, const char *pins)
{
	if (cf->pin[i][0])
		return xc_fail(XC_EEXIST, "pins given twice for one server");
	return xc_tls_pins_text(cf->pin[i], pins);
}

int
xc_server_tls_check(const char *url, const char *pin, int starttls)
{
	int tls = strncmp(url, "nntps:", 6) == 0;

	if (starttls && tls)
		return xc_fail(XC_EINVAL, "starttls is for nntp:// servers "
		    "(nntps:// is TLS from the first byte)");
	if (pin[0] && !tls && !starttls)
		return xc_fail(XC_EINVAL, "a pin needs TLS: an nntps:// "
		    "server, or starttls");
	return 0;
}

int
xc_config_server_check(const xc_config *cf, size_t i)
{
	return xc_server_tls_check(cf->server[i], cf->pin[i],
	    cf->starttls[i]);
}

int
xc_config_proxy(xc_config *cf, const char *url)
{
	xc_url u;
	int rc;

	if (cf->proxy[0])
		return xc_fail(XC_EEXIST, "proxy given twice");
	if ((rc = xc_proxy_parse(&u, url)) < 0)
		return rc;
	snprintf(cf->proxy, sizeof cf->proxy, strchr(u.host, ':') ?
	    "%s://[%s]:%s" : "%s://%s:%s", u.scheme, u.host, u.port);
	return 0;
}

/* The words of a value, split at spaces and tabs (in place). */
static size_t
words(char *s, char *w[], size_t max)
{
	size_t n = 0;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			*s++ = '\0';
		if (*s == '\0' || n == max)
			return *s ? max + 1 : n;
		w[n++] = s;
		while (*s && *s != ' ' && *s != '\t')
			s++;
	}
}

/* "server URL [pin PINS] [starttls]". */
static int
server_line(xc_config *cf, char *value)
{
	char *w[8];
	size_t n = words(value, w, 8), k, i;
	int rc;

	if (n > 8)
		return xc_fail(XC_EINVAL, "too many words after the server");
	if ((rc = xc_config_add_server(cf, w[0])) < 0)
		return xc_fail(XC_EINVAL, rc == XC_EINVAL ? "not a server URL "
		    "(nntp://host[:port] or nntps://host[:port])" :
		    xc_errdetail());
	i = cf->nserver - 1;
	for (k = 1; k < n; k++) {
		if (strcmp(w[k], "starttls") == 0 && !cf->starttls[i])
			cf->starttls[i] = 1;
		else if (strcmp(w[k], "pin") == 0 && k + 1 < n) {
			if ((rc = xc_config_server_pin(cf, i, w[++k])) < 0)
				return xc_fail(XC_EINVAL, xc_errdetail());
		} else
			return xc_fail(XC_EINVAL, "after the server's URL: "
			    "\"pin SHA256:...\" and \"starttls\", once each");
	}
	return xc_config_server_check(cf, i);
}

/* One "KEY VALUE" line (without its newline, spaces around trimmed). */
static int
setting(xc_config *cf, const char *l, size_t n)
{
	char key[16], value[XC_PATH_MAX];
	size_t k = 0, v;
	int rc;

	while (k < n && l[k] != ' ' && l[k] != '\t')
		k++;
	for (v = k; v < n && (l[v] == ' ' || l[v] == '\t'); v++)
		;
	if (k >= sizeof key)
		return xc_fail(XC_EINVAL, "unknown setting");
	memcpy(key, l, k);
	key[k] = '\0';
	if (strcmp(key, "spool") && strcmp(key, "server") &&
	    strcmp(key, "quorum") && strcmp(key, "timeout") &&
	    strcmp(key, "proxy"))
		return xc_fail(XC_EINVAL, "unknown setting");
	if (v == n)
		return xc_fail(XC_EINVAL, "a setting without a value");
	if (n - v >= sizeof value)
		return xc_fail(XC_EINVAL, "value too long");
	memcpy(value, l + v, n - v);
	value[n - v] = '\0';
	if (strcmp(key, "spool") == 0) {
		if (cf->spool[0])
			return xc_fail(XC_EINVAL, "spool given twice");
		memcpy(cf->spool, value, n - v + 1);
	} else if (strcmp(key, "server") == 0) {
		if ((rc = server_line(cf, value)) < 0)
			return rc;
	} else if (strcmp(key, "proxy") == 0) {
		if ((rc = xc_config_proxy(cf, value)) < 0)
			return xc_fail(XC_EINVAL, xc_errdetail());
	} else if (strcmp(key, "quorum") == 0) {
		if (cf->quorum)
			return xc_fail(XC_EINVAL, "quorum given twice");
		if (xc_config_quorum(value, &cf->quorum) < 0)
			return xc_fail(XC_EINVAL, "quorum is a number of "
			    "servers (1-16) or \"all\"");
	} else {
		if (cf->timeout)
			return xc_fail(XC_EINVAL, "timeout given twice");
		if (xc_config_timeout(value, &cf->timeout) < 0)
			return xc_fail(XC_EINVAL, "timeout is a number of "
			    "seconds (1-3600)");
	}
	return 0;
}

int
xc_config_parse(xc_config *cf, const char *text, size_t len, size_t *line)
{
	const char *l = text, *end = text + len;
	int rc;

	const char *nul = memchr(text, '\0', len);

	memset(cf, 0, sizeof *cf);
	*line = 0;
	if (nul != NULL) {
		for (*line = 1; l < nul; l++)
			*line += *l == '\n';
		return xc_fail(XC_EINVAL, "a NUL byte");
	}
	while (l < end) {
		const char *nl = memchr(l, '\n', (size_t)(end - l));
		size_t n = nl ? (size_t)(nl - l) : (size_t)(end - l), s = 0;

		++*line;
		/* Spaces, tabs and a CR (an editor's) around are not part of
		 * a value. */
		while (s < n && (l[s] == ' ' || l[s] == '\t'))
			s++;
		while (n > s && (l[n - 1] == ' ' || l[n - 1] == '\t' ||
		    l[n - 1] == '\r'))
			n--;
		if (n > s && l[s] != '#' &&
		    (rc = setting(cf, l + s, n - s)) < 0)
			return rc;
		l = nl ? nl + 1 : end;
	}
	*line = 0;
	return 0;
}

/* Opens path: 1 and *fd if it is there, 0 if it is not. */
static int
config_open(const char *path, int *fd)
{
	/* A symbolic link is followed: dotfile managers make them, and the
	 * file is the user's own, not a secret. */
	if ((*fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) >= 0)
		return 1;
	return errno == ENOENT || errno == ENOTDIR ? 0 : xc_fail(XC_EREAD,
	    "cannot open the config");
}

int
xc_config_load(xc_config *cf, const char *home, char path[XC_PATH_MAX],
    size_t *line, int *old)
{
	char was[XC_PATH_MAX];
	struct stat sb;
	char *buf;
	size_t len;
	int fd = -1, rc;

	memset(cf, 0, sizeof *cf);
	*line = 0;
	*old = 0;
	path[0] = '\0';
	if ((rc = xc_config_old_path(was, home)) < 0)
		return rc;
	/* Without HOME nor XDG_CONFIG_HOME there is only the old place. */
	if ((rc = xc_config_path(path)) < 0)
		path[0] = '\0';
	else if ((rc = config_open(path, &fd)) < 0)
		return rc;
	if (fd < 0) {
		/* Where the config was before: read, so that nothing set
		 * there is lost, and said by the caller. */
		if ((rc = config_open(was, &fd)) <= 0)
			return rc;
		memcpy(path, was, XC_PATH_MAX);
		*old = 1;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		errno = EINVAL;
		return xc_fail(XC_EREAD, "the config is not a regular file");
	}
	rc = xc_fd_slurp(fd, XC_MAX_CONFIG, &buf, &len);
	close(fd);
	if (rc == XC_ELIMIT)
		return xc_fail(rc, "the config is larger than 64 KiB");
	if (rc < 0)
		return rc;
	rc = xc_config_parse(cf, buf, len, line);
	free(buf);
	return rc;
}
