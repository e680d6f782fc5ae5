/*
 * xc.h - the one public header of libxc.
 *
 * libxc implements the age v1 file format (c2sp.org/age) that every xc
 * envelope is made of: header parsing and writing, X25519 and scrypt
 * recipients, the STREAM payload and the ASCII armor.  Later layers (cards,
 * letters, spools) build on it.  The library is built as four static
 * archives, each calling only those below it (Makefile, README "Layout"):
 * age (the age format and the envelope), id (JSON, cards, keyring,
 * minisign), letter (tar subset, sealing, opening), net (spool).
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
	XC_EJSON = -13,		/* malformed or unacceptable JSON */
	XC_ECARD = -14,		/* malformed card (does not parse) */
	XC_ESIG = -15,		/* signature does not verify */
	XC_EEXPIRED = -16,	/* card or key past its validity */
	XC_ECHAIN = -17,	/* card does not follow its predecessor */
	XC_EEXIST = -18,	/* would overwrite or duplicate (errno kept) */
	XC_EINSECURE = -19,	/* secret file open to others, or a symlink */
	XC_ENOTFOUND = -20,	/* no such identity or contact */
	XC_ELOCKED = -21,	/* secret is passphrase-protected: need it */
	XC_EKEYCHANGE = -22,	/* a known handle with another identity key */
	XC_ETAKEN = -23,	/* a name an own identity or another contact has */
	XC_EEQUIVOCAL = -24,	/* two different cards, one seq, one key */
	XC_ENET = -30		/* network: connection, timeout, or a server
				   that broke the protocol (lib/nntp.c) */
};

