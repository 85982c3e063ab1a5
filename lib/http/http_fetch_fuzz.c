/* Fuzzer for the reply parser of http_fetch.h (RFC 9112 responses as a
 * client reads them): every prefix, then the whole input with and without
 * the close; a complete body never exceeds the limit. */
#include "core/buf.h"
#include "core/pool.h"
#include "http/http_fetch.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pool *pool = pool_new();
	struct http_fetch_reply r = {0};
	const char *error;
	buf_init(&r.body);
	for (size_t n = 0; n <= size; n += 1 + n / 8) {
		int ret =
		    http_fetch_parse(data, n, false, 64, pool, &r, &error);
		if (ret == 1 &&
		    (r.body.len > 64 || r.status < 200 || r.status > 999))
			abort();
	}
	if (http_fetch_parse(data, size, true, 64, pool, &r, &error) == 1 &&
	    r.body.len > 64)
		abort();
	buf_deinit(&r.body);
	pool_free(&pool);
	return 0;
}
