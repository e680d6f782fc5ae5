/*
 * xc-verify - check cards and keep contacts.  Without a mode it verifies
 * card files (xc-card(5)): well-formed, signed by the identity key they
 * carry, unexpired, and, when several cards of one handle are given in
 * order (or one file holds a chain, xc-keygen --chain), chained.
 *
 * Contacts change here and nowhere else, each command saying what it does
 * before it does it: --import pins a card under its handle or --name
 * (later cards of a pinned key are rotations, with gaps; another key for a
 * pinned name is refused loudly until --accept names its fingerprint),
 * --adopt pins a stranger's card from the quarantine, --mark-verified and
 * --unverify record whether the safety number (--fingerprint) was
 * compared, --forget and --rename; --contacts and --strangers list.
 * --lookup lists the cards on news servers that claim a handle
 * (xc-nntp(5), "Cards"), and changes no contact but by a rotation.
 *
 * Each good card gets one line on stdout; each bad one an error on stderr.
 * What the contact commands do is said on stderr (status, as git's); what
 * is asked for (--contacts, --strangers, --fingerprint) goes to stdout.
 * The exit status is that of the first card that failed (xc(7)).
 */
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "cli.h"

static const char usage[] =
    "usage: xc-verify [-q] CARD...\n"
    "       xc-verify [--home DIR] [-q] [--name @NAME] --import CARD...\n"
    "       xc-verify [--home DIR] [-q] [--name @NAME] --adopt FINGERPRINT\n"
    "       xc-verify [--home DIR] --strangers\n"
    "       xc-verify [--home DIR] [-u @ME] --fingerprint @NAME\n"
    "       xc-verify [--home DIR] --mark-verified @NAME\n"
    "       xc-verify [--home DIR] --unverify @NAME\n"
    "       xc-verify [--home DIR] --accept @NAME FINGERPRINT\n"
    "       xc-verify [--home DIR] --forget @NAME\n"
    "       xc-verify [--home DIR] --rename @NAME @NEWNAME\n"
    "       xc-verify [--home DIR] --contacts\n"
    "       xc-verify [--home DIR] [--server URL [--pin P] [--starttls]]..."
    " [--proxy URL]\n"
    "                 [--timeout S] [--json] --lookup @HANDLE\n"
    "       xc-verify [--home DIR] [-q] -m FILE [-x SIG] [-r @HANDLE]\n"
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
	    "  --name @NAME       ... under this local name (one card)\n"
	    "  --adopt FP         make the stranger with fingerprint FP a "
	    "contact\n"
	    "  --strangers        list the strangers' cards kept from letters\n"
	    "  --fingerprint @N   the safety number of my identity and @N\n"
	    "  --mark-verified @N record that the safety number was compared\n"
	    "  --unverify @N      back to an unverified contact\n"
	    "  --accept @N FP     accept @N's changed identity key, whose\n"
	    "                     fingerprint must be FP\n"
	    "  --forget @N        remove a contact (its key becomes a "
	    "stranger's)\n"
	    "  --rename @N @NEW   give a contact another local name\n"
	    "  --contacts         list contacts and their trust states\n"
	    "  --lookup @HANDLE   list every card on the servers that "
	    "claims @HANDLE\n"
	    "                     (contacts' later cards are taken as "
	    "rotations;\n"
	    "                     strangers' kept for --adopt)\n"
	    "  --json             ... one JSON object per identity key\n"
	    "  --server URL       a server to look up on (default: the "
	    "config's)\n"
	    CLI_NET_HELP_MODE
	    "  -m FILE [-x SIG]   check a minisign signature (xc-seal --sign),"
	    "\n"
	    "                     SIG by default FILE.minisig\n"
	    "  -r @HANDLE         ... made by this contact or own identity\n"
	    "                     (default: whoever's key id it names)\n"
	    "  -u, --as @ME       my identity, when there are several\n"
	    "  --home DIR         the keyring (default $XC_HOME)\n"
	    "  -q, --quiet        print nothing for good cards\n"
	    "  -h, --help         print this help and exit\n"
	    "  -V, --version      print the version and exit\n"
	    "\nA CARD of - is read from standard input; a file may hold a "
	    "chain of cards.\nLetters never change contacts: only these "
	    "commands do.\n"
	    "Exit status: 0 all good, 1 bad signature, expired, broken chain, "
	    "a changed key,\nequivocation or a name taken, 2 usage, 3 "
	    "malformed card, 4 system error, 5 a server failed (--lookup).\n"
	    "See xc-verify(1), xc-card(5), xc(7).\n");
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

/* The next card of a file holding one or more (each exactly two lines). */
static int
next_card(const char *buf, size_t len, size_t *off, size_t *clen)
{
	if (*off >= len)
		return 0;
	*clen = xc_card_next(buf + *off, len - *off);
	if (*clen > XC_MAX_CARD)
		*clen = XC_MAX_CARD + 1;	/* refused as too large */
	*off += *clen;
	return 1;
}

