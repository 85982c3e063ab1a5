/* REPORT on a calendar or address book: calendar-query, calendar-multiget
 * and free-busy-query (RFC 4791 §7.8-§7.10), addressbook-query with its
 * limit and addressbook-multiget (RFC 6352 §8.6, §8.7), and
 * sync-collection (RFC 6578 §3), its limit included. A query narrows the
 * candidates by the time span the store keeps for each member, then
 * lib/dav decides on the member itself. The queries answer the members
 * of the collection whatever the Depth (clients send 1). */
#include "core/buf.h"
#include "core/pool.h"
#include "dav/dav_token.h"
#include "dav/dav_write.h"
#include "dav/dav_xml.h"
#include "dav/ical.h"
#include "dav/ical_freebusy.h"
#include "dav/ical_partial.h"
#include "dav/ical_query.h"
#include "dav/vcard.h"
#include "dav/vcard_query.h"
#include "dav_server.h"
#include "http/http_request.h"
#include "http/http_response.h"
#include "httpd.h"

#include <string.h>
#include <strings.h>
#include <time.h>

struct report_walk {
	struct dav_request *d;
	const struct dav_report *r;
	struct buf *out;
	struct ical_tz *tz;
	struct ical_freebusy *fb;
	uint64_t matches, last_modseq;
	bool is_truncated;
};

static void member_resource(struct dav_request *d,
                            const struct store_dav_object *obj,
                            struct dav_item *res)
{
	memset(res, 0, sizeof(*res));
	res->kind = d->coll.kind == STORE_DAV_ADDRESSBOOK ? DAV_RES_CARD
	                                                  : DAV_RES_CAL_OBJECT;
	res->path = dav_member_path(d, obj->name);
	res->owner = d->owner;
	res->store_kind = d->coll.kind;
	res->coll = &d->coll;
	res->obj = obj;
	res->access = d->access;
}

/* Checks what calendar-data and address-data ask for before answering:
 * 403 with supported-calendar-data / supported-address-data. */
static int data_requests_check(struct dav_request *d,
                               const struct dav_report *r)
{
	for (size_t i = 0; i < r->props.count; i++) {
		const struct dav_propname *p = &r->props.props[i];
		struct ical_partial *partial;
		const char *error;
		if (strcmp(p->ns, DAV_NS_CALDAV) == 0 &&
		    strcmp(p->name, "calendar-data") == 0 &&
		    ical_partial_from_xml(p->node, d->pool, &partial, &error) <
		        0) {
			dav_error(d, 403, DAV_NS_CALDAV,
			          "supported-calendar-data", NULL, error);
			return -1;
		}
		if (strcmp(p->ns, DAV_NS_CARDDAV) != 0 ||
		    strcmp(p->name, "address-data") != 0)
			continue;
		const char *type = dav_xml_attr(p->node, "content-type");
		const char *version = dav_xml_attr(p->node, "version");
		if ((type != NULL && strcasecmp(type, "text/vcard") != 0) ||
		    (version != NULL && strcmp(version, "3.0") != 0 &&
		     strcmp(version, "4.0") != 0)) {
			dav_error(d, 403, DAV_NS_CARDDAV,
			          "supported-address-data", NULL,
			          "address data only as text/vcard 3.0 or 4.0");
			return -1;
		}
	}
	return 0;
}

static int calendar_query_cb(const struct store_dav_object *obj, void *ctx)
{
	struct report_walk *w = ctx;
	struct ical_settings set;
	ical_settings_init(&set);
	set.allow_method = true; /* the schedule inbox holds iTIP messages */
	struct pool *pool = pool_new();
	struct ical_object *ical;
	const char *error;
	if (ical_object_parse(obj->data, obj->size, &set, pool, &ical,
	                      &error) == 0) {
		if (w->fb != NULL) {
			ical_freebusy_add(w->fb, ical, w->tz);
		} else if (ical_query_match(ical, w->r->cal_filter, w->tz)) {
			struct dav_item res;
			member_resource(w->d, obj, &res);
			dav_props_response(w->d, &res, &w->r->props, w->out);
		}
	}
	ical_object_free(&ical);
	pool_free(&pool);
	return 0;
}

/* The zone for floating times: the query's, else the calendar's. */
static int query_tz(struct dav_request *d, const struct dav_report *r,
                    struct ical_tz **tz_r)
{
	const char *error;
	*tz_r = NULL;
	if (r->cal_timezone == NULL) {
		*tz_r = dav_collection_tz(&d->coll);
		return 0;
	}
	if (ical_tz_parse(r->cal_timezone, tz_r, &error) < 0) {
		dav_error(d, 403, DAV_NS_CALDAV, "valid-calendar-data", NULL,
		          "timezone is not a VCALENDAR with one VTIMEZONE");
		return -1;
	}
	return 0;
}

