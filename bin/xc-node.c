/*
 * xc-node - the operator kit: turns a machine with Debian's inn2 into xc
 * nodes (xc-node(8)), each a self-contained directory, several per machine.
 *
 *   init DIR [--listen ADDR:PORT] [--name NAME] [--max-size BYTES]
 *            [--tls-listen ADDR:PORT | --no-tls]
 *   start DIR | stop DIR | status DIR
 *   peer DIR ADDR:PORT
 *
 * A node is an INN instance whose every path is under DIR (INNCONF points
 * innd, nnrpd, innfeed and ctlinnd at DIR/etc/inn.conf), run as the user
 * news, with the xc filter (DIR/filter/filter_innd.py, innd's embedded
 * Python) on every article it takes, and a small scheduler beside it
 * (DIR/run/xc-node.pid) that runs expiry and restarts innfeed's feeds when a
 * disk backlog waits, which innfeed otherwise sends only when new traffic
 * for that peer arrives.
 *
 * TLS (issue 14): init makes a self-signed certificate (DIR/etc/tls) and
 * points nnrpd at it, so readers get STARTTLS on the plaintext port
 * (nnrpd spawned by innd) and implicit TLS on the TLS port (a second
 * nnrpd, as a daemon, since innd has no TLS); both take IHAVE, the way
 * xc-send posts.  Clients pin the certificate's SHA-256, which init and
 * status print.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <netdb.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"

#ifndef XC_INN_BIN
#define XC_INN_BIN "/usr/lib/news/bin"
#endif
#define KICK_EVERY 10		/* seconds between backlog checks */
#define EXPIRE_EVERY 3600	/* seconds between expiry runs */

static const char usage[] =
    "usage: xc-node init DIR [--listen ADDR:PORT] [--name NAME] "
    "[--max-size BYTES]\n"
    "                        [--tls-listen ADDR:PORT | --no-tls]\n"
    "       xc-node start DIR\n"
    "       xc-node stop DIR\n"
    "       xc-node status DIR\n"
    "       xc-node peer DIR ADDR:PORT\n";

/* The embedded filter, bin/xc-node-filter.py as a C string. */
static const char filter_py[] =
#include "xc-node-filter.h"
    ;

static void
help(void)
{
	printf("%s", usage);
	printf("\nMake and run xc nodes: INN2 news servers that carry xc "
	    "envelopes (xc-nntp(5)).\n"
	    "\n"
	    "  init DIR          make a node in DIR (new or empty)\n"
	    "      --listen ADDR:PORT  where it listens (default "
	    "127.0.0.1:119)\n"
	    "      --name NAME         its name in Path headers (default: "
	    "random)\n"
	    "      --max-size BYTES    the largest envelope it takes "
	    "(default 1048576)\n"
	    "      --tls-listen ADDR:PORT  where it takes nntps (default: "
	    "ADDR:563)\n"
	    "      --no-tls            no certificate, no TLS (not even "
	    "STARTTLS)\n"
	    "  start DIR         start innd (as news) and the node's "
	    "scheduler\n"
	    "  stop DIR          stop them\n"
	    "  status DIR        print whether it runs (exit 1 if not) and "
	    "its TLS pin\n"
	    "  peer DIR ADDR:PORT  feed envelopes to and take them from "
	    "that node\n"
	    "  -h, --help        print this help and exit\n"
	    "  -V, --version     print the version and exit\n"
	    "\nExit status: 0 ok, 1 not running (status), 2 usage, 4 system "
	    "error, 5 the server\ndid not start or stop.  See xc-node(8), "
	    "xc-nntp(5), xc(7).\n");
}

struct node {
	char dir[XC_PATH_MAX];
	char conf[XC_PATH_MAX];		/* DIR/etc/inn.conf */
	char addr[64], port[8], name[64];
	uint64_t max_size;
	char tls_addr[64], tls_port[8];	/* "" without TLS */
	char tls_dir[XC_PATH_MAX];	/* DIR/etc/tls */
	char tls_cert[XC_PATH_MAX];	/* DIR/etc/tls/cert.pem */
};

static void
npath(const struct node *n, char *out, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
npath(const struct node *n, char *out, const char *fmt, ...)
{
	char rel[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof rel, fmt, ap);
	va_end(ap);
	cli_path(out, XC_PATH_MAX, "%s/%s", n->dir, rel);
}

/* Writes DIR/rel (new, or replaced with tmp+rename when replace). */
static int
put_file_mode(const struct node *n, const char *rel, const char *text,
    size_t len, int replace, mode_t mode)
{
	char p[XC_PATH_MAX], tmp[XC_PATH_MAX];
	int fd, rc = 0;

	npath(n, p, "%s", rel);
	if (snprintf(tmp, sizeof tmp, "%s.tmp", p) >= (int)sizeof tmp) {
		cli_error("'%s': path too long", p);
		return EX_SYSTEM;
	}
	if ((fd = open(replace ? tmp : p, O_WRONLY | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC | (replace ? O_TRUNC : O_EXCL), mode)) < 0) {
		cli_error("cannot create '%s': %s", p, strerror(errno));
		return EX_SYSTEM;
	}
	if (xc_fd_write(&fd, (const uint8_t *)text, len) < 0 ||
	    fsync(fd) != 0) {
		cli_error("cannot write '%s': %s", p, strerror(errno));
		rc = EX_SYSTEM;
	}
	if (close(fd) != 0 && rc == 0) {
		cli_error("cannot write '%s': %s", p, strerror(errno));
		rc = EX_SYSTEM;
	}
	if (rc == 0 && replace && rename(tmp, p) != 0) {
		cli_error("cannot rename '%s': %s", tmp, strerror(errno));
		rc = EX_SYSTEM;
	}
	return rc;
}

static int
put_file(const struct node *n, const char *rel, const char *text,
    int replace)
{
	return put_file_mode(n, rel, text, strlen(text), replace, 0644);
}

static int
append_file(const struct node *n, const char *rel, const char *text)
{
	char p[XC_PATH_MAX];
	int fd, rc = 0;

	npath(n, p, "%s", rel);
	if ((fd = open(p, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		cli_error("cannot open '%s': %s", p, strerror(errno));
		return EX_SYSTEM;
	}
	if (xc_fd_write(&fd, (const uint8_t *)text, strlen(text)) < 0 ||
	    fsync(fd) != 0) {
		cli_error("cannot write '%s': %s", p, strerror(errno));
		rc = EX_SYSTEM;
	}
	close(fd);
	return rc;
}

/* ADDR:PORT, an IPv4 address (innd's bindaddress is dotted-quad). */
static int
parse_listen(const char *s, char addr[64], char port[8])
{
	const char *c = strrchr(s, ':');
	unsigned a, b, d, e, p;
	char extra;

	if (c == NULL || (size_t)(c - s) >= 64 || strlen(c + 1) >= 8)
		return -1;
	memcpy(addr, s, (size_t)(c - s));
	addr[c - s] = '\0';
	strcpy(port, c + 1);
	if (sscanf(addr, "%u.%u.%u.%u%c", &a, &b, &d, &e, &extra) != 4 ||
	    a > 255 || b > 255 || d > 255 || e > 255)
		return -1;
	if (sscanf(port, "%u%c", &p, &extra) != 1 || p == 0 || p > 65535 ||
	    port[0] == '0')
		return -1;
	return 0;
}

/* A Path identity: letters, digits, '.', '-', '_' (RFC 5536 3.1.5). */
static int
name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 63)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '.' &&
		    s[i] != '-' && s[i] != '_')
			return 0;
	return 1;
}

