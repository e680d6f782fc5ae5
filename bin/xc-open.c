/*
 * xc-open - open xc envelopes.  Letters: decrypt, check the signature, every
 * part's hash and the limits, find who the sender is to this keyring (own
 * identity, contact, verified contact or stranger: a letter never changes
 * that), refuse replays, and only then release the text and attachments.
 * --raw: plain age v1 files, armored or binary, opened with age identity
 * files or a passphrase.
 *
 * Streaming rule (as age) in raw mode: each 64 KiB chunk is written once its
 * tag verifies, so what reaches stdout before a failure is authenticated.
 * With -o the output appears only when the whole file has verified.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "cli.h"

static const char usage[] =
    "usage: xc-open [-d] [--home DIR] [-u @ME | -i IDENTITY_FILE...] [-D DIR]"
    " [--json]\n"
    "               [--min-level N] [--allow-forwarded] [--allow-anonymous]"
    " [--allow-replay]\n"
    "               [--passphrase-file FILE] [ENVELOPE...]\n"
    "       xc-open --raw [-d] [-i IDENTITY_FILE]... [-p | --passphrase-file"
    " FILE] [-o OUT] [INPUT]\n";

static void
help(void)
{
	printf("%s", usage);
	printf("\nOpen letters: check the signature, every part's hash and the "
	    "limits, then\nwrite the text to standard output and attachments "
	    "to DIR.  With no ENVELOPE,\nstandard input is one envelope or a "
	    "list of envelope paths, one per line.\n"
	    "\n"
	    "  -D, --dir DIR           save attachments in DIR (default .); "
	    "never overwrites\n"
	    "      --json              one JSON object per message, for "
	    "scripts\n"
	    "      --min-level N       refuse letters below level N (0-4)\n"
	    "      --allow-forwarded   open letters re-encrypted by someone "
	    "else\n"
	    "      --allow-anonymous   open unsigned letters (level 0)\n"
	    "      --allow-replay      open a letter opened before from another "
	    "envelope,\n"
	    "                          or dated before the replay window (60 "
	    "days)\n"
	    "  -u, --as @ME            use only this identity's keys\n"
	    "  -i, --identity FILE     an age identity file instead of the "
	    "keyring\n"
	    "      --home DIR          the keyring (default $XC_HOME)\n"
	    "      --passphrase-file FILE\n"
	    "                          unlock passphrase-protected keys\n"
	    "\nRaw mode (plain age v1):\n"
	    "      --raw               decrypt INPUT as it is, to stdout or -o\n"
	    "  -i, --identity FILE     age identity file (repeatable)\n"
	    "  -p, --passphrase        read a passphrase from the terminal\n"
	    "  -o, --output OUT        write to OUT, created only on success\n"
	    "\n  -d, --decrypt           accepted, as age's: xc-open only decrypts\n"
	    "  -h, --help              print this help and exit\n"
	    "  -V, --version           print the version and exit\n"
	    "\nLetters never change trust: a sender whose key is not a contact "
	    "is a stranger,\nwhatever handle it claims (level 1 at most; its "
	    "card waits for\nxc-verify --adopt).\n"
	    "\nExit status: 0 every message opened and verified, 1 refused (not "
	    "for me, bad\nsignature, expired, key changed, forwarded, unsigned, "
	    "below --min-level),\n2 usage, 3 bad input, 4 system error, 7 a "
	    "replay.  See xc-open(1), xc(7).\n");
}

/* Operand lists live as long as the process; file scope keeps them
 * reachable on every exit path (usage errors exit from cli.c). */
static const char **idfiles;

/* ---- letters ---- */

struct ctx {
	char home[XC_PATH_MAX];
	xc_ids *ids;
	size_t nkeys;
	struct cli_key *owner;	/* each key's identity ("" with -i) */
	const char *dirpath;
	int dirfd, json, minlevel, allowfwd, allowanon, allowreplay, keyring;
	int64_t now;
	/* keys of the keyring, loaded for the first letter (a passphrase is
	 * asked once, and not at all when there is nothing to open) */
	const char *me, *pwfile;
	int keys_code, keys_tried;
	/* the inbox's new/ and cur/, to mark letters read; -1 unknown */
	int homefd, newfd, curfd, marked;
	int out_broken;		/* standard output failed: stop */
	xc_card *own;		/* the own identities' current cards */
	size_t nown;
	uint64_t size;		/* of the envelope being opened, 0 unknown */
	struct cli_progress prog;
	/* the envelope id of the one being opened (from its inbox name, or
	 * hashed while it is read) */
	char envid[XC_ENVID_HEX + 1];
	int envid_known;
	/* human mode: letters opened, printed in date order by flush() */
	struct pending *pend;
	size_t npend, cappend, pendbytes, opened, printed;
	int queued;		/* the last open_one queued a letter */
};

/* A letter opened in human mode, waiting for its turn on stdout. */
struct pending {
	int64_t date;
	size_t seq;		/* input order, for letters of one date */
	char *summary;		/* the one-line summary */
	uint8_t *body;
	size_t bodylen;
	char *path;		/* to mark read after printing; NULL: stdin */
	struct stat st;
};

/* The own identity named h, or whose identity key is ik. */
static const xc_card *
own_card(const struct ctx *c, const char *h, const uint8_t *ik)
{
	size_t i;

	for (i = 0; i < c->nown; i++)
		if ((h != NULL && strcmp(c->own[i].handle, h) == 0) ||
		    (ik != NULL && sodium_memcmp(c->own[i].ik, ik, 32) == 0))
			return &c->own[i];
	return NULL;
}

/* Level 3 was called "forward-secret"; it has no key of its own, so it is
 * named for what it checks (xc(7), Security levels). */
static const char *const level_names[] = { "signed", "sealed", "private",
	"verified", "anonymous" };

/* Level 0 of an unsigned letter is not "signed". */
#define LEVEL_NAME(L, lv) ((L)->is_signed ? level_names[lv] : "unsigned")

/* Who the sender is to this keyring; a letter never changes it. */
struct sender {
	const char *state;	/* own, contact, verified, stranger, anonymous */
	char name[XC_HANDLE_MAX + 1];	/* the contact's local name */
	int64_t pinned;
	const char *conflict;	/* a stranger claiming a "contact" or "own"
				 * handle, or NULL */
	char cfp[XC_FINGERPRINT_LEN + 1];	/* ... and that one's key */
	uint64_t oldseq;	/* the letter brought a later card */
	int equivocal;		/* the letter's card forks the contact's */
};

/* What a letter leaves unprotected, from what was checked (xc(7) has the
 * long form).  No level hides timing or the network address yet. */
static size_t
gaps(const xc_letter *L, const char *state, const char *out[10])
{
	size_t n = 0;

	if (!L->is_signed)
		out[n++] = "sender not authenticated (unsigned letter)";
	else if (strcmp(state, "stranger") == 0)
		out[n++] = "sender is a stranger (key not a contact)";
	else if (strcmp(state, "contact") == 0)
		out[n++] = "sender not verified in person";
	out[n++] = L->padded ? "size class (16 KiB, or Padme: at most 12% "
	    "more)" : "letter size (not padded)";
	out[n++] = "forward secrecy only as fine as key rotation";
	if (L->expires == 0)
		out[n++] = "not disappearing (no expiry)";
	out[n++] = "number of recipients and mailbox tag prefixes (to relays)";
	out[n++] = "timing";
	out[n++] = "network address";
	return n;
}

static int
json_out(cJSON *j)
{
	char *t = cJSON_PrintUnformatted(j);
	int rc = t == NULL || cli_json_fputs(t, stdout) != 0 ||
	    putchar('\n') == EOF ? -1 : 0;

	free(t);
	return rc;
}