static int
verify(const char *path, struct seen **seen, int quiet, time_t now)
{
	char *buf, fp[XC_FINGERPRINT_LEN + 1];
	size_t len, off = 0, clen;
	xc_card c;
	struct seen *s;
	int code, rc = 0, n = 0;

	if ((code = cli_slurp(path, XC_MAX_CHAIN, 0, &buf, &len)) != 0)
		return code;
	while (rc == 0 && (n == 0 || off < len)) {
		size_t at = off;
		if (!next_card(buf, len, &off, &clen))
			clen = 0;	/* empty: refused below */
		n++;
		rc = xc_card_parse(&c, buf + at, clen);
		/* In a chain only the last card must be valid now. */
		if (rc == 0 && off >= len)
			rc = xc_card_check_time(&c, (int64_t)now);
		s = rc == 0 ? find(*seen, c.handle) : NULL;
		if (rc == 0 && s != NULL)
			rc = xc_card_check_chain(&s->card, &c);
		if (rc < 0)
			break;
		if (s == NULL) {
			if ((s = calloc(1, sizeof *s)) == NULL) {
				cli_slurp_free(buf, len);
				cli_error("out of memory");
				return EX_SYSTEM;
			}
			s->next = *seen;
			*seen = s;
		}
		s->card = c;
		if (!quiet) {
			xc_fingerprint(fp, c.handle, c.ik);
			printf("%s: @%s seq %llu fingerprint %s\n", path,
			    c.handle, (unsigned long long)c.seq, fp);
		}
	}
	cli_slurp_free(buf, len);
	if (rc < 0) {
		if (n > 1)
			cli_error("'%s' card %d: %s: %s", path, n,
			    xc_strerror(rc), xc_errdetail());
		else
			cli_error("'%s': %s: %s", path, xc_strerror(rc),
			    xc_errdetail());
		return cli_exit_code(rc);
	}
	return 0;
}

/* The last card of a file (a chain must hold together), copied. */
static int
last_card(const char *path, char **card, size_t *cardlen)
{
	struct seen *seen = NULL, *s;
	char *buf;
	size_t len, off = 0, at = 0, clen = 0;
	int code;

	/* The whole file first, as xc-verify CARD would check it. */
	if ((code = verify(path, &seen, 1, (time_t)cli_now())) != 0)
		goto out;
	if ((code = cli_slurp(path, XC_MAX_CHAIN, 0, &buf, &len)) != 0)
		goto out;
	while (at = off, next_card(buf, len, &off, &clen) && off < len)
		;
	if ((*card = malloc(clen + 1)) == NULL) {
		cli_error("out of memory");
		code = EX_SYSTEM;
	} else {
		memcpy(*card, buf + at, clen);
		(*card)[clen] = '\0';
		*cardlen = clen;
	}
	cli_slurp_free(buf, len);
out:
	while ((s = seen) != NULL) {
		seen = s->next;
		free(s);
	}
	return code;
}

static int contact_error(int, const char *);

static void
changed_key(const char *what, const xc_contact *ct)
{
	char fp[XC_FINGERPRINT_LEN + 1], np[XC_FINGERPRINT_LEN + 1];

	xc_fingerprint(fp, ct->card.handle, ct->card.ik);
	xc_fingerprint(np, ct->pending.handle, ct->pending.ik);
	cli_error("'%s': THE IDENTITY KEY OF @%s HAS CHANGED", what, ct->name);
	cli_error("pinned:  %s", fp);
	cli_error("offered: %s", np);
	cli_hint("someone may be impersonating @%s, or they made a new "
	    "identity;", ct->name);
	cli_hint("compare the offered fingerprint with them, then: "
	    "xc-verify --accept @%s '%s'", ct->name, np);
}

/* Pins one card (bytes) by the user's command: says what it will do,
 * then does it.  what names the card in messages. */
