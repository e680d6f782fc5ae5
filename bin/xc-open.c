/*
 * xc-open - decrypt an xc envelope.  This version implements raw mode: plain
 * age v1 files, armored or binary, opened with age identity files or a
 * passphrase.  Letters (signed, padded) come with the letters issue.
 *
 * Streaming rule (as age): each 64 KiB chunk is written once its tag
 * verifies, so what reaches stdout before a failure is authenticated.  With
 * -o the output appears only when the whole file has verified.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"

static const char usage[] =
    "usage: xc-open --raw [-i IDENTITY_FILE]... [-p | --passphrase-file FILE]"
    " [-o OUT] [INPUT]\n";

static void
help(void)
{
	printf("%s", usage);
	printf("\nDecrypt an age v1 file (raw mode) to standard output or OUT.\n"
	    "\n"
	    "  --raw                   plain age v1 input, no xc letter\n"
	    "  -i, --identity FILE     age identity file (repeatable)\n"
	    "  -p, --passphrase        read a passphrase from the terminal\n"
	    "      --passphrase-file FILE\n"
	    "                          read the passphrase from FILE's first line\n"
	    "  -o, --output OUT        write to OUT, created only on success\n"
	    "  -h, --help              print this help and exit\n"
	    "  -V, --version           print the version and exit\n"
	    "\nExit status: 0 ok, 1 no identity matched, 2 usage, 3 bad input,\n"
	    "4 system error.  See xc-open(1) and xc(7).\n");
}

/* Operand lists live as long as the process; file scope keeps them
 * reachable on every exit path (usage errors exit from cli.c). */
static const char **idfiles;

int
main(int argc, char **argv)
{
	enum { OPT_RAW = 256, OPT_PWFILE };
	static const struct option longopts[] = {
		{"raw", no_argument, NULL, OPT_RAW},
		{"identity", required_argument, NULL, 'i'},
		{"passphrase", no_argument, NULL, 'p'},
		{"passphrase-file", required_argument, NULL, OPT_PWFILE},
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}
	};
	const char *pwfile = NULL, *outpath = NULL,
	    *inpath = NULL;
	size_t nid = 0, i;
	int raw = 0, askpw = 0, c, code = 0, infd = 0, rc;
	struct cli_out out = { 1, NULL, NULL, NULL };
	xc_ids *ids = NULL;
	xc_rd rd;
	xc_wr wr;

	prog = "xc-open";
	cli_harden();
	if ((idfiles = calloc((size_t)argc, sizeof *idfiles)) == NULL) {
		cli_error("out of memory");
		return EX_SYSTEM;
	}
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:po:hV", longopts, NULL)) != -1)
		switch (c) {
		case OPT_RAW: raw = 1; break;
		case 'i': idfiles[nid++] = optarg; break;
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
		case 'h': help(); return cli_close_stdout(0);
		case 'V':
			printf("xc-open %s\n", XC_VERSION);
			return cli_close_stdout(0);
		default:
			cli_bad_option(usage, argv, c);
		}
	if (argc - optind > 1)
		cli_usage_error(usage, "too many operands");
	if (argc - optind == 1)
		inpath = argv[optind];
	if (!raw) {
		cli_error("only raw mode exists so far: give --raw");
		cli_hint("letters arrive with the letters issue; see xc-open(1)");
		return EX_USAGE_;
	}
	if (askpw && pwfile)
		cli_usage_error(usage, "-p and --passphrase-file conflict");
	if (nid == 0 && !askpw && !pwfile)
		cli_usage_error(usage, "no identity: give -i, -p or "
		    "--passphrase-file");
	if (sodium_init() < 0) {
		cli_error("cannot initialise libsodium");
		return EX_SYSTEM;
	}
	if ((ids = xc_ids_new()) == NULL) {
		cli_error("out of memory");
		return EX_SYSTEM;
	}
	for (i = 0; i < nid; i++)
		if ((code = cli_load_identities(idfiles[i], 1, ids)) != 0)
			goto out;
	if (askpw || pwfile) {
		char *pw;
		size_t pwlen;
		code = pwfile ? cli_passphrase_file(pwfile, &pw, &pwlen) :
		    cli_passphrase_tty(0, &pw, &pwlen);
		if (code)
			goto out;
		rc = xc_ids_add_passphrase(ids, pw, pwlen);
		cli_passphrase_free(pw);
		if (rc < 0) {
			code = cli_report(rc, NULL);
			goto out;
		}
	}
	if ((code = cli_open_in(inpath, &infd)) != 0)
		goto out;
	if ((code = cli_out_open(&out, outpath, inpath)) != 0)
		goto out;
	rd.read = xc_fd_read;
	rd.ctx = &infd;
	wr.write = xc_fd_write;
	wr.ctx = &out.fd;
	rc = xc_age_decrypt(rd, wr, ids);
	if (rc < 0) {
		code = cli_report(rc, rc == XC_EWRITE ?
		    (outpath ? outpath : "-") : (inpath ? inpath : "-"));
		cli_out_abort(&out);
		goto out;
	}
	code = cli_out_commit(&out);
out:
	xc_ids_free(ids);
	free(idfiles);
	if (infd > 0)
		close(infd);
	return cli_close_stdout(code);
}
