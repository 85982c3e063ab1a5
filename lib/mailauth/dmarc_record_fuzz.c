/* Fuzzer for the DMARC record parser (RFC 7489 §6.3, §6.4), the From
 * domain of a header section (§6.6.1) and the Authentication-Results
 * authserv-id check (RFC 8601 §5). */
#include "core/pool.h"
#include "mailauth/authres.h"
#include "mailauth/dmarc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data, *error, *domain;
	struct pool *pool = pool_new();
	struct dmarc_record rec;
	if (dmarc_record_parse(text, size, pool, &rec, &error) == 0) {
		if (rec.pct > 100 || rec.p > DMARC_POLICY_REJECT ||
		    rec.sp > DMARC_POLICY_REJECT ||
		    !dmarc_record_is_dmarc(text, size))
			abort();
		const char *pass[] = {"example.org"};
		struct dmarc_input in = {.from_domain = "example.org",
		                         .spf_domain = "x.example.net",
		                         .dkim_pass_domains = pass,
		                         .dkim_pass_count = 1};
		struct dmarc_outcome out;
		dmarc_evaluate(&in, &rec, false, 50, &out);
		if (out.result != DMARC_RESULT_PASS)
			abort(); /* relaxed or strict, example.org decides */
	}
	if (dmarc_from_domain(text, size, pool, &domain) == 1 &&
	    domain[0] == '\0')
		abort();
	(void)authres_claims(text, size, "mx.example.org");
	char *copy = pool_alloc(pool, size + 1);
	memcpy(copy, data, size);
	copy[size] = '\0';
	if (memchr(data, '\0', size) == NULL)
		(void)dmarc_org_domain(copy, pool);
	pool_free(&pool);
	return 0;
}
