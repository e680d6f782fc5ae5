/*
 * xc-fetch - collect my envelopes from the transport into the inbox and
 * print their paths, so that `xc-fetch | xc-open` reads new mail.
 *
 * Order, so that nothing is lost or fetched twice whatever is killed when:
 * copy into inbox/tmp, fsync, link into inbox/new, fsync inbox/new; only
 * then record the id (append, fsync); then hand over: rename new/ to cur/
 * and print.  A run killed before the record fetches the same id again and
 * finds its name taken (same bytes); one killed before the hand-over prints
 * it the next time.  Runs are serialised by a lock on $XC_HOME/state.
 */
#include <dirent.h>
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

static const char usage[] =
    "usage: xc-fetch [--home DIR] [--spool DIR] [-u @ME] [--json] [--no-wait]"
    "\n                [--passphrase-file FILE]\n"
    "       xc-fetch [--home DIR] [--spool DIR] --gc\n";

static void
help(void)
{
	printf("%s", usage);
	printf("\nCopy new envelopes for my keys from the spool into the inbox "
	    "and print their\npaths, one per line (xc-fetch | xc-open).\n"
	    "\n"
	    "      --spool DIR   the spool (default $XC_SPOOL, \"spool DIR\" in "
	    "$XC_HOME/config,\n"
	    "                    or $XC_HOME/spool)\n"
	    "  -u, --as @ME      fetch for this identity only\n"
	    "      --json        one JSON object per envelope\n"
	    "      --no-wait     exit 6 at once if another xc-fetch runs\n"
	    "      --gc          remove expired envelopes from the whole spool\n"
	    "      --passphrase-file FILE\n"
	    "                    unlock passphrase-protected keys\n"
	    "      --home DIR    the keyring (default $XC_HOME)\n"
	    "  -h, --help        print this help and exit\n"
	    "  -V, --version     print the version and exit\n"
	    "\nExit status: 0 ok, 2 usage, 4 system error, 6 busy (--no-wait).\n"
	    "See xc-fetch(1), xc-spool(5), xc(7).\n");
}

struct ctx {
	char home[XC_PATH_MAX], inbox[XC_PATH_MAX], spooldir[XC_PATH_MAX];
	xc_spool spool;
	xc_transport t;
	xc_ids *ids;
	struct cli_key *keys;
	size_t nkeys;
	xc_seen seen;
	int64_t now;
	const char *bucket;	/* being scanned */
	size_t fetched, skipped, oversize;
	int record_mine_only;	/* -u: other identities' mail is not seen */
	int code;
};

/* How long an id is remembered: until the envelope expires, or twice the
 * time a spool keeps one without expiry. */
static int64_t
remember_until(const struct ctx *c, int64_t exp)
{
	return exp ? exp : c->now + 2 * (int64_t)XC_SPOOL_KEEP_DAYS * 86400;
}

static int
in_inbox(const struct ctx *c, const char *name)
{
	char p[XC_PATH_MAX];

	cli_path(p, sizeof p, "%s/new/%s", c->inbox, name);
	if (access(p, F_OK) == 0)
		return 1;
	cli_path(p, sizeof p, "%s/cur/%s", c->inbox, name);
	return access(p, F_OK) == 0;
}

/* One file of a bucket: mine (by tag, then by unwrapping) -> the inbox.
 * What is seen is remembered, with two exceptions that must be looked at
 * again: a file whose header does not parse or whose bytes do not match
 * its id (still being copied in place: cp, a sync tool), and, with -u,
 * envelopes for other identities of this keyring. */