static int
pin(const char *home, const char *what, const char *card, size_t len,
    const char *name, int quiet, int *outcome)
{
	char fp[XC_FINGERPRINT_LEN + 1], extra[64] = "";
	int64_t now = cli_now();
	xc_contact ct;
	int rc;

	rc = xc_contact_import(home, card, len, name, now, 1, outcome, &ct);
	if (rc == XC_EKEYCHANGE) {
		changed_key(what, &ct);
		/* Kept as pending: the contact is "changed" until --accept. */
		rc = xc_contact_import(home, card, len, name, now, 0, outcome,
		    &ct);
		return rc == XC_EKEYCHANGE ? EX_NO : contact_error(rc, name ?
		    name : ct.name);
	}
	if (rc == XC_ETAKEN) {
		cli_error("'%s': %s", what, xc_errdetail());
		if (ct.name[0])
			cli_hint("it is the contact @%s: to name it otherwise, "
			    "xc-verify --rename @%s @NEWNAME", ct.name, ct.name);
		else
			cli_hint("give it a name of your choosing: --name @NAME");
		return EX_NO;
	}
	if (rc == XC_EEQUIVOCAL) {
		cli_error("'%s': EQUIVOCATION: @%s's identity key signed two "
		    "different cards with one sequence number", what, ct.name);
		cli_hint("the pinned card stays; ask @%s which is theirs: their "
		    "key may be in other hands", ct.name);
		return EX_NO;
	}
	if (rc < 0) {
		cli_error("'%s': %s: %s", what, xc_strerror(rc),
		    xc_errdetail());
		return rc == XC_EREAD || rc == XC_EWRITE ? EX_SYSTEM :
		    cli_exit_code(rc);
	}
	xc_fingerprint(fp, ct.card.handle, ct.card.ik);
	if (strcmp(ct.name, ct.card.handle) != 0)
		snprintf(extra, sizeof extra, ", handle @%s", ct.card.handle);
	if (!quiet && *outcome == XC_IMPORT_NEW)
		fprintf(stderr, "@%s: new contact%s, fingerprint %s\n",
		    ct.name, extra, fp);
	else if (!quiet && *outcome == XC_IMPORT_SAME)
		fprintf(stderr, "@%s: unchanged (%s)\n", ct.name,
		    xc_trust_name(ct.state));
	else if (!quiet)
		fprintf(stderr, "@%s: rotated to card %llu (%s)\n",
		    ct.name, (unsigned long long)ct.card.seq,
		    xc_trust_name(ct.state));
	if (*outcome == XC_IMPORT_SAME)
		return 0;
	rc = xc_contact_import(home, card, len, name, now, 0, outcome, &ct);
	if (rc < 0) {
		cli_error("'%s': %s: %s", what, xc_strerror(rc),
		    xc_errdetail());
		return rc == XC_EREAD || rc == XC_EWRITE ? EX_SYSTEM :
		    cli_exit_code(rc);
	}
	return 0;
}

static int
import(const char *home, const char *path, const char *name, int quiet)
{
	char *card = NULL;
	size_t len = 0;
	int code, outcome;

	if ((code = last_card(path, &card, &len)) != 0)
		return code;
	code = pin(home, path, card, len, name, quiet, &outcome);
	free(card);
	return code;
}

/* A stranger's card from the quarantine, by its full fingerprint. */
static int
adopt(const char *home, const char *fp, const char *name, int quiet)
{
	char *card;
	size_t len;
	xc_card c;
	int rc, code, outcome;

	if ((rc = xc_stranger_find(home, fp, &card, &len)) < 0) {
		cli_error("'%s': %s", fp, xc_errdetail());
		cli_hint("xc-verify --strangers lists them, with their full "
		    "fingerprints");
		return rc == XC_ENOTFOUND ? EX_NO : cli_exit_code(rc);
	}
	if ((code = pin(home, "stranger's card", card, len, name, quiet,
	    &outcome)) == 0 && xc_card_parse(&c, card, len) == 0)
		(void)xc_stranger_drop(home, c.ik);
	free(card);
	return code;
}

static int
strangers(const char *home)
{
	char fp[XC_FINGERPRINT_LEN + 1], seen[32], until[32];
	xc_stranger *v;
	size_t n, i;
	int rc;

	if ((rc = xc_stranger_list(home, cli_now(), &v, &n)) < 0) {
		cli_error("%s", xc_errdetail());
		return cli_exit_code(rc);
	}
	for (i = 0; i < n; i++) {
		xc_fingerprint(fp, v[i].card.handle, v[i].card.ik);
		xc_utc(seen, v[i].seen, 1);
		xc_utc(until, v[i].card.expires, 0);
		printf("%s\t@%s\tseq %llu\tlast seen %s\texpires %s\n", fp,
		    v[i].card.handle, (unsigned long long)v[i].card.seq, seen,
		    until);
	}
	free(v);
	return 0;
}

/* ---- --lookup ---- */

static int handle_arg(const char *arg, char h[XC_HANDLE_MAX + 1]);

/* The cards of one identity key among those found. */
struct claimant {
	uint8_t ik[32];
	const xc_found **c;	/* by seq, oldest first */
	size_t n;
	int64_t seen;		/* first seen: the earliest article's Date */
	uint32_t servers;
	int equivocates;	/* two different cards with one seq */
};

/* By identity key, then by seq: each claimant's cards side by side. */
static int
by_key_seq(const void *a, const void *b)
{
	const xc_found *x = *(const xc_found *const *)a;
	const xc_found *y = *(const xc_found *const *)b;
	int d = memcmp(x->c.ik, y->c.ik, 32);

	return d ? d : x->c.seq < y->c.seq ? -1 : x->c.seq > y->c.seq;
}

