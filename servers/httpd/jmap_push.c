/* JMAP push by EventSource (RFC 8620 §7.3): GET /jmap/eventsource/ with
 * types (a comma list, "*" for all), closeafter ("state": end after the
 * first change; "no") and ping (seconds, 0 none; at most 300). The
 * response is a text/event-stream that never ends by itself: a "state"
 * event with a StateChange object (§7.1) whenever a state of the account
 * moves (every type: mail, Identity, EmailSubmission, SieveScript,
 * VacationResponse, AddressBook, ContactCard, Calendar, CalendarEvent,
 * Task, JournalEntry: a CalDAV or CardDAV write shows at once), a "ping" event with {"interval": N}
 * every ping seconds. What moves the states is the store's change
 * notification: one process-wide store_watcher (one inotify instance per
 * process) and one open account per watched account, shared by every
 * stream of that account; on a change each account's states are read
 * once and every stream of it that asked for a changed type gets an event.
 * A stream costs its struct and its connection: nothing per stream is
 * read from the store. */
#include "core/buf.h"
#include "core/event_loop.h"
#include "core/log.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "http/http_query.h"
#include "http/http_request.h"
#include "http/http_response.h"
#include "httpd.h"
#include "jmap_server.h"
#include "jmap_share.h"
#include "store/store_imap.h"
#include "store/store_jmap.h"
#include "store/store_jmap_dav.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PUSH_PING_MAX 300

struct push_account;

struct push_stream {
	struct push_stream *next;
	struct push_account *acct;
	struct http_request *req;
	struct http_response *resp;
	struct event_timer *ping_timer;
	unsigned ping; /* seconds, 0: none */
	uint32_t want;  /* 1 << enum jmap_push_type */
	bool close_after;
	bool is_done;    /* the last event is out: end the response */
	bool is_streaming; /* send_stream was called: resume works */
	struct buf out;  /* events not yet handed to the response */
	struct jmap_push_states sent; /* the states last told */
	struct jmap_push_follows *follows; /* accounts shared with the user */
};

struct push_account {
	struct push_account *next;
	char *user;
	char account_id[32];
	struct store_account *account;
	int watch_id;
	struct jmap_push_states states;
	struct push_stream *streams;
	struct jmap_push_sub *subs; /* WebSocket push (jmap_ws.c) */
	struct push_follow *follows; /* grantees following this account */
	struct jmap_push_follows *follow_sets; /* this user's followings */
};

/* A grantee's stream or WebSocket following one owner's shared
 * calendars and address books (jmap_push_follow). */
struct push_follow {
	struct push_follow *next;        /* in the owner's follows */
	struct push_follow *next_of_set; /* in the follower's set */
	struct push_account *owner;
	char *user; /* the grantee */
	uint32_t want;
	struct jmap_share_account share; /* as last told */
	struct jmap_push_states sent;    /* the owner's states last told */
	bool is_pending; /* a change is not told yet (cb refused it) */
	jmap_push_follow_cb *cb;
	void *ctx;
};

/* One stream's or WebSocket's following of every account shared with
 * its user; kept on the user's own push_account, whose changes file a new
 * share touches (store_dav_share_set), so the share is followed then. */
struct jmap_push_follows {
	struct jmap_push_follows *next; /* in self's follow_sets */
	struct push_account *self;      /* the user's own */
	struct push_follow *list;
	uint32_t want;
	jmap_push_follow_cb *cb;
	void *ctx;
};

struct jmap_push_sub {
	struct jmap_push_sub *next;
	struct push_account *acct;
	jmap_push_cb *cb;
	void *ctx;
};

static struct {
	struct httpd *httpd;
	struct store_watcher *watcher;
	struct event_io *io;
	struct push_account *accounts;
} hub;

const char *const jmap_push_type_names[JMAP_PUSH_COUNT] = {
    [JMAP_PUSH_EMAIL] = "Email",
    [JMAP_PUSH_MAILBOX] = "Mailbox",
    [JMAP_PUSH_THREAD] = "Thread",
    [JMAP_PUSH_IDENTITY] = "Identity",
    [JMAP_PUSH_SUBMISSION] = "EmailSubmission",
    [JMAP_PUSH_SIEVE] = "SieveScript",
    [JMAP_PUSH_VACATION] = "VacationResponse",
    [JMAP_PUSH_ADDRESSBOOK] = "AddressBook",
    [JMAP_PUSH_CARD] = "ContactCard",
    [JMAP_PUSH_CALENDAR] = "Calendar",
    [JMAP_PUSH_EVENT] = "CalendarEvent",
    [JMAP_PUSH_TASK] = "Task",
    [JMAP_PUSH_JOURNAL] = "JournalEntry",
};

