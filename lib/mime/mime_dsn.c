/* Composes RFC 3464 delivery status notifications inside an RFC 6522
 * multipart/report. Text that came from a peer (diagnostics) or a sender
 * (addresses, ENVID, ORCPT) is cleaned to printable ASCII on one line so
 * that it cannot break the report's structure. Auto-Submitted:
 * auto-replied (RFC 3834 §5) marks it as machine-made. */
#include "mime/mime_dsn.h"
#include "core/buf.h"

#include <ctype.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#define DSN_TEXT_MAX 900

static const char *const action_names[] = {
    [MIME_DSN_FAILED] = "failed",
    [MIME_DSN_DELAYED] = "delayed",
    [MIME_DSN_DELIVERED] = "delivered",
    [MIME_DSN_RELAYED] = "relayed",
};

void mime_dsn_xtext_decode(const char *str, struct buf *out)
{
	/* xtext = *( xchar / hexchar ); hexchar = "+" 2(HEXDIG) */
	for (const char *p = str; *p != '\0'; p++) {
		if (p[0] == '+' && isxdigit((unsigned char)p[1]) &&
		    isxdigit((unsigned char)p[2])) {
			char hex[3] = {p[1], p[2], '\0'};
			buf_append_char(out, (char)strtol(hex, NULL, 16));
			p += 2;
		} else {
			buf_append_char(out, *p);
		}
	}
}

/* Appends str on one line of printable ASCII, at most max bytes. */
static void append_clean(struct buf *out, const char *str, size_t max)
{
	size_t n = 0;
	for (; *str != '\0' && n < max; str++, n++) {
		unsigned char c = (unsigned char)*str;
		buf_append_char(out, c == '\n' || c == '\t' ? ' '
		                     : c < 32 || c > 126    ? '?'
		                                            : (char)c);
	}
}

static void append_date(struct buf *out, time_t t)
{
	char date[64];
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	buf_append_str(out, date);
}

static const char *dsn_subject(const struct mime_dsn *dsn)
{
	bool any_failed = false, any_delayed = false;
	for (size_t i = 0; i < dsn->rcpt_count; i++) {
		any_failed |= dsn->rcpts[i].action == MIME_DSN_FAILED;
		any_delayed |= dsn->rcpts[i].action == MIME_DSN_DELAYED;
	}
	return any_failed    ? "Undelivered Mail Returned to Sender"
	       : any_delayed ? "Delayed Mail (still being retried)"
	                     : "Successful Mail Delivery Report";
}

static void compose_header(const struct mime_dsn *dsn, struct buf *out)
{
	buf_printf(out, "From: Mail Delivery System <MAILER-DAEMON@%s>\r\n",
	           dsn->reporting_mta);
	buf_append_str(out, "To: <");
	append_clean(out, dsn->to, 256);
	buf_printf(out, ">\r\nSubject: %s\r\nDate: ", dsn_subject(dsn));
	append_date(out, dsn->now);
	buf_printf(out, "\r\nMessage-ID: <%s>\r\n", dsn->message_id);
	buf_append_str(out, "Auto-Submitted: auto-replied\r\n"
	                    "MIME-Version: 1.0\r\n");
	buf_printf(out,
	           "Content-Type: multipart/report; "
	           "report-type=delivery-status;\r\n"
	           "\tboundary=\"%s\"\r\n\r\n"
	           "This is a MIME-encapsulated message.\r\n\r\n",
	           dsn->boundary);
}

static void compose_notice(const struct mime_dsn *dsn, struct buf *out)
{
	buf_printf(out,
	           "--%s\r\nContent-Type: text/plain; charset=us-ascii\r\n"
	           "Content-Description: Notification\r\n\r\n"
	           "This is the mail system at host %s.\r\n\r\n",
	           dsn->boundary, dsn->reporting_mta);
	const char *subject = dsn_subject(dsn);
	if (subject[0] == 'U')
		buf_printf(out,
		           "Your message could not be delivered to "
		           "one or more recipients.\r\n"
		           "%s attached below.\r\n\r\n",
		           dsn->is_full ? "It is" : "Its header is");
	else if (subject[0] == 'D')
		buf_append_str(out, "Your message has not been delivered yet "
		                    "to the recipients below.\r\n"
		                    "The mail system will keep trying; you "
		                    "need not send it again.\r\n\r\n");
	else
		buf_append_str(out, "Your message was delivered or passed on "
		                    "as you asked.\r\n\r\n");
	for (size_t i = 0; i < dsn->rcpt_count; i++) {
		const struct mime_dsn_rcpt *r = &dsn->rcpts[i];
		buf_append_char(out, '<');
		append_clean(out, r->address, 256);
		buf_printf(out, ">: %s", action_names[r->action]);
		if (r->diagnostic != NULL) {
			buf_append_str(out, ": ");
			append_clean(out, r->diagnostic, DSN_TEXT_MAX);
		}
		buf_append_str(out, "\r\n");
	}
	buf_append_str(out, "\r\n");
}

