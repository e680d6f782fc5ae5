/*
 * servers.c - the network as a transport: each news server an xc_transport
 * (lib/xc.h) over the NNTP client of lib/nntp.c, so that xc-send and
 * xc-fetch treat a server as they treat the spool.
 *
 * Posting: IHAVE first; the article, and the proof-of-work it carries, is
 * made only when a server asks for it, and once per envelope whatever the
 * number of servers, so a retry to servers that already have an envelope
 * costs one round trip each and no work.
 *
 * Fetching: the overview of a bucket's group from the cursor kept for
 * (server, group) names the articles; want() picks those worth a body (my
 * tags, not seen); the bodies come pipelined (lib/nntp.c), in batches of
 * at most XC_NET_BATCH articles and XC_NET_BATCH_BYTES, each checked
 * against its id there, then checked again here as an envelope.  Each is
 * handed over as an entry named after its own route stanza (the overview
 * does not carry the expiry), its bytes in an anonymous file in memory.
 * Only once every entry of the group was taken does the new cursor go into
 * the cursor store; the caller saves that store after what it fetched is
 * durable, so a run that dies or fails lists the same articles again.
 *
 * Everything a server says is hostile; lib/nntp.c bounds it, and nothing
 * here believes an overview line beyond choosing what to ask for.
 */
#define _GNU_SOURCE			/* memfd_create */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <sodium.h>

#include "xc.h"

struct xc_server {
	xc_net *net;
	char url[XC_URL_MAX];
	xc_url u;
	char pin[XC_TLS_PINS_MAX];	/* "": the system's authorities */
	int tls;			/* XC_TLS_*, for nntp:// */
	char rejected[XC_TLS_PIN_MAX];	/* the certificate refused */
	xc_nntp *n;
	int failed;
	char err[320];		/* the first failure, kept for later calls */
	char why[320];		/* the last refusal */
};

/* An article picked from the overview. */
struct want {
	uint64_t num, bytes;
	char id[XC_ENVID_HEX + 1];
};

/* A body fetched, waiting to be handed over. */
struct got {
	char name[XC_ENVNAME_MAX];
	int fd;
	uint64_t size, num;
	const char *id;
};

struct listing {
	xc_server *s;
	struct want *w;
	size_t n, cap;
	int capped;
	uint64_t last;		/* the number of the last article kept */
	uint64_t max_bytes;	/* of an article worth fetching */
};

struct batch {
	xc_server *s;
	struct want *w;
	struct got *g;
	size_t n;
	int rc;
};

/* ---- sessions ---- */

/* Remembers the first failure of a server: it is not tried again. */
static int
down(xc_server *s, int rc)
{
	if (!s->failed) {
		s->failed = 1;
		snprintf(s->err, sizeof s->err, "%s", xc_errdetail());
	}
	if (s->n) {
		xc_nntp_close(s->n);
		s->n = NULL;
	}
	return xc_fail(rc == XC_ENOMEM ? rc : XC_ENET, s->err);
}

static int
session(xc_server *s)
{
	xc_net_opts o = s->net->o;	/* copied by the session */
	int rc;

	if (s->failed)
		return xc_fail(XC_ENET, s->err);
	if (s->n)
		return 0;
	o.pin = s->pin[0] ? s->pin : NULL;
	o.tls = s->tls;
	if ((rc = xc_nntp_connect(&s->n, &s->u, &o)) < 0) {
		const char *fp = xc_tls_rejected_fingerprint();
		snprintf(s->rejected, sizeof s->rejected, "%s", fp ? fp : "");
		s->n = NULL;
		return down(s, rc);
	}
	return 0;
}

void
xc_net_cursor_key(uint8_t key[32], const char *url, const char *group)
{
	crypto_generichash_state h;

	crypto_generichash_init(&h, NULL, 0, 32);
	crypto_generichash_update(&h, (const uint8_t *)"xc-cursor-v1", 13);
	crypto_generichash_update(&h, (const uint8_t *)url, strlen(url) + 1);
	crypto_generichash_update(&h, (const uint8_t *)group,
	    strlen(group) + 1);
	crypto_generichash_final(&h, key, 32);
}

static uint64_t
max_size(const xc_net *net)
{
	return net->max_size ? net->max_size : XC_NET_MAX_ENVELOPE;
}

/* The armor of an envelope of size bytes, on the wire: 64 columns and a
 * CRLF per 48 bytes, and the BEGIN and END lines. */
static uint64_t
armored(uint64_t size)
{
	return (size + 47) / 48 * 66 + 128;
}

/* ---- posting ---- */

struct progress {
	xc_net *net;
	const char *id;
};

static int
pow_progress(void *arg, uint64_t tried, uint64_t expected)
{
	struct progress *p = arg;

	return p->net->progress(p->net->arg, p->id, tried, expected);
}

