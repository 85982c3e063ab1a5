/* Unit tests for yescrypt password hashing and checking. */
#include "auth/auth.h"
#include "test/test.h"

#include <stdlib.h>
#include <string.h>

static void test_auth_password_roundtrip(void)
{
	test_begin("auth password hash and verify");
	static const char *const passwords[] = {
	    "secret",
	    "correct horse battery staple",
	    "p\xc3\xa4ss",
	    "x",
	};
	for (size_t i = 0; i < sizeof(passwords) / sizeof(*passwords); i++) {
		char *hash = NULL;
		const char *error = NULL;
		test_assert_idx(
		    auth_password_hash(passwords[i], &hash, &error) == 0, i);
		if (hash == NULL)
			continue;
		test_assert_idx(strncmp(hash, "$y$", 3) == 0, i);
		test_assert_idx(auth_password_verify(passwords[i], hash) == 1,
		                i);
		test_assert_idx(auth_password_verify("wrong", hash) == 0, i);
		test_assert_idx(auth_password_verify("", hash) == 0, i);
		free(hash);
	}
	test_end();
}

static void test_auth_password_salted(void)
{
	test_begin("auth password hashes are salted");
	char *a = NULL, *b = NULL;
	const char *error;
	test_assert(auth_password_hash("same", &a, &error) == 0);
	test_assert(auth_password_hash("same", &b, &error) == 0);
	test_assert(a != NULL && b != NULL && strcmp(a, b) != 0);
	free(a);
	free(b);
	test_end();
}

static void test_auth_password_malformed(void)
{
	test_begin("auth password verify rejects malformed hashes");
	static const char *const hashes[] = {
	    "",    "*",       "!",   "!$y$j9T$abc$def",
	    "$y$", "garbage", "$1$", "$y$j9T$short",
	};
	for (size_t i = 0; i < sizeof(hashes) / sizeof(*hashes); i++)
		test_assert_idx(auth_password_verify("", hashes[i]) == 0, i);
	test_assert(auth_password_verify("x", NULL) == 0);
	test_end();
}

static void test_auth_password_dummy(void)
{
	test_begin("auth password dummy hash");
	const char *d = auth_password_dummy_hash();
	test_assert(strncmp(d, "$y$", 3) == 0);
	test_assert(auth_password_dummy_hash() == d);
	test_assert(auth_password_verify("", d) == 0);
	test_assert(auth_password_verify("password", d) == 0);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
	    test_auth_password_roundtrip,
	    test_auth_password_salted,
	    test_auth_password_malformed,
	    test_auth_password_dummy,
	    NULL,
	};
	return test_run(tests);
}
