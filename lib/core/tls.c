/* OpenSSL 3 server contexts and TLS bufferevents (libevent_openssl).
 * Minimum protocol TLS 1.2 (RFC 8996 retires 1.0 and 1.1); in TLS 1.2 only
 * ECDHE with AEAD ciphers (RFC 9325 §4.2), TLS 1.3's suites as OpenSSL
 * has them (all AEAD); no compression, no renegotiation. The self-signed
 * certificate is tls_selfsigned.c's, OCSP stapling tls_ocsp.c's. */
#include "core/tls.h"
#include "core/tls_private.h"
#include "core/xmalloc.h"

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
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

int tls_server_set_ocsp_file(struct tls_server *server, const char *path)
{
	return tls_ocsp_staple_attach(server->ctx, path);
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
