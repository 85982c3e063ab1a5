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

/* FIPS 180-4's "abc" example, and RFC 6455 §1.3's handshake key. */
static void test_digest_sha1(void)
{
	test_begin("digest sha1 vectors");
	static const unsigned char abc[DIGEST_SHA1_SIZE] = {
	    0xa9, 0x99, 0x3e, 0x36, 0x47, 0x06, 0x81, 0x6a, 0xba, 0x3e,
	    0x25, 0x71, 0x78, 0x50, 0xc2, 0x6c, 0x9c, 0xd0, 0xd8, 0x9d};
	unsigned char out[DIGEST_SHA1_SIZE];
	digest_sha1("abc", 3, out);
	test_assert(memcmp(out, abc, sizeof(out)) == 0);
	static const unsigned char ws[DIGEST_SHA1_SIZE] = {
	    0xb3, 0x7a, 0x4f, 0x2c, 0xc0, 0x62, 0x4f, 0x16, 0x90, 0xf6,
	    0x46, 0x06, 0xcf, 0x38, 0x59, 0x45, 0xb2, 0xbe, 0xc4, 0xea};
	const char *key = "dGhlIHNhbXBsZSBub25jZQ=="
	                  "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
	digest_sha1(key, strlen(key), out);
	test_assert(memcmp(out, ws, sizeof(out)) == 0);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_digest_sha256,
	                                      test_digest_sha1, NULL};
	return test_run(tests);
}
