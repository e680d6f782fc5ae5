/*
 * xc-verify - check cards.  This version verifies card files (xc-card(5)):
 * well-formed, signed by the identity key they carry, unexpired, and, when
 * several cards of one handle are given in order, chained.  Importing
 * contacts, safety numbers and signatures come with the keyring.
 *
 * Each good card gets one line on stdout; each bad one an error on stderr.
 * The exit status is that of the first card that failed (xc(7)).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "cli.h"

static const char usage[] =
    "usage: xc-verify [-q] CARD...\n"
    "       xc-verify -h | -V\n";

static void
help(void)
{
	printf("%s", usage);
	printf("\nCheck xc cards: shape, signature, validity period and, for "
	    "several cards\nof one handle given in order, their chain.\n"
	    "\n"
	    "  -q, --quiet    print nothing for good cards\n"
	    "  -h, --help     print this help and exit\n"
	    "  -V, --version  print the version and exit\n"
	    "\nA CARD of - is read from standard input.\n"
	    "Exit status: 0 all good, 1 bad signature, expired or broken "
	    "chain,\n2 usage, 3 malformed card, 4 system error.  See "
	    "xc-verify(1), xc-card(5).\n");
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

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}
	};
	struct seen *seen = NULL, *s;
	int quiet = 0, c, code = 0, i;
	time_t now = time(NULL);

	prog = "xc-verify";
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":qhV", longopts, NULL)) != -1)
		switch (c) {
		case 'q': quiet = 1; break;
		case 'h': help(); return cli_close_stdout(0);
		case 'V':
			printf("xc-verify %s\n", XC_VERSION);
			return cli_close_stdout(0);
		default:
			cli_bad_option(usage, argv, c);
		}
	if (optind == argc)
		cli_usage_error(usage, "no cards to verify");
	if (sodium_init() < 0) {
		cli_error("cannot initialise libsodium");
		return EX_SYSTEM;
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
