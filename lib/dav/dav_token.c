/* Entity-tags and sync tokens (RFC 9110 §8.8.3, RFC 6578 §3.2); see
 * dav_token.h. */
#include "dav/dav_token.h"
#include "core/digest.h"
#include "core/pool.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

void dav_token_etag(const void *data, size_t size,
                    char etag_r[DAV_TOKEN_ETAG_LEN + 1])
{
	char hex[DIGEST_SHA256_HEX_LEN + 1];
	digest_sha256_hex(data, size, hex);
	etag_r[0] = '"';
	memcpy(etag_r + 1, hex, DAV_TOKEN_ETAG_LEN - 2);
	etag_r[DAV_TOKEN_ETAG_LEN - 1] = '"';
	etag_r[DAV_TOKEN_ETAG_LEN] = '\0';
}

const char *dav_token_sync(struct pool *pool, int64_t collection_id,
                           uint64_t modseq)
{
	return pool_printf(pool, DAV_TOKEN_SYNC_PREFIX "%" PRId64 "-%" PRIu64,
	                   collection_id, modseq);
}

/* Reads 1*DIGIT up to stop. Returns the position after it, or NULL. */
static const char *number_parse(const char *p, char stop, uint64_t *value_r)
{
	if (*p < '0' || *p > '9')
		return NULL;
	uint64_t v = 0;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return NULL;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (*p != stop)
		return NULL;
	*value_r = v;
	return p;
}

int dav_token_sync_parse(const char *token, int64_t *collection_id_r,
                         uint64_t *modseq_r)
{
	size_t plen = strlen(DAV_TOKEN_SYNC_PREFIX);
	if (strncmp(token, DAV_TOKEN_SYNC_PREFIX, plen) != 0)
		return -1;
	uint64_t id, modseq;
	const char *p = number_parse(token + plen, '-', &id);
	if (p == NULL || id > INT64_MAX ||
	    number_parse(p + 1, '\0', &modseq) == NULL)
		return -1;
	*collection_id_r = (int64_t)id;
	*modseq_r = modseq;
	return 0;
}
