/*
 * letter.c - what sealing and opening letters share (xc-letter(5)): the
 * size classes, part names and media types, the signed header ("xc-letter",
 * the last entry: a frame line with the sender's key and signature, then
 * JSON), committing attachments, and the re-serialisation of a letter.
 *
 * Sealing is lib/letter-seal.c, opening lib/letter-open.c; the tar subset
 * both speak is lib/tar.c.  A letter's bytes are a function of its signed
 * header and its parts' stored bytes (whose hashes the header signs):
 * xc_letter_serialize() writes them again from an opened letter, and the
 * tests compare.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <nettle/sha2.h>
#include <sodium.h>

#include "xc.h"
#include "letter.h"

static const char magic[] = LETTER_MAGIC;

/* ---- sizes ---- */

uint64_t
xc_padme(uint64_t len)
{
	uint64_t e, s, mask;

	if (len < 2)
		return len;
	for (e = 63; !(len >> e & 1); e--)
		;
	for (s = 63; !(e >> s & 1); s--)
		;
	s++;			/* bits needed for e */
	mask = ((uint64_t)1 << (e - s)) - 1;
	return (len + mask) & ~mask;
}

uint64_t
xc_letter_padded(uint64_t archive, int level)
{
	if (level < 2)
		return archive;
	return archive < XC_MIN_PADDED ? XC_MIN_PADDED : xc_padme(archive);
}

int
xc_letter_ratio_ok(uint64_t size, uint64_t stored)
{
	return size <= (1u << 20) || size / XC_MAX_RATIO <= stored;
}

/* ---- part hashes ---- */

static const char leaves_label[] = "xc-leaves-v2";

/* The helper thread and this one take leaves p[next++] until all n are
 * taken, each writing d[i]; this thread then waits only for the leaves the
 * helper is still hashing (none, if it never got the CPU). */
struct xc_hasher {
	pthread_mutex_t mu;
	pthread_cond_t go, done;
	pthread_t th;
	int started, quit;
	const uint8_t *p;
	uint8_t (*d)[32];
	size_t n, next, finished;
};

static void
leaf_hash(const uint8_t *p, size_t n, uint8_t out[32])
{
	struct sha256_ctx c;

	sha256_init(&c);
	sha256_update(&c, n, p);
	sha256_digest(&c, 32, out);
}

/* Takes and hashes leaves while there are any; called and returns with mu
 * held. */
static void
take_leaves(struct xc_hasher *h)
{
	while (h->next < h->n) {
		size_t i = h->next++;
		pthread_mutex_unlock(&h->mu);
		leaf_hash(h->p + i * LETTER_LEAF, LETTER_LEAF, h->d[i]);
		pthread_mutex_lock(&h->mu);
		if (++h->finished == h->n)
			pthread_cond_signal(&h->done);
	}
}

