/*
 * xc-keygen - make keys.  `xc-keygen @HANDLE` makes an identity in the
 * keyring (an Ed25519 identity key, a first X25519 encryption key as an age
 * identity file, and its signed card, printed on stdout); --rotate makes the
 * next encryption key and card (--older-than: only when the card is that
 * old, for cron); --reach lists on the card the servers where its owner
 * fetches (xc-send posts there too); --card prints a card again, --chain
 * all of them, --list lists identities, --publish posts the chain to the
 * cards group of news servers (xc-nntp(5)).  --age makes a bare age X25519
 * identity in
 * age-keygen's format, and -y prints the recipients of an identity file.
 *
 * A key file is created with O_EXCL and mode 0600 and is never overwritten;
 * the secret is formatted in sodium_malloc'd memory and wiped after use.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"

static const char usage[] =
    "usage: xc-keygen [--home DIR] [-p | --passphrase-file FILE]"
    " [--tag-bits K]\n"
    "                 [--reach URL [--pin PINS] [--starttls]]... @HANDLE\n"
    "       xc-keygen [--home DIR] [--passphrase-file FILE] [--grace DAYS]"
    " [--tag-bits K]\n"
    "                 [--reach URL [--pin PINS] [--starttls] | --reach none]..."
    "\n"
    "                 [--older-than DAYS] --rotate [@HANDLE]\n"
    "       xc-keygen [--home DIR] --card [@HANDLE]\n"
    "       xc-keygen [--home DIR] --chain [@HANDLE]\n"
    "       xc-keygen [--home DIR] --list\n"
    "       xc-keygen [--home DIR] --default [@HANDLE]\n"
    "       xc-keygen [--home DIR] --minisign [@HANDLE]\n"
    "       xc-keygen [--home DIR] [--server URL [--pin P] [--starttls]]..."
    "\n                 [--proxy URL] [--quorum N|all] [--timeout S]"
    " --publish [@HANDLE]\n"
    "       xc-keygen --age [-o FILE]\n"
    "       xc-keygen -y [FILE]\n"
    "       xc-keygen -h | -V\n";

static void
help(void)
{
	printf("%s", usage);
	printf("\nMake an identity for a handle in the keyring and print its "
	    "card,\nor make a bare age X25519 identity.\n"
	    "\n"
	    "  @HANDLE            new identity: identity key, encryption key "
	    "and card\n"
	    "                     (card on stdout, fingerprint on stderr)\n"
	    "  -p, --passphrase   protect the new identity's secret keys with a\n"
	    "                     passphrase read from the terminal\n"
	    "  --passphrase-file FILE\n"
	    "                     the passphrase is FILE's first line\n"
	    "  --tag-bits K       mailbox tag bits on the card, 0-16 (default 12;\n"
	    "                     kept by --rotate unless given)\n"
	    "  --reach URL        list on the card a server where you fetch,\n"
	    "                     nntp:// or nntps://HOST[:PORT] (at most 8;\n"
	    "                     kept by --rotate unless given; none: no list)\n"
	    "    --pin PINS       the pins of the --reach server before it\n"
	    "    --starttls       STARTTLS for the nntp:// --reach before it\n"
	    "  --rotate [@HANDLE] new encryption key and the next card, chained\n"
	    "                     and signed by the identity key (card on stdout)\n"
	    "  --grace DAYS       keep retired encryption keys this long after\n"
	    "                     the rotation, then wipe them (default 7;\n"
	    "                     remembered for later rotations)\n"
	    "  --older-than DAYS  rotate only cards at least this old; without\n"
	    "                     @HANDLE every identity (for cron)\n"
	    "  --card [@HANDLE]   print the current card of an identity\n"
	    "  --chain [@HANDLE]  print every card of an identity, first to "
	    "current\n"
	    "  --list             list the identities in the keyring (the "
	    "default one\n"
	    "                     marked \"default\")\n"
	    "  --default [@HANDLE]\n"
	    "                     make @HANDLE the identity used when none is "
	    "named\n"
	    "                     (the first one made is); without it, print "
	    "the default\n"
	    "  --publish [@HANDLE]\n"
	    "                     post the identity's chain of cards to the "
	    "cards group\n"
	    "                     of the servers (those of the config unless "
	    "--server\n"
	    "                     is given), where xc-verify --lookup finds it;"
	    " again\n"
	    "                     at least every 30 days and after --rotate\n"
	    "  --server URL       a server to publish to (nntp:// or "
	    "nntps://; repeatable)\n"
	    CLI_NET_HELP_MODE
	    "  --quorum N|all     servers that must take it (default 1)\n"
	    "  --minisign [@HANDLE]\n"
	    "                     the identity key as a minisign public key\n"
	    "                     (for minisign -V on xc-seal --sign files)\n"
	    "  --home DIR         the keyring (default $XC_HOME, else\n"
	    "                     $XDG_DATA_HOME/xc or ~/.local/share/xc)\n"
	    "  --age              new identity in age's identity-file format\n"
	    "  -o, --output FILE  write the identity to FILE (mode 0600, never\n"
	    "                     overwritten); the recipient goes to stderr\n"
	    "  -y                 print the recipient of each identity in FILE\n"
	    "                     (or standard input)\n"
	    "  -h, --help         print this help and exit\n"
	    "  -V, --version      print the version and exit\n"
	    "\nExit status: 0 ok, 1 wrong passphrase, 2 usage, 3 bad input, "
	    "4 system\nerror (also: the handle exists).  See xc-keygen(1) and "
	    "xc(7).\n");
}

static int
write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
gen(const char *outpath)
{
	uint8_t pk[32], *sk = sodium_malloc(32);
	char rcpt[XC_AGE_PUBLIC_MAX], *text = sodium_malloc(512);
	int fd = 1, code = 0;

	if (sk == NULL || text == NULL) {
		cli_error("out of memory");
		code = EX_SYSTEM;
		goto out;
	}
	xc_x25519_keygen(pk, sk);
	xc_age_recipient_encode(rcpt, sizeof rcpt, pk);
	if (xc_age_identity_file(text, 512, sk, cli_now()) < 0) {
		cli_error("cannot encode the identity");
		code = EX_SYSTEM;
		goto out;
	}
	if (outpath && strcmp(outpath, "-") != 0) {
		fd = open(outpath, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
		if (fd < 0) {
			cli_error("cannot create '%s': %s", outpath,
			    strerror(errno));
			if (errno == EEXIST)
				cli_hint("xc-keygen never overwrites a key "
				    "file; choose another name");
			code = EX_SYSTEM;
			goto out;
		}
	}
	if (write_all(fd, text, strlen(text)) != 0 ||
	    (fd != 1 && (fsync(fd) != 0 || close(fd) != 0))) {
		cli_error("cannot write '%s': %s", fd == 1 ? "-" : outpath,
		    strerror(errno));
		if (fd != 1)
			unlink(outpath);
		code = EX_SYSTEM;
		goto out;
	}
	if (fd != 1 || !isatty(1))
		fprintf(stderr, "Public key: %s\n", rcpt);
out:
	sodium_free(sk);
	sodium_free(text);
	return code;
}

/* Prints the recipients of an identity file, in order, and only once the
 * whole file has parsed: a bad line leaves stdout empty.  Not a secret
 * read (-y is for any identity file, as age-keygen's). */
