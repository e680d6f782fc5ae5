/*
 * store.c - what xc-fetch remembers between runs (xc-spool(5), "Reading"):
 * a set of 32-byte keys, each with a 64-bit value,
 * kept in a text file of "HEX VALUE" lines in the keyring's state/.
 *
 * Two stores use it: state/seen (the ids of envelopes fetched into the
 * inbox, verified by hashing their bytes, until they expire) and
 * state/skipped (spool files looked at and not fetched, by what the
 * transport says of the copy: a file replaced or changed is another key,
 * so junk remembered there can never hide a real envelope).
 *
 * Lookups are constant time (open addressing, keyed SipHash so that keys an
 * attacker can grind do not pile up), loading and saving are linear.  Runs
 * append what they add and sync it; the file is rewritten only when
 * forgotten entries make up most of it.  A torn last line, from a crash in
 * the middle of an append, is ignored and ended before the next append.
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

static uint8_t sipkey[crypto_shorthash_KEYBYTES];
static int sipkey_set;

static size_t
slot_of(const xc_store *s, const uint8_t key[32])
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v;

	if (!sipkey_set) {
		randombytes_buf(sipkey, sizeof sipkey);
		sipkey_set = 1;
	}
	crypto_shorthash(h, key, 32, sipkey);
	memcpy(&v, h, sizeof v);
	return (size_t)(v & (s->nslot - 1));
}

static int
grow(xc_store *s)
{
	size_t nslot = s->nslot ? s->nslot * 2 : 1024, i;
	uint32_t *slot;

	if (nslot > ((size_t)1 << 31) || (slot = calloc(nslot, sizeof *slot))
	    == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	free(s->slot);
	s->slot = slot;
	s->nslot = nslot;
	for (i = 0; i < s->n; i++) {
		size_t k = slot_of(s, s->v[i].key);
		while (s->slot[k])
			k = (k + 1) & (s->nslot - 1);
		s->slot[k] = (uint32_t)(i + 1);
	}
	return 0;
}

static xc_store_entry *
find(const xc_store *s, const uint8_t key[32])
{
	size_t k;

	if (s->nslot == 0)
		return NULL;
	for (k = slot_of(s, key); s->slot[k]; k = (k + 1) & (s->nslot - 1))
		if (memcmp(s->v[s->slot[k] - 1].key, key, 32) == 0)
			return &s->v[s->slot[k] - 1];
	return NULL;
}

xc_store_entry *
xc_store_get(const xc_store *s, const uint8_t key[32])
{
	return find(s, key);
}

int
xc_store_put(xc_store *s, const uint8_t key[32], int64_t val)
{
	xc_store_entry *e = find(s, key);
	size_t k;
	int rc;

	if (e) {
		if (e->val != val) {
			e->val = val;
			s->dirty = 1;
		}
		e->mark = 1;
		return 0;
	}
	if (s->n >= XC_MAX_STORE)
		return xc_fail(XC_ELIMIT, "too many entries in a store");
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 256;
		void *v = realloc(s->v, ncap * sizeof *s->v);
		if (v == NULL)
			return xc_fail(XC_ENOMEM, "out of memory");
		s->v = v;
		s->cap = ncap;
	}
	/* At most half full. */
	if ((s->n + 1) * 2 > s->nslot && (rc = grow(s)) < 0)
		return rc;
	e = &s->v[s->n];
	memcpy(e->key, key, 32);
	e->val = val;
	e->mark = 1;
	for (k = slot_of(s, key); s->slot[k]; k = (k + 1) & (s->nslot - 1))
		;
	s->slot[k] = (uint32_t)(++s->n);
	return 0;
}

static int
unhex(uint8_t *out, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < 2 * n; i++) {
		int c = s[i], v;
		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else
			return -1;
		if (i % 2 == 0)
			out[i / 2] = (uint8_t)(v << 4);
		else
			out[i / 2] |= (uint8_t)v;
	}
	return 0;
}

/* One line: 2*keylen hex digits, a space, a decimal value (a sign allowed),
 * nothing else.  -1 if it is not that. */
static int
parse_line(const char *l, size_t n, size_t keylen, uint8_t key[32],
    int64_t *val)
{
	size_t i = 2 * keylen, j;
	int64_t v = 0;
	int neg = 0;

	memset(key, 0, 32);
	if (n < i + 2 || l[i] != ' ' || unhex(key, keylen, l) != 0)
		return -1;
	j = i + 1;
	if (l[j] == '-') {
		neg = 1;
		j++;
	}
	if (j == n || n - j > 18)
		return -1;
	for (; j < n; j++) {
		if (l[j] < '0' || l[j] > '9')
			return -1;
		v = v * 10 + (l[j] - '0');
	}
	*val = neg ? -v : v;
	return 0;
}

