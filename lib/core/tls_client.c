/* The client side of TLS for relay's STARTTLS (RFC 3207 §4, RFC 8314):
 * one OpenSSL context (TLS 1.2 and later, the system's trust store, SNI),
 * and peer clients on it, one per connection, with their own outcome and,
 * for DANE (RFC 7672), the peer's TLSA records (OpenSSL's DANE support).
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
	SSL_CTX *ctx;      /* a peer client holds a reference to its parent's */
	long verify_error; /* X509_V_OK, or the first failure of the last
	                      check (tls_client_verify_error) */
	char *dane_base;   /* DANE: the TLSA base domain, or NULL */
	struct tls_dane_record *tlsa;
	size_t tlsa_count;
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
	/* for the connections tls_client_peer_new gives TLSA records */
	(void)SSL_CTX_dane_enable(ctx);
	ERR_clear_error();
	struct tls_client *client = xcalloc(1, sizeof(*client));
	client->ctx = ctx;
	SSL_CTX_set_app_data(ctx, client);
	*client_r = client;
	return 0;
}

void tls_client_free(struct tls_client **client)
{
	if (*client == NULL)
		return;
	SSL_CTX_free((*client)->ctx);
	for (size_t i = 0; i < (*client)->tlsa_count; i++)
		free((*client)->tlsa[i].data);
	free((*client)->tlsa);
	free((*client)->dane_base);
	free(*client);
	*client = NULL;
}

int tls_client_peer_new(struct tls_client *parent, const char *dane_base,
                        const struct tls_dane_record *tlsa, size_t count,
                        struct tls_client **client_r)
{
	struct tls_client *client = xcalloc(1, sizeof(*client));
	if (SSL_CTX_up_ref(parent->ctx) != 1) {
		free(client);
		return -1;
	}
	client->ctx = parent->ctx;
	if (count > 0) {
		client->dane_base = xstrdup(dane_base);
		client->tlsa = xcalloc(count, sizeof(*client->tlsa));
		for (size_t i = 0; i < count; i++) {
			client->tlsa[i] = tlsa[i];
			client->tlsa[i].data = xmalloc(tlsa[i].len + 1);
			memcpy(client->tlsa[i].data, tlsa[i].data, tlsa[i].len);
		}
		client->tlsa_count = count;
	}
	*client_r = client;
	return 0;
}

/* RFC 7672 §3: the TLSA records of a DANE peer on ssl; DANE-EE(3) is
 * matched without name checks (§3.2.1), DANE-TA(2) chains to its anchor
 * and names the base domain (§3.2.2). Returns 0, or -1 when none is
 * usable. */
static int tls_client_dane_setup(SSL *ssl, const struct tls_client *client)
{
	size_t usable = 0;
	if (SSL_dane_enable(ssl, client->dane_base) <= 0)
		return -1;
	(void)SSL_dane_set_flags(ssl, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
	for (size_t i = 0; i < client->tlsa_count; i++) {
		const struct tls_dane_record *t = &client->tlsa[i];
		if (SSL_dane_tlsa_add(ssl, t->usage, t->selector, t->mtype,
		                      t->data, t->len) > 0)
			usable++;
	}
	ERR_clear_error();
	return usable > 0 ? 0 : -1;
}

struct bufferevent *tls_client_bufferevent_new(struct event_base *base, int fd,
                                               struct tls_client *client,
                                               const char *servername)
{
	SSL *ssl = SSL_new(client->ctx);
	if (ssl == NULL)
		return NULL;
	client->verify_error = X509_V_OK;
	SSL_set_app_data(ssl, client);
	if (servername != NULL && servername[0] != '\0') {
		(void)SSL_set_tlsext_host_name(ssl, servername);
		/* with DANE the base domain is the name checked */
		if (client->tlsa_count == 0)
			(void)SSL_set1_host(ssl, servername);
	}
	if (client->tlsa_count > 0 && tls_client_dane_setup(ssl, client) < 0) {
		SSL_free(ssl);
		return NULL;
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

/* Records the first reason a chain failed; the handshake goes on or stops
 * as the context's verify mode says. */
static int tls_client_verify_cb(int is_ok, X509_STORE_CTX *store)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(
	    store, SSL_get_ex_data_X509_STORE_CTX_idx());
	/* the connection's own client (a peer's), else the context's */
	struct tls_client *client = ssl != NULL ? SSL_get_app_data(ssl) : NULL;
	if (client == NULL && ssl != NULL)
		client = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
	if (!is_ok && client != NULL && client->verify_error == X509_V_OK)
		client->verify_error = X509_STORE_CTX_get_error(store);
	return is_ok;
}

int tls_client_new_verify(const char *ca_file, bool is_verify_required,
                          struct tls_client **client_r, const char **error_r)
{
	static char error[300];
	struct tls_client *client;
	if (tls_client_new(&client, error_r) < 0)
		return -1;
	if (ca_file != NULL) {
		/* Only the given anchors: drop the system store. */
		X509_STORE *store = X509_STORE_new();
		SSL_CTX_set_cert_store(client->ctx, store);
		if (SSL_CTX_load_verify_locations(client->ctx, ca_file, NULL) !=
		    1) {
			unsigned long e = ERR_get_error();
			const char *reason = ERR_reason_error_string(e);
			snprintf(error, sizeof(error), "cannot load %s: %s",
			         ca_file, reason != NULL ? reason : "error");
			ERR_clear_error();
			tls_client_free(&client);
			*error_r = error;
			return -1;
		}
	}
	SSL_CTX_set_verify(
	    client->ctx, is_verify_required ? SSL_VERIFY_PEER : SSL_VERIFY_NONE,
	    tls_client_verify_cb);
	*client_r = client;
	return 0;
}

const char *tls_client_verify_error(const struct tls_client *client)
{
	if (client->verify_error == X509_V_OK)
		return "";
	return tls_verify_error_text(client->verify_error);
}

enum tls_verify_kind tls_client_verify_kind(const struct tls_client *client)
{
	switch (client->verify_error) {
	case X509_V_OK:
		return TLS_VERIFY_OK;
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
		return TLS_VERIFY_HOST_MISMATCH;
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return TLS_VERIFY_EXPIRED;
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_CERT_UNTRUSTED:
		return TLS_VERIFY_UNTRUSTED;
	case X509_V_ERR_DANE_NO_MATCH:
		return TLS_VERIFY_DANE_NO_MATCH;
	default:
		return TLS_VERIFY_OTHER;
	}
}

const char *tls_verify_error_text(long code)
{
	switch (code) {
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
		return "self-signed certificate";
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
		return "self-signed certificate in chain";
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
		return "hostname mismatch";
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return "certificate has expired";
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return "certificate is not yet valid";
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
		return "unable to get local issuer certificate";
	case X509_V_ERR_DANE_NO_MATCH:
		return "no TLSA record matches the certificate";
	default:
		return X509_verify_cert_error_string(code);
	}
}
