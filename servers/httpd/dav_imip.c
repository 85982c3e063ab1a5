/* iMIP (RFC 6047): a scheduling message for someone on another server,
 * queued through lib/queue like any other mail, with the calendar user
 * who sends it (the organizer of a REQUEST or CANCEL, the attendee of a
 * REPLY) as the envelope sender and From, after the same check as
 * submission (store_sender_allowed: the account's own address, a
 * +detail, or an alias that delivers to it). The message is
 * multipart/alternative (RFC 6047 §2.4): a short text for mail readers,
 * then the iTIP object as text/calendar with its method parameter (§2.2.2),
 * base64 when it holds 8-bit bytes. qmgr is woken as smtpd wakes it. */
#include "core/base64.h"
#include "core/buf.h"
#include "core/digest.h"
#include "core/log.h"
#include "core/pool.h"
#include "dav/ical.h"
#include "dav_server.h"
#include "httpd.h"
#include "queue/queue.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static bool is_ascii(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s >= 0x80 || (unsigned char)*s < 0x20)
			return false;
	}
	return true;
}

/* A header field's text: as it is when plain ASCII, else one RFC 2047
 * encoded word per 45 bytes. */
static void header_text(struct buf *out, const char *text)
{
	if (is_ascii(text)) {
		buf_append_str(out, text);
		return;
	}
	size_t len = strlen(text);
	for (size_t i = 0; i < len; i += 45) {
		buf_append_str(out, i == 0 ? "=?utf-8?b?" : "\r\n =?utf-8?b?");
		base64_encode(text + i, len - i > 45 ? 45 : len - i, out);
		buf_append_str(out, "?=");
	}
}

/* A mailbox "Name" <addr>; a name with quotes or backslashes is left
 * out. */
static void mailbox(struct buf *out, const char *name, const char *addr)
{
	if (name != NULL && name[0] != '\0' && strpbrk(name, "\"\\") == NULL) {
		if (is_ascii(name)) {
			buf_printf(out, "\"%s\" ", name);
		} else {
			header_text(out, name);
			buf_append_char(out, ' ');
		}
	}
	buf_printf(out, "<%s>", addr);
}

/* A body part's bytes: 7bit when short-lined ASCII, else base64 in lines
 * of 76 (RFC 2045 §6.8). */
static void part_body(struct buf *out, const char *type, const char *text)
{
	bool plain = true;
	for (const char *p = text; plain && *p != '\0'; p++)
		plain = ((unsigned char)*p < 0x80 &&
		         ((unsigned char)*p >= 0x20 || *p == '\r' ||
		          *p == '\n' || *p == '\t'));
	buf_printf(out,
	           "Content-Type: %s\r\nContent-Transfer-Encoding: %s\r\n\r\n",
	           type, plain ? "7bit" : "base64");
	if (plain) {
		buf_append_str(out, text);
		if (out->len > 0 && out->data[out->len - 1] != '\n')
			buf_append_str(out, "\r\n");
		return;
	}
	struct buf b64;
	buf_init(&b64);
	base64_encode(text, strlen(text), &b64);
	for (size_t i = 0; i < b64.len; i += 76) {
		buf_append(out, b64.data + i,
		           b64.len - i > 76 ? 76 : b64.len - i);
		buf_append_str(out, "\r\n");
	}
	buf_deinit(&b64);
}

static const char *subject_verb(const struct dav_imip *m)
{
	if (strcmp(m->method, "CANCEL") == 0)
		return m->is_uninvite ? "Invitation withdrawn" : "Cancelled";
	if (strcmp(m->method, "REQUEST") == 0)
		return m->is_update ? "Updated invitation" : "Invitation";
	if (m->partstat != NULL && strcmp(m->partstat, "ACCEPTED") == 0)
		return "Accepted";
	if (m->partstat != NULL && strcmp(m->partstat, "DECLINED") == 0)
		return "Declined";
	if (m->partstat != NULL && strcmp(m->partstat, "TENTATIVE") == 0)
		return "Tentative";
	return "Reply";
}

/* The text part: what happened, in a sentence or two. */
static const char *text_part(struct pool *pool, const struct dav_imip *m)
{
	char when[17] = "";
	if (m->start != ICAL_TIME_MIN)
		ical_time_format_utc(m->start, when);
	const char *what = m->summary[0] != '\0' ? m->summary : "(no title)";
	const char *line =
	    strcmp(m->method, "REPLY") == 0
	        ? pool_printf(pool, "%s answered %s to: %s", m->from,
	                      m->partstat != NULL ? m->partstat : "", what)
	    : strcmp(m->method, "CANCEL") == 0 && m->is_uninvite
	        ? pool_printf(pool, "%s withdrew your invitation to: %s",
	                      m->from, what)
	    : strcmp(m->method, "CANCEL") == 0
	        ? pool_printf(pool, "%s cancelled: %s", m->from, what)
	        : pool_printf(pool, "%s invites you to: %s", m->from, what);
	return pool_printf(pool,
	                   "%s\r\n%s%s%s\r\nThe calendar object is attached "
	                   "(text/calendar, RFC 6047).\r\n",
	                   line, when[0] != '\0' ? "When (UTC): " : "", when,
	                   when[0] != '\0' ? "\r\n" : "");
}