/* Oldest claimant first (by first seen, unknown last), then by key. */
static int
by_seen(const void *a, const void *b)
{
	const struct claimant *x = a, *y = b;

	if (x->seen != y->seen)
		return x->seen == 0 ? 1 : y->seen == 0 ? -1 :
		    x->seen < y->seen ? -1 : 1;
	return memcmp(x->ik, y->ik, 32);
}

static int
popcount(uint32_t v)
{
	int n = 0;

	for (; v; v &= v - 1)
		n++;
	return n;
}

/* Strangers' cards one lookup keeps aside: a server that answers with a
 * thousand made-up claimants must not push the cards that letters brought
 * out of the quarantine (XC_MAX_STRANGERS, least recently seen first). */
#define LOOKUP_KEEP 16

/* What a claimant is to me. */
struct verdict {
	const char *state;	/* own, verified, contact, changed, stranger */
	char name[XC_HANDLE_MAX + 1];	/* the contact's local name */
	int conflict;		/* a stranger with a contact's name */
	char cfp[XC_FINGERPRINT_LEN + 1];	/* that contact's */
	int updated;		/* a later card of a contact was taken */
};

/* What a claimant is to me, and what its cards do to my keyring: a later
 * card of a contact's pinned key is taken (a rotation, as in a letter); a
 * stranger's newest card is kept aside for --adopt.  Nothing else. */
static int
judge(const char *home, const char *h, struct claimant *k, int64_t now,
    int keep, struct verdict *v)
{
	const xc_found *top = k->c[k->n - 1];
	char mine[XC_HANDLE_MAX + 1];
	xc_contact ct, named;
	size_t i;
	int rc, outcome, code = 0;

	memset(v, 0, sizeof *v);
	if (xc_identity_by_key(home, top->c.ik, mine) == 0) {
		v->state = "own";
		return 0;
	}
	if (xc_contact_by_key(home, top->c.ik, top->c.handle, &ct) == 0) {
		for (i = 0; i < k->n && !k->equivocates; i++) {
			if (k->c[i]->c.seq <= ct.card.seq &&
			    sodium_memcmp(k->c[i]->c.hash, ct.card.hash,
			    32) == 0)
				continue;
			if (k->c[i]->c.seq < ct.card.seq)
				continue;
			rc = xc_contact_update(home, &k->c[i]->c,
			    k->c[i]->card, k->c[i]->len, now, &outcome, &ct);
			if (rc == 0 && outcome == XC_IMPORT_ROTATED) {
				v->updated = 1;
				fprintf(stderr, "xc-verify: @%s: took card %llu, "
				    "signed by the pinned identity key (a "
				    "rotation)\n", ct.name,
				    (unsigned long long)k->c[i]->c.seq);
			} else if (rc < 0) {
				cli_error("@%s: card %llu: %s", ct.name,
				    (unsigned long long)k->c[i]->c.seq,
				    xc_errdetail());
				code = rc == XC_EEQUIVOCAL ? EX_NO :
				    cli_exit_code(rc);
				break;
			}
		}
		v->state = ct.state == XC_TRUST_VERIFIED ? "verified" :
		    ct.state == XC_TRUST_CHANGED ? "changed" : "contact";
		snprintf(v->name, sizeof v->name, "%s", ct.name);
		return code;
	}
	/* A stranger.  One who claims the handle of a contact is said to
	 * be another. */
	v->state = "stranger";
	if (xc_contact_get(home, h, &named) == 0) {
		v->conflict = 1;
		xc_fingerprint(v->cfp, named.card.handle, named.card.ik);
	}
	if (keep && !k->equivocates && xc_card_check_time(&top->c, now) == 0)
		(void)xc_stranger_keep(home, &top->c, top->card, top->len,
		    now);
	return 0;
}

