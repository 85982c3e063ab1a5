/* Sieve (RFC 5228), the language of Postroom's delivery rules: a compiler
 * that turns a script into a checked tree once (sieve_compile), and an
 * interpreter that runs compiled scripts over one message for one
 * recipient and returns the actions it decided (sieve_run_*). Extensions:
 * fileinto, reject, ereject (RFC 5429), envelope, encoded-character,
 * subaddress (RFC 5233), imap4flags (RFC 5232), copy (RFC 3894), body
 * (RFC 5173), variables (RFC 5229), vacation (RFC 5230) with
 * vacation-seconds (RFC 6131), relational (RFC 5231),
 * comparator-i;ascii-numeric (RFC 4790), date and index (RFC 5260),
 * mailbox (RFC 5490), include (RFC 6609), regex (draft-ietf-sieve-regex,
 * POSIX extended), duplicate (RFC 7352), editheader (RFC 5293), enotify
 * with mailto (RFC 5435, RFC 5436). The interpreter performs nothing
 * itself: it has no loops, and every resource it may use (size, nesting,
 * strings, actions, regexes, work) is bounded by struct sieve_settings, so
 * a hostile script ends in a runtime error, never a hang. */
#ifndef RULES_SIEVE_H
#define RULES_SIEVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct buf;
struct pool;

/* Every limit of the compiler and the interpreter. */
struct sieve_settings {
	size_t max_script_size;     /* bytes of one script's source */
	unsigned max_nesting;       /* blocks and tests inside each other */
	size_t max_string_size;     /* bytes of any string made at run time */
	unsigned max_list_size;     /* strings in one list */
	unsigned max_actions;       /* actions a run may collect */
	unsigned max_redirects;     /* redirect actions in a run */
	unsigned max_include_depth; /* include inside include (RFC 6609) */
	unsigned max_includes;      /* scripts a run may include in all */
	unsigned max_variables;     /* variables per script (RFC 5229) */
	size_t max_regex_size;      /* bytes of one regex pattern */
	unsigned max_regexes;       /* regexes compiled in one run */
	size_t max_match_size;      /* bytes of a value a :matches or :regex
	                               sees (the rest is not looked at) */
	size_t max_body_size;       /* bytes of body text the body test sees */
	unsigned max_header_edits;  /* addheader/deleteheader per run */
	uint64_t max_steps;         /* units of work in one run: every test,
	                               command and compared 64 bytes is one */
	uint64_t vacation_min_period; /* seconds; shorter :days/:seconds are
	                                 raised to this (RFC 6131 §2) */
	uint64_t vacation_max_period; /* and longer ones lowered to this */
	uint64_t duplicate_period;    /* default :seconds of duplicate */
	uint64_t duplicate_max_period;
};

/* Postroom's defaults: 1 MiB scripts, nesting 32, strings of 64 KiB,
 * lists of 1024, 64 actions, 4 redirects, includes 5 deep and 20 in all,
 * 256 variables, regexes of 1 KiB and 32 per run, 64 KiB matched, 1 MiB
 * of body text, 64 header edits, 2,000,000 steps; vacation between one
 * hour and 90 days; duplicate ids kept a week, at most 30 days. */
#define SIEVE_SETTINGS_DEFAULT                                                 \
	{                                                                      \
		.max_script_size = 1024 * 1024, .max_nesting = 32,             \
		.max_string_size = 65536, .max_list_size = 1024,               \
		.max_actions = 64, .max_redirects = 4, .max_include_depth = 5, \
		.max_includes = 20, .max_variables = 256,                      \
		.max_regex_size = 1024, .max_regexes = 32,                     \
		.max_match_size = 65536, .max_body_size = 1024 * 1024,         \
		.max_header_edits = 64, .max_steps = 2000000,                  \
		.vacation_min_period = 3600,                                   \
		.vacation_max_period = 90 * 86400,                             \
		.duplicate_period = 7 * 86400,                                 \
		.duplicate_max_period = 30 * 86400,                            \
	}

/* Where a compile or run failed: line and column (from 1) of the
 * command, test or token at fault, and what was wrong. */
struct sieve_error {
	unsigned line, column;
	char message[256];
};

/* The capabilities a script may require, space-separated (ManageSieve's
 * SIEVE capability, RFC 5804 §1.7). A static string. */
