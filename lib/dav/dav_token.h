/* The opaque strings Postroom hands DAV clients: entity-tags of objects
 * (RFC 9110 §8.8.3, strong: a digest of the stored bytes, so identical
 * content keeps its tag across COPY and an unchanged PUT) and sync tokens
 * (RFC 6578 §3.2: a URI naming a collection and its modification sequence
 * number, kept in the store, so a token stays valid across restarts and
 * becomes invalid when the collection is deleted and made again under a
 * new id). */
#ifndef DAV_DAV_TOKEN_H
#define DAV_DAV_TOKEN_H

#include <stddef.h>
#include <stdint.h>

struct pool;

#define DAV_TOKEN_ETAG_LEN 34 /* '"' + 32 hex digits + '"' */
#define DAV_TOKEN_SYNC_PREFIX "http://postroom.invalid/ns/sync/"

/* Writes the strong entity-tag of data into etag_r, quotes included. */
void dav_token_etag(const void *data, size_t size,
                    char etag_r[DAV_TOKEN_ETAG_LEN + 1]);
/* Returns DAV_TOKEN_SYNC_PREFIX "<collection>-<modseq>" from pool. */
const char *dav_token_sync(struct pool *pool, int64_t collection_id,
                           uint64_t modseq);
/* Parses a sync token made by dav_token_sync. Returns 0 with the ids, or
 * -1 when it is not one (the caller answers 403 DAV:valid-sync-token). */
int dav_token_sync_parse(const char *token, int64_t *collection_id_r,
                         uint64_t *modseq_r);

#endif
