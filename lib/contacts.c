/*
 * contacts.c - contacts and strangers: who a key is to this keyring.
 *
 * An identity is its key; a handle is a name its owner claims; a contact is
 * a local name bound to a pinned identity key.  Trust changes only by the
 * user's commands (xc_contact_import, _mark, _accept, _forget, _rename);
 * what arrives in a letter may only bring a later card of a contact's own
 * identity key (xc_contact_update: a rotation, not a change of trust), or
 * wait in the quarantine of strangers' cards (xc_stranger_keep) until the
 * user adopts it by name.
 *
 * On disk: contacts/NAME/{card,state,pending}, contacts/.keys/IKHEX (the
 * name of the contact of each identity key, so that a letter finds its
 * sender's contact in one read), contacts/.lock (every change of a contact
 * is made under it), strangers/IKHEX and strangers/.lock.  Every file is
 * written whole (xc_write_file).  The key index is written before a card
 * and removed after one, so a crash leaves at worst an entry pointing
 * nowhere, which the next lookup finds stale and repairs.
 */
#include <dirent.h>
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

static const char *const trust[] = { "stranger", "contact", "verified",
	"changed" };

const char *
xc_trust_name(int state)
{
	return state >= XC_TRUST_STRANGER && state <= XC_TRUST_CHANGED ?
	    trust[state] : "unknown";
}

#define cpath(out, home, name, file) \
	xc_keyring_path(out, home, "contacts", name, file)

static int
read_card(const char *path, xc_card *c, char **bytes, size_t *blen)
{
	char *buf;
	size_t len;
	int rc;

	if ((rc = xc_read_file(path, XC_MAX_CARD, 0, &buf, &len)) < 0)
		return rc;
	rc = xc_card_parse(c, buf, len);
	if (rc == 0 && bytes != NULL) {
		if ((*bytes = malloc(len + 1)) == NULL)
			rc = xc_fail(XC_ENOMEM, "out of memory");
		else {
			memcpy(*bytes, buf, len);
			(*bytes)[len] = '\0';
			*blen = len;
		}
	}
	sodium_free(buf);
	return rc;
}

/* contacts/.lock or strangers/.lock, making the directory (and the
 * contacts' key index) first. */
static int
lock_dir(const char *home, const char *kind, int *fd)
{
	char p[XC_PATH_MAX];
	int rc;

	if ((rc = xc_keyring_path(p, home, kind, strcmp(kind, "contacts") == 0 ?
	    ".keys" : "", NULL)) < 0 || (rc = xc_mkdirs(p)) < 0 ||
	    (rc = xc_keyring_path(p, home, kind, ".lock", NULL)) < 0)
		return rc;
	return xc_lock(p, 1, fd);
}

/* The name is a handle's syntax, canonical. */
static int
name_norm(char out[XC_HANDLE_MAX + 1], const char *name)
{
	return xc_handle_norm(out, name, strlen(name));
}

static void
ikhex(char out[65], const uint8_t ik[32])
{
	sodium_bin2hex(out, 65, ik, 32);
}

/* contacts/.keys/IKHEX */
static int
index_path(char out[XC_PATH_MAX], const char *home, const uint8_t ik[32])
{
	char hex[65];

	ikhex(hex, ik);
	return cpath(out, home, ".keys", hex);
}

static int
index_set(const char *home, const uint8_t ik[32], const char *name)
{
	char p[XC_PATH_MAX], text[XC_HANDLE_MAX + 2];
	int rc, n;

	if ((rc = cpath(p, home, ".keys", NULL)) < 0 ||
	    (rc = xc_mkdirs(p)) < 0 || (rc = index_path(p, home, ik)) < 0)
		return rc;
	n = snprintf(text, sizeof text, "%s\n", name);
	return xc_write_file(p, text, (size_t)n, 0644, 0);
}

