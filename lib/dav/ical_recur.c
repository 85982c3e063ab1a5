/* Recurrence expansion and the time-range rules of CalDAV (RFC 5545
 * §3.8.5 RRULE, RDATE, EXDATE, §3.8.4.4 RECURRENCE-ID; RFC 4791 §9.9).
 * A master's instances come from libical's rule iterator in the zone of
 * its DTSTART (so 10:00 Europe/Berlin stays 10:00 across DST), jumping to
 * the range asked for when the rule has no COUNT; EXDATEs and the
 * overridden RECURRENCE-IDs are taken out by their UTC time.
 * XXX EXRULE (deprecated by RFC 5545) is ignored, RANGE=THISANDFUTURE
 * overrides only their own instance, and an RDATE period's own end is not
 * used (its instance lasts as long as the master). */
#include "dav/ical_private.h"
#include "core/xmalloc.h"

#include <stdlib.h>
#include <string.h>

#define DAY 86400

struct times {
	int64_t *v;
	size_t count, cap;
};

static void times_add(struct times *t, int64_t v)
{
	if (t->count == t->cap) {
		t->cap = t->cap == 0 ? 32 : t->cap * 2;
		t->v = xrealloc(t->v, t->cap * sizeof(*t->v));
	}
	t->v[t->count++] = v;
}

static int time_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static bool times_has(const struct times *t, int64_t v)
{
	return t->count > 0 &&
	       bsearch(&v, t->v, t->count, sizeof(*t->v), time_cmp) != NULL;
}

static struct icaltimetype prop_time(icalcomponent *comp,
                                     icalproperty_kind kind)
{
	icalproperty *p = icalcomponent_get_first_property(comp, kind);
	if (p == NULL)
		return icaltime_null_time();
	return icalproperty_get_datetime_with_component(p, comp);
}

static bool has_prop(icalcomponent *comp, icalproperty_kind kind)
{
	return icalcomponent_get_first_property(comp, kind) != NULL;
}

int64_t ical_comp_duration(icalcomponent *comp, const icaltimezone *floating)
{
	struct icaltimetype start = prop_time(comp, ICAL_DTSTART_PROPERTY);
	if (icaltime_is_null_time(start))
		return 0;
	int64_t s = ical_time_utc(start, floating);
	icalproperty *dur =
	    icalcomponent_get_first_property(comp, ICAL_DURATION_PROPERTY);
	if (dur != NULL) {
		int64_t d =
		    icaldurationtype_as_int(icalproperty_get_duration(dur));
		return d > 0 ? d : 0;
	}
	icalproperty_kind end_kind =
	    icalcomponent_isa(comp) == ICAL_VTODO_COMPONENT
	        ? ICAL_DUE_PROPERTY
	        : ICAL_DTEND_PROPERTY;
	struct icaltimetype end = prop_time(comp, end_kind);
	if (!icaltime_is_null_time(end)) {
		int64_t d = ical_time_utc(end, floating) - s;
		return d > 0 ? d : 0;
	}
	if (start.is_date && icalcomponent_isa(comp) != ICAL_VTODO_COMPONENT)
		return DAY;
	return 0;
}

/* Adds the master's EXDATEs and its overrides' RECURRENCE-IDs. */
static void exclusions_get(icalcomponent *vcal, icalcomponent_kind kind,
                           icalcomponent *master, const icaltimezone *floating,
                           struct times *ex)
{
	for (icalproperty *p =
	         icalcomponent_get_first_property(master, ICAL_EXDATE_PROPERTY);
	     p != NULL; p = icalcomponent_get_next_property(
	                    master, ICAL_EXDATE_PROPERTY)) {
		times_add(
		    ex, ical_time_utc(
		            icalproperty_get_datetime_with_component(p, master),
		            floating));
	}
	for (icalcomponent *c = icalcomponent_get_first_component(vcal, kind);
	     c != NULL; c = icalcomponent_get_next_component(vcal, kind)) {
		icalproperty *rid = icalcomponent_get_first_property(
		    c, ICAL_RECURRENCEID_PROPERTY);
		if (rid != NULL)
			times_add(ex,
			          ical_time_utc(
			              icalproperty_get_datetime_with_component(
			                  rid, c),
			              floating));
	}
	if (ex->count > 0)
		qsort(ex->v, ex->count, sizeof(*ex->v), time_cmp);
}

struct expand {
	int64_t from, to, lookback;
	size_t max, steps;
	bool truncated;
	const icaltimezone *floating;
};

