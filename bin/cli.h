/*
 * cli.h - what the xc programs share: messages, the exit-status table,
 * secret files, passphrases and atomic output files.  Library code never
 * prints; these helpers are where library errors become words and codes.
 */
#ifndef XC_CLI_H
#define XC_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../lib/xc.h"

/* The exit-status table of xc(7). */
enum {
	EX_OK_ = 0,
	EX_NO = 1,		/* not for you: no identity matched */
	EX_USAGE_ = 2,		/* usage error */
	EX_BADINPUT = 3,	/* malformed, truncated or tampered input */
	EX_SYSTEM = 4,		/* files, memory, permissions, terminal */
	EX_NETWORK = 5,		/* not delivered (kept in the outbox) */
	EX_BUSY = 6,		/* another xc-fetch holds the lock */
	EX_REPLAY = 7		/* a letter opened before, from another
				 * envelope, or dated before the window */
};

extern const char *prog;

/* Called first by every program: no core dumps (they would hold keys and
 * plaintext) and, on Linux, not dumpable or ptrace-attachable by others. */
void cli_harden(void);
/* Called next to cli_harden by every program: descriptors 0-2 that are
 * closed are opened on /dev/null (standard output read-only, so that
 * printing to it fails as it would have), and SIGINT, SIGTERM, SIGHUP and
 * SIGPIPE remove the registered temporary files (xc_tmp_cleanup) and
 * cli_on_signal's, if set, before the default action. */
void cli_start(void);
extern void (*cli_on_signal)(void);