static void
index_drop(const char *home, const uint8_t ik[32], const char *name)
{
	char p[XC_PATH_MAX], *buf;
	size_t len;

	/* Only an entry that still names this contact. */
	if (index_path(p, home, ik) < 0 ||
	    xc_read_file(p, 64, 0, &buf, &len) < 0)
		return;
	if (len == strlen(name) + 1 && memcmp(buf, name, len - 1) == 0)
		unlink(p);
	sodium_free(buf);
}

/* "WORD [PINNED]": the state file; "tofu" is an older name of contact. */
static void
read_state(const char *home, const char *name, xc_contact *ct)
{
	char p[XC_PATH_MAX], *buf, word[16];
	long long when = 0;
	size_t len;
	int i;

	ct->state = XC_TRUST_CONTACT;
	ct->pinned = 0;
	if (cpath(p, home, name, "state") < 0 ||
	    xc_read_file(p, 64, 0, &buf, &len) < 0)
		return;
	buf[len] = '\0';	/* xc_read_file leaves a spare byte */
	if (sscanf(buf, "%15s %lld", word, &when) >= 1) {
		for (i = XC_TRUST_CONTACT; i <= XC_TRUST_CHANGED; i++)
			if (strcmp(word, trust[i]) == 0)
				ct->state = i;
		if (when > 0)
			ct->pinned = (int64_t)when;
	}
	sodium_free(buf);
}

static int
write_state(const char *home, const char *name, int state, int64_t pinned)
{
	char p[XC_PATH_MAX], text[48];
	int rc, n;

	if ((rc = cpath(p, home, name, "state")) < 0)
		return rc;
	n = snprintf(text, sizeof text, "%s %lld\n", trust[state],
	    (long long)pinned);
	return xc_write_file(p, text, (size_t)n, 0644, 0);
}

static int
get(const char *home, const char *name, xc_contact *ct)
{
	char p[XC_PATH_MAX];
	int rc;

	memset(ct, 0, sizeof *ct);
	if ((rc = cpath(p, home, name, "card")) < 0)
		return rc;
	if ((rc = read_card(p, &ct->card, NULL, NULL)) < 0)
		return rc == XC_ENOTFOUND ? xc_fail(XC_ENOTFOUND,
		    "no such contact") : rc;
	memcpy(ct->name, name, strlen(name) + 1);
	read_state(home, name, ct);
	if (cpath(p, home, name, "pending") == 0 &&
	    read_card(p, &ct->pending, NULL, NULL) == 0) {
		ct->has_pending = 1;
		ct->state = XC_TRUST_CHANGED;
	}
	return 0;
}

int
xc_contact_get(const char *home, const char *name, xc_contact *ct)
{
	char n[XC_HANDLE_MAX + 1];
	int rc;

	if ((rc = name_norm(n, name)) < 0)
		return rc;
	return get(home, n, ct);
}

int
xc_contact_each(const char *home, int (*fn)(void *arg, const xc_contact *ct),
    void *arg)
{
	char dir[XC_PATH_MAX];
	struct dirent *e;
	xc_contact *ct;
	DIR *d;
	int rc = 0;

	if (xc_keyring_path(dir, home, "contacts", "", NULL) < 0 ||
	    (d = opendir(dir)) == NULL)
		return 0;
	if ((ct = malloc(sizeof *ct)) == NULL) {
		closedir(d);
		return xc_fail(XC_ENOMEM, "out of memory");
	}
	while (rc == 0 && (e = readdir(d)) != NULL)
		if (e->d_name[0] != '.' && xc_contact_get(home, e->d_name,
		    ct) == 0)
			rc = fn(arg, ct);
	closedir(d);
	free(ct);
	return rc;
}

