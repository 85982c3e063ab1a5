/* Events, tasks and journal entries as a client shows them (RFC 5545
 * §3.6.1-§3.6.3): each instance of a calendar object in a range (RRULE,
 * RDATE, EXDATE and overrides expanded by ical_recur_each) or the object's
 * master component, with the properties a person reads (SUMMARY,
 * LOCATION, DESCRIPTION, start and end, all-day or not, STATUS, DUE,
 * PRIORITY, COMPLETED, alarms, ORGANIZER and ATTENDEEs with their
 * PARTSTAT). Floating times and dates are taken in the local zone given,
 * so an all-day event stays on its day. Also the local time zone itself
 * (TZ, else /etc/localtime). */
#ifndef DAV_ICAL_ITEM_H
#define DAV_ICAL_ITEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dav/ical.h"

struct pool;

#define ICAL_ITEM_ALARMS_MAX 8

struct ical_attendee {
	const char *address;  /* the mailto: address, without the scheme */
	const char *name;     /* CN, "" when none */
	const char *partstat; /* NEEDS-ACTION when none (RFC 5545 §3.2.12) */
	bool is_rsvp;
};

/* One instance (or the master) of an event, task or journal entry. Text
 * is unescaped; "" when a property is absent. Times are UTC seconds,
 * ICAL_TIME_MIN when absent. */
struct ical_item {
	enum ical_kind kind;
	const char *uid;
	const char *summary, *location, *description, *status;
	int64_t start, end;    /* end: start plus the duration */
	bool is_all_day;       /* DTSTART is a DATE */
	const char *tzid;      /* DTSTART's TZID, "" for UTC or floating */
	bool is_recurring;     /* the object recurs */
	int64_t recurrence_id; /* this instance's, ICAL_TIME_MIN for the
	                          master of an object that does not recur */
	const char *rrule;     /* the master's RRULE, "" when none */
	int64_t due, completed;
	bool is_due_date; /* DUE is a DATE (a task due that day) */
	int priority;     /* 0 undefined, 1 highest .. 9 lowest */
	int percent;      /* PERCENT-COMPLETE, 0 when absent */
	int sequence;
	int64_t alarms[ICAL_ITEM_ALARMS_MAX]; /* seconds before the start
	                                         (or due), per VALARM with
	                                         a relative TRIGGER */
	size_t alarm_count;
	const char *organizer; /* address without mailto:, "" when none */
	struct ical_attendee *attendees;
	size_t attendee_count;
};

/* Returns non-zero to stop the walk; item lives until the pool given to
 * the walk is cleared. */
typedef int ical_item_cb(const struct ical_item *item, void *ctx);

/* Calls cb for every instance of obj that overlaps [from, to) (an
 * instance of no length counts when its start lies in the range; a task
 * without dates always comes), overrides in place of the instances they
 * replace, in time order within the master's. local: the zone of
 * floating times and dates (NULL: UTC). Returns 0, cb's value, or -1
 * when the expansion passed its limit (the instances seen were given). */
int ical_item_each(const struct ical_object *obj, int64_t from, int64_t to,
                   const struct ical_tz *local, struct pool *pool,
                   ical_item_cb *cb, void *ctx);
/* Fills *item_r from the master component (the one without
 * RECURRENCE-ID, else the first). */
void ical_item_master(const struct ical_object *obj,
                      const struct ical_tz *local, struct pool *pool,
                      struct ical_item *item_r);

/* The local time zone: TZ (":Europe/Berlin" or "Europe/Berlin"), else
 * the zone /etc/localtime links to, else UTC. Returns it (free with
 * ical_tz_free) and its IANA name in *name_r (static storage). */
struct ical_tz *ical_tz_local(const char **name_r);
/* The UTC offset of tz at t, in seconds east. */
int ical_tz_offset(const struct ical_tz *tz, int64_t t);

#endif
