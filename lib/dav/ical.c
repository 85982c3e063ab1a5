/* iCalendar resources through libical (RFC 5545, RFC 4791 §4.1): parse,
 * validate, UID and kind, the span an index keeps, time zones and UTC
 * times. What "valid" means is in ical.h; libical's own parse errors
 * (X-LIC-ERROR properties it inserts) fail validation, except an empty
 * value of a text property, which RFC 5545 allows and libical flags. */
#include "dav/ical_private.h"
#include "core/buf.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "http/http_path.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FLOATING_SLACK (14 * 3600) /* the widest UTC offset */

void ical_settings_init(struct ical_settings *set)
{
	set->max_size = ICAL_DEFAULT_MAX_SIZE;
	set->max_components = ICAL_DEFAULT_MAX_COMPONENTS;
	set->max_instances = ICAL_DEFAULT_MAX_INSTANCES;
	set->allow_method = false;
}

void ical_init(void)
{
	static bool done;
	if (done)
		return;
	done = true;
	icalerror_set_errors_are_fatal(0);
}

int64_t ical_time_add(int64_t a, int64_t b)
{
	if (a == ICAL_TIME_MIN || a == ICAL_TIME_MAX)
		return a;
	int64_t r;
	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? ICAL_TIME_MAX : ICAL_TIME_MIN;
	return r;
}

int64_t ical_time_utc(struct icaltimetype t, const icaltimezone *floating)
{
	icaltimezone *utc = icaltimezone_get_utc_timezone();
	const icaltimezone *zone = t.zone;
	if (t.is_date || zone == NULL)
		zone = floating != NULL ? floating : utc;
	return (int64_t)icaltime_as_timet_with_zone(t, zone);
}

/* Finds the first X-LIC-ERROR under comp that is a real parse error.
 * Returns its text, or NULL. */
static const char *comp_parse_error(icalcomponent *comp)
{
	for (icalproperty *p = icalcomponent_get_first_property(
	         comp, ICAL_XLICERROR_PROPERTY);
	     p != NULL; p = icalcomponent_get_next_property(
	                    comp, ICAL_XLICERROR_PROPERTY)) {
		const char *text = icalproperty_get_xlicerror(p);
		if (text == NULL)
			return "unparsable content";
		/* RFC 5545 §3.3.11 allows an empty TEXT value */
		if (strncmp(text, "No value for ", 13) == 0)
			continue;
		return text;
	}
	for (icalcomponent *c =
	         icalcomponent_get_first_component(comp, ICAL_ANY_COMPONENT);
	     c != NULL;
	     c = icalcomponent_get_next_component(comp, ICAL_ANY_COMPONENT)) {
		const char *e = comp_parse_error(c);
		if (e != NULL)
			return e;
	}
	return NULL;
}

static size_t comp_count(icalcomponent *comp)
{
	size_t n = 1;
	for (icalcomponent *c =
	         icalcomponent_get_first_component(comp, ICAL_ANY_COMPONENT);
	     c != NULL;
	     c = icalcomponent_get_next_component(comp, ICAL_ANY_COMPONENT))
		n += comp_count(c);
	return n;
}

static enum ical_kind kind_of(icalcomponent_kind k)
{
	switch (k) {
	case ICAL_VEVENT_COMPONENT:
		return ICAL_KIND_VEVENT;
	case ICAL_VTODO_COMPONENT:
		return ICAL_KIND_VTODO;
	case ICAL_VJOURNAL_COMPONENT:
		return ICAL_KIND_VJOURNAL;
	case ICAL_VFREEBUSY_COMPONENT:
		return ICAL_KIND_VFREEBUSY;
	default:
		return 0;
	}
}

/* Every TZID parameter of comp's properties names a VTIMEZONE of root or
 * a zone of the system. Returns NULL, or the TZID that does not. */
static const char *comp_tzid_unknown(icalcomponent *comp, icalcomponent *root)
{
	for (icalproperty *p =
	         icalcomponent_get_first_property(comp, ICAL_ANY_PROPERTY);
	     p != NULL;
	     p = icalcomponent_get_next_property(comp, ICAL_ANY_PROPERTY)) {
		icalparameter *param =
		    icalproperty_get_first_parameter(p, ICAL_TZID_PARAMETER);
		const char *tzid =
		    param != NULL ? icalparameter_get_tzid(param) : NULL;
		if (tzid == NULL)
			continue;
		if (icalcomponent_get_timezone(root, tzid) == NULL &&
		    icaltimezone_get_builtin_timezone(tzid) == NULL)
			return tzid;
	}
	return NULL;
}

