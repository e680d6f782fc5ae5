/*
 * spool.c - delivery without a server (xc-spool(5)): a directory of
 * immutable envelope files named by their id, bucketed by mailbox tag, that
 * any tool copying files can carry; the outbox xc-send fills first; the
 * inbox maildir xc-fetch fills; and what xc-fetch remembers.
 *
 * Every file appears whole or not at all: written under tmp/ on the same
 * file system, fsync, link(2) to its name, fsync of the directory.  A name
 * is never written twice (link fails with EEXIST, and the same name means
 * the same bytes), so two spools merge by copying missing files.
 *
 * A transport is what puts envelopes somewhere and finds them by tag: the
 * spool is the first; the relay client will be the second, behind the same
 * xc_transport interface.
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

static const char marker_magic[] = "xc-spool-v1\n";
#define COPY_BUF 65536

/* dir "/" name into out (XC_PATH_MAX bytes). */
static int
join(char *out, const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);

	if (a + 1 + b >= XC_PATH_MAX)
		return xc_fail(XC_EINVAL, "path too long");
	memcpy(out, dir, a);
	out[a] = '/';
	memcpy(out + a + 1, name, b + 1);
	return 0;
}

/* ---- envelopes ---- */

int
xc_envelope_name(char out[XC_ENVNAME_MAX], const char *id, int64_t expires)
{
	snprintf(out, XC_ENVNAME_MAX, "%s-%lld.age", id, (long long)expires);
	return 0;
}

int
xc_envelope_parse_name(const char *name, char id[XC_ENVID_HEX + 1],
    int64_t *expires)
{
	size_t i;
	char *e;
	long long v;

	for (i = 0; i < XC_ENVID_HEX; i++)
		if (!((name[i] >= '0' && name[i] <= '9') ||
		    (name[i] >= 'a' && name[i] <= 'f')))
			return -1;
	if (name[i] != '-' || name[i + 1] < '0' || name[i + 1] > '9' ||
	    (name[i + 1] == '0' && name[i + 2] != '.'))
		return -1;
	errno = 0;
	v = strtoll(name + i + 1, &e, 10);
	if (errno || v < 0 || strcmp(e, ".age") != 0)
		return -1;
	memcpy(id, name, XC_ENVID_HEX);
	id[XC_ENVID_HEX] = '\0';
	*expires = v;
	return 0;
}

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
	size_t i, nx = 0, got;
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
	if ((rc = xc_route_get(&h, route)) < 0)
		goto out;
	for (i = 0; i < h.nst; i++) {
		if (strcmp(h.st[i].args[0], "X25519") == 0)
			nx++;
		else if (strcmp(h.st[i].args[0], "xc-route") != 0) {
			rc = xc_fail(XC_EHEADER, "an xc envelope has X25519 "
			    "stanzas only");
			goto out;
		}
	}
	if (nx != route->ntags) {
		rc = xc_fail(XC_EHEADER, "xc-route tags do not match the "
		    "recipients");
		goto out;
	}
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
	*size = n;
out:
	xc_header_free(&h);
	free(in);
	free(buf);
	return rc;
}

/* ---- files that appear whole ---- */

static void
tmpname(char *out, size_t cap, const char *dir)
{
	uint8_t r[8];
	char hex[17];

	randombytes_buf(r, sizeof r);
	sodium_bin2hex(hex, sizeof hex, r, sizeof r);
	snprintf(out, cap, "%s/%s.%ld.tmp", dir, hex, (long)getpid());
}

static int
fsync_path(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return xc_fail(XC_EWRITE, "cannot open a directory to sync it");
	if (fsync(fd) != 0)
		rc = xc_fail(XC_EWRITE, "cannot sync a directory");
	close(fd);
	return rc;
}

/* mkdir that syncs a new directory into its parent. */
static int
mkdir_synced(const char *dir, mode_t mode)
{
	if (mkdir(dir, mode) == 0)
		return xc_fsync_parent(dir);
	if (errno == EEXIST)
		return 0;
	return xc_fail(XC_EWRITE, "cannot create a directory");
}

/* Copies fd (from its start) into a new temporary file in tmpdir, synced;
 * *tmp is its path.  With dearmor, armored input is stored as binary. */
