/* Members and collections as whole resources: GET/HEAD (RFC 9110 §9.3.1
 * with ETag and conditional GET), PUT of a calendar object or vCard (RFC
 * 4791 §5.3.2, RFC 6352 §6.3.2: the body checked by lib/dav, the
 * preconditions answered with their DAV:error elements), DELETE (RFC 4918
 * §9.6) and COPY/MOVE of members (§9.8, §9.9) within one account.
 * Preconditions: If-Match, If-None-Match, If-Unmodified-Since (RFC 9110
 * §13) and the If header subset of dav_header.h, evaluated against the
 * member as read, then again inside the store's transaction (the write
 * names the entity-tag it saw), so a concurrent change gives 412.
 * An invalid iCalendar or vCard body is 400 (not RFC 4791's 403) with
 * valid-calendar-data / valid-address-data and the reason; a wrong media
 * type is 415. Nothing is stored then. */
#include "core/buf.h"
#include "core/pool.h"
#include "dav/dav_header.h"
#include "dav/dav_token.h"
#include "dav/dav_xml.h"
#include "dav/ical.h"
#include "dav/vcard.h"
#include "dav_server.h"
#include "http/http_request.h"
#include "http/http_response.h"
#include "httpd.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* The conditional fields of a write against the target as it is (etag
 * NULL: absent). Returns true to go on; else answers 412 (or 400 for an
 * If header that does not parse). */
static bool conditions_hold(struct dav_request *d, const char *etag,
                            time_t updated)
{
	struct http_validators v = {
	    .etag = etag, .last_modified = updated, .exists = etag != NULL};
	unsigned status = http_request_check_preconditions(d->req, &v);
	if (status != 0) {
		dav_error(d, 412, NULL, NULL, NULL, "precondition failed");
		return false;
	}
	const char *value = http_request_header(d->req, "If");
	struct dav_if hdr;
	if (value == NULL)
		return true;
	if (dav_header_if_parse(value, d->pool, &hdr) < 0) {
		dav_error(d, 400, NULL, NULL, NULL, "bad If header");
		return false;
	}
	if (!dav_header_if_holds(&hdr, d->target.path, etag)) {
		dav_error(d, 412, NULL, NULL, NULL, "If header does not hold");
		return false;
	}
	return true;
}

void dav_get(struct dav_request *d)
{
	if (d->target.kind != DAV_TARGET_OBJECT) {
		if (d->target.kind == DAV_TARGET_COLLECTION && !d->has_coll) {
			dav_error(d, 404, NULL, NULL, NULL, "not found");
			return;
		}
		struct http_response *resp = http_response_new(d->req, 200);
		http_response_send_text(
		    resp, "Postroom CalDAV and CardDAV: %s\n", d->target.path);
		return;
	}
	struct store_dav_object obj;
	int ret = d->has_obj
	              ? store_dav_object_get(d->account, d->coll.id,
	                                     d->obj.name, true, d->pool, &obj)
	              : 0;
	if (ret < 0) {
		dav_fail(d, "object_get");
		return;
	}
	if (ret == 0) {
		dav_error(d, 404, NULL, NULL, NULL, "not found");
		return;
	}
	struct http_validators v = {
	    .etag = obj.etag, .last_modified = obj.updated, .exists = true};
	struct http_response *resp = http_response_new(d->req, 200);
	http_response_set_type(resp, obj.content_type);
	http_response_set_validators(resp, &v);
	http_response_send_data(resp, obj.data, obj.size);
}

static bool type_is(const char *type, const char *want)
{
	size_t len = strlen(want);
	return strncasecmp(type, want, len) == 0 &&
	       (type[len] == '\0' || type[len] == ';' || type[len] == ' ');
}

