/*
 * xc-fetch - collect my envelopes from the transport into the inbox and
 * print their paths, so that `xc-fetch | xc-open` reads new mail.
 *
 * Order, so that nothing is lost or fetched twice whatever is killed when:
 * copy into inbox/tmp, fsync, link into inbox/new, fsync inbox/new; then
 * print the path; then record the id in state/seen (append, fsync).  A
 * letter stays in inbox/new until xc-open has opened it (xc-open moves it
 * to inbox/cur with the maildir flag S), so "new" means "not yet read".
 * A run killed before it printed leaves the letter in new/ and its id
 * unrecorded: the next run prints it.  Runs are serialised by a lock in
 * $XC_HOME/state.
 *
 * The spool is hostile (xc-spool(5)): a name is believed only once the
 * bytes were checked against it; what was looked at and not fetched is
 * remembered by the copy's identity (state/skipped), never by the id its
 * name claims, so junk cannot hide a real envelope; caps bound a run.
 *
 * Servers (xc-nntp(5)) are transports like the spool, read after it, one
 * after another: only the articles whose tags are mine and whose ids are
 * neither seen nor in the inbox are downloaded, so an envelope that came
 * from the spool or an earlier server is not fetched again.  Each server
 * has a cursor per group (state/cursors), saved only after the seen ids
 * are: a run that fails or dies lists the same articles again.  A server
 * that fails is named, the others are still read, and the exit status is
 * 5.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "cli.h"

#define MAX_FILES 1000000		/* files looked at per run */
#define MAX_BYTES ((uint64_t)4 << 30)	/* bytes read from the spool per run */

static const char usage[] =
    "usage: xc-fetch [--home DIR] [--spool DIR] [--proxy socks5h://ADDR:PORT]\n"
    "                [--server URL [--pin PINS] [--starttls]]... "
    "[--timeout SECONDS]\n"
    "                [-u @ME] [--json] [--unread] [--no-wait] "
    "[--max-files N]\n"
    "                [--max-bytes N] [--passphrase-file FILE]\n"
    "       xc-fetch [--home DIR] [--spool DIR] --gc\n";

static void
help(void)
{
	printf("%s", usage);
	printf("\nCopy new envelopes for my keys from the spool and the "
	    "servers into the inbox\nand print their paths, one per line "
	    "(xc-fetch | xc-open).  A letter stays\nunread in inbox/new "
	    "until xc-open has opened it.\n"
	    "\n"
	    "      --spool DIR   the spool (default $XC_SPOOL, \"spool DIR\" in "
	    "the config\n"
	    "                    ~/.config/xc/config, or $XC_HOME/spool when "
	    "no server\n"
	    "                    is configured)\n"
	    "      --server URL  fetch from this server, nntp:// or "
	    "nntps://HOST[:PORT]\n"
	    "                    (repeatable; default: the \"server URL\" lines "
	    "of the config)\n"
	    CLI_NET_HELP
	    "      --timeout SECONDS  the longest wait for a server "
	    "(default 30)\n"
	    "  -u, --as @ME      fetch for this identity only\n"
	    "      --json        one JSON object per envelope\n"
	    "      --unread      print every unread letter, not only new ones\n"
	    "      --no-wait     exit 6 at once if another xc-fetch runs\n"
	    "      --max-files N look at no more than N envelopes in this run "
	    "(default %d)\n"
	    "      --max-bytes N read no more than N bytes of envelopes in this "
	    "run\n                    (default %llu)\n"
	    "      --gc          remove expired envelopes from the whole spool\n"
	    "      --passphrase-file FILE\n"
	    "                    unlock passphrase-protected keys (default: ask "
	    "on the terminal)\n"
	    "      --home DIR    the keyring (default $XC_HOME)\n"
	    "  -h, --help        print this help and exit\n"
	    "  -V, --version     print the version and exit\n"
	    "\nExit status: 0 ok, 1 wrong passphrase, 2 usage, 3 malformed "
	    "spool, 4 system\nerror, 5 a server failed, 6 busy (--no-wait).  "
	    "See xc-fetch(1), xc-spool(5),\nxc-nntp(5), xc(7).\n", MAX_FILES,
	    (unsigned long long)MAX_BYTES);
}

/* The inbox as found: an id's letter is in new/ or cur/. */
enum { IN_NEW = 1, IN_CUR = 2 };

