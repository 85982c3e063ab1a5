/* Partial and expanded calendar data (RFC 4791 §9.6); see
 * ical_partial.h. The object is cloned, expanded into instances when
 * asked (each a copy of its master or override with DTSTART, DTEND or
 * DUE and RECURRENCE-ID in UTC and no RRULE, RDATE or EXDATE, §9.6.5),
 * then pruned to the components and properties asked for. */
#include "dav/ical_partial.h"
#include "core/buf.h"
#include "core/pool.h"
#include "dav/dav_xml.h"
#include "dav/ical_private.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *name_upper(const struct dav_xml_node *node,
                              struct pool *pool)
{
	const char *name = dav_xml_attr(node, "name");
	if (name == NULL || name[0] == '\0')
		return NULL;
	char *up = pool_strdup(pool, name);
	for (char *p = up; *p != '\0'; p++)
		*p = (char)toupper((unsigned char)*p);
	return up;
}

static int comp_read(const struct dav_xml_node *node, struct pool *pool,
                     struct ical_partial_comp **r, const char **error_r)
{
	struct ical_partial_comp *pc = pool_alloc(pool, sizeof(*pc));
	struct ical_partial_comp **comps = &pc->comps;
	if ((pc->name = name_upper(node, pool)) == NULL) {
		*error_r = "comp without name";
		return -1;
	}
	size_t props = 0;
	for (const struct dav_xml_node *c = node->children; c != NULL;
	     c = c->next)
		props += dav_xml_is(c, DAV_NS_CALDAV, "prop");
	pc->props = pool_alloc(pool, (props + 1) * sizeof(*pc->props));
	for (const struct dav_xml_node *c = node->children; c != NULL;
	     c = c->next) {
		if (dav_xml_is(c, DAV_NS_CALDAV, "allprop")) {
			pc->is_allprop = true;
		} else if (dav_xml_is(c, DAV_NS_CALDAV, "allcomp")) {
			pc->is_allcomp = true;
		} else if (dav_xml_is(c, DAV_NS_CALDAV, "prop")) {
			const char *name = name_upper(c, pool);
			if (name == NULL) {
				*error_r = "prop without name";
				return -1;
			}
			pc->props[pc->prop_count++] = name;
		} else if (dav_xml_is(c, DAV_NS_CALDAV, "comp")) {
			if (comp_read(c, pool, comps, error_r) < 0)
				return -1;
			comps = &(*comps)->next;
		}
	}
	*r = pc;
	return 0;
}

static int expand_read(const struct dav_xml_node *node, struct ical_partial *p,
                       const char **error_r)
{
	const char *s = dav_xml_attr(node, "start");
	const char *e = dav_xml_attr(node, "end");
	if (s == NULL || e == NULL ||
	    ical_time_parse_utc(s, &p->expand_start) < 0 ||
	    ical_time_parse_utc(e, &p->expand_end) < 0 ||
	    p->expand_end <= p->expand_start) {
		*error_r = "expand needs start and end in UTC";
		return -1;
	}
	p->is_expand = true;
	return 0;
}

int ical_partial_from_xml(const struct dav_xml_node *calendar_data,
                          struct pool *pool, struct ical_partial **partial_r,
                          const char **error_r)
{
	const char *type = dav_xml_attr(calendar_data, "content-type");
	const char *version = dav_xml_attr(calendar_data, "version");
	if ((type != NULL && strcasecmp(type, "text/calendar") != 0) ||
	    (version != NULL && strcmp(version, "2.0") != 0)) {
		*error_r = "calendar data only as text/calendar 2.0";
		return -1;
	}
	struct ical_partial *p = pool_alloc(pool, sizeof(*p));
	bool any = false;
	for (const struct dav_xml_node *c = calendar_data->children; c != NULL;
	     c = c->next) {
		if (dav_xml_is(c, DAV_NS_CALDAV, "comp")) {
			if (comp_read(c, pool, &p->comp, error_r) < 0)
				return -1;
			any = true;
		} else if (dav_xml_is(c, DAV_NS_CALDAV, "expand")) {
			if (expand_read(c, p, error_r) < 0)
				return -1;
			any = true;
		} else if (dav_xml_is(c, DAV_NS_CALDAV,
		                      "limit-recurrence-set") ||
		           dav_xml_is(c, DAV_NS_CALDAV, "limit-freebusy-set")) {
			*error_r =
			    "limit-recurrence-set and limit-freebusy-set "
			    "are not supported";
			return -1;
		}
	}
	*partial_r = any ? p : NULL;
	return any ? 1 : 0;
}