/* RFC 5545 §3.1, §3.3.11: no control character but HTAB, and CR only
 * before LF (a bare LF is taken for CRLF, as libical does). */
static bool has_control(const unsigned char *data, size_t size)
{
	for (size_t i = 0; i < size; i++) {
		if (data[i] == '\r' && i + 1 < size && data[i + 1] == '\n')
			continue;
		if ((data[i] < 0x20 && data[i] != '\t' && data[i] != '\n') ||
		    data[i] == 0x7f)
			return true;
	}
	return false;
}

/* The RRULE parts libical's iterator can spin on for seconds (it steps
 * through candidate seconds, minutes or days up to its year limit when
 * they never match): SECONDLY, day-level filters on MINUTELY and HOURLY
 * rules, a BYMONTHDAY no listed month has, BYYEARDAY or BYWEEKNO mixed
 * with month filters, an ordinal BYDAY with BYMONTHDAY, BYSETPOS beyond a
 * year, and non-Gregorian RSCALE. Returns NULL or the reason. */
static const char *rule_check(const struct icalrecurrencetype *r)
{
	static const short month_days[13] = {0,  31, 29, 31, 30, 31, 30,
	                                     31, 31, 30, 31, 30, 31};
	const short end = ICAL_RECURRENCE_ARRAY_MAX;
	if (r->rscale != NULL)
		return "RSCALE is not supported";
	if (r->freq == ICAL_SECONDLY_RECURRENCE)
		return "FREQ=SECONDLY is not supported";
	bool has_month = r->by_month[0] != end;
	bool has_mday = r->by_month_day[0] != end;
	bool has_yday = r->by_year_day[0] != end;
	bool has_week = r->by_week_no[0] != end;
	bool has_ordinal = false;
	for (size_t i = 0; i < ICAL_BY_DAY_SIZE && r->by_day[i] != end; i++)
		has_ordinal |=
		    icalrecurrencetype_day_position(r->by_day[i]) != 0;
	if (r->freq < ICAL_DAILY_RECURRENCE &&
	    (has_month || has_mday || has_yday || has_week || has_ordinal ||
	     r->by_set_pos[0] != end))
		return "day filters on an hourly or minutely rule";
	if ((has_yday || has_week) &&
	    (has_month || has_mday || (has_yday && has_week)))
		return "BYYEARDAY or BYWEEKNO with other date filters";
	if (has_ordinal && has_mday)
		return "an ordinal BYDAY with BYMONTHDAY";
	for (size_t i = 0; i < ICAL_BY_SETPOS_SIZE && r->by_set_pos[i] != end;
	     i++) {
		if (r->by_set_pos[i] > 366 || r->by_set_pos[i] < -366)
			return "BYSETPOS out of range";
	}
	for (size_t i = 0;
	     i < ICAL_BY_MONTHDAY_SIZE && has_mday && r->by_month_day[i] != end;
	     i++) {
		int d = abs(r->by_month_day[i]);
		bool possible = !has_month && d <= 31;
		for (size_t m = 0; m < ICAL_BY_MONTH_SIZE &&
		                   r->by_month[m] != end && !possible;
		     m++) {
			int month =
			    icalrecurrencetype_month_month(r->by_month[m]);
			possible =
			    month >= 1 && month <= 12 && d <= month_days[month];
		}
		if (!possible)
			return "BYMONTHDAY that no month has";
	}
	return NULL;
}

/* Local times (floating or with a TZID) must lie in ICAL_YEAR_MIN ..
 * ICAL_YEAR_MAX: converting one to UTC makes libical compute the zone's
 * transitions up to its year, which costs a tenth of a second for years
 * like 9999 (found by the fuzzer). Returns NULL or the property's name. */
