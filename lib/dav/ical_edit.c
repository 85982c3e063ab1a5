/* Writing calendar objects for a client (ical_edit.h) with libical: the
 * fields of struct ical_edit set on one component, VTIMEZONEs added from
 * the system's zones under their IANA names, overrides made by cloning the
 * master, and the result checked with ical_object_parse before it is
 * handed back. */
#include "dav/ical_edit.h"
#include "core/buf.h"
#include "core/pool.h"
#include "dav/ical_private.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ICAL_EDIT_PRODID "-//Postroom//postroom client//EN"

static bool is_utc(const char *tzid)
{
	return tzid == NULL || strcasecmp(tzid, "UTC") == 0 ||
	       strcasecmp(tzid, "Etc/UTC") == 0;
}

static void prop_remove_all(icalcomponent *c, icalproperty_kind kind)
{
	icalproperty *p;
	while ((p = icalcomponent_get_first_property(c, kind)) != NULL) {
		icalcomponent_remove_property(c, p);
		icalproperty_free(p);
	}
}

static struct icaltimetype utc_time(time_t t)
{
	return icaltime_from_timet_with_zone(t, 0,
	                                     icaltimezone_get_utc_timezone());
}

static bool when_is_valid(const struct ical_when *w)
{
	if (w->year < ICAL_YEAR_MIN || w->year > ICAL_YEAR_MAX ||
	    w->month < 1 || w->month > 12 || w->day < 1 ||
	    w->day > icaltime_days_in_month(w->month, w->year))
		return false;
	return w->is_date ||
	       (w->hour >= 0 && w->hour < 24 && w->minute >= 0 &&
	        w->minute < 60 && w->second >= 0 && w->second < 60);
}

/* The time w names: a DATE, a UTC DATE-TIME, or a local one to be
 * written with a TZID (zone left NULL: floating as libical writes it). */
static struct icaltimetype when_time(const struct ical_when *w,
                                     const char *tzid)
{
	struct icaltimetype t = icaltime_null_time();
	t.year = w->year;
	t.month = w->month;
	t.day = w->day;
	if (w->is_date) {
		t.is_date = 1;
		return t;
	}
	t.hour = w->hour;
	t.minute = w->minute;
	t.second = w->second;
	if (is_utc(tzid))
		t.zone = icaltimezone_get_utc_timezone();
	return t;
}

/* A property of kind holding t, with a TZID when t is a local time. */
static icalproperty *time_prop(icalproperty_kind kind, struct icaltimetype t,
                               const char *tzid)
{
	icalproperty *p = icalproperty_new(kind);
	icalproperty_set_value(p, t.is_date ? icalvalue_new_date(t)
	                                    : icalvalue_new_datetime(t));
	if (!t.is_date && t.zone == NULL && tzid != NULL)
		icalproperty_add_parameter(p, icalparameter_new_tzid(tzid));
	return p;
}

static const char *tzid_of(icalproperty *p)
{
	icalparameter *tz =
	    p != NULL ? icalproperty_get_first_parameter(p, ICAL_TZID_PARAMETER)
	              : NULL;
	return tz != NULL ? icalparameter_get_tzid(tz) : NULL;
}

/* A property of kind holding the instant t (UTC seconds) in the form of
 * model (a date, floating, UTC, or local with model's TZID). */
static icalproperty *time_like(icalproperty_kind kind, icalproperty *model,
                               icalcomponent *comp, int64_t t,
                               const icaltimezone *floating)
{
	struct icaltimetype m =
	    icalproperty_get_datetime_with_component(model, comp);
	const icaltimezone *zone = m.zone;
	if (m.is_date || zone == NULL)
		zone = floating != NULL ? floating
		                        : icaltimezone_get_utc_timezone();
	struct icaltimetype v = icaltime_from_timet_with_zone(
	    (time_t)t, m.is_date, (icaltimezone *)zone);
	const char *tzid = tzid_of(model);
	if (m.is_date || tzid != NULL || m.zone == NULL)
		v.zone = NULL; /* a date, local with TZID, or floating */
	return time_prop(kind, v, tzid);
}

