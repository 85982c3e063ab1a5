/* Writing events, tasks and journal entries for a client (RFC 5545): a
 * new calendar object from a few fields, a change of an object or of one
 * instance of a recurring one (an override with RECURRENCE-ID, §3.8.4.4),
 * an instance taken out (EXDATE, §3.8.5.1), a task completed, and the copy
 * a sync keeps of a local change the server's version won over (a new
 * UID). Times come as wall-clock dates and times in a named zone (IANA,
 * with a VTIMEZONE from the system's zoneinfo put in the object: RFC 5545
 * §3.6.5 wants one for every TZID), in UTC, or as dates (all-day). What is
 * written always passes ical_object_parse (the same checks a CalDAV
 * server of ours makes), else the call fails with the reason. DTSTAMP,
 * LAST-MODIFIED and SEQUENCE are kept up to date (RFC 5546 §2.1.4). */
#ifndef DAV_ICAL_EDIT_H
#define DAV_ICAL_EDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "dav/ical.h"

struct buf;
struct pool;

/* A wall-clock date and time as a person gives it. */
struct ical_when {
	bool is_set;
	bool is_date; /* only the date: all-day (RFC 5545 §3.3.4) */
	int year, month, day, hour, minute, second;
};

/* What to write. On a change, NULL strings, unset times, -1 numbers and
 * false has_ flags leave a property as it is; "" removes a text property
 * or the RRULE. */
struct ical_edit {
	enum ical_kind kind; /* new objects */
	const char *uid;     /* new objects */
	const char *summary, *location, *description;
	const char *status;          /* STATUS, upper case */
	struct ical_when start;      /* DTSTART */
	struct ical_when end;        /* DTEND (VEVENT) */
	int64_t duration;            /* seconds after start when end is unset;
	                                0: none given */
	struct ical_when due;        /* DUE (VTODO) */
	bool is_due_removed;         /* no DUE any more (a change) */
	const char *tzid;            /* the zone of the times above; NULL or
	                                "UTC": UTC */
	const struct ical_tz *local; /* the zone floating times and dates of
	                                the object are taken in (NULL: UTC),
	                                as ical_item_each took them */
	const char *rrule;           /* "FREQ=WEEKLY;COUNT=4" */
	bool has_alarms;             /* replace the VALARMs with alarms[] */
	const int64_t *alarms;       /* seconds before the start (or due) */
	size_t alarm_count;
	int priority;      /* 0..9, -1: unchanged */
	int percent;       /* 0..100, -1: unchanged */
	bool is_completed; /* STATUS:COMPLETED, COMPLETED now, 100 % */
	bool is_reopened;  /* STATUS:NEEDS-ACTION, no COMPLETED, 0 % */
	/* Scheduling (RFC 5545 §3.8.4.1, §3.8.4.3): the organizer and the
	 * attendees, each invited with PARTSTAT=NEEDS-ACTION and RSVP */
	const char *organizer, *organizer_name;
	bool has_attendees;
	const char *const *attendees;
	size_t attendee_count;
	time_t now; /* DTSTAMP, CREATED, LAST-MODIFIED, COMPLETED */
};

/* Writes a new calendar object (VCALENDAR, VERSION, PRODID, the VTIMEZONE
 * used, one component of e->kind) to out. Returns 0, or -1 with *error_r
 * (from pool). */
int ical_edit_new(const struct ical_edit *e, struct pool *pool, struct buf *out,
                  const char **error_r);
/* Writes data changed by e to out: the master component when instance is
 * ICAL_TIME_MIN, else the instance starting (before any change) at
 * instance, UTC seconds, whose override is made when it has none.
 * Returns 0, or -1 with *error_r ("no instance at that time", a reason
 * the result is not valid). */
int ical_edit_change(const unsigned char *data, size_t size,
                     const struct ical_edit *e, int64_t instance,
                     struct pool *pool, struct buf *out, const char **error_r);
/* Writes data without the instance at instance (an EXDATE in the form of
 * DTSTART, and its override gone); local as in struct ical_edit. Returns
 * 0 or -1 with *error_r. */
int ical_edit_exclude(const unsigned char *data, size_t size, int64_t instance,
                      const struct ical_tz *local, time_t now,
                      struct pool *pool, struct buf *out, const char **error_r);
/* Writes a copy of data under uid with label appended to every SUMMARY
 * (" (conflict)"): the local version a sync keeps when the server's won.
 * Returns 0 or -1 with *error_r. */
int ical_edit_copy(const unsigned char *data, size_t size, const char *uid,
                   const char *label, time_t now, struct pool *pool,
                   struct buf *out, const char **error_r);
/* Sets the PARTSTAT of attendee (an address) in every component of data
 * (an attendee answering in its own copy). Returns 1 when it was set, 0
 * when attendee is not invited, -1 with *error_r. */
int ical_edit_partstat(const unsigned char *data, size_t size,
                       const char *attendee, const char *partstat, time_t now,
                       struct pool *pool, struct buf *out,
                       const char **error_r);

#endif
