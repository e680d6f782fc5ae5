/*
 * xc-open - decrypt an xc envelope.  This version implements raw mode: plain
 * age v1 files, armored or binary, opened with age identity files or a
 * passphrase.  Letters (signed, padded) come with the letters issue.
 *
 * Streaming rule (as age): each 64 KiB chunk is written once its tag
 * verifies, so what reaches stdout before a failure is authenticated.  With
 * -o the output appears only when the whole file has verified.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "cli.h"

static const char usage[] =
    "usage: xc-open [--home DIR] [-u @ME | -i IDENTITY_FILE...] [-d DIR]"
    " [--json]\n"
    "               [--min-level N] [--allow-forwarded]"
    " [--passphrase-file FILE] [ENVELOPE...]\n"
    "       xc-open --raw [-i IDENTITY_FILE]... [-p | --passphrase-file FILE]"
    " [-o OUT] [INPUT]\n";

static void
help(void)
{
	printf("%s", usage);
	printf("\nOpen letters: check the signature, every part's hash and the "
	    "limits, then\nwrite the text to standard output and attachments "
	    "to DIR.  With no ENVELOPE,\nstandard input is one envelope or a "
	    "list of envelope paths, one per line.\n"
	    "\n"
	    "  -d, --directory DIR     save attachments in DIR (default .); "
	    "never overwrites\n"
	    "      --json              one JSON object per message, for "
	    "scripts\n"
	    "      --min-level N       refuse letters below level N (0-4)\n"
	    "      --allow-forwarded   open letters re-encrypted by someone "
	    "else\n"
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
	    "\n  -h, --help              print this help and exit\n"
	    "  -V, --version           print the version and exit\n"
	    "\nExit status: 0 every message opened and verified, 1 refused (not "
	    "for me, bad\nsignature, expired, key changed, forwarded, below "
	    "--min-level), 2 usage,\n3 bad input, 4 system error.  See "
	    "xc-open(1), xc(7).\n");
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
	int dirfd, json, minlevel, allowfwd, keyring;
	int64_t now;
};

static const char *const level_names[] = { "signed", "sealed", "private",
	"forward-secret", "anonymous" };

/* Level 0 of an unsigned letter is not "signed". */
#define LEVEL_NAME(L, lv) ((L)->is_signed ? level_names[lv] : "unsigned")

/* What a letter leaves unprotected, from what was checked (xc(7) has the
 * long form).  No level hides timing or the network address yet. */
