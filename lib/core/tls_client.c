/* The client side of TLS for relay's STARTTLS (RFC 3207 §4, RFC 8314):
 * one OpenSSL context (TLS 1.2 and later, the system's trust store, SNI).
 * Verification never blocks the handshake here (SSL_VERIFY_NONE); its
 * outcome, including the host name check, is recorded so the caller can
 * log it or apply a policy (doc/smtp.md says which one relay applies). */
#include "core/tls.h"
#include "core/xmalloc.h"

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tls_client {
	SSL_CTX *ctx;
};

int tls_client_new(struct tls_client **client_r, const char **error_r)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL) {
		*error_r = "cannot make a TLS client context";
		return -1;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION |
	                             SSL_OP_NO_RENEGOTIATION |
	                             SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	/* Without a trust store every peer counts as unverified. */
	(void)SSL_CTX_set_default_verify_paths(ctx);
	ERR_clear_error();
	struct tls_client *client = xcalloc(1, sizeof(*client));
	client->ctx = ctx;
	*client_r = client;
	return 0;
}

void tls_client_free(struct tls_client **client)
{
	if (*client == NULL)
		return;
	SSL_CTX_free((*client)->ctx);
	free(*client);
	*client = NULL;
}

struct bufferevent *tls_client_bufferevent_new(struct event_base *base, int fd,
                                               struct tls_client *client,
                                               const char *servername)
{
	SSL *ssl = SSL_new(client->ctx);
	if (ssl == NULL)
		return NULL;
	if (servername != NULL && servername[0] != '\0') {
		(void)SSL_set_tlsext_host_name(ssl, servername);
		(void)SSL_set1_host(ssl, servername);
	}
	struct bufferevent *bev = bufferevent_openssl_socket_new(
	    base, fd, ssl, BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		SSL_free(ssl);
		return NULL;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

bool tls_bufferevent_is_verified(struct bufferevent *bev)
{
	SSL *ssl = bufferevent_openssl_get_ssl(bev);
	if (ssl == NULL || !SSL_is_init_finished(ssl))
		return false;
	X509 *cert = SSL_get0_peer_certificate(ssl);
	return cert != NULL && SSL_get_verify_result(ssl) == X509_V_OK;
}
