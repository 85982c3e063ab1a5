/* iMIP REPLY messages applied to the organizer's event (deliver_imip.h).
 * The message is parsed with lib/mime; the first text/calendar part
 * whose method parameter (RFC 6047 §2.4), or failing that whose METHOD,
 * is REPLY is decoded (transfer encoding, charset) and read by lib/dav;
 * the REPLY's ORGANIZER must be an address of the receiving account
 * (one it may send as), and its one ATTENDEE the From address. The
 * account's calendars are searched for the UID; the attendee's PARTSTAT
 * is set there (with SCHEDULE-STATUS 2.0) by a write that names the
 * entity-tag it read, tried again once after a concurrent change, and
 * the REPLY goes into the account's schedule inbox. */
#include "deliver/deliver_imip.h"
#include "core/buf.h"
#include "core/digest.h"
#include "core/log.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "dav/dav_token.h"
#include "dav/ical.h"
#include "dav/ical_itip.h"
#include "mime/mime.h"
#include "mime/mime_address.h"
#include "mime/mime_decode.h"
#include "store/store.h"
#include "store/store_dav.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define IMIP_TRIES 2

static bool contains_nocase(const unsigned char *data, size_t size,
                            const char *word)
{
	size_t n = strlen(word);
	for (size_t i = 0; i + n <= size; i++) {
		if (strncasecmp((const char *)data + i, word, n) == 0)
			return true;
	}
	return false;
}

bool deliver_imip_is_authentic(const unsigned char *data,
                               const struct mime_part *root,
                               bool is_quarantined)
{
	if (is_quarantined)
		return false;
	struct mime_header_iter iter;
	struct mime_header_field f;
	mime_header_iter_init(&iter, data, root);
	while (mime_header_iter_next(&iter, &f) > 0) {
		if (f.name_len == 22 &&
		    strncasecmp((const char *)f.name, "Authentication-Results",
		                22) == 0 &&
		    contains_nocase(f.value, f.value_len, "dmarc=fail"))
			return false;
	}
	return true;
}

/* The first text/calendar leaf under part with method REPLY. */
static const struct mime_part *reply_part(const unsigned char *data,
                                          const struct mime_part *part)
{
	if (part->children != NULL) {
		for (const struct mime_part *c = part->children; c != NULL;
		     c = c->next) {
			const struct mime_part *r = reply_part(data, c);
			if (r != NULL)
				return r;
		}
		return NULL;
	}
	if (!mime_part_is(part, "text", "calendar"))
		return NULL;
	const char *method =
	    mime_param_get(part->params, part->param_count, "method", NULL);
	if (method != NULL && strcasecmp(method, "REPLY") != 0)
		return NULL;
	return part;
}

/* The iTIP object of part, decoded. Returns it (to free) or NULL. */
static struct ical_object *part_read(const unsigned char *data,
                                     const struct mime_part *part,
                                     struct pool *pool, const char **why_r)
{
	struct buf raw, text;
	buf_init(&raw);
	buf_init(&text);
	struct ical_object *obj = NULL;
	*why_r = "unknown transfer encoding";
	if (mime_decode_transfer(part->encoding, data + part->body_offset,
	                         part->end_offset - part->body_offset,
	                         &raw) == 0) {
		mime_decode_charset(
		    mime_param_get(part->params, part->param_count, "charset",
		                   NULL),
		    (const unsigned char *)raw.data, raw.len, &text);
		struct ical_settings set;
		ical_settings_init(&set);
		set.allow_method = true;
		if (ical_object_parse((const unsigned char *)text.data,
		                      text.len, &set, pool, &obj, why_r) == 0 &&
		    (ical_object_method(obj) == NULL ||
		     strcmp(ical_object_method(obj), "REPLY") != 0)) {
			*why_r = "not a REPLY";
			ical_object_free(&obj);
		}
	}
	buf_deinit(&raw);
	buf_deinit(&text);
	return obj;
}

/* The From address of the message, lowercased, or NULL. */
static const char *from_address(const unsigned char *data,
                                const struct mime_part *root, struct pool *pool)
{
	const char *from = mime_header_get(data, root, "From", pool);
	struct mime_address *list;
	if (from == NULL ||
	    mime_address_parse((const unsigned char *)from, strlen(from), pool,
	                       &list) <= 0 ||
	    list->host == NULL || list->next != NULL)
		return NULL;
	return ical_itip_address(
	    pool_printf(pool, "mailto:%s@%s", list->mailbox, list->host), pool);
}

/* Stores text as member name of coll_id (a calendar object, or an iTIP
 * message when is_message). Returns 0 or a store_dav_object_put
 * outcome. */
static int object_store(struct store_account *account, int64_t coll_id,
                        const char *name, const char *text, bool is_message,
                        const char *if_match, struct pool *pool)
{
	struct ical_settings set;
	ical_settings_init(&set);
	set.allow_method = is_message;
	struct ical_object *obj;
	const char *error;
	size_t size = strlen(text);
	if (ical_object_parse((const unsigned char *)text, size, &set, pool,
	                      &obj, &error) < 0)
		return -1;
	char etag[DAV_TOKEN_ETAG_LEN + 1];
	dav_token_etag(text, size, etag);
	struct store_dav_object o = {
	    .name = name,
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
	                            if_match == NULL, time(NULL), &created,
	                            &modseq, &error);
}

/* One try at the organizer's copy. Returns 0, 1 (no such event or
 * attendee), STORE_DAV_PRECONDITION, or -1. */
