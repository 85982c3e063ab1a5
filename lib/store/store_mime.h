/* What the store keeps about a message's MIME structure, computed once per
 * blob: the IMAP ENVELOPE, BODYSTRUCTURE and BODY strings in the global
 * database (table mime_cache, one row per blob however many accounts hold
 * it), and the search text in each account's FTS5 index (table
 * message_text, trigram tokenizer: IMAP SEARCH is a case-insensitive
 * substring match, which trigrams answer from the index). */
#ifndef STORE_STORE_MIME_H
#define STORE_STORE_MIME_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

struct buf;
struct pool;

/* The IMAP strings of one blob. */
struct store_mime_info {
	const char *envelope;      /* "(date subject ...)" */
	const char *bodystructure; /* extended form */
	const char *body;          /* non-extensible form (FETCH BODY) */
};

/* Text indexed per account is cut after this many bytes per message. */
#define STORE_MIME_TEXT_MAX (1024 * 1024)

/* Reads the whole blob blob_id (at most 64 MiB) into out (appending).
 * Returns 0, or -1 with *error_r ("no such blob", "cannot read blob",
 * "blob too large"). */
int store_mime_blob_read(struct store *store, const char *blob_id,
                         struct buf *out, const char **error_r);

/* Parses data (the whole blob blob_id) and stores its ENVELOPE,
 * BODYSTRUCTURE and BODY; a row already there is kept unless an older
 * version of lib/mime computed it (then it is replaced). Called by deliver
 * after store_blob_finish. Returns 0, or -1 with *error_r (the cache is
 * optional: a caller need not fail because of it). */
int store_mime_cache_put(struct store *store, const char *blob_id,
                         const unsigned char *data, size_t size,
                         const char **error_r);
/* Returns the cached strings of blob_id in *info_r (from pool). When none
 * are cached (APPEND, import, a failed cache at delivery) or the row was
 * computed by an older version of lib/mime (an upgraded store), reads the
 * blob,
 * computes them, stores them and returns them. Returns 0, or -1 with
 * *error_r (no such blob, storage failure). */
int store_mime_info_get(struct store *store, const char *blob_id,
                        struct pool *pool, struct store_mime_info *info_r,
                        const char **error_r);
/* Forgets the cached row of blob_id (for maintenance when the blob goes).
 * Returns 0 or -1. */
int store_mime_cache_del(struct store *store, const char *blob_id);

/* Adds blob_id's text to account's search index unless it is there. An
 * index made by an older version of the text extraction is emptied first
 * (an upgraded store; searches then index each mailbox again).
 * data/size is the blob (NULL: read it from the store). Returns 1 added,
 * 0 already indexed, -1 with *error_r. */
int store_mime_index_add(struct store_account *account, const char *blob_id,
                         const unsigned char *data, size_t size,
                         const char **error_r);

/* What a search key looks at (RFC 9051 §6.4.4). */
enum store_mime_field {
	STORE_MIME_TEXT, /* header and body */
	STORE_MIME_BODY, /* body only */
	STORE_MIME_FROM,
	STORE_MIME_TO,
	STORE_MIME_CC,
	STORE_MIME_SUBJECT,
	STORE_MIME_HEADER, /* any decoded header field */
};

typedef void store_mime_search_cb(uint32_t uid, void *ctx);
/* Calls cb, in UID order, with the UID of every message in mailbox whose
 * field contains query (UTF-8, case-insensitive substring; "" matches
 * all). First indexes any message of the mailbox that is not yet (lazy
 * path for APPENDed mail, and for all of them after an upgrade that
 * changed the text extraction). Returns 0, or -1 with *error_r ("no such
 * mailbox", storage failure). */
int store_mime_search(struct store_account *account, const char *mailbox,
                      enum store_mime_field field, const char *query,
                      store_mime_search_cb *cb, void *ctx,
                      const char **error_r);

#endif
