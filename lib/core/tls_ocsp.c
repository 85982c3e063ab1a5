/* OCSP stapling (RFC 6960, RFC 6066 §8): the responder a certificate names
 * in its Authority Information Access, a blocking fetch of its response
 * over HTTP for the ocspd helper (never on a server's event loop), the
 * checks a response must pass before it is cached (signed by the issuer or
 * a responder it delegated to, for this certificate, status good, within
 * thisUpdate..nextUpdate), and the servers' side: the cached file is
 * stapled to the handshakes that ask for it while it is still current. */
#include "core/tls.h"
#include "core/buf.h"
#include "core/file.h"
#include "core/tls_private.h"
#include "core/xmalloc.h"

#include <openssl/err.h>
#include <openssl/http.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define OCSP_MAX_RESPONSE (64 * 1024)
#define OCSP_SKEW_SECS 300 /* clocks of responder and server may differ */

/* The certificate, its issuer and the whole chain of a tls_cert file. */
struct ocsp_certs {
	STACK_OF(X509) * chain; /* leaf first, as in the file */
	X509 *leaf, *issuer;    /* in chain */
};

static X509 *ocsp_find_issuer(X509 *leaf, STACK_OF(X509) * certs)
{
	for (int i = 0; i < sk_X509_num(certs); i++) {
		X509 *x = sk_X509_value(certs, i);
		if (x != leaf && X509_check_issued(x, leaf) == X509_V_OK)
			return x;
	}
	return NULL;
}

static void ocsp_certs_deinit(struct ocsp_certs *c)
{
	sk_X509_pop_free(c->chain, X509_free);
	memset(c, 0, sizeof(*c));
}

/* Returns 0, or -1 with a static reason. c->issuer may be NULL. */
static int ocsp_certs_load(const char *cert_path, struct ocsp_certs *c,
                           const char **error_r)
{
	memset(c, 0, sizeof(*c));
	BIO *bio = BIO_new_file(cert_path, "r");
	if (bio == NULL) {
		ERR_clear_error();
		*error_r = "cannot read the certificate";
		return -1;
	}
	c->chain = sk_X509_new_null();
	X509 *x;
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
		sk_X509_push(c->chain, x);
	ERR_clear_error(); /* the end of the file */
	BIO_free(bio);
	if (sk_X509_num(c->chain) == 0) {
		ocsp_certs_deinit(c);
		*error_r = "no certificate in the file";
		return -1;
	}
	c->leaf = sk_X509_value(c->chain, 0);
	c->issuer = ocsp_find_issuer(c->leaf, c->chain);
	return 0;
}

/* The first OCSP URL of cert's AIA (heap), or NULL. */
static char *ocsp_url_of(X509 *cert)
{
	STACK_OF(OPENSSL_STRING) *urls = X509_get1_ocsp(cert);
	char *url = sk_OPENSSL_STRING_num(urls) > 0
	                ? xstrdup(sk_OPENSSL_STRING_value(urls, 0))
	                : NULL;
	X509_email_free(urls);
	return url;
}

char *tls_ocsp_responder(const char *cert_path)
{
	struct ocsp_certs c;
	const char *error;
	if (ocsp_certs_load(cert_path, &c, &error) < 0)
		return NULL;
	char *url = ocsp_url_of(c.leaf);
	ocsp_certs_deinit(&c);
	return url;
}

static time_t ocsp_time(const ASN1_GENERALIZEDTIME *t)
{
	struct tm tm;
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return timegm(&tm);
}

/* Checks that the DER response is successful and says "good" for id, now
 * (with OCSP_SKEW_SECS of leeway); with store, that it is signed by the
 * issuer or a responder the issuer delegated to (RFC 6960 §4.2.2.2).
 * Returns 0 with its times (*next_update_r 0 when it has none), or -1 with
 * a static reason. */
