/* Invitations by mail (iMIP, RFC 6047) and free/busy: an organizer's
 * REQUEST and CANCEL sent to the attendees through the Outbox (unless the
 * server schedules by itself, RFC 6638 §2: then it does); the invitations
 * and replies found in a mailbox (text/calendar parts with a METHOD),
 * answered with accept, decline or tentative (a REPLY to the organizer and
 * the event in the local calendar) or, for a REPLY or CANCEL, applied to
 * the local event; and the busy time of a colleague on the same server
 * (the scheduling outbox when the server has one, else the colleague's
 * calendars as far as they are readable: free-busy-query, or the events
 * themselves aggregated here). */
#include "cal.h"
#include "compose.h"
#include "mail.h"
#include "sync_dav.h"

#include "core/buf.h"
#include "core/pool.h"
#include "dav/dav_remote.h"
#include "dav/ical_freebusy.h"
#include "dav/ical_imip.h"
#include "mime/mime.h"
#include "mime/mime_compose.h"
#include "mime/mime_view.h"
#include "store/store.h"
#include "store/store_sync_dav.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define INVITE_SCAN_MAX 500 /* newest messages a listing looks at */

/* The text for people above an invitation: what, when, where. */
static void invite_text(const struct ical_item *it, const char *intro,
                        struct pool *pool, struct buf *out)
{
	buf_printf(out, "%s\n\n%s\n", intro, it->summary);
	if (it->start != ICAL_TIME_MIN)
		buf_printf(out, "When:  %s\n",
		           it->is_all_day
		               ? pr_time_date((time_t)it->start, pool)
		               : pr_time_rfc3339((time_t)it->start, pool));
	if (it->location[0] != '\0')
		buf_printf(out, "Where: %s\n", it->location);
	if (it->description[0] != '\0')
		buf_printf(out, "\n%s\n", it->description);
}

/* Puts a message with the iTIP text as its text/calendar part in the
 * Outbox and tries to send it. Returns 0 or -1 with *error_r. */
static int itip_mail(struct pr_cal_ctx *ctx, const char *to,
                     const char *subject, const char *body,
                     const struct buf *itip, const char *method,
                     const char **error_r)
{
	struct pool *pool = ctx->cli->pool;
	struct mime_compose_attachment att = {
	    .filename = "invite.ics",
	    .content_type =
	        pool_printf(pool, "text/calendar; method=%s", method),
	    .data = (const unsigned char *)itip->data,
	    .size = itip->len,
	};
	struct mime_compose c = {
	    .from_name = ctx->account->display_name,
	    .from_addr = ctx->account->address,
	    .to = to,
	    .subject = subject,
	    .user_agent = "postroom",
	    .body = body,
	    .body_size = strlen(body),
	    .attachments = &att,
	    .attachment_count = 1,
	};
	struct buf msg;
	buf_init(&msg);
	const char *message_id;
	struct pr_delivery delivery;
	int ret = mime_compose_build(&c, pool, &msg, &message_id, error_r);
	if (ret == 0)
		ret = pr_compose_deliver(ctx->cli->config, ctx->account,
		                         ctx->local, NULL, &msg, pool,
		                         &delivery, error_r);
	if (ret == 0 && delivery.is_refused) {
		*error_r = delivery.why;
		ret = -1;
	}
	buf_deinit(&msg);
	return ret;
}

