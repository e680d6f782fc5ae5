/*
 * cli.c - the shared program helpers declared in cli.h.
 *
 * Error grammar (git, age): "<prog>: error: <what>", lower case, no final
 * period, file names quoted, optionally followed by "<prog>: hint: <how>".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdarg.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"

const char *prog = "xc";

void
cli_harden(void)
{
	struct rlimit none = { 0, 0 };

	setrlimit(RLIMIT_CORE, &none);
#ifdef __linux__
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
}

void (*cli_on_signal)(void);

/* Temporary files go with the process: removed, then the signal's default
 * action (the exit status says which signal it was). */
static void
cleanup_and_die(int sig)
{
	if (cli_on_signal)
		cli_on_signal();
	xc_tmp_cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

void
cli_start(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };
	size_t i;
	int fd;

	/* A closed descriptor would be the next open()'s: a lock file or a
	 * spool file could receive what we print.  Standard output is put on
	 * /dev/null opened read-only, so that printing still fails (EBADF)
	 * and is reported as lost output. */
	for (fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) == -1 && errno == EBADF) {
			int n = open("/dev/null", fd == 2 ? O_WRONLY : O_RDONLY);
			if (n != fd) {
				if (n >= 0)
					close(n);
				_exit(EX_SYSTEM);	/* cannot be reported */
			}
		}
	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		struct sigaction sa, old;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = cleanup_and_die;
		sigemptyset(&sa.sa_mask);
		/* An ignored signal stays ignored (nohup, a shell's trap). */
		if (sigaction(sigs[i], NULL, &old) == 0 &&
		    old.sa_handler != SIG_IGN)
			sigaction(sigs[i], &sa, NULL);
	}
}

static void vmsg(const char *, const char *, va_list)
    __attribute__((format(printf, 2, 0)));

/* Messages quote file names, handles and details that may come from
 * someone else: escaped on a terminal (cli_safe_fwrite). */
static void
vmsg(const char *kind, const char *fmt, va_list ap)
{
	char buf[2048];
	int n;

	n = vsnprintf(buf, sizeof buf, fmt, ap);
	fprintf(stderr, "%s: %s: ", prog, kind);
	cli_safe_fwrite(stderr, buf, n < 0 ? 0 : (size_t)n < sizeof buf ?
	    (size_t)n : sizeof buf - 1, 0);
	fputc('\n', stderr);
}

void
cli_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("error", fmt, ap);
	va_end(ap);
}

void
cli_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning", fmt, ap);
	va_end(ap);
}

void
cli_hint(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("hint", fmt, ap);
	va_end(ap);
}

void
cli_usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("error", fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s", usage);
	exit(EX_USAGE_);
}

void
cli_bad_option(const char *usage, char **argv, int c)
{
	const char *arg = argv[optind - 1];

	if (c == ':') {
		if (arg[0] == '-' && arg[1] == '-')
			cli_usage_error(usage, "option '%s' needs an argument",
			    arg);
		cli_usage_error(usage, "option '-%c' needs an argument",
		    optopt);
	}
	if (arg[0] == '-' && arg[1] == '-')
		cli_usage_error(usage, "unknown option or unexpected argument "
		    "'%s'", arg);
	cli_usage_error(usage, "unknown option '-%c'", optopt);
}

int
cli_exit_code(int e)
{
	switch (e) {
	case XC_OK:
		return EX_OK_;
	case XC_ENOMATCH: case XC_ESIG: case XC_EEXPIRED: case XC_ECHAIN:
	case XC_EKEYCHANGE: case XC_ETAKEN: case XC_EEQUIVOCAL:
		return EX_NO;
	case XC_EHEADER: case XC_EMAC: case XC_EPAYLOAD: case XC_EARMOR:
	case XC_EKEY: case XC_EUNSUPPORTED: case XC_ELIMIT:
	case XC_EJSON: case XC_ECARD:
		return EX_BADINPUT;
	case XC_EINVAL:
		return EX_USAGE_;
	}
	return EX_SYSTEM;
}

int
cli_report(int e, const char *what)
{
	const char *d = xc_errdetail();
	int saved = errno;

	switch (e) {
	case XC_ENOMATCH:
		cli_error("no identity matched any recipient of this file");
		break;
	case XC_EMAC:
		cli_error("header MAC failure: the header was modified or "
		    "is corrupt");
		break;
	case XC_EHEADER: case XC_EPAYLOAD: case XC_EARMOR:
		cli_error("%s: %s", xc_strerror(e), d);
		break;
	case XC_EREAD:
		cli_error("cannot read '%s': %s", what ? what : "-",
		    strerror(saved));
		break;
	case XC_EWRITE:
		cli_error("cannot write '%s': %s", what ? what : "-",
		    strerror(saved));
		break;
	default:
		if (what)
			cli_error("'%s': %s", what, *d ? d : xc_strerror(e));
		else
			cli_error("%s", *d ? d : xc_strerror(e));
	}
	return cli_exit_code(e);
}

