/* The IMAP client engine (RFC 9051, RFC 3501) for the terminal client: one
 * command at a time over a blocking struct tls_stream. It reads every
 * response into a small value tree (atoms, strings and literals, NIL,
 * parenthesised lists), hands untagged responses to the caller's callback
 * and returns the tagged status. Extensions used when the server offers
 * them: STARTTLS, SASL-IR, LITERAL+/LITERAL-, ENABLE, CONDSTORE/QRESYNC
 * (RFC 7162), UIDPLUS (RFC 4315), MOVE (RFC 6851), IDLE (RFC 2177),
 * SPECIAL-USE (RFC 6154), UTF8=ACCEPT (RFC 6855). Policy-free: the caller
 * decides what to sync and whether plaintext login is allowed. */
#ifndef IMAP_IMAP_CLIENT_H
#define IMAP_IMAP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct buf;
struct pool;
struct tls_stream;
struct imap_client;

enum imap_value_type {
	IMAP_VALUE_ATOM,   /* also numbers, flags like \Seen, BODY[...] */
	IMAP_VALUE_STRING, /* quoted string or literal (may hold NULs) */
	IMAP_VALUE_NIL,
	IMAP_VALUE_LIST, /* ( ... ) */
};

struct imap_value {
	enum imap_value_type type;
	const char *str; /* ATOM, STRING: NUL-terminated, len bytes */
	size_t len;
	const struct imap_value *list; /* LIST: its items */
	size_t count;
};

/* One untagged response: "* 3 FETCH (...)" has items "3", "FETCH" and a
 * list. For OK/NO/BAD/BYE/PREAUTH, code is the response code without its
 * brackets ("UIDVALIDITY 7") or NULL, and text the human-readable rest.
 * Everything lives until the callback returns. */
struct imap_response {
	const struct imap_value *items;
	size_t count;
	const char *code;
	const char *text;
	struct pool *pool; /* cleared after the callback returns: for
	                      helpers such as imap_fetch_parse */
};
typedef void imap_client_untagged_cb(const struct imap_response *resp,
                                     void *ctx);

enum imap_client_status {
	IMAP_CLIENT_OK,
	IMAP_CLIENT_NO,    /* the server refused (text in *error_r) */
	IMAP_CLIENT_BAD,   /* the server did not understand */
	IMAP_CLIENT_ERROR, /* connection, timeout, unparsable response */
};

struct imap_client_settings {
	size_t max_literal; /* bytes of one literal; 0: 64 MiB */
	size_t max_line;    /* bytes of one response line; 0: 1 MiB */
};

/* Takes ownership of stream. set is copied. */
struct imap_client *imap_client_new(struct tls_stream *stream,
                                    const struct imap_client_settings *set);
/* Closes without LOGOUT; sets *client to NULL; accepts NULL. */
void imap_client_free(struct imap_client **client);
/* Sends LOGOUT, reads its answer, then frees. */
void imap_client_logout(struct imap_client **client);

/* The functions below return 0 when the server answered OK, -1 otherwise
 * with imap_client_last_status() saying why and *error_r a reason that
 * lives until the next command ("NO [AUTHENTICATIONFAILED] ...",
 * "connection closed", ...). */
enum imap_client_status imap_client_last_status(const struct imap_client *c);
/* The response code of the last command's tagged OK without brackets
 * ("APPENDUID 7 42", "COPYUID 7 1:2 5:6", "READ-ONLY"), or NULL. Lives
 * until the next command. */
const char *imap_client_last_code(const struct imap_client *c);
/* IDLE returns 0 early (within about a second) once *stop is true; NULL
 * turns this off. stop must outlive the client or the next call. */
void imap_client_set_stop(struct imap_client *c, const volatile bool *stop);

/* Reads the greeting (OK or PREAUTH; BYE is an error) and the capabilities
 * (from its response code, else with CAPABILITY). */
int imap_client_greeting(struct imap_client *c, const char **error_r);
/* Sends CAPABILITY and keeps the list. */
int imap_client_capability(struct imap_client *c, const char **error_r);
/* Is cap ("IDLE", "AUTH=PLAIN", case-insensitive) among the capabilities? */
bool imap_client_has(const struct imap_client *c, const char *cap);
/* STARTTLS, the handshake, then CAPABILITY again (RFC 9051 §6.2.1). */
int imap_client_starttls(struct imap_client *c, const char **error_r);
/* AUTHENTICATE PLAIN (with SASL-IR when offered) if AUTH=PLAIN is offered,
 * else LOGIN; refuses with an error when LOGINDISABLED. Capabilities are
 * refreshed afterwards. A refused password is IMAP_CLIENT_NO. */
int imap_client_login(struct imap_client *c, const char *user,
                      const char *password, const char **error_r);
/* ENABLE with a space-separated list ("QRESYNC UTF8=ACCEPT"); remembers
 * which were enabled (imap_client_is_enabled). */
int imap_client_enable(struct imap_client *c, const char *caps,
                       const char **error_r);
bool imap_client_is_enabled(const struct imap_client *c, const char *cap);