const char *xc_strerror(int err);
const char *xc_errdetail(void);
/* Sets the detail for the last error; used by the library and callbacks. */
int xc_fail(int err, const char *detail);
/* xc_fail with a formatted detail (lib/dirio.c; errno is kept). */
int xc_failf(int err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

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
#define XC_MAX_ARMOR_TEXT (1024 * 1024)	/* text around armor, text mode */

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

/* A block of XC_SECURE_BLOCK bytes of sodium_malloc'd memory, recycled:
 * after the first few, taking one costs no system call.  Released blocks
 * are wiped. */
#define XC_SECURE_BLOCK 64
uint8_t *xc_secure_block(void);
void xc_secure_release(uint8_t *p);

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
/* UTC time t as "YYYY-MM-DDTHH:MM:SSZ", or "YYYY-MM-DD" without full. */
void xc_utc(char out[32], int64_t t, int full);
/* An age identity file as age-keygen writes it ("# created:", "# public
 * key:", the key), NUL-terminated in out (secure memory, cap >= 256). */
int xc_age_identity_file(char *out, size_t cap, const uint8_t *sk,
    int64_t created);

/* A set of identities for decryption: X25519 keys and passphrases. */
typedef struct xc_ids xc_ids;
xc_ids *xc_ids_new(void);
void xc_ids_free(xc_ids *ids);
size_t xc_ids_count(const xc_ids *ids);
int xc_ids_add_x25519(xc_ids *ids, const uint8_t *sk);
/* The recipient (public key) of the i-th identity, an X25519 one. */
int xc_ids_recipient(const xc_ids *ids, size_t i, uint8_t pk[32]);
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
/* The one armored block in surrounding text (lib/armor.c, text mode). */
int xc_armor_rd_new_text(xc_armor_rd **a, xc_in *under, xc_rd *as);
void xc_armor_rd_free(xc_armor_rd *a);

/* Whole files.  Encryption writes armor when armor != 0.  Decryption detects
 * armor: input that does not begin with "age-encryption.org/" is armor. */
int xc_age_encrypt(xc_rd in, xc_wr out, const xc_rcpts *r, int armor);
int xc_age_decrypt(xc_rd in, xc_wr out, const xc_ids *ids);
/* The steps of decryption, for callers that handle the payload themselves.
 * xc_age_unwrap sets *which (if not NULL) to the identity that matched. */
int xc_age_unwrap(const xc_header *h, const xc_ids *ids,
    uint8_t *filekey /* XC_FILE_KEY_BYTES, secure */, size_t *which);
/* Opening in two steps: xc_age_rd_open reads and checks the header (armor
 * detected), unwraps the file key and derives the payload key; the caller
 * then runs xc_stream_decrypt(r->payload, ..., r->key). */
typedef struct {
	xc_in *in, *ain;	/* the input; ain reads through the armor */
	xc_in *payload;		/* in or ain, positioned at the payload */
	xc_armor_rd *ar;
	xc_header h;
	uint8_t *key;		/* payload key (secure) */
	size_t which;		/* index of the identity that matched */
} xc_age_rd;
int xc_age_rd_open(xc_age_rd *r, xc_rd src, const xc_ids *ids);
void xc_age_rd_close(xc_age_rd *r);
int xc_age_payload_key(uint8_t *key /* 32 */, const uint8_t *filekey,
    const uint8_t *nonce);

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
/* Fields of a parsed document: the member named name (case-sensitive) or
 * NULL; an integer in [lo, hi]; base64 of exactly want bytes; an object
 * with no member outside names (NULL-terminated).  -1 when not so. */
const struct cJSON *xc_json_get(const struct cJSON *o, const char *name);
int xc_json_int(const struct cJSON *o, const char *name, int64_t lo,
    int64_t hi, int64_t *v);
int xc_json_b64(const struct cJSON *f, uint8_t *out, size_t want);
int xc_json_only_keys(const struct cJSON *o, const char *const *names);
/* UTF-8 as RFC 3629 has it: the length of the character at s (0 if it is
 * not well formed), and whether all n bytes are. */
size_t xc_utf8_char(const uint8_t *s, size_t avail);
int xc_utf8_valid(const uint8_t *s, size_t n);

/*
 * Handles and cards (lib/card.c; the format is xc-card(5)).
 *
 * A handle is 1-32 of [a-z0-9_], shown with '@'.  A card is two lines:
 *   "xc-card-v1 " base64(identity key) " " base64(signature) LF
 *   JSON LF
 * The Ed25519 signature (pure, RFC 8032) covers "xc-card-v1" NUL || JSON
 * bytes and is checked before the JSON is parsed; the card's hash (for chaining and for
 * a log) is SHA-256 of all its bytes.
 */
#define XC_HANDLE_MAX 32
#define XC_MAX_CARD 8192		/* bytes of a whole card */
#define XC_MAX_CARD_KEYS 8		/* encryption keys on one card */
#define XC_MAX_TAG_BITS 24
#define XC_MAX_REACH 8			/* servers listed on one card */
#define XC_REACH_URL_MAX 300		/* = XC_URL_MAX */
#define XC_REACH_PINS_MAX 512		/* = XC_TLS_PINS_MAX */
#define XC_FINGERPRINT_LEN 35		/* 6 groups of 5 digits, 5 spaces */
#define XC_SAFETY_LEN 71		/* 12 groups of 5 digits, 11 spaces */

typedef struct {
	uint8_t pk[32];			/* X25519 (age1...) */
	int64_t from, until;		/* validity, Unix seconds */
} xc_card_key;

/* A server where the card's owner fetches ("reach", xc-card(5)): as a
 * config line "server URL [pin PINS] [starttls]" has it, in the forms
 * xc_config_add_server and xc_tls_pins_text write. */
typedef struct {
	char url[XC_REACH_URL_MAX];	/* canonical */
	char pin[XC_REACH_PINS_MAX];	/* canonical pins; "": none */
	int starttls;			/* only on nntp:// */
} xc_card_reach;

typedef struct {
	char handle[XC_HANDLE_MAX + 1];	/* canonical, without '@' */
	uint8_t ik[32];			/* Ed25519 identity public key */
	xc_card_key enc[XC_MAX_CARD_KEYS];
	size_t nenc;
	int tag_bits;			/* mailbox tag bits, 0..XC_MAX_TAG_BITS */
	int64_t created, expires;
	uint64_t seq;			/* 1 for a first card */
	int has_prev;
	uint8_t prev[32];		/* hash of the previous card */
	uint8_t hash[32];		/* hash of this card (set by parse/sign) */
	xc_card_reach reach[XC_MAX_REACH];	/* where the owner fetches */
	size_t nreach;			/* 0: the card lists none */
} xc_card;

/* Accepts "alice", "@alice", "@Alice"; writes "alice".  XC_EINVAL if not
 * a handle. */
int xc_handle_norm(char out[XC_HANDLE_MAX + 1], const char *in, size_t len);
/* Serialises and signs c with the identity key's 32-byte seed; c->ik must
 * match it.  *out is malloc'd; c->hash is set. */
int xc_card_sign(xc_card *c, const uint8_t *seed, char **out, size_t *len);
/* Parses a card: shape, then signature (XC_ESIG), then strict JSON and
 * fields (XC_ECARD).  Neither expiry nor chain is judged here. */
int xc_card_parse(xc_card *c, const char *buf, size_t len);
/* The length of the next card of a chain at p (two lines, each ended by
 * LF), or of all that is left when it lacks them (the parser refuses
 * that); 0 at the end. */
size_t xc_card_next(const char *p, size_t left);
/* XC_EEXPIRED unless created <= now + 1 h (clock skew) and now < expires. */
int xc_card_check_time(const xc_card *c, int64_t now);
/* XC_ECHAIN unless next is prev's successor: same handle and identity key,
 * seq + 1, prev = hash of prev. */
int xc_card_check_chain(const xc_card *prev, const xc_card *next);
/* 30 digits in groups of 5 naming (handle, identity key). */
void xc_fingerprint(char out[XC_FINGERPRINT_LEN + 1], const char *handle,
    const uint8_t ik[32]);
/* Both parties' fingerprints in a fixed order: the same string on both
 * sides, to compare aloud. */
void xc_safety_number(char out[XC_SAFETY_LEN + 1], const xc_card *a,
    const xc_card *b);

/*
 * The keyring (lib/keyring.c): $XC_HOME, directories 0700, secret files
 * 0600 created with O_EXCL, every file written atomically (temp file in the
 * same directory, fsync, link or rename, fsync of the directory).
 */
#define XC_PATH_MAX 4096
#define XC_IDENTITY_HRP "XC-IDENTITY-KEY-"
#define XC_DEFAULT_KEY_DAYS 90		/* validity of an encryption key */
#define XC_DEFAULT_TAG_BITS 12
#define XC_DEFAULT_GRACE_DAYS 7		/* old encryption key after a rotation */

/* The home: opt if given, else $XC_HOME, else $XDG_DATA_HOME/xc, else
 * $HOME/.local/share/xc.  XC_EINVAL when none can be found. */
int xc_home(char out[XC_PATH_MAX], const char *opt);
/* Opens (creating, 0600) and exclusively flocks path; closing *fd unlocks.
 * Without wait, a lock held elsewhere is XC_ELOCKED at once. */
int xc_lock(const char *path, int wait, int *fd);
/* fsync(2) of the directory that holds path. */
int xc_fsync_parent(const char *path);
/* Creates dir and its missing parents (new ones mode 0700). */
int xc_mkdirs(const char *dir);
/* Writes path atomically with mode; with excl an existing path is
 * XC_EEXIST and is left alone. */
int xc_write_file(const char *path, const void *buf, size_t len,
    unsigned mode, int excl);
/* Reads a whole file of at most cap bytes into sodium_malloc'd memory
 * (sodium_free it).  With secret: refuses symlinks and files that group or
 * others may access (XC_EINSECURE). */
int xc_read_file(const char *path, size_t cap, int secret, char **buf,
    size_t *len);

/* Secret files: written 0600 and O_EXCL; with a passphrase (pw != NULL)
 * as an age file encrypted to it (scrypt), which `age -d -i` also reads.
 * Reading one that is encrypted without a passphrase is XC_ELOCKED; a
 * wrong passphrase is XC_ENOMATCH.  Plaintext lives only in *buf
 * (sodium_malloc'd; sodium_free it), never on disk. */
int xc_secret_write(const char *path, const char *text, size_t len,
    const char *pw, size_t pwlen);
int xc_secret_read(const char *path, const char *pw, size_t pwlen,
    char **buf, size_t *len);
int xc_secret_locked(const char *path);	/* 1 encrypted, 0 not, <0 error */

/* Own identities: $XC_HOME/ids/HANDLE/ holds identity.key (Ed25519 seed,
 * "XC-IDENTITY-KEY-1..."), enc-N.key (age identity files), card-N (every
 * card) and card (the current one), grace (days a retired key is kept, when
 * not the default) and lock (flock for rotations).
 * xc_identity_create makes the directory (mkdir: a second identity for a
 * handle is XC_EEXIST), the keys and the first card (tag_bits < 0: the
 * default) listing the servers reach[0..nreach-1], returned in *card. */
int xc_identity_create(const char *home, const char *handle, int64_t now,
    int tag_bits, const xc_card_reach *reach, size_t nreach, const char *pw,
    size_t pwlen, char **card, size_t *cardlen);
/* A new encryption key and the next card, chained to the current one and
 * signed by the identity key (unlocked with pw when it is encrypted).
 * tag_bits < 0 keeps the current card's, and so does reach NULL its list
 * of servers (else reach[0..nreach-1]); grace >= 0 (seconds) is recorded
 * for this and later rotations.  Concurrent rotations are serialised
 * (flock); each makes a whole card. */
int xc_identity_rotate(const char *home, const char *handle, int64_t now,
    int64_t grace, int tag_bits, const xc_card_reach *reach, size_t nreach,
    const char *pw, size_t pwlen, char **card, size_t *cardlen);
/* Wipes the retired encryption keys whose grace period is over.  A key
 * enc-N.key is retired by card N+1: it is wiped once now >= the created
 * time of card N+1 plus the grace period, found from the chain on disk
 * (nothing written after a rotation's commit is needed).  Keys and cards
 * newer than the current card are the debris of a rotation that died
 * before its commit: wiped too. */
int xc_identity_sweep(const char *home, const char *handle, int64_t now);
/* The grace period of an identity, in seconds. */
int64_t xc_identity_grace(const char *home, const char *handle);
/* The whole chain of an identity, card-1 to the current card, one card
 * after another (malloc'd). */
int xc_identity_chain(const char *home, const char *handle, char **out,
    size_t *len);
/* HOME/KIND/NAME[/FILE], for the keyring's files. */
int xc_keyring_path(char out[XC_PATH_MAX], const char *home,
    const char *kind, const char *name, const char *file);

/*
 * Contacts (lib/contacts.c): a contact is a local name bound to a pinned
 * identity key.  Only explicit commands make, change or remove one; letters
 * may only bring a later card of a contact's own identity key (a rotation,
 * not a change of trust).  $XC_HOME/contacts/NAME/ holds card (the pinned
 * card; NAME is its handle unless the user chose another), state ("contact"
 * or "verified" or "changed", then the time it was first pinned) and
 * pending (a card for NAME with another identity key, until accepted);
 * contacts/.keys/IKHEX names the contact of each identity key.
 */
enum { XC_TRUST_STRANGER = 0, XC_TRUST_CONTACT, XC_TRUST_VERIFIED,
	XC_TRUST_CHANGED };
enum { XC_IMPORT_NEW = 1, XC_IMPORT_SAME, XC_IMPORT_ROTATED,
	XC_IMPORT_OLDER, XC_IMPORT_KEYCHANGE };
#define XC_MAX_STRANGERS 256		/* cards kept in the quarantine */
#define XC_STRANGER_DAYS 30		/* unseen this long: dropped */
#define XC_MAX_CHAIN (1024 * XC_MAX_CARD)	/* xc_identity_chain's output */
typedef struct {
	char name[XC_HANDLE_MAX + 1];	/* the local name */
	xc_card card;			/* pinned */
	int state;
	int64_t pinned;			/* first pinned (0: unknown) */
	int has_pending;
	xc_card pending;		/* offered with another identity key */
} xc_contact;
const char *xc_trust_name(int state);
/* By local name, or by identity key (claimed, a card's handle, helps find
 * a contact of a keyring made before the key index).  XC_ENOTFOUND if
 * there is none. */
int xc_contact_get(const char *home, const char *name, xc_contact *ct);
int xc_contact_by_key(const char *home, const uint8_t ik[32],
    const char *claimed, xc_contact *ct);
/* Imports a card by the user's command, under name (NULL: the card's
 * handle).  The contact of the card's identity key, under any name, is
 * updated: the same card changes nothing, a later one replaces it (gaps
 * allowed), an older one is XC_ECHAIN, a different card with the pinned
 * seq (or a successor not chained to it) is XC_EEQUIVOCAL.  Otherwise the
 * card is pinned under name, unless name is an own identity's handle
 * (XC_ETAKEN) or a contact with another key: then XC_EKEYCHANGE, the card
 * kept as pending and the contact "changed".  With dry set nothing is
 * written: *outcome says what would happen. */
int xc_contact_import(const char *home, const char *card, size_t len,
    const char *name, int64_t now, int dry, int *outcome, xc_contact *ct);
/* A card that came in a letter: only a later card of a contact's own
 * identity key is taken (XC_IMPORT_ROTATED); XC_IMPORT_SAME, _OLDER, or
 * XC_ENOTFOUND for a key that is no contact's; XC_EEQUIVOCAL as above. */
int xc_contact_update(const char *home, const xc_card *c, const char *card,
    size_t len, int64_t now, int *outcome, xc_contact *ct);
/* Calls fn for every contact that reads, in directory order (none
 * without a contacts directory); a non-zero return of fn stops the walk
 * and is returned. */
int xc_contact_each(const char *home, int (*fn)(void *arg,
    const xc_contact *ct), void *arg);
/* verified, or back to contact (not while changed: accept first). */
int xc_contact_mark(const char *home, const char *name, int state);
/* Pins the pending card if fp (digits; spaces ignored) is its
 * fingerprint (XC_ENOMATCH otherwise); the state becomes contact, pinned
 * at now. */
int xc_contact_accept(const char *home, const char *name, const char *fp,
    int64_t now, xc_contact *ct);
int xc_contact_forget(const char *home, const char *name);
/* XC_ETAKEN if to is a contact or an own identity. */
int xc_contact_rename(const char *home, const char *from, const char *to);
/* 1 if fp (30 digits, spaces ignored) is the fingerprint of c. */
int xc_fingerprint_is(const char *fp, const xc_card *c);

/* The quarantine: $XC_HOME/strangers/IKHEX, the latest card seen in a
 * letter signed by a key that is no contact's, at most XC_MAX_STRANGERS of
 * them (the least recently seen go first), each dropped after
 * XC_STRANGER_DAYS unseen (the file's mtime is when it was last seen). */
int xc_stranger_keep(const char *home, const xc_card *c, const char *card,
    size_t len, int64_t now);
/* The kept card whose fingerprint is fp: its bytes (malloc'd). */
int xc_stranger_find(const char *home, const char *fp, char **card,
    size_t *len);
int xc_stranger_drop(const char *home, const uint8_t ik[32]);
typedef struct {
	xc_card card;
	int64_t seen;
} xc_stranger;
/* The kept cards, most recently seen first (*out malloc'd). */
int xc_stranger_list(const char *home, int64_t now, xc_stranger **out,
    size_t *n);

/* The current card of an own identity: its bytes, or parsed. */
int xc_identity_card(const char *home, const char *handle, char **card,
    size_t *cardlen);
int xc_identity_get(const char *home, const char *handle, xc_card *c);
#define XC_MAX_IDENTITIES 256		/* own identities a program lists */
/* The own identity whose identity key is ik: its handle. */
int xc_identity_by_key(const char *home, const uint8_t ik[32],
    char handle[XC_HANDLE_MAX + 1]);

/* The 32-byte seed of an own identity key (sodium_malloc'd into *seed;
 * sodium_free it), unlocked with pw when it is passphrase-protected. */
int xc_identity_seed(const char *home, const char *handle, const char *pw,
    size_t pwlen, uint8_t **seed);
int xc_identity_locked(const char *home, const char *handle);
/* The own identities' handles, sorted (at most cap). */
int xc_identity_list(const char *home, char (*out)[XC_HANDLE_MAX + 1],
    size_t cap, size_t *n);
/* Adds to ids the identity's encryption keys still on disk, newest first:
 * the current one and retired ones in their grace period (older ones are
 * wiped first).  *n is how many. */
int xc_identity_keys(const char *home, const char *handle, int64_t now,
    const char *pw, size_t pwlen, xc_ids *ids, size_t *n);

/*
 * The replay store of xc-open (lib/replay.c): which envelope each (sender
 * identity key, message id) was first opened from, kept for XC_REPLAY_DAYS
 * after the later of its opening and its date.  $XC_HOME/state/opened is
 * sorted (binary search), state/opened.new an append-only journal merged
 * into it every XC_REPLAY_JOURNAL entries; at most XC_REPLAY_MAX entries,
 * the first to expire evicted first (which moves the window's start).
 */
#define XC_REPLAY_DAYS 60
#define XC_REPLAY_MAX 100000
#define XC_REPLAY_JOURNAL 512
enum { XC_REPLAY_NEW = 0, XC_REPLAY_SAME, XC_REPLAY_OTHER, XC_REPLAY_OLD };
typedef struct xc_replay xc_replay;
/* Opens the store (creating state/) and locks it until xc_replay_close. */
int xc_replay_open(xc_replay **r, const char *home);
void xc_replay_close(xc_replay *r);
/* Looks up (ik, id) for the envelope env: XC_REPLAY_NEW (never seen),
 * _SAME (opened before from this envelope), _OTHER (from another one), or
 * _OLD (dated before the window: cannot tell).  *start is the window's
 * start. */
int xc_replay_check(xc_replay *r, const uint8_t ik[32], const char *id,
    const uint8_t env[16], int64_t date, int64_t now, int *verdict,
    int64_t *start);
/* Records (ik, id) -> env (synced before it returns). */
int xc_replay_add(xc_replay *r, const uint8_t ik[32], const char *id,
    const uint8_t env[16], int64_t date, int64_t now);

/*
 * Detached signatures in minisign's format (lib/minisign.c), made with an
 * identity key: `minisign -V` checks them with xc_minisign_pubkey's key.
 */
void xc_minisign_keyid(uint8_t id[8], const uint8_t ik[32]);
int xc_minisign_pubkey(char *out, size_t cap, const uint8_t ik[32],
    const char *handle);
/* Signs all of in; *out is the signature file's text (malloc'd). */
int xc_minisign_sign(char **out, const uint8_t *seed, xc_rd in,
    const char *trusted, const char *untrusted);
/* The key id a signature file names (to find its signer). */
int xc_minisign_keyid_of(uint8_t id[8], const char *sig, size_t len);
/* XC_ESIG unless sig signs all of in with ik; copies the trusted comment. */
int xc_minisign_verify(const char *sig, size_t len, const uint8_t ik[32],
    xc_rd in, char *trusted, size_t tcap);

/* A bounded byte pipe between two threads (lib/pipe.c).  xc_pipe_write and
 * xc_pipe_read fit xc_wr and xc_rd; after xc_pipe_close_write(p, err) the
 * reader gets end of input (err == 0) or err; after xc_pipe_close_read the
 * writer gets XC_EWRITE.  xc-open hashes a large envelope on a second core
 * through one. */
typedef struct xc_pipe xc_pipe;
int xc_pipe_new(xc_pipe **p, size_t cap);
void xc_pipe_free(xc_pipe *p);
int xc_pipe_write(void *p, const uint8_t *buf, size_t len);
int xc_pipe_read(void *p, uint8_t *buf, size_t len, size_t *got);
void xc_pipe_close_write(xc_pipe *p, int err);
void xc_pipe_close_read(xc_pipe *p);

/*
 * Envelopes (lib/envelope.c; the format is xc-envelope(5)).
 *
 * An envelope is an age v1 file with one X25519 stanza per recipient and
 * one "xc-route" stanza: "-> xc-route 1 EXPIRY" over a body of one 8-byte
 * mailbox tag per recipient.  A tag is the first tag_bits bits of
 * BLAKE2b("xc-mailbox-tag-v1" || recipient key), then random bits.  The
 * route's EXPIRY is the letter's rounded up to XC_ROUTE_EXPIRY_GRAIN, so
 * that it does not tell when the letter was sealed.
 */
#define XC_TAG_LEN 8
#define XC_MAX_RECIPIENTS 64
#define XC_ROUTE_EXPIRY_GRAIN 3600	/* seconds: the route's expiry */

typedef struct {
	int64_t expires;		/* 0: none */
	size_t ntags;
	uint8_t tags[XC_MAX_RECIPIENTS][XC_TAG_LEN];
} xc_route;
/* The route stanza of a parsed header: XC_EHEADER when there is none, more
 * than one, or it is malformed (not an xc envelope). */
int xc_route_get(const xc_header *h, xc_route *r);
/* The same, and the header is an xc envelope's: X25519 stanzas only, as
 * many as the route's tags (what the spool and the network check of an
 * envelope before they take it). */
int xc_envelope_route(const xc_header *h, xc_route *r);
/* The route stanza's expiry for a letter that expires at expires. */
int64_t xc_route_expiry(int64_t expires);
void xc_mailbox_tag(uint8_t tag[XC_TAG_LEN], const uint8_t pk[32], int bits);
int xc_mailbox_match(const uint8_t tag[XC_TAG_LEN], const uint8_t pk[32],
    int bits);
/* The hash a letter signs over the recipient stanzas (all but xc-route, in
 * header order): re-wrapping a letter for other keys changes it. */
int xc_stanza_hash(uint8_t out[32], const xc_header *h);

/* An envelope being written: xc_envelope_begin writes the header (to the
 * X25519 keys pks, with tags of bits[i] bits, the route expiry as given)
 * and the nonce; the payload then goes to w under key (xc_stream_encrypt),
 * and xc_envelope_finish closes the armor.  stanzas is the stanza hash. */
typedef struct {
	xc_wr w;
	uint8_t *key;			/* payload key (secure) */
	uint8_t stanzas[32];
	void *priv;
} xc_envelope;
int xc_envelope_begin(xc_envelope *e, xc_wr out, const uint8_t (*pks)[32],
    const int *bits, size_t n, int64_t expires, int armor);
int xc_envelope_finish(xc_envelope *e);
void xc_envelope_free(xc_envelope *e);
/* An envelope around any plaintext (a letter made elsewhere: tests, tools). */
int xc_envelope_seal(xc_rd in, xc_wr out, const uint8_t (*pks)[32],
    const int *bits, size_t n, int64_t expires, int armor);

/*
 * Letters (lib/letter*.c; the format is xc-letter(5)).
 *
 * A letter is a tar archive of regular files only, in one canonical form
 * (lib/tar.c): the parts ("message.txt", the text, then the attachments),
 * then "xc-letter", the signed header (a frame line with the sender's
 * identity key and Ed25519 signature, then JSON that lists every part's
 * name, sizes and SHA-256), then the end of the archive, then zero bytes
 * up to the size class of the letter's level.
 */
#define XC_ID_HEX 32			/* message ids: 128 random bits, hex */
#define XC_MAX_LETTER_HEADER (1024 * 1024)	/* the xc-letter entry */
#define XC_MAX_LETTER_DEPTH 4		/* JSON nesting in the header */
#define XC_MAX_PARTS 1024
#define XC_MAX_NAME 255			/* bytes of a part's name */
#define XC_MAX_PART ((uint64_t)4 << 30)	/* one part, stored or expanded */
#define XC_MAX_TOTAL ((uint64_t)16 << 30)	/* all parts, expanded */
#define XC_MAX_RATIO 200		/* expanded/stored, parts over 1 MiB */
#define XC_MAX_BODY (16 * 1024 * 1024)	/* the message text, held in memory */
#define XC_MAX_TIME (((int64_t)1 << 33) - 1)	/* dates: 11 octal digits */
#define XC_MIN_PADDED (16 * 1024)	/* level >= 2: the smallest class */
#define XC_BODY_NAME "message.txt"
#define XC_TRAILER_NAME "xc-letter"

/* The canonical tar subset (lib/tar.c).  xc_tar_header writes the header
 * of a regular-file entry: one ustar block, or a pax entry with one path
 * record and then the ustar block; it returns 512 or 1536.
 * xc_tar_parse recognises one (see lib/tar.c). */
#define XC_TAR_BLOCK 512
#define XC_TAR_HDR_MAX (3 * XC_TAR_BLOCK)
#define XC_TAR_PAD(n) ((XC_TAR_BLOCK - (uint64_t)(n) % XC_TAR_BLOCK) % \
    XC_TAR_BLOCK)
