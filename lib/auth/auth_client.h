/* Password checks away from the event loop: the servers send each login to
 * authd over data_dir/run/auth.sock (one short UNIX stream connection per
 * check, so authd's workers share the load through the accept queue) and
 * resume the session when the answer arrives. The records are lib/core/ipc
 * lines, the password always last so that it is unescaped into a buffer of
 * its own and wiped:
 *   verify service=imap ip=127.0.0.1 user=bob%40ex.org password=...
 *   result status=ok|fail|tempfail [user=bob@ex.org] [delay_msecs=N]
 *          [throttled=yes]
 * An unknown user and a wrong password both answer "fail" after the same
 * work (authd verifies against a dummy hash) with the same delay: how long
 * the server holds the failure reply back (the login throttle's penalty,
 * auth_throttle.h). "throttled=yes" says the password was not checked at
 * all because a penalty was running. */
#ifndef AUTH_AUTH_CLIENT_H
#define AUTH_AUTH_CLIENT_H

#include "auth/auth.h"

#include <stdbool.h>
#include <stddef.h>

struct buf;
struct event_loop;
struct ipc_record;

#define AUTH_SOCKET_NAME "auth.sock" /* in data_dir/run */
/* How long a server waits for authd's answer before a temporary failure:
 * long enough for a queue of checks behind busy workers. */
#define AUTH_REQUEST_TIMEOUT_MSECS 15000

enum auth_result {
	AUTH_RESULT_OK,
	AUTH_RESULT_FAIL,
	AUTH_RESULT_TEMPFAIL, /* authd down, busy past the timeout, or the
	                         store failed */
};

struct auth_request_info {
	const char *user;
	const char *password;
	const char *service; /* "smtp", "pop3", "imap" */
	const char *ip;      /* the client's numeric address */
};

struct auth_answer {
	enum auth_result result;
	/* the account's address on AUTH_RESULT_OK, else the user asked for */
	const char *user;
	const char *error; /* why, on AUTH_RESULT_TEMPFAIL; else NULL */
	/* AUTH_RESULT_FAIL: hold the reply back this long (the throttle's
	 * penalty; the same for an unknown user and a wrong password) */
	unsigned delay_msecs;
	bool is_throttled; /* FAIL without a check: a penalty was running */
};

/* Called once per request with the answer, whose strings are valid during
 * the call. The request is already freed when the callback runs: drop the
 * pointer to it. */
typedef void auth_request_cb(const struct auth_answer *answer, void *ctx);

struct auth_request;

/* Sends info to authd at socket_path and watches for the answer on loop.
 * Never calls cb before returning: a failure to connect is answered
 * AUTH_RESULT_TEMPFAIL from the loop, and a user name longer than
 * AUTH_USER_MAX or a password longer than AUTH_PASSWORD_MAX is answered
 * AUTH_RESULT_FAIL from the loop without asking authd. Every copy made of
 * the password is wiped here; the caller wipes its own. Returns the
 * request. */
struct auth_request *auth_request_new(struct event_loop *loop,
                                      const char *socket_path,
                                      const struct auth_request_info *info,
                                      unsigned timeout_msecs,
                                      auth_request_cb *cb, void *ctx);
/* Cancels a request (cb is not called); sets *req to NULL; accepts NULL. */
void auth_request_free(struct auth_request **req);

/* Wire helpers, shared with authd. Appends the encoded request, LF
 * included, to out without letting out reallocate once the password is in
 * (so no unwiped copy is left behind); wipe out after use. */
void auth_wire_request_encode(const struct auth_request_info *info,
                              struct buf *out);
/* Decodes a request line (without its LF), wiping the password's bytes in
 * line. Returns 0 with the other fields in rec (initialised; deinit it) and
 * the password in a heap string *password_r (free it with
 * auth_secret_free), or -1 with a static reason (rec is then empty). */
int auth_wire_request_decode(char *line, size_t len, struct ipc_record *rec,
                             char **password_r, const char **error_r);
/* Wipes and frees a heap string; sets *secret to NULL; accepts NULL. */
void auth_secret_free(char **secret);

#endif
