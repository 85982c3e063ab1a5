/* What a CALDAV:calendar-data element of a REPORT asks for (RFC 4791
 * §9.6): the whole object as stored (no child), a part of it (comp with
 * allprop/prop and allcomp/comp, §9.6.1-9.6.4), and/or the recurrence set
 * expanded into single instances in UTC (expand, §9.6.5).
 * XXX limit-recurrence-set and limit-freebusy-set (§9.6.6, §9.6.7) are
 * refused as unsupported (CALDAV:supported-calendar-data names what a
 * client may ask), and prop novalue="yes" returns the value anyway. */
#ifndef DAV_ICAL_PARTIAL_H
#define DAV_ICAL_PARTIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct dav_xml_node;
struct ical_object;
struct ical_tz;
struct pool;

struct ical_partial_comp {
	const char *name; /* uppercased */
	bool is_allprop, is_allcomp;
	const char **props; /* uppercased names */
	size_t prop_count;
	struct ical_partial_comp *comps;
	struct ical_partial_comp *next;
};

struct ical_partial {
	struct ical_partial_comp *comp; /* NULL: every component */
	bool is_expand;
	int64_t expand_start, expand_end;
};

/* Reads a calendar-data element. Returns 1 with *partial_r (from pool), 0
 * when it asks for the stored object as it is, or -1 with *error_r (a
 * content-type other than text/calendar 2.0, a bad expand range,
 * limit-recurrence-set or limit-freebusy-set: 403
 * CALDAV:supported-calendar-data or 400). */
int ical_partial_from_xml(const struct dav_xml_node *calendar_data,
                          struct pool *pool, struct ical_partial **partial_r,
                          const char **error_r);
/* Appends obj as partial asks (floating times of an expansion in
 * floating, NULL: UTC). */
void ical_partial_write(const struct ical_object *obj,
                        const struct ical_partial *partial,
                        const struct ical_tz *floating, struct buf *out);

#endif
