/* qmgr's client of the relay server: one kept, non-blocking UNIX stream
 * connection to run/relay.sock carrying core/ipc records (relay.h in
 * servers/relay gives the protocol). Unlike deliver, relay answers late and
 * out of order, so each request is remembered (an in-flight entry holding
 * the results that arrived) until its "done" record, and the message waits
 * in active/ meanwhile. If the connection breaks, every message in flight
 * is finished with what arrived: the rest counts as a temporary failure. */
#include "qmgr/qmgr.h"
#include "core/buf.h"
#include "core/ipc.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "queue/queue.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct qmgr_inflight {
	struct qmgr_inflight *next;
	char id[QUEUE_ID_MAX];
	size_t rcpt_count;
	struct qmgr_result *results; /* texts on the heap */
};

struct qmgr_relay {
	struct qmgr *q;
	char *path;
	struct bufferevent *bev;
	struct qmgr_inflight *inflight;
	size_t inflight_count;
};

struct qmgr_relay *qmgr_relay_new(struct qmgr *q, const char *path)
{
	struct qmgr_relay *r = xcalloc(1, sizeof(*r));
	r->q = q;
	r->path = xstrdup(path);
	return r;
}

static void inflight_free(struct qmgr_inflight *f)
{
	for (size_t i = 0; i < f->rcpt_count; i++) {
		free((char *)f->results[i].text);
		free((char *)f->results[i].enhanced);
		free((char *)f->results[i].mta);
	}
	free(f->results);
	free(f);
}

/* Takes the entry for id out of the list; NULL if unknown. */
static struct qmgr_inflight *inflight_take(struct qmgr_relay *r, const char *id)
{
	for (struct qmgr_inflight **p = &r->inflight; *p != NULL;
	     p = &(*p)->next) {
		if (strcmp((*p)->id, id) == 0) {
			struct qmgr_inflight *f = *p;
			*p = f->next;
			r->inflight_count--;
			return f;
		}
	}
	return NULL;
}

static struct qmgr_inflight *inflight_find(struct qmgr_relay *r, const char *id)
{
	struct qmgr_inflight *f = r->inflight;
	while (f != NULL && strcmp(f->id, id) != 0)
		f = f->next;
	return f;
}

/* Finishes every message in flight (the connection is gone). */
static void relay_lost(struct qmgr_relay *r, const char *why)
{
	if (r->bev != NULL)
		bufferevent_free(r->bev);
	r->bev = NULL;
	if (r->inflight != NULL)
		log_warn(NULL, "relay-lost in_flight=%zu error=%s",
		         r->inflight_count, why);
	while (r->inflight != NULL) {
		struct qmgr_inflight *f = inflight_take(r, r->inflight->id);
		qmgr_message_relayed(r->q, f->id, f->results, f->rcpt_count);
		inflight_free(f);
	}
}

void qmgr_relay_free(struct qmgr_relay **rp)
{
	struct qmgr_relay *r = *rp;
	if (r == NULL)
		return;
	*rp = NULL;
	if (r->bev != NULL)
		bufferevent_free(r->bev);
	while (r->inflight != NULL)
		inflight_free(inflight_take(r, r->inflight->id));
	free(r->path);
	free(r);
}

static void result_store(struct qmgr_inflight *f, const struct ipc_record *rec)
{
	const char *rcpt = ipc_record_get(rec, "rcpt");
	const char *status = ipc_record_get(rec, "status");
	const char *text = ipc_record_get(rec, "text");
	const char *enhanced = ipc_record_get(rec, "enhanced");
	const char *code = ipc_record_get(rec, "code");
	const char *mta = ipc_record_get(rec, "mta");
	const char *dsn = ipc_record_get(rec, "dsn");
	char *end;
	unsigned long idx = rcpt != NULL ? strtoul(rcpt, &end, 10) : 0;
	if (rcpt == NULL || *end != '\0' || idx >= f->rcpt_count ||
	    status == NULL) {
		log_warn(NULL, "relay-bad-result id=%s", f->id);
		return;
	}
	struct qmgr_result *res = &f->results[idx];
	free((char *)res->text);
	free((char *)res->enhanced);
	free((char *)res->mta);
	res->status = strcmp(status, "ok") == 0         ? QMGR_RESULT_OK
	              : strcmp(status, "permfail") == 0 ? QMGR_RESULT_PERMFAIL
	                                                : QMGR_RESULT_TEMPFAIL;
	/* "550 5.1.1 text": what a DSN's Diagnostic-Code shows */
	res->text =
	    xasprintf("%s%s%s%s%s", code != NULL ? code : "",
	              code != NULL ? " " : "", enhanced != NULL ? enhanced : "",
	              enhanced != NULL ? " " : "", text != NULL ? text : "");
	res->enhanced = enhanced != NULL ? xstrdup(enhanced) : NULL;
	res->mta = mta != NULL ? xstrdup(mta) : NULL;
	res->is_dsn_passed = dsn != NULL && strcmp(dsn, "1") == 0;
}

