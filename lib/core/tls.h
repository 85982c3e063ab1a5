/* TLS for every server (OpenSSL 3, TLS 1.2 and later): a server context
 * loaded from PEM files, the self-signed pair the master makes on first
 * start, OCSP stapling, and the TLS bufferevents that lib/core's
 * connection layer puts under a struct conn for implicit TLS and STARTTLS
 * (RFC 3207, RFC 8314). OpenSSL is used nowhere else (STYLE.md §2). */
#ifndef CORE_TLS_H
#define CORE_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct tls_server;
struct tls_client;
struct bufferevent;
struct event_base;

/* Loads the certificate chain and private key (PEM) into a server context
 * that allows TLS 1.2 and 1.3 only, and in TLS 1.2 only ECDHE with
 * AES-GCM or ChaCha20-Poly1305. Returns 0 with *server_r, or -1 with
 * *error_r (a heap-free string that lives until the next call). */
int tls_server_new(const char *cert_path, const char *key_path,
                   struct tls_server **server_r, const char **error_r);
/* Frees; sets *server to NULL; accepts NULL. Connections that use it keep
 * their own reference to the OpenSSL context. */
void tls_server_free(struct tls_server **server);

/* Staples the OCSP response cached in path (DER, as tls_ocsp_fetch writes
 * it) to the handshake of each client that asks (status_request, RFC 6066
 * §8), while it says "good" for this server's certificate and its
 * nextUpdate has not passed. The file is looked at (stat) at each such
 * handshake and read again when it changed, so a refreshed response needs
 * no restart; without a current one nothing is stapled. Returns 1, or 0
 * when the certificate names no OCSP responder or its issuer is not in the
 * chain file (nothing to staple), or -1 on failure. */
int tls_server_set_ocsp_file(struct tls_server *server, const char *path);

/* ---- The self-signed certificate (tls_selfsigned.c) ----------------- */

/* Makes a self-signed certificate (EC P-256, SHA-256, valid 10 years,
 * subject CN=hostname, O=Postroom self-signed) whose subjectAltName names
 * hostname and localhost, and writes key_path (a new key, mode 0600) and
 * then cert_path (0644), each atomically; missing parent folders are
 * created with mode 0700. Returns 0, or -1 with a static reason in
 * *error_r. */
int tls_selfsigned_create(const char *cert_path, const char *key_path,
                          const char *hostname, const char **error_r);
/* The same, naming also each of the addr_count numeric IPv4 or IPv6 addrs
 * (the addresses the server listens on). */
int tls_selfsigned_create_addrs(const char *cert_path, const char *key_path,
                                const char *hostname,
                                const char *const *addrs, size_t addr_count,
                                const char **error_r);
/* The same for the key already in key_path: writes cert_path only, so a
 * client that pinned the public key still accepts it. Returns 0, or -1
 * with a static reason in *error_r. */
int tls_selfsigned_renew(const char *cert_path, const char *key_path,
                         const char *hostname, const char *const *addrs,
                         size_t addr_count, const char **error_r);
/* Whether cert_path is a self-signed certificate that this code made, now
 * or in an earlier version (subject CN alone or with O=Postroom
 * self-signed, CA:FALSE, DNS:localhost, signed by the key in key_path),
 * and names hostname and every address. Returns 1 when it does, 0 when it
 * is ours but lacks one (*missing_r names it, "IP:127.0.0.1"; static), or
 * -1 when it is another certificate or cannot be read. */
int tls_selfsigned_check(const char *cert_path, const char *key_path,
                         const char *hostname, const char *const *addrs,
                         size_t addr_count, const char **missing_r);

/* ---- OCSP (tls_ocsp.c) ---------------------------------------------- */

/* The first OCSP responder URL in the Authority Information Access of the
 * first certificate in cert_path (heap), or NULL when it names none or the
 * file cannot be read. */
char *tls_ocsp_responder(const char *cert_path);
/* Asks that responder, over HTTP (a proxy from $http_proxy, $no_proxy),
 * about the first certificate of cert_path; its issuer must follow it in
 * the file. Blocks for up to timeout_secs: for the ocspd helper, never an
 * event loop. Writes the response to path (0644, atomically) only when it
 * is signed by the issuer or a responder the issuer delegated to (RFC 6960
 * §4.2.2.2), is for this certificate, says "good", and is current. Returns
 * 0 with its thisUpdate and nextUpdate (0 when it has none), or -1 with a
 * reason in *error_r (static; lives until the next call). */
int tls_ocsp_fetch(const char *cert_path, const char *path,
                   unsigned timeout_secs, time_t *this_update_r,
                   time_t *next_update_r, const char **error_r);
