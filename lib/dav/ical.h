/* iCalendar objects for CalDAV (RFC 5545 through libical 3; RFC 4791
 * §4.1 calendar object resources): parsing and validating one resource,
 * its component kind, UID and time span (recurrences expanded: RRULE,
 * RDATE, EXDATE, RECURRENCE-ID overrides, time zones from its VTIMEZONEs
 * or the system's zoneinfo), and time zones given by a collection's
 * calendar-timezone for floating times.
 *
 * A valid resource (§4.1, RFC 5545 §3.6) is one VCALENDAR with VERSION
 * 2.0, no METHOD, one or more components of a single kind (VEVENT, VTODO,
 * VJOURNAL or VFREEBUSY) besides VTIMEZONEs, all with the same UID, at
 * most one without RECURRENCE-ID, no two with the same RECURRENCE-ID, a
 * DTSTART on every VEVENT and on anything that recurs, DTEND and DURATION
 * not both, every TZID resolvable, local times in the years 1800 to 2500
 * (ical_private.h), and nothing libical could not parse.
 * Times are seconds since the epoch in UTC (int64_t); ICAL_TIME_MIN and
 * ICAL_TIME_MAX stand for unbounded. libical appears only in lib/dav/ical*.
 */
#ifndef DAV_ICAL_H
#define DAV_ICAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct pool;

#define ICAL_TIME_MIN INT64_MIN
#define ICAL_TIME_MAX INT64_MAX

/* Component kinds, as bits for supported-calendar-component-set. */
enum ical_kind {
	ICAL_KIND_VEVENT = 1 << 0,
	ICAL_KIND_VTODO = 1 << 1,
	ICAL_KIND_VJOURNAL = 1 << 2,
	ICAL_KIND_VFREEBUSY = 1 << 3,
};
#define ICAL_KIND_ALL                                                          \
	(ICAL_KIND_VEVENT | ICAL_KIND_VTODO | ICAL_KIND_VJOURNAL |             \
	 ICAL_KIND_VFREEBUSY)

struct ical_settings {
	size_t max_size;       /* bytes of one resource */
	size_t max_components; /* components in it, VTIMEZONEs included */
	size_t max_instances;  /* instances one expansion may produce */
	/* an iTIP message (RFC 5546): METHOD allowed, as in a schedule
	 * inbox or a mail; false for a stored resource (RFC 4791 §4.1) */
	bool allow_method;
};

#define ICAL_DEFAULT_MAX_SIZE (10 * 1024 * 1024)
#define ICAL_DEFAULT_MAX_COMPONENTS 2000
#define ICAL_DEFAULT_MAX_INSTANCES 10000

struct ical_object; /* a parsed resource (owns its libical tree) */
struct ical_tz;     /* a time zone for floating times */

void ical_settings_init(struct ical_settings *set);

/* Parses and validates one calendar object resource. Returns 0 with
 * *obj_r (free with ical_object_free), or -1 with *error_r (from pool: why
 * it is not valid, fit for the answer's description). */
int ical_object_parse(const unsigned char *data, size_t size,
                      const struct ical_settings *set, struct pool *pool,
                      struct ical_object **obj_r, const char **error_r);
/* Sets *obj to NULL; accepts NULL. */
void ical_object_free(struct ical_object **obj);
enum ical_kind ical_object_kind(const struct ical_object *obj);
/* The UID shared by its components; lives as long as obj. */
const char *ical_object_uid(const struct ical_object *obj);
/* The METHOD of an iTIP message (uppercase), or NULL; lives as long as
 * obj. */
const char *ical_object_method(const struct ical_object *obj);
/* True if it has RRULE or RDATE, or overrides. */
bool ical_object_is_recurring(const struct ical_object *obj);
/* The smallest range holding every instance (RFC 4791 §9.9 rules), for an
 * index: start may be ICAL_TIME_MIN and end ICAL_TIME_MAX (a rule without
 * end, or more instances than max_instances). Floating times and dates
 * are taken in UTC and the range widened by 14 hours each way, so it
 * holds them in any zone. An object with no time at all (a VTODO without
 * dates) spans everything. */
void ical_object_span(const struct ical_object *obj, int64_t *start_r,
                      int64_t *end_r);
/* Appends the object as libical writes it (for tests and partial data). */
void ical_object_write(const struct ical_object *obj, struct buf *out);

/* Parses a calendar-timezone value (RFC 4791 §5.2.2: a VCALENDAR with
 * exactly one VTIMEZONE). Returns 0 with *tz_r (free with ical_tz_free),
 * or -1 with *error_r (static). */
int ical_tz_parse(const char *text, struct ical_tz **tz_r,
                  const char **error_r);
/* A zone of the system's database by its IANA name, or NULL. */
struct ical_tz *ical_tz_builtin(const char *name);
void ical_tz_free(struct ical_tz **tz);

/* Parses an RFC 5545 DATE-TIME in UTC ("20240101T000000Z"), as CalDAV's
 * time-range attributes are (RFC 4791 §9.9). Returns 0 or -1. */
int ical_time_parse_utc(const char *str, int64_t *t_r);
/* Formats t as a UTC DATE-TIME into out (16 bytes and a NUL). */
void ical_time_format_utc(int64_t t, char out[17]);

#endif
