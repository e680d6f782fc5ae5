/*
 * lookup.c - cards on the network: publishing an identity's chain of cards
 * to the cards group (xc-keygen --publish) and looking up every card that
 * claims a handle (xc-verify --lookup).  The mapping is lib/nntp.c's
 * (xc-nntp(5), "Cards"); the sessions are the servers' of lib/servers.c.
 *
 * Publishing is posting as for an envelope: IHAVE first, the article and
 * its proof-of-work made once, for the first server that wants it.  The
 * article lives at most as long as a node keeps one (XC_POW_MAX_TTL), so
 * an owner publishes again from time to time; its id changes with the day
 * of its expiry, so that a new copy can be posted before the old one goes,
 * and a second publication on one day is a duplicate, which costs nothing.
 *
 * A lookup believes nothing a server says: every card is checked as a card
 * file is (xc_card_parse: its shape, then its signature), must claim the
 * handle asked for, and is kept once by its hash whatever the number of
 * articles and servers that carry it.  What to make of the cards (show
 * them, take a later card of a contact as a rotation, keep a stranger's
 * aside) is the caller's: nothing here writes to the keyring.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "xc.h"

/* ---- publishing ---- */

int
xc_publish_init(xc_publish *p, const char *handle, const char *chain,
    size_t len, int64_t now)
{
	size_t off = 0, k, start = 0, starts[1024], n = 0, all;
	xc_card c;
	int64_t day, exp;
	int rc;

	memset(p, 0, sizeof *p);
	/* The cards' offsets, then the newest of them that fit. */
	while ((k = xc_card_next(chain + off, len - off)) > 0) {
		if (n == sizeof starts / sizeof starts[0])
			return xc_fail(XC_ELIMIT, "more than 1024 cards");
		starts[n++] = off;
		off += k;
	}
	if (n == 0)
		return xc_fail(XC_ECARD, "no card");
	if ((rc = xc_card_parse(&c, chain + starts[n - 1],
	    len - starts[n - 1])) < 0)
		return rc;
	if (strcmp(c.handle, handle) != 0)
		return xc_fail(XC_ECARD, "the card is another handle's");
	if ((rc = xc_card_check_time(&c, now)) < 0)
		return rc;
	for (all = n; n > 0 && len - starts[n - 1] <= XC_NNTP_MAX_CHAIN;)
		start = starts[--n];
	if (len - start > XC_NNTP_MAX_CHAIN)
		return xc_fail(XC_ELIMIT, "the current card is too large");
	/* As long as a node keeps an article, from the start of the day:
	 * one id a day. */
	day = now - now % 86400;
	exp = c.expires < day + XC_POW_MAX_TTL ? c.expires :
	    day + XC_POW_MAX_TTL;
	if (exp - now < XC_POW_MIN_TTL)
		return xc_fail(XC_EEXPIRED, "the card expires within minutes");
	if ((p->chain = malloc(len - start)) == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	memcpy(p->chain, chain + start, len - start);
	p->len = len - start;
	p->expires = exp;
	p->now = now;
	memcpy(p->handle, handle, strlen(handle) + 1);
	xc_nntp_cards_id(p->id, p->chain, p->len, exp);
	p->ncards = all - n;
	return 0;
}

void
xc_publish_free(xc_publish *p)
{
	free(p->chain);
	free(p->art);
	memset(p, 0, sizeof *p);
}

int
xc_publish_put(xc_net *net, size_t i, xc_publish *p, xc_post_result *r)
{
	xc_nntp *n;
	uint8_t bin[32];
	uint64_t nonce;
	char id[XC_ENVID_HEX + 1];
	int rc;

	if ((rc = xc_net_nntp(net, i, &n)) < 0)
		return rc;
	if ((rc = xc_nntp_ihave(n, p->id, r)) < 0)
		return xc_net_down(net, i, rc);
	if (r->outcome != XC_POST_WANTED)
		return 0;
	if (p->art == NULL) {
		/* No progress shown: a card's work takes about 0.5 s. */
		sodium_hex2bin(bin, 32, p->id, XC_ENVID_HEX, NULL, NULL, NULL);
		if ((rc = xc_pow_solve(&nonce, bin, p->len, p->expires, p->now,
		    net->pow ? net->pow : &xc_pow_default, NULL, NULL)) < 0 ||
		    (rc = xc_nntp_cards_article(&p->art, &p->artlen, p->handle,
		    p->chain, p->len, p->expires, nonce, p->now, id)) < 0) {
			/* The server waits for an article that will not come. */
			xc_net_down(net, i, XC_ENET);
			return rc;
		}
	}
	if ((rc = xc_nntp_send(n, p->art, p->artlen, r)) < 0)
		return xc_net_down(net, i, rc);
	return 0;
}

/* ---- looking up ---- */

/* "[Www, ]D Mon YYYY HH:MM:SS +ZZZZ" (RFC 5322 3.3, as servers write it):
 * the time, or 0 when it is not so. */
static int64_t
parse_date(const uint8_t *p, size_t n)
{
	static const char mon[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	char s[64], m[4], z[8];
	const char *q = s, *c;
	struct tm tm;
	int d, y, hh, mm, ss, zh;
	int64_t t;

	if (n == 0 || n >= sizeof s)
		return 0;
	memcpy(s, p, n);
	s[n] = '\0';
	if ((c = strchr(s, ',')) != NULL)
		q = c + 1;
	if (sscanf(q, " %2d %3s %4d %2d:%2d:%2d %7s", &d, m, &y, &hh, &mm,
	    &ss, z) != 7 || strlen(m) != 3 || (c = strstr(mon, m)) == NULL ||
	    (c - mon) % 3 || y < 1970 || d < 1 || d > 31 || hh > 23 ||
	    mm > 59 || ss > 60)
		return 0;
	memset(&tm, 0, sizeof tm);
	tm.tm_mday = d;
	tm.tm_mon = (int)(c - mon) / 3;
	tm.tm_year = y - 1900;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = ss;
	t = (int64_t)timegm(&tm);
	if ((z[0] == '+' || z[0] == '-') && strlen(z) == 5 &&
	    strspn(z + 1, "0123456789") == 4) {
		zh = atoi(z + 1);
		t += (z[0] == '+' ? -1 : 1) * ((zh / 100) * 3600 +
		    (zh % 100) * 60);
	} else if (strcmp(z, "GMT") != 0 && strcmp(z, "UTC") != 0)
		return 0;
	return t > 0 ? t : 0;
}

struct art {
	char id[XC_ENVID_HEX + 1];
	int64_t date;
};

struct lookup {
	xc_lookup *L;
	size_t server;
	char subject[16 + XC_HANDLE_MAX];
	const char *handle;
	struct art *a;		/* a ring of the newest articles */
	size_t total;		/* articles that claim the handle */
	size_t first;		/* the oldest kept: a[first % ring size] */
};

static int
on_over(void *arg, const xc_nntp_overline *o)
{
	struct lookup *k = arg;
	struct art a;
	size_t sl = strlen(k->subject);

	if (o->subjectlen != sl || memcmp(o->subject, k->subject, sl) != 0)
		return 0;	/* another handle's, or not a card */
	/* Parsed aside: a full ring's oldest entry stays whole until a
	 * good one takes its place. */
	if (xc_nntp_msgid(o->msgid, o->msgidlen, a.id) < 0 ||
	    !o->has_bytes || o->bytes > 2 * XC_NNTP_MAX_CHAIN) {
		k->L->refused++;
		return 0;
	}
	a.date = parse_date(o->date, o->datelen);
	k->a[k->total % XC_LOOKUP_MAX_ARTICLES] = a;
	k->total++;
	return 0;
}

/* Keeps card (its bytes) as found on this server at date. */
static int
found(struct lookup *k, const char *card, size_t len, const xc_card *c,
    int64_t date)
{
	xc_lookup *L = k->L;
	xc_found *f;
	size_t i;

	for (i = 0; i < L->n; i++) {
		f = &L->v[i];
		if (sodium_memcmp(f->c.hash, c->hash, 32) == 0) {
			if (date && (f->seen == 0 || date < f->seen))
				f->seen = date;
			f->servers |= 1u << k->server;
			return 0;
		}
	}
	if (L->n == XC_LOOKUP_MAX_CARDS) {
		L->capped = 1;
		return 0;
	}
	if (L->n == L->cap) {
		size_t cap = L->cap ? L->cap * 2 : 16;
		xc_found *v = realloc(L->v, cap * sizeof *v);
		if (v == NULL)
			return xc_fail(XC_ENOMEM, "out of memory");
		L->v = v;
		L->cap = cap;
	}
	f = &L->v[L->n];
	memset(f, 0, sizeof *f);
	if ((f->card = malloc(len + 1)) == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	memcpy(f->card, card, len);
	f->card[len] = '\0';
	f->len = len;
	f->c = *c;
	f->seen = date;
	f->servers = 1u << k->server;
	L->n++;
	return 0;
}

static int
on_body(void *arg, size_t i, int status, const uint8_t *text, size_t len)
{
	struct lookup *k = arg;
	const struct art *a = &k->a[(k->first + i) % XC_LOOKUP_MAX_ARTICLES];
	char *chain;
	size_t chainlen, off = 0, cl;
	xc_card c;
	int rc;

	if (status != 0)
		return 0;	/* gone meanwhile */
	k->L->articles++;
	if ((rc = xc_nntp_cards_body(text, len, &chain, &chainlen)) < 0) {
		if (rc == XC_ENOMEM)
			return rc;
		k->L->refused++;
		return 0;
	}
	while ((cl = xc_card_next(chain + off, chainlen - off)) > 0) {
		if (cl <= XC_MAX_CARD && xc_card_parse(&c, chain + off,
		    cl) == 0 && strcmp(c.handle, k->handle) == 0) {
			if ((rc = found(k, chain + off, cl, &c, a->date)) < 0)
				break;
		} else
			k->L->refused++;
		off += cl;
	}
	free(chain);
	return rc < 0 ? rc : 0;
}

int
xc_lookup_nntp(xc_nntp *n, size_t server, const char *handle, xc_lookup *L)
{
	struct lookup k;
	const char **ids = NULL;
	uint64_t next;
	size_t m, j;
	int rc;

	if (server >= 32)
		return xc_fail(XC_ELIMIT, "too many servers");
	memset(&k, 0, sizeof k);
	k.L = L;
	k.server = server;
	k.handle = handle;
	snprintf(k.subject, sizeof k.subject, "xc-card1 %s", handle);
	if ((k.a = calloc(XC_LOOKUP_MAX_ARTICLES, sizeof *k.a)) == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	rc = xc_nntp_overview(n, XC_NNTP_CARDS_GROUP, 0, on_over, &k, &next);
	if (rc == XC_ENOTFOUND) {
		rc = xc_fail(XC_ENOTFOUND, "the server does not carry "
		    XC_NNTP_CARDS_GROUP);
		goto out;
	}
	if (rc < 0)
		goto out;
	/* The newest articles, if there are more than the ring holds. */
	m = k.total < XC_LOOKUP_MAX_ARTICLES ? k.total :
	    XC_LOOKUP_MAX_ARTICLES;
	if (k.total > XC_LOOKUP_MAX_ARTICLES)
		L->capped = 1;
	k.first = k.total - m;
	if (m == 0)
		goto out;
	if ((ids = calloc(m, sizeof *ids)) == NULL) {
		rc = xc_fail(XC_ENOMEM, "out of memory");
		goto out;
	}
	/* In the order they came, from the oldest kept. */
	for (j = 0; j < m; j++)
		ids[j] = k.a[(k.first + j) % XC_LOOKUP_MAX_ARTICLES].id;
	rc = xc_nntp_bodies(n, ids, m, on_body, &k);
out:
	free(ids);
	free(k.a);
	return rc;
}

int
xc_lookup_server(xc_net *net, size_t i, const char *handle, xc_lookup *L)
{
	xc_nntp *n;
	int rc;

	if ((rc = xc_net_nntp(net, i, &n)) < 0)
		return rc;
	rc = xc_lookup_nntp(n, i, handle, L);
	return rc < 0 && rc != XC_ENOMEM && rc != XC_ENOTFOUND ?
	    xc_net_down(net, i, rc) : rc;
}

void
xc_lookup_free(xc_lookup *L)
{
	size_t i;

	for (i = 0; i < L->n; i++)
		free(L->v[i].card);
	free(L->v);
	memset(L, 0, sizeof *L);
}
