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

#endif