static void *
hasher_main(void *arg)
{
	struct xc_hasher *h = arg;

	pthread_mutex_lock(&h->mu);
	while (!h->quit) {
		take_leaves(h);
		if (!h->quit && h->next == h->n)
			pthread_cond_wait(&h->go, &h->mu);
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

int
xc_hasher_new(struct xc_hasher **hp)
{
	struct xc_hasher *h = calloc(1, sizeof *h);

	if ((*hp = h) == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->go, NULL);
	pthread_cond_init(&h->done, NULL);
	return 0;
}

void
xc_hasher_free(struct xc_hasher *h)
{
	if (h == NULL)
		return;
	if (h->started) {
		pthread_mutex_lock(&h->mu);
		h->quit = 1;
		pthread_cond_signal(&h->go);
		pthread_mutex_unlock(&h->mu);
		pthread_join(h->th, NULL);
	}
	pthread_cond_destroy(&h->go);
	pthread_cond_destroy(&h->done);
	pthread_mutex_destroy(&h->mu);
	free(h);
}

void
xc_tree_init(struct xc_tree *t)
{
	sha256_init(&t->root);
	sha256_update(&t->root, sizeof leaves_label,
	    (const uint8_t *)leaves_label);
	sha256_init(&t->leaf);
	t->off = 0;
}

/* Whole leaves at p, hashed by this thread and the helper (started on
 * first use; without it, this thread does them all), then their digests
 * folded in order. */
static void
whole_leaves(struct xc_tree *t, struct xc_hasher *h, const uint8_t *p,
    size_t m)
{
	uint8_t d[32][32];
	size_t i;

	if (h != NULL && m >= 2 && !h->started &&
	    pthread_create(&h->th, NULL, hasher_main, h) == 0)
		h->started = 1;
	if (h != NULL && h->started && m >= 2) {
		pthread_mutex_lock(&h->mu);
		h->p = p;
		h->d = d;
		h->n = m;
		h->next = h->finished = 0;
		pthread_cond_signal(&h->go);
		take_leaves(h);
		while (h->finished < h->n)
			pthread_cond_wait(&h->done, &h->mu);
		h->n = h->next = h->finished = 0;
		pthread_mutex_unlock(&h->mu);
	} else
		for (i = 0; i < m; i++)
			leaf_hash(p + i * LETTER_LEAF, LETTER_LEAF, d[i]);
	for (i = 0; i < m; i++)
		sha256_update(&t->root, 32, d[i]);
}

void
xc_tree_update(struct xc_tree *t, struct xc_hasher *h, const uint8_t *p,
    size_t n)
{
	uint8_t d[32];
	size_t k, m;

	while (n > 0) {
		k = (size_t)(t->off % LETTER_LEAF);
		if (k != 0 || n < LETTER_LEAF) {
			/* the leaf in progress */
			k = LETTER_LEAF - k < n ? LETTER_LEAF - k : n;
			sha256_update(&t->leaf, k, p);
			if ((t->off + k) % LETTER_LEAF == 0) {
				sha256_digest(&t->leaf, 32, d);
				sha256_update(&t->root, 32, d);
			}
		} else {
			m = n / LETTER_LEAF < 32 ? n / LETTER_LEAF : 32;
			whole_leaves(t, h, p, m);
			k = m * LETTER_LEAF;
		}
		p += k;
		n -= k;
		t->off += k;
	}
}

void
xc_tree_final(struct xc_tree *t, uint8_t out[32])
{
	uint8_t d[32];

	if (t->off % LETTER_LEAF != 0) {
		sha256_digest(&t->leaf, 32, d);
		sha256_update(&t->root, 32, d);
	}
	sha256_digest(&t->root, 32, out);
}

/* ---- names and types ---- */

int
xc_part_name_ok(const char *name)
{
	const unsigned char *p = (const unsigned char *)name;
	size_t n = strlen(name);

	if (n == 0 || n > XC_MAX_NAME || p[0] == '.' || p[0] == '-')
		return -1;
	for (; *p; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '/' || *p == '\\')
			return -1;
	if (!xc_utf8_valid((const uint8_t *)name, n))
		return -1;
	/* Bidirectional and invisible format characters (U+200B-U+200F,
	 * U+202A-U+202E, U+2060-U+206F, U+FEFF) can make "exe.txt" show as
	 * "txt.exe": not in names. */
	for (p = (const unsigned char *)name; *p; p++)
		if ((p[0] == 0xe2 && p[1] == 0x80 && ((p[2] >= 0x8b &&
		    p[2] <= 0x8f) || (p[2] >= 0xaa && p[2] <= 0xae))) ||
		    (p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0xa0 &&
		    p[2] <= 0xaf) || (p[0] == 0xef && p[1] == 0xbb &&
		    p[2] == 0xbf))
			return -1;
	return 0;
}

/* Media types: detected from content, for the common image formats. */
const char *const xc_letter_types[] = { "text/plain; charset=utf-8",
	"application/octet-stream", "image/jpeg", "image/png", "image/gif",
	"image/webp", NULL };

const char *
xc_letter_sniff(const uint8_t *p, size_t n, int text)
{
	if (n >= 3 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff)
		return "image/jpeg";
	if (n >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0)
		return "image/png";
	if (n >= 6 && (memcmp(p, "GIF87a", 6) == 0 ||
	    memcmp(p, "GIF89a", 6) == 0))
		return "image/gif";
	if (n >= 12 && memcmp(p, "RIFF", 4) == 0 &&
	    memcmp(p + 8, "WEBP", 4) == 0)
		return "image/webp";
	return text ? xc_letter_types[0] : xc_letter_types[1];
}

static int
type_known(const char *t)
{
	size_t i;

	for (i = 0; xc_letter_types[i]; i++)
		if (strcmp(t, xc_letter_types[i]) == 0)
			return 1;
	return 0;
}

static int
hexid_ok(const char *s)
{
	size_t i;

	for (i = 0; i < XC_ID_HEX; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' &&
		    s[i] <= 'f')))
			return 0;
	return s[i] == '\0';
}

