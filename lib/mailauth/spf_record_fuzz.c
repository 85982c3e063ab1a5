/* Fuzzer for the SPF record parser (RFC 7208 §4.5, §12) and macro
 * expansion (§7): any input parses or fails cleanly, and every domain-spec
 * of a parsed record expands within 253 characters. */
#include "core/pool.h"
#include "mailauth/spf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void expand_check(const char *spec, struct pool *pool)
{
	static const unsigned char ip[16] = {
	    0x20, 0x01, 0x0d, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
	for (int v6 = 0; v6 < 2; v6++) {
		struct spf_macro_ctx ctx = {
		    .sender = "strong-bad@email.example.com",
		    .local = "strong-bad",
		    .sender_domain = "email.example.com",
		    .domain = "email.example.com",
		    .ip = ip,
		    .is_ipv6 = v6 == 1,
		    .helo = "mx.example.org",
		};
		const char *out, *error;
		if (spf_macro_expand(spec, &ctx, pool, &out, &error) == 0 &&
		    strlen(out) > 253 && strchr(out, '.') != NULL)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pool *pool = pool_new();
	struct spf_record rec;
	const char *error;
	if (spf_record_parse((const char *)data, size, pool, &rec, &error) ==
	    0) {
		if (!spf_record_is_spf((const char *)data, size))
			abort();
		for (size_t i = 0; i < rec.count; i++) {
			const struct spf_term *t = &rec.terms[i];
			if (t->cidr4 > 32 || t->cidr6 > 128)
				abort();
			if (t->domain_spec != NULL)
				expand_check(t->domain_spec, pool);
		}
		if (rec.redirect != NULL)
			expand_check(rec.redirect, pool);
	}
	/* the input as a macro-string itself */
	char *spec = pool_alloc(pool, size + 1);
	memcpy(spec, data, size);
	spec[size] = '\0';
	expand_check(spec, pool);
	pool_free(&pool);
	return 0;
}
