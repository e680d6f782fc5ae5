/*
 * nntp-tool.c - the network test driver of t/10xx-*.t, built on libxc's
 * NNTP client the way xc-send and xc-fetch will use it:
 *
 *   nntp-tool article [-n NOW] ENVELOPE      the article (proof-of-work made)
 *   nntp-tool articles [-n NOW] DIR ENVELOPE...
 *                                            DIR/ID.art for each, "ID" lines
 *   nntp-tool variants ENVELOPE N DIR        DIR/vNNNNNN.age: N copies whose
 *                                            last 16 bytes (the payload's
 *                                            tag) are random: distinct ids,
 *                                            the same size and header, good
 *                                            to any node and to xc-fetch
 *                                            (never to xc-open)
 *   nntp-tool pow [-n NOW] ENVELOPE          "NONCE TRIALS-EXPECTED MS"
 *   nntp-tool pow-rate                       trials per second, over ~1 s
 *   nntp-tool pow-vector ID SIZE EXPIRES NONCE NOW
 *                                            "INITIAL TRIAL TARGET ok|short"
 *   nntp-tool cards-article HANDLE EXPIRES CHAIN OUT
 *                                            the article of the chain of
 *                                            cards in the file CHAIN (made
 *                                            as is: no check), to OUT; "ID"
 *   nntp-tool post URL ENVELOPE...           "ID outcome CODE REASON" each
 *   nntp-tool post-article URL ID FILE       a ready-made (crafted) article
 *   nntp-tool list URL GROUP CURSOR          "NUM ID TAG..." then "next N"
 *   nntp-tool fetch URL DIR ID...            DIR/ID.age, "ID ok|status"
 *   nntp-tool watch URL GROUP[,GROUP...] N SECONDS
 *                                            "ID MS" (CLOCK_REALTIME) as each
 *                                            of N new envelopes appears in
 *                                            the groups; a lost connection
 *                                            (a node restarted) is made again
 *   nntp-tool connect URL [N]                connects N times (greeting, MODE
 *                                            READER, QUIT): "ok MS"
 *   nntp-tool pin PIN                        the pin in its canonical form
 *   nntp-tool fingerprint CERT.pem           the pin of a certificate
 *
 * -t MS sets the inactivity timeout, -r MS the response deadline, -m the
 * largest response.  TLS and proxies (issue 14): -S asks nntp:// for
 * STARTTLS, -p PIN pins the server's certificate (else the system's
 * authorities), -x socks5h://ADDR:PORT connects through a proxy, -u
 * post|fetch|lookup|other says what for (the proxy user name; by default
 * post for post and post-article, fetch otherwise).  Exit 0, 1 when
 * something was refused or missing, 5 on a network error (the message on
 * stderr, and after a certificate check failed a hint with the server's
 * pin), 3 for a bad argument the library refused, 2 for usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "../lib/xc.h"

static xc_net_opts opts;
static int64_t now_opt;

static int
die_net(int rc, const char *what)
{
	const char *fp = xc_tls_rejected_fingerprint();

	fprintf(stderr, "nntp-tool: error: %s: %s: %s\n", what,
	    xc_strerror(rc), xc_errdetail());
	if (fp != NULL)
		fprintf(stderr, "nntp-tool: hint: the server's certificate is "
		    "%s\n", fp);
	return rc == XC_ENET ? 5 : 3;
}

static int
slurp(const char *path, uint8_t **buf, size_t *len)
{
	struct stat sb;
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &sb) != 0) {
		fprintf(stderr, "nntp-tool: error: cannot open '%s': %s\n",
		    path, strerror(errno));
		return -1;
	}
	*len = (size_t)sb.st_size;
	if ((*buf = malloc(*len + 1)) == NULL ||
	    (n = read(fd, *buf, *len)) != (ssize_t)*len) {
		fprintf(stderr, "nntp-tool: error: cannot read '%s'\n", path);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int64_t
now(void)
{
	return now_opt ? now_opt : (int64_t)time(NULL);
}

static int64_t
realtime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The article of an envelope file, with its proof-of-work. */
static int
make_article(const char *path, uint8_t **art, size_t *alen,
    char id[XC_ENVID_HEX + 1], uint64_t *ms)
{
	uint8_t *env, bin[32];
	size_t len;
	uint64_t nonce;
	xc_route r;
	int64_t t0;
	int rc;

	if (slurp(path, &env, &len) < 0)
		return 4;
	if ((rc = xc_nntp_envelope(env, len, id, &r)) < 0) {
		free(env);
		return die_net(rc, path);
	}
	sodium_hex2bin(bin, 32, id, XC_ENVID_HEX, NULL, NULL, NULL);
	t0 = xc_monotonic_ms();
	if ((rc = xc_pow_solve(&nonce, bin, len, r.expires, now(),
	    &xc_pow_default, NULL, NULL)) < 0 ||
	    (rc = xc_nntp_article(art, alen, env, len, nonce, now(), id)) < 0) {
		free(env);
		return die_net(rc, path);
	}
	if (ms)
		*ms = (uint64_t)(xc_monotonic_ms() - t0);
	free(env);
	return 0;
}