static bool in_window(const struct expand *e, int64_t t)
{
	return t < e->to && ical_time_add(t, e->lookback) > e->from;
}

/* Adds the starts one RRULE gives inside the window. */
static void rule_expand(struct expand *e, struct icalrecurrencetype rule,
                        struct icaltimetype dtstart, int64_t s0,
                        struct times *out)
{
	icalrecur_iterator *it = icalrecur_iterator_new(rule, dtstart);
	if (it == NULL)
		return;
	int64_t jump = ical_time_add(e->from, -e->lookback);
	if (e->from != ICAL_TIME_MIN && rule.count == 0 && jump > s0) {
		const icaltimezone *zone = dtstart.zone;
		if (dtstart.is_date || zone == NULL)
			zone = e->floating != NULL
			           ? e->floating
			           : icaltimezone_get_utc_timezone();
		struct icaltimetype j = icaltime_from_timet_with_zone(
		    (time_t)jump, dtstart.is_date, (icaltimezone *)zone);
		(void)icalrecur_iterator_set_start(it, j);
	}
	for (struct icaltimetype t = icalrecur_iterator_next(it);
	     !icaltime_is_null_time(t); t = icalrecur_iterator_next(it)) {
		if (++e->steps > e->max) {
			e->truncated = true;
			break;
		}
		t.zone = dtstart.zone;
		if (t.year > ICAL_YEAR_MAX) {
			e->truncated = true;
			break;
		}
		int64_t st = ical_time_utc(t, e->floating);
		if (st >= e->to)
			break;
		if (in_window(e, st))
			times_add(out, st);
	}
	icalrecur_iterator_free(it);
}

/* The starts of master's instances inside the window, sorted, unique,
 * exclusions taken out. */
static void master_starts(icalcomponent *vcal, icalcomponent_kind kind,
                          icalcomponent *master, struct expand *e, int64_t s0,
                          struct times *out)
{
	struct icaltimetype dtstart = prop_time(master, ICAL_DTSTART_PROPERTY);
	if (in_window(e, s0))
		times_add(out, s0);
	for (icalproperty *p =
	         icalcomponent_get_first_property(master, ICAL_RRULE_PROPERTY);
	     p != NULL && !e->truncated;
	     p = icalcomponent_get_next_property(master, ICAL_RRULE_PROPERTY))
		rule_expand(e, icalproperty_get_rrule(p), dtstart, s0, out);
	for (icalproperty *p =
	         icalcomponent_get_first_property(master, ICAL_RDATE_PROPERTY);
	     p != NULL;
	     p = icalcomponent_get_next_property(master, ICAL_RDATE_PROPERTY)) {
		struct icaldatetimeperiodtype dp = icalproperty_get_rdate(p);
		struct icaltimetype t =
		    icaltime_is_null_time(dp.time) ? dp.period.start : dp.time;
		icalparameter *tz =
		    icalproperty_get_first_parameter(p, ICAL_TZID_PARAMETER);
		const char *tzid =
		    tz != NULL ? icalparameter_get_tzid(tz) : NULL;
		if (tzid != NULL && !icaltime_is_utc(t)) {
			icaltimezone *z =
			    icalcomponent_get_timezone(vcal, tzid);
			t.zone = z != NULL
			             ? z
			             : icaltimezone_get_builtin_timezone(tzid);
		}
		int64_t st = ical_time_utc(t, e->floating);
		if (in_window(e, st))
			times_add(out, st);
	}
	struct times ex = {0};
	exclusions_get(vcal, kind, master, e->floating, &ex);
	if (out->count > 0)
		qsort(out->v, out->count, sizeof(*out->v), time_cmp);
	size_t n = 0;
	for (size_t i = 0; i < out->count; i++) {
		if ((n > 0 && out->v[n - 1] == out->v[i]) ||
		    times_has(&ex, out->v[i]))
			continue;
		out->v[n++] = out->v[i];
	}
	out->count = n;
	free(ex.v);
}

/* Calls cb for comp as its own single instance if it may overlap. */
static int single_instance(icalcomponent *comp, struct expand *e,
                           ical_instance_cb *cb, void *ctx)
{
	struct icaltimetype st = prop_time(comp, ICAL_DTSTART_PROPERTY);
	struct ical_instance inst = {.comp = comp, .start = ICAL_TIME_MIN};
	if (!icaltime_is_null_time(st)) {
		inst.start = ical_time_utc(st, e->floating);
		int64_t saved = e->lookback;
		e->lookback =
		    ical_time_add(ical_comp_duration(comp, e->floating), DAY);
		bool in = in_window(e, inst.start);
		e->lookback = saved;
		if (!in)
			return 0;
	}
	return cb(&inst, ctx);
}

