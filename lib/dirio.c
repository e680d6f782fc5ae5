/*
 * dirio.c - files in directories that others may write (a spool) or that
 * must not lead anywhere else (the keyring's inbox, outbox and state).
 *
 * Rules (xc-spool(5), "Hostile spools"): every path below a directory the
 * user named is opened relative to a descriptor of that directory; a
 * directory is opened with O_DIRECTORY|O_NOFOLLOW, a file with
 * O_NOFOLLOW|O_NONBLOCK and used only once fstat says it is a regular
 * file, so no symbolic link is followed and no FIFO or device blocks us.
 * unlinkat, linkat and renameat work on names in those descriptors.
 *
 * Temporary files are registered, so that a signal handler can remove
 * them (xc_tmp_cleanup is async-signal-safe), and held under an exclusive
 * flock(2) while they are written, so that a later run can tell what a
 * killed writer left (the lock is free) from what a live one is writing
 * (xc_tmp_sweep).  A temporary file is made without a name (O_TMPFILE),
 * locked, and only then linked to its sweepable name; where that cannot be
 * done, it is made under a name the sweep does not match (ending in '~'),
 * locked, and renamed.  There is no moment when a live file could be taken
 * for debris.
 */
#define _GNU_SOURCE		/* O_TMPFILE (Linux); without it, a name first */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "xc.h"

/* What a directory entry that should be a directory or a regular file is
 * instead, for messages. */