/* One claimant as JSON (xc(7), "JSON output"). */
static int
claimant_json(const char *h, const struct claimant *k, const struct verdict *v,
    size_t nsrv, int64_t now)
{
	const xc_found *top = k->c[k->n - 1];
	char fp[XC_FINGERPRINT_LEN + 1], t[32], *text;
	cJSON *j = cJSON_CreateObject(), *c;
	int rc;

	if (j == NULL)
		return -1;
	xc_fingerprint(fp, top->c.handle, top->c.ik);
	cJSON_AddStringToObject(j, "fingerprint", fp);
	cJSON_AddStringToObject(j, "handle", top->c.handle);
	cJSON_AddStringToObject(j, "verification", v->state);
	if (v->name[0])
		cJSON_AddStringToObject(j, "contact", v->name);
	else
		cJSON_AddNullToObject(j, "contact");
	if (v->conflict) {
		c = cJSON_AddObjectToObject(j, "claim_conflict");
		cJSON_AddStringToObject(c, "name", h);
		cJSON_AddStringToObject(c, "with", h);
		cJSON_AddStringToObject(c, "fingerprint", v->cfp);
	} else
		cJSON_AddNullToObject(j, "claim_conflict");
	cJSON_AddBoolToObject(j, "card_updated", v->updated);
	cJSON_AddNumberToObject(j, "seq", (double)top->c.seq);
	xc_utc(t, top->c.expires, 1);
	cJSON_AddStringToObject(j, "expires", t);
	cJSON_AddBoolToObject(j, "expired",
	    xc_card_check_time(&top->c, now) != 0);
	if (k->seen) {
		xc_utc(t, k->seen, 1);
		cJSON_AddStringToObject(j, "first_seen", t);
	} else
		cJSON_AddNullToObject(j, "first_seen");
	cJSON_AddNumberToObject(j, "servers", popcount(k->servers));
	cJSON_AddNumberToObject(j, "servers_asked", (double)nsrv);
	cJSON_AddBoolToObject(j, "equivocates", k->equivocates);
	cJSON_AddStringToObject(j, "card", top->card);
	text = cJSON_PrintUnformatted(j);
	rc = text == NULL || cli_json_fputs(text, stdout) != 0 ||
	    fputc('\n', stdout) == EOF ? -1 : 0;
	free(text);
	cJSON_Delete(j);
	return rc;
}

static int
report(const char *home, const char *h, xc_lookup *L, size_t nsrv,
    int64_t now, int json)
{
	struct claimant *k;
	struct verdict v;
	const xc_found **order;
	char fp[XC_FINGERPRINT_LEN + 1], seen[32], until[32], status[96];
	size_t n = 0, i, j, strangers = 0;
	int code = 0, rc;

	k = calloc(L->n ? L->n : 1, sizeof *k);
	order = calloc(L->n ? L->n : 1, sizeof *order);
	if (k == NULL || order == NULL) {
		free(k);
		free(order);
		cli_error("out of memory");
		return EX_SYSTEM;
	}
	/* One claimant per run of cards of one key. */
	for (i = 0; i < L->n; i++)
		order[i] = &L->v[i];
	qsort(order, L->n, sizeof *order, by_key_seq);
	for (i = 0; i < L->n; i++) {
		const xc_found *f = order[i];
		if (i == 0 || memcmp(f->c.ik, order[i - 1]->c.ik, 32) != 0) {
			memcpy(k[n].ik, f->c.ik, 32);
			k[n++].c = order + i;
		} else if (f->c.seq == order[i - 1]->c.seq)
			k[n - 1].equivocates = 1;
		k[n - 1].n++;
		if (f->seen && (k[n - 1].seen == 0 || f->seen < k[n - 1].seen))
			k[n - 1].seen = f->seen;
		k[n - 1].servers |= f->servers;
	}
	qsort(k, n, sizeof *k, by_seen);
	for (j = 0; j < n; j++) {
		const xc_found *top = k[j].c[k[j].n - 1];
		if ((rc = judge(home, h, &k[j], now, strangers < LOOKUP_KEEP,
		    &v)) != 0 && code == 0)
			code = rc;
		if (strcmp(v.state, "stranger") == 0)
			strangers++;
		if (json) {
			if (claimant_json(h, &k[j], &v, nsrv, now) < 0) {
				cli_error("out of memory");
				code = EX_SYSTEM;
				break;
			}
			continue;
		}
		if (strcmp(v.state, "own") == 0)
			snprintf(status, sizeof status, "you");
		else if (strcmp(v.state, "stranger") == 0)
			snprintf(status, sizeof status, v.conflict ?
			    "stranger, not the @%s you know" : "stranger", h);
		else
			snprintf(status, sizeof status, "%s @%s",
			    strcmp(v.state, "contact") == 0 ? "contact" :
			    strcmp(v.state, "verified") == 0 ?
			    "verified contact" : "changed contact", v.name);
		xc_fingerprint(fp, top->c.handle, top->c.ik);
		if (k[j].seen)
			xc_utc(seen, k[j].seen, 1);
		else
			snprintf(seen, sizeof seen, "unknown");
		xc_utc(until, top->c.expires, 0);
		printf("%s\t@%s\t%s\tseq %llu\tfirst seen %s\texpires %s%s\t"
		    "on %d of %zu server%s%s\n", fp, top->c.handle, status,
		    (unsigned long long)top->c.seq, seen, until,
		    xc_card_check_time(&top->c, now) != 0 ? " (expired)" : "",
		    popcount(k[j].servers), nsrv, nsrv == 1 ? "" : "s",
		    k[j].equivocates ? "\tequivocates: two cards with one seq"
		    : "");
	}
	if (n > 1)
		fprintf(stderr, "xc-verify: %zu identity keys claim @%s: a "
		    "handle is a claim, the key is the identity\n", n, h);
	if (strangers > LOOKUP_KEEP)
		cli_warn("only the first %d strangers' cards were kept for "
		    "--adopt", LOOKUP_KEEP);
	if (strangers)
		cli_hint("compare a fingerprint with its owner, then: "
		    "xc-verify --adopt FINGERPRINT");
	free(k);
	free(order);
	return code;
}