static const char *comp_year_check(icalcomponent *c)
{
	static const icalproperty_kind kinds[] = {
	    ICAL_DTSTART_PROPERTY, ICAL_DTEND_PROPERTY,
	    ICAL_DUE_PROPERTY,     ICAL_RECURRENCEID_PROPERTY,
	    ICAL_EXDATE_PROPERTY,  ICAL_RDATE_PROPERTY};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(*kinds); i++) {
		for (icalproperty *p =
		         icalcomponent_get_first_property(c, kinds[i]);
		     p != NULL;
		     p = icalcomponent_get_next_property(c, kinds[i])) {
			struct icaltimetype t =
			    icalproperty_get_datetime_with_component(p, c);
			if (!icaltime_is_null_time(t) && !t.is_date &&
			    !icaltime_is_utc(t) &&
			    (t.year < ICAL_YEAR_MIN || t.year > ICAL_YEAR_MAX))
				return icalproperty_kind_to_string(kinds[i]);
		}
	}
	return NULL;
}

/* The rules of RFC 5545 §3.6.1-3.6.3 this server relies on (a VEVENT
 * needs DTSTART unless the object is an iTIP message: is_message).
 * Returns NULL or the reason. */
static const char *comp_check(icalcomponent *c, bool is_message,
                              struct pool *pool)
{
	icalcomponent_kind k = icalcomponent_isa(c);
	bool has_start =
	    icalcomponent_get_first_property(c, ICAL_DTSTART_PROPERTY) != NULL;
	bool has_end =
	    icalcomponent_get_first_property(c, ICAL_DTEND_PROPERTY) != NULL;
	bool has_due =
	    icalcomponent_get_first_property(c, ICAL_DUE_PROPERTY) != NULL;
	bool has_dur =
	    icalcomponent_get_first_property(c, ICAL_DURATION_PROPERTY) != NULL;
	const char *name = icalcomponent_kind_to_string(k);
	if (k == ICAL_VEVENT_COMPONENT && !has_start && !is_message)
		return pool_printf(pool, "%s without DTSTART", name);
	if (has_dur && (has_end || has_due))
		return pool_printf(pool, "%s with both %s and DURATION", name,
		                   has_end ? "DTEND" : "DUE");
	if (has_dur && !has_start)
		return pool_printf(pool, "%s with DURATION but no DTSTART",
		                   name);
	bool recurs =
	    icalcomponent_get_first_property(c, ICAL_RRULE_PROPERTY) != NULL ||
	    icalcomponent_get_first_property(c, ICAL_RDATE_PROPERTY) != NULL;
	if (recurs && !has_start)
		return pool_printf(pool, "recurring %s without DTSTART", name);
	const char *year = comp_year_check(c);
	if (year != NULL)
		return pool_printf(pool, "%s outside the years %d to %d", year,
		                   ICAL_YEAR_MIN, ICAL_YEAR_MAX);
	for (icalproperty *p =
	         icalcomponent_get_first_property(c, ICAL_RRULE_PROPERTY);
	     p != NULL;
	     p = icalcomponent_get_next_property(c, ICAL_RRULE_PROPERTY)) {
		struct icalrecurrencetype r = icalproperty_get_rrule(p);
		const char *why = rule_check(&r);
		if (why != NULL)
			return pool_printf(pool, "RRULE: %s", why);
	}
	return NULL;
}

/* A VTIMEZONE's observances (RFC 5545 §3.6.5): libical expands their
 * rules from the onset to the year of each conversion, so a rule must be
 * yearly and pass rule_check, and an onset must lie in
 * ICAL_ONSET_YEAR_MIN .. ICAL_YEAR_MAX.
 * Returns NULL or the reason. */
static const char *vtimezone_check(icalcomponent *vtz, struct pool *pool)
{
	for (icalcomponent *o =
	         icalcomponent_get_first_component(vtz, ICAL_ANY_COMPONENT);
	     o != NULL;
	     o = icalcomponent_get_next_component(vtz, ICAL_ANY_COMPONENT)) {
		struct icaltimetype start = icalcomponent_get_dtstart(o);
		/* Microsoft's zones start in 1601 */
		if (!icaltime_is_null_time(start) &&
		    (start.year < ICAL_ONSET_YEAR_MIN ||
		     start.year > ICAL_YEAR_MAX))
			return pool_printf(pool,
			                   "time zone onset outside the years "
			                   "%d to %d",
			                   ICAL_ONSET_YEAR_MIN, ICAL_YEAR_MAX);
		for (icalproperty *p = icalcomponent_get_first_property(
		         o, ICAL_RRULE_PROPERTY);
		     p != NULL; p = icalcomponent_get_next_property(
		                    o, ICAL_RRULE_PROPERTY)) {
			struct icalrecurrencetype r = icalproperty_get_rrule(p);
			const char *why = rule_check(&r);
			if (why == NULL && r.freq != ICAL_YEARLY_RECURRENCE)
				why = "not yearly";
			if (why != NULL)
				return pool_printf(pool, "time zone RRULE: %s",
				                   why);
		}
	}
	return NULL;
}