static const char *
kind_of(int at, const char *name)
{
	struct stat sb;

	if (fstatat(at, name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
		return "missing";
	switch (sb.st_mode & S_IFMT) {
	case S_IFLNK: return "a symbolic link";
	case S_IFIFO: return "a FIFO";
	case S_IFCHR: case S_IFBLK: return "a device";
	case S_IFSOCK: return "a socket";
	case S_IFDIR: return "a directory";
	case S_IFREG: return "a regular file";
	}
	return "not a regular file";
}

int
xc_failf(int err, const char *fmt, ...)
{
	/* Two buffers, so that the detail may quote the previous one. */
	static _Thread_local char buf[2][256];
	static _Thread_local int which;
	va_list ap;
	int saved = errno;

	which ^= 1;
	va_start(ap, fmt);
	vsnprintf(buf[which], sizeof buf[which], fmt, ap);
	va_end(ap);
	errno = saved;
	return xc_fail(err, buf[which]);
}

/* XC_EINSECURE naming what name is; errno is kept for the caller. */
static int
unsafe(int at, const char *name, const char *want)
{
	return xc_failf(XC_EINSECURE, "%s, not %s: not used",
	    kind_of(at, name), want);
}

int
xc_dir_sync(int dirfd)
{
	if (fsync(dirfd) != 0)
		return xc_fail(XC_EWRITE, "cannot sync a directory");
	return 0;
}

int
xc_dir_open(int at, const char *name, int how, unsigned mode, int *fd)
{
	struct stat sb;
	int tried = 0, made = 0, rc;

	*fd = -1;
	for (;;) {
		*fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_NONBLOCK | O_CLOEXEC);
		if (*fd >= 0)
			break;
		if (errno == ELOOP || errno == ENOTDIR)
			return unsafe(at, name, "a directory");
		if (errno != ENOENT || !(how & XC_DIR_CREATE) || tried)
			return xc_fail(errno == ENOENT ? XC_ENOTFOUND : XC_EREAD,
			    "cannot open a directory");
		tried = 1;
		/* Made private first; the mode is set below, whatever the
		 * umask, on the directory we made and hold. */
		if (mkdirat(at, name, 0700) == 0) {
			made = 1;
			if ((rc = xc_dir_sync(at)) < 0)
				return rc;
		} else if (errno != EEXIST)
			return xc_fail(XC_EWRITE, "cannot create a directory");
	}
	if (fstat(*fd, &sb) != 0) {
		rc = xc_fail(XC_EREAD, "cannot stat a directory");
		goto bad;
	}
	if ((how & XC_DIR_OWNED) && sb.st_uid != geteuid()) {
		errno = EPERM;
		rc = xc_fail(XC_EINSECURE, "a directory owned by another user: "
		    "not used");
		goto bad;
	}
	if (made && sb.st_uid == geteuid() &&
	    (sb.st_mode & 07777) != (mode & 07777) &&
	    fchmod(*fd, (mode_t)(mode & 07777)) != 0) {
		rc = xc_fail(XC_EWRITE, "cannot set a directory's mode");
		goto bad;
	}
	return 0;
bad:
	close(*fd);
	*fd = -1;
	return rc;
}

int
xc_file_open(int dirfd, const char *name, int *fd, uint64_t *size)
{
	struct stat sb;

	*fd = -1;
	/* Look before opening: opening a device can have effects. */
	if (fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
		return xc_fail(errno == ENOENT ? XC_ENOTFOUND : XC_EREAD,
		    "cannot open a file");
	if (!S_ISREG(sb.st_mode))
		return unsafe(dirfd, name, "a regular file");
	if ((*fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) < 0) {
		if (errno == ELOOP)
			return unsafe(dirfd, name, "a regular file");
		return xc_fail(errno == ENOENT ? XC_ENOTFOUND : XC_EREAD,
		    "cannot open a file");
	}
	/* Replaced between the two calls: check what we hold.  (O_NONBLOCK
	 * does nothing to a regular file: it stays.) */
	if (fstat(*fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(*fd);
		*fd = -1;
		errno = EINVAL;
		return xc_fail(XC_EINSECURE, "not a regular file: not used");
	}
	if (size)
		*size = (uint64_t)sb.st_size;
	return 0;
}

int
xc_fd_slurp(int fd, size_t cap, char **bufp, size_t *lenp)
{
	char *buf;
	size_t len = 0, alloc;
	struct stat sb;

	if (fstat(fd, &sb) != 0)
		return xc_fail(XC_EREAD, "cannot stat a file");
	if ((uint64_t)sb.st_size > cap)
		return xc_fail(XC_ELIMIT, "file too large");
	alloc = (size_t)sb.st_size + 1;
	if ((buf = malloc(alloc)) == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	for (;;) {
		ssize_t n = read(fd, buf + len, alloc - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return xc_fail(XC_EREAD, "cannot read a file");
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == alloc) {
			free(buf);
			return xc_fail(XC_EREAD, "file changed while read");
		}
	}
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	return 0;
}

int
xc_dir_read_file(int dirfd, const char *name, size_t cap, char **buf,
    size_t *len)
{
	int fd, rc;

	if ((rc = xc_file_open(dirfd, name, &fd, NULL)) < 0)
		return rc;
	rc = xc_fd_slurp(fd, cap, buf, len);
	close(fd);
	return rc;
}

/* ---- temporary files ---- */

#define SLOTS 16
static struct {
	volatile sig_atomic_t used;
	int dirfd;
	char name[XC_TMP_NAME_MAX];
} slots[SLOTS];

static int
remember(int dirfd, const char *name)
{
	int i;

	for (i = 0; i < SLOTS; i++)
		if (!slots[i].used) {
			slots[i].dirfd = dirfd;
			memcpy(slots[i].name, name, strlen(name) + 1);
			slots[i].used = 1;	/* last: the handler reads it */
			return 0;
		}
	return -1;	/* only left for a later sweep */
}

void
xc_tmp_forget(const char *name)
{
	int i;

	for (i = 0; i < SLOTS; i++)
		if (slots[i].used && strcmp(slots[i].name, name) == 0)
			slots[i].used = 0;
}

void
xc_tmp_remove(int dirfd, const char *name)
{
	int saved = errno;

	unlinkat(dirfd, name, 0);
	xc_tmp_forget(name);
	errno = saved;
}

void
xc_tmp_cleanup(void)
{
	int i, saved = errno;

	for (i = 0; i < SLOTS; i++)
		if (slots[i].used)
			unlinkat(slots[i].dirfd, slots[i].name, 0);
	errno = saved;
}

int
xc_tmp_create(int dirfd, const char *prefix, const char *suffix,
    unsigned mode, char name[XC_TMP_NAME_MAX], int *fd)
{
	char pre[XC_TMP_NAME_MAX + 1], hex[17];
	uint8_t r[8];
	int rc;

	randombytes_buf(r, sizeof r);
	sodium_bin2hex(hex, sizeof hex, r, sizeof r);
	if (snprintf(name, XC_TMP_NAME_MAX, "%s%s%s", prefix, hex, suffix) >=
	    XC_TMP_NAME_MAX - 1)
		return xc_fail(XC_EINVAL, "temporary file name too long");
	remember(dirfd, name);
#ifdef O_TMPFILE
	/* Made without a name, locked, then named: a killed writer leaves
	 * nothing, or a named file whose lock is free. */
	if ((*fd = openat(dirfd, ".", O_RDWR | O_TMPFILE | O_CLOEXEC, 0600))
	    >= 0) {
		if (flock(*fd, LOCK_EX | LOCK_NB) == 0 &&
		    fchmod(*fd, (mode_t)mode) == 0 &&
		    xc_link_fd(*fd, -1, NULL, dirfd, name) == 0)
			return 0;
		if (errno == EEXIST) {
			rc = xc_fail(XC_EWRITE, "cannot create a file");
			close(*fd);
			*fd = -1;
			xc_tmp_forget(name);
			return rc;
		}
		close(*fd);	/* no /proc, no flock: the other way */
	}
#endif
	/* The name being made ends in '~': sweeps leave it alone. */
	snprintf(pre, sizeof pre, "%s~", name);
	remember(dirfd, pre);
	if ((*fd = openat(dirfd, pre, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) < 0) {
		xc_tmp_forget(pre);
		xc_tmp_forget(name);
		return xc_fail(XC_EWRITE, "cannot create a file");
	}
	if (flock(*fd, LOCK_EX | LOCK_NB) != 0 && errno != ENOLCK &&
	    errno != EOPNOTSUPP && errno != EINVAL) {
		rc = xc_fail(XC_EWRITE, "cannot lock a new file");
		goto bad;
	}
	if (fchmod(*fd, (mode_t)mode) != 0) {
		rc = xc_fail(XC_EWRITE, "cannot set a file's mode");
		goto bad;
	}
	if (renameat(dirfd, pre, dirfd, name) != 0) {
		rc = xc_fail(XC_EWRITE, "cannot create a file");
		goto bad;
	}
	xc_tmp_forget(pre);
	return 0;
bad:
	close(*fd);
	*fd = -1;
	xc_tmp_remove(dirfd, pre);
	xc_tmp_forget(name);
	return rc;
}

int
xc_link_fd(int fd, int olddir, const char *oldname, int dirfd,
    const char *name)
{
	char proc[64];

	/* The very file open as fd, whatever became of its old name. */
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	if (linkat(AT_FDCWD, proc, dirfd, name, AT_SYMLINK_FOLLOW) == 0)
		return 0;
	if (errno == ENOENT && oldname != NULL &&
	    access("/proc/self/fd", X_OK) != 0)
		return linkat(olddir, oldname, dirfd, name, 0);
	return -1;
}

int
xc_dir_each(int dirfd, int (*each)(void *arg, const char *name,
    uint64_t ino), void *arg)
{
	struct dirent *e;
	DIR *d;
	int fd, rc = 0;

	if ((fd = dup(dirfd)) < 0)
		return xc_fail(XC_EREAD, "cannot read a directory");
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return xc_fail(XC_EREAD, "cannot read a directory");
	}
	rewinddir(d);
	for (;;) {
		errno = 0;
		if ((e = readdir(d)) == NULL) {
			if (errno != 0)
				rc = xc_fail(XC_EREAD, "cannot read a directory");
			break;
		}
		if (e->d_name[0] == '.' && (e->d_name[1] == '\0' ||
		    (e->d_name[1] == '.' && e->d_name[2] == '\0')))
			continue;
		if ((rc = each(arg, e->d_name, (uint64_t)e->d_ino)) != 0)
			break;
	}
	closedir(d);
	return rc;
}

struct list {
	int (*keep)(void *arg, const char *name);
	void *arg;
	char **v;
	size_t n, cap;
};

static int
list_one(void *arg, const char *name, uint64_t ino)
{
	struct list *l = arg;

	(void)ino;
	if (l->keep && !l->keep(l->arg, name))
		return 0;
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 64;
		void *v = realloc(l->v, ncap * sizeof *l->v);
		if (v == NULL)
			return xc_fail(XC_ENOMEM, "out of memory");
		l->v = v;
		l->cap = ncap;
	}
	if ((l->v[l->n] = strdup(name)) == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	l->n++;
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
xc_dir_list(int dirfd, int (*keep)(void *arg, const char *name), void *arg,
    char ***names, size_t *n)
{
	struct list l = { keep, arg, NULL, 0, 0 };
	int rc = xc_dir_each(dirfd, list_one, &l);

	if (rc < 0) {
		xc_dir_list_free(l.v, l.n);
		return rc;
	}
	if (l.n)
		qsort(l.v, l.n, sizeof *l.v, cmp_str);
	*names = l.v;
	*n = l.n;
	return 0;
}

void
xc_dir_list_free(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

struct sweep {
	int dirfd;
	int (*match)(void *arg, const char *name);
	void *arg;
	time_t old;
	size_t removed;
};

static int
sweep_one(void *arg, const char *name, uint64_t ino)
{
	struct sweep *s = arg;
	struct stat sb, fb;
	size_t n = strlen(name);
	int fd;

	(void)ino;
	if (fstatat(s->dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0 ||
	    !S_ISREG(sb.st_mode) || sb.st_uid != geteuid())
		return 0;
	/* A name still being made: only once it is a day old. */
	if (n > 1 && name[n - 1] == '~') {
		char base[XC_TMP_NAME_MAX];
		if (n >= sizeof base)
			return 0;
		memcpy(base, name, n - 1);
		base[n - 1] = '\0';
		if (s->match(s->arg, base) && sb.st_mtime < s->old &&
		    unlinkat(s->dirfd, name, 0) == 0)
			s->removed++;
		return 0;
	}
	if (!s->match(s->arg, name))
		return 0;
	if ((fd = openat(s->dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) < 0)
		return 0;
	/* The lock is free: whoever wrote it is gone. */
	if (flock(fd, LOCK_EX | LOCK_NB) == 0 && fstat(fd, &fb) == 0 &&
	    fb.st_ino == sb.st_ino && fb.st_dev == sb.st_dev &&
	    unlinkat(s->dirfd, name, 0) == 0)
		s->removed++;
	close(fd);
	return 0;
}

int
xc_tmp_sweep(int dirfd, int (*match)(void *arg, const char *name), void *arg,
    size_t *removed)
{
	struct sweep s = { dirfd, match, arg, time(NULL) - 86400, 0 };
	int rc = xc_dir_each(dirfd, sweep_one, &s);

	if (removed)
		*removed += s.removed;
	return rc;
}

/* 16 lower-case hex digits at s. */
static int
hex16(const char *s)
{
	int i;

	for (i = 0; i < 16; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int
xc_tmp_is_maildir(void *arg, const char *name)
{
	const char *p = name + 16;

	(void)arg;
	if (strlen(name) < 22 || !hex16(name) || *p++ != '.')
		return 0;
	if (*p < '0' || *p > '9')
		return 0;
	while (*p >= '0' && *p <= '9')
		p++;
	return strcmp(p, ".tmp") == 0;
}

int
xc_tmp_is_state(void *arg, const char *name)
{
	(void)arg;
	return strncmp(name, ".tmp-", 5) == 0 && strlen(name) == 21 &&
	    hex16(name + 5);
}

int
xc_maildir_tmp(int dirfd, char name[XC_TMP_NAME_MAX], unsigned mode, int *fd)
{
	char suffix[32];

	snprintf(suffix, sizeof suffix, ".%ld.tmp", (long)getpid());
	return xc_tmp_create(dirfd, "", suffix, mode, name, fd);
}

int
xc_dir_write_file(int dirfd, const char *name, const void *buf, size_t len,
    unsigned mode, int excl)
{
	char tmp[XC_TMP_NAME_MAX];
	size_t off = 0;
	int fd, rc = 0;

	if ((rc = xc_tmp_create(dirfd, ".tmp-", "", mode, tmp, &fd)) < 0)
		return rc;
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
	if (rc == 0) {
		if (excl ? linkat(dirfd, tmp, dirfd, name, 0) != 0 :
		    renameat(dirfd, tmp, dirfd, name) != 0)
			rc = errno == EEXIST ? xc_fail(XC_EEXIST,
			    "file exists") : xc_fail(XC_EWRITE,
			    "cannot put a file in place");
	}
	/* After link(), or after a failure; a rename took the name. */
	if (excl || rc < 0)
		xc_tmp_remove(dirfd, tmp);
	else
		xc_tmp_forget(tmp);
	if (close(fd) != 0 && rc == 0)
		rc = xc_fail(XC_EWRITE, "cannot write a file");
	if (rc == 0)
		rc = xc_dir_sync(dirfd);
	return rc;
}

int
xc_lock_at(int dirfd, const char *name, int wait, int *fd)
{
	struct stat sb;

	if ((*fd = openat(dirfd, name, O_RDWR | O_CREAT | O_NOFOLLOW |
	    O_NONBLOCK | O_CLOEXEC, 0600)) < 0) {
		if (errno == ELOOP)
			return unsafe(dirfd, name, "a regular file");
		return xc_fail(errno == ENOENT ? XC_ENOTFOUND : XC_EWRITE,
		    "cannot open a lock file");
	}
	if (fstat(*fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(*fd);
		*fd = -1;
		return unsafe(dirfd, name, "a regular file");
	}
	while (flock(*fd, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0)
		if (errno != EINTR) {
			int busy = errno == EWOULDBLOCK;
			close(*fd);
			*fd = -1;
			return busy ? xc_fail(XC_ELOCKED, "locked by another "
			    "process") : xc_fail(XC_EWRITE, "cannot lock");
		}
	return 0;
}
