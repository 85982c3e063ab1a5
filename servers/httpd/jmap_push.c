/* JMAP push by EventSource (RFC 8620 §7.3): GET /jmap/eventsource/ with
 * types (a comma list, "*" for all), closeafter ("state": end after the
 * first change; "no") and ping (seconds, 0 none; at most 300). The
 * response is a text/event-stream that never ends by itself: a "state"
 * event with a StateChange object (§7.1) whenever an Email, Mailbox or
 * Thread state of the account moves, a "ping" event with {"interval": N}
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
#include "store/store_imap.h"
#include "store/store_jmap.h"

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
	bool want_email, want_mailbox, want_thread;
	bool close_after;
	bool is_done;    /* the last event is out: end the response */
	bool is_streaming; /* send_stream was called: resume works */
	struct buf out;  /* events not yet handed to the response */
	struct store_jmap_states sent; /* the states last told */
};

struct push_account {
	struct push_account *next;
	char *user;
	char account_id[32];
	struct store_account *account;
	int watch_id;
	struct store_jmap_states states;
	struct push_stream *streams;
	struct jmap_push_sub *subs; /* WebSocket push (jmap_ws.c) */
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

static void stream_state_event(struct push_stream *s,
                               const struct store_jmap_states *st,
                               bool force)
{
	json_t *changed = json_object();
	if (s->want_email && (force || st->email != s->sent.email))
		json_object_set_new(changed, "Email",
		                    json_sprintf("%llu",
		                                 (unsigned long long)st->email));
	if (s->want_mailbox && (force || st->mailbox != s->sent.mailbox))
		json_object_set_new(changed, "Mailbox",
		                    json_sprintf("%llu",
		                                 (unsigned long long)st->mailbox));
	if (s->want_thread && (force || st->thread != s->sent.thread))
		json_object_set_new(changed, "Thread",
		                    json_sprintf("%llu",
		                                 (unsigned long long)st->thread));
	s->sent = *st;
	if (json_object_size(changed) == 0) {
		json_decref(changed);
		return;
	}
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
	if (a->streams != NULL || a->subs != NULL)
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

static void account_changed_cb(int watch_id, void *ctx)
{
	(void)ctx;
	for (struct push_account *a = hub.accounts; a != NULL; a = a->next) {
		if (a->watch_id != watch_id)
			continue;
		struct store_jmap_states st;
		if (store_jmap_states(a->account, &st) < 0)
			continue;
		if (st.email == a->states.email &&
		    st.mailbox == a->states.mailbox &&
		    st.thread == a->states.thread)
			continue;
		a->states = st;
		for (struct push_stream *s = a->streams; s != NULL; s = s->next)
			stream_state_event(s, &st, false);
		for (struct jmap_push_sub *sub = a->subs, *next; sub != NULL;
		     sub = next) {
			next = sub->next;
			sub->cb(&st, sub->ctx);
		}
	}
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
	    store_jmap_states(a->account, &a->states) < 0 ||
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

/* types: "*" or a comma list of type names. */
static void stream_types(struct push_stream *s, const char *types)
{
	bool all = types == NULL || strcmp(types, "*") == 0;
	s->want_email = all || strstr(types, "Email") != NULL;
	s->want_mailbox = all || strstr(types, "Mailbox") != NULL;
	s->want_thread = all || strstr(types, "Thread") != NULL;
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
	stream_types(s, types);
	buf_init(&s->out);
	s->next = a->streams;
	a->streams = s;
	http_request_set_destroy(req, stream_destroy_cb, s);
	s->resp = http_response_new(req, 200);
	http_response_set_type(s->resp, "text/event-stream");
	http_response_add_header(s->resp, "Cache-Control", "no-cache");
	http_response_disable_gzip(s->resp);
	/* the current states first, so a client knows where it starts */
	stream_state_event(s, &a->states, true);
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
                                          struct store_jmap_states *states_r,
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
