/* sieved: the ManageSieve server process (RFC 5804), through which users
 * manage the Sieve scripts that deliver runs (doc/rules.md). One struct
 * sieved per process holds what every connection shares; one struct
 * sieved_client per connection holds its state, and after login the open
 * account whose scripts it manages (lib/store/store_sieve.h). main.c starts
 * and stops the process, sieved_client.c reads and dispatches commands
 * (lib/managesieve parses and formats), cmd_auth.c logs in through authd,
 * cmd_session.c has CAPABILITY, STARTTLS, NOOP and LOGOUT, cmd_script.c
 * the script commands with their quotas, checked by lib/rules. */
#ifndef SIEVED_SIEVED_H
#define SIEVED_SIEVED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/settings.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/net.h"
#include "managesieve/managesieve_parser.h"
#include "managesieve/managesieve_reply.h"
#include "rules/sieve.h"

struct auth_request;
struct conn;
struct event_loop;
struct event_timer;
struct pool;
struct service;
struct service_slot;
struct store;
struct store_account;
struct tls_server;

#define SIEVED_MAX_ERRORS 10 /* protocol errors before BYE */
#define SIEVED_MAX_LINE 8192 /* bytes of a command outside literals */

struct sieved {
	struct postroom_settings set;
	struct event_loop *loop;
	struct service *service;
	struct store *store;
	struct tls_server *tls;      /* NULL if the certificate did not load */
	char *auth_socket;           /* data_dir/run/auth.sock (authd) */
	struct sieve_settings sieve; /* what scripts are compiled with */
	struct sieved_client *clients; /* doubly linked */
	unsigned next_id;
};

enum sieved_state {
	SIEVED_STATE_NOT_AUTH,
	SIEVED_STATE_AUTH,
};

enum sieved_sasl {
	SIEVED_SASL_NONE,
	SIEVED_SASL_PLAIN,      /* waiting for the PLAIN response */
	SIEVED_SASL_LOGIN_USER, /* waiting for the LOGIN user name */
	SIEVED_SASL_LOGIN_PASS, /* waiting for the LOGIN password */
};

struct sieved_client {
	struct sieved *sieved;
	struct sieved_client *prev, *next;
	struct conn *conn;
	unsigned id;
	struct log log;
	char addr[NET_ADDR_STR_MAX];
	bool is_loopback;
	struct service_slot *slot; /* in the service's counts, or NULL */
	struct pool *cmd_pool;     /* cleared after each command */
	struct buf out;            /* a response being formatted */
	struct managesieve_parser *parser;
	enum sieved_state state;
	unsigned errors;
	unsigned commands;
	const char *close_reason;
	bool is_logout; /* LOGOUT: nothing more is read */

	/* AUTHENTICATE */
	enum sieved_sasl sasl;
	const char *sasl_mech;
	char *login_user;               /* LOGIN's first answer (heap) */
	struct event_timer *auth_timer; /* delays a failure reply */
	bool is_auth_waiting;           /* nothing is read meanwhile */
	struct auth_request *auth_req;  /* a password check at authd */

	/* after login */
	char *user; /* the account's address (heap) */
	struct store_account *account;
};

/* One command: its arguments after the name. */
typedef void sieved_cmd_func(struct sieved_client *client,
                             const struct managesieve_token *args,
                             size_t count);

/* ---- sieved_client.c ---- */
/* Takes a new connection (fd is owned from now on). */
void sieved_client_accept(struct sieved *sieved, int fd,
                          const struct sockaddr *addr);
/* SIGTERM: BYE to every session between commands; the others get it once
 * their command is done. */
void sieved_client_shutdown_all(struct sieved *sieved);
/* Grace period over: closes every connection now. */
void sieved_client_close_all(struct sieved *sieved);
/* Writes and clears client->out. */
void sieved_client_flush(struct sieved_client *client);
/* Appends a response: OK, or NO with code (may be NULL) and the text of
 * fmt, then flushes. */
void sieved_client_ok(struct sieved_client *client, const char *code,
                      const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void sieved_client_no(struct sieved_client *client, const char *code,
                      const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* NO for a protocol error (bad syntax, unknown command, wrong state):
 * counted, and past SIEVED_MAX_ERRORS the session gets BYE. */
void sieved_client_bad(struct sieved_client *client, const char *text);
/* BYE with code (may be NULL) and text, then close after the flush. */
void sieved_client_bye(struct sieved_client *client, const char *code,
                       const char *text, const char *reason);
/* The capability list as this session should see it now, no OK. */
void sieved_client_capabilities(struct sieved_client *client);
/* A login may be attempted: TLS, or loopback with
 * plaintext_auth_loopback (RFC 5804 §2.1: PLAIN only under TLS). */
bool sieved_client_can_auth(const struct sieved_client *client);
/* Logs in or out (cmd_auth.c): after login literals may be as large as a
 * script, before it only as an AUTHENTICATE response. Call between
 * commands. */
void sieved_client_state_set(struct sieved_client *client,
                             enum sieved_state state);
/* Input was paused for a password check: reads what is waiting. */
void sieved_client_resume(struct sieved_client *client);

/* ---- cmd_*.c: one function per command ---- */
void cmd_capability(struct sieved_client *c,
                    const struct managesieve_token *args, size_t count);
void cmd_starttls(struct sieved_client *c, const struct managesieve_token *args,
                  size_t count);
void cmd_noop(struct sieved_client *c, const struct managesieve_token *args,
              size_t count);
void cmd_logout(struct sieved_client *c, const struct managesieve_token *args,
                size_t count);
void cmd_authenticate(struct sieved_client *c,
                      const struct managesieve_token *args, size_t count);
/* A line while AUTHENTICATE waits for the client's response. */
void cmd_authenticate_response(struct sieved_client *c,
                               const struct managesieve_token *args,
                               size_t count);
void cmd_unauthenticate(struct sieved_client *c,
                        const struct managesieve_token *args, size_t count);
void cmd_havespace(struct sieved_client *c,
                   const struct managesieve_token *args, size_t count);
void cmd_putscript(struct sieved_client *c,
                   const struct managesieve_token *args, size_t count);
void cmd_checkscript(struct sieved_client *c,
                     const struct managesieve_token *args, size_t count);
void cmd_listscripts(struct sieved_client *c,
                     const struct managesieve_token *args, size_t count);
void cmd_setactive(struct sieved_client *c,
                   const struct managesieve_token *args, size_t count);
void cmd_getscript(struct sieved_client *c,
                   const struct managesieve_token *args, size_t count);
void cmd_deletescript(struct sieved_client *c,
                      const struct managesieve_token *args, size_t count);
void cmd_renamescript(struct sieved_client *c,
                      const struct managesieve_token *args, size_t count);
/* Closes the account of a logged-in session (LOGOUT, UNAUTHENTICATE, the
 * end of the connection). */
void cmd_auth_logout(struct sieved_client *c);

#endif