static int
connect_url(const char *s, xc_nntp **n)
{
	xc_url u;
	int rc;

	if ((rc = xc_url_parse(&u, s)) < 0) {
		fprintf(stderr, "nntp-tool: error: '%s': %s\n", s,
		    xc_errdetail());
		return 2;
	}
	if ((rc = xc_nntp_connect(n, &u, &opts)) < 0)
		return die_net(rc, s);
	return 0;
}

static const char *const outcome[] = { "?", "accepted", "duplicate",
	"refused", "later" };

static int
post_one(xc_nntp *n, const char *id, const uint8_t *art, size_t len)
{
	xc_post_result r;
	int rc;

	if ((rc = xc_nntp_post(n, id, art, len, &r)) < 0)
		return die_net(rc, id);
	printf("%s %s %d %s\n", id, outcome[r.outcome], r.code, r.reason);
	fprintf(stderr, "posted %s %lld\n", id, (long long)realtime_ms());
	return r.outcome == XC_POST_ACCEPTED ||
	    r.outcome == XC_POST_DUPLICATE ? 0 : 1;
}

static int
print_over(void *arg, const xc_nntp_over *o)
{
	size_t i, j;

	printf("%llu %s", (unsigned long long)o->num, o->id);
	for (i = 0; i < o->route.ntags; i++) {
		putchar(' ');
		for (j = 0; j < XC_TAG_LEN; j++)
			printf("%02x", o->route.tags[i][j]);
	}
	putchar('\n');
	return 0;
}

struct fetchctx {
	const char *dir;
	const char *const *ids;
	int code;
};

static int
got_env(void *arg, size_t i, int st, const uint8_t *env, size_t len)
{
	struct fetchctx *f = arg;
	char p[4096];
	FILE *o;

	if (env == NULL) {
		printf("%s %s\n", f->ids[i], xc_strerror(st));
		f->code = 1;
		return 0;
	}
	snprintf(p, sizeof p, "%s/%s.age", f->dir, f->ids[i]);
	if ((o = fopen(p, "wb")) == NULL || fwrite(env, 1, len, o) != len ||
	    fclose(o) != 0) {
		fprintf(stderr, "nntp-tool: error: cannot write '%s'\n", p);
		return XC_EWRITE;
	}
	printf("%s ok\n", f->ids[i]);
	return 0;
}

struct watchctx {
	char (*seen)[XC_ENVID_HEX + 1];
	size_t n, want;
};

static int
watch_over(void *arg, const xc_nntp_over *o)
{
	struct watchctx *w = arg;

	if (w->n < w->want) {
		memcpy(w->seen[w->n++], o->id, XC_ENVID_HEX + 1);
		printf("%s %lld\n", o->id, (long long)realtime_ms());
	}
	return 0;
}

static int
usage(void)
{
	fprintf(stderr, "usage: nntp-tool [-t MS] [-r MS] [-m BYTES] "
	    "[-n NOW] [-S] [-p PIN] [-x PROXY] [-u PURPOSE]\n"
	    "       article|articles|variants|pow|pow-rate|pow-vector|post|"
	    "post-article|cards-article|list|fetch|watch|connect|pin|"
	    "fingerprint ...\n");
	return 2;
}