int
cli_slurp(const char *path, size_t cap, int secret, char **bufp,
    size_t *lenp)
{
	struct stat sb;
	char *buf;
	size_t len = 0, alloc;
	int fd, code = 0;

	if (strcmp(path, "-") == 0)
		fd = 0;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		cli_error("cannot open '%s': %s", path, strerror(errno));
		return EX_SYSTEM;
	}
	if (fstat(fd, &sb) != 0) {
		cli_error("cannot stat '%s': %s", path, strerror(errno));
		code = EX_SYSTEM;
		goto out;
	}
	if (secret && fd != 0 && S_ISREG(sb.st_mode) &&
	    (sb.st_mode & 077) != 0) {
		cli_error("'%s' is accessible by group or others (mode %04o)",
		    path, (unsigned)(sb.st_mode & 07777));
		cli_hint("chmod 600 '%s'", path);
		code = EX_SYSTEM;
		goto out;
	}
	/* Secure memory is locked and wiped page by page: size it to the file
	 * (one spare byte shows growth), the cap only when the size is
	 * unknown (pipes) or the file grew while it was read. */
	alloc = S_ISREG(sb.st_mode) && (size_t)sb.st_size < cap ?
	    (size_t)sb.st_size + 1 : cap + 1;
	if ((buf = sodium_malloc(alloc)) == NULL) {
		cli_error("out of memory");
		code = EX_SYSTEM;
		goto out;
	}
	for (;;) {
		ssize_t n;
		if (len == alloc && alloc < cap + 1) {
			char *bigger = sodium_malloc(cap + 1);
			if (bigger == NULL) {
				cli_error("out of memory");
				code = EX_SYSTEM;
				break;
			}
			memcpy(bigger, buf, len);
			sodium_free(buf);
			buf = bigger;
			alloc = cap + 1;
		}
		n = read(fd, buf + len, alloc - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			cli_error("cannot read '%s': %s", path,
			    strerror(errno));
			code = EX_SYSTEM;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > cap) {
			cli_error("'%s' is too large (limit %zu bytes)", path,
			    cap);
			code = EX_BADINPUT;
			break;
		}
	}
	if (code) {
		sodium_free(buf);
		goto out;
	}
	*bufp = buf;
	*lenp = len;
out:
	if (fd != 0)
		close(fd);
	return code;
}

void
cli_slurp_free(char *buf, size_t len)
{
	(void)len;
	sodium_free(buf);	/* wipes */
}

static int
load_keyfile(const char *path, int secret,
    int (*parse)(void *, const char *, size_t, size_t *), void *obj)
{
	char *buf;
	size_t len, line = 0;
	int code, rc;

	if ((code = cli_slurp(path, XC_MAX_KEYFILE, secret, &buf, &len)) != 0)
		return code;
	rc = parse(obj, buf, len, &line);
	cli_slurp_free(buf, len);
	if (rc == 0)
		return 0;
	if (line)
		cli_error("'%s' line %zu: %s", path, line, xc_errdetail());
	else
		cli_error("'%s': %s", path, xc_errdetail());
	return cli_exit_code(rc);
}

static int
parse_ids(void *o, const char *t, size_t n, size_t *line)
{
	return xc_ids_parse(o, t, n, line);
}

static int
parse_rcpts(void *o, const char *t, size_t n, size_t *line)
{
	return xc_rcpts_parse(o, t, n, line);
}

int
cli_load_identities(const char *path, int secret, xc_ids *ids)
{
	return load_keyfile(path, secret, parse_ids, ids);
}

int
cli_load_recipients(const char *path, xc_rcpts *r)
{
	return load_keyfile(path, 0, parse_rcpts, r);
}

/* The default identity: the handle in $XC_HOME/ids/.default (a name no
 * handle can have), written by xc-keygen.  0 and h, or -1 if unset. */
int
cli_default_identity(const char *home, char h[XC_HANDLE_MAX + 1])
{
	char p[XC_PATH_MAX], *buf;
	size_t len;
	int rc = -1;

	if (snprintf(p, sizeof p, "%s/ids/.default", home) >= (int)sizeof p ||
	    xc_read_file(p, 64, 0, &buf, &len) != 0)
		return -1;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	if (len > 1 && buf[0] == '@')
		rc = xc_handle_norm(h, buf + 1, len - 1) == 0 ? 0 : -1;
	sodium_free(buf);
	return rc;
}

int
cli_set_default_identity(const char *home, const char *h)
{
	char p[XC_PATH_MAX], text[XC_HANDLE_MAX + 3];
	int n = snprintf(text, sizeof text, "@%s\n", h);

	if (snprintf(p, sizeof p, "%s/ids/.default", home) >= (int)sizeof p ||
	    xc_write_file(p, text, (size_t)n, 0600, 0) < 0) {
		cli_error("cannot write '%s': %s", p, strerror(errno));
		return EX_SYSTEM;
	}
	return 0;
}

