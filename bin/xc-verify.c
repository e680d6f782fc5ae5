/*
 * xc-verify - check cards and keep contacts.  Without a mode it verifies
 * card files (xc-card(5)): well-formed, signed by the identity key they
 * carry, unexpired, and, when several cards of one handle are given in
 * order, chained.  --import pins contacts (trust on first use; rotations
 * only when chained and signed by the pinned key; another key is refused
 * loudly until --accept), --fingerprint prints the safety number to compare
 * aloud, --mark-verified records that it was compared, --contacts lists.
 *
 * Each good card gets one line on stdout; each bad one an error on stderr.
 * The exit status is that of the first card that failed (xc(7)).
 */
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"

static const char usage[] =
    "usage: xc-verify [-q] CARD...\n"
    "       xc-verify [--home DIR] [-q] --import CARD...\n"
    "       xc-verify [--home DIR] [-u @ME] --fingerprint @HANDLE\n"
    "       xc-verify [--home DIR] --mark-verified @HANDLE\n"
    "       xc-verify [--home DIR] --accept @HANDLE\n"
    "       xc-verify [--home DIR] --contacts\n"
    "       xc-verify [--home DIR] [-q] -m FILE -x SIG [-r @HANDLE]\n"
    "       xc-verify -h | -V\n";

static void
help(void)
{
	printf("%s", usage);
	printf("\nCheck xc cards: shape, signature, validity period and, for "
	    "several cards\nof one handle given in order, their chain; keep "
	    "contacts.\n"
	    "\n"
	    "  --import           add or update contacts from CARD files\n"
	    "  --fingerprint @H   the safety number of my identity and @H\n"
	    "  --mark-verified @H record that the safety number was compared\n"
	    "  --accept @H        accept @H's changed identity key\n"
	    "  --contacts         list contacts and their trust states\n"
	    "  -m FILE -x SIG     check a minisign signature (xc-seal --sign)\n"
	    "  -r @HANDLE         ... made by this contact or own identity\n"
	    "                     (default: whoever's key id it names)\n"
	    "  -u, --as @ME       my identity, when there are several\n"
	    "  --home DIR         the keyring (default $XC_HOME)\n"
	    "  -q, --quiet        print nothing for good cards\n"
	    "  -h, --help         print this help and exit\n"
	    "  -V, --version      print the version and exit\n"
	    "\nA CARD of - is read from standard input.\n"
	    "Exit status: 0 all good, 1 bad signature, expired, broken chain "
	    "or a\nchanged key, 2 usage, 3 malformed card, 4 system error.  "
	    "See xc-verify(1),\nxc-card(5).\n");
}

/* The last good card of each handle seen so far, to check chains. */
struct seen {
	xc_card card;
	struct seen *next;
};

static struct seen *
find(struct seen *s, const char *handle)
{
	for (; s != NULL; s = s->next)
		if (strcmp(s->card.handle, handle) == 0)
			return s;
	return NULL;
}

static int
verify(const char *path, struct seen **seen, int quiet, time_t now)
{
	char *buf, fp[XC_FINGERPRINT_LEN + 1];
	size_t len;
	xc_card c;
	struct seen *s;
	int code, rc;

	if ((code = cli_slurp(path, XC_MAX_CARD, 0, &buf, &len)) != 0)
		return code;
	rc = xc_card_parse(&c, buf, len);
	cli_slurp_free(buf, len);
	if (rc == 0)
		rc = xc_card_check_time(&c, (int64_t)now);
	s = rc == 0 ? find(*seen, c.handle) : NULL;
	if (rc == 0 && s != NULL)
		rc = xc_card_check_chain(&s->card, &c);
	if (rc < 0) {
		cli_error("'%s': %s: %s", path, xc_strerror(rc),
		    xc_errdetail());
		return cli_exit_code(rc);
	}
	if (s == NULL) {
		if ((s = calloc(1, sizeof *s)) == NULL) {
			cli_error("out of memory");
			return EX_SYSTEM;
		}
		s->next = *seen;
		*seen = s;
	}
	s->card = c;
	if (!quiet) {
		xc_fingerprint(fp, c.handle, c.ik);
		printf("%s: @%s seq %llu fingerprint %s\n", path, c.handle,
		    (unsigned long long)c.seq, fp);
	}
	return 0;
}

