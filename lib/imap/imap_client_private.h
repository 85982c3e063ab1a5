/* Inside lib/imap's client engine only: the client's state, and the
 * response reader shared by imap_client.c, imap_client_read.c and
 * imap_client_mailbox.c. */
#ifndef IMAP_IMAP_CLIENT_PRIVATE_H
#define IMAP_IMAP_CLIENT_PRIVATE_H

#include "core/buf.h"
#include "imap/imap_client.h"

#include <stdbool.h>

struct pool;

#define IMAP_CLIENT_MAX_DEPTH 100   /* nested lists in one response */
#define IMAP_CLIENT_LITERAL_MINUS 4096 /* RFC 7888 §4: LITERAL- limit */

enum imap_client_kind {
	IMAP_CLIENT_UNTAGGED,
	IMAP_CLIENT_TAGGED,
	IMAP_CLIENT_CONTINUATION,
};

/* One response as read: resp for untagged ones, tag and status word for
 * tagged ones, resp.text for continuations. */
struct imap_client_resp {
	enum imap_client_kind kind;
	const char *tag;    /* TAGGED */
	const char *status; /* TAGGED, and untagged OK/NO/BAD/BYE/PREAUTH */
	struct imap_response resp;
};

struct imap_client {
	struct tls_stream *stream;
	struct imap_client_settings set;
	struct pool *resp_pool; /* one response; cleared after it is handled */
	struct pool *cmd_pool;  /* errors and codes of the last command */
	struct buf raw;         /* the response as read, literals inline */
	struct buf out;         /* the command being written */
	char *caps;             /* " CAP1 CAP2 " upper-cased, or NULL */
	char *enabled;          /* " QRESYNC " upper-cased */
	unsigned tag_seq;
	char tag[16];
	enum imap_client_status status;
	const char *last_code; /* code of the last tagged OK (cmd_pool) */
	const volatile bool *stop;
	bool has_bye;
	bool is_broken; /* the stream can no longer be trusted */
};

/* Reads one whole response (with its literals) and parses it into *r,
 * allocating from c->resp_pool. Returns 0, or -1 with *error_r (then the
 * connection is broken: c->is_broken is set). */
int imap_client_read_response(struct imap_client *c,
                              struct imap_client_resp *r,
                              const char **error_r);
/* Parses a raw response (lines ending in '\n'; after a "{n}" line come n
 * bytes and one NUL) of size bytes. Returns 0, or -1 with *error_r (a
 * static string). Exposed for the tests' malformed cases. */
int imap_client_parse_raw(const char *raw, size_t size, struct pool *pool,
                          struct imap_client_resp *r, const char **error_r);

/* Marks the command failed with status and error "fmt..." from cmd_pool.
 * Returns -1 for tail calls. */
int imap_client_fail(struct imap_client *c, enum imap_client_status status,
                     const char **error_r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Starts a command: clears the command pool, picks the next tag. */
void imap_client_begin(struct imap_client *c);
/* Reads responses until the tagged answer to c->tag, passing untagged ones
 * to cb (after the client's own bookkeeping). With want_cont, a
 * continuation request ends the wait with 1. Returns 0 on OK, 1 on a
 * continuation (only with want_cont), -1 otherwise (status set). */
int imap_client_wait(struct imap_client *c, imap_client_untagged_cb *cb,
                     void *ctx, bool want_cont, const char **error_r);
/* The client's own bookkeeping of an untagged response: CAPABILITY (as
 * data or response code), ENABLED, BYE. */
void imap_client_note(struct imap_client *c, const struct imap_client_resp *r);
/* Sends what c->out holds (and clears it). Returns 0 or -1 (status set). */
int imap_client_send(struct imap_client *c, const char **error_r);
/* Does the atom value v equal str, ignoring case? */
bool imap_client_value_is(const struct imap_value *v, const char *str);
/* Parses value v as a decimal number up to max. Returns 0 or -1. */
int imap_client_value_num(const struct imap_value *v, uint64_t max,
                          uint64_t *num_r);

#endif
