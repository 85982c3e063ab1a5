/* Tests for net.c: numeric addresses, the loopback test, address scopes
 * and lists of networks. */
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

static void test_net_addr_scope(void)
{
	static const struct {
		const char *addr;
		enum net_scope scope;
	} cases[] = {
	    {"8.8.8.8", NET_SCOPE_PUBLIC},
	    {"192.0.43.10", NET_SCOPE_PUBLIC},
	    {"1.1.1.1", NET_SCOPE_PUBLIC},
	    {"223.255.255.255", NET_SCOPE_PUBLIC},
	    {"127.0.0.1", NET_SCOPE_LOOPBACK},
	    {"127.255.255.254", NET_SCOPE_LOOPBACK},
	    {"10.0.0.1", NET_SCOPE_PRIVATE},
	    {"10.255.255.255", NET_SCOPE_PRIVATE},
	    {"11.0.0.1", NET_SCOPE_PUBLIC},
	    {"172.15.255.255", NET_SCOPE_PUBLIC},
	    {"172.16.0.1", NET_SCOPE_PRIVATE},
	    {"172.31.255.255", NET_SCOPE_PRIVATE},
	    {"172.32.0.0", NET_SCOPE_PUBLIC},
	    {"192.168.0.1", NET_SCOPE_PRIVATE},
	    {"192.169.0.1", NET_SCOPE_PUBLIC},
	    {"169.254.169.254", NET_SCOPE_LINK_LOCAL},
	    {"100.64.0.1", NET_SCOPE_SHARED},
	    {"100.127.255.255", NET_SCOPE_SHARED},
	    {"100.128.0.0", NET_SCOPE_PUBLIC},
	    {"100.63.255.255", NET_SCOPE_PUBLIC},
	    {"0.0.0.0", NET_SCOPE_RESERVED},
	    {"0.1.2.3", NET_SCOPE_RESERVED},
	    {"224.0.0.1", NET_SCOPE_RESERVED},
	    {"239.255.255.255", NET_SCOPE_RESERVED},
	    {"240.0.0.1", NET_SCOPE_RESERVED},
	    {"255.255.255.255", NET_SCOPE_RESERVED},
	    {"192.0.0.8", NET_SCOPE_RESERVED},
	    {"192.0.2.1", NET_SCOPE_RESERVED},
	    {"198.18.0.1", NET_SCOPE_RESERVED},
	    {"198.19.255.255", NET_SCOPE_RESERVED},
	    {"198.20.0.0", NET_SCOPE_PUBLIC},
	    {"198.51.100.7", NET_SCOPE_RESERVED},
	    {"203.0.113.9", NET_SCOPE_RESERVED},
	    {"2001:4860:4860::8888", NET_SCOPE_PUBLIC},
	    {"2a00:1450::1", NET_SCOPE_PUBLIC},
	    {"::1", NET_SCOPE_LOOPBACK},
	    {"::", NET_SCOPE_RESERVED},
	    {"::2", NET_SCOPE_RESERVED},
	    {"::10.0.0.1", NET_SCOPE_RESERVED},
	    {"fe80::1", NET_SCOPE_LINK_LOCAL},
	    {"febf::1", NET_SCOPE_LINK_LOCAL},
	    {"fec0::1", NET_SCOPE_PRIVATE},
	    {"fc00::1", NET_SCOPE_PRIVATE},
	    {"fdff:ffff::1", NET_SCOPE_PRIVATE},
	    {"fe00::1", NET_SCOPE_PUBLIC},
	    {"ff02::1", NET_SCOPE_RESERVED},
	    {"2001:db8::1", NET_SCOPE_RESERVED},
	    {"2001::1", NET_SCOPE_RESERVED},
	    {"100::1", NET_SCOPE_RESERVED},
	    {"3fff::1", NET_SCOPE_RESERVED},
	    {"::ffff:127.0.0.1", NET_SCOPE_LOOPBACK},
	    {"::ffff:10.1.2.3", NET_SCOPE_PRIVATE},
	    {"::ffff:169.254.0.1", NET_SCOPE_LINK_LOCAL},
	    {"::ffff:8.8.8.8", NET_SCOPE_PUBLIC},
	    {"64:ff9b::a00:1", NET_SCOPE_PRIVATE},
	    {"64:ff9b::808:808", NET_SCOPE_PUBLIC},
	    {"64:ff9b::7f00:1", NET_SCOPE_LOOPBACK},
	    {"64:ff9b:1::1", NET_SCOPE_PRIVATE},
	    {"2002:c0a8:0101::1", NET_SCOPE_PRIVATE},
	    {"2002:0808:0808::1", NET_SCOPE_PUBLIC},
	};
	test_begin("net_addr_scope");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sockaddr_storage ss;
		socklen_t len;
		test_assert_idx(
		    net_addr_parse(cases[i].addr, 25, &ss, &len) == 0, i);
		enum net_scope got = net_addr_scope((struct sockaddr *)&ss);
		if (got != cases[i].scope)
			test_assert_str(net_scope_name(got),
			                net_scope_name(cases[i].scope));
		test_assert_idx(got == cases[i].scope, i);
	}
	struct sockaddr_storage ss;
	socklen_t len;
	test_assert(net_addr_parse("10.0.0.256", 25, &ss, &len) < 0);
	test_assert(net_addr_parse("fe80::1%eth0", 25, &ss, &len) < 0);
	test_assert(net_addr_parse("", 25, &ss, &len) < 0);
	test_assert(net_addr_parse("2001:db8::1", 2525, &ss, &len) == 0);
	test_assert_int(ntohs(((struct sockaddr_in6 *)&ss)->sin6_port), 2525);
	test_assert_int(len, sizeof(struct sockaddr_in6));
	test_end();
}