int ical_recur_each(icalcomponent *vcal, icalcomponent_kind kind, int64_t from,
                    int64_t to, const icaltimezone *floating, size_t max,
                    ical_instance_cb *cb, void *ctx)
{
	struct expand e = {
	    .from = from, .to = to, .max = max, .floating = floating};
	icalcomponent *master = NULL;
	int ret;
	for (icalcomponent *c = icalcomponent_get_first_component(vcal, kind);
	     c != NULL; c = icalcomponent_get_next_component(vcal, kind)) {
		if (!has_prop(c, ICAL_RECURRENCEID_PROPERTY)) {
			if (master == NULL)
				master = c;
			continue;
		}
		if ((ret = single_instance(c, &e, cb, ctx)) != 0)
			return ret;
	}
	if (master == NULL)
		return 0;
	if (!has_prop(master, ICAL_DTSTART_PROPERTY) ||
	    (!has_prop(master, ICAL_RRULE_PROPERTY) &&
	     !has_prop(master, ICAL_RDATE_PROPERTY)))
		return single_instance(master, &e, cb, ctx);
	int64_t s0 =
	    ical_time_utc(prop_time(master, ICAL_DTSTART_PROPERTY), floating);
	e.lookback = ical_time_add(ical_comp_duration(master, floating), DAY);
	struct times starts = {0};
	master_starts(vcal, kind, master, &e, s0, &starts);
	ret = 0;
	for (size_t i = 0; i < starts.count && ret == 0; i++) {
		struct ical_instance inst = {.comp = master,
		                             .offset = starts.v[i] - s0,
		                             .start = starts.v[i]};
		ret = cb(&inst, ctx);
	}
	free(starts.v);
	if (ret == 0 && e.truncated)
		ret = -1;
	return ret;
}

/* A property's time shifted by offset, or ICAL_TIME_MIN when absent. */
static int64_t shifted(icalcomponent *comp, icalproperty_kind kind,
                       int64_t offset, const icaltimezone *floating)
{
	struct icaltimetype t = prop_time(comp, kind);
	if (icaltime_is_null_time(t))
		return ICAL_TIME_MIN;
	return ical_time_add(ical_time_utc(t, floating), offset);
}

/* RFC 4791 §9.9, the VEVENT table. */
static bool event_overlaps(icalcomponent *c, int64_t off, int64_t start,
                           int64_t end, const icaltimezone *floating)
{
	int64_t s = shifted(c, ICAL_DTSTART_PROPERTY, off, floating);
	if (s == ICAL_TIME_MIN)
		return false;
	if (has_prop(c, ICAL_DTEND_PROPERTY))
		return start < shifted(c, ICAL_DTEND_PROPERTY, off, floating) &&
		       end > s;
	int64_t d = ical_comp_duration(c, floating);
	if (d > 0)
		return start < ical_time_add(s, d) && end > s;
	return start <= s && end > s;
}

/* RFC 4791 §9.9, the VTODO table. */
static bool todo_overlaps(icalcomponent *c, int64_t off, int64_t start,
                          int64_t end, const icaltimezone *floating)
{
	int64_t s = shifted(c, ICAL_DTSTART_PROPERTY, off, floating);
	int64_t due = shifted(c, ICAL_DUE_PROPERTY, off, floating);
	if (s != ICAL_TIME_MIN && has_prop(c, ICAL_DURATION_PROPERTY)) {
		int64_t sd = ical_time_add(s, ical_comp_duration(c, floating));
		return start <= sd && (end > s || end >= sd);
	}
	if (s != ICAL_TIME_MIN && due != ICAL_TIME_MIN)
		return (start < due || start <= s) && (end > s || end >= due);
	if (s != ICAL_TIME_MIN)
		return start <= s && end > s;
	if (due != ICAL_TIME_MIN)
		return start < due && end >= due;
	int64_t done = shifted(c, ICAL_COMPLETED_PROPERTY, 0, floating);
	int64_t created = shifted(c, ICAL_CREATED_PROPERTY, 0, floating);
	if (done != ICAL_TIME_MIN && created != ICAL_TIME_MIN)
		return (start <= created || start <= done) &&
		       (end >= created || end >= done);
	if (done != ICAL_TIME_MIN)
		return start <= done && end >= done;
	if (created != ICAL_TIME_MIN)
		return end > created;
	return true;
}