const char *sieve_capabilities(void);

/* ---- Compiling ---------------------------------------------------------- */

struct sieve_script;

/* start = commands (RFC 5228 §8.2)
 * Parses and checks size bytes of script source (any bytes; CRLF or LF
 * line ends) named name: syntax, known commands and tests with the right
 * arguments, extensions required before use, constant strings that must
 * be valid (addresses, flags, header names, regexes, date parts).
 * Returns 0 with the checked script in *script_r (owned by the caller,
 * independent of data), or -1 with the first error in *error_r. */
int sieve_compile(const unsigned char *data, size_t size, const char *name,
                  const struct sieve_settings *settings,
                  struct sieve_script **script_r, struct sieve_error *error_r);
/* Frees *script (set to NULL); accepts NULL. */
void sieve_script_free(struct sieve_script **script);
/* The name given to sieve_compile. */
const char *sieve_script_name(const struct sieve_script *script);
/* Returns true if the script requires capability (for the checks of
 * postroomctl: a script that sends mail). */
bool sieve_script_requires(const struct sieve_script *script,
                           const char *capability);

/* Returns the byte offset just after the last "require" command that
 * starts the script (RFC 5228 §3.2), 0 when it starts with none: where
 * more commands can go in front of the script's own. */
size_t sieve_script_require_end(const struct sieve_script *script);

/* ---- The message a run looks at ---------------------------------------- */

/* One message as delivered to one recipient. The strings and data stay
 * with the caller for the life of every run over it. */
struct sieve_mail {
	const unsigned char *data; /* the message: header and as much of the
	                              body as the caller read */
	size_t size;
	uint64_t full_size;        /* the size test (RFC 5228 §5.9) */
	const char *envelope_from; /* reverse-path without <>, "" for null */
	const char *envelope_to;   /* the recipient: local[+detail]@domain */
	const char *user;          /* the account's address */
	time_t now;                /* currentdate, vacation, duplicate */
	long local_offset;         /* seconds east of UTC: date without
	                              :zone (RFC 5260 §4.1) */
};

/* What the interpreter asks of its caller while it runs. Each may be NULL
 * (mailboxexists is then false, duplicate never seen, include fails). */
struct sieve_callbacks {
	/* Returns 1 if mailbox name (UTF-8, "/"-separated) exists, 0 if
	 * not, -1 on error. */
	int (*mailbox_exists)(void *ctx, const char *name);
	/* Returns 1 if the duplicate id key was recorded and has not
	 * expired, 0 if not, -1 on error (RFC 7352). */
	int (*duplicate_seen)(void *ctx, const char *key);
	/* Finds script name (:global or :personal, RFC 6609 §3.2) and
	 * returns 1 with it compiled in *script_r (the caller keeps it until
	 * the run is freed), 0 if there is no such script, -1 with a reason
	 * in *error_r (a compile error, say). */
	int (*include_load)(void *ctx, bool is_global, const char *name,
	                    const struct sieve_script **script_r,
	                    const char **error_r);
	void *ctx;
};

/* ---- The result --------------------------------------------------------- */

enum sieve_action_type {
	SIEVE_ACTION_KEEP,     /* into INBOX (explicit keep or implicit) */
	SIEVE_ACTION_FILEINTO, /* into mailbox */
	SIEVE_ACTION_REDIRECT, /* to address */
	SIEVE_ACTION_DISCARD,
	SIEVE_ACTION_REJECT,  /* an MDN to the sender (RFC 5429 §2.2.1) */
	SIEVE_ACTION_EREJECT, /* a DSN to the sender (RFC 5429 §2.1.2) */
	SIEVE_ACTION_VACATION,
	SIEVE_ACTION_NOTIFY,
};

/* The message as the header edits (RFC 5293) left it when an action ran:
 * the new header (with its blank line) replaces the bytes before
 * body_offset of the original message. */
struct sieve_edit {
	const char *header;
	size_t header_size;
	size_t body_offset;
};

