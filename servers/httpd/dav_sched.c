/* CalDAV scheduling (RFC 6638 §3.2, "implicit scheduling"): when the
 * owner of a calendar stores or deletes a scheduling object resource, the
 * server sends the iTIP messages its clients would otherwise send.
 *   The owner organizes (ORGANIZER is an address the account may send
 *   as): a new event, or one whose times, rules, summary, location,
 *   description, status, sequence or attendees changed, goes as a REQUEST
 *   to every attendee whose SCHEDULE-AGENT is SERVER (the default); an
 *   attendee taken off gets a CANCEL, as does everyone when the event is
 *   deleted. Each attendee's SCHEDULE-STATUS in the stored copy says what
 *   happened (§3.2.9: 1.2 delivered here, 1.1 sent by mail, 3.7 no such
 *   user here), so the stored bytes then differ from the request's and
 *   the answer carries no ETag (RFC 4791 §5.3.4).
 *   The owner attends: a changed PARTSTAT goes to the organizer as a
 *   REPLY, and deleting its copy as a REPLY with DECLINED (unless the
 *   event was cancelled).
 * Attendees and organizers of this server get the message at once
 * (dav_sched_deliver.c); others by mail through the queue (dav_imip.c).
 * An update attendees must hear of gets a SEQUENCE above the one before
 * when the client did not raise it (RFC 5546 §2.1.4), and an attendee
 * taken off gets the "uninvite" CANCEL of §3.2.5 (only her ATTENDEE, no
 * STATUS). JMAP's CalendarEvent/set with sendSchedulingMessages comes
 * through here too (dav_sched_request_init).
 * Scheduling runs for the owner only: a share's grantee writes without
 * sending anything in the owner's name. Schedule-Tag (§3.2.10) is not
 * kept. The inbox and outbox (§2.1, §2.2) are collections of their own,
 * "inbox" and "outbox" in the calendar home. */
#include "core/buf.h"
#include "core/log.h"
#include "core/pool.h"
#include "dav/ical.h"
#include "dav/ical_itip.h"
#include "dav_server.h"
#include "httpd.h"
#include "store/store.h"

#include <string.h>

enum sched_role { SCHED_ORGANIZER, SCHED_ATTENDEE };

/* Where one calendar user's message goes. */
struct sched_rcpt {
	const char *address;
	const char **accounts; /* accounts here it reaches */
	size_t account_count;
	const char **remote; /* addresses elsewhere: by mail */
	size_t remote_count;
	const char *status; /* SCHEDULE-STATUS */
};

struct dav_sched {
	enum sched_role role;
	bool is_delete;
	struct ical_object *obj; /* what the message is made from */
	struct ical_object *own; /* obj when the plan made it, or NULL */
	struct ical_object *old; /* the member before, or NULL */
	struct ical_itip it;
	const char *self; /* the owner's address in the object */
	/* organizer: REQUEST to rcpts (when is_request), CANCEL to gone */
	struct sched_rcpt *rcpts, *gone;
	size_t rcpt_count, gone_count;
	bool is_request, is_update;
	/* attendee: the REPLY's PARTSTAT */
	const char *partstat;
	struct sched_rcpt organizer;
};

int dav_sched_resolve(struct dav_request *d, const char *name,
                      struct dav_location *loc)
{
	enum store_dav_kind kind =
	    strcmp(name, DAV_INBOX_NAME) == 0    ? STORE_DAV_SCHEDULE_INBOX
	    : strcmp(name, DAV_OUTBOX_NAME) == 0 ? STORE_DAV_SCHEDULE_OUTBOX
	                                         : 0;
	const char *error;
	if (kind == 0)
		return 0;
	if (dav_cache_open(d->httpd, d->user, &loc->account, &error) < 0) {
		log_error(NULL, "dav store-failed op=box reason=\"%s\"", error);
		return -1;
	}
	if (store_dav_schedule_box(loc->account, kind, d->pool, &loc->coll) <
	    0) {
		log_error(NULL, "dav store-failed op=box reason=\"%s\"",
		          store_dav_last_error(loc->account));
		dav_cache_release(&loc->account);
		return -1;
	}
	loc->access = STORE_DAV_ACCESS_OWNER;
	loc->owner = d->user;
	return 1;
}