/* RFC 4791 §9.9, VJOURNAL and VFREEBUSY. */
static bool journal_overlaps(icalcomponent *c, int64_t off, int64_t start,
                             int64_t end, const icaltimezone *floating)
{
	struct icaltimetype t = prop_time(c, ICAL_DTSTART_PROPERTY);
	if (icaltime_is_null_time(t))
		return false;
	int64_t s = ical_time_add(ical_time_utc(t, floating), off);
	if (t.is_date)
		return start < ical_time_add(s, DAY) && end > s;
	return start <= s && end > s;
}

static bool freebusy_overlaps(icalcomponent *c, int64_t start, int64_t end,
                              const icaltimezone *floating)
{
	int64_t s = shifted(c, ICAL_DTSTART_PROPERTY, 0, floating);
	int64_t e = shifted(c, ICAL_DTEND_PROPERTY, 0, floating);
	if (s != ICAL_TIME_MIN && e != ICAL_TIME_MIN)
		return start <= e && end > s;
	for (icalproperty *p =
	         icalcomponent_get_first_property(c, ICAL_FREEBUSY_PROPERTY);
	     p != NULL;
	     p = icalcomponent_get_next_property(c, ICAL_FREEBUSY_PROPERTY)) {
		struct icalperiodtype per = icalproperty_get_freebusy(p);
		int64_t ps = ical_time_utc(per.start, NULL);
		int64_t pe =
		    icaltime_is_null_time(per.end)
		        ? ical_time_add(ps,
		                        icaldurationtype_as_int(per.duration))
		        : ical_time_utc(per.end, NULL);
		if (start < pe && end > ps)
			return true;
	}
	return false;
}

bool ical_instance_overlaps(icalcomponent *comp, int64_t offset, int64_t start,
                            int64_t end, const icaltimezone *floating)
{
	switch (icalcomponent_isa(comp)) {
	case ICAL_VEVENT_COMPONENT:
		return event_overlaps(comp, offset, start, end, floating);
	case ICAL_VTODO_COMPONENT:
		return todo_overlaps(comp, offset, start, end, floating);
	case ICAL_VJOURNAL_COMPONENT:
		return journal_overlaps(comp, offset, start, end, floating);
	case ICAL_VFREEBUSY_COMPONENT:
		return freebusy_overlaps(comp, start, end, floating);
	default:
		return false;
	}
}

bool ical_alarm_overlaps(icalcomponent *alarm, icalcomponent *parent,
                         int64_t offset, int64_t start, int64_t end,
                         const icaltimezone *floating)
{
	icalproperty *tp =
	    icalcomponent_get_first_property(alarm, ICAL_TRIGGER_PROPERTY);
	if (tp == NULL)
		return false;
	struct icaltriggertype trig = icalproperty_get_trigger(tp);
	int64_t t;
	if (!icaltime_is_null_time(trig.time)) {
		t = ical_time_utc(trig.time, NULL);
	} else {
		icalparameter *rel = icalproperty_get_first_parameter(
		    tp, ICAL_RELATED_PARAMETER);
		int64_t base =
		    shifted(parent, ICAL_DTSTART_PROPERTY, offset, floating);
		if (rel != NULL &&
		    icalparameter_get_related(rel) == ICAL_RELATED_END)
			base = ical_time_add(
			    base, ical_comp_duration(parent, floating));
		if (base == ICAL_TIME_MIN)
			base = shifted(parent, ICAL_DUE_PROPERTY, offset,
			               floating);
		if (base == ICAL_TIME_MIN)
			return false;
		t = ical_time_add(base, icaldurationtype_as_int(trig.duration));
	}
	icalproperty *rp =
	    icalcomponent_get_first_property(alarm, ICAL_REPEAT_PROPERTY);
	icalproperty *dp =
	    icalcomponent_get_first_property(alarm, ICAL_DURATION_PROPERTY);
	int repeat = rp != NULL && dp != NULL ? icalproperty_get_repeat(rp) : 0;
	int64_t step =
	    dp != NULL ? icaldurationtype_as_int(icalproperty_get_duration(dp))
	               : 0;
	if (repeat > 1000)
		repeat = 1000;
	for (int i = 0; i <= repeat; i++) {
		int64_t ti = ical_time_add(t, step * i);
		if (start <= ti && end > ti)
			return true;
		if (step <= 0)
			break;
	}
	return false;
}