struct sieve_action {
	enum sieve_action_type type;
	unsigned line; /* of the command that made it; 0: implicit keep */
	/* keep, fileinto: IMAP flags and keywords, space-separated, or NULL
	   when none */
	const char *flags;
	const char *mailbox; /* fileinto: UTF-8, "/"-separated */
	bool create;         /* fileinto :create (RFC 5490 §3.2) */
	bool copy;           /* :copy (RFC 3894) */
	const char *address; /* redirect, and the recipient of a vacation
	                        reply (the envelope sender) */
	const char *reason;  /* reject, ereject, vacation text (or MIME
	                        entity when is_mime), notify message */
	/* vacation (RFC 5230 §4-5): already passed every check that looks
	   at the message; the caller checks its memory of key */
	uint64_t period; /* seconds between two replies to one sender */
	const char *key; /* hex SHA-256 of sender and handle */
	const char *subject, *from;           /* the reply's, UTF-8 */
	const char *in_reply_to, *references; /* from the original */
	bool is_mime;
	/* notify (RFC 5435): method "mailto:...", :from, :importance (1-3),
	   :options, :message (also in reason) */
	const char *method;
	const char *importance;
	const char *const *options;
	unsigned option_count;
	const struct sieve_edit *edit; /* keep, fileinto, redirect: NULL
	                                  when the header is unchanged */
};

/* A duplicate id to record once the message was delivered (RFC 7352
 * §3: only after a run that succeeded). */
struct sieve_duplicate {
	const char *key; /* hex SHA-256 of handle and id */
	uint64_t period; /* seconds it is remembered */
	bool is_last;    /* :last: the period restarts at every sight */
};

struct sieve_result {
	const struct sieve_action *actions; /* in the order they ran, with
	                                       the implicit keep last */
	size_t action_count;
	const struct sieve_duplicate *duplicates;
	size_t duplicate_count;
};

/* ---- Running ------------------------------------------------------------
 * A run gathers the actions of one or more scripts over one message, as
 * if each script included the next (RFC 6609): "stop" ends the run, the
 * implicit keep (RFC 5228 §2.10.2) is decided at the end of all of them.
 * A runtime error drops every action: the caller keeps the message. */

struct sieve_run;

/* Starts a run over mail (kept by the caller, as are settings and
 * callbacks, until sieve_run_free). */
struct sieve_run *sieve_run_new(const struct sieve_settings *settings,
                                const struct sieve_mail *mail,
                                const struct sieve_callbacks *callbacks);
void sieve_run_free(struct sieve_run **run);
/* Runs script (kept by the caller until sieve_run_free). Returns 1 when
 * the script ended normally (the next one may run), 0 when it executed
 * "stop" (no other script runs), -1 on a runtime error, described in
 * *error_r; after -1 the run only gives its (empty) result. */
int sieve_run_script(struct sieve_run *run, const struct sieve_script *script,
                     struct sieve_error *error_r);
/* Ends the run: adds the implicit keep if nothing cancelled it, merges
 * duplicate actions (RFC 5228 §2.10.3) and checks that the actions go
 * together (RFC 5429 §2.4: reject with neither vacation nor delivery).
 * Returns 0 with *result_r (living until the run is freed), or -1 with
 * *error_r, when the actions conflict. After an earlier runtime error the
 * result is empty; the caller then keeps the message. */
int sieve_run_finish(struct sieve_run *run,
                     const struct sieve_result **result_r,
                     struct sieve_error *error_r);

/* A mailto URI (RFC 6068) as a notify action sends it (RFC 5436 §2):
 * recipients from the address part and the "to" and "cc" fields, the
 * subject and body fields; every other field is ignored (§2.7 forbids
 * taking From, Sender, Auto-Submitted and the like from the URI). */
struct sieve_mailto {
	const char **rcpts; /* valid addresses, percent-decoded */
	size_t rcpt_count;
	const char *subject; /* or NULL */
	const char *body;    /* or NULL */
};

/* Parses uri (len bytes). Returns 0 with *mailto_r (strings from pool),
 * or -1 if it is not a mailto URI with at least one valid recipient. */
int sieve_mailto_parse(const char *uri, size_t len, struct pool *pool,
                       struct sieve_mailto *mailto_r);

/* Appends a one-line description of result ("fileinto:Junk keep") for
 * logs and tests: each action as type[:mailbox or address][ flags=...]
 * [ copy] [ create]. */
void sieve_result_describe(const struct sieve_result *result, struct buf *out);

#endif
