/*
 * spool.c - delivery without a server (xc-spool(5)): a directory of
 * immutable envelope files named by their id, bucketed by mailbox tag, that
 * any tool copying files can carry; and the outbox and inbox maildirs.
 *
 * Every file appears whole or not at all: written under tmp/ on the same
 * file system, fsync, link(2) to its name, fsync of the directory.  The
 * same name means the same bytes, so two spools merge by copying missing
 * files.
 *
 * Anyone who can write to a spool is an attacker (xc-spool(5), "Hostile
 * spools"): everything in it is reached through directory descriptors
 * (lib/dirio.c), never through a link, and a name is believed only once
 * the bytes were checked against it.  Nothing is deleted that was not so
 * checked, and an existing name holding other bytes is replaced, never
 * taken for the envelope.
 *
 * A transport is what puts envelopes somewhere and finds them by bucket:
 * the spool is the first, behind the xc_transport interface.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#ifdef __linux__
#include <sys/syscall.h>
#endif
#include <unistd.h>

#include <sodium.h>

#include "xc.h"

#define COPY_BUF 65536

/* ---- envelopes ---- */

/* Checks that fd holds one xc envelope within max bytes: an age header with
 * X25519 stanzas and one xc-route stanza whose tags are as many as they,
 * then at least a nonce and one chunk.  Hashes all its bytes into the id. */
int
xc_envelope_check(int fd, uint64_t max, char id[XC_ENVID_HEX + 1],
    xc_route *route, uint64_t *size)
{
	crypto_generichash_state hs;
	uint64_t n = 0;
	xc_in *in;
	xc_header h;
	uint8_t *buf = NULL, bin[32];
	size_t got;
	int rc;

	memset(&h, 0, sizeof h);
	if (lseek(fd, 0, SEEK_SET) != 0)
		return xc_fail(XC_EREAD, "cannot rewind an envelope");
	crypto_generichash_init(&hs, NULL, 0, 32);
	if ((in = malloc(sizeof *in)) == NULL ||
	    (buf = malloc(COPY_BUF)) == NULL) {
		free(in);
		return xc_fail(XC_ENOMEM, "out of memory");
	}
	xc_in_init(in, (xc_rd){ xc_fd_read, &fd });
	if ((rc = xc_header_parse(in, &h)) < 0)
		goto out;
	if ((rc = xc_envelope_route(&h, route)) < 0)
		goto out;
	if (id == NULL)		/* the header was all the caller wanted */
		goto out;
	/* The id covers every byte: hash from the start again. */
	if (lseek(fd, 0, SEEK_SET) != 0) {
		rc = xc_fail(XC_EREAD, "cannot rewind an envelope");
		goto out;
	}
	for (;;) {
		if ((rc = xc_fd_read(&fd, buf, COPY_BUF, &got)) < 0)
			goto out;
		if (got == 0)
			break;
		n += got;
		if (n > max) {
			rc = xc_fail(XC_ELIMIT, "envelope larger than the "
			    "spool's max-size");
			goto out;
		}
		crypto_generichash_update(&hs, buf, got);
	}
	/* header, " " MAC "\n", nonce, and one chunk's tag at least */
	if (n < h.rawlen + 45 + XC_NONCE_BYTES + XC_TAG_BYTES) {
		rc = xc_fail(XC_EHEADER, "envelope without a payload");
		goto out;
	}
	crypto_generichash_final(&hs, bin, 32);
	sodium_bin2hex(id, XC_ENVID_HEX + 1, bin, 32);
	if (size)
		*size = n;
out:
	xc_header_free(&h);
	free(in);
	free(buf);
	return rc;
}

int
xc_envelope_matches(int fd, uint64_t max, const char *name, xc_route *route)
{
	char want[XC_ENVID_HEX + 1], got[XC_ENVID_HEX + 1];
	int64_t exp;
	int rc;

	if (xc_envelope_parse_name(name, want, &exp) != 0)
		return xc_fail(XC_EINVAL, "not an envelope's name");
	/* The header first: a name that lies about the expiry costs no
	 * hashing of the whole file. */
	if ((rc = xc_envelope_check(fd, max, NULL, route, NULL)) < 0)
		return rc;
	if (route->expires != exp)
		return xc_fail(XC_EPAYLOAD, "the file does not match its name");
	if ((rc = xc_envelope_check(fd, max, got, route, NULL)) < 0)
		return rc;
	if (strcmp(want, got) != 0 || route->expires != exp)
		return xc_fail(XC_EPAYLOAD, "the file does not match its name");
	return 0;
}

