/* Messages made by delivery rules, queued through lib/queue (see
 * deliver_mail.h). Replies and reports go out from the null reverse-path
 * (RFC 5230 §5.1, RFC 3834 §3.3, RFC 8098 §2, RFC 3464) and carry
 * Auto-Submitted (RFC 3834 §5), so that no other responder answers them;
 * a redirected copy keeps the sender chosen by the caller and gets
 * "Delivered-To: <user>" first, which the next delivery for that user
 * recognises as a loop. */
#include "deliver/deliver_mail.h"
#include "deliver/deliver_sign.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/pool.h"
#include "mime/mime_compose.h"
#include "mime/mime_dsn.h"
#include "rules/sieve.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define MAIL_COPY_CHUNK 65536
#define MAIL_RETURN_HEADER_MAX (64 * 1024) /* of the original in an MDN */

/* Fills r for address: an account of this store (through aliases), an
 * address of a local domain (deliver will answer it), or remote. */
static void rcpt_resolve(const struct deliver_mail *m, const char *address,
                         struct queue_recipient *r)
{
	struct store_resolution res;
	memset(r, 0, sizeof(*r));
	r->address = address;
	r->original = address;
	r->status = QUEUE_RCPT_PENDING;
	if (store_address_resolve(m->store, address, m->pool, &res) == 1 &&
	    res.count >= 1 && res.targets[0].is_local) {
		r->address = res.targets[0].address;
		r->detail = res.targets[0].detail;
		r->is_local = true;
		return;
	}
	const char *at = strrchr(address, '@');
	r->is_local = at != NULL && store_domain_exists(m->store, at + 1) == 1;
}

struct queued {
	struct queue_writer *w;
	struct queue_envelope env;
};

static int queue_begin(const struct deliver_mail *m, const char *sender,
                       const char *const *rcpts, size_t count, const char *body,
                       bool smtputf8, struct queued *q)
{
	const char *error;
	struct queue_recipient *r =
	    pool_alloc(m->pool, (count + 1) * sizeof(*r));
	for (size_t i = 0; i < count; i++)
		rcpt_resolve(m, rcpts[i], &r[i]);
	q->env = (struct queue_envelope){
	    .arrival = m->now,
	    .sender = sender,
	    .body = body,
	    .smtputf8 = smtputf8,
	    .client_addr = "127.0.0.1",
	    .helo = m->hostname,
	    .rcpt_count = count,
	    .rcpts = r,
	};
	if (queue_writer_begin(m->queue_dir, &q->env, &q->w, &error) < 0) {
		log_error(NULL, "rules-mail-failed id=%s error=%s", m->id,
		          error);
		return -1;
	}
	return 0;
}

/* Commits q and logs it once, with the signing domain (dkim=none when not
 * signed). */
static int queue_commit(const struct deliver_mail *m, const char *kind,
                        const char *signer, struct queued *q)
{
	const char *error;
	if (queue_writer_commit(&q->w, &error) < 0) {
		log_error(NULL, "rules-mail-failed id=%s kind=%s error=%s",
		          m->id, kind, error);
		return -1;
	}
	log_info(NULL,
	         "rules-mail id=%s kind=%s new_id=%s from=<%s> to=<%s> dkim=%s",
	         m->id, kind, q->env.id, log_sanitize(q->env.sender, 200),
	         log_sanitize(q->env.rcpts[0].original, 200),
	         signer != NULL ? signer : "none");
	queue_notify(m->queue_dir);
	return 0;
}

/* Writes text (a whole message) with its DKIM signatures on top, and
 * commits it. */
