/* Sending: the Outbox is submitted through lib/smtp's client engine on one
 * event loop (message submission, RFC 6409; implicit TLS on 465 or
 * required STARTTLS, RFC 8314 §3.3, RFC 3207; AUTH, RFC 4954). The envelope
 * comes from the header: sender the account address, recipients To, Cc and
 * Bcc; the Bcc field is cut from what is sent (RFC 5322 §3.6.3). A message
 * the server took for any recipient moves to Sent flagged \Seen; one it
 * refused for every recipient (5xx) stays, marked $SendFailed; a temporary
 * failure leaves it for the next try. Nothing changes before the answer.
 * An X-Postroom-Send-At field (send --at) is cut too and becomes HOLDUNTIL
 * (RFC 4865); a server without FUTURERELEASE refuses such a message. */
#include "postroom.h"

#include "core/buf.h"
#include "core/event_loop.h"
#include "core/net.h"
#include "core/pool.h"
#include "core/tls.h"
#include "core/xmalloc.h"
#include "mime/mime.h"
#include "mime/mime_address.h"
#include "smtp/smtp_client.h"
#include "smtp/smtp_release.h"
#include "store/store.h"
#include "store/store_contact.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define PR_SEND_FAILED "$SendFailed"

struct outbox_msg {
	uint32_t uid;
	const char *blob_id;
	uint64_t size;
};

struct send_ctx {
	const struct pr_account *account;
	struct pr_local *local;
	struct pr_sync_report *report;
	struct pool *pool;
	struct event_loop *loop;
	const char *sent_mailbox;
	struct outbox_msg *msgs;
	size_t msg_count, msg_alloc, next;
	/* the transaction in progress */
	struct smtp_client_message msg;
	FILE *file;
	struct outbox_msg *current;
	bool is_ready_seen;
	struct smtp_client_status status;
	const char *error; /* a local failure that stopped the session */
};

int pr_outbox_add(struct pr_local *local, const unsigned char *data,
                  size_t size, uint32_t *uid_r, const char **error_r)
{
	return pr_local_add(local, PR_OUTBOX, data, size, STORE_FLAG_SEEN, NULL,
	                    time(NULL), NULL, uid_r, error_r);
}

static bool keywords_have(const char *list, const char *word)
{
	size_t len = strlen(word);
	while (*list != '\0') {
		size_t n = strcspn(list, " ");
		if (n == len && strncasecmp(list, word, len) == 0)
			return true;
		list += n;
		list += strspn(list, " ");
	}
	return false;
}

static int outbox_list_cb(const struct store_message *m, void *context)
{
	struct send_ctx *ctx = context;
	/* Refused for good before: the user must change it first. */
	if (keywords_have(m->keywords, PR_SEND_FAILED))
		return 0;
	if (ctx->msg_count == ctx->msg_alloc) {
		ctx->msg_alloc = ctx->msg_alloc == 0 ? 16 : ctx->msg_alloc * 2;
		ctx->msgs =
		    xrealloc(ctx->msgs, ctx->msg_alloc * sizeof(*ctx->msgs));
	}
	struct outbox_msg *om = &ctx->msgs[ctx->msg_count++];
	om->uid = m->uid;
	om->blob_id = pool_strdup(ctx->pool, m->blob_id);
	om->size = m->size;
	return 0;
}

static void sent_find_cb(const struct store_mailbox_info *info, void *context)
{
	struct send_ctx *ctx = context;
	if (info->special_use == STORE_SPECIAL_SENT &&
	    ctx->sent_mailbox == NULL)
		ctx->sent_mailbox = pool_strdup(ctx->pool, info->name);
}

/* The mailbox with special use SENT, else "Sent" (made when missing). */
static int sent_mailbox_find(struct send_ctx *ctx, const char **error_r)
{
	struct store_mailbox_info info;
	if (store_mailbox_list(ctx->local->account, sent_find_cb, ctx) < 0) {
		*error_r = "cannot list the local mailboxes";
		return -1;
	}
	if (ctx->sent_mailbox != NULL)
		return 0;
	ctx->sent_mailbox = "Sent";
	int ret =
	    store_mailbox_get(ctx->local->account, "Sent", ctx->pool, &info);
	if (ret == 0)
		ret = store_mailbox_create(ctx->local->account, "Sent",
		                           STORE_SPECIAL_SENT, error_r);
	else if (ret < 0)
		*error_r = "cannot read the local Sent mailbox";
	return ret < 0 ? -1 : 0;
}