/* Every contact, for a stale index entry: found, the entry is repaired. */
static int
scan_for_key(const char *home, const uint8_t ik[32], xc_contact *ct)
{
	char dir[XC_PATH_MAX];
	struct dirent *e;
	DIR *d;
	int rc = XC_ENOTFOUND;

	if (xc_keyring_path(dir, home, "contacts", "", NULL) < 0 ||
	    (d = opendir(dir)) == NULL)
		return xc_fail(XC_ENOTFOUND, "no contact has this key");
	while (rc != 0 && (e = readdir(d)) != NULL)
		if (e->d_name[0] != '.' && get(home, e->d_name, ct) == 0 &&
		    sodium_memcmp(ct->card.ik, ik, 32) == 0)
			rc = 0;
	closedir(d);
	if (rc == 0)
		(void)index_set(home, ik, ct->name);
	return rc == 0 ? 0 : xc_fail(XC_ENOTFOUND, "no contact has this key");
}

int
xc_contact_by_key(const char *home, const uint8_t ik[32],
    const char *claimed, xc_contact *ct)
{
	char p[XC_PATH_MAX], name[XC_HANDLE_MAX + 1], *buf;
	size_t len;
	int rc;

	if ((rc = index_path(p, home, ik)) < 0)
		return rc;
	rc = xc_read_file(p, 64, 0, &buf, &len);
	if (rc == 0) {
		int ok = len >= 2 && buf[len - 1] == '\n' &&
		    len - 1 <= XC_HANDLE_MAX;
		if (ok) {
			memcpy(name, buf, len - 1);
			name[len - 1] = '\0';
		}
		sodium_free(buf);
		if (ok && get(home, name, ct) == 0 &&
		    sodium_memcmp(ct->card.ik, ik, 32) == 0)
			return 0;
		/* Stale (a crash between two writes): look everywhere. */
		if ((rc = scan_for_key(home, ik, ct)) < 0)
			unlink(p);
		return rc;
	}
	if (rc != XC_ENOTFOUND)
		return rc;
	/* No entry: a stranger, or a contact of a keyring made before the
	 * index, found under the handle it claims. */
	if (claimed != NULL && get(home, claimed, ct) == 0 &&
	    sodium_memcmp(ct->card.ik, ik, 32) == 0) {
		(void)index_set(home, ik, ct->name);
		return 0;
	}
	return xc_fail(XC_ENOTFOUND, "no contact has this key");
}

/* What a card of the contact's own identity key does to it. */
static int
successor(const xc_contact *ct, const xc_card *c, int *outcome)
{
	if (memcmp(c->hash, ct->card.hash, 32) == 0)
		*outcome = XC_IMPORT_SAME;
	else if (c->seq < ct->card.seq)
		*outcome = XC_IMPORT_OLDER;
	else if (c->seq == ct->card.seq || (c->seq == ct->card.seq + 1 &&
	    (!c->has_prev || sodium_memcmp(c->prev, ct->card.hash, 32) != 0)))
		return xc_fail(XC_EEQUIVOCAL, "the identity key signed two "
		    "different cards with one sequence number");
	else
		*outcome = XC_IMPORT_ROTATED;
	return 0;
}

/* Replaces the pinned card of ct with c (same key, later card). */
static int
rotate(const char *home, xc_contact *ct, const xc_card *c, const char *buf,
    size_t len)
{
	char p[XC_PATH_MAX];
	int rc;

	if ((rc = cpath(p, home, ct->name, "card")) == 0 &&
	    (rc = xc_write_file(p, buf, len, 0644, 0)) == 0)
		ct->card = *c;
	return rc;
}