void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_hint(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints a usage error and the usage line, exits 2. */
void cli_usage_error(const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
/* Reports the option getopt just refused (optstring starting with ':',
 * opterr = 0): c is ':' for a missing argument.  Exits 2. */
void cli_bad_option(const char *usage, char **argv, int c) __attribute__((noreturn));
/* Maps a library error to the exit-status table. */
int cli_exit_code(int xcerr);
/* Reports a library error about 'what' (a file name or NULL). */
int cli_report(int xcerr, const char *what);

/* Reads a whole small file (at most cap bytes) into secure memory.  With
 * secret set, a file readable or writable by group or others is refused.
 * "-" reads stdin.  Returns an exit code (0 on success), having reported. */
int cli_slurp(const char *path, size_t cap, int secret, char **buf,
    size_t *len);
void cli_slurp_free(char *buf, size_t len);

/* Reads an age identity file into ids (with secret, refused if others may
 * access it) or a recipients file into r; reports "'FILE' line N: ...".
 * Return an exit code, 0 on success. */
int cli_load_identities(const char *path, int secret, xc_ids *ids);
int cli_load_recipients(const char *path, xc_rcpts *r);

/* The own identity named by arg (a handle), or when arg is NULL the
 * default identity, or the only one in home; writes its canonical handle.
 * An error lists the identities there are.  Returns an exit code. */
int cli_pick_identity(const char *home, const char *arg,
    char h[XC_HANDLE_MAX + 1]);
/* The default identity ($XC_HOME/ids/.default): 0 and its handle in h, or
 * -1 when none is set.  Setting it returns an exit code. */
int cli_default_identity(const char *home, char h[XC_HANDLE_MAX + 1]);
int cli_set_default_identity(const char *home, const char *h);

/* Passphrases: the first line of a file, or the terminal with echo off. */
int cli_passphrase_file(const char *path, char **pw, size_t *len);
int cli_passphrase_tty(int confirm, char **pw, size_t *len);
void cli_passphrase_free(char *pw);

/* Input: a file, or stdin for NULL or "-". */
int cli_open_in(const char *path, int *fd);

/* Output: stdout, or a temporary file ".NAME.xc-HEX" renamed onto path by
 * cli_out_commit; cli_out_abort (also run on SIGINT, SIGTERM, SIGHUP and
 * SIGPIPE) removes it, and the next cli_out_open of the same path removes
 * what a killed run left.  An existing path that is not a regular file
 * (/dev/null, a FIFO) is opened and written in place; "/dev/stdout" is
 * standard output; a symlink to a regular file is followed, and its target
 * replaced. */
struct cli_out {
	int fd;
	const char *path;	/* as the user named it, for messages */
	char *target;		/* the name the rename replaces, and */
	char *tmp;		/* the temporary file's, in the directory of
				 * the target (links resolved); one at a time */
};
int cli_out_open(struct cli_out *o, const char *path, const char *inpath);
int cli_out_commit(struct cli_out *o);
void cli_out_abort(struct cli_out *o);

/* The encryption keys of the own identities (all, or me's) still on disk,
 * added to ids; *keys (malloc'd) gives, key by key, its public half, its
 * identity's handle and tag bits.  A passphrase-protected identity needs
 * pwfile, or with tty the terminal.  Returns an exit code. */
struct cli_key {
	uint8_t pk[32];
	char handle[XC_HANDLE_MAX + 1];
	int tag_bits;
};
int cli_own_keys(const char *home, const char *me, const char *pwfile,
    int tty, int64_t now, xc_ids *ids, struct cli_key **keys);
/* The same, with a passphrase already read (given, NULL: none), tried
 * before anything is asked. */
int cli_own_keys_pw(const char *home, const char *me, const char *given,
    size_t givenlen, const char *pwfile, int tty, int64_t now, xc_ids *ids,
    struct cli_key **keys);

/* The transports of xc-send and xc-fetch (xc(7), "Transports").  On
 * entry cf holds what the command line gave (--server, --quorum,
 * --timeout) and spoolopt is --spool or NULL.  With --spool or --server,
 * exactly those transports; otherwise the spool of $XC_SPOOL or of the
 * config, and the config's servers; with no spool and no server named
 * anywhere, the spool $XC_HOME/spool.  The config fills the quorum and
 * timeout the command line did not give.  spool is "" when no spool is
 * used.  Returns an exit code, having reported (2 for a bad config). */
int cli_transports(const char *home, const char *spoolopt, xc_config *cf,
    char spool[XC_PATH_MAX]);

/* The network options of xc-send and xc-fetch, parsed in one place (TLS
 * pins, STARTTLS, the proxy): CLI_NET_LONGOPTS go into a getopt_long
 * table; cli_net_option takes one into cf (1), or says ch is not one
 * (0); a bad value is a usage error (exit 2).  cli_net_setup makes the
 * transport of each server of cf in t[] (after cli_transports), with the
 * timeout: that long without a byte, four times that for a response.
 * Returns an exit code, having reported. */
#define CLI_DEFAULT_TIMEOUT 30		/* seconds */
enum { CLI_OPT_SERVER = 0x4000, CLI_OPT_QUORUM, CLI_OPT_TIMEOUT,
	CLI_OPT_PIN, CLI_OPT_STARTTLS, CLI_OPT_PROXY };
#define CLI_NET_LONGOPTS \
	{"server", required_argument, NULL, CLI_OPT_SERVER}, \
	{"timeout", required_argument, NULL, CLI_OPT_TIMEOUT}, \
	{"pin", required_argument, NULL, CLI_OPT_PIN}, \
	{"starttls", no_argument, NULL, CLI_OPT_STARTTLS}, \
	{"proxy", required_argument, NULL, CLI_OPT_PROXY}
/* Their lines in --help, the same for both programs. */
#define CLI_NET_HELP \
	"      --pin SHA256:...  trust the --server before it by its " \
	"certificate's hash,\n" \
	"                    not by the system's authorities (several: " \
	"comma-separated)\n" \
	"      --starttls    STARTTLS on the nntp:// --server before it, " \
	"never plaintext\n" \
	"      --proxy socks5h://ADDR:PORT  every server through this " \
	"SOCKS5 proxy\n" \
	"                    (Tor: socks5h://127.0.0.1:9050); names are " \
	"resolved there\n"
/* The same lines for xc-keygen --publish and xc-verify --lookup, whose
 * help has a narrower option column. */
#define CLI_NET_HELP_MODE \
	"  --pin SHA256:...   ... trusted by its certificate's hash " \
	"(several: ',')\n" \
	"  --starttls         ... nntp:// with STARTTLS, never plaintext\n" \
	"  --proxy socks5h://ADDR:PORT\n" \
	"                     every server through this SOCKS5 proxy (Tor)\n" \
	"  --timeout SECONDS  the longest wait for a server (default 30)\n"
int cli_net_option(int ch, const char *arg, xc_config *cf,
    const char *usage);
/* --pin and --starttls belong to the --server before them (xc-send(1),
 * "Servers"); a server of the command line that has neither takes those
 * of its line in the config.  net->o.purpose is the caller's to set; t
 * may be NULL when the servers carry no envelopes (cards). */
int cli_net_setup(const xc_config *cf, xc_net *net, xc_transport *t);
/* The servers of xc-keygen --publish and xc-verify --lookup: the command
 * line's, else the config's; with none, says so (no server to WHAT) and
 * returns 2. */
int cli_net_servers(const char *home, xc_config *cf, const char *what);
/* The quorum of cf's servers (1 by default; "all"); more than there are
 * servers is said, and returns 2. */
int cli_net_quorum(const xc_config *cf, int *quorum);
/* 1 if url names an .onion server (reached through Tor only). */
int cli_net_is_onion(const char *url);
/* After a server failed: the certificate it showed, when our check
 * refused it, as a hint. */
void cli_net_hint(const xc_net *net, size_t i);

/* snprintf for paths under $XC_HOME and the spool: one too long for
 * XC_PATH_MAX is reported and exits 4 (nothing is half-made by then). */
void cli_path(char *out, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The time every program works with: time(2), unless XC_TEST_NOW is set
 * (for tests only, documented in xc(7)): "SECONDS" is that Unix time,
 * "+SECONDS" or "-SECONDS" that far from the real time. */
int64_t cli_now(void);

/* Flushes and checks stdout before exit: a failed write is never exit 0. */
int cli_close_stdout(int code);

/* Text from someone else (a body, a handle, a name, a trusted comment),
 * written to f.  When f is a terminal, what could make the terminal act or
 * lie is escaped: C0 controls and DEL as \xNN; C1 controls,
 * bidirectional and invisible format characters and line or paragraph
 * separators as \u{XXXX}; bytes that are not UTF-8 as \xNN.  Newline
 * passes only with lines set, tab always.  To anything else the bytes go
 * as they are.  Returns 0, or EOF when the write failed. */
int cli_safe_fwrite(FILE *f, const void *buf, size_t len, int lines);
int cli_safe_fputs(const char *s, FILE *f);
/* JSON (already RFC 8259) to f: on a terminal the characters above are
 * written as \uXXXX escapes instead, the same JSON value. */
int cli_json_fputs(const char *json, FILE *f);
/* 1 if the code point is one cli_safe_fwrite escapes. */
int cli_unsafe_cp(uint32_t cp);

/* A card that expires within CLI_WARN_DAYS (or has expired): a warning on
 * stderr, with the command that renews it, at most once a day per card
 * (state/warned/CARDHASH).  own: the card is one of my identities'. */
#define CLI_WARN_DAYS 14
void cli_card_warn(const char *home, const xc_card *c, int own,
    const char *name, int64_t now);

/* Progress on stderr for long work (bytes, rate, ETA), only when stderr is
 * a terminal and only once the work has taken a second: never on a pipe or
 * in a file.  The counting is one addition per read or write of the
 * wrapped stream; the clock is looked at every CLI_PROGRESS_STEP bytes.
 * total 0: unknown (no percentage, no ETA).  cli_progress_end erases the
 * line, so that what is printed next starts a clean line. */
#define CLI_PROGRESS_STEP ((uint64_t)4 << 20)
struct cli_progress {
	uint64_t done, total, next;
	int64_t start, last;	/* CLOCK_MONOTONIC, milliseconds */
	int on, shown;
	size_t width;		/* of the line drawn last */
};
void cli_progress_init(struct cli_progress *p, uint64_t total);
void cli_progress_tick(struct cli_progress *p);
void cli_progress_end(struct cli_progress *p);
static inline void
cli_progress_add(struct cli_progress *p, uint64_t n)
{
	p->done += n;
	if (p->done >= p->next)
		cli_progress_tick(p);
}
/* A reader or a writer that counts what passes through it. */
struct cli_counted {
	union {
		xc_rd rd;
		xc_wr wr;
	} under;
	struct cli_progress *p;
};
int cli_counted_read(void *ctx, uint8_t *buf, size_t len, size_t *got);
int cli_counted_write(void *ctx, const uint8_t *buf, size_t len);

#endif