int
main(int argc, char **argv)
{
	const char *cmd;
	xc_nntp *n = NULL;
	int c, rc = 0, i;

	opts.purpose = -1;
	while ((c = getopt(argc, argv, "t:r:m:n:Sp:x:u:")) != -1)
		switch (c) {
		case 't': opts.timeout_ms = atoi(optarg); break;
		case 'r': opts.response_ms = atoi(optarg); break;
		case 'm': opts.max_body = strtoull(optarg, NULL, 10); break;
		case 'n': now_opt = strtoll(optarg, NULL, 10); break;
		case 'S': opts.tls = XC_TLS_STARTTLS; break;
		case 'p': opts.pin = optarg; break;
		case 'x': opts.proxy = optarg; break;
		case 'u':
			if (strcmp(optarg, "post") == 0)
				opts.purpose = XC_NET_POST;
			else if (strcmp(optarg, "fetch") == 0)
				opts.purpose = XC_NET_FETCH;
			else if (strcmp(optarg, "lookup") == 0)
				opts.purpose = XC_NET_LOOKUP;
			else if (strcmp(optarg, "other") == 0)
				opts.purpose = XC_NET_OTHER;
			else
				return usage();
			break;
		default: return usage();
		}
	argc -= optind;
	argv += optind;
	if (argc < 1 || sodium_init() < 0)
		return usage();
	cmd = argv[0];
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (opts.purpose < 0)
		opts.purpose = strncmp(cmd, "post", 4) == 0 ? XC_NET_POST :
		    XC_NET_FETCH;
	if (strcmp(cmd, "pin") == 0 && argc == 2) {
		char pin[XC_TLS_PIN_MAX];
		if ((rc = xc_tls_pin_text(pin, argv[1])) < 0)
			return die_net(rc, argv[1]);
		printf("%s\n", pin);
		return 0;
	}
	if (strcmp(cmd, "fingerprint") == 0 && argc == 2) {
		char pin[XC_TLS_PIN_MAX];
		uint8_t *pem;
		size_t len;
		if (slurp(argv[1], &pem, &len) < 0)
			return 4;
		rc = xc_tls_cert_fingerprint(pin, (const char *)pem, len);
		free(pem);
		if (rc < 0)
			return die_net(rc, argv[1]);
		printf("%s\n", pin);
		return 0;
	}
	if (strcmp(cmd, "connect") == 0 && (argc == 2 || argc == 3)) {
		long k, times = argc == 3 ? atol(argv[2]) : 1;
		int64_t t0 = xc_monotonic_ms();
		for (k = 0; k < times; k++) {
			if ((rc = connect_url(argv[1], &n)) != 0)
				return rc;
			xc_nntp_close(n);
		}
		printf("ok %lld\n", (long long)(xc_monotonic_ms() - t0));
		return 0;
	}
	if (strcmp(cmd, "article") == 0 && argc == 2) {
		uint8_t *art;
		size_t len;
		char id[XC_ENVID_HEX + 1];
		if ((rc = make_article(argv[1], &art, &len, id, NULL)) != 0)
			return rc;
		fwrite(art, 1, len, stdout);
		free(art);
		return fflush(stdout) == 0 ? 0 : 4;
	}
	if (strcmp(cmd, "articles") == 0 && argc >= 3) {
		for (i = 2; i < argc; i++) {
			uint8_t *art;
			size_t len;
			char id[XC_ENVID_HEX + 1], p[4096];
			FILE *o;
			if ((rc = make_article(argv[i], &art, &len, id, NULL)) != 0)
				return rc;
			snprintf(p, sizeof p, "%s/%s.art", argv[1], id);
			if ((o = fopen(p, "wb")) == NULL ||
			    fwrite(art, 1, len, o) != len || fclose(o) != 0) {
				fprintf(stderr, "nntp-tool: error: cannot write "
				    "'%s'\n", p);
				return 4;
			}
			free(art);
			printf("%s\n", id);
		}
		return 0;
	}
	if (strcmp(cmd, "variants") == 0 && argc == 4) {
		uint8_t *env;
		size_t len;
		unsigned long k, count = strtoul(argv[2], NULL, 10);
		if (slurp(argv[1], &env, &len) < 0)
			return 4;
		if (len < 16)
			return usage();
		for (k = 0; k < count; k++) {
			char p[4096];
			FILE *o;
			randombytes_buf(env + len - 16, 16);
			snprintf(p, sizeof p, "%s/v%06lu.age", argv[3], k);
			if ((o = fopen(p, "wb")) == NULL ||
			    fwrite(env, 1, len, o) != len || fclose(o) != 0) {
				fprintf(stderr, "nntp-tool: error: cannot write "
				    "'%s'\n", p);
				return 4;
			}
		}
		free(env);
		return 0;
	}
	if (strcmp(cmd, "pow") == 0 && argc == 2) {
		uint8_t *env, bin[32];
		size_t len;
		uint64_t nonce;
		char id[XC_ENVID_HEX + 1];
		xc_route r;
		int64_t t0;
		if (slurp(argv[1], &env, &len) < 0)
			return 4;
		if ((rc = xc_nntp_envelope(env, len, id, &r)) < 0) {
			free(env);
			return die_net(rc, argv[1]);
		}
		sodium_hex2bin(bin, 32, id, XC_ENVID_HEX, NULL, NULL, NULL);
		t0 = xc_monotonic_ms();
		if ((rc = xc_pow_solve(&nonce, bin, len, r.expires, now(),
		    &xc_pow_default, NULL, NULL)) < 0) {
			free(env);
			return die_net(rc, argv[1]);
		}
		printf("%016llx %llu %lld\n", (unsigned long long)nonce,
		    (unsigned long long)(UINT64_MAX / xc_pow_target(len,
		    xc_pow_ttl(r.expires, now()), &xc_pow_default)),
		    (long long)(xc_monotonic_ms() - t0));
		free(env);
		return 0;
	}
	if (strcmp(cmd, "cards-article") == 0 && argc == 5) {
		uint8_t *chain, *art, bin[32];
		size_t len, alen;
		uint64_t nonce;
		int64_t exp = strtoll(argv[2], NULL, 10);
		char id[XC_ENVID_HEX + 1];
		FILE *o;
		if (slurp(argv[3], &chain, &len) < 0)
			return 4;
		xc_nntp_cards_id(id, (const char *)chain, len, exp);
		sodium_hex2bin(bin, 32, id, XC_ENVID_HEX, NULL, NULL, NULL);
		/* No work for a lifetime the network refuses anyway (for a
		 * test of that refusal). */
		if ((rc = xc_pow_solve(&nonce, bin, len, exp, now(),
		    &xc_pow_default, NULL, NULL)) == XC_ELIMIT)
			nonce = 0, rc = 0;
		if (rc < 0 ||
		    (rc = xc_nntp_cards_article(&art, &alen, argv[1],
		    (const char *)chain, len, exp, nonce, now(), id)) < 0) {
			free(chain);
			return die_net(rc, argv[3]);
		}
		free(chain);
		if ((o = fopen(argv[4], "wb")) == NULL ||
		    fwrite(art, 1, alen, o) != alen || fclose(o) != 0) {
			fprintf(stderr, "nntp-tool: error: cannot write '%s'\n",
			    argv[4]);
			return 4;
		}
		free(art);
		printf("%s\n", id);
		return 0;
	}
	if (strcmp(cmd, "pow-rate") == 0 && argc == 1) {
		uint8_t init[64];
		uint64_t k, sink = 0;
		int64_t t0 = xc_monotonic_ms(), t;
		randombytes_buf(init, sizeof init);
		for (k = 0; (t = xc_monotonic_ms() - t0) < 1000; k += 4096)
			for (uint64_t j = 0; j < 4096; j++)
				sink ^= xc_pow_trial(init, k + j);
		printf("%.0f\n", (double)k * 1000.0 / (double)t + (double)(sink & 0));
		return 0;
	}
	if (strcmp(cmd, "pow-vector") == 0 && argc == 6) {
		uint8_t id[32], init[64];
		char hex[129];
		uint64_t size = strtoull(argv[2], NULL, 10), nonce, trial, t;
		int64_t exp = strtoll(argv[3], NULL, 10), at;
		nonce = strtoull(argv[4], NULL, 16);
		at = strtoll(argv[5], NULL, 10);
		if (sodium_hex2bin(id, 32, argv[1], strlen(argv[1]), NULL,
		    NULL, NULL) != 0)
			return usage();
		xc_pow_initial(init, id, size, exp);
		sodium_bin2hex(hex, sizeof hex, init, 64);
		trial = xc_pow_trial(init, nonce);
		t = xc_pow_target(size, xc_pow_ttl(exp, at), &xc_pow_default);
		printf("%s %016llx %016llx %s\n", hex,
		    (unsigned long long)trial, (unsigned long long)t,
		    xc_pow_check(nonce, id, size, exp, at, &xc_pow_default) ==
		    0 ? "ok" : "short");
		return 0;
	}
	if (argc < 2)
		return usage();
	if (strcmp(cmd, "post") == 0) {
		for (i = 2; i < argc; i++) {
			uint8_t *art;
			size_t len;
			char id[XC_ENVID_HEX + 1];
			int r;
			if ((rc = make_article(argv[i], &art, &len, id, NULL)) !=
			    0)
				return rc;
			if (n == NULL && (rc = connect_url(argv[1], &n)) != 0) {
				free(art);
				return rc;
			}
			r = post_one(n, id, art, len);
			free(art);
			if (r > 1) {
				xc_nntp_close(n);
				return r;
			}
			if (r)
				rc = r;
		}
	} else if (strcmp(cmd, "post-article") == 0 && argc == 4) {
		uint8_t *art;
		size_t len;
		if (slurp(argv[3], &art, &len) < 0)
			return 4;
		if ((rc = connect_url(argv[1], &n)) != 0) {
			free(art);
			return rc;
		}
		rc = post_one(n, argv[2], art, len);
		free(art);
	} else if (strcmp(cmd, "list") == 0 && argc == 4) {
		uint64_t next, foreign = 0;
		if ((rc = connect_url(argv[1], &n)) != 0)
			return rc;
		if ((rc = xc_nntp_list(n, argv[2], strtoull(argv[3], NULL, 10),
		    print_over, NULL, &next, &foreign)) < 0) {
			rc = die_net(rc, argv[2]);
			xc_nntp_close(n);
			return rc;
		}
		printf("next %llu foreign %llu\n", (unsigned long long)next,
		    (unsigned long long)foreign);
	} else if (strcmp(cmd, "fetch") == 0 && argc >= 3) {
		struct fetchctx f = { argv[2], (const char *const *)argv + 3,
			0 };
		if ((rc = connect_url(argv[1], &n)) != 0)
			return rc;
		if ((rc = xc_nntp_fetch(n, f.ids, (size_t)argc - 3, got_env,
		    &f)) < 0) {
			rc = die_net(rc, "fetch");
			xc_nntp_close(n);
			return rc;
		}
		rc = f.code;
	} else if (strcmp(cmd, "watch") == 0 && argc == 5) {
		struct watchctx w;
		char *groups[64], *g;
		uint64_t cursor[64], next, cnt, low, high;
		size_t ng = 0, j;
		int64_t end = xc_monotonic_ms() + 1000 * atoll(argv[4]);
		w.want = strtoull(argv[3], NULL, 10);
		w.n = 0;
		for (g = strtok(argv[2], ","); g && ng < 64; g = strtok(NULL, ","))
			groups[ng++] = g;
		if ((w.seen = calloc(w.want + 1, sizeof *w.seen)) == NULL)
			return 4;
		if ((rc = connect_url(argv[1], &n)) != 0)
			return rc;
		/* Only what arrives from now on. */
		for (j = 0; j < ng; j++) {
			if ((rc = xc_nntp_group(n, groups[j], &cnt, &low,
			    &high)) < 0)
				return die_net(rc, groups[j]);
			cursor[j] = high;
		}
		printf("ready\n");
		while (w.n < w.want && xc_monotonic_ms() < end) {
			for (j = 0; j < ng && n; j++) {
				if (xc_nntp_list(n, groups[j], cursor[j],
				    watch_over, &w, &next, NULL) < 0) {
					xc_nntp_close(n);
					n = NULL;
					break;
				}
				cursor[j] = next;
			}
			if (w.n < w.want) {
				struct timespec ts = { 0, 2000000 };
				nanosleep(&ts, NULL);
			}
			/* A node that went away: again until it is back. */
			if (n == NULL) {
				xc_url u;
				struct timespec ts = { 0, 200000000 };
				nanosleep(&ts, NULL);
				if (xc_url_parse(&u, argv[1]) == 0 &&
				    xc_nntp_connect(&n, &u, &opts) < 0)
					n = NULL;
			}
		}
		rc = w.n == w.want ? 0 : 1;
		free(w.seen);
	} else
		return usage();
	xc_nntp_close(n);
	return rc;
}
