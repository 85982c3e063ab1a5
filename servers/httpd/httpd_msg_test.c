/* Tests for httpd_msg.c: the JMAP Ids a message frame may name (RFC 8620
 * §1.2), and the two policies: never a script, images only after consent. */
#include "httpd.h"
#include "test/test.h"

#include <string.h>

static void test_msg_id(void)
{
	test_begin("msg id");
	static const struct {
		const char *id;
		bool is_valid;
	} cases[] = {
	    {"M1a2b3c", true}, {"a-b_c", true},     {"", false},
	    {"a.b", false},    {"a/b", false},      {"a b", false},
	    {"a=", false},     {"\xc3\xa9", false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		test_assert_idx(
		    httpd_msg_id_is_valid(cases[i].id, strlen(cases[i].id)) ==
		        cases[i].is_valid,
		    (long long)i);
	char long_id[257];
	memset(long_id, 'a', sizeof(long_id));
	test_assert(httpd_msg_id_is_valid(long_id, 255));
	test_assert(!httpd_msg_id_is_valid(long_id, 256));
	test_end();
}

static void test_msg_csp(void)
{
	test_begin("msg csp");
	const char *const policies[] = {httpd_msg_csp_blocked,
	                                httpd_msg_csp_images};
	for (size_t i = 0; i < 2; i++) {
		const char *p = policies[i];
		test_assert_idx(strncmp(p, "default-src 'none';", 19) == 0, i);
		test_assert_idx(strstr(p, "sandbox ") != NULL, i);
		test_assert_idx(strstr(p, "allow-scripts") == NULL, i);
		test_assert_idx(strstr(p, "script-src") == NULL, i);
		test_assert_idx(strstr(p, "form-action 'none'") != NULL, i);
	}
	test_assert(strstr(httpd_msg_csp_blocked, "http") == NULL);
	test_assert(strstr(httpd_msg_csp_images, "img-src data: blob: "
	                                         "https: http:;") != NULL);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_msg_id, test_msg_csp, NULL};
	return test_run(tests);
}
