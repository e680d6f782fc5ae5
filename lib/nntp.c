/*
 * nntp.c - envelopes as Usenet articles (xc-nntp(5)) and a small, strict
 * NNTP client (RFC 3977) to post and fetch them.
 *
 * Everything a server sends is hostile until parsed: a status line is at
 * most 512 bytes and must be three digits and a space (or its end); data
 * lines are at most XC_NNTP_MAX_LINE bytes and end in CRLF; a multi-line
 * response is at most max_body bytes; every response must be complete
 * within its deadline and no wait lasts longer than the inactivity
 * timeout (lib/net.c).  A server that breaks any of this gets XC_ENET and
 * the connection is not used again.  Answers are read in the order the
 * requests were sent, several requests in flight (pipelining, RFC 3977
 * 3.5): a round trip costs ~44 ms on loopback once per batch instead of
 * once per article.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "xc.h"

struct xc_nntp {
	xc_conn *c;
	xc_net_opts o;
	uint8_t buf[16384];
	size_t off, len;
	int broken;
	char last[XC_NNTP_MAX_STATUS + 1];
	/* a growable buffer for requests and for multi-line responses */
	uint8_t *w;
	size_t wlen, wcap;
};

/* ---- the mapping ---- */

static const char *const wday[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	"Fri", "Sat" };
static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* RFC 5322 date, UTC, English names whatever the locale. */
static void
rfc5322(char out[40], int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;

	gmtime_r(&tt, &tm);
	snprintf(out, 40, "%s, %02d %s %04d %02d:%02d:%02d +0000",
	    wday[tm.tm_wday], tm.tm_mday, mon[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec);
}

int
xc_nntp_groups(char *out, size_t cap, const xc_route *r)
{
	int seen[256] = { 0 }, b;
	size_t k = 0;

	for (size_t i = 0; i < r->ntags; i++)
		seen[r->tags[i][0]] = 1;
	if (cap)
		out[0] = '\0';
	for (b = 0; b < 256; b++) {
		if (!seen[b])
			continue;
		if (k + 10 >= cap)
			return xc_fail(XC_ELIMIT, "too many groups");
		k += (size_t)snprintf(out + k, cap - k, "%s%s%02x", k ? "," :
		    "", XC_NNTP_GROUP_PREFIX, b);
	}
	return 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
xc_nntp_subject_tags(const char *s, size_t len, xc_route *r)
{
	size_t i, j;

	memset(r, 0, sizeof *r);
	if (len < 4 || memcmp(s, "xc1", 3) != 0)
		return -1;
	for (i = 3; i < len;) {
		if (s[i] != ' ' || len - i < 1 + 2 * XC_TAG_LEN ||
		    r->ntags == XC_MAX_RECIPIENTS)
			return -1;
		i++;
		for (j = 0; j < XC_TAG_LEN; j++, i += 2) {
			int a = hexval(s[i]), b = hexval(s[i + 1]);
			if (a < 0 || b < 0)
				return -1;
			r->tags[r->ntags][j] = (uint8_t)(a << 4 | b);
		}
		r->ntags++;
	}
	return r->ntags ? 0 : -1;
}

int
xc_nntp_envelope(const uint8_t *env, size_t len, char id[XC_ENVID_HEX + 1],
    xc_route *r)
{
	xc_memrd m = { env, len, 0 };
	xc_header h;
	xc_in *in;
	uint8_t bin[32];
	int rc;

	memset(&h, 0, sizeof h);
	if ((in = malloc(sizeof *in)) == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	xc_in_init(in, (xc_rd){ xc_mem_read, &m });
	if ((rc = xc_header_parse(in, &h)) < 0 ||
	    (rc = xc_envelope_route(&h, r)) < 0)
		goto out;
	if (len < h.rawlen + 45 + XC_NONCE_BYTES + XC_TAG_BYTES) {
		rc = xc_fail(XC_EHEADER, "envelope without a payload");
		goto out;
	}
	crypto_generichash(bin, 32, env, len, NULL, 0);
	sodium_bin2hex(id, XC_ENVID_HEX + 1, bin, 32);
out:
	xc_header_free(&h);
	free(in);
	return rc;
}

struct mbuf {
	uint8_t *p;
	size_t len, cap;
};

static int
mput(struct mbuf *b, const void *p, size_t n)
{
	if (n > SIZE_MAX / 2 - b->len)
		return xc_fail(XC_ENOMEM, "out of memory");
	if (b->len + n > b->cap) {
		size_t cap = (b->len + n) * 2;
		uint8_t *q = realloc(b->p, cap);
		if (q == NULL)
			return xc_fail(XC_ENOMEM, "out of memory");
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

static int
mput_crlf(void *ctx, const uint8_t *p, size_t n)
{
	struct mbuf *b = ctx;
	size_t i, s = 0;
	int rc;

	/* The armor writer ends lines with LF: the wire wants CRLF. */
	for (i = 0; i < n; i++)
		if (p[i] == '\n') {
			if ((rc = mput(b, p + s, i - s)) < 0 ||
			    (rc = mput(b, "\r\n", 2)) < 0)
				return rc;
			s = i + 1;
		}
	return mput(b, p + s, n - s);
}

/* The header fields of xc-nntp(5), for an envelope and for cards alike,
 * in their order and with the blank line after them: their length. */
static size_t
headers(char *hdr, size_t cap, const char *groups, const char *subject,
    const char *id, int64_t now, int64_t expires, uint64_t nonce)
{
	char date[40], exp[40] = "";

	/* The hour, not the second: the Date says little about the sender. */
	rfc5322(date, now - now % 3600);
	if (expires)
		rfc5322(exp, expires);
	return (size_t)snprintf(hdr, cap,
	    "Path: not-for-mail\r\n"
	    "From: xc <xc@xc.invalid>\r\n"
	    "Newsgroups: %s\r\n"
	    "Subject: %s\r\n"
	    "Message-ID: <%s@xc>\r\n"
	    "Date: %s\r\n"
	    "%s%s%s"
	    "Comments: xc-pow 1 %016llx\r\n\r\n", groups, subject, id, date,
	    expires ? "Expires: " : "", exp, expires ? "\r\n" : "",
	    (unsigned long long)nonce);
}

int
xc_nntp_article(uint8_t **out, size_t *outlen, const uint8_t *env,
    size_t len, uint64_t nonce, int64_t now, char id[XC_ENVID_HEX + 1])
{
	struct mbuf b = { NULL, 0, 0 };
	char groups[256 * 10], subject[4 + 17 * 256], hdr[256 * 10 + 4096 +
	    sizeof subject];
	xc_armor_wr *a = NULL;
	xc_route r;
	xc_wr w;
	size_t k, i, j;
	int rc;

	if ((rc = xc_nntp_envelope(env, len, id, &r)) < 0)
		return rc;
	if ((rc = xc_nntp_groups(groups, sizeof groups, &r)) < 0)
		return rc;
	k = (size_t)snprintf(subject, sizeof subject, "xc1");
	for (i = 0; i < r.ntags; i++) {
		subject[k++] = ' ';
		for (j = 0; j < XC_TAG_LEN; j++)
			k += (size_t)snprintf(subject + k, 3, "%02x",
			    r.tags[i][j]);
	}
	k = headers(hdr, sizeof hdr, groups, subject, id, now, r.expires,
	    nonce);
	if ((rc = mput(&b, hdr, k)) < 0 ||
	    (rc = xc_armor_wr_new(&a, (xc_wr){ mput_crlf, &b }, &w)) < 0 ||
	    (rc = w.write(w.ctx, env, len)) < 0 ||
	    (rc = xc_armor_wr_close(a)) < 0)
		goto out;
	*out = b.p;
	*outlen = b.len;
	b.p = NULL;
out:
	xc_armor_wr_free(a);
	free(b.p);
	return rc;
}

/* ---- cards (xc-nntp(5), "Cards") ---- */

int
xc_nntp_cards_id(char id[XC_ENVID_HEX + 1], const char *chain, size_t len,
    int64_t expires)
{
	crypto_generichash_state h;
	uint8_t be[8], bin[32];
	uint64_t v = (uint64_t)expires;
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		be[i] = (uint8_t)v;
	crypto_generichash_init(&h, NULL, 0, 32);
	crypto_generichash_update(&h, (const uint8_t *)chain, len);
	crypto_generichash_update(&h, be, sizeof be);
	crypto_generichash_final(&h, bin, 32);
	sodium_bin2hex(id, XC_ENVID_HEX + 1, bin, 32);
	return 0;
}

int
xc_nntp_cards_article(uint8_t **out, size_t *outlen, const char *handle,
    const char *chain, size_t len, int64_t expires, uint64_t nonce,
    int64_t now, char id[XC_ENVID_HEX + 1])
{
	struct mbuf b = { NULL, 0, 0 };
	char hdr[1024], subject[16 + XC_HANDLE_MAX], canon[XC_HANDLE_MAX + 1];
	char *b64 = NULL;
	size_t k, n, i;
	int rc;

	if (len == 0 || len > XC_NNTP_MAX_CHAIN)
		return xc_fail(XC_ELIMIT, "a chain of cards of 1 to 65536 "
		    "bytes");
	if (xc_handle_norm(canon, handle, strlen(handle)) < 0 ||
	    strcmp(canon, handle) != 0)
		return xc_fail(XC_EINVAL, "not a handle in canonical form");
	xc_nntp_cards_id(id, chain, len, expires);
	snprintf(subject, sizeof subject, "xc-card1 %s", handle);
	k = headers(hdr, sizeof hdr, XC_NNTP_CARDS_GROUP, subject, id, now,
	    expires, nonce);
	n = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
	if ((b64 = malloc(n)) == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	sodium_bin2base64(b64, n, (const uint8_t *)chain, len,
	    sodium_base64_VARIANT_ORIGINAL);
	n = strlen(b64);
	if ((rc = mput(&b, hdr, k)) < 0)
		goto out;
	for (i = 0; i < n; i += 64)
		if ((rc = mput(&b, b64 + i, n - i < 64 ? n - i : 64)) < 0 ||
		    (rc = mput(&b, "\r\n", 2)) < 0)
			goto out;
	*out = b.p;
	*outlen = b.len;
	b.p = NULL;
out:
	free(b64);
	free(b.p);
	return rc;
}

int
xc_nntp_cards_body(const uint8_t *text, size_t len, char **chain,
    size_t *chainlen)
{
	char *joined = NULL, *again = NULL;
	uint8_t *bin = NULL;
	size_t i, s = 0, j = 0, ll, n, binlen;
	int rc = XC_EPAYLOAD;

	*chain = NULL;
	if (len == 0 || len > (XC_NNTP_MAX_CHAIN + 2) / 3 * 4 / 64 * 66 + 132)
		return xc_fail(XC_EPAYLOAD, "not a chain of cards (size)");
	if ((joined = malloc(len + 1)) == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	/* Lines of 64 columns, the last of 4 to 64, each ended by LF (the
	 * client turned CRLF into LF). */
	for (i = 0; i < len; i++) {
		if (text[i] != '\n')
			continue;
		ll = i - s;
		if (ll == 0 || ll > 64 || ll % 4 || (ll < 64 && i + 1 != len))
			goto bad;
		memcpy(joined + j, text + s, ll);
		j += ll;
		s = i + 1;
	}
	if (s != len)
		goto bad;
	joined[j] = '\0';
	n = j / 4 * 3;
	if ((bin = malloc(n + 1)) == NULL) {
		rc = xc_fail(XC_ENOMEM, "out of memory");
		goto out;
	}
	if (sodium_base642bin(bin, n, joined, j, NULL, &binlen, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || binlen == 0 ||
	    binlen > XC_NNTP_MAX_CHAIN)
		goto bad;
	/* Canonical: the one encoding of these bytes (no stray bits). */
	n = sodium_base64_ENCODED_LEN(binlen, sodium_base64_VARIANT_ORIGINAL);
	if ((again = malloc(n)) == NULL) {
		rc = xc_fail(XC_ENOMEM, "out of memory");
		goto out;
	}
	sodium_bin2base64(again, n, bin, binlen,
	    sodium_base64_VARIANT_ORIGINAL);
	if (strcmp(again, joined) != 0)
		goto bad;
	bin[binlen] = 0;
	*chain = (char *)bin;
	*chainlen = binlen;
	bin = NULL;
	rc = 0;
	goto out;
bad:
	rc = xc_fail(XC_EPAYLOAD, "not a chain of cards (its base64)");
out:
	free(joined);
	free(again);
	free(bin);
	return rc;
}

/* ---- reading responses ---- */

/* Printable ASCII for messages: the server's words are not trusted. */
static void
sanitise(char *out, size_t cap, const uint8_t *p, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n && k + 1 < cap; i++)
		out[k++] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
	out[k] = '\0';
}

static int
broken(xc_nntp *n, const char *why)
{
	n->broken = 1;
	return xc_fail(XC_ENET, why);
}

/* One line into out (room for cap bytes and the CRLF); *len without the
 * CRLF.  A line longer than cap, or ended by a bare LF, breaks the
 * connection. */
static int
get_line(xc_nntp *n, uint8_t *out, size_t cap, size_t *len)
{
	size_t k = 0;
	int rc;

	for (;;) {
		uint8_t *p = n->buf + n->off, *nl;
		size_t avail = n->len - n->off, take;

		if (avail == 0) {
			size_t got;
			n->off = n->len = 0;
			if ((rc = n->c->read(n->c, n->buf, sizeof n->buf,
			    &got)) < 0) {
				n->broken = 1;
				return rc;
			}
			n->len = got;
			continue;
		}
		nl = memchr(p, '\n', avail);
		take = nl ? (size_t)(nl - p) + 1 : avail;
		if (take > cap + 2 - k)
			return broken(n, "the server sent an overlong line");
		memcpy(out + k, p, take);
		k += take;
		n->off += take;
		if (nl) {
			if (k < 2 || out[k - 2] != '\r')
				return broken(n, "the server sent a line "
				    "without CRLF");
			*len = k - 2;
			return 0;
		}
	}
}

/* A status line: "DDD" and a space or the end; *code in 100..599. */
static int
status(xc_nntp *n, int *code)
{
	uint8_t line[XC_NNTP_MAX_STATUS + 2];
	size_t len;
	int rc;

	if (n->broken)
		return xc_fail(XC_ENET, "the connection is unusable");
	if ((rc = get_line(n, line, XC_NNTP_MAX_STATUS, &len)) < 0)
		return rc;
	sanitise(n->last, sizeof n->last, line, len);
	if (len < 3 || line[0] < '1' || line[0] > '5' || line[1] < '0' ||
	    line[1] > '9' || line[2] < '0' || line[2] > '9' ||
	    (len > 3 && line[3] != ' '))
		return broken(n, "the server sent a malformed status line");
	*code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + line[2] - '0';
	return 0;
}

/* Reads the data block of a multi-line response up to its ".", calling
 * each per line (dot-unstuffed); at most max bytes in all. */
static int
block(xc_nntp *n, uint64_t max, int (*each)(void *arg, const uint8_t *l,
    size_t len), void *arg)
{
	uint8_t line[XC_NNTP_MAX_LINE + 2];
	uint64_t total = 0;
	size_t len;
	int rc, cbrc = 0;

	for (;;) {
		if ((rc = get_line(n, line, XC_NNTP_MAX_LINE, &len)) < 0)
			return rc;
		if (len == 1 && line[0] == '.')
			return cbrc;
		total += len + 2;
		if (total > max)
			return broken(n, "the server sent too long a response");
		/* After a callback's error the rest is read, so the
		 * responses that follow stay in step. */
		if (cbrc == 0)
			cbrc = line[0] == '.' ? each(arg, line + 1, len - 1) :
			    each(arg, line, len);
	}
}

static void
start_response(xc_nntp *n)
{
	int ms = n->o.response_ms > 0 ? n->o.response_ms : 120000;

	n->c->deadline = xc_monotonic_ms() + ms;
}

static int
send_all(xc_nntp *n, const void *p, size_t len)
{
	int rc;

	n->c->deadline = xc_monotonic_ms() + (n->o.response_ms > 0 ?
	    n->o.response_ms : 120000);
	if ((rc = n->c->write(n->c, p, len)) < 0)
		n->broken = 1;
	return rc;
}

static int command(xc_nntp *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static int
command(xc_nntp *n, const char *fmt, ...)
{
	char line[600];
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);

	if (k < 0 || (size_t)k >= sizeof line)
		return xc_fail(XC_EINVAL, "command too long");
	return send_all(n, line, (size_t)k);
}

/* ---- sessions ---- */

/* STARTTLS (RFC 4642, after MODE READER: a mode-switching server may
 * offer it in reader mode only).  Anything but 382 is an error, never a
 * reason to go on in plaintext; a server that sent more than the 382
 * line before the handshake is trying to inject plaintext into the TLS
 * session, and is refused. */
static int
starttls(xc_nntp *n, const char *host)
{
	xc_conn *c;
	int code, rc;

	if (host == NULL)
		return broken(n, "STARTTLS needs the server's name");
	if ((rc = command(n, "STARTTLS\r\n")) < 0)
		return rc;
	start_response(n);
	if ((rc = status(n, &code)) < 0)
		return rc;
	if (code != 382)
		return broken(n, "the server refused STARTTLS");
	if (n->off != n->len)
		return broken(n, "the server sent data after agreeing to "
		    "STARTTLS");
	rc = xc_conn_tls(&c, n->c, host, &n->o);
	n->c = NULL;		/* taken over, closed on failure */
	if (rc < 0) {
		n->broken = 1;
		return rc;
	}
	n->c = c;
	return 0;
}

static int
nntp_start(xc_nntp **np, xc_conn *c, const xc_net_opts *o, const char *host,
    int tls)
{
	xc_nntp *n = calloc(1, sizeof *n);
	int code, rc;

	if (n == NULL) {
		c->close(c);
		return xc_fail(XC_ENOMEM, "out of memory");
	}
	n->c = c;
	if (o)
		n->o = *o;
	if (n->o.max_body == 0)
		n->o.max_body = XC_NNTP_MAX_BODY;
	start_response(n);
	if ((rc = status(n, &code)) < 0)
		goto fail;
	if (code != 200 && code != 201) {
		rc = broken(n, "the server does not take readers now");
		goto fail;
	}
	/* INN hands a reader to nnrpd on MODE READER; a server that is a
	 * reader already answers 200 or 201 too. */
	if ((rc = command(n, "MODE READER\r\n")) < 0)
		goto fail;
	start_response(n);
	if ((rc = status(n, &code)) < 0)
		goto fail;
	if (code != 200 && code != 201) {
		rc = broken(n, "the server refused MODE READER");
		goto fail;
	}
	if (tls == XC_TLS_STARTTLS && (rc = starttls(n, host)) < 0)
		goto fail;
	*np = n;
	return 0;
fail:
	xc_nntp_close(n);
	return rc;
}

int
xc_nntp_open(xc_nntp **np, xc_conn *c, const xc_net_opts *o)
{
	return nntp_start(np, c, o, NULL, XC_TLS_OFF);
}

int
xc_nntp_connect(xc_nntp **np, const xc_url *u, const xc_net_opts *o)
{
	xc_conn *c;
	int rc;

	if ((rc = xc_conn_open(&c, u, o)) < 0)
		return rc;
	/* nntps:// is TLS already. */
	return nntp_start(np, c, o, u->host, strcmp(u->scheme, "nntp") == 0 &&
	    o ? o->tls : XC_TLS_OFF);
}

void
xc_nntp_close(xc_nntp *n)
{
	if (n == NULL)
		return;
	if (!n->broken && n->c) {
		int code;
		n->c->timeout_ms = 1000;	/* a goodbye needs no patience */
		if (command(n, "QUIT\r\n") == 0) {
			start_response(n);
			(void)status(n, &code);
		}
	}
	if (n->c)
		n->c->close(n->c);
	free(n->w);
	free(n);
}

const char *
xc_nntp_last(const xc_nntp *n)
{
	return n->last;
}

/* ---- posting ---- */

/* The reason of a refusal: the text after the code. */
static void
reason(xc_nntp *n, xc_post_result *r, int code, int outcome)
{
	r->outcome = outcome;
	r->code = code;
	snprintf(r->reason, sizeof r->reason, "%s", strlen(n->last) > 4 ?
	    n->last + 4 : "");
}

int
xc_nntp_ihave(xc_nntp *n, const char *id, xc_post_result *r)
{
	int code, rc;

	memset(r, 0, sizeof *r);
	if (strlen(id) != XC_ENVID_HEX)
		return xc_fail(XC_EINVAL, "bad envelope id");
	if ((rc = command(n, "IHAVE <%s@xc>\r\n", id)) < 0)
		return rc;
	start_response(n);
	if ((rc = status(n, &code)) < 0)
		return rc;
	switch (code) {
	case 335:
		reason(n, r, code, XC_POST_WANTED);
		return 0;
	case 435:
		reason(n, r, code, XC_POST_DUPLICATE);
		return 0;
	case 436:
		reason(n, r, code, XC_POST_LATER);
		return 0;
	case 437: case 480: case 502: case 500: case 501:
		reason(n, r, code, XC_POST_REFUSED);
		return 0;
	default:
		return broken(n, "unexpected answer to IHAVE");
	}
}

int
xc_nntp_send(xc_nntp *n, const uint8_t *art, size_t len, xc_post_result *r)
{
	struct mbuf b = { NULL, 0, 0 };
	size_t i, s;
	int code, rc;

	memset(r, 0, sizeof *r);
	/* The article, dot-stuffed, and the terminating dot. */
	for (i = s = 0; i < len; i++)
		if (art[i] == '\n' && i + 1 < len && art[i + 1] == '.') {
			if ((rc = mput(&b, art + s, i + 1 - s)) < 0 ||
			    (rc = mput(&b, ".", 1)) < 0)
				goto out;
			s = i + 1;
		}
	if ((len > 0 && art[0] == '.' && (rc = mput(&b, ".", 1)) < 0) ||
	    (rc = mput(&b, art + s, len - s)) < 0)
		goto out;
	if (len < 2 || art[len - 2] != '\r' || art[len - 1] != '\n')
		rc = mput(&b, "\r\n", 2);
	if (rc < 0 || (rc = mput(&b, ".\r\n", 3)) < 0 ||
	    (rc = send_all(n, b.p, b.len)) < 0)
		goto out;
	start_response(n);
	if ((rc = status(n, &code)) < 0)
		goto out;
	switch (code) {
	case 235:
		reason(n, r, code, XC_POST_ACCEPTED);
		break;
	case 435:	/* a race with another copy */
		reason(n, r, code, XC_POST_DUPLICATE);
		break;
	case 436:
		reason(n, r, code, XC_POST_LATER);
		break;
	case 437: case 441:
		reason(n, r, code, XC_POST_REFUSED);
		break;
	default:
		rc = broken(n, "unexpected answer to an article");
	}
out:
	free(b.p);
	return rc;
}

int
xc_nntp_post(xc_nntp *n, const char *id, const uint8_t *art, size_t len,
    xc_post_result *r)
{
	int rc;

	if ((rc = xc_nntp_ihave(n, id, r)) < 0 ||
	    r->outcome != XC_POST_WANTED)
		return rc;
	return xc_nntp_send(n, art, len, r);
}

/* ---- listing ---- */

static int
parse_u64(const uint8_t *p, size_t n, uint64_t *v)
{
	uint64_t x = 0;
	size_t i;

	if (n == 0 || n > 19)
		return -1;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		x = x * 10 + (uint64_t)(p[i] - '0');
	}
	*v = x;
	return 0;
}

int
xc_nntp_group(xc_nntp *n, const char *group, uint64_t *count,
    uint64_t *low, uint64_t *high)
{
	const char *p;
	int code, rc;
	unsigned long long c, l, h;
	char name[200];

	if (strlen(group) > 128 || strpbrk(group, " \t\r\n"))
		return xc_fail(XC_EINVAL, "bad group name");
	if ((rc = command(n, "GROUP %s\r\n", group)) < 0)
		return rc;
	start_response(n);
	if ((rc = status(n, &code)) < 0)
		return rc;
	if (code == 411)
		return xc_fail(XC_ENOTFOUND, "no such group on the server");
	if (code != 211)
		return broken(n, "unexpected answer to GROUP");
	p = n->last + 4;
	if (strlen(n->last) < 5 || sscanf(p, "%19llu %19llu %19llu %199s", &c,
	    &l, &h, name) != 4 || strcmp(name, group) != 0 ||
	    (c && l > h))
		return broken(n, "malformed answer to GROUP");
	*count = c;
	*low = l;
	*high = h;
	return 0;
}

struct listing {
	uint64_t from, to, prev;	/* range asked, last number seen */
	int (*each)(void *, const xc_nntp_overline *);
	void *arg;
	int bad;
};

/* One overview line: number, subject, from, date, message-id, references,
 * bytes, lines (RFC 3977 8.3), in the order asked for; what the fields
 * say is the caller's to judge. */
static int
over_line(void *arg, const uint8_t *l, size_t len)
{
	struct listing *L = arg;
	const uint8_t *f[8];
	size_t fl[8], i, k = 0, s = 0;
	xc_nntp_overline o;

	for (i = 0; i <= len && k < 8; i++)
		if (i == len || l[i] == '\t') {
			f[k] = l + s;
			fl[k++] = i - s;
			s = i + 1;
		}
	memset(&o, 0, sizeof o);
	if (k < 8 || parse_u64(f[0], fl[0], &o.num) < 0 || o.num < L->from ||
	    o.num > L->to || (L->prev && o.num <= L->prev)) {
		L->bad = 1;	/* not an overview line of what we asked */
		return XC_ENET;
	}
	L->prev = o.num;
	o.subject = f[1];
	o.subjectlen = fl[1];
	o.date = f[3];
	o.datelen = fl[3];
	o.msgid = f[4];
	o.msgidlen = fl[4];
	o.has_bytes = parse_u64(f[6], fl[6], &o.bytes) == 0;
	return L->each(L->arg, &o);
}

int
xc_nntp_overview(xc_nntp *n, const char *group, uint64_t cursor,
    int (*each)(void *arg, const xc_nntp_overline *o), void *arg,
    uint64_t *next)
{
	uint64_t count, low, high, from, sent, got;
	struct listing L;
	int rc, code;

	if ((rc = xc_nntp_group(n, group, &count, &low, &high)) < 0)
		return rc;
	/* A server whose numbers went back (rebuilt, or another server
	 * behind the name): start again from its first article. */
	from = cursor >= high && cursor > 0 && high + 1 < cursor ? low :
	    cursor + 1;
	if (from < low)
		from = low;
	if (count == 0 || from > high) {
		*next = cursor > high ? high : cursor;
		return 0;
	}
	memset(&L, 0, sizeof L);
	L.each = each;
	L.arg = arg;
	/* Chunks of XC_NNTP_OVER_CHUNK numbers, XC_NNTP_PIPELINE in flight. */
	for (sent = got = from; got <= high;) {
		while (sent <= high && sent - got <
		    (uint64_t)XC_NNTP_PIPELINE * XC_NNTP_OVER_CHUNK) {
			uint64_t to = high - sent < XC_NNTP_OVER_CHUNK - 1 ?
			    high : sent + XC_NNTP_OVER_CHUNK - 1;
			if ((rc = command(n, "OVER %llu-%llu\r\n",
			    (unsigned long long)sent, (unsigned long long)to)) < 0)
				return rc;
			sent = to + 1;
		}
		L.from = got;
		L.to = high - got < XC_NNTP_OVER_CHUNK - 1 ? high :
		    got + XC_NNTP_OVER_CHUNK - 1;
		start_response(n);
		if ((rc = status(n, &code)) < 0)
			return rc;
		if (code == 224) {
			rc = block(n, (uint64_t)XC_NNTP_OVER_CHUNK *
			    XC_NNTP_MAX_LINE, over_line, &L);
			if (L.bad)
				return broken(n, "the server sent a malformed "
				    "overview line");
			if (rc < 0)
				return rc;	/* the caller's error */
		} else if (code != 423)	/* 423: none in that range */
			return broken(n, "unexpected answer to OVER");
		got = L.to + 1;
	}
	*next = high;
	return 0;
}

/* "<HEX@xc>" with HEX 64 lower-case hex digits: the id, else -1. */
int
xc_nntp_msgid(const uint8_t *p, size_t len, char id[XC_ENVID_HEX + 1])
{
	size_t i;

	if (len != XC_ENVID_HEX + 5 || p[0] != '<' ||
	    memcmp(p + 1 + XC_ENVID_HEX, "@xc>", 4) != 0)
		return -1;
	for (i = 0; i < XC_ENVID_HEX; i++) {
		if (hexval(p[1 + i]) < 0)
			return -1;
		id[i] = (char)p[1 + i];
	}
	id[XC_ENVID_HEX] = '\0';
	return 0;
}

struct envlisting {
	int (*each)(void *, const xc_nntp_over *);
	void *arg;
	uint64_t *foreign;
};

/* Envelopes are the lines whose subject is "xc1 TAGS" and message-id
 * "<ID@xc>"; others are skipped and counted. */
static int
env_line(void *arg, const xc_nntp_overline *l)
{
	struct envlisting *E = arg;
	xc_nntp_over o;

	memset(&o, 0, sizeof o);
	o.num = l->num;
	o.bytes = l->bytes;
	if (xc_nntp_subject_tags((const char *)l->subject, l->subjectlen,
	    &o.route) < 0 || xc_nntp_msgid(l->msgid, l->msgidlen, o.id) < 0 ||
	    !l->has_bytes) {
		(*E->foreign)++;
		return 0;
	}
	return E->each(E->arg, &o);
}

int
xc_nntp_list(xc_nntp *n, const char *group, uint64_t cursor,
    int (*each)(void *arg, const xc_nntp_over *o), void *arg,
    uint64_t *next, uint64_t *foreign)
{
	uint64_t dummy = 0;
	struct envlisting E = { each, arg, foreign ? foreign : &dummy };

	return xc_nntp_overview(n, group, cursor, env_line, &E, next);
}

/* ---- fetching ---- */

static int
collect(void *arg, const uint8_t *l, size_t len)
{
	struct mbuf *b = arg;
	int rc;

	if ((rc = mput(b, l, len)) < 0)
		return rc;
	return mput(b, "\n", 1);
}

/* Dearmors text into *out and checks that it hashes to id. */
static int
dearmor_check(const struct mbuf *text, const char *id, struct mbuf *out)
{
	xc_memrd m = { text->p, text->len, 0 };
	xc_armor_rd *a = NULL;
	xc_in *in;
	xc_rd rd;
	uint8_t chunk[4096], bin[32];
	char hex[XC_ENVID_HEX + 1];
	size_t got;
	int rc;

	out->len = 0;
	if ((in = malloc(sizeof *in)) == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	xc_in_init(in, (xc_rd){ xc_mem_read, &m });
	if ((rc = xc_armor_rd_new(&a, in, &rd)) < 0)
		goto out;
	do {
		if ((rc = rd.read(rd.ctx, chunk, sizeof chunk, &got)) < 0 ||
		    (rc = mput(out, chunk, got)) < 0)
			goto out;
	} while (got > 0);
	crypto_generichash(bin, 32, out->p, out->len, NULL, 0);
	sodium_bin2hex(hex, sizeof hex, bin, 32);
	if (strcmp(hex, id) != 0)
		rc = xc_fail(XC_EPAYLOAD, "the article is not the envelope "
		    "its id names");
out:
	xc_armor_rd_free(a);
	free(in);
	return rc;
}

int
xc_nntp_bodies(xc_nntp *n, const char *const *ids, size_t count,
    int (*got)(void *arg, size_t i, int status, const uint8_t *text,
    size_t len), void *arg)
{
	struct mbuf text = { NULL, 0, 0 };
	size_t sent = 0, done = 0, i;
	int rc = 0, code;

	for (i = 0; i < count; i++)
		if (strlen(ids[i]) != XC_ENVID_HEX ||
		    strspn(ids[i], "0123456789abcdef") != XC_ENVID_HEX)
			return xc_fail(XC_EINVAL, "bad article id");
	while (done < count) {
		while (sent < count && sent - done < XC_NNTP_PIPELINE)
			if ((rc = command(n, "BODY <%s@xc>\r\n",
			    ids[sent++])) < 0)
				goto out;
		start_response(n);
		if ((rc = status(n, &code)) < 0)
			goto out;
		if (code == 222) {
			text.len = 0;
			if ((rc = block(n, n->o.max_body, collect, &text)) < 0)
				goto out;
			rc = got(arg, done, 0, text.p ? text.p :
			    (const uint8_t *)"", text.len);
		} else if (code == 430 || code == 423)
			rc = got(arg, done, XC_ENOTFOUND, NULL, 0);
		else {
			rc = broken(n, "unexpected answer to BODY");
			goto out;
		}
		done++;
		if (rc != 0) {
			/* the caller stops: read what is in flight */
			while (done < sent) {
				if (status(n, &code) < 0)
					break;
				if (code == 222 && block(n, n->o.max_body,
				    collect, &text) < 0)
					break;
				done++;
			}
			goto out;
		}
	}
out:
	free(text.p);
	return rc;
}

struct envfetch {
	const char *const *ids;
	int (*got)(void *, size_t, int, const uint8_t *, size_t);
	void *arg;
	struct mbuf env;
};

static int
env_body(void *arg, size_t i, int status, const uint8_t *text, size_t len)
{
	struct envfetch *F = arg;
	struct mbuf t = { (uint8_t *)(uintptr_t)text, len, len };
	int st;

	if (status != 0)
		return F->got(F->arg, i, status, NULL, 0);
	st = dearmor_check(&t, F->ids[i], &F->env);
	if (st == XC_ENOMEM)
		return st;
	return st == 0 ? F->got(F->arg, i, 0, F->env.p, F->env.len) :
	    F->got(F->arg, i, st == XC_EPAYLOAD ? st : XC_EARMOR, NULL, 0);
}

int
xc_nntp_fetch(xc_nntp *n, const char *const *ids, size_t count,
    int (*got)(void *arg, size_t i, int status, const uint8_t *env,
    size_t len), void *arg)
{
	struct envfetch F = { ids, got, arg, { NULL, 0, 0 } };
	int rc;

	rc = xc_nntp_bodies(n, ids, count, env_body, &F);
	free(F.env.p);
	return rc;
}
