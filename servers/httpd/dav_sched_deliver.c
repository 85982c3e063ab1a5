/* Scheduling messages for accounts of this server (RFC 6638 §3.2:
 * the server delivers them itself, no mail involved): each goes into the
 * account's schedule inbox, and is processed at once (the server's
 * choice, §3.2 "automatic processing"): an organizer's REQUEST makes or
 * updates the attendee's copy of the event (in the calendar that holds
 * the UID, else the first that takes the component, "calendar"
 * first), keeping the answer the attendee gave; a CANCEL marks the copy
 * CANCELLED; an attendee's REPLY sets its PARTSTAT in the organizer's
 * copy. Each write names the entity-tag it read, and is tried again once
 * when another write came between. */
#include "core/buf.h"
#include "core/digest.h"
#include "core/log.h"
#include "core/pool.h"
#include "dav/dav_token.h"
#include "dav/ical.h"
#include "dav/ical_itip.h"
#include "dav_server.h"
#include "httpd.h"
#include "store/store.h"

#include <string.h>
#include <time.h>

#define SCHED_TRIES 2

/* A member name for uid: itself when it is short and plain, else its
 * SHA-256. */
static const char *uid_name(struct pool *pool, const char *uid)
{
	size_t len = strlen(uid);
	bool plain = len > 0 && len <= 200;
	for (const char *p = uid; plain && *p != '\0'; p++)
		plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		        (*p >= '0' && *p <= '9') || strchr("-_.@", *p) != NULL;
	if (plain)
		return pool_printf(pool, "%s.ics", uid);
	char hex[65];
	digest_sha256_hex(uid, len, hex);
	return pool_printf(pool, "%s.ics", hex);
}

/* Stores text (a calendar object, or an iTIP message when is_message) as
 * member name of coll_id. Returns 0 or a store_dav_object_put outcome. */
static int object_store(struct store_account *account, int64_t coll_id,
                        const char *name, const char *text, bool is_message,
                        const char *if_match, bool if_none_match,
                        struct pool *pool)
{
	struct ical_settings set;
	ical_settings_init(&set);
	set.allow_method = is_message;
	struct ical_object *obj;
	const char *error;
	size_t size = strlen(text);
	if (ical_object_parse((const unsigned char *)text, size, &set, pool,
	                      &obj, &error) < 0) {
		log_error(NULL, "dav sched-invalid name=%s reason=\"%s\"", name,
		          error);
		return -1;
	}
	char etag[DAV_TOKEN_ETAG_LEN + 1];
	dav_token_etag(text, size, etag);
	struct store_dav_object o = {
	    .name = name,
	    /* inbox messages may share a UID: each is its own */
	    .uid = is_message ? name : pool_strdup(pool, ical_object_uid(obj)),
	    .etag = etag,
	    .content_type = "text/calendar; charset=utf-8",
	    .data = (const unsigned char *)text,
	    .size = size,
	    .component = ical_object_kind(obj),
	    .is_recurring = ical_object_is_recurring(obj),
	};
	ical_object_span(obj, &o.time_start, &o.time_end);
	ical_object_free(&obj);
	bool created;
	uint64_t modseq;
	return store_dav_object_put(account, coll_id, &o, if_match,
	                            if_none_match, time(NULL), &created,
	                            &modseq, &error);
}

/* Puts a message into account's schedule inbox. */
static int inbox_add(struct dav_request *d, struct store_account *account,
                     const char *text)
{
	struct store_dav_collection box;
	char hex[65];
	const char *seed = pool_printf(d->pool, "%s/%lld/%p", text,
	                               (long long)time(NULL), (void *)d);
	digest_sha256_hex(seed, strlen(seed), hex);
	hex[32] = '\0';
	if (store_dav_schedule_box(account, STORE_DAV_SCHEDULE_INBOX, d->pool,
	                           &box) < 0)
		return -1;
	return object_store(account, box.id,
	                    pool_printf(d->pool, "%s.ics", hex), text, true,
	                    NULL, true, d->pool) == 0
	           ? 0
	           : -1;
}

/* The calendar a new copy of kind goes to: "calendar" when it takes the
 * kind, else the first that does. Returns 1, 0 (none), -1. */
static int default_calendar(struct store_account *account, unsigned kind,
                            struct pool *pool,
                            struct store_dav_collection *coll_r)
{
	struct store_dav_collection *colls;
	size_t count;
	int found = 0;
	if (store_dav_collections(account, STORE_DAV_CALENDAR, pool, &colls,
	                          &count) < 0)
		return -1;
	for (size_t i = 0; i < count; i++) {
		if ((colls[i].components & kind) == 0)
			continue;
		if (found == 0 || strcmp(colls[i].name, "calendar") == 0)
			*coll_r = colls[i];
		found = 1;
	}
	return found;
}

/* Parses a stored calendar object. */
static struct ical_object *stored_parse(const struct store_dav_object *o,
                                        struct pool *pool)
{
	struct ical_settings set;
	ical_settings_init(&set);
	struct ical_object *obj = NULL;
	const char *error;
	if (ical_object_parse(o->data, o->size, &set, pool, &obj, &error) < 0)
		return NULL;
	return obj;
}