size_t xc_tar_header(uint8_t out[XC_TAR_HDR_MAX], const char *name,
    uint64_t size, int64_t mtime);
int xc_tar_parse(const uint8_t *hdr, size_t have, char name[XC_MAX_NAME + 1],
    uint64_t *size, int64_t *mtime, int *end);

/* The smallest Padme size >= len (Nikitin et al., PETS 2019). */
uint64_t xc_padme(uint64_t len);
/* The length of a letter whose archive is archive bytes long: the archive
 * itself at level 0 and 1; at least XC_MIN_PADDED, else Padme, from 2. */
uint64_t xc_letter_padded(uint64_t archive, int level);
/* 0 if name is a safe base name for a part: 1-255 bytes of UTF-8 without
 * control characters, '/', '\\' or a leading '.' or '-'. */
int xc_part_name_ok(const char *name);

/* A part to seal: the body (mem) or an attachment (fd: a file, a pipe, a
 * terminal; read once, from where it is, to its end). */
typedef struct {
	char name[XC_MAX_NAME + 1];
	int body;
	int fd;
	const uint8_t *mem;
	size_t memlen;
	/* set while sealing */
	char type[32];
	uint64_t size, stored;
	int zlib;
	uint8_t hash[32];		/* SHA-256 of the stored bytes */
	void *priv;
} xc_part;