/* --lookup: every card on the servers that claims @HANDLE. */
static int
lookup(const char *home, const char *arg, xc_config *cf, int json)
{
	char h[XC_HANDLE_MAX + 1];
	xc_lookup L;
	xc_net net;
	size_t i;
	int rc, code, failed = 0;

	memset(&L, 0, sizeof L);
	memset(&net, 0, sizeof net);
	if ((code = handle_arg(arg, h)) != 0)
		return code;
	if ((code = cli_net_servers(home, cf, "look up on")) != 0)
		return code;
	net.now = cli_now();
	net.o.purpose = XC_NET_LOOKUP;
	if ((code = cli_net_setup(cf, &net, NULL)) != 0)
		goto out;
	for (i = 0; i < net.nsrv; i++) {
		rc = xc_lookup_server(&net, i, h, &L);
		if (rc == XC_ENOMEM) {
			cli_error("out of memory");
			code = EX_SYSTEM;
			goto out;
		}
		if (rc == XC_ENOTFOUND)
			cli_warn("server '%s' has no cards group (%s)",
			    cf->server[i], XC_NNTP_CARDS_GROUP);
		else if (rc < 0) {
			cli_error("server '%s': %s", cf->server[i],
			    xc_errdetail());
			cli_net_hint(&net, i);
			failed++;
		}
	}
	if (L.refused)
		cli_warn("left out %zu article(s) or card(s) that are not good "
		    "cards of @%s", L.refused, h);
	if (L.capped)
		cli_warn("more cards claim @%s than one lookup reads: the "
		    "newest %d article(s) of each server were read", h,
		    XC_LOOKUP_MAX_ARTICLES);
	code = report(home, h, &L, net.nsrv, net.now, json);
	if (L.n == 0 && (size_t)failed < net.nsrv) {
		cli_error("no card claims @%s on %zu server%s", h,
		    net.nsrv - (size_t)failed,
		    net.nsrv - (size_t)failed == 1 ? "" : "s");
		if (code == 0)
			code = EX_NO;
	}
	if (failed)
		code = EX_NETWORK;
out:
	xc_net_free(&net);
	xc_lookup_free(&L);
	return code;
}

static int
contact_error(int rc, const char *h)
{
	cli_error("@%s: %s", h, xc_errdetail());
	if (rc == XC_EKEYCHANGE)
		cli_hint("xc-verify --accept @%s FINGERPRINT, after comparing "
		    "fingerprints", h);
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
				*state = -1;	/* my own identity */
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
	int code, rc, fd, state = -1;
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
	if (!quiet) {
		/* The trusted comment is the signer's words: escaped on a
		 * terminal. */
		printf("Signature and comment signature verified\n"
		    "Trusted comment: ");
		cli_safe_fputs(trusted, stdout);
		printf("\nSigned by @%s (%s)\n", c.handle, state < 0 ?
		    "own identity" : xc_trust_name(state));
	}
	return 0;
}

static int
list_contact(void *arg, const xc_contact *ct)
{
	const char *home = arg;
	char fp[XC_FINGERPRINT_LEN + 1], when[32], pin[32];
	xc_contact k;

	/* Repairs the key index if a crash left it stale. */
	(void)xc_contact_by_key(home, ct->card.ik, ct->name, &k);
	xc_fingerprint(fp, ct->card.handle, ct->card.ik);
	xc_utc(when, ct->card.expires, 0);
	if (ct->pinned > 0)
		xc_utc(pin, ct->pinned, 0);
	else
		snprintf(pin, sizeof pin, "unknown");
	printf("@%s\t%s\t%s\tseq %llu\texpires %s\tpinned %s", ct->name,
	    xc_trust_name(ct->state), fp, (unsigned long long)ct->card.seq,
	    when, pin);
	if (strcmp(ct->name, ct->card.handle) != 0)
		printf("\thandle @%s", ct->card.handle);
	putchar('\n');
	return 0;
}

static int
contacts(const char *home)
{
	if (xc_contact_each(home, list_contact, (void *)home) < 0) {
		cli_error("out of memory");
		return EX_SYSTEM;
	}
	return 0;
}

/* --mark-verified, --unverify, --accept, --forget, --rename: each says
 * what it will do, then does it. */
