/* OpenSSL 3 server contexts, TLS bufferevents (libevent_openssl) and the
 * self-signed certificate of a first start. Minimum protocol TLS 1.2
 * (RFC 8996 retires 1.0 and 1.1); in TLS 1.2 only ECDHE with AEAD
 * ciphers (RFC 9325 §4.2), TLS 1.3's suites as OpenSSL has them (all
 * AEAD); no compression, no renegotiation. */
#include "core/tls.h"
#include "core/file.h"
#include "core/xmalloc.h"

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* TLS 1.2: forward secrecy (ECDHE) and AEAD only, as the "intermediate"
 * profiles of today have it; the CBC suites (…-SHA, …-SHA256, …-SHA384)
 * and static RSA key exchange are gone. ECDSA first for the self-signed
 * P-256 key, RSA for an operator's RSA certificate. */
#define TLS12_CIPHERS                                                          \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"           \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"           \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

struct tls_server {
	SSL_CTX *ctx;
};

static char tls_error_str[256];

static const char *tls_last_error(const char *what)
{
	unsigned long e = ERR_get_error();
	char detail[200] = "unknown error";
	if (e != 0)
		ERR_error_string_n(e, detail, sizeof(detail));
	ERR_clear_error();
	snprintf(tls_error_str, sizeof(tls_error_str), "%s: %s", what, detail);
	return tls_error_str;
}

int tls_server_new(const char *cert_path, const char *key_path,
                   struct tls_server **server_r, const char **error_r)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL) {
		*error_r = tls_last_error("SSL_CTX_new");
		return -1;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS) != 1) {
		*error_r = tls_last_error("SSL_CTX_set_cipher_list");
		SSL_CTX_free(ctx);
		return -1;
	}
	/* SMTP, POP3 and IMAP mark their own ends, so a peer that closes
	 * without close_notify is an EOF, not an error. */
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION |
	                             SSL_OP_NO_RENEGOTIATION |
	                             SSL_OP_CIPHER_SERVER_PREFERENCE |
	                             SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	static const unsigned char sid[] = "postroom";
	SSL_CTX_set_session_id_context(ctx, sid, sizeof(sid) - 1);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert_path) != 1) {
		*error_r = tls_last_error(cert_path);
		SSL_CTX_free(ctx);
		return -1;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key_path, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		*error_r = tls_last_error(key_path);
		SSL_CTX_free(ctx);
		return -1;
	}
	struct tls_server *server = xcalloc(1, sizeof(*server));
	server->ctx = ctx;
	*server_r = server;
	return 0;
}

void tls_server_free(struct tls_server **server)
{
	if (*server == NULL)
		return;
	SSL_CTX_free((*server)->ctx);
	free(*server);
	*server = NULL;
}

struct bufferevent *tls_bufferevent_new(struct event_base *base, int fd,
                                        struct tls_server *server)
{
	SSL *ssl = SSL_new(server->ctx);
	if (ssl == NULL)
		return NULL;
	struct bufferevent *bev = bufferevent_openssl_socket_new(
	    base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		SSL_free(ssl);
		return NULL;
	}
	/* Mail clients often close without close_notify; that is an EOF. */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

const char *tls_bufferevent_version(struct bufferevent *bev)
{
	SSL *ssl = bufferevent_openssl_get_ssl(bev);
	return ssl != NULL && SSL_is_init_finished(ssl) ? SSL_get_version(ssl)
	                                                : "";
}

const char *tls_bufferevent_cipher(struct bufferevent *bev)
{
	SSL *ssl = bufferevent_openssl_get_ssl(bev);
	const char *name = ssl != NULL && SSL_is_init_finished(ssl)
	                       ? SSL_get_cipher_name(ssl)
	                       : NULL;
	return name != NULL ? name : "";
}

void tls_bufferevent_error(struct bufferevent *bev, char *str, size_t size)
{
	unsigned long e = bufferevent_get_openssl_error(bev);
	if (e == 0)
		e = ERR_get_error();
	if (e == 0)
		snprintf(str, size, "connection closed during handshake");
	else
		ERR_error_string_n(e, str, size);
	ERR_clear_error();
}

/* ---- Self-signed certificate ------------------------------------------ */

static int selfsigned_add_ext(X509 *cert, int nid, const char *value)
{
	X509V3_CTX v3;
	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, cert, cert, NULL, NULL, 0);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	if (ext == NULL)
		return -1;
	int ret = X509_add_ext(cert, ext, -1) == 1 ? 0 : -1;
	X509_EXTENSION_free(ext);
	return ret;
}

