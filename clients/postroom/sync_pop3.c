/* Receiving over POP3 (RFC 1939; STLS RFC 2595; CAPA RFC 2449): every
 * message whose UIDL was not downloaded before goes into the local INBOX
 * with delivery key "pop3:<uidl>", so a repeat after a crash is a no-op.
 * Invariant: a message is deleted on the server (DELE, committed by QUIT)
 * only after its local copy is committed. A server without UIDL can only
 * be used in delete mode, where everything on it is new by definition. */
#include "postroom.h"

#include "core/buf.h"
#include "core/pool.h"
#include "core/tls_stream.h"
#include "core/xmalloc.h"
#include "pop3/pop3_client.h"
#include "store/store_sync.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

struct pop3_msg {
	unsigned msgno;
	const char *uidl; /* NULL without UIDL */
};

struct pop3_sync {
	const struct pr_account *account;
	const struct pr_endpoint *ep;
	struct pr_local *local;
	struct pr_sync_report *report;
	struct pool *pool;
	struct pop3_client *client;
	struct tls_stream *stream; /* owned by client */
	struct pop3_msg *msgs;
	size_t msg_count, msg_alloc;
};

static void msgs_add(struct pop3_sync *s, unsigned msgno, const char *uidl)
{
	if (s->msg_count == s->msg_alloc) {
		s->msg_alloc = s->msg_alloc == 0 ? 64 : s->msg_alloc * 2;
		s->msgs = xrealloc(s->msgs, s->msg_alloc * sizeof(*s->msgs));
	}
	s->msgs[s->msg_count].msgno = msgno;
	s->msgs[s->msg_count].uidl =
	    uidl != NULL ? pool_strdup(s->pool, uidl) : NULL;
	s->msg_count++;
}

static void uidl_cb(unsigned msgno, const char *uidl, void *ctx)
{
	msgs_add(ctx, msgno, uidl);
}

static int sync_fail(struct pop3_sync *s, const char *what, const char *error,
                     const char **error_r)
{
	*error_r =
	    pool_printf(s->pool, "%s:%u: %s%s%s", s->ep->host, s->ep->port,
	                what, what[0] != '\0' ? ": " : "", error);
	return -1;
}

/* Greeting, CAPA, STLS when the account asks for STARTTLS, then login. */
static int sync_login(struct pop3_sync *s, const char **error_r)
{
	const char *error, *password;
	bool is_refused;
	if (pop3_client_greeting(s->client, &error) < 0)
		return sync_fail(s, "greeting", error, error_r);
	if (pop3_client_capa(s->client, &error) < 0)
		return sync_fail(s, "CAPA", error, error_r);
	if (s->ep->tls == PR_TLS_STARTTLS) {
		if (!pop3_client_has(s->client, "STLS"))
			return sync_fail(s, "", "server does not offer STLS",
			                 error_r);
		if (pop3_client_stls(s->client, &error) < 0)
			return sync_fail(s, "STLS", error, error_r);
	}
	/* No password in plaintext except to this machine. */
	if (!tls_stream_is_tls(s->stream) &&
	    !tls_stream_peer_is_loopback(s->stream))
		return sync_fail(s, "",
		                 "refusing to send the password "
		                 "without TLS",
		                 error_r);
	if (pr_account_password(s->account, s->pool, &password, error_r) < 0)
		return -1;
	const char *user = s->ep->user != NULL && s->ep->user[0] != '\0'
	                       ? s->ep->user
	                       : s->account->address;
	int ret =
	    pop3_client_login(s->client, user, password, &is_refused, &error);
	explicit_bzero((char *)password, strlen(password));
	if (ret == 0)
		return 0;
	if (is_refused) {
		*error_r = pool_printf(s->pool, "wrong password for %s at %s",
		                       user, s->ep->host);
		return -1;
	}
	return sync_fail(s, "login", error, error_r);
}

/* The message list: UIDL, or without it (delete mode only) every message
 * from STAT. */
static int sync_list(struct pop3_sync *s, bool *has_uidl_r,
                     const char **error_r)
{
	const char *error;
	unsigned count;
	uint64_t size;
	*has_uidl_r = true;
	if (pop3_client_uidl(s->client, uidl_cb, s, &error) == 0)
		return 0;
	if (pop3_client_has(s->client, "UIDL"))
		return sync_fail(s, "UIDL", error, error_r);
	/* Whatever UIDL left half-read is not trusted. */
	s->msg_count = 0;
	*has_uidl_r = false;
	if (s->account->leave_on_server)
		return sync_fail(s, "",
		                 "server has no UIDL, so new messages "
		                 "cannot be told from old ones; set "
		                 "leave_on_server = no",
		                 error_r);
	if (pop3_client_stat(s->client, &count, &size, &error) < 0)
		return sync_fail(s, "STAT", error, error_r);
	for (unsigned i = 1; i <= count; i++)
		msgs_add(s, i, NULL);
	return 0;
}