static int
import(const char *home, const char *path, int quiet)
{
	char *buf, fp[XC_FINGERPRINT_LEN + 1], np[XC_FINGERPRINT_LEN + 1];
	size_t len;
	xc_contact ct;
	int code, rc, outcome;

	if ((code = cli_slurp(path, XC_MAX_CARD, 0, &buf, &len)) != 0)
		return code;
	rc = xc_contact_import(home, buf, len, cli_now(), &outcome,
	    &ct);
	cli_slurp_free(buf, len);
	if (rc == XC_EKEYCHANGE) {
		xc_fingerprint(fp, ct.card.handle, ct.card.ik);
		xc_fingerprint(np, ct.pending.handle, ct.pending.ik);
		cli_error("'%s': THE IDENTITY KEY OF @%s HAS CHANGED", path,
		    ct.card.handle);
		cli_error("pinned:  %s", fp);
		cli_error("offered: %s", np);
		cli_hint("someone may be impersonating @%s, or they made a new "
		    "identity;", ct.card.handle);
		cli_hint("compare the offered fingerprint with them, then: "
		    "xc-verify --accept @%s", ct.card.handle);
		return EX_NO;
	}
	if (rc < 0) {
		cli_error("'%s': %s: %s", path, xc_strerror(rc),
		    xc_errdetail());
		return rc == XC_EREAD || rc == XC_EWRITE ? EX_SYSTEM :
		    cli_exit_code(rc);
	}
	xc_fingerprint(fp, ct.card.handle, ct.card.ik);
	if (!quiet && outcome == XC_IMPORT_NEW)
		printf("@%s: new contact (%s), fingerprint %s\n",
		    ct.card.handle, xc_trust_name(ct.state), fp);
	else if (!quiet && outcome == XC_IMPORT_SAME)
		printf("@%s: unchanged (%s)\n", ct.card.handle,
		    xc_trust_name(ct.state));
	else if (!quiet)
		printf("@%s: rotated to card %llu (%s)\n", ct.card.handle,
		    (unsigned long long)ct.card.seq, xc_trust_name(ct.state));
	return 0;
}

static int
contact_error(int rc, const char *h)
{
	if (rc == XC_ENOTFOUND)
		cli_error("@%s: %s", h, xc_errdetail());
	else if (rc == XC_EKEYCHANGE) {
		cli_error("@%s: %s", h, xc_errdetail());
		cli_hint("xc-verify --accept @%s, after comparing fingerprints",
		    h);
	} else
		cli_error("@%s: %s", h, xc_errdetail());
	return rc == XC_ENOTFOUND || rc == XC_EREAD || rc == XC_EWRITE ?
	    EX_SYSTEM : cli_exit_code(rc);
}

static int
handle_arg(const char *arg, char h[XC_HANDLE_MAX + 1])
{
	if (xc_handle_norm(h, arg, strlen(arg)) == 0)
		return 0;
	cli_error("'%s' is not a handle: %s", arg, xc_errdetail());
	return EX_USAGE_;
}

static int
fingerprint(const char *home, const char *me, const char *arg)
{
	char h[XC_HANDLE_MAX + 1], m[XC_HANDLE_MAX + 1];
	char sn[XC_SAFETY_LEN + 1];
	xc_contact ct;
	xc_card mine;
	int rc, code;

	if ((code = handle_arg(arg, h)) != 0 ||
	    (code = cli_pick_identity(home, me, m)) != 0)
		return code;
	if ((rc = xc_contact_get(home, h, &ct)) < 0)
		return contact_error(rc, h);
	if (ct.state == XC_TRUST_CHANGED) {
		cli_error("@%s: the identity key changed: no safety number "
		    "until it is accepted", h);
		cli_hint("xc-verify --accept @%s, after comparing fingerprints",
		    h);
		return EX_NO;
	}
	if ((rc = xc_identity_get(home, m, &mine)) < 0) {
		cli_error("@%s: own card: %s", m, xc_errdetail());
		return cli_exit_code(rc);
	}
	xc_safety_number(sn, &mine, &ct.card);
	printf("%s\n", sn);
	if (isatty(2))
		fprintf(stderr, "Compare this with @%s (in person or on a call) "
		    "and then run\n  xc-verify --mark-verified @%s\n", h, h);
	return 0;
}

/* The identity key for a signature: the contact (or own identity) named,
 * else the contact or own identity whose key id the signature names. */
