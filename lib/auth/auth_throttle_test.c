/* Unit tests for the shared login throttle: penalties double and are
 * enforced before a check (with the next turn reserved), a success clears
 * only its pair, the account's penalty needs two failing addresses, a
 * trusted pair skips the wider penalties, IPv6 counts by /64, records are
 * forgotten, the table stays its size under a spray of addresses, and
 * processes sharing the file lose no update. */
#include "auth/auth_throttle.h"
#include "core/xmalloc.h"
#include "test/test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define T0 1800000000000LL /* msecs since the epoch */

static const struct auth_throttle_settings settings = {
    .max_delay = 16,
    .forget = 900,
    .trust = 86400,
    .entries = 4096,
};

static struct auth_throttle *
throttle_open(const char *name, const struct auth_throttle_settings *set)
{
	char *path = xasprintf("%s/%s", test_tmpdir(), name);
	struct auth_throttle *t = NULL;
	const char *error = NULL;
	int ret = auth_throttle_open(path, set, &t, &error);
	test_assert(ret == 0);
	if (ret < 0)
		printf("open %s: %s\n", path, error);
	free(path);
	return t;
}

/* begin: returns 1/0 and the wait through *wait_r. */
static int begin(struct auth_throttle *t, const char *ip, const char *user,
                 int64_t now, unsigned *wait_r)
{
	const char *error;
	unsigned wait = 12345;
	int ret = auth_throttle_begin(t, ip, user, now, &wait, &error);
	if (wait_r != NULL)
		*wait_r = wait;
	return ret;
}

static unsigned fail(struct auth_throttle *t, const char *ip, const char *user,
                     int64_t now)
{
	const char *error;
	unsigned delay = 12345;
	test_assert(auth_throttle_fail(t, ip, user, now, &delay, &error) == 0);
	return delay;
}

static void success(struct auth_throttle *t, const char *ip, const char *user,
                    int64_t now)
{
	const char *error;
	test_assert(auth_throttle_success(t, ip, user, now, &error) == 0);
}

static struct auth_throttle_counts peek(struct auth_throttle *t, const char *ip,
                                        const char *user, int64_t now)
{
	struct auth_throttle_counts c;
	const char *error;
	memset(&c, 0xff, sizeof(c));
	test_assert(auth_throttle_peek(t, ip, user, now, &c, &error) == 0);
	return c;
}

static void test_auth_throttle_doubling(void)
{
	test_begin("auth throttle doubles its penalty up to the cap");
	struct auth_throttle *t = throttle_open("doubling", &settings);
	static const unsigned want[] = {0,    1000,  2000,  4000,
	                                8000, 16000, 16000, 16000};
	int64_t now = T0;
	unsigned wait;
	for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++) {
		test_assert_idx(begin(t, "192.0.2.1", "bob", now, &wait) == 1,
		                i);
		unsigned delay = fail(t, "192.0.2.1", "bob", now);
		test_assert_idx(delay == want[i], i);
		if (delay > 0) {
			/* During the penalty nothing is checked; its last
			 * 50 ms are forgiven (timer jitter). */
			test_assert_idx(begin(t, "192.0.2.1", "bob",
			                      now + delay - 51, &wait) == 0,
			                i);
			test_assert_idx(wait == 51, i);
		}
		now += delay;
	}
	struct auth_throttle_counts c = peek(t, "192.0.2.1", "bob", now);
	test_assert_int(c.pair_failures, 8);
	test_assert_int(c.addr_failures, 8);
	test_assert_int(c.account_failures, 8);
	test_assert_int(c.account_addrs, 1);
	auth_throttle_close(&t);
	test_assert(t == NULL);
	auth_throttle_close(&t);
	test_end();
}

static void test_auth_throttle_turns(void)
{
	test_begin("auth throttle gives parallel checks one turn each");
	struct auth_throttle *t = throttle_open("turns", &settings);
	for (int i = 0; i < 3; i++)
		fail(t, "192.0.2.1", "bob", T0);
	unsigned wait;
	test_assert(begin(t, "192.0.2.1", "bob", T0 + 1000, &wait) == 0);
	test_assert_int(wait, 1000);
	/* The penalty is over: one check takes the turn before its result
	 * is known, and the others wait a whole penalty more. */
	test_assert(begin(t, "192.0.2.1", "bob", T0 + 1950, &wait) == 1);
	test_assert_int(wait, 0);
	test_assert(begin(t, "192.0.2.1", "bob", T0 + 2000, &wait) == 0);
	test_assert_int(wait, 1950);
	test_assert(begin(t, "192.0.2.1", "bob", T0 + 3950, &wait) == 1);
	test_assert_int(wait, 0);
	for (int i = 0; i < 20; i++) {
		test_assert_idx(
		    begin(t, "192.0.2.1", "bob", T0 + 3950 + i, &wait) == 0, i);
		test_assert_idx(wait == (unsigned)(2000 - i), i);
	}
	/* Other accounts from the address share its penalty too. */
	test_assert(begin(t, "192.0.2.1", "carol", T0 + 3950, &wait) == 0);
	/* A fresh address for bob is not held: one address failed. */
	test_assert(begin(t, "192.0.2.9", "bob", T0 + 3950, &wait) == 1);
	auth_throttle_close(&t);
	test_end();
}

