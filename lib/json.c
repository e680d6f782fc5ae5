/*
 * json.c - a strict JSON validator that runs before cJSON sees a byte.
 *
 * Cards and letters are signed over their exact bytes and then parsed with
 * cJSON, which is lenient: it keeps duplicate keys, finds keys ignoring case,
 * cuts strings at \u0000, reads numbers as doubles, passes invalid UTF-8 and
 * nests 1000 deep.  Two readers could then see two different documents under
 * one signature.  xc_json_check() accepts one reading only: exactly one
 * RFC 8259 value with optional space, tab, CR or LF around it; strings of
 * valid UTF-8 (RFC 3629: no overlongs, no encoded surrogates, nothing above
 * U+10FFFF) with no raw control characters, only the RFC escapes, no \u0000
 * and surrogate escapes only as a high-low pair; integers only, without a
 * fraction, exponent, leading zero or "-0", and no larger in magnitude than
 * 2^53-1 so that a double holds them exactly; the literals true, false and
 * null; at most XC_MAX_JSON_KEYS keys per object, no two of them equal after
 * unescaping and folding ASCII case (the fold cJSON_GetObjectItem uses); at
 * most maxdepth nested arrays and objects.
 *
 * The input is attacker-controlled: the checker never recurses (it keeps an
 * explicit stack of at most min(maxdepth, len) frames), allocates O(len)
 * bytes at most and frees them on every path.  Unescaped keys of the objects
 * still open live in one arena of len bytes, which is enough because a
 * string never unescapes to more bytes than it is written with.
 */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "xc.h"

#define MAX_INT 9007199254740991ULL	/* 2^53 - 1 */

struct frame {
	size_t firstkey;	/* index in keys[] of this object's first key */
	int obj;		/* 1 for an object, 0 for an array */
};

struct key {
	size_t off, n;		/* unescaped bytes at arena + off */
};

struct ck {
	const unsigned char *s;
	size_t len, p;
	uint8_t *arena;
	size_t atop;
	struct key *keys;
	size_t nkeys, capkeys;
};

static void
skip_ws(struct ck *c)
{
	while (c->p < c->len && (c->s[c->p] == ' ' || c->s[c->p] == '\t' ||
	    c->s[c->p] == '\n' || c->s[c->p] == '\r'))
		c->p++;
}

static int
isdigit_(unsigned char ch)
{
	return ch >= '0' && ch <= '9';
}

/* Length of the well-formed UTF-8 sequence of 2-4 bytes at s (RFC 3629 §4),
 * or 0: the second byte's range excludes overlongs (E0, F0), surrogates (ED)
 * and code points above U+10FFFF (F4). */