/* ---- the signed header, written ---- */

static cJSON *
header_json(const xc_seal_opts *o, const uint8_t stanzas[32])
{
	cJSON *j = cJSON_CreateObject(), *to, *parts;
	char b64[64], fp[XC_FINGERPRINT_LEN + 1];
	size_t i;

	if (j == NULL)
		return NULL;
	cJSON_AddNumberToObject(j, "v", 2);
	cJSON_AddStringToObject(j, "id", o->id);
	cJSON_AddNumberToObject(j, "date", (double)o->date);
	cJSON_AddNumberToObject(j, "expires", (double)o->expires);
	cJSON_AddNumberToObject(j, "level", o->level);
	if (o->seed) {
		xc_card c;
		if (xc_card_parse(&c, o->card, o->cardlen) != 0) {
			cJSON_Delete(j);
			return NULL;
		}
		cJSON_AddStringToObject(j, "from", c.handle);
		cJSON_AddStringToObject(j, "card", o->card);
	}
	to = cJSON_AddArrayToObject(j, "to");
	for (i = 0; to && i < o->nto; i++) {
		cJSON *r = cJSON_CreateObject();
		xc_fingerprint(fp, o->to[i].handle, o->to[i].ik);
		cJSON_AddStringToObject(r, "handle", o->to[i].handle);
		cJSON_AddStringToObject(r, "fp", fp);
		cJSON_AddItemToArray(to, r);
	}
	xc_b64_encode(b64, stanzas, 32);
	cJSON_AddStringToObject(j, "stanzas", b64);
	cJSON_AddStringToObject(j, "reply_to", o->reply_to ? o->reply_to : "");
	cJSON_AddStringToObject(j, "thread", o->thread ? o->thread : "");
	parts = cJSON_AddArrayToObject(j, "parts");
	for (i = 0; parts && i < o->nparts; i++) {
		const xc_part *pt = &o->parts[i];
		cJSON *p = cJSON_CreateObject();
		cJSON_AddStringToObject(p, "name", pt->name);
		cJSON_AddStringToObject(p, "role", pt->body ? "body" : "file");
		cJSON_AddStringToObject(p, "type", pt->type);
		cJSON_AddNumberToObject(p, "size", (double)pt->size);
		cJSON_AddNumberToObject(p, "stored", (double)pt->stored);
		cJSON_AddStringToObject(p, "encoding",
		    pt->zlib ? "zlib" : "none");
		xc_b64_encode(b64, pt->hash, 32);
		cJSON_AddStringToObject(p, "hash", b64);
		cJSON_AddItemToArray(parts, p);
	}
	return j;
}