int jmap_push_states_read(struct store_account *account,
                          struct jmap_push_states *st)
{
	struct store_jmap_states mail;
	uint64_t *v = st->v;
	if (store_jmap_states(account, &mail) < 0 ||
	    store_jmap_state(account, STORE_JMAP_IDENTITY,
	                     &v[JMAP_PUSH_IDENTITY]) < 0 ||
	    store_jmap_state(account, STORE_JMAP_SUBMISSION,
	                     &v[JMAP_PUSH_SUBMISSION]) < 0 ||
	    store_jmap_state(account, STORE_JMAP_SIEVE, &v[JMAP_PUSH_SIEVE]) <
	        0 ||
	    store_jmap_dav_collection_state(account, STORE_DAV_ADDRESSBOOK,
	                                    &v[JMAP_PUSH_ADDRESSBOOK]) < 0 ||
	    store_jmap_dav_collection_state(account, STORE_DAV_CALENDAR,
	                                    &v[JMAP_PUSH_CALENDAR]) < 0 ||
	    store_jmap_dav_state(account, STORE_JMAP_DAV_CARD,
	                         &v[JMAP_PUSH_CARD]) < 0 ||
	    store_jmap_dav_state(account, STORE_JMAP_DAV_EVENT,
	                         &v[JMAP_PUSH_EVENT]) < 0 ||
	    store_jmap_dav_state(account, STORE_JMAP_DAV_TASK,
	                         &v[JMAP_PUSH_TASK]) < 0 ||
	    store_jmap_dav_state(account, STORE_JMAP_DAV_JOURNAL,
	                         &v[JMAP_PUSH_JOURNAL]) < 0)
		return -1;
	v[JMAP_PUSH_EMAIL] = mail.email;
	v[JMAP_PUSH_MAILBOX] = mail.mailbox;
	v[JMAP_PUSH_THREAD] = mail.thread;
	/* the vacation lives in the Sieve scripts */
	v[JMAP_PUSH_VACATION] = v[JMAP_PUSH_SIEVE];
	return 0;
}

uint32_t jmap_push_types_parse(const char *list)
{
	uint32_t want = 0;
	if (list == NULL || strcmp(list, "*") == 0)
		return (1u << JMAP_PUSH_COUNT) - 1;
	for (const char *p = list; *p != '\0';) {
		size_t len = strcspn(p, ",");
		for (unsigned t = 0; t < JMAP_PUSH_COUNT; t++)
			if (strlen(jmap_push_type_names[t]) == len &&
			    strncmp(p, jmap_push_type_names[t], len) == 0)
				want |= 1u << t;
		p += len + (p[len] == ',');
	}
	return want;
}

json_t *jmap_push_changed(const struct jmap_push_states *st,
                          const struct jmap_push_states *sent, uint32_t want,
                          bool force)
{
	json_t *changed = NULL;
	for (unsigned t = 0; t < JMAP_PUSH_COUNT; t++) {
		if ((want & (1u << t)) == 0 ||
		    (!force && st->v[t] == sent->v[t]))
			continue;
		if (changed == NULL)
			changed = json_object();
		json_object_set_new(changed, jmap_push_type_names[t],
		                    json_sprintf("%llu",
		                                 (unsigned long long)st->v[t]));
	}
	return changed;
}

static void stream_state_event(struct push_stream *s,
                               const struct jmap_push_states *st, bool force)
{
	json_t *changed = jmap_push_changed(st, &s->sent, s->want, force);
	s->sent = *st;
	if (changed == NULL)
		return;
	json_t *ev = json_pack("{s:s, s:{s:o}}", "@type", "StateChange",
	                       "changed", s->acct->account_id, changed);
	char *text = json_dumps(ev, JSON_COMPACT);
	buf_printf(&s->out, "event: state\ndata: %s\n\n", text);
	free(text);
	json_decref(ev);
	if (s->close_after && !force)
		s->is_done = true;
	if (s->is_streaming)
		http_response_resume(s->resp);
}

/* A StateChange of a shared account (jmap_push_follow_cb). */
static bool stream_follow_cb(json_t *change, bool is_initial, void *ctx)
{
	struct push_stream *s = ctx;
	char *text = json_dumps(change, JSON_COMPACT);
	buf_printf(&s->out, "event: state\ndata: %s\n\n", text);
	free(text);
	if (s->close_after && !is_initial)
		s->is_done = true;
	if (s->is_streaming)
		http_response_resume(s->resp);
	return true;
}