static int queue_text(const struct deliver_mail *m, const char *kind,
                      struct queued *q, const struct buf *text)
{
	struct buf sig;
	buf_init(&sig);
	const char *signer =
	    m->sign != NULL
	        ? deliver_sign_message(m->sign, m->pool, m->now, text->data,
	                               text->len, &sig)
	        : NULL;
	int ret = queue_writer_write(q->w, sig.data, sig.len);
	buf_deinit(&sig);
	if (ret < 0 || queue_writer_write(q->w, text->data, text->len) < 0) {
		queue_writer_abort(&q->w);
		log_error(NULL, "rules-mail-failed id=%s kind=%s error=%s",
		          m->id, kind, strerror(errno));
		return -1;
	}
	return queue_commit(m, kind, signer, q);
}

int deliver_mail_queue(const struct deliver_mail *m, const char *kind,
                       const char *sender, const char *const *rcpts,
                       size_t count, const char *data, size_t size)
{
	struct queued q;
	struct buf text = {.data = (char *)data, .len = size};
	if (queue_begin(m, sender, rcpts, count, "8BITMIME", false, &q) < 0)
		return -1;
	return queue_text(m, kind, &q, &text);
}

/* Valid UTF-8 (a bad byte becomes U+FFFD), as mime_compose wants it. */
static const char *utf8_clean(struct pool *pool, const char *s)
{
	struct buf out;
	buf_init(&out);
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0';) {
		size_t n = *p < 0x80             ? 1
		           : (*p & 0xE0) == 0xC0 ? 2
		           : (*p & 0xF0) == 0xE0 ? 3
		           : (*p & 0xF8) == 0xF0 ? 4
		                                 : 0;
		size_t k = 1;
		while (n > 1 && k < n && (p[k] & 0xC0) == 0x80)
			k++;
		if (n == 0 || k < n) {
			buf_append_utf8(&out, 0xFFFD);
			p++;
			continue;
		}
		buf_append(&out, p, n);
		p += n;
	}
	const char *clean = pool_strndup(pool, out.data, out.len);
	buf_deinit(&out);
	return clean;
}

/* Builds a text/plain message into out (after any extra header lines).
 * Returns 0 or -1 (logged). */
static int compose_text(const struct deliver_mail *m, const char *kind,
                        const struct mime_compose *msg, const char *extra,
                        struct buf *out)
{
	const char *msgid, *error;
	buf_append_str(out, extra);
	if (mime_compose_build(msg, m->pool, out, &msgid, &error) < 0) {
		log_error(NULL, "rules-mail-failed id=%s kind=%s error=%s",
		          m->id, kind, error);
		return -1;
	}
	return 0;
}

static const char *message_id(const struct deliver_mail *m,
                              const struct queued *q, const char *kind)
{
	return pool_printf(m->pool, "%s.%s@%s", q->env.id, kind, m->hostname);
}

/* RFC 5230 §4.4 :mime: the composed header up to its MIME fields, then
 * the reason, a MIME entity with its own header. Returns 0 or -1. */
static int compose_vacation_mime(const struct deliver_mail *m,
                                 const struct mime_compose *msg,
                                 const char *extra, const char *reason,
                                 struct buf *out)
{
	struct buf head;
	buf_init(&head);
	int ret = compose_text(m, "vacation", msg, extra, &head);
	const char *cut =
	    ret == 0 ? strstr(head.data, "\r\nMIME-Version:") : NULL;
	if (cut != NULL) {
		buf_append(out, head.data, (size_t)(cut - head.data) + 2);
		buf_append_str(out, "MIME-Version: 1.0\r\n");
		for (const char *p = reason; *p != '\0'; p++) {
			if (*p == '\n' && (p == reason || p[-1] != '\r'))
				buf_append_char(out, '\r');
			buf_append_char(out, *p);
		}
	}
	buf_deinit(&head);
	return cut != NULL ? 0 : -1;
}