typedef struct {
	const uint8_t *seed;		/* sender's identity seed; NULL: anonymous */
	const char *card;		/* sender's current card */
	size_t cardlen;
	const xc_card *to;		/* recipients' cards */
	size_t nto;
	int64_t date, expires;		/* expires 0: none */
	const char *reply_to, *thread;	/* message ids or NULL */
	int level;			/* claimed, 1-3; >= 2 pads */
	int armor;
	xc_part *parts;			/* parts[0] is the body */
	size_t nparts;
	char id[XC_ID_HEX + 1];		/* set: the new message id */
} xc_seal_opts;
/* Seals a letter in one pass over its inputs: the recipients' current keys
 * at o->date, the route stanza, the parts, the signed header, the end and
 * the padding.  Parts whose size is not known in advance (pipes) and parts
 * worth compressing are staged first, encrypted under a throw-away key, in
 * an unlinked file of $TMPDIR. */
int xc_letter_seal(xc_seal_opts *o, xc_wr out);

/* An opened letter.  Attachments wait in temporary files in dirfd until
 * xc_letter_commit; xc_letter_free removes what was not committed.  With
 * dirfd -1 every part is kept in memory instead (mem, smem; at most
 * XC_MAX_BODY bytes each, XC_MAX_IN_MEMORY in all), and the letter can be
 * serialised again. */
#define XC_MAX_IN_MEMORY ((uint64_t)64 << 20)
typedef struct {
	char name[XC_MAX_NAME + 1];
	int body;
	char type[32];
	uint64_t size, stored;
	int zlib;
	uint8_t hash[32];
	uint64_t offset;		/* of the stored bytes in the letter */
	uint8_t *mem, *smem;		/* dirfd -1: decoded and stored bytes */
	char tmp[40];			/* temporary name in dirfd, or "" */
	char ztmp[40];			/* stored zlib bytes, until inflated */
	uint64_t tmpino;		/* inode of the staged file */
	char saved[XC_MAX_NAME + 16];	/* final name after commit */
} xc_lpart;

typedef struct {
	char handle[XC_HANDLE_MAX + 1];
	char fp[XC_FINGERPRINT_LEN + 1];
} xc_laddr;

typedef struct {
	int is_signed;
	uint8_t ik[32];
	char *card;			/* the sender's card (malloc'd) */
	size_t cardlen;
	xc_card sender;
	char id[XC_ID_HEX + 1], reply_to[XC_ID_HEX + 1], thread[XC_ID_HEX + 1];
	int64_t date, expires;
	int level;			/* claimed by the sender */
	xc_laddr *to;
	size_t nto;
	uint8_t envhash[32];		/* signed hash of the recipient stanzas */
	int rewrapped;			/* stanzas differ from the signed ones */
	int padded;			/* padded to its level's size class */
	uint64_t length;		/* bytes of letter, padding included */
	uint8_t *trailer;		/* the signed xc-letter entry */
	size_t trailerlen;
	uint8_t key[32];		/* recipient key that opened it */
	xc_route route;
	xc_lpart *parts;
	size_t nparts;
	uint8_t *body;			/* the text, NUL-terminated */
	size_t bodylen;
	int dirfd;			/* -1: parts kept in memory */
	void *rd;			/* while reading */
} xc_letter;

/* Opens an envelope with ids and reads the letter: every signature, hash,
 * size and limit is checked before it returns 0; nothing is committed. */
int xc_letter_open(xc_rd in, const xc_ids *ids, int dirfd, xc_letter *L);
/* Reads a letter (the plaintext): what xc_letter_open does after age. */
int xc_letter_read(xc_rd in, int dirfd, xc_letter *L);
/* Parses the xc-letter entry: frame, signature, JSON, card. */
int xc_letter_header(xc_letter *L, const uint8_t *buf, size_t len);
/* 1 if the letter lists (handle, ik) among its recipients. */
int xc_letter_addressed(const xc_letter *L, const char *handle,
    const uint8_t ik[32]);
/* Links the attachments to their names in dirfd: never over an existing
 * file (a ".N" before the extension instead); fsyncs them and dirfd. */
int xc_letter_commit(xc_letter *L);
void xc_letter_free(xc_letter *L);
/* Writes the bytes a writer makes of L's signed header and parts (L read
 * with dirfd -1): the letter itself, byte for byte (xc-letter(5)). */
int xc_letter_serialize(const xc_letter *L, xc_wr out);

/*
 * Files in directories that others may write, or that must not lead
 * elsewhere (lib/dirio.c; the rules are in xc-spool(5)).  Every name is
 * one path component relative to a directory descriptor; directories are
 * opened with O_DIRECTORY|O_NOFOLLOW, files with O_NOFOLLOW|O_NONBLOCK and
 * used only when fstat says they are regular: a symbolic link, FIFO,
 * device or directory where a file should be (or the reverse) is
 * XC_EINSECURE, and xc_errdetail() says what it is.
 */
enum { XC_DIR_CREATE = 1, XC_DIR_OWNED = 2 };
/* Opens (XC_DIR_CREATE: makes, with exactly mode, and syncs at) the
 * directory name in at; XC_DIR_OWNED: refused unless owned by the
 * effective user. */
int xc_dir_open(int at, const char *name, int how, unsigned mode, int *fd);
int xc_dir_sync(int dirfd);
/* Opens the regular file name in dirfd for reading; its size in *size. */
int xc_file_open(int dirfd, const char *name, int *fd, uint64_t *size);
/* A whole file of at most cap bytes, malloc'd and NUL-terminated. */
int xc_fd_slurp(int fd, size_t cap, char **buf, size_t *len);
int xc_dir_read_file(int dirfd, const char *name, size_t cap, char **buf,
    size_t *len);
/* Writes name in dirfd atomically (a registered temporary file, fsync,
 * rename, or link with excl: an existing name is XC_EEXIST; then fsync of
 * dirfd), with exactly mode. */
int xc_dir_write_file(int dirfd, const char *name, const void *buf,
    size_t len, unsigned mode, int excl);
/* Calls each(arg, name, inode) for the entries of dirfd but "." and "..";
 * a non-zero return stops the walk and is returned. */
int xc_dir_each(int dirfd, int (*each)(void *arg, const char *name,
    uint64_t ino), void *arg);
/* The names in dirfd that keep(arg, name) wants (all, with keep NULL),
 * sorted; free them with xc_dir_list_free. */
int xc_dir_list(int dirfd, int (*keep)(void *arg, const char *name),
    void *arg, char ***names, size_t *n);
void xc_dir_list_free(char **names, size_t n);
/* link(2) of the file open as fd to name in dirfd, through /proc/self/fd
 * (without /proc: of oldname in olddir); -1 with errno like linkat. */
int xc_link_fd(int fd, int olddir, const char *oldname, int dirfd,
    const char *name);
