/* calendar-query filters (RFC 4791 §9.7, time ranges §9.9): reading the
 * CALDAV:filter tree and matching it against a resource; see
 * ical_query.h. */
#include "dav/ical_query.h"
#include "core/buf.h"
#include "core/pool.h"
#include "dav/dav_xml.h"
#include "dav/ical_private.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ALARM_WINDOW (7 * 86400)

struct query_error {
	const char *precondition, *text;
};

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

int ical_query_time_range_from_xml(const struct dav_xml_node *node,
                                   struct ical_time_range *range_r,
                                   const char **error_r)
{
	const char *start = dav_xml_attr(node, "start");
	const char *end = dav_xml_attr(node, "end");
	range_r->start = ICAL_TIME_MIN;
	range_r->end = ICAL_TIME_MAX;
	if ((start == NULL && end == NULL) ||
	    (start != NULL &&
	     ical_time_parse_utc(start, &range_r->start) < 0) ||
	    (end != NULL && ical_time_parse_utc(end, &range_r->end) < 0)) {
		*error_r = "time-range needs start or end in UTC "
		           "(20240101T000000Z)";
		return -1;
	}
	if (range_r->end <= range_r->start) {
		*error_r = "time-range ends before it starts";
		return -1;
	}
	return 0;
}

static int text_match_read(const struct dav_xml_node *node, struct pool *pool,
                           struct ical_text_match **tm_r,
                           struct query_error *err)
{
	struct ical_text_match *tm = pool_alloc(pool, sizeof(*tm));
	if (dav_collation_parse(dav_xml_attr(node, "collation"),
	                        &tm->collation) < 0) {
		err->precondition = "supported-collation";
		err->text = "collation not supported";
		return -1;
	}
	const char *neg = dav_xml_attr(node, "negate-condition");
	if (neg != NULL && strcmp(neg, "yes") != 0 && strcmp(neg, "no") != 0) {
		err->text = "negate-condition must be yes or no";
		return -1;
	}
	tm->is_negated = neg != NULL && strcmp(neg, "yes") == 0;
	tm->text = pool_strndup(pool, node->text, node->text_len);
	*tm_r = tm;
	return 0;
}

static int time_range_read(const struct dav_xml_node *node, struct pool *pool,
                           struct ical_time_range **tr_r,
                           struct query_error *err)
{
	struct ical_time_range *tr = pool_alloc(pool, sizeof(*tr));
	if (ical_query_time_range_from_xml(node, tr, &err->text) < 0)
		return -1;
	*tr_r = tr;
	return 0;
}

static int param_filter_read(const struct dav_xml_node *node, struct pool *pool,
                             struct ical_param_filter **r,
                             struct query_error *err)
{
	struct ical_param_filter *pf = pool_alloc(pool, sizeof(*pf));
	if ((pf->name = name_upper(node, pool)) == NULL) {
		err->text = "param-filter without name";
		return -1;
	}
	for (const struct dav_xml_node *c = node->children; c != NULL;
	     c = c->next) {
		if (dav_xml_is(c, DAV_NS_CALDAV, "is-not-defined"))
			pf->is_not_defined = true;
		else if (dav_xml_is(c, DAV_NS_CALDAV, "text-match")) {
			if (text_match_read(c, pool, &pf->text_match, err) < 0)
				return -1;
		}
	}
	*r = pf;
	return 0;
}

static int prop_filter_read(const struct dav_xml_node *node, struct pool *pool,
                            struct ical_prop_filter **r,
                            struct query_error *err)
{
	struct ical_prop_filter *pf = pool_alloc(pool, sizeof(*pf));
	struct ical_param_filter **params = &pf->params;
	if ((pf->name = name_upper(node, pool)) == NULL) {
		err->text = "prop-filter without name";
		return -1;
	}
	for (const struct dav_xml_node *c = node->children; c != NULL;
	     c = c->next) {
		int ret = 0;
		if (dav_xml_is(c, DAV_NS_CALDAV, "is-not-defined"))
			pf->is_not_defined = true;
		else if (dav_xml_is(c, DAV_NS_CALDAV, "text-match"))
			ret = text_match_read(c, pool, &pf->text_match, err);
		else if (dav_xml_is(c, DAV_NS_CALDAV, "time-range"))
			ret = time_range_read(c, pool, &pf->time_range, err);
		else if (dav_xml_is(c, DAV_NS_CALDAV, "param-filter")) {
			ret = param_filter_read(c, pool, params, err);
			if (ret == 0)
				params = &(*params)->next;
		}
		if (ret < 0)
			return -1;
	}
	*r = pf;
	return 0;
}