static enum http_produce stream_produce(struct http_response *resp,
                                        void *ctx)
{
	struct push_stream *s = ctx;
	if (s->out.len > 0) {
		http_response_write(resp, s->out.data, s->out.len);
		buf_truncate(&s->out, 0);
	}
	return s->is_done ? HTTP_PRODUCE_DONE : HTTP_PRODUCE_WAIT;
}

static void stream_ping_cb(void *ctx)
{
	struct push_stream *s = ctx;
	buf_printf(&s->out, "event: ping\ndata: {\"interval\":%u}\n\n",
	           s->ping);
	http_response_resume(s->resp);
	event_timer_set(s->ping_timer, s->ping * 1000);
}

static void account_release(struct push_account *a)
{
	if (a->streams != NULL || a->subs != NULL || a->follows != NULL ||
	    a->follow_sets != NULL)
		return;
	for (struct push_account **p = &hub.accounts; *p != NULL;
	     p = &(*p)->next) {
		if (*p == a) {
			*p = a->next;
			break;
		}
	}
	store_watcher_remove(hub.watcher, a->watch_id);
	store_account_close(&a->account);
	free(a->user);
	free(a);
}

/* The request ended: the client left, or the last event is out. */
static void stream_destroy_cb(struct http_request *req, void *ctx)
{
	(void)req;
	struct push_stream *s = ctx;
	struct push_account *a = s->acct;
	jmap_push_unfollow(&s->follows);
	for (struct push_stream **p = &a->streams; *p != NULL;
	     p = &(*p)->next) {
		if (*p == s) {
			*p = s->next;
			break;
		}
	}
	event_timer_free(&s->ping_timer);
	buf_deinit(&s->out);
	free(s);
	account_release(a);
}

static void follow_tell(struct push_follow *f, bool force);
static void follows_add(struct jmap_push_follows *set, bool tell);

static void account_changed_cb(int watch_id, void *ctx)
{
	(void)ctx;
	for (struct push_account *a = hub.accounts; a != NULL; a = a->next) {
		if (a->watch_id != watch_id)
			continue;
		for (struct jmap_push_follows *set = a->follow_sets;
		     set != NULL; set = set->next)
			follows_add(set, true);
		struct jmap_push_states st;
		if (jmap_push_states_read(a->account, &st) < 0 ||
		    memcmp(&st, &a->states, sizeof(st)) == 0)
			continue;
		a->states = st;
		for (struct push_stream *s = a->streams; s != NULL; s = s->next)
			stream_state_event(s, &st, false);
		for (struct jmap_push_sub *sub = a->subs, *next; sub != NULL;
		     sub = next) {
			next = sub->next;
			sub->cb(&st, sub->ctx);
		}
		for (struct push_follow *f = a->follows, *next; f != NULL;
		     f = next) {
			next = f->next;
			follow_tell(f, false);
		}
	}
}

static struct push_account *account_get(struct httpd *httpd, const char *user,
                                        struct pool *pool);

/* The types of a shared account: a book's and a calendar's. */
static uint32_t share_types(const struct jmap_share_account *a)
{
	uint32_t t = 0;
	if (a->has_book)
		t |= 1u << JMAP_PUSH_ADDRESSBOOK | 1u << JMAP_PUSH_CARD;
	if (a->has_calendar)
		t |= 1u << JMAP_PUSH_CALENDAR | 1u << JMAP_PUSH_EVENT |
		     1u << JMAP_PUSH_TASK | 1u << JMAP_PUSH_JOURNAL;
	return t;
}

/* Tells f's follower what moved in the owner's shared types since the
 * last time (all of them when force), with the states /get gives on the
 * shared account (jmap_share_state). The shares are read again first:
 * one that ended is told no more, one that changed moves every state. */