/* xc_lock on name in dirfd (a regular file, never a link). */
int xc_lock_at(int dirfd, const char *name, int wait, int *fd);

/* Temporary files: made as prefix, 16 random hex digits, suffix, with
 * exactly mode, flocked for as long as *fd is open, and registered until
 * xc_tmp_forget (after a rename or link took it) or xc_tmp_remove.
 * xc_tmp_cleanup (async-signal-safe, for signal handlers) removes every
 * registered one.  xc_tmp_sweep removes, in dirfd, the regular files of the
 * effective user that match(arg, name) and whose lock is free: what killed
 * writers left.  Registration covers files made by the calling thread. */
#define XC_TMP_NAME_MAX 256
int xc_tmp_create(int dirfd, const char *prefix, const char *suffix,
    unsigned mode, char name[XC_TMP_NAME_MAX], int *fd);
void xc_tmp_forget(const char *name);
void xc_tmp_remove(int dirfd, const char *name);
void xc_tmp_cleanup(void);
int xc_tmp_sweep(int dirfd, int (*match)(void *arg, const char *name),
    void *arg, size_t *removed);
/* Matchers: "HEX.PID.tmp" (maildir and spool tmp/) and ".tmp-HEX"
 * (xc_dir_write_file). */
int xc_tmp_is_maildir(void *arg, const char *name);
int xc_tmp_is_state(void *arg, const char *name);
/* A "HEX.PID.tmp" temporary file in dirfd. */
int xc_maildir_tmp(int dirfd, char name[XC_TMP_NAME_MAX], unsigned mode,
    int *fd);

/*
 * What xc-fetch remembers (lib/store.c): a set of 32-byte keys with a
 * 64-bit value each, in a text file of "HEX VALUE" lines (keylen bytes of
 * key in hex).  Constant-time lookups; linear load and save.  With
 * expires, a value v != 0 is the Unix time the entry is forgotten.
 */
#define XC_MAX_STORE 16000000		/* entries in one store */
typedef struct {
	uint8_t key[32];
	int64_t val;
	uint32_t mark;			/* put or touched in this run */
} xc_store_entry;
typedef struct {
	xc_store_entry *v;
	size_t n, cap, nloaded, dropped, bad;
	uint32_t *slot;
	size_t nslot, keylen;
	int expires, torn, dirty, dirfd;
	char name[64];
} xc_store;
int xc_store_load(xc_store *s, int dirfd, const char *name, size_t keylen,
    int expires, int64_t now);
/* Parses the text of a store file into s (zeroed, keylen set). */
int xc_store_parse(xc_store *s, const char *buf, size_t len, size_t keylen,
    int64_t now);
xc_store_entry *xc_store_get(const xc_store *s, const uint8_t key[32]);
int xc_store_put(xc_store *s, const uint8_t key[32], int64_t val);
/* Appends what was put since the load (synced), or rewrites the file
 * when most of it was forgotten or a value changed. */
int xc_store_save(xc_store *s);
/* Rewrites the file with the entries keep() wants (all if keep is NULL). */
int xc_store_rewrite(xc_store *s,
    int (*keep)(void *arg, const xc_store_entry *e), void *arg);
void xc_store_free(xc_store *s);
/* 64 hex digits (an envelope id) as a key. */
int xc_store_key_hex(uint8_t key[32], const char *hex);

/*
 * Delivery (lib/spool.c; the format is xc-spool(5)).
 *
 * An envelope's id is the hex BLAKE2b-256 of all its bytes; its file name
 * is "ID-EXPIRY.age" (EXPIRY from the route stanza, 0: none).  A spool is
 * a directory with an "xc-spool" marker ("xc-spool-v1", then optional
 * "max-size N"), tmp/, and one directory per bucket: two hex digits, the
 * first byte of a mailbox tag.  An envelope is linked into the bucket of
 * each of its tags.  A name is trusted only once the bytes were checked
 * against it: the id is their hash and the expiry the route stanza's.
 */
#define XC_ENVID_HEX 64
#define XC_ENVNAME_MAX (XC_ENVID_HEX + 32)
#define XC_SPOOL_BUCKET_BITS 8
#define XC_SPOOL_MAX_SIZE ((uint64_t)1 << 30)	/* default max-size */
#define XC_SPOOL_KEEP_DAYS 30		/* envelopes without an expiry */
#define XC_MAX_MARKER 4096		/* bytes of the xc-spool marker */

int xc_envelope_name(char out[XC_ENVNAME_MAX], const char *id,
    int64_t expires);
/* -1 unless name is "ID-EXPIRY.age" exactly. */
int xc_envelope_parse_name(const char *name, char id[XC_ENVID_HEX + 1],
    int64_t *expires);
/* A name in a maildir: "ID-EXPIRY.age", optionally followed by the
 * maildir info ":2," and flags (A-Z, a-z); *info points at it or at "". */
int xc_maildir_parse_name(const char *name, char id[XC_ENVID_HEX + 1],
    int64_t *expires, const char **info);
/* Checks the envelope in fd (a binary age file: X25519 stanzas and one
 * xc-route stanza with one tag each, a payload, at most max bytes) and
 * computes its id; with id NULL, reads the header only. */
int xc_envelope_check(int fd, uint64_t max, char id[XC_ENVID_HEX + 1],
    xc_route *route, uint64_t *size);
/* 0 if fd holds the envelope name says (its bytes hash to the id, its
 * route stanza has the expiry); XC_EPAYLOAD ("does not match its name")
 * or the error of xc_envelope_check otherwise. */
int xc_envelope_matches(int fd, uint64_t max, const char *name,
    xc_route *route);
/* Copies src into a new "HEX.PID.tmp" file in dirfd, synced, and keeps it
 * open (and locked) in *fd for the caller to link and then remove (with
 * xc_tmp_remove).  With id, the bytes must hash to it (XC_EPAYLOAD); with
 * idout, their id is written there. */
int xc_copy_to_dir(xc_rd src, int dirfd, uint64_t max, unsigned mode,
    const char *id, char tmp[XC_TMP_NAME_MAX], int *fd,
    char idout[XC_ENVID_HEX + 1]);

typedef struct {
	char dir[XC_PATH_MAX];
	int bucket_bits;
	uint64_t max_size;
	int fd, tmpfd;			/* the spool and its tmp/, or -1 */
	unsigned dmode, fmode;		/* of new directories and files */
	size_t replaced;		/* junk replaced by xc_spool_put* */
} xc_spool;
/* Opens a spool (with create, makes it when missing: the directory, with
 * its parent's mode when that is set-group-ID, the marker and tmp/). */
int xc_spool_open(xc_spool *s, const char *dir, int create);
void xc_spool_close(xc_spool *s);
#define XC_SPOOL_MAGIC "xc-spool-v1\n"	/* the marker's first line */
/* The marker's text: XC_EUNSUPPORTED unless it begins with XC_SPOOL_MAGIC;
 * *max_size from a "max-size N" line (1024 to 2^40), else the default.
 * In the age layer (lib/envelope.c): xc-seal reads it too. */
int xc_spool_marker_parse(const char *buf, size_t len, uint64_t *max_size);
void xc_spool_bucket(char out[8], const uint8_t tag[XC_TAG_LEN], int bits);
/* Opens a bucket (create: makes it, in the spool's mode). */
int xc_spool_bucket_open(xc_spool *s, const char *bucket, int create,
    int *fd);
/* Stores the envelope in fd (checked, of this id) under name in the bucket
 * of each tag: copied into tmp/, then linked; a name already there counts
 * only if its bytes match it, anything else there is replaced (renamed
 * over, atomically).  xc_spool_put takes a path (tools, tests). */
int xc_spool_put_fd(xc_spool *s, int fd, const char *name, const xc_route *r);
int xc_spool_put(xc_spool *s, const char *path, const char *name,
    const xc_route *r);
/* Collection (of one bucket, or of all and tmp/): an envelope is removed
 * once its name's expiry has passed (no expiry: XC_SPOOL_KEEP_DAYS after
 * its mtime), and only after its bytes were checked against its name. */
typedef struct {
	size_t removed;			/* envelopes and temporary files */
	size_t kept;			/* past their time, but names that lie */
	size_t unsafe;			/* buckets or tmp/ not directories */
} xc_gc_stats;
int xc_spool_gc(xc_spool *s, int64_t now, const char *bucket,
    xc_gc_stats *st);

/*
 * A transport stores envelopes and lists and opens them by bucket: the
 * spool is the first; a network client plugs in behind the same calls.
 * Names are as the transport lists them and are checked by the caller
 * before they are believed.  ident gives 16 bytes that change whenever
 * the listed copy changes (the spool: device, inode, size, times), so that
 * a copy already looked at and refused need not be read again.
 */
