/* JMAP core (RFC 8620): the Request object (§3.3) read with the limits the
 * Session advertises (§2: maxSizeRequest, maxCallsInRequest; the others
 * are checked by the methods through jmap_method.h), the method-call
 * dispatch over a table of methods with their capability (§3.5), result
 * references (§3.7, JSON Pointer with the "*" array mapping) and creation
 * ids (§3.3, §5.3), and the error types (§3.6). JSON is jansson's json_t:
 * jansson is included by lib/jmap only, and this header hands its values
 * to the servers (doc/architecture.md, amendment). A method runs to the
 * end before the next one starts; it answers with jmap_reply() (one or
 * more responses) or jmap_error(). */
#ifndef JMAP_JMAP_H
#define JMAP_JMAP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pool;

#define JMAP_CAP_CORE "urn:ietf:params:jmap:core"
#define JMAP_CAP_MAIL "urn:ietf:params:jmap:mail"
#define JMAP_CAP_SUBMISSION "urn:ietf:params:jmap:submission"
#define JMAP_CAP_VACATION "urn:ietf:params:jmap:vacationresponse"
#define JMAP_CAP_WEBSOCKET "urn:ietf:params:jmap:websocket"

/* The limits of RFC 8620 §2 "urn:ietf:params:jmap:core". */
struct jmap_settings {
	uint64_t max_size_upload;
	unsigned max_concurrent_upload;
	uint64_t max_size_request;
	unsigned max_concurrent_requests;
	unsigned max_calls_in_request;
	unsigned max_objects_in_get;
	unsigned max_objects_in_set;
	/* a result reference may produce at most this many values (the
	   "*" mapping multiplies them) */
	unsigned max_ref_values;
};

/* Postroom's defaults. */
void jmap_settings_init(struct jmap_settings *set);

/* ---- Request-level errors (RFC 8620 §3.6.1, RFC 7807 problem details) */

struct jmap_problem {
	unsigned status;    /* 400 */
	const char *type;   /* "urn:ietf:params:jmap:error:notJSON" */
	const char *detail; /* static or from the pool */
	const char *limit;  /* for ...:limit, the limit's name, else NULL */
};

/* The problem details object of p (new reference). */
json_t *jmap_problem_json(const struct jmap_problem *p);

/* ---- The Request object (§3.3) --------------------------------------- */

struct jmap_call {
	const char *name; /* "Mailbox/get" */
	json_t *args;     /* borrowed from the request */
	const char *id;   /* the method call id */
};

struct jmap_request {
	json_t *root; /* owned: jmap_request_deinit */
	const char **using;
	size_t using_count;
	struct jmap_call *calls;
	size_t call_count;
	json_t *created_ids; /* borrowed, or NULL */
};

/* Request = { "using": [String], "methodCalls": [Invocation],
 *             "createdIds": Id[Id] (optional) }
 * Invocation = [ String name, String[*] arguments, String id ]
 * Parses data (size bytes of UTF-8 JSON). Returns 0 with *req_r (strings
 * from pool), or -1 with *problem_r: notJSON (not I-JSON: bad syntax,
 * duplicate keys, NUL, invalid UTF-8), notRequest (wrong shape), limit
 * (maxSizeRequest, maxCallsInRequest). */
int jmap_request_parse(const unsigned char *data, size_t size,
                       const struct jmap_settings *set, struct pool *pool,
                       struct jmap_request *req_r,
                       struct jmap_problem *problem_r);
void jmap_request_deinit(struct jmap_request *req);

/* True if s is an Id (§1.2: 1-255 bytes of A-Za-z0-9, "-" and "_"). */
bool jmap_id_is_valid(const char *s);

/* ---- Dispatch ---------------------------------------------------------- */

struct jmap_exec;
struct jmap_call_ctx;

typedef void jmap_method_fn(struct jmap_call_ctx *c, json_t *args);

struct jmap_method {
	const char *name;       /* "Email/get" */
	const char *capability; /* must be in "using" */
	jmap_method_fn *run;
};

/* Runs every call of req in order against methods (count entries): an
 * unknown name gets unknownMethod, one whose capability is not in
 * "using" too (§3.6.2), bad result references invalidResultReference.
 * ctx is handed to the methods (jmap_call_server_ctx). Returns the
 * Response object (§3.4, new reference) without sessionState, which the
 * caller adds; or NULL with *problem_r when "using" names a capability
 * not in capabilities (unknownCapability, §3.6.1). */