/* The media type check (RFC 4791 §5.3.2, RFC 6352 §6.3.2.1). */
static bool type_is_acceptable(struct dav_request *d)
{
	const char *type = http_request_header(d->req, "Content-Type");
	if (type == NULL)
		return true;
	if (d->target.store_kind == STORE_DAV_CALENDAR)
		return type_is(type, "text/calendar");
	return type_is(type, "text/vcard") || type_is(type, "text/x-vcard") ||
	       type_is(type, "text/directory");
}

/* Validates a calendar body. Returns 0 with the row's fields in obj and
 * the parsed object in *ical_r (to free), or -1 after answering. */
static int calendar_check(struct dav_request *d, const unsigned char *data,
                          size_t size, struct store_dav_object *obj,
                          struct ical_object **ical_r)
{
	struct ical_settings set;
	ical_settings_init(&set);
	set.max_size = d->coll.max_resource_size;
	struct ical_object *ical;
	const char *error;
	if (ical_object_parse(data, size, &set, d->pool, &ical, &error) < 0) {
		dav_error(d, 400, DAV_NS_CALDAV, "valid-calendar-data", NULL,
		          error);
		return -1;
	}
	int ret = 0;
	if ((ical_object_kind(ical) & d->coll.components) == 0) {
		dav_error(d, 403, DAV_NS_CALDAV, "supported-calendar-component",
		          NULL, "this calendar does not take that component");
		ret = -1;
	} else {
		obj->uid = pool_strdup(d->pool, ical_object_uid(ical));
		obj->component = ical_object_kind(ical);
		obj->is_recurring = ical_object_is_recurring(ical);
		ical_object_span(ical, &obj->time_start, &obj->time_end);
		obj->content_type = "text/calendar; charset=utf-8";
		*ical_r = ical;
		return 0;
	}
	ical_object_free(&ical);
	return ret;
}

static int card_check(struct dav_request *d, const unsigned char *data,
                      size_t size, struct store_dav_object *obj)
{
	struct vcard_settings set;
	vcard_settings_init(&set);
	struct vcard *card;
	const char *error;
	if (vcard_parse_resource(data, size, &set, d->pool, &card, &error) <
	    0) {
		dav_error(d, 400, DAV_NS_CARDDAV, "valid-address-data", NULL,
		          error);
		return -1;
	}
	obj->uid = card->uid;
	obj->time_start = STORE_DAV_TIME_MIN;
	obj->time_end = STORE_DAV_TIME_MAX;
	obj->content_type = "text/vcard; charset=utf-8";
	return 0;
}

static const char *ns_of(const struct dav_request *d)
{
	return d->target.store_kind == STORE_DAV_CALENDAR ? DAV_NS_CALDAV
	                                                  : DAV_NS_CARDDAV;
}

/* The store's refusal of a put or copy, answered. */
static void write_refused(struct dav_request *d, int ret, const char *uid)
{
	const char *holder = NULL;
	switch (ret) {
	case STORE_DAV_PRECONDITION:
	case STORE_DAV_EXISTS:
		dav_error(d, 412, NULL, NULL, NULL,
		          ret == STORE_DAV_EXISTS ? "destination exists"
		                                  : "changed meanwhile");
		return;
	case STORE_DAV_UID_CONFLICT:
		if (uid != NULL &&
		    store_dav_object_find_uid(d->account, d->coll.id, uid,
		                              d->pool, &holder) == 1)
			holder = dav_member_path(d, holder);
		dav_error(d, 403, ns_of(d), "no-uid-conflict", holder,
		          "another resource of this collection has the UID");
		return;
	case STORE_DAV_NOT_FOUND:
		dav_error(d, 404, NULL, NULL, NULL, "gone meanwhile");
		return;
	default:
		dav_fail(d, "write");
		return;
	}
}

/* RFC 4331 §6: would size more bytes (in place of replaced ones) take
 * the owner past its quota, which covers its mail and its DAV data?
 * Returns 1 (yes), 0, or -1 after a store failure. */