int
xc_letter_trailer(const xc_seal_opts *o, const uint8_t stanzas[32],
    char **out, size_t *outlen)
{
	cJSON *j = header_json(o, stanzas);
	char *json = NULL, *buf = NULL;
	size_t jlen, n;
	int rc = 0;

	if (j == NULL || (json = cJSON_PrintUnformatted(j)) == NULL) {
		cJSON_Delete(j);
		return xc_fail(XC_ENOMEM, "out of memory");
	}
	cJSON_Delete(j);
	jlen = strlen(json);
	n = LETTER_LINE1 + jlen + 1;
	if (n > XC_MAX_LETTER_HEADER) {
		rc = xc_fail(XC_ELIMIT, "letter header too large");
		goto out;
	}
	if ((buf = malloc(n + 1)) == NULL) {
		rc = xc_fail(XC_ENOMEM, "out of memory");
		goto out;
	}
	if (o->seed) {
		uint8_t *sk = sodium_malloc(crypto_sign_SECRETKEYBYTES), pk[32];
		uint8_t sig[64], *msg;
		char ik64[48], sig64[96];
		if (sk == NULL || (msg = malloc(sizeof magic + jlen)) == NULL) {
			sodium_free(sk);
			rc = xc_fail(XC_ENOMEM, "out of memory");
			goto out;
		}
		crypto_sign_seed_keypair(pk, sk, o->seed);
		memcpy(msg, magic, sizeof magic);	/* with its NUL */
		memcpy(msg + sizeof magic, json, jlen);
		crypto_sign_detached(sig, NULL, msg, sizeof magic + jlen, sk);
		sodium_free(sk);
		free(msg);
		xc_b64_encode(ik64, pk, 32);
		xc_b64_encode(sig64, sig, 64);
		*outlen = (size_t)snprintf(buf, n + 1, "%s %s %s\n%s\n", magic,
		    ik64, sig64, json);
	} else
		*outlen = (size_t)snprintf(buf, n + 1, "%s - -\n%s\n", magic,
		    json);
	*out = buf;
	buf = NULL;
out:
	free(buf);
	free(json);
	return rc;
}

/* ---- the signed header, read ---- */

static int
str_field(const cJSON *o, const char *name, char *out, size_t cap)
{
	const cJSON *f = xc_json_get(o, name);

	if (!cJSON_IsString(f) || strlen(f->valuestring) >= cap)
		return -1;
	memcpy(out, f->valuestring, strlen(f->valuestring) + 1);
	return 0;
}

