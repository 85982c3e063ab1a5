/* Fuzzer for the SMTP syntax parsers: the first byte picks the parser
 * (reverse-path, forward-path, parameters, domain, xtext), the rest is the
 * untrusted input. Any crash, leak or sanitizer report is a bug. */
#include "core/pool.h"
#include "smtp/smtp_syntax.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	struct pool *pool = pool_new();
	const char *error;
	struct smtp_path path;
	struct smtp_param *params;
	size_t consumed, count;
	switch (data[0] % 5) {
	case 0:
	case 1:
		if (smtp_path_parse(data + 1, size - 1, data[0] % 5 == 0, pool,
				    &path, &consumed, &error) > 0 &&
		    consumed > size - 1)
			__builtin_trap();
		break;
	case 2:
		(void)smtp_params_parse(data + 1, size - 1, pool, &params,
					&count, &error);
		break;
	case 3:
		(void)smtp_domain_is_valid(data + 1, size - 1, true);
		break;
	default:
		(void)smtp_xtext_is_valid(data + 1, size - 1);
	}
	pool_free(&pool);
	return 0;
}