int deliver_mail_vacation(const struct deliver_mail *m,
                          const struct sieve_action *a)
{
	const char *to = a->address;
	struct queued q;
	struct buf text;
	if (queue_begin(m, "", &to, 1, "8BITMIME", false, &q) < 0)
		return -1;
	buf_init(&text);
	const char *body = a->is_mime ? "" : utf8_clean(m->pool, a->reason);
	struct mime_compose msg = {
	    .from_addr = a->from != NULL ? a->from : m->user,
	    .to = to,
	    .subject = utf8_clean(m->pool, a->subject),
	    .date = m->now,
	    .message_id = message_id(m, &q, "vacation"),
	    .in_reply_to = a->in_reply_to,
	    .references = a->references,
	    .body = body,
	    .body_size = strlen(body),
	};
	const char *extra = "Auto-Submitted: auto-replied (vacation)\r\n";
	int ret = a->is_mime
	              ? compose_vacation_mime(m, &msg, extra, a->reason, &text)
	              : compose_text(m, "vacation", &msg, extra, &text);
	if (ret == 0)
		ret = queue_text(m, "vacation", &q, &text);
	else
		queue_writer_abort(&q.w);
	buf_deinit(&text);
	return ret;
}

/* Returns the length of the header of data, through its blank line. */
static size_t header_length(const unsigned char *data, size_t size)
{
	for (size_t i = 0; i < size; i++) {
		if (data[i] != '\n')
			continue;
		if (i + 1 < size && data[i + 1] == '\n')
			return i + 2;
		if (i + 2 < size && data[i + 1] == '\r' && data[i + 2] == '\n')
			return i + 3;
	}
	return size;
}

/* The first value of field name in the original's header, one line. */
static const char *original_field(const struct deliver_mail *m,
                                  const struct deliver_mail_original *orig,
                                  const char *name)
{
	size_t hlen = header_length(orig->data, orig->size);
	size_t nlen = strlen(name);
	const char *p = (const char *)orig->data;
	const char *end = p + hlen;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t len =
		    eol != NULL ? (size_t)(eol - p) : (size_t)(end - p);
		if (len > nlen && strncasecmp(p, name, nlen) == 0 &&
		    p[nlen] == ':') {
			struct buf v;
			buf_init(&v);
			const char *q = p + nlen + 1;
			for (; q < end; q++) {
				if (*q == '\n' &&
				    (q + 1 >= end ||
				     (q[1] != ' ' && q[1] != '\t')))
					break;
				if (*q != '\r' && *q != '\n')
					buf_append_char(&v,
					                *q == '\t' ? ' ' : *q);
			}
			size_t start = 0;
			while (start < v.len && v.data[start] == ' ')
				start++;
			const char *s = pool_strdup(m->pool, v.data + start);
			buf_deinit(&v);
			return s;
		}
		p = eol != NULL ? eol + 1 : end;
	}
	return NULL;
}

/* Appends str with every control byte but CR LF TAB made "?", so a reason
 * cannot break the report's structure. */
static void append_text(struct buf *out, const char *str)
{
	for (const char *p = str; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '\n' && (p == str || p[-1] != '\r'))
			buf_append_char(out, '\r');
		buf_append_char(out,
		                c < 0x20 && c != '\r' && c != '\n' && c != '\t'
		                    ? '?'
		                    : (char)c);
	}
}

