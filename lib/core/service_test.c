/* Tests for service.c: POSTROOM_LISTEN parsing (good and bad entries), the
 * per-process and per-IP connection counts, and a full process evicting the
 * oldest connection that has not logged in (never a logged-in one, never
 * for the per-IP limit). */
#include "core/event_loop.h"
#include "core/service.h"
#include "test/test.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *const names[] = {"pop3", "pop3s", NULL};

static void accept_cb(unsigned name_idx, int fd, const struct sockaddr *addr,
                      void *ctx)
{
	close(fd);
}

static const struct service_callbacks callbacks = {.accept = accept_cb};

static void test_service_listen_parse(void)
{
	int fds[2];
	test_begin("service_new POSTROOM_LISTEN");
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) < 0) {
		test_assert(!"socketpair");
		test_end();
		return;
	}
	char ok[64], two[64], unknown[64];
	snprintf(ok, sizeof(ok), "pop3:%d", fds[0]);
	snprintf(two, sizeof(two), "pop3:%d  pop3s:%d", fds[0], fds[1]);
	snprintf(unknown, sizeof(unknown), "imap:%d", fds[0]);
	static const char *bad[] = {"",        "pop3",    "pop3:", "pop3:x",
	                            "pop3:-1", "pop3:3x", ":3",    NULL};
	const struct {
		const char *listen;
		int ret;
		size_t count;
	} cases[] = {
	    {ok, 0, 1},      {two, 0, 2},     {unknown, -1, 0}, {bad[0], -1, 0},
	    {bad[1], -1, 0}, {bad[2], -1, 0}, {bad[3], -1, 0},  {bad[4], -1, 0},
	    {bad[5], -1, 0}, {bad[6], -1, 0}, {NULL, -1, 0},
	};
	struct service_settings set = {.names = names};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct event_loop *loop = event_loop_new();
		struct service *service = NULL;
		const char *error = NULL;
		int ret = service_new(loop, cases[i].listen, &set, &callbacks,
		                      NULL, &service, &error);
		test_assert_idx(ret == cases[i].ret, i);
		if (ret == 0) {
			test_assert_idx(service_listener_count(service) ==
			                    cases[i].count,
			                i);
			/* service_free closes the fds: hand it duplicates. */
		} else {
			test_assert_idx(error != NULL && error[0] != '\0', i);
		}
		service_free(&service);
		test_assert_idx(service == NULL, i);
		event_loop_free(&loop);
		/* A successful service closed the sockets: make new ones. */
		if (ret == 0 && socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0) {
			snprintf(ok, sizeof(ok), "pop3:%d", fds[0]);
			snprintf(two, sizeof(two), "pop3:%d  pop3s:%d", fds[0],
			         fds[1]);
			snprintf(unknown, sizeof(unknown), "imap:%d", fds[0]);
		}
	}
	close(fds[0]);
	close(fds[1]);
	test_end();
}

/* A connection as a server keeps it: its slot and whether it logged in. */
struct fake_conn {
	struct service *service;
	struct service_slot *slot;
	bool is_logged_in;
	bool was_evicted;
};

static bool fake_can_evict(void *ctx)
{
	const struct fake_conn *c = ctx;
	return !c->is_logged_in;
}

static void fake_evict(void *ctx)
{
	struct fake_conn *c = ctx;
	c->was_evicted = true;
	service_slot_remove(c->service, &c->slot);
}

static const struct service_slot_callbacks fake_callbacks = {
    .can_evict = fake_can_evict,
    .evict = fake_evict,
};

static struct service *make_service(struct event_loop *loop, int fd,
                                    unsigned max, unsigned max_per_ip)
{
	char listen[32];
	snprintf(listen, sizeof(listen), "pop3s:%d", fd);
	struct service_settings set = {.names = names,
	                               .max_connections = max,
	                               .max_connections_per_ip = max_per_ip};
	struct service *service = NULL;
	const char *error = NULL;
	test_assert(service_new(loop, listen, &set, &callbacks, NULL, &service,
	                        &error) == 0);
	return service;
}