static int
signer(const char *home, const char *arg, const uint8_t id[8],
    xc_card *c, int *state)
{
	static const char *const kinds[] = { "contacts", "ids" };
	char want[XC_HANDLE_MAX + 1], dir[XC_PATH_MAX];
	uint8_t kid[8];
	struct dirent *e;
	size_t k;
	xc_contact ct;
	DIR *d;
	int code;

	if (arg != NULL && (code = handle_arg(arg, want)) != 0)
		return code;
	for (k = 0; k < 2; k++) {
		if (snprintf(dir, sizeof dir, "%s/%s", home, kinds[k]) >=
		    (int)sizeof dir || (d = opendir(dir)) == NULL)
			continue;
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.' ||
			    (arg != NULL && strcmp(want, e->d_name) != 0))
				continue;
			if (k == 0) {
				if (xc_contact_get(home, e->d_name, &ct) != 0)
					continue;
				*c = ct.card;
				*state = ct.state;
			} else {
				if (xc_identity_get(home, e->d_name, c) != 0)
					continue;
				*state = 0;	/* my own identity */
			}
			xc_minisign_keyid(kid, c->ik);
			if (arg != NULL || memcmp(kid, id, 8) == 0) {
				closedir(d);
				return 0;
			}
		}
		closedir(d);
	}
	if (arg != NULL)
		cli_error("no contact or identity @%s", want);
	else
		cli_error("the signer's key is not in this keyring");
	cli_hint("import the signer's card: xc-verify --import CARD");
	return EX_NO;
}

static int
check_signature(const char *home, const char *file, const char *sigpath,
    const char *who, int quiet)
{
	char *sig, trusted[4200];
	uint8_t id[8];
	size_t len;
	xc_card c;
	int code, rc, fd, state = 0;
	xc_rd rd;

	if ((code = cli_slurp(sigpath, 65536, 0, &sig, &len)) != 0)
		return code;
	if ((rc = xc_minisign_keyid_of(id, sig, len)) < 0) {
		cli_error("'%s': %s", sigpath, xc_errdetail());
		cli_slurp_free(sig, len);
		return cli_exit_code(rc);
	}
	if ((code = signer(home, who, id, &c, &state)) != 0 ||
	    (code = cli_open_in(file, &fd)) != 0) {
		cli_slurp_free(sig, len);
		return code;
	}
	rd.read = xc_fd_read;
	rd.ctx = &fd;
	rc = xc_minisign_verify(sig, len, c.ik, rd, trusted, sizeof trusted);
	cli_slurp_free(sig, len);
	if (fd > 0)
		close(fd);
	if (rc < 0) {
		if (rc == XC_EREAD)
			return cli_report(rc, file);
		cli_error("'%s': %s: %s", sigpath, xc_strerror(rc),
		    xc_errdetail());
		return cli_exit_code(rc);
	}
	if (state == XC_TRUST_CHANGED) {
		cli_error("@%s: the identity key changed: accept it first",
		    c.handle);
		return EX_NO;
	}
	if (!quiet)
		printf("Signature and comment signature verified\n"
		    "Trusted comment: %s\nSigned by @%s (%s)\n", trusted,
		    c.handle, state ? xc_trust_name(state) : "own identity");
	return 0;
}