/* RFC 8098 §3: a failure MDN whose disposition is "deleted". */
static void compose_mdn(const struct deliver_mail *m,
                        const struct deliver_mail_original *orig,
                        const struct sieve_action *a, const char *msgid,
                        struct buf *out)
{
	const char *boundary = pool_printf(m->pool, "=_mdn_%s", msgid);
	const char *orig_id = original_field(m, orig, "message-id");
	const char *orig_subject = original_field(m, orig, "subject");
	char date[64];
	struct tm tm;
	gmtime_r(&m->now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	buf_printf(out,
	           "From: <%s>\r\nTo: <%s>\r\nSubject: Rejected: ", m->user,
	           a->address);
	/* the original's field as written: encoded words stay encoded */
	const char *subject = orig_subject != NULL ? orig_subject : "";
	for (size_t i = 0; subject[i] != '\0' && i < 200; i++)
		buf_append_char(out, (unsigned char)subject[i] < 0x20 ||
		                             (unsigned char)subject[i] >= 0x7f
		                         ? '?'
		                         : subject[i]);
	buf_printf(out, "\r\nDate: %s\r\nMessage-ID: <%s>\r\n", date, msgid);
	if (orig_id != NULL)
		buf_printf(out, "In-Reply-To: %s\r\n", orig_id);
	buf_printf(out,
	           "Auto-Submitted: auto-replied (rejected)\r\n"
	           "MIME-Version: 1.0\r\nContent-Type: multipart/report; "
	           "report-type=disposition-notification;\r\n"
	           "\tboundary=\"%s\"\r\n\r\n"
	           "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n"
	           "Content-Transfer-Encoding: 8bit\r\n\r\n"
	           "Your message to <%s> was refused by the recipient's mail "
	           "filtering program.\r\nThe reason given was as "
	           "follows:\r\n\r\n",
	           boundary, boundary, m->user);
	append_text(out, utf8_clean(m->pool, a->reason));
	buf_printf(out,
	           "\r\n\r\n--%s\r\nContent-Type: "
	           "message/disposition-notification\r\n\r\n"
	           "Reporting-UA: %s; Postroom\r\nFinal-Recipient: rfc822; "
	           "%s\r\n",
	           boundary, m->hostname, m->user);
	if (orig_id != NULL)
		buf_printf(out, "Original-Message-ID: %s\r\n", orig_id);
	buf_printf(out,
	           "Disposition: automatic-action/MDN-sent-automatically; "
	           "deleted\r\n\r\n--%s\r\n"
	           "Content-Type: text/rfc822-headers\r\n\r\n",
	           boundary);
	size_t hlen = header_length(orig->data, orig->size);
	if (hlen > MAIL_RETURN_HEADER_MAX)
		hlen = MAIL_RETURN_HEADER_MAX;
	buf_append(out, orig->data, hlen);
	buf_printf(out, "\r\n--%s--\r\n", boundary);
}

int deliver_mail_reject(const struct deliver_mail *m,
                        const struct deliver_mail_original *orig,
                        const struct sieve_action *a)
{
	/* RFC 5429 §2.1.2, §2.2.1: never a report to the null sender */
	if (a->address == NULL || a->address[0] == '\0')
		return 0;
	struct queued q;
	struct buf text;
	const char *to = a->address;
	bool is_mdn = a->type == SIEVE_ACTION_REJECT;
	if (queue_begin(m, "", &to, 1, "8BITMIME", false, &q) < 0)
		return -1;
	buf_init(&text);
	const char *msgid = message_id(m, &q, is_mdn ? "mdn" : "dsn");
	if (is_mdn) {
		compose_mdn(m, orig, a, msgid, &text);
	} else {
		/* RFC 5429 §2.1.1: an ASCII reason, as an SMTP reply would be
		 */
		struct buf reason;
		buf_init(&reason);
		buf_append_str(&reason, "550 5.7.1 refused by the recipient's "
		                        "mail filter: ");
		for (const char *p = a->reason; *p != '\0'; p++)
			buf_append_char(&reason,
			                (unsigned char)*p < 0x80 ? *p : '?');
		struct mime_dsn_rcpt rcpt = {
		    .address = m->user,
		    .action = MIME_DSN_FAILED,
		    .status = "5.7.1",
		    .diagnostic = reason.data,
		};
		struct mime_dsn dsn = {
		    .reporting_mta = m->hostname,
		    .to = a->address,
		    .envid = orig->env->envid,
		    .arrival = orig->env->arrival,
		    .now = m->now,
		    .message_id = msgid,
		    .boundary = pool_printf(m->pool, "=_dsn_%s", q.env.id),
		    .rcpt_count = 1,
		    .rcpts = &rcpt,
		};
		mime_dsn_compose(&dsn, (const char *)orig->data, orig->size,
		                 &text);
		buf_deinit(&reason);
	}
	int ret = queue_text(m, is_mdn ? "reject" : "ereject", &q, &text);
	buf_deinit(&text);
	return ret;
}

int deliver_mail_notify(const struct deliver_mail *m,
                        const struct deliver_mail_original *orig,
                        const struct sieve_action *a)
{
	struct sieve_mailto mailto;
	if (sieve_mailto_parse(a->method, strlen(a->method), m->pool, &mailto) <
	    0)
		return 0; /* checked by the interpreter already */
	const char *orig_from = original_field(m, orig, "from");
	const char *orig_subject = original_field(m, orig, "subject");
	/* RFC 5436 §2.7: the URI's subject and body, else :message, else
	 * what the message is */
	const char *subject =
	    mailto.subject != NULL ? mailto.subject
	    : a->reason != NULL
	        ? a->reason
	        : pool_printf(m->pool, "New mail: %s",
	                      orig_subject != NULL ? orig_subject
	                                           : "(no subject)");
	const char *body =
	    mailto.body != NULL
	        ? mailto.body
	        : pool_printf(m->pool, "%s\r\n\r\nFrom: %s\r\nSubject: %s\r\n",
	                      a->reason != NULL ? a->reason : "New mail.",
	                      orig_from != NULL ? orig_from : "",
	                      orig_subject != NULL ? orig_subject : "");
	body = utf8_clean(m->pool, body);
	struct queued q;
	struct buf text, to;
	if (queue_begin(m, "", mailto.rcpts, mailto.rcpt_count, "8BITMIME",
	                false, &q) < 0)
		return -1;
	buf_init(&text);
	buf_init(&to);
	for (size_t i = 0; i < mailto.rcpt_count; i++)
		buf_printf(&to, "%s%s", i > 0 ? ", " : "", mailto.rcpts[i]);
	struct mime_compose msg = {
	    .from_addr = a->from != NULL ? a->from : m->user,
	    .to = to.data,
	    .subject = utf8_clean(m->pool, subject),
	    .date = m->now,
	    .message_id = message_id(m, &q, "notify"),
	    .body = body,
	    .body_size = strlen(body),
	};
	const char *extra = pool_printf(
	    m->pool, "Auto-Submitted: auto-notified; owner-email=\"%s\"\r\n%s",
	    m->user,
	    a->importance[0] == '1'   ? "Importance: high\r\n"
	    : a->importance[0] == '3' ? "Importance: low\r\n"
	                              : "");
	int ret = compose_text(m, "notify", &msg, extra, &text);
	if (ret == 0)
		ret = queue_text(m, "notify", &q, &text);
	else
		queue_writer_abort(&q.w);
	buf_deinit(&text);
	buf_deinit(&to);
	return ret;
}

/* Copies len bytes of fd from offset into the queue file. */
static int copy_range(struct queued *q, int fd, off_t offset, uint64_t len)
{
	char *chunk = malloc(MAIL_COPY_CHUNK);
	int ret = chunk != NULL ? 0 : -1;
	while (ret == 0 && len > 0) {
		size_t want =
		    len < MAIL_COPY_CHUNK ? (size_t)len : MAIL_COPY_CHUNK;
		ssize_t n = pread(fd, chunk, want, offset);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || queue_writer_write(q->w, chunk, (size_t)n) < 0) {
			ret = -1;
			break;
		}
		len -= (uint64_t)n;
		offset += n;
	}
	free(chunk);
	return ret;
}

