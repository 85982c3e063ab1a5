/* JMAP for Calendars (the IETF draft draft-ietf-jmap-calendars), tasks and
 * Postroom's journal (doc/jmap.md) over CalDAV's calendars: Calendar is a
 * CalDAV collection; CalendarEvent, Task and JournalEntry are JSCalendar
 * objects (lib/jmap/jmap_jscal.c) made from the VEVENT, VTODO and
 * VJOURNAL resources and written back as iCalendar, validated as CalDAV
 * validates a PUT, so CalDAV and JMAP clients share one set of objects
 * and each side's /changes or sync-collection reports the other's writes.
 * Updates apply the PatchObject to the object as stored and write with
 * If-Match. CalendarEvent/query's after/before expand recurrences with
 * lib/dav's CalDAV time-range matching (RFC 4791 §9.9); each type's
 * /queryChanges is jmap_dav_query_changes over the same result. With
 * sendSchedulingMessages, /set's writes schedule as CalDAV's do
 * (dav_sched.c, RFC 6638 implicit scheduling). */
#include "core/buf.h"
#include "core/pool.h"
#include "dav/ical.h"
#include "dav/ical_query.h"
#include "dav_server.h"
#include "httpd.h"
#include "jmap/jmap_jscal.h"
#include "jmap_dav.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct item_kind {
	enum store_jmap_dav_type type;
	const char *name;   /* "CalendarEvent" */
	const char *jstype; /* "@type" */
	unsigned component; /* STORE_DAV_COMP_* */
};

static const struct item_kind kinds[] = {
    {STORE_JMAP_DAV_EVENT, "CalendarEvent", "Event", STORE_DAV_COMP_VEVENT},
    {STORE_JMAP_DAV_TASK, "Task", "Task", STORE_DAV_COMP_VTODO},
    {STORE_JMAP_DAV_JOURNAL, "JournalEntry", "JournalEntry",
     STORE_DAV_COMP_VJOURNAL},
};

/* ---- Calendar ---- */

static const char *const cal_props[] = {"id",
                                        "name",
                                        "description",
                                        "color",
                                        "sortOrder",
                                        "isDefault",
                                        "isSubscribed",
                                        "isVisible",
                                        "shareWith",
                                        "myRights",
                                        "includeInAvailability",
                                        "defaultAlertsWithTime",
                                        "defaultAlertsWithoutTime",
                                        "timeZone",
                                        "postroom.org:types",
                                        NULL};

static const char *cal_state(struct jmap_call_ctx *c, void *account)
{
	(void)account;
	return jmap_dav_collection_state(c, STORE_DAV_CALENDAR);
}

static int cal_get(struct jmap_call_ctx *c, void *account, json_t *args,
                   json_t *ids, json_t *props, json_t *list, json_t *not_found)
{
	(void)account;
	(void)args;
	if (jmap_dav_collections_get(c, STORE_DAV_CALENDAR, "calendar", ids,
	                             NULL, list, not_found) < 0)
		return -1;
	struct store_dav_collection *colls;
	size_t count;
	if (jmap_dav_collections(c, STORE_DAV_CALENDAR, &colls, &count) < 0)
		return -1;
	size_t i;
	json_t *o;
	json_array_foreach(list, i, o)
	{
		const char *id = json_string_value(json_object_get(o, "id"));
		for (size_t k = 0; k < count; k++) {
			if (strcmp(jmap_dav_id(c, 'c', colls[k].id), id) != 0)
				continue;
			json_object_set_new(o, "color",
			                    colls[k].color[0] != '\0'
			                        ? json_string(colls[k].color)
			                        : json_null());
			json_object_set_new(o, "isVisible", json_true());
			json_object_set_new(o, "includeInAvailability",
			                    json_string("all"));
			json_object_set_new(o, "defaultAlertsWithTime",
			                    json_null());
			json_object_set_new(o, "defaultAlertsWithoutTime",
			                    json_null());
			json_object_set_new(o, "timeZone", json_null());
			/* which objects it takes (Postroom's) */
			json_t *types = json_array();
			for (size_t t = 0; t < 3; t++)
				if (colls[k].components & kinds[t].component)
					json_array_append_new(
					    types, json_string(kinds[t].name));
			json_object_set_new(o, "postroom.org:types", types);
		}
		jmap_dav_filter_props(o, props);
	}
	return 0;
}