struct ctx {
	char home[XC_PATH_MAX], inbox[XC_PATH_MAX], spooldir[XC_PATH_MAX];
	int homefd, statefd;
	xc_maildir ib;
	xc_spool spool;
	xc_transport t;
	xc_ids *ids;
	struct cli_key *keys;
	size_t nkeys;
	int64_t keysetno;	/* names the set of my public keys */
	xc_store seen, skipped, found;	/* found: the inbox by id */
	int64_t now;
	size_t examined, max_files;
	uint64_t bytes, max_bytes;
	int capped, partial;	/* a cap hit; a bucket not read */
	size_t fetched, lying, odd, oversize, unsafe;
	int record_mine_only;	/* -u: other identities' mail is not noted */
	xc_gc_stats gc;		/* collection while listing */
	xc_in *in;		/* one reader and file key for every file */
	uint8_t *fk;
	/* The transports: the spool (when spooldir is not "") and the
	 * servers; t is the one being read, max_size its largest envelope. */
	xc_config cf;
	xc_net net;
	xc_transport srv[XC_MAX_SERVERS];
	xc_store cursors;	/* per server and group (xc_net) */
	uint64_t max_size;
	int batch;		/* inbox copies synced in batches (servers) */
	uint8_t (*tagof)[XC_TAG_LEN];	/* each key's tag bits, for wanted() */
};

/* How long an id is remembered: until the envelope expires; one without
 * an expiry can come back from any copy of a spool, so for ever. */
static int64_t
remember_until(int64_t exp)
{
	return exp;
}

/* Reports a failure of the spool, the inbox or the state, named. */
static int
failed(const char *what, const char *path, int rc)
{
	int saved = errno;

	cli_error("%s '%s': %s%s%s", what, path, xc_errdetail(),
	    rc == XC_EWRITE || rc == XC_EREAD ? ": " : "",
	    rc == XC_EWRITE || rc == XC_EREAD ? strerror(saved) : "");
	return rc == XC_EUNSUPPORTED ? EX_BADINPUT : EX_SYSTEM;
}

/* The skipped store, keyed by the copy (ident): 0 for junk, junk for
 * everyone; for another's envelope the number of this set of keys (a new
 * key looks again). */
static int
skip(struct ctx *c, const uint8_t ident[16], int notmine)
{
	uint8_t k[32];

	memset(k, 0, sizeof k);
	memcpy(k, ident, 16);
	return xc_store_put(&c->skipped, k, notmine ? c->keysetno : 0);
}

/* One file of a bucket: mine (by tag, then by unwrapping) -> the inbox. */
static int
consider(void *arg, const xc_entry *e)
{
	struct ctx *c = arg;
	char id[XC_ENVID_HEX + 1];
	uint8_t key[32], ident[16], k[32];
	int64_t exp;
	uint64_t size;
	xc_store_entry *se;
	xc_header h;
	xc_in *in;
	xc_route r;
	uint8_t *fk;
	size_t i, j;
	int fd = -1, rc, mine = 0;

	if (xc_envelope_parse_name(e->name, id, &exp) != 0)
		return 0;		/* not an envelope's name */
	/* Collection rides along (xc-fetch --gc does all buckets). */
	if (c->t.collect && c->t.collect(c->t.ctx, e, c->now, &c->gc) == 1)
		return 0;
	if (exp && exp <= c->now)
		return 0;		/* expired, if the name is true */
	xc_store_key_hex(key, id);
	if ((se = xc_store_get(&c->seen, key)) != NULL) {
		se->mark = 1;
		return 0;
	}
	/* In the inbox already: a run that did not record it.  Read (in
	 * cur/): recorded now; still in new/: printed, then recorded. */
	if ((se = xc_store_get(&c->found, key)) != NULL) {
		if (se->val == IN_CUR)
			return xc_store_put(&c->seen, key, remember_until(exp));
		return 0;
	}
	if (c->t.ident(c->t.ctx, e, ident) < 0)
		return 0;		/* gone meanwhile */
	memset(k, 0, sizeof k);
	memcpy(k, ident, 16);
	if ((se = xc_store_get(&c->skipped, k)) != NULL &&
	    (se->val == 0 || se->val == c->keysetno)) {
		se->mark = 1;
		return 0;
	}
	/* The caps: what is left is looked at by the next run. */
	if (c->examined >= c->max_files || c->bytes >= c->max_bytes) {
		c->capped = 1;
		return 1;
	}
	c->examined++;
	if ((rc = c->t.get(c->t.ctx, e, &fd, &size)) < 0) {
		if (rc != XC_EINSECURE)
			return 0;	/* collected meanwhile */
		c->odd++;		/* a link, a FIFO...: never ours */
		return skip(c, ident, 0);
	}
	memset(&h, 0, sizeof h);
	if (size > c->max_size) {
		if (!c->oversize++)
			cli_warn("%s: larger than this spool's max-size: left "
			    "in the spool", e->name);
		rc = skip(c, ident, 0);
		goto out;
	}
	in = c->in;
	fk = c->fk;
	xc_in_init(in, (xc_rd){ xc_fd_read, &fd });
	c->bytes += size < 65536 ? size : 65536;
	if (xc_header_parse(in, &h) != 0 || xc_route_get(&h, &r) != 0) {
		rc = skip(c, ident, 0);	/* not an envelope (yet) */
		goto out;
	}
	if (r.expires != exp) {
		c->lying++;		/* a name that lies about its expiry */
		rc = skip(c, ident, 0);
		goto out;
	}
	for (i = 0; i < r.ntags && !mine; i++)
		for (j = 0; j < c->nkeys && !mine; j++)
			mine = xc_mailbox_match(r.tags[i], c->keys[j].pk,
			    c->keys[j].tag_bits);
	/* A tag is a hint; the key decides (tags collide). */
	if (mine && xc_age_unwrap(&h, c->ids, fk, NULL) != 0)
		mine = 0;
	if (!mine) {
		rc = c->record_mine_only ? 0 : skip(c, ident, 1);
		goto out;
	}
	c->bytes += size;
	rc = c->batch ? xc_maildir_stage(&c->ib, fd, c->max_size, e->name, id) :
	    xc_maildir_deliver(&c->ib, fd, c->max_size, e->name, id);
	if (rc == XC_EPAYLOAD) {
		/* Not what its name says: a copy still being written in place
		 * (looked at again once it changes), or junk. */
		rc = skip(c, ident, 0);
		goto out;
	}
	if (rc == XC_EEXIST)
		rc = 0;
	if (rc < 0)
		goto out;
	c->fetched++;
	rc = xc_store_put(&c->found, key, IN_NEW);
out:
	xc_header_free(&h);
	close(fd);
	return rc;
}