static int
pubs(const char *path)
{
	char rcpt[XC_AGE_PUBLIC_MAX];
	uint8_t pk[32];
	size_t i;
	xc_ids *ids;
	int code;

	if ((ids = xc_ids_new()) == NULL) {
		cli_error("out of memory");
		return EX_SYSTEM;
	}
	if ((code = cli_load_identities(path, 0, ids)) != 0)
		goto out;
	for (i = 0; i < xc_ids_count(ids); i++) {
		xc_ids_recipient(ids, i, pk);
		xc_age_recipient_encode(rcpt, sizeof rcpt, pk);
		printf("%s\n", rcpt);
	}
out:
	xc_ids_free(ids);
	return code;
}

/* Reports a keyring error about what (a handle or a path). */
static int
keyring_error(int rc, const char *what)
{
	if (rc == XC_EEXIST)
		cli_error("@%s exists already: one identity per handle", what);
	else if (rc == XC_ENOTFOUND)
		cli_error("no identity @%s in this keyring", what);
	else if (rc == XC_EREAD || rc == XC_EWRITE)
		cli_error("%s: %s", xc_errdetail(), strerror(errno));
	else
		cli_error("@%s: %s", what, xc_errdetail());
	return rc == XC_EEXIST || rc == XC_ENOTFOUND ? EX_SYSTEM :
	    cli_exit_code(rc);
}