/* Adds a VTIMEZONE for tzid to cal unless it has one: the system's zone,
 * under its IANA name, from 1970 on. Returns 0 or -1 (unknown zone). */
static int vtimezone_ensure(icalcomponent *cal, const char *tzid)
{
	if (is_utc(tzid) || icalcomponent_get_timezone(cal, tzid) != NULL)
		return 0;
	icaltimezone *zone = icaltimezone_get_builtin_timezone(tzid);
	icalcomponent *model =
	    zone != NULL ? icaltimezone_get_component(zone) : NULL;
	if (model == NULL)
		return -1;
	icalcomponent *vtz = icalcomponent_new_clone(model);
	prop_remove_all(vtz, ICAL_TZID_PROPERTY);
	icalcomponent_add_property(vtz, icalproperty_new_tzid(tzid));
	icaltimezone_truncate_vtimezone(vtz, utc_time(0), icaltime_null_time(),
	                                0);
	icalcomponent_add_component(cal, vtz);
	return 0;
}

static void text_set(icalcomponent *c, icalproperty_kind kind,
                     const char *value)
{
	if (value == NULL)
		return;
	prop_remove_all(c, kind);
	if (value[0] == '\0')
		return;
	icalproperty *p = icalproperty_new(kind);
	icalproperty_set_value(p, icalvalue_new_text(value));
	icalcomponent_add_property(c, p);
}

static void alarms_set(icalcomponent *c, const struct ical_edit *e)
{
	if (!e->has_alarms)
		return;
	icalcomponent *a;
	while ((a = icalcomponent_get_first_component(
	            c, ICAL_VALARM_COMPONENT)) != NULL) {
		icalcomponent_remove_component(c, a);
		icalcomponent_free(a);
	}
	const char *summary = icalcomponent_get_summary(c);
	for (size_t i = 0; i < e->alarm_count; i++) {
		icalcomponent *alarm = icalcomponent_new(ICAL_VALARM_COMPONENT);
		icalcomponent_add_property(
		    alarm, icalproperty_new_action(ICAL_ACTION_DISPLAY));
		icalcomponent_add_property(
		    alarm,
		    icalproperty_new_description(
		        summary != NULL && summary[0] != '\0' ? summary
		                                              : "Reminder"));
		struct icaltriggertype trig = {
		    .time = icaltime_null_time(),
		    .duration = icaldurationtype_from_int(-(int)e->alarms[i]),
		};
		icalcomponent_add_property(alarm,
		                           icalproperty_new_trigger(trig));
		icalcomponent_add_component(c, alarm);
	}
}

static void attendees_set(icalcomponent *c, const struct ical_edit *e,
                          struct pool *pool)
{
	if (e->organizer != NULL) {
		prop_remove_all(c, ICAL_ORGANIZER_PROPERTY);
		icalproperty *p = icalproperty_new_organizer(
		    pool_printf(pool, "mailto:%s", e->organizer));
		if (e->organizer_name != NULL && e->organizer_name[0] != '\0')
			icalproperty_add_parameter(
			    p, icalparameter_new_cn(e->organizer_name));
		icalcomponent_add_property(c, p);
	}
	if (!e->has_attendees)
		return;
	prop_remove_all(c, ICAL_ATTENDEE_PROPERTY);
	for (size_t i = 0; i < e->attendee_count; i++) {
		icalproperty *p = icalproperty_new_attendee(
		    pool_printf(pool, "mailto:%s", e->attendees[i]));
		icalproperty_add_parameter(
		    p, icalparameter_new_role(ICAL_ROLE_REQPARTICIPANT));
		icalproperty_add_parameter(
		    p, icalparameter_new_partstat(ICAL_PARTSTAT_NEEDSACTION));
		icalproperty_add_parameter(
		    p, icalparameter_new_rsvp(ICAL_RSVP_TRUE));
		icalcomponent_add_property(c, p);
	}
}

