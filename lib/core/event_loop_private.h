/* For lib/core's own connection and TLS files only: the libevent base
 * under an event_loop. */
#ifndef CORE_EVENT_LOOP_PRIVATE_H
#define CORE_EVENT_LOOP_PRIVATE_H

struct event_base;
struct event_loop;

struct event_base *event_loop_base(struct event_loop *loop);

#endif
