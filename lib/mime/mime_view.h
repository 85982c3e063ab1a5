/* A message as a person sees it in a mail client: the summary a message
 * list shows (RFC 5322 §3.6 fields decoded per RFC 2047, the Date parsed
 * per §3.3), the readable body (RFC 2046 §5.1.4 multipart/alternative
 * resolved towards text/plain, HTML turned into text, §5.2.1 forwarded
 * messages shown inline), and the attachments with their RFC 2183 / RFC
 * 2231 file names and decoded bytes. Built over the tree of mime_parse();
 * any tree gives a result, so nothing here fails on a broken message. */
#ifndef MIME_MIME_VIEW_H
#define MIME_MIME_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct buf;
struct mime_part;
struct pool;

/* What a message list shows of one message. Strings are UTF-8 from the
 * caller's pool; "" when the field is absent (never NULL). */
struct mime_view_summary {
	const char *from_name;  /* display name, else the address */
	const char *from_addr;  /* "local@domain", "" when none */
	const char *to, *cc;    /* decoded field bodies */
	const char *subject;    /* decoded */
	time_t date;            /* Date: in UTC, 0 when missing or invalid */
	const char *message_id; /* unfolded field bodies, as written */
	const char *in_reply_to;
	const char *references;
	bool has_attachments;
};

/* Fills *summary_r from the message of root (parsed from data; the header
 * alone is enough for every field but has_attachments). Strings come from
 * pool. Never fails. */
void mime_view_summary(const unsigned char *data, const struct mime_part *root,
                       struct pool *pool, struct mime_view_summary *summary_r);

/* Appends the text a person reads to out, UTF-8 with LF line ends: text
 * parts in order, text/plain chosen over text/html in an alternative,
 * HTML as text, a forwarded message (message/rfc822) as a block that
 * starts "---------- Forwarded message ----------" and shows its From,
 * Date, Subject and To. Attachments are not shown (see below). Never
 * fails: a message with no text appends nothing. */
void mime_view_text(const unsigned char *data, const struct mime_part *root,
                    struct buf *out);

/* One attachment: a part that is neither shown as text nor a container. */
struct mime_view_attachment {
	unsigned int index;       /* 1, 2, ... in tree order */
	const char *filename;     /* decoded UTF-8 file name, or NULL */
	const char *content_type; /* "application/pdf", lowercased */
	size_t size;              /* bytes after transfer decoding */
	const struct mime_part *part;
};

/* Lists the attachments of the message of root: every leaf part that is
 * not text/plain or text/html shown inline (disposition "attachment"
 * makes any part one), and forwarded messages (message/rfc822, saved as
 * .eml) as a whole. Sets *list_r to an array from pool (NULL when none).
 * Returns how many there are. */
unsigned int mime_view_attachments(const unsigned char *data,
                                   const struct mime_part *root,
                                   struct pool *pool,
                                   struct mime_view_attachment **list_r);

/* Appends the bytes of attachment att after transfer decoding (as saved
 * to a file) to out. An unknown transfer encoding gives the bytes as
 * they are. */
void mime_view_attachment_data(const unsigned char *data,
                               const struct mime_view_attachment *att,
                               struct buf *out);

/* Returns a file name safe to create in a folder for att: its own name
 * with any folder part, leading dots and control bytes removed, else
 * "attachment-N" plus an extension known for its type (".pdf", ".eml").
 * The string is from pool. */
const char *
mime_view_attachment_filename(const struct mime_view_attachment *att,
                              struct pool *pool);

#endif
