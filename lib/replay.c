/*
 * replay.c - the replay store of xc-open: which envelope each (sender
 * identity key, message id) was first opened from.
 *
 * A letter's id is chosen by its sender and signed, so a second envelope
 * carrying the same letter (a co-recipient re-wrapping the header under the
 * same file key with a new route stanza, a relay or spool serving an old
 * envelope again) is the same message delivered twice: refused, while the
 * envelope it was first opened from may be opened again.
 *
 * Files, under $XC_HOME/state/ and the lock opened.lock:
 *   opened      a header record, then records sorted by key: lookups are a
 *               binary search with pread(2), O(log n);
 *   opened.new  an append-only journal of newer records, synced record by
 *               record, read whole (at most XC_REPLAY_JOURNAL records, then
 *               merged into "opened", which is rewritten whole by
 *               xc_write_file: temp file, fsync, rename, fsync).
 * A record is 80 bytes of text: 32 hex digits of key, a space, 32 of
 * envelope, a space, 13 decimal digits of "until", a newline.  The key is
 * BLAKE2b-128("xc-replay-v1" NUL || identity key || id); "until" is the
 * later of opening and the letter's date, plus XC_REPLAY_DAYS.  The header
 * record holds "evicted", the largest "until" of a record dropped early to
 * keep XC_REPLAY_MAX: a letter whose record could have been one of those is
 * reported as dated before the window, never taken for new.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "xc.h"

#define REC 80
#define WINDOW ((int64_t)XC_REPLAY_DAYS * 86400)
static const char magic[] = "xc-opened-v1";

typedef struct {
	char key[33], env[33];
	int64_t until;
} rec;

struct xc_replay {
	char dir[XC_PATH_MAX];
	int lockfd, mainfd, jfd;
	size_t nmain;
	int64_t evicted;
	rec *j;			/* the journal, in order */
	size_t nj, jcap;
};

static int
path(char out[XC_PATH_MAX], const char *dir, const char *file)
{
	if (snprintf(out, XC_PATH_MAX, "%s/%s", dir, file) >= XC_PATH_MAX)
		return xc_fail(XC_EINVAL, "path too long");
	return 0;
}