int pr_invite_send(struct pr_cal_ctx *ctx, const unsigned char *data,
                   size_t size, const char *method, const char **error_r)
{
	struct pool *pool = ctx->cli->pool;
	/* RFC 6638 §2: a scheduling server sends them itself */
	if (store_sync_dav_meta_get(ctx->local->account, "auto_schedule", 0) ==
	    1)
		return 0;
	struct ical_settings set;
	ical_settings_init(&set);
	struct ical_object *obj;
	if (ical_object_parse(data, size, &set, pool, &obj, error_r) < 0)
		return -1;
	struct ical_item it;
	ical_item_master(obj, ctx->tz, pool, &it);
	ical_object_free(&obj);
	struct buf to;
	buf_init(&to);
	int count = 0;
	for (size_t i = 0; i < it.attendee_count; i++) {
		if (strcasecmp(it.attendees[i].address,
		               ctx->account->address) == 0)
			continue;
		buf_printf(&to, "%s%s", to.len > 0 ? ", " : "",
		           it.attendees[i].address);
		count++;
	}
	struct buf itip, body;
	buf_init(&itip);
	buf_init(&body);
	bool is_cancel = strcmp(method, "CANCEL") == 0;
	int ret = count;
	if (count > 0) {
		invite_text(&it,
		            is_cancel ? "This event is cancelled."
		                      : "You are invited:",
		            pool, &body);
		if (ical_imip_message(data, size, method, ctx->now, pool, &itip,
		                      error_r) < 0 ||
		    itip_mail(
		        ctx, to.data,
		        pool_printf(pool, "%s: %s",
		                    is_cancel ? "Cancelled" : "Invitation",
		                    it.summary),
		        body.data, &itip, method, error_r) < 0)
			ret = -1;
	}
	buf_deinit(&to);
	buf_deinit(&itip);
	buf_deinit(&body);
	return ret;
}

/* ---- Invitations in a mailbox ----------------------------------------------
 */

struct found_itip {
	uint32_t uid;
	const char *from; /* the message's From address */
	struct ical_imip imip;
	struct ical_item item;
};

/* The first text/calendar part of message uid as an iTIP message.
 * Returns 1 with *f (imip.obj to free), 0 when it has none, -1. */
static int itip_of(struct pr_cal_ctx *ctx, const char *mailbox, uint32_t uid,
                   struct found_itip *f, const char **error_r)
{
	struct pool *pool = ctx->cli->pool;
	struct pr_mail_message msg;
	int ret =
	    pr_mail_message_load(ctx->local, mailbox, uid, pool, &msg, error_r);
	if (ret <= 0)
		return ret;
	ret = 0;
	for (unsigned i = 0; i < msg.attachment_count && ret == 0; i++) {
		const struct mime_view_attachment *a = &msg.attachments[i];
		if (strncmp(a->content_type, "text/calendar", 13) != 0)
			continue;
		struct buf data;
		buf_init(&data);
		mime_view_attachment_data((const unsigned char *)msg.data.data,
		                          a, &data);
		struct ical_settings set;
		ical_settings_init(&set);
		set.max_size = 4 * 1024 * 1024;
		const char *error;
		if (ical_imip_parse((const unsigned char *)data.data, data.len,
		                    &set, pool, &f->imip, &error) == 0) {
			f->uid = uid;
			ical_item_master(f->imip.obj, ctx->tz, pool, &f->item);
			ret = 1;
		}
		buf_deinit(&data);
	}
	pr_mail_message_deinit(&msg);
	if (ret == 1) {
		struct pr_mail_summary sum;
		f->from = pr_mail_summary_get(ctx->local, mailbox, uid, pool,
		                              &sum, error_r) == 1
		              ? sum.from_addr
		              : "";
	}
	return ret;
}

/* The PARTSTAT of who in the local copy of the event uid, or NULL when
 * there is none. */
static const char *local_partstat(struct pr_cal_ctx *ctx, const char *uid,
                                  const char *who)
{
	struct pr_cal_entry e;
	const char *error;
	if (pr_cal_find(ctx->local, uid, ICAL_KIND_ALL, ctx->tz, ctx->cli->pool,
	                &e, &error) != 1 ||
	    strcmp(e.item.uid, uid) != 0)
		return NULL;
	for (size_t i = 0; i < e.item.attendee_count; i++)
		if (strcasecmp(e.item.attendees[i].address, who) == 0)
			return e.item.attendees[i].partstat;
	return "";
}

/* What a listing says of f: for a REQUEST, the account's answer; for a
 * REPLY, whether the local event has the attendee's answer. */