static int ocsp_check(const unsigned char *der, long len, OCSP_CERTID *id,
                      STACK_OF(X509) * chain, X509_STORE *store,
                      time_t *this_update_r, time_t *next_update_r,
                      const char **error_r)
{
	static char reason[120];
	const unsigned char *p = der;
	OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, len);
	OCSP_BASICRESP *bs = NULL;
	int status = -1, why = -1, ret = -1;
	ASN1_GENERALIZEDTIME *revoked, *this_upd, *next_upd;
	if (resp == NULL) {
		*error_r = "not an OCSP response";
	} else if (OCSP_response_status(resp) !=
	           OCSP_RESPONSE_STATUS_SUCCESSFUL) {
		snprintf(reason, sizeof(reason), "responder says %s",
		         OCSP_response_status_str(OCSP_response_status(resp)));
		*error_r = reason;
	} else if ((bs = OCSP_response_get1_basic(resp)) == NULL) {
		*error_r = "not a basic OCSP response";
	} else if (store != NULL &&
	           OCSP_basic_verify(bs, chain, store, 0) != 1) {
		*error_r = "the response's signature does not verify";
	} else if (OCSP_resp_find_status(bs, id, &status, &why, &revoked,
	                                 &this_upd, &next_upd) != 1) {
		*error_r = "the response is for another certificate";
	} else if (status != V_OCSP_CERTSTATUS_GOOD) {
		snprintf(reason, sizeof(reason), "certificate status %s",
		         OCSP_cert_status_str(status));
		*error_r = reason;
	} else if (OCSP_check_validity(this_upd, next_upd, OCSP_SKEW_SECS,
	                               -1) != 1) {
		*error_r = "the response is not current (thisUpdate, "
		           "nextUpdate)";
	} else {
		*this_update_r = ocsp_time(this_upd);
		*next_update_r = next_upd != NULL ? ocsp_time(next_upd) : 0;
		ret = 0;
	}
	ERR_clear_error();
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	return ret;
}

/* A store that trusts the issuer alone, even when it is an intermediate. */
static X509_STORE *ocsp_store(X509 *issuer)
{
	X509_STORE *store = X509_STORE_new();
	if (store != NULL) {
		X509_STORE_add_cert(store, issuer);
		X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN);
	}
	return store;
}

/* Checks der for the certificate in cert_path, signature included. */
static int ocsp_check_for(struct ocsp_certs *c, const unsigned char *der,
                          long len, time_t *this_update_r,
                          time_t *next_update_r, const char **error_r)
{
	if (c->issuer == NULL) {
		*error_r = "the issuer's certificate is not in the file (put "
		           "the chain after the certificate)";
		return -1;
	}
	OCSP_CERTID *id = OCSP_cert_to_id(NULL, c->leaf, c->issuer);
	X509_STORE *store = ocsp_store(c->issuer);
	int ret = id != NULL && store != NULL
	              ? ocsp_check(der, len, id, c->chain, store, this_update_r,
	                           next_update_r, error_r)
	              : -1;
	if (id == NULL || store == NULL)
		*error_r = "cannot make the certificate's OCSP id";
	X509_STORE_free(store);
	OCSP_CERTID_free(id);
	return ret;
}

int tls_ocsp_cached(const char *cert_path, const char *path,
                    time_t *this_update_r, time_t *next_update_r,
                    const char **error_r)
{
	struct buf der;
	buf_init(&der);
	if (file_read_all(path, &der, OCSP_MAX_RESPONSE) < 0) {
		buf_deinit(&der);
		return 0;
	}
	struct ocsp_certs c;
	int ret = ocsp_certs_load(cert_path, &c, error_r);
	if (ret == 0) {
		ret = ocsp_check_for(&c, (const unsigned char *)der.data,
		                     (long)der.len, this_update_r,
		                     next_update_r, error_r) < 0
		          ? -1
		          : 1;
		ocsp_certs_deinit(&c);
	}
	buf_deinit(&der);
	return ret;
}

