/*
 * xc-seal - seal a letter into an xc envelope: signed by an own identity,
 * encrypted to the newest card of each recipient (a contact by its local
 * name, or an own identity for a note to self).  Also raw mode (plain age v1
 * to X25519 recipients or a passphrase, binary or armored) and --sign (a
 * detached signature of a file in minisign's format, made with an identity
 * key).  Every input of a letter, the text and the attachments, is read
 * once and may be a pipe.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"

static const char usage[] =
    "usage: xc-seal [--home DIR] [-u @ME] -r @HANDLE... [-R CARD]..."
    " [-A FILE]... [-a]\n"
    "               [-o OUT] [--ttl DURATION] [--level N] [--anonymous]"
    " [--passphrase-file FILE]\n"
    "               [MESSAGE_FILE]\n"
    "       xc-seal [--home DIR] [-u @ME] --reply-to ID|FILE [--reply-all]"
    " [-r @HANDLE]...\n"
    "               [-A FILE]... [-a] [-o OUT] [--ttl DURATION] [--level N]"
    "\n"
    "               [--passphrase-file FILE] [MESSAGE_FILE]\n"
    "       xc-seal --raw [-a] [-r RECIPIENT]... [-R RECIPIENTS_FILE]..."
    " [-o OUT] [INPUT]\n"
    "       xc-seal --raw [-a] (-p | --passphrase-file FILE)"
    " [--work-factor N] [-o OUT] [INPUT]\n"
    "       xc-seal [--home DIR] [-u @ME] [--passphrase-file FILE]"
    " [-o SIG] --sign FILE\n";

static void
help(void)
{
	printf("%s", usage);
	printf("\nSeal a letter: the text (MESSAGE_FILE or standard input) and "
	    "any attachments,\nsigned by your identity and encrypted to each "
	    "recipient's current key.\n"
	    "\n"
	    "  -r, --recipient @HANDLE    a contact (or an own identity); "
	    "repeatable\n"
	    "  -R, --recipients-file CARD a card file, imported on first use "
	    "(TOFU)\n"
	    "  -A, --attach FILE          attach a file, a pipe or - (stdin); "
	    "repeatable\n"
	    "  -u, --as @ME               the identity that signs\n"
	    "      --anonymous            an unsigned letter\n"
	    "      --ttl DURATION         disappearing message: 90s, 15m, 2h, "
	    "7d, 1w\n"
	    "      --reply-to ID|FILE     answer the letter with this id (as "
	    "xc-open prints\n"
	    "                             it) in the inbox, or in FILE; to "
	    "its sender\n"
	    "                             unless -r or -R name the "
	    "recipients\n"
	    "      --reply-all            ... and to its other recipients\n"
	    "      --level N              1 sealed, 2 private (default), 3 "
	    "verified\n"
	    "  -a, --armor                ASCII-armored (PEM) output\n"
	    "  -o, --output OUT           write to OUT, created only on success\n"
	    "      --home DIR             the keyring (default $XC_HOME)\n"
	    "      --passphrase-file FILE unlock the identity with FILE's first "
	    "line\n"
	    "\nRaw mode (plain age v1, no letter):\n"
	    "      --raw                  encrypt INPUT as it is\n"
	    "  -r, --recipient AGE1...    an age X25519 recipient (repeatable)\n"
	    "  -R, --recipients-file FILE one recipient per line (repeatable)\n"
	    "  -p, --passphrase           read a passphrase from the terminal\n"
	    "      --passphrase-file FILE read the passphrase from FILE's first "
	    "line\n"
	    "      --work-factor N        scrypt work factor log2 N, 1-22 "
	    "(default 18)\n"
	    "\nDetached signatures (minisign's format):\n"
	    "      --sign FILE            sign FILE with the identity key; to "
	    "FILE.minisig or -o\n"
	    "\n  -h, --help                 print this help and exit\n"
	    "  -V, --version              print the version and exit\n"
	    "\nExit status: 0 ok, 1 refused (unknown, changed or expired "
	    "recipient, level\nnot reachable), 2 usage, 3 bad input, 4 system "
	    "error.  See xc-seal(1), xc(7).\n");
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
	(void)xc_identity_sweep(home, h, cli_now());
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
	    "xc:@%s", (long long)cli_now(), bcopy ? basename(bcopy) : "-", h);
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

/* ---- letters ---- */

/* Reads the message text whole (it is signed and hashed before it is
 * written); plain memory grown by doubling, wiped when freed. */
static int
read_body(int fd, const char *what, uint8_t **out, size_t *outlen)
{
	uint8_t *buf = NULL, *bigger;
	size_t len = 0, cap = 0;

	for (;;) {
		ssize_t n;
		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 65536;
			if (cap > XC_MAX_BODY) {
				cli_error("the message text is larger than "
				    "16 MiB");
				cli_hint("attach large data with -A FILE");
				free(buf);
				return EX_BADINPUT;
			}
			if ((bigger = malloc(ncap + 1)) == NULL) {
				cli_error("out of memory");
				free(buf);
				return EX_SYSTEM;
			}
			if (len)
				memcpy(bigger, buf, len);
			if (buf)
				sodium_memzero(buf, len);
			free(buf);
			buf = bigger;
			cap = ncap;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			cli_error("cannot read '%s': %s", what, strerror(errno));
			free(buf);
			return EX_SYSTEM;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > XC_MAX_BODY) {
		cli_error("the message text is larger than 16 MiB");
		cli_hint("attach large data with -A FILE");
		sodium_memzero(buf, len);
		free(buf);
		return EX_BADINPUT;
	}
	*out = buf;
	*outlen = len;
	return 0;
}