static const char *itip_state(struct pr_cal_ctx *ctx,
                              const struct found_itip *f,
                              const char **partstat_r)
{
	const struct ical_item *it = &f->item;
	*partstat_r = it->attendee_count > 0 ? it->attendees[0].partstat : "";
	if (strcmp(f->imip.method, "REQUEST") == 0) {
		const char *mine =
		    local_partstat(ctx, it->uid, ctx->account->address);
		return mine == NULL ? "new" : mine[0] != '\0' ? mine : "saved";
	}
	if (strcmp(f->imip.method, "REPLY") == 0 && it->attendee_count > 0) {
		const char *now =
		    local_partstat(ctx, it->uid, it->attendees[0].address);
		return now != NULL && strcmp(now, *partstat_r) == 0
		           ? "applied"
		           : "to apply";
	}
	if (strcmp(f->imip.method, "CANCEL") == 0)
		return local_partstat(ctx, it->uid, "") == NULL ? "applied"
		                                                : "to apply";
	return "";
}

static int cmd_invitations(struct pr_cal_ctx *ctx, const char *mailbox)
{
	struct pool *pool = ctx->cli->pool;
	struct pr_mail_summary *list;
	size_t count;
	const char *error;
	if (pr_mail_list(ctx->local, mailbox, 0, pool, &list, &count, &error) <
	    0)
		return pr_fail("cal invitations: %s", error);
	json_t *a = json_array();
	size_t first = count > INVITE_SCAN_MAX ? count - INVITE_SCAN_MAX : 0;
	for (size_t i = count; i-- > first;) {
		struct found_itip f;
		if (itip_of(ctx, mailbox, list[i].uid, &f, &error) != 1)
			continue;
		const char *partstat;
		const char *state = itip_state(ctx, &f, &partstat);
		const struct ical_item *it = &f.item;
		const char *when =
		    it->start == ICAL_TIME_MIN
		        ? ""
		        : pr_time_rfc3339((time_t)it->start, pool);
		json_array_append_new(
		    a,
		    json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
		              "message", (int)f.uid, "method", f.imip.method,
		              "uid", it->uid, "summary", it->summary, "start",
		              when, "organizer", it->organizer, "from", f.from,
		              "partstat", partstat, "state", state));
		if (!ctx->cli->is_json)
			printf("%u\t%s\t%s\t%s\tfrom %s\t%s%s%s\n", f.uid,
			       f.imip.method, when, it->summary, f.from, state,
			       strcmp(f.imip.method, "REPLY") == 0 ? " " : "",
			       strcmp(f.imip.method, "REPLY") == 0 ? partstat
			                                           : "");
		ical_object_free(&f.imip.obj);
	}
	pr_invite_events_list(ctx, a);
	if (ctx->cli->is_json)
		pr_json_print(a);
	else
		json_decref(a);
	return 0;
}

/* Stores the event of an accepted (or declined) invitation with the
 * account's PARTSTAT, where its UID is already, else in the default
 * calendar. */
static int invite_keep(struct pr_cal_ctx *ctx, const struct found_itip *f,
                       const char *partstat, const char *calendar,
                       const char **error_r)
{
	struct pool *pool = ctx->cli->pool;
	struct buf obj, mine;
	buf_init(&obj);
	buf_init(&mine);
	int ret = ical_imip_object(&f->imip, pool, &obj, error_r);
	if (ret == 0 &&
	    ical_edit_partstat((const unsigned char *)obj.data, obj.len,
	                       ctx->account->address, partstat, ctx->now, pool,
	                       &mine, error_r) <= 0) {
		if (mine.len == 0 && ret == 0)
			*error_r = "the invitation does not name this account";
		ret = -1;
	}
	struct pr_cal_entry e;
	const char *collection = NULL, *name = NULL, *ignored;
	if (ret == 0 &&
	    pr_cal_find(ctx->local, f->item.uid, ICAL_KIND_ALL, ctx->tz, pool,
	                &e, &ignored) == 1 &&
	    strcmp(e.item.uid, f->item.uid) == 0) {
		collection = e.collection;
		name = e.name;
	}
	if (ret == 0 && collection == NULL) {
		collection = pr_cal_collection_for(ctx->local, f->item.kind,
		                                   calendar, pool, error_r);
		name = pool_printf(pool, "%s.ics", pr_cal_uid_new(pool));
		ret = collection == NULL ? -1 : 0;
	}
	if (ret == 0 && pr_cal_store(ctx->local, collection, name,
	                             (const unsigned char *)mine.data, mine.len,
	                             NULL, false, pool, NULL, error_r) != 0)
		ret = -1;
	buf_deinit(&obj);
	buf_deinit(&mine);
	return ret;
}