/* Passphrase options: a file's first line, or the terminal. */
static const char *pwfile;
static int askpw;

static int
get_passphrase(int confirm, char **pw, size_t *len)
{
	*pw = NULL;
	*len = 0;
	if (pwfile)
		return cli_passphrase_file(pwfile, pw, len);
	if (askpw)
		return cli_passphrase_tty(confirm, pw, len);
	return 0;
}

/* -1: not given. */
static int tag_bits = -1;

/* --reach: the servers the card lists (--rotate keeps the previous
 * card's unless given; --reach none lists none). */
static xc_config reach_cf;
static xc_card_reach reach[XC_MAX_REACH];
static int reach_given, reach_none;
enum { OPT_REACH = 0x5000, OPT_REACH_PIN, OPT_REACH_STARTTLS };

/* --reach URL [--pin PINS] [--starttls], paired as xc-send's --server. */
static void
reach_option(int ch, const char *arg)
{
	xc_config *cf = &reach_cf;
	int rc;

	if (ch == OPT_REACH) {
		reach_given = 1;
		if (strcmp(arg, "none") == 0) {
			reach_none = 1;
			return;
		}
		if (cf->nserver == XC_MAX_REACH)
			cli_usage_error(usage, "--reach: at most %d servers on "
			    "a card", XC_MAX_REACH);
		if ((rc = xc_config_add_server(cf, arg)) < 0)
			cli_usage_error(usage, "--reach '%s': %s", arg,
			    rc == XC_EINVAL ? "not a server URL "
			    "(nntp://host[:port] or nntps://host[:port])" :
			    xc_errdetail());
		return;
	}
	if (cf->nserver == 0)
		cli_usage_error(usage, "%s applies to the --reach (or --server) "
		    "before it", ch == OPT_REACH_PIN ? "--pin" : "--starttls");
	if (ch == OPT_REACH_STARTTLS) {
		if (cf->starttls[cf->nserver - 1])
			cli_usage_error(usage, "--starttls given twice for '%s'",
			    cf->server[cf->nserver - 1]);
		cf->starttls[cf->nserver - 1] = 1;
	} else if ((rc = xc_config_server_pin(cf, cf->nserver - 1, arg)) < 0)
		cli_usage_error(usage, "--pin '%s': %s", arg, rc == XC_EEXIST ?
		    "a second --pin for one server (give its pins in one, "
		    "with ',')" : xc_errdetail());
}

/* After the options: the list as the card will hold it. */
static void
reach_done(void)
{
	size_t i;

	if (reach_none && reach_cf.nserver)
		cli_usage_error(usage, "--reach none lists no server; it "
		    "goes alone");
	for (i = 0; i < reach_cf.nserver; i++) {
		if (xc_config_server_check(&reach_cf, i) < 0)
			cli_usage_error(usage, "--reach '%s': %s",
			    reach_cf.server[i], reach_cf.starttls[i] ?
			    "--starttls is for nntp:// servers (nntps:// is "
			    "TLS from the first byte)" : "--pin needs TLS: an "
			    "nntps:// server, or --starttls");
		memcpy(reach[i].url, reach_cf.server[i], XC_URL_MAX);
		memcpy(reach[i].pin, reach_cf.pin[i], XC_TLS_PINS_MAX);
		reach[i].starttls = reach_cf.starttls[i];
	}
}