static int
change(const char *home, int mode, const char *who, const char *arg)
{
	char h[XC_HANDLE_MAX + 1], to[XC_HANDLE_MAX + 1];
	char fp[XC_FINGERPRINT_LEN + 1], np[XC_FINGERPRINT_LEN + 1];
	xc_contact ct;
	int rc, code;

	if ((code = handle_arg(who, h)) != 0)
		return code;
	if (mode == 'R' && (code = handle_arg(arg, to)) != 0)
		return code;
	if ((rc = xc_contact_get(home, h, &ct)) < 0)
		return contact_error(rc, h);
	xc_fingerprint(fp, ct.card.handle, ct.card.ik);
	switch (mode) {
	case 'v':
		fprintf(stderr, "@%s: %s -> verified, fingerprint %s\n", h,
		    xc_trust_name(ct.state), fp);
		break;
	case 'u':
		fprintf(stderr, "@%s: %s -> contact (not verified), "
		    "fingerprint %s\n", h, xc_trust_name(ct.state), fp);
		break;
	case 'a':
		if (!ct.has_pending)
			break;	/* the library says so */
		xc_fingerprint(np, ct.pending.handle, ct.pending.ik);
		if (!xc_fingerprint_is(arg, &ct.pending)) {
			cli_error("@%s: '%s' is not the fingerprint of the "
			    "offered key", h, arg);
			cli_hint("the offered key's fingerprint is %s: compare "
			    "it with @%s first", np, h);
			return EX_NO;
		}
		fprintf(stderr, "@%s: changed -> contact, accepting "
		    "fingerprint %s (was %s)\n", h, np, fp);
		break;
	case 'f':
		fprintf(stderr, "@%s: forgetting the contact (%s), "
		    "fingerprint %s\n", h, xc_trust_name(ct.state), fp);
		break;
	case 'R':
		fprintf(stderr, "@%s: renamed to @%s (%s), fingerprint %s\n",
		    h, to, xc_trust_name(ct.state), fp);
		break;
	}
	switch (mode) {
	case 'v': rc = xc_contact_mark(home, h, XC_TRUST_VERIFIED); break;
	case 'u': rc = xc_contact_mark(home, h, XC_TRUST_CONTACT); break;
	case 'a': rc = xc_contact_accept(home, h, arg, cli_now(), &ct); break;
	case 'f': rc = xc_contact_forget(home, h); break;
	default: rc = xc_contact_rename(home, h, to); break;
	}
	if (rc == XC_ETAKEN) {
		cli_error("@%s: %s", to, xc_errdetail());
		return EX_NO;
	}
	return rc < 0 ? contact_error(rc, h) : 0;
}