static int calendar_query(struct report_walk *w)
{
	int64_t start = STORE_DAV_TIME_MIN, end = STORE_DAV_TIME_MAX;
	if (w->fb != NULL) {
		start = w->r->fb_start;
		end = w->r->fb_end;
	} else {
		(void)ical_query_time_range(w->r->cal_filter, &start, &end);
	}
	return store_dav_objects_list(w->d->account, w->d->coll.id, start, end,
	                              true, calendar_query_cb, w);
}

static int card_query_cb(const struct store_dav_object *obj, void *ctx)
{
	struct report_walk *w = ctx;
	struct vcard_settings set;
	vcard_settings_init(&set);
	struct pool *pool = pool_new();
	struct vcard *card;
	const char *error;
	int ret = 0;
	if (vcard_parse_resource(obj->data, obj->size, &set, pool, &card,
	                         &error) == 0 &&
	    vcard_query_match(card, w->r->card_filter, pool)) {
		if (w->r->limit != 0 && w->matches == w->r->limit) {
			w->is_truncated = true;
			ret = 1;
		} else {
			struct dav_item res;
			member_resource(w->d, obj, &res);
			dav_props_response(w->d, &res, &w->r->props, w->out);
			w->matches++;
		}
	}
	pool_free(&pool);
	return ret;
}

/* RFC 6352 §8.6.1, RFC 6578 §3.6: the request-URI answers 507 when the
 * limit cut the results. */
static void truncated_write(struct dav_request *d, struct buf *out)
{
	buf_append_str(out, "<D:response>");
	dav_write_href(out, d->target.path);
	dav_write_status(out, 507);
	buf_append_str(out, "<D:error><D:number-of-matches-within-limits/>"
	                    "</D:error></D:response>\n");
}

static void multiget(struct report_walk *w)
{
	struct dav_request *d = w->d;
	for (size_t i = 0; i < w->r->href_count; i++) {
		const struct dav_href *h = &w->r->hrefs[i];
		struct dav_target t;
		struct store_dav_object obj;
		int ret = 0;
		/* only members of this collection, by the path it was
		 * reached by */
		if (h->path != NULL &&
		    dav_target_parse(h->path, d->pool, &t) == 0 &&
		    t.kind == DAV_TARGET_OBJECT &&
		    t.store_kind == d->target.store_kind &&
		    strcmp(dav_path_collection(d->pool, t.store_kind, t.owner,
		                               t.coll_name),
		           d->coll_path) == 0)
			ret = store_dav_object_get(d->account, d->coll.id,
			                           t.obj_name, true, d->pool,
			                           &obj);
		if (ret == 1) {
			struct dav_item res;
			member_resource(d, &obj, &res);
			dav_props_response(d, &res, &w->r->props, w->out);
		} else {
			dav_write_response_status(
			    w->out, h->path != NULL ? h->path : h->raw,
			    ret < 0 ? 500 : 404);
		}
	}
}

static int sync_cb(const char *name, uint64_t modseq,
                   const struct store_dav_object *obj, void *ctx)
{
	struct report_walk *w = ctx;
	struct dav_request *d = w->d;
	if (w->r->limit != 0 && w->matches == w->r->limit) {
		w->is_truncated = true;
		return 1;
	}
	w->matches++;
	w->last_modseq = modseq;
	if (obj == NULL) {
		dav_write_response_status(w->out, dav_member_path(d, name),
		                          404);
		return 0;
	}
	struct dav_item res;
	member_resource(d, obj, &res);
	dav_props_response(d, &res, &w->r->props, w->out);
	return 0;
}

/* Returns 0 with the token to end the answer in *token_r, or -1 after
 * answering. */
static int sync_collection(struct report_walk *w, const char **token_r)
{
	struct dav_request *d = w->d;
	uint64_t since = 0;
	int64_t id;
	if (w->r->sync_token[0] != '\0' &&
	    (dav_token_sync_parse(w->r->sync_token, &id, &since) < 0 ||
	     id != d->coll.id)) {
		dav_error(d, 403, DAV_NS, "valid-sync-token", NULL,
		          "sync token of another collection or server");
		return -1;
	}
	int ret = store_dav_changes(d->account, d->coll.id, since, sync_cb, w);
	if (ret == STORE_DAV_TOKEN_INVALID) {
		dav_error(d, 403, DAV_NS, "valid-sync-token", NULL,
		          "sync token no longer valid");
		return -1;
	}
	if (ret < 0) {
		dav_fail(d, "sync");
		return -1;
	}
	uint64_t modseq = w->is_truncated                   ? w->last_modseq
	                  : w->last_modseq > d->coll.modseq ? w->last_modseq
	                                                    : d->coll.modseq;
	*token_r = dav_token_sync(d->pool, d->coll.id, modseq);
	return 0;
}