static int comp_filter_read(const struct dav_xml_node *node, struct pool *pool,
                            struct ical_comp_filter **r,
                            struct query_error *err)
{
	struct ical_comp_filter *cf = pool_alloc(pool, sizeof(*cf));
	struct ical_prop_filter **props = &cf->props;
	struct ical_comp_filter **comps = &cf->comps;
	if ((cf->name = name_upper(node, pool)) == NULL) {
		err->text = "comp-filter without name";
		return -1;
	}
	for (const struct dav_xml_node *c = node->children; c != NULL;
	     c = c->next) {
		int ret = 0;
		if (dav_xml_is(c, DAV_NS_CALDAV, "is-not-defined"))
			cf->is_not_defined = true;
		else if (dav_xml_is(c, DAV_NS_CALDAV, "time-range"))
			ret = time_range_read(c, pool, &cf->time_range, err);
		else if (dav_xml_is(c, DAV_NS_CALDAV, "prop-filter")) {
			ret = prop_filter_read(c, pool, props, err);
			if (ret == 0)
				props = &(*props)->next;
		} else if (dav_xml_is(c, DAV_NS_CALDAV, "comp-filter")) {
			ret = comp_filter_read(c, pool, comps, err);
			if (ret == 0)
				comps = &(*comps)->next;
		}
		if (ret < 0)
			return -1;
	}
	*r = cf;
	return 0;
}

int ical_query_from_xml(const struct dav_xml_node *filter, struct pool *pool,
                        struct ical_comp_filter **filter_r,
                        const char **precondition_r, const char **error_r)
{
	struct query_error err = {.precondition = "valid-filter"};
	const struct dav_xml_node *top =
	    dav_xml_child(filter, DAV_NS_CALDAV, "comp-filter");
	/* §9.7: exactly one comp-filter, and it is VCALENDAR */
	if (top == NULL) {
		*precondition_r = err.precondition;
		*error_r = "filter needs one comp-filter";
		return -1;
	}
	for (const struct dav_xml_node *c = filter->children; c != NULL;
	     c = c->next) {
		if (c != top && dav_xml_is(c, DAV_NS_CALDAV, "comp-filter")) {
			*precondition_r = err.precondition;
			*error_r = "filter has more than one comp-filter";
			return -1;
		}
	}
	struct ical_comp_filter *cf;
	if (comp_filter_read(top, pool, &cf, &err) < 0) {
		*precondition_r = err.precondition;
		*error_r = err.text;
		return -1;
	}
	if (strcmp(cf->name, "VCALENDAR") != 0) {
		*precondition_r = "valid-filter";
		*error_r = "the top comp-filter must be VCALENDAR";
		return -1;
	}
	*filter_r = cf;
	return 0;
}

/* ---- matching ---- */

struct match {
	const icaltimezone *floating;
	size_t max_instances;
};

static bool text_match(const struct ical_text_match *tm, const char *value)
{
	bool m = dav_collation_match(tm->collation, DAV_MATCH_CONTAINS,
	                             tm->text, value);
	return m != tm->is_negated;
}

/* Is p named name (case-insensitive; X- names included)? */
static bool prop_is(icalproperty *p, const char *name)
{
	char *pname = icalproperty_get_property_name_r(p);
	bool is = pname != NULL && strcasecmp(pname, name) == 0;
	free(pname);
	return is;
}

/* Appends the value of p as text (TEXT values unescaped). */
static void prop_value(icalproperty *p, struct buf *out)
{
	icalvalue *v = icalproperty_get_value(p);
	if (v != NULL && icalvalue_isa(v) == ICAL_TEXT_VALUE) {
		const char *t = icalvalue_get_text(v);
		buf_append_str(out, t != NULL ? t : "");
		return;
	}
	char *s = icalproperty_get_value_as_string_r(p);
	if (s != NULL)
		buf_append_str(out, s);
	free(s);
}

static const char *param_name(icalparameter *p)
{
	icalparameter_kind k = icalparameter_isa(p);
	if (k == ICAL_X_PARAMETER)
		return icalparameter_get_xname(p);
	if (k == ICAL_IANA_PARAMETER)
		return icalparameter_get_iana_name(p);
	return icalparameter_kind_to_string(k);
}

