/* iTIP (RFC 5546) on calendar objects, for CalDAV scheduling (RFC 6638)
 * and iMIP (RFC 6047): who organizes an event and who attends it, with
 * their participation status and scheduling agent; the messages an
 * organizer sends (REQUEST, CANCEL) and an attendee answers (REPLY); an
 * attendee's copy made from a REQUEST; a REPLY applied to the organizer's
 * copy; SCHEDULE-STATUS set on the organizer's copy (RFC 6638 §7.3).
 * Calendar user addresses are compared as mailto: addresses, lowercased
 * and without "mailto:". Everything written is libical's serialization of
 * a changed copy; the object given is never changed. */
#ifndef DAV_ICAL_ITIP_H
#define DAV_ICAL_ITIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dav/ical.h"

struct buf;
struct pool;

struct ical_itip_attendee {
	const char *address;  /* lowercased, without "mailto:" */
	const char *name;     /* CN, or NULL */
	const char *partstat; /* uppercase; "NEEDS-ACTION" when absent */
	/* SCHEDULE-AGENT absent or SERVER (RFC 6638 §7.1): this server
	 * sends its messages */
	bool is_server;
};

struct ical_itip {
	const char *uid;
	const char *method;    /* METHOD of an iTIP message, or NULL */
	const char *organizer; /* NULL: not a scheduling object */
	const char *organizer_name;
	bool is_organizer_server; /* the ORGANIZER's SCHEDULE-AGENT */
	/* every attendee of every component, once, the master's first */
	struct ical_itip_attendee *attendees;
	size_t attendee_count;
	const char *summary; /* of the master (or first component), or "" */
	int64_t start;       /* its DTSTART in UTC, ICAL_TIME_MIN if none */
	bool is_cancelled;   /* its STATUS is CANCELLED */
	int sequence;        /* the highest SEQUENCE of its components */
	/* SHA-256 (hex) of what an attendee must hear of when it changes:
	 * times, rules, summary, location, description, status, sequence,
	 * the organizer and the attendees' addresses */
	char digest[65];
};

/* Reads the scheduling facts of obj. Strings from pool. */
void ical_itip_read(const struct ical_object *obj, struct pool *pool,
                    struct ical_itip *itip_r);
/* The attendee of address in itip, or NULL. */
const struct ical_itip_attendee *
ical_itip_attendee_find(const struct ical_itip *itip, const char *address);
/* The address of a calendar user address ("mailto:A@B" -> "a@b"), from
 * pool, or NULL when it is not a mailto: address. */
const char *ical_itip_address(const char *cal_address, struct pool *pool);

/* A REQUEST or CANCEL (RFC 5546 §3.2.2, §3.2.5) from the organizer's
 * copy: METHOD added, SCHEDULE-STATUS, SCHEDULE-AGENT and
 * SCHEDULE-FORCE-SEND removed (RFC 6638 §7); a CANCEL of the whole event
 * has STATUS:CANCELLED and SEQUENCE one higher in every component. Every
 * iTIP message written here (this, the uninvite and the REPLY) carries a
 * VTIMEZONE for each TZID it uses (RFC 5545 §3.6.5): the object's own,
 * else the system's zone of that name. Appends it to out. */
void ical_itip_write_request(const struct ical_object *obj, const char *method,
                             struct buf *out);
/* The CANCEL to attendees taken off an event (RFC 5546 §3.2.5,
 * "uninvite"), from the organizer's copy before: the components they were
 * in, each with only their ATTENDEEs, without STATUS (which would cancel
 * the event for everyone) and with SEQUENCE one higher. Returns 0 with it
 * appended to out, or -1 when none of removed (count addresses, as
 * ical_itip_address gives) is in obj (nothing appended). */
int ical_itip_write_uninvite(const struct ical_object *obj,
                             const char *const *removed, size_t count,
                             struct buf *out);
/* obj with SEQUENCE raised to sequence in every component lower than
 * that (RFC 5546 §2.1.4: the organizer's revision). Appends it to out. */
void ical_itip_write_sequence(const struct ical_object *obj, int sequence,
                              struct buf *out);
/* A REPLY (RFC 5546 §3.2.3) of attendee from its copy: every component
 * with UID, DTSTAMP (now), ORGANIZER, RECURRENCE-ID, SEQUENCE, DTSTART,
 * DTEND, DURATION, DUE and SUMMARY, and only the attendee's ATTENDEE,
 * with partstat (NULL: as in the copy). Returns 0, or -1 when attendee is
 * not in the copy (nothing appended). */
int ical_itip_write_reply(const struct ical_object *obj, const char *attendee,
                          const char *partstat, struct buf *out);
/* The attendee's copy of a REQUEST: its components without METHOD, with
 * the attendee's PARTSTAT of old (its copy so far, may be NULL) kept
 * where old had one for the same component. Appends it to out. */
void ical_itip_write_attendee_copy(const struct ical_object *request,
                                   const struct ical_object *old,
                                   const char *attendee, struct buf *out);
/* The attendee's copy after a CANCEL: STATUS:CANCELLED in every
 * component. */
void ical_itip_write_cancelled(const struct ical_object *copy, struct buf *out);
/* The organizer's copy org with REPLY reply applied: the PARTSTAT of the
 * reply's one ATTENDEE (attendee_r, from pool) set, with
 * SCHEDULE-STATUS=2.0, in the components the reply names (its master, or
 * the override of the same RECURRENCE-ID). Returns 1 with the changed
 * copy appended to out, 0 when org does not have that attendee where the
 * reply says (nothing appended), -1 when reply has no single attendee. */
int ical_itip_apply_reply(const struct ical_object *org,
                          const struct ical_object *reply, struct pool *pool,
                          const char **attendee_r, const char **partstat_r,
                          struct buf *out);
/* obj with SCHEDULE-STATUS=statuses[i] on the ATTENDEE of addresses[i],
 * every component (RFC 6638 §7.3). Appends it to out. */
void ical_itip_write_status(const struct ical_object *obj,
                            const char *const *addresses,
                            const char *const *statuses, size_t count,
                            struct buf *out);

#endif