static int cal_changes(struct jmap_call_ctx *c, void *account,
                       const char *since, unsigned max,
                       struct jmap_changes *out)
{
	(void)account;
	return jmap_dav_changes(c, 0, STORE_DAV_CALENDAR, since, max, out);
}

static const char *cal_create(struct jmap_call_ctx *c, void *account,
                              json_t *obj, json_t **extra_r, json_t **err_r)
{
	(void)account;
	json_t *o = json_deep_copy(obj);
	unsigned comps = STORE_DAV_COMP_VEVENT | STORE_DAV_COMP_VTODO |
	                 STORE_DAV_COMP_VJOURNAL;
	json_object_del(o, "postroom.org:types");
	const char *id = jmap_dav_collection_create(c, STORE_DAV_CALENDAR,
	                                            comps, o, extra_r, err_r);
	json_decref(o);
	return id;
}

static int cal_update(struct jmap_call_ctx *c, void *account, const char *id,
                      json_t *patch, json_t **err_r)
{
	(void)account;
	return jmap_dav_collection_update(c, STORE_DAV_CALENDAR, id, patch,
	                                  err_r);
}

static int cal_destroy(struct jmap_call_ctx *c, void *account, const char *id,
                       json_t **err_r)
{
	(void)account;
	return jmap_dav_collection_destroy(c, STORE_DAV_CALENDAR, id,
	                                   "calendarHasEvent", err_r);
}

static const char *const cal_set_args[] = {"onDestroyRemoveEvents",
                                           "onDestroyRemoveContents", NULL};

static int cal_prepare(struct jmap_call_ctx *c, void *account, json_t *args)
{
	json_t *a = json_deep_copy(args);
	json_t *v = json_object_get(a, "onDestroyRemoveEvents");
	if (v != NULL)
		json_object_set(a, "onDestroyRemoveContents", v);
	int ret = jmap_dav_collection_prepare(c, account, a);
	json_decref(a);
	return ret;
}

static const struct jmap_type cal_type = {
    .name = "Calendar",
    .properties = cal_props,
    .set_args = cal_set_args,
    .state = cal_state,
    .get = cal_get,
    .changes = cal_changes,
    .create = cal_create,
    .update = cal_update,
    .destroy = cal_destroy,
    .set_prepare = cal_prepare,
};

/* ---- CalendarEvent, Task, JournalEntry ---- */

static const char *const item_props[] = {"id",
                                         "calendarIds",
                                         "@type",
                                         "uid",
                                         "title",
                                         "description",
                                         "locations",
                                         "start",
                                         "timeZone",
                                         "showWithoutTime",
                                         "duration",
                                         "due",
                                         "estimatedDuration",
                                         "status",
                                         "progress",
                                         "percentComplete",
                                         "freeBusyStatus",
                                         "privacy",
                                         "priority",
                                         "sequence",
                                         "created",
                                         "updated",
                                         "keywords",
                                         "recurrenceRules",
                                         "recurrenceOverrides",
                                         "participants",
                                         "alerts",
                                         "iCalProps",
                                         NULL};

static json_t *item_json(struct jmap_call_ctx *c,
                         const struct store_jmap_dav_ref *ref,
                         const struct store_dav_object *obj)
{
	json_t *j =
	    jmap_jscal_from_ical(obj->data, obj->size, jmap_call_pool(c));
	if (j == NULL)
		return NULL;
	json_object_set_new(j, "id", json_string(jmap_dav_id(c, 'o', ref->id)));
	json_object_set_new(
	    j, "calendarIds",
	    json_pack("{s:b}", jmap_dav_id(c, 'c', ref->collection_id), 1));
	return j;
}

