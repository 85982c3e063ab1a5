/* iTIP messages carried by mail (iMIP, RFC 6047; iTIP, RFC 5546) as a
 * client handles them: reading a text/calendar part with a METHOD
 * (REQUEST, REPLY, CANCEL ...), writing an organizer's event as a REQUEST
 * or CANCEL, writing an attendee's REPLY (RFC 5546 §3.2.3: the attendee's
 * own ATTENDEE with its PARTSTAT), and applying a REPLY to the organizer's
 * copy of the event. A message's object is not a CalDAV resource (it has
 * a METHOD, and a REPLY need not have DTSTART), so it is read with lighter
 * checks than ical_object_parse makes; what goes into a calendar is
 * checked again by ical_object_parse. */
#ifndef DAV_ICAL_IMIP_H
#define DAV_ICAL_IMIP_H

#include <stddef.h>
#include <time.h>

#include "dav/ical.h"

struct buf;
struct pool;

struct ical_imip {
	const char *method;      /* upper case, from pool */
	struct ical_object *obj; /* the object without its METHOD: read it
	                            with ical_item_master only; free with
	                            ical_object_free */
};

/* Reads a text/calendar part (at most set->max_size bytes): one
 * VCALENDAR with METHOD, components of one kind (VEVENT or VTODO) with
 * one UID. Returns 0 with *imip_r, or -1 with *error_r (from pool). */
int ical_imip_parse(const unsigned char *data, size_t size,
                    const struct ical_settings *set, struct pool *pool,
                    struct ical_imip *imip_r, const char **error_r);
/* Writes the calendar object of imip (without METHOD), checked by
 * ical_object_parse: what an attendee keeps in its calendar. Returns 0,
 * or -1 with *error_r. */
int ical_imip_object(const struct ical_imip *imip, struct pool *pool,
                     struct buf *out, const char **error_r);
/* Writes data (a calendar object) as an iTIP message with METHOD method
 * (REQUEST or CANCEL; a CANCEL gets STATUS:CANCELLED and the next
 * SEQUENCE). Returns 0, or -1
 * with *error_r. */
int ical_imip_message(const unsigned char *data, size_t size,
                      const char *method, time_t now, struct pool *pool,
                      struct buf *out, const char **error_r);
/* Writes attendee's REPLY to a REQUEST: METHOD:REPLY, each component with
 * UID, SEQUENCE, RECURRENCE-ID, DTSTART, DTEND or DURATION, SUMMARY,
 * ORGANIZER and only attendee's ATTENDEE with partstat (ACCEPTED,
 * DECLINED, TENTATIVE). Returns 0, or -1 with *error_r ("not invited"
 * when attendee is not an ATTENDEE). */
int ical_imip_reply(const struct ical_imip *request, const char *attendee,
                    const char *partstat, time_t now, struct pool *pool,
                    struct buf *out, const char **error_r);
/* Applies a REPLY to data, the organizer's copy of the event: the
 * PARTSTAT of the replying ATTENDEE, in the component of the same
 * RECURRENCE-ID (else the master). sender, when not NULL, must be that
 * attendee's address (RFC 6047 §3.2: the reply's From). Returns 0 with
 * the new object in out and the attendee and its PARTSTAT in *attendee_r
 * and *partstat_r (from pool), or -1 with *error_r ("the reply is for
 * another event", "the reply is older than the event", "not an
 * attendee", "the sender is not the attendee"). */
int ical_imip_apply_reply(const unsigned char *data, size_t size,
                          const struct ical_imip *reply, const char *sender,
                          time_t now, struct pool *pool, struct buf *out,
                          const char **attendee_r, const char **partstat_r,
                          const char **error_r);

/* A busy period of a VFREEBUSY (RFC 5545 §3.8.2.6). */
struct ical_busy {
	int64_t start, end; /* UTC seconds */
	const char *type;   /* FBTYPE: BUSY, BUSY-TENTATIVE, BUSY-UNAVAILABLE */
};

/* The busy periods of the VFREEBUSY components in data (a free-busy-query
 * answer, RFC 4791 §7.10, or a scheduling REPLY, RFC 6638 §5.1), FREE
 * ones left out, by start. Returns 0 with *busy_r and *count_r (from
 * pool), or -1 with *error_r. */
int ical_imip_freebusy(const unsigned char *data, size_t size,
                       const struct ical_settings *set, struct pool *pool,
                       struct ical_busy **busy_r, size_t *count_r,
                       const char **error_r);

#endif