static int
contacts(const char *home)
{
	char dir[XC_PATH_MAX], fp[XC_FINGERPRINT_LEN + 1], when[32];
	struct dirent *e;
	DIR *d;

	if (snprintf(dir, sizeof dir, "%s/contacts", home) >= (int)sizeof dir
	    || (d = opendir(dir)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		xc_contact ct;

		if (e->d_name[0] == '.' ||
		    xc_contact_get(home, e->d_name, &ct) < 0)
			continue;
		xc_fingerprint(fp, ct.card.handle, ct.card.ik);
		xc_utc(when, ct.card.expires, 0);
		printf("@%s\t%s\t%s\tseq %llu\texpires %s\n", ct.card.handle,
		    xc_trust_name(ct.state), fp,
		    (unsigned long long)ct.card.seq, when);
	}
	closedir(d);
	return 0;
}

int
main(int argc, char **argv)
{
	enum { OPT_HOME = 256, OPT_IMPORT, OPT_FP, OPT_MARK, OPT_ACCEPT,
	    OPT_CONTACTS };
	static const struct option longopts[] = {
		{"home", required_argument, NULL, OPT_HOME},
		{"import", no_argument, NULL, OPT_IMPORT},
		{"fingerprint", required_argument, NULL, OPT_FP},
		{"mark-verified", required_argument, NULL, OPT_MARK},
		{"accept", required_argument, NULL, OPT_ACCEPT},
		{"contacts", no_argument, NULL, OPT_CONTACTS},
		{"as", required_argument, NULL, 'u'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}
	};
	struct seen *seen = NULL, *s;
	int quiet = 0, c, code = 0, i, mode = 0, modes = 0, rc;
	const char *homeopt = NULL, *me = NULL, *who = NULL, *mfile = NULL,
	    *xsig = NULL, *rwho = NULL;
	char home[XC_PATH_MAX], h[XC_HANDLE_MAX + 1];
	time_t now = (time_t)cli_now();

	prog = "xc-verify";
	cli_harden();
	cli_start();
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":qu:m:x:r:hV", longopts, NULL)) != -1)
		switch (c) {
		case 'q': quiet = 1; break;
		case 'u': me = optarg; break;
		case 'm': mfile = optarg; break;
		case 'x': xsig = optarg; break;
		case 'r': rwho = optarg; break;
		case OPT_HOME: homeopt = optarg; break;
		case OPT_IMPORT: case OPT_CONTACTS:
			mode = c;
			modes++;
			break;
		case OPT_FP: case OPT_MARK: case OPT_ACCEPT:
			mode = c;
			who = optarg;
			modes++;
			break;
		case 'h': help(); return cli_close_stdout(0);
		case 'V':
			printf("xc-verify %s\n", XC_VERSION);
			return cli_close_stdout(0);
		default:
			cli_bad_option(usage, argv, c);
		}
	if (mfile || xsig || rwho) {
		if (!mfile || !xsig || modes || me || optind != argc)
			cli_usage_error(usage, "-m FILE and -x SIG go together "
			    "(with -r @HANDLE, --home and -q only)");
		if (sodium_init() < 0 || xc_home(home, homeopt) < 0) {
			cli_error("%s", xc_errdetail());
			return EX_SYSTEM;
		}
		return cli_close_stdout(check_signature(home, mfile, xsig, rwho,
		    quiet));
	}
	if (modes > 1)
		cli_usage_error(usage, "give one of --import, --fingerprint, "
		    "--mark-verified, --accept and --contacts");
	if (me && mode != OPT_FP)
		cli_usage_error(usage, "-u goes with --fingerprint");
	if (homeopt && mode == 0)
		cli_usage_error(usage, "--home goes with the contact modes");
	if ((mode == 0 || mode == OPT_IMPORT) && optind == argc)
		cli_usage_error(usage, "no cards given");
	if (mode != 0 && mode != OPT_IMPORT && optind != argc)
		cli_usage_error(usage, "too many operands");
	if (sodium_init() < 0) {
		cli_error("cannot initialise libsodium");
		return EX_SYSTEM;
	}
	if (mode != 0 && xc_home(home, homeopt) < 0) {
		cli_error("%s", xc_errdetail());
		return EX_SYSTEM;
	}
	switch (mode) {
	case OPT_IMPORT:
		for (i = optind; i < argc; i++) {
			int r = import(home, argv[i], quiet);
			if (r != 0 && code == 0)
				code = r;
		}
		return cli_close_stdout(code);
	case OPT_FP:
		return cli_close_stdout(fingerprint(home, me, who));
	case OPT_CONTACTS:
		return cli_close_stdout(contacts(home));
	case OPT_MARK: case OPT_ACCEPT: {
		xc_contact ct;
		char fp[XC_FINGERPRINT_LEN + 1];
		if ((code = handle_arg(who, h)) != 0)
			return code;
		rc = mode == OPT_MARK ? xc_contact_mark(home, h,
		    XC_TRUST_VERIFIED) : xc_contact_accept(home, h, &ct);
		if (rc < 0)
			return contact_error(rc, h);
		if (mode == OPT_MARK)
			printf("@%s: verified\n", h);
		else {
			xc_fingerprint(fp, ct.card.handle, ct.card.ik);
			printf("@%s: accepted the new identity key, "
			    "fingerprint %s\n", h, fp);
		}
		return cli_close_stdout(0);
	}
	}
	for (i = optind; i < argc; i++) {
		int r = verify(argv[i], &seen, quiet, now);
		if (r != 0 && code == 0)
			code = r;
	}
	while ((s = seen) != NULL) {
		seen = s->next;
		free(s);
	}
	return cli_close_stdout(code);
}
