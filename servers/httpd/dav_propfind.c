/* PROPFIND (RFC 4918 §9.1) at depth 0 and 1, PROPPATCH (§9.2: all or
 * nothing, 424 for the rest when one fails), and MKCOL / MKCALENDAR with
 * their properties (RFC 5689, RFC 4791 §5.3.1). Depth infinity is
 * refused (403 DAV:propfind-finite-depth, §9.1). */
#include "core/buf.h"
#include "core/pool.h"
#include "dav/dav_header.h"
#include "dav/dav_write.h"
#include "dav/dav_xml.h"
#include "dav/ical.h"
#include "dav_server.h"
#include "http/http_request.h"
#include "http/http_response.h"
#include "httpd.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct propfind_walk {
	struct dav_request *d;
	const struct dav_propfind *pf;
	struct buf *out;
};

static int member_cb(const struct store_dav_object *obj, void *ctx)
{
	struct propfind_walk *w = ctx;
	struct dav_request *d = w->d;
	struct dav_item res = {
	    .kind = d->coll.kind == STORE_DAV_ADDRESSBOOK ? DAV_RES_CARD
	                                                  : DAV_RES_CAL_OBJECT,
	    .path = dav_member_path(d, obj->name),
	    .owner = d->owner,
	    .store_kind = d->coll.kind,
	    .coll = &d->coll,
	    .obj = obj,
	    .access = d->access,
	};
	dav_props_response(d, &res, w->pf, w->out);
	return 0;
}

/* The children of a home: its own collections, then the shares and the
 * directory it holds (dav_share.c). */
static int home_children(struct dav_request *d, const struct dav_propfind *pf,
                         struct buf *out)
{
	struct store_dav_collection *colls;
	size_t count;
	if (store_dav_collections(d->account, d->target.store_kind, d->pool,
	                          &colls, &count) < 0)
		return -1;
	for (size_t i = 0; i < count; i++) {
		struct dav_item res = {
		    .kind = colls[i].kind == STORE_DAV_CALENDAR
		                ? DAV_RES_CALENDAR
		                : DAV_RES_ADDRESSBOOK,
		    .path = dav_path_collection(d->pool, colls[i].kind,
		                                d->target.owner, colls[i].name),
		    .owner = d->target.owner,
		    .store_kind = colls[i].kind,
		    .coll = &colls[i],
		    .access = STORE_DAV_ACCESS_OWNER,
		};
		dav_props_response(d, &res, pf, out);
	}
	return dav_share_home_children(d, pf, out);
}

/* Depth 1. Returns 0 or -1 (store failure). */
static int children_write(struct dav_request *d, const struct dav_propfind *pf,
                          struct buf *out)
{
	struct dav_item res = {.kind = DAV_RES_ROOT,
	                       .access = STORE_DAV_ACCESS_READ};
	struct propfind_walk w = {d, pf, out};
	static const char *const tops[] = {
	    "/dav/principals/", "/dav/calendars/", "/dav/addressbooks/"};
	switch (d->target.kind) {
	case DAV_TARGET_ROOT:
		for (size_t i = 0; i < 3; i++) {
			res.path = tops[i];
			dav_props_response(d, &res, pf, out);
		}
		return 0;
	case DAV_TARGET_PRINCIPALS:
		res.kind = DAV_RES_PRINCIPAL;
		res.owner = d->user;
		res.path = dav_path_principal(d->pool, d->user);
		res.access = STORE_DAV_ACCESS_OWNER;
		dav_props_response(d, &res, pf, out);
		return 0;
	case DAV_TARGET_HOMES:
		res.kind = DAV_RES_HOME;
		res.owner = d->user;
		res.store_kind = d->target.store_kind;
		res.path =
		    dav_path_home(d->pool, d->target.store_kind, d->user);
		res.access = STORE_DAV_ACCESS_OWNER;
		dav_props_response(d, &res, pf, out);
		return 0;
	case DAV_TARGET_HOME:
		return home_children(d, pf, out);
	case DAV_TARGET_COLLECTION:
		return store_dav_objects_list(
		           d->account, d->coll.id, STORE_DAV_TIME_MIN,
		           STORE_DAV_TIME_MAX, false, member_cb, &w) < 0
		           ? -1
		           : 0;
	default:
		return 0;
	}
}