static int copy_update(struct store_account *account,
                       const struct ical_object *reply, struct pool *pool,
                       const char **partstat_r)
{
	struct store_dav_collection coll;
	struct store_dav_object o;
	struct ical_settings set;
	ical_settings_init(&set);
	int ret =
	    store_dav_object_find_any(account, STORE_DAV_CALENDAR,
	                              ical_object_uid(reply), pool, &coll, &o);
	if (ret <= 0)
		return ret < 0 ? -1 : 1;
	struct ical_object *org;
	const char *error, *who;
	if (ical_object_parse(o.data, o.size, &set, pool, &org, &error) < 0)
		return 1;
	struct buf text;
	buf_init(&text);
	ret = ical_itip_apply_reply(org, reply, pool, &who, partstat_r, &text);
	ret = ret == 1 ? object_store(account, coll.id, o.name, text.data,
	                              false, o.etag, pool)
	               : 1;
	ical_object_free(&org);
	buf_deinit(&text);
	return ret;
}

/* Applies reply to account (its organizer). */
static enum deliver_imip_result apply(struct store *store, const char *account,
                                      const struct ical_object *reply,
                                      const struct ical_itip *it,
                                      struct pool *pool)
{
	struct store_account *a;
	const char *error, *partstat = "";
	if (store_account_open(store, account, &a, &error) < 0) {
		log_error(NULL, "imip store-failed to=<%s> error=%s",
		          log_sanitize(account, 200), error);
		return DELIVER_IMIP_FAILED;
	}
	int ret = 0;
	for (int i = 0; i < IMIP_TRIES; i++) {
		ret = copy_update(a, reply, pool, &partstat);
		if (ret != STORE_DAV_PRECONDITION)
			break;
	}
	struct store_dav_collection box;
	if (ret == 0) {
		struct buf text;
		buf_init(&text);
		ical_object_write(reply, &text);
		char hex[65];
		digest_sha256_hex(text.data, text.len, hex);
		hex[32] = '\0';
		if (store_dav_schedule_box(a, STORE_DAV_SCHEDULE_INBOX, pool,
		                           &box) == 0)
			(void)object_store(a, box.id,
			                   pool_printf(pool, "%s.ics", hex),
			                   text.data, true, NULL, pool);
		buf_deinit(&text);
		log_info(NULL,
		         "imip reply-applied to=<%s> uid=%s attendee=<%s> "
		         "partstat=%s",
		         log_sanitize(account, 200), log_sanitize(it->uid, 200),
		         log_sanitize(it->attendees[0].address, 200),
		         log_sanitize(partstat, 40));
	} else if (ret == 1) {
		log_info(NULL,
		         "imip reply-refused to=<%s> uid=%s reason=\"no such "
		         "event or attendee\"",
		         log_sanitize(account, 200),
		         log_sanitize(it->uid, 200));
	} else {
		log_error(NULL, "imip store-failed to=<%s> error=\"%s\"",
		          log_sanitize(account, 200), store_dav_last_error(a));
	}
	store_account_close(&a);
	return ret == 0   ? DELIVER_IMIP_APPLIED
	       : ret == 1 ? DELIVER_IMIP_REFUSED
	                  : DELIVER_IMIP_FAILED;
}

/* Why reply, in a message with From from, may not speak for its
 * attendee to account; NULL when it may. */
static const char *reply_check(struct store *store, const char *account,
                               const struct ical_itip *it, const char *from)
{
	if (it->organizer == NULL ||
	    store_sender_allowed(store, account, it->organizer) != 1)
		return "the organizer is not this account";
	if (it->attendee_count != 1)
		return "not one attendee";
	if (from == NULL || strcmp(from, it->attendees[0].address) != 0)
		return "From is not the attendee";
	return NULL;
}

enum deliver_imip_result deliver_imip_apply(struct store *store,
                                            const unsigned char *data,
                                            size_t size, const char *account,
                                            bool is_quarantined)
{
	if (!contains_nocase(data, size, "text/calendar"))
		return DELIVER_IMIP_NONE;
	struct pool *pool = pool_new();
	struct mime_settings set;
	mime_settings_init(&set);
	struct mime_part *root = mime_parse(data, size, &set, pool);
	const struct mime_part *part = reply_part(data, root);
	const char *why = NULL;
	struct ical_object *reply =
	    part != NULL ? part_read(data, part, pool, &why) : NULL;
	enum deliver_imip_result ret = DELIVER_IMIP_NONE;
	if (reply != NULL) {
		struct ical_itip it;
		ical_itip_read(reply, pool, &it);
		why = reply_check(store, account, &it,
		                  from_address(data, root, pool));
		if (why == NULL &&
		    !deliver_imip_is_authentic(data, root, is_quarantined))
			why = "DMARC failed";
		if (why == NULL)
			ret = apply(store, account, reply, &it, pool);
		ical_object_free(&reply);
	}
	if (why != NULL && part != NULL && strcmp(why, "not a REPLY") != 0) {
		log_info(NULL, "imip reply-refused to=<%s> reason=\"%s\"",
		         log_sanitize(account, 200), why);
		ret = DELIVER_IMIP_REFUSED;
	}
	pool_free(&pool);
	return ret;
}

void deliver_imip(struct store *store, int fd, off_t offset, uint64_t size,
                  const char *account, bool is_quarantined)
{
	if (size > DELIVER_IMIP_MAX || fd < 0)
		return;
	unsigned char *data = xmalloc(size + 1);
	uint64_t got = 0;
	while (got < size) {
		ssize_t n =
		    pread(fd, data + got, size - got, offset + (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (uint64_t)n;
	}
	if (got == size)
		(void)deliver_imip_apply(store, data, size, account,
		                         is_quarantined);
	free(data);
}
