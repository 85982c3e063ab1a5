/* Unit tests for SASL PLAIN (RFC 4616) and LOGIN decoding. */
#include "auth/auth.h"
#include "core/base64.h"
#include "core/buf.h"
#include "core/pool.h"
#include "test/test.h"

#include <string.h>

struct plain_case {
	const char *raw; /* decoded message; '|' stands for NUL */
	int ret;
	const char *authzid, *authcid, *password;
};

static const struct plain_case plain_cases[] = {
    {"|tim|tanstaaftanstaaf", 0, "", "tim", "tanstaaftanstaaf"},
    {"Ursel|Kurt|xipj3plmq", 0, "Ursel", "Kurt", "xipj3plmq"},
    {"|user@example.org|p w d", 0, "", "user@example.org", "p w d"},
    {"||pass", -1, NULL, NULL, NULL},
    {"|user|", -1, NULL, NULL, NULL},
    {"user|pass", -1, NULL, NULL, NULL},
    {"nonul", -1, NULL, NULL, NULL},
    {"|a|b|c", -1, NULL, NULL, NULL},
};

static void encode_raw(const char *raw, struct buf *out)
{
	struct buf bin;
	buf_init(&bin);
	for (const char *p = raw; *p; p++)
		buf_append_char(&bin, *p == '|' ? '\0' : *p);
	base64_encode(bin.data, bin.len, out);
	buf_deinit(&bin);
}

static void test_auth_sasl_plain(void)
{
	test_begin("auth sasl PLAIN decode");
	struct pool *pool = pool_new();
	for (size_t i = 0; i < sizeof(plain_cases) / sizeof(*plain_cases);
	     i++) {
		const struct plain_case *c = &plain_cases[i];
		struct buf b64;
		buf_init(&b64);
		encode_raw(c->raw, &b64);
		const char *zid = NULL, *cid = NULL, *pass = NULL, *error;
		int ret = auth_sasl_plain_decode(b64.data, b64.len, pool, &zid,
		                                 &cid, &pass, &error);
		test_assert_idx(ret == c->ret, i);
		if (ret == 0 && c->ret == 0) {
			test_assert_str(zid, c->authzid);
			test_assert_str(cid, c->authcid);
			test_assert_str(pass, c->password);
		}
		buf_deinit(&b64);
	}
	pool_free(&pool);
	test_end();
}

static void test_auth_sasl_plain_bad(void)
{
	test_begin("auth sasl PLAIN rejects bad base64 and empty");
	static const char *const inputs[] = {"=", "", "!!!!", "AGE", "AGEA="};
	struct pool *pool = pool_new();
	for (size_t i = 0; i < sizeof(inputs) / sizeof(*inputs); i++) {
		const char *zid, *cid, *pass, *error = NULL;
		test_assert_idx(
		    auth_sasl_plain_decode(inputs[i], strlen(inputs[i]), pool,
		                           &zid, &cid, &pass, &error) == -1,
		    i);
		test_assert_idx(error != NULL, i);
	}
	pool_free(&pool);
	test_end();
}

/* RFC 4616 §2 has a server accept at least 255 octets per field; longer
 * ones decode whole too, for the login to refuse as a wrong password
 * (AUTH_USER_MAX, AUTH_PASSWORD_MAX) rather than as bad syntax. */
static void test_auth_sasl_plain_long(void)
{
	test_begin("auth sasl PLAIN returns fields past 255 octets");
	static const size_t sizes[] = {255, 256, 6000};
	struct pool *pool = pool_new();
	for (size_t i = 0; i < sizeof(sizes) / sizeof(*sizes); i++) {
		struct buf raw, b64;
		buf_init(&raw);
		buf_init(&b64);
		buf_append(&raw, "\0", 1);
		for (size_t j = 0; j < sizes[i]; j++)
			buf_append_char(&raw, 'u');
		buf_append_char(&raw, '\0');
		for (size_t j = 0; j < sizes[i]; j++)
			buf_append_char(&raw, 'p');
		base64_encode(raw.data, raw.len, &b64);
		const char *zid, *cid = NULL, *pass = NULL, *error;
		test_assert_idx(auth_sasl_plain_decode(b64.data, b64.len, pool,
		                                       &zid, &cid, &pass,
		                                       &error) == 0,
		                i);
		test_assert_idx(cid != NULL && strlen(cid) == sizes[i], i);
		test_assert_idx(pass != NULL && strlen(pass) == sizes[i], i);
		const char *value = NULL;
		buf_truncate(&b64, 0);
		base64_encode(raw.data + 1, sizes[i], &b64);
		test_assert_idx(auth_sasl_login_decode(b64.data, b64.len, pool,
		                                       &value, &error) == 0,
		                i);
		test_assert_idx(value != NULL && strlen(value) == sizes[i], i);
		buf_deinit(&raw);
		buf_deinit(&b64);
	}
	pool_free(&pool);
	test_end();
}

static void test_auth_sasl_login(void)
{
	test_begin("auth sasl LOGIN decode");
	static const struct {
		const char *b64;
		int ret;
		const char *value;
	} cases[] = {
	    {"dXNlcg==", 0, "user"}, {"cGFzcw==", 0, "pass"}, {"=", -1, NULL},
	    {"", -1, NULL},          {"AA==", -1, NULL}, /* a NUL byte */
	    {"dXNlcg", -1, NULL},                        /* padding required */
	};
	struct pool *pool = pool_new();
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const char *value = NULL, *error;
		int ret = auth_sasl_login_decode(
		    cases[i].b64, strlen(cases[i].b64), pool, &value, &error);
		test_assert_idx(ret == cases[i].ret, i);
		if (ret == 0 && cases[i].value != NULL)
			test_assert_str(value, cases[i].value);
	}
	pool_free(&pool);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
	    test_auth_sasl_plain, test_auth_sasl_plain_bad,
	    test_auth_sasl_plain_long, test_auth_sasl_login, NULL};
	return test_run(tests);
}