/* Appends the value of p without its name and quotes. */
static void param_value(icalparameter *p, struct buf *out)
{
	char *s = icalparameter_as_ical_string_r(p);
	const char *v = s != NULL ? strchr(s, '=') : NULL;
	if (v != NULL) {
		v++;
		size_t len = strlen(v);
		if (len >= 2 && v[0] == '"' && v[len - 1] == '"') {
			v++;
			len -= 2;
		}
		buf_append(out, v, len);
	}
	free(s);
}

static bool param_filter_match(icalproperty *prop,
                               const struct ical_param_filter *pf)
{
	struct buf value;
	buf_init(&value);
	bool found = false;
	for (icalparameter *p =
	         icalproperty_get_first_parameter(prop, ICAL_ANY_PARAMETER);
	     p != NULL && !found;
	     p = icalproperty_get_next_parameter(prop, ICAL_ANY_PARAMETER)) {
		const char *name = param_name(p);
		if (name == NULL || strcasecmp(name, pf->name) != 0)
			continue;
		if (pf->is_not_defined)
			return false;
		buf_truncate(&value, 0);
		param_value(p, &value);
		found = pf->text_match == NULL ||
		        text_match(pf->text_match, value.data);
	}
	buf_deinit(&value);
	return pf->is_not_defined ? true : found;
}

static bool prop_time_match(icalproperty *p, icalcomponent *comp,
                            const struct ical_time_range *tr,
                            const struct match *m)
{
	struct icaltimetype t =
	    icalproperty_get_datetime_with_component(p, comp);
	if (icaltime_is_null_time(t))
		return false;
	int64_t s = ical_time_utc(t, m->floating);
	return tr->start <= s && tr->end > s;
}

static bool prop_one_match(icalproperty *p, icalcomponent *comp,
                           const struct ical_prop_filter *pf,
                           const struct match *m)
{
	if (pf->time_range != NULL &&
	    !prop_time_match(p, comp, pf->time_range, m))
		return false;
	if (pf->text_match != NULL) {
		struct buf value;
		buf_init(&value);
		prop_value(p, &value);
		bool ok = text_match(pf->text_match, value.data);
		buf_deinit(&value);
		if (!ok)
			return false;
	}
	for (const struct ical_param_filter *par = pf->params; par != NULL;
	     par = par->next) {
		if (!param_filter_match(p, par))
			return false;
	}
	return true;
}

static bool prop_filter_match(icalcomponent *comp,
                              const struct ical_prop_filter *pf,
                              const struct match *m)
{
	for (icalproperty *p =
	         icalcomponent_get_first_property(comp, ICAL_ANY_PROPERTY);
	     p != NULL;
	     p = icalcomponent_get_next_property(comp, ICAL_ANY_PROPERTY)) {
		if (!prop_is(p, pf->name))
			continue;
		if (pf->is_not_defined)
			return false;
		if (prop_one_match(p, comp, pf, m))
			return true;
	}
	return pf->is_not_defined;
}

static bool comp_filter_match(icalcomponent *parent, int64_t offset,
                              const struct ical_comp_filter *cf,
                              const struct match *m);

/* The filters of cf other than its own time-range, on comp as the
 * instance at offset. */
static bool comp_inner_match(icalcomponent *comp, int64_t offset,
                             const struct ical_comp_filter *cf,
                             const struct match *m)
{
	for (const struct ical_prop_filter *pf = cf->props; pf != NULL;
	     pf = pf->next) {
		if (!prop_filter_match(comp, pf, m))
			return false;
	}
	for (const struct ical_comp_filter *sub = cf->comps; sub != NULL;
	     sub = sub->next) {
		if (!comp_filter_match(comp, offset, sub, m))
			return false;
	}
	return true;
}

static bool subtree_has_range(const struct ical_comp_filter *cf)
{
	if (cf->time_range != NULL)
		return true;
	for (const struct ical_comp_filter *c = cf->comps; c != NULL;
	     c = c->next) {
		if (subtree_has_range(c))
			return true;
	}
	return false;
}

