/* The message submission agent's changes (smtpd_msa.h): holding back the
 * header section of a submitted message, finding which of From, Date and
 * Message-ID it has (RFC 5322 §3.6), and writing the missing Date and
 * Message-ID. Lines end in CRLF: the SMTP engine refuses any message with
 * a bare CR or LF before it is queued. */
#include "smtpd_msa.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

void smtpd_msa_init(struct smtpd_msa *msa)
{
	memset(msa, 0, sizeof(*msa));
	buf_init(&msa->header);
}

void smtpd_msa_deinit(struct smtpd_msa *msa)
{
	buf_deinit(&msa->header);
}

/* field = field-name ":" ...; field-name = 1*ftext, and the obsolete
 * syntax allows WSP before the colon (RFC 5322 §3.6.8, §4.5.8). Returns
 * true if line (without CRLF) starts the field called name. */
static bool line_is_field(const char *line, size_t len, const char *name)
{
	size_t n = strlen(name);
	if (len <= n || strncasecmp(line, name, n) != 0)
		return false;
	while (n < len && (line[n] == ' ' || line[n] == '\t'))
		n++;
	return n < len && line[n] == ':';
}

/* Notes which of the fields smtpd cares about the header has. A line that
 * starts with WSP continues the field before it (folding, §2.2.3), so a
 * "Date:" inside a folded Subject is no Date field. */
static void header_scan(struct smtpd_msa *msa)
{
	const char *p = msa->header.data, *end = p + msa->header.len;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t len =
		    eol != NULL ? (size_t)(eol - p) : (size_t)(end - p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (len == 0)
			break; /* the empty line: the body follows */
		if (p[0] != ' ' && p[0] != '\t') {
			msa->has_from |= line_is_field(p, len, "From");
			msa->has_date |= line_is_field(p, len, "Date");
			msa->has_message_id |=
			    line_is_field(p, len, "Message-ID");
		}
		p = eol != NULL ? eol + 1 : end;
	}
	msa->is_done = true;
}

/* Returns the offset just past the header's empty line, searching from
 * from, or 0 when it is not in the buffer yet. */
static size_t header_end(const struct buf *h, size_t from)
{
	if (h->len >= 2 && memcmp(h->data, "\r\n", 2) == 0)
		return 2; /* no header fields at all */
	for (size_t i = from; i + 4 <= h->len; i++) {
		if (memcmp(h->data + i, "\r\n\r\n", 4) == 0)
			return i + 4;
	}
	return 0;
}

size_t smtpd_msa_feed(struct smtpd_msa *msa, const unsigned char *data,
                      size_t size)
{
	if (msa->is_done)
		return 0;
	size_t old = msa->header.len;
	size_t room = SMTPD_MSA_HEADER_MAX - old;
	size_t n = size < room ? size : room;
	buf_append(&msa->header, data, n);
	/* a CRLF CRLF may straddle the previous call's bytes */
	size_t end = header_end(&msa->header, old >= 3 ? old - 3 : 0);
	if (end > 0) {
		buf_truncate(&msa->header, end);
		header_scan(msa);
		return end - old;
	}
	if (msa->header.len >= SMTPD_MSA_HEADER_MAX) {
		msa->is_too_big = true;
		msa->is_done = true;
	}
	return size;
}

void smtpd_msa_finish(struct smtpd_msa *msa)
{
	if (!msa->is_done)
		header_scan(msa);
}

void smtpd_msa_fields(const struct smtpd_msa *msa, time_t now, const char *id,
                      const char *hostname, struct buf *out)
{
	if (!msa->has_date) {
		/* date-time = [ day-of-week "," ] date time, with the zone as
		 * +hhmm (RFC 5322 §3.3); strftime in the C locale */
		char date[64];
		struct tm tm;
		localtime_r(&now, &tm);
		strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
		buf_printf(out, "Date: %s\r\n", date);
	}
	if (!msa->has_message_id)
		buf_printf(out, "Message-ID: <%s@%s>\r\n", id, hostname);
}