/* Reads the whole blob of om into out. Returns 0 or -1. */
static int blob_read(struct send_ctx *ctx, const struct outbox_msg *om,
                     struct buf *out)
{
	int fd = store_blob_open(ctx->local->store, om->blob_id);
	if (fd < 0)
		return -1;
	char chunk[16384];
	ssize_t n;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		buf_append(out, chunk, (size_t)n);
	close(fd);
	return n < 0 ? -1 : 0;
}

static bool is_ascii(const char *str)
{
	for (; *str != '\0'; str++) {
		if ((unsigned char)*str >= 0x80)
			return false;
	}
	return true;
}

/* Adds the addresses of header field name (To, Cc, Bcc) as recipients. */
static void rcpts_add(struct send_ctx *ctx, const unsigned char *data,
                      const struct mime_part *root, const char *name,
                      struct smtp_client_rcpt **rcpts, size_t *count,
                      size_t *alloc)
{
	const char *value = mime_header_get(data, root, name, ctx->pool);
	struct mime_address *list = NULL;
	if (value == NULL ||
	    mime_address_parse((const unsigned char *)value, strlen(value),
	                       ctx->pool, &list) <= 0)
		return;
	for (; list != NULL; list = list->next) {
		if (list->host == NULL || list->is_group_start)
			continue;
		if (*count == *alloc) {
			*alloc = *alloc == 0 ? 8 : *alloc * 2;
			struct smtp_client_rcpt *grown =
			    pool_alloc(ctx->pool, *alloc * sizeof(*grown));
			if (*count > 0)
				memcpy(grown, *rcpts, *count * sizeof(*grown));
			*rcpts = grown;
		}
		struct smtp_client_rcpt *r = &(*rcpts)[(*count)++];
		memset(r, 0, sizeof(*r));
		r->address =
		    pool_printf(ctx->pool, "%s@%s", list->mailbox, list->host);
		if (!is_ascii(r->address))
			ctx->msg.needs_smtputf8 = true;
	}
}

static bool field_is(const struct mime_header_field *field, const char *name)
{
	return field->name_len == strlen(name) &&
	       strncasecmp((const char *)field->name, name, field->name_len) ==
	           0;
}

/* X-Postroom-Send-At: an RFC 3339 date-time, into ctx->msg.release. */
static void send_at_read(struct send_ctx *ctx,
                         const struct mime_header_field *field)
{
	char text[SMTP_DATETIME_MAX * 2];
	size_t len = field->value_len < sizeof(text) - 1 ? field->value_len
	                                                 : sizeof(text) - 1;
	memcpy(text, field->value, len);
	text[len] = '\0';
	char *p = text + strspn(text, " \t");
	p[strcspn(p, " \t\r\n")] = '\0';
	time_t at;
	if (smtp_release_datetime_parse(p, &at) == 0)
		ctx->msg.release = at;
}

/* Builds the transaction for om: recipients from To, Cc and Bcc, and the
 * message without its Bcc field in a temporary file. Returns 0, or -1
 * with ctx->error. */
static int message_prepare(struct send_ctx *ctx, struct outbox_msg *om)
{
	struct buf data;
	buf_init(&data);
	memset(&ctx->msg, 0, sizeof(ctx->msg));
	if (blob_read(ctx, om, &data) < 0) {
		buf_deinit(&data);
		ctx->error = "cannot read an Outbox message";
		return -1;
	}
	const unsigned char *d = (const unsigned char *)data.data;
	struct mime_settings set;
	mime_settings_init(&set);
	struct mime_part *root = mime_parse(d, data.len, &set, ctx->pool);
	struct smtp_client_rcpt *rcpts = NULL;
	size_t count = 0, alloc = 0;
	rcpts_add(ctx, d, root, "To", &rcpts, &count, &alloc);
	rcpts_add(ctx, d, root, "Cc", &rcpts, &count, &alloc);
	rcpts_add(ctx, d, root, "Bcc", &rcpts, &count, &alloc);
	ctx->file = tmpfile();
	if (ctx->file == NULL) {
		buf_deinit(&data);
		ctx->error = "cannot make a temporary file";
		return -1;
	}
	/* RFC 5322 §3.6.3: the Bcc field is not sent; nor is ours. */
	struct mime_header_iter iter;
	struct mime_header_field field;
	size_t pos = 0;
	mime_header_iter_init(&iter, d, root);
	while (mime_header_iter_next(&iter, &field) > 0) {
		bool is_send_at = field_is(&field, PR_SEND_AT_FIELD);
		if (!is_send_at && !field_is(&field, "Bcc"))
			continue;
		if (is_send_at)
			send_at_read(ctx, &field);
		fwrite(d + pos, 1, field.offset - pos, ctx->file);
		pos = field.offset + field.size;
	}
	fwrite(d + pos, 1, data.len - pos, ctx->file);
	for (size_t i = 0; i < data.len && !ctx->msg.is_8bit; i++)
		ctx->msg.is_8bit = d[i] >= 0x80;
	int ret = fflush(ctx->file);
	ctx->msg.sender = ctx->account->address;
	ctx->msg.needs_smtputf8 |= !is_ascii(ctx->account->address);
	ctx->msg.fd = fileno(ctx->file);
	ctx->msg.offset = 0;
	ctx->msg.size = (uint64_t)ftello(ctx->file);
	ctx->msg.rcpts = rcpts;
	ctx->msg.rcpt_count = count;
	buf_deinit(&data);
	if (ret != 0) {
		ctx->error = "cannot write a temporary file";
		return -1;
	}
	return 0;
}

