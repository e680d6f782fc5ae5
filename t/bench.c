/*
 * bench.c - the timing harness of `make bench` (t/bench*.sh); never
 * installed, never run by `make check`.
 *
 *   bench run REPS PLAN [LIST]
 *       PLAN has one command per line, tab-separated:
 *           LABEL  BATCH  SETUP  STDIN  STDOUT  ARGV...
 *       Round r (1..REPS) runs every command once, in PLAN's order on odd
 *       rounds and in reverse on even ones (interleaved: no command always
 *       runs first, or always after the same one).  A command's sample is
 *       BATCH consecutive runs: wall time from before fork to after wait,
 *       divided by BATCH.  Before each run SETUP runs untimed ("-": none;
 *       "@fresh DIR": remove DIR and make it again; "@rm PATH").  STDIN
 *       and STDOUT are paths, "-" for /dev/null.  ARGV is split on
 *       spaces, no quoting; in it "%" is replaced by line (run number mod
 *       the number of lines) of LIST.  ";;" separates commands run one
 *       after the other in one timed run; "<FILE" and ">FILE" redirect the
 *       command they are in; "@fsync PATH" syncs PATH to disk (for tools
 *       that do not); a command starting with "@" otherwise is one of the
 *       ceilings below, measured in this process.
 *       Prints "LABEL ROUND SECONDS_PER_RUN" per sample, and exits 1 if a
 *       command fails.  (No peak RSS: a child's ru_maxrss counts the
 *       parent's pages it had before exec; measure it with time(1).)
 *   The ceilings (one run each; the script turns times into rates):
 *       @x25519 N          N X25519 scalar multiplications (libsodium)
 *       @aead-sodium MIB   ChaCha20-Poly1305 sealing of MIB MiB in 64 KiB
 *       @aead-openssl MIB  chunks, by libsodium and by OpenSSL's libcrypto
 *       @sha256-nettle MIB SHA-256 of MIB MiB, Nettle and OpenSSL
 *       @sha256-openssl MIB
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <nettle/sha2.h>
#include <openssl/evp.h>
#include <sodium.h>

extern char **environ;

#define MAXCMD 64
#define MAXARG 64
#define CHUNK 65536

struct cmd {
	char *label, *setup, *in, *out;
	char *argv[MAXARG];
	long batch;
};

static void
die(const char *msg, const char *what)
{
	fprintf(stderr, "bench: error: %s%s%s\n", msg, what ? ": " : "",
	    what ? what : "");
	exit(2);
}

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ---- the ceilings ---- */

static uint8_t *
buffer(size_t n)
{
	uint8_t *b = malloc(n);

	if (b == NULL)
		die("out of memory", NULL);
	randombytes_buf(b, n);
	return b;
}

static void
ceiling(char **argv)
{
	long n = argv[1] ? atol(argv[1]) : 0, i;
	uint8_t key[32] = { 1 }, nonce[12] = { 0 }, h[32];
	uint8_t *b;

	if (n <= 0)
		die("a ceiling needs a positive count", argv[0]);
	if (strcmp(argv[0], "@x25519") == 0) {
		uint8_t sk[32], pk[32], q[32];
		randombytes_buf(sk, 32);
		crypto_scalarmult_base(pk, sk);
		for (i = 0; i < n; i++)
			if (crypto_scalarmult(q, sk, pk) != 0)
				die("x25519 failed", NULL);
		return;
	}
	b = buffer(CHUNK + 16);
	if (strcmp(argv[0], "@aead-sodium") == 0) {
		for (i = 0; i < n * 16; i++)
			crypto_aead_chacha20poly1305_ietf_encrypt_detached(b,
			    b + CHUNK, NULL, b, CHUNK, NULL, 0, NULL, nonce, key);
	} else if (strcmp(argv[0], "@aead-openssl") == 0) {
		EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
		int l;
		if (c == NULL || EVP_EncryptInit_ex(c, EVP_chacha20_poly1305(),
		    NULL, key, NULL) != 1)
			die("OpenSSL's ChaCha20-Poly1305 is not there", NULL);
		for (i = 0; i < n * 16; i++)
			if (EVP_EncryptInit_ex(c, NULL, NULL, NULL, nonce) != 1 ||
			    EVP_EncryptUpdate(c, b, &l, b, CHUNK) != 1 ||
			    EVP_EncryptFinal_ex(c, b + l, &l) != 1 ||
			    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16,
			    b + CHUNK) != 1)
				die("OpenSSL failed", NULL);
		EVP_CIPHER_CTX_free(c);
	} else if (strcmp(argv[0], "@sha256-nettle") == 0) {
		struct sha256_ctx s;
		sha256_init(&s);
		for (i = 0; i < n * 16; i++)
			sha256_update(&s, CHUNK, b);
		sha256_digest(&s, 32, h);
	} else if (strcmp(argv[0], "@sha256-openssl") == 0) {
		EVP_MD_CTX *m = EVP_MD_CTX_new();
		unsigned int hl;
		if (m == NULL || EVP_DigestInit_ex(m, EVP_sha256(), NULL) != 1)
			die("OpenSSL's SHA-256 is not there", NULL);
		for (i = 0; i < n * 16; i++)
			EVP_DigestUpdate(m, b, CHUNK);
		EVP_DigestFinal_ex(m, h, &hl);
		EVP_MD_CTX_free(m);
	} else
		die("unknown ceiling", argv[0]);
	free(b);
}

/* ---- commands ---- */

static void
setup(const char *s)
{
	char cmd[8192];

	if (strcmp(s, "-") == 0)
		return;
	if (strncmp(s, "@fresh ", 7) == 0)
		snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", s + 7,
		    s + 7);
	else if (strncmp(s, "@rm ", 4) == 0)
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", s + 4);
	else
		die("unknown setup", s);
	if (system(cmd) != 0)
		die("setup failed", s);
}

