/* Free/busy through the schedule outbox (RFC 6638 §5): the outbox's owner
 * POSTs an iTIP VFREEBUSY REQUEST (RFC 5546 §3.3.2) whose ORGANIZER is one
 * of its addresses, and gets a CALDAV:schedule-response with, for each
 * ATTENDEE, its request-status and, for an account of this server, a
 * VFREEBUSY REPLY with the busy time of every calendar of that account
 * (ical_freebusy.c: opaque, not cancelled events, recurrences expanded,
 * floating times in the calendar's zone): periods only, no summaries.
 * An address here with no account answers 3.7; one elsewhere, or one that
 * reaches several accounts or places (a list), 5.3: free/busy of other
 * servers is not fetched. Another user's outbox answers 403, a foreign
 * ORGANIZER 403 CALDAV:organizer-allowed, more than
 * DAV_FREEBUSY_MAX_ATTENDEES attendees 403
 * CALDAV:max-attendees-per-instance, a range longer than
 * DAV_FREEBUSY_MAX_RANGE 403 CALDAV:max-date-time, a body that is no
 * VFREEBUSY REQUEST 400 CALDAV:valid-scheduling-message, one not sent as
 * text/calendar 415. */
#include "core/buf.h"
#include "core/log.h"
#include "core/pool.h"
#include "dav/dav_write.h"
#include "dav/dav_xml.h"
#include "dav/ical.h"
#include "dav/ical_freebusy.h"
#include "dav_server.h"
#include "http/http_request.h"
#include "http/http_response.h"
#include "httpd.h"
#include "store/store.h"

#include <string.h>
#include <strings.h>
#include <time.h>

#define DAV_FREEBUSY_MAX_ATTENDEES 50
#define DAV_FREEBUSY_MAX_RANGE (400 * 86400LL)

struct fb_walk {
	struct ical_freebusy *fb;
	struct ical_tz *tz;
};

static int object_cb(const struct store_dav_object *obj, void *ctx)
{
	struct fb_walk *w = ctx;
	struct ical_settings set;
	ical_settings_init(&set);
	struct pool *pool = pool_new();
	struct ical_object *ical;
	const char *error;
	if (ical_object_parse(obj->data, obj->size, &set, pool, &ical,
	                      &error) == 0)
		ical_freebusy_add(w->fb, ical, w->tz);
	ical_object_free(&ical);
	pool_free(&pool);
	return 0;
}

/* Adds the busy time of every calendar of account to fb. Returns 0 or -1
 * (logged). */
static int account_busy(struct dav_request *d, const char *account,
                        struct ical_freebusy *fb, int64_t start, int64_t end)
{
	struct store_account *acct;
	struct store_dav_collection *colls;
	size_t count;
	const char *error;
	if (dav_cache_open(d->httpd, account, &acct, &error) < 0) {
		log_error(NULL, "dav store-failed op=freebusy reason=\"%s\"",
		          error);
		return -1;
	}
	int ret = store_dav_collections(acct, STORE_DAV_CALENDAR, d->pool,
	                                &colls, &count);
	for (size_t i = 0; ret == 0 && i < count; i++) {
		struct fb_walk w = {.fb = fb,
		                    .tz = dav_collection_tz(&colls[i])};
		ret = store_dav_objects_list(acct, colls[i].id, start, end,
		                             true, object_cb, &w);
		ical_tz_free(&w.tz);
	}
	if (ret < 0)
		log_error(NULL, "dav store-failed op=freebusy reason=\"%s\"",
		          store_dav_last_error(acct));
	dav_cache_release(&acct);
	return ret < 0 ? -1 : 0;
}

/* The account of address here, NULL with *status_r when there is none. */
static const char *recipient_account(struct dav_request *d, const char *address,
                                     const char **status_r)
{
	struct store_resolution res;
	int ret =
	    store_address_resolve(d->httpd->store, address, d->pool, &res);
	*status_r = "5.1;Service unavailable";
	if (ret < 0)
		return NULL;
	if (ret == 0) {
		const char *at = strrchr(address, '@');
		int local = store_domain_exists(d->httpd->store, at + 1);
		*status_r = local > 0   ? "3.7;Invalid calendar user"
		            : local < 0 ? "5.1;Service unavailable"
		                        : "5.3;No scheduling support for user";
		return NULL;
	}
	if (res.count != 1 || !res.targets[0].is_local) {
		*status_r = "5.3;No scheduling support for user";
		return NULL;
	}
	return res.targets[0].address;
}

