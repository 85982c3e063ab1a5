/* Declarations shared by lib/dav/ical*.c and nothing else: the structs
 * behind struct ical_object and struct ical_tz, UTC conversion of libical
 * times, the recurrence expansion (ical_recur.c) and the time-range rules
 * of RFC 4791 §9.9. libical's headers come in only through here. */
#ifndef DAV_ICAL_PRIVATE_H
#define DAV_ICAL_PRIVATE_H

#include "dav/ical.h"

#include <libical/ical.h>

/* The years a local time may have (ical.c comp_year_check), and the last
 * year an expansion goes to. */
#define ICAL_YEAR_MIN 1800
#define ICAL_YEAR_MAX 2500
#define ICAL_ONSET_YEAR_MIN 1500 /* of a VTIMEZONE observance */

struct ical_object {
	icalcomponent *root; /* the VCALENDAR */
	enum ical_kind kind;
	icalcomponent_kind libical_kind;
	char *uid;
	bool is_recurring;
	size_t max_instances;
};

struct ical_tz {
	icalcomponent *vcal; /* owns the VTIMEZONE, or NULL (builtin) */
	icaltimezone *zone;
};

/* RFC 5545 §3.6.5 for an iTIP message (ical_itip.c): adds the system's
 * VTIMEZONE (TZID as the parameter names it) for each TZID of root's
 * components of kind that root has none for, before those components;
 * the ones root has are kept. */
void ical_itip_zones_complete(icalcomponent *root, icalcomponent_kind kind);
/* libical state for this process (errors not fatal); idempotent. */
void ical_init(void);
/* t in UTC seconds: a UTC time as it is, one with a zone through it, a
 * floating time or a date in floating (NULL: UTC). */
int64_t ical_time_utc(struct icaltimetype t, const icaltimezone *floating);
/* Saturating a + b. */
int64_t ical_time_add(int64_t a, int64_t b);

/* One instance of a component: comp is the master (offset: this
 * instance's start minus the master's DTSTART, in seconds) or an override
 * (offset 0). start is the instance's DTSTART in UTC, ICAL_TIME_MIN when
 * the component has none. */
struct ical_instance {
	icalcomponent *comp;
	int64_t offset;
	int64_t start;
};

/* Returns non-zero to stop the walk. */
typedef int ical_instance_cb(const struct ical_instance *inst, void *ctx);

/* Calls cb for every instance of the components of kind in vcal that may
 * overlap [from, to): its start is before to, and its start plus its
 * duration and a day is after from (a component without DTSTART always
 * comes). The overrides come first, then the master's instances in time
 * order (DTSTART, RRULE, RDATE, less EXDATE and the overridden ones).
 * Returns 0 when all were seen, cb's non-zero value, or -1 when the
 * expansion stopped after max instances (the caller must then assume the
 * worst). */
int ical_recur_each(icalcomponent *vcal, icalcomponent_kind kind, int64_t from,
                    int64_t to, const icaltimezone *floating, size_t max,
                    ical_instance_cb *cb, void *ctx);
/* The duration of comp in seconds (DTEND - DTSTART, DURATION, DUE -
 * DTSTART), 0 when none, P1D for a DATE start without either. */
int64_t ical_comp_duration(icalcomponent *comp, const icaltimezone *floating);
/* RFC 4791 §9.9: does the instance of comp at offset overlap [start, end)?
 * For VEVENT, VTODO, VJOURNAL, VFREEBUSY and VALARM (parent's instance
 * given by parent and offset). */
bool ical_instance_overlaps(icalcomponent *comp, int64_t offset, int64_t start,
                            int64_t end, const icaltimezone *floating);
bool ical_alarm_overlaps(icalcomponent *alarm, icalcomponent *parent,
                         int64_t offset, int64_t start, int64_t end,
                         const icaltimezone *floating);

#endif