/* "@a, @b and @c": the identities, for messages. */
static void
hint_identities(const char (*hs)[XC_HANDLE_MAX + 1], size_t n)
{
	char list[512];
	size_t i, k = 0;

	list[0] = '\0';
	for (i = 0; i < n && k < sizeof list - 40; i++)
		k += (size_t)snprintf(list + k, sizeof list - k, "%s@%s",
		    i == 0 ? "" : i + 1 == n ? " and " : ", ", hs[i]);
	if (i < n)
		snprintf(list + k, sizeof list - k, " and %zu more", n - i);
	cli_hint("the identities here are %s: name one%s, or make one the "
	    "default: xc-keygen --default @HANDLE", list,
	    strcmp(prog, "xc-keygen") == 0 ? "" : " with -u @HANDLE");
}

/* The handle named, else the default identity, else the only one. */
int
cli_pick_identity(const char *home, const char *arg, char h[XC_HANDLE_MAX + 1])
{
	char (*hs)[XC_HANDLE_MAX + 1], d[XC_HANDLE_MAX + 1];
	size_t n = 0, i;
	int code;

	if (arg != NULL) {
		if (xc_handle_norm(h, arg, strlen(arg)) == 0)
			return 0;
		cli_error("'%s' is not a handle: %s", arg, xc_errdetail());
		return EX_USAGE_;
	}
	if ((hs = calloc(XC_MAX_IDENTITIES, sizeof *hs)) == NULL) {
		cli_error("out of memory");
		return EX_SYSTEM;
	}
	(void)xc_identity_list(home, hs, XC_MAX_IDENTITIES, &n);
	if (cli_default_identity(home, d) == 0) {
		for (i = 0; i < n; i++)
			if (strcmp(hs[i], d) == 0) {
				memcpy(h, d, sizeof d);
				free(hs);
				return 0;
			}
		cli_error("the default identity @%s is not in this keyring", d);
		if (n > 0)
			hint_identities((const char (*)[XC_HANDLE_MAX + 1])hs, n);
		free(hs);
		return EX_SYSTEM;
	}
	if (n == 1) {
		memcpy(h, hs[0], XC_HANDLE_MAX + 1);
		free(hs);
		return 0;
	}
	if (n == 0) {
		cli_error("no identity in this keyring");
		cli_hint("make one with: xc-keygen @HANDLE");
		code = EX_SYSTEM;
	} else {
		cli_error("several identities and no default: name one");
		hint_identities((const char (*)[XC_HANDLE_MAX + 1])hs, n);
		code = EX_USAGE_;
	}
	free(hs);
	return code;
}

int
cli_passphrase_file(const char *path, char **pw, size_t *len)
{
	char *buf, *nl;
	size_t n;
	int code;

	if ((code = cli_slurp(path, XC_MAX_PASSPHRASE + 2, 1, &buf, &n)) != 0)
		return code;
	nl = memchr(buf, '\n', n);
	if (nl)
		n = (size_t)(nl - buf);
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	if (n == 0 || n > XC_MAX_PASSPHRASE) {
		cli_error("'%s': the passphrase on its first line is %s", path,
		    n == 0 ? "empty" : "too long");
		sodium_free(buf);
		return EX_BADINPUT;
	}
	*pw = buf;
	*len = n;
	return 0;
}

static int
tty_read(int tty, const char *prompt, char *buf, size_t cap, size_t *len)
{
	struct termios old, raw;
	size_t n = 0;
	int rc = 0;

	if (tcgetattr(tty, &old) != 0)
		return -1;
	raw = old;
	raw.c_lflag &= ~(tcflag_t)ECHO;
	raw.c_lflag |= ECHONL;
	if (write(tty, prompt, strlen(prompt)) < 0 ||
	    tcsetattr(tty, TCSAFLUSH, &raw) != 0)
		return -1;
	for (;;) {
		char c;
		ssize_t r = read(tty, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || c == '\n')
			break;
		if (n < cap)
			buf[n] = c;
		n++;
	}
	tcsetattr(tty, TCSAFLUSH, &old);
	if (n > cap)
		rc = -2;
	*len = n > cap ? 0 : n;
	return rc;
}

int
cli_passphrase_tty(int confirm, char **pw, size_t *len)
{
	char *a = sodium_malloc(XC_MAX_PASSPHRASE), *b = NULL;
	size_t na = 0, nb = 0;
	int tty, code = 0;

	if (a == NULL) {
		cli_error("out of memory");
		return EX_SYSTEM;
	}
	if ((tty = open("/dev/tty", O_RDWR | O_CLOEXEC)) < 0) {
		cli_error("no terminal to read a passphrase from");
		cli_hint("use --passphrase-file FILE in scripts");
		sodium_free(a);
		return EX_SYSTEM;
	}
	if (tty_read(tty, "Enter passphrase: ", a, XC_MAX_PASSPHRASE, &na)
	    != 0 || na == 0) {
		cli_error("no passphrase read from the terminal (empty or "
		    "too long)");
		code = EX_USAGE_;
		goto out;
	}
	if (confirm) {
		if ((b = sodium_malloc(XC_MAX_PASSPHRASE)) == NULL ||
		    tty_read(tty, "Confirm passphrase: ", b, XC_MAX_PASSPHRASE,
		    &nb) != 0 || nb != na || sodium_memcmp(a, b, na) != 0) {
			cli_error("passphrases did not match");
			code = EX_USAGE_;
			goto out;
		}
	}
out:
	close(tty);
	sodium_free(b);
	if (code) {
		sodium_free(a);
		return code;
	}
	*pw = a;
	*len = na;
	return 0;
}