int deliver_mail_redirect(const struct deliver_mail *m,
                          const struct deliver_mail_original *orig,
                          const struct sieve_edit *edit, const char *sender,
                          const char *address)
{
	const struct queue_envelope *env = orig->env;
	struct queued q;
	if (queue_begin(m, sender, &address, 1,
	                env->body != NULL ? env->body : "8BITMIME",
	                env->smtputf8, &q) < 0)
		return -1;
	struct buf head, arc;
	buf_init(&head);
	buf_init(&arc);
	buf_printf(&head, "Delivered-To: %s\r\n", m->user);
	uint64_t skip = 0;
	if (edit != NULL) {
		buf_append(&head, edit->header, edit->header_size);
		skip = edit->body_offset;
	}
	if (m->authserv_id != NULL && skip <= env->data_size) {
		/* ARC (RFC 8617) over the header as sent and the body */
		struct buf full;
		buf_init(&full);
		buf_append(&full, head.data, head.len);
		size_t hlen = header_length(orig->data, orig->size);
		if (edit == NULL)
			buf_append(&full, orig->data, hlen);
		uint64_t body = edit != NULL ? skip : hlen;
		if (body <= env->data_size)
			deliver_arc_seal(m, full.data, full.len, orig->fd,
			                 env->data_offset + (off_t)body,
			                 env->data_size - body, &arc);
		buf_deinit(&full);
	}
	int ret = queue_writer_write(q.w, arc.data, arc.len);
	if (ret == 0)
		ret = queue_writer_write(q.w, head.data, head.len);
	buf_deinit(&head);
	buf_deinit(&arc);
	if (ret == 0 && skip <= env->data_size)
		ret = copy_range(&q, orig->fd, env->data_offset + (off_t)skip,
		                 env->data_size - skip);
	if (ret < 0) {
		queue_writer_abort(&q.w);
		log_error(NULL,
		          "rules-mail-failed id=%s kind=redirect error=%s",
		          m->id, "cannot copy message");
		return -1;
	}
	return queue_commit(m, "redirect", NULL, &q);
}

