/* Fuzzer for the MTA-STS policy parser (RFC 8461 §3.2), the _mta-sts and
 * _smtp._tls TXT record parsers (§3.1, RFC 8460 §3), and MX matching of
 * what parsed (§4.1). */
#include "core/buf.h"
#include "core/pool.h"
#include "mailauth/mta_sts.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data, *error, *rua;
	struct pool *pool = pool_new();
	struct mta_sts_policy p;
	char id[33];
	if (mta_sts_policy_parse(text, size, pool, &p, &error) == 0) {
		if (p.max_age > MTA_STS_MAX_AGE_MAX ||
		    p.mx_count > MTA_STS_MX_MAX ||
		    (p.mode != MTA_STS_NONE && p.mx_count == 0))
			abort();
		/* what we write of it parses to the same */
		struct buf b;
		struct mta_sts_policy again;
		buf_init(&b);
		mta_sts_policy_write(&p, &b);
		if (mta_sts_policy_parse(b.data, b.len, pool, &again, &error) <
		        0 ||
		    again.mode != p.mode || again.mx_count != p.mx_count)
			abort();
		for (size_t i = 0; i < p.mx_count; i++) {
			if (p.mx[i][0] != '*' &&
			    !mta_sts_policy_allows(&p, p.mx[i]))
				abort();
		}
		buf_deinit(&b);
	}
	if (mta_sts_txt_parse(text, size, id, &error) == 0 &&
	    (id[0] == '\0' || strlen(id) > 32))
		abort();
	if (tlsrpt_txt_parse(text, size, pool, &rua, &error) == 0 &&
	    rua[0] == '\0')
		abort();
	char *copy = pool_alloc(pool, size + 1);
	memcpy(copy, data, size);
	copy[size] = '\0';
	(void)mta_sts_mx_match(copy, "mx.example.org");
	(void)mta_sts_mx_match("*.example.org", copy);
	pool_free(&pool);
	return 0;
}