/* A file's name as a part name: its base name, control characters and
 * backslashes made '_', leading dots and dashes dropped, invalid UTF-8
 * made '_', cut to 255 bytes on a character boundary. */
static void
part_name(char out[XC_MAX_NAME + 1], const char *path)
{
	const char *b = strrchr(path, '/');
	const unsigned char *p;
	size_t k = 0;

	b = b ? b + 1 : path;
	while (*b == '.' || *b == '-')
		b++;
	for (p = (const unsigned char *)b; *p && k < XC_MAX_NAME;) {
		size_t n = xc_utf8_char(p, strlen((const char *)p));
		char one[8];

		/* A character the library refuses in a name on its own
		 * (bidirectional and invisible format ones) becomes '_' too. */
		if (n > 1) {
			memcpy(one, p, n);
			one[n] = '\0';
		}
		if (n == 0 || *p < 0x20 || *p == 0x7f || *p == '\\' ||
		    (n > 1 && xc_part_name_ok(one) != 0)) {
			out[k++] = '_';
			p += n > 1 ? n : 1;
			continue;
		}
		if (k + n > XC_MAX_NAME)
			break;
		memcpy(out + k, p, n);
		k += n;
		p += n;
	}
	out[k] = '\0';
	if (k == 0)
		snprintf(out, XC_MAX_NAME + 1, "attachment");
}

/* Makes parts[i]'s name unique among parts[0..i-1]: "a.txt", "a.1.txt". */
static void
unique_name(xc_part *parts, size_t i)
{
	char base[XC_MAX_NAME + 1], *dot;
	size_t j;
	int k = 0, clash;

	memcpy(base, parts[i].name, sizeof base);
	do {
		clash = 0;
		for (j = 0; j < i; j++)
			if (strcmp(parts[j].name, parts[i].name) == 0)
				clash = 1;
		if (clash) {
			k++;
			dot = strrchr(base, '.');
			if (dot && dot != base)
				snprintf(parts[i].name, sizeof parts[i].name,
				    "%.*s.%d%s", (int)(dot - base) > 240 ? 240 :
				    (int)(dot - base), base, k, dot);
			else
				snprintf(parts[i].name, sizeof parts[i].name,
				    "%.240s.%d", base, k);
		}
	} while (clash);
}

/* "90", "90s", "15m", "2h", "7d", "1w": seconds, at most a year. */
static int64_t
duration(const char *s)
{
	char *e;
	long long v;
	int64_t mul = 1;

	errno = 0;
	v = strtoll(s, &e, 10);
	if (e == s || errno || v <= 0)
		return -1;
	if (*e != '\0') {
		switch (*e) {
		case 's': mul = 1; break;
		case 'm': mul = 60; break;
		case 'h': mul = 3600; break;
		case 'd': mul = 86400; break;
		case 'w': mul = 7 * 86400; break;
		default: return -1;
		}
		if (e[1] != '\0')
			return -1;
	}
	if (v > 366LL * 86400 / mul)
		return -1;
	return (int64_t)v * mul;
}

/* A recipient by name: an own identity (a note to self: always my own
 * key, whatever card claims my handle), else a contact (pinned, not
 * changed) by its local name.  Returns an exit code. */
static int
recipient(const char *home, const char *arg, int64_t now, xc_card *c,
    int *verified)
{
	char h[XC_HANDLE_MAX + 1], fp[XC_FINGERPRINT_LEN + 1];
	xc_contact ct;
	int rc, own = 0;

	if (xc_handle_norm(h, arg, strlen(arg)) != 0)
		return EX_USAGE_;	/* checked before, in letter() */
	if (xc_identity_get(home, h, c) == 0) {
		*verified = own = 1;
		goto check;
	}
	rc = xc_contact_get(home, h, &ct);
	if (rc == XC_ENOTFOUND) {
		cli_error("@%s is not a contact", h);
		cli_hint("import their card: xc-verify --import CARD (or a "
		    "stranger's: xc-verify --strangers, --adopt), or give -R "
		    "CARD");
		return EX_NO;
	}
	if (rc < 0)
		return cli_report(rc, h);
	if (ct.state == XC_TRUST_CHANGED) {
		xc_fingerprint(fp, ct.pending.handle, ct.pending.ik);
		cli_error("@%s has offered a card with a new identity key", h);
		cli_hint("compare fingerprints, then: xc-verify --accept @%s "
		    "'%s'", h, fp);
		return EX_NO;
	}
	*c = ct.card;
	*verified = ct.state == XC_TRUST_VERIFIED;
check:
	if (xc_card_check_time(c, now) != 0) {
		cli_error("the card of @%s has expired", h);
		if (own)
			cli_hint("renew it: xc-keygen --rotate @%s", h);
		else
			cli_hint("@%s renews it with xc-keygen --rotate; a "
			    "letter from them brings the new card, or import "
			    "it: xc-verify --import CARD", h);
		return EX_NO;
	}
	cli_card_warn(home, c, own, h, now);
	return 0;
}