/* Is address one the user may send as (its calendar user address)? */
static bool is_self(struct dav_request *d, const char *address)
{
	return address != NULL &&
	       store_sender_allowed(d->httpd->store, d->user, address) == 1;
}

/* Where address's messages go, and the SCHEDULE-STATUS that says so.
 * Returns 0 or -1. */
static int route(struct dav_request *d, const char *address,
                 struct sched_rcpt *r)
{
	struct store_resolution res;
	memset(r, 0, sizeof(*r));
	r->address = address;
	int ret =
	    store_address_resolve(d->httpd->store, address, d->pool, &res);
	if (ret < 0)
		return -1;
	if (ret == 0) {
		const char *at = strrchr(address, '@');
		int local = store_domain_exists(d->httpd->store, at + 1);
		if (local < 0)
			return -1;
		if (local) {
			r->status = "3.7"; /* no such calendar user here */
			return 0;
		}
		res.count = 1;
		res.targets = pool_alloc(d->pool, sizeof(*res.targets));
		res.targets[0] = (struct store_target){.address = address};
	}
	r->accounts = pool_alloc(d->pool, res.count * sizeof(*r->accounts));
	r->remote = pool_alloc(d->pool, res.count * sizeof(*r->remote));
	for (size_t i = 0; i < res.count; i++) {
		if (res.targets[i].is_local)
			r->accounts[r->account_count++] =
			    res.targets[i].address;
		else
			r->remote[r->remote_count++] = res.targets[i].address;
	}
	r->status = r->remote_count > 0 ? "1.1" : "1.2";
	return 0;
}

/* Parses the target member as stored, or NULL. */
static struct ical_object *old_parse(struct dav_request *d)
{
	struct store_dav_object o;
	struct ical_settings set;
	struct ical_object *obj = NULL;
	const char *error;
	ical_settings_init(&set);
	if (!d->has_obj ||
	    store_dav_object_get(d->account, d->coll.id, d->obj.name, true,
	                         d->pool, &o) != 1 ||
	    ical_object_parse(o.data, o.size, &set, d->pool, &obj, &error) < 0)
		return NULL;
	return obj;
}

/* The attendees of it the organizer's messages go to: SCHEDULE-AGENT
 * SERVER, and not the organizer. */
static void organizer_rcpts(struct dav_request *d, const struct ical_itip *it,
                            const struct ical_itip *except,
                            struct sched_rcpt **rcpts_r, size_t *count_r)
{
	*rcpts_r =
	    pool_alloc(d->pool, (it->attendee_count + 1) * sizeof(**rcpts_r));
	*count_r = 0;
	for (size_t i = 0; i < it->attendee_count; i++) {
		const struct ical_itip_attendee *a = &it->attendees[i];
		if (!a->is_server || is_self(d, a->address) ||
		    (except != NULL &&
		     ical_itip_attendee_find(except, a->address) != NULL))
			continue;
		if (route(d, a->address, &(*rcpts_r)[*count_r]) == 0)
			(*count_r)++;
	}
}

/* RFC 5546 §2.1.4: the organizer's revision goes up with a change
 * attendees must hear of; when the client left SEQUENCE as it was, the
 * plan's object becomes obj with SEQUENCE sequence. Returns 0 or -1. */
static int sequence_raise(struct dav_request *d, struct dav_sched *s,
                          int sequence)
{
	struct buf text;
	buf_init(&text);
	ical_itip_write_sequence(s->obj, sequence, &text);
	struct ical_settings set;
	ical_settings_init(&set);
	struct ical_object *raised;
	const char *error;
	int ret = ical_object_parse((const unsigned char *)text.data, text.len,
	                            &set, d->pool, &raised, &error);
	buf_deinit(&text);
	if (ret < 0)
		return -1;
	ical_object_free(&s->own);
	s->own = raised;
	s->obj = raised;
	ical_itip_read(s->obj, d->pool, &s->it);
	return 0;
}