/* What the card says of where to reach its owner, on stderr. */
static void
reach_say(const char *h, const xc_card *c)
{
	size_t i;

	for (i = 0; i < c->nreach; i++)
		fprintf(stderr, "Card of @%s lists server %s%s%s\n", h,
		    c->reach[i].url,
		    c->reach[i].pin[0] ? " (pinned)" : "",
		    c->reach[i].starttls ? " (STARTTLS)" : "");
	if (c->nreach == 0 && reach_none)
		fprintf(stderr, "The card of @%s lists no server\n", h);
}

static int
create(const char *home, const char *arg)
{
	char h[XC_HANDLE_MAX + 1], fp[XC_FINGERPRINT_LEN + 1], *card, *pw;
	size_t len, pwlen;
	xc_card c;
	int rc, code;

	if (xc_handle_norm(h, arg, strlen(arg)) < 0) {
		cli_error("'%s' is not a handle: %s", arg, xc_errdetail());
		return EX_USAGE_;
	}
	if ((code = get_passphrase(1, &pw, &pwlen)) != 0)
		return code;
	rc = xc_identity_create(home, h, cli_now(), tag_bits, reach,
	    reach_cf.nserver, pw, pwlen, &card, &len);
	if (pw)
		cli_passphrase_free(pw);
	if (rc < 0)
		return keyring_error(rc, h);
	/* The first identity made is the default (and in a keyring made
	 * before defaults, the one identity it had). */
	{
		char d[XC_HANDLE_MAX + 1], (*hs)[XC_HANDLE_MAX + 1];
		size_t n = 0, i;
		if (cli_default_identity(home, d) != 0 &&
		    (hs = calloc(XC_MAX_IDENTITIES, sizeof *hs)) != NULL) {
			(void)xc_identity_list(home, hs, XC_MAX_IDENTITIES, &n);
			if (n == 1)
				(void)cli_set_default_identity(home, h);
			else if (n == 2)
				for (i = 0; i < n; i++)
					if (strcmp(hs[i], h) != 0)
						(void)cli_set_default_identity(
						    home, hs[i]);
			free(hs);
		}
	}
	fwrite(card, 1, len, stdout);
	xc_card_parse(&c, card, len);
	xc_fingerprint(fp, c.handle, c.ik);
	fprintf(stderr, "Fingerprint of @%s: %s\n", c.handle, fp);
	reach_say(c.handle, &c);
	free(card);
	return 0;
}

static int
rotate_one(const char *home, const char *h, int64_t grace, long older)
{
	char p[XC_PATH_MAX], *card, *pw = NULL;
	size_t len, pwlen = 0;
	int64_t now = cli_now();
	xc_card cur;
	int rc, code;

	if ((rc = xc_identity_get(home, h, &cur)) < 0)
		return keyring_error(rc, h);
	if (older >= 0 && now - cur.created < (int64_t)older * 86400)
		return 0;	/* not due */
	if (snprintf(p, sizeof p, "%s/ids/%s/identity.key", home, h) >=
	    (int)sizeof p)
		return EX_USAGE_;
	/* Ask only when the identity key is locked; a tty prompt then. */
	if (xc_secret_locked(p) == 1) {
		if (!pwfile)
			askpw = 1;
		if ((code = get_passphrase(0, &pw, &pwlen)) != 0)
			return code;
	}
	rc = xc_identity_rotate(home, h, now, grace, tag_bits,
	    reach_given ? reach : NULL, reach_cf.nserver, pw, pwlen, &card,
	    &len);
	if (pw)
		cli_passphrase_free(pw);
	if (rc < 0) {
		if (rc == XC_ENOMATCH) {
			cli_error("@%s: wrong passphrase", h);
			return EX_NO;
		}
		if (rc == XC_EINSECURE) {
			cli_error("'%s': %s", p, xc_errdetail());
			cli_hint("chmod 600 '%s', and no symlinks in the keyring",
			    p);
			return EX_SYSTEM;
		}
		return keyring_error(rc, h);
	}
	xc_identity_sweep(home, h, now);
	fwrite(card, 1, len, stdout);
	if (reach_given && xc_card_parse(&cur, card, len) == 0)
		reach_say(h, &cur);
	free(card);
	return 0;
}

