/*
 * xc-send - hand envelopes to the transports: first into the outbox (so
 * that nothing accepted is lost), then into the spool and to the servers,
 * then out of the outbox.  An envelope leaves the outbox once the spool
 * (when one is used) holds it and at least the quorum of servers (when
 * there are servers) took it; whatever was not delivered stays in the
 * outbox, and every later run (or --flush) retries it.  See xc(7),
 * "Transports", for how the spool and servers are chosen.
 *
 * Recipients' servers: a contact's pinned card may list where its owner
 * fetches ("reach", xc-card(5)).  An envelope whose route tags match a
 * contact's keys is also posted there, best effort: the quorum counts
 * the configured servers only, since a tag is a hint (tags collide) and
 * a recipient's server is one this user never chose.
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

#include <sodium.h>

#include "cli.h"

static const char usage[] =
    "usage: xc-send [--home DIR] [--spool DIR] [--proxy socks5h://ADDR:PORT]\n"
    "               [--server URL [--pin PINS] [--starttls]]... "
    "[--quorum N|all]\n"
    "               [--timeout SECONDS] [--no-reach] [ENVELOPE...]\n"
    "       xc-send [--home DIR] [--spool DIR] [--proxy socks5h://ADDR:PORT]\n"
    "               [--server URL [--pin PINS] [--starttls]]... "
    "[--quorum N|all]\n"
    "               [--timeout SECONDS] [--no-reach] --flush\n";

static void
help(void)
{
	printf("%s", usage);
	printf("\nQueue each ENVELOPE (or the one on standard input) in the "
	    "outbox, deliver the\noutbox into the spool and to the servers, "
	    "and print each new envelope's id.\n"
	    "\n"
	    "      --spool DIR   the spool (default $XC_SPOOL, \"spool DIR\" in "
	    "the config\n"
	    "                    ~/.config/xc/config, or $XC_HOME/spool when "
	    "no server\n"
	    "                    is configured)\n"
	    "      --server URL  post to this server, nntp:// or "
	    "nntps://HOST[:PORT]\n"
	    "                    (repeatable; default: the \"server URL\" lines "
	    "of the config)\n"
	    CLI_NET_HELP
	    "      --quorum N|all  servers that must take an envelope "
	    "(default 1)\n"
	    "      --timeout SECONDS  the longest wait for a server "
	    "(default 30)\n"
	    "      --no-reach    post only to the configured servers, not also "
	    "to those\n"
	    "                    the recipients' cards list (--server and "
	    "--spool imply it)\n"
	    "      --flush       only deliver what waits in the outbox\n"
	    "      --home DIR    the keyring (default $XC_HOME)\n"
	    "  -h, --help        print this help and exit\n"
	    "  -V, --version     print the version and exit\n"
	    "\nExit status: 0 all delivered, 2 usage, 3 not an xc envelope or "
	    "too large,\n4 system error (nothing queued), 5 queued but not "
	    "delivered (retried later).\nSee xc-send(1), xc-spool(5), "
	    "xc-nntp(5), xc(7).\n");
}

static int
in_read(void *in, uint8_t *buf, size_t len, size_t *got)
{
	return xc_in_read(in, buf, len, got);
}

struct ctx {
	char home[XC_PATH_MAX], outbox[XC_PATH_MAX], spooldir[XC_PATH_MAX];
	xc_maildir ob;
	xc_spool spool;
	xc_transport t;
	uint64_t max_size;	/* the spool's, or the default without one */
	const char *too_large;	/* what max_size is, for messages */
	/* The servers (none: the spool only) and how many must take each
	 * envelope; the spool is used when spooldir is not "". */
	xc_config cf;
	xc_net net;
	xc_transport srv[XC_MAX_SERVERS];
	int quorum, reported[XC_MAX_SERVERS], progress_shown;
	int64_t now;
	/* The configured servers are net's first nconf; after them, the
	 * recipients' servers added as envelopes need them (name: the URL
	 * of each server, for messages). */
	size_t nconf;
	const char *name[XC_MAX_SERVERS];
	xc_card *reach;		/* contacts' cards that list servers */
	size_t nreach;
	char skipped[XC_MAX_SERVERS][XC_URL_MAX];	/* said once each */
	size_t nskipped;
};

