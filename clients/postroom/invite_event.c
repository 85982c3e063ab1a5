/* Invitations that came without mail: a scheduling server (RFC 6638
 * §3.2, postroomd for the accounts it holds) puts the attendee's copy of
 * an event straight into its calendar, where the sync finds it. `cal
 * invitations` lists them beside those that came by mail, and `cal
 * accept|decline|tentative --event UID` answers one: the account's
 * PARTSTAT in its copy (which the next sync puts, and a scheduling server
 * then sends the REPLY), or a REPLY by mail when the server does not
 * schedule. */
#include "cal.h"

#include "core/buf.h"
#include "core/pool.h"
#include "dav/ical_edit.h"
#include "dav/ical_itip.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define INVITE_EVENT_DAYS 366 /* how far ahead a listing looks */

/* The account's PARTSTAT in it, or NULL when it is not an attendee
 * invited by someone else. */
static const char *my_partstat(const struct pr_cal_ctx *ctx,
                               const struct ical_item *it)
{
	const char *me = ctx->account->address;
	if (it->organizer[0] == '\0' || strcasecmp(it->organizer, me) == 0)
		return NULL;
	for (size_t i = 0; i < it->attendee_count; i++)
		if (strcasecmp(it->attendees[i].address, me) == 0)
			return it->attendees[i].partstat;
	return NULL;
}

void pr_invite_events_list(struct pr_cal_ctx *ctx, json_t *a)
{
	struct pool *pool = ctx->cli->pool;
	struct pr_cal_entry *list;
	size_t count;
	if (pr_cal_entries(ctx->local, ICAL_KIND_VEVENT, ctx->now,
	                   pr_day_add(ctx->now, INVITE_EVENT_DAYS), ctx->tz,
	                   pool, &list, &count) < 0)
		return;
	for (size_t i = 0; i < count; i++) {
		const struct ical_item *it = &list[i].item;
		const char *partstat = my_partstat(ctx, it);
		bool is_seen = false; /* a recurring event's earlier instance */
		for (size_t j = 0; j < i && !is_seen; j++)
			is_seen = strcmp(list[j].item.uid, it->uid) == 0;
		if (partstat == NULL || is_seen ||
		    strcmp(partstat, "NEEDS-ACTION") != 0)
			continue;
		const char *when = pr_time_rfc3339((time_t)it->start, pool);
		json_array_append_new(
		    a,
		    json_pack("{s:n, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, "
		              "s:s}",
		              "message", "event", it->uid, "method", "REQUEST",
		              "uid", it->uid, "summary", it->summary, "start",
		              when, "organizer", it->organizer, "from",
		              it->organizer, "partstat", partstat, "state",
		              "new"));
		if (!ctx->cli->is_json)
			printf(
			    "-\tREQUEST\t%s\t%s\tfrom %s\tnew (in %s: --event "
			    "%.8s)\n",
			    when, it->summary, it->organizer,
			    list[i].collection, it->uid);
	}
}

/* The account's copy with partstat, stored; its REPLY in reply. */
static int answer_store(struct pr_cal_ctx *ctx, const struct pr_cal_entry *e,
                        const char *partstat, struct buf *reply,
                        const char **error_r)
{
	struct pool *pool = ctx->cli->pool;
	const unsigned char *data;
	size_t size;
	const char *etag;
	if (pr_cal_read(ctx->local, e->collection, e->name, pool, &data, &size,
	                &etag) != 1) {
		*error_r = "gone meanwhile";
		return -1;
	}
	struct buf mine;
	buf_init(&mine);
	int ret = ical_edit_partstat(data, size, ctx->account->address,
	                             partstat, ctx->now, pool, &mine, error_r);
	if (ret == 0)
		*error_r = "the event does not name this account";
	ret = ret == 1 ? 0 : -1;
	struct ical_settings set;
	ical_settings_init(&set);
	struct ical_object *obj = NULL;
	if (ret == 0 &&
	    (pr_cal_store(ctx->local, e->collection, e->name,
	                  (const unsigned char *)mine.data, mine.len, etag,
	                  false, pool, NULL, error_r) != 0 ||
	     ical_object_parse((const unsigned char *)mine.data, mine.len, &set,
	                       pool, &obj, error_r) < 0 ||
	     ical_itip_write_reply(obj, ctx->account->address, partstat,
	                           reply) < 0))
		ret = -1;
	if (obj != NULL)
		ical_object_free(&obj);
	buf_deinit(&mine);
	return ret;
}

int pr_invite_event_answer(struct pr_cal_ctx *ctx, const char *answer,
                           const char *uid)
{
	struct pool *pool = ctx->cli->pool;
	const char *partstat = strcmp(answer, "accept") == 0    ? "ACCEPTED"
	                       : strcmp(answer, "decline") == 0 ? "DECLINED"
	                                                        : "TENTATIVE";
	struct pr_cal_entry e;
	const char *error = "no such event";
	if (pr_cal_find(ctx->local, uid, ICAL_KIND_VEVENT | ICAL_KIND_VTODO,
	                ctx->tz, pool, &e, &error) != 1)
		return pr_fail("cal %s --event %s: %s", answer, uid, error);
	if (my_partstat(ctx, &e.item) == NULL)
		return pr_fail("cal %s --event %s: not an invitation to %s",
		               answer, uid, ctx->account->address);
	struct buf reply;
	buf_init(&reply);
	bool by_server = false;
	int ret = 0;
	if (answer_store(ctx, &e, partstat, &reply, &error) < 0 ||
	    pr_invite_reply(ctx, e.item.organizer, e.item.summary, partstat,
	                    &reply, &by_server, &error) < 0)
		ret = pr_fail("cal %s --event %s: %s", answer, uid, error);
	buf_deinit(&reply);
	if (ret == 0 && ctx->cli->is_json)
		pr_json_print(json_pack("{s:s, s:s, s:s, s:s}", "uid",
		                        e.item.uid, "partstat", partstat,
		                        "organizer", e.item.organizer, "reply",
		                        by_server ? "server" : "mail"));
	else if (ret == 0)
		printf("%s %s; %s %s\n", partstat, e.item.summary,
		       by_server ? "the server replies at the next sync to"
		                 : "reply sent to",
		       e.item.organizer);
	return ret;
}
