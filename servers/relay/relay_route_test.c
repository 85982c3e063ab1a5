/* Tests for relay_route.c: smarthost over transport_map over address
 * literals over MX, host and port parsing, require_tls matching, malformed
 * settings, and which literals may be sent to. */
#include "relay/relay.h"
#include "test/test.h"

#include <string.h>

static void test_route_find(void)
{
	static const struct {
		const char *smarthost, *map, *tls, *domain;
		int ret;
		enum relay_route_kind kind;
		const char *host;
		unsigned port;
		bool requires_tls;
	} cases[] = {
	    {"", "", "", "Comentum.Test", 0, RELAY_ROUTE_MX, "comentum.test",
	     2525, false},
	    {"", "", "", "comentum.test.", 0, RELAY_ROUTE_MX, "comentum.test",
	     2525, false},
	    {"", "a.test=127.0.0.5:26, b.test = [::1]:27", "", "b.test", 0,
	     RELAY_ROUTE_HOST, "::1", 27, false},
	    {"", "a.test=127.0.0.5:26, b.test = [::1]:27", "", "A.TEST", 0,
	     RELAY_ROUTE_HOST, "127.0.0.5", 26, false},
	    {"", "a.test=mx.a.test", "a.test", "a.test", 0, RELAY_ROUTE_HOST,
	     "mx.a.test", 25, true},
	    {"", "a.test=127.0.0.5:26", "x.test, c.test", "c.test", 0,
	     RELAY_ROUTE_MX, "c.test", 2525, true},
	    {"smart.test:587", "a.test=127.0.0.5:26", "", "a.test", 0,
	     RELAY_ROUTE_HOST, "smart.test", 587, false},
	    {"smart.test", "", "", "z.test", 0, RELAY_ROUTE_HOST, "smart.test",
	     25, false},
	    {"", "a.test=127.0.0.5:99999", "", "a.test", -1, RELAY_ROUTE_MX, "",
	     0, false},
	    {"", "a.test=", "", "a.test", -1, RELAY_ROUTE_MX, "", 0, false},
	    {"[::1", "", "", "a.test", -1, RELAY_ROUTE_MX, "", 0, false},
	    {"", "", "", "", -1, RELAY_ROUTE_MX, "", 0, false},
	    /* RFC 5321 §5.1: a literal is the address, no MX look-up */
	    {"", "", "", "[192.0.43.10]", 0, RELAY_ROUTE_HOST, "192.0.43.10",
	     2525, false},
	    {"", "", "", "[IPv6:2001:500:88:200::10]", 0, RELAY_ROUTE_HOST,
	     "2001:500:88:200::10", 2525, false},
	    {"", "[192.0.43.10]=127.0.0.5:26", "", "[192.0.43.10]", 0,
	     RELAY_ROUTE_HOST, "127.0.0.5", 26, false},
	    {"smart.test", "", "", "[192.0.43.10]", 0, RELAY_ROUTE_HOST,
	     "smart.test", 25, false},
	    {"", "", "", "[x-tag:abc]", -1, RELAY_ROUTE_MX, "", 0, false},
	};
	test_begin("relay_route_find");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct relay_config cfg = {
		    .smarthost = cases[i].smarthost,
		    .transport_map = cases[i].map,
		    .require_tls = cases[i].tls,
		    .mx_port = 2525,
		};
		struct relay_route route;
		const char *error = NULL;
		int ret =
		    relay_route_find(&cfg, cases[i].domain, &route, &error);
		test_assert_idx(ret == cases[i].ret, i);
		if (ret < 0) {
			test_assert_idx(error != NULL, i);
			continue;
		}
		test_assert_idx(route.kind == cases[i].kind, i);
		test_assert_str(route.host, cases[i].host);
		test_assert_idx(route.port == cases[i].port, i);
		test_assert_idx(route.requires_tls == cases[i].requires_tls, i);
	}
	test_end();
}

static void test_route_keys(void)
{
	struct relay_config cfg = {.smarthost = "",
	                           .transport_map = "",
	                           .require_tls = "b.test",
	                           .mx_port = 25};
	struct relay_route a, b, c;
	const char *error;
	test_begin("relay_route_find keys");
	test_assert(relay_route_find(&cfg, "a.test", &a, &error) == 0);
	test_assert(relay_route_find(&cfg, "A.test", &b, &error) == 0);
	test_assert(relay_route_find(&cfg, "b.test", &c, &error) == 0);
	test_assert_str(a.key, b.key);
	test_assert(strcmp(a.key, c.key) != 0);
	test_end();
}

static void test_route_refusal(void)
{
	static const struct {
		const char *allowed, *domain, *refusal; /* NULL: allowed */
	} cases[] = {
	    {"", "example.org", NULL},
	    {"", "[192.0.43.10]", NULL},
	    {"", "[127.0.0.1]", "loopback"},
	    {"", "[10.0.0.1]", "private"},
	    {"", "[192.168.7.7]", "private"},
	    {"", "[172.20.0.1]", "private"},
	    {"", "[169.254.169.254]", "link-local"},
	    {"", "[100.64.0.1]", "shared"},
	    {"", "[0.0.0.0]", "reserved"},
	    {"", "[IPv6:::1]", "loopback"},
	    {"", "[IPv6:fe80::1]", "link-local"},
	    {"", "[IPv6:fd00::1]", "private"},
	    {"", "[IPv6:::ffff:127.0.0.1]", "loopback"},
	    {"", "[IPv6:64:ff9b::10.0.0.1]", "private"},
	    {"", "[x-tag:abc]", "not an IP address"},
	    {"10.0.0.0/8", "[10.0.0.1]", NULL},
	    {"10.0.0.0/8", "[IPv6:::ffff:10.0.0.1]", NULL},
	    {"10.0.0.0/8", "[10.0.0.1]x", "not an IP address"},
	    {"10.0.0.0/8", "[11.0.0.1]", NULL},
	    {"10.0.0.0/8", "[172.16.0.1]", "private"},
	};
	test_begin("relay_route_refusal");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct relay_config cfg = {
		    .smarthost = "",
		    .transport_map = "",
		    .require_tls = "",
		    .allowed_literal_networks = cases[i].allowed,
		};
		const char *got = relay_route_refusal(&cfg, cases[i].domain);
		if (cases[i].refusal == NULL)
			test_assert_idx(got == NULL, i);
		else if (got == NULL)
			test_assert_idx(got != NULL, i);
		else
			test_assert_str(got, cases[i].refusal);
	}
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_route_find, test_route_keys,
	                                      test_route_refusal, NULL};
	return test_run(tests);
}