/* Checks the components of obj->root and fills kind, uid and
 * is_recurring. Returns NULL or the reason. */
static const char *object_check(struct ical_object *obj, struct pool *pool)
{
	icalcomponent *root = obj->root;
	int64_t rids[64];
	size_t rid_count = 0, masters = 0;
	for (icalcomponent *c =
	         icalcomponent_get_first_component(root, ICAL_ANY_COMPONENT);
	     c != NULL;
	     c = icalcomponent_get_next_component(root, ICAL_ANY_COMPONENT)) {
		icalcomponent_kind k = icalcomponent_isa(c);
		if (k == ICAL_VTIMEZONE_COMPONENT) {
			const char *why = vtimezone_check(c, pool);
			if (why != NULL)
				return why;
			continue;
		}
		if (k == ICAL_X_COMPONENT)
			continue;
		if (kind_of(k) == 0)
			return pool_printf(pool,
			                   "component %s is not supported",
			                   icalcomponent_kind_to_string(k));
		if (obj->kind != 0 && obj->libical_kind != k)
			return "components of more than one kind";
		obj->kind = kind_of(k);
		obj->libical_kind = k;
		const char *uid = icalcomponent_get_uid(c);
		if (uid == NULL || uid[0] == '\0')
			return pool_printf(pool, "%s without UID",
			                   icalcomponent_kind_to_string(k));
		if (obj->uid == NULL)
			obj->uid = xstrdup(uid);
		else if (strcmp(obj->uid, uid) != 0)
			return "components with different UIDs";
		const char *why =
		    comp_check(c,
		               icalcomponent_get_first_property(
		                   root, ICAL_METHOD_PROPERTY) != NULL,
		               pool);
		if (why == NULL && comp_tzid_unknown(c, root) != NULL)
			why = pool_printf(pool, "TZID %s has no VTIMEZONE",
			                  comp_tzid_unknown(c, root));
		if (why != NULL)
			return why;
		icalproperty *rid = icalcomponent_get_first_property(
		    c, ICAL_RECURRENCEID_PROPERTY);
		if (rid == NULL) {
			if (++masters > 1)
				return "two components without RECURRENCE-ID";
			obj->is_recurring |=
			    icalcomponent_get_first_property(
			        c, ICAL_RRULE_PROPERTY) != NULL ||
			    icalcomponent_get_first_property(
			        c, ICAL_RDATE_PROPERTY) != NULL;
			continue;
		}
		obj->is_recurring = true;
		int64_t t = ical_time_utc(
		    icalproperty_get_datetime_with_component(rid, c), NULL);
		for (size_t i = 0; i < rid_count; i++) {
			if (rids[i] == t)
				return "two components with one RECURRENCE-ID";
		}
		if (rid_count < sizeof(rids) / sizeof(*rids))
			rids[rid_count++] = t;
	}
	if (obj->kind == 0)
		return "no VEVENT, VTODO, VJOURNAL or VFREEBUSY";
	return NULL;
}

/* Returns NULL or the reason the VCALENDAR itself is not valid. */
static const char *calendar_check(icalcomponent *root,
                                  const struct ical_settings *set)
{
	if (icalcomponent_isa(root) != ICAL_VCALENDAR_COMPONENT)
		return icalcomponent_isa(root) == ICAL_XROOT_COMPONENT
		           ? "more than one VCALENDAR"
		           : "not a VCALENDAR";
	if (comp_count(root) > set->max_components)
		return "too many components";
	icalproperty *v =
	    icalcomponent_get_first_property(root, ICAL_VERSION_PROPERTY);
	const char *version = v != NULL ? icalproperty_get_version(v) : NULL;
	if (version == NULL || strcmp(version, "2.0") != 0)
		return "VCALENDAR without VERSION:2.0";
	/* RFC 4791 §4.1: no iTIP method on a stored resource */
	if (!set->allow_method && icalcomponent_get_first_property(
	                              root, ICAL_METHOD_PROPERTY) != NULL)
		return "METHOD is not allowed in a calendar resource";
	return NULL;
}