static int item_get(struct jmap_call_ctx *c, const struct item_kind *k,
                    json_t *args, json_t *ids, json_t *props, json_t *list,
                    json_t *not_found)
{
	struct jmap_ctx *ctx = jmap_call_server_ctx(c);
	if (json_object_get(args, "properties") == NULL ||
	    json_is_null(json_object_get(args, "properties")))
		props = NULL;
	json_t *want = ids;
	if (ids == NULL) {
		struct store_jmap_dav_ref *refs;
		size_t count;
		if (store_jmap_dav_list(ctx->account, k->type, 0,
		                        STORE_DAV_TIME_MIN, STORE_DAV_TIME_MAX,
		                        jmap_call_pool(c), &refs, &count) < 0)
			return -1;
		want = json_array();
		for (size_t i = 0; i < count; i++)
			json_array_append_new(
			    want, json_string(jmap_dav_id(c, 'o', refs[i].id)));
	}
	size_t i;
	json_t *id;
	json_array_foreach(want, i, id)
	{
		struct store_jmap_dav_ref ref;
		struct store_dav_object obj;
		int ret = jmap_dav_object(c, k->type, json_string_value(id),
		                          false, &ref, &obj);
		json_t *j = ret > 0 ? item_json(c, &ref, &obj) : NULL;
		if (j == NULL) {
			if (ids != NULL)
				json_array_append(not_found, id);
			continue;
		}
		jmap_dav_filter_props(j, props);
		json_array_append_new(list, j);
	}
	if (want != ids)
		json_decref(want);
	return 0;
}

/* The one writable calendar of calendarIds that takes k's objects. */
static int item_calendar(struct jmap_call_ctx *c, const struct item_kind *k,
                         json_t *ids, struct store_dav_collection *coll,
                         json_t **err_r)
{
	const char *key, *id = NULL;
	json_t *v;
	if (json_is_object(ids) && json_object_size(ids) == 1) {
		json_object_foreach(ids, key, v)
		{
			id = jmap_call_resolve_id(c, key);
			if (json_is_true(v) && id != NULL &&
			    jmap_dav_collection(c, STORE_DAV_CALENDAR, id,
			                        STORE_DAV_ACCESS_READ_WRITE,
			                        coll) == 1 &&
			    (coll->components & k->component) != 0)
				return 1;
		}
	}
	*err_r = jmap_dav_target_error(c, STORE_DAV_CALENDAR, id,
	                               "exactly one calendar that takes"
	                               " this type",
	                               "calendarIds");
	return 0;
}

/* The iCalendar of obj, validated as a CalDAV PUT is. */
static int item_ical(struct jmap_call_ctx *c, const struct item_kind *k,
                     json_t *obj, struct buf *out, struct store_dav_object *so,
                     json_t **err_r)
{
	const char *prop, *error;
	if (jmap_jscal_to_ical(obj, k->jstype, jmap_call_pool(c), out, &prop,
	                       &error) < 0) {
		*err_r = jmap_set_error_prop("invalidProperties", error, prop);
		return -1;
	}
	struct ical_settings set;
	ical_settings_init(&set);
	struct ical_object *ical;
	if (ical_object_parse((const unsigned char *)out->data, out->len, &set,
	                      jmap_call_pool(c), &ical, &error) < 0) {
		*err_r = jmap_set_error("invalidProperties", error, NULL);
		return -1;
	}
	so->uid = pool_strdup(jmap_call_pool(c), ical_object_uid(ical));
	so->component = ical_object_kind(ical);
	so->is_recurring = ical_object_is_recurring(ical);
	ical_object_span(ical, &so->time_start, &so->time_end);
	so->content_type = "text/calendar; charset=utf-8";
	ical_object_free(&ical);
	return 0;
}

/* sendSchedulingMessages (draft-ietf-jmap-calendars, /set; false by
 * default): read by set_prepare for the writes of the same call; one call
 * runs at a time in this process. */
static bool send_scheduling;
static const char *const item_set_args[] = {"sendSchedulingMessages", NULL};

static int item_set_prepare(struct jmap_call_ctx *c, void *account,
                            json_t *args)
{
	(void)account;
	return jmap_arg_bool(c, args, "sendSchedulingMessages", false,
	                     &send_scheduling);
}

/* The scheduling request of a write into coll_id's member name (NULL:
 * new), when the client asked for scheduling messages. */
static bool item_sched_init(struct jmap_call_ctx *c, struct dav_request *d,
                            int64_t coll_id, const char *name)
{
	struct jmap_ctx *ctx = jmap_call_server_ctx(c);
	return send_scheduling &&
	       dav_sched_request_init(d, ctx->httpd, jmap_call_pool(c),
	                              ctx->user, ctx->account, coll_id,
	                              name) == 0;
}

/* jmap_dav_write, with what a CalDAV PUT of data would send (dav_sched.c:
 * the organizer's REQUESTs and CANCELs, an attendee's REPLY) when the
 * client asked for it; data may change (SCHEDULE-STATUS, SEQUENCE). */
