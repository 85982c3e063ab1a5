/* CalDAV calendar-query filters (RFC 4791 §9.7): the CALDAV:filter element
 * made into a tree of comp-filter, prop-filter and param-filter with
 * text-match, is-not-defined and time-range, and matched against a
 * calendar object resource. A comp-filter with a time-range on a VEVENT,
 * VTODO, VJOURNAL or VFREEBUSY matches when some instance (recurrences
 * expanded, overrides in place of the instances they replace) overlaps
 * the range by the rules of §9.9 and that instance's component passes the
 * other filters; a VALARM time-range tests each instance's trigger times
 * (REPEAT included). Floating times are taken in the given zone (the
 * query's or the collection's CALDAV:calendar-timezone, else UTC).
 * XXX a VALARM time-range without one on its parent looks for instances
 * within a week of the alarm's range; a prop-filter time-range tests the
 * property's own value (not shifted per instance). */
#ifndef DAV_ICAL_QUERY_H
#define DAV_ICAL_QUERY_H

#include <stdbool.h>
#include <stdint.h>

#include "dav/dav_collation.h"

struct dav_xml_node;
struct ical_object;
struct ical_tz;
struct pool;

struct ical_text_match {
	const char *text;
	enum dav_collation collation;
	bool is_negated; /* negate-condition="yes" */
};

struct ical_time_range {
	int64_t start, end; /* ICAL_TIME_MIN / ICAL_TIME_MAX when absent */
};

struct ical_param_filter {
	const char *name; /* uppercased */
	bool is_not_defined;
	struct ical_text_match *text_match; /* or NULL */
	struct ical_param_filter *next;
};

struct ical_prop_filter {
	const char *name; /* uppercased */
	bool is_not_defined;
	struct ical_time_range *time_range; /* or NULL */
	struct ical_text_match *text_match; /* or NULL */
	struct ical_param_filter *params;
	struct ical_prop_filter *next;
};

struct ical_comp_filter {
	const char *name; /* uppercased */
	bool is_not_defined;
	struct ical_time_range *time_range; /* or NULL */
	struct ical_prop_filter *props;
	struct ical_comp_filter *comps;
	struct ical_comp_filter *next;
};

/* Reads a CALDAV:filter element. Returns 0 with *filter_r (the
 * VCALENDAR comp-filter; everything from pool), or -1 with *precondition_r
 * (the CalDAV precondition the 403 names: "valid-filter",
 * "supported-filter" or "supported-collation") and *error_r. */
int ical_query_from_xml(const struct dav_xml_node *filter, struct pool *pool,
                        struct ical_comp_filter **filter_r,
                        const char **precondition_r, const char **error_r);
/* Does obj match filter? floating may be NULL (UTC). */
bool ical_query_match(const struct ical_object *obj,
                      const struct ical_comp_filter *filter,
                      const struct ical_tz *floating);
/* The time-range an index may narrow candidates with: that of the only
 * comp-filter inside VCALENDAR, when it has one. Returns true with the
 * range, false when every object must be tested. */
bool ical_query_time_range(const struct ical_comp_filter *filter,
                           int64_t *start_r, int64_t *end_r);
/* Reads a CALDAV:time-range element (start and/or end, UTC date-times).
 * Returns 0 with *range_r, or -1 with *error_r. */
int ical_query_time_range_from_xml(const struct dav_xml_node *node,
                                   struct ical_time_range *range_r,
                                   const char **error_r);

#endif