static int quota_exceeded(struct dav_request *d, uint64_t size,
                          uint64_t replaced)
{
	struct store_account_info info;
	uint64_t mail, messages, dav;
	if (d->owner == NULL)
		return 0;
	int ret =
	    store_account_lookup(d->httpd->store, d->owner, d->pool, &info);
	if (ret <= 0 || info.quota == 0)
		return ret < 0 ? -1 : 0;
	if (store_account_usage(d->account, &mail, &messages) < 0 ||
	    store_dav_usage(d->account, &dav) < 0)
		return -1;
	return mail + dav - (replaced < dav ? replaced : dav) + size >
	       info.quota;
}

static void put_body(struct dav_request *d, const unsigned char *data,
                     size_t size)
{
	if (size > d->coll.max_resource_size) {
		dav_error(d, 403, ns_of(d), "max-resource-size", NULL,
		          "larger than max-resource-size");
		return;
	}
	struct store_dav_object obj = {.name = d->target.obj_name};
	struct ical_object *ical = NULL;
	int ret = d->target.store_kind == STORE_DAV_CALENDAR
	              ? calendar_check(d, data, size, &obj, &ical)
	              : card_check(d, data, size, &obj);
	if (ret < 0)
		return;
	ret = quota_exceeded(d, size, d->has_obj ? d->obj.size : 0);
	if (ret != 0) {
		ical_object_free(&ical);
		if (ret < 0)
			dav_fail(d, "quota");
		else
			dav_error(d, 507, DAV_NS, "quota-not-exceeded", NULL,
			          "the account's quota is full");
		return;
	}
	/* RFC 6638: what scheduling will send; SCHEDULE-STATUS may change
	 * the bytes stored */
	bool is_changed = false;
	struct dav_sched *sched =
	    ical != NULL ? dav_sched_put(d, ical, &data, &size, &is_changed)
	                 : NULL;
	obj.data = data;
	obj.size = size;
	char etag[DAV_TOKEN_ETAG_LEN + 1];
	dav_token_etag(data, size, etag);
	obj.etag = etag;
	bool created;
	uint64_t modseq;
	const char *error;
	ret = store_dav_object_put(d->account, d->coll.id, &obj,
	                           d->has_obj ? d->obj.etag : NULL, !d->has_obj,
	                           time(NULL), &created, &modseq, &error);
	if (ret != 0) {
		dav_sched_free(&sched);
		ical_object_free(&ical);
		write_refused(d, ret, obj.uid);
		return;
	}
	dav_sched_done(d, &sched);
	ical_object_free(&ical);
	struct http_response *resp =
	    http_response_new(d->req, created ? 201 : 204);
	/* the bytes are stored as sent, so the tag is theirs (RFC 4791
	 * §5.3.4); not when scheduling added SCHEDULE-STATUS */
	if (!is_changed)
		http_response_add_header(resp, "ETag", "%s", etag);
	http_response_send_empty(resp);
}

void dav_put(struct dav_request *d)
{
	if (d->target.kind != DAV_TARGET_OBJECT) {
		dav_error(d, 405, NULL, NULL, NULL,
		          "PUT goes to a member of a collection");
		return;
	}
	if (!d->has_coll) {
		dav_error(d, 409, NULL, NULL, NULL, "no such collection");
		return;
	}
	if (d->access < STORE_DAV_ACCESS_READ_WRITE ||
	    d->coll.kind > STORE_DAV_ADDRESSBOOK) {
		dav_error(d, 403, DAV_NS, "need-privileges", NULL,
		          d->coll.kind > STORE_DAV_ADDRESSBOOK
		              ? "the server alone writes into the schedule "
		                "inbox and outbox"
		              : "read only");
		return;
	}
	if (!type_is_acceptable(d)) {
		dav_error(d, 415,
		          d->target.store_kind == STORE_DAV_CALENDAR
		              ? DAV_NS_CALDAV
		              : DAV_NS_CARDDAV,
		          d->target.store_kind == STORE_DAV_CALENDAR
		              ? "supported-calendar-data"
		              : "supported-address-data",
		          NULL,
		          d->target.store_kind == STORE_DAV_CALENDAR
		              ? "only text/calendar goes into a calendar"
		              : "only text/vcard goes into an address book");
		return;
	}
	const char *length = http_request_header(d->req, "Content-Length");
	if (length != NULL &&
	    strtoull(length, NULL, 10) > d->coll.max_resource_size) {
		dav_error(d, 403, ns_of(d), "max-resource-size", NULL,
		          "larger than max-resource-size");
		return;
	}
	if (!conditions_hold(d, d->has_obj ? d->obj.etag : NULL,
	                     d->has_obj ? d->obj.updated : 0))
		return;
	dav_read_body(d, put_body);
}