static int64_t item_write(struct jmap_call_ctx *c, int64_t coll_id,
                          const char *name, const char *if_match,
                          struct store_dav_object *so, struct buf *data,
                          json_t **err_r)
{
	struct dav_request d;
	struct dav_sched *s = NULL;
	bool is_changed = false;
	if (item_sched_init(c, &d, coll_id, name)) {
		const unsigned char *bytes = (const unsigned char *)data->data;
		size_t size = data->len;
		s = dav_sched_put_data(&d, &bytes, &size, &is_changed);
		if (is_changed) {
			buf_truncate(data, 0);
			buf_append(data, bytes, size);
		}
	}
	int64_t id =
	    jmap_dav_write(c, coll_id, name, if_match, so, data, err_r);
	if (id != 0)
		dav_sched_done(&d, &s);
	else
		dav_sched_free(&s);
	return id;
}

static const char *item_create(struct jmap_call_ctx *c,
                               const struct item_kind *k, json_t *obj,
                               json_t **extra_r, json_t **err_r)
{
	struct store_dav_collection coll;
	if (json_object_get(obj, "id") != NULL) {
		*err_r = jmap_set_error_prop("invalidProperties",
		                             "set by the server", "id");
		return NULL;
	}
	if (item_calendar(c, k, json_object_get(obj, "calendarIds"), &coll,
	                  err_r) != 1)
		return NULL;
	json_t *o = json_deep_copy(obj);
	json_object_del(o, "calendarIds");
	if (json_object_get(o, "uid") == NULL)
		json_object_set_new(o, "uid", json_string(jmap_dav_uuid(c)));
	const char *uid = pool_strdup(
	    jmap_call_pool(c), json_string_value(json_object_get(o, "uid")));
	struct buf data;
	buf_init(&data);
	struct store_dav_object so = {0};
	int64_t id = 0;
	if (item_ical(c, k, o, &data, &so, err_r) == 0)
		id = item_write(c, coll.id, NULL, NULL, &so, &data, err_r);
	buf_deinit(&data);
	json_decref(o);
	if (id == 0)
		return NULL;
	*extra_r = json_pack("{s:s}", "uid", uid != NULL ? uid : "");
	return jmap_dav_id(c, 'o', id);
}

static int item_update(struct jmap_call_ctx *c, const struct item_kind *k,
                       const char *id, json_t *patch, json_t **err_r)
{
	struct jmap_ctx *ctx = jmap_call_server_ctx(c);
	struct store_jmap_dav_ref ref;
	struct store_dav_object old;
	int ret = jmap_dav_object(c, k->type, id, true, &ref, &old);
	json_t *o = ret > 0 ? item_json(c, &ref, &old) : NULL;
	if (o == NULL) {
		*err_r = ret > 0 ? jmap_set_error("notFound", NULL, NULL)
		                 : jmap_dav_object_error(c, k->type, id, ret);
		return -1;
	}
	const char *old_uid = pool_strdup(
	    jmap_call_pool(c), json_string_value(json_object_get(o, "uid")));
	struct store_dav_collection coll;
	struct buf data;
	buf_init(&data);
	struct store_dav_object so = {0};
	ret = -1;
	if (jmap_dav_patch(o, patch, err_r) < 0 ||
	    item_calendar(c, k, json_object_get(o, "calendarIds"), &coll,
	                  err_r) != 1)
		goto out;
	const char *nid = json_string_value(json_object_get(o, "id"));
	const char *nuid = json_string_value(json_object_get(o, "uid"));
	if (nid == NULL || strcmp(nid, id) != 0 || nuid == NULL ||
	    strcmp(nuid, old_uid) != 0) {
		*err_r = jmap_set_error_prop(
		    "invalidProperties", "immutable",
		    nid != NULL && strcmp(nid, id) == 0 ? "uid" : "id");
		goto out;
	}
	json_object_del(o, "id");
	json_object_del(o, "calendarIds");
	if (item_ical(c, k, o, &data, &so, err_r) < 0 ||
	    item_write(c, ref.collection_id, ref.name, old.etag, &so, &data,
	               err_r) == 0)
		goto out;
	if (coll.id != ref.collection_id) {
		bool created;
		const char *error;
		if (store_dav_object_copy(ctx->account, ref.collection_id,
		                          ref.name, coll.id, ref.name, true,
		                          false, time(NULL), &created,
		                          &error) != 0) {
			*err_r = jmap_set_error_prop("invalidProperties",
			                             "cannot move it there",
			                             "calendarIds");
			goto out;
		}
	}
	ret = 0;
out:
	buf_deinit(&data);
	json_decref(o);
	return ret;
}

