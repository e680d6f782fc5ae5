/*
 * xc.h - the one public header of libxc.
 *
 * libxc implements the age v1 file format (c2sp.org/age) that every xc
 * envelope is made of: header parsing and writing, X25519 and scrypt
 * recipients, the STREAM payload and the ASCII armor.  Later layers (cards,
 * letters, spools) build on it.
 *
 * Rules: the library never prints, never exits and never aborts on input.
 * Functions return 0 or a negative XC_E* code; xc_errdetail() names what went
 * wrong in a static string (never secret material).  Secrets live in
 * sodium_malloc'd memory and are wiped by the function that owns them.
 */
#ifndef XC_H
#define XC_H

#include <stddef.h>
#include <stdint.h>

#define XC_VERSION "0.1.0"

/* Error codes.  The first five are the decryption failure classes. */
enum {
	XC_OK = 0,
	XC_ENOMATCH = -1,	/* no identity matched any stanza */
	XC_EHEADER = -2,	/* malformed or unacceptable header */
	XC_EMAC = -3,		/* header MAC does not verify */
	XC_EPAYLOAD = -4,	/* payload chunk failed or stream malformed */
	XC_EARMOR = -5,		/* malformed ASCII armor */
	XC_EREAD = -6,		/* reading input failed (errno kept) */
	XC_EWRITE = -7,		/* writing output failed (errno kept) */
	XC_ENOMEM = -8,
	XC_EKEY = -9,		/* malformed key, recipient or identity string */
	XC_EUNSUPPORTED = -10,	/* well-formed but unsupported (ML-KEM, plugins) */
	XC_EINVAL = -11,	/* bad argument from the caller */
	XC_ELIMIT = -12,	/* input exceeds a documented limit */
	XC_EJSON = -13		/* malformed or unacceptable JSON */
};

const char *xc_strerror(int err);
const char *xc_errdetail(void);
/* Sets the detail for the last error; used by the library and callbacks. */
int xc_fail(int err, const char *detail);

#define XC_FILE_KEY_BYTES 16
#define XC_X25519_BYTES 32
#define XC_MAC_BYTES 32
#define XC_NONCE_BYTES 16
#define XC_CHUNK_BYTES 65536
#define XC_TAG_BYTES 16

/* Limits on untrusted input, checked before anything they bound is allocated. */
#define XC_MAX_HEADER (1024 * 1024)	/* bytes of header, version to MAC line */
#define XC_MAX_STANZAS 256
#define XC_MAX_ARGS 16			/* arguments per stanza, type included */
#define XC_MAX_SCRYPT_LOGN 22		/* work factor accepted when opening */
#define XC_DEFAULT_SCRYPT_LOGN 18	/* work factor used when sealing */
#define XC_MAX_PASSPHRASE 1024
#define XC_MAX_KEYFILE (1024 * 1024)	/* identity and recipients files */
#define XC_MAX_ARMOR_WS 4096		/* whitespace allowed around armor */

/* Byte I/O used by every streaming function.  read() stores the number of
 * bytes read in *got; *got == 0 means end of input.  Both return 0 or an
 * XC_E* code (XC_EREAD / XC_EWRITE with errno set, for the OS failures). */
typedef struct {
	int (*read)(void *ctx, uint8_t *buf, size_t len, size_t *got);
	void *ctx;
} xc_rd;
typedef struct {
	int (*write)(void *ctx, const uint8_t *buf, size_t len);
	void *ctx;
} xc_wr;

/* File-descriptor and memory adapters. */
int xc_fd_read(void *fdp, uint8_t *buf, size_t len, size_t *got);
int xc_fd_write(void *fdp, const uint8_t *buf, size_t len);
typedef struct {
	const uint8_t *p;
	size_t len, off;
} xc_memrd;
int xc_mem_read(void *m, uint8_t *buf, size_t len, size_t *got);

