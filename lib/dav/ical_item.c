/* Reading events, tasks and journal entries for a client (ical_item.h):
 * the instances ical_recur_each finds, each turned into a struct
 * ical_item from its component (the master shifted by the instance's
 * offset, or an override as it is). */
#include "dav/ical_item.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "dav/ical_private.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static const char *text_of(icalcomponent *c, icalproperty_kind kind,
                           struct pool *pool)
{
	icalproperty *p = icalcomponent_get_first_property(c, kind);
	const char *v = p != NULL ? icalproperty_get_value_as_string(p) : NULL;
	if (v == NULL)
		return "";
	/* get_value_as_string escapes TEXT again: take the value itself */
	icalvalue *value = icalproperty_get_value(p);
	if (value != NULL && icalvalue_isa(value) == ICAL_TEXT_VALUE)
		v = icalvalue_get_text(value);
	return pool_strdup(pool, v != NULL ? v : "");
}

static const char *mailto_strip(const char *v, struct pool *pool)
{
	if (v == NULL)
		return "";
	if (strncasecmp(v, "mailto:", 7) == 0)
		v += 7;
	return pool_strdup(pool, v);
}

static int64_t time_of(icalcomponent *c, icalproperty_kind kind, int64_t offset,
                       const icaltimezone *floating)
{
	icalproperty *p = icalcomponent_get_first_property(c, kind);
	if (p == NULL)
		return ICAL_TIME_MIN;
	struct icaltimetype t = icalproperty_get_datetime_with_component(p, c);
	if (icaltime_is_null_time(t))
		return ICAL_TIME_MIN;
	return ical_time_add(ical_time_utc(t, floating), offset);
}

static void attendees_read(icalcomponent *c, struct pool *pool,
                           struct ical_item *item)
{
	size_t n =
	    (size_t)icalcomponent_count_properties(c, ICAL_ATTENDEE_PROPERTY);
	item->attendees = pool_alloc(pool, (n + 1) * sizeof(*item->attendees));
	item->attendee_count = 0;
	for (icalproperty *p =
	         icalcomponent_get_first_property(c, ICAL_ATTENDEE_PROPERTY);
	     p != NULL;
	     p = icalcomponent_get_next_property(c, ICAL_ATTENDEE_PROPERTY)) {
		struct ical_attendee *a =
		    &item->attendees[item->attendee_count++];
		a->address = mailto_strip(icalproperty_get_attendee(p), pool);
		icalparameter *cn =
		    icalproperty_get_first_parameter(p, ICAL_CN_PARAMETER);
		a->name = pool_strdup(
		    pool, cn != NULL && icalparameter_get_cn(cn) != NULL
		              ? icalparameter_get_cn(cn)
		              : "");
		icalparameter *ps = icalproperty_get_first_parameter(
		    p, ICAL_PARTSTAT_PARAMETER);
		/* an X- or IANA value libical has no name for reads as
		 * NEEDS-ACTION (RFC 5545 §3.2.12) */
		const char *str = ps != NULL
		                      ? icalparameter_enum_to_string(
		                            (int)icalparameter_get_partstat(ps))
		                      : NULL;
		a->partstat =
		    pool_strdup(pool, str != NULL ? str : "NEEDS-ACTION");
		icalparameter *rsvp =
		    icalproperty_get_first_parameter(p, ICAL_RSVP_PARAMETER);
		a->is_rsvp = rsvp != NULL &&
		             icalparameter_get_rsvp(rsvp) == ICAL_RSVP_TRUE;
	}
}

static void alarms_read(icalcomponent *c, struct ical_item *item)
{
	item->alarm_count = 0;
	for (icalcomponent *a =
	         icalcomponent_get_first_component(c, ICAL_VALARM_COMPONENT);
	     a != NULL && item->alarm_count < ICAL_ITEM_ALARMS_MAX;
	     a = icalcomponent_get_next_component(c, ICAL_VALARM_COMPONENT)) {
		icalproperty *p =
		    icalcomponent_get_first_property(a, ICAL_TRIGGER_PROPERTY);
		if (p == NULL)
			continue;
		struct icaltriggertype t = icalproperty_get_trigger(p);
		if (!icaltime_is_null_time(t.time))
			continue; /* an absolute trigger */
		item->alarms[item->alarm_count++] =
		    -(int64_t)icaldurationtype_as_int(t.duration);
	}
}

