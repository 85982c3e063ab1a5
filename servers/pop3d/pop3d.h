/* pop3d: the POP3 server process (RFC 1939). One struct pop3d per process
 * holds what every connection shares; one struct pop3_client per
 * connection holds its state, and after login the snapshot of its maildrop
 * (INBOX) taken then: message numbers never change within a session.
 * main.c starts and stops the process, pop3_client.c reads and dispatches
 * commands, cmd_*.c implement them, pop3_maildrop.c locks, lists and
 * expunges the maildrop. */
#ifndef POP3D_POP3D_H
#define POP3D_POP3D_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/settings.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/net.h"
#include "pop3/pop3_dotstuff.h"
#include "pop3/pop3_syntax.h"
#include "store/store.h"

struct auth_request;
struct conn;
struct event_loop;
struct event_timer;
struct pool;
struct service;
struct service_slot;
struct tls_server;

#define POP3D_MAX_ERRORS 10    /* -ERR replies before disconnecting */
#define POP3D_READ_CHUNK 65536 /* bytes read from a blob at a time */

enum pop3d_service {
	POP3D_SERVICE_POP3,  /* 110: STLS */
	POP3D_SERVICE_POP3S, /* 995: implicit TLS */
};

struct pop3d {
	struct postroom_settings set;
	struct event_loop *loop;
	struct service *service;
	struct store *store;
	struct tls_server *tls;      /* NULL if the certificate did not load */
	char *lock_dir;              /* data_dir/run/pop3-locks */
	char *auth_socket;           /* data_dir/run/auth.sock (authd) */
	struct pop3_client *clients; /* doubly linked */
	unsigned next_id;
	unsigned char read_buf[POP3D_READ_CHUNK];
};

enum pop3_state {
	POP3_STATE_AUTHORIZATION,
	POP3_STATE_TRANSACTION,
};

enum pop3_sasl {
	POP3_SASL_NONE,
	POP3_SASL_PLAIN,      /* waiting for the PLAIN response */
	POP3_SASL_LOGIN_USER, /* waiting for the LOGIN user name */
	POP3_SASL_LOGIN_PASS, /* waiting for the LOGIN password */
};

struct pop3_message {
	uint32_t uid;
	uint64_t size;
	char blob_id[STORE_BLOB_ID_LEN + 1];
	char guid[33];
	bool is_deleted;
};

struct pop3_client {
	struct pop3d *pop3d;
	struct pop3_client *prev, *next;
	struct conn *conn;
	enum pop3d_service service;
	unsigned id;
	struct log log;
	char addr[NET_ADDR_STR_MAX];
	bool is_loopback;
	struct service_slot *slot; /* in the service's counts, or NULL */
	struct pool *pool;     /* the connection's */
	struct pool *cmd_pool; /* cleared after each command */
	struct buf out;        /* a reply being formatted */
	enum pop3_state state;
	unsigned errors;
	unsigned commands;
	const char *close_reason;

	/* AUTHORIZATION */
	char *user; /* USER's argument (heap) */
	enum pop3_sasl sasl;
	const char *sasl_mech;
	char *login_user;               /* AUTH LOGIN's first answer */
	struct event_timer *auth_timer; /* delays a failure reply */
	bool is_auth_waiting;           /* nothing is read meanwhile */
	struct auth_request *auth_req;  /* a password check at authd */

	/* TRANSACTION */
	char *account_addr; /* heap */
	struct store_account *account;
	int lock_fd;
	struct pop3_message *msgs;
	uint32_t msg_count;
	uint32_t deleted_count;
	uint64_t deleted_size;
	uint64_t total_size;
	unsigned retrieved;

	/* RETR/TOP in progress */
	int stream_fd;
	struct pop3_dotstuff stuff;
};

typedef void pop3_cmd_func(struct pop3_client *client,
                           const struct pop3_command *cmd);

/* ---- pop3_client.c ---- */
/* Takes a new connection (fd is owned from now on). */
void pop3_client_accept(struct pop3d *pop3d, enum pop3d_service service, int fd,
                        const struct sockaddr *addr);
/* SIGTERM: closes every session that is between commands, and the rest
 * once their current response is written. */
void pop3_client_shutdown_all(struct pop3d *pop3d);
/* Grace period over: closes every connection now (nothing is expunged). */
void pop3_client_close_all(struct pop3d *pop3d);
/* Writes and clears client->out. */
void pop3_client_flush(struct pop3_client *client);
void pop3_client_ok(struct pop3_client *client, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Counts an error and, past POP3D_MAX_ERRORS, disconnects. */
void pop3_client_err(struct pop3_client *client, const char *code,
                     const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Writes what is pending and closes after it is sent. */
void pop3_client_close(struct pop3_client *client, const char *reason);
/* Plaintext USER/PASS and AUTH allowed: TLS, or a loopback peer with
 * plaintext_auth_loopback. */
bool pop3_client_can_auth(const struct pop3_client *client);
/* Looks up a message number argument in the snapshot. Returns the message,
 * or NULL after replying -ERR (bad number, no such or deleted message). */
struct pop3_message *pop3_client_message(struct pop3_client *client,
                                         const char *arg);

/* ---- cmd_*.c: one function per command ---- */
void cmd_user(struct pop3_client *client, const struct pop3_command *cmd);
void cmd_pass(struct pop3_client *client, const struct pop3_command *cmd);
void cmd_auth(struct pop3_client *client, const struct pop3_command *cmd);
/* A line while an AUTH exchange waits for a client response. */
void cmd_auth_response(struct pop3_client *client, const char *line);
void cmd_capa(struct pop3_client *client, const struct pop3_command *cmd);
void cmd_stls(struct pop3_client *client, const struct pop3_command *cmd);
void cmd_quit(struct pop3_client *client, const struct pop3_command *cmd);
void cmd_noop(struct pop3_client *client, const struct pop3_command *cmd);
void cmd_rset(struct pop3_client *client, const struct pop3_command *cmd);
void cmd_dele(struct pop3_client *client, const struct pop3_command *cmd);
void cmd_stat(struct pop3_client *client, const struct pop3_command *cmd);
void cmd_list(struct pop3_client *client, const struct pop3_command *cmd);
void cmd_uidl(struct pop3_client *client, const struct pop3_command *cmd);
void cmd_retr(struct pop3_client *client, const struct pop3_command *cmd);
void cmd_top(struct pop3_client *client, const struct pop3_command *cmd);
/* Continues a RETR/TOP response while output has room. Returns true when
 * it is finished (or the connection is closing). */
bool cmd_retr_continue(struct pop3_client *client);

/* ---- pop3_maildrop.c ---- */
/* Locks the maildrop of address for this session (flock on
 * lock_dir/<account id>, released when the fd closes or the process dies),
 * opens the account and takes the snapshot of INBOX. Returns 1 on success,
 * 0 if another session holds the lock, -1 on a storage failure (logged). */
int pop3_maildrop_open(struct pop3_client *client,
                       const struct store_account_info *info);
/* UPDATE state (RFC 1939 §6): expunges the messages marked deleted.
 * Returns how many went, or -1 (logged). */
int pop3_maildrop_expunge(struct pop3_client *client);
/* Closes the account and drops the lock; nothing is expunged. */
void pop3_maildrop_close(struct pop3_client *client);

#endif
