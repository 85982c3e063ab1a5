/* addressbook-query filters and partial address data (RFC 6352 §10.4,
 * §10.5); see vcard_query.h. */
#include "dav/vcard_query.h"
#include "core/buf.h"
#include "core/pool.h"
#include "dav/dav_xml.h"
#include "dav/vcard.h"

#include <ctype.h>
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

/* test = "anyof" (default) | "allof". Returns 0 or -1. */
static int test_read(const struct dav_xml_node *node, bool *is_allof_r)
{
	const char *test = dav_xml_attr(node, "test");
	if (test == NULL || strcmp(test, "anyof") == 0)
		*is_allof_r = false;
	else if (strcmp(test, "allof") == 0)
		*is_allof_r = true;
	else
		return -1;
	return 0;
}

static int text_match_read(const struct dav_xml_node *node, struct pool *pool,
                           struct vcard_text_match **r,
                           const char **precondition_r, const char **error_r)
{
	struct vcard_text_match *tm = pool_alloc(pool, sizeof(*tm));
	if (dav_collation_parse(dav_xml_attr(node, "collation"),
	                        &tm->collation) < 0) {
		*precondition_r = "supported-collation";
		*error_r = "collation not supported";
		return -1;
	}
	const char *neg = dav_xml_attr(node, "negate-condition");
	if (dav_match_type_parse(dav_xml_attr(node, "match-type"),
	                         &tm->match_type) < 0 ||
	    (neg != NULL && strcmp(neg, "yes") != 0 &&
	     strcmp(neg, "no") != 0)) {
		*error_r = "bad match-type or negate-condition";
		return -1;
	}
	tm->is_negated = neg != NULL && strcmp(neg, "yes") == 0;
	tm->text = pool_strndup(pool, node->text, node->text_len);
	*r = tm;
	return 0;
}

static int param_filter_read(const struct dav_xml_node *node, struct pool *pool,
                             struct vcard_param_filter **r,
                             const char **precondition_r, const char **error_r)
{
	struct vcard_param_filter *pf = pool_alloc(pool, sizeof(*pf));
	if ((pf->name = name_upper(node, pool)) == NULL) {
		*error_r = "param-filter without name";
		return -1;
	}
	for (const struct dav_xml_node *c = node->children; c != NULL;
	     c = c->next) {
		if (dav_xml_is(c, DAV_NS_CARDDAV, "is-not-defined"))
			pf->is_not_defined = true;
		else if (dav_xml_is(c, DAV_NS_CARDDAV, "text-match") &&
		         text_match_read(c, pool, &pf->text_match,
		                         precondition_r, error_r) < 0)
			return -1;
	}
	*r = pf;
	return 0;
}

static int prop_filter_read(const struct dav_xml_node *node, struct pool *pool,
                            struct vcard_prop_filter **r,
                            const char **precondition_r, const char **error_r)
{
	struct vcard_prop_filter *pf = pool_alloc(pool, sizeof(*pf));
	struct vcard_text_match **tms = &pf->text_matches;
	struct vcard_param_filter **params = &pf->params;
	if ((pf->name = name_upper(node, pool)) == NULL ||
	    test_read(node, &pf->is_allof) < 0) {
		*error_r = "prop-filter without name or with a bad test";
		return -1;
	}
	for (const struct dav_xml_node *c = node->children; c != NULL;
	     c = c->next) {
		if (dav_xml_is(c, DAV_NS_CARDDAV, "is-not-defined")) {
			pf->is_not_defined = true;
		} else if (dav_xml_is(c, DAV_NS_CARDDAV, "text-match")) {
			if (text_match_read(c, pool, tms, precondition_r,
			                    error_r) < 0)
				return -1;
			tms = &(*tms)->next;
		} else if (dav_xml_is(c, DAV_NS_CARDDAV, "param-filter")) {
			if (param_filter_read(c, pool, params, precondition_r,
			                      error_r) < 0)
				return -1;
			params = &(*params)->next;
		}
	}
	*r = pf;
	return 0;
}

int vcard_query_from_xml(const struct dav_xml_node *filter, struct pool *pool,
                         struct vcard_filter **filter_r,
                         const char **precondition_r, const char **error_r)
{
	*precondition_r = "supported-filter";
	struct vcard_filter *f = pool_alloc(pool, sizeof(*f));
	struct vcard_prop_filter **props = &f->props;
	if (test_read(filter, &f->is_allof) < 0) {
		*error_r = "filter test must be anyof or allof";
		return -1;
	}
	for (const struct dav_xml_node *c = filter->children; c != NULL;
	     c = c->next) {
		if (!dav_xml_is(c, DAV_NS_CARDDAV, "prop-filter"))
			continue;
		if (prop_filter_read(c, pool, props, precondition_r, error_r) <
		    0)
			return -1;
		props = &(*props)->next;
	}
	*filter_r = f;
	return 0;
}