int pr_invite_reply(struct pr_cal_ctx *ctx, const char *organizer,
                    const char *summary, const char *partstat,
                    const struct buf *reply, bool *by_server_r,
                    const char **error_r)
{
	struct pool *pool = ctx->cli->pool;
	*by_server_r = store_sync_dav_meta_get(ctx->local->account,
	                                       "auto_schedule", 0) == 1;
	if (*by_server_r)
		return 0;
	const char *verb = strcmp(partstat, "ACCEPTED") == 0   ? "Accepted"
	                   : strcmp(partstat, "DECLINED") == 0 ? "Declined"
	                                                       : "Tentative";
	const char *body = pool_printf(
	    pool, "%s has %s your invitation.\n", ctx->account->address,
	    strcmp(partstat, "TENTATIVE") == 0  ? "tentatively accepted"
	    : strcmp(partstat, "ACCEPTED") == 0 ? "accepted"
	                                        : "declined");
	return itip_mail(ctx, organizer,
	                 pool_printf(pool, "%s: %s", verb, summary), body,
	                 reply, "REPLY", error_r);
}

bool pr_invite_is_request(struct pr_cal_ctx *ctx, const char *mailbox,
                          uint32_t uid)
{
	struct found_itip f;
	const char *error;
	if (itip_of(ctx, mailbox, uid, &f, &error) != 1)
		return false;
	bool is_request = strcmp(f.imip.method, "REQUEST") == 0;
	ical_object_free(&f.imip.obj);
	return is_request;
}

int pr_invite_answer(struct pr_cal_ctx *ctx, const char *mailbox, uint32_t uid,
                     const char *answer, const char *calendar,
                     struct pr_invite_answer *out, const char **error_r)
{
	struct pool *pool = ctx->cli->pool;
	const char *partstat = strcmp(answer, "accept") == 0    ? "ACCEPTED"
	                       : strcmp(answer, "decline") == 0 ? "DECLINED"
	                                                        : "TENTATIVE";
	struct found_itip f;
	*error_r = "no invitation in that message";
	if (itip_of(ctx, mailbox, uid, &f, error_r) != 1)
		return -1;
	struct buf reply;
	buf_init(&reply);
	int ret = -1;
	if (strcmp(f.imip.method, "REQUEST") != 0)
		*error_r =
		    pool_printf(pool, "a %s, not an invitation", f.imip.method);
	else if (f.item.organizer[0] == '\0')
		*error_r = "the invitation has no organizer";
	else if (ical_imip_reply(&f.imip, ctx->account->address, partstat,
	                         ctx->now, pool, &reply, error_r) == 0 &&
	         invite_keep(ctx, &f, partstat, calendar, error_r) == 0)
		ret = 0;
	*out = (struct pr_invite_answer){
	    .uid = pool_strdup(pool, f.item.uid),
	    .summary = pool_strdup(pool, f.item.summary),
	    .organizer = pool_strdup(pool, f.item.organizer),
	    .partstat = partstat};
	if (ret == 0) {
		if (pr_invite_reply(ctx, out->organizer, out->summary, partstat,
		                    &reply, &out->by_server, error_r) < 0) {
			*error_r = pool_printf(
			    pool, "the reply was not sent: %s", *error_r);
			ret = -1;
		}
		const char *ignored;
		(void)pr_mail_flag(ctx->local, mailbox, uid, true,
		                   STORE_FLAG_ANSWERED | STORE_FLAG_SEEN,
		                   &ignored);
	}
	ical_object_free(&f.imip.obj);
	buf_deinit(&reply);
	return ret;
}