#define POP3_BATCH 25 /* messages stored together (one sync) */

/* Downloads one message into the batch. */
static int sync_fetch(struct pop3_sync *s, const struct pop3_msg *m,
                      struct pr_local_batch *batch, struct buf *data,
                      const char **error_r)
{
	const char *error;
	buf_truncate(data, 0);
	if (pop3_client_retr(s->client, m->msgno, data, &error) < 0)
		return sync_fail(s, "RETR", error, error_r);
	const char *key =
	    m->uidl != NULL ? pool_printf(s->pool, "pop3:%s", m->uidl) : NULL;
	return pr_local_batch_add(batch, (const unsigned char *)data->data,
	                          data->len, 0, NULL, time(NULL), key, 0,
	                          m->uidl, error_r);
}

/* Messages [first, end): the new ones are fetched and committed together,
 * then, in delete mode, every one of them (all committed locally now or
 * before) gets DELE. */
static int sync_chunk(struct pop3_sync *s, size_t first, size_t end,
                      struct pr_local_batch *batch, struct buf *data,
                      const char **error_r)
{
	const char *error;
	for (size_t i = first; i < end; i++) {
		const struct pop3_msg *m = &s->msgs[i];
		int seen =
		    m->uidl != NULL
		        ? store_sync_pop3_seen(s->local->account, m->uidl)
		        : 0;
		if (seen < 0) {
			*error_r = "cannot read the downloaded UIDLs";
			return -1;
		}
		if (seen == 0 && sync_fetch(s, m, batch, data, error_r) < 0)
			return -1;
	}
	unsigned stored;
	if (pr_local_batch_commit(batch, "INBOX", &stored, error_r) < 0)
		return -1;
	s->report->fetched += stored;
	for (size_t i = first; i < end && !s->account->leave_on_server; i++)
		if (pop3_client_dele(s->client, s->msgs[i].msgno, &error) < 0)
			return sync_fail(s, "DELE", error, error_r);
	return 0;
}

/* Every new message, in batches of POP3_BATCH. */
static int sync_messages(struct pop3_sync *s, const char **error_r)
{
	struct buf data;
	struct pr_local_batch *batch = pr_local_batch_new(s->local);
	int ret = 0;
	buf_init(&data);
	for (size_t i = 0; i < s->msg_count && ret == 0; i += POP3_BATCH) {
		size_t end = i + POP3_BATCH < s->msg_count ? i + POP3_BATCH
		                                           : s->msg_count;
		ret = sync_chunk(s, i, end, batch, &data, error_r);
	}
	pr_local_batch_free(&batch);
	buf_deinit(&data);
	return ret;
}

static int sync_prune(struct pop3_sync *s, const char **error_r)
{
	const char **uidls =
	    pool_alloc(s->pool, (s->msg_count + 1) * sizeof(*uidls));
	for (size_t i = 0; i < s->msg_count; i++)
		uidls[i] = s->msgs[i].uidl;
	if (store_sync_pop3_prune(s->local->account, uidls, s->msg_count) < 0) {
		*error_r = "cannot forget old UIDLs";
		return -1;
	}
	return 0;
}

int pr_sync_pop3(const struct pr_config *config,
                 const struct pr_account *account, struct pr_local *local,
                 struct pr_sync_report *report, struct pool *pool,
                 const char **error_r)
{
	struct pop3_sync s = {
	    .account = account,
	    .ep = &account->incoming,
	    .local = local,
	    .report = report,
	    .pool = pool,
	};
	const char *error;
	bool has_uidl = false;
	if (pr_connect(config, account, s.ep, pool, &s.stream, error_r) < 0)
		return -1;
	struct pop3_client_settings set = {0};
	s.client = pop3_client_new(s.stream, &set);
	int ret = sync_login(&s, error_r);
	if (ret == 0)
		ret = sync_list(&s, &has_uidl, error_r);
	if (ret == 0)
		ret = sync_messages(&s, error_r);
	if (ret == 0 && has_uidl)
		ret = sync_prune(&s, error_r);
	/* QUIT commits the DELEs (RFC 1939 §6); each one was sent only for
	 * a message already stored, so it is safe after an error too. */
	if (pop3_client_quit(&s.client, &error) < 0 && ret == 0)
		ret = sync_fail(&s, "QUIT", error, error_r);
	free(s.msgs);
	return ret;
}