int
xc_store_parse(xc_store *s, const char *buf, size_t len, size_t keylen,
    int64_t now)
{
	const char *l = buf, *end = buf + len;
	int rc = 0;

	if (keylen == 0 || keylen > 32)
		return xc_fail(XC_EINVAL, "bad key length");
	s->keylen = keylen;
	while (l < end) {
		const char *nl = memchr(l, '\n', (size_t)(end - l));
		uint8_t key[32];
		int64_t v;
		if (nl == NULL) {
			s->torn = 1;	/* that entry was never synced */
			break;
		}
		if (parse_line(l, (size_t)(nl - l), keylen, key, &v) != 0)
			s->bad++;
		else if (s->expires && v != 0 && v <= now)
			s->dropped++;	/* forgotten */
		else if (find(s, key) != NULL)
			s->dropped++;	/* a duplicate: the rewrite drops it */
		else if ((rc = xc_store_put(s, key, v)) < 0)
			break;
		l = nl + 1;
	}
	/* What the file holds is not new: only marks tell what was used. */
	for (size_t i = 0; i < s->n; i++)
		s->v[i].mark = 0;
	s->nloaded = s->n;
	s->dirty = 0;
	return rc;
}

int
xc_store_load(xc_store *s, int dirfd, const char *name, size_t keylen,
    int expires, int64_t now)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	memset(s, 0, sizeof *s);
	s->dirfd = dirfd;
	s->expires = expires;
	s->keylen = keylen;
	if (snprintf(s->name, sizeof s->name, "%s", name) >=
	    (int)sizeof s->name)
		return xc_fail(XC_EINVAL, "store name too long");
	rc = xc_dir_read_file(dirfd, name, (size_t)XC_MAX_STORE * 80, &buf,
	    &len);
	if (rc == XC_ENOTFOUND)
		return xc_store_parse(s, "", 0, keylen, now);
	if (rc < 0)
		return rc;
	rc = xc_store_parse(s, buf, len, keylen, now);
	free(buf);
	return rc;
}

static size_t
format(const xc_store *s, char *out, size_t i)
{
	char hex[65];

	sodium_bin2hex(hex, sizeof hex, s->v[i].key, s->keylen);
	return (size_t)sprintf(out, "%s %lld\n", hex, (long long)s->v[i].val);
}

/* Rewrites the whole file from the entries that keep(arg, entry) wants. */
int
xc_store_rewrite(xc_store *s, int (*keep)(void *arg, const xc_store_entry *e),
    void *arg)
{
	size_t i, k = 0, line = 2 * s->keylen + 24;
	char *text;
	int rc;

	if (s->n > SIZE_MAX / line - 1 ||
	    (text = malloc(s->n * line + 1)) == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	for (i = 0; i < s->n; i++)
		if (keep == NULL || keep(arg, &s->v[i]))
			k += format(s, text + k, i);
	rc = xc_dir_write_file(s->dirfd, s->name, text, k, 0600, 0);
	free(text);
	if (rc == 0) {
		s->nloaded = s->n;
		s->dropped = s->bad = 0;
		s->torn = 0;
		s->dirty = 0;
	}
	return rc;
}

int
xc_store_save(xc_store *s)
{
	size_t i, k = 0, line = 2 * s->keylen + 24;
	struct stat sb;
	char *text, last;
	int fd, rc = 0, created = 0;

	/* Mostly forgotten lines, or changed values: a new file. */
	if (s->dirty || s->dropped + s->bad > s->nloaded)
		return xc_store_rewrite(s, NULL, NULL);
	if (s->n == s->nloaded)
		return 0;
	if ((text = malloc((s->n - s->nloaded) * line + 1)) == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	for (i = s->nloaded; i < s->n; i++)
		k += format(s, text + k, i);
	if ((fd = openat(s->dirfd, s->name, O_RDWR | O_APPEND | O_CREAT |
	    O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600)) < 0) {
		rc = xc_fail(errno == ELOOP ? XC_EINSECURE : XC_EWRITE,
		    "cannot open a state file");
		goto out;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))
		rc = xc_fail(XC_EINSECURE, "a state file that is not a "
		    "regular file: not used");
	else if (sb.st_size == 0)
		created = 1;
	/* A torn last line (a crash mid-append) is ended first: otherwise it
	 * would swallow the first line appended now. */
	else if (pread(fd, &last, 1, sb.st_size - 1) == 1 && last != '\n')
		rc = xc_fd_write(&fd, (const uint8_t *)"\n", 1);
	if (rc == 0 && (rc = xc_fd_write(&fd, (uint8_t *)text, k)) == 0 &&
	    fsync(fd) != 0)
		rc = xc_fail(XC_EWRITE, "cannot sync a state file");
	if (close(fd) != 0 && rc == 0)
		rc = xc_fail(XC_EWRITE, "cannot write a state file");
	if (rc == 0 && created)
		rc = xc_dir_sync(s->dirfd);
	if (rc == 0) {
		s->nloaded = s->n;
		s->torn = 0;
	}
out:
	free(text);
	return rc;
}

void
xc_store_free(xc_store *s)
{
	free(s->v);
	free(s->slot);
	memset(s, 0, sizeof *s);
}

/* ---- the seen ids: envelope ids in hex ---- */

int
xc_store_key_hex(uint8_t key[32], const char *hex)
{
	memset(key, 0, 32);
	return unhex(key, 32, hex);
}