/* DTEND after a DTSTART change when no end was given: the same
 * wall-clock length as before. */
static void end_keep(icalcomponent *c, struct icaltimetype start,
                     const char *tzid, int64_t old_duration)
{
	if (icalcomponent_get_first_property(c, ICAL_DTEND_PROPERTY) == NULL)
		return;
	prop_remove_all(c, ICAL_DTEND_PROPERTY);
	struct icaltimetype end =
	    icaltime_add(start, icaldurationtype_from_int((int)old_duration));
	icalcomponent_add_property(c,
	                           time_prop(ICAL_DTEND_PROPERTY, end, tzid));
}

static int times_set(icalcomponent *c, const struct ical_edit *e,
                     const char **error_r)
{
	const struct ical_when *whens[] = {&e->start, &e->end, &e->due};
	for (size_t i = 0; i < 3; i++) {
		if (whens[i]->is_set && !when_is_valid(whens[i])) {
			*error_r = "not a valid date or time";
			return -1;
		}
	}
	const char *tzid = is_utc(e->tzid) ? NULL : e->tzid;
	int64_t old_duration = ical_comp_duration(c, NULL);
	if (e->start.is_set) {
		struct icaltimetype t = when_time(&e->start, e->tzid);
		prop_remove_all(c, ICAL_DTSTART_PROPERTY);
		icalcomponent_add_property(
		    c, time_prop(ICAL_DTSTART_PROPERTY, t, tzid));
		if (!e->end.is_set && e->duration == 0)
			end_keep(c, t, tzid, old_duration);
	}
	if (e->end.is_set || e->duration > 0) {
		prop_remove_all(c, ICAL_DTEND_PROPERTY);
		prop_remove_all(c, ICAL_DURATION_PROPERTY);
		struct icaltimetype end;
		if (e->end.is_set) {
			end = when_time(&e->end, e->tzid);
		} else {
			icalproperty *s = icalcomponent_get_first_property(
			    c, ICAL_DTSTART_PROPERTY);
			if (s == NULL) {
				*error_r = "a duration needs a start";
				return -1;
			}
			end = icaltime_add(
			    icalproperty_get_dtstart(s),
			    icaldurationtype_from_int((int)e->duration));
			tzid = tzid_of(s);
		}
		icalcomponent_add_property(
		    c, time_prop(ICAL_DTEND_PROPERTY, end, tzid));
	}
	if (e->is_due_removed)
		prop_remove_all(c, ICAL_DUE_PROPERTY);
	if (e->due.is_set) {
		prop_remove_all(c, ICAL_DUE_PROPERTY);
		icalcomponent_add_property(
		    c, time_prop(ICAL_DUE_PROPERTY, when_time(&e->due, e->tzid),
		                 tzid));
	}
	return 0;
}

static int rrule_set(icalcomponent *c, const char *rrule, const char **error_r)
{
	if (rrule == NULL)
		return 0;
	prop_remove_all(c, ICAL_RRULE_PROPERTY);
	if (rrule[0] == '\0')
		return 0;
	if (strncasecmp(rrule, "RRULE:", 6) == 0)
		rrule += 6;
	struct icalrecurrencetype r = icalrecurrencetype_from_string(rrule);
	if (r.freq == ICAL_NO_RECURRENCE) {
		*error_r = "not a recurrence rule (RFC 5545 3.3.10)";
		return -1;
	}
	icalcomponent_add_property(c, icalproperty_new_rrule(r));
	return 0;
}

