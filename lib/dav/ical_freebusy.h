/* CalDAV free-busy-query (RFC 4791 §7.10): busy time of the objects of a
 * calendar within a range, aggregated into one VFREEBUSY in UTC. VEVENT
 * instances (recurrences expanded) count unless TRANSP:TRANSPARENT or
 * STATUS:CANCELLED or of zero length; STATUS:TENTATIVE makes them
 * BUSY-TENTATIVE, else BUSY. FREEBUSY properties of VFREEBUSY components
 * count with their FBTYPE (FREE ones not). Periods are clipped to the
 * range, and those of one type that overlap or touch are merged.
 * XXX VAVAILABILITY (RFC 7953) is not read. */
#ifndef DAV_ICAL_FREEBUSY_H
#define DAV_ICAL_FREEBUSY_H

#include <stdint.h>
#include <time.h>

struct buf;
struct ical_object;
struct ical_tz;
struct pool;

struct ical_freebusy;

/* Returns an empty aggregation over [start, end). */
struct ical_freebusy *ical_freebusy_new(int64_t start, int64_t end);
/* Sets *fb to NULL; accepts NULL. */
void ical_freebusy_free(struct ical_freebusy **fb);
/* Adds the busy time of obj (floating times in floating, NULL: UTC). */
void ical_freebusy_add(struct ical_freebusy *fb, const struct ical_object *obj,
                       const struct ical_tz *floating);
/* Appends the VCALENDAR with one VFREEBUSY (DTSTAMP now), lines in CRLF. */
void ical_freebusy_write(struct ical_freebusy *fb, time_t now, struct buf *out);

/* An iTIP VFREEBUSY REQUEST (RFC 5546 §3.3.2), as POSTed to a schedule
 * outbox (RFC 6638 §5). Addresses lowercased, without "mailto:". */
struct ical_fb_request {
	const char *uid;
	const char *organizer;
	const char **attendees;
	size_t attendee_count;
	int64_t start, end; /* UTC seconds, start < end */
};
/* Reads obj (parsed with allow_method) as a VFREEBUSY REQUEST: METHOD
 * REQUEST, one VFREEBUSY with DTSTART, DTEND after it, a mailto:
 * ORGANIZER and at least one mailto: ATTENDEE. Returns 0 with *r (strings
 * from pool), or -1 with *error_r (static text). */
int ical_freebusy_request_read(const struct ical_object *obj, struct pool *pool,
                               struct ical_fb_request *r, const char **error_r);
/* Appends the VFREEBUSY REPLY (RFC 5546 §3.3.3) of attendee to r: METHOD
 * REPLY, r's UID, ORGANIZER and range, the busy periods of fb and nothing
 * else of the events. */
void ical_freebusy_write_reply(struct ical_freebusy *fb, time_t now,
                               const struct ical_fb_request *r,
                               const char *attendee, struct buf *out);

#endif