static size_t
gaps(const xc_letter *L, const char *state, const char *out[10])
{
	size_t n = 0;

	if (!L->is_signed)
		out[n++] = "sender not authenticated (unsigned letter)";
	else if (strcmp(state, "unknown") == 0)
		out[n++] = "sender's key not pinned";
	else if (strcmp(state, "tofu") == 0)
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
		char *t;
		cJSON_AddBoolToObject(j, "ok", 0);
		cJSON_AddStringToObject(j, "file", file);
		cJSON_AddStringToObject(j, "error", cls);
		cJSON_AddStringToObject(j, "message", msg);
		if ((t = cJSON_PrintUnformatted(j)) != NULL)
			printf("%s\n", t);
		free(t);
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

/* The sender's verification state: own, verified, tofu (new or known),
 * or unknown (signed, but the card could not be pinned).  A changed
 * identity key is XC_EKEYCHANGE. */
static int
sender_state(const struct ctx *c, const xc_letter *L, const char **state)
{
	xc_contact ct;
	xc_card own;
	int outcome, rc;

	if (!L->is_signed) {
		*state = "anonymous";
		return 0;
	}
	if (xc_identity_get(c->home, L->sender.handle, &own) == 0) {
		if (sodium_memcmp(own.ik, L->ik, 32) != 0)
			return xc_fail(XC_EKEYCHANGE, "a letter in the name "
			    "of an own identity, signed by another key");
		*state = "own";
		return 0;
	}
	rc = xc_contact_import(c->home, L->card, L->cardlen, c->now, &outcome,
	    &ct);
	if (rc == XC_EKEYCHANGE)
		return xc_fail(rc, "the sender's identity key changed");
	if (rc == 0 && ct.state == XC_TRUST_CHANGED)
		return xc_fail(XC_EKEYCHANGE, "the sender has a pending key "
		    "change");
	if (rc == 0) {
		*state = xc_trust_name(ct.state);
		return 0;
	}
	/* An older or expired card: the pinned key still decides. */
	if (xc_contact_get(c->home, L->sender.handle, &ct) == 0) {
		if (sodium_memcmp(ct.card.ik, L->ik, 32) != 0)
			return xc_fail(XC_EKEYCHANGE,
			    "the sender's identity key changed");
		if (ct.state == XC_TRUST_CHANGED)
			return xc_fail(XC_EKEYCHANGE,
			    "the sender has a pending key change");
		*state = xc_trust_name(ct.state);
		return 0;
	}
	*state = "unknown";
	return 0;
}

/* The level reached: the sender's claim, capped by what was checked. */
static int
reached(const xc_letter *L, const char *state)
{
	int lv = L->level;

	if (!L->is_signed)
		return 0;
	if (lv > 3)
		lv = 3;
	if (lv >= 3 && (strcmp(state, "verified") != 0 &&
	    strcmp(state, "own") != 0))
		lv = 2;
	if (lv >= 3 && L->expires == 0)
		lv = 2;
	if (lv >= 2 && (!L->padded || strcmp(state, "unknown") == 0))
		lv = 1;
	return lv;
}

static void
iso(char out[32], int64_t t)
{
	xc_utc(out, t, 1);
}

static int
report(const struct ctx *c, const char *file, const xc_letter *L,
    const char *me, const char *state, int lv, const char *fwd)
{
	char when[32], fp[XC_FINGERPRINT_LEN + 1] = "";
	size_t i;

	if (L->is_signed)
		xc_fingerprint(fp, L->sender.handle, L->ik);
	if (!c->json) {
		iso(when, L->date);
		if (L->is_signed)
			fprintf(stderr, "xc-open: %s: from @%s (%s, %s), level "
			    "%d %s, %s%s%s\n", file, L->sender.handle, state,
			    fp, lv, LEVEL_NAME(L, lv), when,
			    fwd ? ", forwarded: " : "", fwd ? fwd : "");
		else
			fprintf(stderr, "xc-open: %s: anonymous (unsigned), "
			    "level 0, %s%s%s\n", file, when,
			    fwd ? ", forwarded: " : "", fwd ? fwd : "");
		for (i = 1; i < L->nparts; i++)
			fprintf(stderr, "xc-open: saved %s/%s (%s, %llu "
			    "bytes)\n", c->dirpath, L->parts[i].saved,
			    L->parts[i].type,
			    (unsigned long long)L->parts[i].size);
		if (fwrite(L->body, 1, L->bodylen, stdout) != L->bodylen)
			return EX_SYSTEM;
		return 0;
	}
	{
		cJSON *j = cJSON_CreateObject(), *a, *g;
		char *t, path[XC_PATH_MAX + XC_MAX_NAME + 16];
		cJSON_AddBoolToObject(j, "ok", 1);
		cJSON_AddStringToObject(j, "file", file);
		if (L->is_signed) {
			cJSON_AddStringToObject(j, "from", L->sender.handle);
			cJSON_AddStringToObject(j, "fingerprint", fp);
		} else {
			cJSON_AddNullToObject(j, "from");
			cJSON_AddNullToObject(j, "fingerprint");
		}
		cJSON_AddStringToObject(j, "verification", state);
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
			size_t k, ng = gaps(L, state, gv);
			for (k = 0; k < ng; k++)
				cJSON_AddItemToArray(g, cJSON_CreateString(gv[k]));
		}
		cJSON_AddStringToObject(j, "id", L->id);
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
		t = cJSON_PrintUnformatted(j);
		cJSON_Delete(j);
		if (t == NULL)
			return EX_SYSTEM;
		printf("%s\n", t);
		free(t);
		return 0;
	}
}

/* A disappearing letter's attachments are deleted by xc-fetch when it
 * expires: "EXPIRY DEV INO PATH" lines in $XC_HOME/state/expiring. */
