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
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
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


/* New directories are synced into their parents: a crash must not lose
 * the directory that synced files were written into. */
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
		if (mkdir(p, 0700) == 0) {
			int rc = xc_fsync_parent(p);
			if (rc < 0)
				return rc;
		} else if (errno != EEXIST)
			return xc_fail(XC_EWRITE, "cannot create a directory");
		p[i] = i < n ? '/' : '\0';
	}
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		errno = ENOTDIR;
		return xc_fail(XC_EWRITE, "not a directory");
	}
	return 0;
}

int
xc_fsync_parent(const char *path)
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

/* The file layer of lib/dirio.c under the directory that holds path: the
 * directories of the path are the caller's, the file itself is never
 * reached through a link, and its temporary file is registered for
 * signal handlers and locked for sweeps. */
static int
parent_of(const char *path, const char **base)
{
	char d[XC_PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd;

	if (slash == NULL) {
		*base = path;
		snprintf(d, sizeof d, ".");
	} else {
		*base = slash + 1;
		if (snprintf(d, sizeof d, "%.*s", slash == path ? 1 :
		    (int)(slash - path), path) >= (int)sizeof d)
			return xc_fail(XC_EINVAL, "path too long");
	}
	if ((fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return xc_fail(XC_EWRITE, "cannot open a directory");
	return fd;
}

int
xc_write_file(const char *path, const void *buf, size_t len, unsigned mode,
    int excl)
{
	const char *base;
	int dfd, rc;

	if ((dfd = parent_of(path, &base)) < 0)
		return dfd;
	rc = xc_dir_write_file(dfd, base, buf, len, mode, excl);
	close(dfd);
	return rc;
}

/* Never through a link, never blocking on a FIFO: regular files only. */
int
xc_read_file(const char *path, size_t cap, int secret, char **bufp,
    size_t *lenp)
{
	struct stat sb;
	char *buf = NULL;
	size_t len = 0, alloc;
	int fd, rc = 0;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC))
	    < 0) {
		if (errno == ELOOP)
			return xc_fail(XC_EINSECURE, secret ?
			    "a secret file must not be a symlink" :
			    "a symbolic link: not followed");
		return xc_fail(errno == ENOENT ? XC_ENOTFOUND : XC_EREAD,
		    "cannot open a file");
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    fcntl(fd, F_SETFL, 0) != 0) {
		errno = EINVAL;
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

/* ---- secret files ---- */

struct sbuf {
	char *p;
	size_t len, cap;
};

static int
sbuf_write(void *ctx, const uint8_t *b, size_t n)
{
	struct sbuf *s = ctx;

	if (n > s->cap - s->len)
		return xc_fail(XC_ELIMIT, "secret file too large");
	memcpy(s->p + s->len, b, n);
	s->len += n;
	return 0;
}

static int
is_age(const char *p, size_t n)
{
	return (n >= 19 && memcmp(p, "age-encryption.org/", 19) == 0) ||
	    (n >= 27 && memcmp(p, "-----BEGIN AGE ENCRYPTED FILE", 27) == 0);
}

int
xc_secret_write(const char *path, const char *text, size_t len,
    const char *pw, size_t pwlen)
{
	xc_rcpts *r;
	struct sbuf ct;
	xc_memrd m = { (const uint8_t *)text, len, 0 };
	int rc;

	if (pw == NULL)
		return xc_write_file(path, text, len, 0600, 1);
	ct.len = 0;
	ct.cap = len + 1024;	/* header + one chunk's tag */
	if ((ct.p = malloc(ct.cap)) == NULL || (r = xc_rcpts_new()) == NULL) {
		free(ct.p);
		return xc_fail(XC_ENOMEM, "out of memory");
	}
	if ((rc = xc_rcpts_set_passphrase(r, pw, pwlen,
	    XC_DEFAULT_SCRYPT_LOGN)) == 0 &&
	    (rc = xc_age_encrypt((xc_rd){ xc_mem_read, &m },
	    (xc_wr){ sbuf_write, &ct }, r, 0)) == 0)
		rc = xc_write_file(path, ct.p, ct.len, 0600, 1);
	xc_rcpts_free(r);
	free(ct.p);
	return rc;
}

int
xc_secret_locked(const char *path)
{
	char *buf;
	size_t len;
	int rc;

	if ((rc = xc_read_file(path, XC_MAX_KEYFILE, 1, &buf, &len)) < 0)
		return rc;
	rc = is_age(buf, len);
	sodium_free(buf);
	return rc;
}

int
xc_secret_read(const char *path, const char *pw, size_t pwlen, char **bufp,
    size_t *lenp)
{
	struct sbuf pt;
	xc_memrd m;
	xc_ids *ids;
	char *raw;
	size_t rawlen;
	int rc;

	if ((rc = xc_read_file(path, XC_MAX_KEYFILE, 1, &raw, &rawlen)) < 0)
		return rc;
	if (!is_age(raw, rawlen)) {
		*bufp = raw;
		*lenp = rawlen;
		return 0;
	}
	if (pw == NULL) {
		sodium_free(raw);
		return xc_fail(XC_ELOCKED, "the key is protected by a passphrase");
	}
	pt.len = 0;
	pt.cap = rawlen;	/* the plaintext is shorter than the file */
	m.p = (const uint8_t *)raw;
	m.len = rawlen;
	m.off = 0;
	if ((pt.p = sodium_malloc(pt.cap + 1)) == NULL ||
	    (ids = xc_ids_new()) == NULL) {
		sodium_free(pt.p);
		sodium_free(raw);
		return xc_fail(XC_ENOMEM, "out of memory");
	}
	if ((rc = xc_ids_add_passphrase(ids, pw, pwlen)) == 0)
		rc = xc_age_decrypt((xc_rd){ xc_mem_read, &m },
		    (xc_wr){ sbuf_write, &pt }, ids);
	xc_ids_free(ids);
	sodium_free(raw);
	if (rc < 0) {
		sodium_free(pt.p);
		return rc == XC_ENOMATCH ? xc_fail(XC_ENOMATCH,
		    "wrong passphrase") : rc;
	}
	pt.p[pt.len] = '\0';
	*bufp = pt.p;
	*lenp = pt.len;
	return 0;
}

/* ---- own identities ---- */

/* HOME/KIND/NAME[/FILE], KIND being "ids", "contacts", "strangers"... */
int
xc_keyring_path(char out[XC_PATH_MAX], const char *home, const char *kind,
    const char *name, const char *file)
{
	int n = snprintf(out, XC_PATH_MAX, "%s/%s/%s%s%s", home, kind, name,
	    file ? "/" : "", file ? file : "");

	if (n < 0 || n >= XC_PATH_MAX)
		return xc_fail(XC_EINVAL, "path too long");
	return 0;
}

#define path_of(out, home, handle, file) \
	xc_keyring_path(out, home, "ids", handle, file)

int
xc_lock(const char *path, int wait, int *fd)
{
	return xc_lock_at(AT_FDCWD, path, wait, fd);
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
    int tag_bits, const xc_card_reach *reach, size_t nreach, const char *pw,
    size_t pwlen, char **cardp, size_t *cardlen)
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
	if (tag_bits > XC_MAX_TAG_BITS)
		return xc_fail(XC_EINVAL, "tag bits out of range");
	if (nreach > XC_MAX_REACH)
		return xc_fail(XC_EINVAL, "too many servers to list");
	if (nreach)
		memcpy(c.reach, reach, nreach * sizeof *reach);
	c.nreach = nreach;
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
	if ((rc = xc_fsync_parent(p)) < 0)
		goto out;
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
	c.tag_bits = tag_bits < 0 ? XC_DEFAULT_TAG_BITS : tag_bits;
	c.created = now;
	c.expires = c.enc[0].until;
	c.seq = 1;
	xc_utc(when, now, 1);

	/* The identity key: bech32 like age's keys, in its own file. */
	n = (size_t)snprintf(text, 512, "# xc identity key of @%s, created %s"
	    "\n", c.handle, when);
	if ((rc = xc_bech32_encode(text + n, 512 - n, XC_IDENTITY_HRP, seed,
	    32)) < 0)
		goto out;
	strcat(text, "\n");
	if ((rc = path_of(p, home, c.handle, "identity.key")) < 0 ||
	    (rc = xc_secret_write(p, text, strlen(text), pw, pwlen)) < 0)
		goto out;

	/* The encryption key: an age identity file (age -d -i works). */
	if ((rc = xc_age_identity_file(text, 512, esk, now)) < 0)
		goto out;
	if ((rc = path_of(p, home, c.handle, "enc-1.key")) < 0 ||
	    (rc = xc_secret_write(p, text, strlen(text), pw, pwlen)) < 0)
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
	if (rc < 0 && made) {
		int saved = errno;	/* the cause, not undo's ENOENTs */
		undo(home, c.handle);
		errno = saved;
	}
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
	(*cardp)[len] = '\0';
	*cardlen = len;
	sodium_free(buf);
	return 0;
}

int
xc_identity_get(const char *home, const char *handle, xc_card *c)
{
	char *card;
	size_t len;
	int rc;

	if ((rc = xc_identity_card(home, handle, &card, &len)) < 0)
		return rc;
	rc = xc_card_parse(c, card, len);
	free(card);
	return rc;
}

/* The 32-byte seed from an identity key file's text. */
static int
parse_identity(uint8_t *seed, const char *text, size_t len)
{
	const char *l = text, *end = text + len;
	char hrp[32];
	uint8_t d[40];
	size_t n;

	while (l < end) {
		const char *e = memchr(l, '\n', (size_t)(end - l));
		size_t ll = e ? (size_t)(e - l) : (size_t)(end - l);
		if (ll > 0 && l[0] != '#') {
			int rc = xc_bech32_decode(hrp, sizeof hrp, d, sizeof d,
			    &n, l, ll);
			if (rc == 0 && (strcmp(hrp, "xc-identity-key-") != 0 ||
			    n != 32))
				rc = xc_fail(XC_EKEY, "not an xc identity key");
			if (rc == 0)
				memcpy(seed, d, 32);
			sodium_memzero(d, sizeof d);
			return rc;
		}
		l += ll + 1;
	}
	return xc_fail(XC_EKEY, "no identity key in the file");
}

static int set_grace(const char *, const char *, int64_t);
static void wipe(const char *);

static int
lock_identity(const char *home, const char *handle, int *fd)
{
	char p[XC_PATH_MAX];
	int rc;

	if ((rc = path_of(p, home, handle, "lock")) < 0)
		return rc;
	return xc_lock(p, 1, fd);
}

int
xc_identity_rotate(const char *home, const char *handle, int64_t now,
    int64_t grace, int tag_bits, const xc_card_reach *reach, size_t nreach,
    const char *pw, size_t pwlen, char **cardp, size_t *cardlen)
{
	char p[XC_PATH_MAX], name[32], h[XC_HANDLE_MAX + 1];
	char *text = NULL, *card = NULL, *idtext = NULL;
	uint8_t *seed = NULL, *esk = NULL, pk[32], sk64[64];
	size_t clen, idlen;
	xc_card old, c;
	int rc, lockfd = -1, locked;

	if ((rc = xc_handle_norm(h, handle, strlen(handle))) < 0)
		return rc;
	if (tag_bits > XC_MAX_TAG_BITS)
		return xc_fail(XC_EINVAL, "tag bits out of range");
	if (reach && nreach > XC_MAX_REACH)
		return xc_fail(XC_EINVAL, "too many servers to list");
	if ((rc = path_of(p, home, h, "card")) < 0)
		return rc;
	if (access(p, F_OK) != 0)
		return xc_fail(XC_ENOTFOUND, "no identity with this handle");
	if ((rc = lock_identity(home, h, &lockfd)) < 0)
		return rc;
	seed = sodium_malloc(32);
	esk = sodium_malloc(32);
	text = sodium_malloc(512);
	if (seed == NULL || esk == NULL || text == NULL) {
		rc = xc_fail(XC_ENOMEM, "out of memory");
		goto out;
	}
	/* Under the lock, the current card is the one to follow. */
	if ((rc = xc_identity_get(home, h, &old)) < 0)
		goto out;
	if ((rc = path_of(p, home, h, "identity.key")) < 0 ||
	    (rc = locked = xc_secret_locked(p)) < 0 ||
	    (rc = xc_secret_read(p, pw, pwlen, &idtext, &idlen)) < 0 ||
	    (rc = parse_identity(seed, idtext, idlen)) < 0)
		goto out;
	crypto_sign_seed_keypair(pk, sk64, seed);
	sodium_memzero(sk64, sizeof sk64);
	if (sodium_memcmp(pk, old.ik, 32) != 0) {
		rc = xc_fail(XC_EKEY, "identity key does not match the card");
		goto out;
	}
	/* Files of a rotation that crashed before its commit (the rename of
	 * "card") are debris: nobody has seen them. */
	snprintf(name, sizeof name, "card-%llu",
	    (unsigned long long)old.seq + 1);
	if (path_of(p, home, h, name) == 0)
		unlink(p);
	snprintf(name, sizeof name, "enc-%llu.key",
	    (unsigned long long)old.seq + 1);
	if (path_of(p, home, h, name) == 0)
		wipe(p);

	memset(&c, 0, sizeof c);
	memcpy(c.handle, old.handle, sizeof c.handle);
	memcpy(c.ik, old.ik, 32);
	xc_x25519_keygen(c.enc[0].pk, esk);
	c.nenc = 1;
	c.enc[0].from = now;
	c.enc[0].until = now + (int64_t)XC_DEFAULT_KEY_DAYS * 86400;
	c.tag_bits = tag_bits < 0 ? old.tag_bits : tag_bits;
	if (reach == NULL)
		nreach = old.nreach, reach = old.reach;
	if (nreach)
		memcpy(c.reach, reach, nreach * sizeof *reach);
	c.nreach = nreach;
	c.created = now;
	c.expires = c.enc[0].until;
	c.seq = old.seq + 1;
	c.has_prev = 1;
	memcpy(c.prev, old.hash, 32);
	/* The grace period is recorded before the commit: the sweep finds
	 * the retired key from the chain and needs nothing written after. */
	if (grace >= 0 && (rc = set_grace(home, h, grace)) < 0)
		goto out;
	if ((rc = xc_age_identity_file(text, 512, esk, now)) < 0 ||
	    (rc = path_of(p, home, h, name)) < 0 ||
	    (rc = xc_secret_write(p, text, strlen(text), locked ? pw : NULL,
	    pwlen)) < 0)
		goto out;
	snprintf(name, sizeof name, "card-%llu", (unsigned long long)c.seq);
	if ((rc = xc_card_sign(&c, seed, &card, &clen)) < 0 ||
	    (rc = path_of(p, home, h, name)) < 0 ||
	    (rc = xc_write_file(p, card, clen, 0644, 1)) < 0 ||
	    (rc = path_of(p, home, h, "card")) < 0 ||
	    (rc = xc_write_file(p, card, clen, 0644, 0)) < 0)
		goto out;
	/* Committed.  The old key opens mail in flight until the sweep finds
	 * its grace period over. */
	*cardp = card;
	*cardlen = clen;
	card = NULL;
out:
	if (lockfd >= 0)
		close(lockfd);	/* releases the lock */
	free(card);
	sodium_free(idtext);
	sodium_free(seed);
	sodium_free(esk);
	sodium_free(text);
	return rc;
}

/* Overwrites a key file before unlinking it.  On journaling, copy-on-write
 * and flash storage the old blocks may survive; xc(7) says so. */
static void
wipe(const char *path)
{
	struct stat sb;
	char zero[512];
	int fd;

	memset(zero, 0, sizeof zero);
	if ((fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)) >= 0) {
		if (fstat(fd, &sb) == 0) {
			off_t left = sb.st_size;
			while (left > 0) {
				size_t n = left < (off_t)sizeof zero ?
				    (size_t)left : sizeof zero;
				if (write(fd, zero, n) <= 0)
					break;
				left -= (off_t)n;
			}
			fsync(fd);
		}
		close(fd);
	}
	unlink(path);
}