/* The article of the envelope in fd (id), made once per run. */
static int
article(xc_net *net, int fd, const char *id, const xc_route *r)
{
	uint8_t *env = NULL, bin[32];
	char check[XC_ENVID_HEX + 1];
	uint64_t size, nonce;
	struct progress p = { net, id };
	xc_route r2;
	size_t len;
	int rc;

	if (strcmp(net->artid, id) == 0)
		return 0;
	free(net->art);
	net->art = NULL;
	net->artid[0] = '\0';
	if (lseek(fd, 0, SEEK_SET) != 0)
		return xc_fail(XC_EREAD, "cannot rewind an envelope");
	if ((rc = xc_fd_slurp(fd, (size_t)max_size(net), (char **)&env,
	    &len)) < 0)
		return rc == XC_ELIMIT ? xc_fail(rc, "envelope larger than "
		    "the network carries") : rc;
	size = len;
	if ((rc = xc_nntp_envelope(env, len, check, &r2)) < 0)
		goto out;
	if (strcmp(check, id) != 0 || r2.expires != r->expires) {
		rc = xc_fail(XC_EPAYLOAD, "the envelope does not match its "
		    "name");
		goto out;
	}
	sodium_hex2bin(bin, 32, id, XC_ENVID_HEX, NULL, NULL, NULL);
	if ((rc = xc_pow_solve(&nonce, bin, size, r->expires, net->now,
	    net->pow ? net->pow : &xc_pow_default,
	    net->progress ? pow_progress : NULL, &p)) < 0 ||
	    (rc = xc_nntp_article(&net->art, &net->artlen, env, len, nonce,
	    net->now, check)) < 0)
		goto out;
	memcpy(net->artid, id, sizeof net->artid);
out:
	free(env);
	return rc;
}

static int
srv_put(void *ctx, int fd, const char *name, const xc_route *r)
{
	xc_server *s = ctx;
	xc_net *net = s->net;
	char id[XC_ENVID_HEX + 1];
	xc_post_result res;
	int64_t exp;
	int rc;

	if (xc_envelope_parse_name(name, id, &exp) != 0 || exp != r->expires)
		return xc_fail(XC_EINVAL, "not an envelope's name");
	/* What a node would refuse anyway is not offered. */
	if (r->expires && r->expires <= net->now)
		return xc_fail(XC_EEXPIRED, "the envelope has expired");
	if (r->expires && r->expires - net->now > XC_POW_MAX_TTL)
		return xc_fail(XC_ELIMIT, "the envelope lives longer than the "
		    "network keeps one (30 days)");
	if ((rc = session(s)) < 0)
		return rc;
	if ((rc = xc_nntp_ihave(s->n, id, &res)) < 0)
		return down(s, rc);
	if (res.outcome == XC_POST_WANTED) {
		if ((rc = article(net, fd, id, r)) < 0) {
			/* The server waits for an article that will not
			 * come: this session cannot go on, the server can. */
			xc_nntp_close(s->n);
			s->n = NULL;
			return rc;
		}
		if ((rc = xc_nntp_send(s->n, net->art, net->artlen, &res)) < 0)
			return down(s, rc);
	}
	switch (res.outcome) {
	case XC_POST_ACCEPTED:
	case XC_POST_DUPLICATE:
		return 0;
	case XC_POST_LATER:
		snprintf(s->why, sizeof s->why, "the server asks to try "
		    "again later: %d %s", res.code, res.reason);
		return xc_fail(XC_ENET, s->why);
	default:
		snprintf(s->why, sizeof s->why, "the server refused it: %d %s",
		    res.code, res.reason);
		return xc_fail(XC_ENET, s->why);
	}
}

/* ---- listing and fetching ---- */

static int
on_over(void *arg, const xc_nntp_over *o)
{
	struct listing *L = arg;
	xc_net *net = L->s->net;

	if (L->capped)
		return 0;
	if (net->want && !net->want(net->arg, o->id, &o->route))
		return 0;
	if (o->bytes > L->max_bytes) {
		net->oversize++;
		return 0;
	}
	if (L->n == XC_NET_MAX_WANT) {
		/* The rest waits for the next run: the cursor stops at the
		 * last article kept. */
		L->capped = 1;
		return 0;
	}
	if (L->n == L->cap) {
		size_t cap = L->cap ? L->cap * 2 : 256;
		struct want *w = realloc(L->w, cap * sizeof *w);
		if (w == NULL)
			return xc_fail(XC_ENOMEM, "out of memory");
		L->w = w;
		L->cap = cap;
	}
	L->w[L->n].num = o->num;
	L->w[L->n].bytes = o->bytes;
	memcpy(L->w[L->n].id, o->id, sizeof o->id);
	L->n++;
	L->last = o->num;
	return 0;
}