/* The organizer's plan for obj over old. Returns 0, or -1: nothing. */
static int organizer_plan(struct dav_request *d, struct dav_sched *s,
                          const unsigned char **data_io, size_t *size_io,
                          bool *is_changed_r)
{
	struct ical_itip old_it;
	if (s->old != NULL)
		ical_itip_read(s->old, d->pool, &old_it);
	s->is_update = s->old != NULL;
	s->is_request =
	    !s->is_delete &&
	    (s->old == NULL || strcmp(old_it.digest, s->it.digest) != 0);
	if (s->is_request)
		organizer_rcpts(d, &s->it, NULL, &s->rcpts, &s->rcpt_count);
	if (s->is_delete)
		organizer_rcpts(d, &s->it, NULL, &s->gone, &s->gone_count);
	else if (s->old != NULL)
		organizer_rcpts(d, &old_it, &s->it, &s->gone, &s->gone_count);
	if (s->rcpt_count == 0 && s->gone_count == 0)
		return -1;
	if (data_io == NULL)
		return 0;
	bool is_raised = s->is_request && s->old != NULL &&
	                 s->it.sequence <= old_it.sequence &&
	                 sequence_raise(d, s, old_it.sequence + 1) == 0;
	if (s->rcpt_count == 0 && !is_raised)
		return 0;
	const char **addrs =
	    pool_alloc(d->pool, s->rcpt_count * sizeof(*addrs));
	const char **stats =
	    pool_alloc(d->pool, s->rcpt_count * sizeof(*stats));
	for (size_t i = 0; i < s->rcpt_count; i++) {
		addrs[i] = s->rcpts[i].address;
		stats[i] = s->rcpts[i].status;
	}
	struct buf text;
	buf_init(&text);
	ical_itip_write_status(s->obj, addrs, stats, s->rcpt_count, &text);
	*data_io =
	    (const unsigned char *)pool_strndup(d->pool, text.data, text.len);
	*size_io = text.len;
	*is_changed_r = true;
	buf_deinit(&text);
	return 0;
}

/* The attendee's plan: a REPLY when its PARTSTAT changed, or DECLINED
 * when it deletes its copy. Returns 0, or -1: nothing. */
static int attendee_plan(struct dav_request *d, struct dav_sched *s)
{
	if (!s->it.is_organizer_server || (s->is_delete && s->it.is_cancelled))
		return -1;
	const struct ical_itip_attendee *me = NULL;
	for (size_t i = 0; me == NULL && i < s->it.attendee_count; i++) {
		if (is_self(d, s->it.attendees[i].address))
			me = &s->it.attendees[i];
	}
	if (me == NULL)
		return -1;
	s->self = me->address;
	const char *was = "NEEDS-ACTION";
	if (s->old != NULL && !s->is_delete) {
		struct ical_itip old_it;
		ical_itip_read(s->old, d->pool, &old_it);
		const struct ical_itip_attendee *o =
		    ical_itip_attendee_find(&old_it, me->address);
		if (o != NULL)
			was = o->partstat;
	}
	s->partstat = s->is_delete ? "DECLINED" : me->partstat;
	if (!s->is_delete && strcmp(s->partstat, was) == 0)
		return -1;
	return route(d, s->it.organizer, &s->organizer);
}

/* Decides the role and the plan; frees s and returns NULL when nothing is
 * to be sent. */