/* Runs one command and reads responses up to its tagged answer, giving
 * every untagged response to cb (may be NULL). fmt is the command after
 * the tag, with these conversions:
 *   %a  an atom or any text sent verbatim (const char *)
 *   %s  an astring: sent as atom, quoted string or literal as needed
 *       (LITERAL+ when offered, else waits for the continuation)
 *   %m  a mailbox name (UTF-8): like %s, after modified UTF-7 encoding
 *       unless UTF8=ACCEPT is enabled
 *   %u  unsigned, %U uint64_t
 *   %b  a literal: const unsigned char *data, size_t size (always a
 *       literal; non-synchronising with LITERAL+, or LITERAL- up to 4096
 *       bytes, else it waits for the continuation)
 * If the server refuses a synchronising literal, that tagged NO/BAD is
 * the answer.
 * Example: imap_client_cmd(c, cb, ctx, &err, "UID FETCH %a (FLAGS)", set) */
int imap_client_cmd(struct imap_client *c, imap_client_untagged_cb *cb,
                    void *ctx, const char **error_r, const char *fmt, ...);

/* ---- Helpers for common commands ---------------------------------------- */

#define IMAP_CLIENT_F_SEEN (1u << 0)
#define IMAP_CLIENT_F_ANSWERED (1u << 1)
#define IMAP_CLIENT_F_FLAGGED (1u << 2)
#define IMAP_CLIENT_F_DELETED (1u << 3)
#define IMAP_CLIENT_F_DRAFT (1u << 4)
/* (same bits as STORE_FLAG_* in lib/store/store.h) */

#define IMAP_CLIENT_MBOX_NOSELECT (1u << 0)
#define IMAP_CLIENT_MBOX_HAS_CHILDREN (1u << 1)

struct imap_client_mailbox {
	const char *name; /* UTF-8 (decoded from modified UTF-7) */
	char delimiter;   /* '\0' for NIL */
	unsigned attrs;   /* IMAP_CLIENT_MBOX_* */
	const char *special_use; /* "\Sent", "\Drafts"... or NULL */
};
typedef void imap_client_list_cb(const struct imap_client_mailbox *mbox,
                                 void *ctx);
/* LIST "" "*" (with RETURN (SPECIAL-USE) when offered); cb per mailbox. */
int imap_client_list(struct imap_client *c, imap_client_list_cb *cb, void *ctx,
                     const char **error_r);

struct imap_client_selected {
	uint32_t uidvalidity;
	uint32_t uidnext;
	uint32_t exists;
	uint64_t highestmodseq; /* 0: NOMODSEQ or no CONDSTORE */
	bool is_readonly;
};
/* SELECT (or EXAMINE) mailbox; with qresync (QRESYNC enabled) it adds
 * "(QRESYNC (uidvalidity modseq))" and cb receives the VANISHED (EARLIER)
 * and FETCH responses it brings. Other untagged responses go to cb too. */
int imap_client_select(struct imap_client *c, const char *mailbox,
                       bool is_readonly, const uint32_t *qresync_uidvalidity,
                       const uint64_t *qresync_modseq,
                       imap_client_untagged_cb *cb, void *ctx,
                       struct imap_client_selected *selected_r,
                       const char **error_r);

/* The data of one FETCH response. */
struct imap_fetch {
	uint32_t seq;
	uint32_t uid;    /* 0 if not given */
	bool has_flags;
	uint32_t flags;        /* IMAP_CLIENT_F_* */
	const char *keywords;  /* other flags, space-separated ("" none) */
	bool has_recent;       /* \Recent was among the flags */
	uint64_t modseq;       /* 0 if not given */
	uint64_t size;         /* RFC822.SIZE, 0 if not given */
	time_t internal_date;  /* 0 if not given */
	const unsigned char *body; /* BODY[] / BODY.PEEK[] / RFC822, or NULL */
	size_t body_len;
};
/* Returns 1 with *fetch_r filled if resp is a FETCH response, 0 if it is
 * not, -1 if it is malformed. Pointers live as long as resp. */
int imap_fetch_parse(const struct imap_response *resp,
                     struct imap_fetch *fetch_r);
/* Returns 1 if resp is VANISHED, with *uids_r the UID set text ("3:5,9")
 * and *is_earlier_r; 0 if not. */
int imap_vanished_parse(const struct imap_response *resp,
                        const char **uids_r, bool *is_earlier_r);

/* APPEND with flags (IMAP_CLIENT_F_*), keywords (may be NULL) and
 * internal_date (0: none). With UIDPLUS, *uidvalidity_r and *uid_r get
 * the APPENDUID (else 0). */
int imap_client_append(struct imap_client *c, const char *mailbox,
                       uint32_t flags, const char *keywords,
                       time_t internal_date, const unsigned char *data,
                       size_t size, uint32_t *uidvalidity_r, uint32_t *uid_r,
                       const char **error_r);

/* IDLE (RFC 2177): waits up to msecs for an untagged response (given to
 * cb), then DONE. Returns 1 if something arrived, 0 on timeout, -1. */
int imap_client_idle(struct imap_client *c, int msecs,
                     imap_client_untagged_cb *cb, void *ctx,
                     const char **error_r);

/* Appends "(\Seen \Flagged kw)" for flags and keywords. */
void imap_client_flags_str(uint32_t flags, const char *keywords,
                           struct buf *out);

#endif