/* DUE and COMPLETED (VTODO). */
static void due_fill(icalcomponent *comp, int64_t offset,
                     const icaltimezone *floating, struct ical_item *item)
{
	item->due = time_of(comp, ICAL_DUE_PROPERTY, offset, floating);
	icalproperty *due =
	    icalcomponent_get_first_property(comp, ICAL_DUE_PROPERTY);
	item->is_due_date = due != NULL && icalproperty_get_due(due).is_date;
	item->completed = time_of(comp, ICAL_COMPLETED_PROPERTY, 0, floating);
}

/* Fills item from comp shifted by offset. */
static void item_fill(icalcomponent *comp, int64_t offset,
                      const struct ical_object *obj,
                      const icaltimezone *floating, struct pool *pool,
                      struct ical_item *item)
{
	memset(item, 0, sizeof(*item));
	item->kind = obj->kind;
	item->uid = pool_strdup(pool, obj->uid);
	item->summary = text_of(comp, ICAL_SUMMARY_PROPERTY, pool);
	item->location = text_of(comp, ICAL_LOCATION_PROPERTY, pool);
	item->description = text_of(comp, ICAL_DESCRIPTION_PROPERTY, pool);
	item->status = text_of(comp, ICAL_STATUS_PROPERTY, pool);
	item->start = time_of(comp, ICAL_DTSTART_PROPERTY, offset, floating);
	item->end = item->start == ICAL_TIME_MIN
	                ? ICAL_TIME_MIN
	                : ical_time_add(item->start,
	                                ical_comp_duration(comp, floating));
	icalproperty *dtstart =
	    icalcomponent_get_first_property(comp, ICAL_DTSTART_PROPERTY);
	item->tzid = "";
	if (dtstart != NULL) {
		struct icaltimetype t = icalproperty_get_dtstart(dtstart);
		item->is_all_day = t.is_date;
		icalparameter *tz = icalproperty_get_first_parameter(
		    dtstart, ICAL_TZID_PARAMETER);
		if (tz != NULL && icalparameter_get_tzid(tz) != NULL)
			item->tzid =
			    pool_strdup(pool, icalparameter_get_tzid(tz));
	}
	item->is_recurring = obj->is_recurring;
	due_fill(comp, offset, floating, item);
	icalproperty *p =
	    icalcomponent_get_first_property(comp, ICAL_PRIORITY_PROPERTY);
	item->priority = p != NULL ? icalproperty_get_priority(p) : 0;
	p = icalcomponent_get_first_property(comp,
	                                     ICAL_PERCENTCOMPLETE_PROPERTY);
	item->percent = p != NULL ? icalproperty_get_percentcomplete(p) : 0;
	p = icalcomponent_get_first_property(comp, ICAL_SEQUENCE_PROPERTY);
	item->sequence = p != NULL ? icalproperty_get_sequence(p) : 0;
	p = icalcomponent_get_first_property(comp, ICAL_RRULE_PROPERTY);
	item->rrule = "";
	if (p != NULL) {
		struct icalrecurrencetype r = icalproperty_get_rrule(p);
		char *s = icalrecurrencetype_as_string_r(&r);
		item->rrule = pool_strdup(pool, s != NULL ? s : "");
		free(s);
	}
	p = icalcomponent_get_first_property(comp, ICAL_ORGANIZER_PROPERTY);
	item->organizer =
	    p != NULL ? mailto_strip(icalproperty_get_organizer(p), pool) : "";
	attendees_read(comp, pool, item);
	alarms_read(comp, item);
	item->recurrence_id = ICAL_TIME_MIN;
	p = icalcomponent_get_first_property(comp, ICAL_RECURRENCEID_PROPERTY);
	if (p != NULL)
		item->recurrence_id = ical_time_utc(
		    icalproperty_get_datetime_with_component(p, comp),
		    floating);
	else if (obj->is_recurring)
		item->recurrence_id = item->start;
}