static int
consider(void *arg, const char *name)
{
	struct ctx *c = arg;
	char id[XC_ENVID_HEX + 1];
	int64_t exp;
	struct stat sb;
	xc_header h;
	xc_in *in = NULL;
	xc_route r;
	uint8_t *fk = NULL;
	size_t i, j;
	int fd, rc, mine = 0;

	if (xc_envelope_parse_name(name, id, &exp) != 0 ||
	    (exp && exp <= c->now) || xc_seen_has(&c->seen, id))
		return 0;
	/* Fetched by a run that could not record it: not twice. */
	if (in_inbox(c, name))
		return xc_seen_add(&c->seen, id, remember_until(c, exp));
	if (c->t.get(c->t.ctx, c->bucket, name, &fd) < 0)
		return 0;	/* collected meanwhile, or not a file */
	if (fstat(fd, &sb) != 0 || (uint64_t)sb.st_size > c->spool.max_size) {
		if (!c->oversize++)
			cli_warn("%s: larger than this spool's max-size: left "
			    "in the spool", name);
		close(fd);
		return 0;
	}
	memset(&h, 0, sizeof h);
	if ((in = malloc(sizeof *in)) == NULL ||
	    (fk = xc_secure_block()) == NULL) {
		rc = xc_fail(XC_ENOMEM, "out of memory");
		goto out;
	}
	xc_in_init(in, (xc_rd){ xc_fd_read, &fd });
	rc = 0;
	if (xc_header_parse(in, &h) != 0 || xc_route_get(&h, &r) != 0)
		goto out;	/* not (yet) an envelope: next time */
	for (i = 0; i < r.ntags && !mine; i++)
		for (j = 0; j < c->nkeys && !mine; j++)
			mine = xc_mailbox_match(r.tags[i], c->keys[j].pk,
			    c->keys[j].tag_bits);
	/* A tag is a hint; the key decides (tags collide). */
	if (mine && xc_age_unwrap(&h, c->ids, fk, NULL) != 0)
		mine = 0;
	if (mine) {
		rc = xc_maildir_deliver(c->inbox, fd, c->spool.max_size, name,
		    id, NULL, 0);
		if (rc == XC_EPAYLOAD) {	/* incomplete: next time */
			rc = 0;
			goto out;
		}
		if (rc < 0)
			goto out;
		c->fetched++;
	} else if (!c->record_mine_only)
		c->skipped++;
	else
		goto out;
	rc = xc_seen_add(&c->seen, id, remember_until(c, exp));
out:
	xc_header_free(&h);
	xc_secure_release(fk);	/* recycled: no allocation per envelope */
	free(in);
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

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Hands over what waits in inbox/new: into cur/, then its path printed. */
static int
hand_over(struct ctx *c, int json)
{
	char dir[XC_PATH_MAX], from[XC_PATH_MAX], to[XC_PATH_MAX];
	char id[XC_ENVID_HEX + 1], **names = NULL;
	struct dirent *e;
	struct stat sb;
	size_t n = 0, cap = 0, i;
	int64_t exp;
	DIR *d;
	int code = 0;

	cli_path(dir, sizeof dir, "%s/new", c->inbox);
	if ((d = opendir(dir)) == NULL)
		return cli_report(XC_EREAD, dir);
	while ((e = readdir(d)) != NULL) {
		if (xc_envelope_parse_name(e->d_name, id, &exp) != 0)
			continue;
		if (n == cap) {
			char **v = realloc(names, (cap = cap ? cap * 2 : 64) *
			    sizeof *names);
			if (v == NULL)
				break;
			names = v;
		}
		if ((names[n] = strdup(e->d_name)) != NULL)
			n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, cmp_str);
	for (i = 0; i < n; i++) {
		cli_path(from, sizeof from, "%s/new/%s", c->inbox, names[i]);
		cli_path(to, sizeof to, "%s/cur/%s", c->inbox, names[i]);
		if (rename(from, to) != 0) {
			if (errno != ENOENT) {
				cli_error("cannot move '%s': %s", from,
				    strerror(errno));
				code = EX_SYSTEM;
			}
			continue;
		}
		if (json) {
			cJSON *j = cJSON_CreateObject();
			char *t, when[32];
			xc_envelope_parse_name(names[i], id, &exp);
			cJSON_AddStringToObject(j, "id", id);
			cJSON_AddStringToObject(j, "path", to);
			if (exp) {
				xc_utc(when, exp, 1);
				cJSON_AddStringToObject(j, "expires", when);
			} else
				cJSON_AddNullToObject(j, "expires");
			cJSON_AddNumberToObject(j, "size", stat(to, &sb) == 0 ?
			    (double)sb.st_size : 0);
			if ((t = cJSON_PrintUnformatted(j)) != NULL)
				printf("%s\n", t);
			free(t);
			cJSON_Delete(j);
		} else
			printf("%s\n", to);
		if (fflush(stdout) != 0) {
			cli_error("cannot write to standard output: %s",
			    strerror(errno));
			code = EX_SYSTEM;
			break;
		}
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return code;
}

/* Disappearing messages: inbox envelopes past their expiry, and what
 * xc-open saved from them ($XC_HOME/state/expiring: "EXPIRY DEV INO PATH"
 * lines; a file replaced since, another inode, is left alone). */
static void
expire(struct ctx *c)
{
	static const char *const sub[] = { "new", "cur", "tmp" };
	char dir[XC_PATH_MAX], p[XC_PATH_MAX], id[XC_ENVID_HEX + 1], *buf;
	char *keep;
	struct dirent *e;
	struct stat sb;
	size_t i, len, k = 0;
	int64_t exp;
	DIR *d;
	int lockfd;

	for (i = 0; i < 3; i++) {
		cli_path(dir, sizeof dir, "%s/%s", c->inbox, sub[i]);
		if ((d = opendir(dir)) == NULL)
			continue;
		while ((e = readdir(d)) != NULL) {
			if (snprintf(p, sizeof p, "%s/%s", dir, e->d_name) >=
			    (int)sizeof p)
				continue;
			if (i == 2 ? (e->d_name[0] != '.' &&
			    stat(p, &sb) == 0 && S_ISREG(sb.st_mode) &&
			    sb.st_mtime < c->now - 86400) :
			    (xc_envelope_parse_name(e->d_name, id, &exp) == 0 &&
			    exp && exp <= c->now))
				unlink(p);
		}
		closedir(d);
	}
	cli_path(p, sizeof p, "%s/state/expiring.lock", c->home);
	if (xc_lock(p, 1, &lockfd) < 0)
		return;
	cli_path(p, sizeof p, "%s/state/expiring", c->home);
	if (xc_read_file(p, (size_t)1 << 26, 0, &buf, &len) < 0) {
		close(lockfd);
		return;
	}
	if ((keep = malloc(len + 1)) == NULL) {
		sodium_free(buf);
		close(lockfd);
		return;
	}
	for (i = 0; i < len;) {
		char *nl = memchr(buf + i, '\n', len - i), path[XC_PATH_MAX];
		long long t;
		unsigned long long dev, ino;
		size_t ll;
		int at;
		if (nl == NULL)
			break;
		ll = (size_t)(nl - (buf + i)) + 1;
		*nl = '\0';
		if (sscanf(buf + i, "%lld %llu %llu %n", &t, &dev, &ino, &at)
		    == 3 && at > 0 && snprintf(path, sizeof path, "%s",
		    buf + i + at) < (int)sizeof path) {
			if (t <= c->now) {
				if (lstat(path, &sb) == 0 && S_ISREG(sb.st_mode) &&
				    (unsigned long long)sb.st_dev == dev &&
				    (unsigned long long)sb.st_ino == ino)
					unlink(path);
			} else {
				*nl = '\n';
				memcpy(keep + k, buf + i, ll);
				k += ll;
			}
		}
		i += ll;
	}
	if (k != len)
		xc_write_file(p, keep, k, 0600, 0);
	free(keep);
	sodium_free(buf);
	close(lockfd);
}

int
main(int argc, char **argv)
{
	enum { OPT_HOME = 256, OPT_SPOOL, OPT_JSON, OPT_NOWAIT, OPT_GC,
		OPT_PWFILE };
	static const struct option longopts[] = {
		{"home", required_argument, NULL, OPT_HOME},
		{"spool", required_argument, NULL, OPT_SPOOL},
		{"as", required_argument, NULL, 'u'},
		{"json", no_argument, NULL, OPT_JSON},
		{"no-wait", no_argument, NULL, OPT_NOWAIT},
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
	int ch, code = 0, rc, json = 0, nowait = 0, gc = 0, lockfd, b;
	size_t removed = 0;

	prog = "xc-fetch";
	cli_harden();
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":u:hV", longopts, NULL)) != -1)
		switch (ch) {
		case OPT_HOME: homeopt = optarg; break;
		case OPT_SPOOL: spoolopt = optarg; break;
		case 'u': me = optarg; break;
		case OPT_JSON: json = 1; break;
		case OPT_NOWAIT: nowait = 1; break;
		case OPT_GC: gc = 1; break;
		case OPT_PWFILE: pwfile = optarg; break;
		case 'h': help(); return cli_close_stdout(0);
		case 'V':
			printf("xc-fetch %s\n", XC_VERSION);
			return cli_close_stdout(0);
		default:
			cli_bad_option(usage, argv, ch);
		}
	if (optind < argc)
		cli_usage_error(usage, "no operands expected");
	if (gc && (me || json || pwfile))
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
	if ((code = cli_spool_dir(c.home, spoolopt, c.spooldir)) != 0)
		return code;
	if ((rc = xc_spool_open(&c.spool, c.spooldir, 0)) < 0) {
		cli_error("spool '%s': %s", c.spooldir, xc_errdetail());
		if (rc == XC_ENOTFOUND)
			cli_hint("xc-send creates it; or give --spool DIR");
		return rc == XC_EUNSUPPORTED ? EX_BADINPUT : EX_SYSTEM;
	}
	if (gc) {
		if ((rc = xc_spool_gc(&c.spool, c.now, NULL, &removed)) < 0)
			return cli_report(rc, c.spooldir);
		fprintf(stderr, "xc-fetch: removed %zu expired envelope(s)\n",
		    removed);
		return cli_close_stdout(0);
	}
	xc_spool_transport(&c.spool, &c.t);
	cli_path(p, sizeof p, "%s/state", c.home);
	cli_path(c.inbox, sizeof c.inbox, "%s/inbox", c.home);
	if ((rc = xc_mkdirs(p)) < 0 || (rc = xc_maildir_open(c.inbox)) < 0) {
		cli_error("cannot set up '%s': %s", c.home, strerror(errno));
		return EX_SYSTEM;
	}
	cli_path(p, sizeof p, "%s/state/fetch.lock", c.home);
	if ((rc = xc_lock(p, !nowait, &lockfd)) < 0) {
		if (rc == XC_ELOCKED) {
			cli_error("another xc-fetch is running on '%s'",
			    c.home);
			return EX_BUSY;
		}
		cli_error("cannot lock '%s': %s", p, strerror(errno));
		return EX_SYSTEM;
	}
	if ((c.ids = xc_ids_new()) == NULL) {
		cli_error("out of memory");
		code = EX_SYSTEM;
		goto out;
	}
	if ((code = cli_own_keys(c.home, me, pwfile, 0, c.now, c.ids,
	    &c.keys)) != 0)
		goto out;
	c.nkeys = xc_ids_count(c.ids);
	c.record_mine_only = me != NULL;
	cli_path(p, sizeof p, "%s/state/seen", c.home);
	if ((rc = xc_seen_load(&c.seen, p, c.now)) < 0) {
		code = cli_report(rc, p);
		goto out;
	}
	buckets(&c, want);
	for (b = 0; b < 256 && code == 0; b++) {
		char name[8];
		if (!want[b])
			continue;
		cli_path(name, sizeof name, "%02x", b);
		c.bucket = name;
		if ((rc = c.t.list(c.t.ctx, name, consider, &c)) < 0) {
			cli_error("%s '%s': %s%s%s", c.t.name, c.spooldir,
			    xc_errdetail(), rc == XC_EWRITE || rc == XC_EREAD ?
			    ": " : "", rc == XC_EWRITE || rc == XC_EREAD ?
			    strerror(errno) : "");
			code = EX_SYSTEM;
		}
		/* Collection of expired envelopes rides along, bucket by
		 * bucket (xc-fetch --gc does all of them). */
		xc_spool_gc(&c.spool, c.now, name, NULL);
	}
	/* The inbox files are durable (each link was followed by an fsync of
	 * inbox/new): only now are their ids recorded. */
	if ((rc = xc_seen_save(&c.seen)) < 0 && code == 0) {
		cli_error("cannot record fetched ids: %s: %s", xc_errdetail(),
		    strerror(errno));
		code = EX_SYSTEM;
	}
	expire(&c);
	rc = hand_over(&c, json);
	if (rc && !code)
		code = rc;
out:
	xc_seen_free(&c.seen);
	xc_ids_free(c.ids);
	free(c.keys);
	close(lockfd);
	return cli_close_stdout(code);
}
