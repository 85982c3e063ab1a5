/* One iCalendar stream from many calendar object resources (RFC 5545
 * §3.4: a VCALENDAR holding components), for exporting a collection: the
 * components of each resource go into one VCALENDAR as they are (the
 * bytes the client stored), each VTIMEZONE once by its TZID, the
 * resources' own VERSION, PRODID, CALSCALE and METHOD left out. A
 * resource is read line by line; BEGIN and END lines are never folded in
 * what the store holds (ical.c refuses them). */
#ifndef DAV_ICAL_MERGE_H
#define DAV_ICAL_MERGE_H

#include <stddef.h>

struct buf;
struct ical_merge;

/* Starts a stream into out (not owned): the VCALENDAR's first lines with
 * prodid as PRODID. Free with ical_merge_finish. */
struct ical_merge *ical_merge_new(struct buf *out, const char *prodid);
/* Adds the components of one resource. Returns 0, or -1 when data is not
 * a VCALENDAR (nothing is added then). */
int ical_merge_add(struct ical_merge *m, const unsigned char *data,
                   size_t size);
/* Writes the VCALENDAR's end and frees *m (set to NULL). */
void ical_merge_finish(struct ical_merge **m);

#endif
