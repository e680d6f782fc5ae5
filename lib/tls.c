/*
 * tls.c - TLS for the network client with OpenSSL's libssl: a connection
 * over a connection, the server's certificate checked by the system's
 * authorities or by pins, and the self-signed certificate of a node.
 *
 * The TLS connection wraps another xc_conn (TCP, or TCP through a SOCKS5
 * proxy) with a BIO of our own, so every byte still goes through that
 * connection's deadlines and nothing else in the client changes.  Rules:
 * TLS 1.2 or later; no compression (RFC 8143); no session tickets or
 * resumption, which would link two connections that Tor keeps apart;
 * never a fallback to plaintext (a failed handshake is an error, full
 * stop).  The server is trusted either by the system store
 * (ca-certificates, or SSL_CERT_FILE/SSL_CERT_DIR) with its name or
 * address checked, or, when pins are given, by the SHA-256 of its
 * certificate alone: a pin is the whole trust, as a host key is for ssh,
 * so a node's self-signed certificate needs no authority, and its dates
 * and names do not matter.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sodium.h>

#include "xc.h"

struct tlsconn {
	xc_conn c;
	xc_conn *inner;
	SSL_CTX *ctx;
	SSL *ssl;
	BIO_METHOD *meth;
	int err;		/* the inner connection's failure */
	int pin_failed;
	size_t npins;
	uint8_t pins[XC_TLS_MAX_PINS][32];
};

/* The fingerprint of the last certificate a server presented, and
 * whether our check refused it. */
static _Thread_local char last_fp[XC_TLS_PIN_MAX];
static _Thread_local int last_rejected;

const char *
xc_tls_rejected_fingerprint(void)
{
	return last_rejected && last_fp[0] ? last_fp : NULL;
}

void
xc_tls_forget(void)
{
	last_fp[0] = '\0';
	last_rejected = 0;
}