/* One identity (named, or the only one), or with --older-than and no
 * handle every identity that is due. */
static int
rotate(const char *home, const char *arg, int64_t grace, long older)
{
	char h[XC_HANDLE_MAX + 1], (*hs)[XC_HANDLE_MAX + 1];
	size_t n, i;
	int code = 0, c;

	if (arg != NULL || older < 0) {
		if ((code = cli_pick_identity(home, arg, h)) != 0)
			return code;
		return rotate_one(home, h, grace, older);
	}
	if ((hs = calloc(256, sizeof *hs)) == NULL) {
		cli_error("out of memory");
		return EX_SYSTEM;
	}
	if (xc_identity_list(home, hs, 256, &n) < 0) {
		free(hs);
		return cli_report(XC_EREAD, home);
	}
	for (i = 0; i < n; i++)
		if ((c = rotate_one(home, hs[i], grace, older)) != 0 &&
		    code == 0)
			code = c;
	free(hs);
	return code;
}

/* The current card, or with chain every card of the identity. */
static int
show_card(const char *home, const char *arg, int chain)
{
	char h[XC_HANDLE_MAX + 1], *card;
	size_t len;
	int rc, code;

	if ((code = cli_pick_identity(home, arg, h)) != 0)
		return code;
	if ((rc = chain ? xc_identity_chain(home, h, &card, &len) :
	    xc_identity_card(home, h, &card, &len)) < 0)
		return keyring_error(rc, h);
	fwrite(card, 1, len, stdout);
	free(card);
	return 0;
}

static int
minisign_key(const char *home, const char *arg)
{
	char h[XC_HANDLE_MAX + 1], out[512];
	xc_card c;
	int rc, code;

	if ((code = cli_pick_identity(home, arg, h)) != 0)
		return code;
	if ((rc = xc_identity_get(home, h, &c)) < 0)
		return keyring_error(rc, h);
	if ((rc = xc_minisign_pubkey(out, sizeof out, c.ik, c.handle)) < 0) {
		cli_error("@%s: %s", h, xc_errdetail());
		return cli_exit_code(rc);
	}
	fputs(out, stdout);
	return 0;
}

/* --publish: the chain of an identity to each server's cards group
 * (xc-nntp(5), "Cards"), which holds it as long as a node keeps an
 * article (30 days) or until the card expires, if sooner. */
static int
publish(const char *home, const char *arg, xc_config *cf)
{
	char h[XC_HANDLE_MAX + 1], *chain = NULL;
	char until[32];
	xc_publish p;
	xc_net net;
	xc_post_result r;
	size_t len, i, took = 0;
	int rc, code, quorum;

	memset(&p, 0, sizeof p);
	memset(&net, 0, sizeof net);
	if ((code = cli_pick_identity(home, arg, h)) != 0)
		return code;
	if ((code = cli_net_servers(home, cf, "publish to")) != 0)
		return code;
	if ((code = cli_net_quorum(cf, &quorum)) != 0)
		return code;
	if ((rc = xc_identity_chain(home, h, &chain, &len)) < 0)
		return keyring_error(rc, h);
	if ((rc = xc_publish_init(&p, h, chain, len, cli_now())) < 0) {
		free(chain);
		if (rc == XC_EEXPIRED) {
			cli_error("@%s: the current card has expired (or "
			    "expires within minutes): nothing to publish", h);
			cli_hint("make the next card first: xc-keygen --rotate "
			    "@%s", h);
			return EX_NO;
		}
		return keyring_error(rc, h);
	}
	free(chain);
	net.now = p.now;
	net.o.purpose = XC_NET_POST;
	if ((code = cli_net_setup(cf, &net, NULL)) != 0)
		goto out;
	xc_utc(until, p.expires, 0);
	for (i = 0; i < net.nsrv; i++) {
		rc = xc_publish_put(&net, i, &p, &r);
		if (rc == XC_ENOMEM) {
			cli_error("out of memory");
			code = EX_SYSTEM;
			goto out;
		}
		if (rc < 0) {
			cli_error("server '%s': %s", cf->server[i],
			    xc_errdetail());
			cli_net_hint(&net, i);
			continue;
		}
		if (r.outcome == XC_POST_ACCEPTED ||
		    r.outcome == XC_POST_DUPLICATE) {
			took++;
			fprintf(stderr, "xc-keygen: published @%s (%zu card%s, "
			    "until %s) to %s%s\n", h, p.ncards,
			    p.ncards == 1 ? "" : "s", until, cf->server[i],
			    r.outcome == XC_POST_DUPLICATE ?
			    " (it had it already)" : "");
		} else
			cli_error("server '%s' refused it: %d %s",
			    cf->server[i], r.code, r.reason);
	}
	if (took < (size_t)quorum) {
		cli_error("@%s published to %zu of %zu server(s); %d needed",
		    h, took, net.nsrv, quorum);
		code = EX_NETWORK;
	}
out:
	xc_net_free(&net);
	xc_publish_free(&p);
	return code;
}

