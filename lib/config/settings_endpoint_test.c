/* Unit tests for the list of client-facing services. */
#include "config/settings.h"
#include "config/settings_endpoint.h"
#include "test/test.h"

static void test_endpoint_defaults(void)
{
	test_begin("endpoints of the embedded default");
	struct postroom_settings s;
	struct settings_endpoint list[SETTINGS_ENDPOINT_COUNT];
	settings_init(&s);
	test_assert_int(settings_endpoint_list(&s, list),
	                SETTINGS_ENDPOINT_COUNT);
	static const struct {
		const char *name;
		unsigned port;
		enum settings_tls tls;
	} want[] = {
	    {"submissions", 2465, SETTINGS_TLS_IMPLICIT},
	    {"submission", 2587, SETTINGS_TLS_STARTTLS},
	    {"imaps", 2993, SETTINGS_TLS_IMPLICIT},
	    {"imap", 2143, SETTINGS_TLS_STARTTLS},
	    {"pop3s", 2995, SETTINGS_TLS_IMPLICIT},
	    {"pop3", 2110, SETTINGS_TLS_STARTTLS},
	    {"https", 2443, SETTINGS_TLS_IMPLICIT},
	    {"http", 2080, SETTINGS_TLS_NONE},
	};
	for (size_t i = 0; i < SETTINGS_ENDPOINT_COUNT; i++) {
		test_assert_str(list[i].srv_name, want[i].name);
		test_assert_idx(list[i].port == want[i].port, i);
		test_assert_idx(list[i].tls == want[i].tls, i);
	}
	settings_deinit(&s);
	test_end();
}

static void test_endpoint_best(void)
{
	test_begin("the best endpoint prefers implicit TLS, skips what is off");
	struct postroom_settings s;
	struct settings_endpoint list[SETTINGS_ENDPOINT_COUNT];
	settings_init(&s);
	s.imapd.imaps_port = 0;
	s.pop3d.port = 0;
	s.pop3d.pop3s_port = 0;
	settings_endpoint_list(&s, list);
	const struct settings_endpoint *e =
	    settings_endpoint_best(list, SETTINGS_PROTO_IMAP);
	test_assert(e != NULL && e->port == 2143 &&
	            e->tls == SETTINGS_TLS_STARTTLS);
	e = settings_endpoint_best(list, SETTINGS_PROTO_SUBMISSION);
	test_assert(e != NULL && e->port == 2465 &&
	            e->tls == SETTINGS_TLS_IMPLICIT);
	test_assert(settings_endpoint_best(list, SETTINGS_PROTO_POP3) == NULL);
	s.httpd.https_port = 0;
	settings_endpoint_list(&s, list);
	e = settings_endpoint_best(list, SETTINGS_PROTO_HTTP);
	test_assert(e != NULL && e->port == 2080 &&
	            e->tls == SETTINGS_TLS_NONE);
	settings_deinit(&s);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
	    test_endpoint_defaults,
	    test_endpoint_best,
	    NULL,
	};
	return test_run(tests);
}