/* ---- files that appear whole ---- */

/* A file without a name in dirfd (O_TMPFILE), to be linked by its
 * descriptor: nothing to remove if the process dies.  -1 where the file
 * system or the kernel cannot, or there is no /proc to link it with. */
static int
anon_tmp(int dirfd, unsigned mode)
{
#ifdef O_TMPFILE
	int fd;

	if (access("/proc/self/fd", X_OK) != 0 ||
	    (fd = openat(dirfd, ".", O_RDWR | O_TMPFILE | O_CLOEXEC, 0600)) < 0)
		return -1;
	if (fchmod(fd, (mode_t)mode) != 0) {
		close(fd);
		return -1;
	}
	return fd;
#else
	(void)dirfd;
	(void)mode;
	return -1;
#endif
}

/* xc_copy_to_dir; with sync 0 (xc_maildir_stage: a batch is synced at
 * once) the copy is not synced and, where it can be, has no name (tmp is
 * then ""). */
static int
copy_to_dir(xc_rd src, int dirfd, uint64_t max, unsigned mode,
    const char *id, char tmp[XC_TMP_NAME_MAX], int *fdp,
    char idout[XC_ENVID_HEX + 1], int sync)
{
	crypto_generichash_state hs;
	uint8_t *buf, h[32];
	char hex[XC_ENVID_HEX + 1];
	uint64_t n = 0;
	size_t got;
	int fd, rc = 0;

	if ((buf = malloc(COPY_BUF)) == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	crypto_generichash_init(&hs, NULL, 0, 32);
	tmp[0] = '\0';
	if ((sync || (fd = anon_tmp(dirfd, mode)) < 0) &&
	    (rc = xc_maildir_tmp(dirfd, tmp, mode, &fd)) < 0) {
		free(buf);
		return rc;
	}
	for (;;) {
		if ((rc = src.read(src.ctx, buf, COPY_BUF, &got)) < 0)
			break;
		if (got == 0)
			break;
		if ((n += got) > max) {
			rc = xc_fail(XC_ELIMIT, "envelope larger than the "
			    "spool's max-size");
			break;
		}
		crypto_generichash_update(&hs, buf, got);
		if ((rc = xc_fd_write(&fd, buf, got)) < 0)
			break;
	}
	if (rc == 0) {
		crypto_generichash_final(&hs, h, 32);
		sodium_bin2hex(hex, sizeof hex, h, 32);
		if (id && strcmp(hex, id) != 0)
			rc = xc_fail(XC_EPAYLOAD, "the file does not match its "
			    "name (still being copied?)");
		else if (idout)
			memcpy(idout, hex, sizeof hex);
	}
	if (rc == 0 && sync && fsync(fd) != 0)
		rc = xc_fail(XC_EWRITE, "cannot sync a file");
	free(buf);
	if (rc < 0) {
		if (tmp[0])
			xc_tmp_remove(dirfd, tmp);
		close(fd);
		return rc;
	}
	*fdp = fd;
	return 0;
}

int
xc_copy_to_dir(xc_rd src, int dirfd, uint64_t max, unsigned mode,
    const char *id, char tmp[XC_TMP_NAME_MAX], int *fdp,
    char idout[XC_ENVID_HEX + 1])
{
	return copy_to_dir(src, dirfd, max, mode, id, tmp, fdp, idout, 1);
}

/* Is name in dirfd the file open as fd? */
static int
same_file(int dirfd, const char *name, int fd)
{
	struct stat a, b;

	return fstatat(dirfd, name, &a, AT_SYMLINK_NOFOLLOW) == 0 &&
	    fstat(fd, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* ---- the spool ---- */

/* A new spool directory: with its parent's mode when the parent is
 * set-group-ID (a group's shared folder), else 0777 less the umask. */
static int
make_spool_dir(const char *dir)
{
	char *dcopy = strdup(dir), *parent;
	struct stat sb;
	mode_t um, mode;
	int fd, rc = 0;

	if (dcopy == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	parent = dirname(dcopy);
	if (stat(parent, &sb) != 0 && (rc = xc_mkdirs(parent)) < 0) {
		free(dcopy);
		return rc;
	}
	um = umask(0);
	umask(um);
	mode = stat(parent, &sb) == 0 && (sb.st_mode & S_ISGID) ?
	    (sb.st_mode & 07777) | 0700 : (0777 & ~um);
	free(dcopy);
	if (mkdir(dir, 0700) != 0)
		return errno == EEXIST ? 0 : xc_fail(XC_EWRITE,
		    "cannot create a directory");
	if ((rc = xc_fsync_parent(dir)) < 0)
		return rc;
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC))
	    < 0)
		return xc_fail(XC_EWRITE, "cannot open a new directory");
	if (fchmod(fd, mode) != 0)
		rc = xc_fail(XC_EWRITE, "cannot set a directory's mode");
	close(fd);
	return rc;
}

int
xc_spool_open(xc_spool *s, const char *dir, int create)
{
	char text[128], *buf = NULL;
	struct stat sb;
	size_t len;
	int rc, mfd;

	memset(s, 0, sizeof *s);
	s->fd = s->tmpfd = -1;
	s->bucket_bits = XC_SPOOL_BUCKET_BITS;
	s->max_size = XC_SPOOL_MAX_SIZE;
	if (snprintf(s->dir, sizeof s->dir, "%s", dir) >= (int)sizeof s->dir)
		return xc_fail(XC_EINVAL, "path too long");
	/* The directory itself is the user's choice: a link to it is
	 * followed.  Nothing inside it is. */
	if ((s->fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		if (errno != ENOENT || !create)
			return errno == ENOENT ? xc_fail(XC_ENOTFOUND,
			    "not a spool (no such directory)") :
			    xc_fail(errno == ENOTDIR ? XC_EINSECURE : XC_EREAD,
			    "not a directory");
		if ((rc = make_spool_dir(dir)) < 0)
			return rc;
		if ((s->fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC))
		    < 0)
			return xc_fail(XC_EREAD, "cannot open a directory");
	}
	/* New buckets and files follow the spool directory (xc-spool(5)). */
	if (fstat(s->fd, &sb) != 0) {
		rc = xc_fail(XC_EREAD, "cannot stat the spool");
		goto bad;
	}
	s->dmode = (sb.st_mode & 07777) | 0700;
	s->fmode = (sb.st_mode & 0444) | 0600;
	rc = xc_file_open(s->fd, "xc-spool", &mfd, NULL);
	if (rc == XC_ENOTFOUND) {
		if (!create) {
			rc = xc_fail(XC_ENOTFOUND, "not a spool (no xc-spool "
			    "file)");
			goto bad;
		}
		snprintf(text, sizeof text, "%smax-size %llu\n", XC_SPOOL_MAGIC,
		    (unsigned long long)s->max_size);
		rc = xc_dir_write_file(s->fd, "xc-spool", text, strlen(text),
		    s->fmode & 0644, 1);
		if (rc < 0 && rc != XC_EEXIST)
			goto bad;
		rc = xc_file_open(s->fd, "xc-spool", &mfd, NULL);
	}
	if (rc < 0) {
		if (rc == XC_EINSECURE)
			xc_failf(rc, "its xc-spool marker is %s", xc_errdetail());
		goto bad;
	}
	rc = xc_fd_slurp(mfd, XC_MAX_MARKER, &buf, &len);
	close(mfd);
	if (rc < 0)
		goto bad;
	rc = xc_spool_marker_parse(buf, len, &s->max_size);
	free(buf);
	if (rc < 0)
		goto bad;
	if (create && (rc = xc_dir_open(s->fd, "tmp", XC_DIR_CREATE, s->dmode,
	    &s->tmpfd)) < 0) {
		if (rc == XC_EINSECURE)
			xc_failf(rc, "its tmp/ is %s", xc_errdetail());
		goto bad;
	}
	return 0;
bad:
	xc_spool_close(s);
	return rc;
}

void
xc_spool_close(xc_spool *s)
{
	if (s->tmpfd >= 0)
		close(s->tmpfd);
	if (s->fd >= 0)
		close(s->fd);
	s->fd = s->tmpfd = -1;
}

void
xc_spool_bucket(char out[8], const uint8_t tag[XC_TAG_LEN], int bits)
{
	(void)bits;	/* one byte: 256 buckets (XC_SPOOL_BUCKET_BITS) */
	snprintf(out, 8, "%02x", tag[0]);
}

static int
bucket_ok(const char *b)
{
	return strlen(b) == 2 && strspn(b, "0123456789abcdef") == 2;
}

int
xc_spool_bucket_open(xc_spool *s, const char *bucket, int create, int *fd)
{
	int rc;

	if (!bucket_ok(bucket))
		return xc_fail(XC_EINVAL, "not a bucket name");
	rc = xc_dir_open(s->fd, bucket, create ? XC_DIR_CREATE : 0, s->dmode,
	    fd);
	if (rc == XC_EINSECURE)
		xc_failf(rc, "bucket %s is %s", bucket, xc_errdetail());
	return rc;
}

/* Puts the temporary file tmp (open as tfd) under name in bucket bfd.  An
 * existing name stands only if its bytes match it; otherwise (junk, a
 * link, a FIFO) a second link of tmp is renamed over it. */
static int
place(xc_spool *s, const char *tmp, int tfd, int bfd, const char *name)
{
	char tmp2[XC_TMP_NAME_MAX];
	xc_route r;
	int fd, rc, t2;

	/* Linked by descriptor: others may write tmp/ too. */
	if (xc_link_fd(tfd, s->tmpfd, tmp, bfd, name) == 0) {
		if (!same_file(bfd, name, tfd))
			return xc_fail(XC_EWRITE, "the spool's tmp/ changed "
			    "under us");
		return xc_dir_sync(bfd);
	}
	if (errno != EEXIST)
		return xc_fail(XC_EWRITE, "cannot link a file into place");
	if (xc_file_open(bfd, name, &fd, NULL) == 0) {
		rc = xc_envelope_matches(fd, s->max_size, name, &r);
		close(fd);
		if (rc == 0)
			return 0;	/* delivered before */
	}
	/* Not the envelope: replaced, in one rename, by a second link of
	 * the copy (the first stays for the other buckets). */
	if ((rc = xc_maildir_tmp(s->tmpfd, tmp2, s->fmode, &t2)) < 0)
		return rc;
	close(t2);
	if (unlinkat(s->tmpfd, tmp2, 0) != 0 ||
	    xc_link_fd(tfd, s->tmpfd, tmp, s->tmpfd, tmp2) != 0) {
		xc_tmp_remove(s->tmpfd, tmp2);
		return xc_fail(XC_EWRITE, "cannot link a file into place");
	}
	if (renameat(s->tmpfd, tmp2, bfd, name) != 0) {
		xc_tmp_remove(s->tmpfd, tmp2);
		return xc_fail(XC_EWRITE, "cannot replace a file that does "
		    "not match its name");
	}
	xc_tmp_forget(tmp2);
	if (!same_file(bfd, name, tfd))
		return xc_fail(XC_EWRITE, "the spool's tmp/ changed under us");
	s->replaced++;
	return xc_dir_sync(bfd);
}

int
xc_spool_put_fd(xc_spool *s, int fd, const char *name, const xc_route *r)
{
	char tmp[XC_TMP_NAME_MAX], id[XC_ENVID_HEX + 1], b[8];
	char seen[XC_MAX_RECIPIENTS][8];
	int64_t exp;
	size_t i, j, nb = 0;
	int tfd, bfd, rc;

	if (xc_envelope_parse_name(name, id, &exp) != 0 || exp != r->expires)
		return xc_fail(XC_EINVAL, "not an envelope's name");
	if (s->tmpfd < 0 && (rc = xc_dir_open(s->fd, "tmp", XC_DIR_CREATE,
	    s->dmode, &s->tmpfd)) < 0)
		return rc;
	if (lseek(fd, 0, SEEK_SET) != 0)
		return xc_fail(XC_EREAD, "cannot rewind an envelope");
	if ((rc = xc_copy_to_dir((xc_rd){ xc_fd_read, &fd }, s->tmpfd,
	    s->max_size, s->fmode, id, tmp, &tfd, NULL)) < 0)
		return rc;
	/* One link per bucket its tags fall in: each recipient finds it. */
	for (i = 0; i < r->ntags && rc == 0; i++) {
		xc_spool_bucket(b, r->tags[i], s->bucket_bits);
		for (j = 0; j < nb && strcmp(seen[j], b) != 0; j++)
			;
		if (j < nb)
			continue;
		memcpy(seen[nb++], b, sizeof b);
		if ((rc = xc_spool_bucket_open(s, b, 1, &bfd)) < 0)
			break;
		rc = place(s, tmp, tfd, bfd, name);
		close(bfd);
	}
	xc_tmp_remove(s->tmpfd, tmp);
	close(tfd);
	return rc;
}

int
xc_spool_put(xc_spool *s, const char *path, const char *name,
    const xc_route *r)
{
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return xc_fail(XC_EREAD, "cannot open an envelope");
	rc = xc_spool_put_fd(s, fd, name, r);
	close(fd);
	return rc;
}

/* ---- the spool as a transport ---- */

static int collect(int dfd, const char *name, const struct stat *sbp,
    int64_t now, xc_gc_stats *st);

static int
spool_put(void *ctx, int fd, const char *name, const xc_route *r)
{
	return xc_spool_put_fd(ctx, fd, name, r);
}

/* The handle of a listed entry: its bucket, and what ident saw. */
struct listing {
	const char *bucket;
	int bfd;
	int (*each)(void *arg, const xc_entry *e);
	void *arg;
	const char *name;
	struct stat sb;		/* valid while name is this entry's */
};

static int
list_one(void *arg, const char *name, uint64_t ino)
{
	struct listing *l = arg;
	xc_entry e = { l->bucket, name, l };

	(void)ino;
	l->name = NULL;
	return l->each(l->arg, &e);
}

static int
spool_list(void *ctx, const char *bucket,
    int (*each)(void *arg, const xc_entry *e), void *arg)
{
	struct listing l;
	int rc;

	memset(&l, 0, sizeof l);
	l.bucket = bucket;
	l.bfd = -1;
	l.each = each;
	l.arg = arg;

	if ((rc = xc_spool_bucket_open(ctx, bucket, 0, &l.bfd)) < 0)
		return rc == XC_ENOTFOUND ? 0 : rc;
	rc = xc_dir_each(l.bfd, list_one, &l);
	close(l.bfd);
	return rc;
}

static int
spool_ident(void *ctx, const xc_entry *e, uint8_t key[16])
{
	crypto_generichash_state hs;
	struct listing *l = e->handle;
	struct stat sb;
	int64_t v[8];

	(void)ctx;
	if (l->name == e->name)
		sb = l->sb;	/* xc_spool_collect looked already */
	else if (fstatat(l->bfd, e->name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
		return xc_fail(errno == ENOENT ? XC_ENOTFOUND : XC_EREAD,
		    "cannot stat a spool file");
	l->sb = sb;
	l->name = e->name;
	/* A copy replaced or changed in place is another copy. */
	v[0] = (int64_t)sb.st_dev;
	v[1] = (int64_t)sb.st_ino;
	v[2] = (int64_t)sb.st_size;
	v[3] = (int64_t)sb.st_mode;
	v[4] = (int64_t)sb.st_mtim.tv_sec;
	v[5] = (int64_t)sb.st_mtim.tv_nsec;
	v[6] = (int64_t)sb.st_ctim.tv_sec;
	v[7] = (int64_t)sb.st_ctim.tv_nsec;
	crypto_generichash_init(&hs, NULL, 0, 16);
	crypto_generichash_update(&hs, (const uint8_t *)e->bucket,
	    strlen(e->bucket) + 1);
	crypto_generichash_update(&hs, (const uint8_t *)e->name,
	    strlen(e->name) + 1);
	crypto_generichash_update(&hs, (const uint8_t *)v, sizeof v);
	crypto_generichash_final(&hs, key, 16);
	return 0;
}

static int
spool_get(void *ctx, const xc_entry *e, int *fd, uint64_t *size)
{
	struct listing *l = e->handle;
	struct stat sb;

	(void)ctx;
	if (l->name != e->name)
		return xc_file_open(l->bfd, e->name, fd, size);
	/* ident looked already: no device is opened, and what is opened
	 * must be the file it saw. */
	if (!S_ISREG(l->sb.st_mode))
		return xc_failf(XC_EINSECURE, "not a regular file: not used");
	if ((*fd = openat(l->bfd, e->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) < 0)
		return xc_fail(errno == ENOENT ? XC_ENOTFOUND : errno == ELOOP ?
		    XC_EINSECURE : XC_EREAD, "cannot open a spool file");
	if (fstat(*fd, &sb) != 0 || sb.st_dev != l->sb.st_dev ||
	    sb.st_ino != l->sb.st_ino) {
		close(*fd);
		*fd = -1;
		return xc_fail(XC_ENOTFOUND, "a spool file changed");
	}
	*size = (uint64_t)sb.st_size;
	return 0;
}

int
xc_spool_collect(xc_spool *s, const xc_entry *e, int64_t now,
    xc_gc_stats *st)
{
	struct listing *l = e->handle;
	char id[XC_ENVID_HEX + 1];
	int64_t exp;

	(void)s;
	/* Only names whose time may have come are looked at (and what is
	 * seen is kept for ident, so that a file is looked at once). */
	if (xc_envelope_parse_name(e->name, id, &exp) != 0 ||
	    (exp && exp > now))
		return 0;
	if (l->name != e->name) {
		if (fstatat(l->bfd, e->name, &l->sb, AT_SYMLINK_NOFOLLOW) != 0)
			return 0;
		l->name = e->name;
	}
	return collect(l->bfd, e->name, &l->sb, now, st);
}

static int
spool_collect(void *ctx, const xc_entry *e, int64_t now, xc_gc_stats *st)
{
	return xc_spool_collect(ctx, e, now, st);
}

void
xc_spool_transport(xc_spool *s, xc_transport *t)
{
	t->name = "spool";
	t->put = spool_put;
	t->list = spool_list;
	t->ident = spool_ident;
	t->get = spool_get;
	t->collect = spool_collect;
	t->ctx = s;
}

/* ---- collection ---- */

/* One name in a bucket: removed if its time has come (its name's expiry,
 * or XC_SPOOL_KEEP_DAYS after its mtime without one) and only if its bytes
 * match its name: a name that lies about its expiry does not make us
 * delete the letter it holds.  sbp: its lstat if known.  1 if removed. */
static int
collect(int dfd, const char *name, const struct stat *sbp, int64_t now,
    xc_gc_stats *st)
{
	char id[XC_ENVID_HEX + 1];
	struct stat sb;
	xc_route r;
	int64_t exp;
	int fd, rc, gone = 0;

	if (xc_envelope_parse_name(name, id, &exp) != 0)
		return 0;		/* not ours: left alone */
	if (exp && exp > now)
		return 0;
	if (sbp)
		sb = *sbp;
	else if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
		return 0;
	if (!S_ISREG(sb.st_mode)) {
		st->kept++;
		return 0;
	}
	if (!exp && sb.st_mtime >= now - (int64_t)XC_SPOOL_KEEP_DAYS * 86400)
		return 0;
	if (xc_file_open(dfd, name, &fd, NULL) != 0) {
		st->kept++;
		return 0;
	}
	rc = xc_envelope_matches(fd, (uint64_t)1 << 40, name, &r);
	if (rc == 0 && same_file(dfd, name, fd) && unlinkat(dfd, name, 0) == 0) {
		st->removed++;
		gone = 1;
	} else if (rc != 0)
		st->kept++;
	close(fd);
	return gone;
}

struct gc {
	xc_spool *s;
	int dfd, tmpdir;
	int64_t now;
	xc_gc_stats *st;
};

static int
gc_one(void *arg, const char *name, uint64_t ino)
{
	struct gc *g = arg;
	struct stat sb;

	(void)ino;
	if (g->tmpdir) {
		size_t n = strlen(name);
		/* A writer's temporary files, and names still being made. */
		if ((xc_tmp_is_maildir(NULL, name) || (n > 1 &&
		    name[n - 1] == '~')) &&
		    fstatat(g->dfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(sb.st_mode) && sb.st_mtime < g->now - 86400 &&
		    unlinkat(g->dfd, name, 0) == 0)
			g->st->removed++;
		return 0;
	}
	collect(g->dfd, name, NULL, g->now, g->st);
	return 0;
}

static int
gc_bucket(xc_spool *s, const char *name, int tmpdir, int64_t now,
    xc_gc_stats *st)
{
	struct gc g = { s, -1, tmpdir, now, st };
	int rc;

	rc = tmpdir ? xc_dir_open(s->fd, name, 0, 0, &g.dfd) :
	    xc_spool_bucket_open(s, name, 0, &g.dfd);
	if (rc == XC_ENOTFOUND)
		return 0;
	if (rc == XC_EINSECURE)
		st->unsafe++;
	if (rc < 0)
		return rc;
	rc = xc_dir_each(g.dfd, gc_one, &g);
	close(g.dfd);
	return rc;
}

int
xc_spool_gc(xc_spool *s, int64_t now, const char *bucket, xc_gc_stats *st)
{
	xc_gc_stats local;
	int rc, i, first = 0;

	if (st == NULL)
		st = &local;
	memset(st, 0, sizeof *st);
	if (bucket)
		return gc_bucket(s, bucket, 0, now, st);
	/* A bucket that is not a directory is skipped and counted; the
	 * first error is returned once all others were collected. */
	for (i = 0; i < 256; i++) {
		char b[8];
		snprintf(b, sizeof b, "%02x", i);
		if ((rc = gc_bucket(s, b, 0, now, st)) < 0 && first == 0)
			first = rc;
	}
	if ((rc = gc_bucket(s, "tmp", 1, now, st)) < 0 && first == 0)
		first = rc;
	return first;
}

/* ---- maildirs: the outbox and the inbox ---- */

int
xc_maildir_open(xc_maildir *m, int homefd, const char *name)
{
	int rc;

	m->fd = m->tmp = m->new = m->cur = -1;
	m->staged = NULL;
	if ((rc = xc_dir_open(homefd, name, XC_DIR_CREATE | XC_DIR_OWNED,
	    0700, &m->fd)) < 0 ||
	    (rc = xc_dir_open(m->fd, "tmp", XC_DIR_CREATE | XC_DIR_OWNED,
	    0700, &m->tmp)) < 0 ||
	    (rc = xc_dir_open(m->fd, "new", XC_DIR_CREATE | XC_DIR_OWNED,
	    0700, &m->new)) < 0 ||
	    (rc = xc_dir_open(m->fd, "cur", XC_DIR_CREATE | XC_DIR_OWNED,
	    0700, &m->cur)) < 0) {
		if (rc == XC_EINSECURE)
			xc_failf(rc, "%s%s is %s", m->fd < 0 ? "it" : "its ",
			    m->fd < 0 ? "" : m->tmp < 0 ? "tmp/" : m->new < 0 ?
			    "new/" : "cur/", xc_errdetail());
		xc_maildir_close(m);
		return rc;
	}
	return 0;
}

static void unstage(xc_maildir *m);

void
xc_maildir_close(xc_maildir *m)
{
	unstage(m);
	if (m->cur >= 0)
		close(m->cur);
	if (m->new >= 0)
		close(m->new);
	if (m->tmp >= 0)
		close(m->tmp);
	if (m->fd >= 0)
		close(m->fd);
	m->fd = m->tmp = m->new = m->cur = -1;
}

int
xc_maildir_deliver(xc_maildir *m, int fd, uint64_t max, const char *name,
    const char *id)
{
	char tmp[XC_TMP_NAME_MAX];
	int tfd, rc;

	if (lseek(fd, 0, SEEK_SET) != 0)
		return xc_fail(XC_EREAD, "cannot rewind an envelope");
	if ((rc = xc_copy_to_dir((xc_rd){ xc_fd_read, &fd }, m->tmp, max,
	    0600, id, tmp, &tfd, NULL)) < 0)
		return rc;
	if (linkat(m->tmp, tmp, m->new, name, 0) != 0)
		rc = errno == EEXIST ? xc_fail(XC_EEXIST, "already in new/") :
		    xc_fail(XC_EWRITE, "cannot link a file into place");
	else
		rc = xc_dir_sync(m->new);
	xc_tmp_remove(m->tmp, tmp);
	close(tfd);
	return rc;
}

/* ---- deliveries in a batch ---- */

struct staged {
	size_t n;
	struct {
		char tmp[XC_TMP_NAME_MAX], name[XC_ENVNAME_MAX];
		int fd;
	} v[XC_MAILDIR_BATCH];
};

/* Removes what is staged and not committed. */
static void
unstage(xc_maildir *m)
{
	struct staged *st = m->staged;
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < st->n; i++) {
		if (st->v[i].tmp[0])
			xc_tmp_remove(m->tmp, st->v[i].tmp);
		close(st->v[i].fd);
	}
	free(st);
	m->staged = NULL;
}

/* Everything written to the file system of dirfd on disk: one syncfs(2)
 * for a whole batch where there is one, else an fsync per file. */
static int
sync_batch(int dirfd, const struct staged *st)
{
	size_t i;

#ifdef SYS_syncfs
	if (syscall(SYS_syncfs, dirfd) == 0)
		return 0;
#else
	(void)dirfd;
#endif
	for (i = 0; i < st->n; i++)
		if (fsync(st->v[i].fd) != 0)
			return -1;
	return 0;
}

int
xc_maildir_stage(xc_maildir *m, int fd, uint64_t max, const char *name,
    const char *id)
{
	struct staged *st = m->staged;
	struct stat sb;
	int rc, tfd;

	if (strlen(name) >= XC_ENVNAME_MAX)
		return xc_fail(XC_EINVAL, "not an envelope's name");
	if (fstatat(m->new, name, &sb, AT_SYMLINK_NOFOLLOW) == 0)
		return xc_fail(XC_EEXIST, "already in new/");
	if (st != NULL && st->n == XC_MAILDIR_BATCH) {
		if ((rc = xc_maildir_commit(m)) < 0)
			return rc;
		st = NULL;
	}
	if (st == NULL) {
		if ((st = calloc(1, sizeof *st)) == NULL)
			return xc_fail(XC_ENOMEM, "out of memory");
		m->staged = st;
	}
	if (lseek(fd, 0, SEEK_SET) != 0)
		return xc_fail(XC_EREAD, "cannot rewind an envelope");
	if ((rc = copy_to_dir((xc_rd){ xc_fd_read, &fd }, m->tmp, max, 0600,
	    id, st->v[st->n].tmp, &tfd, NULL, 0)) < 0)
		return rc;
	memcpy(st->v[st->n].name, name, strlen(name) + 1);
	st->v[st->n].fd = tfd;
	st->n++;
	return 0;
}

int
xc_maildir_commit(xc_maildir *m)
{
	struct staged *st = m->staged;
	size_t i;
	int rc = 0;

	if (st == NULL || st->n == 0)
		return 0;
	if (sync_batch(m->tmp, st) != 0)
		rc = xc_fail(XC_EWRITE, "cannot sync the files of a batch");
	/* Only durable files get a name in new/; a name already there is
	 * the same envelope (names are ids). */
	for (i = 0; i < st->n && rc == 0; i++)
		if ((st->v[i].tmp[0] ? linkat(m->tmp, st->v[i].tmp, m->new,
		    st->v[i].name, 0) : xc_link_fd(st->v[i].fd, -1, NULL, m->new,
		    st->v[i].name)) != 0 && errno != EEXIST)
			rc = xc_fail(XC_EWRITE, "cannot link a file into place");
	if (i > 0 && xc_dir_sync(m->new) < 0 && rc == 0)
		rc = xc_fail(XC_EWRITE, "cannot sync new/");
	unstage(m);
	return rc;
}