/* A buffered reader: what the header parser and the payload reader share. */
typedef struct {
	xc_rd src;
	uint8_t buf[16384];
	size_t off, len;
	int eof;
} xc_in;
void xc_in_init(xc_in *in, xc_rd src);
/* Reads a line including its '\n' into out (at most cap bytes).  Returns the
 * length in *n; a line longer than cap is XC_ELIMIT; EOF before '\n' returns
 * what there was (no newline) and sets *n accordingly. */
int xc_in_line(xc_in *in, uint8_t *out, size_t cap, size_t *n);
/* Reads up to len bytes, stopping early only at end of input. */
int xc_in_read(xc_in *in, uint8_t *out, size_t len, size_t *got);
/* Makes at least n bytes available (fewer at end of input); *p points at them. */
int xc_in_peek(xc_in *in, size_t n, const uint8_t **p, size_t *avail);

/* Canonical unpadded base64 (age header) and hex helpers. */
size_t xc_b64_len(size_t binlen);
/* Encodes into out (xc_b64_len(len)+1 bytes, NUL-terminated). */
void xc_b64_encode(char *out, const uint8_t *in, size_t len);
/* Strict: canonical, no padding, no whitespace.  -1 on any deviation or if
 * the decoded length differs from want (when want != (size_t)-1). */
int xc_b64_decode(uint8_t *out, size_t cap, size_t *outlen, const char *in,
    size_t inlen);

/* Bech32 (BIP 173 without the length limit). */
int xc_bech32_encode(char *out, size_t cap, const char *hrp,
    const uint8_t *data, size_t len);
/* Decodes s (all upper or all lower case) into hrp (lowercased) and data. */
int xc_bech32_decode(char *hrp, size_t hrpcap, uint8_t *data, size_t cap,
    size_t *len, const char *s, size_t slen);

/* HKDF-SHA-256 (RFC 5869) over libsodium's HMAC-SHA-256. */
int xc_hkdf_sha256(uint8_t *out, size_t outlen, const uint8_t *ikm,
    size_t ikmlen, const uint8_t *salt, size_t saltlen, const char *info,
    size_t infolen);

/* The parsed age header.  Stanza strings and bodies live in one arena. */
typedef struct {
	char *args[XC_MAX_ARGS];	/* args[0] is the type */
	size_t nargs;
	uint8_t *body;
	size_t bodylen;
} xc_stanza;
typedef struct {
	xc_stanza *st;
	size_t nst;
	uint8_t mac[XC_MAC_BYTES];
	uint8_t *raw;		/* header bytes up to and including "---" */
	size_t rawlen;
	void *arena;
} xc_header;
int xc_header_parse(xc_in *in, xc_header *h);
void xc_header_free(xc_header *h);
/* Writes the header with its MAC line (h->mac must be set). */
int xc_header_write(xc_wr w, const xc_header *h);
/* Serialises the header up to and including "---" into a new buffer. */
int xc_header_marshal(const xc_header *h, uint8_t **out, size_t *outlen);
int xc_header_mac(uint8_t mac[XC_MAC_BYTES], const uint8_t *filekey,
    const uint8_t *raw, size_t rawlen);

/* Keys. */
#define XC_AGE_PUBLIC_MAX 128
#define XC_AGE_SECRET_MAX 128
int xc_x25519_keygen(uint8_t pk[32], uint8_t *sk /* 32, secure */);
int xc_x25519_public(uint8_t pk[32], const uint8_t *sk);
int xc_age_recipient_encode(char *out, size_t cap, const uint8_t pk[32]);
int xc_age_recipient_decode(uint8_t pk[32], const char *s, size_t len);
int xc_age_identity_encode(char *out /* secure */, size_t cap,
    const uint8_t *sk);
int xc_age_identity_decode(uint8_t *sk /* secure */, const char *s,
    size_t len);