/* The grace period: "grace" holds seconds, when not the default. */
static int
set_grace(const char *home, const char *h, int64_t grace)
{
	char p[XC_PATH_MAX], text[32];
	int n;

	if (grace == xc_identity_grace(home, h))
		return 0;
	if (path_of(p, home, h, "grace") < 0)
		return xc_fail(XC_EINVAL, "path too long");
	n = snprintf(text, sizeof text, "%lld\n", (long long)grace);
	return xc_write_file(p, text, (size_t)n, 0600, 0);
}

int64_t
xc_identity_grace(const char *home, const char *handle)
{
	char p[XC_PATH_MAX], *buf, *end;
	long long v;
	size_t len;
	int64_t grace = (int64_t)XC_DEFAULT_GRACE_DAYS * 86400;

	if (path_of(p, home, handle, "grace") == 0 &&
	    xc_read_file(p, 64, 0, &buf, &len) == 0) {
		buf[len] = '\0';	/* xc_read_file leaves a spare byte */
		v = strtoll(buf, &end, 10);
		if (end != buf && *end == '\n' && v >= 0 &&
		    v <= 3650LL * 86400)
			grace = (int64_t)v;
		sodium_free(buf);
	}
	return grace;
}

/* The created time of card-N, or -1. */
static int64_t
card_created(const char *home, const char *h, uint64_t n)
{
	char p[XC_PATH_MAX], name[32], *buf;
	size_t len;
	xc_card c;
	int rc;

	snprintf(name, sizeof name, "card-%llu", (unsigned long long)n);
	if (path_of(p, home, h, name) < 0 ||
	    xc_read_file(p, XC_MAX_CARD, 0, &buf, &len) < 0)
		return -1;
	rc = xc_card_parse(&c, buf, len);
	sodium_free(buf);
	return rc == 0 ? c.created : -1;
}