static int item_destroy(struct jmap_call_ctx *c, const struct item_kind *k,
                        const char *id, json_t **err_r)
{
	struct jmap_ctx *ctx = jmap_call_server_ctx(c);
	struct store_jmap_dav_ref ref;
	struct store_dav_object obj;
	int ret = jmap_dav_object(c, k->type, id, true, &ref, &obj);
	const char *error;
	struct dav_request d;
	struct dav_sched *s = NULL;
	if (ret > 0 && item_sched_init(c, &d, ref.collection_id, ref.name))
		s = dav_sched_delete(&d);
	if (ret > 0)
		ret = store_dav_object_delete(ctx->account, ref.collection_id,
		                              ref.name, NULL, &error) == 0
		          ? 1
		          : -1;
	if (ret > 0)
		dav_sched_done(&d, &s);
	else
		dav_sched_free(&s);
	if (ret <= 0) {
		*err_r = jmap_dav_object_error(c, k->type, id, ret);
		return -1;
	}
	return 0;
}

/* ---- /query: inCalendars, after, before (recurrences expanded), text,
 * title, uid ---- */

static int utc_arg(const char *s, int64_t *t_r)
{
	int y, mo, d, h, mi, sec;
	if (s == NULL || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ", &y, &mo, &d, &h,
	                        &mi, &sec) != 6)
		return -1;
	char buf[32];
	snprintf(buf, sizeof(buf), "%04d%02d%02dT%02d%02d%02dZ", y, mo, d, h,
	         mi, sec);
	return ical_time_parse_utc(buf, t_r);
}

static bool text_in(json_t *v, const char *needle)
{
	char *text = json_dumps(v, JSON_ENCODE_ANY);
	bool found = false;
	size_t n = strlen(needle);
	for (const char *p = text; p != NULL && *p != '\0' && !found; p++)
		found = strncasecmp(p, needle, n) == 0;
	free(text);
	return found;
}

/* Whether the member matches the text, title and uid conditions of f. */
static bool item_text_match(struct jmap_call_ctx *c, json_t *f,
                            const struct store_jmap_dav_ref *ref,
                            const struct store_dav_object *obj)
{
	if (json_object_get(f, "text") == NULL &&
	    json_object_get(f, "title") == NULL &&
	    json_object_get(f, "uid") == NULL)
		return true;
	json_t *j = item_json(c, ref, obj);
	bool ok = j != NULL;
	const char *s;
	if (ok && (s = json_string_value(json_object_get(f, "text"))) != NULL)
		ok = text_in(j, s);
	if (ok && (s = json_string_value(json_object_get(f, "title"))) != NULL)
		ok = text_in(json_object_get(j, "title"), s);
	if (ok && json_object_get(f, "uid") != NULL)
		ok = json_equal(json_object_get(j, "uid"),
		                json_object_get(f, "uid"));
	json_decref(j);
	return ok;
}

/* Reads the filter's after and before. Returns 0, or -1 after an error
 * response (a condition or sort we do not know). */
static int item_query_check(struct jmap_call_ctx *c, json_t *f, json_t *sort,
                            int64_t *after_r, int64_t *before_r)
{
	static const char *const conds[] = {
	    "inCalendars", "after", "before", "text", "title", "uid", NULL};
	*after_r = ICAL_TIME_MIN;
	*before_r = ICAL_TIME_MAX;
	const char *key;
	json_t *v;
	json_object_foreach(f, key, v)
	{
		if (!jmap_str_in(key, conds) ||
		    (strcmp(key, "after") == 0 &&
		     utc_arg(json_string_value(v), after_r) < 0) ||
		    (strcmp(key, "before") == 0 &&
		     utc_arg(json_string_value(v), before_r) < 0)) {
			jmap_error(c, JMAP_ERR_UNSUPPORTED_FILTER, "%s", key);
			return -1;
		}
	}
	if (sort != NULL && json_array_size(sort) > 0) {
		jmap_error(c, JMAP_ERR_UNSUPPORTED_SORT, NULL);
		return -1;
	}
	return 0;
}

