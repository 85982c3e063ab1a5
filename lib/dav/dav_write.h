/* Writing WebDAV answers (RFC 4918 §13, §14.16, §16): the 207 multistatus
 * body with one response per href and its properties grouped by status
 * into propstat elements, hrefs percent-encoded, and the DAV:error body
 * that names a failed precondition (RFC 4918 §16, RFC 4791 §1.3, RFC 6352
 * §6.3.2.1). Known namespaces get fixed prefixes declared once on the
 * root (D: DAV:, C: CalDAV, CR: CardDAV, CS: calendarserver.org, A:
 * apple.com/ns/ical); an element of another namespace declares its own.
 * Everything is appended to a struct buf: no libxml2 on the way out. */
#ifndef DAV_DAV_WRITE_H
#define DAV_DAV_WRITE_H

#include <stddef.h>

#include "core/buf.h"

#define DAV_PROPSTAT_MAX 4

/* The properties of one resource, grouped by status as they are written
 * (200, 403, 404, 424 ...): dav_propstats_group returns the buffer of a
 * status, where the caller appends property elements. */
struct dav_propstats {
	unsigned statuses[DAV_PROPSTAT_MAX];
	struct buf groups[DAV_PROPSTAT_MAX];
	size_t count;
};

/* The fixed prefix of ns ("D", "C", "CR", "CS", "A"), or NULL. */
const char *dav_write_prefix(const char *ns);

/* Appends the XML declaration and <D:multistatus> with the fixed
 * namespaces. */
void dav_write_multistatus_begin(struct buf *out);
/* Appends the optional <D:sync-token> (RFC 6578 §6.4) and closes the
 * multistatus. */
void dav_write_multistatus_end(struct buf *out, const char *sync_token);
/* Appends <D:href> with path percent-encoded (everything but unreserved
 * characters, sub-delims allowed in a segment, ":", "@" and "/"). */
void dav_write_href(struct buf *out, const char *path);
/* Appends a whole <D:response> for path with the groups of ps (those with
 * no property are left out; with none at all, an empty 200 propstat),
 * then empties ps for the next resource. */
void dav_write_response_props(struct buf *out, const char *path,
                              struct dav_propstats *ps);
/* Appends a <D:response> for path with only a status (RFC 4918 §14.24):
 * a member that is gone (sync-collection 404) or was not found
 * (multiget). */
void dav_write_response_status(struct buf *out, const char *path,
                               unsigned status);
/* Appends "<D:status>HTTP/1.1 <status> <reason></D:status>". */
void dav_write_status(struct buf *out, unsigned status);

/* Opens, closes or writes empty an element: with the fixed prefix of ns,
 * or as <X:name xmlns:X="ns"> for another namespace. */
void dav_write_open(struct buf *out, const char *ns, const char *name);
void dav_write_close(struct buf *out, const char *ns, const char *name);
void dav_write_empty(struct buf *out, const char *ns, const char *name);
/* Appends <ns:name>text</ns:name> with text escaped. */
void dav_write_text_prop(struct buf *out, const char *ns, const char *name,
                         const char *text);

void dav_propstats_init(struct dav_propstats *ps);
void dav_propstats_deinit(struct dav_propstats *ps);
/* Returns the buffer for properties of status (a new group when it has
 * none yet; ASSERT()s on more than DAV_PROPSTAT_MAX statuses). */
struct buf *dav_propstats_group(struct dav_propstats *ps, unsigned status);

/* Appends a whole DAV:error body naming the precondition ns:name; href,
 * when not NULL, goes inside it as a <D:href> (no-uid-conflict names the
 * resource that holds the UID, RFC 4791 §5.3.2.1), and description, when
 * not NULL, follows as a human-readable <D:responsedescription> (the
 * DAV:error element may hold any element, RFC 4918 §14.5). */
void dav_write_error(struct buf *out, const char *ns, const char *name,
                     const char *href, const char *description);

#endif