void deliver_mail_report(const struct deliver_mail *m, const char *script,
                         unsigned line, unsigned column, const char *error,
                         struct buf *out)
{
	const char *body = pool_printf(
	    m->pool,
	    "Your mail filter (Sieve script \"%s\") failed at line %u, "
	    "column %u:\r\n\r\n    %s\r\n\r\n"
	    "Until it is fixed, messages are kept in your INBOX, as if there "
	    "were no filter.\r\nYou get this note once for each version of the "
	    "script.\r\n",
	    script, line, column, error);
	body = utf8_clean(m->pool, body);
	struct mime_compose msg = {
	    .from_name = "Mail filter",
	    .from_addr = pool_printf(m->pool, "MAILER-DAEMON@%s", m->hostname),
	    .to = m->user,
	    .subject = "Your mail filter failed",
	    .date = m->now,
	    .body = body,
	    .body_size = strlen(body),
	};
	if (compose_text(m, "report", &msg,
	                 "Auto-Submitted: auto-generated (sieve error)\r\n",
	                 out) < 0)
		buf_truncate(out, 0);
}

unsigned deliver_mail_delivered_to(const unsigned char *data, size_t size,
                                   const char *user, bool *names_user_r)
{
	size_t hlen = header_length(data, size);
	const char *p = (const char *)data, *end = p + hlen;
	unsigned count = 0;
	size_t ulen = strlen(user);
	*names_user_r = false;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t len =
		    eol != NULL ? (size_t)(eol - p) : (size_t)(end - p);
		if (len > 13 && strncasecmp(p, "delivered-to:", 13) == 0) {
			count++;
			const char *v = p + 13;
			while (v < p + len && (*v == ' ' || *v == '\t'))
				v++;
			size_t vlen = (size_t)(p + len - v);
			while (vlen > 0 &&
			       (v[vlen - 1] == '\r' || v[vlen - 1] == ' '))
				vlen--;
			if (vlen == ulen && strncasecmp(v, user, ulen) == 0)
				*names_user_r = true;
		}
		p = eol != NULL ? eol + 1 : end;
	}
	return count;
}