static void
remember_expiring(const struct ctx *c, const xc_letter *L)
{
	char p[XC_PATH_MAX], dir[XC_PATH_MAX], line[XC_PATH_MAX + 80];
	struct stat sb;
	size_t i;
	int fd, lockfd;

	if (L->nparts < 2 || realpath(c->dirpath, dir) == NULL)
		return;
	cli_path(p, sizeof p, "%s/state", c->home);
	if (xc_mkdirs(p) < 0)
		return;
	cli_path(p, sizeof p, "%s/state/expiring.lock", c->home);
	if (xc_lock(p, 1, &lockfd) < 0)
		return;
	cli_path(p, sizeof p, "%s/state/expiring", c->home);
	if ((fd = open(p, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) >= 0) {
		for (i = 1; i < L->nparts; i++) {
			int n;
			if (fstatat(c->dirfd, L->parts[i].saved, &sb,
			    AT_SYMLINK_NOFOLLOW) != 0)
				continue;
			n = snprintf(line, sizeof line, "%lld %llu %llu %s/%s\n",
			    (long long)L->expires,
			    (unsigned long long)sb.st_dev,
			    (unsigned long long)sb.st_ino, dir,
			    L->parts[i].saved);
			if (n > 0 && n < (int)sizeof line &&
			    xc_fd_write(&fd, (uint8_t *)line, (size_t)n) < 0)
				break;
		}
		fsync(fd);
		close(fd);
	}
	close(lockfd);
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

/* ---- per-process caches ----
 * One run opens many letters, mostly from a few senders to a few own
 * identities: what the keyring says about a sender's card, and an own
 * identity's card, are read once per run, not once per letter (each read
 * is files, locks and a signature check).  What the keyring says can only
 * change during the run through this process (the first letter pins a
 * card: the state is asked again after that) or through another command
 * run meanwhile, which the next run sees. */
#define SEEN_SENDERS 16
static struct {
	uint8_t hash[32];	/* of the sender's card */
	const char *state;
} senders[SEEN_SENDERS];
static size_t nsenders;

static int
sender_state_once(const struct ctx *c, const xc_letter *L, const char **state)
{
	size_t i;
	int rc;

	if (!L->is_signed)
		return sender_state(c, L, state);
	for (i = 0; i < nsenders; i++)
		if (memcmp(senders[i].hash, L->sender.hash, 32) == 0) {
			*state = senders[i].state;
			return 0;
		}
	if ((rc = sender_state(c, L, state)) == 0 &&
	    nsenders < SEEN_SENDERS && strcmp(*state, "unknown") != 0) {
		memcpy(senders[nsenders].hash, L->sender.hash, 32);
		senders[nsenders++].state = *state;
	}
	return rc;
}

static int
own_card(const struct ctx *c, const char *me, xc_card *card)
{
	static struct {
		char handle[XC_HANDLE_MAX + 1];
		xc_card card;
	} own[8];
	static size_t n;
	size_t i;
	int rc;

	for (i = 0; i < n; i++)
		if (strcmp(own[i].handle, me) == 0) {
			*card = own[i].card;
			return 0;
		}
	if ((rc = xc_identity_get(c->home, me, card)) == 0 && n < 8) {
		snprintf(own[n].handle, sizeof own[n].handle, "%s", me);
		own[n++].card = *card;
	}
	return rc;
}

static int
open_one(const struct ctx *c, const char *file, xc_rd rd)
{
	xc_letter L;
	const char *state = NULL, *me = NULL, *fwd = NULL;
	char fwdbuf[96];
	uint8_t pk[32];
	size_t i;
	int rc, lv, code;

	rc = xc_letter_open(rd, c->ids, c->dirfd, &L);
	if (rc < 0) {
		const char *d = xc_errdetail();
		code = fail(c, file, err_class(rc), cli_exit_code(rc), "%s",
		    rc == XC_ENOMATCH ? "not for me: no key of mine opens it" :
		    rc == XC_EMAC ? "header MAC failure: the header was "
		    "modified or is corrupt" : rc == XC_EREAD ?
		    strerror(errno) : (rc == XC_EHEADER || rc == XC_EPAYLOAD ||
		    rc == XC_EARMOR) && *d ? prefixed(rc, d) : *d ? d :
		    xc_strerror(rc));
		goto out;
	}
	for (i = 0; i < c->nkeys; i++)
		if (xc_ids_recipient(c->ids, i, pk) == 0 &&
		    sodium_memcmp(pk, L.key, 32) == 0) {
			me = c->owner[i].handle;
			break;
		}
	if (L.rewrapped)
		fwd = "re-encrypted by someone other than the sender";
	else if (me && *me) {
		xc_card mine;
		if (own_card(c, me, &mine) == 0 &&
		    !xc_letter_addressed(&L, me, mine.ik)) {
			snprintf(fwdbuf, sizeof fwdbuf,
			    "not addressed to @%s", me);
			fwd = fwdbuf;
		}
	}
	if ((rc = sender_state_once(c, &L, &state)) < 0) {
		code = fail(c, file, "key-changed", EX_NO, "@%s: %s",
		    L.sender.handle, xc_errdetail());
		if (!c->json)
			cli_hint("compare fingerprints, then: xc-verify "
			    "--accept @%s", L.sender.handle);
		goto out;
	}
	if ((L.expires && c->now >= L.expires) ||
	    (L.route.expires && c->now >= L.route.expires)) {
		code = fail(c, file, "expired", EX_NO,
		    "the letter has expired (a disappearing message)");
		goto out;
	}
	lv = reached(&L, state);
	if (lv < c->minlevel) {
		code = fail(c, file, "below-min-level", EX_NO, "level %d (%s) "
		    "is below --min-level %d", lv, LEVEL_NAME(&L, lv),
		    c->minlevel);
		goto out;
	}
	if (fwd && !c->allowfwd) {
		code = fail(c, file, "forwarded", EX_NO, "forwarded letter "
		    "(%s); --allow-forwarded opens it", fwd);
		goto out;
	}
	if ((rc = xc_letter_commit(&L)) < 0) {
		code = fail(c, file, "system", EX_SYSTEM, "%s: %s",
		    xc_errdetail(), strerror(errno));
		goto out;
	}
	if (L.expires)
		remember_expiring(c, &L);
	code = report(c, file, &L, me, state, lv, fwd);
out:
	xc_letter_free(&L);
	fflush(stdout);
	return code;
}

static int
open_path(const struct ctx *c, const char *path)
{
	int fd, code;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return fail(c, path, "system", EX_SYSTEM, "cannot open: %s",
		    strerror(errno));
	code = open_one(c, path, (xc_rd){ xc_fd_read, &fd });
	close(fd);
	return code;
}

/* No operand: stdin is one envelope (binary or armored) or a list of
 * envelope paths, one per line. */
static int
open_stdin(const struct ctx *c)
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
		return open_one(c, "-", (xc_rd){ prefixed_read, &p });
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
		    "text to stdout and files to -d DIR");
	if (askpw)
		cli_usage_error(usage, "-p goes with --raw");
	if (sodium_init() < 0) {
		cli_error("cannot initialise libsodium");
		return EX_SYSTEM;
	}
	c->now = cli_now();
	c->dirpath = dirpath ? dirpath : ".";
	if ((c->dirfd = open(c->dirpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC))
	    < 0) {
		cli_error("cannot open directory '%s': %s", c->dirpath,
		    strerror(errno));
		return EX_SYSTEM;
	}
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
	} else {
		if ((code = cli_own_keys(c->home, me, pwfile, 1, c->now,
		    c->ids, &c->owner)) != 0)
			goto out;
		c->nkeys = xc_ids_count(c->ids);
	}
	if (nops == 0)
		code = open_stdin(c);
	for (i = 0; i < (size_t)nops; i++) {
		rc = strcmp(ops[i], "-") == 0 ? open_stdin(c) :
		    open_path(c, ops[i]);
		if (rc && !code)
			code = rc;
	}