static void task_set(icalcomponent *c, const struct ical_edit *e)
{
	if (e->priority >= 0) {
		prop_remove_all(c, ICAL_PRIORITY_PROPERTY);
		icalcomponent_add_property(
		    c, icalproperty_new_priority(e->priority));
	}
	if (e->is_completed || e->is_reopened) {
		prop_remove_all(c, ICAL_COMPLETED_PROPERTY);
		prop_remove_all(c, ICAL_STATUS_PROPERTY);
		prop_remove_all(c, ICAL_PERCENTCOMPLETE_PROPERTY);
		icalcomponent_add_property(
		    c, icalproperty_new_status(e->is_completed
		                                   ? ICAL_STATUS_COMPLETED
		                                   : ICAL_STATUS_NEEDSACTION));
		icalcomponent_add_property(c, icalproperty_new_percentcomplete(
		                                  e->is_completed ? 100 : 0));
		if (e->is_completed)
			icalcomponent_add_property(
			    c, icalproperty_new_completed(utc_time(e->now)));
	}
	if (e->percent >= 0 && !e->is_completed && !e->is_reopened) {
		prop_remove_all(c, ICAL_PERCENTCOMPLETE_PROPERTY);
		icalcomponent_add_property(
		    c, icalproperty_new_percentcomplete(e->percent));
	}
}

/* Sets every field e gives on c (a component of cal). */
static int comp_apply(icalcomponent *cal, icalcomponent *c,
                      const struct ical_edit *e, struct pool *pool,
                      const char **error_r)
{
	text_set(c, ICAL_SUMMARY_PROPERTY, e->summary);
	text_set(c, ICAL_LOCATION_PROPERTY, e->location);
	text_set(c, ICAL_DESCRIPTION_PROPERTY, e->description);
	if (e->status != NULL) {
		prop_remove_all(c, ICAL_STATUS_PROPERTY);
		icalproperty_status st =
		    icalproperty_string_to_status(e->status);
		if (e->status[0] != '\0' &&
		    (st == ICAL_STATUS_NONE || st == ICAL_STATUS_X)) {
			*error_r = "not a STATUS (RFC 5545 3.8.1.11)";
			return -1;
		}
		if (e->status[0] != '\0')
			icalcomponent_add_property(c,
			                           icalproperty_new_status(st));
	}
	if (times_set(c, e, error_r) < 0 || rrule_set(c, e->rrule, error_r) < 0)
		return -1;
	alarms_set(c, e);
	task_set(c, e);
	attendees_set(c, e, pool);
	bool has_times = e->start.is_set || e->end.is_set || e->due.is_set;
	if (vtimezone_ensure(cal, has_times ? e->tzid : NULL) < 0) {
		*error_r = pool_printf(pool, "unknown time zone %s", e->tzid);
		return -1;
	}
	return 0;
}

/* DTSTAMP and LAST-MODIFIED now, SEQUENCE one up (RFC 5546 §2.1.4). */
static void comp_stamp(icalcomponent *c, time_t now, bool bump)
{
	icalproperty *seq =
	    icalcomponent_get_first_property(c, ICAL_SEQUENCE_PROPERTY);
	int n = seq != NULL ? icalproperty_get_sequence(seq) : 0;
	prop_remove_all(c, ICAL_SEQUENCE_PROPERTY);
	icalcomponent_add_property(c,
	                           icalproperty_new_sequence(bump ? n + 1 : n));
	prop_remove_all(c, ICAL_DTSTAMP_PROPERTY);
	icalcomponent_add_property(c, icalproperty_new_dtstamp(utc_time(now)));
	prop_remove_all(c, ICAL_LASTMODIFIED_PROPERTY);
	icalcomponent_add_property(
	    c, icalproperty_new_lastmodified(utc_time(now)));
}

/* Writes cal to out and checks it. Returns 0, or -1 with *error_r. */
static int calendar_finish(icalcomponent *cal, struct pool *pool,
                           struct buf *out, const char **error_r)
{
	char *text = icalcomponent_as_ical_string_r(cal);
	struct ical_settings set;
	ical_settings_init(&set);
	struct ical_object *obj;
	int ret = ical_object_parse((const unsigned char *)text, strlen(text),
	                            &set, pool, &obj, error_r);
	if (ret == 0)
		buf_append_str(out, text);
	ical_object_free(&obj);
	free(text);
	return ret;
}