/* The instance window: cf's own range, else its descendants' widened. */
static void window_of(const struct ical_comp_filter *cf, int64_t *from,
                      int64_t *to)
{
	if (cf->time_range != NULL) {
		*from = cf->time_range->start;
		*to = cf->time_range->end;
		return;
	}
	*from = ICAL_TIME_MAX;
	*to = ICAL_TIME_MIN;
	for (const struct ical_comp_filter *c = cf->comps; c != NULL;
	     c = c->next) {
		int64_t f, t;
		if (!subtree_has_range(c))
			continue;
		window_of(c, &f, &t);
		f = ical_time_add(f, -ALARM_WINDOW);
		t = ical_time_add(t, ALARM_WINDOW);
		*from = f < *from ? f : *from;
		*to = t > *to ? t : *to;
	}
}

struct instance_match {
	const struct ical_comp_filter *cf;
	const struct match *m;
};

static int instance_match_cb(const struct ical_instance *inst, void *ctx)
{
	struct instance_match *im = ctx;
	const struct ical_comp_filter *cf = im->cf;
	if (cf->time_range != NULL &&
	    !ical_instance_overlaps(inst->comp, inst->offset,
	                            cf->time_range->start, cf->time_range->end,
	                            im->m->floating))
		return 0;
	return comp_inner_match(inst->comp, inst->offset, cf, im->m) ? 1 : 0;
}

static bool is_instance_kind(icalcomponent_kind k)
{
	return k == ICAL_VEVENT_COMPONENT || k == ICAL_VTODO_COMPONENT ||
	       k == ICAL_VJOURNAL_COMPONENT || k == ICAL_VFREEBUSY_COMPONENT;
}

/* Matches a comp-filter of an instance kind inside the VCALENDAR. */
static bool instances_match(icalcomponent *vcal, icalcomponent_kind kind,
                            const struct ical_comp_filter *cf,
                            const struct match *m)
{
	int64_t from, to;
	window_of(cf, &from, &to);
	struct instance_match im = {.cf = cf, .m = m};
	int ret = ical_recur_each(vcal, kind, from, to, m->floating,
	                          m->max_instances, instance_match_cb, &im);
	/* XXX past the instance limit a match is assumed */
	return ret != 0;
}

static bool comp_filter_match(icalcomponent *parent, int64_t offset,
                              const struct ical_comp_filter *cf,
                              const struct match *m)
{
	icalcomponent_kind kind = icalcomponent_string_to_kind(cf->name);
	/* XXX libical 3.0 keeps no name of an X- component: none matches */
	if (kind == ICAL_NO_COMPONENT || kind == ICAL_X_COMPONENT)
		return cf->is_not_defined;
	bool any = false;
	for (icalcomponent *c = icalcomponent_get_first_component(parent, kind);
	     c != NULL; c = icalcomponent_get_next_component(parent, kind)) {
		any = true;
		if (cf->is_not_defined)
			return false;
		if (is_instance_kind(kind) &&
		    icalcomponent_isa(parent) == ICAL_VCALENDAR_COMPONENT &&
		    subtree_has_range(cf))
			return instances_match(parent, kind, cf, m);
		if (kind == ICAL_VALARM_COMPONENT && cf->time_range != NULL &&
		    !ical_alarm_overlaps(c, parent, offset,
		                         cf->time_range->start,
		                         cf->time_range->end, m->floating))
			continue;
		if (cf->time_range != NULL && kind != ICAL_VALARM_COMPONENT &&
		    !ical_instance_overlaps(c, offset, cf->time_range->start,
		                            cf->time_range->end, m->floating))
			continue;
		if (comp_inner_match(c, offset, cf, m))
			return true;
	}
	return cf->is_not_defined && !any;
}

bool ical_query_match(const struct ical_object *obj,
                      const struct ical_comp_filter *filter,
                      const struct ical_tz *floating)
{
	struct match m = {
	    .floating = floating != NULL ? floating->zone : NULL,
	    .max_instances = obj->max_instances,
	};
	if (filter->is_not_defined)
		return false;
	if (filter->time_range != NULL)
		return false; /* a VCALENDAR has no time of its own */
	return comp_inner_match(obj->root, 0, filter, &m);
}

bool ical_query_time_range(const struct ical_comp_filter *filter,
                           int64_t *start_r, int64_t *end_r)
{
	const struct ical_comp_filter *c = filter->comps;
	if (c == NULL || c->next != NULL || c->is_not_defined ||
	    c->time_range == NULL)
		return false;
	*start_r = c->time_range->start;
	*end_r = c->time_range->end;
	return true;
}