int
xc_contact_import(const char *home, const char *buf, size_t len,
    const char *name, int64_t now, int dry, int *outcome, xc_contact *ct)
{
	char n[XC_HANDLE_MAX + 1], own[XC_HANDLE_MAX + 1], p[XC_PATH_MAX];
	xc_card c, mine;
	int rc, fd;

	*outcome = 0;
	memset(ct, 0, sizeof *ct);
	if ((rc = xc_card_parse(&c, buf, len)) < 0 ||
	    (rc = xc_card_check_time(&c, now)) < 0)
		return rc;
	if ((rc = name_norm(n, name ? name : c.handle)) < 0)
		return rc;
	if (xc_identity_by_key(home, c.ik, own) == 0)
		return xc_fail(XC_ETAKEN, "the card is of an own identity");
	if ((rc = lock_dir(home, "contacts", &fd)) < 0)
		return rc;
	rc = xc_contact_by_key(home, c.ik, c.handle, ct);
	if (rc == 0) {
		/* Already a contact, under whatever name. */
		if (name != NULL && strcmp(n, ct->name) != 0)
			rc = xc_fail(XC_ETAKEN, "this key is a contact under "
			    "another name");
		else if ((rc = successor(ct, &c, outcome)) == 0 &&
		    *outcome == XC_IMPORT_OLDER)
			rc = xc_fail(XC_ECHAIN,
			    "older than the pinned card (a replay?)");
		else if (rc == 0 && *outcome == XC_IMPORT_ROTATED) {
			if (dry)
				ct->card = c;
			else
				rc = rotate(home, ct, &c, buf, len);
		}
		goto out;
	}
	if (rc != XC_ENOTFOUND)
		goto out;
	if (xc_identity_get(home, n, &mine) == 0) {
		rc = xc_fail(XC_ETAKEN, "the name is an own identity's handle");
		goto out;
	}
	rc = get(home, n, ct);
	if (rc == 0) {
		/* Another identity key under a pinned name: ssh's rule. */
		*outcome = XC_IMPORT_KEYCHANGE;
		if (!dry && ((rc = cpath(p, home, n, "pending")) < 0 ||
		    (rc = xc_write_file(p, buf, len, 0644, 0)) < 0))
			goto out;
		ct->pending = c;
		ct->has_pending = 1;
		ct->state = XC_TRUST_CHANGED;
		rc = xc_fail(XC_EKEYCHANGE,
		    "the identity key of a known name changed");
		goto out;
	}
	if (rc != XC_ENOTFOUND)
		goto out;
	*outcome = XC_IMPORT_NEW;
	memset(ct, 0, sizeof *ct);
	memcpy(ct->name, n, sizeof n);
	ct->card = c;
	ct->state = XC_TRUST_CONTACT;
	ct->pinned = now;
	rc = 0;
	if (dry)
		goto out;
	/* The index first: a crash leaves an entry pointing nowhere. */
	if ((rc = cpath(p, home, n, NULL)) < 0 || (rc = xc_mkdirs(p)) < 0 ||
	    (rc = index_set(home, c.ik, n)) < 0 ||
	    (rc = write_state(home, n, XC_TRUST_CONTACT, now)) < 0 ||
	    (rc = cpath(p, home, n, "card")) < 0 ||
	    (rc = xc_write_file(p, buf, len, 0644, 0)) < 0)
		goto out;
out:
	close(fd);
	return rc;
}

int
xc_contact_update(const char *home, const xc_card *c, const char *buf,
    size_t len, int64_t now, int *outcome, xc_contact *ct)
{
	int rc, fd;

	*outcome = 0;
	if ((rc = xc_contact_by_key(home, c->ik, c->handle, ct)) < 0)
		return rc;
	if ((rc = successor(ct, c, outcome)) < 0 ||
	    *outcome != XC_IMPORT_ROTATED)
		return rc;
	/* A card dated more than an hour ahead waits for the clock. */
	if (c->created - 3600 > now) {
		*outcome = XC_IMPORT_OLDER;
		return 0;
	}
	if ((rc = lock_dir(home, "contacts", &fd)) < 0)
		return rc;
	/* Again under the lock: another process may have taken it. */
	if ((rc = xc_contact_by_key(home, c->ik, c->handle, ct)) == 0 &&
	    (rc = successor(ct, c, outcome)) == 0 &&
	    *outcome == XC_IMPORT_ROTATED)
		rc = rotate(home, ct, c, buf, len);
	close(fd);
	return rc;
}