static icalcomponent_kind libical_kind(enum ical_kind kind)
{
	switch (kind) {
	case ICAL_KIND_VTODO:
		return ICAL_VTODO_COMPONENT;
	case ICAL_KIND_VJOURNAL:
		return ICAL_VJOURNAL_COMPONENT;
	default:
		return ICAL_VEVENT_COMPONENT;
	}
}

int ical_edit_new(const struct ical_edit *e, struct pool *pool, struct buf *out,
                  const char **error_r)
{
	ical_init();
	icalcomponent *cal = icalcomponent_new_vcalendar();
	icalcomponent_add_property(cal, icalproperty_new_version("2.0"));
	icalcomponent_add_property(cal,
	                           icalproperty_new_prodid(ICAL_EDIT_PRODID));
	icalcomponent *c = icalcomponent_new(libical_kind(e->kind));
	icalcomponent_add_property(c, icalproperty_new_uid(e->uid));
	icalcomponent_add_property(c,
	                           icalproperty_new_created(utc_time(e->now)));
	icalcomponent_add_component(cal, c);
	int ret = comp_apply(cal, c, e, pool, error_r);
	if (ret == 0) {
		comp_stamp(c, e->now, false);
		ret = calendar_finish(cal, pool, out, error_r);
	}
	icalcomponent_free(cal);
	return ret;
}

/* Parses data we wrote or checked before. Returns the VCALENDAR, or NULL
 * with *error_r. */
static icalcomponent *calendar_parse(const unsigned char *data, size_t size,
                                     struct pool *pool,
                                     icalcomponent_kind *kind_r,
                                     const char **error_r)
{
	struct ical_settings set;
	ical_settings_init(&set);
	struct ical_object *obj;
	if (ical_object_parse(data, size, &set, pool, &obj, error_r) < 0)
		return NULL;
	icalcomponent *root = obj->root;
	*kind_r = obj->libical_kind;
	obj->root = NULL;
	ical_object_free(&obj);
	return root;
}

static icalcomponent *master_of(icalcomponent *cal, icalcomponent_kind kind)
{
	for (icalcomponent *c = icalcomponent_get_first_component(cal, kind);
	     c != NULL; c = icalcomponent_get_next_component(cal, kind))
		if (icalcomponent_get_first_property(
		        c, ICAL_RECURRENCEID_PROPERTY) == NULL)
			return c;
	return NULL;
}

/* The override of cal whose RECURRENCE-ID is instance, or NULL. */
static icalcomponent *override_of(icalcomponent *cal, icalcomponent_kind kind,
                                  int64_t instance,
                                  const icaltimezone *floating)
{
	for (icalcomponent *c = icalcomponent_get_first_component(cal, kind);
	     c != NULL; c = icalcomponent_get_next_component(cal, kind)) {
		icalproperty *rid = icalcomponent_get_first_property(
		    c, ICAL_RECURRENCEID_PROPERTY);
		if (rid != NULL &&
		    ical_time_utc(
		        icalproperty_get_datetime_with_component(rid, c),
		        floating) == instance)
			return c;
	}
	return NULL;
}

struct find_ctx {
	icalcomponent *master;
	int64_t instance;
	bool is_found;
};

static int find_cb(const struct ical_instance *inst, void *ctx)
{
	struct find_ctx *f = ctx;
	if (inst->comp == f->master && inst->start == f->instance) {
		f->is_found = true;
		return 1;
	}
	return 0;
}

/* Makes the override of the master's instance at instance. Returns it,
 * or NULL when the master has no such instance. */