/* The buckets my keys' tags fall in: one per key with at least 8 tag
 * bits, 2^(8-k) for a key with k < 8. */
static int
buckets(const struct ctx *c, uint8_t want[256])
{
	size_t i;
	int b, n = 0;

	memset(want, 0, 256);
	for (i = 0; i < c->nkeys; i++)
		for (b = 0; b < 256; b++) {
			uint8_t tag[XC_TAG_LEN] = { (uint8_t)b };
			int bits = c->keys[i].tag_bits < 8 ?
			    c->keys[i].tag_bits : 8;
			if (xc_mailbox_match(tag, c->keys[i].pk, bits) &&
			    !want[b]) {
				want[b] = 1;
				n++;
			}
		}
	return n;
}

/* Which articles a server should send: those with one of my tags whose
 * ids are neither seen nor in the inbox (from the spool, or an earlier
 * server: one download per envelope whatever the number of servers). */
static int
wanted(void *arg, const char *id, const xc_route *r)
{
	struct ctx *c = arg;
	xc_store_entry *se;
	uint8_t key[32];
	size_t i, j;
	int mine = 0, b;

	/* Every overview line comes here: the tag bits of each key are
	 * hashed once per run (c->tagof), not once per line. */
	for (i = 0; i < r->ntags && !mine; i++)
		for (j = 0; j < c->nkeys && !mine; j++) {
			for (b = 0; b < c->keys[j].tag_bits; b++)
				if ((r->tags[i][b / 8] ^ c->tagof[j][b / 8]) &
				    (0x80 >> (b % 8)))
					break;
			mine = b == c->keys[j].tag_bits;
		}
	if (!mine || xc_store_key_hex(key, id) != 0)
		return 0;
	if ((se = xc_store_get(&c->seen, key)) != NULL) {
		se->mark = 1;
		return 0;
	}
	return xc_store_get(&c->found, key) == NULL;
}

/* ---- the inbox ---- */

struct scan {
	struct ctx *c;
	int where;
};

/* Notes an inbox letter (new/ or cur/) by id. */
static int
note_inbox(void *arg, const char *name, uint64_t ino)
{
	struct scan *s = arg;
	char id[XC_ENVID_HEX + 1];
	uint8_t key[32];
	const char *info;
	int64_t exp;

	(void)ino;
	if (xc_maildir_parse_name(name, id, &exp, &info) != 0 ||
	    (s->where == IN_NEW && *info))
		return 0;
	xc_store_key_hex(key, id);
	if (s->where == IN_NEW && xc_store_get(&s->c->found, key))
		return 0;	/* in cur/ too: read (a crash mid-move) */
	return xc_store_put(&s->c->found, key, s->where);
}

/* An envelope in new/ that has not expired. */
static int
unexpired(void *arg, const char *name)
{
	const struct ctx *c = arg;
	char id[XC_ENVID_HEX + 1];
	int64_t exp;

	return xc_envelope_parse_name(name, id, &exp) == 0 &&
	    (exp == 0 || exp > c->now);
}

