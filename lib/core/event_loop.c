/* The event loop wrapper over libevent 2.1: timers, signals, fd watchers.
 * libevent's types stay in this file and the connection files. */
#include "core/event_loop.h"
#include "core/event_loop_private.h"
#include "core/log.h"
#include "core/xmalloc.h"

#include <event2/event.h>
#include <stdlib.h>

struct event_loop {
	struct event_base *base;
};

struct event_timer {
	struct event *ev;
	event_cb *cb;
	void *ctx;
};

struct event_signal {
	struct event *ev;
	event_cb *cb;
	void *ctx;
};

struct event_io {
	struct event *ev;
	event_cb *cb;
	void *ctx;
	bool is_enabled;
};

struct event_loop *event_loop_new(void)
{
	struct event_loop *loop = xcalloc(1, sizeof(*loop));
	loop->base = event_base_new();
	if (loop->base == NULL)
		log_panic("event_base_new failed");
	return loop;
}

void event_loop_free(struct event_loop **loop)
{
	if (*loop == NULL)
		return;
	event_base_free((*loop)->base);
	free(*loop);
	*loop = NULL;
}

struct event_base *event_loop_base(struct event_loop *loop)
{
	return loop->base;
}

int event_loop_run(struct event_loop *loop)
{
	return event_base_dispatch(loop->base) < 0 ? -1 : 0;
}

void event_loop_stop(struct event_loop *loop)
{
	event_base_loopbreak(loop->base);
}

static void timer_fire(evutil_socket_t fd, short what, void *arg)
{
	struct event_timer *t = arg;
	(void)fd;
	(void)what;
	t->cb(t->ctx);
}

struct event_timer *event_timer_new(struct event_loop *loop, event_cb *cb,
                                    void *ctx)
{
	struct event_timer *t = xcalloc(1, sizeof(*t));
	t->cb = cb;
	t->ctx = ctx;
	t->ev = evtimer_new(loop->base, timer_fire, t);
	ASSERT(t->ev != NULL);
	return t;
}

void event_timer_set(struct event_timer *timer, unsigned msecs)
{
	struct timeval tv = {.tv_sec = msecs / 1000,
	                     .tv_usec = (msecs % 1000) * 1000};
	evtimer_add(timer->ev, &tv);
}

void event_timer_cancel(struct event_timer *timer)
{
	evtimer_del(timer->ev);
}

bool event_timer_is_pending(const struct event_timer *timer)
{
	return evtimer_pending(timer->ev, NULL) != 0;
}

void event_timer_free(struct event_timer **timer)
{
	if (*timer == NULL)
		return;
	event_free((*timer)->ev);
	free(*timer);
	*timer = NULL;
}

static void signal_fire(evutil_socket_t fd, short what, void *arg)
{
	struct event_signal *s = arg;
	(void)fd;
	(void)what;
	s->cb(s->ctx);
}

struct event_signal *event_signal_new(struct event_loop *loop, int signo,
                                      event_cb *cb, void *ctx)
{
	struct event_signal *s = xcalloc(1, sizeof(*s));
	s->cb = cb;
	s->ctx = ctx;
	s->ev = evsignal_new(loop->base, signo, signal_fire, s);
	ASSERT(s->ev != NULL);
	evsignal_add(s->ev, NULL);
	return s;
}

void event_signal_free(struct event_signal **sig)
{
	if (*sig == NULL)
		return;
	event_free((*sig)->ev);
	free(*sig);
	*sig = NULL;
}

static void io_fire(evutil_socket_t fd, short what, void *arg)
{
	struct event_io *io = arg;
	(void)fd;
	(void)what;
	io->cb(io->ctx);
}

struct event_io *event_io_new(struct event_loop *loop, int fd, event_cb *cb,
                              void *ctx)
{
	struct event_io *io = xcalloc(1, sizeof(*io));
	io->cb = cb;
	io->ctx = ctx;
	io->ev = event_new(loop->base, fd, EV_READ | EV_PERSIST, io_fire, io);
	ASSERT(io->ev != NULL);
	return io;
}

void event_io_set_enabled(struct event_io *io, bool enabled)
{
	if (enabled == io->is_enabled)
		return;
	io->is_enabled = enabled;
	if (enabled)
		event_add(io->ev, NULL);
	else
		event_del(io->ev);
}

void event_io_free(struct event_io **io)
{
	if (*io == NULL)
		return;
	event_free((*io)->ev);
	free(*io);
	*io = NULL;
}