out:
	xc_ids_free(c->ids);
	free(c->owner);
	free(idfiles);
	close(c->dirfd);
	return code;
}


int
main(int argc, char **argv)
{
	enum { OPT_RAW = 256, OPT_PWFILE, OPT_HOME, OPT_JSON, OPT_MIN,
		OPT_FWD };
	static const struct option longopts[] = {
		{"raw", no_argument, NULL, OPT_RAW},
		{"identity", required_argument, NULL, 'i'},
		{"passphrase", no_argument, NULL, 'p'},
		{"passphrase-file", required_argument, NULL, OPT_PWFILE},
		{"output", required_argument, NULL, 'o'},
		{"home", required_argument, NULL, OPT_HOME},
		{"as", required_argument, NULL, 'u'},
		{"directory", required_argument, NULL, 'd'},
		{"json", no_argument, NULL, OPT_JSON},
		{"min-level", required_argument, NULL, OPT_MIN},
		{"allow-forwarded", no_argument, NULL, OPT_FWD},
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
	xc_ids *ids = NULL;
	xc_rd rd;
	xc_wr wr;

	prog = "xc-open";
	cli_harden();
	memset(&cx, 0, sizeof cx);
	cx.dirfd = -1;
	if ((idfiles = calloc((size_t)argc, sizeof *idfiles)) == NULL) {
		cli_error("out of memory");
		return EX_SYSTEM;
	}
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:po:u:d:hV", longopts, NULL)) != -1)
		switch (c) {
		case OPT_RAW: raw = 1; break;
		case 'i': idfiles[nid++] = optarg; break;
		case OPT_HOME: homeopt = optarg; break;
		case 'u': me = optarg; break;
		case 'd': dirpath = optarg; break;
		case OPT_JSON: cx.json = 1; break;
		case OPT_FWD: cx.allowfwd = 1; break;
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
	if (homeopt || me || dirpath || cx.json || cx.allowfwd || cx.minlevel)
		cli_usage_error(usage, "--home, -u, -d, --json, --min-level "
		    "and --allow-forwarded go with letters, not --raw");
	if (argc - optind > 1)
		cli_usage_error(usage, "too many operands");
	if (argc - optind == 1)
		inpath = argv[optind];
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
