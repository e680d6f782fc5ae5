/*
 * xc-seal - encrypt a message into an xc envelope.  This version implements
 * raw mode (plain age v1 to X25519 recipients or a passphrase, binary or
 * armored) and --sign (a detached signature of a file in minisign's format,
 * made with an identity key).  Signed letters come with the letters issue.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"

static const char usage[] =
    "usage: xc-seal --raw [-a] [-r RECIPIENT]... [-R RECIPIENTS_FILE]..."
    " [-o OUT] [INPUT]\n"
    "       xc-seal --raw [-a] (-p | --passphrase-file FILE)"
    " [--work-factor N] [-o OUT] [INPUT]\n"
    "       xc-seal [--home DIR] [-u @ME] [--passphrase-file FILE]"
    " [-o SIG] --sign FILE\n";

static void
help(void)
{
	printf("%s", usage);
	printf("\nEncrypt INPUT (or standard input) as an age v1 file (raw mode).\n"
	    "\n"
	    "  --raw                      plain age v1 output, no xc letter\n"
	    "  -a, --armor                ASCII-armored (PEM) output\n"
	    "  -r, --recipient AGE1...    encrypt to an age X25519 recipient\n"
	    "                             (repeatable)\n"
	    "  -R, --recipients-file FILE one recipient per line (repeatable)\n"
	    "  -p, --passphrase           read a passphrase from the terminal\n"
	    "      --passphrase-file FILE read the passphrase from FILE's first "
	    "line\n"
	    "      --work-factor N        scrypt work factor log2 N, 1-22 "
	    "(default 18)\n"
	    "  -o, --output OUT           write to OUT, created only on success\n"
	    "      --sign FILE            sign FILE (minisign's format, with the\n"
	    "                             identity key); to FILE.minisig or -o\n"
	    "  -u, --as @ME               the identity that signs\n"
	    "      --home DIR             the keyring (default $XC_HOME)\n"
	    "  -h, --help                 print this help and exit\n"
	    "  -V, --version              print the version and exit\n"
	    "\nExit status: 0 ok, 1 wrong passphrase, 2 usage, 3 bad input, "
	    "4 system error.\nSee xc-seal(1) and xc(7).\n");
}

/* xc-seal --sign: a minisign signature of path by an own identity.  The
 * trusted comment names the file and the handle; minisign -V shows it. */
static int
sign(const char *homeopt, const char *me, const char *path,
    const char *pwfile, const char *outpath)
{
	char home[XC_PATH_MAX], h[XC_HANDLE_MAX + 1], trusted[600];
	char untrusted[80], *pw = NULL, *sig = NULL, *bcopy, *sigpath;
	uint8_t *seed = NULL;
	size_t pwlen = 0;
	int fd, code, rc;
	struct cli_out out;
	xc_rd rd;

	if (xc_home(home, homeopt) < 0) {
		cli_error("%s", xc_errdetail());
		return EX_SYSTEM;
	}
	if ((code = cli_pick_identity(home, me, h)) != 0)
		return code;
	if (xc_identity_locked(home, h) == 1) {
		code = pwfile ? cli_passphrase_file(pwfile, &pw, &pwlen) :
		    cli_passphrase_tty(0, &pw, &pwlen);
		if (code)
			return code;
	}
	rc = xc_identity_seed(home, h, pw, pwlen, &seed);
	if (pw)
		cli_passphrase_free(pw);
	if (rc < 0) {
		cli_error("@%s: %s", h, xc_errdetail());
		return rc == XC_ENOTFOUND ? EX_SYSTEM : cli_exit_code(rc);
	}
	if ((code = cli_open_in(path, &fd)) != 0)
		goto out;
	bcopy = strdup(path);
	snprintf(trusted, sizeof trusted, "timestamp:%lld\tfile:%s\thashed\t"
	    "xc:@%s", (long long)time(NULL), bcopy ? basename(bcopy) : "-", h);
	free(bcopy);
	snprintf(untrusted, sizeof untrusted, "signature from xc identity @%s",
	    h);
	rd.read = xc_fd_read;
	rd.ctx = &fd;
	rc = xc_minisign_sign(&sig, seed, rd, trusted, untrusted);
	if (fd > 0)
		close(fd);
	if (rc < 0) {
		code = cli_report(rc, path);
		goto out;
	}
	/* minisign's default name; written whole or not at all. */
	if (outpath == NULL) {
		size_t n = strlen(path) + sizeof ".minisig";
		if ((sigpath = malloc(n)) == NULL) {
			code = EX_SYSTEM;
			goto out;
		}
		snprintf(sigpath, n, "%s.minisig", path);
	} else
		sigpath = strdup(outpath);
	if (sigpath == NULL || (code = cli_out_open(&out, sigpath, path)) != 0)
		goto done;
	if (xc_fd_write(&out.fd, (const uint8_t *)sig, strlen(sig)) < 0) {
		cli_error("cannot write '%s': %s", sigpath, strerror(errno));
		cli_out_abort(&out);
		code = EX_SYSTEM;
		goto done;
	}
	code = cli_out_commit(&out);
done:
	free(sigpath);
out:
	free(sig);
	sodium_free(seed);
	return code;
}

