/*
 * keyring.c - $XC_HOME on disk: where it is, how files get there, and own
 * identities.
 *
 * Rules: directories are 0700; secret files are 0600 and never replaced
 * (link(2) of a finished temp file, so an existing name is never touched);
 * every file appears whole or not at all (temp file in the same directory,
 * write, fsync, link or rename, fsync of the directory); secret files are
 * read without following symlinks and refused when others may access them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "xc.h"

int
xc_home(char out[XC_PATH_MAX], const char *opt)
{
	const char *e;
	int n;

	if (opt != NULL && *opt)
		n = snprintf(out, XC_PATH_MAX, "%s", opt);
	else if ((e = getenv("XC_HOME")) != NULL && *e)
		n = snprintf(out, XC_PATH_MAX, "%s", e);
	else if ((e = getenv("XDG_DATA_HOME")) != NULL && *e == '/')
		n = snprintf(out, XC_PATH_MAX, "%s/xc", e);
	else if ((e = getenv("HOME")) != NULL && *e)
		n = snprintf(out, XC_PATH_MAX, "%s/.local/share/xc", e);
	else
		return xc_fail(XC_EINVAL, "no home: set XC_HOME or HOME");
	if (n < 0 || n >= XC_PATH_MAX)
		return xc_fail(XC_EINVAL, "home path too long");
	return 0;
}

int
xc_mkdirs(const char *dir)
{
	char p[XC_PATH_MAX];
	struct stat sb;
	size_t i, n = strlen(dir);

	if (n == 0 || n >= sizeof p)
		return xc_fail(XC_EINVAL, "bad directory path");
	memcpy(p, dir, n + 1);
	for (i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		p[i] = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST)
			return xc_fail(XC_EWRITE, "cannot create a directory");
		p[i] = i < n ? '/' : '\0';
	}
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		errno = ENOTDIR;
		return xc_fail(XC_EWRITE, "not a directory");
	}
	return 0;
}

static int
fsync_dir(const char *path)
{
	char d[XC_PATH_MAX];
	char *slash;
	int fd, rc = 0;

	snprintf(d, sizeof d, "%s", path);
	slash = strrchr(d, '/');
	if (slash == NULL)
		snprintf(d, sizeof d, ".");
	else if (slash == d)
		d[1] = '\0';
	else
		*slash = '\0';
	if ((fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return xc_fail(XC_EWRITE, "cannot open a directory to sync it");
	if (fsync(fd) != 0)
		rc = xc_fail(XC_EWRITE, "cannot sync a directory");
	close(fd);
	return rc;
}

int
xc_write_file(const char *path, const void *buf, size_t len, unsigned mode,
    int excl)
{
	char tmp[XC_PATH_MAX], rnd[17];
	uint8_t r[8];
	const char *slash = strrchr(path, '/');
	size_t dlen = slash ? (size_t)(slash - path) + 1 : 0, off = 0;
	int fd, rc = 0, saved;

	randombytes_buf(r, sizeof r);
	sodium_bin2hex(rnd, sizeof rnd, r, sizeof r);
	if (snprintf(tmp, sizeof tmp, "%.*s.tmp-%s", (int)dlen, path, rnd) >=
	    (int)sizeof tmp)
		return xc_fail(XC_EINVAL, "path too long");
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, (mode_t)mode)) < 0)
		return xc_fail(XC_EWRITE, "cannot create a file");
	if (fchmod(fd, (mode_t)mode) != 0)
		rc = xc_fail(XC_EWRITE, "cannot set a file's mode");
	while (rc == 0 && off < len) {
		ssize_t w = write(fd, (const char *)buf + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			rc = xc_fail(XC_EWRITE, "cannot write a file");
		else
			off += (size_t)w;
	}
	if (rc == 0 && fsync(fd) != 0)
		rc = xc_fail(XC_EWRITE, "cannot sync a file");
	if (close(fd) != 0 && rc == 0)
		rc = xc_fail(XC_EWRITE, "cannot write a file");
	if (rc == 0) {
		if (excl ? link(tmp, path) != 0 : rename(tmp, path) != 0)
			rc = errno == EEXIST ? xc_fail(XC_EEXIST,
			    "file exists") : xc_fail(XC_EWRITE,
			    "cannot put a file in place");
	}
	saved = errno;
	unlink(tmp);	/* after link(), or after a failure */
	errno = saved;
	if (rc == 0)
		rc = fsync_dir(path);
	return rc;
}

int
xc_read_file(const char *path, size_t cap, int secret, char **bufp,
    size_t *lenp)
{
	struct stat sb;
	char *buf = NULL;
	size_t len = 0, alloc;
	int fd, rc = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | (secret ? O_NOFOLLOW :
	    0))) < 0) {
		if (errno == ELOOP)
			return xc_fail(XC_EINSECURE,
			    "a secret file must not be a symlink");
		return xc_fail(errno == ENOENT ? XC_ENOTFOUND : XC_EREAD,
		    "cannot open a file");
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		rc = xc_fail(XC_EREAD, "not a regular file");
		goto out;
	}
	if (secret && (sb.st_mode & 077) != 0) {
		rc = xc_fail(XC_EINSECURE,
		    "a secret file is accessible by group or others");
		goto out;
	}
	if ((size_t)sb.st_size > cap) {
		rc = xc_fail(XC_ELIMIT, "file too large");
		goto out;
	}
	alloc = (size_t)sb.st_size + 1;
	if ((buf = sodium_malloc(alloc)) == NULL) {
		rc = xc_fail(XC_ENOMEM, "out of memory");
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, alloc - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = xc_fail(XC_EREAD, "cannot read a file");
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == alloc) {
			rc = xc_fail(XC_EREAD, "file changed while read");
			break;
		}
	}
	if (rc < 0) {
		sodium_free(buf);
		goto out;
	}
	*bufp = buf;
	*lenp = len;