void dav_delete(struct dav_request *d)
{
	const char *error;
	int ret;
	if (d->target.kind == DAV_TARGET_COLLECTION && d->has_coll &&
	    (d->is_share || d->is_directory)) {
		dav_share_leave(d);
		return;
	}
	if (d->target.kind == DAV_TARGET_COLLECTION && d->has_coll) {
		if (d->access != STORE_DAV_ACCESS_OWNER ||
		    d->coll.kind > STORE_DAV_ADDRESSBOOK) {
			dav_error(d, 403, DAV_NS, "need-privileges", NULL,
			          "only the owner deletes a collection");
			return;
		}
		ret =
		    store_dav_collection_delete(d->account, d->coll.id, &error);
	} else if (d->target.kind == DAV_TARGET_OBJECT && d->has_obj) {
		if (d->access < STORE_DAV_ACCESS_READ_WRITE) {
			dav_error(d, 403, DAV_NS, "need-privileges", NULL,
			          "read only");
			return;
		}
		if (!conditions_hold(d, d->obj.etag, d->obj.updated))
			return;
		struct dav_sched *sched = dav_sched_delete(d);
		ret = store_dav_object_delete(d->account, d->coll.id,
		                              d->obj.name, d->obj.etag, &error);
		if (ret == 0)
			dav_sched_done(d, &sched);
		else
			dav_sched_free(&sched);
	} else if (d->target.kind == DAV_TARGET_COLLECTION ||
	           d->target.kind == DAV_TARGET_OBJECT) {
		dav_error(d, 404, NULL, NULL, NULL, "not found");
		return;
	} else {
		dav_error(d, 403, NULL, NULL, NULL, "this cannot be deleted");
		return;
	}
	if (ret != 0) {
		write_refused(d, ret, NULL);
		return;
	}
	http_response_send_empty(http_response_new(d->req, 204));
}

/* The destination of a COPY or MOVE: a member path in a collection of
 * the same account and kind that the user may write (through the same
 * path or another: a share in its home names the owner's collection).
 * Returns 0 with *coll_r, *path_r (the destination collection's path) and
 * *name_r, or -1 after answering. */