/* The identities in handle order, the default one marked. */
static int
list(const char *home)
{
	char fp[XC_FINGERPRINT_LEN + 1], when[32], d[XC_HANDLE_MAX + 1];
	char (*hs)[XC_HANDLE_MAX + 1];
	size_t n = 0, i;
	int code = 0, dflt;

	if ((hs = calloc(XC_MAX_IDENTITIES, sizeof *hs)) == NULL) {
		cli_error("out of memory");
		return EX_SYSTEM;
	}
	if (xc_identity_list(home, hs, XC_MAX_IDENTITIES, &n) < 0) {
		free(hs);
		return cli_report(XC_EREAD, home);
	}
	dflt = cli_default_identity(home, d) == 0;
	for (i = 0; i < n; i++) {
		xc_card c;
		int rc;

		if ((rc = xc_identity_get(home, hs[i], &c)) < 0) {
			code = keyring_error(rc, hs[i]);
			continue;
		}
		xc_fingerprint(fp, c.handle, c.ik);
		xc_utc(when, c.expires, 0);
		printf("@%s\t%s\tseq %llu\texpires %s%s\n", c.handle, fp,
		    (unsigned long long)c.seq, when,
		    (dflt && strcmp(d, hs[i]) == 0) || (!dflt && n == 1) ?
		    "\tdefault" : "");
	}
	free(hs);
	return code;
}

/* --default: print it, or make @HANDLE the default identity. */
static int
set_default(const char *home, const char *arg)
{
	char h[XC_HANDLE_MAX + 1], old[XC_HANDLE_MAX + 1];
	xc_card c;
	int rc, code;

	if (arg == NULL) {
		if ((code = cli_pick_identity(home, NULL, h)) != 0)
			return code;
		printf("@%s\n", h);
		return 0;
	}
	if (xc_handle_norm(h, arg, strlen(arg)) < 0) {
		cli_error("'%s' is not a handle: %s", arg, xc_errdetail());
		return EX_USAGE_;
	}
	if ((rc = xc_identity_get(home, h, &c)) < 0)
		return keyring_error(rc, h);
	if (cli_default_identity(home, old) == 0 && strcmp(old, h) == 0) {
		fprintf(stderr, "xc-keygen: @%s is the default identity "
		    "already\n", h);
		return 0;
	}
	if ((code = cli_set_default_identity(home, h)) != 0)
		return code;
	fprintf(stderr, "xc-keygen: @%s is the default identity\n", h);
	return 0;
}