int
xc_identity_sweep(const char *home, const char *handle, int64_t now)
{
	char p[XC_PATH_MAX], name[32];
	struct dirent *e;
	xc_card cur;
	int64_t grace, retired;
	uint64_t n, k;
	DIR *d;
	int rc, lockfd;

	/* The current key is never wiped: with one key file there is
	 * nothing to do, and no lock or card to read (every open asks). */
	if ((rc = path_of(p, home, handle, NULL)) < 0)
		return rc;
	if ((d = opendir(p)) == NULL)
		return xc_fail(XC_EREAD, "cannot read an identity's directory");
	n = 0;
	while ((e = readdir(d)) != NULL && n < 2)
		if (strncmp(e->d_name, "enc-", 4) == 0)
			n++;
		else if (strncmp(e->d_name, ".tmp-", 5) == 0)
			n = 2;	/* a write that died: maybe a secret */
	closedir(d);
	if (n < 2)
		return 0;
	if ((rc = lock_identity(home, handle, &lockfd)) < 0)
		return rc;
	if ((rc = xc_identity_get(home, handle, &cur)) < 0)
		goto out;
	grace = xc_identity_grace(home, handle);
	if ((d = opendir(p)) == NULL) {
		rc = xc_fail(XC_EREAD, "cannot read an identity's directory");
		goto out;
	}
	while ((e = readdir(d)) != NULL) {
		/* Under the lock no write is under way: a temp file is what
		 * a killed one left, perhaps a new secret key. */
		if (strncmp(e->d_name, ".tmp-", 5) == 0 &&
		    path_of(p, home, handle, e->d_name) == 0)
			wipe(p);
		if (strncmp(e->d_name, "enc-", 4) != 0)
			continue;
		n = strtoull(e->d_name + 4, NULL, 10);
		snprintf(name, sizeof name, "enc-%llu.key",
		    (unsigned long long)n);
		if (strcmp(name, e->d_name) != 0 || n == cur.seq)
			continue;
		if (n < cur.seq) {
			/* Retired by card n+1; a missing card gives way to
			 * the next one there is (a later time: kept longer). */
			retired = -1;
			for (k = n + 1; k <= cur.seq && retired < 0; k++)
				retired = k == cur.seq ? cur.created :
				    card_created(home, handle, k);
			if (retired < 0 || now < retired + grace)
				continue;
		}
		/* Past its grace, or debris of a rotation that never
		 * committed (under the lock, none is under way). */
		if (path_of(p, home, handle, e->d_name) == 0)
			wipe(p);
		if (n > cur.seq) {
			snprintf(name, sizeof name, "card-%llu",
			    (unsigned long long)n);
			if (path_of(p, home, handle, name) == 0)
				unlink(p);
		}
	}
	closedir(d);
	/* The list of an older version, which a crash could leave stale. */
	if (path_of(p, home, handle, "retired") == 0)
		unlink(p);
out:
	close(lockfd);
	return rc;
}

