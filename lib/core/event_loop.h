/* The one event loop of a process (STYLE.md §6): a thin wrapper over
 * libevent's event_base so that servers and protocol engines never call
 * libevent. Timers (one-shot, re-armable), signals delivered on the loop
 * (not in a signal handler), and readable-fd watchers. Single-threaded:
 * every callback runs from event_loop_run(). */
#ifndef CORE_EVENT_LOOP_H
#define CORE_EVENT_LOOP_H

#include <stdbool.h>

struct event_loop;
struct event_timer;
struct event_signal;
struct event_io;

typedef void event_cb(void *ctx);

/* Returns a new loop. Aborts if libevent cannot make one. */
struct event_loop *event_loop_new(void);
/* Frees the loop; every timer, signal and watcher must be freed first.
 * Sets *loop to NULL; accepts NULL. */
void event_loop_free(struct event_loop **loop);
/* Runs until event_loop_stop() or nothing is left to wait for.
 * Returns 0, or -1 if libevent failed. */
int event_loop_run(struct event_loop *loop);
/* Makes event_loop_run() return after the current callback. */
void event_loop_stop(struct event_loop *loop);

/* A one-shot timer, not armed. cb runs once per event_timer_set(). */
struct event_timer *event_timer_new(struct event_loop *loop, event_cb *cb,
                                    void *ctx);
/* (Re)arms the timer to fire after msecs milliseconds (0: on the next loop
 * iteration). */
void event_timer_set(struct event_timer *timer, unsigned msecs);
void event_timer_cancel(struct event_timer *timer);
bool event_timer_is_pending(const struct event_timer *timer);
/* Cancels and frees; sets *timer to NULL; accepts NULL. */
void event_timer_free(struct event_timer **timer);

/* Calls cb on the loop every time signo arrives (persistent). */
struct event_signal *event_signal_new(struct event_loop *loop, int signo,
                                      event_cb *cb, void *ctx);
void event_signal_free(struct event_signal **sig);

/* Calls cb whenever fd is readable, while enabled (new watchers start
 * disabled). fd is not owned. */
struct event_io *event_io_new(struct event_loop *loop, int fd, event_cb *cb,
                              void *ctx);
void event_io_set_enabled(struct event_io *io, bool enabled);
void event_io_free(struct event_io **io);

#endif
