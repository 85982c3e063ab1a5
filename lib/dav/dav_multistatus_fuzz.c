/* Fuzzer for what a DAV server's answers go through in the client: the
 * multistatus reader (hrefs, statuses, propstats, the sync token), the
 * property accessors the sync uses, and the DAV:error reader. Every href
 * kept must be a decoded absolute path without ".." segments. */
#include "core/pool.h"
#include "dav/dav_multistatus.h"
#include "dav/dav_xml.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pool *pool = pool_new();
	struct dav_multistatus ms;
	const char *error;
	if (dav_multistatus_parse(data, size, 1 << 20, pool, &ms, &error) ==
	    0) {
		for (size_t i = 0; i < ms.count; i++) {
			const struct dav_ms_response *r = &ms.responses[i];
			if (r->href[0] != '/' ||
			    strstr(r->href, "/../") != NULL)
				__builtin_trap();
			(void)dav_ms_prop_text(r, DAV_NS, "getetag", pool);
			(void)dav_ms_prop_href(r, DAV_NS,
			                       "current-user-principal", pool);
			(void)dav_ms_prop(r, DAV_NS_CALDAV, "calendar-data");
			if (dav_ms_find(&ms, r->href) == NULL)
				__builtin_trap();
		}
	}
	(void)dav_ms_error_name(data, size, pool);
	pool_free(&pool);
	return 0;
}