/* An id for Message-ID and the boundary: unique per process and time. */
static const char *unique_id(struct pool *pool, const char *seed)
{
	static unsigned counter;
	char hex[65];
	const char *in =
	    pool_printf(pool, "%s/%lld/%ld/%u", seed, (long long)time(NULL),
	                (long)getpid(), counter++);
	digest_sha256_hex(in, strlen(in), hex);
	hex[24] = '\0';
	return pool_strdup(pool, hex);
}

static void message_build(struct httpd *httpd, struct pool *pool,
                          const struct dav_imip *m, const char *queue_id,
                          struct buf *out)
{
	char date[64];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	const char *id = unique_id(pool, m->itip);
	buf_printf(out,
	           "Received: by %s (Postroom) with HTTP (CalDAV scheduling)"
	           " id %s\r\n\tfor <%s>; %s\r\nDate: %s\r\nFrom: ",
	           httpd->hostname, queue_id, m->to, date, date);
	mailbox(out, m->from_name, m->from);
	buf_printf(out, "\r\nTo: <%s>\r\nSubject: ", m->to);
	const char *subject =
	    pool_printf(pool, "%s: %s", subject_verb(m),
	                m->summary[0] != '\0' ? m->summary : "(no title)");
	header_text(out, subject);
	buf_printf(out,
	           "\r\nMessage-ID: <%s@%s>\r\nMIME-Version: 1.0\r\n"
	           "Content-Type: multipart/alternative;"
	           " boundary=\"=_postroom_%s\"\r\n\r\n"
	           "--=_postroom_%s\r\n",
	           id, httpd->hostname, id, id);
	part_body(out, "text/plain; charset=utf-8", text_part(pool, m));
	buf_printf(out, "--=_postroom_%s\r\n", id);
	part_body(out,
	          pool_printf(pool, "text/calendar; charset=utf-8; method=%s",
	                      m->method),
	          m->itip);
	buf_printf(out, "--=_postroom_%s--\r\n", id);
}

int dav_imip_send(struct dav_request *d, const struct dav_imip *m)
{
	struct httpd *httpd = d->httpd;
	int allowed = store_sender_allowed(httpd->store, d->user, m->from);
	if (allowed <= 0) {
		log_info(NULL,
		         "dav imip-refused user=%s from=<%s> to=<%s> "
		         "reason=\"%s\"",
		         log_sanitize(d->user, 100), log_sanitize(m->from, 200),
		         log_sanitize(m->to, 200),
		         allowed < 0 ? "store failure"
		                     : "not an address of the account");
		return -1;
	}
	char *queue_dir = settings_data_path(&httpd->set, "queue");
	struct queue_recipient rcpt = {
	    .address = m->to,
	    .original = m->to,
	    .status = QUEUE_RCPT_PENDING,
	};
	struct queue_envelope env = {
	    .arrival = time(NULL),
	    .sender = m->from,
	    .body = "7BIT",
	    .auth_user = d->user,
	    .client_addr = "caldav",
	    .helo = "caldav",
	    .rcpt_count = 1,
	    .rcpts = &rcpt,
	};
	struct queue_writer *w;
	const char *error = NULL;
	struct buf bytes;
	buf_init(&bytes);
	int ret = -1;
	if (queue_writer_begin(queue_dir, &env, &w, &error) == 0) {
		message_build(httpd, d->pool, m, env.id, &bytes);
		if (queue_writer_write(w, bytes.data, bytes.len) < 0 ||
		    queue_writer_commit(&w, &error) < 0) {
			queue_writer_abort(&w);
			if (error == NULL)
				error = "write failed";
		} else {
			ret = 0;
		}
	}
	if (ret == 0) {
		log_info(NULL,
		         "dav imip-queued id=%s method=%s from=<%s> to=<%s> "
		         "uid=%s",
		         env.id, m->method, log_sanitize(m->from, 200),
		         log_sanitize(m->to, 200), log_sanitize(m->uid, 200));
		queue_notify(queue_dir);
	} else {
		log_error(NULL, "dav imip-failed to=<%s> error=%s",
		          log_sanitize(m->to, 200), error);
	}
	buf_deinit(&bytes);
	free(queue_dir);
	return ret;
}