static void test_net_networks(void)
{
	static const struct {
		const char *list, *addr;
		int ret;
	} cases[] = {
	    {"", "10.0.0.1", 0},
	    {"  ", "10.0.0.1", 0},
	    {"10.0.0.0/8", "10.200.1.1", 1},
	    {"10.0.0.0/8", "11.0.0.1", 0},
	    {"10.0.0.0/8", "::ffff:10.9.9.9", 1},
	    {"::ffff:10.0.0.0/104", "10.9.9.9", 1},
	    {"::ffff:10.0.0.0/104", "11.9.9.9", 0},
	    {"192.168.1.0/24, fd00::/8", "fd12::5", 1},
	    {"192.168.1.0/24 , fd00::/8 ", "192.168.1.255", 1},
	    {"192.168.1.0/24,fd00::/8", "192.168.2.1", 0},
	    {"172.16.0.0/12", "172.31.0.1", 1},
	    {"172.16.0.0/12", "172.32.0.1", 0},
	    {"127.0.0.0/29", "127.0.0.7", 1},
	    {"127.0.0.0/29", "127.0.0.8", 0},
	    {"192.0.2.7", "192.0.2.7", 1},
	    {"192.0.2.7", "192.0.2.8", 0},
	    {"::1", "::1", 1},
	    {"0.0.0.0/0", "203.0.113.1", 1},
	    {"0.0.0.0/0", "2001:db8::1", 0},
	    {"::/0", "2001:db8::1", 1},
	    {"10.0.0.0/8,", "10.0.0.1", 1},
	    {"10.0.0.0/33", "10.0.0.1", -1},
	    {"10.0.0.0/", "10.0.0.1", -1},
	    {"10.0.0.0/x", "10.0.0.1", -1},
	    {"10.0.0/8", "10.0.0.1", -1},
	    {"10.0.0.0/8,,fd00::/8", "10.0.0.1", -1},
	    {"10.0.0.0/8, example.org", "10.0.0.1", -1},
	    {"::ffff:10.0.0.0/95", "10.0.0.1", -1},
	    {"fd00::/129", "fd00::1", -1},
	};
	test_begin("net_networks_match");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sockaddr_storage ss;
		socklen_t len;
		test_assert_idx(
		    net_addr_parse(cases[i].addr, 0, &ss, &len) == 0, i);
		int ret =
		    net_networks_match(cases[i].list, (struct sockaddr *)&ss);
		test_assert_idx(ret == cases[i].ret, i);
		test_assert_idx(net_networks_are_valid(cases[i].list) ==
		                    (cases[i].ret >= 0),
		                i);
	}
	test_end();

	test_begin("net_addr_refusal");
	test_assert(net_addr_refusal("192.0.43.10", "") == NULL);
	test_assert_str(net_addr_refusal("10.1.1.1", ""), "private");
	test_assert(net_addr_refusal("10.1.1.1", "10.0.0.0/8") == NULL);
	test_assert_str(net_addr_refusal("::ffff:127.0.0.1", "10.0.0.0/8"),
	                "loopback");
	test_assert(net_addr_refusal("::ffff:127.0.0.1", "127.0.0.1") == NULL);
	test_assert_str(net_addr_refusal("fe80::1", "fd00::/8"), "link-local");
	test_assert_str(net_addr_refusal("100.64.1.1", ""), "shared");
	test_assert_str(net_addr_refusal("example.org", ""),
	                "not an IP address");
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
	    test_net_addr, test_net_addr_scope, test_net_networks, NULL};
	return test_run(tests);
}