/* One failure: stderr, and with --json an object with the error class. */
static int
fail(const struct ctx *c, const char *file, const char *cls, int code,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int
fail(const struct ctx *c, const char *file, const char *cls, int code,
    const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	cli_error("%s: %s", file, msg);
	if (c->json) {
		cJSON *j = cJSON_CreateObject();
		cJSON_AddBoolToObject(j, "ok", 0);
		cJSON_AddStringToObject(j, "path", file);
		if (c->envid_known)
			cJSON_AddStringToObject(j, "id", c->envid);
		else
			cJSON_AddNullToObject(j, "id");
		cJSON_AddStringToObject(j, "error", cls);
		cJSON_AddStringToObject(j, "message", msg);
		json_out(j);
		cJSON_Delete(j);
	}
	return code;
}

/* "header failure: DETAIL", as raw mode and age say it. */
static const char *
prefixed(int rc, const char *d)
{
	static char buf[256];

	snprintf(buf, sizeof buf, "%s: %s", xc_strerror(rc), d);
	return buf;
}

static const char *
err_class(int rc)
{
	switch (rc) {
	case XC_ENOMATCH: return "not-for-me";
	case XC_ESIG: return "bad-signature";
	case XC_EEXPIRED: return "expired";
	case XC_EKEYCHANGE: return "key-changed";
	case XC_ENOMEM: case XC_EREAD: case XC_EWRITE: case XC_EEXIST:
	case XC_EINSECURE: case XC_ENOTFOUND: case XC_ELOCKED:
		return "system";
	}
	return "bad-input";
}

/* Who signed: an own identity, a contact (whose later card the letter may
 * bring: a rotation, not a change of trust), or a stranger, whatever handle
 * it claims (its card goes to the quarantine).  A contact with a pending key
 * change is XC_EKEYCHANGE. */
static int
sender_of(const struct ctx *c, const xc_letter *L, struct sender *s)
{
	const xc_card *mine;
	xc_contact ct, up;
	xc_card other;
	int rc, outcome = 0;

	memset(s, 0, sizeof *s);
	if (!L->is_signed) {
		s->state = "anonymous";
		return 0;
	}
	if ((mine = own_card(c, NULL, L->ik)) != NULL) {
		memcpy(s->name, mine->handle, sizeof s->name);
		s->state = "own";
		return 0;
	}
	rc = xc_contact_by_key(c->home, L->ik, L->sender.handle, &ct);
	if (rc == 0) {
		memcpy(s->name, ct.name, sizeof s->name);
		s->pinned = ct.pinned;
		/* Only a card other than the pinned one can change it. */
		if (memcmp(L->sender.hash, ct.card.hash, 32) != 0 &&
		    L->sender.seq >= ct.card.seq)
			rc = xc_contact_update(c->home, &L->sender, L->card,
			    L->cardlen, c->now, &outcome, &up);
		if (rc == 0 && outcome == XC_IMPORT_ROTATED) {
			s->oldseq = ct.card.seq;
			ct = up;
		} else if (rc == XC_EEQUIVOCAL)
			s->equivocal = 1;
		if (ct.state == XC_TRUST_CHANGED)
			return xc_fail(XC_EKEYCHANGE, "has a pending key change");
		s->state = xc_trust_name(ct.state);
		cli_card_warn(c->home, &ct.card, 0, ct.name, c->now);
		return 0;
	}
	if (rc != XC_ENOTFOUND)
		return rc;
	s->state = "stranger";
	(void)xc_stranger_keep(c->home, &L->sender, L->card, L->cardlen,
	    c->now);
	if ((mine = own_card(c, L->sender.handle, NULL)) != NULL) {
		s->conflict = "own";
		other = *mine;
	}
	else if (xc_contact_get(c->home, L->sender.handle, &ct) == 0) {
		s->conflict = "contact";
		other = ct.card;
	}
	if (s->conflict)
		xc_fingerprint(s->cfp, other.handle, other.ik);
	return 0;
}

/* The level reached: the sender's claim, capped by what was checked.
 * current: the key that opened it is on my newest card. */
static int
reached(const xc_letter *L, const char *state, int current)
{
	int lv = L->level;

	if (!L->is_signed)
		return 0;
	if (lv > 3)
		lv = 3;
	if (lv >= 3 && (strcmp(state, "verified") != 0 &&
	    strcmp(state, "own") != 0))
		lv = 2;
	if (lv >= 3 && (L->expires == 0 || !current))
		lv = 2;
	if (lv >= 2 && (!L->padded || strcmp(state, "stranger") == 0))
		lv = 1;
	return lv;
}

static void
iso(char out[32], int64_t t)
{
	xc_utc(out, t, 1);
}

/* Why the replay check let it through: NULL (a new letter), "reopened"
 * (this envelope again) or, with --allow-replay, the replay's kind. */
struct replay {
	int reopened;
	const char *allowed;
};

static int queue_letter(struct ctx *, int64_t, char *, const uint8_t *,
    size_t);

static int
report(struct ctx *c, const char *file, const xc_letter *L,
    const char *me, const struct sender *s, int lv, const char *fwd,
    const struct replay *rp)
{
	char when[32], fp[XC_FINGERPRINT_LEN + 1] = "";
	size_t i;
	int code;

	if (L->is_signed)
		xc_fingerprint(fp, L->sender.handle, L->ik);
	if (!c->json) {
		/* One line, written at once, escaped on a terminal; then the
		 * summary that heads the text when several letters are read
		 * (flush). */
		char *msg = NULL, *sum = NULL;
		size_t mlen = 0, slen = 0;
		FILE *m = open_memstream(&msg, &mlen), *sm;
		if (m == NULL)
			return EX_SYSTEM;
		if ((sm = open_memstream(&sum, &slen)) == NULL) {
			fclose(m);
			free(msg);
			return EX_SYSTEM;
		}
		iso(when, L->date);
		fprintf(m, "%s: ", file);
		if (!L->is_signed) {
			fprintf(m, "anonymous (unsigned), level 0, %s", when);
			fprintf(sm, "anonymous (unsigned), level 0, %s", when);
		} else {
			if (s->name[0] && strcmp(s->name, L->sender.handle) != 0)
				fprintf(m, "from @%s (%s, handle @%s, %s)",
				    s->name, s->state, L->sender.handle, fp);
			else
				fprintf(m, "from @%s (%s, %s)",
				    L->sender.handle, s->state, fp);
			fprintf(m, ", level %d %s, %s", lv, level_names[lv],
			    when);
			fprintf(sm, "from @%s (%s), level %d %s, %s",
			    s->name[0] ? s->name : L->sender.handle, s->state,
			    lv, level_names[lv], when);
		}
		fprintf(m, ", id %s", c->envid);
		fprintf(sm, ", id %s", c->envid);
		if (fwd) {
			fprintf(m, ", forwarded: %s", fwd);
			fprintf(sm, ", forwarded");
		}
		if (rp->reopened)
			fprintf(m, ", opened before");
		if (rp->allowed)
			fprintf(m, ", replay: %s", rp->allowed);
		/* The attachments by the names they were saved under. */
		if (L->nparts > 1)
			fprintf(sm, ", %zu attachment%s:", L->nparts - 1,
			    L->nparts == 2 ? "" : "s");
		for (i = 1; i < L->nparts && i <= 3; i++)
			fprintf(sm, "%s %s", i > 1 ? "," : "", L->parts[i].saved);
		if (L->nparts > 4)
			fprintf(sm, " and %zu more", L->nparts - 4);
		fclose(m);
		if (fclose(sm) != 0) {
			free(msg);
			free(sum);
			return EX_SYSTEM;
		}
		fprintf(stderr, "xc-open: ");
		cli_safe_fwrite(stderr, msg, mlen, 0);
		fputc('\n', stderr);
		free(msg);
		for (i = 1; i < L->nparts; i++) {
			fprintf(stderr, "xc-open: saved ");
			cli_safe_fputs(c->dirpath, stderr);
			fputc('/', stderr);
			cli_safe_fputs(L->parts[i].saved, stderr);
			fprintf(stderr, " (%s, %llu bytes)\n", L->parts[i].type,
			    (unsigned long long)L->parts[i].size);
		}
		return queue_letter(c, L->date, sum, L->body, L->bodylen);
	}
	{
		cJSON *j = cJSON_CreateObject(), *a, *g;
		char path[XC_PATH_MAX + XC_MAX_NAME + 16];
		cJSON_AddBoolToObject(j, "ok", 1);
		cJSON_AddStringToObject(j, "path", file);
		cJSON_AddStringToObject(j, "id", c->envid);
		if (L->is_signed) {
			cJSON_AddStringToObject(j, "from", L->sender.handle);
			cJSON_AddStringToObject(j, "fingerprint", fp);
		} else {
			cJSON_AddNullToObject(j, "from");
			cJSON_AddNullToObject(j, "fingerprint");
		}
		cJSON_AddStringToObject(j, "verification", s->state);
		if (s->name[0])
			cJSON_AddStringToObject(j, "contact", s->name);
		else
			cJSON_AddNullToObject(j, "contact");
		if (s->pinned > 0) {
			iso(when, s->pinned);
			cJSON_AddStringToObject(j, "pinned", when);
		} else
			cJSON_AddNullToObject(j, "pinned");
		if (s->conflict) {
			cJSON *k = cJSON_AddObjectToObject(j, "claim_conflict");
			cJSON_AddStringToObject(k, "name", L->sender.handle);
			cJSON_AddStringToObject(k, "with", s->conflict);
			cJSON_AddStringToObject(k, "fingerprint", s->cfp);
		} else
			cJSON_AddNullToObject(j, "claim_conflict");
		cJSON_AddBoolToObject(j, "card_updated", s->oldseq != 0);
		if (me && *me)
			cJSON_AddStringToObject(j, "to", me);
		else
			cJSON_AddNullToObject(j, "to");
		cJSON_AddNumberToObject(j, "level", lv);
		cJSON_AddStringToObject(j, "level_name", LEVEL_NAME(L, lv));
		cJSON_AddNumberToObject(j, "claimed_level", L->level);
		g = cJSON_AddArrayToObject(j, "not_protected");
		{
			const char *gv[10];
			size_t k, ng = gaps(L, s->state, gv);
			for (k = 0; k < ng; k++)
				cJSON_AddItemToArray(g, cJSON_CreateString(gv[k]));
		}
		cJSON_AddStringToObject(j, "message_id", L->id);
		iso(when, L->date);
		cJSON_AddStringToObject(j, "date", when);
		if (L->expires) {
			iso(when, L->expires);
			cJSON_AddStringToObject(j, "expires", when);
		} else
			cJSON_AddNullToObject(j, "expires");
		if (L->reply_to[0])
			cJSON_AddStringToObject(j, "reply_to", L->reply_to);
		else
			cJSON_AddNullToObject(j, "reply_to");
		if (L->thread[0])
			cJSON_AddStringToObject(j, "thread", L->thread);
		else
			cJSON_AddNullToObject(j, "thread");
		cJSON_AddBoolToObject(j, "forwarded", fwd != NULL);
		if (fwd)
			cJSON_AddStringToObject(j, "forwarded_reason", fwd);
		cJSON_AddBoolToObject(j, "reopened", rp->reopened);
		if (rp->allowed)
			cJSON_AddStringToObject(j, "replay", rp->allowed);
		else
			cJSON_AddNullToObject(j, "replay");
		if (xc_utf8_valid(L->body, L->bodylen) &&
		    memchr(L->body, 0, L->bodylen) == NULL)
			cJSON_AddStringToObject(j, "body", (char *)L->body);
		else {
			size_t n = sodium_base64_ENCODED_LEN(L->bodylen,
			    sodium_base64_VARIANT_ORIGINAL);
			char *b = malloc(n);
			if (b) {
				sodium_bin2base64(b, n, L->body, L->bodylen,
				    sodium_base64_VARIANT_ORIGINAL);
				cJSON_AddStringToObject(j, "body_base64", b);
			}
			free(b);
		}
		a = cJSON_AddArrayToObject(j, "attachments");
		for (i = 1; i < L->nparts; i++) {
			cJSON *p = cJSON_CreateObject();
			cli_path(path, sizeof path, "%s/%s", c->dirpath,
			    L->parts[i].saved);
			cJSON_AddStringToObject(p, "name", L->parts[i].name);
			cJSON_AddStringToObject(p, "path", path);
			cJSON_AddStringToObject(p, "type", L->parts[i].type);
			cJSON_AddNumberToObject(p, "size",
			    (double)L->parts[i].size);
			cJSON_AddItemToArray(a, p);
		}
		code = json_out(j) < 0 ? EX_SYSTEM : 0;
		cJSON_Delete(j);
		return code;
	}
}

/* The keyring directory, opened once (not through a link below it). */
static int
home_fd(struct ctx *c)
{
	if (c->homefd < 0 && xc_mkdirs(c->home) == 0)
		c->homefd = open(c->home, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return c->homefd;
}

/* A disappearing letter's attachments are deleted by xc-fetch when it
 * expires: "EXPIRY DEV INO PATH" lines in $XC_HOME/state/expiring.d/DAY,
 * DAY being EXPIRY / 86400, so that xc-fetch reads only the days that
 * have come. */
static void
remember_expiring(struct ctx *c, const xc_letter *L)
{
	char dir[XC_PATH_MAX], line[XC_PATH_MAX + 80], day[32];
	struct stat sb;
	size_t i;
	int fd, lockfd, sfd, efd;

	if (L->nparts < 2 || realpath(c->dirpath, dir) == NULL ||
	    home_fd(c) < 0)
		return;
	if (xc_dir_open(c->homefd, "state", XC_DIR_CREATE | XC_DIR_OWNED,
	    0700, &sfd) < 0)
		return;
	if (xc_lock_at(sfd, "expiring.lock", 1, &lockfd) < 0) {
		close(sfd);
		return;
	}
	snprintf(day, sizeof day, "%lld", (long long)(L->expires / 86400));
	if (xc_dir_open(sfd, "expiring.d", XC_DIR_CREATE | XC_DIR_OWNED, 0700,
	    &efd) == 0) {
		if ((fd = openat(efd, day, O_WRONLY | O_APPEND | O_CREAT |
		    O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600)) >= 0) {
			for (i = 1; i < L->nparts; i++) {
				int n;
				if (fstatat(c->dirfd, L->parts[i].saved, &sb,
				    AT_SYMLINK_NOFOLLOW) != 0)
					continue;
				n = snprintf(line, sizeof line, "%lld %llu %llu "
				    "%s/%s\n", (long long)L->expires,
				    (unsigned long long)sb.st_dev,
				    (unsigned long long)sb.st_ino, dir,
				    L->parts[i].saved);
				if (n > 0 && n < (int)sizeof line &&
				    xc_fd_write(&fd, (uint8_t *)line,
				    (size_t)n) < 0)
					break;
			}
			fsync(fd);
			close(fd);
			xc_dir_sync(efd);
		}
		close(efd);
	}
	close(lockfd);
	close(sfd);
}

/* ---- read means read ---- */

/* The keyring's inbox/new and inbox/cur, opened once (-2: none). */
static void
inbox_dirs(struct ctx *c)
{
	int ifd;

	if (c->newfd != -1)
		return;
	c->newfd = c->curfd = -2;
	if (home_fd(c) >= 0 && xc_dir_open(c->homefd, "inbox", XC_DIR_OWNED,
	    0, &ifd) == 0) {
		if (xc_dir_open(ifd, "new", XC_DIR_OWNED, 0, &c->newfd) < 0 ||
		    xc_dir_open(ifd, "cur", XC_DIR_OWNED, 0, &c->curfd) < 0) {
			if (c->newfd >= 0)
				close(c->newfd);
			c->newfd = c->curfd = -2;
		}
		close(ifd);
	}
}

/* Whether path, the file st, is a letter in the keyring's inbox/new
 * (returns 1) or inbox/cur (2), under the name xc-fetch gave it: the
 * name's id is then the envelope's, checked when it was delivered
 * (xc-spool(5)), and need not be hashed again.  0 otherwise. */
static int
in_inbox(struct ctx *c, const char *path, const struct stat *st,
    char id[XC_ENVID_HEX + 1])
{
	char *dcopy, *bcopy, *base;
	struct stat dsb, nsb, a;
	const char *info;
	int64_t exp;
	int dfd, which = 0, k;

	inbox_dirs(c);
	if (c->newfd < 0 || (dcopy = strdup(path)) == NULL)
		return 0;
	if ((bcopy = strdup(path)) == NULL) {
		free(dcopy);
		return 0;
	}
	base = basename(bcopy);
	if (xc_maildir_parse_name(base, id, &exp, &info) == 0 &&
	    (dfd = open(dirname(dcopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC))
	    >= 0) {
		for (k = 1; k <= 2 && !which; k++) {
			int sub = k == 1 ? c->newfd : c->curfd;
			/* The directory is inbox/new or cur, and the name
			 * the file we read. */
			if (fstat(dfd, &dsb) == 0 && fstat(sub, &nsb) == 0 &&
			    dsb.st_dev == nsb.st_dev &&
			    dsb.st_ino == nsb.st_ino &&
			    fstatat(sub, base, &a, AT_SYMLINK_NOFOLLOW) == 0 &&
			    a.st_dev == st->st_dev && a.st_ino == st->st_ino &&
			    (k == 2 || *info == '\0'))
				which = k;
		}
		close(dfd);
	}
	free(dcopy);
	free(bcopy);
	return which;
}

/* A letter of the keyring's inbox/new that opened: moved to inbox/cur
 * with the maildir info ":2,S" (seen), so that xc-fetch --unread no
 * longer lists it.  Letters elsewhere are left where they are. */
static int
mark_read(struct ctx *c, const char *path, const struct stat *st)
{
	char id[XC_ENVID_HEX + 1], to[XC_ENVNAME_MAX + 8], *bcopy, *base;

	if (in_inbox(c, path, st, id) != 1 || (bcopy = strdup(path)) == NULL)
		return 0;
	base = basename(bcopy);
	snprintf(to, sizeof to, "%s:2,S", base);
	if (renameat(c->newfd, base, c->curfd, to) == 0)
		c->marked++;
	else if (errno != ENOENT) {
		cli_error("%s: opened, but cannot be marked read (inbox/cur): "
		    "%s", path, strerror(errno));
		free(bcopy);
		return EX_SYSTEM;
	}
	free(bcopy);
	return 0;
}

/* The marks are made durable once per run. */
static int
sync_marks(struct ctx *c)
{
	if (c->marked && (xc_dir_sync(c->curfd) < 0 ||
	    xc_dir_sync(c->newfd) < 0)) {
		cli_error("inbox '%s/inbox': cannot sync the letters marked "
		    "read: %s", c->home, strerror(errno));
		return EX_SYSTEM;
	}
	return 0;
}

/* ---- reading: letters in date order ---- */

/* Letters a run holds before it prints them: the order is by date within
 * each batch. */
#define PEND_MAX 1000
#define PEND_BYTES ((size_t)64 << 20)

static int
queue_letter(struct ctx *c, int64_t date, char *summary, const uint8_t *body,
    size_t len)
{
	struct pending *p;

	if (c->npend == c->cappend) {
		size_t n = c->cappend ? c->cappend * 2 : 16;
		if ((p = realloc(c->pend, n * sizeof *p)) == NULL) {
			free(summary);
			return EX_SYSTEM;
		}
		c->pend = p;
		c->cappend = n;
	}
	p = &c->pend[c->npend];
	memset(p, 0, sizeof *p);
	if ((p->body = malloc(len + 1)) == NULL) {
		free(summary);
		return EX_SYSTEM;
	}
	memcpy(p->body, body, len);
	p->bodylen = len;
	p->date = date;
	p->seq = c->opened++;
	p->summary = summary;
	c->npend++;
	c->pendbytes += len;
	c->queued = 1;
	return 0;
}

static int
by_date(const void *a, const void *b)
{
	const struct pending *x = a, *y = b;

	if (x->date != y->date)
		return x->date < y->date ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Prints the letters held, oldest first: the text alone when the run
 * opened one letter, else each text after a blank line and a summary
 * line ("=== from @alice (contact), level 2 private, DATE, id ID, ...").
 * Then, the output being out, marks them read. */
static int
flush(struct ctx *c)
{
	size_t i;
	int code = 0, rc, several = c->opened > 1;

	if (c->npend == 0)
		return 0;
	qsort(c->pend, c->npend, sizeof *c->pend, by_date);
	for (i = 0; i < c->npend && !c->out_broken; i++) {
		struct pending *p = &c->pend[i];
		if (several) {
			if (c->printed++ > 0)
				putchar('\n');
			fputs("=== ", stdout);
			cli_safe_fputs(p->summary, stdout);
			putchar('\n');
		}
		cli_safe_fwrite(stdout, p->body, p->bodylen, 1);
		if (several && p->bodylen > 0 && p->body[p->bodylen - 1] != '\n')
			putchar('\n');
	}
	if (!c->out_broken && (fflush(stdout) != 0 || ferror(stdout))) {
		cli_error("cannot write to standard output: %s",
		    strerror(errno));
		c->out_broken = 1;
	}
	if (c->out_broken)
		code = EX_SYSTEM;
	for (i = 0; i < c->npend; i++) {
		struct pending *p = &c->pend[i];
		/* What was printed must be out before it counts as read. */
		if (!c->out_broken && p->path &&
		    (rc = mark_read(c, p->path, &p->st)) != 0 && !code)
			code = rc;
		sodium_memzero(p->body, p->bodylen);
		free(p->body);
		free(p->summary);
		free(p->path);
	}
	c->npend = c->pendbytes = 0;
	return code;
}

/* ---- signals ---- */

/* The letter being read: its attachments wait in ".xc-HEX.part" files in
 * the output directory, which a signal must not leave behind. */
static xc_letter *volatile sig_letter;
static volatile int sig_dirfd = -1;

static int
is_part(void *arg, const char *n)
{
	size_t i;

	(void)arg;
	if (strncmp(n, ".xc-", 4) != 0)
		return 0;
	for (i = 4; i < 20; i++)
		if (!((n[i] >= '0' && n[i] <= '9') || (n[i] >= 'a' && n[i] <= 'f')))
			return 0;
	return strcmp(n + 20, ".part") == 0;
}

static void
on_signal(void)
{
	xc_letter *L = sig_letter;
	size_t i, n;

	if (L == NULL || sig_dirfd < 0 || L->parts == NULL)
		return;
	n = L->nparts <= XC_MAX_PARTS ? L->nparts : XC_MAX_PARTS;
	for (i = 0; i < n; i++)
		if (is_part(NULL, L->parts[i].tmp))
			unlinkat(sig_dirfd, L->parts[i].tmp, 0);
}

/* Output directory: xc-open runs hold a shared lock on it; one that gets
 * it alone first removes the ".xc-HEX.part" files killed runs left. */
static void
claim_dir(int dirfd)
{
	if (flock(dirfd, LOCK_EX | LOCK_NB) == 0)
		xc_tmp_sweep(dirfd, is_part, NULL, NULL);
	flock(dirfd, LOCK_SH);
}

/* The keys of the keyring, for the first letter. */
static int
need_keys(struct ctx *c)
{
	if (c->keys_tried)
		return c->keys_code;
	c->keys_tried = 1;
	c->keys_code = cli_own_keys(c->home, c->me, c->pwfile, 1, c->now,
	    c->ids, &c->owner);
	c->nkeys = xc_ids_count(c->ids);
	return c->keys_code;
}

/* stdin, with the bytes already peeked at served first. */
struct prefixed {
	const uint8_t *pre;
	size_t prelen, off;
	int fd;
};

static int
prefixed_read(void *ctx, uint8_t *buf, size_t len, size_t *got)
{
	struct prefixed *p = ctx;

	if (p->off < p->prelen) {
		size_t n = p->prelen - p->off < len ? p->prelen - p->off : len;
		memcpy(buf, p->pre + p->off, n);
		p->off += n;
		*got = n;
		return 0;
	}
	return xc_fd_read(&p->fd, buf, len, got);
}

/* The identity of an envelope, for the replay check: BLAKE2b-128 of its age
 * header (through the MAC line), its payload nonce and its length, all of
 * the binary envelope (armor is taken off first, so an armored copy is the
 * same envelope).  For a letter that verifies these fix every other byte:
 * the MAC binds the header to the file key, key and nonce fix the payload
 * key, and the signed, canonical letter fixes the plaintext.  Hashing the
 * header only keeps a large letter's open as fast as before. */
struct tap {
	xc_rd src;
	crypto_generichash_state st;
	int phase;		/* 0 header, 1 nonce, 2 payload */
	size_t col, dashes, nonce;
	uint64_t total;
	/* The envelope id, BLAKE2b-256 of every byte, when the name does
	 * not give it (a file outside the inbox, stdin). */
	int whole;
	crypto_generichash_state all;
	/* A large envelope is hashed on a thread of its own, fed through a
	 * pipe: a second core instead of a slower decryption. */
	xc_pipe *pipe;
	pthread_t th;
};

static void *
hash_thread(void *arg)
{
	struct tap *t = arg;
	uint8_t buf[65536];
	size_t got;

	while (xc_pipe_read(t->pipe, buf, sizeof buf, &got) == 0 && got > 0)
		crypto_generichash_update(&t->all, buf, got);
	xc_pipe_close_read(t->pipe);
	return NULL;
}

/* Starts hashing the whole envelope (on a thread if it may be large). */
static void
tap_whole(struct tap *t, uint64_t size)
{
	t->whole = 1;
	crypto_generichash_init(&t->all, NULL, 0, 32);
	if ((size == 0 || size > (1u << 20)) &&
	    xc_pipe_new(&t->pipe, 1u << 20) == 0 &&
	    pthread_create(&t->th, NULL, hash_thread, t) != 0) {
		xc_pipe_free(t->pipe);
		t->pipe = NULL;
	}
}

/* The id, once every byte was read; 0 on success. */
static int
tap_id(struct tap *t, char id[XC_ENVID_HEX + 1], int ok)
{
	uint8_t h[32];

	if (t->pipe) {
		xc_pipe_close_write(t->pipe, ok ? 0 : XC_EREAD);
		pthread_join(t->th, NULL);
		xc_pipe_free(t->pipe);
		t->pipe = NULL;
	}
	if (!ok)
		return -1;
	crypto_generichash_final(&t->all, h, sizeof h);
	sodium_bin2hex(id, XC_ENVID_HEX + 1, h, sizeof h);
	return 0;
}

static int
tap_read(void *ctx, uint8_t *buf, size_t len, size_t *got)
{
	struct tap *t = ctx;
	size_t i, upto = 0;
	int rc;

	if ((rc = t->src.read(t->src.ctx, buf, len, got)) < 0)
		return rc;
	t->total += *got;
	if (t->pipe && *got > 0 && xc_pipe_write(t->pipe, buf, *got) < 0)
		return xc_fail(XC_ENOMEM, "the hashing thread stopped");
	else if (t->whole && t->pipe == NULL)
		crypto_generichash_update(&t->all, buf, *got);
	for (i = 0; i < *got && t->phase < 2; i++) {
		if (t->phase == 1) {
			if (++t->nonce == XC_NONCE_BYTES)
				t->phase = 2;
			upto = i + 1;
			continue;
		}
		/* The MAC line is the first line that starts "---". */
		if (buf[i] == '\n') {
			if (t->dashes == 3)
				t->phase = 1;
			t->col = t->dashes = 0;
		} else {
			if (t->col == t->dashes && t->col < 3 && buf[i] == '-')
				t->dashes++;
			t->col++;
		}
		upto = i + 1;
	}
	if (upto)
		crypto_generichash_update(&t->st, buf, upto);
	return 0;
}

static int
in_read(void *ctx, uint8_t *buf, size_t len, size_t *got)
{
	return xc_in_read(ctx, buf, len, got);
}

static int
open_one(struct ctx *c, const char *file, xc_rd rd)
{
	static const char magic[] = "age-encryption.org/";
	xc_letter L;
	xc_in *in = NULL;
	xc_armor_rd *ar = NULL;
	xc_replay *store = NULL;
	const xc_card *mine;
	struct sender s;
	struct tap tap;
	struct cli_counted counted;
	struct replay rp = { 0, NULL };
	const char *me = NULL, *fwd = NULL;
	const uint8_t *peek;
	char fwdbuf[96], fp[XC_FINGERPRINT_LEN + 1], when[32], since[32];
	uint8_t pk[32], env[16], buf[4096];
	size_t i, avail, got;
	int64_t start;
	int rc, lv, code, current = 0, verdict;

	if (c->out_broken)
		return EX_SYSTEM;
	if ((code = need_keys(c)) != 0)
		return code;
	memset(&L, 0, sizeof L);
	L.dirfd = -1;
	sig_letter = &L;
	if ((in = malloc(sizeof *in)) == NULL)
		return fail(c, file, "system", EX_SYSTEM, "out of memory");
	cli_progress_init(&c->prog, c->size);
	counted.under.rd = rd;
	counted.p = &c->prog;
	xc_in_init(in, (xc_rd){ cli_counted_read, &counted });
	memset(&tap, 0, sizeof tap);
	tap.src = (xc_rd){ in_read, in };
	crypto_generichash_init(&tap.st, NULL, 0, sizeof env);
	if (!c->envid_known) {
		tap_whole(&tap, c->size);
	}
	/* Armor off first, as the library would: not binary is armor. */
	if ((rc = xc_in_peek(in, sizeof magic - 1, &peek, &avail)) < 0 ||
	    (memcmp(peek, magic, avail < sizeof magic - 1 ? avail :
	    sizeof magic - 1) != 0 && (rc = xc_armor_rd_new_text(&ar, in,
	    &tap.src)) < 0))
		goto bad;
	rc = xc_letter_open((xc_rd){ tap_read, &tap }, c->ids, c->dirfd, &L);
	/* Whatever follows (nothing, for a letter that verified) counts. */
	while (rc == 0 && (rc = tap_read(&tap, buf, sizeof buf, &got)) == 0 &&
	    got > 0)
		;
bad:
	cli_progress_end(&c->prog);
	if (rc < 0 && tap.whole)
		(void)tap_id(&tap, NULL, 0);
	if (rc < 0) {
		const char *d = xc_errdetail();
		code = fail(c, file, err_class(rc), cli_exit_code(rc), "%s",
		    rc == XC_ENOMATCH ? "not for me: no key of mine opens it" :
		    rc == XC_EMAC ? "header MAC failure: the header was "
		    "modified or is corrupt" : rc == XC_EREAD ?
		    strerror(errno) : (rc == XC_EHEADER || rc == XC_EPAYLOAD ||
		    rc == XC_EARMOR) && *d ? prefixed(rc, d) : *d ? d :
		    xc_strerror(rc));
		/* An age file made by age or xc-seal --raw has no route. */
		if (!c->json && rc == XC_EHEADER && strstr(d, "xc-route"))
			cli_hint("a plain age file, not a letter: xc-open --raw "
			    "decrypts it (-i KEY, or it asks for a passphrase); "
			    "no signature says who made it");
		goto out;
	}
	crypto_generichash_update(&tap.st, (const uint8_t *)&tap.total,
	    sizeof tap.total);
	crypto_generichash_final(&tap.st, env, sizeof env);
	if (tap.whole && tap_id(&tap, c->envid, 1) == 0)
		c->envid_known = 1;
	for (i = 0; i < c->nkeys; i++)
		if (xc_ids_recipient(c->ids, i, pk) == 0 &&
		    sodium_memcmp(pk, L.key, 32) == 0) {
			me = c->owner[i].handle;
			break;
		}
	mine = me && *me ? own_card(c, me, NULL) : NULL;
	if (L.rewrapped)
		fwd = "re-encrypted by someone other than the sender";
	else if (mine && !xc_letter_addressed(&L, me, mine->ik)) {
		snprintf(fwdbuf, sizeof fwdbuf, "not addressed to @%s", me);
		fwd = fwdbuf;
	}
	/* Level 3 wants my newest key, not one a rotation retired. */
	for (i = 0; mine && i < mine->nenc; i++)
		if (sodium_memcmp(mine->enc[i].pk, L.key, 32) == 0)
			current = 1;
	if ((rc = sender_of(c, &L, &s)) < 0) {
		code = rc == XC_EKEYCHANGE ? fail(c, file, "key-changed", EX_NO,
		    "@%s: %s", s.name, xc_errdetail()) : fail(c, file,
		    err_class(rc), cli_exit_code(rc), "%s", xc_errdetail());
		if (!c->json && rc == XC_EKEYCHANGE)
			cli_hint("compare fingerprints, then: xc-verify "
			    "--accept @%s FINGERPRINT", s.name);
		goto out;
	}
	if (L.is_signed)
		xc_fingerprint(fp, L.sender.handle, L.ik);
	if (s.conflict && strcmp(s.conflict, "own") == 0)
		cli_warn("%s: claims to be @%s, is not you: your fingerprint "
		    "%s, theirs %s", file, L.sender.handle, s.cfp, fp);
	else if (s.conflict)
		cli_warn("%s: claims to be @%s, is not the @%s you know: "
		    "@%s's fingerprint %s, theirs %s", file, L.sender.handle,
		    L.sender.handle, L.sender.handle, s.cfp, fp);
	if (s.equivocal)
		cli_warn("%s: @%s's identity key signed two different cards "
		    "with one sequence number (equivocation); the pinned card "
		    "stays", file, s.name);
	if ((L.expires && c->now >= L.expires) ||
	    (L.route.expires && c->now >= L.route.expires)) {
		code = fail(c, file, "expired", EX_NO,
		    "the letter has expired (a disappearing message)");
		goto out;
	}
	if (!L.is_signed && !c->allowanon) {
		code = fail(c, file, "anonymous", EX_NO, "an unsigned letter: "
		    "nobody vouches for it; --allow-anonymous opens it");
		goto out;
	}
	lv = reached(&L, s.state, current);
	if (lv < c->minlevel) {
		code = fail(c, file, "below-min-level", EX_NO, "level %d (%s) "
		    "is below --min-level %d%s", lv, LEVEL_NAME(&L, lv),
		    c->minlevel, strcmp(s.state, "stranger") == 0 ?
		    " (from a stranger)" : "");
		goto out;
	}
	if (fwd && !c->allowfwd) {
		code = fail(c, file, "forwarded", EX_NO, "forwarded letter "
		    "(%s); --allow-forwarded opens it", fwd);
		goto out;
	}
	/* Last: once this says yes, the letter counts as opened. */
	if ((rc = xc_replay_open(&store, c->home)) < 0 ||
	    (rc = xc_replay_check(store, L.ik, L.id, env, L.date, c->now,
	    &verdict, &start)) < 0) {
		code = fail(c, file, "system", EX_SYSTEM, "the replay store: "
		    "%s", xc_errdetail());
		goto out;
	}
	iso(since, start);
	if (verdict == XC_REPLAY_OTHER && !c->allowreplay) {
		code = fail(c, file, "replay", EX_REPLAY, "a replay: this "
		    "letter %s%s was opened before, from another envelope; "
		    "--allow-replay opens it", L.is_signed ? "from @" :
		    "(unsigned)", L.is_signed ? L.sender.handle : "");
		goto out;
	}
	if (verdict == XC_REPLAY_OLD && !c->allowreplay) {
		iso(when, L.date);
		code = fail(c, file, "replay", EX_REPLAY, "dated %s, before "
		    "the replay window (since %s): it may have been opened "
		    "before; --allow-replay opens it", when, since);
		goto out;
	}
	if (verdict == XC_REPLAY_SAME)
		rp.reopened = 1;
	else if (verdict != XC_REPLAY_NEW)
		rp.allowed = verdict == XC_REPLAY_OTHER ? "other-envelope" :
		    "before-window";
	if (verdict == XC_REPLAY_NEW && (rc = xc_replay_add(store, L.ik,
	    L.id, env, L.date, c->now)) < 0) {
		code = fail(c, file, "system", EX_SYSTEM, "the replay store: "
		    "%s: %s", xc_errdetail(), strerror(errno));
		goto out;
	}
	xc_replay_close(store);
	store = NULL;
	{
		/* All the attachments or none: not cut short by a signal. */
		sigset_t block, old;
		sigemptyset(&block);
		sigaddset(&block, SIGINT);
		sigaddset(&block, SIGTERM);
		sigaddset(&block, SIGHUP);
		sigaddset(&block, SIGPIPE);
		pthread_sigmask(SIG_BLOCK, &block, &old);
		rc = xc_letter_commit(&L);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	if (rc < 0) {
		code = fail(c, file, "system", EX_SYSTEM, "%s: %s",
		    xc_errdetail(), strerror(errno));
		goto out;
	}
	if (L.expires)
		remember_expiring(c, &L);
	if (s.oldseq)
		fprintf(stderr, "xc-open: %s: @%s's card follows a rotation: "
		    "seq %llu, was %llu\n", file, s.name,
		    (unsigned long long)L.sender.seq,
		    (unsigned long long)s.oldseq);
	code = report(c, file, &L, me, &s, lv, fwd, &rp);
	if (!c->json && strcmp(s.state, "stranger") == 0)
		cli_hint("a stranger's card is kept aside; if you know them, "
		    "compare fingerprints, then: xc-verify --adopt '%s'", fp);
out:
	sig_letter = NULL;
	xc_replay_close(store);
	xc_letter_free(&L);
	xc_armor_rd_free(ar);
	free(in);
	/* What was printed must be out before the letter counts as read. */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error("cannot write to standard output: %s",
		    strerror(errno));
		c->out_broken = 1;
		code = EX_SYSTEM;
	}
	return code;
}

static int
open_path(struct ctx *c, const char *path)
{
	int fd, code;

	if (c->out_broken)
		return EX_SYSTEM;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return fail(c, path, "system", EX_SYSTEM, "cannot open: %s",
		    strerror(errno));
	{
		/* `xc-open -d DIR` from before -D: say where DIR goes. */
		struct stat sb;
		if (fstat(fd, &sb) != 0)
			memset(&sb, 0, sizeof sb);
		if (S_ISDIR(sb.st_mode)) {
			close(fd);
			code = fail(c, path, "system", EX_SYSTEM,
			    "is a directory, not an envelope");
			if (!c->json)
				cli_hint("attachments go to -D DIR; -d is age's "
				    "decrypt flag and takes no argument");
			return code;
		}
		c->size = S_ISREG(sb.st_mode) ? (uint64_t)sb.st_size : 0;
		c->envid_known = in_inbox(c, path, &sb, c->envid) != 0;
		c->queued = 0;
		code = open_one(c, path, (xc_rd){ xc_fd_read, &fd });
		c->size = 0;
		c->envid_known = 0;
		if (code == 0 && c->json)
			code = mark_read(c, path, &sb);
		else if (code == 0 && c->queued) {
			struct pending *p = &c->pend[c->npend - 1];
			p->st = sb;
			if ((p->path = strdup(path)) == NULL)
				code = EX_SYSTEM;
		}
	}
	close(fd);
	if (c->npend >= PEND_MAX || c->pendbytes >= PEND_BYTES) {
		int rc = flush(c);
		if (rc && !code)
			code = rc;
	}
	return code;
}

/* 1 if a line of buf is age's armor BEGIN line. */
static int
has_armor(const char *buf, size_t len)
{
	static const char begin[] = "-----BEGIN AGE ENCRYPTED FILE-----";
	const char *p = buf, *end = buf + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if ((size_t)(end - p) >= sizeof begin - 1 &&
		    memcmp(p, begin, sizeof begin - 1) == 0)
			return 1;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return 0;
}

/* No operand: stdin is one envelope (binary or armored, also within other
 * text) or a list of envelope paths, one per line. */
static int
open_stdin(struct ctx *c)
{
	static const char bin[] = "age-encryption.org/", arm[] = "-----BEGIN";
	uint8_t pre[64];
	size_t n = 0, k;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int code = 0, one;
	FILE *f;

	while (n < sizeof pre) {
		ssize_t r = read(0, pre + n, sizeof pre - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return fail(c, "-", "system", EX_SYSTEM,
			    "cannot read: %s", strerror(errno));
		if (r == 0)
			break;
		n += (size_t)r;
	}
	for (k = 0; k < n && strchr(" \t\r\n", pre[k]); k++)
		;
	one = (n >= sizeof bin - 1 && memcmp(pre, bin, sizeof bin - 1) == 0)
	    || (n - k >= sizeof arm - 1 && memcmp(pre + k, arm,
	    sizeof arm - 1) == 0);
	/* Nothing at all is an empty list: `xc-fetch | xc-open` in a cron
	 * job when no mail came. */
	if (n == 0)
		return 0;
	if (one) {
		struct prefixed p = { pre, n, 0, 0 };
		code = open_one(c, "-", (xc_rd){ prefixed_read, &p });
		c->envid_known = 0;
		return code;
	}
	/* A list: the peeked bytes, then the rest of stdin. */
	{
		char *all = NULL;
		size_t alen = 0;
		FILE *mem = open_memstream(&all, &alen);
		uint8_t buf[4096];
		ssize_t r;
		if (mem == NULL)
			return fail(c, "-", "system", EX_SYSTEM,
			    "out of memory");
		fwrite(pre, 1, n, mem);
		while ((r = read(0, buf, sizeof buf)) != 0) {
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0 || alen > 64u << 20) {
				fclose(mem);
				free(all);
				return fail(c, "-", "system", EX_SYSTEM,
				    "cannot read the list of envelopes");
			}
			fwrite(buf, 1, (size_t)r, mem);
			fflush(mem);
		}
		fclose(mem);
		/* Armor in other text (a pasted chat message) is one
		 * envelope; a list of paths has no such line. */
		if (has_armor(all, alen)) {
			xc_memrd m = { (const uint8_t *)all, alen, 0 };
			code = open_one(c, "-", (xc_rd){ xc_mem_read, &m });
			c->envid_known = 0;
			free(all);
			return code;
		}
		if ((f = fmemopen(all, alen, "r")) == NULL) {
			free(all);
			return fail(c, "-", "system", EX_SYSTEM,
			    "out of memory");
		}
		while ((len = getline(&line, &cap, f)) > 0) {
			int rc;
			if (line[len - 1] == '\n')
				line[--len] = '\0';
			if (len == 0)
				continue;
			if (memchr(line, '\0', (size_t)len) != NULL) {
				rc = fail(c, "-", "bad-input", EX_BADINPUT,
				    "neither an envelope nor a list of paths");
				code = code ? code : rc;
				break;
			}
			rc = open_path(c, line);
			if (rc && !code)
				code = rc;
		}
		free(line);
		fclose(f);
		free(all);
	}
	return code;
}

static int
letters(struct ctx *c, const char *homeopt, const char *me,
    const char *dirpath, const char *pwfile, int askpw, const char *outpath,
    size_t nid, int nops, char **ops)
{
	size_t i;
	int code = 0, rc;

	if (outpath)
		cli_usage_error(usage, "-o goes with --raw; letters write "
		    "text to stdout and files to -D DIR");
	if (askpw)
		cli_usage_error(usage, "-p goes with --raw");
	/* Typed alone, xc-open would wait for a list on the terminal. */
	if (nops == 0 && isatty(0)) {
		cli_error("no envelope given, and standard input is a "
		    "terminal");
		cli_hint("xc-open FILE.age..., or xc-fetch | xc-open; "
		    "xc-open - reads an armored envelope pasted here");
		return EX_USAGE_;
	}
	if (sodium_init() < 0) {
		cli_error("cannot initialise libsodium");
		return EX_SYSTEM;
	}
	c->now = cli_now();
	c->dirpath = dirpath ? dirpath : ".";
	c->homefd = -1;
	c->newfd = c->curfd = -1;
	if ((c->dirfd = open(c->dirpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC))
	    < 0) {
		cli_error("cannot open directory '%s': %s", c->dirpath,
		    strerror(errno));
		return EX_SYSTEM;
	}
	claim_dir(c->dirfd);
	sig_dirfd = c->dirfd;
	cli_on_signal = on_signal;
	if (xc_home(c->home, homeopt) < 0) {
		cli_error("%s", xc_errdetail());
		code = EX_SYSTEM;
		goto out;
	}
	if ((c->ids = xc_ids_new()) == NULL) {
		cli_error("out of memory");
		code = EX_SYSTEM;
		goto out;
	}
	if (nid) {
		if (me)
			cli_usage_error(usage, "-u and -i conflict");
		for (i = 0; i < nid; i++)
			if ((code = cli_load_identities(idfiles[i], 1,
			    c->ids)) != 0)
				goto out;
		c->nkeys = xc_ids_count(c->ids);
		if ((c->owner = calloc(c->nkeys + 1, sizeof *c->owner))
		    == NULL) {
			code = EX_SYSTEM;
			goto out;
		}
		c->keys_tried = 1;
	} else {
		/* Asked for with the first letter. */
		c->me = me;
		c->pwfile = pwfile;
	}
	/* Own cards, read once: a letter from one of my keys is "own". */
	{
		char (*hs)[XC_HANDLE_MAX + 1] = calloc(256, sizeof *hs);
		size_t nh = 0;
		if (hs == NULL || (c->own = calloc(256, sizeof *c->own)) == NULL) {
			free(hs);
			cli_error("out of memory");
			code = EX_SYSTEM;
			goto out;
		}
		(void)xc_identity_list(c->home, hs, 256, &nh);
		for (i = 0; i < nh; i++)
			if (xc_identity_get(c->home, hs[i], &c->own[c->nown])
			    == 0)
				c->nown++;
		free(hs);
	}
	if (nops == 0)
		code = open_stdin(c);
	for (i = 0; i < (size_t)nops; i++) {
		rc = strcmp(ops[i], "-") == 0 ? open_stdin(c) :
		    open_path(c, ops[i]);
		if (rc && !code)
			code = rc;
	}
	rc = flush(c);
	if (rc && !code)
		code = rc;
	rc = sync_marks(c);
	if (rc && !code)
		code = rc;
out:
	sig_dirfd = -1;
	xc_ids_free(c->ids);
	free(c->owner);
	free(c->own);
	free(c->pend);
	free(idfiles);
	close(c->dirfd);
	if (c->newfd >= 0)
		close(c->newfd);
	if (c->curfd >= 0)
		close(c->curfd);
	if (c->homefd >= 0)
		close(c->homefd);
	return code;
}

/* ---- raw mode ---- */

static int
is_ws(uint8_t ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* Whether the age file that begins with p[0..n) is encrypted to a
 * passphrase: 1 yes, 0 no, -1 cannot tell yet (more bytes are needed and
 * may come).  An scrypt stanza must be the only one (age v1), so it is the
 * line after the version line: in the binary file, or in the first line of
 * the armor (64 base64 columns, 48 bytes). */
static int
scrypt_file(const uint8_t *p, size_t n, int eof)
{
	static const char want[] = "age-encryption.org/v1\n-> scrypt ";
	static const char begin[] = "-----BEGIN AGE ENCRYPTED FILE-----";
	const size_t wn = sizeof want - 1, bn = sizeof begin - 1;
	uint8_t dec[48];
	size_t k = 0, got;

	if (n > 0 && p[0] == 'a') {
		if (n < wn)
			return eof || memcmp(p, want, n) != 0 ? 0 : -1;
		return memcmp(p, want, wn) == 0;
	}
	while (k < n && k <= XC_MAX_ARMOR_WS && is_ws(p[k]))
		k++;
	if (n - k < bn + 2 + 44)
		return eof || k > XC_MAX_ARMOR_WS ? 0 : -1;
	if (memcmp(p + k, begin, bn) != 0)
		return 0;
	k += bn;
	if (p[k] == '\r')
		k++;
	if (p[k++] != '\n')
		return 0;
	if (n - k < 44)
		return eof ? 0 : -1;
	/* 44 base64 digits are 33 bytes: the version line and the stanza's
	 * first words. */
	if (xc_b64_decode(dec, sizeof dec, &got, (const char *)p + k, 44) != 0
	    || got < wn)
		return 0;
	return memcmp(dec, want, wn) == 0;
}

/* Reads the start of fd into pre until scrypt_file can tell. */
static int
peek_scrypt(int fd, uint8_t *pre, size_t cap, size_t *n)
{
	int r = -1;

	*n = 0;
	while (r < 0 && *n < cap) {
		ssize_t k = read(fd, pre + *n, cap - *n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		*n += (size_t)k;
		r = scrypt_file(pre, *n, k == 0);
	}
	return r < 0 ? 0 : r;
}


int
main(int argc, char **argv)
{
	enum { OPT_RAW = 256, OPT_PWFILE, OPT_HOME, OPT_JSON, OPT_MIN,
		OPT_FWD, OPT_ANON, OPT_REPLAY };
	static const struct option longopts[] = {
		{"raw", no_argument, NULL, OPT_RAW},
		{"identity", required_argument, NULL, 'i'},
		{"passphrase", no_argument, NULL, 'p'},
		{"passphrase-file", required_argument, NULL, OPT_PWFILE},
		{"output", required_argument, NULL, 'o'},
		{"home", required_argument, NULL, OPT_HOME},
		{"as", required_argument, NULL, 'u'},
		{"dir", required_argument, NULL, 'D'},
		{"directory", required_argument, NULL, 'D'},
		{"decrypt", no_argument, NULL, 'd'},
		{"json", no_argument, NULL, OPT_JSON},
		{"min-level", required_argument, NULL, OPT_MIN},
		{"allow-forwarded", no_argument, NULL, OPT_FWD},
		{"allow-anonymous", no_argument, NULL, OPT_ANON},
		{"allow-replay", no_argument, NULL, OPT_REPLAY},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}
	};
	const char *pwfile = NULL, *outpath = NULL,
	    *inpath = NULL, *homeopt = NULL, *me = NULL, *dirpath = NULL;
	struct ctx cx;
	size_t nid = 0, i;
	int raw = 0, askpw = 0, c, code = 0, infd = 0, rc;
	struct cli_out out = { 1, NULL, NULL, NULL };
	struct {
		uint8_t buf[XC_MAX_ARMOR_WS + 128];
		struct prefixed p;
	} pre;
	struct cli_progress prog_;
	struct cli_counted counted;
	xc_ids *ids = NULL;
	xc_rd rd;
	xc_wr wr;

	prog = "xc-open";
	memset(&pre, 0, sizeof pre);
	cli_harden();
	cli_start();
	memset(&cx, 0, sizeof cx);
	cx.dirfd = -1;
	if ((idfiles = calloc((size_t)argc, sizeof *idfiles)) == NULL) {
		cli_error("out of memory");
		return EX_SYSTEM;
	}
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:po:u:dD:hV", longopts, NULL)) != -1)
		switch (c) {
		case OPT_RAW: raw = 1; break;
		case 'i': idfiles[nid++] = optarg; break;
		case OPT_HOME: homeopt = optarg; break;
		case 'u': me = optarg; break;
		case 'd': break;	/* age's "decrypt": what xc-open does */
		case 'D':
			if (dirpath)
				cli_usage_error(usage, "-D given twice");
			dirpath = optarg;
			break;
		case OPT_JSON: cx.json = 1; break;
		case OPT_FWD: cx.allowfwd = 1; break;
		case OPT_ANON: cx.allowanon = 1; break;
		case OPT_REPLAY: cx.allowreplay = 1; break;
		case OPT_MIN:
			if (optarg[0] < '0' || optarg[0] > '4' || optarg[1])
				cli_usage_error(usage,
				    "--min-level takes 0 to 4");
			cx.minlevel = optarg[0] - '0';
			break;
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
	if (!raw)
		return cli_close_stdout(letters(&cx, homeopt, me, dirpath,
		    pwfile, askpw, outpath, nid, argc - optind, argv + optind));
	if (homeopt || me || dirpath || cx.json || cx.allowfwd ||
	    cx.allowanon || cx.allowreplay || cx.minlevel)
		cli_usage_error(usage, "--home, -u, -D, --json, --min-level "
		    "and the --allow options go with letters, not --raw");
	if (argc - optind > 1)
		cli_usage_error(usage, "too many operands");
	if (argc - optind == 1)
		inpath = argv[optind];
	if (askpw && pwfile)
		cli_usage_error(usage, "-p and --passphrase-file conflict");
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
	if ((code = cli_open_in(inpath, &infd)) != 0)
		goto out;
	/* No identity given: a passphrase file is told by its stanza, and the
	 * passphrase asked for on the terminal, as age -d does. */
	if (nid == 0 && !askpw && !pwfile) {
		if (isatty(infd) || peek_scrypt(infd, pre.buf, sizeof pre.buf,
		    &pre.p.prelen) != 1)
			cli_usage_error(usage, "no identity: give -i, -p or "
			    "--passphrase-file");
		askpw = 1;
	}
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
	if ((code = cli_out_open(&out, outpath, inpath)) != 0)
		goto out;
	pre.p.pre = pre.buf;
	pre.p.fd = infd;
	{
		struct stat sb;
		cli_progress_init(&prog_, fstat(infd, &sb) == 0 &&
		    S_ISREG(sb.st_mode) ? (uint64_t)sb.st_size : 0);
	}
	counted.under.rd = (xc_rd){ prefixed_read, &pre.p };
	counted.p = &prog_;
	rd.read = cli_counted_read;
	rd.ctx = &counted;
	wr.write = xc_fd_write;
	wr.ctx = &out.fd;
	rc = xc_age_decrypt(rd, wr, ids);
	cli_progress_end(&prog_);
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
