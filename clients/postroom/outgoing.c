/* Checking the outgoing server: connect, TLS as the account says, AUTH,
 * QUIT — through lib/smtp's client engine, the one that later sends. */
#include "postroom.h"

#include "core/event_loop.h"
#include "core/pool.h"
#include "core/tls.h"
#include "smtp/smtp_client.h"

#include <string.h>

struct check {
	struct event_loop *loop;
	bool is_ready;
	struct smtp_client_status status;
};

static void check_ready(struct smtp_client *client, void *ctx)
{
	struct check *c = ctx;
	c->is_ready = true;
	smtp_client_quit(client);
}

static void check_closed(struct smtp_client *client, bool is_ready_seen,
                         const struct smtp_client_status *status, void *ctx)
{
	struct check *c = ctx;
	(void)client;
	(void)is_ready_seen;
	if (status != NULL)
		c->status = *status;
	event_loop_stop(c->loop);
}

int pr_outgoing_check(const struct pr_config *config,
                      const struct pr_account *account, const char *password,
                      struct pool *pool, const char **error_r)
{
	const struct pr_endpoint *ep = &account->outgoing;
	struct sockaddr_storage sa;
	socklen_t sa_len;
	if (pr_resolve(config, ep->host, ep->port, &sa, &sa_len, pool,
	               error_r) < 0)
		return -1;
	struct tls_client *tls = NULL;
	if (ep->tls != PR_TLS_NONE && tls_client_new(&tls, error_r) < 0)
		return -1;
	struct smtp_client_settings set = {
		.helo_name = "localhost",
		.servername = ep->host,
		.command_timeout = config->timeout,
		.tls_mode = ep->tls == PR_TLS_NONE ? SMTP_CLIENT_TLS_NONE
		                                   : SMTP_CLIENT_TLS_REQUIRED,
		.tls = tls,
		.auth_user = ep->user != NULL ? ep->user : account->address,
		.auth_password = password,
	};
	static const struct smtp_client_callbacks cb = {
		.ready = check_ready,
		.closed = check_closed,
	};
	struct check c = { .loop = event_loop_new() };
	struct smtp_client *client = smtp_client_new(
	    c.loop, (struct sockaddr *)&sa, sa_len, &set, &cb, &c);
	(void)event_loop_run(c.loop);
	smtp_client_free(&client);
	event_loop_free(&c.loop);
	tls_client_free(&tls);
	if (!c.is_ready) {
		*error_r = pool_printf(pool, "%s:%u: %s", ep->host, ep->port,
		                       c.status.text[0] != '\0'
		                           ? c.status.text
		                           : "no answer");
		return -1;
	}
	return 0;
}