/* One try at the attendee's copy. Returns 0, STORE_DAV_PRECONDITION (try
 * again), or -1. */
static int copy_update(struct dav_request *d, struct store_account *account,
                       const char *attendee, const struct ical_object *msg,
                       bool is_cancel)
{
	struct store_dav_collection coll;
	struct store_dav_object old;
	struct buf text;
	int ret = store_dav_object_find_any(account, STORE_DAV_CALENDAR,
	                                    ical_object_uid(msg), d->pool,
	                                    &coll, &old);
	if (ret < 0 || (ret == 0 && is_cancel))
		return ret; /* a cancel of nothing: done */
	struct ical_object *was = ret == 1 ? stored_parse(&old, d->pool) : NULL;
	if (ret == 0 && default_calendar(account, ical_object_kind(msg),
	                                 d->pool, &coll) <= 0)
		return -1;
	buf_init(&text);
	if (is_cancel && was != NULL)
		ical_itip_write_cancelled(was, &text);
	else if (!is_cancel)
		ical_itip_write_attendee_copy(msg, was, attendee, &text);
	ret = text.len == 0
	          ? -1
	          : object_store(
	                account, coll.id,
	                was != NULL ? old.name
	                            : uid_name(d->pool, ical_object_uid(msg)),
	                text.data, false, was != NULL ? old.etag : NULL,
	                was == NULL, d->pool);
	ical_object_free(&was);
	buf_deinit(&text);
	return ret;
}

int dav_sched_deliver_request(struct dav_request *d, const char *account,
                              const char *attendee,
                              const struct ical_object *msg, const char *text)
{
	struct store_account *a;
	const char *error;
	bool is_cancel = strcmp(ical_object_method(msg), "CANCEL") == 0;
	if (dav_cache_open(d->httpd, account, &a, &error) < 0) {
		log_error(NULL, "dav sched-failed to=%s error=%s",
		          log_sanitize(account, 200), error);
		return -1;
	}
	int ret = inbox_add(d, a, text);
	for (int i = 0; ret == 0 && i < SCHED_TRIES; i++) {
		ret = copy_update(d, a, attendee, msg, is_cancel);
		if (ret != STORE_DAV_PRECONDITION)
			break;
	}
	if (ret != 0)
		log_error(NULL, "dav sched-failed to=%s uid=%s error=\"%s\"",
		          log_sanitize(account, 200),
		          log_sanitize(ical_object_uid(msg), 200),
		          store_dav_last_error(a));
	else
		log_info(NULL, "dav sched-delivered method=%s to=%s uid=%s",
		         ical_object_method(msg), log_sanitize(account, 200),
		         log_sanitize(ical_object_uid(msg), 200));
	dav_cache_release(&a);
	return ret == 0 ? 0 : -1;
}

/* One try at the organizer's copy. Returns 0, 1 (nothing to change),
 * STORE_DAV_PRECONDITION, or -1. */
static int reply_apply(struct dav_request *d, struct store_account *account,
                       const struct ical_object *reply)
{
	struct store_dav_collection coll;
	struct store_dav_object o;
	int ret = store_dav_object_find_any(account, STORE_DAV_CALENDAR,
	                                    ical_object_uid(reply), d->pool,
	                                    &coll, &o);
	if (ret <= 0)
		return ret < 0 ? -1 : 1;
	struct ical_object *org = stored_parse(&o, d->pool);
	if (org == NULL)
		return -1;
	struct buf text;
	buf_init(&text);
	const char *who, *partstat;
	ret =
	    ical_itip_apply_reply(org, reply, d->pool, &who, &partstat, &text);
	if (ret == 1)
		ret = object_store(account, coll.id, o.name, text.data, false,
		                   o.etag, false, d->pool);
	else
		ret = 1;
	ical_object_free(&org);
	buf_deinit(&text);
	return ret;
}

int dav_sched_deliver_reply(struct dav_request *d, const char *account,
                            const struct ical_object *reply, const char *text)
{
	struct store_account *a;
	const char *error;
	if (dav_cache_open(d->httpd, account, &a, &error) < 0) {
		log_error(NULL, "dav sched-failed to=%s error=%s",
		          log_sanitize(account, 200), error);
		return -1;
	}
	int ret = 0;
	for (int i = 0; i < SCHED_TRIES; i++) {
		ret = reply_apply(d, a, reply);
		if (ret != STORE_DAV_PRECONDITION)
			break;
	}
	if (ret == 0)
		ret = inbox_add(d, a, text);
	if (ret != 0)
		log_info(NULL, "dav sched-reply-dropped to=%s uid=%s reason=%s",
		         log_sanitize(account, 200),
		         log_sanitize(ical_object_uid(reply), 200),
		         ret == 1 ? "no such event or attendee"
		                  : "store failure");
	else
		log_info(NULL, "dav sched-delivered method=REPLY to=%s uid=%s",
		         log_sanitize(account, 200),
		         log_sanitize(ical_object_uid(reply), 200));
	dav_cache_release(&a);
	return ret == 0 ? 0 : -1;
}