static void test_auth_throttle_success_pair(void)
{
	test_begin("auth throttle success clears its pair only");
	struct auth_throttle *t = throttle_open("success", &settings);
	for (int i = 0; i < 4; i++)
		fail(t, "192.0.2.1", "bob", T0);
	success(t, "192.0.2.1", "alice", T0 + 10);
	struct auth_throttle_counts c = peek(t, "192.0.2.1", "bob", T0 + 10);
	test_assert_int(c.pair_failures, 4);
	test_assert_int(c.addr_failures, 4);
	test_assert(!c.is_trusted);
	unsigned wait;
	test_assert(begin(t, "192.0.2.1", "bob", T0 + 10, &wait) == 0);
	test_assert_int(wait, 4000 - 10);
	/* alice, trusted from there, skips the address's penalty; carol,
	 * never seen, does not. */
	test_assert(peek(t, "192.0.2.1", "alice", T0 + 20).is_trusted);
	test_assert(begin(t, "192.0.2.1", "alice", T0 + 20, &wait) == 1);
	test_assert(begin(t, "192.0.2.1", "carol", T0 + 20, &wait) == 0);
	/* bob's own success clears his pair, not the address's record. */
	success(t, "192.0.2.1", "bob", T0 + 5000);
	c = peek(t, "192.0.2.1", "bob", T0 + 5000);
	test_assert_int(c.pair_failures, 0);
	test_assert_int(c.addr_failures, 4);
	test_assert(c.is_trusted);
	/* Trust ends. */
	c = peek(t, "192.0.2.1", "alice", T0 + 20 + 86400 * 1000LL);
	test_assert(!c.is_trusted);
	auth_throttle_close(&t);
	test_end();
}

static void test_auth_throttle_account(void)
{
	test_begin("auth throttle holds an account guessed from many places");
	struct auth_throttle *t = throttle_open("account", &settings);
	success(t, "198.51.100.7", "bob", T0); /* bob's usual address */
	unsigned wait;
	test_assert(begin(t, "203.0.113.1", "bob", T0, &wait) == 1);
	fail(t, "203.0.113.1", "bob", T0);
	/* One failing address holds only itself. */
	test_assert(begin(t, "203.0.113.2", "bob", T0 + 1, &wait) == 1);
	for (int i = 1; i < 4; i++) {
		char *ip = xasprintf("203.0.113.%d", i + 1);
		fail(t, ip, "bob", T0 + i);
		free(ip);
	}
	struct auth_throttle_counts c = peek(t, "203.0.113.9", "bob", T0 + 4);
	test_assert_int(c.account_failures, 4);
	test_assert_int(c.account_addrs, 4);
	test_assert_int(c.addr_failures, 0);
	/* A new address for bob waits the account's penalty ... */
	test_assert(begin(t, "203.0.113.9", "bob", T0 + 4, &wait) == 0);
	test_assert_int(wait, 4000 - 1);
	/* ... bob from where he logged in before does not, and other
	 * accounts are not held. */
	test_assert(begin(t, "198.51.100.7", "bob", T0 + 4, &wait) == 1);
	test_assert(begin(t, "203.0.113.9", "alice", T0 + 4, &wait) == 1);
	auth_throttle_close(&t);
	test_end();
}

static void test_auth_throttle_forget(void)
{
	test_begin("auth throttle forgets failures");
	struct auth_throttle *t = throttle_open("forget", &settings);
	for (int i = 0; i < 6; i++)
		fail(t, "192.0.2.1", "bob", T0);
	int64_t later = T0 + 900 * 1000LL;
	struct auth_throttle_counts c = peek(t, "192.0.2.1", "bob", later - 1);
	test_assert_int(c.pair_failures, 6);
	c = peek(t, "192.0.2.1", "bob", later);
	test_assert_int(c.pair_failures, 0);
	test_assert_int(c.addr_failures, 0);
	test_assert_int(c.account_failures, 0);
	unsigned wait;
	test_assert(begin(t, "192.0.2.1", "bob", later, &wait) == 1);
	/* Counting starts again from one. */
	test_assert_int(fail(t, "192.0.2.1", "bob", later), 0);
	test_assert_int(fail(t, "192.0.2.1", "bob", later), 1000);
	auth_throttle_close(&t);
	test_end();
}

static void test_auth_throttle_addresses(void)
{
	test_begin("auth throttle keys IPv6 by /64 and IPv4-mapped as IPv4");
	struct auth_throttle *t = throttle_open("addresses", &settings);
	fail(t, "2001:db8::1", "bob", T0);
	fail(t, "2001:db8::ffff:2", "carol", T0);
	fail(t, "::ffff:192.0.2.1", "bob", T0);
	test_assert_int(peek(t, "2001:db8::99", "dave", T0).addr_failures, 2);
	test_assert_int(peek(t, "2001:db8:0:1::1", "dave", T0).addr_failures,
	                0);
	test_assert_int(peek(t, "192.0.2.1", "bob", T0).pair_failures, 1);
	test_assert_int(peek(t, "192.0.2.2", "bob", T0).addr_failures, 0);
	auth_throttle_close(&t);
	test_end();
}

