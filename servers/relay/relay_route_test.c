/* Tests for relay_route.c: smarthost over transport_map over MX, host and
 * port parsing, require_tls matching, and malformed settings. */
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

int main(void)
{
	static void (*const tests[])(void) = {test_route_find, test_route_keys,
	                                      NULL};
	return test_run(tests);
}