/* cal accept|decline|tentative MSG: the REPLY to the organizer, and the
 * event kept with the answer. */
static int cmd_answer(struct pr_cal_ctx *ctx, const char *mailbox,
                      const char *answer, uint32_t uid, const char *calendar)
{
	struct pr_invite_answer a;
	const char *error;
	if (pr_invite_answer(ctx, mailbox, uid, answer, calendar, &a, &error) <
	    0)
		return pr_fail("cal %s %u: %s", answer, uid, error);
	if (ctx->cli->is_json)
		pr_json_print(json_pack("{s:s, s:s, s:s, s:s}", "uid", a.uid,
		                        "partstat", a.partstat, "organizer",
		                        a.organizer, "reply",
		                        a.by_server ? "server" : "mail"));
	else
		printf("%s %s; %s %s\n", a.partstat, a.summary,
		       a.by_server ? "the server replies at the next sync to"
		                   : "reply sent to",
		       a.organizer);
	return 0;
}

/* cal apply MSG: a REPLY's answer into the local event, or a CANCEL
 * from its organizer removing it. */
static int cmd_apply(struct pr_cal_ctx *ctx, const char *mailbox, uint32_t uid)
{
	struct pool *pool = ctx->cli->pool;
	struct found_itip f;
	const char *error = "no reply in that message";
	if (itip_of(ctx, mailbox, uid, &f, &error) != 1)
		return pr_fail("cal apply %u: %s", uid, error);
	struct pr_cal_entry e;
	const unsigned char *data;
	size_t size;
	const char *etag, *who = "", *partstat = "";
	int ret = 0;
	if (pr_cal_find(ctx->local, f.item.uid, ICAL_KIND_ALL, ctx->tz, pool,
	                &e, &error) != 1 ||
	    strcmp(e.item.uid, f.item.uid) != 0 ||
	    pr_cal_read(ctx->local, e.collection, e.name, pool, &data, &size,
	                &etag) != 1) {
		ret =
		    pr_fail("cal apply %u: no event %s here", uid, f.item.uid);
	} else if (strcmp(f.imip.method, "CANCEL") == 0) {
		/* only the organizer cancels (RFC 5546 §3.2.5) */
		if (strcasecmp(f.from, e.item.organizer) != 0)
			ret = pr_fail("cal apply %u: the cancellation is not "
			              "from the organizer",
			              uid);
		else if (pr_cal_remove(ctx->local, e.collection, e.name,
		                       &error) < 0)
			ret = pr_fail("cal apply %u: %s", uid, error);
		partstat = "CANCELLED";
	} else {
		struct buf out;
		buf_init(&out);
		if (ical_imip_apply_reply(data, size, &f.imip, f.from, ctx->now,
		                          pool, &out, &who, &partstat,
		                          &error) < 0 ||
		    pr_cal_store(ctx->local, e.collection, e.name,
		                 (const unsigned char *)out.data, out.len, etag,
		                 false, pool, NULL, &error) != 0)
			ret = pr_fail("cal apply %u: %s", uid, error);
		buf_deinit(&out);
	}
	if (ret == 0) {
		(void)pr_mail_flag(ctx->local, mailbox, uid, true,
		                   STORE_FLAG_SEEN, &error);
		if (ctx->cli->is_json)
			pr_json_print(json_pack("{s:s, s:s, s:s}", "uid",
			                        f.item.uid, "attendee", who,
			                        "partstat", partstat));
		else
			printf("%s: %s %s\n", f.item.summary, who, partstat);
	}
	ical_object_free(&f.imip.obj);
	return ret;
}