static int
print_one(const struct ctx *c, const char *name, int json)
{
	char id[XC_ENVID_HEX + 1], when[32];
	struct stat sb;
	int64_t exp;

	if (!json)
		return printf("%s/new/%s\n", c->inbox, name) < 0 ? -1 : 0;
	{
		cJSON *j = cJSON_CreateObject();
		char *t, path[XC_PATH_MAX + XC_ENVNAME_MAX + 8];
		int rc = -1;
		xc_envelope_parse_name(name, id, &exp);
		snprintf(path, sizeof path, "%s/new/%s", c->inbox, name);
		cJSON_AddStringToObject(j, "id", id);
		cJSON_AddStringToObject(j, "path", path);
		if (exp) {
			xc_utc(when, exp, 1);
			cJSON_AddStringToObject(j, "expires", when);
		} else
			cJSON_AddNullToObject(j, "expires");
		cJSON_AddNumberToObject(j, "size", fstatat(c->ib.new, name, &sb,
		    AT_SYMLINK_NOFOLLOW) == 0 ? (double)sb.st_size : 0);
		if ((t = cJSON_PrintUnformatted(j)) != NULL)
			rc = printf("%s\n", t) < 0 ? -1 : 0;
		free(t);
		cJSON_Delete(j);
		return rc;
	}
}

/* Prints the letters in inbox/new that were never printed (their ids are
 * not recorded), or with unread every one; records each id once its line
 * is out.  A failed print leaves the rest unrecorded: printed next time. */
static int
hand_over(struct ctx *c, int json, int unread)
{
	char id[XC_ENVID_HEX + 1], **names;
	uint8_t key[32];
	int64_t exp;
	size_t i, n;
	int rc, code = 0;

	if ((rc = xc_dir_list(c->ib.new, unexpired, c, &names, &n)) < 0)
		return failed("inbox", c->inbox, rc);
	for (i = 0; i < n; i++) {
		xc_store_entry *se;
		xc_envelope_parse_name(names[i], id, &exp);
		xc_store_key_hex(key, id);
		se = xc_store_get(&c->seen, key);
		if (se && !unread)
			continue;
		if (print_one(c, names[i], json) < 0 || fflush(stdout) != 0) {
			cli_error("cannot write to standard output: %s",
			    strerror(errno));
			code = EX_SYSTEM;
			break;
		}
		if (!se && (rc = xc_store_put(&c->seen, key,
		    remember_until(exp))) < 0) {
			code = cli_report(rc, NULL);
			break;
		}
	}
	xc_dir_list_free(names, n);
	return code;
}

/* ---- disappearing messages ---- */

static int
expire_inbox(void *arg, const char *name, uint64_t ino)
{
	struct scan *s = arg;
	char id[XC_ENVID_HEX + 1];
	const char *info;
	int64_t exp;

	(void)ino;
	if (xc_maildir_parse_name(name, id, &exp, &info) == 0 && exp &&
	    exp <= s->c->now)
		unlinkat(s->where == IN_NEW ? s->c->ib.new : s->c->ib.cur, name,
		    0);
	return 0;
}

/* One list of attachments to delete ("EXPIRY DEV INO PATH" lines): what
 * is due goes, if the file is still the one saved; the rest is kept, in
 * the file of its day (state/expiring.d/DAY, DAY = EXPIRY / 86400). */
static void
expire_list(struct ctx *c, int dirfd, const char *name, int edfd)
{
	char *buf, *l, *end, *keep;
	size_t len, k = 0;
	struct stat sb;

	if (xc_dir_read_file(dirfd, name, (size_t)1 << 30, &buf, &len) < 0)
		return;
	if ((keep = malloc(len + 1)) == NULL) {
		free(buf);
		return;
	}
	for (l = buf, end = buf + len; l < end;) {
		char *nl = memchr(l, '\n', (size_t)(end - l));
		long long t;
		unsigned long long dev, ino;
		int at = 0;
		if (nl == NULL)
			break;	/* torn: never synced */
		*nl = '\0';
		if (sscanf(l, "%lld %llu %llu %n", &t, &dev, &ino, &at) == 3 &&
		    at > 0 && l[at] == '/') {
			if (t <= c->now) {
				if (lstat(l + at, &sb) == 0 &&
				    S_ISREG(sb.st_mode) &&
				    (unsigned long long)sb.st_dev == dev &&
				    (unsigned long long)sb.st_ino == ino)
					unlink(l + at);
			} else if (dirfd != edfd) {
				/* the old single list: into the day files */
				char day[32];
				int fd;
				snprintf(day, sizeof day, "%lld", t / 86400);
				if ((fd = openat(edfd, day, O_WRONLY | O_APPEND |
				    O_CREAT | O_NOFOLLOW | O_NONBLOCK |
				    O_CLOEXEC, 0600)) >= 0) {
					*nl = '\n';
					if (xc_fd_write(&fd, (uint8_t *)l,
					    (size_t)(nl - l) + 1) == 0)
						fsync(fd);
					close(fd);
				}
			} else {
				*nl = '\n';
				memcpy(keep + k, l, (size_t)(nl - l) + 1);
				k += (size_t)(nl - l) + 1;
			}
		}
		l = nl + 1;
	}
	if (dirfd != edfd || k == 0)
		unlinkat(dirfd, name, 0);
	else if (k != len)
		xc_dir_write_file(dirfd, name, keep, k, 0600, 0);
	free(keep);
	free(buf);
}