static void follow_tell(struct push_follow *f, bool force)
{
	struct pool *pool = pool_new();
	struct jmap_share_account *accts, now = {0};
	size_t count = 0;
	if (jmap_share_accounts(hub.httpd, f->user, pool, &accts, &count) < 0)
		goto out;
	for (size_t i = 0; i < count; i++) {
		if (strcmp(accts[i].account_id, f->owner->account_id) == 0)
			now = accts[i];
	}
	bool reprint = now.book_print != f->share.book_print ||
	               now.calendar_print != f->share.calendar_print;
	const struct jmap_push_states *st = &f->owner->states;
	uint32_t types = share_types(&now) & f->want;
	json_t *changed = json_object();
	for (unsigned t = 0; t < JMAP_PUSH_COUNT; t++) {
		if ((types & (1u << t)) == 0 ||
		    (!force && !reprint && st->v[t] == f->sent.v[t]))
			continue;
		enum store_dav_kind kind =
		    t == JMAP_PUSH_ADDRESSBOOK || t == JMAP_PUSH_CARD
		        ? STORE_DAV_ADDRESSBOOK
		        : STORE_DAV_CALENDAR;
		json_object_set_new(
		    changed, jmap_push_type_names[t],
		    json_string(jmap_share_state(
		        pool, st->v[t], jmap_share_print(&now, kind))));
	}
	if (json_object_size(changed) == 0) {
		json_decref(changed);
		f->sent = *st;
		f->share = now;
		f->is_pending = false;
		goto out;
	}
	json_t *ev = json_pack("{s:s, s:{s:o}}", "@type", "StateChange",
	                       "changed", f->owner->account_id, changed);
	f->is_pending = !f->cb(ev, force, f->ctx);
	json_decref(ev);
	if (!f->is_pending) {
		f->sent = *st;
		f->share = now;
	}
out:
	pool_free(&pool);
}

/* Follows every account shared with set's user that set does not follow
 * yet (telling each one's states at once when tell). */
static void follows_add(struct jmap_push_follows *set, bool tell)
{
	struct pool *pool = pool_new();
	struct jmap_share_account *accts;
	size_t count;
	if (jmap_share_accounts(hub.httpd, set->self->user, pool, &accts,
	                        &count) < 0)
		count = 0;
	for (size_t i = 0; i < count; i++) {
		struct push_follow *f = set->list;
		while (f != NULL &&
		       strcmp(f->owner->account_id, accts[i].account_id) != 0)
			f = f->next_of_set;
		if (f != NULL)
			continue;
		struct push_account *owner =
		    account_get(hub.httpd, accts[i].owner, pool);
		if (owner == NULL)
			continue;
		f = xcalloc(1, sizeof(*f));
		f->owner = owner;
		f->user = xstrdup(set->self->user);
		f->want = set->want;
		f->share = accts[i];
		f->sent = owner->states;
		f->cb = set->cb;
		f->ctx = set->ctx;
		f->next = owner->follows;
		owner->follows = f;
		f->next_of_set = set->list;
		set->list = f;
		if (tell)
			follow_tell(f, true);
	}
	pool_free(&pool);
}

struct jmap_push_follows *jmap_push_follow(struct httpd *httpd,
                                           const char *user, uint32_t want,
                                           bool tell_now,
                                           jmap_push_follow_cb *cb, void *ctx)
{
	struct pool *pool = pool_new();
	struct push_account *self = account_get(httpd, user, pool);
	pool_free(&pool);
	if (self == NULL)
		return NULL;
	struct jmap_push_follows *set = xcalloc(1, sizeof(*set));
	set->self = self;
	set->want = want;
	set->cb = cb;
	set->ctx = ctx;
	set->next = self->follow_sets;
	self->follow_sets = set;
	follows_add(set, tell_now);
	return set;
}

void jmap_push_follow_flush(struct jmap_push_follows *set)
{
	for (struct push_follow *f = set != NULL ? set->list : NULL; f != NULL;
	     f = f->next_of_set) {
		if (f->is_pending)
			follow_tell(f, false);
	}
}

void jmap_push_unfollow(struct jmap_push_follows **setp)
{
	struct jmap_push_follows *set = *setp;
	if (set == NULL)
		return;
	*setp = NULL;
	for (struct push_follow *f = set->list, *next; f != NULL; f = next) {
		next = f->next_of_set;
		struct push_account *a = f->owner;
		for (struct push_follow **p = &a->follows; *p != NULL;
		     p = &(*p)->next) {
			if (*p == f) {
				*p = f->next;
				break;
			}
		}
		free(f->user);
		free(f);
		account_release(a);
	}
	struct push_account *self = set->self;
	for (struct jmap_push_follows **p = &self->follow_sets; *p != NULL;
	     p = &(*p)->next) {
		if (*p == set) {
			*p = set->next;
			break;
		}
	}
	free(set);
	account_release(self);
}

static void hub_io_cb(void *ctx)
{
	(void)ctx;
	store_watcher_read(hub.watcher, account_changed_cb, NULL);
}