int pr_cal_invite_cmd(struct pr_cal_ctx *ctx, int argc, char **argv)
{
	const char *mailbox = PR_MAIL_DEFAULT_MAILBOX, *calendar = NULL;
	const char *msg = NULL, *event = NULL;
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--mailbox") == 0 && i + 1 < argc)
			mailbox = argv[++i];
		else if (strcmp(argv[i], "--event") == 0 && i + 1 < argc)
			event = argv[++i];
		else if (strcmp(argv[i], "--calendar") == 0 && i + 1 < argc)
			calendar = argv[++i];
		else if (msg == NULL && argv[i][0] != '-')
			msg = argv[i];
		else
			return pr_fail("unknown option %s", argv[i]) + 1;
	}
	if (strcmp(argv[1], "invitations") == 0)
		return cmd_invitations(ctx, mailbox);
	if (event != NULL && msg == NULL && strcmp(argv[1], "apply") != 0)
		return pr_invite_event_answer(ctx, argv[1], event);
	char *end;
	unsigned long uid = msg != NULL ? strtoul(msg, &end, 10) : 0;
	if (msg == NULL || *end != '\0' || uid == 0 || uid > UINT32_MAX)
		return pr_fail("usage: cal %s MESSAGE-UID [--mailbox M] | "
		               "--event UID",
		               argv[1]) +
		       1;
	if (strcmp(argv[1], "apply") == 0)
		return cmd_apply(ctx, mailbox, (uint32_t)uid);
	return cmd_answer(ctx, mailbox, argv[1], (uint32_t)uid, calendar);
}

/* ---- Free/busy --------------------------------------------------------------
 */

/* The colleague's calendar home: ours with our address (or login) in it
 * replaced by theirs, as Postroom (/dav/calendars/<address>/) and Radicale
 * (/<user>/) lay homes out. NULL when ours does not name us. */
static const char *home_of(const struct pr_dav *dav, const char *address,
                           struct pool *pool)
{
	const char *me = dav->account->dav_user != NULL ? dav->account->dav_user
	                                                : dav->account->address;
	const char *at = strstr(dav->home.home, me);
	if (at == NULL)
		return NULL;
	return pool_printf(pool, "%.*s%s%s", (int)(at - dav->home.home),
	                   dav->home.home, address, at + strlen(me));
}

/* Busy periods gathered from several answers, by start. */
struct busy_list {
	struct ical_busy *list;
	size_t count;
};