/* A file in memory holding the bytes of an envelope. */
static int
memfile(const uint8_t *p, size_t len, int *fdp)
{
	int fd;

	fd = memfd_create("xc-envelope", MFD_CLOEXEC);
	if (fd < 0) {
		/* Without memfd: an unlinked file in $TMPDIR. */
		char path[XC_PATH_MAX];
		const char *dir = getenv("TMPDIR");
		if (dir == NULL || *dir != '/')
			dir = "/tmp";
		if (snprintf(path, sizeof path, "%s/xc-fetch.XXXXXX", dir) >=
		    (int)sizeof path || (fd = mkstemp(path)) < 0)
			return xc_fail(XC_ENOMEM, "no room for a fetched "
			    "envelope (memfd_create and $TMPDIR failed)");
		unlink(path);
	}
	if (xc_fd_write(&fd, p, len) < 0 || lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		return xc_fail(XC_ENOMEM, "no room for a fetched envelope");
	}
	*fdp = fd;
	return 0;
}

static int
on_body(void *arg, size_t i, int status, const uint8_t *env, size_t len)
{
	struct batch *B = arg;
	xc_net *net = B->s->net;
	struct got *g = &B->g[B->n];
	xc_route r;
	int rc;

	if (status == XC_ENOTFOUND)
		return 0;		/* expired or cancelled meanwhile */
	if (status != 0) {		/* not the envelope its id names */
		net->junk++;
		return 0;
	}
	if (len > max_size(net)) {
		net->oversize++;
		return 0;
	}
	if ((rc = memfile(env, len, &g->fd)) < 0)
		return rc;
	/* Its bytes hash to the id (xc_nntp_fetch checked): the header says
	 * whether it is an envelope at all, and its expiry. */
	if (xc_envelope_check(g->fd, max_size(net), NULL, &r, NULL) != 0 ||
	    lseek(g->fd, 0, SEEK_SET) != 0) {
		close(g->fd);
		net->junk++;
		return 0;
	}
	xc_envelope_name(g->name, B->w[i].id, r.expires);
	g->size = len;
	g->num = B->w[i].num;
	g->id = B->w[i].id;
	B->n++;
	return 0;
}

struct handle {
	xc_server *s;
	const char *group;
	struct got *g;
};