#define NESTING_MAX 16

/* RFC 5545 §3.4, §3.6: BEGIN and END lines nest and match, are neither
 * folded nor given parameters, and nothing but
 * blank lines lies outside the one VCALENDAR. Checked before libical,
 * whose parser writes a warning to stderr for an END without its BEGIN.
 * Returns NULL or the reason. */
static const char *structure_check(const char *text, struct pool *pool)
{
	const char *stack[NESTING_MAX];
	size_t depth = 0, tops = 0;
	for (const char *line = text; *line != '\0';) {
		size_t len = strcspn(line, "\r\n");
		const char *next = line + len;
		next += *next == '\r';
		next += *next == '\n';
		bool is_begin = len >= 6 && strncasecmp(line, "BEGIN:", 6) == 0;
		bool is_end = len >= 4 && strncasecmp(line, "END:", 4) == 0;
		if ((is_begin && len == 6) || (is_end && len == 4))
			return "BEGIN or END without a name";
		/* libical reads a BEGIN or END with parameters, or folded, as
		 * one too: such lines are refused rather than guessed at */
		if (strncasecmp(line, "BEGIN;", 6) == 0 ||
		    strncasecmp(line, "END;", 4) == 0 ||
		    ((is_begin || is_end) && (*next == ' ' || *next == '\t')))
			return "BEGIN or END with parameters or folded";
		if (is_begin) {
			if (depth == NESTING_MAX)
				return "components nested too deeply";
			if (depth == 0 && tops++ > 0)
				return "more than one VCALENDAR";
			stack[depth++] = pool_strndup(pool, line + 6, len - 6);
		} else if (is_end) {
			if (depth == 0 || strlen(stack[depth - 1]) != len - 4 ||
			    strncasecmp(stack[depth - 1], line + 4, len - 4) !=
			        0)
				return pool_printf(
				    pool, "END:%.*s without its BEGIN",
				    (int)(len - 4 > 40 ? 40 : len - 4),
				    line + 4);
			depth--;
		} else if (depth == 0 && len > 0) {
			return "text outside the VCALENDAR";
		}
		line = next;
	}
	if (depth > 0)
		return pool_printf(pool, "BEGIN:%s without its END", stack[0]);
	return tops == 0 ? "not an iCalendar object" : NULL;
}

int ical_object_parse(const unsigned char *data, size_t size,
                      const struct ical_settings *set, struct pool *pool,
                      struct ical_object **obj_r, const char **error_r)
{
	ical_init();
	*obj_r = NULL;
	if (size > set->max_size) {
		*error_r = "iCalendar object too large";
		return -1;
	}
	if (!http_path_is_utf8(data, size) || has_control(data, size)) {
		*error_r = "iCalendar object is not UTF-8 text without "
		           "control characters";
		return -1;
	}
	char *text = pool_strndup(pool, (const char *)data, size);
	const char *why = structure_check(text, pool);
	if (why != NULL) {
		*error_r =
		    strcmp(why, "not an iCalendar object") == 0
		        ? why
		        : pool_printf(pool, "invalid iCalendar: %s", why);
		return -1;
	}
	icalcomponent *root = icalparser_parse_string(text);
	if (root == NULL) {
		*error_r = "not an iCalendar object";
		return -1;
	}
	struct ical_object *obj = xcalloc(1, sizeof(*obj));
	obj->root = root;
	obj->max_instances = set->max_instances;
	why = calendar_check(root, set);
	if (why == NULL)
		why = comp_parse_error(root);
	if (why == NULL)
		why = object_check(obj, pool);
	if (why != NULL) {
		*error_r = pool_printf(pool, "invalid iCalendar: %s", why);
		ical_object_free(&obj);
		return -1;
	}
	*obj_r = obj;
	return 0;
}

