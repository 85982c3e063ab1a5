/* smtpd connections: accepting with the per-process and per-IP limits
 * (421 4.7.0 at connect; when the process is full, the oldest session that
 * has not authenticated and is not in a transaction makes room with 421
 * 4.7.0), the per-connection log context "conn=N peer=IP", the
 * "connect"/"disconnect" lines, and the graceful stop of SIGTERM. The
 * deadlines (login on the submission ports, command line, DATA rate) are
 * lib/smtp's, set from smtp_set. */
#include "smtpd.h"
#include "auth/auth_client.h"
#include "core/conn.h"
#include "core/event_loop.h"
#include "core/pool.h"
#include "core/service.h"
#include "core/xmalloc.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const service_names[] = {"smtp", "submission",
                                            "submissions"};

/* A session may make room for a newcomer until it authenticates; not in a
 * mail transaction (a message on its way) or while authd checks it. */
static bool smtpd_client_can_evict(void *ctx)
{
	struct smtpd_client *c = ctx;
	return !smtp_server_conn_is_authenticated(c->srv) &&
	       !smtp_server_conn_in_transaction(c->srv) && c->auth_req == NULL;
}

static void smtpd_client_evict(void *ctx)
{
	struct smtpd_client *c = ctx;
	c->is_evicted = true;
	smtp_server_conn_close(c->srv, 421, "4.7.0",
	                       "Too many connections, try again later");
	service_slot_remove(c->smtpd->service, &c->slot);
}

static const struct service_slot_callbacks smtpd_client_slot_callbacks = {
    .can_evict = smtpd_client_can_evict,
    .evict = smtpd_client_evict,
};

void smtpd_client_accept(struct smtpd *smtpd, enum smtpd_service service,
                         int fd, const struct sockaddr *addr)
{
	struct tls_server *tls = NULL;
	if (service == SMTPD_SERVICE_SUBMISSIONS) {
		if (smtpd->tls == NULL) {
			close(fd); /* no certificate: nothing to offer */
			return;
		}
		tls = smtpd->tls;
	}
	struct smtpd_client *c = xcalloc(1, sizeof(*c));
	c->smtpd = smtpd;
	c->service = service;
	c->id = ++smtpd->next_id;
	net_addr_str(addr, c->addr);
	memcpy(&c->peer, addr,
	       addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
	                                   : sizeof(struct sockaddr_in));
	c->is_loopback = net_addr_is_loopback(addr);
	c->pool = pool_new();
	c->trans_pool = pool_new();
	log_init(&c->log, "conn=%u peer=%s", c->id, c->addr);
	c->next = smtpd->clients;
	if (c->next != NULL)
		c->next->prev = c;
	smtpd->clients = c;

	struct smtp_server_settings set = smtpd->smtp_set;
	set.log = &c->log;
	/* STARTTLS on 25 and 587; 465 is TLS from the first byte. */
	set.starttls = service == SMTPD_SERVICE_SUBMISSIONS ? NULL : smtpd->tls;
	/* Other servers never log in on 25: no login deadline there. */
	if (service == SMTPD_SERVICE_SMTP)
		set.login_timeout = 0;
	/* RFC 4865 is a submission extension: other servers relay at once */
	if (service == SMTPD_SERVICE_SMTP)
		set.future_release_max = 0;
	c->srv = smtp_server_conn_new(smtpd->loop, fd, tls, &set,
	                              &smtpd_policy_callbacks, c);
	log_info(&c->log, "connect service=%s", service_names[service]);
	if (smtpd->is_shutting_down) {
		smtp_server_conn_close(c->srv, 421, "4.3.2",
		                       "Service shutting down");
		return;
	}
	const char *error;
	if (service_slot_add(smtpd->service, c->addr,
	                     &smtpd_client_slot_callbacks, c, &c->slot,
	                     &error) < 0) {
		smtp_server_conn_close(
		    c->srv, 421, "4.7.0",
		    strcmp(error, "too many connections") == 0
		        ? "Too many connections, try again later"
		        : "Too many connections from your address, try again "
		          "later");
		return;
	}
	smtp_server_conn_start(c->srv);
}

void smtpd_client_free(struct smtpd_client **clientp, const char *reason)
{
	struct smtpd_client *c = *clientp;
	struct smtpd *smtpd = c->smtpd;
	*clientp = NULL;
	log_info(&c->log, "disconnect reason=%s commands=%u",
	         c->is_evicted ? "evicted" : log_sanitize(reason, 100),
	         smtp_server_conn_commands(c->srv));
	auth_request_free(&c->auth_req);
	smtpd_policy_reset(c);
	event_timer_free(&c->auth_timer);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		smtpd->clients = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	service_slot_remove(smtpd->service, &c->slot);
	pool_free(&c->pool);
	pool_free(&c->trans_pool);
	log_deinit(&c->log);
	free(c);
	if (smtpd->is_shutting_down && smtpd->clients == NULL)
		event_loop_stop(smtpd->loop);
}

void smtpd_client_shutdown_all(struct smtpd *smtpd)
{
	struct smtpd_client *c = smtpd->clients;
	while (c != NULL) {
		/* Replies only write; the client is freed later, from the
		 * loop, so walking the list is safe. */
		smtp_server_conn_shutdown(c->srv);
		c = c->next;
	}
}

void smtpd_client_close_all(struct smtpd *smtpd)
{
	for (struct smtpd_client *c = smtpd->clients; c != NULL; c = c->next)
		smtp_server_conn_close(c->srv, 421, "4.3.2",
		                       "Service shutting down");
}