int
xc_copy_to_tmp(int fd, const char *tmpdir, uint64_t max, char *tmp,
    size_t cap, int mode)
{
	return xc_copy_rd_to_tmp((xc_rd){ xc_fd_read, &fd }, tmpdir, max, tmp,
	    cap, mode, NULL);
}

int
xc_copy_rd_to_tmp(xc_rd src, const char *tmpdir, uint64_t max, char *tmp,
    size_t cap, int mode, char id[XC_ENVID_HEX + 1])
{
	crypto_generichash_state hs;
	uint8_t *buf;
	uint64_t n = 0;
	size_t got;
	int out, rc = 0;

	if ((buf = malloc(COPY_BUF)) == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	if (id)
		crypto_generichash_init(&hs, NULL, 0, 32);
	tmpname(tmp, cap, tmpdir);
	if ((out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, (mode_t)mode)) < 0) {
		free(buf);
		return xc_fail(XC_EWRITE, "cannot create a file");
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
		if (id)
			crypto_generichash_update(&hs, buf, got);
		if ((rc = xc_fd_write(&out, buf, got)) < 0)
			break;
	}
	if (rc == 0 && id) {
		uint8_t h[32];
		char hex[XC_ENVID_HEX + 1];
		crypto_generichash_final(&hs, h, 32);
		sodium_bin2hex(hex, sizeof hex, h, 32);
		if (strcmp(hex, id) != 0)
			rc = xc_fail(XC_EPAYLOAD, "envelope does not match its "
			    "id (still being copied?)");
	}
	if (rc == 0 && fsync(out) != 0)
		rc = xc_fail(XC_EWRITE, "cannot sync a file");
	if (close(out) != 0 && rc == 0)
		rc = xc_fail(XC_EWRITE, "cannot write a file");
	if (rc < 0) {
		int saved = errno;
		unlink(tmp);
		errno = saved;
	}
	free(buf);
	return rc;
}

/* Links tmp to dir/name (an existing name is the same envelope: done) and
 * syncs dir. */
static int
link_synced(const char *tmp, const char *dir, const char *name)
{
	char p[XC_PATH_MAX];

	if (snprintf(p, sizeof p, "%s/%s", dir, name) >= (int)sizeof p)
		return xc_fail(XC_EINVAL, "path too long");
	if (link(tmp, p) != 0 && errno != EEXIST)
		return xc_fail(XC_EWRITE, "cannot link a file into place");
	return fsync_path(dir);
}

/* ---- the spool ---- */

int
xc_spool_open(xc_spool *s, const char *dir, int create)
{
	char p[XC_PATH_MAX], *buf = NULL, *e;
	size_t len;
	int rc;

	memset(s, 0, sizeof *s);
	if (snprintf(s->dir, sizeof s->dir, "%s", dir) >= (int)sizeof s->dir ||
	    snprintf(p, sizeof p, "%s/xc-spool", dir) >= (int)sizeof p)
		return xc_fail(XC_EINVAL, "path too long");
	s->bucket_bits = XC_SPOOL_BUCKET_BITS;
	s->max_size = XC_SPOOL_MAX_SIZE;
	if (access(p, F_OK) != 0) {
		char text[128];
		if (!create || errno != ENOENT)
			return xc_fail(XC_ENOTFOUND, "not a spool (no xc-spool "
			    "file)");
		/* Shared folders: the umask decides who else may write. */
		if (mkdir(dir, 0777) == 0)
			rc = xc_fsync_parent(dir);
		else
			rc = errno == EEXIST ? 0 : xc_mkdirs(dir);
		if (rc < 0)
			return rc;
		snprintf(text, sizeof text, "%smax-size %llu\n", marker_magic,
		    (unsigned long long)s->max_size);
		rc = xc_write_file(p, text, strlen(text), 0644, 1);
		if (rc < 0 && rc != XC_EEXIST)
			return rc;
	}
	if ((rc = xc_read_file(p, 4096, 0, &buf, &len)) < 0)
		return rc;
	if (len < sizeof marker_magic - 1 ||
	    memcmp(buf, marker_magic, sizeof marker_magic - 1) != 0) {
		sodium_free(buf);
		return xc_fail(XC_EUNSUPPORTED, "unknown spool version");
	}
	/* "max-size N" may lower or raise the envelope limit.  (xc_read_file
	 * leaves a spare byte after the data.) */
	buf[len] = '\0';
	if ((e = strstr(buf, "\nmax-size ")) != NULL) {
		unsigned long long v = strtoull(e + 10, NULL, 10);
		if (v >= 1024 && v <= ((uint64_t)1 << 40))
			s->max_size = v;
	}
	sodium_free(buf);
	if (snprintf(p, sizeof p, "%s/tmp", dir) >= (int)sizeof p)
		return xc_fail(XC_EINVAL, "path too long");
	return mkdir_synced(p, 0777);
}