static void propfind_body(struct dav_request *d, const unsigned char *data,
                          size_t size)
{
	struct dav_xml_node *root;
	struct dav_propfind pf;
	struct dav_body_error err;
	if (dav_read_xml(d, data, size, &root) < 0)
		return;
	if (dav_body_propfind(root, d->pool, &pf, &err) < 0) {
		dav_error(d, err.status, err.ns, err.name, NULL, err.text);
		return;
	}
	enum dav_depth depth;
	(void)dav_header_depth(http_request_header(d->req, "Depth"),
	                       DAV_DEPTH_INFINITY, &depth);
	struct buf out;
	buf_init(&out);
	dav_write_multistatus_begin(&out);
	struct dav_item res;
	dav_target_resource(d, &res);
	dav_props_response(d, &res, &pf, &out);
	if (depth == DAV_DEPTH_1 && children_write(d, &pf, &out) < 0) {
		buf_deinit(&out);
		dav_fail(d, "propfind");
		return;
	}
	dav_write_multistatus_end(&out, NULL);
	dav_send_multistatus(d, &out);
	buf_deinit(&out);
}

void dav_propfind(struct dav_request *d)
{
	enum dav_depth depth;
	if (dav_header_depth(http_request_header(d->req, "Depth"),
	                     DAV_DEPTH_INFINITY, &depth) < 0) {
		dav_error(d, 400, NULL, NULL, NULL, "bad Depth");
		return;
	}
	if (depth == DAV_DEPTH_INFINITY) {
		dav_error(d, 403, DAV_NS, "propfind-finite-depth", NULL,
		          "Depth: infinity is not supported");
		return;
	}
	if ((d->target.kind == DAV_TARGET_COLLECTION && !d->has_coll) ||
	    (d->target.kind == DAV_TARGET_OBJECT && !d->has_obj)) {
		dav_error(d, 404, NULL, NULL, NULL, "not found");
		return;
	}
	dav_read_body(d, propfind_body);
}

/* ---- PROPPATCH, MKCOL ---- */

/* What a set of updates comes to: live fields, dead properties and the
 * status of each. */
struct patch {
	struct store_dav_collection values;
	unsigned fields;
	unsigned components; /* MKCALENDAR/MKCOL only; 0: not given */
	int resourcetype; /* MKCOL: 0 none, else enum store_dav_kind, -1 bad */
	struct store_dav_prop *dead;
	size_t dead_count;
	unsigned *status; /* per update */
	const char *why;  /* the first refusal */
	bool failed;
};

static bool color_is_valid(const char *s)
{
	size_t len = strlen(s);
	if (s[0] != '#' || (len != 7 && len != 9))
		return false;
	for (size_t i = 1; i < len; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return false;
	}
	return true;
}

/* supported-calendar-component-set (RFC 4791 §5.2.3). Returns the bits,
 * or 0 when a name is unknown or none is given. */
static unsigned components_read(const struct dav_xml_node *node)
{
	static const struct {
		const char *name;
		unsigned bit;
	} names[] = {{"VEVENT", STORE_DAV_COMP_VEVENT},
	             {"VTODO", STORE_DAV_COMP_VTODO},
	             {"VJOURNAL", STORE_DAV_COMP_VJOURNAL},
	             {"VFREEBUSY", STORE_DAV_COMP_VFREEBUSY}};
	unsigned bits = 0;
	for (const struct dav_xml_node *c = node->children; c != NULL;
	     c = c->next) {
		if (!dav_xml_is(c, DAV_NS_CALDAV, "comp"))
			continue;
		const char *name = dav_xml_attr(c, "name");
		size_t i = 0;
		while (name != NULL && i < 4 &&
		       strcasecmp(name, names[i].name) != 0)
			i++;
		if (name == NULL || i == 4)
			return 0;
		bits |= names[i].bit;
	}
	return bits;
}

/* MKCOL's resourcetype (RFC 5689 §3): the kind it asks for. */
static int resourcetype_read(const struct dav_xml_node *node)
{
	if (dav_xml_child(node, DAV_NS_CALDAV, "calendar") != NULL)
		return STORE_DAV_CALENDAR;
	if (dav_xml_child(node, DAV_NS_CARDDAV, "addressbook") != NULL)
		return STORE_DAV_ADDRESSBOOK;
	return -1;
}

/* A writable live property: checks the value and stores it in p.
 * Returns the status of the update. */