static void compose_rcpt(const struct mime_dsn_rcpt *r, struct buf *out)
{
	struct buf orcpt;
	buf_append_str(out, "\r\nFinal-Recipient: rfc822; ");
	append_clean(out, r->address, 256);
	buf_append_str(out, "\r\n");
	if (r->orcpt != NULL && strchr(r->orcpt, ';') != NULL) {
		/* RFC 3464 §2.3.2: address-type ";" the decoded address */
		buf_init(&orcpt);
		mime_dsn_xtext_decode(r->orcpt, &orcpt);
		buf_append_str(out, "Original-Recipient: ");
		append_clean(out, orcpt.data, 512);
		buf_append_str(out, "\r\n");
		buf_deinit(&orcpt);
	}
	buf_printf(out, "Action: %s\r\nStatus: %s\r\n", action_names[r->action],
	           r->status);
	if (r->remote_mta != NULL && r->remote_mta[0] != '\0') {
		buf_append_str(out, "Remote-MTA: dns; ");
		append_clean(out, r->remote_mta, 256);
		buf_append_str(out, "\r\n");
	}
	if (r->diagnostic != NULL && r->remote_mta != NULL &&
	    r->remote_mta[0] != '\0') {
		/* only a peer's reply is an smtp diagnostic (§2.3.6) */
		buf_append_str(out, "Diagnostic-Code: smtp; ");
		append_clean(out, r->diagnostic, DSN_TEXT_MAX);
		buf_append_str(out, "\r\n");
	}
}

static void compose_status(const struct mime_dsn *dsn, struct buf *out)
{
	buf_printf(out,
	           "--%s\r\nContent-Type: message/delivery-status\r\n"
	           "Content-Description: Delivery report\r\n\r\n"
	           "Reporting-MTA: dns; %s\r\n",
	           dsn->boundary, dsn->reporting_mta);
	if (dsn->envid != NULL) {
		struct buf envid;
		buf_init(&envid);
		mime_dsn_xtext_decode(dsn->envid, &envid);
		buf_append_str(out, "Original-Envelope-Id: ");
		append_clean(out, envid.data, 100);
		buf_append_str(out, "\r\n");
		buf_deinit(&envid);
	}
	buf_append_str(out, "Arrival-Date: ");
	append_date(out, dsn->arrival);
	buf_append_str(out, "\r\n");
	if (dsn->future_release != NULL) {
		buf_append_str(out, "Future-Release-Request: ");
		append_clean(out, dsn->future_release, 100);
		buf_append_str(out, "\r\n");
	}
	for (size_t i = 0; i < dsn->rcpt_count; i++)
		compose_rcpt(&dsn->rcpts[i], out);
	buf_append_str(out, "\r\n");
}

/* Returns the length of the header of msg, through its blank line. */
static size_t header_len(const char *msg, size_t size)
{
	/* RFC 5322 §2.1: a message that starts with the empty line has no
	 * header; its body is not returned in place of one */
	if ((size > 0 && msg[0] == '\n') ||
	    (size > 1 && msg[0] == '\r' && msg[1] == '\n'))
		return 0;
	for (size_t i = 0; i + 1 < size; i++) {
		if (msg[i] == '\n' && (msg[i + 1] == '\n' ||
		                       (msg[i + 1] == '\r' && i + 2 < size &&
		                        msg[i + 2] == '\n')))
			return i + 1;
	}
	return size;
}

void mime_dsn_compose(const struct mime_dsn *dsn, const char *original,
                      size_t size, struct buf *out)
{
	compose_header(dsn, out);
	compose_notice(dsn, out);
	compose_status(dsn, out);
	size_t len = dsn->is_full ? size : header_len(original, size);
	buf_printf(out,
	           "--%s\r\nContent-Type: %s\r\n"
	           "Content-Description: %s\r\n\r\n",
	           dsn->boundary,
	           dsn->is_full ? "message/rfc822" : "text/rfc822-headers",
	           dsn->is_full ? "Undelivered Message"
	                        : "Undelivered Message Headers");
	buf_append(out, original, len);
	if (len > 0 && original[len - 1] != '\n')
		buf_append_str(out, "\r\n");
	buf_printf(out, "\r\n--%s--\r\n", dsn->boundary);
}