static int destination_get(struct dav_request *d,
                           struct store_dav_collection *coll_r,
                           const char **path_r, const char **name_r)
{
	const char *path, *error;
	struct dav_target t;
	struct dav_location loc;
	int ret = dav_header_destination(
	    http_request_header(d->req, "Destination"),
	    http_request_header(d->req, "Host"), d->pool, &path, &error);
	if (ret != 0) {
		dav_error(d, ret > 0 ? 502 : 400, NULL, NULL, NULL,
		          ret > 0 ? "Destination is on another server" : error);
		return -1;
	}
	if (dav_target_parse(path, d->pool, &t) < 0 ||
	    t.kind != DAV_TARGET_OBJECT ||
	    t.store_kind != d->target.store_kind) {
		dav_error(d, 403, NULL, NULL, NULL,
		          "Destination is not a member of a collection");
		return -1;
	}
	ret = dav_collection_locate(d, &t, &loc);
	if (ret < 0)
		return (dav_fail(d, "locate"), -1);
	if (ret > 0 && (loc.owner == NULL || d->owner == NULL ||
	                strcmp(loc.owner, d->owner) != 0)) {
		dav_cache_release(&loc.account);
		dav_error(d, 403, DAV_NS, "need-privileges", NULL,
		          "COPY and MOVE stay within one account");
		return -1;
	}
	dav_cache_release(&loc.account);
	if (ret == 0) {
		/* another account's collection, or none: which of the two
		 * is not told */
		dav_error(d, strcmp(t.owner, d->user) == 0 ? 409 : 403,
		          strcmp(t.owner, d->user) == 0 ? NULL : DAV_NS,
		          strcmp(t.owner, d->user) == 0 ? NULL
		                                        : "need-privileges",
		          NULL,
		          strcmp(t.owner, d->user) == 0
		              ? "Destination collection does not exist"
		              : "COPY and MOVE stay within one account");
		return -1;
	}
	if (loc.access < STORE_DAV_ACCESS_READ_WRITE ||
	    loc.coll.kind > STORE_DAV_ADDRESSBOOK) {
		dav_error(d, 403, DAV_NS, "need-privileges", NULL,
		          "Destination is read only");
		return -1;
	}
	*coll_r = loc.coll;
	*path_r = loc.path;
	*name_r = t.obj_name;
	return 0;
}

void dav_copy_move(struct dav_request *d)
{
	bool move = http_request_method(d->req) == HTTP_METHOD_MOVE;
	if (d->target.kind != DAV_TARGET_OBJECT) {
		dav_error(d, 403, NULL, NULL, NULL,
		          "only members are copied or moved");
		return;
	}
	if (!d->has_obj) {
		dav_error(d, 404, NULL, NULL, NULL, "not found");
		return;
	}
	if (d->coll.kind > STORE_DAV_ADDRESSBOOK) {
		dav_error(d, 403, NULL, NULL, NULL,
		          "scheduling messages are not copied or moved");
		return;
	}
	if (move && d->access < STORE_DAV_ACCESS_READ_WRITE) {
		dav_error(d, 403, DAV_NS, "need-privileges", NULL, "read only");
		return;
	}
	bool overwrite;
	if (dav_header_overwrite(http_request_header(d->req, "Overwrite"),
	                         &overwrite) < 0) {
		dav_error(d, 400, NULL, NULL, NULL, "bad Overwrite");
		return;
	}
	struct store_dav_collection dest;
	const char *name, *error, *dest_path;
	if (destination_get(d, &dest, &dest_path, &name) < 0 ||
	    !conditions_hold(d, d->obj.etag, d->obj.updated))
		return;
	if (dest.kind == STORE_DAV_CALENDAR &&
	    (d->obj.component & dest.components) == 0) {
		dav_error(d, 403, DAV_NS_CALDAV, "supported-calendar-component",
		          NULL, "the destination does not take that component");
		return;
	}
	if (d->obj.size > dest.max_resource_size) {
		dav_error(d, 403, ns_of(d), "max-resource-size", NULL,
		          "larger than the destination's max-resource-size");
		return;
	}
	if (dest.id == d->coll.id && strcmp(name, d->obj.name) == 0) {
		dav_error(d, 403, NULL, NULL, NULL,
		          "source and destination are the same");
		return;
	}
	int full = move ? 0 : quota_exceeded(d, d->obj.size, 0);
	if (full != 0) {
		if (full < 0)
			dav_fail(d, "quota");
		else
			dav_error(d, 507, DAV_NS, "quota-not-exceeded", NULL,
			          "the account's quota is full");
		return;
	}
	bool created;
	int ret = store_dav_object_copy(d->account, d->coll.id, d->obj.name,
	                                dest.id, name, move, overwrite,
	                                time(NULL), &created, &error);
	if (ret != 0) {
		/* a conflict names the destination's holder */
		d->coll = dest;
		d->coll_path = dest_path;
		write_refused(d, ret, d->obj.uid);
		return;
	}
	http_response_send_empty(
	    http_response_new(d->req, created ? 201 : 204));
}