static unsigned live_set(struct dav_request *d, const struct dav_prop_def *def,
                         const struct dav_propupdate *u, struct patch *p)
{
	const char *text = u->is_remove ? ""
	                                : pool_strndup(d->pool, u->value->text,
	                                               u->value->text_len);
	struct ical_tz *tz = NULL;
	const char *error;
	switch (def->id) {
	case DAV_PROP_DISPLAYNAME:
		p->values.displayname = text;
		p->fields |= STORE_DAV_FIELD_DISPLAYNAME;
		return 200;
	case DAV_PROP_CALENDAR_DESCRIPTION:
	case DAV_PROP_ADDRESSBOOK_DESCRIPTION:
		p->values.description = text;
		p->fields |= STORE_DAV_FIELD_DESCRIPTION;
		return 200;
	case DAV_PROP_CALENDAR_TIMEZONE:
		if (text[0] != '\0' && ical_tz_parse(text, &tz, &error) < 0) {
			p->why = "calendar-timezone is not a VTIMEZONE";
			return 403;
		}
		ical_tz_free(&tz);
		p->values.timezone = text;
		p->fields |= STORE_DAV_FIELD_TIMEZONE;
		return 200;
	case DAV_PROP_CALENDAR_COLOR:
		text = dav_xml_text_trim(u->value, d->pool);
		if (!u->is_remove && !color_is_valid(text)) {
			p->why = "calendar-color must be #RRGGBB or #RRGGBBAA";
			return 403;
		}
		p->values.color = u->is_remove ? "" : text;
		p->fields |= STORE_DAV_FIELD_COLOR;
		return 200;
	case DAV_PROP_CALENDAR_ORDER: {
		char *end;
		text = dav_xml_text_trim(u->value, d->pool);
		long long v = u->is_remove ? 0 : strtoll(text, &end, 10);
		if (!u->is_remove && (text[0] == '\0' || *end != '\0')) {
			p->why = "calendar-order must be an integer";
			return 403;
		}
		p->values.sort_order = v;
		p->fields |= STORE_DAV_FIELD_ORDER;
		return 200;
	}
	default:
		return 403;
	}
}

/* Decides every update of a PROPPATCH (is_create false) or of a MKCOL /
 * MKCALENDAR body (is_create true) on a resource of kind. */
static void patch_plan(struct dav_request *d, enum dav_resource kind,
                       const struct dav_propupdate *ups, size_t count,
                       bool is_create, struct patch *p)
{
	p->status = pool_alloc(d->pool, (count + 1) * sizeof(*p->status));
	p->dead = pool_alloc(d->pool, (count + 1) * sizeof(*p->dead));
	for (size_t i = 0; i < count; i++) {
		const struct dav_propupdate *u = &ups[i];
		const struct dav_prop_def *def =
		    dav_prop_find(u->name.ns, u->name.name);
		if (is_create && def != NULL &&
		    def->id == DAV_PROP_RESOURCETYPE) {
			p->resourcetype = resourcetype_read(u->value);
			p->status[i] = p->resourcetype < 0 ? 403 : 200;
		} else if (is_create && def != NULL &&
		           def->id ==
		               DAV_PROP_SUPPORTED_CALENDAR_COMPONENT_SET) {
			p->components = components_read(u->value);
			p->status[i] = p->components == 0 ? 403 : 200;
		} else if (def != NULL) {
			p->status[i] = (def->flags & DAV_PROP_WRITABLE) != 0 &&
			                       (def->resources & kind) != 0
			                   ? live_set(d, def, u, p)
			                   : 403;
		} else {
			struct buf value;
			buf_init(&value);
			dav_xml_serialize(u->value, &value);
			p->dead[p->dead_count++] = (struct store_dav_prop){
			    u->name.ns, u->name.name,
			    u->is_remove
			        ? NULL
			        : pool_strndup(d->pool, value.data, value.len)};
			buf_deinit(&value);
			p->status[i] = 200;
		}
		if (p->status[i] != 200) {
			p->failed = true;
			if (p->why == NULL)
				p->why = pool_printf(d->pool, "%s is protected",
				                     u->name.name);
		}
	}
}

/* The 207 of a PROPPATCH: each property with its status, the others 424
 * when one failed (RFC 4918 §9.2.1). */
static void patch_answer(struct dav_request *d,
                         const struct dav_propupdate *ups, size_t count,
                         const struct patch *p)
{
	struct buf out;
	struct dav_propstats ps;
	buf_init(&out);
	dav_propstats_init(&ps);
	dav_write_multistatus_begin(&out);
	for (size_t i = 0; i < count; i++) {
		unsigned status = p->status[i] != 200 ? p->status[i]
		                  : p->failed         ? 424
		                                      : 200;
		dav_write_empty(dav_propstats_group(&ps, status),
		                ups[i].name.ns, ups[i].name.name);
	}
	dav_write_response_props(&out, d->target.path, &ps);
	dav_write_multistatus_end(&out, NULL);
	dav_send_multistatus(d, &out);
	dav_propstats_deinit(&ps);
	buf_deinit(&out);
}

