/* Unit tests for SHA-256 hex digests (FIPS 180-4 test vectors). */
#include "core/digest.h"
#include "test/test.h"

#include <string.h>

static void test_digest_sha256(void)
{
	test_begin("digest sha256 vectors, one shot and byte by byte");
	static const struct {
		const char *input, *hex;
	} cases[] = {
	    {"", "e3b0c44298fc1c149afbf4c8996fb924"
	         "27ae41e4649b934ca495991b7852b855"},
	    {"abc", "ba7816bf8f01cfea414140de5dae2223"
	            "b00361a396177a9cb410ff61f20015ad"},
	    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	     "248d6a61d20638b8e5c026930c3e6039"
	     "a33ce45964ff2167f6ecedd419db06c1"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char hex[DIGEST_SHA256_HEX_LEN + 1];
		digest_sha256_hex(cases[i].input, strlen(cases[i].input), hex);
		test_assert_str(hex, cases[i].hex);
		struct digest_sha256 *ctx = digest_sha256_new();
		for (const char *p = cases[i].input; *p; p++)
			digest_sha256_update(ctx, p, 1);
		digest_sha256_final_hex(ctx, hex);
		digest_sha256_free(&ctx);
		test_assert_idx(ctx == NULL, i);
		test_assert_str(hex, cases[i].hex);
	}
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_digest_sha256, NULL};
	return test_run(tests);
}