/* POSTs the request for c's leaf to url; returns the body (DER) in out. */
static int ocsp_post(struct ocsp_certs *c, const char *url, unsigned timeout,
                     struct buf *out, const char **error_r)
{
	static char reason[300];
	char *host = NULL, *port = NULL, *path = NULL;
	int use_ssl = 0, ret = -1;
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	OCSP_CERTID *id = OCSP_cert_to_id(NULL, c->leaf, c->issuer);
	BIO *req_bio = NULL, *rsp_bio = NULL;
	if (OSSL_HTTP_parse_url(url, &use_ssl, NULL, &host, &port, NULL, &path,
	                        NULL, NULL) != 1 ||
	    use_ssl) {
		*error_r = "the responder URL is not an http:// URL";
		goto out;
	}
	if (req == NULL || id == NULL ||
	    OCSP_request_add0_id(req, id) == NULL) {
		*error_r = "cannot make the OCSP request";
		goto out;
	}
	id = NULL; /* the request owns it now */
	req_bio = ASN1_item_i2d_mem_bio(ASN1_ITEM_rptr(OCSP_REQUEST),
	                                (const ASN1_VALUE *)req);
	/* a proxy comes from http_proxy and no_proxy, as for curl */
	rsp_bio = req_bio == NULL
	              ? NULL
	              : OSSL_HTTP_transfer(
	                    NULL, host, port, path, 0, NULL, NULL, NULL, NULL,
	                    NULL, NULL, 0, NULL, "application/ocsp-request",
	                    req_bio, "application/ocsp-response", 1,
	                    OCSP_MAX_RESPONSE, (int)timeout, 0);
	if (rsp_bio == NULL) {
		const char *why =
		    ERR_reason_error_string(ERR_peek_last_error());
		snprintf(reason, sizeof(reason), "no response from %s: %s", url,
		         why != NULL ? why : "error");
		*error_r = reason;
		goto out;
	}
	char chunk[4096];
	int n;
	while ((n = BIO_read(rsp_bio, chunk, sizeof(chunk))) > 0)
		buf_append(out, chunk, (size_t)n);
	ret = 0;
out:
	ERR_clear_error();
	BIO_free(rsp_bio);
	BIO_free(req_bio);
	OCSP_CERTID_free(id);
	OCSP_REQUEST_free(req);
	OPENSSL_free(host);
	OPENSSL_free(port);
	OPENSSL_free(path);
	return ret;
}

int tls_ocsp_fetch(const char *cert_path, const char *path,
                   unsigned timeout_secs, time_t *this_update_r,
                   time_t *next_update_r, const char **error_r)
{
	struct ocsp_certs c;
	if (ocsp_certs_load(cert_path, &c, error_r) < 0)
		return -1;
	char *url = ocsp_url_of(c.leaf);
	struct buf der;
	buf_init(&der);
	int ret = -1;
	if (url == NULL)
		*error_r = "the certificate names no OCSP responder";
	else if (c.issuer == NULL)
		*error_r = "the issuer's certificate is not in the file (put "
		           "the chain after the certificate)";
	else if (ocsp_post(&c, url, timeout_secs, &der, error_r) == 0 &&
	         ocsp_check_for(&c, (const unsigned char *)der.data,
	                        (long)der.len, this_update_r, next_update_r,
	                        error_r) == 0) {
		ret = file_write_atomic(path, der.data, der.len, 0644);
		if (ret < 0)
			*error_r = "cannot write the response";
	}
	buf_deinit(&der);
	free(url);
	ocsp_certs_deinit(&c);
	return ret;
}

/* ---- The servers' side: stapling --------------------------------------- */

struct ocsp_staple {
	char *path;
	OCSP_CERTID *id; /* of the context's certificate */
	unsigned char *der;
	long len;
	time_t next_update; /* 0: none */
	struct stat st;     /* of the file der was read from */
	bool has_file;
};