static void proppatch_body(struct dav_request *d, const unsigned char *data,
                           size_t size)
{
	struct dav_xml_node *root;
	struct dav_propupdate *ups;
	size_t count;
	struct dav_body_error err;
	if (dav_read_xml(d, data, size, &root) < 0)
		return;
	if (dav_body_propertyupdate(root, d->pool, &ups, &count, &err) < 0) {
		dav_error(d, err.status, err.ns, err.name, NULL, err.text);
		return;
	}
	struct patch p = {0};
	struct dav_item res;
	dav_target_resource(d, &res);
	patch_plan(d, res.kind, ups, count, false, &p);
	if (!p.failed) {
		const char *error;
		int ret = d->target.kind == DAV_TARGET_OBJECT
		              ? store_dav_props_set(d->account, d->coll.id,
		                                    d->obj.name, p.dead,
		                                    p.dead_count, &error)
		              : store_dav_collection_update(
		                    d->account, d->coll.id, &p.values, p.fields,
		                    p.dead, p.dead_count, &error);
		if (ret < 0) {
			dav_fail(d, "proppatch");
			return;
		}
		if (ret == STORE_DAV_NOT_FOUND) {
			dav_error(d, 404, NULL, NULL, NULL, "gone meanwhile");
			return;
		}
	} else {
		dav_log(d, 207, NULL, p.why);
	}
	patch_answer(d, ups, count, &p);
}

void dav_proppatch(struct dav_request *d)
{
	if (d->target.kind != DAV_TARGET_COLLECTION &&
	    d->target.kind != DAV_TARGET_OBJECT) {
		dav_error(d, 403, DAV_NS, "cannot-modify-protected-property",
		          NULL,
		          "only collections and their members have "
		          "properties to change");
		return;
	}
	if (!d->has_coll ||
	    (d->target.kind == DAV_TARGET_OBJECT && !d->has_obj)) {
		dav_error(d, 404, NULL, NULL, NULL, "not found");
		return;
	}
	/* RFC 3744 §3.2: DAV:write-properties comes with read-write */
	if (d->access < STORE_DAV_ACCESS_READ_WRITE) {
		dav_error(d, 403, DAV_NS, "need-privileges", NULL, "read only");
		return;
	}
	dav_read_body(d, proppatch_body);
}

static void mkcol_body(struct dav_request *d, const unsigned char *data,
                       size_t size)
{
	struct dav_xml_node *root;
	struct dav_propupdate *ups;
	size_t count;
	struct dav_body_error err;
	if (dav_read_xml(d, data, size, &root) < 0)
		return;
	if (dav_body_mkcol(root, d->pool, &ups, &count, &err) < 0) {
		dav_error(d, err.status, err.ns, err.name, NULL, err.text);
		return;
	}
	struct patch p = {0};
	enum dav_resource kind = d->target.store_kind == STORE_DAV_CALENDAR
	                             ? DAV_RES_CALENDAR
	                             : DAV_RES_ADDRESSBOOK;
	patch_plan(d, kind, ups, count, true, &p);
	if (!p.failed && p.resourcetype != 0 &&
	    p.resourcetype != (int)d->target.store_kind) {
		p.failed = true;
		p.why = "resourcetype does not belong in this home";
	}
	if (p.failed) {
		dav_error(d, 403, DAV_NS, "valid-resourcetype", NULL, p.why);
		return;
	}
	struct store_dav_collection c = p.values;
	c.kind = d->target.store_kind;
	c.name = d->target.coll_name;
	c.components = c.kind != STORE_DAV_CALENDAR ? 0
	               : p.components != 0
	                   ? p.components
	                   : STORE_DAV_COMP_VEVENT | STORE_DAV_COMP_VTODO |
	                         STORE_DAV_COMP_VJOURNAL;
	int64_t id;
	const char *error;
	int ret = store_dav_collection_create(
	    d->account, &c, p.dead, p.dead_count, time(NULL), &id, &error);
	if (ret == STORE_DAV_EXISTS) {
		dav_error(d, 405, NULL, NULL, NULL, "collection exists");
		return;
	}
	if (ret < 0) {
		dav_fail(d, "mkcol");
		return;
	}
	struct http_response *resp = http_response_new(d->req, 201);
	http_response_add_header(resp, "Location", "%s", d->target.path);
	http_response_send_empty(resp);
}

void dav_mkcol(struct dav_request *d)
{
	bool is_mkcalendar =
	    http_request_method(d->req) == HTTP_METHOD_MKCALENDAR;
	if (d->target.kind != DAV_TARGET_COLLECTION) {
		dav_error(d, 403, is_mkcalendar ? DAV_NS_CALDAV : NULL,
		          is_mkcalendar ? "calendar-collection-location-ok"
		                        : NULL,
		          NULL, "collections are made inside a home");
		return;
	}
	if (d->has_coll) {
		dav_error(d, 405, NULL, NULL, NULL, "collection exists");
		return;
	}
	if (d->access != STORE_DAV_ACCESS_OWNER) {
		dav_error(d, 403, DAV_NS, "need-privileges", NULL,
		          "not your home");
		return;
	}
	if (is_mkcalendar && d->target.store_kind != STORE_DAV_CALENDAR) {
		dav_error(d, 403, DAV_NS_CALDAV,
		          "calendar-collection-location-ok", NULL,
		          "calendars live under /dav/calendars/");
		return;
	}
	dav_read_body(d, mkcol_body);
}