/* A day file that has come: digits, at most today. */
static int
due_day(void *arg, const char *name)
{
	const struct ctx *c = arg;
	char *end;
	long long day;

	errno = 0;
	day = strtoll(name, &end, 10);
	return errno == 0 && *end == '\0' && end != name && name[0] != '-' &&
	    name[0] != '+' && strlen(name) <= 20 && day <= c->now / 86400;
}

/* Inbox envelopes past their expiry, and what xc-open saved from them.
 * Only the lists of the days that have come are read. */
static void
expire(struct ctx *c)
{
	struct scan s = { c, IN_NEW };
	struct stat sb;
	char **days;
	size_t i, n;
	int lockfd, edfd;

	xc_dir_each(c->ib.new, expire_inbox, &s);
	s.where = IN_CUR;
	xc_dir_each(c->ib.cur, expire_inbox, &s);
	if (xc_lock_at(c->statefd, "expiring.lock", 1, &lockfd) < 0)
		return;
	/* xc-open makes expiring.d; the single list of older versions is
	 * moved into it. */
	if (xc_dir_open(c->statefd, "expiring.d", (fstatat(c->statefd,
	    "expiring", &sb, AT_SYMLINK_NOFOLLOW) == 0 ? XC_DIR_CREATE : 0) |
	    XC_DIR_OWNED, 0700, &edfd) == 0) {
		if (fstatat(c->statefd, "expiring", &sb, AT_SYMLINK_NOFOLLOW)
		    == 0)
			expire_list(c, c->statefd, "expiring", edfd);
		if (xc_dir_list(edfd, due_day, c, &days, &n) == 0) {
			for (i = 0; i < n; i++)
				expire_list(c, edfd, days[i], edfd);
			xc_dir_list_free(days, n);
		}
		xc_dir_sync(edfd);
		close(edfd);
	}
	close(lockfd);
}

/* ---- the stores ---- */

static int
keep_marked(void *arg, const xc_store_entry *e)
{
	(void)arg;
	return e->mark != 0;
}

/* The skipped store keeps what this run met: when a run read every
 * bucket, entries it did not meet are copies that are gone. */
static int
save_skipped(struct ctx *c)
{
	size_t i, met = 0;

	if (!c->capped && !c->partial && !c->record_mine_only) {
		for (i = 0; i < c->skipped.n; i++)
			met += c->skipped.v[i].mark != 0;
		if ((c->skipped.n - met) * 2 > c->skipped.n)
			return xc_store_rewrite(&c->skipped, keep_marked, NULL);
	}
	return xc_store_save(&c->skipped);
}

/* A number of files or bytes: digits, optionally K, M or G (binary). */
static int
count_arg(const char *s, uint64_t *v)
{
	char *end;
	unsigned long long n;

	errno = 0;
	if (*s < '0' || *s > '9')
		return -1;
	n = strtoull(s, &end, 10);
	if (errno)
		return -1;
	switch (*end) {
	case 'K': n <<= 10; end++; break;
	case 'M': n <<= 20; end++; break;
	case 'G': n <<= 30; end++; break;
	}
	if (*end || n == 0 || n > ((uint64_t)1 << 50))
		return -1;
	*v = n;
	return 0;
}

static int
gc_run(struct ctx *c)
{
	xc_gc_stats st;
	int rc;

	rc = xc_spool_gc(&c->spool, c->now, NULL, &st);
	fprintf(stderr, "xc-fetch: removed %zu expired envelope(s)\n",
	    st.removed);
	if (st.kept)
		cli_warn("spool '%s': kept %zu file(s) past their time whose "
		    "names do not match their bytes", c->spooldir, st.kept);
	if (rc == XC_EINSECURE || st.unsafe) {
		cli_error("spool '%s': %zu bucket(s) or tmp/ not directories: "
		    "not collected", c->spooldir, st.unsafe);
		return EX_BADINPUT;
	}
	if (rc < 0)
		return failed("spool", c->spooldir, rc);
	return 0;
}