/* Operand lists live as long as the process; file scope keeps them
 * reachable on every exit path (usage errors exit from cli.c). */
static const char **rs, **rfiles;

int
main(int argc, char **argv)
{
	enum { OPT_RAW = 256, OPT_PWFILE, OPT_WF, OPT_SIGN, OPT_HOME };
	static const struct option longopts[] = {
		{"raw", no_argument, NULL, OPT_RAW},
		{"armor", no_argument, NULL, 'a'},
		{"recipient", required_argument, NULL, 'r'},
		{"recipients-file", required_argument, NULL, 'R'},
		{"passphrase", no_argument, NULL, 'p'},
		{"passphrase-file", required_argument, NULL, OPT_PWFILE},
		{"work-factor", required_argument, NULL, OPT_WF},
		{"sign", required_argument, NULL, OPT_SIGN},
		{"as", required_argument, NULL, 'u'},
		{"home", required_argument, NULL, OPT_HOME},
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}
	};
	const char *pwfile = NULL, *signfile = NULL, *me = NULL,
	    *homeopt = NULL,
	    *outpath = NULL, *inpath = NULL;
	size_t nr = 0, nrf = 0, i;
	int raw = 0, armor = 0, askpw = 0, logn = 0, c, code = 0, infd = 0,
	    rc;
	struct cli_out out = { 1, NULL, NULL, NULL };
	xc_rcpts *r = NULL;
	xc_rd rd;
	xc_wr wr;

	prog = "xc-seal";
	cli_harden();
	rs = calloc((size_t)argc, sizeof *rs);
	rfiles = calloc((size_t)argc, sizeof *rfiles);
	if (rs == NULL || rfiles == NULL) {
		cli_error("out of memory");
		return EX_SYSTEM;
	}
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":ar:R:po:u:hV", longopts, NULL))
	    != -1)
		switch (c) {
		case OPT_RAW: raw = 1; break;
		case 'a': armor = 1; break;
		case OPT_SIGN: signfile = optarg; break;
		case 'u': me = optarg; break;
		case OPT_HOME: homeopt = optarg; break;
		case 'r': rs[nr++] = optarg; break;
		case 'R': rfiles[nrf++] = optarg; break;
		case 'p': askpw = 1; break;
		case OPT_PWFILE:
			if (pwfile)
				cli_usage_error(usage,
				    "--passphrase-file given twice");
			pwfile = optarg;
			break;
		case OPT_WF: {
			char *e;
			long v = strtol(optarg, &e, 10);
			if (*optarg == '\0' || *e != '\0' || v < 1 ||
			    v > XC_MAX_SCRYPT_LOGN)
				cli_usage_error(usage, "--work-factor must be "
				    "a number from 1 to %d",
				    XC_MAX_SCRYPT_LOGN);
			logn = (int)v;
			break;
		}
		case 'o':
			if (outpath)
				cli_usage_error(usage, "-o given twice");
			outpath = optarg;
			break;
		case 'h': help(); return cli_close_stdout(0);
		case 'V':
			printf("xc-seal %s\n", XC_VERSION);
			return cli_close_stdout(0);
		default:
			cli_bad_option(usage, argv, c);
		}
	if (argc - optind > 1)
		cli_usage_error(usage, "too many operands");
	if (argc - optind == 1)
		inpath = argv[optind];
	if (signfile) {
		if (raw || armor || nr || nrf || askpw || logn ||
		    argc != optind)
			cli_usage_error(usage, "--sign takes FILE and only -u, "
			    "--home, --passphrase-file and -o");
		if (strcmp(signfile, "-") == 0 && outpath == NULL)
			cli_usage_error(usage, "--sign - (standard input) needs "
			    "-o SIG");
		if (sodium_init() < 0) {
			cli_error("cannot initialise libsodium");
			return EX_SYSTEM;
		}
		return cli_close_stdout(sign(homeopt, me, signfile, pwfile,
		    outpath));
	}
	if (me || homeopt)
		cli_usage_error(usage, "-u and --home go with --sign");
	if (!raw) {
		cli_error("only raw mode exists so far: give --raw");
		cli_hint("letters arrive with the letters issue; see xc-seal(1)");
		return EX_USAGE_;
	}
	if (askpw && pwfile)
		cli_usage_error(usage, "-p and --passphrase-file conflict");
	if ((askpw || pwfile) && (nr || nrf))
		cli_usage_error(usage, "a passphrase cannot be combined with "
		    "recipients");
	if (!askpw && !pwfile && !nr && !nrf)
		cli_usage_error(usage, "no recipients: give -r, -R, -p or "
		    "--passphrase-file");
	if (logn && !askpw && !pwfile)
		cli_usage_error(usage, "--work-factor needs a passphrase");
	if (!armor && (outpath == NULL || strcmp(outpath, "-") == 0) &&
	    isatty(1)) {
		cli_error("refusing to write binary output to a terminal");
		cli_hint("use -a for armored text, or -o FILE");
		return EX_USAGE_;
	}
	if (sodium_init() < 0) {
		cli_error("cannot initialise libsodium");
		return EX_SYSTEM;
	}
	if ((r = xc_rcpts_new()) == NULL) {
		cli_error("out of memory");
		return EX_SYSTEM;
	}
	for (i = 0; i < nr; i++)
		if ((rc = xc_rcpts_add_string(r, rs[i], strlen(rs[i]))) < 0) {
			cli_error("bad recipient '%s': %s", rs[i],
			    xc_errdetail());
			code = rc == XC_ENOMEM ? EX_SYSTEM : EX_USAGE_;
			goto out;
		}
	for (i = 0; i < nrf; i++)
		if ((code = cli_load_recipients(rfiles[i], r)) != 0)
			goto out;
	if ((code = cli_open_in(inpath, &infd)) != 0)
		goto out;
	if (askpw || pwfile) {
		char *pw;
		size_t pwlen;
		code = pwfile ? cli_passphrase_file(pwfile, &pw, &pwlen) :
		    cli_passphrase_tty(1, &pw, &pwlen);
		if (code)
			goto out;
		rc = xc_rcpts_set_passphrase(r, pw, pwlen,
		    logn ? logn : XC_DEFAULT_SCRYPT_LOGN);
		cli_passphrase_free(pw);
		if (rc < 0) {
			code = cli_report(rc, NULL);
			goto out;
		}
	}
	if ((code = cli_out_open(&out, outpath, inpath)) != 0)
		goto out;
	rd.read = xc_fd_read;
	rd.ctx = &infd;
	wr.write = xc_fd_write;
	wr.ctx = &out.fd;
	rc = xc_age_encrypt(rd, wr, r, armor);
	if (rc < 0) {
		code = cli_report(rc, rc == XC_EWRITE ?
		    (outpath ? outpath : "-") : (inpath ? inpath : "-"));
		cli_out_abort(&out);
		goto out;
	}
	code = cli_out_commit(&out);
out:
	xc_rcpts_free(r);
	free(rs);
	free(rfiles);
	if (infd > 0)
		close(infd);
	return cli_close_stdout(code);
}