static int busy_cmp(const void *a, const void *b)
{
	const struct ical_busy *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* Adds the busy periods of one answer (one VCALENDAR) to b. */
static int busy_add(struct busy_list *b, const char *data, size_t size,
                    struct pool *pool, const char **error_r)
{
	struct ical_settings set;
	ical_settings_init(&set);
	struct ical_busy *busy;
	size_t n;
	if (ical_imip_freebusy((const unsigned char *)data, size, &set, pool,
	                       &busy, &n, error_r) < 0)
		return -1;
	struct ical_busy *all =
	    pool_alloc(pool, (b->count + n + 1) * sizeof(*all));
	if (b->count > 0)
		memcpy(all, b->list, b->count * sizeof(*all));
	if (n > 0)
		memcpy(all + b->count, busy, n * sizeof(*all));
	b->list = all;
	b->count += n;
	qsort(b->list, b->count, sizeof(*b->list), busy_cmp);
	return 0;
}

/* Does a principal's href (owner) name address ("/dav/principals/a@b/",
 * "/a@b/")? */
static bool owner_is(const char *owner, const char *address)
{
	size_t len = strlen(address);
	for (const char *p = owner; *p != '\0'; p++)
		if (strncasecmp(p, address, len) == 0 &&
		    (p == owner || p[-1] == '/') &&
		    (p[len] == '/' || p[len] == '\0'))
			return true;
	return false;
}

/* The colleague's calendars we may read: those of its home, when we may
 * list it, and those it shares with us, which a server may show in our
 * own home instead (Postroom: DAV:owner the colleague's principal). */
static int colleague_calendars(struct pr_dav *dav, const char *address,
                               struct pool *pool,
                               struct dav_remote_collection **colls_r,
                               size_t *count_r, const char **error_r)
{
	const char *home = home_of(dav, address, pool);
	struct dav_remote_collection *theirs = NULL, *ours;
	size_t n_theirs = 0, n_ours;
	const char *error = "cannot tell where the colleague's calendars are";
	if (home != NULL &&
	    dav_remote_collections(dav->client, home, DAV_REMOTE_CALENDAR, pool,
	                           &theirs, &n_theirs, &error) < 0)
		n_theirs = 0;
	if (dav_remote_collections(dav->client, dav->home.home,
	                           DAV_REMOTE_CALENDAR, pool, &ours, &n_ours,
	                           error_r) < 0)
		return -1;
	struct dav_remote_collection *all =
	    pool_alloc(pool, (n_theirs + n_ours + 1) * sizeof(*all));
	size_t n = 0;
	for (size_t i = 0; i < n_theirs; i++)
		all[n++] = theirs[i];
	for (size_t i = 0; i < n_ours; i++)
		if (owner_is(ours[i].owner, address))
			all[n++] = ours[i];
	*colls_r = all;
	*count_r = n;
	*error_r = error;
	return 0;
}

/* The colleague's busy time read from the calendars we may read. */
static int busy_from_calendars(struct pr_dav *dav, const char *address,
                               int64_t from, int64_t to, struct pool *pool,
                               struct busy_list *busy, const char **error_r)
{
	struct dav_remote_collection *colls;
	size_t count;
	if (colleague_calendars(dav, address, pool, &colls, &count, error_r) <
	    0)
		return -1;
	if (count == 0)
		return -1;
	struct ical_freebusy *fb = ical_freebusy_new(from, to);
	size_t readable = 0;
	for (size_t i = 0; i < count; i++) {
		if ((colls[i].components & ICAL_KIND_VEVENT) == 0)
			continue;
		const char *answer;
		struct dav_remote_member *m;
		size_t n;
		const char *error;
		if (dav_remote_freebusy(dav->client, colls[i].path, from, to,
		                        pool, &answer, &error) == 1 &&
		    busy_add(busy, answer, strlen(answer), pool, &error) == 0) {
			readable++;
			continue;
		}
		if (dav_remote_events(dav->client, colls[i].path, from, to,
		                      pool, &m, &n, &error) < 0)
			continue;
		readable++;
		for (size_t j = 0; j < n; j++) {
			struct ical_settings set;
			ical_settings_init(&set);
			struct ical_object *obj;
			if (ical_object_parse(m[j].data, m[j].size, &set, pool,
			                      &obj, &error) < 0)
				continue;
			ical_freebusy_add(fb, obj, NULL);
			ical_object_free(&obj);
		}
	}
	struct buf text;
	buf_init(&text);
	ical_freebusy_write(fb, time(NULL), &text);
	ical_freebusy_free(&fb);
	int ret = busy_add(busy, text.data, text.len, pool, error_r);
	buf_deinit(&text);
	if (ret < 0)
		return -1;
	if (readable == 0) {
		*error_r = "none of the colleague's calendars may be read";
		return -1;
	}
	return 0;
}

/* The scheduling outbox's answer (RFC 6638 §5.1). Returns 1, 0 when the
 * server has no outbox or it answers no free-busy request, -1. */
static int busy_from_outbox(struct pr_cal_ctx *ctx, struct pr_dav *dav,
                            const char *address, int64_t from, int64_t to,
                            struct busy_list *busy, const char **error_r)
{
	struct pool *pool = ctx->cli->pool;
	if (dav->home.outbox == NULL || !dav->home.is_auto_schedule)
		return 0;
	char s[17], e[17], now[17];
	ical_time_format_utc(from, s);
	ical_time_format_utc(to, e);
	ical_time_format_utc(ctx->now, now);
	const char *req = pool_printf(
	    pool,
	    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Postroom//postroom "
	    "client//EN\r\nMETHOD:REQUEST\r\nBEGIN:VFREEBUSY\r\nUID:%s\r\n"
	    "DTSTAMP:%s\r\nDTSTART:%s\r\nDTEND:%s\r\nORGANIZER:mailto:%s\r\n"
	    "ATTENDEE:mailto:%s\r\nEND:VFREEBUSY\r\nEND:VCALENDAR\r\n",
	    pr_cal_uid_new(pool), now, s, e, ctx->account->address, address);
	const char *answer;
	int ret = dav_remote_outbox_freebusy(dav->client, dav->home.outbox, req,
	                                     pool, &answer, error_r);
	if (ret == 1 &&
	    busy_add(busy, answer, strlen(answer), pool, error_r) < 0)
		return -1;
	return ret;
}

/* Prints the busy periods (JSON or lines). */
static void busy_print(struct pr_cal_ctx *ctx, const char *address,
                       const struct ical_busy *busy, size_t count)
{
	struct pool *pool = ctx->cli->pool;
	json_t *a = json_array();
	for (size_t i = 0; i < count; i++) {
		const char *from = pr_time_rfc3339((time_t)busy[i].start, pool);
		const char *to = pr_time_rfc3339((time_t)busy[i].end, pool);
		json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "start",
		                                   from, "end", to, "type",
		                                   busy[i].type));
		if (!ctx->cli->is_json)
			printf("%s  %s  %s\n", from, to, busy[i].type);
	}
	if (ctx->cli->is_json) {
		pr_json_print(a);
		return;
	}
	if (count == 0)
		printf("%s is free\n", address);
	json_decref(a);
}