static void free_busy_answer(struct report_walk *w)
{
	struct buf body;
	buf_init(&body);
	ical_freebusy_write(w->fb, time(NULL), &body);
	struct http_response *resp = http_response_new(w->d->req, 200);
	http_response_set_type(resp, "text/calendar; charset=utf-8");
	http_response_send_data(resp, body.data, body.len);
	buf_deinit(&body);
}

/* Does the report belong on this collection? */
static bool report_fits(const struct dav_request *d, enum dav_report_kind kind)
{
	switch (kind) {
	case DAV_REPORT_CALENDAR_QUERY:
	case DAV_REPORT_CALENDAR_MULTIGET:
		return d->coll.kind == STORE_DAV_CALENDAR ||
		       d->coll.kind == STORE_DAV_SCHEDULE_INBOX;
	case DAV_REPORT_FREE_BUSY_QUERY:
		return d->coll.kind == STORE_DAV_CALENDAR;
	case DAV_REPORT_ADDRESSBOOK_QUERY:
	case DAV_REPORT_ADDRESSBOOK_MULTIGET:
		return d->coll.kind == STORE_DAV_ADDRESSBOOK;
	case DAV_REPORT_SYNC_COLLECTION:
		return true;
	}
	return false;
}

/* Runs the report into w->out. Returns 0, or -1 after answering. */
static int report_run(struct report_walk *w, const char **token_r)
{
	int ret = 0;
	switch (w->r->kind) {
	case DAV_REPORT_CALENDAR_QUERY:
		ret = query_tz(w->d, w->r, &w->tz);
		if (ret == 0 && calendar_query(w) < 0)
			ret = (dav_fail(w->d, "calendar-query"), -1);
		return ret;
	case DAV_REPORT_CALENDAR_MULTIGET:
	case DAV_REPORT_ADDRESSBOOK_MULTIGET:
		multiget(w);
		return 0;
	case DAV_REPORT_ADDRESSBOOK_QUERY:
		if (store_dav_objects_list(
		        w->d->account, w->d->coll.id, STORE_DAV_TIME_MIN,
		        STORE_DAV_TIME_MAX, true, card_query_cb, w) < 0)
			return (dav_fail(w->d, "addressbook-query"), -1);
		if (w->is_truncated)
			truncated_write(w->d, w->out);
		return 0;
	case DAV_REPORT_SYNC_COLLECTION:
		ret = sync_collection(w, token_r);
		if (ret == 0 && w->is_truncated)
			truncated_write(w->d, w->out);
		return ret;
	case DAV_REPORT_FREE_BUSY_QUERY:
		return 0;
	}
	return 0;
}

static void report_body(struct dav_request *d, const unsigned char *data,
                        size_t size)
{
	struct dav_xml_node *root;
	struct dav_report r;
	struct dav_body_error err;
	if (dav_read_xml(d, data, size, &root) < 0)
		return;
	if (dav_body_report(root, d->pool, &r, &err) < 0) {
		dav_error(d, err.status, err.ns, err.name, NULL, err.text);
		return;
	}
	if (!report_fits(d, r.kind)) {
		dav_error(d, 403, DAV_NS, "supported-report", NULL,
		          "report not supported on this collection");
		return;
	}
	if (data_requests_check(d, &r) < 0)
		return;
	struct buf out;
	buf_init(&out);
	struct report_walk w = {.d = d, .r = &r, .out = &out};
	const char *token = NULL;
	if (r.kind == DAV_REPORT_FREE_BUSY_QUERY) {
		w.tz = dav_collection_tz(&d->coll);
		w.fb = ical_freebusy_new(r.fb_start, r.fb_end);
		if (calendar_query(&w) < 0)
			dav_fail(d, "free-busy-query");
		else
			free_busy_answer(&w);
	} else {
		dav_write_multistatus_begin(&out);
		if (report_run(&w, &token) == 0) {
			dav_write_multistatus_end(&out, token);
			dav_send_multistatus(d, &out);
		}
	}
	ical_freebusy_free(&w.fb);
	ical_tz_free(&w.tz);
	buf_deinit(&out);
}

void dav_report(struct dav_request *d)
{
	if (d->target.kind != DAV_TARGET_COLLECTION || !d->has_coll) {
		dav_error(
		    d, d->target.kind == DAV_TARGET_COLLECTION ? 404 : 403,
		    d->target.kind == DAV_TARGET_COLLECTION ? NULL : DAV_NS,
		    d->target.kind == DAV_TARGET_COLLECTION
		        ? NULL
		        : "supported-report",
		    NULL, "reports run on a calendar or address book");
		return;
	}
	dav_read_body(d, report_body);
}