typedef struct {
	const char *bucket, *name;
	void *handle;			/* the transport's */
} xc_entry;
typedef struct {
	const char *name;		/* "spool": for messages */
	/* Stores the checked envelope in fd under name (ID-EXPIRY.age). */
	int (*put)(void *ctx, int fd, const char *name, const xc_route *r);
	/* each(arg, e) per entry of bucket; a non-zero return stops the
	 * listing and is returned.  A missing bucket is empty; one that is
	 * not a directory is XC_EINSECURE. */
	int (*list)(void *ctx, const char *bucket,
	    int (*each)(void *arg, const xc_entry *e), void *arg);
	int (*ident)(void *ctx, const xc_entry *e, uint8_t key[16]);
	/* A readable file descriptor of the entry at offset 0 (a regular
	 * file: XC_EINSECURE for anything else), and its size. */
	int (*get)(void *ctx, const xc_entry *e, int *fd, uint64_t *size);
	/* Collection of a listed entry whose time may have come (1: it was
	 * removed); NULL for a transport that collects by itself. */
	int (*collect)(void *ctx, const xc_entry *e, int64_t now,
	    xc_gc_stats *st);
	void *ctx;
} xc_transport;
void xc_spool_transport(xc_spool *s, xc_transport *t);
/* Collection of one entry listed by the spool's transport, as xc_spool_gc
 * would (1: removed), while the listing goes on: each file is looked at
 * once per run. */
int xc_spool_collect(xc_spool *s, const xc_entry *e, int64_t now,
    xc_gc_stats *st);

/* Maildirs (tmp/, new/, cur/): the outbox and the inbox, private to the
 * keyring: opened without following links, refused unless owned by the
 * effective user, made 0700. */
typedef struct {
	int fd, tmp, new, cur;
	void *staged;			/* xc_maildir_stage's batch */
} xc_maildir;
int xc_maildir_open(xc_maildir *m, int homefd, const char *name);
void xc_maildir_close(xc_maildir *m);
/* Copies fd into new/name (tmp/, fsync, link, fsync new/); the bytes must
 * hash to id.  A name already in new/ is XC_EEXIST. */
int xc_maildir_deliver(xc_maildir *m, int fd, uint64_t max, const char *name,
    const char *id);
/* The same in batches (xc-fetch from servers): xc_maildir_stage copies
 * fd into tmp/, not yet synced and where it can be without a name
 * (O_TMPFILE), and queues it (XC_EEXIST as above);
 * xc_maildir_commit syncs the batch at once (syncfs(2) where there is
 * one), links each file into new/ (a name already there is kept), syncs
 * new/ and removes the copies.  Nothing gets a name in new/ before its
 * bytes are durable; a batch is committed when it is full, and what is
 * staged and not committed when the maildir is closed is removed. */
#define XC_MAILDIR_BATCH 256
int xc_maildir_stage(xc_maildir *m, int fd, uint64_t max, const char *name,
    const char *id);
int xc_maildir_commit(xc_maildir *m);

/*
 * The network (the mapping is xc-nntp(5)): envelopes travel as Usenet
 * articles between xc nodes (INN2 servers), with a proof-of-work beside
 * them (lib/pow.c), posted and fetched by our own NNTP client
 * (lib/nntp.c) over one connection layer (lib/net.c) that TLS and
 * SOCKS5 proxies plug into.
 */
#define XC_POW_PER_BYTE 1		/* Bitmessage's nonceTrialsPerByte */
#define XC_POW_EXTRA 16384		/* payloadLengthExtraBytes */
#define XC_POW_MAX_TTL (30 * 86400)	/* also the lifetime without expiry */
#define XC_POW_MIN_TTL 300
typedef struct {
	uint64_t per_byte, extra;
} xc_pow_params;
extern const xc_pow_params xc_pow_default;
void xc_pow_initial(uint8_t out[64], const uint8_t id[32], uint64_t size,
    int64_t expires);
uint64_t xc_pow_trial(const uint8_t initial[64], uint64_t nonce);
/* What is left of an envelope's life at now, for the target. */
int64_t xc_pow_ttl(int64_t expires, int64_t now);
uint64_t xc_pow_target(uint64_t size, int64_t ttl, const xc_pow_params *p);
/* XC_ELIMIT ("insufficient proof-of-work") unless nonce is good at now. */
int xc_pow_check(uint64_t nonce, const uint8_t id[32], uint64_t size,
    int64_t expires, int64_t now, const xc_pow_params *p);
/* Finds a nonce good from now until expiry; progress (may be NULL) is
 * called before the search (tried 0) and every 65536 trials, with the
 * number of trials expected, and stops the search by returning non-zero. */
int xc_pow_solve(uint64_t *nonce, const uint8_t id[32], uint64_t size,
    int64_t expires, int64_t now, const xc_pow_params *p,
    int (*progress)(void *arg, uint64_t tried, uint64_t expected), void *arg);

/* Where a server is: nntp://host[:port] (port 119: plaintext, or STARTTLS
 * when xc_net_opts.tls asks for it) or nntps://host[:port] (port 563: TLS
 * from the first byte, RFC 8143).  scheme is "nntp" or "nntps". */
typedef struct {
	char scheme[8];
	char host[256];
	char port[8];
} xc_url;
int xc_url_parse(xc_url *u, const char *s);
/* socks5h://ADDRESS[:port] (1080), the address numeric: scheme "socks5h".
 * socks5:// (names resolved locally) and user names are refused. */
int xc_proxy_parse(xc_url *u, const char *s);
/* 4 or 16 if host is an IPv4 or IPv6 literal (its bytes in out), else 0. */
int xc_ip_literal(const char *host, uint8_t out[16]);
/* 1 for a name under .onion (reached through Tor only). */
int xc_host_is_onion(const char *host);

/* A byte stream to a server with deadlines: the one place TLS (a conn
 * over a conn) and SOCKS5h (a conn that connects through a proxy) plug
 * in.  read returns at least one byte, or XC_ENET at end of stream,
 * after timeout_ms without a byte, or past deadline (CLOCK_MONOTONIC
 * milliseconds, 0: none), which the NNTP layer sets per response. */
typedef struct xc_conn {
	int (*read)(struct xc_conn *c, uint8_t *buf, size_t len, size_t *got);
	int (*write)(struct xc_conn *c, const uint8_t *buf, size_t len);
	void (*close)(struct xc_conn *c);
	int timeout_ms;
	int64_t deadline;
	void *ctx;
} xc_conn;
/* What nntp:// does about TLS (nntps:// is always TLS). */
enum { XC_TLS_OFF = 0,		/* plaintext */
	XC_TLS_STARTTLS };	/* STARTTLS (RFC 4642) or an error, never
				   plaintext */
/* What a connection is for: the SOCKS user name, so that Tor
 * (IsolateSOCKSAuth) gives each purpose circuits of its own. */
enum { XC_NET_OTHER = 0,	/* "xc" */
	XC_NET_POST,		/* "xc-post": xc-send, xc-keygen --publish */
	XC_NET_FETCH,		/* "xc-fetch": xc-fetch */
	XC_NET_LOOKUP };	/* "xc-lookup": xc-verify --lookup */
typedef struct {
	int timeout_ms;		/* without a byte either way (30 s) */
	int response_ms;	/* for one whole response (120 s); also the
				   bound of the SOCKS and TLS handshakes */
	uint64_t max_body;	/* one multi-line response (XC_NNTP_MAX_BODY) */
	const char *proxy;	/* socks5h://ADDRESS:PORT, or NULL: direct */
	int tls;		/* XC_TLS_*, for nntp:// URLs */
	const char *pin;	/* NULL: the system's authorities and the
				   host name; else "SHA256:..." (several with
				   ','): the certificate's hash, nothing else */
	int purpose;		/* XC_NET_* */
} xc_net_opts;
int64_t xc_monotonic_ms(void);
/* TCP to host:port (every address getaddrinfo gives, in turn), or through
 * o->proxy (SOCKS5, the name resolved by the proxy, never here). */
int xc_conn_tcp(xc_conn **c, const char *host, const char *port,
    const xc_net_opts *o);
/* A connection over an open descriptor (a socketpair, a test). */
int xc_conn_fd(xc_conn **c, int fd, const xc_net_opts *o);
/* The connection to a server URL: TCP or the proxy, then TLS for nntps. */
int xc_conn_open(xc_conn **c, const xc_url *u, const xc_net_opts *o);

/* SOCKS5 (lib/socks.c): CONNECT to host:port over c (to the proxy), the
 * user name by purpose.  Reads nothing past the proxy's reply. */
int xc_socks5_connect(xc_conn *c, const char *host, const char *port,
    int purpose);
const char *xc_socks5_user(int purpose);
/* Parses the proxy's reply to CONNECT in p: its length once complete, 0
 * while *need (the length known so far) > len, or XC_ENET. */
int xc_socks5_reply(const uint8_t *p, size_t len, size_t *need);

/* TLS (lib/tls.c, OpenSSL): the handshake over inner (taken over: closed
 * on failure too), host checked against the certificate unless o->pin. */
#define XC_TLS_MAX_PINS 8
#define XC_TLS_PIN_MAX 64	/* "SHA256:" + 43 base64 characters + NUL */
int xc_conn_tls(xc_conn **c, xc_conn *inner, const char *host,
    const xc_net_opts *o);
/* Parses a pin list ("SHA256:" + hex, hex pairs with ':', or base64).
 * The pin syntax is in lib/url.c (the id layer), so that the config can
 * check pins without linking TLS. */
int xc_tls_pins(uint8_t out[][32], size_t max, size_t *n, const char *s);
/* "SHA256:" and the base64 of md: a pin in its canonical form. */
void xc_tls_fingerprint_text(char out[XC_TLS_PIN_MAX], const uint8_t md[32]);
/* One pin in its canonical form, SHA256:BASE64 (43 characters). */
int xc_tls_pin_text(char out[XC_TLS_PIN_MAX], const char *pin);
/* The pin of a PEM certificate. */
int xc_tls_cert_fingerprint(char out[XC_TLS_PIN_MAX], const char *pem,
    size_t len);