static int
hexok(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static int
parse(rec *r, const char *b)
{
	size_t i;
	int64_t v = 0;

	if (b[32] != ' ' || b[65] != ' ' || b[REC - 1] != '\n' ||
	    !hexok(b, 32) || !hexok(b + 33, 32))
		return -1;
	for (i = 66; i < REC - 1; i++) {
		if (b[i] < '0' || b[i] > '9')
			return -1;
		v = v * 10 + (b[i] - '0');
	}
	memcpy(r->key, b, 32);
	r->key[32] = '\0';
	memcpy(r->env, b + 33, 32);
	r->env[32] = '\0';
	r->until = v;
	return 0;
}

static void
format(char b[REC + 1], const rec *r)
{
	char t[128];
	long long u = r->until < 0 ? 0 : r->until > 9999999999999LL ?
	    9999999999999LL : (long long)r->until;	/* 13 digits */

	snprintf(t, sizeof t, "%.32s %.32s %013lld\n", r->key, r->env, u);
	memcpy(b, t, REC + 1);
}

static int
read_all(int fd, off_t off, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, (char *)buf + got, len - got,
		    off + (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return xc_fail(XC_EREAD, "cannot read the replay store");
		got += (size_t)n;
	}
	return 0;
}

/* The main file: its header, and how many records follow. */
static int
open_main(xc_replay *r)
{
	char p[XC_PATH_MAX], b[REC + 1];
	struct stat sb;
	long long ev;
	int rc;

	if ((rc = path(p, r->dir, "opened")) < 0)
		return rc;
	if ((r->mainfd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return errno == ENOENT ? 0 : xc_fail(XC_EREAD,
		    "cannot open the replay store");
	if (fstat(r->mainfd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    sb.st_size < REC || sb.st_size % REC != 0 ||
	    (uint64_t)sb.st_size / REC > (uint64_t)XC_REPLAY_MAX + 1)
		return xc_fail(XC_EJSON, "the replay store is damaged");
	if ((rc = read_all(r->mainfd, 0, b, REC)) < 0)
		return rc;
	b[REC] = '\0';
	if (memcmp(b, magic, sizeof magic - 1) != 0 ||
	    sscanf(b + sizeof magic - 1, " %lld", &ev) != 1 || ev < 0)
		return xc_fail(XC_EJSON, "the replay store is damaged");
	r->evicted = (int64_t)ev;
	r->nmain = (size_t)(sb.st_size / REC) - 1;
	return 0;
}

/* The journal, read whole; a torn last record (a crash while appending) is
 * cut off so that the next append starts on a record boundary. */
static int
open_journal(xc_replay *r)
{
	char p[XC_PATH_MAX], *buf;
	struct stat sb;
	size_t n, i;
	int rc;

	if ((rc = path(p, r->dir, "opened.new")) < 0)
		return rc;
	if ((r->jfd = open(p, O_RDWR | O_CREAT | O_APPEND | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) < 0 || fstat(r->jfd, &sb) != 0 ||
	    !S_ISREG(sb.st_mode))
		return xc_fail(XC_EREAD, "cannot open the replay journal");
	n = (size_t)sb.st_size / REC;
	if (n > 4 * XC_REPLAY_JOURNAL)
		return xc_fail(XC_EJSON, "the replay journal is damaged");
	if ((off_t)(n * REC) != sb.st_size &&
	    (ftruncate(r->jfd, (off_t)(n * REC)) != 0 || fsync(r->jfd) != 0))
		return xc_fail(XC_EWRITE, "cannot repair the replay journal");
	r->jcap = n + 8;
	if ((r->j = malloc(r->jcap * sizeof *r->j)) == NULL ||
	    (buf = malloc(n * REC + 1)) == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	if ((rc = read_all(r->jfd, 0, buf, n * REC)) == 0)
		for (i = 0; i < n && rc == 0; i++)
			if (parse(&r->j[i], buf + i * REC) != 0)
				rc = xc_fail(XC_EJSON,
				    "the replay journal is damaged");
	free(buf);
	r->nj = rc == 0 ? n : 0;
	return rc;
}

int
xc_replay_open(xc_replay **out, const char *home)
{
	char p[XC_PATH_MAX];
	xc_replay *r;
	int rc;

	if ((r = calloc(1, sizeof *r)) == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	r->lockfd = r->mainfd = r->jfd = -1;
	if (snprintf(r->dir, sizeof r->dir, "%s/state", home) >=
	    (int)sizeof r->dir) {
		free(r);
		return xc_fail(XC_EINVAL, "path too long");
	}
	if ((rc = xc_mkdirs(r->dir)) < 0 ||
	    (rc = path(p, r->dir, "opened.lock")) < 0 ||
	    (rc = xc_lock(p, 1, &r->lockfd)) < 0 ||
	    (rc = open_main(r)) < 0 || (rc = open_journal(r)) < 0) {
		xc_replay_close(r);
		return rc;
	}
	*out = r;
	return 0;
}

void
xc_replay_close(xc_replay *r)
{
	if (r == NULL)
		return;
	if (r->mainfd >= 0)
		close(r->mainfd);
	if (r->jfd >= 0)
		close(r->jfd);
	if (r->lockfd >= 0)
		close(r->lockfd);	/* unlocks */
	free(r->j);
	free(r);
}

static void
make_key(char out[33], const uint8_t ik[32], const char *id)
{
	static const char ctx[] = "xc-replay-v1";
	crypto_generichash_state st;
	uint8_t h[16];

	crypto_generichash_init(&st, NULL, 0, sizeof h);
	crypto_generichash_update(&st, (const uint8_t *)ctx, sizeof ctx);
	crypto_generichash_update(&st, ik, 32);
	crypto_generichash_update(&st, (const uint8_t *)id, strlen(id));
	crypto_generichash_final(&st, h, sizeof h);
	sodium_bin2hex(out, 33, h, sizeof h);
}

/* The record of key: the journal's latest, else the main file's. */
static int
find(xc_replay *r, const char *key, rec *found)
{
	char b[REC];
	size_t lo = 0, hi = r->nmain, i;
	int rc, c;

	for (i = r->nj; i > 0; i--)
		if (memcmp(r->j[i - 1].key, key, 32) == 0) {
			*found = r->j[i - 1];
			return 1;
		}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if ((rc = read_all(r->mainfd, (off_t)((mid + 1) * REC), b,
		    REC)) < 0)
			return rc;
		c = memcmp(b, key, 32);
		if (c == 0)
			return parse(found, b) == 0 ? 1 :
			    xc_fail(XC_EJSON, "the replay store is damaged");
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

int
xc_replay_check(xc_replay *r, const uint8_t ik[32], const char *id,
    const uint8_t env[16], int64_t date, int64_t now, int *verdict,
    int64_t *start)
{
	char key[33], envhex[33];
	rec f;
	int rc;

	make_key(key, ik, id);
	sodium_bin2hex(envhex, sizeof envhex, env, 16);
	/* A letter dated at or before evicted - WINDOW may have had its
	 * record evicted; one older than now - WINDOW, expired. */
	*start = now - WINDOW;
	if (r->evicted - WINDOW + 1 > *start)
		*start = r->evicted - WINDOW + 1;
	if ((rc = find(r, key, &f)) < 0)
		return rc;
	if (rc == 1)
		*verdict = memcmp(f.env, envhex, 32) == 0 ? XC_REPLAY_SAME :
		    XC_REPLAY_OTHER;
	else
		*verdict = date < *start ? XC_REPLAY_OLD : XC_REPLAY_NEW;
	return 0;
}

static int
cmp_key(const void *a, const void *b)
{
	return memcmp(((const rec *)a)->key, ((const rec *)b)->key, 32);
}

static int
cmp_until(const void *a, const void *b)
{
	const rec *x = a, *y = b;

	return x->until < y->until ? -1 : x->until > y->until;
}

/* Merges the journal into the main file: expired records dropped, the
 * first to expire evicted beyond XC_REPLAY_MAX, sorted, written whole.
 * One key has one record, but a crash between the rewrite and the
 * journal's truncation leaves two copies: the later "until" is kept. */
static int
compact(xc_replay *r, int64_t now)
{
	char p[XC_PATH_MAX], *buf = NULL, *out = NULL;
	size_t n = 0, i, k;
	rec *v;
	int rc = 0;

	if ((v = malloc((r->nmain + r->nj + 1) * sizeof *v)) == NULL ||
	    (r->nmain && (buf = malloc(r->nmain * REC)) == NULL)) {
		free(v);
		return xc_fail(XC_ENOMEM, "out of memory");
	}
	if (r->nmain && (rc = read_all(r->mainfd, REC, buf,
	    r->nmain * REC)) < 0)
		goto out;
	for (i = 0; i < r->nmain; i++)
		if (parse(&v[n], buf + i * REC) == 0 && v[n].until >= now)
			n++;
	for (i = 0; i < r->nj; i++)
		if (r->j[i].until >= now)
			v[n++] = r->j[i];
	qsort(v, n, sizeof *v, cmp_key);
	for (i = k = 0; i < n; i++) {
		if (k > 0 && memcmp(v[k - 1].key, v[i].key, 32) == 0) {
			if (v[i].until > v[k - 1].until)
				v[k - 1] = v[i];
			continue;
		}
		v[k++] = v[i];
	}
	n = k;
	if (n > XC_REPLAY_MAX) {
		qsort(v, n, sizeof *v, cmp_until);
		for (i = 0; i < n - XC_REPLAY_MAX; i++)
			if (v[i].until > r->evicted)
				r->evicted = v[i].until;
		memmove(v, v + (n - XC_REPLAY_MAX), XC_REPLAY_MAX * sizeof *v);
		n = XC_REPLAY_MAX;
		qsort(v, n, sizeof *v, cmp_key);
	}
	if ((out = malloc((n + 1) * REC + 1)) == NULL) {
		rc = xc_fail(XC_ENOMEM, "out of memory");
		goto out;
	}
	snprintf(out, REC + 1, "%s %-*lld\n", magic,
	    (int)(REC - sizeof magic - 1), (long long)r->evicted);
	for (i = 0; i < n; i++)
		format(out + (i + 1) * REC, &v[i]);
	if ((rc = path(p, r->dir, "opened")) < 0 ||
	    (rc = xc_write_file(p, out, (n + 1) * REC, 0600, 0)) < 0)
		goto out;
	/* The merged records are in "opened" now: the journal restarts. */
	if (ftruncate(r->jfd, 0) != 0 || fsync(r->jfd) != 0)
		rc = xc_fail(XC_EWRITE, "cannot truncate the replay journal");
	r->nj = 0;
out:
	free(out);
	free(buf);
	free(v);
	return rc;
}

int
xc_replay_add(xc_replay *r, const uint8_t ik[32], const char *id,
    const uint8_t env[16], int64_t date, int64_t now)
{
	char b[REC + 1];
	rec x;
	size_t off = 0;

	make_key(x.key, ik, id);
	sodium_bin2hex(x.env, sizeof x.env, env, 16);
	x.until = (date > now ? date : now) + WINDOW;
	if (r->nj == r->jcap)
		return xc_fail(XC_ELIMIT, "too many records in one run");
	format(b, &x);
	while (off < REC) {
		ssize_t w = write(r->jfd, b + off, REC - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return xc_fail(XC_EWRITE,
			    "cannot write the replay journal");
		off += (size_t)w;
	}
	if (fsync(r->jfd) != 0)
		return xc_fail(XC_EWRITE, "cannot sync the replay journal");
	r->j[r->nj++] = x;
	if (r->nj >= XC_REPLAY_JOURNAL)
		return compact(r, now);
	return 0;
}