/* The ids of the members of kind context matching f (in the store's
 * order; jmap_dav_query_ids_fn). */
static int item_query_ids(struct jmap_call_ctx *c, json_t *f, json_t *sort,
                          void *context, json_t **ids_r)
{
	const struct item_kind *k = context;
	struct jmap_ctx *ctx = jmap_call_server_ctx(c);
	int64_t after, before;
	if (item_query_check(c, f, sort, &after, &before) < 0)
		return -1;
	struct store_jmap_dav_ref *refs;
	size_t count;
	if (store_jmap_dav_list(ctx->account, k->type, 0, after, before,
	                        jmap_call_pool(c), &refs, &count) < 0) {
		jmap_error(c, JMAP_ERR_SERVER_FAIL, NULL);
		return -1;
	}
	/* the store's span narrows; each instance is tested as CalDAV's
	   time-range filter does (RFC 4791 §9.9) */
	struct ical_time_range range = {after, before};
	struct ical_comp_filter comp = {
	    .name = k->component == STORE_DAV_COMP_VEVENT  ? "VEVENT"
	            : k->component == STORE_DAV_COMP_VTODO ? "VTODO"
	                                                   : "VJOURNAL",
	    .time_range = &range};
	struct ical_comp_filter root = {.name = "VCALENDAR", .comps = &comp};
	json_t *ids = json_array();
	json_t *in = json_object_get(f, "inCalendars");
	for (size_t i = 0; i < count; i++) {
		struct store_jmap_dav_ref ref;
		struct store_dav_object obj;
		const char *id = jmap_dav_id(c, 'o', refs[i].id);
		if (jmap_dav_object(c, k->type, id, false, &ref, &obj) <= 0)
			continue;
		if (in != NULL &&
		    !text_in(in, jmap_dav_id(c, 'c', ref.collection_id)))
			continue;
		if (after != ICAL_TIME_MIN || before != ICAL_TIME_MAX) {
			struct ical_settings set;
			ical_settings_init(&set);
			struct ical_object *ical;
			const char *error;
			if (ical_object_parse(obj.data, obj.size, &set,
			                      jmap_call_pool(c), &ical,
			                      &error) < 0)
				continue;
			bool hit = ical_query_match(ical, &root, NULL);
			ical_object_free(&ical);
			if (!hit)
				continue;
		}
		if (item_text_match(c, f, &ref, &obj))
			json_array_append_new(ids, json_string(id));
	}
	*ids_r = ids;
	return 0;
}

static void item_query(struct jmap_call_ctx *c, const struct item_kind *k,
                       json_t *args)
{
	struct jmap_query q;
	if (jmap_query_parse(c, args, NULL, &q) < 0 ||
	    jmap_server_account(c, q.account_id) == NULL)
		return;
	/* the query state is the type's state, read before the result */
	const char *state = jmap_dav_state(c, k->type);
	json_t *ids;
	if (state == NULL) {
		jmap_error(c, JMAP_ERR_SERVER_FAIL, NULL);
		return;
	}
	if (item_query_ids(c, q.filter, q.sort, (void *)k, &ids) < 0)
		return;
	jmap_query_reply(c, &q, ids, state, true);
}

/* ---- one set of wrappers per kind ---- */