/* The pin of the certificate the last server of this thread presented
 * when the check refused it (a wrong pin, no authority, another host),
 * for a hint; else NULL.  xc_conn_open forgets it first (xc_tls_forget),
 * so it is never another server's. */
const char *xc_tls_rejected_fingerprint(void);
void xc_tls_forget(void);
/* A pin list in canonical form: each SHA256:BASE64, ',' between them. */
#define XC_TLS_PINS_MAX (XC_TLS_MAX_PINS * XC_TLS_PIN_MAX)
int xc_tls_pins_text(char out[XC_TLS_PINS_MAX], const char *s);
/* A self-signed certificate for a node (EC P-256, SHA-256, CN, the IP
 * addresses as subjectAltName), PEM; *key is sodium_malloc'd. */
int xc_tls_make_cert(char **cert, size_t *certlen, char **key,
    size_t *keylen, const char *cn, const char *const *ips, size_t nips,
    int days);

#define XC_NNTP_MAX_LINE 4096		/* one line, CRLF included */
#define XC_NNTP_MAX_STATUS 512		/* RFC 3977 3.1 */
#define XC_NNTP_MAX_BODY ((uint64_t)64 << 20)
#define XC_NNTP_OVER_CHUNK 1000		/* article numbers per OVER */
#define XC_NNTP_PIPELINE 32		/* requests in flight */
#define XC_NNTP_GROUP_PREFIX "xc.b."
#define XC_NNTP_BUCKET_BITS 8		/* one group per first byte of a tag */
#define XC_NNTP_MAX_ENVELOPE (1024 * 1024)	/* a node's default */

/* The article of an envelope (binary, len bytes) with its proof-of-work:
 * the headers of xc-nntp(5) and the armor; *out is malloc'd, with CRLF
 * line ends and no dot-stuffing.  id receives the envelope id. */
int xc_nntp_article(uint8_t **out, size_t *outlen, const uint8_t *env,
    size_t len, uint64_t nonce, int64_t now, char id[XC_ENVID_HEX + 1]);
/* Checks a binary envelope in memory as xc_envelope_check does, and
 * computes its id. */
int xc_nntp_envelope(const uint8_t *env, size_t len,
    char id[XC_ENVID_HEX + 1], xc_route *r);
/* The groups of an envelope's tags, "xc.b.XX" comma-separated, sorted. */
int xc_nntp_groups(char *out, size_t cap, const xc_route *r);
/* Parses "xc1 TAG..." (the Subject) into tags: -1 if not so. */
int xc_nntp_subject_tags(const char *s, size_t len, xc_route *r);

/* Cards on the network: a chain of cards (the newest last) is an article
 * of XC_NNTP_CARDS_GROUP, Subject "xc-card1 HANDLE", Message-ID <ID@xc>
 * with ID the BLAKE2b-256 of the chain's bytes and of the Expires time (8
 * bytes, big-endian), the body the chain in padded base64, 64 columns. */
#define XC_NNTP_CARDS_GROUP "xc.cards"
#define XC_NNTP_MAX_CHAIN (64 * 1024)	/* bytes of the cards of one article */
int xc_nntp_cards_id(char id[XC_ENVID_HEX + 1], const char *chain,
    size_t len, int64_t expires);
/* The article (CRLF, no dot-stuffing; *out malloc'd); id receives its id. */
int xc_nntp_cards_article(uint8_t **out, size_t *outlen, const char *handle,
    const char *chain, size_t len, int64_t expires, uint64_t nonce,
    int64_t now, char id[XC_ENVID_HEX + 1]);
/* The chain of a body as xc_nntp_bodies gives it (LF line ends): strict
 * base64, canonical; *chain malloc'd and NUL-terminated; XC_EPAYLOAD. */
int xc_nntp_cards_body(const uint8_t *text, size_t len, char **chain,
    size_t *chainlen);

typedef struct xc_nntp xc_nntp;
/* Connects (xc_conn_open: the proxy, TLS for nntps) and reads the
 * greeting (200 or 201), then MODE READER, then STARTTLS when o->tls asks
 * for it on nntp://. */
int xc_nntp_connect(xc_nntp **n, const xc_url *u, const xc_net_opts *o);
/* The same over a connection made elsewhere (taken over, closed by
 * xc_nntp_close), without STARTTLS, which needs the server's name. */
int xc_nntp_open(xc_nntp **n, xc_conn *c, const xc_net_opts *o);
void xc_nntp_close(xc_nntp *n);	/* QUIT, best effort, and free */
/* The server's last response line, sanitised to printable ASCII. */
const char *xc_nntp_last(const xc_nntp *n);

/* Posting one article by IHAVE: the outcome, and the server's code and
 * reason (printable ASCII) when it refused.  Returns XC_ENET on a network
 * or protocol failure, when the outcome is unknown. */
enum { XC_POST_ACCEPTED = 1, XC_POST_DUPLICATE, XC_POST_REFUSED,
	XC_POST_LATER, XC_POST_WANTED };
typedef struct {
	int outcome;
	int code;
	char reason[256];
} xc_post_result;
int xc_nntp_post(xc_nntp *n, const char *id, const uint8_t *art, size_t len,
    xc_post_result *r);
/* The same in two steps, so that the article (and its proof-of-work) is
 * made only for a server that wants it: xc_nntp_ihave offers the id
 * (XC_POST_WANTED: send it now), xc_nntp_send sends the article. */
int xc_nntp_ihave(xc_nntp *n, const char *id, xc_post_result *r);
int xc_nntp_send(xc_nntp *n, const uint8_t *art, size_t len,
    xc_post_result *r);

/* GROUP: XC_ENOTFOUND for a group the server does not carry. */
int xc_nntp_group(xc_nntp *n, const char *group, uint64_t *count,
    uint64_t *low, uint64_t *high);
/* One article of an overview listing that is an xc envelope. */
typedef struct {
	uint64_t num;
	char id[XC_ENVID_HEX + 1];
	uint64_t bytes;
	xc_route route;		/* the tags of the Subject (expires: 0) */
} xc_nntp_over;
/* One line of an overview (OVER), as the server sent it: nothing in it
 * is checked but the number, which must be in the range asked, rising. */
typedef struct {
	uint64_t num;
	const uint8_t *subject, *date, *msgid;
	size_t subjectlen, datelen, msgidlen;
	uint64_t bytes;
	int has_bytes;		/* the bytes field was a number */
} xc_nntp_overline;
/* Calls each for every article of group numbered above cursor (OVER,
 * pipelined in chunks); *next as for xc_nntp_list. */
int xc_nntp_overview(xc_nntp *n, const char *group, uint64_t cursor,
    int (*each)(void *arg, const xc_nntp_overline *o), void *arg,
    uint64_t *next);
/* "<ID@xc>" with ID 64 lower-case hex digits: the ID, else -1. */
int xc_nntp_msgid(const uint8_t *p, size_t len, char id[XC_ENVID_HEX + 1]);
/* Lists the articles of group numbered above cursor (OVER, pipelined in
 * chunks), calling each for every xc envelope; other lines are skipped
 * and counted in *foreign.  *next is the cursor to keep once every
 * envelope listed is dealt with; it is left alone on any error. */
int xc_nntp_list(xc_nntp *n, const char *group, uint64_t cursor,
    int (*each)(void *arg, const xc_nntp_over *o), void *arg,
    uint64_t *next, uint64_t *foreign);
/* Fetches the bodies of the articles <ID@xc> (BODY, pipelined): got is
 * called in order for each, with its lines (dot-unstuffed, each ended by
 * LF) or, text NULL, XC_ENOTFOUND.  A non-zero return of got stops. */
int xc_nntp_bodies(xc_nntp *n, const char *const *ids, size_t count,
    int (*got)(void *arg, size_t i, int status, const uint8_t *text,
    size_t len), void *arg);
/* Fetches the envelopes with the ids given (BODY <ID@xc>, pipelined):
 * got is called in order for each, with the binary envelope (dearmored,
 * its hash checked against the id) or, env NULL, a status: XC_ENOTFOUND
 * (gone), XC_EPAYLOAD (not the envelope it claims to be), XC_EARMOR. */
int xc_nntp_fetch(xc_nntp *n, const char *const *ids, size_t count,
    int (*got)(void *arg, size_t i, int status, const uint8_t *env,
    size_t len), void *arg);

/*
 * The configuration of xc-send and xc-fetch (lib/config.c; xc(7),
 * "Configuration"): lines "KEY VALUE", blank lines and '#' comments.
 *   spool DIR          the spool (the rest of the line)
 *   server URL [pin PINS] [starttls]
 *                      a server, repeatable (at most XC_MAX_SERVERS),
 *                      with the pins of its certificate (nntps://, or
 *                      nntp:// with starttls) and STARTTLS for nntp://
 *   quorum N|all       servers that must take an envelope (xc-send)
 *   timeout SECONDS    the longest wait for a server
 *   proxy socks5h://ADDRESS:PORT   every server through this proxy
 * Any other key is an error, and so is a key given twice (server apart):
 * a setting this version does not know is never silently ignored.
 */