json_t *jmap_exec_run(const struct jmap_request *req,
                      const struct jmap_method *methods, size_t count,
                      const char *const *capabilities,
                      const struct jmap_settings *set, void *ctx,
                      struct pool *pool, struct jmap_problem *problem_r);

/* Inside a method. */
void *jmap_call_server_ctx(const struct jmap_call_ctx *c);
const struct jmap_settings *jmap_call_settings(const struct jmap_call_ctx *c);
struct pool *jmap_call_pool(const struct jmap_call_ctx *c);
const char *jmap_call_name(const struct jmap_call_ctx *c);
/* The capability of the method being run (its entry in the table), so
 * that a server can refuse a method on an account without it
 * (accountNotSupportedByMethod, RFC 8620 §3.6.2). */
const char *jmap_call_capability(const struct jmap_call_ctx *c);
/* True if the request's "using" names cap. */
bool jmap_call_uses(const struct jmap_call_ctx *c, const char *cap);
/* Adds a response [name, args, call id]; args is stolen. */
void jmap_reply(struct jmap_call_ctx *c, const char *name, json_t *args);
/* Adds an error response (§3.6.2) of type with an optional description
 * (printf-like; NULL: none). */
void jmap_error(struct jmap_call_ctx *c, const char *type,
                const char *description, ...)
    __attribute__((format(printf, 3, 4)));
/* Adds an error response whose arguments are obj (stolen; "type" set). */
void jmap_error_obj(struct jmap_call_ctx *c, const char *type, json_t *obj);

/* Creation ids (§5.3): records that creation_id made id (for "#x" in
 * later calls and in createdIds). */
void jmap_call_created(struct jmap_call_ctx *c, const char *creation_id,
                       const char *id);
/* Resolves an id argument: "#x" is the id created as x in this request
 * (NULL if none was), any other string is returned as it is. */
const char *jmap_call_resolve_id(struct jmap_call_ctx *c, const char *id);

/* ---- Result references (§3.7) ----------------------------------------- */

/* Evaluates JSON Pointer path (RFC 6901, with "*": when the value at that
 * point is an array, the rest of the path is applied to each item and
 * arrays among the results are flattened) against value. Returns a new
 * reference, or NULL when the path does not resolve or would make more
 * than max_values values. */
json_t *jmap_pointer_eval(json_t *value, const char *path, unsigned max_values);

/* ---- Error types (§3.6.2, §5.3, RFC 8621) ----------------------------- */
#define JMAP_ERR_SERVER_UNAVAILABLE "serverUnavailable"
#define JMAP_ERR_SERVER_FAIL "serverFail"
#define JMAP_ERR_SERVER_PARTIAL_FAIL "serverPartialFail"
#define JMAP_ERR_UNKNOWN_METHOD "unknownMethod"
#define JMAP_ERR_INVALID_ARGUMENTS "invalidArguments"
#define JMAP_ERR_INVALID_RESULT_REFERENCE "invalidResultReference"
#define JMAP_ERR_FORBIDDEN "forbidden"
#define JMAP_ERR_ACCOUNT_NOT_FOUND "accountNotFound"
#define JMAP_ERR_ACCOUNT_NOT_SUPPORTED "accountNotSupportedByMethod"
#define JMAP_ERR_ACCOUNT_READ_ONLY "accountReadOnly"
#define JMAP_ERR_REQUEST_TOO_LARGE "requestTooLarge"
#define JMAP_ERR_CANNOT_CALCULATE_CHANGES "cannotCalculateChanges"
#define JMAP_ERR_STATE_MISMATCH "stateMismatch"
#define JMAP_ERR_ANCHOR_NOT_FOUND "anchorNotFound"
#define JMAP_ERR_UNSUPPORTED_SORT "unsupportedSort"
#define JMAP_ERR_UNSUPPORTED_FILTER "unsupportedFilter"
#define JMAP_ERR_TOO_MANY_CHANGES "tooManyChanges"
#define JMAP_ERR_FROM_ACCOUNT_NOT_FOUND "fromAccountNotFound"

#define JMAP_PROBLEM_UNKNOWN_CAPABILITY                                       \
	"urn:ietf:params:jmap:error:unknownCapability"
#define JMAP_PROBLEM_NOT_JSON "urn:ietf:params:jmap:error:notJSON"
#define JMAP_PROBLEM_NOT_REQUEST "urn:ietf:params:jmap:error:notRequest"
#define JMAP_PROBLEM_LIMIT "urn:ietf:params:jmap:error:limit"

#endif