static X509 *selfsigned_cert(EVP_PKEY *key, const char *hostname)
{
	X509 *cert = X509_new();
	unsigned char serial[16];
	if (cert == NULL || RAND_bytes(serial, sizeof(serial)) != 1)
		goto fail;
	serial[0] &= 0x7f; /* a positive INTEGER */
	BIGNUM *bn = BN_bin2bn(serial, sizeof(serial), NULL);
	ASN1_INTEGER *sn = bn != NULL ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
	BN_free(bn);
	if (sn == NULL || X509_set_serialNumber(cert, sn) != 1) {
		ASN1_INTEGER_free(sn);
		goto fail;
	}
	ASN1_INTEGER_free(sn);
	X509_set_version(cert, 2);
	X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
	X509_gmtime_adj(X509_getm_notAfter(cert), 10L * 365 * 24 * 3600);
	X509_NAME *name = X509_get_subject_name(cert);
	if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	                               (const unsigned char *)hostname, -1, -1,
	                               0) != 1 ||
	    X509_set_issuer_name(cert, name) != 1 ||
	    X509_set_pubkey(cert, key) != 1)
		goto fail;
	char *san = xasprintf("DNS:%s,DNS:localhost", hostname);
	int ret = selfsigned_add_ext(cert, NID_subject_alt_name, san);
	free(san);
	if (ret < 0 ||
	    selfsigned_add_ext(cert, NID_basic_constraints,
	                       "critical,CA:FALSE") < 0 ||
	    selfsigned_add_ext(cert, NID_key_usage,
	                       "critical,digitalSignature,keyEncipherment") <
	        0 ||
	    selfsigned_add_ext(cert, NID_ext_key_usage, "serverAuth") < 0 ||
	    X509_sign(cert, key, EVP_sha256()) == 0)
		goto fail;
	return cert;
fail:
	X509_free(cert);
	return NULL;
}

/* Writes the PEM made by write into path atomically with mode. */
static int selfsigned_write(const char *path, mode_t mode, EVP_PKEY *key,
                            X509 *cert)
{
	BIO *bio = BIO_new(BIO_s_mem());
	if (bio == NULL)
		return -1;
	int ok = key != NULL ? PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0,
	                                                NULL, NULL)
	                     : PEM_write_bio_X509(bio, cert);
	char *data = NULL;
	long len = BIO_get_mem_data(bio, &data);
	int ret = ok == 1 && len > 0
	              ? file_write_atomic(path, data, (size_t)len, mode)
	              : -1;
	OPENSSL_cleanse(data, len > 0 ? (size_t)len : 0);
	BIO_free(bio);
	return ret;
}

static int selfsigned_mkdir(const char *path)
{
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	int ret = 0;
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		ret = file_mkdirs(dir, 0700);
	}
	free(dir);
	return ret;
}

int tls_selfsigned_create(const char *cert_path, const char *key_path,
                          const char *hostname, const char **error_r)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	if (key == NULL) {
		*error_r = "cannot generate an EC P-256 key";
		return -1;
	}
	X509 *cert = selfsigned_cert(key, hostname);
	int ret = -1;
	if (cert == NULL)
		*error_r = "cannot build the certificate";
	else if (selfsigned_mkdir(key_path) < 0 ||
	         selfsigned_mkdir(cert_path) < 0)
		*error_r = "cannot create the tls folder";
	else if (selfsigned_write(key_path, 0600, key, NULL) < 0)
		*error_r = "cannot write the private key";
	else if (selfsigned_write(cert_path, 0644, NULL, cert) < 0)
		*error_r = "cannot write the certificate";
	else
		ret = 0;
	ERR_clear_error();
	X509_free(cert);
	EVP_PKEY_free(key);
	return ret;
}