static struct dav_sched *plan(struct dav_request *d, struct dav_sched *s,
                              const unsigned char **data_io, size_t *size_io,
                              bool *is_changed_r)
{
	ical_itip_read(s->obj, d->pool, &s->it);
	int ret = -1;
	if (s->it.organizer != NULL && is_self(d, s->it.organizer)) {
		s->role = SCHED_ORGANIZER;
		s->self = s->it.organizer;
		ret = organizer_plan(d, s, data_io, size_io, is_changed_r);
	} else if (s->it.organizer != NULL) {
		s->role = SCHED_ATTENDEE;
		ret = attendee_plan(d, s);
	}
	if (ret < 0)
		dav_sched_free(&s);
	return s;
}

/* Scheduling is the owner's, in its own calendars. */
static bool applies(const struct dav_request *d)
{
	return d->access == STORE_DAV_ACCESS_OWNER && !d->is_share &&
	       d->has_coll && d->coll.kind == STORE_DAV_CALENDAR &&
	       strcmp(d->owner, d->user) == 0;
}

/* The plan for a PUT of obj (own: the same when the plan is to free
 * it, else NULL). */
static struct dav_sched *put_plan(struct dav_request *d,
                                  const struct ical_object *obj,
                                  struct ical_object *own,
                                  const unsigned char **data_io,
                                  size_t *size_io, bool *is_changed_r)
{
	struct dav_sched *s = pool_alloc(d->pool, sizeof(*s));
	memset(s, 0, sizeof(*s));
	s->obj = (struct ical_object *)obj; /* borrowed unless own */
	s->own = own;
	s->old = old_parse(d);
	return plan(d, s, data_io, size_io, is_changed_r);
}

struct dav_sched *dav_sched_put(struct dav_request *d,
                                const struct ical_object *obj,
                                const unsigned char **data_io, size_t *size_io,
                                bool *is_changed_r)
{
	*is_changed_r = false;
	if (!applies(d))
		return NULL;
	return put_plan(d, obj, NULL, data_io, size_io, is_changed_r);
}

struct dav_sched *dav_sched_put_data(struct dav_request *d,
                                     const unsigned char **data_io,
                                     size_t *size_io, bool *is_changed_r)
{
	*is_changed_r = false;
	struct ical_settings set;
	ical_settings_init(&set);
	struct ical_object *obj;
	const char *error;
	if (!applies(d) || ical_object_parse(*data_io, *size_io, &set, d->pool,
	                                     &obj, &error) < 0)
		return NULL;
	return put_plan(d, obj, obj, data_io, size_io, is_changed_r);
}

int dav_sched_request_init(struct dav_request *d, struct httpd *httpd,
                           struct pool *pool, const char *user,
                           struct store_account *account, int64_t coll_id,
                           const char *name)
{
	memset(d, 0, sizeof(*d));
	d->httpd = httpd;
	d->pool = pool;
	d->user = user;
	d->account = account;
	if (store_dav_collection_get_by_id(account, coll_id, pool, &d->coll) !=
	    1)
		return -1;
	d->has_coll = true;
	d->access = store_dav_access(account, user, coll_id);
	if (d->access < 0)
		return -1;
	/* only the owner's own calendars schedule (applies) */
	d->owner = d->access == STORE_DAV_ACCESS_OWNER ? user : "";
	if (name != NULL) {
		int ret = store_dav_object_get(account, coll_id, name, false,
		                               pool, &d->obj);
		if (ret < 0)
			return -1;
		d->has_obj = ret == 1;
	}
	return 0;
}

struct dav_sched *dav_sched_delete(struct dav_request *d)
{
	if (!applies(d) || !d->has_obj)
		return NULL;
	struct dav_sched *s = pool_alloc(d->pool, sizeof(*s));
	memset(s, 0, sizeof(*s));
	s->is_delete = true;
	s->obj = old_parse(d);
	if (s->obj == NULL)
		return NULL;
	s->old = s->obj;
	return plan(d, s, NULL, NULL, NULL);
}

void dav_sched_free(struct dav_sched **sp)
{
	struct dav_sched *s = *sp;
	if (s == NULL)
		return;
	if (s->old != NULL)
		ical_object_free(&s->old);
	ical_object_free(&s->own);
	*sp = NULL;
}