/* Reads ADDRESS [--from T] [--days N]. Returns 0, or -1 (usage). */
static int freebusy_args(struct pr_cal_ctx *ctx, int argc, char **argv,
                         const char **address_r, time_t *from_r, int *days_r)
{
	*address_r = NULL;
	*from_r = pr_day_start(ctx->now);
	*days_r = 7;
	for (int i = 2; i < argc; i++) {
		struct ical_when w;
		bool is_utc;
		if (strcmp(argv[i], "--from") == 0 && i + 1 < argc &&
		    pr_time_parse(argv[i + 1], ctx->now, &w, &is_utc) == 0) {
			*from_r = pr_time_of(&w, is_utc);
			i++;
		} else if (strcmp(argv[i], "--days") == 0 && i + 1 < argc) {
			*days_r = atoi(argv[++i]);
		} else if (*address_r == NULL && strchr(argv[i], '@') != NULL) {
			*address_r = argv[i];
		} else {
			return -1;
		}
	}
	return *address_r == NULL || *days_r < 1 || *days_r > 366 ? -1 : 0;
}

int pr_cal_freebusy_cmd(struct pr_cal_ctx *ctx, int argc, char **argv)
{
	struct pool *pool = ctx->cli->pool;
	const char *address, *error;
	time_t from;
	int days;
	if (freebusy_args(ctx, argc, argv, &address, &from, &days) < 0)
		return pr_fail("usage: cal freebusy ADDRESS [--from T] "
		               "[--days N]") +
		       1;
	int64_t to = pr_day_add(from, days);
	struct pr_dav dav;
	if (pr_dav_open(ctx->cli->config, ctx->account, DAV_REMOTE_CALENDAR,
	                pool, &dav, &error) < 0)
		return pr_fail("cal freebusy: %s", error);
	struct busy_list busy = {0};
	int ret = busy_from_outbox(ctx, &dav, address, from, to, &busy, &error);
	if (ret == 0)
		ret = busy_from_calendars(&dav, address, from, to, pool, &busy,
		                          &error);
	pr_dav_close(&dav);
	if (ret < 0)
		return pr_fail("cal freebusy %s: %s", address, error);
	busy_print(ctx, address, busy.list, busy.count);
	return 0;
}
