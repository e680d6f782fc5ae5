/*
 * test-json.c - the strict JSON checker (B03's unit half): every rule of
 * lib/json.c both ways, the limits at and one past their values, and that
 * cJSON reads what the checker accepted as the checker read it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../../lib/xc.h"
#include "unit.h"

#define J(s) s, sizeof(s) - 1

static const struct {
	const char *what;
	const char *s;
	size_t len;
} good[] = {
	{ "empty object", J("{}") },
	{ "empty array", J("[]") },
	{ "whitespace around and inside",
	    J(" \t\r\n{ \"a\" :\t[ 1 , 2 ]\r\n} \n") },
	{ "nested document",
	    J("{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}") },
	{ "mixed nesting", J("[1,[2,[3]],{\"x\":[]},{}]") },
	{ "top-level string", J("\"hello\"") },
	{ "top-level true", J("true") },
	{ "top-level false", J("false") },
	{ "top-level null", J("null") },
	{ "zero", J("0") },
	{ "negative integer", J("-1") },
	{ "2^53-1", J("9007199254740991") },
	{ "-(2^53-1)", J("-9007199254740991") },
	{ "16-digit integer below 2^53", J("1000000000000000") },
	{ "the RFC escapes", J("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"") },
	{ "escaped control character \\u0001", J("\"\\u0001\"") },
	{ "escaped \\u00e9 and \\uFFFF", J("\"\\u00e9\\uFFFF\"") },
	{ "surrogate pair \\ud83d\\ude00", J("\"\\ud83d\\ude00\"") },
	{ "surrogate pair in upper case", J("\"\\uD83D\\uDE00\"") },
	{ "surrogate pair U+10FFFF", J("\"\\uDBFF\\uDFFF\"") },
	{ "raw 2- and 3-byte UTF-8", J("\"\xc3\xa9\xe2\x82\xac\"") },
	{ "raw 4-byte UTF-8", J("\"\xf0\x9f\x98\x80\"") },
	{ "raw U+D7FF and U+E000", J("\"\xed\x9f\xbf\xee\x80\x80\"") },
	{ "raw U+10FFFF", J("\"\xf4\x8f\xbf\xbf\"") },
	{ "raw DEL", J("\"\x7f\"") },
	{ "keys differing beyond ASCII case",
	    J("{\"\xc3\xa9\":1,\"\xc3\x89\":2,\"a\":3,\"b\":4}") },
	{ "prefix keys and the empty key", J("{\"a\":1,\"ab\":2,\"\":3}") },
	{ "one key in sibling objects", J("[{\"a\":1},{\"a\":1}]") },
	{ "one key at each depth", J("{\"a\":{\"a\":{\"a\":1}},\"b\":1}") },
	{ "keys after a closed inner object",
	    J("{\"x\":{\"a\":1,\"b\":2},\"a\":3,\"b\":4}") },
};

static const struct {
	const char *what;
	const char *s;
	size_t len;
} bad[] = {
	{ "empty input", J("") },
	{ "whitespace only", J(" \n\t") },
	{ "duplicate key", J("{\"a\":1,\"a\":2}") },
	{ "case-variant keys a and A", J("{\"a\":1,\"A\":2}") },
	{ "case-variant keys Key and kEY", J("{\"Key\":1,\"kEY\":2}") },
	{ "duplicate key spelt \\u0061", J("{\"a\":1,\"\\u0061\":2}") },
	{ "case-variant key spelt \\u0041", J("{\"a\":1,\"\\u0041\":2}") },
	{ "duplicate key after an inner object",
	    J("{\"a\":{\"b\":1},\"c\":1,\"a\":2}") },
	{ "case-variant keys in an inner object",
	    J("{\"x\":{\"b\":1,\"B\":2}}") },
	{ "\\u0000 in a value", J("\"a\\u0000b\"") },
	{ "\\u0000 in a key", J("{\"a\\u0000\":1}") },
	{ "raw LF in a string", J("\"a\nb\"") },
	{ "raw tab in a string", J("\"a\tb\"") },
	{ "raw 0x01 in a string", J("\"\x01\"") },
	{ "raw 0x1f in a string", J("\"\x1f\"") },
	{ "trailing garbage {} x", J("{} x") },
	{ "two values {}{}", J("{}{}") },
	{ "two numbers", J("1 2") },
	{ "trailing comma in array", J("[1,]") },
	{ "trailing comma in object", J("{\"a\":1,}") },
	{ "missing comma", J("[1 2]") },
	{ "missing colon", J("{\"a\" 1}") },
	{ "key without value", J("{\"a\"}") },
	{ "number as key", J("{1:2}") },
	{ "single quotes", J("'a'") },
	{ "unclosed array", J("[1") },
	{ "unclosed object", J("{\"a\":1") },
	{ "lone closing bracket", J("]") },
	{ "mismatched brackets", J("[}") },
	{ "2^53", J("9007199254740992") },
	{ "-2^53", J("-9007199254740992") },
	{ "17 digits", J("12345678901234567") },
	{ "exponent 1e3", J("1e3") },
	{ "exponent 1E3", J("1E3") },
	{ "fraction 1.5", J("1.5") },
	{ "fraction 1.0", J("1.0") },
	{ "leading zero 01", J("01") },
	{ "leading zero -01", J("-01") },
	{ "negative zero -0", J("-0") },
	{ "lone minus", J("-") },
	{ "plus sign", J("+1") },
	{ "leading dot", J(".5") },
	{ "hex number", J("0x10") },
	{ "NaN", J("NaN") },
	{ "Infinity", J("Infinity") },
	{ "overlong C0 80", J("\"\xc0\x80\"") },
	{ "overlong C1 BF", J("\"\xc1\xbf\"") },
	{ "overlong E0 80 AF", J("\"\xe0\x80\xaf\"") },
	{ "overlong F0 80 80 AF", J("\"\xf0\x80\x80\xaf\"") },
	{ "UTF-8 surrogate ED A0 80", J("\"\xed\xa0\x80\"") },
	{ "UTF-8 surrogate ED BF BF", J("\"\xed\xbf\xbf\"") },
	{ "above U+10FFFF F4 90 80 80", J("\"\xf4\x90\x80\x80\"") },
	{ "F5 lead byte", J("\"\xf5\x80\x80\x80\"") },
	{ "truncated E2 82 before the quote", J("\"\xe2\x82\"") },
	{ "truncated E2 82 at end of input", J("\"\xe2\x82") },
	{ "lone continuation byte", J("\"\x80\"") },
	{ "byte FF", J("\"\xff\"") },
	{ "invalid UTF-8 in a key", J("{\"\xc3\":1}") },
	{ "lone high surrogate \\uD800", J("\"\\uD800\"") },
	{ "high surrogate then a letter", J("\"\\uD800x\"") },
	{ "high surrogate then \\u0041", J("\"\\uD800\\u0041\"") },
	{ "two high surrogates", J("\"\\uD800\\uD800\"") },
	{ "high surrogate at end of input", J("\"\\uD800") },
	{ "lone low surrogate \\uDC00", J("\"\\uDC00\"") },
	{ "misordered pair \\uDC00\\uD800", J("\"\\uDC00\\uD800\"") },
	{ "short \\u escape", J("\"\\u12\"") },
	{ "non-hex \\u escape", J("\"\\u12G4\"") },
	{ "\\U escape", J("\"\\U0041\"") },
	{ "\\x escape", J("\"\\x41\"") },
	{ "\\' escape", J("\"\\'\"") },
	{ "backslash at end of input", J("\"\\") },
	{ "unterminated string", J("\"abc") },
	{ "truncated literal tru", J("tru") },
	{ "literal True", J("True") },
	{ "literal nul", J("nul") },
	{ "literal with a tail", J("nullx") },
	{ "NUL after the value", J("{}\0") },
	{ "NUL before the value", J("\0{}") },
	{ "NUL inside a string", J("\"b\0c\"") },
	{ "NUL as whitespace", J("{\"a\":" "\0" "1}") },
	{ "byte order mark", J("\xef\xbb\xbf{}") },
	{ "form feed as whitespace", J("{}\f") },
	{ "vertical tab as whitespace", J("\v{}") },
};

/* n nested arrays, or objects {"k":...} when obj; NUL-terminated, free() */
static char *
nest(size_t n, int obj, size_t *len)
{
	size_t i, k = 0, per = obj ? 5 : 1;
	char *s = malloc(n * (per + 1) + 2);

	if (s == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		memcpy(s + k, obj ? "{\"k\":" : "[", per);
		k += per;
	}
	s[k++] = '1';
	for (i = 0; i < n; i++)
		s[k++] = obj ? '}' : ']';
	s[k] = '\0';
	*len = k;
	return s;
}

