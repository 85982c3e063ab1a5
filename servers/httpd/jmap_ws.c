/* JMAP over WebSocket (RFC 8887) at /jmap/ws/ with the subprotocol "jmap":
 * each text message is a Request with "@type": "Request" and an optional
 * "id" (§4.3.1), answered by a Response or a RequestError carrying that id
 * as "requestId" (§4.3.2, §4.3.4), run by the same code as the API
 * endpoint (jmap_api_execute). WebSocketPushEnable (§4.3.5, dataTypes or
 * null for all, pushState) subscribes to the account's changes
 * (jmap_push.c) and sends StateChange objects with a pushState;
 * WebSocketPushDisable ends that. Requests are answered in order, one at a
 * time: while the output is full no further message is read (lib/http's
 * backpressure), and a state change meanwhile is sent once there is room
 * (only the latest states: a client learns where to resume, not each
 * step). A browser's upgrade with the session cookie must come from our
 * own origin (RFC 6455 §10.2): another site's page cannot open it. */
#include "core/buf.h"
#include "core/log.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "http/http_request.h"
#include "http/http_ws.h"
#include "httpd.h"
#include "jmap_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct jmap_ws {
	struct httpd *httpd;
	struct http_ws *ws;
	char *user;
	char *session_state;
	struct jmap_push_sub *push; /* NULL while push is off */
	struct jmap_push_follows *follows; /* accounts shared with the user */
	char account_id[32];
	uint32_t want; /* 1 << enum jmap_push_type */
	struct jmap_push_states sent; /* the states last told */
	struct jmap_push_states latest;
	bool is_push_pending; /* latest is not told yet (output full) */
};

static void ws_send_json(struct jmap_ws *w, json_t *v)
{
	char *text = json_dumps(v, JSON_COMPACT);
	http_ws_send(w->ws, true, text, strlen(text));
	free(text);
	json_decref(v);
}

/* The pushState of §4.3.5: every type's state, joined by ".". */
static void push_state_str(const struct jmap_push_states *st, struct buf *out)
{
	for (unsigned t = 0; t < JMAP_PUSH_COUNT; t++)
		buf_printf(out, "%s%llu", t > 0 ? "." : "",
		           (unsigned long long)st->v[t]);
}

/* Parses a pushState of ours. Returns 0 or -1. */
static int push_state_parse(const char *str, struct jmap_push_states *st)
{
	const char *p = str;
	for (unsigned t = 0; t < JMAP_PUSH_COUNT; t++) {
		char *end;
		if (*p < '0' || *p > '9')
			return -1;
		st->v[t] = strtoull(p, &end, 10);
		if (*end != (t + 1 < JMAP_PUSH_COUNT ? '.' : '\0'))
			return -1;
		p = end + (*end == '.');
	}
	return 0;
}

/* Sends a StateChange for what moved since the last one told. */
static void push_send(struct jmap_ws *w, bool force)
{
	json_t *changed =
	    jmap_push_changed(&w->latest, &w->sent, w->want, force);
	w->sent = w->latest;
	w->is_push_pending = false;
	if (changed == NULL)
		return;
	struct buf ps;
	buf_init(&ps);
	push_state_str(&w->latest, &ps);
	ws_send_json(w, json_pack("{s:s, s:{s:o}, s:s}", "@type", "StateChange",
	                          "changed", w->account_id, changed,
	                          "pushState", ps.data));
	buf_deinit(&ps);
}

static void push_cb(const struct jmap_push_states *states, void *ctx)
{
	struct jmap_ws *w = ctx;
	w->latest = *states;
	if (http_ws_output_is_full(w->ws))
		w->is_push_pending = true;
	else
		push_send(w, false);
}

/* A StateChange of a shared account (jmap_push_follow_cb): none while
 * the output is full (offered again when it drains). It carries no
 * pushState: that covers the user's own account. */
static bool follow_cb(json_t *change, bool is_initial, void *ctx)
{
	struct jmap_ws *w = ctx;
	(void)is_initial;
	if (http_ws_output_is_full(w->ws))
		return false;
	ws_send_json(w, json_incref(change));
	return true;
}

static void request_error(struct jmap_ws *w, const struct jmap_problem *p,
                          json_t *id)
{
	json_t *err = jmap_problem_json(p);
	json_object_set_new(err, "@type", json_string("RequestError"));
	if (id != NULL)
		json_object_set(err, "requestId", id);
	ws_send_json(w, err);
}

static void ws_request(struct jmap_ws *w, const unsigned char *data,
                       size_t size, json_t *id)
{
	struct pool *pool = pool_new();
	struct jmap_problem p;
	json_t *resp = jmap_api_execute(w->httpd, w->user, w->session_state,
	                                data, size, pool, &p);
	if (resp != NULL) {
		json_object_set_new(resp, "@type", json_string("Response"));
		if (id != NULL)
			json_object_set(resp, "requestId", id);
		ws_send_json(w, resp);
	} else if (p.status == 503) {
		struct jmap_problem u = {.status = 503,
		                         .type = "urn:ietf:params:jmap:error:"
		                                 "serverUnavailable",
		                         .detail = "account unavailable"};
		request_error(w, &u, id);
	} else {
		request_error(w, &p, id);
	}
	pool_free(&pool);
}

