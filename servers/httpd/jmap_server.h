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
struct jmap_share_account;

/* One API request's view of the account (the server ctx of lib/jmap). */
struct jmap_ctx {
	struct httpd *httpd;
	struct http_request *req;
	struct pool *pool;
	const char *user;
	char account_id[32]; /* the user's own */
	/* the account of the call being run (jmap_server_account): the
	   user's own, or the owner's of a shared account (shared set) */
	struct store_account *account;
	struct store_account *own;
	const struct jmap_share_account *shared;
	/* the shared accounts (read at the first call naming another
	   account) and their owners' stores, opened when first used */
	struct jmap_share_account *shares;
	struct store_account **share_stores;
	size_t share_count;
	bool has_shares;
};

/* jmap_api.c: the limits, from [jmap] (jmap_server_configure, once at
 * start) */
extern struct jmap_settings jmap_server_settings;
struct postroom_settings;
void jmap_server_configure(const struct postroom_settings *set);
/* The account for accountId, made the call's account (ctx->account): the
 * user's own, or one another user shares with it (jmap_share.h), where
 * only the shared data types' methods run (else
 * accountNotSupportedByMethod); any other is accountNotFound. */
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
void jmap_mailbox_query_changes(struct jmap_call_ctx *c, json_t *args);
/* Parses "m<id>". Returns 0 or -1. */
int jmap_mailbox_id_parse(const char *id, int64_t *id_r);

/* jmap_emails.c */
extern const struct jmap_type jmap_email_type;
void jmap_email_query(struct jmap_call_ctx *c, json_t *args);
void jmap_email_query_changes(struct jmap_call_ctx *c, json_t *args);
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
 * account id (from the subscription) and the current states are given.
 * Every data type of the account is pushed: mail, submission, Sieve and
 * vacation, contacts and calendars. */
enum jmap_push_type {
	JMAP_PUSH_EMAIL,
	JMAP_PUSH_MAILBOX,
	JMAP_PUSH_THREAD,
	JMAP_PUSH_IDENTITY,
	JMAP_PUSH_SUBMISSION,
	JMAP_PUSH_SIEVE,
	JMAP_PUSH_VACATION,
	JMAP_PUSH_ADDRESSBOOK,
	JMAP_PUSH_CARD,
	JMAP_PUSH_CALENDAR,
	JMAP_PUSH_EVENT,
	JMAP_PUSH_TASK,
	JMAP_PUSH_JOURNAL,
	JMAP_PUSH_COUNT
};
struct jmap_push_states {
	uint64_t v[JMAP_PUSH_COUNT];
};
/* The type names of StateChange ("Email", "ContactCard"...). */
extern const char *const jmap_push_type_names[JMAP_PUSH_COUNT];
/* Reads every state of the account. Returns 0 or -1. */
int jmap_push_states_read(struct store_account *account,
                          struct jmap_push_states *states_r);
/* The bits (1 << type) of the types named in the comma list (NULL or
 * "*": all). */
uint32_t jmap_push_types_parse(const char *list);
/* A StateChange's "changed" member for one account: the types of want
 * whose state in st differs from sent (all of want when force), or NULL
 * when none did (new reference). */
json_t *jmap_push_changed(const struct jmap_push_states *st,
                          const struct jmap_push_states *sent, uint32_t want,
                          bool force);
struct jmap_push_sub;
typedef void jmap_push_cb(const struct jmap_push_states *states, void *ctx);
struct jmap_push_sub *jmap_push_subscribe(struct httpd *httpd,
                                          const char *user, struct pool *pool,
                                          jmap_push_cb *cb, void *ctx,
                                          struct jmap_push_states *states_r,
                                          const char **account_id_r);
/* Ends a subscription; sets *sub to NULL; accepts NULL. */
void jmap_push_unsubscribe(struct jmap_push_sub **sub);
/* Push of the accounts others share with a user (jmap_share.h): cb gets
 * a StateChange object (borrowed) whenever the shared types of one of
 * them move, keyed by the owner's accountId, with the states /get gives
 * there; is_initial for the first one (tell_now: at once, with every
 * state). cb returns false if it could not send it now (it is offered
 * again by jmap_push_follow_flush, as the latest states). A share made
 * later is followed when it is made (its states told at once), one ended
 * is told no more. Returns NULL if the user's account cannot be read. */
typedef bool jmap_push_follow_cb(json_t *state_change, bool is_initial,
                                 void *ctx);
struct jmap_push_follows;
struct jmap_push_follows *jmap_push_follow(struct httpd *httpd,
                                           const char *user, uint32_t want,
                                           bool tell_now,
                                           jmap_push_follow_cb *cb, void *ctx);
void jmap_push_follow_flush(struct jmap_push_follows *set);
/* Ends the following; sets *set to NULL; accepts NULL. */
void jmap_push_unfollow(struct jmap_push_follows **set);
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
void jmap_submission_changes(struct jmap_call_ctx *c, json_t *args);
void jmap_submission_query(struct jmap_call_ctx *c, json_t *args);

/* jmap_identity.c: Identity (RFC 8621 §6), and /changes of the account's
 * store_jmap types with ids "<prefix><n>" (a /changes of a jmap_type). */
void jmap_identity_get(struct jmap_call_ctx *c, json_t *args);
void jmap_identity_changes(struct jmap_call_ctx *c, json_t *args);
void jmap_identity_set(struct jmap_call_ctx *c, json_t *args);
/* Returns 1 with the identity's number and address (from the call's
 * pool) if id ("i<n>") is one of the account's, 0 if not, -1. */
int jmap_identity_find(struct jmap_call_ctx *c, const char *id,
                       int64_t *id_r, const char **email_r);
/* Foo/copy (RFC 8620 §5.4) between the accounts the user reaches: only
 * the user's own today, so a copy is accountNotFound,
 * fromAccountNotFound, or invalidArguments (the two accounts must
 * differ). */
void jmap_server_copy(struct jmap_call_ctx *c, json_t *args);
int jmap_server_changes(struct jmap_call_ctx *c, enum store_jmap_type type,
                        char prefix, const char *since, unsigned max,
                        struct jmap_changes *out);

/* jmap_sieve.c, jmap_vacation.c: JMAP Sieve (RFC 9661) and
 * VacationResponse (RFC 8621 §8) over the account's Sieve scripts */
#define JMAP_CAP_SIEVE "urn:ietf:params:jmap:sieve"
struct sieve_settings;
/* lib/rules' limits as deliver runs them ([deliver] sieve_*). */
void jmap_sieve_settings(struct httpd *httpd, struct sieve_settings *set);
/* The account capability of urn:ietf:params:jmap:sieve (new reference). */
json_t *jmap_sieve_capability(struct httpd *httpd);
extern const struct jmap_method jmap_sieve_methods[];
extern const size_t jmap_sieve_method_count;
void jmap_vacation_get(struct jmap_call_ctx *c, json_t *args);
void jmap_vacation_set(struct jmap_call_ctx *c, json_t *args);

#endif
