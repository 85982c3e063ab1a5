/* RFC 5322 messages from JMAP Email creation objects (RFC 8621 §4.6). */
#ifndef JMAP_JMAP_COMPOSE_H
#define JMAP_JMAP_COMPOSE_H

#include <time.h>

#include "jmap/jmap.h"

struct buf;

struct jmap_compose {
	time_t now;             /* Date when sentAt is not given */
	const char *message_id; /* without <>, when messageId is not given */
	/* Appends the bytes of JMAP blob blob_id (an attachment) to out.
	   Returns 0, or -1 when it is not there (blobNotFound). */
	int (*blob_read)(void *ctx, const char *blob_id, struct buf *out);
	void *ctx;
};

/* Appends the message email describes to out. Returns 0; -1 with a
 * reason and the property at fault (invalidProperties); -2 when a blob
 * is missing (*prop_r is its id: blobNotFound). Nothing is appended on
 * failure. */
int jmap_compose_email(json_t *email, const struct jmap_compose *cs,
                       struct buf *out, const char **error_r,
                       const char **prop_r);

#endif