static icalcomponent *override_make(icalcomponent *cal, icalcomponent *master,
                                    icalcomponent_kind kind, int64_t instance,
                                    const icaltimezone *floating)
{
	struct find_ctx f = {.master = master, .instance = instance};
	(void)ical_recur_each(cal, kind, instance, ical_time_add(instance, 1),
	                      floating, ICAL_DEFAULT_MAX_INSTANCES, find_cb,
	                      &f);
	icalproperty *start =
	    icalcomponent_get_first_property(master, ICAL_DTSTART_PROPERTY);
	if (!f.is_found || start == NULL)
		return NULL;
	icalcomponent *o = icalcomponent_new_clone(master);
	prop_remove_all(o, ICAL_RRULE_PROPERTY);
	prop_remove_all(o, ICAL_RDATE_PROPERTY);
	prop_remove_all(o, ICAL_EXDATE_PROPERTY);
	prop_remove_all(o, ICAL_DTSTART_PROPERTY);
	prop_remove_all(o, ICAL_DTEND_PROPERTY);
	icalcomponent_add_property(o,
	                           time_like(ICAL_RECURRENCEID_PROPERTY, start,
	                                     master, instance, floating));
	icalcomponent_add_property(o, time_like(ICAL_DTSTART_PROPERTY, start,
	                                        master, instance, floating));
	icalproperty *end =
	    icalcomponent_get_first_property(master, ICAL_DTEND_PROPERTY);
	if (end != NULL)
		icalcomponent_add_property(
		    o, time_like(ICAL_DTEND_PROPERTY, end, master,
		                 ical_time_add(instance, ical_comp_duration(
		                                             master, floating)),
		                 floating));
	icalcomponent_add_component(cal, o);
	return o;
}

int ical_edit_change(const unsigned char *data, size_t size,
                     const struct ical_edit *e, int64_t instance,
                     struct pool *pool, struct buf *out, const char **error_r)
{
	icalcomponent_kind kind;
	icalcomponent *cal = calendar_parse(data, size, pool, &kind, error_r);
	if (cal == NULL)
		return -1;
	const icaltimezone *floating = e->local != NULL ? e->local->zone : NULL;
	icalcomponent *master = master_of(cal, kind), *c = master;
	if (instance != ICAL_TIME_MIN) {
		c = override_of(cal, kind, instance, floating);
		if (c == NULL && master != NULL)
			c = override_make(cal, master, kind, instance,
			                  floating);
	}
	int ret = -1;
	if (c == NULL)
		*error_r = instance != ICAL_TIME_MIN
		               ? "no instance at that time"
		               : "no master component";
	else if (comp_apply(cal, c, e, pool, error_r) == 0) {
		comp_stamp(c, e->now, true);
		ret = calendar_finish(cal, pool, out, error_r);
	}
	icalcomponent_free(cal);
	return ret;
}

int ical_edit_exclude(const unsigned char *data, size_t size, int64_t instance,
                      const struct ical_tz *local, time_t now,
                      struct pool *pool, struct buf *out, const char **error_r)
{
	const icaltimezone *floating = local != NULL ? local->zone : NULL;
	icalcomponent_kind kind;
	icalcomponent *cal = calendar_parse(data, size, pool, &kind, error_r);
	if (cal == NULL)
		return -1;
	icalcomponent *master = master_of(cal, kind);
	icalproperty *start = master != NULL
	                          ? icalcomponent_get_first_property(
	                                master, ICAL_DTSTART_PROPERTY)
	                          : NULL;
	int ret = -1;
	struct find_ctx f = {.master = master, .instance = instance};
	icalcomponent *o = override_of(cal, kind, instance, floating);
	if (start != NULL)
		(void)ical_recur_each(cal, kind, instance,
		                      ical_time_add(instance, 1), floating,
		                      ICAL_DEFAULT_MAX_INSTANCES, find_cb, &f);
	if (start == NULL || (!f.is_found && o == NULL)) {
		*error_r = "no instance at that time";
	} else {
		if (o != NULL) {
			icalcomponent_remove_component(cal, o);
			icalcomponent_free(o);
		}
		icalcomponent_add_property(
		    master, time_like(ICAL_EXDATE_PROPERTY, start, master,
		                      instance, floating));
		comp_stamp(master, now, true);
		ret = calendar_finish(cal, pool, out, error_r);
	}
	icalcomponent_free(cal);
	return ret;
}

