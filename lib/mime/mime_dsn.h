/* Delivery status notifications (RFC 3464) as qmgr sends them: a
 * multipart/report (RFC 6522) with report-type=delivery-status holding a
 * human-readable part, the message/delivery-status part (per-message
 * Reporting-MTA, Original-Envelope-Id, Arrival-Date, Future-Release-Request
 * of RFC 4865; per-recipient
 * Final-Recipient, Original-Recipient, Action, Status, Remote-MTA,
 * Diagnostic-Code) and the original message (RET=FULL) or its header
 * (text/rfc822-headers, RFC 6522 §4). Plain C: no GMime needed. */
#ifndef MIME_MIME_DSN_H
#define MIME_MIME_DSN_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct buf;

enum mime_dsn_action {
	MIME_DSN_FAILED,
	MIME_DSN_DELAYED,
	MIME_DSN_DELIVERED,
	MIME_DSN_RELAYED,
};

struct mime_dsn_rcpt {
	const char *address; /* Final-Recipient */
	const char *orcpt;   /* DSN ORCPT as received ("rfc822;a+40b"),
	                        xtext-decoded here; or NULL */
	enum mime_dsn_action action;
	const char *status;     /* "5.1.1" */
	const char *remote_mta; /* host name, or NULL */
	const char *diagnostic; /* "550 5.1.1 no such user" (peer text:
	                           cleaned here), or NULL */
};

struct mime_dsn {
	const char *reporting_mta; /* our host name */
	const char *to;            /* the envelope sender */
	const char *envid;         /* DSN ENVID (xtext) or NULL */
	time_t arrival;
	time_t now;             /* Date: */
	const char *message_id; /* without <> */
	const char *boundary;
	bool is_full; /* RET=FULL: the whole message */
	/* RFC 4865 §6: the FUTURERELEASE request of a held message,
	 * "for;SECONDS" or "until;DATE-TIME", or NULL */
	const char *future_release;
	size_t rcpt_count;
	const struct mime_dsn_rcpt *rcpts;
};

/* Appends the DSN (header and body, CRLF line ends) to out. original is
 * the message as queued (size bytes, CRLF); only its header is used
 * unless dsn->is_full. */
void mime_dsn_compose(const struct mime_dsn *dsn, const char *original,
                      size_t size, struct buf *out);
/* Appends the xtext-decoded form of str (RFC 3461 §4: "+XX" is a byte);
 * a malformed escape is kept as it is. */
void mime_dsn_xtext_decode(const char *str, struct buf *out);

#endif