static int
srv_list(void *ctx, const char *bucket, int (*each)(void *arg,
    const xc_entry *e), void *arg)
{
	xc_server *s = ctx;
	xc_net *net = s->net;
	char group[32];
	const char **ids = NULL;
	uint8_t key[32];
	uint64_t cursor = 0, next = 0, foreign = 0;
	struct listing L;
	struct batch B;
	xc_store_entry *se;
	size_t i, k, j;
	int rc;

	memset(&L, 0, sizeof L);
	memset(&B, 0, sizeof B);
	if (strlen(bucket) != 2 || strspn(bucket, "0123456789abcdef") != 2)
		return xc_fail(XC_EINVAL, "not a bucket");
	snprintf(group, sizeof group, "%s%s", XC_NNTP_GROUP_PREFIX, bucket);
	if ((rc = session(s)) < 0)
		return rc;
	xc_net_cursor_key(key, s->url, group);
	if (net->cursors && (se = xc_store_get(net->cursors, key)) != NULL &&
	    se->val > 0)
		cursor = (uint64_t)se->val;
	L.s = s;
	L.max_bytes = armored(max_size(net)) + 8192;
	rc = xc_nntp_list(s->n, group, cursor, on_over, &L, &next, &foreign);
	if (rc == XC_ENOTFOUND) {
		rc = 0;			/* a node that does not carry it */
		goto out;
	}
	if (rc < 0) {
		rc = rc == XC_ENOMEM ? rc : down(s, rc);
		goto out;
	}
	if (L.capped)
		next = L.last;
	B.s = s;
	B.w = L.w;
	if ((B.g = calloc(XC_NET_BATCH, sizeof *B.g)) == NULL ||
	    (ids = calloc(XC_NET_BATCH, sizeof *ids)) == NULL) {
		rc = xc_fail(XC_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < L.n; i += k) {
		uint64_t bytes = 0;
		/* A batch: XC_NET_BATCH articles, XC_NET_BATCH_BYTES. */
		for (k = 0; i + k < L.n && k < XC_NET_BATCH &&
		    (k == 0 || bytes + L.w[i + k].bytes <= XC_NET_BATCH_BYTES);
		    k++) {
			ids[k] = L.w[i + k].id;
			bytes += L.w[i + k].bytes;
		}
		B.w = L.w + i;
		B.n = 0;
		rc = xc_nntp_fetch(s->n, ids, k, on_body, &B);
		if (rc < 0 && rc != XC_ENOMEM)
			rc = down(s, rc);
		for (j = 0; j < B.n && rc == 0; j++) {
			struct handle h = { s, group, &B.g[j] };
			xc_entry e = { bucket, B.g[j].name, &h };
			rc = each(arg, &e);
		}
		for (j = 0; j < B.n; j++)
			if (B.g[j].fd >= 0)
				close(B.g[j].fd);
		if (rc != 0)
			goto out;
	}
	/* Every article up to next was dealt with. */
	if (net->cursors && next != cursor &&
	    (rc = xc_store_put(net->cursors, key, (int64_t)next)) < 0)
		goto out;
out:
	free(ids);
	free(B.g);
	free(L.w);
	return rc;
}

static int
srv_ident(void *ctx, const xc_entry *e, uint8_t key[16])
{
	const struct handle *h = e->handle;
	crypto_generichash_state st;
	uint8_t num[8];
	uint64_t v = h->g->num;
	int i;

	(void)ctx;
	for (i = 7; i >= 0; i--, v >>= 8)
		num[i] = (uint8_t)v;
	crypto_generichash_init(&st, NULL, 0, 16);
	crypto_generichash_update(&st, (const uint8_t *)h->s->url,
	    strlen(h->s->url) + 1);
	crypto_generichash_update(&st, (const uint8_t *)h->group,
	    strlen(h->group) + 1);
	crypto_generichash_update(&st, num, sizeof num);
	crypto_generichash_update(&st, (const uint8_t *)h->g->id,
	    XC_ENVID_HEX);
	crypto_generichash_final(&st, key, 16);
	return 0;
}

static int
srv_get(void *ctx, const xc_entry *e, int *fd, uint64_t *size)
{
	const struct handle *h = e->handle;

	(void)ctx;
	if (h->g->fd < 0)
		return xc_fail(XC_ENOTFOUND, "taken already");
	*fd = h->g->fd;
	*size = h->g->size;
	h->g->fd = -1;		/* the caller's now */
	return 0;
}

int
xc_net_nntp(xc_net *net, size_t i, xc_nntp **n)
{
	int rc;

	if (i >= net->nsrv)
		return xc_fail(XC_EINVAL, "no such server");
	if ((rc = session(net->srv[i])) < 0)
		return rc;
	*n = net->srv[i]->n;
	return 0;
}

int
xc_net_down(xc_net *net, size_t i, int rc)
{
	return i < net->nsrv ? down(net->srv[i], rc) : rc;
}

int
xc_net_add(xc_net *net, const char *url, xc_transport *t)
{
	return xc_net_add_tls(net, url, NULL, XC_TLS_OFF, t);
}

const char *
xc_net_rejected(const xc_net *net, size_t i)
{
	return i < net->nsrv && net->srv[i]->rejected[0] ?
	    net->srv[i]->rejected : NULL;
}

int
xc_net_add_tls(xc_net *net, const char *url, const char *pin, int tls,
    xc_transport *t)
{
	xc_server *s;
	int rc;

	if (net->nsrv == XC_MAX_SERVERS)
		return xc_fail(XC_ELIMIT, "too many servers");
	if ((s = calloc(1, sizeof *s)) == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	if (strlen(url) >= sizeof s->url) {
		free(s);
		return xc_fail(XC_EINVAL, "server URL too long");
	}
	if ((rc = xc_url_parse(&s->u, url)) < 0) {
		free(s);
		return rc;
	}
	if (pin && strlen(pin) >= sizeof s->pin) {
		free(s);
		return xc_fail(XC_EINVAL, "too many pins");
	}
	memcpy(s->url, url, strlen(url) + 1);
	snprintf(s->pin, sizeof s->pin, "%s", pin ? pin : "");
	s->tls = tls;
	s->net = net;
	net->srv[net->nsrv++] = s;
	if (net->o.max_body == 0)
		net->o.max_body = armored(max_size(net)) + 8192;
	if (t == NULL)		/* a session only (xc_net_nntp) */
		return 0;
	memset(t, 0, sizeof *t);
	t->name = "server";
	t->put = srv_put;
	t->list = srv_list;
	t->ident = srv_ident;
	t->get = srv_get;
	t->collect = NULL;	/* servers expire articles themselves */
	t->ctx = s;
	return 0;
}

void
xc_net_free(xc_net *net)
{
	size_t i;

	for (i = 0; i < net->nsrv; i++) {
		xc_nntp_close(net->srv[i]->n);
		free(net->srv[i]);
	}
	net->nsrv = 0;
	free(net->art);
	net->art = NULL;
	net->artid[0] = '\0';
}