int
xc_contact_mark(const char *home, const char *name, int state)
{
	char n[XC_HANDLE_MAX + 1];
	xc_contact ct;
	int rc, fd;

	if ((rc = name_norm(n, name)) < 0 || (rc = get(home, n, &ct)) < 0 ||
	    (rc = lock_dir(home, "contacts", &fd)) < 0)
		return rc;
	if ((rc = get(home, n, &ct)) == 0) {
		if (ct.state == XC_TRUST_CHANGED)
			rc = xc_fail(XC_EKEYCHANGE,
			    "the key changed: accept it first");
		else
			rc = write_state(home, n, state, ct.pinned);
	}
	close(fd);
	return rc;
}

int
xc_fingerprint_is(const char *fp, const xc_card *c)
{
	char want[XC_FINGERPRINT_LEN + 1], a[32], b[32];
	size_t i, k = 0, m = 0;

	xc_fingerprint(want, c->handle, c->ik);
	for (i = 0; fp[i] && k < sizeof a - 1; i++)
		if (fp[i] >= '0' && fp[i] <= '9')
			a[k++] = fp[i];
		else if (fp[i] != ' ')
			return 0;
	if (fp[i] != '\0')
		return 0;
	for (i = 0; want[i]; i++)
		if (want[i] != ' ')
			b[m++] = want[i];
	return k == m && k == 30 && memcmp(a, b, k) == 0;
}

int
xc_contact_accept(const char *home, const char *name, const char *fp,
    int64_t now, xc_contact *ct)
{
	char n[XC_HANDLE_MAX + 1], p[XC_PATH_MAX], q[XC_PATH_MAX], *buf;
	uint8_t oldik[32];
	size_t len;
	int rc, fd;

	if ((rc = name_norm(n, name)) < 0 || (rc = get(home, n, ct)) < 0 ||
	    (rc = lock_dir(home, "contacts", &fd)) < 0)
		return rc;
	if ((rc = get(home, n, ct)) == 0 && !ct->has_pending)
		rc = xc_fail(XC_ENOTFOUND, "no changed key to accept");
	else if (rc == 0 && !xc_fingerprint_is(fp, &ct->pending))
		rc = xc_fail(XC_ENOMATCH, "that is not the fingerprint of the "
		    "offered key");
	memcpy(oldik, ct->card.ik, 32);
	/* Index, card, then state; a crash in between leaves the pending
	 * card, still refused until accepted again. */
	if (rc == 0 && (rc = cpath(p, home, n, "pending")) == 0 &&
	    (rc = xc_read_file(p, XC_MAX_CARD, 0, &buf, &len)) == 0) {
		if ((rc = index_set(home, ct->pending.ik, n)) == 0 &&
		    (rc = cpath(q, home, n, "card")) == 0 &&
		    (rc = xc_write_file(q, buf, len, 0644, 0)) == 0 &&
		    (rc = write_state(home, n, XC_TRUST_CONTACT, now)) == 0) {
			unlink(p);
			index_drop(home, oldik, n);
			rc = get(home, n, ct);
		}
		sodium_free(buf);
	}
	close(fd);
	return rc;
}

int
xc_contact_forget(const char *home, const char *name)
{
	static const char *const files[] = { "card", "state", "pending",
		"lock", NULL };
	char n[XC_HANDLE_MAX + 1], p[XC_PATH_MAX];
	xc_contact ct;
	size_t i;
	int rc, fd;

	if ((rc = name_norm(n, name)) < 0 || (rc = get(home, n, &ct)) < 0 ||
	    (rc = lock_dir(home, "contacts", &fd)) < 0)
		return rc;
	/* The card goes first: from then on the key is a stranger's. */
	if ((rc = get(home, n, &ct)) == 0 &&
	    (rc = cpath(p, home, n, "card")) == 0) {
		if (unlink(p) != 0)
			rc = xc_fail(XC_EWRITE, "cannot remove a contact");
		else if ((rc = xc_fsync_parent(p)) == 0) {
			for (i = 1; files[i]; i++)
				if (cpath(p, home, n, files[i]) == 0)
					unlink(p);
			if (cpath(p, home, n, NULL) == 0)
				rmdir(p);
			index_drop(home, ct.card.ik, n);
		}
	}
	close(fd);
	return rc;
}