/* ---- pruning ---- */

static bool name_listed(const char *name, const char *const *names,
                        size_t count)
{
	for (size_t i = 0; i < count; i++) {
		if (strcasecmp(name, names[i]) == 0)
			return true;
	}
	return false;
}

static void comp_prune(icalcomponent *comp, const struct ical_partial_comp *pc)
{
	if (!pc->is_allprop) {
		icalproperty *next;
		for (icalproperty *p = icalcomponent_get_first_property(
		         comp, ICAL_ANY_PROPERTY);
		     p != NULL; p = next) {
			next = icalcomponent_get_next_property(
			    comp, ICAL_ANY_PROPERTY);
			char *name = icalproperty_get_property_name_r(p);
			if (name == NULL ||
			    !name_listed(name, pc->props, pc->prop_count)) {
				icalcomponent_remove_property(comp, p);
				icalproperty_free(p);
			}
			free(name);
		}
	}
	if (pc->is_allcomp)
		return;
	icalcomponent *next;
	for (icalcomponent *c =
	         icalcomponent_get_first_component(comp, ICAL_ANY_COMPONENT);
	     c != NULL; c = next) {
		next =
		    icalcomponent_get_next_component(comp, ICAL_ANY_COMPONENT);
		const char *name =
		    icalcomponent_kind_to_string(icalcomponent_isa(c));
		const struct ical_partial_comp *sub = pc->comps;
		while (sub != NULL &&
		       (name == NULL || strcasecmp(sub->name, name) != 0))
			sub = sub->next;
		if (sub == NULL) {
			icalcomponent_remove_component(comp, c);
			icalcomponent_free(c);
		} else {
			comp_prune(c, sub);
		}
	}
}

/* ---- expansion ---- */

/* Sets the time property kind of c to t: a DATE stays a DATE (in
 * floating), a DATE-TIME becomes UTC without TZID. */
static void time_prop_set(icalcomponent *c, icalproperty_kind kind, int64_t t,
                          const icaltimezone *floating)
{
	icalproperty *p = icalcomponent_get_first_property(c, kind);
	if (p == NULL)
		return;
	struct icaltimetype old =
	    icalproperty_get_datetime_with_component(p, c);
	icaltimezone *utc = icaltimezone_get_utc_timezone();
	struct icaltimetype nt;
	if (old.is_date) {
		nt = icaltime_from_timet_with_zone(
		    (time_t)t, 1,
		    floating != NULL ? (icaltimezone *)floating : utc);
		icalproperty_set_value(p, icalvalue_new_date(nt));
	} else {
		nt = icaltime_from_timet_with_zone((time_t)t, 0, utc);
		icalproperty_set_value(p, icalvalue_new_datetime(nt));
	}
	icalproperty_remove_parameter_by_kind(p, ICAL_TZID_PARAMETER);
}

static int64_t time_prop_get(icalcomponent *c, icalproperty_kind kind,
                             const icaltimezone *floating)
{
	icalproperty *p = icalcomponent_get_first_property(c, kind);
	if (p == NULL)
		return ICAL_TIME_MIN;
	return ical_time_utc(icalproperty_get_datetime_with_component(p, c),
	                     floating);
}

