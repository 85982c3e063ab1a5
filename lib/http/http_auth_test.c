/* Tests for http_auth.c with RFC 7617's examples (Aladdin, and the UTF-8
 * "test:123£"), Bearer (RFC 6750 §2.1), the session cookie, refusals, and
 * the cache key. */
#include "http/http_auth.h"
#include "core/pool.h"
#include "test/test.h"

#include <string.h>

static int parse(struct pool *pool, const char *name, const char *value,
                 struct http_credentials *cred, unsigned *status)
{
	struct http_headers h = {0};
	const char *error;
	if (name != NULL)
		http_headers_add(&h, pool, name, strlen(name), value,
		                 strlen(value));
	*status = 0;
	return http_auth_parse(&h, "session", pool, cred, status, &error);
}

static void test_auth_parse(void)
{
	test_begin("http_auth parse");
	struct pool *pool = pool_new();
	struct http_credentials c;
	unsigned st;
	/* RFC 7617 §2 */
	test_assert_int(parse(pool, "Authorization",
	                      "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", &c, &st),
	                1);
	test_assert_int(c.scheme, HTTP_AUTH_BASIC);
	test_assert_str(c.user, "Aladdin");
	test_assert_str(c.password, "open sesame");
	/* RFC 7617 §2.1: test:123£ in UTF-8 */
	test_assert_int(
	    parse(pool, "Authorization", "basic dGVzdDoxMjPCow==", &c, &st), 1);
	test_assert_str(c.user, "test");
	test_assert_str(c.password, "123\xc2\xa3");
	/* the password may hold colons; the user-id may not */
	test_assert_int(parse(pool, "Authorization", "Basic YTpiOmM=", &c, &st),
	                1);
	test_assert_str(c.user, "a");
	test_assert_str(c.password, "b:c");
	test_assert_int(
	    parse(pool, "Authorization", "Bearer mF_9.B5f-4.1JqM", &c, &st), 1);
	test_assert_int(c.scheme, HTTP_AUTH_BEARER);
	test_assert_str(c.token, "mF_9.B5f-4.1JqM");
	test_assert_int(parse(pool, "Cookie", "a=1; session=xyz; b=2", &c, &st),
	                1);
	test_assert_int(c.scheme, HTTP_AUTH_COOKIE);
	test_assert_str(c.token, "xyz");
	test_assert_int(parse(pool, "Cookie", "xsession=1", &c, &st), 0);
	test_assert_int(parse(pool, NULL, NULL, &c, &st), 0);
	test_assert_int(c.scheme, HTTP_AUTH_NONE);
	static const struct {
		const char *value;
		unsigned status;
	} bad[] = {
	    {"Basic", 400},
	    {"Basic !!!!", 400},
	    {"Basic QWxhZGRpbg==", 400}, /* no colon */
	    {"Basic YQBiOmM=", 400},     /* NUL */
	    {"Basic YTr/", 400},         /* not UTF-8 */
	    {"Basic YToKYg==", 400},     /* LF in the password */
	    {"Bearer a b", 400},
	    {"Digest username=x", 401},
	    {"", 400},
	    {"Basic\tQQ==", 400},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		test_assert_idx(
		    parse(pool, "Authorization", bad[i].value, &c, &st) == -1,
		    i);
		test_assert_idx(st == bad[i].status, i);
	}
	pool_free(&pool);
	test_end();
}

static void test_auth_key(void)
{
	test_begin("http_auth cache key and wipe");
	char pw1[] = "bc", pw2[] = "c";
	struct http_credentials a = {
	    .scheme = HTTP_AUTH_BASIC, .user = "a", .password = pw1};
	struct http_credentials b = {
	    .scheme = HTTP_AUTH_BASIC, .user = "ab", .password = pw2};
	char ka[DIGEST_SHA256_HEX_LEN + 1], kb[DIGEST_SHA256_HEX_LEN + 1],
	    ka2[DIGEST_SHA256_HEX_LEN + 1];
	http_auth_key(&a, ka);
	http_auth_key(&b, kb);
	http_auth_key(&a, ka2);
	test_assert(strcmp(ka, kb) != 0);
	test_assert_str(ka, ka2);
	test_assert_int(strlen(ka), 64);
	http_auth_wipe(&a);
	test_assert(pw1[0] == '\0' && pw1[1] == '\0');
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_auth_parse, test_auth_key,
	                                      NULL};
	return test_run(tests);
}