/* A contact's pinned card that lists servers, valid now, is kept. */
static int
keep_reach(void *arg, const xc_contact *ct)
{
	struct ctx *c = arg;
	xc_card *more;

	if (ct->card.nreach == 0 || xc_card_check_time(&ct->card, c->now) < 0)
		return 0;
	if ((more = realloc(c->reach, (c->nreach + 1) * sizeof *more)) == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	c->reach = more;
	c->reach[c->nreach++] = ct->card;
	return 0;
}

/* The pinned cards of the contacts that list servers, valid now; only
 * contacts: a stranger's card never picks where we connect. */
static int
load_reach(struct ctx *c)
{
	if (xc_contact_each(c->home, keep_reach, c) < 0) {
		cli_error("out of memory");
		return EX_SYSTEM;
	}
	return 0;
}

/* Server i of net is one the recipients' cards list: those an envelope
 * is for get want[i] set, added to net the first time. */
static void
reach_servers(struct ctx *c, const xc_route *r, int want[XC_MAX_SERVERS])
{
	const xc_card *k;
	const xc_card_reach *s;
	size_t i, j, t, n;
	int mine, rc;

	memset(want, 0, XC_MAX_SERVERS * sizeof *want);
	for (i = 0; i < c->nreach; i++) {
		k = &c->reach[i];
		mine = 0;
		for (t = 0; t < r->ntags && !mine; t++)
			for (j = 0; j < k->nenc && !mine; j++)
				mine = xc_mailbox_match(r->tags[t],
				    k->enc[j].pk, k->tag_bits);
		for (j = 0; j < k->nreach && mine; j++) {
			s = &k->reach[j];
			/* A configured server, pins and all, wins. */
			for (n = 0; n < c->net.nsrv &&
			    strcmp(c->name[n], s->url) != 0; n++)
				;
			if (n < c->nconf)
				continue;
			if (n < c->net.nsrv) {
				want[n] = 1;
				continue;
			}
			for (t = 0; t < c->nskipped &&
			    strcmp(c->skipped[t], s->url) != 0; t++)
				;
			if (t < c->nskipped)
				continue;
			rc = 0;
			if (!c->cf.proxy[0] && cli_net_is_onion(s->url))
				cli_warn("server '%s' (@%s's card): an .onion "
				    "server is reached through Tor only: "
				    "skipped", s->url, k->handle);
			else if ((rc = xc_net_add_tls(&c->net, s->url,
			    s->pin[0] ? s->pin : NULL, s->starttls ?
			    XC_TLS_STARTTLS : XC_TLS_OFF, &c->srv[n])) < 0)
				cli_warn("server '%s' (@%s's card): %s: "
				    "skipped", s->url, k->handle,
				    xc_errdetail());
			else {
				c->name[n] = s->url;
				want[n] = 1;
				continue;
			}
			if (c->nskipped < XC_MAX_SERVERS)
				memcpy(c->skipped[c->nskipped++], s->url,
				    XC_URL_MAX);
		}
	}
}

/* Input that is neither an envelope nor armor: named, exit 3. */
static int
not_envelope(const char *what, int rc)
{
	cli_error("'%s': not an xc envelope: %s: %s", what, xc_strerror(rc),
	    xc_errdetail());
	return EX_BADINPUT;
}

/* A failure of the outbox, named as such. */
static int
outbox_error(const struct ctx *c, int rc)
{
	int saved = errno;

	cli_error("outbox '%s': %s%s%s", c->outbox, xc_errdetail(),
	    rc == XC_EWRITE || rc == XC_EREAD ? ": " : "",
	    rc == XC_EWRITE || rc == XC_EREAD ? strerror(saved) : "");
	return EX_SYSTEM;
}

/* Reads an envelope (binary or armored) into the outbox; prints its id. */
static int
queue(struct ctx *c, const char *path)
{
	char tmp[XC_TMP_NAME_MAX], id[XC_ENVID_HEX + 1], cid[XC_ENVID_HEX + 1];
	char name[XC_ENVNAME_MAX];
	const char *what = path ? path : "-";
	const uint8_t *p;
	size_t avail;
	uint64_t size;
	xc_route r;
	xc_in *in = NULL;
	xc_armor_rd *ar = NULL;
	xc_rd rd;
	int fd = 0, tfd = -1, rc, code = 0, efd;

	if ((code = cli_open_in(path, &fd)) != 0)
		return code;
	if ((in = malloc(sizeof *in)) == NULL) {
		cli_error("out of memory");
		code = EX_SYSTEM;
		goto out;
	}
	xc_in_init(in, (xc_rd){ xc_fd_read, &fd });
	if ((rc = xc_in_peek(in, 19, &p, &avail)) < 0) {
		code = cli_report(rc, what);
		goto out;
	}
	/* Nothing at all: in `xc-seal | xc-send`, xc-seal failed and said
	 * why; one line here, not a parse error. */
	if (avail == 0) {
		if (path)
			cli_error("'%s': empty, not an envelope", path);
		else
			cli_error("no input");
		code = EX_BADINPUT;
		goto out;
	}
	/* Armor is stored as the binary file it encodes: one id per envelope. */
	if (avail >= 19 && memcmp(p, "age-encryption.org/", 19) == 0)
		rd = (xc_rd){ in_read, in };
	else if ((rc = xc_armor_rd_new_text(&ar, in, &rd)) < 0) {
		code = rc == XC_EARMOR ? not_envelope(what, rc) :
		    cli_report(rc, what);
		goto out;
	}
	rc = xc_copy_to_dir(rd, c->ob.tmp, c->max_size, 0600, NULL, tmp, &tfd,
	    cid);
	if (rc < 0) {
		if (rc == XC_ELIMIT) {
			cli_error("'%s': envelope larger than %s (%llu bytes)",
			    what, c->too_large,
			    (unsigned long long)c->max_size);
			code = EX_BADINPUT;
		} else if (rc == XC_EARMOR)
			code = not_envelope(what, rc);
		else if (rc == XC_EREAD)
			code = cli_report(rc, what);
		else {
			int saved = errno;
			cli_error("cannot queue '%s' in the outbox '%s': %s%s%s",
			    what, c->outbox, xc_errdetail(),
			    rc == XC_EWRITE ? ": " : "",
			    rc == XC_EWRITE ? strerror(saved) : "");
			code = EX_SYSTEM;
		}
		tfd = -1;
		goto out;
	}
	if ((rc = xc_envelope_check(tfd, c->max_size, id, &r, &size)) < 0) {
		cli_error("'%s': not an xc envelope: %s", what, xc_errdetail());
		code = cli_exit_code(rc);
		xc_tmp_remove(c->ob.tmp, tmp);
		goto out;
	}
	xc_envelope_name(name, id, r.expires);
	if (linkat(c->ob.tmp, tmp, c->ob.new, name, 0) != 0) {
		/* Queued before, if the bytes there are these. */
		int same = 0;
		if (errno == EEXIST && xc_file_open(c->ob.new, name, &efd,
		    NULL) == 0) {
			same = xc_envelope_matches(efd, c->max_size, name, &r)
			    == 0;
			close(efd);
		}
		if (!same && renameat(c->ob.tmp, tmp, c->ob.new, name) != 0) {
			code = outbox_error(c, xc_fail(XC_EWRITE, "cannot link "
			    "an envelope into new/"));
			xc_tmp_remove(c->ob.tmp, tmp);
			goto out;
		}
	}
	xc_tmp_remove(c->ob.tmp, tmp);
	if ((rc = xc_dir_sync(c->ob.new)) < 0) {
		code = outbox_error(c, rc);
		goto out;
	}
	printf("%s\n", id);
out:
	if (tfd >= 0)
		close(tfd);
	xc_armor_rd_free(ar);
	free(in);
	if (fd > 0)
		close(fd);
	return code;
}

static int
is_envelope(void *arg, const char *name)
{
	char id[XC_ENVID_HEX + 1];
	int64_t exp;

	(void)arg;
	return xc_envelope_parse_name(name, id, &exp) == 0;
}

/* Gone from the outbox: another xc-send delivered it (it unlinks only
 * after delivering). */
static int
gone(const struct ctx *c, const char *name)
{
	struct stat sb;

	return fstatat(c->ob.new, name, &sb, AT_SYMLINK_NOFOLLOW) != 0 &&
	    errno == ENOENT;
}

/* Proof-of-work progress, on a terminal only (net.progress is set then),
 * and only for work expected to take a while (2^19 trials, about a
 * third of a second here: an envelope without expiry). */
static int
pow_progress(void *arg, const char *id, uint64_t tried, uint64_t expected)
{
	struct ctx *c = arg;
	uint64_t pct = expected ? tried / (expected / 100 + 1) : 0;

	if (expected < ((uint64_t)1 << 19))
		return 0;
	fprintf(stderr, "\rxc-send: proof-of-work for %.16s...: %2u%%", id,
	    (unsigned)(pct > 99 ? 99 : pct));
	c->progress_shown = 1;
	return 0;
}

/* Posts the envelope in fd to every configured server and to the
 * recipients' servers in want; the number of configured ones that took
 * it. */
static int
post(struct ctx *c, int fd, const char *name, const xc_route *r,
    const int want[XC_MAX_SERVERS])
{
	int rc[XC_MAX_SERVERS], saved[XC_MAX_SERVERS];
	char why[XC_MAX_SERVERS][256];	/* each server's own error */
	size_t i;
	int took = 0;

	for (i = 0; i < c->net.nsrv; i++) {
		rc[i] = 0;
		if (i >= c->nconf && !want[i])
			continue;
		if ((rc[i] = c->srv[i].put(c->srv[i].ctx, fd, name, r)) == 0 &&
		    i < c->nconf)
			took++;
		saved[i] = errno;
		snprintf(why[i], sizeof why[i], "%s", rc[i] ? xc_errdetail() :
		    "");
		if (c->progress_shown) {
			fprintf(stderr, "\r%60s\r", "");
			c->progress_shown = 0;
		}
	}
	if (took < c->quorum && gone(c, name))
		return took;
	/* Each server's first failure is said once per run: an error when
	 * this envelope stays in the outbox, a warning when the quorum took
	 * it all the same. */
	for (i = 0; i < c->net.nsrv; i++) {
		if (rc[i] == 0 || c->reported[i])
			continue;
		c->reported[i] = 1;
		if (i >= c->nconf)
			cli_warn("server '%s' (a recipient's card): %s (%.64s "
			    "not delivered there)", c->name[i], why[i], name);
		else if (took < c->quorum)
			cli_error("cannot deliver %.64s to server '%s': %s%s%s",
			    name, c->cf.server[i], why[i],
			    rc[i] == XC_EREAD ? ": " : "",
			    rc[i] == XC_EREAD ? strerror(saved[i]) : "");
		else
			cli_warn("server '%s': %s (%.64s went to %d of %zu "
			    "servers)", c->cf.server[i], why[i], name, took,
			    c->nconf);
		/* A pin the user could give is for a configured server; a
		 * recipient's comes with the card. */
		if (i < c->nconf)
			cli_net_hint(&c->net, i);
	}
	return took;
}

/* Delivers every envelope in the outbox; what fails stays there. */
static int
flush(struct ctx *c)
{
	xc_route r;
	char **names;
	size_t i, n;
	int code = 0, rc, fd, failed = 0, expired = 0, ok, saved, checked;
	int want[XC_MAX_SERVERS], nwant;
	size_t k;

	if ((rc = xc_dir_list(c->ob.new, is_envelope, NULL, &names, &n)) < 0)
		return outbox_error(c, rc);
	for (i = 0; i < n; i++) {
		const char *name = names[i];
		if ((rc = xc_file_open(c->ob.new, name, &fd, NULL)) < 0) {
			if (rc == XC_ENOTFOUND)
				continue;	/* another xc-send delivered it */
			cli_warn("outbox '%s': %s: %s: left alone", c->outbox,
			    name, xc_errdetail());
			continue;
		}
		ok = 1;
		checked = xc_envelope_check(fd, (uint64_t)1 << 40, NULL, &r,
		    NULL) == 0;
		rc = 0;
		if (!checked) {
			/* Not written by xc-send: never sent, left there. */
			if (!failed)
				cli_error("outbox '%s': %.64s: %s: not sent",
				    c->outbox, name, xc_errdetail());
			ok = 0;
		} else if (c->spooldir[0] &&
		    (rc = c->t.put(c->t.ctx, fd, name, &r)) < 0) {
			if (gone(c, name)) {
				close(fd);
				continue;
			}
			saved = errno;
			if (!failed)
				cli_error("cannot deliver %.64s to the %s '%s': "
				    "%s%s%s", name, c->t.name, c->spooldir,
				    xc_errdetail(),
				    rc == XC_EWRITE || rc == XC_EREAD ? ": " : "",
				    rc == XC_EWRITE || rc == XC_EREAD ?
				    strerror(saved) : "");
			ok = 0;
		}
		nwant = 0;
		if (checked && c->nreach) {
			reach_servers(c, &r, want);
			for (k = c->nconf; k < c->net.nsrv; k++)
				nwant += want[k];
		}
		/* An envelope that has expired is not offered to servers
		 * (every node refuses it); without a spool to take it, no
		 * run could deliver it: it is removed. */
		if (!checked || (!c->nconf && !nwant))
			;
		else if (r.expires && r.expires <= c->now) {
			if (ok && !c->spooldir[0]) {
				if (!expired++)
					cli_warn("%.64s expired in the outbox "
					    "before any server took it: removed",
					    name);
				code = EX_NETWORK;
			}
		} else if (post(c, fd, name, &r, want) <
		    (c->nconf ? c->quorum : 0)) {
			if (gone(c, name)) {
				close(fd);
				continue;
			}
			ok = 0;
		}
		close(fd);
		if (!ok) {
			failed++;
			code = EX_NETWORK;
			continue;
		}
		if (unlinkat(c->ob.new, name, 0) != 0 && errno != ENOENT) {
			cli_error("outbox '%s': cannot remove %s: %s",
			    c->outbox, name, strerror(errno));
			code = EX_SYSTEM;
		}
	}
	xc_dir_list_free(names, n);
	if (c->spool.replaced)
		cli_warn("spool '%s': replaced %zu file(s) that did not match "
		    "their names", c->spooldir, c->spool.replaced);
	if (expired > 1)
		cli_warn("%d envelope(s) expired in the outbox before any "
		    "server took them: removed", expired);
	if (failed)
		cli_hint("%d envelope(s) kept in the outbox; xc-send --flush "
		    "retries", failed);
	/* A crash after this point delivers again: harmless, same name. */
	if ((rc = xc_dir_sync(c->ob.new)) < 0 && code == 0)
		code = outbox_error(c, rc);
	return code;
}

/* Operands live as long as the process. */
int
main(int argc, char **argv)
{
	enum { OPT_HOME = 256, OPT_SPOOL, OPT_FLUSH, OPT_NOREACH };
	static const struct option longopts[] = {
		{"home", required_argument, NULL, OPT_HOME},
		{"spool", required_argument, NULL, OPT_SPOOL},
		{"flush", no_argument, NULL, OPT_FLUSH},
		{"no-reach", no_argument, NULL, OPT_NOREACH},
		CLI_NET_LONGOPTS,
		{"quorum", required_argument, NULL, CLI_OPT_QUORUM},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}
	};
	const char *homeopt = NULL, *spoolopt = NULL;
	static struct ctx c;
	int ch, code = 0, rc, onlyflush = 0, i, spool_rc, homefd, reach = 1;
	size_t k;

	prog = "xc-send";
	cli_harden();
	cli_start();
	c.ob.fd = c.ob.tmp = c.ob.new = c.ob.cur = -1;
	c.spool.fd = c.spool.tmpfd = -1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":hV", longopts, NULL)) != -1)
		switch (ch) {
		case OPT_HOME: homeopt = optarg; break;
		case OPT_SPOOL: spoolopt = optarg; break;
		case OPT_FLUSH: onlyflush = 1; break;
		case OPT_NOREACH: reach = 0; break;
		case 'h': help(); return cli_close_stdout(0);
		case 'V':
			printf("xc-send %s\n", XC_VERSION);
			return cli_close_stdout(0);
		default:
			if (!cli_net_option(ch, optarg, &c.cf, usage))
				cli_bad_option(usage, argv, ch);
		}
	if (onlyflush && optind < argc)
		cli_usage_error(usage, "--flush takes no operands");
	if (c.cf.quorum && c.cf.nserver == 0)
		cli_usage_error(usage, "--quorum needs --server");
	/* Typed alone, xc-send would wait for an envelope on the terminal. */
	if (!onlyflush && optind == argc && isatty(0)) {
		cli_error("no envelope given, and standard input is a "
		    "terminal");
		cli_hint("xc-seal ... | xc-send, or xc-send FILE.age...; "
		    "xc-send - reads an armored envelope pasted here; "
		    "xc-send --flush delivers the outbox");
		return EX_USAGE_;
	}
	if (sodium_init() < 0) {
		cli_error("cannot initialise libsodium");
		return EX_SYSTEM;
	}
	if (xc_home(c.home, homeopt) < 0) {
		cli_error("%s", xc_errdetail());
		return EX_SYSTEM;
	}
	/* Transports named on the command line are all there is. */
	if (spoolopt != NULL || c.cf.nserver > 0)
		reach = 0;
	if ((code = cli_transports(c.home, spoolopt, &c.cf, c.spooldir)) != 0)
		return code;
	if ((code = cli_net_quorum(&c.cf, &c.quorum)) != 0)
		return code;
	c.now = cli_now();
	c.net.now = c.now;
	c.net.o.purpose = XC_NET_POST;
	if ((code = cli_net_setup(&c.cf, &c.net, c.srv)) != 0)
		goto out;
	c.nconf = c.cf.nserver;
	for (k = 0; k < c.nconf; k++)
		c.name[k] = c.cf.server[k];
	if (reach && (code = load_reach(&c)) != 0)
		goto out;
	if (isatty(2)) {
		c.net.progress = pow_progress;
		c.net.arg = &c;
	}
	/* The outbox first: what is accepted is kept even when the spool is
	 * missing (an unmounted share) or full; it is delivered later. */
	cli_path(c.outbox, sizeof c.outbox, "%s/outbox", c.home);
	if ((rc = xc_mkdirs(c.home)) < 0 ||
	    (homefd = open(c.home, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		cli_error("keyring '%s': %s: %s", c.home, rc < 0 ?
		    xc_errdetail() : "cannot open", strerror(errno));
		return EX_SYSTEM;
	}
	rc = xc_maildir_open(&c.ob, homefd, "outbox");
	close(homefd);
	if (rc < 0) {
		code = outbox_error(&c, rc);
		goto out;
	}
	/* What killed runs left half-copied (their locks are free). */
	xc_tmp_sweep(c.ob.tmp, xc_tmp_is_maildir, NULL, NULL);
	spool_rc = c.spooldir[0] ? xc_spool_open(&c.spool, c.spooldir, 1) : 0;
	c.max_size = spool_rc == 0 && c.spooldir[0] ? c.spool.max_size :
	    XC_SPOOL_MAX_SIZE;
	c.too_large = "the spool's max-size";
	if (c.cf.nserver && c.max_size > XC_NET_MAX_ENVELOPE) {
		c.max_size = XC_NET_MAX_ENVELOPE;
		c.too_large = "the network carries";
	}
	if (!onlyflush) {
		if (optind == argc)
			code = queue(&c, NULL);
		for (i = optind; i < argc; i++) {
			rc = queue(&c, argv[i]);
			if (rc && !code)
				code = rc;
		}
		if (fflush(stdout) != 0 || ferror(stdout)) {
			cli_error("cannot write to standard output: %s",
			    strerror(errno));
			cli_hint("what was queued is delivered all the same; "
			    "an id is: b2sum -l 256 ENVELOPE");
			code = EX_SYSTEM;
		}
	}
	if (spool_rc < 0) {
		int saved = errno;
		cli_error("spool '%s': %s%s%s", c.spooldir, xc_errdetail(),
		    spool_rc == XC_EWRITE || spool_rc == XC_EREAD ? ": " : "",
		    spool_rc == XC_EWRITE || spool_rc == XC_EREAD ?
		    strerror(saved) : "");
		cli_hint("what was accepted waits in the outbox; xc-send "
		    "--flush delivers it");
		code = code ? code : EX_NETWORK;
		goto out;
	}
	if (c.spooldir[0])
		xc_spool_transport(&c.spool, &c.t);
	/* Deliver what is queued even when an operand was refused. */
	rc = flush(&c);
	if (rc && !code)
		code = rc;
out:
	xc_net_free(&c.net);
	free(c.reach);
	if (c.spooldir[0])
		xc_spool_close(&c.spool);
	xc_maildir_close(&c.ob);
	return cli_close_stdout(code);
}
