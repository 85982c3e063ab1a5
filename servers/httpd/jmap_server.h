/* httpd's JMAP (doc/jmap.md): the routes (jmap_api.c: the session
 * resource, the API endpoint, blob upload and download), the data types
 * mapped to the store (jmap_mailbox.c, jmap_emails.c, jmap_email_set.c,
 * jmap_submission.c) and push (jmap_push.c). lib/jmap holds the protocol;
 * these files hold the mapping, as imapd's cmd_*.c do for IMAP. Ids:
 * Mailbox "m<id>", Email "e<guid>", Thread "t<id>", blob "b<sha256>" (a
 * body part: "b<sha256>_<part>"), the account "a<id>". */
#ifndef HTTPD_JMAP_SERVER_H
#define HTTPD_JMAP_SERVER_H

#include "jmap/jmap.h"
#include "jmap/jmap_method.h"
#include "store/store_jmap.h"

struct httpd;
struct http_request;

/* One API request's view of the account (the server ctx of lib/jmap). */
struct jmap_ctx {
	struct httpd *httpd;
	struct http_request *req;
	struct pool *pool;
	const char *user;
	char account_id[32];
	struct store_account *account;
};

/* jmap_api.c */
extern const struct jmap_settings jmap_server_settings;
/* The account for accountId: the user's own, else accountNotFound. */
void *jmap_server_account(struct jmap_call_ctx *c, const char *account_id);
/* The JSON of v as the body of a 200 (or status) response. */
void jmap_server_send_json(struct http_request *req, unsigned status,
                           json_t *v);
/* "a<id>" of the user's account into buf. Returns 0, or -1 if the store
 * does not know the user. */
int jmap_server_account_id(struct httpd *httpd, const char *user,
                           struct pool *pool, char *buf, size_t size);

/* The state strings. */
const char *jmap_state_str(struct jmap_call_ctx *c, enum store_jmap_type type);

/* Route handlers (ctx is the struct httpd). */
void jmap_session_handler(struct http_request *req, void *ctx);
void jmap_api_handler(struct http_request *req, void *ctx);
void jmap_upload_handler(struct http_request *req, void *ctx);
void jmap_download_handler(struct http_request *req, void *ctx);
void jmap_eventsource_handler(struct http_request *req, void *ctx);

/* jmap_mailbox.c */
extern const struct jmap_type jmap_mailbox_type;
extern const struct jmap_type jmap_thread_type;
void jmap_mailbox_query(struct jmap_call_ctx *c, json_t *args);
void jmap_identity_get(struct jmap_call_ctx *c, json_t *args);
/* Parses "m<id>". Returns 0 or -1. */
int jmap_mailbox_id_parse(const char *id, int64_t *id_r);

/* jmap_emails.c */
extern const struct jmap_type jmap_email_type;
void jmap_email_query(struct jmap_call_ctx *c, json_t *args);
void jmap_email_parse(struct jmap_call_ctx *c, json_t *args);
void jmap_snippet_get(struct jmap_call_ctx *c, json_t *args);
/* Reads the whole message of blob (store id) into out. Returns 0 or -1. */
int jmap_blob_read(struct jmap_ctx *ctx, const char *blob_id,
                   struct buf *out);

/* jmap_email_set.c */
const char *jmap_email_create(struct jmap_call_ctx *c, void *account,
                              json_t *obj, json_t **extra_r, json_t **err_r);
int jmap_email_update(struct jmap_call_ctx *c, void *account, const char *id,
                      json_t *patch, json_t **err_r);
int jmap_email_destroy(struct jmap_call_ctx *c, void *account, const char *id,
                       json_t **err_r);
void jmap_email_import(struct jmap_call_ctx *c, json_t *args);
/* Stores message bytes as a new Email in the mailboxes (ids) with flags
 * and keywords. Returns the Email id (from pool) or NULL with *err_r. */
const char *jmap_email_store(struct jmap_ctx *ctx, const void *data,
                             size_t size, const int64_t *mailboxes,
                             size_t count, uint32_t flags,
                             const char *keywords, time_t received,
                             json_t **err_r);

/* jmap_submission.c */
void jmap_submission_set(struct jmap_call_ctx *c, json_t *args);
void jmap_submission_get(struct jmap_call_ctx *c, json_t *args);

#endif