static void
rules(void)
{
	size_t i, nparsed = 0;
	int e;

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		e = xc_json_check(good[i].s, good[i].len, XC_MAX_JSON_DEPTH,
		    XC_MAX_JSON);
		if (!ok(e == 0, "json accepts %s", good[i].what))
			diag("got %d (%s)", e, xc_errdetail());
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		e = xc_json_check(bad[i].s, bad[i].len, XC_MAX_JSON_DEPTH,
		    XC_MAX_JSON);
		if (!ok(e == XC_EJSON, "json rejects %s", bad[i].what))
			diag("got %d", e);
	}
	/* cJSON must take everything the checker takes. */
	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		cJSON *j;
		if (xc_json_parse(good[i].s, good[i].len, &j) == 0 &&
		    j != NULL) {
			nparsed++;
			cJSON_Delete(j);
		} else
			diag("cJSON refused %s", good[i].what);
	}
	ok(nparsed == sizeof good / sizeof good[0],
	    "json: cJSON parses all %zu accepted documents", nparsed);
	ok(strcmp(xc_strerror(XC_EJSON), "malformed JSON") == 0,
	    "json: XC_EJSON reads 'malformed JSON'");
}

static void
limits(void)
{
	size_t len, i;
	char *s, *big;

	s = nest(XC_MAX_JSON_DEPTH, 0, &len);
	ok(s && xc_json_check(s, len, XC_MAX_JSON_DEPTH, XC_MAX_JSON) == 0,
	    "json accepts %d nested arrays", XC_MAX_JSON_DEPTH);
	free(s);
	s = nest(XC_MAX_JSON_DEPTH + 1, 0, &len);
	ok(s && xc_json_check(s, len, XC_MAX_JSON_DEPTH, XC_MAX_JSON) ==
	    XC_EJSON, "json rejects %d nested arrays", XC_MAX_JSON_DEPTH + 1);
	free(s);
	s = nest(XC_MAX_JSON_DEPTH, 1, &len);
	ok(s && xc_json_check(s, len, XC_MAX_JSON_DEPTH, XC_MAX_JSON) == 0,
	    "json accepts %d nested objects", XC_MAX_JSON_DEPTH);
	free(s);
	s = nest(XC_MAX_JSON_DEPTH + 1, 1, &len);
	ok(s && xc_json_check(s, len, XC_MAX_JSON_DEPTH, XC_MAX_JSON) ==
	    XC_EJSON, "json rejects %d nested objects", XC_MAX_JSON_DEPTH + 1);
	free(s);
	ok(xc_json_check("1", 1, 0, 10) == 0 &&
	    xc_json_check("[]", 2, 0, 10) == XC_EJSON &&
	    xc_json_check("[[]]", 4, 1, 10) == XC_EJSON &&
	    xc_json_check("[[]]", 4, 2, 10) == 0,
	    "json honours maxdepth 0, 1 and 2");
	/* No recursion: 100,000 levels with the depth limit lifted. */
	s = nest(100000, 0, &len);
	ok(s && xc_json_check(s, len, SIZE_MAX, SIZE_MAX) == 0,
	    "json checks 100000 nested arrays without recursing");
	ok(s && xc_json_check(s, len - 1, SIZE_MAX, SIZE_MAX) == XC_EJSON,
	    "json rejects 100000 nested arrays with one bracket missing");
	free(s);

	if ((big = malloc(XC_MAX_JSON + 2)) == NULL) {
		ok(0, "json: malloc");
		return;
	}
	big[0] = '"';
	memset(big + 1, 'a', XC_MAX_JSON);
	big[XC_MAX_JSON - 1] = '"';
	ok(xc_json_check(big, XC_MAX_JSON, XC_MAX_JSON_DEPTH, XC_MAX_JSON) ==
	    0, "json accepts a document of exactly XC_MAX_JSON bytes");
	big[XC_MAX_JSON - 1] = 'a';
	big[XC_MAX_JSON] = '"';
	ok(xc_json_check(big, XC_MAX_JSON + 1, XC_MAX_JSON_DEPTH,
	    XC_MAX_JSON) == XC_ELIMIT, "json: XC_MAX_JSON + 1 bytes is "
	    "XC_ELIMIT");
	ok(xc_json_check("{}", 2, XC_MAX_JSON_DEPTH, 1) == XC_ELIMIT,
	    "json honours a smaller maxlen");

	/* XC_MAX_JSON_KEYS keys per object, then one more. */
	len = 0;
	big[len++] = '{';
	for (i = 0; i < XC_MAX_JSON_KEYS + 1; i++)
		len += (size_t)snprintf(big + len, 32, "%s\"k%zu\":%zu",
		    i ? "," : "", i, i);
	big[len++] = '}';
	big[len] = '\0';
	ok(xc_json_check(big, len, XC_MAX_JSON_DEPTH, XC_MAX_JSON) ==
	    XC_EJSON, "json rejects an object of %d keys",
	    XC_MAX_JSON_KEYS + 1);
	len = (size_t)(strstr(big, ",\"k256\"") - big);
	big[len++] = '}';
	ok(xc_json_check(big, len, XC_MAX_JSON_DEPTH, XC_MAX_JSON) == 0,
	    "json accepts an object of %d keys", XC_MAX_JSON_KEYS);
	/* ... and the same count again in a sibling object. */
	memmove(big + 1, big, len);
	big[0] = '[';
	big[len + 1] = ',';
	memcpy(big + len + 2, big + 1, len);
	big[2 * len + 2] = ']';
	ok(xc_json_check(big, 2 * len + 3, XC_MAX_JSON_DEPTH, XC_MAX_JSON) ==
	    0, "json accepts two sibling objects of %d keys",
	    XC_MAX_JSON_KEYS);
	free(big);
	ok(xc_json_check(NULL, 0, XC_MAX_JSON_DEPTH, XC_MAX_JSON) ==
	    XC_EJSON && xc_json_check(NULL, 1, XC_MAX_JSON_DEPTH,
	    XC_MAX_JSON) == XC_EINVAL, "json: NULL input");
}