static void test_auth_throttle_bounded(void)
{
	test_begin("auth throttle table keeps its size");
	const struct auth_throttle_settings small = {
	    .max_delay = 16,
	    .forget = 900,
	    .trust = 86400,
	    .entries = 64,
	};
	struct auth_throttle *t = throttle_open("bounded", &small);
	char *path = xasprintf("%s/bounded", test_tmpdir());
	struct stat before, after;
	test_assert(stat(path, &before) == 0);
	for (int i = 0; i < 20000; i++) {
		char *ip =
		    xasprintf("10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
		char *user = xasprintf("user%d", i);
		fail(t, ip, user, T0 + i);
		free(user);
		free(ip);
	}
	test_assert(stat(path, &after) == 0);
	test_assert_int(after.st_size, before.st_size);
	/* The newest records are the ones kept. */
	struct auth_throttle_counts c =
	    peek(t, "10.0.78.31", "user19999", T0 + 20000);
	test_assert_int(c.pair_failures, 1);
	test_assert_int(c.addr_failures, 1);
	test_assert_int(c.account_failures, 1);
	free(path);
	auth_throttle_close(&t);
	test_end();
}

static void test_auth_throttle_processes(void)
{
	test_begin("auth throttle shared by processes loses no failure");
	struct auth_throttle *t = throttle_open("shared", &settings);
	enum { CHILDREN = 4, EACH = 300 };
	pid_t pids[CHILDREN];
	for (int i = 0; i < CHILDREN; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			/* Each opens the file itself, like an authd worker. */
			struct auth_throttle *own = NULL;
			char *path = xasprintf("%s/shared", test_tmpdir());
			const char *error;
			unsigned delay;
			if (auth_throttle_open(path, &settings, &own, &error) <
			    0)
				_exit(2);
			for (int j = 0; j < EACH; j++) {
				if (auth_throttle_fail(own, "192.0.2.1", "bob",
				                       T0 + j, &delay,
				                       &error) < 0)
					_exit(3);
			}
			auth_throttle_close(&own);
			free(path);
			_exit(0);
		}
	}
	for (int i = 0; i < CHILDREN; i++) {
		int status;
		test_assert_idx(waitpid(pids[i], &status, 0) == pids[i] &&
		                    WIFEXITED(status) &&
		                    WEXITSTATUS(status) == 0,
		                i);
	}
	struct auth_throttle_counts c = peek(t, "192.0.2.1", "bob", T0 + EACH);
	test_assert_int(c.pair_failures, CHILDREN * EACH);
	test_assert_int(c.account_failures, CHILDREN * EACH);
	auth_throttle_close(&t);
	test_end();
}

static void test_auth_throttle_resize(void)
{
	test_begin("auth throttle replaces a table of another size");
	struct auth_throttle *old = throttle_open("resize", &settings);
	fail(old, "192.0.2.1", "bob", T0);
	struct auth_throttle_settings bigger = settings;
	bigger.entries = settings.entries * 2;
	struct auth_throttle *t = throttle_open("resize", &bigger);
	test_assert_int(peek(t, "192.0.2.1", "bob", T0).pair_failures, 0);
	fail(t, "192.0.2.1", "bob", T0);
	/* The old mapping still works (a worker of the last generation). */
	fail(old, "192.0.2.1", "bob", T0);
	test_assert_int(peek(old, "192.0.2.1", "bob", T0).pair_failures, 2);
	test_assert_int(peek(t, "192.0.2.1", "bob", T0).pair_failures, 1);
	auth_throttle_close(&old);
	auth_throttle_close(&t);
	/* Reopened at the same size, the records are still there. */
	t = throttle_open("resize", &bigger);
	test_assert_int(peek(t, "192.0.2.1", "bob", T0).pair_failures, 1);
	auth_throttle_close(&t);
	test_end();
}

static void test_auth_throttle_clock_back(void)
{
	test_begin("auth throttle caps penalties when the clock goes back");
	struct auth_throttle *t = throttle_open("clock", &settings);
	for (int i = 0; i < 10; i++)
		fail(t, "192.0.2.1", "bob", T0 + 3600 * 1000LL);
	unsigned wait;
	test_assert(begin(t, "192.0.2.1", "bob", T0, &wait) == 0);
	test_assert_int(wait, 16000);
	test_assert(begin(t, "192.0.2.1", "bob", T0 + 16000, &wait) == 1);
	auth_throttle_close(&t);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_auth_throttle_doubling,
	                                      test_auth_throttle_turns,
	                                      test_auth_throttle_success_pair,
	                                      test_auth_throttle_account,
	                                      test_auth_throttle_forget,
	                                      test_auth_throttle_addresses,
	                                      test_auth_throttle_bounded,
	                                      test_auth_throttle_processes,
	                                      test_auth_throttle_resize,
	                                      test_auth_throttle_clock_back,
	                                      NULL};
	return test_run(tests);
}