int
xc_contact_rename(const char *home, const char *from, const char *to)
{
	char a[XC_HANDLE_MAX + 1], b[XC_HANDLE_MAX + 1];
	char pa[XC_PATH_MAX], pb[XC_PATH_MAX];
	xc_contact ct, other;
	xc_card mine;
	int rc, fd;

	if ((rc = name_norm(a, from)) < 0 || (rc = name_norm(b, to)) < 0 ||
	    (rc = get(home, a, &ct)) < 0)
		return rc;
	if (strcmp(a, b) == 0)
		return 0;
	if (xc_identity_get(home, b, &mine) == 0)
		return xc_fail(XC_ETAKEN, "the name is an own identity's handle");
	if ((rc = lock_dir(home, "contacts", &fd)) < 0)
		return rc;
	if ((rc = get(home, a, &ct)) < 0)
		goto out;
	if (get(home, b, &other) == 0) {
		rc = xc_fail(XC_ETAKEN, "the name is another contact's");
		goto out;
	}
	if ((rc = cpath(pa, home, a, NULL)) < 0 ||
	    (rc = cpath(pb, home, b, NULL)) < 0)
		goto out;
	rmdir(pb);	/* the empty directory of a failed import */
	/* The index first; a crash leaves it stale, and a lookup repairs. */
	if ((rc = index_set(home, ct.card.ik, b)) < 0)
		goto out;
	if (rename(pa, pb) != 0)
		rc = xc_fail(XC_EWRITE, "cannot rename a contact");
	else
		rc = xc_fsync_parent(pb);
out:
	close(fd);
	return rc;
}

/* ---- the quarantine of strangers' cards ---- */

#define spath(out, home, file) xc_keyring_path(out, home, "strangers", \
	file, NULL)

static void
set_seen(const char *path, int64_t when)
{
	struct timespec t[2];

	t[0].tv_sec = t[1].tv_sec = (time_t)when;
	t[0].tv_nsec = t[1].tv_nsec = 0;
	utimensat(AT_FDCWD, path, t, AT_SYMLINK_NOFOLLOW);
}

/* Drops cards unseen for XC_STRANGER_DAYS and, while there are more than
 * keep, the least recently seen. */