static size_t
utf8(const unsigned char *s, size_t avail)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (avail < n || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

static int
hex4(const unsigned char *s, size_t avail, uint32_t *v)
{
	size_t i;

	if (avail < 4)
		return -1;
	*v = 0;
	for (i = 0; i < 4; i++) {
		unsigned char ch = s[i];
		uint32_t d;
		if (ch >= '0' && ch <= '9')
			d = ch - '0';
		else if (ch >= 'a' && ch <= 'f')
			d = ch - 'a' + 10;
		else if (ch >= 'A' && ch <= 'F')
			d = ch - 'A' + 10;
		else
			return -1;
		*v = *v << 4 | d;
	}
	return 0;
}

static size_t
put_utf8(uint8_t *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (uint8_t)(0xc0 | cp >> 6);
		out[1] = (uint8_t)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (uint8_t)(0xe0 | cp >> 12);
		out[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (uint8_t)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (uint8_t)(0xf0 | cp >> 18);
	out[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (uint8_t)(0x80 | (cp & 0x3f));
	return 4;
}

/* The string whose opening quote is at c->p; leaves c->p after the closing
 * quote.  With out, stores the unescaped bytes there (never more than the
 * string's length in the input: an escape of 2, 6 or 12 bytes yields 1-3, 1-3
 * or 4 bytes) and their count in *outn. */
static int
string(struct ck *c, uint8_t *out, size_t *outn)
{
	const unsigned char *s = c->s;
	size_t p = c->p + 1, n = 0, k;
	uint32_t cp, lo;

	for (;;) {
		if (p == c->len)
			return xc_fail(XC_EJSON, "unterminated JSON string");
		if (s[p] == '"')
			break;
		if (s[p] < 0x20)	/* NUL included */
			return xc_fail(XC_EJSON,
			    "control character in JSON string");
		if (s[p] < 0x80 && s[p] != '\\') {
			if (out != NULL)
				out[n++] = s[p];
			p++;
			continue;
		}
		if (s[p] >= 0x80) {
			if ((k = utf8(s + p, c->len - p)) == 0)
				return xc_fail(XC_EJSON,
				    "invalid UTF-8 in JSON string");
			if (out != NULL)
				memcpy(out + n, s + p, k);
			n += k;
			p += k;
			continue;
		}
		if (p + 1 == c->len)
			return xc_fail(XC_EJSON, "unterminated JSON string");
		switch (s[p + 1]) {
		case '"': cp = '"'; break;
		case '\\': cp = '\\'; break;
		case '/': cp = '/'; break;
		case 'b': cp = '\b'; break;
		case 'f': cp = '\f'; break;
		case 'n': cp = '\n'; break;
		case 'r': cp = '\r'; break;
		case 't': cp = '\t'; break;
		case 'u':
			if (hex4(s + p + 2, c->len - p - 2, &cp) != 0)
				return xc_fail(XC_EJSON,
				    "bad \\u escape in JSON string");
			if (cp == 0)
				return xc_fail(XC_EJSON,
				    "\\u0000 in JSON string");
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return xc_fail(XC_EJSON,
				    "unpaired surrogate in JSON string");
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (c->len - p - 6 < 2 || s[p + 6] != '\\' ||
				    s[p + 7] != 'u' ||
				    hex4(s + p + 8, c->len - p - 8, &lo) != 0 ||
				    lo < 0xdc00 || lo > 0xdfff)
					return xc_fail(XC_EJSON, "unpaired "
					    "surrogate in JSON string");
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
				p += 6;
			}
			p += 4;
			break;
		default:
			return xc_fail(XC_EJSON, "bad escape in JSON string");
		}
		p += 2;
		if (out != NULL)
			n += put_utf8(out + n, cp);
	}
	c->p = p + 1;
	if (outn != NULL)
		*outn = n;
	return 0;
}

static int
number(struct ck *c)
{
	const unsigned char *s = c->s;
	size_t p = c->p, nd = 0;
	uint64_t v = 0;
	int neg = 0;

	if (s[p] == '-') {
		neg = 1;
		p++;
	}
	if (p == c->len || !isdigit_(s[p]))
		return xc_fail(XC_EJSON, "bad JSON number");
	if (s[p] == '0') {
		p++;
		if (p < c->len && isdigit_(s[p]))
			return xc_fail(XC_EJSON, "leading zero in JSON number");
	} else
		for (; p < c->len && isdigit_(s[p]); p++) {
			if (++nd > 16)	/* so v cannot overflow */
				return xc_fail(XC_EJSON,
				    "JSON number out of range");
			v = v * 10 + (uint64_t)(s[p] - '0');
		}
	if (p < c->len && (s[p] == '.' || s[p] == 'e' || s[p] == 'E'))
		return xc_fail(XC_EJSON, "JSON number is not an integer");
	if (v > MAX_INT)
		return xc_fail(XC_EJSON, "JSON number out of range");
	if (neg && v == 0)
		return xc_fail(XC_EJSON, "negative zero in JSON");
	c->p = p;
	return 0;
}

static int
literal(struct ck *c)
{
	static const char *const lit[] = { "true", "false", "null" };
	size_t i, n;

	for (i = 0; i < sizeof lit / sizeof lit[0]; i++) {
		n = strlen(lit[i]);
		if (c->len - c->p >= n && memcmp(c->s + c->p, lit[i], n) == 0) {
			c->p += n;
			return 0;
		}
	}
	return xc_fail(XC_EJSON, "unexpected character in JSON");
}

static int
foldeq(const uint8_t *a, const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint8_t x = a[i], y = b[i];
		if (x >= 'A' && x <= 'Z')
			x += 'a' - 'A';
		if (y >= 'A' && y <= 'Z')
			y += 'a' - 'A';
		if (x != y)
			return 0;
	}
	return 1;
}

/* The key at c->p of the object f: unescaped onto the arena and compared
 * with the object's earlier keys (at most XC_MAX_JSON_KEYS, so the pairwise
 * comparison is bounded). */
static int
key(struct ck *c, const struct frame *f)
{
	uint8_t *k = c->arena + c->atop;
	size_t n, i;
	int e;

	if (c->p == c->len || c->s[c->p] != '"')
		return xc_fail(XC_EJSON, "expected a JSON key");
	if (c->nkeys - f->firstkey >= XC_MAX_JSON_KEYS)
		return xc_fail(XC_EJSON, "too many keys in JSON object");
	/* Cannot happen (each key takes at least 3 input bytes and each
	 * open object at most XC_MAX_JSON_KEYS); checked all the same. */
	if (c->nkeys == c->capkeys)
		return xc_fail(XC_EJSON, "too many keys in JSON");
	if ((e = string(c, k, &n)) != 0)
		return e;
	for (i = f->firstkey; i < c->nkeys; i++) {
		const struct key *o = &c->keys[i];
		if (o->n != n)
			continue;
		if (memcmp(c->arena + o->off, k, n) == 0)
			return xc_fail(XC_EJSON, "duplicate JSON key");
		if (foldeq(c->arena + o->off, k, n))
			return xc_fail(XC_EJSON,
			    "JSON keys differ only in case");
	}
	c->keys[c->nkeys].off = c->atop;
	c->keys[c->nkeys].n = n;
	c->nkeys++;
	c->atop += n;
	return 0;
}

int
xc_json_check(const char *s, size_t len, size_t maxdepth, size_t maxlen)
{
	enum { VALUE, AFTER, KEY } state = VALUE;
	struct ck c;
	struct frame *fr = NULL, *f;
	size_t depth = 0, nfr;
	unsigned char ch;
	int e;

	if (s == NULL && len != 0)
		return xc_fail(XC_EINVAL, "no JSON input");
	if (len > maxlen)
		return xc_fail(XC_ELIMIT, "JSON document too long");
	memset(&c, 0, sizeof c);
	c.s = (const unsigned char *)s;
	c.len = len;
	skip_ws(&c);
	if (c.p == len)
		return xc_fail(XC_EJSON, "empty JSON document");

	/* Each open container takes an input byte and each open key at
	 * least three ("":), so these bounds are O(len) whatever maxdepth. */
	nfr = maxdepth < len ? maxdepth : len;
	c.capkeys = len / 3 + 1;
	if (nfr <= c.capkeys / XC_MAX_JSON_KEYS)
		c.capkeys = nfr * XC_MAX_JSON_KEYS;
	if ((fr = calloc(nfr ? nfr : 1, sizeof *fr)) == NULL ||
	    (c.keys = calloc(c.capkeys ? c.capkeys : 1, sizeof *c.keys)) ==
	    NULL || (c.arena = malloc(len)) == NULL) {
		e = xc_fail(XC_ENOMEM, "out of memory checking JSON");
		goto out;
	}

	for (;;) {
		if (state == KEY) {
			if ((e = key(&c, &fr[depth - 1])) != 0)
				goto out;
			skip_ws(&c);
			if (c.p == len || c.s[c.p] != ':') {
				e = xc_fail(XC_EJSON, "expected ':' in JSON");
				goto out;
			}
			c.p++;
			skip_ws(&c);
			state = VALUE;
			continue;
		}
		if (state == AFTER) {
			skip_ws(&c);
			if (depth == 0)
				break;
			f = &fr[depth - 1];
			if (c.p == len) {
				e = xc_fail(XC_EJSON, "truncated JSON");
				goto out;
			}
			ch = c.s[c.p];
			if (ch == ',') {
				c.p++;
				skip_ws(&c);
				state = f->obj ? KEY : VALUE;
				continue;
			}
			if (ch != (f->obj ? '}' : ']')) {
				e = xc_fail(XC_EJSON, "expected ',' or a "
				    "closing bracket in JSON");
				goto out;
			}
			c.p++;
			if (f->obj && f->firstkey < c.nkeys) {
				c.atop = c.keys[f->firstkey].off;
				c.nkeys = f->firstkey;
			}
			depth--;
			continue;
		}

		/* VALUE: whitespace has been skipped. */
		if (c.p == len) {
			e = xc_fail(XC_EJSON, "truncated JSON");
			goto out;
		}
		ch = c.s[c.p];
		if (ch == '{' || ch == '[') {
			if (depth == maxdepth) {
				e = xc_fail(XC_EJSON, "JSON nested too deeply");
				goto out;
			}
			f = &fr[depth++];
			f->obj = ch == '{';
			f->firstkey = c.nkeys;
			c.p++;
			skip_ws(&c);
			if (c.p < len && c.s[c.p] == (f->obj ? '}' : ']')) {
				c.p++;
				depth--;
				state = AFTER;
			} else
				state = f->obj ? KEY : VALUE;
			continue;
		}
		if (ch == '"')
			e = string(&c, NULL, NULL);
		else if (ch == '-' || isdigit_(ch))
			e = number(&c);
		else
			e = literal(&c);
		if (e != 0)
			goto out;
		state = AFTER;
	}
	if (c.p != len) {
		e = xc_fail(XC_EJSON, "trailing bytes after JSON value");
		goto out;
	}
	e = 0;
out:
	free(c.arena);
	free(c.keys);
	free(fr);
	return e;
}

int
xc_json_parse(const char *s, size_t len, struct cJSON **out)
{
	char *copy;
	int e;

	if (out == NULL)
		return xc_fail(XC_EINVAL, "no place for the parsed JSON");
	*out = NULL;
	if ((e = xc_json_check(s, len, XC_MAX_JSON_DEPTH, XC_MAX_JSON)) != 0)
		return e;
	/* cJSON's require_null_terminated wants the NUL inside the buffer
	 * length: cJSON_ParseWithLengthOpts(s, len, NULL, 1) always fails. */
	if ((copy = malloc(len + 1)) == NULL)
		return xc_fail(XC_ENOMEM, "out of memory parsing JSON");
	memcpy(copy, s, len);
	copy[len] = '\0';
	*out = cJSON_ParseWithLengthOpts(copy, len + 1, NULL, 1);
	free(copy);
	if (*out == NULL)
		return xc_fail(XC_ENOMEM, "cJSON failed on checked JSON");
	return 0;
}

/* ---- reading fields of a checked document (cards, letters) ---- */

const cJSON *
xc_json_get(const cJSON *o, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(o, name);
}

/* xc_json_check let only integers of at most 2^53-1 through, so the
 * double holds the exact value. */
int
xc_json_int(const cJSON *o, const char *name, int64_t lo, int64_t hi,
    int64_t *v)
{
	const cJSON *f = xc_json_get(o, name);

	if (!cJSON_IsNumber(f) || f->valuedouble < (double)lo ||
	    f->valuedouble > (double)hi)
		return -1;
	*v = (int64_t)f->valuedouble;
	return 0;
}

int
xc_json_b64(const cJSON *f, uint8_t *out, size_t want)
{
	size_t n;

	if (!cJSON_IsString(f) || xc_b64_decode(out, want, &n,
	    f->valuestring, strlen(f->valuestring)) != 0 || n != want)
		return -1;
	return 0;
}

int
xc_json_only_keys(const cJSON *o, const char *const *names)
{
	const cJSON *k;
	size_t i;

	for (k = o->child; k != NULL; k = k->next) {
		for (i = 0; names[i] && strcmp(names[i], k->string) != 0; i++)
			;
		if (names[i] == NULL)
			return -1;
	}
	return 0;
}

size_t
xc_utf8_char(const uint8_t *s, size_t avail)
{
	if (avail == 0)
		return 0;
	return s[0] < 0x80 ? 1 : utf8(s, avail);
}

int
xc_utf8_valid(const uint8_t *s, size_t n)
{
	size_t i, k;

	for (i = 0; i < n; i += k)
		if ((k = xc_utf8_char(s + i, n - i)) == 0)
			return 0;
	return 1;
}
