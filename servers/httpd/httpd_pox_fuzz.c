/* Fuzzer for the POX request scanner: any input is answered without
 * reading past its end, and a value found is trimmed text with no markup,
 * reference or control character in it. */
#include "core/pool.h"
#include "httpd_pox.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pool *pool = pool_new();
	const char *value;
	if (httpd_pox_find(data, size, "EMailAddress", pool, &value) == 1) {
		size_t len = strlen(value);
		if (len == 0 || value[0] == ' ' || value[len - 1] == ' ' ||
		    strpbrk(value, "<>&\r\n\t") != NULL)
			__builtin_trap();
	}
	pool_free(&pool);
	return 0;
}