int
xc_identity_chain(const char *home, const char *handle, char **out,
    size_t *len)
{
	char p[XC_PATH_MAX], name[32], *buf, *all = NULL, *bigger;
	size_t n, used = 0;
	xc_card cur;
	uint64_t k;
	int rc;

	if ((rc = xc_identity_get(home, handle, &cur)) < 0)
		return rc;
	for (k = 1; k <= cur.seq; k++) {
		snprintf(name, sizeof name, "card-%llu", (unsigned long long)k);
		if ((rc = path_of(p, home, handle, name)) < 0 ||
		    (rc = xc_read_file(p, XC_MAX_CARD, 0, &buf, &n)) < 0)
			break;
		if (used + n > XC_MAX_CHAIN) {
			sodium_free(buf);
			rc = xc_fail(XC_ELIMIT, "card chain too long");
			break;
		}
		if ((bigger = realloc(all, used + n + 1)) == NULL) {
			sodium_free(buf);
			rc = xc_fail(XC_ENOMEM, "out of memory");
			break;
		}
		all = bigger;
		memcpy(all + used, buf, n);
		used += n;
		sodium_free(buf);
	}
	if (rc < 0) {
		free(all);
		return rc == XC_ENOTFOUND ? xc_fail(XC_ENOTFOUND,
		    "a card of the chain is missing") : rc;
	}
	all[used] = '\0';
	*out = all;
	*len = used;
	return 0;
}