static void test_service_conn_count(void)
{
	int fds[2];
	test_begin("service_slot_add limits");
	test_assert(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
	struct event_loop *loop = event_loop_new();
	struct service *service = make_service(loop, fds[0], 3, 2);
	struct fake_conn conns[4];
	memset(conns, 0, sizeof(conns));
	/* all logged in: nothing may be evicted, so limits refuse */
	const struct {
		const char *addr;
		int conn; /* index into conns; add if not counted, else remove
		           */
		int ret;
		unsigned total, from_addr;
	} steps[] = {
	    {"10.0.0.1", 0, 0, 1, 1},  {"10.0.0.1", 1, 0, 2, 2},
	    {"10.0.0.1", 2, -1, 2, 2}, {"10.0.0.2", 2, 0, 3, 1},
	    {"10.0.0.3", 3, -1, 3, 0}, {"10.0.0.1", 0, 0, 2, 1},
	    {"10.0.0.3", 3, 0, 3, 1},  {"10.0.0.2", 2, 0, 2, 0},
	    {"10.0.0.1", 0, 0, 3, 2},
	};
	const char *error = NULL;
	for (size_t i = 0;
	     service != NULL && i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct fake_conn *c = &conns[steps[i].conn];
		int ret = 0;
		c->service = service;
		c->is_logged_in = true;
		if (c->slot == NULL)
			ret = service_slot_add(service, steps[i].addr,
			                       &fake_callbacks, c, &c->slot,
			                       &error);
		else
			service_slot_remove(service, &c->slot);
		test_assert_idx(ret == steps[i].ret, i);
		test_assert_idx(service_conn_count(service) == steps[i].total,
		                i);
		test_assert_idx(service_conn_count_ip(service, steps[i].addr) ==
		                    steps[i].from_addr,
		                i);
	}
	test_assert_int(service_evicted_count(service), 0);
	test_assert(!service_is_stopping(service));
	for (size_t i = 0; i < 4; i++)
		service_slot_remove(service, &conns[i].slot);
	test_assert_int(service_conn_count(service), 0);
	service_free(&service);
	event_loop_free(&loop);
	close(fds[1]);
	test_end();
}

static void test_service_evict(void)
{
	int fds[2];
	test_begin("service_slot_add evicts the oldest not logged in");
	test_assert(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
	struct event_loop *loop = event_loop_new();
	struct service *service = make_service(loop, fds[0], 4, 100);
	struct fake_conn c[8];
	memset(c, 0, sizeof(c));
	const char *error = NULL;
	char addr[32];
	/* 0 logs in; 1..3 never do and fill the process */
	for (int i = 0; i < 4; i++) {
		c[i].service = service;
		snprintf(addr, sizeof(addr), "10.0.1.%d", i);
		test_assert_idx(service_slot_add(service, addr, &fake_callbacks,
		                                 &c[i], &c[i].slot,
		                                 &error) == 0,
		                i);
	}
	c[0].is_logged_in = true;
	/* 4 takes the slot of 1 (the oldest not logged in), not of 0 */
	c[4].service = service;
	test_assert(service_slot_add(service, "10.0.1.4", &fake_callbacks,
	                             &c[4], &c[4].slot, &error) == 0);
	test_assert(c[1].was_evicted && c[1].slot == NULL);
	test_assert(!c[0].was_evicted && !c[2].was_evicted);
	test_assert_int(service_conn_count(service), 4);
	test_assert_int(service_conn_count_ip(service, "10.0.1.1"), 0);
	/* everyone logs in: the next is refused */
	c[2].is_logged_in = c[3].is_logged_in = c[4].is_logged_in = true;
	c[5].service = service;
	test_assert(service_slot_add(service, "10.0.1.5", &fake_callbacks,
	                             &c[5], &c[5].slot, &error) < 0);
	test_assert_str(error, "too many connections");
	test_assert(c[5].slot == NULL);
	test_assert_int(service_evicted_count(service), 1);
	/* the per-IP limit refuses without evicting anyone */
	service_free(&service);
	service = make_service(loop, fds[1], 2, 1);
	for (int i = 0; i < 2; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		c[i].service = service;
		test_assert(service_slot_add(service, i == 0 ? "a" : "b",
		                             &fake_callbacks, &c[i], &c[i].slot,
		                             &error) == 0);
	}
	c[6].service = service;
	test_assert(service_slot_add(service, "a", &fake_callbacks, &c[6],
	                             &c[6].slot, &error) < 0);
	test_assert_str(error, "too many connections from your address");
	test_assert(!c[0].was_evicted && !c[1].was_evicted);
	service_slot_remove(service, &c[0].slot);
	service_slot_remove(service, &c[1].slot);
	service_free(&service);
	event_loop_free(&loop);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_service_listen_parse,
	                                      test_service_conn_count,
	                                      test_service_evict, NULL};
	return test_run(tests);
}
