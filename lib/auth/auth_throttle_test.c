/* Unit tests for the login throttle. */
#include "auth/auth.h"
#include "core/xmalloc.h"
#include "test/test.h"

#include <stdlib.h>

static void test_auth_throttle_doubling(void)
{
	test_begin("auth throttle doubles up to the cap");
	static const unsigned want[] = {1, 2, 4, 8, 16, 16, 16};
	struct auth_throttle *t = auth_throttle_new(16, 300);
	test_assert_int(auth_throttle_delay(t, "192.0.2.1", 1000), 0);
	for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++) {
		auth_throttle_fail(t, "192.0.2.1", 1000 + (time_t)i);
		test_assert_idx(
		    auth_throttle_delay(t, "192.0.2.1", 1000 + (time_t)i) ==
		        want[i],
		    i);
	}
	test_assert_int(auth_throttle_delay(t, "192.0.2.2", 1000), 0);
	auth_throttle_free(&t);
	test_assert(t == NULL);
	auth_throttle_free(&t);
	test_end();
}

static void test_auth_throttle_forget(void)
{
	test_begin("auth throttle forgets after success and timeout");
	struct auth_throttle *t = auth_throttle_new(60, 100);
	auth_throttle_fail(t, "2001:db8::1", 0);
	auth_throttle_fail(t, "2001:db8::1", 10);
	test_assert_int(auth_throttle_delay(t, "2001:db8::1", 50), 2);
	test_assert_int(auth_throttle_delay(t, "2001:db8::1", 110), 0);
	auth_throttle_fail(t, "2001:db8::1", 200);
	test_assert_int(auth_throttle_delay(t, "2001:db8::1", 200), 1);
	auth_throttle_success(t, "2001:db8::1");
	test_assert_int(auth_throttle_delay(t, "2001:db8::1", 200), 0);
	auth_throttle_success(t, "198.51.100.7");
	auth_throttle_free(&t);
	test_end();
}

static void test_auth_throttle_many(void)
{
	test_begin("auth throttle with many addresses");
	struct auth_throttle *t = auth_throttle_new(1000, 100);
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 5000; i++) {
			char *addr = xasprintf("10.0.%d.%d", i / 256, i % 256);
			auth_throttle_fail(t, addr, round);
			free(addr);
		}
	}
	test_assert_int(auth_throttle_delay(t, "10.0.0.0", 2), 4);
	test_assert_int(auth_throttle_delay(t, "10.0.19.135", 2), 4);
	/* Much later: old entries are stale and get swept as new come. */
	for (int i = 0; i < 5000; i++) {
		char *addr = xasprintf("10.1.%d.%d", i / 256, i % 256);
		auth_throttle_fail(t, addr, 1000);
		free(addr);
	}
	test_assert_int(auth_throttle_delay(t, "10.0.0.0", 1000), 0);
	test_assert_int(auth_throttle_delay(t, "10.1.0.0", 1000), 1);
	auth_throttle_free(&t);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_auth_throttle_doubling,
	                                      test_auth_throttle_forget,
	                                      test_auth_throttle_many, NULL};
	return test_run(tests);
}