static void message_cleanup(struct send_ctx *ctx)
{
	if (ctx->file != NULL)
		fclose(ctx->file);
	ctx->file = NULL;
	ctx->current = NULL;
}

/* Sent: Outbox → Sent with \Seen. Refused by every recipient for good:
 * stays, with $SendFailed. Otherwise (4xx) it stays for the next try. */
static void message_outcome(struct send_ctx *ctx, const struct outbox_msg *om)
{
	struct store_account *acc = ctx->local->account;
	bool is_sent = false, is_all_permanent = ctx->msg.rcpt_count > 0;
	uint32_t uid;
	uint64_t modseq;
	for (size_t i = 0; i < ctx->msg.rcpt_count; i++) {
		unsigned code = ctx->msg.rcpts[i].status.code;
		is_sent |= code / 100 == 2;
		is_all_permanent &= code / 100 == 5;
		/* address completion ranks by how often mail went there */
		if (code / 100 == 2)
			(void)store_contact_use(acc, ctx->msg.rcpts[i].address,
			                        time(NULL));
	}
	if (is_sent) {
		if (store_message_copy(acc, PR_OUTBOX, om->uid,
		                       ctx->sent_mailbox, true, &uid) == 1)
			(void)store_message_set_flags(
			    acc, ctx->sent_mailbox, uid, STORE_FLAGS_ADD,
			    STORE_FLAG_SEEN, "", &modseq);
		ctx->report->sent++;
	} else if (is_all_permanent) {
		const struct smtp_client_status *st = &ctx->msg.rcpts[0].status;
		snprintf(ctx->report->refusal, sizeof(ctx->report->refusal),
		         "%u %s %.200s", st->code, st->enhanced, st->text);
		(void)store_message_set_flags(acc, PR_OUTBOX, om->uid,
		                              STORE_FLAGS_ADD, 0,
		                              PR_SEND_FAILED, &modseq);
		ctx->report->send_failed++;
	}
}

static void send_ready(struct smtp_client *client, void *context)
{
	struct send_ctx *ctx = context;
	uint64_t modseq;
	ctx->is_ready_seen = true;
	while (ctx->next < ctx->msg_count && ctx->error == NULL) {
		struct outbox_msg *om = &ctx->msgs[ctx->next++];
		if (message_prepare(ctx, om) < 0)
			break;
		if (ctx->msg.rcpt_count > 0) {
			ctx->current = om;
			smtp_client_send(client, &ctx->msg);
			return;
		}
		/* No recipient in To, Cc or Bcc: it can never go. */
		message_cleanup(ctx);
		(void)store_message_set_flags(ctx->local->account, PR_OUTBOX,
		                              om->uid, STORE_FLAGS_ADD, 0,
		                              PR_SEND_FAILED, &modseq);
		ctx->report->send_failed++;
	}
	smtp_client_quit(client);
}

static void send_message_done(struct smtp_client *client,
                              struct smtp_client_message *msg, void *context)
{
	struct send_ctx *ctx = context;
	(void)client;
	(void)msg;
	message_outcome(ctx, ctx->current);
	message_cleanup(ctx);
}

static void send_closed(struct smtp_client *client, bool is_ready_seen,
                        const struct smtp_client_status *status, void *context)
{
	struct send_ctx *ctx = context;
	(void)client;
	(void)is_ready_seen;
	if (status != NULL)
		ctx->status = *status;
	message_cleanup(ctx);
	event_loop_stop(ctx->loop);
}