struct each_ctx {
	const struct ical_object *obj;
	const icaltimezone *floating;
	int64_t from, to;
	struct pool *pool;
	ical_item_cb *cb;
	void *ctx;
};

static int each_cb(const struct ical_instance *inst, void *ctx)
{
	struct each_ctx *e = ctx;
	struct ical_item item;
	item_fill(inst->comp, inst->offset, e->obj, e->floating, e->pool,
	          &item);
	if (item.start != ICAL_TIME_MIN) {
		bool is_in = item.end > item.start
		                 ? item.start < e->to && item.end > e->from
		                 : item.start >= e->from && item.start < e->to;
		if (!is_in)
			return 0;
	}
	return e->cb(&item, e->ctx);
}

int ical_item_each(const struct ical_object *obj, int64_t from, int64_t to,
                   const struct ical_tz *local, struct pool *pool,
                   ical_item_cb *cb, void *ctx)
{
	struct each_ctx e = {.obj = obj,
	                     .floating = local != NULL ? local->zone : NULL,
	                     .from = from,
	                     .to = to,
	                     .pool = pool,
	                     .cb = cb,
	                     .ctx = ctx};
	return ical_recur_each(obj->root, obj->libical_kind, from, to,
	                       e.floating, obj->max_instances, each_cb, &e);
}

void ical_item_master(const struct ical_object *obj,
                      const struct ical_tz *local, struct pool *pool,
                      struct ical_item *item_r)
{
	icalcomponent *first = NULL, *master = NULL;
	for (icalcomponent *c = icalcomponent_get_first_component(
	         obj->root, obj->libical_kind);
	     c != NULL; c = icalcomponent_get_next_component(
	                    obj->root, obj->libical_kind)) {
		if (first == NULL)
			first = c;
		if (master == NULL &&
		    icalcomponent_get_first_property(
		        c, ICAL_RECURRENCEID_PROPERTY) == NULL)
			master = c;
	}
	item_fill(master != NULL ? master : first, 0, obj,
	          local != NULL ? local->zone : NULL, pool, item_r);
}

/* The IANA name /etc/localtime links to, or NULL. */
static const char *localtime_name(void)
{
	static char target[PATH_MAX];
	ssize_t n = readlink("/etc/localtime", target, sizeof(target) - 1);
	if (n <= 0)
		return NULL;
	target[n] = '\0';
	const char *p = strstr(target, "zoneinfo/");
	return p != NULL ? p + 9 : NULL;
}

struct ical_tz *ical_tz_local(const char **name_r)
{
	static char name[128];
	const char *tz = getenv("TZ");
	if (tz != NULL && tz[0] == ':')
		tz++;
	if (tz == NULL || tz[0] == '\0')
		tz = localtime_name();
	struct ical_tz *zone = NULL;
	if (tz != NULL && strlen(tz) < sizeof(name))
		zone = ical_tz_builtin(tz);
	if (zone == NULL) {
		tz = "UTC";
		zone = xcalloc(1, sizeof(*zone));
		zone->zone = icaltimezone_get_utc_timezone();
	}
	snprintf(name, sizeof(name), "%s", tz);
	*name_r = name;
	return zone;
}

int ical_tz_offset(const struct ical_tz *tz, int64_t t)
{
	struct icaltimetype it = icaltime_from_timet_with_zone(
	    (time_t)t, 0, icaltimezone_get_utc_timezone());
	int is_daylight = 0;
	return icaltimezone_get_utc_offset_of_utc_time((icaltimezone *)tz->zone,
	                                               &it, &is_daylight);
}