static struct push_account *account_get(struct httpd *httpd, const char *user,
                                        struct pool *pool)
{
	for (struct push_account *a = hub.accounts; a != NULL; a = a->next) {
		if (strcmp(a->user, user) == 0)
			return a;
	}
	if (hub.watcher == NULL) {
		hub.httpd = httpd;
		hub.watcher = store_watcher_new(httpd->store);
		hub.io = event_io_new(httpd->loop, store_watcher_fd(hub.watcher),
		                      hub_io_cb, NULL);
		event_io_set_enabled(hub.io, true);
	}
	struct push_account *a = xcalloc(1, sizeof(*a));
	const char *error;
	if (jmap_server_account_id(httpd, user, pool, a->account_id,
	                           sizeof(a->account_id)) < 0 ||
	    store_account_open(httpd->store, user, &a->account, &error) < 0 ||
	    jmap_push_states_read(a->account, &a->states) < 0 ||
	    (a->watch_id = store_watcher_add(hub.watcher, a->account)) < 0) {
		store_account_close(&a->account);
		free(a);
		return NULL;
	}
	a->user = xstrdup(user);
	a->next = hub.accounts;
	hub.accounts = a;
	return a;
}

void jmap_eventsource_handler(struct http_request *req, void *context)
{
	struct httpd *httpd = context;
	struct pool *pool = http_request_pool(req);
	const char *query = http_request_head(req)->query;
	const char *types = NULL, *close_after = NULL, *ping = NULL;
	if (http_query_get(query, "types", pool, &types) < 0 ||
	    http_query_get(query, "closeafter", pool, &close_after) < 0 ||
	    http_query_get(query, "ping", pool, &ping) < 0) {
		struct http_response *resp = http_response_new(req, 400);
		http_response_send_text(resp, "bad query\n");
		return;
	}
	char *end = NULL;
	unsigned long interval = ping != NULL ? strtoul(ping, &end, 10) : 0;
	if ((ping != NULL && (*end != '\0' || ping[0] == '\0')) ||
	    (close_after != NULL && strcmp(close_after, "state") != 0 &&
	     strcmp(close_after, "no") != 0)) {
		struct http_response *resp = http_response_new(req, 400);
		http_response_send_text(resp, "bad ping or closeafter\n");
		return;
	}
	struct push_account *a = account_get(httpd, http_request_user(req),
	                                     pool);
	if (a == NULL) {
		struct http_response *resp = http_response_new(req, 503);
		http_response_send_text(resp, "account unavailable\n");
		return;
	}
	struct push_stream *s = xcalloc(1, sizeof(*s));
	s->acct = a;
	s->req = req;
	/* §7.3: the server may raise a ping below its minimum */
	s->ping = interval > PUSH_PING_MAX ? PUSH_PING_MAX : (unsigned)interval;
	s->close_after = close_after != NULL && strcmp(close_after, "state") == 0;
	s->want = jmap_push_types_parse(types);
	buf_init(&s->out);
	s->next = a->streams;
	a->streams = s;
	http_request_set_destroy(req, stream_destroy_cb, s);
	s->resp = http_response_new(req, 200);
	http_response_set_type(s->resp, "text/event-stream");
	http_response_add_header(s->resp, "Cache-Control", "no-cache");
	http_response_disable_gzip(s->resp);
	/* the current states first, so a client knows where it starts;
	   then those of the accounts others share with the user */
	stream_state_event(s, &a->states, true);
	s->follows = jmap_push_follow(httpd, http_request_user(req), s->want,
	                              true, stream_follow_cb, s);
	if (s->ping > 0) {
		s->ping_timer = event_timer_new(httpd->loop, stream_ping_cb, s);
		event_timer_set(s->ping_timer, s->ping * 1000);
	}
	s->is_streaming = true;
	http_response_send_stream(s->resp, stream_produce, s);
}

struct jmap_push_sub *jmap_push_subscribe(struct httpd *httpd,
                                          const char *user, struct pool *pool,
                                          jmap_push_cb *cb, void *ctx,
                                          struct jmap_push_states *states_r,
                                          const char **account_id_r)
{
	struct push_account *a = account_get(httpd, user, pool);
	if (a == NULL)
		return NULL;
	struct jmap_push_sub *sub = xcalloc(1, sizeof(*sub));
	sub->acct = a;
	sub->cb = cb;
	sub->ctx = ctx;
	sub->next = a->subs;
	a->subs = sub;
	*states_r = a->states;
	*account_id_r = a->account_id;
	return sub;
}

void jmap_push_unsubscribe(struct jmap_push_sub **subp)
{
	struct jmap_push_sub *sub = *subp;
	if (sub == NULL)
		return;
	*subp = NULL;
	struct push_account *a = sub->acct;
	for (struct jmap_push_sub **p = &a->subs; *p != NULL; p = &(*p)->next) {
		if (*p == sub) {
			*p = sub->next;
			break;
		}
	}
	free(sub);
	account_release(a);
}