/* DIR/etc/xc-node: "listen ADDR:PORT", "name NAME", "max-size N". */
static int
load_node(struct node *n, const char *dir)
{
	char p[XC_PATH_MAX], *buf, *l, *save = NULL, *abs;
	size_t len;
	int rc;

	memset(n, 0, sizeof *n);
	/* innd and nnrpd run in DIR with INNCONF: a relative DIR would
	 * name another place there. */
	if ((abs = realpath(dir, NULL)) == NULL) {
		cli_error("'%s' is not an xc node: %s", dir, strerror(errno));
		return EX_SYSTEM;
	}
	if (strlen(abs) >= sizeof n->dir - 64) {
		cli_error("'%s': path too long", dir);
		free(abs);
		return EX_SYSTEM;
	}
	strcpy(n->dir, abs);
	free(abs);
	npath(n, n->conf, "etc/inn.conf");
	npath(n, n->tls_dir, "etc/tls");
	npath(n, n->tls_cert, "etc/tls/cert.pem");
	npath(n, p, "etc/xc-node");
	if ((rc = xc_read_file(p, 4096, 0, &buf, &len)) < 0) {
		cli_error("'%s' is not an xc node (no etc/xc-node)", dir);
		cli_hint("make one with: xc-node init '%s'", dir);
		return EX_SYSTEM;
	}
	buf[len] = '\0';
	for (l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n",
	    &save)) {
		if (strncmp(l, "listen ", 7) == 0)
			parse_listen(l + 7, n->addr, n->port);
		else if (strncmp(l, "name ", 5) == 0 && name_ok(l + 5))
			snprintf(n->name, sizeof n->name, "%s", l + 5);
		else if (strncmp(l, "max-size ", 9) == 0)
			n->max_size = strtoull(l + 9, NULL, 10);
		else if (strncmp(l, "tls-listen ", 11) == 0 &&
		    parse_listen(l + 11, n->tls_addr, n->tls_port) < 0)
			n->tls_addr[0] = '\0';
	}
	sodium_free(buf);
	if (!n->addr[0] || !n->name[0] || n->max_size == 0) {
		cli_error("'%s/etc/xc-node' is damaged", dir);
		return EX_SYSTEM;
	}
	return 0;
}