int
main(int argc, char **argv)
{
	enum { OPT_AGE = 256, OPT_HOME, OPT_CARD, OPT_LIST, OPT_ROTATE,
	    OPT_GRACE, OPT_PWFILE, OPT_MINISIGN, OPT_TAGBITS, OPT_OLDER,
	    OPT_CHAIN, OPT_DEFAULT, OPT_PUBLISH };
	static const struct option longopts[] = {
		{"age", no_argument, NULL, OPT_AGE},
		{"home", required_argument, NULL, OPT_HOME},
		{"card", no_argument, NULL, OPT_CARD},
		{"list", no_argument, NULL, OPT_LIST},
		{"rotate", no_argument, NULL, OPT_ROTATE},
		{"minisign", no_argument, NULL, OPT_MINISIGN},
		{"grace", required_argument, NULL, OPT_GRACE},
		{"tag-bits", required_argument, NULL, OPT_TAGBITS},
		{"reach", required_argument, NULL, OPT_REACH},
		{"older-than", required_argument, NULL, OPT_OLDER},
		{"chain", no_argument, NULL, OPT_CHAIN},
		{"default", no_argument, NULL, OPT_DEFAULT},
		{"publish", no_argument, NULL, OPT_PUBLISH},
		{"quorum", required_argument, NULL, CLI_OPT_QUORUM},
		CLI_NET_LONGOPTS,
		{"passphrase", no_argument, NULL, 'p'},
		{"passphrase-file", required_argument, NULL, OPT_PWFILE},
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}
	};
	const char *outpath = NULL, *homeopt = NULL;
	char home[XC_PATH_MAX];
	int age = 0, y = 0, card = 0, lst = 0, rot = 0, ms = 0, chain = 0, c;
	int dflt = 0, pub = 0, last_reach = 0;
	long grace = -1, older = -1;
	static xc_config cf;	/* large */

	prog = "xc-keygen";
	cli_harden();
	cli_start();
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:yphV", longopts, NULL)) != -1)
		switch (c) {
		case OPT_AGE: age = 1; break;
		case OPT_HOME: homeopt = optarg; break;
		case OPT_CARD: card = 1; break;
		case OPT_LIST: lst = 1; break;
		case OPT_ROTATE: rot = 1; break;
		case OPT_MINISIGN: ms = 1; break;
		case OPT_CHAIN: chain = 1; break;
		case OPT_DEFAULT: dflt = 1; break;
		case OPT_PUBLISH: pub = 1; break;
		case OPT_TAGBITS: case OPT_OLDER: {
			char *e;
			long v = strtol(optarg, &e, 10);
			if (c == OPT_TAGBITS && (*optarg == '\0' || *e != '\0' ||
			    v < 0 || v > 16))
				cli_usage_error(usage, "--tag-bits takes a "
				    "number from 0 to 16");
			if (c == OPT_OLDER && (*optarg == '\0' || *e != '\0' ||
			    v < 0 || v > 3650))
				cli_usage_error(usage, "--older-than takes a "
				    "number of days from 0 to 3650");
			if (c == OPT_TAGBITS)
				tag_bits = (int)v;
			else
				older = v;
			break;
		}
		case OPT_GRACE: {
			char *e;
			grace = strtol(optarg, &e, 10);
			if (*optarg == '\0' || *e != '\0' || grace < 0 ||
			    grace > 3650)
				cli_usage_error(usage, "--grace takes a number "
				    "of days from 0 to 3650");
			break;
		}
		case 'p': askpw = 1; break;
		case OPT_PWFILE:
			if (pwfile)
				cli_usage_error(usage,
				    "--passphrase-file given twice");
			pwfile = optarg;
			break;
		case 'o':
			if (outpath)
				cli_usage_error(usage, "-o given twice");
			outpath = optarg;
			break;
		case 'y': y = 1; break;
		case OPT_REACH:
			last_reach = 1;
			reach_option(c, optarg);
			break;
		case 'h': help(); return cli_close_stdout(0);
		case 'V':
			printf("xc-keygen %s\n", XC_VERSION);
			return cli_close_stdout(0);
		default:
			/* --pin and --starttls belong to the --reach or
			 * --server before them. */
			if (c == CLI_OPT_SERVER)
				last_reach = 0;
			if ((c == CLI_OPT_PIN || c == CLI_OPT_STARTTLS) &&
			    (last_reach || cf.nserver == 0))
				reach_option(c == CLI_OPT_PIN ? OPT_REACH_PIN :
				    OPT_REACH_STARTTLS, optarg);
			else if (!cli_net_option(c, optarg, &cf, usage))
				cli_bad_option(usage, argv, c);
		}
	if (sodium_init() < 0) {
		cli_error("cannot initialise libsodium");
		return EX_SYSTEM;
	}
	if (age + y + card + lst + rot + ms + chain + dflt + pub > 1)
		cli_usage_error(usage, "--age, -y, --rotate, --card, --chain, "
		    "--list, --default, --minisign and --publish conflict");
	if (!pub && (cf.nserver || cf.quorum || cf.timeout || cf.proxy[0]))
		cli_usage_error(usage, "--server, --quorum, --timeout and "
		    "--proxy go with --publish");
	if (askpw && pwfile)
		cli_usage_error(usage, "-p and --passphrase-file conflict");
	if ((askpw || pwfile) && (age || y || card || lst || ms || chain ||
	    dflt || pub))
		cli_usage_error(usage, "a passphrase goes with @HANDLE or "
		    "--rotate");
	if (askpw && rot)
		cli_usage_error(usage, "--rotate asks for a passphrase when "
		    "the key needs one; -p is for new identities");
	if (grace >= 0 && !rot)
		cli_usage_error(usage, "--grace goes with --rotate");
	if (older >= 0 && !rot)
		cli_usage_error(usage, "--older-than goes with --rotate");
	if (tag_bits >= 0 && (age || y || card || lst || ms || chain || dflt ||
	    pub))
		cli_usage_error(usage, "--tag-bits goes with @HANDLE or "
		    "--rotate");
	if (reach_given && (age || y || card || lst || ms || chain || dflt))
		cli_usage_error(usage, "--reach goes with @HANDLE or --rotate");
	reach_done();
	if (homeopt && (age || y))
		cli_usage_error(usage, "--home does not apply to --age or -y");
	if (age) {
		if (optind != argc)
			cli_usage_error(usage, "--age takes no operands");
		return cli_close_stdout(gen(outpath));
	}
	if (y) {
		if (outpath)
			cli_usage_error(usage, "-y writes to standard output; "
			    "-o does not apply");
		if (argc - optind > 1)
			cli_usage_error(usage, "too many operands");
		return cli_close_stdout(pubs(optind < argc ? argv[optind] :
		    "-"));
	}
	if (outpath)
		cli_usage_error(usage, "-o goes with --age only");
	if (argc - optind > 1 || (lst && optind < argc))
		cli_usage_error(usage, "too many operands");
	if (!card && !lst && !rot && !ms && !chain && !dflt && !pub &&
	    optind == argc)
		cli_usage_error(usage, "nothing to do: give @HANDLE, --card, "
		    "--list, --age or -y");
	if (xc_home(home, homeopt) < 0) {
		cli_error("%s", xc_errdetail());
		return EX_SYSTEM;
	}
	if (lst)
		return cli_close_stdout(list(home));
	if (dflt)
		return cli_close_stdout(set_default(home, optind < argc ?
		    argv[optind] : NULL));
	if (ms)
		return cli_close_stdout(minisign_key(home, optind < argc ?
		    argv[optind] : NULL));
	if (rot)
		return cli_close_stdout(rotate(home, optind < argc ?
		    argv[optind] : NULL, grace < 0 ? -1 : grace * 86400,
		    older));
	if (pub)
		return cli_close_stdout(publish(home, optind < argc ?
		    argv[optind] : NULL, &cf));
	if (chain)
		return cli_close_stdout(show_card(home, optind < argc ?
		    argv[optind] : NULL, 1));
	if (card)
		return cli_close_stdout(show_card(home, optind < argc ?
		    argv[optind] : NULL, 0));
	return cli_close_stdout(create(home, argv[optind]));
}
