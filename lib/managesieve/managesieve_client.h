/* A ManageSieve client (RFC 5804): one command at a time over a
 * tls_stream, the greeting's and CAPABILITY's list kept (§1.7), STARTTLS
 * (§2.2), AUTHENTICATE PLAIN with its initial response as an argument
 * (§2.1, RFC 4616), LISTSCRIPTS, GETSCRIPT, PUTSCRIPT, CHECKSCRIPT,
 * SETACTIVE, DELETESCRIPT and LOGOUT. Responses are read as §4 writes
 * them: OK/NO/BYE with a response code and a string, quoted strings and
 * literals {n} (literal-s2c). Arguments go as quoted strings when they
 * may, else as non-synchronizing literals {n+} (literal-c2s), scripts
 * always as literals. Invariant: after a read error or a BYE the stream
 * is out of step and every later command fails at once.
 *
 * Every command returns 0 on OK, 1 on NO (the server's text in *error_r,
 * "line 2, column 3: ..." for a script that does not compile), -1 on a
 * BYE, an I/O or a protocol error (*error_r says which); error strings
 * live until the next command. managesieve_client_last_code() gives the
 * last response's code ("QUOTA/MAXSIZE", "NONEXISTENT"...), or NULL. */
#ifndef MANAGESIEVE_MANAGESIEVE_CLIENT_H
#define MANAGESIEVE_MANAGESIEVE_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

struct buf;
struct pool;
struct tls_stream;
struct managesieve_client;

struct managesieve_client_settings {
	size_t max_literal; /* octets of one literal from the server (0: 1 MiB) */
};

struct managesieve_script {
	const char *name;
	bool is_active;
};

/* A client on stream (which stays the caller's); settings may be NULL. */
struct managesieve_client *
managesieve_client_new(struct tls_stream *stream,
                       const struct managesieve_client_settings *set);
/* Frees; sets *client to NULL; accepts NULL. */
void managesieve_client_free(struct managesieve_client **client);

/* Reads the greeting: the capability list and its OK. */
int managesieve_client_greeting(struct managesieve_client *c,
                                const char **error_r);
/* The value of capability name (case-insensitive): "" when it has none,
 * NULL when the server does not offer it. */
const char *managesieve_client_capability(const struct managesieve_client *c,
                                          const char *name);
/* STARTTLS, the TLS handshake, then the capabilities sent again. */
int managesieve_client_starttls(struct managesieve_client *c,
                                const char **error_r);
/* AUTHENTICATE "PLAIN" with the initial response (SASL-IR). */
int managesieve_client_login(struct managesieve_client *c, const char *user,
                             const char *password, const char **error_r);

/* LISTSCRIPTS: *scripts_r (from pool) and *count_r. */
int managesieve_client_listscripts(struct managesieve_client *c,
                                   struct pool *pool,
                                   struct managesieve_script **scripts_r,
                                   size_t *count_r, const char **error_r);
/* GETSCRIPT: appends the script to out. */
int managesieve_client_getscript(struct managesieve_client *c,
                                 const char *name, struct buf *out,
                                 const char **error_r);
int managesieve_client_putscript(struct managesieve_client *c,
                                 const char *name, const void *data,
                                 size_t size, const char **error_r);
int managesieve_client_checkscript(struct managesieve_client *c,
                                   const void *data, size_t size,
                                   const char **error_r);
/* SETACTIVE; name "" makes no script active. */
int managesieve_client_setactive(struct managesieve_client *c,
                                 const char *name, const char **error_r);
int managesieve_client_deletescript(struct managesieve_client *c,
                                    const char *name, const char **error_r);
/* LOGOUT; the answer is read when it comes, errors are not reported. */
void managesieve_client_logout(struct managesieve_client *c);

const char *managesieve_client_last_code(const struct managesieve_client *c);

#endif