void ical_object_free(struct ical_object **obj)
{
	struct ical_object *o = *obj;
	if (o == NULL)
		return;
	icalcomponent_free(o->root);
	free(o->uid);
	free(o);
	*obj = NULL;
}

enum ical_kind ical_object_kind(const struct ical_object *obj)
{
	return obj->kind;
}

const char *ical_object_uid(const struct ical_object *obj)
{
	return obj->uid;
}

const char *ical_object_method(const struct ical_object *obj)
{
	icalproperty *p =
	    icalcomponent_get_first_property(obj->root, ICAL_METHOD_PROPERTY);
	if (p == NULL)
		return NULL;
	const char *m =
	    icalproperty_method_to_string(icalproperty_get_method(p));
	return m != NULL && m[0] != '\0' ? m
	                                 : icalproperty_get_value_as_string(p);
}

bool ical_object_is_recurring(const struct ical_object *obj)
{
	return obj->is_recurring;
}

struct span {
	int64_t start, end;
	bool any;
};

static void span_add(struct span *s, int64_t t)
{
	if (t == ICAL_TIME_MIN || t == ICAL_TIME_MAX)
		return;
	s->any = true;
	if (t < s->start)
		s->start = t;
	if (t > s->end)
		s->end = t;
}

/* Adds the times of one instance: its dates shifted by offset. */
static int span_instance_cb(const struct ical_instance *inst, void *ctx)
{
	struct span *s = ctx;
	static const icalproperty_kind kinds[] = {
	    ICAL_DTSTART_PROPERTY, ICAL_DTEND_PROPERTY, ICAL_DUE_PROPERTY,
	    ICAL_COMPLETED_PROPERTY, ICAL_CREATED_PROPERTY};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(*kinds); i++) {
		icalproperty *p =
		    icalcomponent_get_first_property(inst->comp, kinds[i]);
		if (p == NULL)
			continue;
		int64_t t = ical_time_add(
		    ical_time_utc(
		        icalproperty_get_datetime_with_component(p, inst->comp),
		        NULL),
		    inst->offset);
		span_add(s, t);
		if (kinds[i] == ICAL_DTSTART_PROPERTY)
			span_add(s, ical_time_add(t, ical_comp_duration(
			                                 inst->comp, NULL)));
	}
	for (icalproperty *p = icalcomponent_get_first_property(
	         inst->comp, ICAL_FREEBUSY_PROPERTY);
	     p != NULL; p = icalcomponent_get_next_property(
	                    inst->comp, ICAL_FREEBUSY_PROPERTY)) {
		struct icalperiodtype per = icalproperty_get_freebusy(p);
		span_add(s, ical_time_utc(per.start, NULL));
		span_add(s, icaltime_is_null_time(per.end)
		                ? ical_time_add(
		                      ical_time_utc(per.start, NULL),
		                      icaldurationtype_as_int(per.duration))
		                : ical_time_utc(per.end, NULL));
	}
	return 0;
}

/* True if the master of obj has a rule with neither COUNT nor UNTIL. */
static bool object_is_endless(const struct ical_object *obj)
{
	for (icalcomponent *c = icalcomponent_get_first_component(
	         obj->root, obj->libical_kind);
	     c != NULL; c = icalcomponent_get_next_component(
	                    obj->root, obj->libical_kind)) {
		for (icalproperty *p = icalcomponent_get_first_property(
		         c, ICAL_RRULE_PROPERTY);
		     p != NULL; p = icalcomponent_get_next_property(
		                    c, ICAL_RRULE_PROPERTY)) {
			struct icalrecurrencetype r = icalproperty_get_rrule(p);
			if (r.count == 0 && icaltime_is_null_time(r.until))
				return true;
		}
	}
	return false;
}

void ical_object_span(const struct ical_object *obj, int64_t *start_r,
                      int64_t *end_r)
{
	struct span s = {.start = ICAL_TIME_MAX, .end = ICAL_TIME_MIN};
	bool endless = object_is_endless(obj);
	/* an endless rule: its first instances give the start */
	int ret = ical_recur_each(
	    obj->root, obj->libical_kind, ICAL_TIME_MIN, ICAL_TIME_MAX, NULL,
	    endless ? 1 : obj->max_instances, span_instance_cb, &s);
	if (!s.any) {
		*start_r = ICAL_TIME_MIN;
		*end_r = ICAL_TIME_MAX;
		return;
	}
	*start_r = ical_time_add(s.start, -FLOATING_SLACK);
	*end_r = endless || ret < 0 ? ICAL_TIME_MAX
	                            : ical_time_add(s.end, FLOATING_SLACK + 1);
}

