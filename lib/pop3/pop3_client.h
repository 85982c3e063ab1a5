/* The POP3 client engine (RFC 1939, RFC 2449 CAPA, RFC 2595 STLS, RFC 5034
 * AUTH PLAIN) for the terminal client: one command at a time over a
 * blocking struct tls_stream. Multi-line answers are read with the
 * termination octet removed and dot-stuffing undone (RFC 1939 §3).
 * Policy-free: the caller decides what to fetch and delete. */
#ifndef POP3_POP3_CLIENT_H
#define POP3_POP3_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct tls_stream;
struct pop3_client;

struct pop3_client_settings {
	size_t max_message; /* bytes of one RETR; 0: 64 MiB */
};

/* Takes ownership of stream; set is copied. */
struct pop3_client *pop3_client_new(struct tls_stream *stream,
                                    const struct pop3_client_settings *set);
/* Closes without QUIT (the server then deletes nothing); sets *client to
 * NULL; accepts NULL. */
void pop3_client_free(struct pop3_client **client);

/* Each returns 0 on +OK, -1 otherwise with *error_r (the server's -ERR text
 * or the connection problem; lives until the next command). */

/* Reads the +OK greeting. */
int pop3_client_greeting(struct pop3_client *c, const char **error_r);
/* CAPA; a server without CAPA leaves an empty list (not an error). */
int pop3_client_capa(struct pop3_client *c, const char **error_r);
/* Is cap ("STLS", "UIDL", "SASL PLAIN" matches "SASL PLAIN LOGIN")
 * offered? Case-insensitive. */
bool pop3_client_has(const struct pop3_client *c, const char *cap);
/* STLS, the handshake, then CAPA again. */
int pop3_client_stls(struct pop3_client *c, const char **error_r);
/* AUTH PLAIN with initial response when SASL PLAIN is offered, else
 * USER/PASS. *is_refused_r is true when the server refused the
 * credentials (as opposed to a connection problem). */
int pop3_client_login(struct pop3_client *c, const char *user,
                      const char *password, bool *is_refused_r,
                      const char **error_r);
int pop3_client_stat(struct pop3_client *c, unsigned *count_r,
                     uint64_t *size_r, const char **error_r);
typedef void pop3_client_uidl_cb(unsigned msgno, const char *uidl, void *ctx);
/* UIDL for all messages; cb once per message in order. */
int pop3_client_uidl(struct pop3_client *c, pop3_client_uidl_cb *cb, void *ctx,
                     const char **error_r);
typedef void pop3_client_list_cb(unsigned msgno, uint64_t size, void *ctx);
int pop3_client_list(struct pop3_client *c, pop3_client_list_cb *cb, void *ctx,
                     const char **error_r);
/* RETR msgno: appends the message (CRLF lines, unstuffed) to out. */
int pop3_client_retr(struct pop3_client *c, unsigned msgno, struct buf *out,
                     const char **error_r);
int pop3_client_dele(struct pop3_client *c, unsigned msgno,
                     const char **error_r);
/* QUIT (the server commits DELEs), then frees *client. Returns 0 if the
 * server answered +OK. */
int pop3_client_quit(struct pop3_client **client, const char **error_r);

#endif