/* A set of identities for decryption: X25519 keys and passphrases. */
typedef struct xc_ids xc_ids;
xc_ids *xc_ids_new(void);
void xc_ids_free(xc_ids *ids);
size_t xc_ids_count(const xc_ids *ids);
int xc_ids_add_x25519(xc_ids *ids, const uint8_t *sk);
int xc_ids_add_passphrase(xc_ids *ids, const char *pw, size_t len);
/* Parses an identity file: AGE-SECRET-KEY-1 lines, '#' comments and blank
 * lines.  On error *line is the 1-based line at fault. */
int xc_ids_parse(xc_ids *ids, const char *text, size_t len, size_t *line);

/* A set of recipients for encryption: X25519 keys or one passphrase. */
typedef struct xc_rcpts xc_rcpts;
xc_rcpts *xc_rcpts_new(void);
void xc_rcpts_free(xc_rcpts *r);
size_t xc_rcpts_count(const xc_rcpts *r);
int xc_rcpts_add_x25519(xc_rcpts *r, const uint8_t pk[32]);
int xc_rcpts_add_string(xc_rcpts *r, const char *s, size_t len);
int xc_rcpts_parse(xc_rcpts *r, const char *text, size_t len, size_t *line);
int xc_rcpts_set_passphrase(xc_rcpts *r, const char *pw, size_t len,
    int logn);

/* Builds one stanza per recipient wrapping filekey; the stanzas' strings
 * and bodies live in *arena (free() both). */
int xc_rcpts_wrap(const xc_rcpts *r, const uint8_t *filekey, xc_stanza **st,
    size_t *nst, void **arena);

/* STREAM payload (64 KiB ChaCha20-Poly1305 chunks). */
int xc_stream_encrypt(xc_rd in, xc_wr out, const uint8_t key[32]);
/* Writes each chunk only after its tag verifies. */
int xc_stream_decrypt(xc_in *in, xc_wr out, const uint8_t key[32]);

/* ASCII armor (RFC 7468 strict PEM, label "AGE ENCRYPTED FILE"). */
typedef struct xc_armor_wr xc_armor_wr;
int xc_armor_wr_new(xc_armor_wr **a, xc_wr under, xc_wr *as);
int xc_armor_wr_close(xc_armor_wr *a);	/* writes the last line and footer */
void xc_armor_wr_free(xc_armor_wr *a);
typedef struct xc_armor_rd xc_armor_rd;
int xc_armor_rd_new(xc_armor_rd **a, xc_in *under, xc_rd *as);
void xc_armor_rd_free(xc_armor_rd *a);

/* Whole files.  Encryption writes armor when armor != 0.  Decryption detects
 * armor: input that does not begin with "age-encryption.org/" is armor. */
int xc_age_encrypt(xc_rd in, xc_wr out, const xc_rcpts *r, int armor);
int xc_age_decrypt(xc_rd in, xc_wr out, const xc_ids *ids);
/* The steps of decryption, for callers that handle the payload themselves. */
int xc_age_unwrap(const xc_header *h, const xc_ids *ids,
    uint8_t *filekey /* XC_FILE_KEY_BYTES, secure */);

/* Strict JSON, checked before cJSON sees a byte (lib/json.c): exactly one
 * RFC 8259 value with space, tab, CR or LF around it; strings of valid UTF-8
 * without control characters, \u0000 or unpaired surrogates; integers only,
 * |n| <= 2^53-1, no "-0" or leading zeros; at most XC_MAX_JSON_KEYS keys per
 * object, no two equal after unescaping and ASCII case folding; at most
 * maxdepth nested arrays and objects.  Longer than maxlen is XC_ELIMIT, any
 * other deviation XC_EJSON. */
#define XC_MAX_JSON_DEPTH 16
#define XC_MAX_JSON (64 * 1024)
#define XC_MAX_JSON_KEYS 256
int xc_json_check(const char *s, size_t len, size_t maxdepth, size_t maxlen);
/* xc_json_check() with the limits above, then cJSON; *out is the caller's
 * (cJSON_Delete).  Look keys up with cJSON_GetObjectItemCaseSensitive. */
struct cJSON;
int xc_json_parse(const char *s, size_t len, struct cJSON **out);

#endif