static void props_remove(icalcomponent *c, icalproperty_kind kind)
{
	icalproperty *p;
	while ((p = icalcomponent_get_first_property(c, kind)) != NULL) {
		icalcomponent_remove_property(c, p);
		icalproperty_free(p);
	}
}

struct expand_walk {
	icalcomponent *out;
	const struct ical_partial *partial;
	const icaltimezone *floating;
};

static int expand_cb(const struct ical_instance *inst, void *ctx)
{
	struct expand_walk *w = ctx;
	if (!ical_instance_overlaps(inst->comp, inst->offset,
	                            w->partial->expand_start,
	                            w->partial->expand_end, w->floating))
		return 0;
	static const icalproperty_kind times[] = {
	    ICAL_DTSTART_PROPERTY, ICAL_DTEND_PROPERTY, ICAL_DUE_PROPERTY,
	    ICAL_RECURRENCEID_PROPERTY};
	int64_t values[4];
	for (size_t i = 0; i < 4; i++)
		values[i] = ical_time_add(
		    time_prop_get(inst->comp, times[i], w->floating),
		    inst->offset);
	bool is_master = icalcomponent_get_first_property(
	                     inst->comp, ICAL_RECURRENCEID_PROPERTY) == NULL;
	bool recurs =
	    is_master && (icalcomponent_get_first_property(
	                      inst->comp, ICAL_RRULE_PROPERTY) != NULL ||
	                  icalcomponent_get_first_property(
	                      inst->comp, ICAL_RDATE_PROPERTY) != NULL);
	icalcomponent *c = icalcomponent_new_clone(inst->comp);
	if (recurs) {
		props_remove(c, ICAL_RRULE_PROPERTY);
		props_remove(c, ICAL_RDATE_PROPERTY);
		props_remove(c, ICAL_EXDATE_PROPERTY);
		icalproperty *dts =
		    icalcomponent_get_first_property(c, ICAL_DTSTART_PROPERTY);
		icalcomponent_add_property(
		    c, icalproperty_new_recurrenceid(
		           icalproperty_get_datetime_with_component(dts, c)));
		values[3] = values[0];
	}
	for (size_t i = 0; i < 4; i++) {
		if (values[i] != ICAL_TIME_MIN)
			time_prop_set(c, times[i], values[i], w->floating);
	}
	icalcomponent_add_component(w->out, c);
	return 0;
}

static icalcomponent *expand(const struct ical_object *obj,
                             const struct ical_partial *partial,
                             const icaltimezone *floating)
{
	icalcomponent *out = icalcomponent_new(ICAL_VCALENDAR_COMPONENT);
	for (icalproperty *p =
	         icalcomponent_get_first_property(obj->root, ICAL_ANY_PROPERTY);
	     p != NULL;
	     p = icalcomponent_get_next_property(obj->root, ICAL_ANY_PROPERTY))
		icalcomponent_add_property(out, icalproperty_new_clone(p));
	struct expand_walk w = {
	    .out = out, .partial = partial, .floating = floating};
	(void)ical_recur_each(obj->root, obj->libical_kind,
	                      partial->expand_start, partial->expand_end,
	                      floating, obj->max_instances, expand_cb, &w);
	return out;
}

void ical_partial_write(const struct ical_object *obj,
                        const struct ical_partial *partial,
                        const struct ical_tz *floating, struct buf *out)
{
	const icaltimezone *fz = floating != NULL ? floating->zone : NULL;
	icalcomponent *c = partial->is_expand
	                       ? expand(obj, partial, fz)
	                       : icalcomponent_new_clone(obj->root);
	if (partial->comp != NULL &&
	    strcasecmp(partial->comp->name, "VCALENDAR") == 0)
		comp_prune(c, partial->comp);
	char *text = icalcomponent_as_ical_string_r(c);
	buf_append_str(out, text);
	free(text);
	icalcomponent_free(c);
}