int
xc_tls_cert_fingerprint(char out[XC_TLS_PIN_MAX], const char *pem,
    size_t len)
{
	BIO *b;
	X509 *x = NULL;
	uint8_t md[32];
	unsigned int mdlen = 0;
	int rc = 0;

	if (len > INT_MAX || (b = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return xc_fail(XC_ENOMEM, "out of memory");
	if ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL ||
	    X509_digest(x, EVP_sha256(), md, &mdlen) != 1 || mdlen != 32)
		rc = xc_fail(XC_EINVAL, "not a PEM certificate");
	else
		xc_tls_fingerprint_text(out, md);
	X509_free(x);
	BIO_free(b);
	ERR_clear_error();
	return rc;
}

/* ---- the BIO: TLS records through the inner connection ---- */

static int
bio_write(BIO *b, const char *buf, int len)
{
	struct tlsconn *t = BIO_get_data(b);
	int rc;

	BIO_clear_retry_flags(b);
	if (len <= 0)
		return 0;
	if ((rc = t->inner->write(t->inner, (const uint8_t *)buf,
	    (size_t)len)) < 0) {
		t->err = rc;
		return -1;
	}
	return len;
}

static int
bio_read(BIO *b, char *buf, int len)
{
	struct tlsconn *t = BIO_get_data(b);
	size_t got;
	int rc;

	BIO_clear_retry_flags(b);
	if (len <= 0)
		return 0;
	if ((rc = t->inner->read(t->inner, (uint8_t *)buf, (size_t)len,
	    &got)) < 0) {
		t->err = rc;
		return -1;
	}
	return (int)got;
}

static long
bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b;
	(void)num;
	(void)ptr;
	return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

/* The TLS connection's deadlines are the inner one's. */
static void
sync_inner(struct tlsconn *t)
{
	t->inner->timeout_ms = t->c.timeout_ms;
	t->inner->deadline = t->c.deadline;
}

static int
tls_failed(struct tlsconn *t, int r, const char *what)
{
	int e = SSL_get_error(t->ssl, r);

	ERR_clear_error();
	if (t->err)
		return t->err;	/* with the inner connection's detail */
	if (e == SSL_ERROR_ZERO_RETURN)
		return xc_fail(XC_ENET, "the server closed the connection");
	return xc_fail(XC_ENET, what);
}

static int
tls_read(xc_conn *c, uint8_t *buf, size_t len, size_t *got)
{
	struct tlsconn *t = (struct tlsconn *)c;
	int n;

	if (t->err)
		return xc_fail(XC_ENET, "the connection is unusable");
	sync_inner(t);
	n = SSL_read(t->ssl, buf, len > INT_MAX ? INT_MAX : (int)len);
	if (n <= 0)
		return tls_failed(t, n, "the TLS connection failed");
	*got = (size_t)n;
	return 0;
}

static int
tls_write(xc_conn *c, const uint8_t *buf, size_t len)
{
	struct tlsconn *t = (struct tlsconn *)c;
	int n;

	if (t->err)
		return xc_fail(XC_ENET, "the connection is unusable");
	sync_inner(t);
	while (len > 0) {
		n = SSL_write(t->ssl, buf, len > 65536 ? 65536 : (int)len);
		if (n <= 0)
			return tls_failed(t, n, "the TLS connection failed");
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static void
tls_free(struct tlsconn *t)
{
	SSL_free(t->ssl);		/* and its BIO */
	SSL_CTX_free(t->ctx);
	BIO_meth_free(t->meth);
	t->inner->close(t->inner);
	free(t);
	ERR_clear_error();
}

static void
tls_close(xc_conn *c)
{
	struct tlsconn *t = (struct tlsconn *)c;

	if (t == NULL)
		return;
	/* close_notify, once, without waiting for the server's. */
	if (!t->err && SSL_is_init_finished(t->ssl)) {
		t->inner->timeout_ms = 1000;
		t->inner->deadline = xc_monotonic_ms() + 1000;
		(void)SSL_shutdown(t->ssl);
	}
	tls_free(t);
}

/* ---- verification ---- */

/* With pins: the certificate's SHA-256 is one of them, nothing else
 * counts.  Runs in the handshake, so a wrong certificate ends it before
 * a byte of NNTP is sent. */
static int
pin_verify(X509_STORE_CTX *xs, void *arg)
{
	struct tlsconn *t = arg;
	X509 *leaf = X509_STORE_CTX_get0_cert(xs);
	uint8_t md[32];
	unsigned int mdlen = 0;
	size_t i;

	if (leaf == NULL || X509_digest(leaf, EVP_sha256(), md, &mdlen) !=
	    1 || mdlen != 32) {
		X509_STORE_CTX_set_error(xs, X509_V_ERR_UNSPECIFIED);
		return 0;
	}
	xc_tls_fingerprint_text(last_fp, md);
	for (i = 0; i < t->npins; i++)
		if (memcmp(md, t->pins[i], 32) == 0)
			return 1;
	t->pin_failed = 1;
	X509_STORE_CTX_set_error(xs, X509_V_ERR_CERT_REJECTED);
	return 0;
}

/* Without pins: OpenSSL's chain and name checks; the leaf's fingerprint
 * is kept for the hint after a failure. */
static int
ca_verify(int ok, X509_STORE_CTX *xs)
{
	X509 *x = X509_STORE_CTX_get_current_cert(xs);
	uint8_t md[32];
	unsigned int mdlen = 0;

	if (X509_STORE_CTX_get_error_depth(xs) == 0 && x != NULL &&
	    X509_digest(x, EVP_sha256(), md, &mdlen) == 1 && mdlen == 32)
		xc_tls_fingerprint_text(last_fp, md);
	return ok;
}

static int
handshake_failed(struct tlsconn *t)
{
	long v = SSL_get_verify_result(t->ssl);
	unsigned long e = ERR_peek_error();
	int reason = ERR_GET_REASON(e);

	ERR_clear_error();
	if (t->pin_failed) {
		last_rejected = 1;
		return xc_fail(XC_ENET, "the server's certificate is not the "
		    "pinned one");
	}
	if (t->err)
		return t->err;
	last_rejected = v != X509_V_OK;
	switch (v) {
	case X509_V_OK:
		break;
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
		return xc_fail(XC_ENET, "the server's certificate is not for "
		    "that host");
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
		return xc_fail(XC_ENET, "the server's certificate is not "
		    "signed by an authority this machine trusts");
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return xc_fail(XC_ENET, "the server's certificate has expired");
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return xc_fail(XC_ENET, "the server's certificate is not valid "
		    "yet");
	default:
		return xc_fail(XC_ENET, "the server's certificate does not "
		    "verify");
	}
	switch (ERR_GET_LIB(e) == ERR_LIB_SSL ? reason : 0) {
	case SSL_R_UNSUPPORTED_PROTOCOL:
	case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
	case SSL_R_NO_PROTOCOLS_AVAILABLE:
		return xc_fail(XC_ENET, "the server does not speak TLS 1.2 or "
		    "later");
	case SSL_R_WRONG_VERSION_NUMBER:
	case SSL_R_PACKET_LENGTH_TOO_LONG:
	case SSL_R_HTTP_REQUEST:
		return xc_fail(XC_ENET, "the server does not speak TLS there");
	}
	return xc_fail(XC_ENET, "the TLS handshake failed");
}

int
xc_conn_tls(xc_conn **out, xc_conn *inner, const char *host,
    const xc_net_opts *o)
{
	struct tlsconn *t = calloc(1, sizeof *t);
	BIO *bio;
	uint8_t ip[16];
	int lit = xc_ip_literal(host, ip), r, rc;

	if (t == NULL) {
		inner->close(inner);
		return xc_fail(XC_ENOMEM, "out of memory");
	}
	t->inner = inner;
	t->c.read = tls_read;
	t->c.write = tls_write;
	t->c.close = tls_close;
	t->c.timeout_ms = inner->timeout_ms;
	t->c.ctx = t;
	xc_tls_forget();
	if (o && o->pin && (rc = xc_tls_pins(t->pins, XC_TLS_MAX_PINS,
	    &t->npins, o->pin)) < 0)
		goto fail;
	rc = xc_fail(XC_ENOMEM, "cannot set up TLS");
	if ((t->ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION) != 1)
		goto fail;
	SSL_CTX_set_options(t->ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_TICKET |
	    SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_session_cache_mode(t->ctx, SSL_SESS_CACHE_OFF);
	if (t->npins) {
		SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
		SSL_CTX_set_cert_verify_callback(t->ctx, pin_verify, t);
	} else {
		if (SSL_CTX_set_default_verify_paths(t->ctx) != 1) {
			rc = xc_fail(XC_ENET, "cannot load the system's "
			    "certificate authorities");
			goto fail;
		}
		SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, ca_verify);
	}
	if ((t->ssl = SSL_new(t->ctx)) == NULL)
		goto fail;
	if (!t->npins) {
		if (lit ? X509_VERIFY_PARAM_set1_ip(SSL_get0_param(t->ssl), ip,
		    (size_t)lit) != 1 : SSL_set1_host(t->ssl, host) != 1)
			goto fail;
		SSL_set_hostflags(t->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	}
	/* The name for virtual hosts (SNI); never an address (RFC 6066). */
	if (!lit && SSL_set_tlsext_host_name(t->ssl, host) != 1)
		goto fail;
	if ((t->meth = BIO_meth_new(BIO_get_new_index() |
	    BIO_TYPE_SOURCE_SINK, "xc_conn")) == NULL ||
	    BIO_meth_set_write(t->meth, bio_write) != 1 ||
	    BIO_meth_set_read(t->meth, bio_read) != 1 ||
	    BIO_meth_set_ctrl(t->meth, bio_ctrl) != 1 ||
	    (bio = BIO_new(t->meth)) == NULL)
		goto fail;
	BIO_set_data(bio, t);
	BIO_set_init(bio, 1);
	SSL_set_bio(t->ssl, bio, bio);
	SSL_set_read_ahead(t->ssl, 1);
	/* The handshake within one response's time. */
	t->c.deadline = xc_monotonic_ms() + (o && o->response_ms > 0 ?
	    o->response_ms : 120000);
	sync_inner(t);
	if ((r = SSL_connect(t->ssl)) != 1) {
		rc = handshake_failed(t);
		goto fail;
	}
	t->c.deadline = 0;
	*out = &t->c;
	return 0;
fail:
	t->err = rc;
	tls_free(t);
	return rc;
}

/* ---- a node's certificate ---- */

static int
add_ext(X509 *x, X509V3_CTX *v3, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, v3, nid, value);
	int ok = e != NULL && X509_add_ext(x, e, -1) == 1;

	X509_EXTENSION_free(e);
	return ok;
}

/* Copies a memory BIO's bytes into *out (sodium_malloc'd when secret). */
static int
bio_take(BIO *b, char **out, size_t *len, int secret)
{
	char *p;
	long n = BIO_get_mem_data(b, &p);

	if (n <= 0)
		return -1;
	*out = secret ? sodium_malloc((size_t)n + 1) : malloc((size_t)n + 1);
	if (*out == NULL)
		return -1;
	memcpy(*out, p, (size_t)n);
	(*out)[n] = '\0';
	*len = (size_t)n;
	return 0;
}

int
xc_tls_make_cert(char **cert, size_t *certlen, char **key, size_t *keylen,
    const char *cn, const char *const *ips, size_t nips, int days)
{
	EVP_PKEY *pk = NULL;
	X509 *x = NULL;
	X509_NAME *name;
	X509V3_CTX v3;
	BIGNUM *bn = NULL;
	BIO *cb = NULL, *kb = NULL;
	uint8_t serial[16];
	char san[1024];
	size_t i, k = 0;
	int rc = xc_fail(XC_ENOMEM, "cannot make a certificate");

	*cert = *key = NULL;
	san[0] = '\0';
	for (i = 0; i < nips; i++) {
		uint8_t a[16];
		if (!xc_ip_literal(ips[i], a) || strcmp(ips[i], "0.0.0.0") == 0)
			continue;
		if (k + strlen(ips[i]) + 5 >= sizeof san)
			return xc_fail(XC_EINVAL, "too many addresses");
		k += (size_t)snprintf(san + k, sizeof san - k, "%sIP:%s",
		    k ? "," : "", ips[i]);
	}
	randombytes_buf(serial, sizeof serial);
	serial[0] &= 0x7f;		/* positive (RFC 5280 4.1.2.2) */
	if ((pk = EVP_EC_gen("P-256")) == NULL || (x = X509_new()) == NULL ||
	    X509_set_version(x, X509_VERSION_3) != 1 ||
	    (bn = BN_bin2bn(serial, sizeof serial, NULL)) == NULL ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL ||
	    /* an hour back: clocks differ */
	    X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), (long)days * 86400) == NULL ||
	    X509_set_pubkey(x, pk) != 1 ||
	    (name = X509_get_subject_name(x)) == NULL ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, name) != 1)
		goto out;
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	if (!add_ext(x, &v3, NID_basic_constraints, "critical,CA:FALSE") ||
	    !add_ext(x, &v3, NID_key_usage, "critical,digitalSignature") ||
	    !add_ext(x, &v3, NID_ext_key_usage, "serverAuth") ||
	    !add_ext(x, &v3, NID_subject_key_identifier, "hash") ||
	    (san[0] && !add_ext(x, &v3, NID_subject_alt_name, san)) ||
	    X509_sign(x, pk, EVP_sha256()) <= 0)
		goto out;
	if ((cb = BIO_new(BIO_s_mem())) == NULL ||
	    (kb = BIO_new(BIO_s_secmem())) == NULL ||
	    PEM_write_bio_X509(cb, x) != 1 ||
	    PEM_write_bio_PrivateKey(kb, pk, NULL, NULL, 0, NULL, NULL) != 1 ||
	    bio_take(cb, cert, certlen, 0) < 0 ||
	    bio_take(kb, key, keylen, 1) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0) {
		free(*cert);
		if (*key)
			sodium_free(*key);
		*cert = *key = NULL;
	}
	BIO_free(cb);
	BIO_free(kb);
	BN_free(bn);
	X509_free(x);
	EVP_PKEY_free(pk);
	ERR_clear_error();
	return rc;
}
