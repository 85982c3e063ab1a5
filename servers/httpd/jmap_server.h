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

struct buf;
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

/* Runs the JMAP Request in data (size bytes of JSON) for user (RFC 8620
 * §3.3): returns the Response object (new reference) with session_state,
 * or NULL with *p_r: a request-level problem (status 400), or status 503
 * when the account cannot be opened. Shared by the API endpoint and
 * WebSocket (jmap_ws.c). */
json_t *jmap_api_execute(struct httpd *httpd, const char *user,
                         const char *session_state, const unsigned char *data,
                         size_t size, struct pool *pool,
                         struct jmap_problem *p_r);
/* The Session object's state for user as seen by req (from its pool). */
const char *jmap_api_session_state(struct http_request *req,
                                   struct httpd *httpd, const char *user);
/* Reads the request's body (in memory or in lib/http's file) into out.
 * Returns 0 or -1. */
int jmap_server_body_read(struct http_request *req, struct buf *out);

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

/* jmap_push.c: push by EventSource, and subscriptions for WebSocket push:
 * cb runs with the account's new states whenever one of them moves. The
 * account id (from the subscription) and the current states are given. */
struct jmap_push_sub;
typedef void jmap_push_cb(const struct store_jmap_states *states, void *ctx);
struct jmap_push_sub *jmap_push_subscribe(struct httpd *httpd,
                                          const char *user, struct pool *pool,
                                          jmap_push_cb *cb, void *ctx,
                                          struct store_jmap_states *states_r,
                                          const char **account_id_r);
/* Ends a subscription; sets *sub to NULL; accepts NULL. */
void jmap_push_unsubscribe(struct jmap_push_sub **sub);
/* The WebSocket route (RFC 8887; jmap_ws.c). */
void jmap_ws_handler(struct http_request *req, void *ctx);

/* jmap_login.c: logging in from a browser (the session cookie), logging
 * out, the user's sessions and password (doc/jmap.md, Authentication) */
void jmap_login_handler(struct http_request *req, void *ctx);
void jmap_logout_handler(struct http_request *req, void *ctx);
void jmap_sessions_handler(struct http_request *req, void *ctx);
void jmap_password_handler(struct http_request *req, void *ctx);

/* jmap_submission.c */
void jmap_submission_set(struct jmap_call_ctx *c, json_t *args);
void jmap_submission_get(struct jmap_call_ctx *c, json_t *args);

#endif
