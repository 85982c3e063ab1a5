/* smtpd: the SMTP server process (DESIGN.md). One struct smtpd per process
 * holds what every connection shares; one struct smtpd_client per
 * connection carries its policy state. main.c starts and stops the
 * process, smtpd_client.c accepts and tracks connections, smtpd_policy.c
 * answers the SMTP engine (relay, AUTH, queueing). */
#ifndef SMTPD_SMTPD_H
#define SMTPD_SMTPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/settings.h"
#include "core/log.h"
#include "core/net.h"
#include "queue/queue.h"
#include "smtp/smtp_server.h"
#include "smtpd_msa.h"
#include "smtpd_mailauth.h"

#include <sys/socket.h>

struct auth_request;
struct dns;
struct event_loop;
struct mailauth_check;
struct smtpd_signer;
struct smtpd_sealer;
struct event_timer;
struct pool;
struct service;
struct store;
struct tls_server;

enum smtpd_service {
	SMTPD_SERVICE_SMTP,        /* port 25: local recipients only */
	SMTPD_SERVICE_SUBMISSION,  /* 587: STARTTLS, AUTH required */
	SMTPD_SERVICE_SUBMISSIONS, /* 465: implicit TLS, AUTH required */
};

struct smtpd {
	struct postroom_settings set;
	struct event_loop *loop;
	struct service *service; /* listeners, limits, SIGTERM */
	struct store *store;
	struct tls_server *tls; /* NULL if the certificate did not load */
	char *hostname;
	char *queue_dir;
	char *auth_socket; /* run/auth.sock: authd checks passwords */
	struct smtp_server_settings smtp_set;
	struct dns *dns;   /* port 25 checks; NULL when [mailauth] verify off */
	char *authserv_id; /* in Authentication-Results */
	struct smtpd_client *clients; /* doubly linked */
	unsigned next_id;
	bool is_shutting_down;
};

struct smtpd_client {
	struct smtpd *smtpd;
	struct smtpd_client *prev, *next;
	struct smtp_server_conn *srv;
	enum smtpd_service service;
	unsigned id;
	struct log log;
	char addr[NET_ADDR_STR_MAX];
	struct sockaddr_storage peer; /* the client's address */
	bool is_loopback;
	struct service_slot *slot; /* in the service's counts, or NULL */
	bool is_evicted;         /* dropped to make room for another */
	struct pool *pool;       /* the connection's */
	struct pool *trans_pool; /* the transaction's */
	const char *auth_user;   /* account address once authenticated */

	/* AUTH exchange */
	const char *auth_mech;
	const char *login_user;           /* LOGIN: the first answer */
	struct event_timer *auth_timer;   /* delays a failure reply */
	struct smtp_server_cmd *auth_cmd; /* answered when it fires */
	struct auth_request *auth_req;    /* a password check at authd */

	/* The transaction */
	const struct smtp_server_mail *mail;
	struct queue_recipient *rcpts;
	size_t rcpt_count, rcpt_alloc;
	unsigned rcpt_cmds;     /* RCPT commands accepted */
	const char *first_rcpt; /* for "for <...>" in Received */
	struct queue_writer *writer;
	struct queue_envelope env;
	uint64_t data_size;
	bool has_write_failed;
	int write_errno;      /* why, when has_write_failed */
	bool is_msa;          /* submission: msa holds the header back */
	bool holds_header;    /* msa holds it (submission, or checks) */
	struct smtpd_msa msa; /* initialised while holds_header */
	struct mailauth_check *check;     /* port 25: SPF, DKIM, DMARC */
	struct smtpd_signer *signer;      /* submission: DKIM signing */
	struct smtpd_sealer *sealer;      /* port 25: ARC seal, forwarding */
	struct smtp_server_cmd *data_cmd; /* end of DATA awaits the checks */
};

/* The engine callbacks of smtpd_policy.c. */
extern const struct smtp_server_callbacks smtpd_policy_callbacks;

/* Takes a new connection on service (fd is owned from now on). */
void smtpd_client_accept(struct smtpd *smtpd, enum smtpd_service service,
                         int fd, const struct sockaddr *addr);
/* Called from the disconnect callback: logs and frees the client. */
void smtpd_client_free(struct smtpd_client **client, const char *reason);
/* Graceful stop of every connection (SIGTERM). */
void smtpd_client_shutdown_all(struct smtpd *smtpd);
/* After the grace period: 421 to every connection still open. */
void smtpd_client_close_all(struct smtpd *smtpd);
/* Makes the message durable with prefix[0..size) (header fields decided
 * at its end) on top and env's flags, then answers cmd: 250 once it is
 * durable, else a temporary failure. */
void smtpd_data_commit(struct smtpd_client *c, struct smtp_server_cmd *cmd,
                       const char *prefix, size_t size);
/* Drops the current transaction (idempotent). */
void smtpd_policy_reset(struct smtpd_client *client);

#endif