void ical_object_write(const struct ical_object *obj, struct buf *out)
{
	char *text = icalcomponent_as_ical_string_r(obj->root);
	buf_append_str(out, text);
	free(text);
}

/* The zone of a calendar-timezone text, or NULL; pool for reasons. */
static icaltimezone *tz_find(const char *text, struct pool *pool,
                             icalcomponent **root_r)
{
	*root_r = NULL;
	if (structure_check(text, pool) != NULL)
		return NULL;
	icalcomponent *root = icalparser_parse_string(text);
	*root_r = root;
	if (root == NULL ||
	    icalcomponent_isa(root) != ICAL_VCALENDAR_COMPONENT ||
	    comp_parse_error(root) != NULL)
		return NULL;
	icalcomponent *vtz =
	    icalcomponent_get_first_component(root, ICAL_VTIMEZONE_COMPONENT);
	if (vtz == NULL ||
	    icalcomponent_get_next_component(root, ICAL_VTIMEZONE_COMPONENT) !=
	        NULL ||
	    vtimezone_check(vtz, pool) != NULL)
		return NULL;
	icalproperty *p =
	    icalcomponent_get_first_property(vtz, ICAL_TZID_PROPERTY);
	const char *tzid = p != NULL ? icalproperty_get_tzid(p) : NULL;
	return tzid != NULL ? icalcomponent_get_timezone(root, tzid) : NULL;
}

int ical_tz_parse(const char *text, struct ical_tz **tz_r, const char **error_r)
{
	ical_init();
	struct pool *pool = pool_new();
	icalcomponent *root;
	icaltimezone *zone = tz_find(text, pool, &root);
	pool_free(&pool);
	if (zone == NULL) {
		if (root != NULL)
			icalcomponent_free(root);
		*error_r = "not a VCALENDAR with one valid VTIMEZONE";
		return -1;
	}
	struct ical_tz *tz = xcalloc(1, sizeof(*tz));
	tz->vcal = root;
	tz->zone = zone;
	*tz_r = tz;
	return 0;
}

struct ical_tz *ical_tz_builtin(const char *name)
{
	ical_init();
	icaltimezone *zone = icaltimezone_get_builtin_timezone(name);
	if (zone == NULL)
		return NULL;
	struct ical_tz *tz = xcalloc(1, sizeof(*tz));
	tz->zone = zone;
	return tz;
}

void ical_tz_free(struct ical_tz **tz)
{
	struct ical_tz *t = *tz;
	if (t == NULL)
		return;
	if (t->vcal != NULL)
		icalcomponent_free(t->vcal);
	free(t);
	*tz = NULL;
}

int ical_time_parse_utc(const char *str, int64_t *t_r)
{
	/* date-time = date "T" time, time with "Z" (RFC 5545 §3.3.5 form 2) */
	if (strlen(str) != 16 || str[8] != 'T' || str[15] != 'Z')
		return -1;
	for (size_t i = 0; i < 15; i++) {
		if (i != 8 && (str[i] < '0' || str[i] > '9'))
			return -1;
	}
	struct icaltimetype t = icaltime_from_string(str);
	if (icaltime_is_null_time(t) || !icaltime_is_valid_time(t) ||
	    t.month < 1 || t.month > 12 || t.day < 1 ||
	    t.day > icaltime_days_in_month(t.month, t.year) || t.hour > 23 ||
	    t.minute > 59 || t.second > 60)
		return -1;
	*t_r = ical_time_utc(t, NULL);
	return 0;
}

void ical_time_format_utc(int64_t t, char out[17])
{
	struct icaltimetype it = icaltime_from_timet_with_zone(
	    (time_t)t, 0, icaltimezone_get_utc_timezone());
	snprintf(out, 17, "%04d%02d%02dT%02d%02d%02dZ", it.year, it.month,
	         it.day, it.hour, it.minute, it.second);
}
