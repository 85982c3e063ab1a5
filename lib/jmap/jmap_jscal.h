/* JSCalendar (RFC 8984) Event and Task objects, and Postroom's journal
 * entries (doc/jmap.md: "@type": "JournalEntry", the same members as an
 * Event without duration), from iCalendar (RFC 5545) and back, for JMAP
 * for Calendars (the IETF draft) and the tasks and journal capabilities
 * over CalDAV's calendar object resources. Mapped: uid, title,
 * description, locations, start, timeZone, showWithoutTime, duration,
 * due, estimatedDuration, status, progress, percentComplete,
 * freeBusyStatus, privacy, priority, sequence, created, updated,
 * keywords, recurrenceRules, recurrenceOverrides (EXDATE, RDATE and
 * RECURRENCE-ID components), participants (ORGANIZER, ATTENDEE), alerts
 * (VALARM); every other property is kept as its content line in
 * "iCalProps" and written back unchanged. */
#ifndef JMAP_JMAP_JSCAL_H
#define JMAP_JMAP_JSCAL_H

#include "jmap/jmap.h"

struct buf;
struct pool;

/* The object of the master component of an iCalendar resource (data,
 * size bytes, already valid for CalDAV), with its overrides in
 * recurrenceOverrides. Returns a new reference, or NULL if it does not
 * parse. */
json_t *jmap_jscal_from_ical(const unsigned char *data, size_t size,
                             struct pool *pool);

/* Checks obj (its "@type" must be type: "Event", "Task" or
 * "JournalEntry") and appends it as a VCALENDAR to out. Returns 0, or -1
 * with *prop_r (the member that is not valid, as a path) and *error_r. */
int jmap_jscal_to_ical(json_t *obj, const char *type, struct pool *pool,
                       struct buf *out, const char **prop_r,
                       const char **error_r);

#endif
