/* Email objects from messages (RFC 8621 §4.1): header fields in their
 * parsed forms (§4.1.2: Raw, Text, Addresses, GroupedAddresses,
 * MessageIds, Date, URLs; "header:Name:asForm:all" properties, §4.1.3),
 * the convenience properties (§4.1.3), bodyStructure, textBody, htmlBody
 * and attachments by the algorithm of §4.1.4, bodyValues (§4.1.4, with
 * maxBodyValueBytes), preview and hasAttachment. Built over lib/mime's
 * part tree of the whole message; leaf parts are numbered "1", "2", ... in
 * tree order (a message/rfc822 part is one leaf), and a part's blobId is
 * the message's blob id, "_" and that number (jmap_email_part_find). */
#ifndef JMAP_JMAP_EMAIL_H
#define JMAP_JMAP_EMAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "jmap/jmap.h"

struct buf;
struct mime_part;
struct pool;

/* One message parsed for Email/get and Email/parse. */
struct jmap_email_msg {
	const unsigned char *data;
	size_t size;
	struct mime_part *root;
	const char *blob_id; /* JMAP blobId of the whole message */
	struct pool *pool;
};

/* Parses data (size bytes, must outlive msg) into msg. */
void jmap_email_msg_init(struct jmap_email_msg *msg, const unsigned char *data,
                         size_t size, const char *blob_id, struct pool *pool);

/* True if prop names a property computed from the message bytes (not
 * from the store's metadata: id, blobId, threadId, mailboxIds, keywords,
 * size, receivedAt). */
bool jmap_email_prop_needs_body(const char *prop);

/* The fetch arguments of Email/get and Email/parse (§4.2). */
struct jmap_email_fetch {
	json_t *body_properties; /* borrowed array, or NULL: the defaults */
	bool fetch_text, fetch_html, fetch_all;
	size_t max_body_value_bytes; /* 0: no limit */
};

/* Sets obj's member prop (a property that needs the body) from msg.
 * Returns 0, or -1 when prop is a "header:" property that does not parse
 * (invalidArguments). */
int jmap_email_prop(const struct jmap_email_msg *msg, const char *prop,
                    const struct jmap_email_fetch *fetch, json_t *obj);

/* Checks a "header:Name[:asForm][:all]" property. Returns true if valid. */
bool jmap_email_header_prop_is_valid(const char *prop);

/* The default bodyProperties (§4.2), NULL-terminated. */
extern const char *const jmap_email_body_props[];
/* Every EmailBodyPart property, NULL-terminated. */
extern const char *const jmap_email_body_props_all[];

/* Finds leaf part number part_id ("3") of msg. Returns it, or NULL. */
const struct mime_part *jmap_email_part_find(const struct jmap_email_msg *msg,
                                             const char *part_id);
/* Appends the content of part, transfer-decoded, to out. */
void jmap_email_part_content(const struct jmap_email_msg *msg,
                             const struct mime_part *part, struct buf *out);
/* The Content-Type of part, "type/subtype" lowercased, from pool. */
const char *jmap_email_part_type(const struct mime_part *part,
                                 struct pool *pool);

/* ---- Dates (RFC 5322 §3.3 in, RFC 3339 out) ------------------------ */

/* date-time = [ day-of-week "," ] date time [CFWS]
 * Parses value (obsolete zones and two-digit years accepted). Returns 0
 * with the UTC time and the zone's offset in seconds, or -1. */
int jmap_date_parse(const char *value, time_t *t_r, int *offset_r);
/* Appends t as a UTCDate "2014-10-30T06:12:00Z". */
void jmap_date_utc(time_t t, struct buf *out);
/* Appends t in the zone of offset seconds: "2014-10-30T14:12:00+08:00". */
void jmap_date_local(time_t t, int offset, struct buf *out);
/* Parses a UTCDate or a Date (RFC 3339 with "Z" or an offset). Returns 0
 * with *t_r, or -1. */
int jmap_date_parse_rfc3339(const char *value, time_t *t_r);

#endif