static void record_handle(struct qmgr_relay *r, const struct ipc_record *rec)
{
	const char *id = ipc_record_get(rec, "id");
	if (id == NULL)
		return;
	if (strcmp(rec->verb, "result") == 0) {
		struct qmgr_inflight *f = inflight_find(r, id);
		if (f != NULL)
			result_store(f, rec);
	} else if (strcmp(rec->verb, "done") == 0) {
		struct qmgr_inflight *f = inflight_take(r, id);
		if (f != NULL) {
			qmgr_message_relayed(r->q, f->id, f->results,
			                     f->rcpt_count);
			inflight_free(f);
		}
	}
}

static void relay_read_cb(struct bufferevent *bev, void *ctx)
{
	struct qmgr_relay *r = ctx;
	struct evbuffer *in = bufferevent_get_input(bev);
	char *line;
	size_t len;
	while (r->bev != NULL &&
	       (line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) != NULL) {
		struct ipc_record rec;
		const char *error;
		if (ipc_record_decode(line, len, &rec, &error) == 0) {
			record_handle(r, &rec);
			ipc_record_deinit(&rec);
		} else {
			log_warn(NULL, "relay-bad-record error=%s", error);
		}
		free(line);
	}
	if (r->bev != NULL && evbuffer_get_length(in) > IPC_RECORD_MAX_LEN)
		relay_lost(r, "record too long");
}

static void relay_event_cb(struct bufferevent *bev, short what, void *ctx)
{
	struct qmgr_relay *r = ctx;
	(void)bev;
	relay_lost(r, (what & BEV_EVENT_EOF) != 0 ? "closed" : "error");
}

static int relay_connect(struct qmgr_relay *r)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	if (strlen(r->path) >= sizeof(sun.sun_path))
		return -1;
	memcpy(sun.sun_path, r->path, strlen(r->path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
		close(fd);
		return -1;
	}
	r->bev = bufferevent_socket_new(r->q->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (r->bev == NULL) {
		close(fd);
		return -1;
	}
	bufferevent_setcb(r->bev, relay_read_cb, NULL, relay_event_cb, r);
	bufferevent_enable(r->bev, EV_READ | EV_WRITE);
	return 0;
}

int qmgr_relay_send(struct qmgr_relay *r, const struct queue_envelope *env,
                    const char *path, const size_t *idx, size_t count)
{
	if (inflight_find(r, env->id) != NULL)
		return -1;
	if (r->bev == NULL && relay_connect(r) < 0)
		return -1;
	struct ipc_record req;
	struct buf line, list;
	buf_init(&line);
	buf_init(&list);
	for (size_t i = 0; i < count; i++)
		buf_printf(&list, "%s%zu", i > 0 ? "," : "", idx[i]);
	ipc_record_init(&req, "relay");
	ipc_record_add(&req, "id", env->id);
	ipc_record_add(&req, "path", path);
	ipc_record_add(&req, "rcpts", list.data);
	ipc_record_encode(&req, &line);
	ipc_record_deinit(&req);
	int ret = bufferevent_write(r->bev, line.data, line.len);
	buf_deinit(&line);
	buf_deinit(&list);
	if (ret < 0)
		return -1;
	struct qmgr_inflight *f = xcalloc(1, sizeof(*f));
	memcpy(f->id, env->id, sizeof(f->id));
	f->rcpt_count = env->rcpt_count;
	f->results = xcalloc(env->rcpt_count + 1, sizeof(*f->results));
	f->next = r->inflight;
	r->inflight = f;
	r->inflight_count++;
	return 0;
}

size_t qmgr_relay_in_flight(const struct qmgr_relay *r)
{
	return r->inflight_count;
}