/* Opens an attachment: "-" is stdin, and so is any path that names the
 * same open file (/dev/stdin); anything readable but a directory is
 * taken (a pipe, a process substitution's /dev/fd/N, a terminal).
 * Returns an exit code. */
static int
open_attachment(const char *path, xc_part *pt, int *stdin_used)
{
	struct stat sb, in;

	if (strcmp(path, "-") == 0)
		pt->fd = 0;
	else if ((pt->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		cli_error("cannot open '%s': %s", path, strerror(errno));
		return EX_SYSTEM;
	}
	if (fstat(pt->fd, &sb) != 0 || S_ISDIR(sb.st_mode)) {
		cli_error("'%s' is a directory", path);
		cli_hint("attach files (or pipes); tar a directory first");
		return EX_USAGE_;
	}
	if (pt->fd == 0 || (fstat(0, &in) == 0 && in.st_dev == sb.st_dev &&
	    in.st_ino == sb.st_ino)) {
		if (*stdin_used) {
			cli_error("standard input attached twice");
			return EX_USAGE_;
		}
		*stdin_used = 1;
	}
	part_name(pt->name, strcmp(path, "-") == 0 ? "stdin" : path);
	return 0;
}

/* ---- replies ---- */

/* The letter --reply-to names: a path, or the id of an envelope in the
 * keyring's inbox (new/ or cur/), whole or its first 8 or more hex
 * digits, as xc-open and xc-fetch print it.  Writes the path. */
static int
find_parent(const char *home, const char *arg, char path[XC_PATH_MAX])
{
	static const char *const subs[] = { "new", "cur" };
	char dir[XC_PATH_MAX], id[XC_ENVID_HEX + 1];
	struct dirent *e;
	struct stat sb;
	const char *info;
	size_t k, n = strlen(arg), found = 0;
	int64_t exp;
	DIR *d;

	if (stat(arg, &sb) == 0 || strchr(arg, '/') != NULL) {
		if (snprintf(path, XC_PATH_MAX, "%s", arg) >= XC_PATH_MAX) {
			cli_error("'%s': path too long", arg);
			return EX_USAGE_;
		}
		return 0;
	}
	for (k = 0; k < n; k++)
		if (!strchr("0123456789abcdef", arg[k]))
			break;
	if (k != n || n < 8 || n > XC_ENVID_HEX) {
		cli_error("--reply-to '%s': neither a file nor an envelope id",
		    arg);
		cli_hint("give the id xc-open or xc-fetch printed (64 hex "
		    "digits, or the first 8 or more), or the envelope's path");
		return EX_USAGE_;
	}
	for (k = 0; k < 2; k++) {
		cli_path(dir, sizeof dir, "%s/inbox/%s", home, subs[k]);
		if ((d = opendir(dir)) == NULL)
			continue;
		while ((e = readdir(d)) != NULL)
			if (xc_maildir_parse_name(e->d_name, id, &exp, &info)
			    == 0 && strncmp(id, arg, n) == 0 && found++ == 0)
				cli_path(path, XC_PATH_MAX, "%s/%s", dir,
				    e->d_name);
		closedir(d);
	}
	if (found == 1)
		return 0;
	if (found == 0) {
		cli_error("--reply-to %s: no such letter in the inbox", arg);
		cli_hint("give the envelope's path instead: --reply-to FILE");
		return EX_SYSTEM;
	}
	cli_error("--reply-to %s: %zu letters in the inbox have ids that "
	    "begin so", arg, found);
	cli_hint("give more of the id");
	return EX_USAGE_;
}

/* The local name of the contact (or own identity) whose card has the
 * fingerprint fp, into name; 0 if there is one. */
static int
name_of(const char *home, const char *fp, char name[XC_HANDLE_MAX + 1])
{
	char (*hs)[XC_HANDLE_MAX + 1], dir[XC_PATH_MAX];
	struct dirent *e;
	xc_contact ct;
	xc_card c;
	size_t n = 0, i;
	DIR *d;
	int found = 0;

	if ((hs = calloc(XC_MAX_IDENTITIES, sizeof *hs)) != NULL &&
	    xc_identity_list(home, hs, XC_MAX_IDENTITIES, &n) == 0)
		for (i = 0; i < n && !found; i++)
			if (xc_identity_get(home, hs[i], &c) == 0 &&
			    xc_fingerprint_is(fp, &c)) {
				memcpy(name, hs[i], XC_HANDLE_MAX + 1);
				found = 1;
			}
	free(hs);
	cli_path(dir, sizeof dir, "%s/contacts", home);
	if (!found && (d = opendir(dir)) != NULL) {
		while (!found && (e = readdir(d)) != NULL)
			if (e->d_name[0] != '.' &&
			    xc_contact_get(home, e->d_name, &ct) == 0 &&
			    xc_fingerprint_is(fp, &ct.card)) {
				memcpy(name, ct.name, XC_HANDLE_MAX + 1);
				found = 1;
			}
		closedir(d);
	}
	return found ? 0 : -1;
}

/* What a reply takes from the letter it answers. */
struct parent {
	char id[XC_ID_HEX + 1], thread[XC_ID_HEX + 1];
	char (*to)[XC_HANDLE_MAX + 2];	/* "@name" of each recipient */
	size_t nto;
};

/* Opens the letter answered with the keyring's keys (pw: the passphrase
 * already read, or NULL) and finds its recipients for the reply: its
 * sender, and with all every other recipient but me, each by the local
 * name of its contact.  Returns an exit code. */
static int
parent_open(const char *home, const char *arg, int all, const char *pw,
    size_t pwlen, const char *pwfile, int64_t now, struct parent *p)
{
	char path[XC_PATH_MAX], name[XC_HANDLE_MAX + 1];
	char fp[XC_FINGERPRINT_LEN + 1];
	struct cli_key *keys = NULL;
	xc_ids *ids = NULL;
	xc_letter L;
	xc_contact ct;
	size_t i, j;
	int code, rc, fd = -1;

	memset(&L, 0, sizeof L);
	L.dirfd = -1;
	if ((code = find_parent(home, arg, path)) != 0)
		return code;
	if ((ids = xc_ids_new()) == NULL) {
		cli_error("out of memory");
		return EX_SYSTEM;
	}
	if ((code = cli_own_keys_pw(home, NULL, pw, pwlen, pwfile, 1, now,
	    ids, &keys)) != 0)
		goto out;
	if ((code = cli_open_in(path, &fd)) != 0)
		goto out;
	/* Attachments are checked, not kept (dirfd -1). */
	if ((rc = xc_letter_open((xc_rd){ xc_fd_read, &fd }, ids, -1, &L))
	    < 0) {
		cli_error("--reply-to '%s': %s", path, rc == XC_ENOMATCH ?
		    "not for me: no key of mine opens it" : xc_errdetail());
		code = cli_exit_code(rc);
		goto out;
	}
	memcpy(p->id, L.id, sizeof p->id);
	memcpy(p->thread, L.thread[0] ? L.thread : L.id, sizeof p->thread);
	if ((p->to = calloc(L.nto + 1, sizeof *p->to)) == NULL) {
		cli_error("out of memory");
		code = EX_SYSTEM;
		goto out;
	}
	if (!L.is_signed) {
		cli_error("--reply-to '%s': an unsigned letter has no sender "
		    "to reply to", path);
		cli_hint("name the recipients: -r @HANDLE");
		code = EX_NO;
		goto out;
	}
	xc_fingerprint(fp, L.sender.handle, L.ik);
	if (xc_identity_by_key(home, L.ik, name) == 0)
		;	/* my own letter: a note to myself */
	else if (xc_contact_by_key(home, L.ik, L.sender.handle, &ct) == 0)
		memcpy(name, ct.name, sizeof name);
	else {
		cli_error("--reply-to '%s': the sender, @%s, is a stranger "
		    "(fingerprint %s)", path, L.sender.handle, fp);
		cli_hint("if you know them, compare fingerprints, then: "
		    "xc-verify --adopt '%s'", fp);
		code = EX_NO;
		goto out;
	}
	snprintf(p->to[p->nto++], sizeof *p->to, "@%s", name);
	for (i = 0; all && i < L.nto; i++) {
		int mine = 0;
		/* Not me: a recipient whose card is an own identity's is
		 * me, whichever of my identities it is. */
		for (j = 0; keys && j < xc_ids_count(ids) && !mine; j++) {
			xc_card c;
			if (xc_identity_get(home, keys[j].handle, &c) == 0 &&
			    xc_fingerprint_is(L.to[i].fp, &c))
				mine = 1;
		}
		if (mine || xc_fingerprint_is(L.to[i].fp, &L.sender))
			continue;
		if (name_of(home, L.to[i].fp, name) != 0) {
			cli_error("--reply-all: @%s (fingerprint %s) is not a "
			    "contact", L.to[i].handle, L.to[i].fp);
			cli_hint("import their card (xc-verify --import CARD), "
			    "or name the recipients with -r");
			code = EX_NO;
			goto out;
		}
		for (j = 0; j < p->nto; j++)
			if (strcmp(p->to[j] + 1, name) == 0)
				break;
		if (j == p->nto)
			snprintf(p->to[p->nto++], sizeof *p->to, "@%s", name);
	}
out:
	if (fd > 0)
		close(fd);
	xc_letter_free(&L);
	xc_ids_free(ids);
	free(keys);
	return code;
}

/* The largest envelope xc-send takes with the transports of the
 * environment and the config (xc(7), "Transports"): the spool's
 * max-size (xc-spool(5)), read from its marker, and with servers what
 * the network carries.  *what names the limit and where says, for the
 * hint, what sets it. */
static uint64_t
send_max_size(const char *home, const char **what,
    char where[XC_PATH_MAX + 64])
{
	static xc_config cf;	/* large; used once per process */
	char dir[XC_PATH_MAX], p[XC_PATH_MAX + 16], *buf;
	uint64_t max = XC_SPOOL_MAX_SIZE;
	size_t len, line;
	int old;

	*what = "the spool's max-size";
	snprintf(where, XC_PATH_MAX + 64, "the setting is the default "
	    "max-size");
	/* The envelope is made: a config xc-send will refuse is worth a
	 * warning here, not an error with status 0. */
	if (xc_config_load(&cf, home, p, &line, &old) < 0) {
		if (line)
			cli_warn("config '%s' line %zu: %s: the envelope's size "
			    "was not checked against xc-send's limit", p, line,
			    xc_errdetail());
		else
			cli_warn("config '%s': %s: the envelope's size was not "
			    "checked against xc-send's limit", p,
			    xc_errdetail());
		return UINT64_MAX;
	}
	memset(&cf, 0, sizeof cf);
	if (cli_transports(home, NULL, &cf, dir) != 0)
		return max;
	if (dir[0] == '\0')
		max = UINT64_MAX;
	else if (snprintf(p, sizeof p, "%s/xc-spool", dir) < (int)sizeof p &&
	    xc_read_file(p, XC_MAX_MARKER, 0, &buf, &len) == 0) {
		if (xc_spool_marker_parse(buf, len, &max) < 0)
			max = XC_SPOOL_MAX_SIZE;
		sodium_free(buf);
		snprintf(where, XC_PATH_MAX + 64, "the setting is max-size in "
		    "'%s'", p);
	} else
		snprintf(where, XC_PATH_MAX + 64, "the setting is the default "
		    "max-size of a new spool, '%s'", dir);
	if (cf.nserver > 0 && max > XC_NET_MAX_ENVELOPE) {
		max = XC_NET_MAX_ENVELOPE;
		*what = "what the network carries";
		snprintf(where, XC_PATH_MAX + 64, "the config names servers; "
		    "a spool carries more: xc-send --spool DIR");
	}
	return max;
}

struct letter_args {
	const char *homeopt, *me, *pwfile, *outpath, *inpath, *ttl, *reply_to;
	const char **rs, **cards, **files;
	size_t nr, ncards, nfiles;
	int armor, anonymous, level, reply_all;
};

static int
letter(const struct letter_args *la)
{
	char home[XC_PATH_MAX], h[XC_HANDLE_MAX + 1], *pw = NULL, *card = NULL;
	uint8_t *seed = NULL, *body = NULL;
	size_t bodylen = 0, cardlen = 0, pwlen = 0, i, nto = 0, np = 0;
	int64_t now = cli_now(), ttl = 0;
	int code = 0, rc, infd = -1, allverified = 1, stdin_used = 0;
	xc_card *to = NULL;
	xc_part *parts = NULL;
	xc_seal_opts o;
	struct cli_out out = { 1, NULL, NULL, NULL };
	struct cli_progress prog_;
	struct cli_counted counted;
	struct parent parent;
	xc_armor_wr *aw = NULL;
	const char **rs = la->rs, **rsalloc = NULL;
	size_t nr = la->nr;

	memset(&parent, 0, sizeof parent);
	if (la->ttl && (ttl = duration(la->ttl)) < 0)
		cli_usage_error(usage, "--ttl takes a duration such as 90s, "
		    "15m, 2h, 7d or 1w, up to a year");
	if (la->reply_all && la->reply_to == NULL)
		cli_usage_error(usage, "--reply-all goes with --reply-to");
	if (la->reply_all && la->nr + la->ncards > 0)
		cli_usage_error(usage, "--reply-all fills in the recipients; "
		    "-r and -R name them instead");
	if (la->level == 0) {
		cli_error("level 0 (signed, not encrypted) is a detached "
		    "signature");
		cli_hint("use xc-seal --sign FILE");
		return EX_USAGE_;
	}
	if (la->level == 4) {
		cli_error("level 4 needs Tor transport and cover traffic, "
		    "which xc does not offer yet");
		return EX_USAGE_;
	}
	if (la->nr + la->ncards == 0 && la->reply_to == NULL)
		cli_usage_error(usage, "no recipients: give -r @HANDLE or "
		    "-R CARD");
	if (la->nr + la->ncards > XC_MAX_RECIPIENTS)
		cli_usage_error(usage, "at most %d recipients",
		    XC_MAX_RECIPIENTS);
	if (la->nfiles + 1 > XC_MAX_PARTS)
		cli_usage_error(usage, "at most %d attachments",
		    XC_MAX_PARTS - 1);
	if (!la->armor && (la->outpath == NULL ||
	    strcmp(la->outpath, "-") == 0) && isatty(1)) {
		cli_error("refusing to write binary output to a terminal");
		cli_hint("use -a for armored text, or -o FILE");
		return EX_USAGE_;
	}
	for (i = 0; i < la->nr; i++)
		if (xc_handle_norm(h, la->rs[i], strlen(la->rs[i])) != 0) {
			cli_error("'%s' is not a handle", la->rs[i]);
			cli_hint("a handle is @ and 1-32 of a-z 0-9 _; age "
			    "recipients go with --raw");
			return EX_USAGE_;
		}
	if (xc_home(home, la->homeopt) < 0) {
		cli_error("%s", xc_errdetail());
		return EX_SYSTEM;
	}
	to = calloc(la->nr + la->ncards + 1, sizeof *to);
	parts = calloc(la->nfiles + 1, sizeof *parts);
	if (to == NULL || parts == NULL) {
		cli_error("out of memory");
		code = EX_SYSTEM;
		goto out;
	}
	for (i = 0; i <= la->nfiles; i++)
		parts[i].fd = -1;
	if (!la->anonymous) {
		if ((code = cli_pick_identity(home, la->me, h)) != 0)
			goto out;
		if (xc_identity_locked(home, h) == 1) {
			code = la->pwfile ? cli_passphrase_file(la->pwfile, &pw,
			    &pwlen) : cli_passphrase_tty(0, &pw, &pwlen);
			if (code)
				goto out;
		}
		/* Retired keys past their grace go whenever keys load. */
		(void)xc_identity_sweep(home, h, now);
		rc = xc_identity_seed(home, h, pw, pwlen, &seed);
		if (rc == 0)
			rc = xc_identity_card(home, h, &card, &cardlen);
		if (rc < 0) {
			cli_error("@%s: %s", h, xc_errdetail());
			code = rc == XC_ENOTFOUND ? EX_SYSTEM : cli_exit_code(rc);
			goto out;
		}
		{
			xc_card mine;
			if (xc_card_parse(&mine, card, cardlen) == 0)
				cli_card_warn(home, &mine, 1, h, now);
		}
	}
	/* A reply goes to the sender of the letter it answers (and with
	 * --reply-all to its other recipients), unless -r or -R name them. */
	if (la->reply_to) {
		if ((code = parent_open(home, la->reply_to, la->reply_all, pw,
		    pwlen, la->pwfile, now, &parent)) != 0)
			goto out;
		if (la->nr + la->ncards == 0) {
			free(to);
			to = NULL;
			rs = rsalloc = calloc(parent.nto, sizeof *rs);
			if (rs == NULL || (to = calloc(parent.nto,
			    sizeof *to)) == NULL) {
				cli_error("out of memory");
				code = EX_SYSTEM;
				goto out;
			}
			for (i = 0; i < parent.nto; i++)
				rs[i] = parent.to[i];
			nr = parent.nto;
		}
	}
	for (i = 0; i < nr; i++) {
		int v = 0;
		if ((code = recipient(home, rs[i], now, &to[nto], &v)) != 0)
			goto out;
		allverified &= v;
		nto++;
	}
	for (i = 0; i < la->ncards; i++) {
		char *buf;
		size_t len;
		int outcome;
		xc_contact ct;
		if ((code = cli_slurp(la->cards[i], XC_MAX_CARD, 0, &buf,
		    &len)) != 0)
			goto out;
		/* What it will do is said before it is done. */
		rc = xc_contact_import(home, buf, len, NULL, now, 1,
		    &outcome, &ct);
		if (rc == 0 && (outcome == XC_IMPORT_NEW ||
		    outcome == XC_IMPORT_ROTATED)) {
			char fp[XC_FINGERPRINT_LEN + 1];
			xc_fingerprint(fp, ct.card.handle, ct.card.ik);
			fprintf(stderr, "xc-seal: @%s: %s, fingerprint %s\n",
			    ct.name, outcome == XC_IMPORT_NEW ? "new contact" :
			    "card updated", fp);
		}
		if (rc == 0 || rc == XC_EKEYCHANGE)
			rc = xc_contact_import(home, buf, len, NULL, now, 0,
			    &outcome, &ct);
		cli_slurp_free(buf, len);
		if (rc == XC_EKEYCHANGE) {
			char fp[XC_FINGERPRINT_LEN + 1];
			xc_fingerprint(fp, ct.pending.handle, ct.pending.ik);
			cli_error("'%s': @%s is known with another identity key",
			    la->cards[i], ct.name);
			cli_hint("compare fingerprints, then: xc-verify --accept "
			    "@%s '%s'", ct.name, fp);
			code = EX_NO;
			goto out;
		}
		if (rc == XC_ETAKEN) {
			cli_error("'%s': %s", la->cards[i], xc_errdetail());
			cli_hint("import it under a name of your choosing: "
			    "xc-verify --import --name @NAME '%s'",
			    la->cards[i]);
			code = EX_NO;
			goto out;
		}
		if (rc < 0) {
			code = cli_report(rc, la->cards[i]);
			goto out;
		}
		if (ct.state == XC_TRUST_CHANGED) {
			char fp[XC_FINGERPRINT_LEN + 1];
			xc_fingerprint(fp, ct.pending.handle, ct.pending.ik);
			cli_error("@%s has offered a card with a new identity "
			    "key", ct.name);
			cli_hint("xc-verify --accept @%s '%s'", ct.name, fp);
			code = EX_NO;
			goto out;
		}
		if (xc_card_check_time(&ct.card, now) != 0) {
			cli_error("'%s': the card of @%s has expired",
			    la->cards[i], ct.card.handle);
			code = EX_NO;
			goto out;
		}
		allverified &= ct.state == XC_TRUST_VERIFIED;
		to[nto++] = ct.card;
	}
	/* One copy for a key named twice (two names may share a handle). */
	for (i = 1; i < nto; i++) {
		size_t j;
		for (j = 0; j < i; j++)
			if (sodium_memcmp(to[i].ik, to[j].ik, 32) == 0) {
				memmove(&to[i], &to[i + 1],
				    (nto - i - 1) * sizeof *to);
				nto--;
				i--;
				break;
			}
	}
	if (la->level == 3) {
		if (!allverified) {
			cli_error("level 3 needs every recipient verified");
			cli_hint("compare safety numbers, then: xc-verify "
			    "--mark-verified @HANDLE");
			code = EX_NO;
			goto out;
		}
		if (ttl == 0) {
			cli_error("level 3 needs a disappearing message: give "
			    "--ttl");
			code = EX_USAGE_;
			goto out;
		}
	}
	/* The attachments: files, pipes, process substitutions, "-" or
	 * /dev/stdin, each opened here and read once, to its end. */
	for (i = 0; i < la->nfiles; i++) {
		xc_part *pt = &parts[i + 1];
		if ((code = open_attachment(la->files[i], pt, &stdin_used)) != 0)
			goto out;
		if (strcmp(pt->name, XC_BODY_NAME) == 0 ||
		    strcmp(pt->name, XC_TRAILER_NAME) == 0)
			snprintf(pt->name, sizeof pt->name, "%s",
			    pt->name[0] == 'm' ? "message.1.txt" :
			    "xc-letter.1");
		unique_name(parts, i + 1);
	}
	np = la->nfiles + 1;
	/* The text: MESSAGE_FILE or stdin; none when stdin is an attachment,
	 * or a terminal and only files are sent. */
	if (la->inpath == NULL && la->nfiles > 0 && (stdin_used || isatty(0)))
		body = calloc(1, 1);
	else {
		if ((code = cli_open_in(la->inpath, &infd)) != 0)
			goto out;
		if ((code = read_body(infd, la->inpath ? la->inpath : "-",
		    &body, &bodylen)) != 0)
			goto out;
	}
	if (body == NULL) {
		cli_error("out of memory");
		code = EX_SYSTEM;
		goto out;
	}
	snprintf(parts[0].name, sizeof parts[0].name, "%s", XC_BODY_NAME);
	parts[0].body = 1;
	parts[0].mem = body;
	parts[0].memlen = bodylen;
	memset(&o, 0, sizeof o);
	o.seed = seed;
	o.card = card;
	o.cardlen = cardlen;
	o.to = to;
	o.nto = nto;
	o.date = now;
	o.expires = ttl ? now + ttl : 0;
	o.reply_to = la->reply_to ? parent.id : NULL;
	o.thread = la->reply_to ? parent.thread : NULL;
	o.level = la->level;
	o.armor = la->armor;
	o.parts = parts;
	o.nparts = np;
	if ((code = cli_out_open(&out, la->outpath, la->inpath)) != 0)
		goto out;
	{
		/* About what will be written: the parts, tar's headers,
		 * padding and the payload's tags (compression may end it
		 * early). */
		uint64_t total = bodylen + 4096;
		for (i = 1; i < np; i++) {
			struct stat sb;
			if (fstat(parts[i].fd, &sb) == 0)
				total += (uint64_t)sb.st_size + 2048;
		}
		total = xc_padme(total);
		cli_progress_init(&prog_, total + total / 65536 * 16 + 1024);
	}
	/* Armor is put on here, so that what is counted is the binary
	 * envelope: what xc-send stores and its max-size bounds. */
	o.armor = 0;
	if (la->armor && (rc = xc_armor_wr_new(&aw, (xc_wr){ xc_fd_write,
	    &out.fd }, &counted.under.wr)) < 0) {
		code = cli_report(rc, NULL);
		cli_out_abort(&out);
		goto out;
	}
	if (!la->armor)
		counted.under.wr = (xc_wr){ xc_fd_write, &out.fd };
	counted.p = &prog_;
	rc = xc_letter_seal(&o, (xc_wr){ cli_counted_write, &counted });
	if (rc == 0 && aw)
		rc = xc_armor_wr_close(aw);
	cli_progress_end(&prog_);
	if (rc < 0) {
		code = cli_report(rc, rc == XC_EWRITE ? (la->outpath ?
		    la->outpath : "-") : NULL);
		cli_out_abort(&out);
		goto out;
	}
	code = cli_out_commit(&out);
	if (code == 0) {
		/* Said now, not when xc-send refuses it. */
		char where[XC_PATH_MAX + 64];
		const char *what;
		uint64_t max = send_max_size(home, &what, where);
		uint64_t size = prog_.done;
		if (size > max) {
			cli_warn("the envelope (%llu bytes) is larger than "
			    "%s, %llu bytes: xc-send will refuse it",
			    (unsigned long long)size, what,
			    (unsigned long long)max);
			cli_hint("%s", where);
		}
	}
out:
	if (pw)
		cli_passphrase_free(pw);
	sodium_free(seed);
	free(card);
	if (body) {
		sodium_memzero(body, bodylen);
		free(body);
	}
	for (i = 0; parts && i <= la->nfiles; i++)
		if (parts[i].fd > 0)
			close(parts[i].fd);
	free(parts);
	free(to);
	free(rsalloc);
	free(parent.to);
	xc_armor_wr_free(aw);
	if (infd > 0)
		close(infd);
	return code;
}

/* Operand lists live as long as the process; file scope keeps them
 * reachable on every exit path (usage errors exit from cli.c). */
static const char **rs, **rfiles, **afiles;

int
main(int argc, char **argv)
{
	enum { OPT_RAW = 256, OPT_PWFILE, OPT_WF, OPT_SIGN, OPT_HOME, OPT_TTL,
		OPT_REPLY, OPT_LEVEL, OPT_ANON, OPT_REPLYALL };
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
		{"attach", required_argument, NULL, 'A'},
		{"ttl", required_argument, NULL, OPT_TTL},
		{"reply-to", required_argument, NULL, OPT_REPLY},
		{"reply-all", no_argument, NULL, OPT_REPLYALL},
		{"level", required_argument, NULL, OPT_LEVEL},
		{"anonymous", no_argument, NULL, OPT_ANON},
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}
	};
	const char *pwfile = NULL, *signfile = NULL, *me = NULL,
	    *homeopt = NULL,
	    *outpath = NULL, *inpath = NULL;
	size_t nr = 0, nrf = 0, na = 0, i;
	struct letter_args la;
	int raw = 0, armor = 0, askpw = 0, logn = 0, c, code = 0, infd = 0,
	    rc;
	struct cli_out out = { 1, NULL, NULL, NULL };
	struct cli_progress prog_;
	struct cli_counted counted;
	xc_rcpts *r = NULL;
	xc_rd rd;
	xc_wr wr;

	prog = "xc-seal";
	cli_harden();
	cli_start();
	rs = calloc((size_t)argc, sizeof *rs);
	rfiles = calloc((size_t)argc, sizeof *rfiles);
	afiles = calloc((size_t)argc, sizeof *afiles);
	memset(&la, 0, sizeof la);
	la.level = 2;
	if (rs == NULL || rfiles == NULL || afiles == NULL) {
		cli_error("out of memory");
		return EX_SYSTEM;
	}
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":ar:R:A:po:u:hV", longopts, NULL))
	    != -1)
		switch (c) {
		case OPT_RAW: raw = 1; break;
		case 'a': armor = 1; break;
		case OPT_SIGN: signfile = optarg; break;
		case 'u': me = optarg; break;
		case OPT_HOME: homeopt = optarg; break;
		case 'r': rs[nr++] = optarg; break;
		case 'R': rfiles[nrf++] = optarg; break;
		case 'A': afiles[na++] = optarg; break;
		case OPT_TTL: la.ttl = optarg; break;
		case OPT_REPLY:
			if (la.reply_to)
				cli_usage_error(usage, "--reply-to given twice");
			la.reply_to = optarg;
			break;
		case OPT_REPLYALL: la.reply_all = 1; break;
		case OPT_ANON: la.anonymous = 1; break;
		case OPT_LEVEL:
			if (optarg[0] < '0' || optarg[0] > '4' || optarg[1])
				cli_usage_error(usage, "--level takes 0 to 4");
			la.level = optarg[0] - '0';
			break;
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
		if (raw || armor || nr || nrf || na || askpw || logn ||
		    la.ttl || la.reply_to || la.reply_all || la.anonymous ||
		    la.level != 2 ||
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
	if (!raw) {
		if (askpw || logn)
			cli_usage_error(usage, "-p and --work-factor go with "
			    "--raw");
		if (la.anonymous && me)
			cli_usage_error(usage, "--anonymous and -u conflict");
		if (sodium_init() < 0) {
			cli_error("cannot initialise libsodium");
			return EX_SYSTEM;
		}
		la.homeopt = homeopt;
		la.me = me;
		la.pwfile = pwfile;
		la.outpath = outpath;
		la.inpath = inpath;
		la.rs = rs;
		la.nr = nr;
		la.cards = rfiles;
		la.ncards = nrf;
		la.files = afiles;
		la.nfiles = na;
		la.armor = armor;
		code = letter(&la);
		free(rs);
		free(rfiles);
		free(afiles);
		return cli_close_stdout(code);
	}
	if (me || homeopt || na || la.ttl || la.reply_to || la.reply_all ||
	    la.anonymous || la.level != 2)
		cli_usage_error(usage, "-u, --home, -A, --ttl, --reply-to, "
		    "--level and --anonymous go with letters, not --raw");
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
	{
		struct stat sb;
		cli_progress_init(&prog_, fstat(infd, &sb) == 0 &&
		    S_ISREG(sb.st_mode) ? (uint64_t)sb.st_size : 0);
	}
	counted.under.rd = (xc_rd){ xc_fd_read, &infd };
	counted.p = &prog_;
	rd.read = cli_counted_read;
	rd.ctx = &counted;
	wr.write = xc_fd_write;
	wr.ctx = &out.fd;
	rc = xc_age_encrypt(rd, wr, r, armor);
	cli_progress_end(&prog_);
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
	free(afiles);
	if (infd > 0)
		close(infd);
	return cli_close_stdout(code);
}