int
xc_identity_by_key(const char *home, const uint8_t ik[32],
    char handle[XC_HANDLE_MAX + 1])
{
	char (*hs)[XC_HANDLE_MAX + 1];
	size_t n, i;
	xc_card c;
	int rc;

	/* A keyring holds a few own identities: a look at each is enough. */
	if ((hs = calloc(XC_MAX_IDENTITIES, sizeof *hs)) == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	if ((rc = xc_identity_list(home, hs, XC_MAX_IDENTITIES, &n)) == 0)
		rc = xc_fail(XC_ENOTFOUND, "no own identity has this key");
	for (i = 0; rc == XC_ENOTFOUND && i < n; i++)
		if (xc_identity_get(home, hs[i], &c) == 0 &&
		    sodium_memcmp(c.ik, ik, 32) == 0) {
			memcpy(handle, hs[i], XC_HANDLE_MAX + 1);
			rc = 0;
		}
	free(hs);
	return rc;
}

int
xc_identity_locked(const char *home, const char *handle)
{
	char p[XC_PATH_MAX];
	int rc;

	if ((rc = path_of(p, home, handle, "identity.key")) < 0)
		return rc;
	return xc_secret_locked(p);
}

int
xc_identity_seed(const char *home, const char *handle, const char *pw,
    size_t pwlen, uint8_t **seedp)
{
	char p[XC_PATH_MAX], *text;
	uint8_t *seed;
	size_t len;
	int rc;

	if ((rc = path_of(p, home, handle, "identity.key")) < 0)
		return rc;
	if ((rc = xc_secret_read(p, pw, pwlen, &text, &len)) < 0)
		return rc == XC_ENOTFOUND ? xc_fail(XC_ENOTFOUND,
		    "no identity with this handle") : rc;
	if ((seed = sodium_malloc(32)) == NULL)
		rc = xc_fail(XC_ENOMEM, "out of memory");
	else if ((rc = parse_identity(seed, text, len)) < 0)
		sodium_free(seed);
	else
		*seedp = seed;
	sodium_free(text);
	return rc;
}

static int
cmp_handle(const void *a, const void *b)
{
	return strcmp(a, b);
}

int
xc_identity_list(const char *home, char (*out)[XC_HANDLE_MAX + 1],
    size_t cap, size_t *n)
{
	char dir[XC_PATH_MAX], h[XC_HANDLE_MAX + 1];
	struct dirent *e;
	DIR *d;

	*n = 0;
	if (snprintf(dir, sizeof dir, "%s/ids", home) >= (int)sizeof dir)
		return xc_fail(XC_EINVAL, "path too long");
	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 :
		    xc_fail(XC_EREAD, "cannot read the identities");
	while ((e = readdir(d)) != NULL && *n < cap)
		if (xc_handle_norm(h, e->d_name, strlen(e->d_name)) == 0 &&
		    strcmp(h, e->d_name) == 0)
			memcpy(out[(*n)++], h, sizeof h);
	closedir(d);
	qsort(out, *n, sizeof *out, cmp_handle);
	return 0;
}

int
xc_identity_keys(const char *home, const char *handle, int64_t now,
    const char *pw, size_t pwlen, xc_ids *ids, size_t *n)
{
	char p[XC_PATH_MAX], name[32], *text;
	xc_card c;
	uint64_t i;
	size_t len, line;
	int rc;

	*n = 0;
	/* Keys past their grace period go first: they must not open mail. */
	(void)xc_identity_sweep(home, handle, now);
	if ((rc = xc_identity_get(home, handle, &c)) < 0)
		return rc;
	for (i = c.seq; i >= 1; i--) {
		snprintf(name, sizeof name, "enc-%llu.key",
		    (unsigned long long)i);
		if ((rc = path_of(p, home, handle, name)) < 0)
			return rc;
		if (access(p, F_OK) != 0)
			continue;
		if ((rc = xc_secret_read(p, pw, pwlen, &text, &len)) < 0)
			return rc;
		rc = xc_ids_parse(ids, text, len, &line);
		sodium_free(text);
		if (rc < 0)
			return rc;
		(*n)++;
	}
	return 0;
}