static int ocsp_ex_index = -1;

static void ocsp_staple_free_cb(void *parent, void *ptr, CRYPTO_EX_DATA *ad,
                                int idx, long argl, void *argp)
{
	(void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
	struct ocsp_staple *st = ptr;
	if (st == NULL)
		return;
	OCSP_CERTID_free(st->id);
	free(st->der);
	free(st->path);
	free(st);
}

/* Reads the file again when it changed (an atomic rename by ocspd gives it
 * a new inode). A response that fails the checks staples nothing. */
static void ocsp_staple_refresh(struct ocsp_staple *st)
{
	struct stat now;
	if (stat(st->path, &now) < 0) {
		st->has_file = false;
		free(st->der);
		st->der = NULL;
		return;
	}
	if (st->has_file && now.st_ino == st->st.st_ino &&
	    now.st_size == st->st.st_size &&
	    now.st_mtim.tv_sec == st->st.st_mtim.tv_sec &&
	    now.st_mtim.tv_nsec == st->st.st_mtim.tv_nsec)
		return;
	st->st = now;
	st->has_file = true;
	free(st->der);
	st->der = NULL;
	struct buf der;
	buf_init(&der);
	time_t this_update, next_update;
	const char *error;
	if (file_read_all(st->path, &der, OCSP_MAX_RESPONSE) == 0 &&
	    ocsp_check((const unsigned char *)der.data, (long)der.len, st->id,
	               NULL, NULL, &this_update, &next_update, &error) == 0) {
		st->der = xmalloc(der.len);
		memcpy(st->der, der.data, der.len);
		st->len = (long)der.len;
		st->next_update = next_update;
	}
	buf_deinit(&der);
}

static int ocsp_status_cb(SSL *ssl, void *arg)
{
	(void)arg;
	struct ocsp_staple *st =
	    SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ocsp_ex_index);
	if (st == NULL)
		return SSL_TLSEXT_ERR_NOACK;
	ocsp_staple_refresh(st);
	if (st->der == NULL ||
	    (st->next_update != 0 && time(NULL) >= st->next_update))
		return SSL_TLSEXT_ERR_NOACK;
	unsigned char *copy = OPENSSL_memdup(st->der, (size_t)st->len);
	if (copy == NULL ||
	    SSL_set_tlsext_status_ocsp_resp(ssl, copy, st->len) != 1) {
		OPENSSL_free(copy);
		return SSL_TLSEXT_ERR_NOACK;
	}
	return SSL_TLSEXT_ERR_OK;
}

int tls_ocsp_staple_attach(SSL_CTX *ctx, const char *path)
{
	X509 *leaf = SSL_CTX_get0_certificate(ctx);
	STACK_OF(X509) *chain = NULL;
	if (leaf == NULL || SSL_CTX_get0_chain_certs(ctx, &chain) != 1)
		return 0;
	char *url = ocsp_url_of(leaf);
	bool has_responder = url != NULL;
	free(url);
	X509 *issuer = ocsp_find_issuer(leaf, chain);
	if (!has_responder || issuer == NULL)
		return 0;
	if (ocsp_ex_index < 0)
		ocsp_ex_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL,
		                                         ocsp_staple_free_cb);
	struct ocsp_staple *st = xcalloc(1, sizeof(*st));
	st->path = xstrdup(path);
	st->id = OCSP_cert_to_id(NULL, leaf, issuer);
	if (ocsp_ex_index < 0 || st->id == NULL ||
	    SSL_CTX_set_ex_data(ctx, ocsp_ex_index, st) != 1) {
		ocsp_staple_free_cb(NULL, st, NULL, 0, 0, NULL);
		ERR_clear_error();
		return -1;
	}
	SSL_CTX_set_tlsext_status_cb(ctx, ocsp_status_cb);
	return 1;
}