static int
news_ids(uid_t *uid, gid_t *gid)
{
	struct passwd *pw = getpwnam("news");

	if (pw == NULL) {
		cli_error("no user 'news' on this machine");
		cli_hint("install Debian's inn2 (it makes the user)");
		return EX_SYSTEM;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

/* In a child: become news (when root, unless the program does so itself)
 * and set INNCONF. */
static void
become_news(const struct node *n, int as_root)
{
	uid_t uid;
	gid_t gid;

	if (getuid() == 0 && !as_root) {
		if (news_ids(&uid, &gid) != 0 || setgroups(0, NULL) != 0 ||
		    setgid(gid) != 0 || setuid(uid) != 0) {
			cli_error("cannot become the user news");
			_exit(EX_SYSTEM);
		}
	}
	setenv("INNCONF", n->conf, 1);
	setenv("HOME", n->dir, 1);
	/* nnrpd would otherwise parse the system's ~140 authorities on every
	 * connection (30 to 90 ms each, measured) to check client
	 * certificates, which xc does not use. */
	setenv("SSL_CERT_FILE", n->tls_cert, 1);
	setenv("SSL_CERT_DIR", n->tls_dir, 1);
	umask(022);
	if (chdir(n->dir) != 0)
		_exit(EX_SYSTEM);
}

/* Runs an INN program as news with the node's INNCONF; its exit status,
 * or -1.  RUN_QUIET sends its output to /dev/null; RUN_AS_ROOT leaves it
 * root, for nnrpd, which binds its port first and then becomes news. */
enum { RUN_QUIET = 1, RUN_AS_ROOT = 2 };
static int
run_inn(const struct node *n, int flags, const char *prog_, ...)
{
	const char *argv[16];
	char path[XC_PATH_MAX];
	va_list ap;
	pid_t pid;
	int st, i = 1;

	snprintf(path, sizeof path, "%s/%s", XC_INN_BIN, prog_);
	argv[0] = path;
	va_start(ap, prog_);
	while (i < 15 && (argv[i] = va_arg(ap, const char *)) != NULL)
		i++;
	va_end(ap);
	argv[i] = NULL;
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		become_news(n, flags & RUN_AS_ROOT);
		if (flags & RUN_QUIET) {
			int fd = open("/dev/null", O_RDWR);
			if (fd >= 0) {
				dup2(fd, 1);
				dup2(fd, 2);
			}
		}
		execv(path, (char *const *)argv);
		fprintf(stderr, "xc-node: error: cannot run '%s': %s\n", path,
		    strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ---- init ---- */

static int
mkdirs_node(const struct node *n)
{
	static const char *const sub[] = { "etc", "etc/tls", "db", "spool",
		"spool/articles", "spool/overview", "spool/incoming",
		"spool/incoming/bad", "spool/outgoing", "spool/innfeed",
		"spool/archive", "log", "run", "tmp", "filter", "http" };
	char p[XC_PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof sub / sizeof sub[0]; i++) {
		npath(n, p, "%s", sub[i]);
		if (mkdir(p, 0755) != 0) {
			cli_error("cannot create '%s': %s", p, strerror(errno));
			return EX_SYSTEM;
		}
	}
	return 0;
}

/* chown -R news:news DIR, without following links. */
static int
chown_tree(const char *dir, uid_t uid, gid_t gid)
{
	DIR *d;
	struct dirent *e;
	char p[XC_PATH_MAX];
	struct stat sb;
	int rc = 0;

	if (lchown(dir, uid, gid) != 0)
		return -1;
	if ((d = opendir(dir)) == NULL)
		return -1;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		if (lstat(p, &sb) != 0)
			rc = -1;
		else if (S_ISDIR(sb.st_mode))
			rc = chown_tree(p, uid, gid);
		else if (lchown(p, uid, gid) != 0)
			rc = -1;
	}
	closedir(d);
	return rc;
}

/* "tls nntps://ADDR:PORT SHA256:..." and what (may be NULL) follows: the
 * URL and the pin that clients of this node need. */
static int
print_tls(const struct node *n, const char *what)
{
	char pin[XC_TLS_PIN_MAX], *pem;
	size_t len;

	if (xc_read_file(n->tls_cert, 1 << 20, 0, &pem, &len) < 0) {
		cli_error("cannot read '%s': %s", n->tls_cert, strerror(errno));
		return EX_SYSTEM;
	}
	if (xc_tls_cert_fingerprint(pin, pem, len) < 0) {
		sodium_free(pem);
		cli_error("'%s' is not a PEM certificate", n->tls_cert);
		return EX_SYSTEM;
	}
	sodium_free(pem);
	printf("tls nntps://%s:%s %s%s%s\n", n->tls_addr, n->tls_port, pin,
	    what ? ", " : "", what ? what : "");
	return 0;
}

/* The node's certificate and key (DIR/etc/tls), and the TLS lines of
 * inn.conf appended to text. */
static int
init_tls(const struct node *n, char *text, size_t cap, size_t *k)
{
	const char *ips[2] = { n->addr, n->tls_addr };
	char *cert, *key;
	size_t clen, klen;
	int rc;

	if ((rc = xc_tls_make_cert(&cert, &clen, &key, &klen, n->name, ips,
	    strcmp(n->addr, n->tls_addr) == 0 ? 1 : 2, 3650)) < 0) {
		cli_error("cannot make the node's certificate: %s",
		    xc_errdetail());
		return EX_SYSTEM;
	}
	/* nnrpd refuses a key that others can read. */
	rc = put_file_mode(n, "etc/tls/key.pem", key, klen, 0, 0600);
	if (rc == 0)
		rc = put_file_mode(n, "etc/tls/cert.pem", cert, clen, 0, 0644);
	sodium_free(key);
	free(cert);
	if (rc != 0)
		return rc;
	*k += (size_t)snprintf(text + *k, cap - *k,
	    "# TLS (nnrpd): STARTTLS on the port above, implicit TLS on "
	    "%s:%s\n"
	    "tlscertfile: %s\ntlskeyfile: %s/key.pem\ntlscapath: %s\n"
	    "tlsprotocols: [ TLSv1.2 TLSv1.3 ]\ntlscompression: false\n",
	    n->tls_addr, n->tls_port, n->tls_cert, n->tls_dir, n->tls_dir);
	return 0;
}

static int
cmd_init(const char *dir, const char *listen, const char *name,
    uint64_t max_size, const char *tls_listen, int no_tls)
{
	struct node n;
	char *text, p[XC_PATH_MAX];
	size_t cap = 65536, k = 0;
	uid_t uid = 0;
	gid_t gid = 0;
	int rc, b;
	DIR *d;
	/* Articles in wire format: the armor grows by 4/3 and two bytes per
	 * 64 columns, plus headers (64 tags in the Subject). */
	uint64_t maxart;

	memset(&n, 0, sizeof n);
	if (parse_listen(listen, n.addr, n.port) < 0)
		cli_usage_error(usage, "--listen takes ADDR:PORT with an IPv4 "
		    "address, not '%s'", listen);
	if (name && !name_ok(name))
		cli_usage_error(usage, "--name takes letters, digits, '.', "
		    "'-' and '_', not '%s'", name);
	if (no_tls)
		;
	else if (tls_listen == NULL) {
		strcpy(n.tls_addr, n.addr);
		strcpy(n.tls_port, "563");
	} else if (parse_listen(tls_listen, n.tls_addr, n.tls_port) < 0)
		cli_usage_error(usage, "--tls-listen takes ADDR:PORT with an "
		    "IPv4 address, not '%s'", tls_listen);
	if (n.tls_addr[0] && strcmp(n.tls_port, n.port) == 0 &&
	    (strcmp(n.tls_addr, n.addr) == 0 ||
	    strcmp(n.tls_addr, "0.0.0.0") == 0 || strcmp(n.addr, "0.0.0.0") == 0))
		cli_usage_error(usage, "--tls-listen must differ from --listen");
	if (getuid() == 0 && (rc = news_ids(&uid, &gid)) != 0)
		return rc;
	if (strlen(dir) >= sizeof n.dir - 64 || dir[0] == '\0') {
		cli_error("'%s': path too long", dir);
		return EX_SYSTEM;
	}
	if (dir[0] != '/') {
		char cwd[XC_PATH_MAX];
		if (getcwd(cwd, sizeof cwd) == NULL ||
		    strlen(cwd) + strlen(dir) + 2 >= sizeof n.dir - 64) {
			cli_error("'%s': path too long", dir);
			return EX_SYSTEM;
		}
		if (snprintf(n.dir, sizeof n.dir, "%s/%s", cwd, dir) >=
		    (int)sizeof n.dir)
			return EX_SYSTEM;	/* checked above */
	} else
		strcpy(n.dir, dir);
	if (mkdir(n.dir, 0755) != 0 && errno != EEXIST) {
		cli_error("cannot create '%s': %s", n.dir, strerror(errno));
		return EX_SYSTEM;
	}
	if ((d = opendir(n.dir)) == NULL) {
		cli_error("cannot open '%s': %s", n.dir, strerror(errno));
		return EX_SYSTEM;
	}
	for (struct dirent *e; (e = readdir(d)) != NULL;)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			closedir(d);
			cli_error("'%s' is not empty", n.dir);
			return EX_SYSTEM;
		}
	closedir(d);
	if (name)
		snprintf(n.name, sizeof n.name, "%s", name);
	else {
		uint8_t r[6];
		char hex[13];
		randombytes_buf(r, sizeof r);
		sodium_bin2hex(hex, sizeof hex, r, sizeof r);
		snprintf(n.name, sizeof n.name, "xc-%s", hex);
	}
	n.max_size = max_size;
	maxart = max_size / 3 * 4 + max_size / 24 + 16384;
	npath(&n, n.conf, "etc/inn.conf");
	npath(&n, n.tls_dir, "etc/tls");
	npath(&n, n.tls_cert, "etc/tls/cert.pem");
	if ((rc = mkdirs_node(&n)) != 0)
		return rc;
	if ((text = malloc(cap)) == NULL) {
		cli_error("out of memory");
		return EX_SYSTEM;
	}
#define ADD(...) (k += (size_t)snprintf(text + k, cap - k, __VA_ARGS__))
	/* inn.conf: every path under DIR; what the node keeps and logs. */
	k = 0;
	ADD("# inn.conf of an xc node, written by xc-node init (xc-node(8)).\n"
	    "pathhost: %s\n"
	    "domain: xc.invalid\n"
	    "fromhost: xc.invalid\n"
	    "server: %s\n"
	    "bindaddress: %s\n"
	    "port: %s\n"
	    "sourceaddress: %s\n", n.name, n.addr, n.addr, n.port, n.addr);
	ADD("pathnews: %s\npathbin: %s\npathetc: %s/etc\npathdb: %s/db\n"
	    "pathspool: %s/spool\npathlog: %s/log\npathrun: %s/run\n"
	    "pathtmp: %s/tmp\npathfilter: %s/filter\npathhttp: %s/http\n"
	    "pathcontrol: %s/control\n", n.dir, XC_INN_BIN, n.dir, n.dir,
	    n.dir, n.dir, n.dir, n.dir, n.dir, n.dir, XC_INN_BIN);
	ADD("mta: \"/bin/false %%s\"\n"
	    "ovmethod: tradindexed\nhismethod: hisv6\nenableoverview: true\n"
	    "groupbaseexpiry: true\nstoreonxref: true\nwireformat: true\n"
	    "# envelopes say when they expire; a node that was down catches up\n"
	    "artcutoff: 0\n"
	    "maxartsize: %llu\nlocalmaxartsize: %llu\n"
	    "# a refused copy must not keep the real envelope's id out\n"
	    "remembertrash: false\n"
	    "# nothing about the client in articles or logs\n"
	    "addinjectionpostinghost: false\n"
	    "addinjectionpostingaccount: false\n"
	    "addinjectiondate: false\n"
	    "logipaddr: false\nlogsitename: false\nlogartsize: true\n"
	    "readertrack: false\nnnrpdoverstats: false\n"
	    "complaints: postmaster@xc.invalid\n"
	    "verifygroups: true\nwanttrash: false\nlogtrash: false\n"
	    "pgpverify: false\ndoinnwatch: false\nhtmlstatus: false\n"
	    "docnfsstat: false\nstatus: 0\nnicekids: 0\n"
	    "hiscachesize: 1024\nkeywords: false\n"
	    "checkincludedtext: false\nlinecountfuzz: 0\n"
	    "noreader: false\nreaderswhenstopped: false\n"
	    "nnrpdcheckart: true\nallownewnews: false\n",
	    (unsigned long long)maxart, (unsigned long long)maxart);
	/* nnrpd spawned by innd: no reverse DNS query per client (the
	 * resolver would learn every reader's address). */
	ADD("nnrpdflags: \"-n\"\n");
	if (n.tls_addr[0] && (rc = init_tls(&n, text, cap, &k)) != 0)
		goto out;
	if ((rc = put_file(&n, "etc/inn.conf", text, 0)) != 0)
		goto out;
	k = 0;
	ADD("listen %s:%s\nname %s\nmax-size %llu\n", n.addr, n.port, n.name,
	    (unsigned long long)max_size);
	if (n.tls_addr[0])
		ADD("tls-listen %s:%s\n", n.tls_addr, n.tls_port);
	if ((rc = put_file(&n, "etc/xc-node", text, 0)) != 0)
		goto out;
	if ((rc = put_file(&n, "etc/storage.conf",
	    "method tradspool {\n    newsgroups: *\n    class: 0\n}\n", 0)) ||
	    /* Readers: everyone may read xc.* and inject with IHAVE (P+I);
	     * nobody authenticates, nothing names the client. */
	    (rc = put_file(&n, "etc/readers.conf",
	    "auth anyone {\n    hosts: \"*\"\n    default: \"<xc>\"\n}\n"
	    "access anyone {\n    users: \"<xc>\"\n    newsgroups: \"xc.*\"\n"
	    "    access: RPI\n    addcanlockuser: none\n}\n", 0)) ||
	    (rc = put_file(&n, "etc/incoming.conf",
	    "# peers that feed this node: added by xc-node peer\n"
	    "streaming: true\nmax-connections: 8\n", 0)) ||
	    (rc = put_file(&n, "etc/newsfeeds",
	    "# what this node takes (ME) and feeds: peers added by xc-node "
	    "peer\nME:!*,xc.*::\n"
	    "innfeed!:!*:Tc,Wnm*:" XC_INN_BIN "/innfeed\n", 0)) ||
	    /* innfeed: up to 2000 articles per peer wait in memory (its
	     * default, 10, spilled part of a burst of 110/s to disk:
	     * p99 of propagation 9 s in t/1050, 136 ms with 2000); what
	     * spills over, the scheduler sends (see the top of this
	     * file).  A peer
	     * that was down is retried after 5 s, doubling up to 5 min
	     * (innfeed's 30 s to 1 h delayed mail by a minute or more after
	     * a 30 s outage). */
	    (rc = put_file(&n, "etc/innfeed.conf",
	    "# innfeed of an xc node, written by xc-node init\n"
	    "initial-sleep: 1\nbacklog-rotate-period: 5\n"
	    "backlog-ckpt-period: 5\nbacklog-newfile-period: 10\n"
	    "stats-period: 600\ninitial-connections: 1\nmax-connections: 4\n"
	    "article-timeout: 600\nresponse-timeout: 60\n"
	    "no-check-high: 100.0\nno-check-low: 90.0\n"
	    "backlog-feed-first: true\nconnection-stats: false\n"
	    "host-queue-highwater: 2000\n"
	    "initial-reconnect-time: 5\nmax-reconnect-time: 300\n", 0)) ||
	    /* Expiry: by the Expires header; without one, 30 days. */
	    (rc = put_file(&n, "etc/expire.ctl",
	    "/remember/:1\n*:A:0:30:31\n", 0)) ||
	    (rc = put_file(&n, "etc/moderators", "", 0)) ||
	    (rc = put_file(&n, "etc/control.ctl", "", 0)) ||
	    (rc = put_file(&n, "etc/control.ctl.local", "", 0)))
		goto out;
	/* The filter, with this node's parameters first. */
	free(text);
	cap = sizeof filter_py + 512;
	if ((text = malloc(cap)) == NULL) {
		cli_error("out of memory");
		rc = EX_SYSTEM;
		goto out;
	}
	k = 0;
	ADD("# parameters of this node (xc-node init)\nMAX_ENVELOPE = %llu\n"
	    "PER_BYTE = %llu\nEXTRA = %llu\nMAX_TTL = %d\nMIN_TTL = %d\n\n%s",
	    (unsigned long long)max_size,
	    (unsigned long long)xc_pow_default.per_byte,
	    (unsigned long long)xc_pow_default.extra, XC_POW_MAX_TTL,
	    XC_POW_MIN_TTL, filter_py);
	if ((rc = put_file(&n, "filter/filter_innd.py", text, 0)) != 0)
		goto out;
	/* nnrpd stamps what clients post (IHAVE counts as posting) with
	 * Injection-Info: the machine's host name and logging-data, its
	 * process id, the same for every envelope of one connection, so
	 * that every node could group envelopes by their sender's
	 * connection.  Its Perl filter takes the field out. */
	if ((rc = put_file(&n, "filter/filter_nnrpd.pl",
	    "# nnrpd's filter of an xc node, written by xc-node init "
	    "(xc-node(8)).\n"
	    "sub filter_post {\n"
	    "    $hdr{'Injection-Info'} = undef;\n"
	    "    $modify_headers = 1;\n"
	    "    return '';\n"
	    "}\n1;\n", 0)) != 0)
		goto out;
	/* Groups: one per bucket, the cards', and those innd needs. */
	free(text);
	cap = 256 * 40 + 256;
	if ((text = malloc(cap)) == NULL) {
		cli_error("out of memory");
		rc = EX_SYSTEM;
		goto out;
	}
	k = 0;
	for (b = 0; b < 256; b++)
		ADD("%s%02x 0000000000 0000000001 y\n", XC_NNTP_GROUP_PREFIX,
		    b);
	ADD("%s 0000000000 0000000001 y\n", XC_NNTP_CARDS_GROUP);
	ADD("control 0000000000 0000000001 n\n"
	    "control.cancel 0000000000 0000000001 n\n"
	    "junk 0000000000 0000000001 n\n");
	if ((rc = put_file(&n, "db/active", text, 0)) ||
	    (rc = put_file(&n, "db/active.times", "", 0)) ||
	    (rc = put_file(&n, "db/newsgroups", "", 0)) ||
	    (rc = put_file(&n, "db/history", "", 0)))
		goto out;
#undef ADD
	if (getuid() == 0 && chown_tree(n.dir, uid, gid) != 0) {
		cli_error("cannot give '%s' to the user news: %s", n.dir,
		    strerror(errno));
		rc = EX_SYSTEM;
		goto out;
	}
	npath(&n, p, "db");
	if (run_inn(&n, 1, "makedbz", "-i", "-o", "-f", "history", NULL) !=
	    0) {
		cli_error("makedbz failed in '%s'", p);
		rc = EX_SYSTEM;
		goto out;
	}
	printf("%s %s:%s %s\n", n.dir, n.addr, n.port, n.name);
	if (n.tls_addr[0] && (rc = print_tls(&n, NULL)) != 0)
		goto out;
out:
	free(text);
	return rc;
}

/* ---- running ---- */

static pid_t
read_pid(const struct node *n, const char *rel)
{
	char p[XC_PATH_MAX], buf[32];
	ssize_t k;
	long v;
	int fd;

	npath(n, p, "%s", rel);
	if ((fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return 0;
	k = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (k <= 0)
		return 0;
	buf[k] = '\0';
	v = strtol(buf, NULL, 10);
	return v > 1 ? (pid_t)v : 0;
}

/* A zombie is dead: in a container, pid 1 may never reap a daemon. */
/* /proc/PID/what into buf (NUL-terminated): -1 if unreadable. */
static int
proc_read(pid_t pid, const char *what, char *buf, size_t cap)
{
	char p[64];
	ssize_t k;
	int fd;

	snprintf(p, sizeof p, "/proc/%ld/%s", (long)pid, what);
	if ((fd = open(p, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	k = read(fd, buf, cap - 1);
	close(fd);
	if (k <= 0)
		return -1;
	buf[k] = '\0';
	return 0;
}

static int
alive(pid_t pid)
{
	char buf[256], *s;

	if (pid <= 0 || (kill(pid, 0) != 0 && errno != EPERM))
		return 0;
	if (proc_read(pid, "stat", buf, sizeof buf) < 0)
		return 1;
	return (s = strrchr(buf, ')')) == NULL || s[1] != ' ' || s[2] != 'Z';
}

/* The TLS nnrpd's pid file (nnrpd names it after its port). */
static void
nnrpd_pidfile(const struct node *n, char rel[64])
{
	if (strcmp(n->tls_port, "119") == 0)
		strcpy(rel, "run/nnrpd.pid");
	else
		snprintf(rel, 64, "run/nnrpd-%s.pid", n->tls_port);
}

static pid_t
nnrpd_pid(const struct node *n)
{
	char rel[64];
	pid_t p;

	if (!n->tls_addr[0])
		return 0;
	nnrpd_pidfile(n, rel);
	p = read_pid(n, rel);
	return alive(p) ? p : 0;
}

/* innd's pid, if it runs. */
static pid_t
innd_pid(const struct node *n)
{
	pid_t p = read_pid(n, "run/innd.pid");

	return alive(p) ? p : 0;
}

static int
port_open_at(const char *addr, const char *port)
{
	struct addrinfo hints, *res;
	int fd, ok;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if (getaddrinfo(addr, port, &hints, &res) != 0)
		return 0;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ok = fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) == 0;
	if (fd >= 0)
		close(fd);
	freeaddrinfo(res);
	return ok;
}

static int
port_open(const struct node *n)
{
	return port_open_at(n->addr, n->port);
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* A non-empty file (not a lock, not hidden) in DIR/rel: a backlog of
 * innfeed's (the memory queue spilled, or a peer was down) in
 * spool/innfeed, an article nnrpd spooled in spool/incoming. */
static int
files_wait(const struct node *n, const char *rel)
{
	char dir[XC_PATH_MAX], p[XC_PATH_MAX];
	struct dirent *e;
	struct stat sb;
	DIR *d;
	int found = 0;

	npath(n, dir, "%s", rel);
	if ((d = opendir(dir)) == NULL)
		return 0;
	while (!found && (e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		if (e->d_name[0] == '.' || (l > 5 &&
		    strcmp(e->d_name + l - 5, ".lock") == 0))
			continue;
		if (snprintf(p, sizeof p, "%s/%s", dir, e->d_name) >=
		    (int)sizeof p)
			continue;
		if (lstat(p, &sb) == 0 && S_ISREG(sb.st_mode) &&
		    sb.st_size > 0)
			found = 1;
	}
	closedir(d);
	return found;
}

static volatile sig_atomic_t stop_flag;

static void
on_term(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/* The scheduler: lives as long as innd.  innfeed leaves a disk backlog
 * alone until new articles for that peer arrive, so a burst that spilled
 * over, or a peer that was down, waits for traffic that may never come:
 * every KICK_EVERY seconds with a backlog on disk, innfeed is restarted
 * (ctlinnd flush innfeed!), and a new innfeed sends its backlog first.
 * And an nnrpd whose innd went away (a crash, a restart) answers a post
 * with 235 all the same, having spooled the article in spool/incoming
 * for `rnews -U` (Debian runs it hourly from cron): it runs here every
 * KICK_EVERY seconds while articles wait there, or a client that was
 * told "received" would wait an hour, or for ever without cron. */
static void
scheduler(const struct node *n)
{
	time_t last_expire = time(NULL), last_kick = 0, last_rnews = 0;
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGHUP, SIG_IGN);
	while (!stop_flag) {
		time_t now;
		sleep_ms(1000);
		if (stop_flag || !innd_pid(n))
			break;
		now = time(NULL);
		if (now - last_kick >= KICK_EVERY &&
		    files_wait(n, "spool/innfeed")) {
			run_inn(n, 1, "ctlinnd", "-s", "-t", "10", "flush",
			    "innfeed!", NULL);
			last_kick = now;
		}
		if (now - last_rnews >= KICK_EVERY &&
		    files_wait(n, "spool/incoming")) {
			run_inn(n, 1, "rnews", "-U", NULL);
			last_rnews = now;
		}
		if (now - last_expire >= EXPIRE_EVERY) {
			run_inn(n, 1, "expireover", "-s", NULL);
			run_inn(n, 1, "expire", "-x", NULL);
			last_expire = now;
		}
	}
}

static int
start_scheduler(const struct node *n)
{
	char p[XC_PATH_MAX], buf[32];
	pid_t pid;
	int fd, st;

	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		pid_t g;
		setsid();
		if ((g = fork()) != 0)
			_exit(g < 0);
		become_news(n, 0);
		fd = open("/dev/null", O_RDWR);
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
			if (fd > 2)
				close(fd);
		}
		npath(n, p, "run/xc-node.pid");
		snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
		if ((fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
		    O_CLOEXEC, 0644)) >= 0) {
			(void)!write(fd, buf, strlen(buf));
			close(fd);
		}
		scheduler(n);
		unlink(p);
		_exit(0);
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return 0;
}

/* Whether every uid of pid is news's (from /proc/PID/status). */
static int
runs_as_news(pid_t pid)
{
	char buf[2048], *u;
	unsigned long r, e, sv, fs;
	uid_t uid;
	gid_t gid;

	if (news_ids(&uid, &gid) != 0 ||
	    proc_read(pid, "status", buf, sizeof buf) < 0)
		return 0;
	if ((u = strstr(buf, "\nUid:")) == NULL ||
	    sscanf(u + 5, "%lu %lu %lu %lu", &r, &e, &sv, &fs) != 4)
		return 0;
	return r == uid && e == uid && sv == uid && fs == uid;
}

/* innd has no TLS: nnrpd as a daemon takes nntps (-S: TLS at once; -n:
 * no reverse DNS), and forks itself into the background. */
static int
start_nnrpd(const struct node *n)
{
	char rel[64], p[XC_PATH_MAX];
	int i;

	if (!n->tls_addr[0] || nnrpd_pid(n))
		return 0;
	nnrpd_pidfile(n, rel);
	npath(n, p, "%s", rel);
	if (unlink(p) != 0 && errno != ENOENT) {
		cli_error("cannot remove the stale '%s': %s", p,
		    strerror(errno));
		return EX_SYSTEM;
	}
	/* As root, for a port under 1024 (nnrpd has no innbind for its
	 * daemon mode); it becomes news once bound, which is checked. */
	if (run_inn(n, RUN_AS_ROOT, "nnrpd", "-D", "-n", "-S", "-b",
	    n->tls_addr, "-p", n->tls_port, NULL) != 0) {
		cli_error("nnrpd (TLS) did not start for '%s'", n->dir);
		return EX_NETWORK;
	}
	for (i = 0; i < 200 && !(nnrpd_pid(n) &&
	    port_open_at(n->tls_addr, n->tls_port)); i++)
		sleep_ms(50);
	if (!nnrpd_pid(n)) {
		cli_error("nnrpd (TLS) did not start for '%s'", n->dir);
		cli_hint("is %s:%s taken?  nnrpd logs to syslog", n->tls_addr,
		    n->tls_port);
		return EX_NETWORK;
	}
	if (getuid() == 0 && !runs_as_news(nnrpd_pid(n))) {
		kill(nnrpd_pid(n), SIGKILL);
		cli_error("nnrpd (TLS) of '%s' did not become the user news",
		    n->dir);
		return EX_SYSTEM;
	}
	return 0;
}

static int
cmd_start(const char *dir)
{
	struct node n;
	pid_t pid;
	int rc, i;

	if ((rc = load_node(&n, dir)) != 0)
		return rc;
	if ((pid = innd_pid(&n)) != 0) {
		cli_error("'%s' runs already (innd pid %ld)", dir, (long)pid);
		return EX_NETWORK;
	}
	/* After a crash (kill -9) the pid file names a dead innd, or its
	 * zombie where pid 1 does not reap (containers); innd takes either
	 * for a running copy of itself and refuses to start. */
	if (read_pid(&n, "run/innd.pid") != 0) {
		char p[XC_PATH_MAX];
		npath(&n, p, "run/innd.pid");
		if (unlink(p) != 0 && errno != ENOENT) {
			cli_error("cannot remove the stale '%s': %s", p,
			    strerror(errno));
			return EX_SYSTEM;
		}
	}
	/* innd forks itself into the background once it listens. */
	if (run_inn(&n, 0, "innd", NULL) != 0) {
		cli_error("innd did not start for '%s'", dir);
		cli_hint("is %s:%s taken?  innd logs to syslog", n.addr, n.port);
		return EX_NETWORK;
	}
	for (i = 0; i < 200 && !(innd_pid(&n) && port_open(&n)); i++)
		sleep_ms(50);
	if ((pid = innd_pid(&n)) == 0 || !port_open(&n)) {
		cli_error("innd did not start for '%s'", dir);
		cli_hint("is %s:%s taken?  innd logs to syslog", n.addr, n.port);
		return EX_NETWORK;
	}
	if (!alive(read_pid(&n, "run/xc-node.pid")))
		start_scheduler(&n);
	if ((rc = start_nnrpd(&n)) != 0)
		return rc;
	printf("%s running, innd pid %ld, %s:%s\n", n.dir, (long)pid, n.addr,
	    n.port);
	return 0;
}

/* Waits up to ms for pid to go; then TERM, then KILL. */
static void
reap(pid_t pid, int ms)
{
	int i;

	for (i = 0; i < ms / 50 && alive(pid); i++)
		sleep_ms(50);
	if (alive(pid)) {
		kill(pid, SIGTERM);
		for (i = 0; i < 100 && alive(pid); i++)
			sleep_ms(50);
	}
	if (alive(pid))
		kill(pid, SIGKILL);
}

static int
cmd_stop(const char *dir)
{
	struct node n;
	pid_t pid, feed, sched;
	int rc;

	if ((rc = load_node(&n, dir)) != 0)
		return rc;
	sched = read_pid(&n, "run/xc-node.pid");
	if (alive(sched)) {
		kill(sched, SIGTERM);
		reap(sched, 3000);
	}
	if ((pid = nnrpd_pid(&n)) != 0) {
		kill(pid, SIGTERM);
		reap(pid, 3000);
	}
	feed = read_pid(&n, "run/innfeed.pid");
	if ((pid = innd_pid(&n)) != 0) {
		run_inn(&n, 1, "ctlinnd", "-s", "-t", "20", "shutdown",
		    "xc-node stop", NULL);
		reap(pid, 15000);
	}
	/* innfeed writes its queue to the backlog and goes with its pipe. */
	if (alive(feed))
		reap(feed, 10000);
	if (innd_pid(&n) || nnrpd_pid(&n)) {
		cli_error("%s of '%s' did not stop", innd_pid(&n) ? "innd" :
		    "nnrpd", dir);
		return EX_NETWORK;
	}
	printf("%s stopped\n", n.dir);
	return 0;
}

static int
cmd_status(const char *dir)
{
	struct node n;
	pid_t pid;
	int rc;

	if ((rc = load_node(&n, dir)) != 0)
		return rc;
	if ((pid = innd_pid(&n)) == 0) {
		printf("%s stopped\n", n.dir);
		if (n.tls_addr[0] && (rc = print_tls(&n, nnrpd_pid(&n) ?
		    "nnrpd running" : "nnrpd stopped")) != 0)
			return rc;
		return 1;
	}
	printf("%s running, innd pid %ld, %s:%s, scheduler %s, backlog %s\n",
	    n.dir, (long)pid, n.addr, n.port,
	    alive(read_pid(&n, "run/xc-node.pid")) ? "running" : "stopped",
	    files_wait(&n, "spool/innfeed") ? "waiting" : "none");
	if (n.tls_addr[0]) {
		char what[64];
		pid_t np = nnrpd_pid(&n);
		if (np)
			snprintf(what, sizeof what, "nnrpd pid %ld", (long)np);
		else
			snprintf(what, sizeof what, "nnrpd stopped");
		if ((rc = print_tls(&n, what)) != 0)
			return rc;
	}
	return 0;
}

/* The peer's Path identity: the first word of its greeting, as INN
 * writes it ("200 NAME InterNetNews ..."). */
static int
peer_name(const char *addr, const char *port, char out[64])
{
	xc_net_opts o = { .timeout_ms = 5000, .response_ms = 5000 };
	xc_conn *c;
	uint8_t buf[512];
	size_t got, k = 0, i;
	int rc;

	if ((rc = xc_conn_tcp(&c, addr, port, &o)) < 0)
		return rc;
	c->deadline = xc_monotonic_ms() + 5000;
	while (k < sizeof buf - 1 && memchr(buf, '\n', k) == NULL) {
		if ((rc = c->read(c, buf + k, sizeof buf - 1 - k, &got)) < 0)
			break;
		k += got;
	}
	c->close(c);
	if (k < 5 || memcmp(buf, "20", 2) != 0)
		return xc_fail(XC_ENET, "the peer did not greet");
	for (i = 4; i < k && i - 4 < 63 && buf[i] != ' ' && buf[i] != '\r';
	    i++)
		out[i - 4] = (char)buf[i];
	out[i - 4] = '\0';
	return name_ok(out) ? 0 : xc_fail(XC_ENET, "the peer's name is not "
	    "a Path identity");
}

static int
cmd_peer(const char *dir, const char *where)
{
	struct node n;
	char addr[64], port[8], name[64], text[2048], p[XC_PATH_MAX];
	char *buf;
	size_t len;
	int rc;

	if (parse_listen(where, addr, port) < 0)
		cli_usage_error(usage, "peer takes ADDR:PORT with an IPv4 "
		    "address, not '%s'", where);
	if ((rc = load_node(&n, dir)) != 0)
		return rc;
	if ((rc = peer_name(addr, port, name)) < 0) {
		cli_error("cannot reach the peer %s:%s: %s", addr, port,
		    xc_errdetail());
		cli_hint("start it first; its name goes into the feed");
		return EX_NETWORK;
	}
	npath(&n, p, "etc/newsfeeds");
	if (xc_read_file(p, 1 << 20, 0, &buf, &len) < 0) {
		cli_error("cannot read '%s'", p);
		return EX_SYSTEM;
	}
	buf[len] = '\0';
	snprintf(text, sizeof text, "\n%s/%s:", name, name);
	if (strstr(buf, text) != NULL) {
		sodium_free(buf);
		printf("%s already peers with %s (%s:%s)\n", n.dir, name, addr,
		    port);
		return 0;
	}
	sodium_free(buf);
	/* Our feed to it (articles whose Path has its name are not sent
	 * back), its feed to us, and where innfeed finds it. */
	snprintf(text, sizeof text, "%s/%s:xc.*,!control*,!junk:Tm,Ap:"
	    "innfeed!\n", name, name);
	if ((rc = append_file(&n, "etc/newsfeeds", text)) != 0)
		return rc;
	snprintf(text, sizeof text, "peer %s {\n    hostname: \"%s\"\n"
	    "    patterns: \"xc.*\"\n}\n", name, addr);
	if ((rc = append_file(&n, "etc/incoming.conf", text)) != 0)
		return rc;
	snprintf(text, sizeof text, "peer %s {\n    ip-name: \"%s\"\n"
	    "    port-number: %s\n    bindaddress: \"%s\"\n}\n", name, addr,
	    port, n.addr);
	if ((rc = append_file(&n, "etc/innfeed.conf", text)) != 0)
		return rc;
	if (innd_pid(&n)) {
		run_inn(&n, 1, "ctlinnd", "-s", "-t", "10", "reload",
		    "newsfeeds", "xc-node peer", NULL);
		run_inn(&n, 1, "ctlinnd", "-s", "-t", "10", "reload",
		    "incoming.conf", "xc-node peer", NULL);
		run_inn(&n, 1, "ctlinnd", "-s", "-t", "10", "flush", "innfeed!",
		    NULL);
	}
	printf("%s peers with %s (%s:%s)\n", n.dir, name, addr, port);
	return 0;
}

int
main(int argc, char **argv)
{
	enum { OPT_LISTEN = 256, OPT_NAME, OPT_MAXSIZE, OPT_TLSLISTEN,
		OPT_NOTLS };
	static const struct option longopts[] = {
		{"listen", required_argument, NULL, OPT_LISTEN},
		{"tls-listen", required_argument, NULL, OPT_TLSLISTEN},
		{"no-tls", no_argument, NULL, OPT_NOTLS},
		{"name", required_argument, NULL, OPT_NAME},
		{"max-size", required_argument, NULL, OPT_MAXSIZE},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}
	};
	const char *listen = NULL, *name = NULL, *cmd, *tls_listen = NULL;
	uint64_t max_size = XC_NNTP_MAX_ENVELOPE;
	int ch, no_tls = 0;

	prog = "xc-node";
	cli_harden();
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":hV", longopts, NULL)) != -1)
		switch (ch) {
		case OPT_LISTEN:
			if (listen)
				cli_usage_error(usage, "--listen given twice");
			listen = optarg;
			break;
		case OPT_NAME:
			if (name)
				cli_usage_error(usage, "--name given twice");
			name = optarg;
			break;
		case OPT_TLSLISTEN:
			if (tls_listen)
				cli_usage_error(usage, "--tls-listen given "
				    "twice");
			tls_listen = optarg;
			break;
		case OPT_NOTLS:
			no_tls = 1;
			break;
		case OPT_MAXSIZE: {
			char *e;
			errno = 0;
			max_size = strtoull(optarg, &e, 10);
			if (errno || *e || optarg[0] < '1' ||
			    optarg[0] > '9' || max_size < 1024 ||
			    max_size > ((uint64_t)1 << 30))
				cli_usage_error(usage, "--max-size takes a "
				    "number of bytes from 1024 to 2^30");
			break;
		}
		case 'h': help(); return cli_close_stdout(0);
		case 'V':
			printf("xc-node %s\n", XC_VERSION);
			return cli_close_stdout(0);
		default:
			cli_bad_option(usage, argv, ch);
		}
	if (optind >= argc)
		cli_usage_error(usage, "no command");
	cmd = argv[optind++];
	if (sodium_init() < 0) {
		cli_error("cannot initialise libsodium");
		return EX_SYSTEM;
	}
	if ((listen || name || max_size != XC_NNTP_MAX_ENVELOPE ||
	    tls_listen || no_tls) && strcmp(cmd, "init") != 0)
		cli_usage_error(usage, "--listen, --name, --max-size, "
		    "--tls-listen and --no-tls are for init");
	if (tls_listen && no_tls)
		cli_usage_error(usage, "--tls-listen and --no-tls conflict");
	if (strcmp(cmd, "init") == 0 && argc - optind == 1)
		return cli_close_stdout(cmd_init(argv[optind], listen ? listen :
		    "127.0.0.1:119", name, max_size, tls_listen, no_tls));
	if (strcmp(cmd, "start") == 0 && argc - optind == 1)
		return cli_close_stdout(cmd_start(argv[optind]));
	if (strcmp(cmd, "stop") == 0 && argc - optind == 1)
		return cli_close_stdout(cmd_stop(argv[optind]));
	if (strcmp(cmd, "status") == 0 && argc - optind == 1)
		return cli_close_stdout(cmd_status(argv[optind]));
	if (strcmp(cmd, "peer") == 0 && argc - optind == 2)
		return cli_close_stdout(cmd_peer(argv[optind], argv[optind + 1]));
	if (strcmp(cmd, "init") && strcmp(cmd, "start") && strcmp(cmd, "stop")
	    && strcmp(cmd, "status") && strcmp(cmd, "peer"))
		cli_usage_error(usage, "unknown command '%s'", cmd);
	cli_usage_error(usage, "wrong number of operands for '%s'", cmd);
}