/* Appends the C:response of one attendee. */
static void recipient_write(struct dav_request *d,
                            const struct ical_fb_request *r,
                            const char *attendee, struct buf *out)
{
	const char *status;
	const char *account = recipient_account(d, attendee, &status);
	struct buf cal;
	buf_init(&cal);
	if (account != NULL) {
		struct ical_freebusy *fb = ical_freebusy_new(r->start, r->end);
		if (account_busy(d, account, fb, r->start, r->end) == 0) {
			status = "2.0;Success";
			ical_freebusy_write_reply(fb, time(NULL), r, attendee,
			                          &cal);
		}
		ical_freebusy_free(&fb);
	}
	buf_append_str(out, "<C:response><C:recipient><D:href>mailto:");
	dav_xml_escape(attendee, strlen(attendee), out);
	buf_append_str(out, "</D:href></C:recipient>");
	dav_write_text_prop(out, DAV_NS_CALDAV, "request-status", status);
	if (cal.len > 0) {
		buf_append_str(out, "<C:calendar-data>");
		dav_xml_escape(cal.data, cal.len, out);
		buf_append_str(out, "</C:calendar-data>");
	}
	buf_append_str(out, "</C:response>\n");
	buf_deinit(&cal);
}

/* Checks the request against the poster and the limits. Returns 0, or -1
 * after answering. */
static int request_check(struct dav_request *d, const struct ical_fb_request *r)
{
	if (store_sender_allowed(d->httpd->store, d->user, r->organizer) != 1) {
		dav_error(d, 403, DAV_NS_CALDAV, "organizer-allowed", NULL,
		          "ORGANIZER is not an address of the user");
		return -1;
	}
	if (r->attendee_count > DAV_FREEBUSY_MAX_ATTENDEES) {
		dav_error(d, 403, DAV_NS_CALDAV, "max-attendees-per-instance",
		          NULL, "too many ATTENDEEs for one free/busy request");
		return -1;
	}
	if (r->end - r->start > DAV_FREEBUSY_MAX_RANGE) {
		dav_error(d, 403, DAV_NS_CALDAV, "max-date-time", NULL,
		          "free/busy range longer than 400 days");
		return -1;
	}
	return 0;
}

static void post_body(struct dav_request *d, const unsigned char *data,
                      size_t size)
{
	struct ical_settings set;
	ical_settings_init(&set);
	set.allow_method = true;
	struct ical_object *obj = NULL;
	struct ical_fb_request r;
	const char *error;
	if (ical_object_parse(data != NULL ? data : (const unsigned char *)"",
	                      size, &set, d->pool, &obj, &error) < 0) {
		dav_error(d, 400, DAV_NS_CALDAV, "valid-calendar-data", NULL,
		          error);
		return;
	}
	int ret = ical_freebusy_request_read(obj, d->pool, &r, &error);
	ical_object_free(&obj);
	if (ret < 0) {
		dav_error(d, 400, DAV_NS_CALDAV, "valid-scheduling-message",
		          NULL, error);
		return;
	}
	if (request_check(d, &r) < 0)
		return;
	struct buf out;
	buf_init(&out);
	buf_append_str(&out, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	                     "<C:schedule-response xmlns:D=\"DAV:\" "
	                     "xmlns:C=\"" DAV_NS_CALDAV "\">\n");
	for (size_t i = 0; i < r.attendee_count; i++)
		recipient_write(d, &r, r.attendees[i], &out);
	buf_append_str(&out, "</C:schedule-response>\n");
	log_info(NULL, "dav freebusy user=%s attendees=%zu",
	         log_sanitize(d->user, 100), r.attendee_count);
	struct http_response *resp = http_response_new(d->req, 200);
	http_response_set_type(resp, "application/xml; charset=utf-8");
	http_response_send_data(resp, out.data, out.len);
	buf_deinit(&out);
}

bool dav_freebusy_is_outbox(const struct dav_request *d)
{
	return d->target.kind == DAV_TARGET_COLLECTION &&
	       d->target.store_kind == STORE_DAV_CALENDAR &&
	       strcmp(d->target.coll_name, DAV_OUTBOX_NAME) == 0;
}

void dav_freebusy_post(struct dav_request *d)
{
	if (!d->has_coll || d->coll.kind != STORE_DAV_SCHEDULE_OUTBOX) {
		dav_error(d, 405, NULL, NULL, NULL,
		          "POST only to the schedule outbox");
		return;
	}
	/* text/calendar only (RFC 6638 §5): a browser cannot send it to
	 * another site without asking first, so a page elsewhere cannot
	 * make the webmail's session look up free/busy */
	const char *type = http_request_header(d->req, "Content-Type");
	if (type == NULL || strncasecmp(type, "text/calendar", 13) != 0 ||
	    (type[13] != '\0' && type[13] != ';' && type[13] != ' ')) {
		dav_error(d, 415, DAV_NS_CALDAV, "supported-calendar-data",
		          NULL, "POST takes text/calendar");
		return;
	}
	dav_read_body(d, post_body);
}