static int
parse_parts(xc_letter *L, const cJSON *arr)
{
	static const char *const pf[] = { "name", "role", "type", "size",
	    "stored", "encoding", "hash", NULL };
	const cJSON *e;
	uint64_t total = 0;
	size_t i, j, n;
	char role[8], enc[8];

	if (!cJSON_IsArray(arr) || (n = (size_t)cJSON_GetArraySize(arr)) < 1 ||
	    n > XC_MAX_PARTS)
		return xc_fail(XC_ELIMIT, "a letter has 1 to 1024 parts");
	if ((L->parts = calloc(n, sizeof *L->parts)) == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	i = 0;
	cJSON_ArrayForEach(e, arr) {
		xc_lpart *p = &L->parts[i];
		int64_t v;
		if (!cJSON_IsObject(e) || xc_json_only_keys(e, pf) != 0 ||
		    str_field(e, "name", p->name, sizeof p->name) != 0 ||
		    str_field(e, "role", role, sizeof role) != 0 ||
		    str_field(e, "type", p->type, sizeof p->type) != 0 ||
		    str_field(e, "encoding", enc, sizeof enc) != 0 ||
		    xc_json_b64(xc_json_get(e, "hash"), p->hash, 32) != 0)
			return xc_fail(XC_EJSON, "bad part in letter header");
		if (xc_json_int(e, "size", 0, (int64_t)XC_MAX_PART, &v) != 0)
			return xc_fail(XC_ELIMIT, "part larger than 4 GiB");
		p->size = (uint64_t)v;
		if (xc_json_int(e, "stored", 0, (int64_t)XC_MAX_PART, &v) != 0)
			return xc_fail(XC_ELIMIT, "part larger than 4 GiB");
		p->stored = (uint64_t)v;
		p->body = strcmp(role, "body") == 0;
		if ((i == 0) != p->body || (!p->body && strcmp(role, "file")))
			return xc_fail(XC_EJSON,
			    "the first part, and only it, is the body");
		if (p->body && strcmp(p->name, XC_BODY_NAME) != 0)
			return xc_fail(XC_EJSON, "the body is not message.txt");
		if (xc_part_name_ok(p->name) != 0 ||
		    strcmp(p->name, XC_TRAILER_NAME) == 0)
			return xc_fail(XC_EJSON, "unsafe part name");
		if (!type_known(p->type))
			return xc_fail(XC_EJSON, "unknown media type");
		if (strcmp(enc, "zlib") == 0)
			p->zlib = 1;
		else if (strcmp(enc, "none") != 0 || p->stored != p->size)
			return xc_fail(XC_EJSON, "bad part encoding");
		if (p->zlib && !xc_letter_ratio_ok(p->size, p->stored))
			return xc_fail(XC_ELIMIT,
			    "part expands more than 200 times");
		if (p->body && (p->size > XC_MAX_BODY ||
		    p->stored > XC_MAX_BODY))
			return xc_fail(XC_ELIMIT, "message text over 16 MiB");
		total += p->size;
		if (total > XC_MAX_TOTAL)
			return xc_fail(XC_ELIMIT, "letter larger than 16 GiB");
		for (j = 0; j < i; j++)
			if (strcmp(L->parts[j].name, p->name) == 0)
				return xc_fail(XC_EJSON,
				    "two parts with one name");
		L->nparts = ++i;
	}
	return 0;
}

static int
parse_header_json(xc_letter *L, const cJSON *j)
{
	static const char *const top[] = { "v", "id", "date", "expires",
	    "level", "from", "card", "to", "stanzas", "reply_to", "thread",
	    "parts", NULL };
	static const char *const tof[] = { "handle", "fp", NULL };
	const cJSON *f, *e;
	char from[XC_HANDLE_MAX + 2];
	int64_t v;
	size_t n;

	if (!cJSON_IsObject(j) || xc_json_only_keys(j, top) != 0)
		return xc_fail(XC_EJSON, "unknown field in letter header");
	if (xc_json_int(j, "v", 2, 2, &v) != 0)
		return xc_fail(XC_EUNSUPPORTED, "unsupported letter version");
	if (str_field(j, "id", L->id, sizeof L->id) != 0 || !hexid_ok(L->id) ||
	    str_field(j, "reply_to", L->reply_to, sizeof L->reply_to) != 0 ||
	    (L->reply_to[0] && !hexid_ok(L->reply_to)) ||
	    str_field(j, "thread", L->thread, sizeof L->thread) != 0 ||
	    (L->thread[0] && !hexid_ok(L->thread)))
		return xc_fail(XC_EJSON, "bad message id");
	/* Times fit the 11 octal digits of a tar header's mtime. */
	if (xc_json_int(j, "date", 0, XC_MAX_TIME, &L->date) != 0 ||
	    xc_json_int(j, "expires", 0, XC_MAX_TIME, &L->expires) != 0 ||
	    (L->expires && L->expires <= L->date))
		return xc_fail(XC_EJSON, "bad date or expiry");
	if (xc_json_int(j, "level", 0, 4, &v) != 0)
		return xc_fail(XC_EJSON, "bad level");
	L->level = (int)v;
	if (xc_json_b64(xc_json_get(j, "stanzas"), L->envhash, 32) != 0)
		return xc_fail(XC_EJSON, "bad stanzas hash");
	if (L->is_signed) {
		const cJSON *c = xc_json_get(j, "card");
		int rc;
		if (str_field(j, "from", from, sizeof from) != 0 ||
		    !cJSON_IsString(c))
			return xc_fail(XC_EJSON, "a signed letter names its "
			    "sender and carries a card");
		L->cardlen = strlen(c->valuestring);
		if ((L->card = malloc(L->cardlen + 1)) == NULL)
			return xc_fail(XC_ENOMEM, "out of memory");
		memcpy(L->card, c->valuestring, L->cardlen + 1);
		if ((rc = xc_card_parse(&L->sender, L->card, L->cardlen)) < 0)
			return rc == XC_ENOMEM ? rc :
			    xc_fail(XC_ECARD, "bad sender card in letter");
		if (sodium_memcmp(L->sender.ik, L->ik, 32) != 0 ||
		    strcmp(L->sender.handle, from) != 0)
			return xc_fail(XC_ESIG, "letter signed by another key "
			    "than its sender's card names");
	} else if (xc_json_get(j, "from") || xc_json_get(j, "card"))
		return xc_fail(XC_EJSON, "an unsigned letter names a sender");
	f = xc_json_get(j, "to");
	if (!cJSON_IsArray(f) || (n = (size_t)cJSON_GetArraySize(f)) < 1 ||
	    n > XC_MAX_RECIPIENTS)
		return xc_fail(XC_EJSON, "bad recipient list");
	if ((L->to = calloc(n, sizeof *L->to)) == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	cJSON_ArrayForEach(e, f) {
		xc_laddr *a = &L->to[L->nto];
		char h[XC_HANDLE_MAX + 1];
		if (!cJSON_IsObject(e) || xc_json_only_keys(e, tof) != 0 ||
		    str_field(e, "handle", a->handle, sizeof a->handle) != 0 ||
		    xc_handle_norm(h, a->handle, strlen(a->handle)) != 0 ||
		    strcmp(h, a->handle) != 0 ||
		    str_field(e, "fp", a->fp, sizeof a->fp) != 0 ||
		    strlen(a->fp) != XC_FINGERPRINT_LEN)
			return xc_fail(XC_EJSON, "bad recipient in letter");
		L->nto++;
	}
	return parse_parts(L, xc_json_get(j, "parts"));
}

int
xc_letter_header(xc_letter *L, const uint8_t *buf, size_t len)
{
	const char *json;
	size_t jlen, n;
	uint8_t sig[64], *msg;
	cJSON *j = NULL;
	int rc;

	if (len > XC_MAX_LETTER_HEADER)
		return xc_fail(XC_ELIMIT, "letter header over 1 MiB");
	if (len < sizeof magic + 5 || memcmp(buf, magic, sizeof magic - 1) ||
	    buf[sizeof magic - 1] != ' ')
		return xc_fail(XC_EHEADER, "not an xc-letter-v2 letter");
	if (memcmp(buf + sizeof magic, "- -\n", 4) == 0) {
		L->is_signed = 0;
		json = (const char *)buf + sizeof magic + 4;
	} else {
		if (len < LETTER_LINE1 + 2 || buf[sizeof magic + 43] != ' ' ||
		    buf[LETTER_LINE1 - 1] != '\n' ||
		    xc_b64_decode(L->ik, 32, &n, (const char *)buf +
		    sizeof magic, 43) != 0 || n != 32 ||
		    xc_b64_decode(sig, 64, &n, (const char *)buf +
		    sizeof magic + 44, 86) != 0 || n != 64)
			return xc_fail(XC_EHEADER, "bad letter frame line");
		L->is_signed = 1;
		json = (const char *)buf + LETTER_LINE1;
	}
	jlen = len - (size_t)(json - (const char *)buf);
	if (jlen < 2 || json[jlen - 1] != '\n' ||
	    memchr(json, '\n', jlen - 1) != NULL)
		return xc_fail(XC_EHEADER,
		    "a letter header is two lines, each ending in a newline");
	jlen--;
	/* The signature first: the JSON parser sees only signed bytes. */
	if (L->is_signed) {
		if ((msg = malloc(sizeof magic + jlen)) == NULL)
			return xc_fail(XC_ENOMEM, "out of memory");
		memcpy(msg, magic, sizeof magic);
		memcpy(msg + sizeof magic, json, jlen);
		rc = crypto_sign_verify_detached(sig, msg, sizeof magic + jlen,
		    L->ik);
		free(msg);
		if (rc != 0)
			return xc_fail(XC_ESIG, "letter signature does not verify");
	}
	if ((rc = xc_json_check(json, jlen, XC_MAX_LETTER_DEPTH,
	    XC_MAX_LETTER_HEADER)) < 0)
		return rc;
	if ((j = cJSON_ParseWithLength(json, jlen)) == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	rc = parse_header_json(L, j);
	cJSON_Delete(j);
	return rc;
}

int
xc_letter_addressed(const xc_letter *L, const char *handle,
    const uint8_t ik[32])
{
	char fp[XC_FINGERPRINT_LEN + 1];
	size_t i;

	xc_fingerprint(fp, handle, ik);
	for (i = 0; i < L->nto; i++)
		if (strcmp(L->to[i].handle, handle) == 0 &&
		    strcmp(L->to[i].fp, fp) == 0)
			return 1;
	return 0;
}

/* ---- the bytes again ---- */

static int
zeros(xc_wr out, uint64_t n)
{
	static const uint8_t z[4096];
	int rc;

	while (n > 0) {
		size_t k = n < sizeof z ? (size_t)n : sizeof z;
		if ((rc = out.write(out.ctx, z, k)) < 0)
			return rc;
		n -= k;
	}
	return 0;
}

/* One entry as xc writes it: header, data, zeros to the block. */
static int
entry(xc_wr out, const char *name, const uint8_t *data, uint64_t n,
    int64_t date, uint64_t *off)
{
	uint8_t hdr[XC_TAR_HDR_MAX];
	size_t h = xc_tar_header(hdr, name, n, date);
	int rc;

	if ((rc = out.write(out.ctx, hdr, h)) < 0 ||
	    (n && (rc = out.write(out.ctx, data, (size_t)n)) < 0) ||
	    (rc = zeros(out, XC_TAR_PAD(n))) < 0)
		return rc;
	*off += h + n + XC_TAR_PAD(n);
	return 0;
}

int
xc_letter_serialize(const xc_letter *L, xc_wr out)
{
	uint64_t off = 0;
	size_t i;
	int rc;

	if (L->trailer == NULL)
		return xc_fail(XC_EINVAL, "not a letter read into memory");
	for (i = 0; i < L->nparts; i++) {
		const xc_lpart *p = &L->parts[i];
		if (p->stored && p->smem == NULL)
			return xc_fail(XC_EINVAL, "not a letter read into memory");
		if ((rc = entry(out, p->name, p->smem, p->stored, L->date,
		    &off)) < 0)
			return rc;
	}
	if ((rc = entry(out, XC_TRAILER_NAME, L->trailer, L->trailerlen,
	    L->date, &off)) < 0 || (rc = zeros(out, 2 * XC_TAR_BLOCK)) < 0)
		return rc;
	off += 2 * XC_TAR_BLOCK;
	return zeros(out, xc_letter_padded(off, L->level) - off);
}

/* ---- committing ---- */

/* "photo.jpg" -> "photo.1.jpg"; "notes" -> "notes.1".  The stem is cut
 * (on a character boundary) so that the result is still a valid name. */
static void
alt_name(char *out, size_t cap, const char *name, int k)
{
	const char *dot = strrchr(name, '.');
	char suffix[XC_MAX_NAME + 16];
	size_t stem, room, i;

	if (dot == NULL || dot == name)
		dot = name + strlen(name);
	snprintf(suffix, sizeof suffix, ".%d%s", k, dot);
	if (strlen(suffix) > XC_MAX_NAME / 2)	/* a long extension goes */
		snprintf(suffix, sizeof suffix, ".%d", k);
	stem = (size_t)(dot - name);
	room = XC_MAX_NAME - strlen(suffix);
	if (stem > room) {
		for (i = room; i > 0 && ((unsigned char)name[i] & 0xc0) == 0x80;
		    i--)
			;
		stem = i;
	}
	snprintf(out, cap, "%.*s%s", (int)stem, name, suffix);
}

/* All the attachments or none: each is linked to its name (never over an
 * existing file), and if one link or the sync of the directory fails, the
 * ones linked so far are removed again; only then do the temporary names
 * go. */
int
xc_letter_commit(xc_letter *L)
{
	struct stat a, b;
	size_t i, done;
	int k, rc = 0, saved;

	for (done = 0; done < L->nparts && rc == 0; done++) {
		xc_lpart *p = &L->parts[done];
		if (p->tmp[0] == '\0')
			continue;
		snprintf(p->saved, sizeof p->saved, "%s", p->name);
		for (k = 1; linkat(L->dirfd, p->tmp, L->dirfd, p->saved, 0)
		    != 0; k++) {
			if (errno != EEXIST || k > 9999) {
				rc = xc_fail(XC_EWRITE,
				    "cannot save an attachment");
				p->saved[0] = '\0';
				break;
			}
			alt_name(p->saved, sizeof p->saved, p->name, k);
		}
	}
	if (rc == 0 && L->dirfd >= 0 && fsync(L->dirfd) != 0)
		rc = xc_fail(XC_EWRITE, "cannot sync the output directory");
	if (rc < 0) {
		saved = errno;
		/* Undone: a name is removed only if it is still our file. */
		for (i = 0; i < done && i < L->nparts; i++) {
			xc_lpart *p = &L->parts[i];
			if (p->tmp[0] == '\0' || p->saved[0] == '\0')
				continue;
			if (fstatat(L->dirfd, p->tmp, &a,
			    AT_SYMLINK_NOFOLLOW) == 0 &&
			    fstatat(L->dirfd, p->saved, &b,
			    AT_SYMLINK_NOFOLLOW) == 0 &&
			    a.st_dev == b.st_dev && a.st_ino == b.st_ino)
				unlinkat(L->dirfd, p->saved, 0);
			p->saved[0] = '\0';
		}
		fsync(L->dirfd);
		errno = saved;
		return rc;
	}
	for (i = 0; i < L->nparts; i++) {
		xc_lpart *p = &L->parts[i];
		if (p->tmp[0] == '\0')
			continue;
		xc_tmp_remove(L->dirfd, p->tmp);
		p->tmp[0] = '\0';
	}
	return 0;
}


void
xc_letter_free(xc_letter *L)
{
	size_t i;

	for (i = 0; i < L->nparts; i++) {
		xc_lpart *p = &L->parts[i];
		if (p->tmp[0] && L->dirfd >= 0)
			xc_tmp_remove(L->dirfd, p->tmp);
		if (p->ztmp[0] && L->dirfd >= 0)
			xc_tmp_remove(L->dirfd, p->ztmp);
		if (p->smem && p->smem != p->mem) {
			sodium_memzero(p->smem, (size_t)p->stored);
			free(p->smem);
		}
		if (p->mem && !p->body) {
			sodium_memzero(p->mem, (size_t)p->size);
			free(p->mem);
		}
	}
	if (L->body) {
		sodium_memzero(L->body, L->bodylen);
		free(L->body);
	}
	free(L->parts);
	free(L->to);
	free(L->card);
	free(L->trailer);
	memset(L, 0, sizeof *L);
	L->dirfd = -1;
}