void
cli_passphrase_free(char *pw)
{
	sodium_free(pw);
}

int
cli_open_in(const char *path, int *fd)
{
	if (path == NULL || strcmp(path, "-") == 0) {
		*fd = 0;
		return 0;
	}
	if ((*fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		cli_error("cannot open '%s': %s", path, strerror(errno));
		return EX_SYSTEM;
	}
	return 0;
}

/* ".BASE.xc-" and 16 hex digits: an output being written (cli_out). */
struct out_match {
	const char *prefix;
	size_t n;
};

static int
is_out_tmp(void *arg, const char *name)
{
	const struct out_match *m = arg;
	size_t i;

	if (strncmp(name, m->prefix, m->n) != 0 || strlen(name) != m->n + 16)
		return 0;
	for (i = m->n; name[i]; i++)
		if (!strchr("0123456789abcdef", name[i]))
			return 0;
	return 1;
}

/* The directory of the one output being written. */
static int out_dirfd = -1;

static void
out_free(struct cli_out *o)
{
	free(o->tmp);
	free(o->target);
	o->tmp = o->target = NULL;
	if (out_dirfd >= 0)
		close(out_dirfd);
	out_dirfd = -1;
}

int
cli_out_open(struct cli_out *o, const char *path, const char *inpath)
{
	struct stat in, out, l;
	char *dcopy = NULL, *bcopy = NULL, prefix[XC_TMP_NAME_MAX];
	struct out_match m;
	mode_t um;
	int rc;

	o->fd = 1;
	o->path = NULL;
	o->target = NULL;
	o->tmp = NULL;
	if (path == NULL || strcmp(path, "-") == 0 ||
	    strcmp(path, "/dev/stdout") == 0)
		return 0;
	if (stat(path, &out) == 0) {
		if (inpath != NULL && strcmp(inpath, "-") != 0 &&
		    stat(inpath, &in) == 0 && in.st_dev == out.st_dev &&
		    in.st_ino == out.st_ino) {
			cli_error("input and output are the same file '%s'",
			    path);
			return EX_USAGE_;
		}
		/* A device or FIFO (-o /dev/null) is written in place: the
		 * rename below would replace the node with a regular file. */
		if (!S_ISREG(out.st_mode)) {
			if ((o->fd = open(path, O_WRONLY | O_CLOEXEC)) < 0) {
				cli_error("cannot open '%s': %s", path,
				    strerror(errno));
				return EX_SYSTEM;
			}
			o->path = path;
			return 0;
		}
	}
	/* Renaming onto a symlink would replace the link: replace what it
	 * points to instead, in that file's directory. */
	if (lstat(path, &l) == 0 && S_ISLNK(l.st_mode)) {
		char *real = realpath(path, NULL);
		if (real == NULL) {
			cli_error("cannot resolve '%s': %s", path,
			    strerror(errno));
			return EX_SYSTEM;
		}
		dcopy = strdup(real);
		bcopy = strdup(real);
		free(real);
	} else {
		dcopy = strdup(path);
		bcopy = strdup(path);
	}
	if (dcopy == NULL || bcopy == NULL ||
	    (o->target = strdup(basename(bcopy))) == NULL ||
	    (o->tmp = malloc(XC_TMP_NAME_MAX)) == NULL) {
		cli_error("out of memory");
		rc = EX_SYSTEM;
		goto bad;
	}
	if ((out_dirfd = open(dirname(dcopy), O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0) {
		cli_error("cannot create '%s': %s", path, strerror(errno));
		rc = EX_SYSTEM;
		goto bad;
	}
	/* What killed runs left for this output goes first. */
	snprintf(prefix, sizeof prefix, ".%.200s.xc-", o->target);
	m.prefix = prefix;
	m.n = strlen(prefix);
	xc_tmp_sweep(out_dirfd, is_out_tmp, &m, NULL);
	um = umask(0);
	umask(um);
	if (xc_tmp_create(out_dirfd, prefix, "", 0666 & ~um, o->tmp, &o->fd)
	    < 0) {
		cli_error("cannot create '%s': %s", path, strerror(errno));
		o->fd = -1;
		rc = EX_SYSTEM;
		goto bad;
	}
	free(dcopy);
	free(bcopy);
	o->path = path;
	return 0;
bad:
	free(dcopy);
	free(bcopy);
	out_free(o);
	return rc;
}

int
cli_out_commit(struct cli_out *o)
{
	if (o->tmp == NULL) {
		if (o->fd > 1 && close(o->fd) != 0) {
			cli_error("cannot write '%s': %s", o->path,
			    strerror(errno));
			return EX_SYSTEM;
		}
		return 0;
	}
	if (fsync(o->fd) != 0) {
		cli_error("cannot write '%s': %s", o->path, strerror(errno));
		cli_out_abort(o);
		return EX_SYSTEM;
	}
	if (renameat(out_dirfd, o->tmp, out_dirfd, o->target) != 0) {
		cli_error("cannot create '%s': %s", o->path, strerror(errno));
		cli_out_abort(o);
		return EX_SYSTEM;
	}
	xc_tmp_forget(o->tmp);
	/* The lock ends with the descriptor, after the rename. */
	if (close(o->fd) != 0) {
		o->fd = -1;
		cli_error("cannot write '%s': %s", o->path, strerror(errno));
		out_free(o);
		return EX_SYSTEM;
	}
	o->fd = -1;
	if (xc_dir_sync(out_dirfd) < 0) {
		cli_error("cannot sync the directory of '%s': %s", o->path,
		    strerror(errno));
		out_free(o);
		return EX_SYSTEM;
	}
	out_free(o);
	return 0;
}

void
cli_out_abort(struct cli_out *o)
{
	if (o->tmp == NULL) {
		if (o->fd > 1)
			close(o->fd);
		o->fd = -1;
		return;
	}
	xc_tmp_remove(out_dirfd, o->tmp);
	if (o->fd >= 0)
		close(o->fd);
	o->fd = -1;
	out_free(o);
}

int
cli_close_stdout(int code)
{
	int bad = 0, e = 0;

	/* ferror: a write that failed earlier, even if nothing was left to
	 * flush.  Standard output is always open (cli_start). */
	if (fflush(stdout) != 0) {
		bad = 1;
		e = errno;
	} else if (ferror(stdout))
		bad = 1;
	if (close(1) != 0 && !bad) {
		bad = 1;
		e = errno;
	}
	if (bad && (code == 0 || code == EX_NO)) {
		cli_error("cannot write to standard output: %s", e ?
		    strerror(e) : "an earlier write failed");
		return EX_SYSTEM;
	}
	return code;
}

void
cli_path(char *out, size_t cap, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, cap, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap) {
		cli_error("path too long: %.60s...", out);
		exit(EX_SYSTEM);
	}
}

int
cli_own_keys(const char *home, const char *me, const char *pwfile, int tty,
    int64_t now, xc_ids *ids, struct cli_key **keys)
{
	return cli_own_keys_pw(home, me, NULL, 0, pwfile, tty, now, ids, keys);
}

int
cli_own_keys_pw(const char *home, const char *me, const char *given,
    size_t givenlen, const char *pwfile, int tty, int64_t now, xc_ids *ids,
    struct cli_key **keys)
{
	char (*hs)[XC_HANDLE_MAX + 1], *pw = NULL;
	size_t nh = 0, i, n, before, pwlen = 0;
	const char *usepw;
	size_t uselen;
	struct cli_key *k;
	int code = 0, rc;

	*keys = NULL;
	if ((hs = calloc(256, sizeof *hs)) == NULL) {
		cli_error("out of memory");
		return EX_SYSTEM;
	}
	if (me) {
		if (xc_handle_norm(hs[0], me, strlen(me)) != 0) {
			cli_error("'%s' is not a handle", me);
			free(hs);
			return EX_USAGE_;
		}
		nh = 1;
	} else if (xc_identity_list(home, hs, 256, &nh) < 0) {
		free(hs);
		return cli_report(XC_EREAD, home);
	}
	if (nh == 0) {
		cli_error("no identity in this keyring");
		cli_hint("make one with: xc-keygen @HANDLE");
		free(hs);
		return EX_SYSTEM;
	}
	for (i = 0; i < nh; i++) {
		xc_card card;
		/* One passphrase is asked once and tried on every identity. */
		if (xc_identity_locked(home, hs[i]) == 1 && pw == NULL &&
		    given == NULL) {
			if (pwfile == NULL && !tty) {
				cli_error("@%s: keys are passphrase-protected",
				    hs[i]);
				cli_hint("give --passphrase-file FILE");
				code = EX_SYSTEM;
				goto out;
			}
			code = pwfile ? cli_passphrase_file(pwfile, &pw, &pwlen) :
			    cli_passphrase_tty(0, &pw, &pwlen);
			if (code)
				goto out;
		}
		before = xc_ids_count(ids);
		usepw = pw ? pw : given;
		uselen = pw ? pwlen : givenlen;
		if ((rc = xc_identity_keys(home, hs[i], now, usepw, uselen, ids,
		    &n)) < 0 || (rc = xc_identity_get(home, hs[i], &card)) < 0) {
			cli_error("@%s: %s", hs[i], rc == XC_ENOTFOUND ?
			    "no such identity" : xc_errdetail());
			code = rc == XC_ENOTFOUND ? EX_SYSTEM : cli_exit_code(rc);
			goto out;
		}
		if ((k = realloc(*keys, (xc_ids_count(ids) + 1) * sizeof *k))
		    == NULL) {
			cli_error("out of memory");
			code = EX_SYSTEM;
			goto out;
		}
		*keys = k;
		cli_card_warn(home, &card, 1, card.handle, now);
		for (; before < xc_ids_count(ids); before++) {
			xc_ids_recipient(ids, before, k[before].pk);
			memcpy(k[before].handle, hs[i], sizeof hs[i]);
			k[before].tag_bits = card.tag_bits;
		}
	}
out:
	if (pw)
		cli_passphrase_free(pw);
	free(hs);
	return code;
}

int64_t
cli_now(void)
{
	const char *s = getenv("XC_TEST_NOW");
	int64_t now = (int64_t)time(NULL);
	long long v;
	char *end;

	if (s == NULL || *s == '\0')
		return now;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return now;	/* not a number: the real clock */
	if (*s == '+' || *s == '-')
		return now + (int64_t)v;
	return (int64_t)v;
}

/* ---- terminal safety ---- */

/* Cc, Cf, Zl and Zp of Unicode 15.1 (generated with Python's unicodedata,
 * plus U+13439-U+1343F of Unicode 15). */
static const struct { uint32_t lo, hi; } unsafe[] = {
	{0x0, 0x1F}, {0x7F, 0x9F}, {0xAD, 0xAD}, {0x600, 0x605},
	{0x61C, 0x61C}, {0x6DD, 0x6DD}, {0x70F, 0x70F}, {0x890, 0x891},
	{0x8E2, 0x8E2}, {0x180E, 0x180E}, {0x200B, 0x200F}, {0x2028, 0x202E},
	{0x2060, 0x2064}, {0x2066, 0x206F}, {0xFEFF, 0xFEFF},
	{0xFFF9, 0xFFFB}, {0x110BD, 0x110BD}, {0x110CD, 0x110CD},
	{0x13430, 0x1343F}, {0x1BCA0, 0x1BCA3}, {0x1D173, 0x1D17A},
	{0xE0001, 0xE0001}, {0xE0020, 0xE007F}
};

int
cli_unsafe_cp(uint32_t cp)
{
	size_t lo = 0, hi = sizeof unsafe / sizeof unsafe[0];

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (cp < unsafe[mid].lo)
			hi = mid;
		else if (cp > unsafe[mid].hi)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

/* The code point of the n-byte UTF-8 character at s. */
static uint32_t
decode(const uint8_t *s, size_t n)
{
	static const uint8_t lead[] = { 0, 0x7f, 0x1f, 0x0f, 0x07 };
	uint32_t cp = s[0] & lead[n];
	size_t i;

	for (i = 1; i < n; i++)
		cp = cp << 6 | (s[i] & 0x3f);
	return cp;
}

/* Writes s with each unsafe character replaced by what esc makes of it. */
static int
escape_to(FILE *f, const uint8_t *s, size_t len, int lines,
    int (*esc)(FILE *, uint32_t, int))
{
	size_t i = 0, run = 0;

	while (i < len) {
		size_t n = xc_utf8_char(s + i, len - i);
		uint32_t cp = n ? decode(s + i, n) : s[i];
		if (n && (!cli_unsafe_cp(cp) || cp == '\t' ||
		    (lines && cp == '\n'))) {
			i += n;
			continue;
		}
		if (i > run && fwrite(s + run, 1, i - run, f) != i - run)
			return EOF;
		if (esc(f, cp, n == 0) < 0)
			return EOF;
		i += n ? n : 1;
		run = i;
	}
	if (i > run && fwrite(s + run, 1, i - run, f) != i - run)
		return EOF;
	return 0;
}

static int
esc_term(FILE *f, uint32_t cp, int byte)
{
	return fprintf(f, byte || cp < 0x80 ? "\\x%02x" : "\\u{%04x}",
	    (unsigned)cp);
}

int
cli_safe_fwrite(FILE *f, const void *buf, size_t len, int lines)
{
	if (!isatty(fileno(f)))
		return fwrite(buf, 1, len, f) == len ? 0 : EOF;
	return escape_to(f, buf, len, lines, esc_term);
}

int
cli_safe_fputs(const char *s, FILE *f)
{
	return cli_safe_fwrite(f, s, strlen(s), 0);
}

static int
esc_json(FILE *f, uint32_t cp, int byte)
{
	if (byte)	/* cJSON writes only UTF-8; keep a stray byte */
		return fputc((int)cp, f) == EOF ? -1 : 0;
	if (cp > 0xffff) {
		cp -= 0x10000;
		return fprintf(f, "\\u%04x\\u%04x", 0xd800 + (cp >> 10),
		    0xdc00 + (cp & 0x3ff));
	}
	return fprintf(f, "\\u%04x", (unsigned)cp);
}

int
cli_json_fputs(const char *json, FILE *f)
{
	size_t len = strlen(json);

	if (!isatty(fileno(f)))
		return fwrite(json, 1, len, f) == len ? 0 : EOF;
	/* RFC 8259 leaves a raw newline between tokens; cJSON's compact
	 * output has none, and none inside strings. */
	return escape_to(f, (const uint8_t *)json, len, 1, esc_json);
}

/* ---- cards nearing their expiry ---- */

void
cli_card_warn(const char *home, const xc_card *c, int own, const char *name,
    int64_t now)
{
	char p[XC_PATH_MAX], hex[65], when[32], text[32], *buf;
	int64_t left = c->expires - now, last = -1;
	size_t len;
	int n;

	if (left > (int64_t)CLI_WARN_DAYS * 86400)
		return;
	sodium_bin2hex(hex, sizeof hex, c->hash, 32);
	if (snprintf(p, sizeof p, "%s/state/warned/%s", home, hex) >=
	    (int)sizeof p)
		return;
	if (xc_read_file(p, 64, 0, &buf, &len) == 0) {
		buf[len] = '\0';	/* xc_read_file leaves a spare byte */
		last = strtoll(buf, NULL, 10);
		sodium_free(buf);
	}
	if (last >= 0 && now >= last && now - last < 86400)
		return;		/* once a day per card */
	xc_utc(when, c->expires, 0);
	n = (int)((left + 86399) / 86400);
	if (own) {
		if (left > 0)
			cli_warn("your card @%s expires on %s (in %d day%s)",
			    c->handle, when, n, n == 1 ? "" : "s");
		else
			cli_warn("your card @%s expired on %s", c->handle, when);
		cli_hint("renew it: xc-keygen --rotate @%s (from cron: "
		    "xc-keygen --rotate --older-than 30)", c->handle);
	} else {
		if (left > 0)
			cli_warn("the card of @%s expires on %s (in %d day%s)",
			    name, when, n, n == 1 ? "" : "s");
		else
			cli_warn("the card of @%s expired on %s", name, when);
		cli_hint("@%s renews it with xc-keygen --rotate; their next "
		    "letter brings the new card", name);
	}
	n = snprintf(text, sizeof text, "%lld\n", (long long)now);
	if (snprintf(p, sizeof p, "%s/state/warned", home) < (int)sizeof p &&
	    xc_mkdirs(p) == 0 &&
	    snprintf(p, sizeof p, "%s/state/warned/%s", home, hex) <
	    (int)sizeof p)
		(void)xc_write_file(p, text, (size_t)n, 0600, 0);
}

/* ---- progress ---- */

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
cli_progress_init(struct cli_progress *p, uint64_t total)
{
	memset(p, 0, sizeof *p);
	p->total = total;
	p->on = isatty(2);
	p->next = p->on ? CLI_PROGRESS_STEP : UINT64_MAX;
	p->start = p->on ? mono_ms() : 0;
}

void
cli_progress_tick(struct cli_progress *p)
{
	char line[160];
	int64_t now = mono_ms(), el;
	double mib = (double)p->done / 1048576, rate;
	size_t n, w;
	int k;

	p->next = p->done + CLI_PROGRESS_STEP;
	el = now - p->start;
	/* Nothing for work under a second; then at most twice a second. */
	if (el < 1000 || (p->shown && now - p->last < 500))
		return;
	rate = mib * 1000 / (double)el;
	if (p->total > p->done && p->done > 0) {
		long left = (long)((double)(p->total - p->done) / 1048576 /
		    rate + 0.5);
		k = snprintf(line, sizeof line, "%s: %.1f MiB of %.1f MiB "
		    "(%d%%), %.1f MiB/s, ", prog, mib,
		    (double)p->total / 1048576,
		    (int)((double)p->done * 100 / (double)p->total), rate);
		if (k > 0 && (size_t)k < sizeof line)
			snprintf(line + k, sizeof line - (size_t)k, left < 60 ?
			    "%ld s left" : "%ld min left", left < 60 ? left :
			    (left + 30) / 60);
	} else
		snprintf(line, sizeof line, "%s: %.1f MiB, %.1f MiB/s", prog,
		    mib, rate);
	n = strlen(line);
	w = n;
	/* Spaces over what a longer line before left. */
	while (w < p->width && w < sizeof line - 1)
		line[w++] = ' ';
	line[w] = '\0';
	fprintf(stderr, "\r%s", line);
	fflush(stderr);
	p->width = n;
	p->shown = 1;
	p->last = now;
}

void
cli_progress_end(struct cli_progress *p)
{
	if (p->shown) {
		fprintf(stderr, "\r%*s\r", (int)p->width, "");
		fflush(stderr);
	}
	p->shown = 0;
	p->width = 0;
	p->next = UINT64_MAX;
}

int
cli_counted_read(void *ctx, uint8_t *buf, size_t len, size_t *got)
{
	struct cli_counted *c = ctx;
	int rc = c->under.rd.read(c->under.rd.ctx, buf, len, got);

	if (rc == 0)
		cli_progress_add(c->p, *got);
	return rc;
}

int
cli_counted_write(void *ctx, const uint8_t *buf, size_t len)
{
	struct cli_counted *c = ctx;
	int rc = c->under.wr.write(c->under.wr.ctx, buf, len);

	if (rc == 0)
		cli_progress_add(c->p, len);
	return rc;
}

/* ---- the config: which spool and servers ---- */

/* Copies a spool path, or says it is too long. */
static int
spool_path(char out[XC_PATH_MAX], const char *dir)
{
	if (snprintf(out, XC_PATH_MAX, "%s", dir) >= XC_PATH_MAX) {
		cli_error("spool path too long");
		return EX_USAGE_;
	}
	return 0;
}

/* A server of the command line without --pin or --starttls is trusted as
 * the config's line for it says, as ssh's known_hosts does for a host:
 * naming a server on the command line must not drop its pin. */
static void
inherit_tls(xc_config *cf, const xc_config *file)
{
	size_t i, j;

	for (i = 0; i < cf->nserver; i++)
		for (j = 0; j < file->nserver; j++)
			if (!cf->pin[i][0] && !cf->starttls[i] &&
			    strcmp(cf->server[i], file->server[j]) == 0) {
				memcpy(cf->pin[i], file->pin[j],
				    XC_TLS_PINS_MAX);
				cf->starttls[i] = file->starttls[j];
			}
}

int
cli_transports(const char *home, const char *spoolopt, xc_config *cf,
    char spool[XC_PATH_MAX])
{
	static xc_config file;	/* large; used once per process */
	static int warned;
	const char *env = getenv("XC_SPOOL");
	char path[XC_PATH_MAX], now[XC_PATH_MAX];
	size_t line, i;
	int rc, saved, old;

	spool[0] = '\0';
	for (i = 0; i < cf->nserver; i++)
		if (xc_config_server_check(cf, i) < 0) {
			cli_error("--server '%s': %s", cf->server[i],
			    cf->starttls[i] ? "--starttls is for nntp:// "
			    "servers (nntps:// is TLS from the first byte)" :
			    "--pin needs TLS: an nntps:// server, or "
			    "--starttls");
			return EX_USAGE_;
		}
	rc = xc_config_load(&file, home, path, &line, &old);
	saved = errno;
	/* The config moved out of the keyring: the old file still counts,
	 * and the user is told where it goes now. */
	if (old && !warned++) {
		if (xc_config_path(now) == 0) {
			cli_warn("the config '%s' is read from its old place; "
			    "its place is now '%s'", path, now);
			cli_hint("mkdir -p '%.*s' && mv '%s' '%s'",
			    (int)(strrchr(now, '/') - now), now, path, now);
		} else
			cli_warn("the config '%s' is read from its old place; "
			    "set HOME or XDG_CONFIG_HOME to move it", path);
	}
	if (rc < 0) {
		if (line)
			cli_error("config '%s' line %zu: %s", path, line,
			    xc_errdetail());
		else
			cli_error("config '%s': %s%s%s", path, xc_errdetail(),
			    rc == XC_EREAD ? ": " : "",
			    rc == XC_EREAD ? strerror(saved) : "");
		return rc == XC_EINVAL ? EX_USAGE_ : EX_SYSTEM;
	}
	/* The command line names the transports, or the environment and
	 * the config do; the default spool only when nothing names any. */
	if (spoolopt != NULL || cf->nserver > 0) {
		if (spoolopt != NULL && (rc = spool_path(spool, spoolopt)) != 0)
			return rc;
		inherit_tls(cf, &file);
	} else {
		rc = 0;
		if (env != NULL && *env != '\0')
			rc = spool_path(spool, env);
		else if (file.spool[0])
			rc = spool_path(spool, file.spool);
		if (rc != 0)
			return rc;
		for (i = 0; i < file.nserver; i++) {
			memcpy(cf->server[i], file.server[i], XC_URL_MAX);
			memcpy(cf->pin[i], file.pin[i], XC_TLS_PINS_MAX);
			cf->starttls[i] = file.starttls[i];
		}
		cf->nserver = file.nserver;
		if (spool[0] == '\0' && cf->nserver == 0 &&
		    snprintf(spool, XC_PATH_MAX, "%s/spool", home) >=
		    XC_PATH_MAX) {
			cli_error("spool path too long");
			return EX_USAGE_;
		}
	}
	if (cf->quorum == 0)
		cf->quorum = file.quorum;
	if (cf->timeout == 0)
		cf->timeout = file.timeout;
	if (cf->proxy[0] == '\0')
		memcpy(cf->proxy, file.proxy, XC_URL_MAX);
	return 0;
}