static void
prune(const char *home, int64_t now, size_t keep)
{
	char dir[XC_PATH_MAX], p[XC_PATH_MAX];
	struct { char name[72]; int64_t seen; } *v = NULL, *bigger;
	struct dirent *e;
	struct stat sb;
	size_t n = 0, cap = 0, i, oldest;
	DIR *d;

	if (xc_keyring_path(dir, home, "strangers", "", NULL) < 0 ||
	    (d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strlen(e->d_name) != 64 || fstatat(dirfd(d), e->d_name,
		    &sb, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if ((int64_t)sb.st_mtime + (int64_t)XC_STRANGER_DAYS * 86400
		    <= now) {
			if (spath(p, home, e->d_name) == 0)
				unlink(p);
			continue;
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			if ((bigger = realloc(v, cap * sizeof *v)) == NULL)
				break;
			v = bigger;
		}
		snprintf(v[n].name, sizeof v[n].name, "%s", e->d_name);
		v[n++].seen = (int64_t)sb.st_mtime;
	}
	closedir(d);
	while (n > keep) {
		for (oldest = 0, i = 1; i < n; i++)
			if (v[i].seen < v[oldest].seen)
				oldest = i;
		if (spath(p, home, v[oldest].name) == 0)
			unlink(p);
		v[oldest] = v[--n];
	}
	free(v);
}

int
xc_stranger_keep(const char *home, const xc_card *c, const char *card,
    size_t len, int64_t now)
{
	char p[XC_PATH_MAX], hex[65];
	xc_card old;
	int rc, fd;

	ikhex(hex, c->ik);
	if ((rc = lock_dir(home, "strangers", &fd)) < 0)
		return rc;
	if ((rc = spath(p, home, hex)) < 0)
		goto out;
	rc = read_card(p, &old, NULL, NULL);
	if (rc == 0 && sodium_memcmp(old.ik, c->ik, 32) == 0 &&
	    old.seq >= c->seq) {
		set_seen(p, now);	/* seen again: kept longer */
		goto out;
	}
	if (rc == XC_ENOTFOUND)
		prune(home, now, XC_MAX_STRANGERS - 1);
	if ((rc = xc_write_file(p, card, len, 0644, 0)) == 0)
		set_seen(p, now);
out:
	close(fd);
	return rc;
}

int
xc_stranger_list(const char *home, int64_t now, xc_stranger **out,
    size_t *n)
{
	char dir[XC_PATH_MAX], p[XC_PATH_MAX];
	struct dirent *e;
	struct stat sb;
	xc_stranger *v, *bigger;
	size_t cap = 16, i, j;
	DIR *d;
	int fd, rc;

	*out = NULL;
	*n = 0;
	if (xc_keyring_path(dir, home, "strangers", "", NULL) < 0 ||
	    access(dir, F_OK) != 0)
		return 0;
	if ((rc = lock_dir(home, "strangers", &fd)) < 0)
		return rc;
	prune(home, now, XC_MAX_STRANGERS);
	if ((v = malloc(cap * sizeof *v)) == NULL) {
		close(fd);
		return xc_fail(XC_ENOMEM, "out of memory");
	}
	if ((d = opendir(dir)) == NULL) {
		free(v);
		close(fd);
		return xc_fail(XC_EREAD, "cannot list strangers");
	}
	while ((e = readdir(d)) != NULL) {
		if (strlen(e->d_name) != 64 || spath(p, home, e->d_name) < 0 ||
		    lstat(p, &sb) != 0 || read_card(p, &v[*n].card, NULL,
		    NULL) < 0)
			continue;
		v[*n].seen = (int64_t)sb.st_mtime;
		if (++*n == cap) {
			if ((bigger = realloc(v, 2 * cap * sizeof *v)) == NULL)
				break;
			v = bigger;
			cap *= 2;
		}
	}
	closedir(d);
	close(fd);
	/* Most recently seen first (insertion sort: at most a few hundred). */
	for (i = 1; i < *n; i++) {
		xc_stranger t = v[i];
		for (j = i; j > 0 && v[j - 1].seen < t.seen; j--)
			v[j] = v[j - 1];
		v[j] = t;
	}
	*out = v;
	return 0;
}

int
xc_stranger_find(const char *home, const char *fp, char **card,
    size_t *len)
{
	char dir[XC_PATH_MAX], p[XC_PATH_MAX];
	struct dirent *e;
	xc_card c;
	DIR *d;
	int rc = XC_ENOTFOUND;

	if (xc_keyring_path(dir, home, "strangers", "", NULL) < 0 ||
	    (d = opendir(dir)) == NULL)
		return xc_fail(XC_ENOTFOUND, "no stranger with this "
		    "fingerprint");
	while (rc == XC_ENOTFOUND && (e = readdir(d)) != NULL) {
		if (strlen(e->d_name) != 64 || spath(p, home, e->d_name) < 0 ||
		    read_card(p, &c, NULL, NULL) < 0 || !xc_fingerprint_is(fp,
		    &c))
			continue;
		rc = read_card(p, &c, card, len);
	}
	closedir(d);
	return rc == XC_ENOTFOUND ? xc_fail(XC_ENOTFOUND,
	    "no stranger with this fingerprint") : rc;
}

int
xc_stranger_drop(const char *home, const uint8_t ik[32])
{
	char p[XC_PATH_MAX], hex[65];

	ikhex(hex, ik);
	if (spath(p, home, hex) < 0)
		return xc_fail(XC_EINVAL, "path too long");
	if (unlink(p) != 0 && errno != ENOENT)
		return xc_fail(XC_EWRITE, "cannot remove a stranger's card");
	return 0;
}