/* Sends one message to r: at once to its accounts here, by mail to the
 * rest. */
static void send_to(struct dav_request *d, const struct dav_sched *s,
                    const struct sched_rcpt *r, const char *method,
                    const char *text, const struct ical_object *msg)
{
	for (size_t i = 0; i < r->account_count; i++) {
		if (strcmp(method, "REPLY") == 0)
			(void)dav_sched_deliver_reply(d, r->accounts[i], msg,
			                              text);
		else
			(void)dav_sched_deliver_request(d, r->accounts[i],
			                                r->address, msg, text);
	}
	const struct ical_itip_attendee *me =
	    ical_itip_attendee_find(&s->it, s->self);
	for (size_t i = 0; i < r->remote_count; i++) {
		struct dav_imip m = {
		    .method = method,
		    .from = s->self,
		    .from_name = s->role == SCHED_ORGANIZER
		                     ? s->it.organizer_name
		                     : (me != NULL ? me->name : NULL),
		    .to = r->remote[i],
		    .uid = s->it.uid,
		    .summary = s->it.summary,
		    .start = s->it.start,
		    .partstat = s->partstat,
		    .is_update = s->is_update,
		    .is_uninvite =
		        strcmp(method, "CANCEL") == 0 && !s->is_delete,
		    .itip = text,
		};
		(void)dav_imip_send(d, &m);
	}
}

/* Parses the iTIP message text back for local delivery and sends it to
 * rcpts. */
static void send_text(struct dav_request *d, const struct dav_sched *s,
                      const char *method, const struct buf *text,
                      const struct sched_rcpt *rcpts, size_t count)
{
	struct ical_settings set;
	ical_settings_init(&set);
	set.allow_method = true;
	struct ical_object *msg;
	const char *error;
	if (ical_object_parse((const unsigned char *)text->data, text->len,
	                      &set, d->pool, &msg, &error) < 0) {
		log_error(NULL, "dav sched-failed uid=%s error=\"%s\"",
		          log_sanitize(s->it.uid, 200), error);
		return;
	}
	for (size_t i = 0; i < count; i++)
		send_to(d, s, &rcpts[i], method, text->data, msg);
	ical_object_free(&msg);
}

/* The organizer's CANCEL to the attendees taken off (RFC 5546 §3.2.5):
 * the whole event's when it is deleted, else the uninvite naming them. */
static void send_cancel(struct dav_request *d, const struct dav_sched *s)
{
	struct buf text;
	buf_init(&text);
	if (s->is_delete) {
		ical_itip_write_request(s->old, "CANCEL", &text);
	} else {
		const char **gone =
		    pool_alloc(d->pool, s->gone_count * sizeof(*gone));
		for (size_t i = 0; i < s->gone_count; i++)
			gone[i] = s->gone[i].address;
		(void)ical_itip_write_uninvite(s->old, gone, s->gone_count,
		                               &text);
	}
	if (text.len > 0)
		send_text(d, s, "CANCEL", &text, s->gone, s->gone_count);
	buf_deinit(&text);
}

void dav_sched_done(struct dav_request *d, struct dav_sched **sp)
{
	struct dav_sched *s = *sp;
	if (s == NULL)
		return;
	struct buf text;
	buf_init(&text);
	if (s->role == SCHED_ATTENDEE) {
		if (ical_itip_write_reply(s->obj, s->self, s->partstat,
		                          &text) == 0)
			send_text(d, s, "REPLY", &text, &s->organizer, 1);
	} else {
		if (s->is_request && s->rcpt_count > 0) {
			ical_itip_write_request(s->obj, "REQUEST", &text);
			send_text(d, s, "REQUEST", &text, s->rcpts,
			          s->rcpt_count);
		}
		if (s->gone_count > 0)
			send_cancel(d, s);
	}
	buf_deinit(&text);
	dav_sched_free(sp);
}