/* WebSocketPushEnable: dataTypes (null: all), pushState. */
static void push_enable(struct jmap_ws *w, json_t *msg, json_t *id)
{
	json_t *types = json_object_get(msg, "dataTypes");
	json_t *ps = json_object_get(msg, "pushState");
	if ((types != NULL && !json_is_null(types) && !json_is_array(types)) ||
	    (ps != NULL && !json_is_null(ps) && !json_is_string(ps))) {
		struct jmap_problem p = {.status = 400,
		                         .type = JMAP_PROBLEM_NOT_REQUEST,
		                         .detail = "bad WebSocketPushEnable"};
		request_error(w, &p, id);
		return;
	}
	bool all = types == NULL || json_is_null(types);
	w->want = all ? jmap_push_types_parse(NULL) : 0;
	size_t i;
	json_t *t;
	json_array_foreach(all ? NULL : types, i, t)
	{
		const char *name = json_string_value(t);
		if (name != NULL && strchr(name, ',') == NULL)
			w->want |= jmap_push_types_parse(name);
	}
	if (w->push == NULL) {
		struct pool *pool = pool_new();
		const char *account_id;
		w->push = jmap_push_subscribe(w->httpd, w->user, pool, push_cb,
		                              w, &w->latest, &account_id);
		if (w->push != NULL)
			snprintf(w->account_id, sizeof(w->account_id), "%s",
			         account_id);
		pool_free(&pool);
		if (w->push == NULL) {
			struct jmap_problem p = {
			    .status = 503,
			    .type = "urn:ietf:params:jmap:error:"
			            "serverUnavailable",
			    .detail = "push unavailable"};
			request_error(w, &p, id);
			return;
		}
		w->sent = w->latest;
	}
	/* §4.3.5.1: with a pushState, what changed since it is sent at once
	   (for the shared accounts, which it does not cover: their states) */
	const char *since = json_string_value(ps);
	jmap_push_unfollow(&w->follows);
	w->follows = jmap_push_follow(w->httpd, w->user, w->want, since != NULL,
	                              follow_cb, w);
	if (since != NULL) {
		if (push_state_parse(since, &w->sent) == 0)
			push_send(w, false);
		else
			push_send(w, true);
	}
}

static void ws_message_cb(struct http_ws *ws, bool is_text,
                          const unsigned char *data, size_t size, void *ctx)
{
	(void)ws;
	struct jmap_ws *w = ctx;
	json_t *msg = is_text ? json_loadb((const char *)data, size,
	                                   JSON_REJECT_DUPLICATES, NULL)
	                      : NULL;
	const char *type = json_string_value(json_object_get(msg, "@type"));
	json_t *id = json_object_get(msg, "id");
	if (id != NULL && !json_is_string(id))
		id = NULL;
	if (msg == NULL || type == NULL) {
		struct jmap_problem p = {
		    .status = 400,
		    .type = msg == NULL ? JMAP_PROBLEM_NOT_JSON
		                        : JMAP_PROBLEM_NOT_REQUEST,
		    .detail = msg == NULL ? "not a JSON text message"
		                          : "no @type"};
		request_error(w, &p, id);
	} else if (strcmp(type, "Request") == 0) {
		ws_request(w, data, size, id);
	} else if (strcmp(type, "WebSocketPushEnable") == 0) {
		push_enable(w, msg, id);
	} else if (strcmp(type, "WebSocketPushDisable") == 0) {
		jmap_push_unsubscribe(&w->push);
		jmap_push_unfollow(&w->follows);
	} else {
		struct jmap_problem p = {.status = 400,
		                         .type = JMAP_PROBLEM_NOT_REQUEST,
		                         .detail = "unknown @type"};
		request_error(w, &p, id);
	}
	json_decref(msg);
}

static void ws_drained_cb(struct http_ws *ws, void *ctx)
{
	(void)ws;
	struct jmap_ws *w = ctx;
	if (w->is_push_pending)
		push_send(w, false);
	jmap_push_follow_flush(w->follows);
}

static void ws_closed_cb(struct http_ws *ws, unsigned code, void *ctx)
{
	(void)ws;
	struct jmap_ws *w = ctx;
	log_info(NULL, "jmap-websocket-closed user=%s code=%u",
	         log_sanitize(w->user, 100), code);
	jmap_push_unsubscribe(&w->push);
	jmap_push_unfollow(&w->follows);
	free(w->user);
	free(w->session_state);
	free(w);
}

static const struct http_ws_callbacks jmap_ws_callbacks = {
    .message = ws_message_cb,
    .drained = ws_drained_cb,
    .closed = ws_closed_cb,
};

void jmap_ws_handler(struct http_request *req, void *ctx)
{
	struct httpd *httpd = ctx;
	unsigned status;
	const char *error;
	if (http_ws_check(req, "jmap", &status, &error) < 0) {
		http_ws_refuse(req, status, error);
		return;
	}
	/* cross-site WebSocket hijacking: a page of another origin */
	if ((http_request_header(req, "Origin") != NULL ||
	     http_request_header(req, "Sec-Fetch-Site") != NULL) &&
	    !http_request_is_same_origin(req)) {
		http_ws_refuse(req, 403, "cross-origin WebSocket");
		return;
	}
	struct jmap_ws *w = xcalloc(1, sizeof(*w));
	w->httpd = httpd;
	w->user = xstrdup(http_request_user(req));
	w->session_state =
	    xstrdup(jmap_api_session_state(req, httpd, w->user));
	const struct http_ws_settings set = {
	    .max_message = (size_t)jmap_server_settings.max_size_request,
	};
	w->ws = http_ws_accept(req, "jmap", &set, &jmap_ws_callbacks, w);
}