int ical_edit_copy(const unsigned char *data, size_t size, const char *uid,
                   const char *label, time_t now, struct pool *pool,
                   struct buf *out, const char **error_r)
{
	icalcomponent_kind kind;
	icalcomponent *cal = calendar_parse(data, size, pool, &kind, error_r);
	if (cal == NULL)
		return -1;
	for (icalcomponent *c = icalcomponent_get_first_component(cal, kind);
	     c != NULL; c = icalcomponent_get_next_component(cal, kind)) {
		icalcomponent_set_uid(c, uid);
		const char *summary = icalcomponent_get_summary(c);
		text_set(c, ICAL_SUMMARY_PROPERTY,
		         pool_printf(pool, "%s%s",
		                     summary != NULL ? summary : "", label));
		comp_stamp(c, now, false);
	}
	int ret = calendar_finish(cal, pool, out, error_r);
	icalcomponent_free(cal);
	return ret;
}

/* "mailto:a@b" (any case of the scheme) is address a@b? */
static bool is_address(const char *value, const char *address)
{
	if (value == NULL)
		return false;
	if (strncasecmp(value, "mailto:", 7) == 0)
		value += 7;
	return strcasecmp(value, address) == 0;
}

static icalparameter_partstat partstat_parse(const char *str)
{
	static const struct {
		const char *name;
		icalparameter_partstat value;
	} map[] = {
	    {"ACCEPTED", ICAL_PARTSTAT_ACCEPTED},
	    {"DECLINED", ICAL_PARTSTAT_DECLINED},
	    {"TENTATIVE", ICAL_PARTSTAT_TENTATIVE},
	    {"NEEDS-ACTION", ICAL_PARTSTAT_NEEDSACTION},
	    {"DELEGATED", ICAL_PARTSTAT_DELEGATED},
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(*map); i++)
		if (strcasecmp(str, map[i].name) == 0)
			return map[i].value;
	return ICAL_PARTSTAT_NONE;
}

int ical_edit_partstat(const unsigned char *data, size_t size,
                       const char *attendee, const char *partstat, time_t now,
                       struct pool *pool, struct buf *out, const char **error_r)
{
	icalparameter_partstat ps = partstat_parse(partstat);
	if (ps == ICAL_PARTSTAT_NONE) {
		*error_r = "not a PARTSTAT (RFC 5545 3.2.12)";
		return -1;
	}
	icalcomponent_kind kind;
	icalcomponent *cal = calendar_parse(data, size, pool, &kind, error_r);
	if (cal == NULL)
		return -1;
	bool is_set = false;
	for (icalcomponent *c = icalcomponent_get_first_component(cal, kind);
	     c != NULL; c = icalcomponent_get_next_component(cal, kind)) {
		for (icalproperty *p = icalcomponent_get_first_property(
		         c, ICAL_ATTENDEE_PROPERTY);
		     p != NULL; p = icalcomponent_get_next_property(
		                    c, ICAL_ATTENDEE_PROPERTY)) {
			if (!is_address(icalproperty_get_attendee(p), attendee))
				continue;
			icalproperty_remove_parameter_by_kind(
			    p, ICAL_PARTSTAT_PARAMETER);
			icalproperty_add_parameter(
			    p, icalparameter_new_partstat(ps));
			is_set = true;
		}
		if (is_set)
			comp_stamp(c, now, false);
	}
	int ret = is_set ? calendar_finish(cal, pool, out, error_r) : 0;
	icalcomponent_free(cal);
	return ret < 0 ? -1 : is_set ? 1 : 0;
}