static void
cjson_view(void)
{
	/* Neither buffer is NUL-terminated where the document ends. */
	static const char doc[] = "{\"name\":\"Zo\\u00eb\","
	    "\"n\":9007199254740991,\"neg\":-9007199254740991,"
	    "\"e\":\"\\ud83d\\ude00\",\"list\":[1,2,3]}trailing bytes";
	static const char variant[] = "{\"name\":\"x\",\"Name\":0}garbage";
	size_t vlen = (size_t)(strstr(variant, "garbage") - variant);
	size_t dlen = (size_t)(strstr(doc, "trailing") - doc);
	cJSON *j, *v;
	int e;

	e = xc_json_parse(variant, vlen, &j);
	ok(e == XC_EJSON && j == NULL,
	    "json_parse rejects case-variant keys and leaves *out NULL");
	e = xc_json_parse(doc, dlen, &j);
	if (!ok(e == 0 && j != NULL,
	    "json_parse parses a buffer not NUL-terminated at len")) {
		diag("got %d (%s)", e, xc_errdetail());
		return;
	}
	v = cJSON_GetObjectItemCaseSensitive(j, "name");
	ok(cJSON_IsString(v) && strcmp(v->valuestring, "Zo\xc3\xab") == 0,
	    "cJSON reads \"Zo\\u00eb\" as the bytes Zo C3 AB");
	v = cJSON_GetObjectItemCaseSensitive(j, "n");
	ok(cJSON_IsNumber(v) && v->valuedouble == 9007199254740991.0,
	    "cJSON reads 2^53-1 exactly");
	v = cJSON_GetObjectItemCaseSensitive(j, "neg");
	ok(cJSON_IsNumber(v) && v->valuedouble == -9007199254740991.0,
	    "cJSON reads -(2^53-1) exactly");
	v = cJSON_GetObjectItemCaseSensitive(j, "e");
	ok(cJSON_IsString(v) && strcmp(v->valuestring, "\xf0\x9f\x98\x80")
	    == 0, "cJSON reads the surrogate pair as U+1F600");
	v = cJSON_GetObjectItemCaseSensitive(j, "list");
	ok(cJSON_IsArray(v) && cJSON_GetArraySize(v) == 3 &&
	    cJSON_GetArrayItem(v, 2)->valuedouble == 3.0,
	    "cJSON reads the array");
	cJSON_Delete(j);

	ok(xc_json_parse("{\"a\":1,\"a\":2}", 13, &j) == XC_EJSON &&
	    j == NULL, "json_parse rejects a duplicate key");
	ok(xc_json_parse("[1", 2, &j) == XC_EJSON && j == NULL,
	    "json_parse rejects a truncated document");
	ok(xc_json_parse("{}", 2, NULL) == XC_EINVAL,
	    "json_parse needs somewhere to put the result");
}

void
test_json(void)
{
	rules();
	limits();
	cjson_view();
}