/* Checks the response cached in path as tls_ocsp_fetch checks a new one.
 * Returns 1 with its times, 0 when there is no file, or -1 with a static
 * reason in *error_r. */
int tls_ocsp_cached(const char *cert_path, const char *path,
                    time_t *this_update_r, time_t *next_update_r,
                    const char **error_r);

/* For lib/core/conn.c: a bufferevent that runs the server side of a TLS
 * handshake on fd and then carries the decrypted stream. It owns fd (closed
 * when freed). Returns NULL on failure. */
struct bufferevent *tls_bufferevent_new(struct event_base *base, int fd,
                                        struct tls_server *server);
/* The negotiated protocol ("TLSv1.3") and cipher of a TLS bufferevent;
 * static strings, "" before the handshake is done. */
const char *tls_bufferevent_version(struct bufferevent *bev);
const char *tls_bufferevent_cipher(struct bufferevent *bev);
/* Describes the last OpenSSL error of bev into str (NUL-terminated). */
void tls_bufferevent_error(struct bufferevent *bev, char *str, size_t size);

/* ---- Client side (tls_client.c) ------------------------------------- */

/* A client context: TLS 1.2 and later, the system trust store, and no
 * verification failure that stops a handshake (the outcome is kept for
 * tls_bufferevent_is_verified). Returns 0 with *client_r, or -1 with a
 * static reason in *error_r. */
int tls_client_new(struct tls_client **client_r, const char **error_r);
/* Frees; sets *client to NULL; accepts NULL. */
void tls_client_free(struct tls_client **client);
/* For lib/core/conn.c: a bufferevent that runs the client side of a TLS
 * handshake on the connected fd, sending servername as SNI and checking
 * the certificate against it. Owns fd. Returns NULL on failure. */
struct bufferevent *tls_client_bufferevent_new(struct event_base *base, int fd,
                                               struct tls_client *client,
                                               const char *servername);
/* Returns true once the handshake is done if the peer's certificate chain
 * verified against the trust store and matched servername. */
bool tls_bufferevent_is_verified(struct bufferevent *bev);

/* A client context like tls_client_new's, but trusting ca_file (PEM) when
 * it is not NULL instead of the system store, and, with is_verify_required,
 * failing the handshake when the certificate does not verify or does not
 * match servername (for the user's own submission server, RFC 8314 §4.1).
 * Returns 0 with *client_r, or -1 with a reason in *error_r (static; the
 * text for a bad ca_file lives until the next call). */
int tls_client_new_verify(const char *ca_file, bool is_verify_required,
                          struct tls_client **client_r, const char **error_r);
/* Why the last certificate check made with this context failed
 * ("self-signed certificate", "hostname mismatch"), or "" if it did not.
 * XXX: kept per context, so a context shared by sessions running at the
 * same time may report another session's reason. */
const char *tls_client_verify_error(const struct tls_client *client);
/* The kind of the last certificate check's failure, for reports (RFC
 * 8460 §4.3 result types). */
enum tls_verify_kind {
	TLS_VERIFY_OK,
	TLS_VERIFY_HOST_MISMATCH, /* the name does not match */
	TLS_VERIFY_EXPIRED,       /* expired or not yet valid */
	TLS_VERIFY_UNTRUSTED,     /* self-signed, unknown issuer */
	TLS_VERIFY_DANE_NO_MATCH, /* no TLSA record matched */
	TLS_VERIFY_OTHER,
};
enum tls_verify_kind tls_client_verify_kind(const struct tls_client *client);

/* A TLSA record for DANE (RFC 6698 §2.1). */
struct tls_dane_record {
	unsigned char usage, selector, mtype;
	unsigned char *data;
	size_t len;
};

/* A client for one connection: it shares parent's context (trust anchors,
 * verify mode) but keeps its own verification outcome, so sessions that
 * run at once cannot see each other's. With count > 0 the connection is
 * DANE-authenticated (RFC 7672 §3) against tlsa[0..count) (copied) with
 * dane_base as the TLSA base domain (the MX host name); it then verifies
 * only when a record matches, and a connection none of whose records
 * OpenSSL can use does not start. Free with tls_client_free before the
 * parent. Returns 0 with *client_r, or -1. */
int tls_client_peer_new(struct tls_client *parent, const char *dane_base,
                        const struct tls_dane_record *tlsa, size_t count,
                        struct tls_client **client_r);

/* A short English text for an X509_V_ERR_* code; static. */
const char *tls_verify_error_text(long code);

#endif
