/* Bounces and other DSNs (RFC 3464, composed by lib/mime/mime_dsn.c) as
 * new queue files from <> to the envelope sender, so they are delivered or
 * relayed like any message. NOTIFY (RFC 3461 §4.1) decides per recipient:
 * NEVER gets nothing, failures need FAILURE, delays DELAY, "relayed" needs
 * SUCCESS; without NOTIFY, failures and delays are reported. RET=FULL
 * returns the whole message (up to QMGR_DSN_FULL_MAX), otherwise its
 * header. A message from <> never gets a DSN (RFC 5321 §4.5.5). A DSN
 * is DKIM-signed with the keys of the hostname's domain when it has some
 * (qmgr_sign). */
#include "qmgr/qmgr.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/pool.h"
#include "mime/mime_dsn.h"
#include "queue/queue.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define QMGR_DSN_FULL_MAX (10 * 1024 * 1024)
#define QMGR_DSN_HEADER_MAX (256 * 1024)

/* Returns true if the NOTIFY list asks for this kind of report. */
static bool notify_wants(const char *notify, enum qmgr_dsn_kind kind)
{
	const char *word = kind == QMGR_DSN_FAILED    ? "FAILURE"
	                   : kind == QMGR_DSN_DELAYED ? "DELAY"
	                                              : "SUCCESS";
	if (notify == NULL)
		return kind != QMGR_DSN_RELAYED;
	for (const char *p = notify; *p != '\0';) {
		size_t len = strcspn(p, ",");
		if (len == strlen(word) && strncasecmp(p, word, len) == 0)
			return true;
		p += len;
		if (*p == ',')
			p++;
	}
	return false;
}

/* Reads the part of the message the DSN returns. */
static char *original_read(const struct queue_envelope *env, int fd,
                           bool *is_full, size_t *size_r)
{
	uint64_t want = env->data_size;
	if (!*is_full || want > QMGR_DSN_FULL_MAX) {
		*is_full = false;
		if (want > QMGR_DSN_HEADER_MAX)
			want = QMGR_DSN_HEADER_MAX;
	}
	char *data = malloc((size_t)want + 1);
	ssize_t n =
	    data != NULL ? pread(fd, data, (size_t)want, env->data_offset) : -1;
	*size_r = n > 0 ? (size_t)n : 0;
	return data;
}

void qmgr_rcpt_fill(struct qmgr *q, const char *sender,
                    struct queue_recipient *r)
{
	struct store_resolution res;
	memset(r, 0, sizeof(*r));
	r->address = sender;
	r->original = sender;
	r->status = QUEUE_RCPT_PENDING;
	if (q->store != NULL &&
	    store_address_resolve(q->store, sender, q->pool, &res) == 1 &&
	    res.count >= 1 && res.targets[0].is_local) {
		r->address = res.targets[0].address;
		r->detail = res.targets[0].detail;
		r->is_local = true;
	}
}

static const enum mime_dsn_action actions[] = {
    [QMGR_DSN_FAILED] = MIME_DSN_FAILED,
    [QMGR_DSN_DELAYED] = MIME_DSN_DELAYED,
    [QMGR_DSN_RELAYED] = MIME_DSN_RELAYED,
};

static int bounce_write(struct qmgr *q, const struct queue_envelope *env,
                        int fd, struct mime_dsn *dsn, time_t now)
{
	struct queue_envelope out = {.arrival = now,
	                             .sender = "",
	                             .body = "7BIT",
	                             .client_addr = "127.0.0.1",
	                             .helo = q->hostname,
	                             .rcpt_count = 1};
	struct queue_recipient rcpt;
	struct queue_writer *w;
	const char *error;
	qmgr_rcpt_fill(q, env->sender, &rcpt);
	out.rcpts = &rcpt;
	if (queue_writer_begin(q->queue_dir, &out, &w, &error) < 0) {
		log_error(NULL, "bounce-failed id=%s error=%s", env->id, error);
		return -1;
	}
	size_t size;
	char *original = original_read(env, fd, &dsn->is_full, &size);
	char *msgid = pool_printf(q->pool, "%s.dsn@%s", out.id, q->hostname);
	char *boundary = pool_printf(q->pool, "=_dsn_%s", out.id);
	struct buf text;
	buf_init(&text);
	dsn->message_id = msgid;
	dsn->boundary = boundary;
	mime_dsn_compose(dsn, original != NULL ? original : "", size, &text);
	free(original);
	/* From: MAILER-DAEMON@hostname, signed by its domain's keys (or a
	 * parent's, which aligns for DMARC) so it is not taken for spam */
	struct buf sig;
	buf_init(&sig);
	(void)qmgr_sign(q, q->hostname, text.data, text.len, &sig);
	int ret = queue_writer_write(w, sig.data, sig.len);
	if (ret == 0)
		ret = queue_writer_write(w, text.data, text.len);
	buf_deinit(&sig);
	buf_deinit(&text);
	if (ret < 0 || queue_writer_commit(&w, &error) < 0) {
		queue_writer_abort(&w);
		log_error(NULL, "bounce-failed id=%s error=cannot write",
		          env->id);
		return -1;
	}
	log_info(NULL, "dsn-queued id=%s dsn_id=%s to=<%s> rcpts=%zu", env->id,
	         out.id, log_sanitize(env->sender, 200), dsn->rcpt_count);
	queue_notify(q->queue_dir); /* qmgr's own wake-up */
	return 0;
}

int qmgr_bounce_send(struct qmgr *q, const struct queue_envelope *env, int fd,
                     const struct qmgr_dsn_entry *entries, size_t count,
                     time_t now)
{
	struct mime_dsn_rcpt *rcpts =
	    pool_alloc(q->pool, (count + 1) * sizeof(*rcpts));
	size_t n = 0;
	if (env->sender[0] == '\0')
		return 0; /* never a bounce for a bounce */
	for (size_t i = 0; i < count; i++) {
		const struct queue_recipient *r = &env->rcpts[entries[i].rcpt];
		if (!notify_wants(r->notify, entries[i].kind))
			continue;
		rcpts[n++] = (struct mime_dsn_rcpt){
		    .address = r->address,
		    .orcpt = r->orcpt,
		    .action = actions[entries[i].kind],
		    .status = entries[i].status,
		    .remote_mta = entries[i].mta,
		    .diagnostic = entries[i].diagnostic,
		};
	}
	if (n == 0)
		return 0;
	struct mime_dsn dsn = {
	    .reporting_mta = q->hostname,
	    .to = env->sender,
	    .envid = env->envid,
	    .arrival = env->arrival,
	    .future_release = env->release_request,
	    .now = now,
	    .is_full = env->ret != NULL && strcasecmp(env->ret, "FULL") == 0,
	    .rcpt_count = n,
	    .rcpts = rcpts,
	};
	return bounce_write(q, env, fd, &dsn, now);
}
