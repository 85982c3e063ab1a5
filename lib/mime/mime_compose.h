/* Writing messages (RFC 5322 §3.6 fields, RFC 2045-2046 MIME, RFC 2047
 * encoded words, RFC 2231 parameters, RFC 2183 Content-Disposition) with
 * GMime 3, and the helpers a mail client needs around them: replying
 * (RFC 5322 §3.6.4 In-Reply-To/References, quoting) and forwarding (the
 * original attached whole as message/rfc822, RFC 2046 §5.2.1, so its
 * header, body and attachments travel byte for byte). Every message made
 * here has CRLF line ends, only 7-bit header bytes and valid MIME. */
#ifndef MIME_MIME_COMPOSE_H
#define MIME_MIME_COMPOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct buf;
struct pool;

/* One attached file. */
struct mime_compose_attachment {
	const char *filename;     /* UTF-8 name without folders, or NULL */
	const char *content_type; /* "type/subtype", or NULL: guessed from
	                             filename, then from data */
	const unsigned char *data;
	size_t size;
};

/* What a message is made of. Address lists are as a person types them:
 * "Ann <ann@example.org>, bob@example.net" (UTF-8 display names), or NULL.
 * Every other pointer may be NULL unless said otherwise. */
struct mime_compose {
	const char *from_name; /* display name, UTF-8 */
	const char *from_addr; /* required: "lisa@example.org" */
	const char *to, *cc, *bcc, *reply_to;
	const char *subject;     /* UTF-8 */
	time_t date;             /* 0: now */
	const char *message_id;  /* without <>; NULL: made unique here */
	const char *in_reply_to; /* "<id@host>" */
	const char *references;  /* "<a@host> <b@host>" */
	const char *user_agent;
	const char *body; /* UTF-8 text, LF or CRLF line ends */
	size_t body_size;
	const struct mime_compose_attachment *attachments;
	size_t attachment_count;
	bool is_draft; /* a draft may have no recipient yet */
};

/* Builds the message and appends it to out. Bcc stays in the header: the
 * submitting code takes the envelope recipients from To, Cc and Bcc and
 * removes Bcc before sending (RFC 5322 §3.6.3, first method). The body is
 * text/plain; charset=utf-8, quoted-printable when it has 8-bit bytes or a
 * line over 76 characters, else 7bit; with attachments the message is
 * multipart/mixed with base64 parts (message/rfc822 ones kept as 7bit or
 * 8bit, RFC 2046 §5.2.1). Returns 0 with the Message-ID (without <>, from
 * pool) in *message_id_r, or -1 with *error_r (static or from pool): "no
 * From address", "invalid address in To: x", "body is not valid UTF-8",
 * "no To, Cc or Bcc" (unless is_draft). Nothing is appended on failure. */
int mime_compose_build(const struct mime_compose *msg, struct pool *pool,
                       struct buf *out, const char **message_id_r,
                       const char **error_r);

/* Returns the media type for a file: from the extension of filename
 * (case-insensitive; pdf, png, jpg, gif, txt, html, csv, zip, doc(x),
 * xls(x), ppt(x), odt, ods, ics, vcf, eml → message/rfc822 ...), else
 * "text/plain" when data is valid UTF-8 without control bytes other than
 * tab, CR, LF and FF, else "application/octet-stream". The string is
 * static. */
const char *mime_compose_guess_type(const char *filename,
                                    const unsigned char *data, size_t size);

/* "Re: " + subject, with any leading "Re:", "RE:", "Re[2]:" (repeated)
 * removed first so replies never pile up prefixes. From pool. */
const char *mime_compose_reply_subject(const char *subject, struct pool *pool);
/* "Fwd: " + subject unless it already starts with "Fwd:" or "Fw:". */
const char *mime_compose_forward_subject(const char *subject,
                                         struct pool *pool);

/* A reply to, or a forward of, an original message. */
struct mime_reply {
	const char *to;          /* address list, or NULL */
	const char *cc;          /* address list, or NULL */
	const char *subject;     /* decoded, with "Re: " / "Fwd: " */
	const char *in_reply_to; /* "<id>", or NULL if it had no Message-ID */
	const char *references;  /* "<a> <b> <id>", or NULL */
	const char *quoted;      /* "On DATE, NAME wrote:\n> ...\n", LF ends */
};

/* Fills *reply_r (everything from pool) from the original message (data,
 * size bytes, the whole message as stored). To is its Reply-To, else its
 * From; with is_all, Cc gets its To and Cc as well. Addresses equal to
 * own_addr (case-insensitive; may be NULL) and duplicates are left out;
 * when that empties To (a reply to one's own message), To becomes the
 * original's To. The quote is the first text/plain part (else the first
 * text part) decoded to UTF-8, each line prefixed "> ". Never fails: a
 * broken original gives what could be found. */
void mime_compose_reply(const unsigned char *data, size_t size,
                        const char *own_addr, bool is_all, struct pool *pool,
                        struct mime_reply *reply_r);

/* Fills *reply_r for forwarding (subject only; the other fields NULL) and
 * *attachment_r with the original (data must outlive it) as a
 * message/rfc822 attachment named after its subject. Never fails. */
void mime_compose_forward(const unsigned char *data, size_t size,
                          struct pool *pool, struct mime_reply *reply_r,
                          struct mime_compose_attachment *attachment_r);

#endif