out:
	close(fd);
	return rc;
}

/* ---- own identities ---- */

static int
path_of(char out[XC_PATH_MAX], const char *home, const char *handle,
    const char *file)
{
	int n = snprintf(out, XC_PATH_MAX, "%s/ids/%s%s%s", home, handle,
	    file ? "/" : "", file ? file : "");

	if (n < 0 || n >= XC_PATH_MAX)
		return xc_fail(XC_EINVAL, "path too long");
	return 0;
}

static void
stamp(char out[32], int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Removes what a failed creation left, so that it can be retried. */
static void
undo(const char *home, const char *handle)
{
	static const char *const files[] = { "card", "card-1", "enc-1.key",
	    "identity.key", NULL };
	char p[XC_PATH_MAX];
	size_t i;

	for (i = 0; files[i]; i++)
		if (path_of(p, home, handle, files[i]) == 0)
			unlink(p);
	if (path_of(p, home, handle, NULL) == 0)
		rmdir(p);
}

int
xc_identity_create(const char *home, const char *handle, int64_t now,
    char **cardp, size_t *cardlen)
{
	char p[XC_PATH_MAX], when[32];
	char *text = NULL, *card = NULL;
	uint8_t *seed = NULL, *esk = NULL, sk64[64];
	size_t n, clen;
	xc_card c;
	int rc, made = 0;

	memset(&c, 0, sizeof c);
	if ((rc = xc_handle_norm(c.handle, handle, strlen(handle))) < 0)
		return rc;
	if ((rc = path_of(p, home, "", NULL)) < 0 ||
	    (rc = xc_mkdirs(p)) < 0 ||
	    (rc = path_of(p, home, c.handle, NULL)) < 0)
		return rc;
	/* mkdir is the lock: two creators of one handle cannot both win. */
	if (mkdir(p, 0700) != 0)
		return errno == EEXIST ? xc_fail(XC_EEXIST,
		    "an identity with this handle exists") :
		    xc_fail(XC_EWRITE, "cannot create a directory");
	made = 1;
	seed = sodium_malloc(32);
	esk = sodium_malloc(32);
	text = sodium_malloc(512);
	if (seed == NULL || esk == NULL || text == NULL) {
		rc = xc_fail(XC_ENOMEM, "out of memory");
		goto out;
	}
	randombytes_buf(seed, 32);
	crypto_sign_seed_keypair(c.ik, sk64, seed);
	sodium_memzero(sk64, sizeof sk64);
	xc_x25519_keygen(c.enc[0].pk, esk);
	c.nenc = 1;
	c.enc[0].from = now;
	c.enc[0].until = now + (int64_t)XC_DEFAULT_KEY_DAYS * 86400;
	c.tag_bits = XC_DEFAULT_TAG_BITS;
	c.created = now;
	c.expires = c.enc[0].until;
	c.seq = 1;
	stamp(when, now);

	/* The identity key: bech32 like age's keys, in its own file. */
	n = (size_t)snprintf(text, 512, "# xc identity key of @%s, created %s"
	    "\n", c.handle, when);
	if ((rc = xc_bech32_encode(text + n, 512 - n, XC_IDENTITY_HRP, seed,
	    32)) < 0)
		goto out;
	strcat(text, "\n");
	if ((rc = path_of(p, home, c.handle, "identity.key")) < 0 ||
	    (rc = xc_write_file(p, text, strlen(text), 0600, 1)) < 0)
		goto out;

	/* The encryption key: an age identity file (age -d -i works). */
	if ((rc = xc_age_identity_file(text, 512, esk, now)) < 0)
		goto out;
	if ((rc = path_of(p, home, c.handle, "enc-1.key")) < 0 ||
	    (rc = xc_write_file(p, text, strlen(text), 0600, 1)) < 0)
		goto out;

	if ((rc = xc_card_sign(&c, seed, &card, &clen)) < 0 ||
	    (rc = path_of(p, home, c.handle, "card-1")) < 0 ||
	    (rc = xc_write_file(p, card, clen, 0644, 1)) < 0 ||
	    (rc = path_of(p, home, c.handle, "card")) < 0 ||
	    (rc = xc_write_file(p, card, clen, 0644, 0)) < 0)
		goto out;
	*cardp = card;
	*cardlen = clen;
	card = NULL;
out:
	if (rc < 0 && made)
		undo(home, c.handle);
	free(card);
	sodium_free(seed);
	sodium_free(esk);
	sodium_free(text);
	return rc;
}

int
xc_identity_card(const char *home, const char *handle, char **cardp,
    size_t *cardlen)
{
	char p[XC_PATH_MAX], h[XC_HANDLE_MAX + 1], *buf;
	size_t len;
	int rc;

	if ((rc = xc_handle_norm(h, handle, strlen(handle))) < 0 ||
	    (rc = path_of(p, home, h, "card")) < 0)
		return rc;
	if ((rc = xc_read_file(p, XC_MAX_CARD, 0, &buf, &len)) < 0)
		return rc == XC_ENOTFOUND ? xc_fail(XC_ENOTFOUND,
		    "no identity with this handle") : rc;
	if ((*cardp = malloc(len + 1)) == NULL) {
		sodium_free(buf);
		return xc_fail(XC_ENOMEM, "out of memory");
	}
	memcpy(*cardp, buf, len);
	*cardlen = len;
	sodium_free(buf);
	return 0;
}