/* One command of a run (argv up to ";;" or NULL): its peak RSS in *rss. */
static void
spawn_one(const struct cmd *c, char **argv, long *rss)
{
	posix_spawn_file_actions_t fa;
	const char *in = c->in, *out = c->out;
	char *av[MAXARG];
	struct rusage ru;
	pid_t pid;
	int st, i, n = 0, fd;

	for (i = 0; argv[i]; i++)
		if (argv[i][0] == '<')
			in = argv[i] + 1;
		else if (argv[i][0] == '>')
			out = argv[i] + 1;
		else
			av[n++] = argv[i];
	av[n] = NULL;
	*rss = 0;
	if (strcmp(av[0], "@fsync") == 0) {
		if (av[1] == NULL || (fd = open(av[1], O_RDONLY)) < 0 ||
		    fsync(fd) != 0)
			die("cannot fsync", av[1]);
		close(fd);
		return;
	}
	if (av[0][0] == '@') {
		ceiling(av);
		return;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, strcmp(in, "-") ? in :
	    "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, strcmp(out, "-") ? out :
	    "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (posix_spawn(&pid, av[0], &fa, NULL, av, environ) != 0)
		die("cannot run", av[0]);
	if (wait4(pid, &st, 0, &ru) != pid)
		die("wait failed", av[0]);
	posix_spawn_file_actions_destroy(&fa);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "bench: error: %s failed (status %d):", c->label,
		    st);
		for (i = 0; av[i]; i++)
			fprintf(stderr, " %s", av[i]);
		fputc('\n', stderr);
		exit(1);
	}
	*rss = ru.ru_maxrss;
}

/* One run: wall time; *rss the largest peak RSS of its commands, KiB. */
static double
run_once(const struct cmd *c, char **list, size_t nlist, long k, long *rss)
{
	char *argv[MAXARG];
	double t0, t1;
	long one;
	int i, start = 0;

	for (i = 0; c->argv[i]; i++)
		argv[i] = strcmp(c->argv[i], "%") == 0 && nlist ?
		    list[(size_t)k % nlist] : c->argv[i];
	argv[i] = NULL;
	*rss = 0;
	t0 = now();
	for (i = 0;; i++)
		if (argv[i] == NULL || strcmp(argv[i], ";;") == 0) {
			int end = argv[i] == NULL;
			argv[i] = NULL;
			spawn_one(c, argv + start, &one);
			if (one > *rss)
				*rss = one;
			if (end)
				break;
			start = i + 1;
		}
	t1 = now();
	return t1 - t0;
}

static char **
read_lines(const char *path, size_t *n)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, **v = NULL;
	size_t cap = 0, vcap = 0;
	ssize_t len;

	*n = 0;
	if (f == NULL)
		die("cannot open", path);
	while ((len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if (*n == vcap && (v = realloc(v, (vcap = vcap ? 2 * vcap :
		    64) * sizeof *v)) == NULL)
			die("out of memory", NULL);
		if ((v[(*n)++] = strdup(line)) == NULL)
			die("out of memory", NULL);
	}
	free(line);
	fclose(f);
	return v;
}

static int
cmd_run(int argc, char **argv)
{
	struct cmd cmds[MAXCMD];
	char **lines, **list = NULL;
	size_t nlines, nlist = 0, ncmd = 0, i;
	long reps, r;

	if (argc < 2 || argc > 3 || (reps = atol(argv[0])) < 1)
		die("usage: bench run REPS PLAN [LIST]", NULL);
	lines = read_lines(argv[1], &nlines);
	if (argc == 3)
		list = read_lines(argv[2], &nlist);
	for (i = 0; i < nlines; i++) {
		struct cmd *c = &cmds[ncmd];
		char *f[5], *p = lines[i], *a;
		int k, j = 0;
		if (*p == '\0' || *p == '#')
			continue;
		if (ncmd == MAXCMD)
			die("too many commands", argv[1]);
		for (k = 0; k < 5; k++) {
			f[k] = p;
			if ((p = strchr(p, '\t')) == NULL)
				die("a plan line has 6 tab-separated fields",
				    lines[i]);
			*p++ = '\0';
		}
		c->label = f[0];
		c->batch = atol(f[1]);
		c->setup = f[2];
		c->in = f[3];
		c->out = f[4];
		for (a = strtok(p, " "); a && j < MAXARG - 1; a = strtok(NULL,
		    " "))
			c->argv[j++] = a;
		c->argv[j] = NULL;
		if (j == 0 || c->batch < 1)
			die("bad plan line", c->label);
		ncmd++;
	}
	for (r = 1; r <= reps; r++)
		for (i = 0; i < ncmd; i++) {
			struct cmd *c = &cmds[r % 2 ? i : ncmd - 1 - i];
			double t = 0;
			long b, rss, peak = 0;
			for (b = 0; b < c->batch; b++) {
				setup(c->setup);
				t += run_once(c, list, nlist, (r - 1) *
				    c->batch + b, &rss);
				if (rss > peak)
					peak = rss;
			}
			(void)peak;
			printf("%s %ld %.9f\n", c->label, r,
			    t / (double)c->batch);
			fflush(stdout);
		}
	return 0;
}

int
main(int argc, char **argv)
{
	if (sodium_init() < 0)
		die("cannot initialise libsodium", NULL);
	if (argc >= 2 && strcmp(argv[1], "run") == 0)
		return cmd_run(argc - 2, argv + 2);
	die("usage: bench run REPS PLAN [LIST]", NULL);
	return 2;
}