int
main(int argc, char **argv)
{
	enum { OPT_HOME = 256, OPT_SPOOL, OPT_JSON, OPT_NOWAIT, OPT_GC,
		OPT_PWFILE, OPT_UNREAD, OPT_MAXFILES, OPT_MAXBYTES };
	static const struct option longopts[] = {
		{"home", required_argument, NULL, OPT_HOME},
		{"spool", required_argument, NULL, OPT_SPOOL},
		CLI_NET_LONGOPTS,
		{"as", required_argument, NULL, 'u'},
		{"json", no_argument, NULL, OPT_JSON},
		{"unread", no_argument, NULL, OPT_UNREAD},
		{"no-wait", no_argument, NULL, OPT_NOWAIT},
		{"max-files", required_argument, NULL, OPT_MAXFILES},
		{"max-bytes", required_argument, NULL, OPT_MAXBYTES},
		{"gc", no_argument, NULL, OPT_GC},
		{"passphrase-file", required_argument, NULL, OPT_PWFILE},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}
	};
	const char *homeopt = NULL, *spoolopt = NULL, *me = NULL,
	    *pwfile = NULL;
	static struct ctx c;
	char p[XC_PATH_MAX];
	uint8_t want[256];
	uint64_t v;
	int ch, code = 0, rc, json = 0, nowait = 0, gc = 0, lockfd = -1, b;
	int unread = 0, limits = 0, spool_ok = 0, netopts = 0, hand_rc;
	xc_transport spool_t;
	size_t i, k;

	prog = "xc-fetch";
	cli_harden();
	cli_start();
	c.max_files = MAX_FILES;
	c.max_bytes = MAX_BYTES;
	c.homefd = c.statefd = -1;
	c.ib.fd = c.ib.tmp = c.ib.new = c.ib.cur = -1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":u:hV", longopts, NULL)) != -1)
		switch (ch) {
		case OPT_HOME: homeopt = optarg; break;
		case OPT_SPOOL: spoolopt = optarg; break;
		case 'u': me = optarg; break;
		case OPT_JSON: json = 1; break;
		case OPT_UNREAD: unread = 1; break;
		case OPT_NOWAIT: nowait = 1; break;
		case OPT_GC: gc = 1; break;
		case OPT_PWFILE: pwfile = optarg; break;
		case OPT_MAXFILES: case OPT_MAXBYTES:
			if (count_arg(optarg, &v) != 0)
				cli_usage_error(usage, "%s takes a positive "
				    "number (K, M or G allowed)", argv[optind - 1]);
			if (ch == OPT_MAXFILES)
				c.max_files = v > MAX_FILES * 100ULL ?
				    MAX_FILES * 100 : (size_t)v;
			else
				c.max_bytes = v;
			limits = 1;
			break;
		case 'h': help(); return cli_close_stdout(0);
		case 'V':
			printf("xc-fetch %s\n", XC_VERSION);
			return cli_close_stdout(0);
		default:
			if (!cli_net_option(ch, optarg, &c.cf, usage))
				cli_bad_option(usage, argv, ch);
			netopts = 1;
		}
	if (optind < argc)
		cli_usage_error(usage, "no operands expected");
	if (gc && (me || json || pwfile || unread || nowait || limits ||
	    netopts))
		cli_usage_error(usage, "--gc takes only --home and --spool");
	if (sodium_init() < 0) {
		cli_error("cannot initialise libsodium");
		return EX_SYSTEM;
	}
	c.now = cli_now();
	if (xc_home(c.home, homeopt) < 0) {
		cli_error("%s", xc_errdetail());
		return EX_SYSTEM;
	}
	if ((code = cli_transports(c.home, spoolopt, &c.cf, c.spooldir)) != 0)
		return code;
	c.spool.fd = c.spool.tmpfd = -1;
	if (gc && !c.spooldir[0]) {
		cli_error("no spool to collect: servers expire their own "
		    "articles");
		cli_hint("give --spool DIR");
		return EX_USAGE_;
	}
	if (c.spooldir[0] && (rc = xc_spool_open(&c.spool, c.spooldir, 0)) <
	    0) {
		code = failed("spool", c.spooldir, rc);
		if (rc == XC_ENOTFOUND)
			cli_hint("xc-send creates it; or give --spool DIR");
		/* A marker that is a link or a FIFO: a malformed spool. */
		if (rc == XC_EINSECURE)
			code = EX_BADINPUT;
		/* With servers, they are read all the same. */
		if (c.cf.nserver == 0 || gc)
			return code;
	} else if (c.spooldir[0])
		spool_ok = 1;
	if (gc) {
		code = gc_run(&c);
		xc_spool_close(&c.spool);
		return cli_close_stdout(code);
	}
	if (spool_ok)
		xc_spool_transport(&c.spool, &spool_t);
	c.net.now = c.now;
	c.net.want = wanted;
	c.net.arg = &c;
	c.net.cursors = &c.cursors;
	c.net.o.purpose = XC_NET_FETCH;
	if ((rc = cli_net_setup(&c.cf, &c.net, c.srv)) != 0) {
		code = rc;
		goto out;
	}
	cli_path(c.inbox, sizeof c.inbox, "%s/inbox", c.home);
	if ((rc = xc_mkdirs(c.home)) < 0 ||
	    (c.homefd = open(c.home, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		cli_error("keyring '%s': cannot open: %s", c.home,
		    strerror(errno));
		code = EX_SYSTEM;
		goto out;
	}
	cli_path(p, sizeof p, "%s/state", c.home);
	if ((rc = xc_dir_open(c.homefd, "state", XC_DIR_CREATE | XC_DIR_OWNED,
	    0700, &c.statefd)) < 0) {
		code = failed("keyring state", p, rc);
		goto out;
	}
	if ((rc = xc_lock_at(c.statefd, "fetch.lock", !nowait, &lockfd)) < 0) {
		if (rc == XC_ELOCKED) {
			cli_error("another xc-fetch is running on '%s'",
			    c.home);
			code = EX_BUSY;
			goto out;
		}
		cli_path(p, sizeof p, "%s/state/fetch.lock", c.home);
		code = failed("lock", p, rc);
		goto out;
	}
	if ((rc = xc_maildir_open(&c.ib, c.homefd, "inbox")) < 0) {
		code = failed("inbox", c.inbox, rc);
		goto out;
	}
	/* Under the lock only xc-fetch writes inbox/tmp: what is there was
	 * left by a killed run. */
	xc_tmp_sweep(c.ib.tmp, xc_tmp_is_maildir, NULL, NULL);
	if ((c.ids = xc_ids_new()) == NULL ||
	    (c.in = malloc(sizeof *c.in)) == NULL ||
	    (c.fk = sodium_malloc(XC_FILE_KEY_BYTES)) == NULL) {
		cli_error("out of memory");
		code = EX_SYSTEM;
		goto out;
	}
	if ((code = cli_own_keys(c.home, me, pwfile, 1, c.now, c.ids,
	    &c.keys)) != 0)
		goto out;
	c.nkeys = xc_ids_count(c.ids);
	{
		crypto_generichash_state hs;
		uint8_t h[4];
		crypto_generichash_init(&hs, NULL, 0, sizeof h);
		for (i = 0; i < c.nkeys; i++)
			crypto_generichash_update(&hs, c.keys[i].pk, 32);
		crypto_generichash_final(&hs, h, sizeof h);
		c.keysetno = 1 + ((int64_t)h[0] << 24 | (int64_t)h[1] << 16 |
		    (int64_t)h[2] << 8 | h[3]);
	}
	c.record_mine_only = me != NULL;
	if (c.net.nsrv && (c.tagof = calloc(c.nkeys + 1, XC_TAG_LEN)) == NULL) {
		cli_error("out of memory");
		code = EX_SYSTEM;
		goto out;
	}
	for (i = 0; c.tagof && i < c.nkeys; i++)
		xc_mailbox_tag(c.tagof[i], c.keys[i].pk, c.keys[i].tag_bits);
	cli_path(p, sizeof p, "%s/state/seen", c.home);
	if ((rc = xc_store_load(&c.seen, c.statefd, "seen", 32, 1, c.now)) < 0) {
		code = failed("keyring state", p, rc);
		goto out;
	}
	cli_path(p, sizeof p, "%s/state/skipped", c.home);
	if ((rc = xc_store_load(&c.skipped, c.statefd, "skipped", 16, 0,
	    c.now)) < 0) {
		code = failed("keyring state", p, rc);
		goto out;
	}
	cli_path(p, sizeof p, "%s/state/cursors", c.home);
	if (c.net.nsrv && (rc = xc_store_load(&c.cursors, c.statefd,
	    "cursors", 32, 0, c.now)) < 0) {
		code = failed("keyring state", p, rc);
		goto out;
	}
	{
		struct scan s = { &c, IN_CUR };
		c.found.dirfd = -1;
		if ((rc = xc_dir_each(c.ib.cur, note_inbox, &s)) < 0 ||
		    (s.where = IN_NEW,
		    rc = xc_dir_each(c.ib.new, note_inbox, &s)) < 0) {
			code = failed("inbox", c.inbox, rc);
			goto out;
		}
	}
	buckets(&c, want);
	/* The spool, then each server. */
	for (k = spool_ok ? 0 : 1; k <= c.net.nsrv && !c.capped; k++) {
		const char *where = k ? c.cf.server[k - 1] : c.spooldir;
		c.t = k ? c.srv[k - 1] : spool_t;
		c.max_size = k ? XC_NET_MAX_ENVELOPE : c.spool.max_size;
		/* Servers hand over hundreds of envelopes a second: their
		 * inbox copies are synced a batch at a time. */
		c.batch = k > 0;
		for (b = 0; b < 256 && !c.capped; b++) {
			char name[8];
			if (!want[b])
				continue;
			snprintf(name, sizeof name, "%02x", b);
			rc = c.t.list(c.t.ctx, name, consider, &c);
			if (rc == XC_EINSECURE) {
				cli_error("%s '%s': %s", c.t.name, where,
				    xc_errdetail());
				c.unsafe++;
				c.partial = 1;
				continue;
			}
			if (rc == XC_ENET) {
				/* This server is done for; the others are
				 * still read. */
				cli_error("%s '%s': %s", c.t.name, where,
				    xc_errdetail());
				cli_net_hint(&c.net, k - 1);
				c.partial = 1;
				if (!code)
					code = EX_NETWORK;
				break;
			}
			if (rc < 0) {
				/* The inbox's own failures name the inbox,
				 * and end the run. */
				int inbox = rc == XC_EWRITE || rc == XC_EEXIST;
				rc = inbox ? failed("inbox", c.inbox, rc) :
				    failed(c.t.name, where, rc);
				if (!code)
					code = rc;
				c.partial = 1;
				if (inbox)
					k = c.net.nsrv;
				break;
			}
		}
		if ((rc = xc_maildir_commit(&c.ib)) < 0) {
			rc = failed("inbox", c.inbox, rc);
			if (!code)
				code = rc;
			c.partial = 1;
			break;
		}
	}
	if (c.net.junk || c.net.oversize)
		cli_warn("left alone %zu article(s) that are not the envelopes "
		    "their ids name and %zu larger than %llu bytes",
		    c.net.junk, c.net.oversize,
		    (unsigned long long)XC_NET_MAX_ENVELOPE);
	if (c.capped)
		cli_warn("stopped after %zu file(s) and %llu bytes of the "
		    "spool (--max-files, --max-bytes): the next run goes on",
		    c.examined, (unsigned long long)c.bytes);
	if (c.lying || c.odd)
		cli_warn("spool '%s': left alone %zu file(s) whose names lie "
		    "about their expiry and %zu that are not regular files",
		    c.spooldir, c.lying, c.odd);
	if ((rc = save_skipped(&c)) < 0 && code == 0) {
		cli_path(p, sizeof p, "%s/state/skipped", c.home);
		code = failed("keyring state", p, rc);
	}
	expire(&c);
	/* Every inbox copy is durable (each link was followed by an fsync of
	 * inbox/new): now printed, then recorded. */
	rc = hand_rc = hand_over(&c, json, unread);
	if (rc && !code)
		code = rc;
	if ((rc = xc_store_save(&c.seen)) < 0) {
		cli_path(p, sizeof p, "%s/state/seen", c.home);
		rc = failed("keyring state", p, rc);
		if (!code)
			code = rc;
	} else if (hand_rc == 0 && c.net.nsrv && !c.record_mine_only &&
	    (rc = xc_store_save(&c.cursors)) < 0) {
		/* Last: every envelope the cursors pass is in the inbox and
		 * its id recorded.  (With -u others' envelopes are not, and
		 * the cursors stay.) */
		cli_path(p, sizeof p, "%s/state/cursors", c.home);
		rc = failed("keyring state", p, rc);
		if (!code)
			code = rc;
	}
	if (code == 0 && c.unsafe)
		code = EX_BADINPUT;
out:
	xc_store_free(&c.seen);
	xc_store_free(&c.skipped);
	xc_store_free(&c.found);
	xc_store_free(&c.cursors);
	xc_net_free(&c.net);
	xc_ids_free(c.ids);
	free(c.in);
	sodium_free(c.fk);
	free(c.keys);
	free(c.tagof);
	xc_maildir_close(&c.ib);
	xc_spool_close(&c.spool);
	if (c.statefd >= 0)
		close(c.statefd);
	if (c.homefd >= 0)
		close(c.homefd);
	if (lockfd >= 0)
		close(lockfd);
	return cli_close_stdout(code);
}