#define XC_MAX_SERVERS 16
#define XC_URL_MAX 300			/* a server URL, NUL included */
#define XC_MAX_CONFIG (64 * 1024)	/* bytes of the config file */
#define XC_QUORUM_ALL (-1)
#define XC_MAX_TIMEOUT 3600		/* seconds */
_Static_assert(XC_URL_MAX == XC_REACH_URL_MAX &&
    XC_TLS_PINS_MAX == XC_REACH_PINS_MAX, "a card's servers are config's");
typedef struct {
	char spool[XC_PATH_MAX];	/* "" when not given */
	char server[XC_MAX_SERVERS][XC_URL_MAX];	/* canonical URLs */
	size_t nserver;
	int quorum;			/* 0: not given; 1..; XC_QUORUM_ALL */
	int timeout;			/* seconds; 0: not given */
	/* TLS per server: the pins (canonical, xc_tls_pins_text; "": the
	 * system's authorities), and STARTTLS for an nntp:// one. */
	char pin[XC_MAX_SERVERS][XC_TLS_PINS_MAX];
	int starttls[XC_MAX_SERVERS];
	char proxy[XC_URL_MAX];		/* canonical; "": direct */
} xc_config;
/* The config file: ${XDG_CONFIG_HOME:-$HOME/.config}/xc/config (an
 * XDG_CONFIG_HOME that is not absolute counts as unset); XC_EINVAL
 * without either. */
int xc_config_path(char out[XC_PATH_MAX]);
/* Where it was before: HOME/config, in the keyring. */
int xc_config_old_path(char out[XC_PATH_MAX], const char *home);
/* Parses text into cf (zeroed first).  On error *line is the 1-based
 * line at fault and xc_errdetail() says what is wrong with it. */
int xc_config_parse(xc_config *cf, const char *text, size_t len,
    size_t *line);
/* Reads and parses the config file (a missing file is an empty config);
 * path receives its name.  When it is missing and the keyring home holds
 * one where it was before, that one is read and *old is 1, so that the
 * caller can say it moved. */
int xc_config_load(xc_config *cf, const char *home, char path[XC_PATH_MAX],
    size_t *line, int *old);
/* Adds a server by URL, in canonical form (scheme://host:port, the host
 * in lower case): XC_EINVAL for a bad URL, XC_EEXIST for one given
 * already, XC_ELIMIT past XC_MAX_SERVERS. */
int xc_config_add_server(xc_config *cf, const char *url);
/* The canonical form of a server URL (XC_EINVAL: not one). */
int xc_server_canon(char out[XC_URL_MAX], const char *url);
/* What xc_config_server_check says of a server with these settings. */
int xc_server_tls_check(const char *url, const char *pin, int starttls);
/* The pins of server i (XC_EEXIST when it has some already), and its
 * STARTTLS; xc_config_server_check then says whether what server i has
 * makes sense: XC_EINVAL for a pin without TLS, or STARTTLS on nntps://. */
int xc_config_server_pin(xc_config *cf, size_t i, const char *pins);
int xc_config_server_check(const xc_config *cf, size_t i);
/* The proxy, canonical (XC_EEXIST when there is one already). */
int xc_config_proxy(xc_config *cf, const char *url);
/* "N" (1..XC_MAX_SERVERS) or "all"; -1 when it is neither. */
int xc_config_quorum(const char *s, int *quorum);
/* Seconds, 1..XC_MAX_TIMEOUT; -1 otherwise. */
int xc_config_timeout(const char *s, int *seconds);

/*
 * The network as a transport (lib/servers.c): one xc_transport per server,
 * over the NNTP client.  put offers an envelope by IHAVE and makes the
 * article, with its proof-of-work, only for a server that wants it, once
 * for all the servers of a run.  list reads a bucket's group from the
 * cursor kept for (server, group), fetches the bodies of the articles
 * want() picks from the overview (pipelined, in batches) and hands each
 * over as an entry named ID-EXPIRY.age after the envelope's own route
 * stanza, its bytes in a file held in memory; once every entry of the
 * group was handed over, the new cursor goes into the cursor store, which
 * the caller saves only after what it took is durable.  A group the
 * server does not carry is empty.  A server that failed once in a run is
 * not tried again in it: its calls return XC_ENET with the first error.
 */
#define XC_NET_MAX_ENVELOPE ((uint64_t)32 << 20)	/* posted or fetched */
#define XC_NET_BATCH 256		/* bodies fetched, then handed over */
#define XC_NET_BATCH_BYTES ((uint64_t)64 << 20)
#define XC_NET_MAX_WANT 100000		/* articles of a group in one run */
typedef struct xc_server xc_server;
typedef struct {
	xc_net_opts o;			/* timeouts, proxy, purpose (each
					   server has its own pin and tls) */
	int64_t now;
	const xc_pow_params *pow;	/* NULL: xc_pow_default */
	uint64_t max_size;		/* 0: XC_NET_MAX_ENVELOPE */
	/* posting: proof-of-work progress (may be NULL); non-zero stops */
	int (*progress)(void *arg, const char *id, uint64_t tried,
	    uint64_t expected);
	/* listing: 1 to fetch the envelope id, with the tags r (NULL: all) */
	int (*want)(void *arg, const char *id, const xc_route *r);
	void *arg;
	xc_store *cursors;		/* NULL: every run from the start */
	size_t junk;			/* articles not the envelopes they claim */
	size_t oversize;		/* articles larger than max_size */
	/* private */
	xc_server *srv[XC_MAX_SERVERS];
	size_t nsrv;
	char artid[XC_ENVID_HEX + 1];	/* the article last made */
	uint8_t *art;
	size_t artlen;
} xc_net;
/* Adds the server at url (canonical, as xc_config keeps it) and makes its
 * transport in *t; net's settings must be in place. */
int xc_net_add(xc_net *net, const char *url, xc_transport *t);
/* The same with TLS: the server's pins (NULL: the system's authorities)
 * and, for nntp://, XC_TLS_STARTTLS or XC_TLS_OFF.  t may be NULL for a
 * server used only through xc_net_nntp. */
int xc_net_add_tls(xc_net *net, const char *url, const char *pin, int tls,
    xc_transport *t);
/* The pin of the certificate the i-th server showed when our check
 * refused it (the server failed on it), for a hint; else NULL. */
const char *xc_net_rejected(const xc_net *net, size_t i);
/* The NNTP session of server i, opened at the first call, for what is not
 * a transport's work (cards: lib/lookup.c); after a network or protocol
 * error on it, xc_net_down(net, i, rc) closes it and the server is not
 * tried again in this run (XC_ENET, or XC_ENOMEM, is returned). */
int xc_net_nntp(xc_net *net, size_t i, xc_nntp **n);
int xc_net_down(xc_net *net, size_t i, int rc);
/*
 * Cards on the network (lib/lookup.c; xc-nntp(5), "Cards").
 */
typedef struct {
	char handle[XC_HANDLE_MAX + 1];
	char *chain;		/* the newest cards that fit an article */
	size_t len, ncards;
	int64_t expires;	/* of the article: at most XC_POW_MAX_TTL */
	int64_t now;
	char id[XC_ENVID_HEX + 1];
	uint8_t *art;		/* made for the first server that wants it */
	size_t artlen;
} xc_publish;
/* Prepares the publication of an own identity's chain (xc_identity_chain)
 * at now: XC_EEXPIRED when its current card has expired. */
int xc_publish_init(xc_publish *p, const char *handle, const char *chain,
    size_t len, int64_t now);
/* Offers it to server i and sends it if the server wants it; r says what
 * the server made of it.  XC_ENET when the server could not be asked. */
int xc_publish_put(xc_net *net, size_t i, xc_publish *p, xc_post_result *r);
void xc_publish_free(xc_publish *p);

#define XC_LOOKUP_MAX_ARTICLES 1000	/* the newest, per server */
#define XC_LOOKUP_MAX_CARDS 1024	/* distinct cards in one lookup */
/* A card found, checked (shape, signature, the handle asked for). */
typedef struct {
	char *card;		/* its bytes, NUL-terminated */
	size_t len;
	xc_card c;
	int64_t seen;		/* the earliest Date of an article with it */
	uint32_t servers;	/* bit i: server i carries it */
} xc_found;
typedef struct {
	xc_found *v;
	size_t n, cap;
	size_t articles;	/* article bodies read */
	size_t refused;		/* articles and cards that were not good */
	int capped;		/* more than the limits above: the newest */
} xc_lookup;
/* Adds the cards that claim handle on server i to L (zeroed before the
 * first server).  XC_ENOTFOUND: the server has no cards group. */
int xc_lookup_server(xc_net *net, size_t i, const char *handle,
    xc_lookup *L);
/* The same on a session opened elsewhere, the cards marked as found on
 * server number server (0-31). */
int xc_lookup_nntp(xc_nntp *n, size_t server, const char *handle,
    xc_lookup *L);
void xc_lookup_free(xc_lookup *L);

/* Says goodbye to every server and frees what net holds. */
void xc_net_free(xc_net *net);
/* The key of the cursor of (server, group) in the cursor store. */
void xc_net_cursor_key(uint8_t key[32], const char *url, const char *group);

#endif