/* One session with the outgoing server at sa. */
static void send_session(struct send_ctx *ctx, const struct pr_config *config,
                         const struct sockaddr *sa, socklen_t sa_len,
                         struct tls_client *tls, const char *password)
{
	static const struct smtp_client_callbacks cb = {
	    .ready = send_ready,
	    .message_done = send_message_done,
	    .closed = send_closed,
	};
	const struct pr_endpoint *ep = &ctx->account->outgoing;
	enum smtp_client_tls mode =
	    ep->tls == PR_TLS_IMPLICIT   ? SMTP_CLIENT_TLS_IMPLICIT
	    : ep->tls == PR_TLS_STARTTLS ? SMTP_CLIENT_TLS_REQUIRED
	                                 : SMTP_CLIENT_TLS_NONE;
	struct smtp_client_settings set = {
	    .helo_name = "localhost",
	    .servername = ep->host,
	    .connect_timeout = config->timeout,
	    .command_timeout = config->timeout,
	    .tls_mode = mode,
	    .tls = tls,
	    .auth_user = ep->user != NULL && ep->user[0] != '\0'
	                     ? ep->user
	                     : ctx->account->address,
	    .auth_password = password,
	    /* a password in plaintext only to this machine */
	    .allow_plain_auth = net_addr_is_loopback(sa),
	    .is_verify_required = ctx->account->tls_verify,
	};
	memset(&ctx->status, 0, sizeof(ctx->status));
	struct smtp_client *client =
	    smtp_client_new(ctx->loop, sa, sa_len, &set, &cb, ctx);
	(void)event_loop_run(ctx->loop);
	smtp_client_free(&client);
}

/* Connects to each address in turn until one session gets going. */
static int send_all(struct send_ctx *ctx, const struct pr_config *config,
                    const char *password, const char **error_r)
{
	const struct pr_endpoint *ep = &ctx->account->outgoing;
	struct pr_addrs addrs;
	struct tls_client *tls = NULL;
	if (pr_resolve_all(config, ep->host, ep->port, &addrs, ctx->pool,
	                   error_r) < 0)
		return -1;
	if (ep->tls != PR_TLS_NONE &&
	    tls_client_new_verify(ctx->account->tls_ca_file,
	                          ctx->account->tls_verify, &tls, error_r) < 0)
		return -1;
	ctx->loop = event_loop_new();
	for (size_t i = 0; i < addrs.count && !ctx->is_ready_seen; i++) {
		send_session(ctx, config, (struct sockaddr *)&addrs.sa[i],
		             addrs.len[i], tls, password);
		/* Another address is the same server with the same
		 * certificate. */
		if (strstr(ctx->status.text, "certificate") != NULL)
			break;
	}
	event_loop_free(&ctx->loop);
	tls_client_free(&tls);
	if (ctx->error != NULL) {
		*error_r = ctx->error;
		return -1;
	}
	if (!ctx->is_ready_seen) {
		/* RFC 4954 §6: 535 5.7.8 is a refused password */
		const char *what = ctx->status.code == 535
		                       ? "wrong password: " : "";
		*error_r = pool_printf(
		    ctx->pool, "%s:%u: %s%s", ep->host, ep->port, what,
		    ctx->status.text[0] != '\0' ? ctx->status.text
		                                : "no answer");
		return -1;
	}
	return 0;
}

int pr_outgoing_check(const struct pr_config *config,
                      const struct pr_account *account, const char *password,
                      struct pool *pool, const char **error_r)
{
	/* A session with an empty Outbox: EHLO, TLS, AUTH, QUIT. */
	struct pr_sync_report report = { 0 };
	struct send_ctx ctx = {
	    .account = account,
	    .report = &report,
	    .pool = pool,
	};
	return send_all(&ctx, config, password, error_r);
}

int pr_outbox_flush(const struct pr_config *config,
                    const struct pr_account *account, struct pr_local *local,
                    struct pr_sync_report *report, struct pool *pool,
                    const char **error_r)
{
	struct send_ctx ctx = {
	    .account = account,
	    .local = local,
	    .report = report,
	    .pool = pool,
	};
	const char *password;
	if (store_message_list(local->account, PR_OUTBOX, 1, UINT32_MAX,
	                       outbox_list_cb, &ctx) < 0) {
		*error_r = "cannot list the Outbox";
		free(ctx.msgs);
		return -1;
	}
	int ret = 0;
	if (ctx.msg_count > 0) {
		ret = sent_mailbox_find(&ctx, error_r);
		if (ret == 0)
			ret = pr_account_password(account, pool, &password,
			                          error_r);
		if (ret == 0) {
			ret = send_all(&ctx, config, password, error_r);
			explicit_bzero((char *)password, strlen(password));
		}
	}
	free(ctx.msgs);
	return ret;
}
