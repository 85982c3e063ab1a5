/* Tests for net.c: numeric addresses and the loopback test. */
#include "core/net.h"
#include "test/test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

static void test_net_addr(void)
{
	static const struct {
		const char *addr;
		bool is_loopback;
		const char *str;
	} cases[] = {
	    {"127.0.0.1", true, "127.0.0.1"},
	    {"127.255.1.2", true, "127.255.1.2"},
	    {"128.0.0.1", false, "128.0.0.1"},
	    {"10.0.0.1", false, "10.0.0.1"},
	    {"::1", true, "::1"},
	    {"::2", false, "::2"},
	    {"::ffff:127.0.0.5", true, "127.0.0.5"},
	    {"::ffff:192.0.2.1", false, "192.0.2.1"},
	    {"2001:db8::1", false, "2001:db8::1"},
	};
	test_begin("net_addr_str, net_addr_is_loopback");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sockaddr_storage ss;
		memset(&ss, 0, sizeof(ss));
		if (strchr(cases[i].addr, ':') != NULL) {
			struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
			in6->sin6_family = AF_INET6;
			inet_pton(AF_INET6, cases[i].addr, &in6->sin6_addr);
		} else {
			struct sockaddr_in *in = (struct sockaddr_in *)&ss;
			in->sin_family = AF_INET;
			inet_pton(AF_INET, cases[i].addr, &in->sin_addr);
		}
		char str[NET_ADDR_STR_MAX];
		net_addr_str((struct sockaddr *)&ss, str);
		test_assert_str(str, cases[i].str);
		test_assert_idx(net_addr_is_loopback((struct sockaddr *)&ss) ==
		                    cases[i].is_loopback,
		                i);
	}
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_net_addr, NULL};
	return test_run(tests);
}
