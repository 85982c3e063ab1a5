/* Tests for service.c: POSTROOM_LISTEN parsing (good and bad entries) and
 * the per-process and per-IP connection counts. */
#include "core/event_loop.h"
#include "core/service.h"
#include "test/test.h"

#include <stdio.h>
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

static void test_service_conn_count(void)
{
	int fds[2];
	test_begin("service_conn_add limits");
	test_assert(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
	char listen[32];
	snprintf(listen, sizeof(listen), "pop3s:%d", fds[0]);
	struct service_settings set = {
	    .names = names, .max_connections = 3, .max_connections_per_ip = 2};
	struct event_loop *loop = event_loop_new();
	struct service *service = NULL;
	const char *error = NULL;
	test_assert(service_new(loop, listen, &set, &callbacks, NULL, &service,
	                        &error) == 0);
	const struct {
		const char *addr;
		bool is_add;
		int ret;
		unsigned total, from_addr;
	} steps[] = {
	    {"10.0.0.1", true, 0, 1, 1},  {"10.0.0.1", true, 0, 2, 2},
	    {"10.0.0.1", true, -1, 2, 2}, {"10.0.0.2", true, 0, 3, 1},
	    {"10.0.0.3", true, -1, 3, 0}, {"10.0.0.1", false, 0, 2, 1},
	    {"10.0.0.3", true, 0, 3, 1},  {"10.0.0.2", false, 0, 2, 0},
	    {"10.0.0.1", true, 0, 3, 2},
	};
	for (size_t i = 0;
	     service != NULL && i < sizeof(steps) / sizeof(steps[0]); i++) {
		int ret = 0;
		if (steps[i].is_add)
			ret = service_conn_add(service, steps[i].addr, &error);
		else
			service_conn_remove(service, steps[i].addr);
		test_assert_idx(ret == steps[i].ret, i);
		test_assert_idx(service_conn_count(service) == steps[i].total,
		                i);
		test_assert_idx(service_conn_count_ip(service, steps[i].addr) ==
		                    steps[i].from_addr,
		                i);
	}
	test_assert(!service_is_stopping(service));
	service_free(&service);
	event_loop_free(&loop);
	close(fds[1]);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_service_listen_parse,
	                                      test_service_conn_count, NULL};
	return test_run(tests);
}