#define ITEM_TYPE(ix, tname)                                                   \
	static const char *tname##_state(struct jmap_call_ctx *c,              \
	                                 void *account)                        \
	{                                                                      \
		(void)account;                                                 \
		return jmap_dav_state(c, kinds[ix].type);                      \
	}                                                                      \
	static int tname##_get(struct jmap_call_ctx *c, void *account,         \
	                       json_t *args, json_t *ids, json_t *props,       \
	                       json_t *list, json_t *not_found)                \
	{                                                                      \
		(void)account;                                                 \
		return item_get(c, &kinds[ix], args, ids, props, list,         \
		                not_found);                                    \
	}                                                                      \
	static int tname##_changes(struct jmap_call_ctx *c, void *account,     \
	                           const char *since, unsigned max,            \
	                           struct jmap_changes *out)                   \
	{                                                                      \
		(void)account;                                                 \
		return jmap_dav_changes(c, kinds[ix].type, 0, since, max,      \
		                        out);                                  \
	}                                                                      \
	static const char *tname##_create(struct jmap_call_ctx *c,             \
	                                  void *account, json_t *obj,          \
	                                  json_t **extra_r, json_t **err_r)    \
	{                                                                      \
		(void)account;                                                 \
		return item_create(c, &kinds[ix], obj, extra_r, err_r);        \
	}                                                                      \
	static int tname##_update(struct jmap_call_ctx *c, void *account,      \
	                          const char *id, json_t *patch,               \
	                          json_t **err_r)                              \
	{                                                                      \
		(void)account;                                                 \
		return item_update(c, &kinds[ix], id, patch, err_r);           \
	}                                                                      \
	static int tname##_destroy(struct jmap_call_ctx *c, void *account,     \
	                           const char *id, json_t **err_r)             \
	{                                                                      \
		(void)account;                                                 \
		return item_destroy(c, &kinds[ix], id, err_r);                 \
	}                                                                      \
	static const struct jmap_type tname##_type = {                         \
	    .name = #tname,                                                    \
	    .properties = item_props,                                          \
	    .set_args = item_set_args,                                         \
	    .state = tname##_state,                                            \
	    .get = tname##_get,                                                \
	    .changes = tname##_changes,                                        \
	    .create = tname##_create,                                          \
	    .update = tname##_update,                                          \
	    .destroy = tname##_destroy,                                        \
	    .set_prepare = item_set_prepare,                                   \
	};                                                                     \
	static void tname##_get_m(struct jmap_call_ctx *c, json_t *args)       \
	{                                                                      \
		jmap_std_get(c, args, &tname##_type, jmap_server_account);     \
	}                                                                      \
	static void tname##_changes_m(struct jmap_call_ctx *c, json_t *args)   \
	{                                                                      \
		jmap_std_changes(c, args, &tname##_type, jmap_server_account); \
	}                                                                      \
	static void tname##_set_m(struct jmap_call_ctx *c, json_t *args)       \
	{                                                                      \
		jmap_std_set(c, args, &tname##_type, jmap_server_account);     \
	}                                                                      \
	static void tname##_query_m(struct jmap_call_ctx *c, json_t *args)     \
	{                                                                      \
		item_query(c, &kinds[ix], args);                               \
	}                                                                      \
	static void tname##_query_changes_m(struct jmap_call_ctx *c,           \
	                                    json_t *args)                      \
	{                                                                      \
		jmap_dav_query_changes(c, args, kinds[ix].type,                \
		                       item_query_ids, (void *)&kinds[ix]);    \
	}

ITEM_TYPE(0, CalendarEvent)
ITEM_TYPE(1, Task)
ITEM_TYPE(2, JournalEntry)

static void cal_get_m(struct jmap_call_ctx *c, json_t *args)
{
	jmap_std_get(c, args, &cal_type, jmap_server_account);
}
static void cal_changes_m(struct jmap_call_ctx *c, json_t *args)
{
	jmap_std_changes(c, args, &cal_type, jmap_server_account);
}
static void cal_set_m(struct jmap_call_ctx *c, json_t *args)
{
	jmap_std_set(c, args, &cal_type, jmap_server_account);
}

#define ITEM_METHODS(tname, cap)                                               \
	{#tname "/get", cap, tname##_get_m},                                   \
	    {#tname "/changes", cap, tname##_changes_m},                       \
	    {#tname "/set", cap, tname##_set_m},                               \
	    {#tname "/query", cap, tname##_query_m},                           \
	{                                                                      \
#tname "/queryChanges", cap, tname##_query_changes_m           \
	}

const struct jmap_method jmap_calendars_methods[] = {
    {"Calendar/get", JMAP_CAP_CALENDARS, cal_get_m},
    {"Calendar/changes", JMAP_CAP_CALENDARS, cal_changes_m},
    {"Calendar/set", JMAP_CAP_CALENDARS, cal_set_m},
    ITEM_METHODS(CalendarEvent, JMAP_CAP_CALENDARS),
    ITEM_METHODS(Task, JMAP_CAP_TASKS),
    ITEM_METHODS(JournalEntry, JMAP_CAP_JOURNAL),
};
const size_t jmap_calendars_method_count =
    sizeof(jmap_calendars_methods) / sizeof(*jmap_calendars_methods);