int
main(int argc, char **argv)
{
	enum { OPT_HOME = 256, OPT_IMPORT, OPT_FP, OPT_MARK, OPT_ACCEPT,
	    OPT_CONTACTS, OPT_NAME, OPT_ADOPT, OPT_STRANGERS, OPT_UNVERIFY,
	    OPT_FORGET, OPT_RENAME, OPT_LOOKUP, OPT_JSON };
	static const struct option longopts[] = {
		{"home", required_argument, NULL, OPT_HOME},
		{"import", no_argument, NULL, OPT_IMPORT},
		{"name", required_argument, NULL, OPT_NAME},
		{"adopt", required_argument, NULL, OPT_ADOPT},
		{"strangers", no_argument, NULL, OPT_STRANGERS},
		{"fingerprint", required_argument, NULL, OPT_FP},
		{"mark-verified", required_argument, NULL, OPT_MARK},
		{"unverify", required_argument, NULL, OPT_UNVERIFY},
		{"accept", required_argument, NULL, OPT_ACCEPT},
		{"forget", required_argument, NULL, OPT_FORGET},
		{"rename", required_argument, NULL, OPT_RENAME},
		{"contacts", no_argument, NULL, OPT_CONTACTS},
		{"lookup", required_argument, NULL, OPT_LOOKUP},
		{"json", no_argument, NULL, OPT_JSON},
		CLI_NET_LONGOPTS,
		{"as", required_argument, NULL, 'u'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}
	};
	struct seen *seen = NULL, *s;
	int quiet = 0, c, code = 0, i, mode = 0, modes = 0, json = 0;
	const char *homeopt = NULL, *me = NULL, *who = NULL, *mfile = NULL,
	    *xsig = NULL, *rwho = NULL, *name = NULL;
	char home[XC_PATH_MAX], h[XC_HANDLE_MAX + 1], *sigdefault = NULL;
	time_t now = (time_t)cli_now();
	static xc_config cf;	/* large */

	prog = "xc-verify";
	cli_harden();
	cli_start();
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":qu:m:x:r:hV", longopts, NULL)) != -1)
		switch (c) {
		case 'q': quiet = 1; break;
		case OPT_JSON: json = 1; break;
		case 'u': me = optarg; break;
		case 'm': mfile = optarg; break;
		case 'x': xsig = optarg; break;
		case 'r': rwho = optarg; break;
		case OPT_HOME: homeopt = optarg; break;
		case OPT_NAME:
			if (name)
				cli_usage_error(usage, "--name given twice");
			name = optarg;
			break;
		case OPT_IMPORT: case OPT_CONTACTS: case OPT_STRANGERS:
			mode = c;
			modes++;
			break;
		case OPT_FP: case OPT_MARK: case OPT_ACCEPT: case OPT_ADOPT:
		case OPT_UNVERIFY: case OPT_FORGET: case OPT_RENAME:
		case OPT_LOOKUP:
			mode = c;
			who = optarg;
			modes++;
			break;
		case 'h': help(); return cli_close_stdout(0);
		case 'V':
			printf("xc-verify %s\n", XC_VERSION);
			return cli_close_stdout(0);
		default:
			if (!cli_net_option(c, optarg, &cf, usage))
				cli_bad_option(usage, argv, c);
		}
	if ((cf.nserver || cf.timeout || cf.proxy[0] || json) &&
	    mode != OPT_LOOKUP)
		cli_usage_error(usage, "--server, --timeout, --proxy and --json "
		    "go with --lookup");
	if (mfile || xsig || rwho) {
		if (!mfile || modes || me || name || optind != argc)
			cli_usage_error(usage, "-m FILE checks a signature (with "
			    "-x SIG, -r @HANDLE, --home and -q only)");
		/* minisign's default: the signature beside the file. */
		if (xsig == NULL) {
			size_t n = strlen(mfile) + sizeof ".minisig";
			if (strcmp(mfile, "-") == 0)
				cli_usage_error(usage, "-m - (standard input) "
				    "needs -x SIG");
			if ((sigdefault = malloc(n)) == NULL) {
				cli_error("out of memory");
				return EX_SYSTEM;
			}
			snprintf(sigdefault, n, "%s.minisig", mfile);
			xsig = sigdefault;
		}
		if (sodium_init() < 0 || xc_home(home, homeopt) < 0) {
			cli_error("%s", xc_errdetail());
			return EX_SYSTEM;
		}
		code = check_signature(home, mfile, xsig, rwho, quiet);
		free(sigdefault);
		return cli_close_stdout(code);
	}
	if (modes > 1)
		cli_usage_error(usage, "give one of --import, --adopt, "
		    "--strangers, --fingerprint, --mark-verified, --unverify, "
		    "--accept, --forget, --rename, --contacts and --lookup");
	if (me && mode != OPT_FP)
		cli_usage_error(usage, "-u goes with --fingerprint");
	if (name && mode != OPT_IMPORT && mode != OPT_ADOPT)
		cli_usage_error(usage, "--name goes with --import and --adopt");
	if (name && handle_arg(name, h) != 0)
		cli_usage_error(usage, "--name takes a name spelled like a "
		    "handle: @ and 1-32 of a-z 0-9 _");
	if (homeopt && mode == 0)
		cli_usage_error(usage, "--home goes with the contact modes");
	if ((mode == 0 || mode == OPT_IMPORT) && optind == argc)
		cli_usage_error(usage, "no cards given");
	if (mode == OPT_IMPORT && name && argc - optind > 1)
		cli_usage_error(usage, "--name names one card");
	if ((mode == OPT_ACCEPT || mode == OPT_RENAME) && argc - optind != 1)
		cli_usage_error(usage, mode == OPT_ACCEPT ? "--accept @NAME "
		    "takes the offered FINGERPRINT (after comparing it)" :
		    "--rename @NAME takes the @NEWNAME");
	if (mode != 0 && mode != OPT_IMPORT && mode != OPT_ACCEPT &&
	    mode != OPT_RENAME && optind != argc)
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
			int r = import(home, argv[i], name, quiet);
			if (r != 0 && code == 0)
				code = r;
		}
		return cli_close_stdout(code);
	case OPT_ADOPT:
		return cli_close_stdout(adopt(home, who, name, quiet));
	case OPT_STRANGERS:
		return cli_close_stdout(strangers(home));
	case OPT_FP:
		return cli_close_stdout(fingerprint(home, me, who));
	case OPT_LOOKUP:
		return cli_close_stdout(lookup(home, who, &cf, json));
	case OPT_CONTACTS:
		return cli_close_stdout(contacts(home));
	case OPT_MARK: case OPT_UNVERIFY: case OPT_ACCEPT: case OPT_FORGET:
	case OPT_RENAME:
		return cli_close_stdout(change(home, mode == OPT_MARK ? 'v' :
		    mode == OPT_UNVERIFY ? 'u' : mode == OPT_ACCEPT ? 'a' :
		    mode == OPT_FORGET ? 'f' : 'R', who, argv[optind]));
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