/* ---- the spool as a transport ---- */

static int
spool_put(void *ctx, const char *path, const char *name, const xc_route *r)
{
	return xc_spool_put(ctx, path, name, r);
}

static int
spool_list(void *ctx, const char *bucket,
    int (*each)(void *arg, const char *name), void *arg)
{
	const xc_spool *s = ctx;
	char p[XC_PATH_MAX];
	struct dirent *e;
	DIR *d;
	int rc = 0;

	if (join(p, s->dir, bucket) < 0 || (d = opendir(p)) == NULL)
		return errno == ENOENT ? 0 : xc_fail(XC_EREAD,
		    "cannot read a spool bucket");
	while (rc == 0 && (e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			rc = each(arg, e->d_name);
	closedir(d);
	return rc;
}

static int
spool_get(void *ctx, const char *bucket, const char *name, int *fd)
{
	const xc_spool *s = ctx;
	char p[XC_PATH_MAX];
	struct stat sb;

	if (snprintf(p, sizeof p, "%s/%s/%s", s->dir, bucket, name) >=
	    (int)sizeof p)
		return xc_fail(XC_EINVAL, "path too long");
	/* Anyone may write a spool: a FIFO must not block us, a link must
	 * not lead us elsewhere, only regular files are envelopes. */
	if ((*fd = open(p, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0)
		return xc_fail(errno == ENOENT ? XC_ENOTFOUND : XC_EREAD,
		    "cannot open an envelope in the spool");
	if (fstat(*fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    fcntl(*fd, F_SETFL, 0) != 0) {
		close(*fd);
		return xc_fail(XC_EREAD, "not a regular file in the spool");
	}
	return 0;
}

void
xc_spool_transport(xc_spool *s, xc_transport *t)
{
	t->name = "spool";
	t->put = spool_put;
	t->list = spool_list;
	t->get = spool_get;
	t->ctx = s;
}

void
xc_spool_bucket(char out[8], const uint8_t tag[XC_TAG_LEN], int bits)
{
	(void)bits;	/* one byte: 256 buckets (XC_SPOOL_BUCKET_BITS) */
	snprintf(out, 8, "%02x", tag[0]);
}

int
xc_spool_put(const xc_spool *s, const char *path, const char *name,
    const xc_route *r)
{
	char tmp[XC_PATH_MAX], dir[XC_PATH_MAX], b[8], seen[XC_MAX_RECIPIENTS][8];
	size_t i, j, nb = 0;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return xc_fail(XC_EREAD, "cannot open an envelope");
	if ((rc = join(dir, s->dir, "tmp")) == 0)
		rc = xc_copy_to_tmp(fd, dir, s->max_size, tmp, sizeof tmp,
		    0644);
	close(fd);
	if (rc < 0)
		return rc;
	/* One link per bucket its tags fall in: each recipient finds it. */
	for (i = 0; i < r->ntags && rc == 0; i++) {
		xc_spool_bucket(b, r->tags[i], s->bucket_bits);
		for (j = 0; j < nb && strcmp(seen[j], b) != 0; j++)
			;
		if (j < nb)
			continue;
		memcpy(seen[nb++], b, sizeof b);
		if (snprintf(dir, sizeof dir, "%s/%s", s->dir, b) >=
		    (int)sizeof dir)
			rc = xc_fail(XC_EINVAL, "path too long");
		else if ((rc = mkdir_synced(dir, 0777)) == 0)
			rc = link_synced(tmp, dir, name);
	}
	unlink(tmp);
	return rc;
}

/* Expired envelopes, and temporary files older than a day (a writer that
 * died), leave the spool; an envelope without expiry stays
 * XC_SPOOL_KEEP_DAYS after it arrived. */
static int
gc_dir(const char *dir, int tmpdir, int64_t now, size_t *removed)
{
	char p[XC_PATH_MAX], id[XC_ENVID_HEX + 1];
	struct dirent *e;
	struct stat sb;
	int64_t exp;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : xc_fail(XC_EREAD,
		    "cannot read a spool directory");
	while ((e = readdir(d)) != NULL) {
		int old;
		if (e->d_name[0] == '.')
			continue;
		if (snprintf(p, sizeof p, "%s/%s", dir, e->d_name) >=
		    (int)sizeof p || lstat(p, &sb) != 0 || !S_ISREG(sb.st_mode))
			continue;
		if (tmpdir)
			old = sb.st_mtime < now - 86400;
		else if (xc_envelope_parse_name(e->d_name, id, &exp) != 0)
			continue;	/* not ours: leave it */
		else
			old = exp ? exp <= now : sb.st_mtime <
			    now - (int64_t)XC_SPOOL_KEEP_DAYS * 86400;
		if (old && unlink(p) == 0 && removed)
			(*removed)++;
	}
	closedir(d);
	return 0;
}

int
xc_spool_gc(const xc_spool *s, int64_t now, const char *bucket,
    size_t *removed)
{
	char p[XC_PATH_MAX];
	int rc, i;

	if (bucket)
		return (rc = join(p, s->dir, bucket)) < 0 ? rc :
		    gc_dir(p, 0, now, removed);
	for (i = 0; i < 256; i++) {
		char b[8];
		snprintf(b, sizeof b, "%02x", i);
		if ((rc = join(p, s->dir, b)) < 0 ||
		    (rc = gc_dir(p, 0, now, removed)) < 0)
			return rc;
	}
	return (rc = join(p, s->dir, "tmp")) < 0 ? rc :
	    gc_dir(p, 1, now, removed);
}

/* ---- maildirs: the outbox and the inbox ---- */

int
xc_maildir_open(const char *dir)
{
	static const char *const sub[] = { "tmp", "new", "cur" };
	char p[XC_PATH_MAX];
	size_t i;
	int rc;

	if ((rc = xc_mkdirs(dir)) < 0)
		return rc;
	for (i = 0; i < 3; i++) {
		if (snprintf(p, sizeof p, "%s/%s", dir, sub[i]) >=
		    (int)sizeof p)
			return xc_fail(XC_EINVAL, "path too long");
		if ((rc = mkdir_synced(p, 0700)) < 0)
			return rc;
	}
	return 0;
}

int
xc_maildir_deliver(const char *dir, int fd, uint64_t max, const char *name,
    const char *id, char *out, size_t cap)
{
	char tmp[XC_PATH_MAX], sub[XC_PATH_MAX];
	int rc;

	if (lseek(fd, 0, SEEK_SET) != 0)
		return xc_fail(XC_EREAD, "cannot rewind an envelope");
	snprintf(sub, sizeof sub, "%s/tmp", dir);
	if ((rc = xc_copy_rd_to_tmp((xc_rd){ xc_fd_read, &fd }, sub, max, tmp,
	    sizeof tmp, 0600, (char *)id)) < 0)
		return rc;
	snprintf(sub, sizeof sub, "%s/new", dir);
	rc = link_synced(tmp, sub, name);
	unlink(tmp);
	if (rc == 0 && out)
		snprintf(out, cap, "%s/%s", sub, name);
	return rc;
}

/* ---- what xc-fetch remembers: "ID EXPIRY" lines ---- */

static int
cmp_id(const void *a, const void *b)
{
	return memcmp(a, b, XC_ENVID_HEX);
}

int
xc_seen_load(xc_seen *s, const char *path, int64_t now)
{
	char *buf = NULL, *l, *end;
	size_t len;
	int rc;

	memset(s, 0, sizeof *s);
	snprintf(s->path, sizeof s->path, "%s", path);
	rc = xc_read_file(path, (size_t)1 << 30, 0, &buf, &len);
	if (rc == XC_ENOTFOUND || (rc < 0 && errno == ENOENT))
		return 0;
	if (rc < 0)
		return rc;
	for (l = buf, end = buf + len; l < end;) {
		char *nl = memchr(l, '\n', (size_t)(end - l)), id[XC_ENVID_HEX + 2];
		long long exp;
		if (nl == NULL)
			break;	/* a torn last line: that entry was not synced */
		*nl = '\0';
		if (sscanf(l, "%65s %lld", id, &exp) == 2 &&
		    strlen(id) == XC_ENVID_HEX) {
			if (exp && exp <= now)
				s->dropped++;	/* expired: forgotten */
			else if ((rc = xc_seen_add(s, id, exp)) < 0)
				break;
		}
		l = nl + 1;
	}
	sodium_free(buf);
	s->nloaded = s->n;
	if (s->n)	/* qsort(NULL, 0) is undefined */
		qsort(s->v, s->n, sizeof *s->v, cmp_id);
	s->sorted = s->n;
	return rc < 0 ? rc : 0;
}

int
xc_seen_has(const xc_seen *s, const char *id)
{
	size_t i;

	if (s->sorted && bsearch(id, s->v, s->sorted, sizeof *s->v, cmp_id))
		return 1;
	for (i = s->sorted; i < s->n; i++)	/* added this run */
		if (memcmp(s->v[i].id, id, XC_ENVID_HEX) == 0)
			return 1;
	return 0;
}

int
xc_seen_add(xc_seen *s, const char *id, int64_t expires)
{
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 256;
		void *v = realloc(s->v, ncap * sizeof *s->v);
		if (v == NULL)
			return xc_fail(XC_ENOMEM, "out of memory");
		s->v = v;
		s->cap = ncap;
	}
	memcpy(s->v[s->n].id, id, XC_ENVID_HEX);
	s->v[s->n].id[XC_ENVID_HEX] = '\0';
	s->v[s->n].expires = expires;
	s->n++;
	return 0;
}

/* Appends what this run added (synced); rewrites the file when expired
 * entries make up most of it. */
int
xc_seen_save(xc_seen *s)
{
	size_t i, from = s->nloaded, k = 0;
	char *text;
	int fd, rc = 0;

	if (s->dropped > s->nloaded) {
		from = 0;
	} else if (from == s->n)
		return 0;
	if ((text = malloc((s->n - from) * (XC_ENVID_HEX + 24) + 1)) == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	for (i = from; i < s->n; i++)
		k += (size_t)sprintf(text + k, "%s %lld\n", s->v[i].id,
		    (long long)s->v[i].expires);
	if (from == 0)
		rc = xc_write_file(s->path, text, k, 0600, 0);
	else if ((fd = open(s->path, O_RDWR | O_APPEND | O_CREAT |
	    O_NOFOLLOW | O_CLOEXEC, 0600)) < 0)
		rc = xc_fail(XC_EWRITE, "cannot open the fetch state");
	else {
		int created = 0;
		struct stat sb;
		char last;
		if (fstat(fd, &sb) != 0)
			rc = xc_fail(XC_EREAD, "cannot stat the fetch state");
		else if (sb.st_size == 0)
			created = 1;
		/* A torn last line (a crash mid-append) is ended first:
		 * otherwise it would swallow the first id appended now. */
		else if (pread(fd, &last, 1, sb.st_size - 1) == 1 &&
		    last != '\n')
			rc = xc_fd_write(&fd, (const uint8_t *)"\n", 1);
		if (rc == 0 &&
		    (rc = xc_fd_write(&fd, (uint8_t *)text, k)) == 0 &&
		    fsync(fd) != 0)
			rc = xc_fail(XC_EWRITE, "cannot sync the fetch state");
		if (close(fd) != 0 && rc == 0)
			rc = xc_fail(XC_EWRITE, "cannot write the fetch state");
		if (rc == 0 && created)
			rc = xc_fsync_parent(s->path);
	}
	free(text);
	if (rc == 0) {
		s->nloaded = s->n;
		s->dropped = 0;
	}
	return rc;
}

void
xc_seen_free(xc_seen *s)
{
	free(s->v);
	memset(s, 0, sizeof *s);
}