static bool text_match(const struct vcard_text_match *tm, const char *value)
{
	return dav_collation_match(tm->collation, tm->match_type, tm->text,
	                           value) != tm->is_negated;
}

static bool param_filter_match(const struct vcard_property *prop,
                               const struct vcard_param_filter *pf)
{
	for (size_t i = 0; i < prop->param_count; i++) {
		const struct vcard_param *param = &prop->params[i];
		if (strcasecmp(param->name, pf->name) != 0)
			continue;
		if (pf->is_not_defined)
			return false;
		if (pf->text_match == NULL)
			return true;
		for (size_t j = 0; j < param->value_count; j++) {
			if (text_match(pf->text_match, param->values[j]))
				return true;
		}
	}
	return pf->is_not_defined;
}

/* The tests of pf on one property, combined by pf's test. */
static bool prop_one_match(const struct vcard_property *prop,
                           const struct vcard_prop_filter *pf,
                           struct pool *pool)
{
	if (pf->text_matches == NULL && pf->params == NULL)
		return true;
	const char *value = vcard_unescape(prop->value, pool);
	for (const struct vcard_text_match *tm = pf->text_matches; tm != NULL;
	     tm = tm->next) {
		bool m = text_match(tm, value);
		if (m != pf->is_allof)
			return m;
	}
	for (const struct vcard_param_filter *par = pf->params; par != NULL;
	     par = par->next) {
		bool m = param_filter_match(prop, par);
		if (m != pf->is_allof)
			return m;
	}
	return pf->is_allof;
}

static bool prop_filter_match(const struct vcard *card,
                              const struct vcard_prop_filter *pf,
                              struct pool *pool)
{
	for (size_t i = 0; i < card->prop_count; i++) {
		if (strcasecmp(card->props[i].name, pf->name) != 0)
			continue;
		if (pf->is_not_defined)
			return false;
		if (prop_one_match(&card->props[i], pf, pool))
			return true;
	}
	return pf->is_not_defined;
}

bool vcard_query_match(const struct vcard *card,
                       const struct vcard_filter *filter, struct pool *pool)
{
	if (filter->props == NULL)
		return true;
	for (const struct vcard_prop_filter *pf = filter->props; pf != NULL;
	     pf = pf->next) {
		bool m = prop_filter_match(card, pf, pool);
		if (m != filter->is_allof)
			return m;
	}
	return filter->is_allof;
}

void vcard_query_props_from_xml(const struct dav_xml_node *address_data,
                                struct pool *pool, const char ***names_r,
                                size_t *count_r)
{
	size_t count = 0;
	for (const struct dav_xml_node *c = address_data->children; c != NULL;
	     c = c->next) {
		if (dav_xml_is(c, DAV_NS_CARDDAV, "allprop")) {
			*count_r = 0;
			return;
		}
		if (dav_xml_is(c, DAV_NS_CARDDAV, "prop") &&
		    dav_xml_attr(c, "name") != NULL)
			count++;
	}
	const char **names = pool_alloc(pool, (count + 1) * sizeof(*names));
	size_t n = 0;
	for (const struct dav_xml_node *c = address_data->children; c != NULL;
	     c = c->next) {
		if (dav_xml_is(c, DAV_NS_CARDDAV, "prop") &&
		    dav_xml_attr(c, "name") != NULL)
			names[n++] = name_upper(c, pool);
	}
	*names_r = names;
	*count_r = n;
}

static bool is_always_kept(const char *name)
{
	return strcmp(name, "VERSION") == 0 || strcmp(name, "UID") == 0;
}

void vcard_query_partial(const struct vcard *card, const char *const *names,
                         size_t count, struct buf *out)
{
	buf_append_str(out, "BEGIN:VCARD\r\n");
	for (size_t i = 0; i < card->prop_count; i++) {
		const struct vcard_property *p = &card->props[i];
		bool keep = is_always_kept(p->name);
		for (size_t j = 0; j < count && !keep; j++)
			keep = strcasecmp(p->name, names[j]) == 0;
		if (keep)
			vcard_property_write(p, out);
	}
	buf_append_str(out, "END:VCARD\r\n");
}
