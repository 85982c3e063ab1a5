/* Declarations shared by the files of lib/rules and nothing else: the
 * script tree (what the parser builds and the checker completes), the
 * table of commands, tests and tagged arguments, and the interpreter's
 * state. */
#ifndef RULES_SIEVE_PRIVATE_H
#define RULES_SIEVE_PRIVATE_H

#include "core/buf.h"
#include "rules/sieve.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pool;
struct mime_part;
struct sieve_checker;
struct sieve_node;

/* ---- The tree ----------------------------------------------------------- */

enum sieve_value_type {
	SIEVE_VALUE_TAG,
	SIEVE_VALUE_NUMBER,
	SIEVE_VALUE_STRING, /* one string */
	SIEVE_VALUE_LIST,   /* "[" string *("," string) "]" */
};

struct sieve_string {
	const char *data; /* NUL-terminated; may hold NULs before len */
	size_t len;
	bool has_vars; /* "${" inside and variables required: expanded at
	                  run time */
};

struct sieve_value {
	enum sieve_value_type type;
	unsigned line, column;
	uint64_t number;
	const char *tag;              /* lowercased, without ':' */
	struct sieve_string *strings; /* STRING: one; LIST: count */
	unsigned count;
};

enum sieve_cmd {
	/* control */
	SIEVE_CMD_REQUIRE,
	SIEVE_CMD_IF,
	SIEVE_CMD_ELSIF,
	SIEVE_CMD_ELSE,
	SIEVE_CMD_STOP,
	SIEVE_CMD_INCLUDE,
	SIEVE_CMD_RETURN,
	SIEVE_CMD_GLOBAL,
	/* actions */
	SIEVE_CMD_KEEP,
	SIEVE_CMD_DISCARD,
	SIEVE_CMD_REDIRECT,
	SIEVE_CMD_FILEINTO,
	SIEVE_CMD_REJECT,
	SIEVE_CMD_EREJECT,
	SIEVE_CMD_VACATION,
	SIEVE_CMD_SETFLAG,
	SIEVE_CMD_ADDFLAG,
	SIEVE_CMD_REMOVEFLAG,
	SIEVE_CMD_SET,
	SIEVE_CMD_ADDHEADER,
	SIEVE_CMD_DELETEHEADER,
	SIEVE_CMD_NOTIFY,
	/* tests */
	SIEVE_TEST_ADDRESS,
	SIEVE_TEST_ALLOF,
	SIEVE_TEST_ANYOF,
	SIEVE_TEST_ENVELOPE,
	SIEVE_TEST_EXISTS,
	SIEVE_TEST_FALSE,
	SIEVE_TEST_HEADER,
	SIEVE_TEST_NOT,
	SIEVE_TEST_SIZE,
	SIEVE_TEST_TRUE,
	SIEVE_TEST_BODY,
	SIEVE_TEST_DATE,
	SIEVE_TEST_CURRENTDATE,
	SIEVE_TEST_HASFLAG,
	SIEVE_TEST_STRING,
	SIEVE_TEST_MAILBOXEXISTS,
	SIEVE_TEST_DUPLICATE,
	SIEVE_TEST_VALID_NOTIFY_METHOD,
	SIEVE_TEST_NOTIFY_METHOD_CAPABILITY,
};

/* Every tagged argument of every command and test. */
enum sieve_tag {
	SIEVE_TAG_COMPARATOR,
	SIEVE_TAG_IS,
	SIEVE_TAG_CONTAINS,
	SIEVE_TAG_MATCHES,
	SIEVE_TAG_REGEX,
	SIEVE_TAG_COUNT,
	SIEVE_TAG_VALUE,
	SIEVE_TAG_ALL,
	SIEVE_TAG_LOCALPART,
	SIEVE_TAG_DOMAIN,
	SIEVE_TAG_USER,
	SIEVE_TAG_DETAIL,
	SIEVE_TAG_OVER,
	SIEVE_TAG_UNDER,
	SIEVE_TAG_INDEX,
	SIEVE_TAG_LAST,
	SIEVE_TAG_ZONE,
	SIEVE_TAG_ORIGINALZONE,
	SIEVE_TAG_RAW,
	SIEVE_TAG_CONTENT,
	SIEVE_TAG_TEXT,
	SIEVE_TAG_COPY,
	SIEVE_TAG_CREATE,
	SIEVE_TAG_FLAGS,
	SIEVE_TAG_DAYS,
	SIEVE_TAG_SECONDS,
	SIEVE_TAG_SUBJECT,
	SIEVE_TAG_FROM,
	SIEVE_TAG_ADDRESSES,
	SIEVE_TAG_MIME,
	SIEVE_TAG_HANDLE,
	SIEVE_TAG_IMPORTANCE,
	SIEVE_TAG_OPTIONS,
	SIEVE_TAG_MESSAGE,
	SIEVE_TAG_PERSONAL,
	SIEVE_TAG_GLOBAL,
	SIEVE_TAG_ONCE,
	SIEVE_TAG_OPTIONAL,
	SIEVE_TAG_LOWER,
	SIEVE_TAG_UPPER,
	SIEVE_TAG_LOWERFIRST,
	SIEVE_TAG_UPPERFIRST,
	SIEVE_TAG_QUOTEWILDCARD,
	SIEVE_TAG_QUOTEREGEX,
	SIEVE_TAG_ENCODEURL,
	SIEVE_TAG_LENGTH,
	SIEVE_TAG_HEADER,
	SIEVE_TAG_UNIQUEID,
	SIEVE_TAG_COUNT_ALL /* number of tags */
};

enum sieve_comparator {
	SIEVE_CMP_OCTET,
	SIEVE_CMP_ASCII_CASEMAP, /* the default (RFC 5228 §2.7.3) */
	SIEVE_CMP_ASCII_NUMERIC,
};

enum sieve_match_type {
	SIEVE_MATCH_IS,
	SIEVE_MATCH_CONTAINS,
	SIEVE_MATCH_MATCHES,
	SIEVE_MATCH_REGEX,
	SIEVE_MATCH_COUNT,
	SIEVE_MATCH_VALUE,
};

enum sieve_relation { /* RFC 5231 §5 */
	              SIEVE_REL_GT,
	              SIEVE_REL_GE,
	              SIEVE_REL_LT,
	              SIEVE_REL_LE,
	              SIEVE_REL_EQ,
	              SIEVE_REL_NE,
};

enum sieve_address_part {
	SIEVE_PART_ALL,
	SIEVE_PART_LOCALPART,
	SIEVE_PART_DOMAIN,
	SIEVE_PART_USER,
	SIEVE_PART_DETAIL,
};

struct sieve_def {
	const char *name;
	enum sieve_cmd id;
	bool is_test;
	uint32_t ext;
	const char *pos; /* positional kinds: 's', 'l', 'n' */
	unsigned min_pos;
	uint64_t tags;
	uint64_t native; /* tags that need no extension here */
	unsigned flags;
	int (*check)(struct sieve_checker *c, struct sieve_node *node);
};

/* A command or a test. */
struct sieve_node {
	const struct sieve_def *def; /* set by the checker */
	const char *name;            /* lowercased identifier */
	unsigned line, column;
	struct sieve_value *args;
	unsigned arg_count;
	struct sieve_node **tests; /* if/elsif: one; anyof/allof: several */
	unsigned test_count;
	bool has_block;
	struct sieve_node *block; /* first command inside { } */
	struct sieve_node *next;  /* next command of the same block */
	size_t end_offset;        /* commands: the byte after ';' or '}' */
	/* filled by the checker */
	struct sieve_value *tagged[SIEVE_TAG_COUNT_ALL]; /* the tag's own
	                                      value, or its parameter */
	struct sieve_value *pos[4]; /* positional arguments */
	unsigned pos_count;
	enum sieve_comparator comparator;
	enum sieve_match_type match;
	enum sieve_relation relation;
	enum sieve_address_part part;
};

/* Capabilities, as bits of struct sieve_script's requires. */
enum sieve_ext {
	SIEVE_EXT_FILEINTO = 1u << 0,
	SIEVE_EXT_REJECT = 1u << 1,
	SIEVE_EXT_EREJECT = 1u << 2,
	SIEVE_EXT_ENVELOPE = 1u << 3,
	SIEVE_EXT_ENCODED_CHARACTER = 1u << 4,
	SIEVE_EXT_IMAP4FLAGS = 1u << 5,
	SIEVE_EXT_COPY = 1u << 6,
	SIEVE_EXT_BODY = 1u << 7,
	SIEVE_EXT_VARIABLES = 1u << 8,
	SIEVE_EXT_VACATION = 1u << 9,
	SIEVE_EXT_VACATION_SECONDS = 1u << 10,
	SIEVE_EXT_RELATIONAL = 1u << 11,
	SIEVE_EXT_NUMERIC = 1u << 12, /* comparator-i;ascii-numeric */
	SIEVE_EXT_DATE = 1u << 13,
	SIEVE_EXT_INDEX = 1u << 14,
	SIEVE_EXT_MAILBOX = 1u << 15,
	SIEVE_EXT_INCLUDE = 1u << 16,
	SIEVE_EXT_REGEX = 1u << 17,
	SIEVE_EXT_DUPLICATE = 1u << 18,
	SIEVE_EXT_EDITHEADER = 1u << 19,
	SIEVE_EXT_ENOTIFY = 1u << 20,
	SIEVE_EXT_SUBADDRESS = 1u << 21,
	SIEVE_EXT_OCTET = 1u << 22,   /* comparator-i;octet */
	SIEVE_EXT_CASEMAP = 1u << 23, /* comparator-i;ascii-casemap */
};

struct sieve_script {
	struct pool *pool;
	char *name;
	uint32_t requires; /* enum sieve_ext */
	struct sieve_node *first;
	const struct sieve_settings *settings; /* during compile only */
};

/* ---- sieve_parser.c ----------------------------------------------------- */

/* Parses data into a tree from pool (commands from *first_r). Returns 0,
 * or -1 with *error_r. Nesting is limited by settings->max_nesting. */
int sieve_parse(const unsigned char *data, size_t size,
                const struct sieve_settings *settings, struct pool *pool,
                struct sieve_node **first_r, struct sieve_error *error_r);
/* Sets error to line:column and a printf message. Returns -1. */
int sieve_error_set(struct sieve_error *error, unsigned line, unsigned column,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* ---- sieve_check.c, sieve_check_cmd.c --------------------------------- */

struct sieve_checker {
	struct sieve_script *script;
	const struct sieve_settings *set;
	struct pool *pool;
	struct sieve_error *error;
};

/* Checks and completes the tree of script. Returns 0 or -1. */
int sieve_check(struct sieve_script *script, struct sieve_error *error_r);
/* Records an error at v (or at node when v is NULL). Returns -1. */
int sieve_check_fail(struct sieve_checker *c, const struct sieve_value *v,
                     const struct sieve_node *node, const char *msg);
/* Returns true if the script required every capability bit of ext. */
bool sieve_check_has_ext(const struct sieve_checker *c, uint32_t ext);
/* A constant string: no variable reference left to expand. */
static inline bool sieve_string_is_const(const struct sieve_string *s)
{
	return !s->has_vars;
}
/* The checks of each command and test (the "check" of its definition).
 * Each returns 0 or -1 with the error recorded. */
int sieve_check_cmd_require(struct sieve_checker *c, struct sieve_node *node);
int sieve_check_cmd_redirect(struct sieve_checker *c, struct sieve_node *node);
int sieve_check_cmd_fileinto(struct sieve_checker *c, struct sieve_node *node);
int sieve_check_cmd_vacation(struct sieve_checker *c, struct sieve_node *node);
int sieve_check_cmd_flags(struct sieve_checker *c, struct sieve_node *node);
int sieve_check_cmd_set(struct sieve_checker *c, struct sieve_node *node);
int sieve_check_cmd_include(struct sieve_checker *c, struct sieve_node *node);
int sieve_check_cmd_global(struct sieve_checker *c, struct sieve_node *node);
int sieve_check_cmd_addheader(struct sieve_checker *c, struct sieve_node *node);
int sieve_check_cmd_deleteheader(struct sieve_checker *c,
                                 struct sieve_node *node);
int sieve_check_cmd_notify(struct sieve_checker *c, struct sieve_node *node);
int sieve_check_cmd_headers(struct sieve_checker *c, struct sieve_node *node);
int sieve_check_cmd_size(struct sieve_checker *c, struct sieve_node *node);
int sieve_check_cmd_body(struct sieve_checker *c, struct sieve_node *node);
int sieve_check_cmd_date(struct sieve_checker *c, struct sieve_node *node);
int sieve_check_cmd_string_test(struct sieve_checker *c,
                                struct sieve_node *node);
int sieve_check_cmd_duplicate(struct sieve_checker *c, struct sieve_node *node);
int sieve_check_cmd_capability(struct sieve_checker *c,
                               struct sieve_node *node);
int sieve_check_cmd_keep(struct sieve_checker *c, struct sieve_node *node);

/* ---- sieve_string.c ----------------------------------------------------- */

/* Decodes "${hex:...}" and "${unicode:...}" (RFC 5228 §2.4.2.4) in str,
 * in place from pool. Returns 0, or -1 with a reason in *error_r for a
 * code point outside Unicode. */
int sieve_string_decode_encoded(struct sieve_string *str, struct pool *pool,
                                const char **error_r);
/* Returns true if name is a valid variable name (RFC 5229 §3:
 * identifier, or a known namespace "global." identifier). */
bool sieve_variable_name_is_valid(const char *name, size_t len,
                                  bool allow_global);
/* Returns true if str holds a "${" that expansion would replace (a
 * variable or match variable reference). */
bool sieve_string_has_refs(const char *data, size_t len);
/* Returns true if str refers to a variable in a namespace that is not
 * known ("global." is, with include; RFC 5229 §3 makes others errors). */
bool sieve_string_has_bad_namespace(const char *data, size_t len,
                                    bool allow_global);
/* Finds needle in hay in linear time (Knuth-Morris-Pratt; memmem is a
 * GNU extension). Returns its offset, or -1. */
long sieve_bytes_find(const char *hay, size_t len, const char *needle,
                      size_t nlen);
/* Returns true if str is a valid address (addr-spec, RFC 5322 §3.4.1). */
bool sieve_address_is_valid(const char *str, size_t len);
/* Returns true if str is a valid field name (RFC 5322 §3.6.8: printable
 * US-ASCII but ':', at least one). */
bool sieve_field_name_is_valid(const char *str, size_t len);
/* Applies the modifiers of "set" (RFC 5229 §4.1, RFC 5435 :encodeurl,
 * regex :quoteregex) named by mask (bits of enum sieve_tag) to str, in
 * the order the RFCs give, into out. */
void sieve_string_modify(const char *str, size_t len, uint64_t mask,
                         struct buf *out);

/* ---- sieve_match.c ------------------------------------------------------ */

struct sieve_interp;

/* The match variables of the last successful :matches or :regex. */
#define SIEVE_MATCH_VARS 10

/* Compares value against key with node's comparator and match type
 * (:is, :contains, :matches, :regex, :value); fills the interpreter's
 * match variables on success of :matches and :regex. Returns 1 match, 0
 * no match, -1 runtime error (recorded in the interpreter). */
int sieve_match_one(struct sieve_interp *ip, const struct sieve_node *node,
                    const char *value, size_t value_len, const char *key,
                    size_t key_len);
/* Compares a count (RFC 5231 :count) with key. Returns 1 or 0. */
int sieve_match_count(const struct sieve_node *node, size_t count,
                      const char *key, size_t key_len);
/* Checks a constant regex at compile time. Returns 0, or -1 with a static
 * reason in *error_r. */
int sieve_regex_check(const char *pattern, size_t len, bool icase,
                      const struct sieve_settings *settings,
                      const char **error_r);
/* Frees the regexes a run compiled. */
void sieve_match_free_regexes(struct sieve_interp *ip);
/* Returns the relation named by str ("gt", "ge"...) in *rel_r, or -1. */
int sieve_relation_parse(const char *str, enum sieve_relation *rel_r);
/* :matches with the wildcards escaped (RFC 5229 :quotewildcard) is
 * :is. Exposed for sieve_match_test.c: returns 1 if value matches the
 * glob key under comparator, with the parts the wildcards took in
 * starts_r/lens_r (up to max_vars) and their number in *count_r; 0 if
 * not; -1 when the steps ran out. */
int sieve_glob_match(const char *value, size_t value_len, const char *key,
                     size_t key_len, enum sieve_comparator comparator,
                     size_t *starts_r, size_t *lens_r, unsigned max_vars,
                     unsigned *count_r, uint64_t *steps);

/* ---- sieve_date.c ------------------------------------------------------- */

/* A point in time with the zone it was written in. */
struct sieve_datetime {
	time_t t;    /* UTC */
	long offset; /* seconds east of UTC */
};

/* date-time = [ day-of-week "," ] date time [CFWS]  (RFC 5322 §3.3, with
 * the obsolete zones of §4.3). Returns 0, or -1 if str is not a date. */
int sieve_date_parse(const char *str, size_t len, struct sieve_datetime *dt_r);
/* Parses a :zone argument "+hhmm" / "-hhmm" (RFC 5260 §4.1). Returns 0
 * with seconds east in *offset_r, or -1. */
int sieve_zone_parse(const char *str, long *offset_r);
/* Returns true if part is a date-part of RFC 5260 §4.2. */
bool sieve_date_part_is_valid(const char *part);
/* Appends date-part part of dt shown in its offset to out. Returns 0, or
 * -1 for an unknown part. */
int sieve_date_part(const struct sieve_datetime *dt, const char *part,
                    struct buf *out);

/* ---- The interpreter ---------------------------------------------------- */

struct sieve_var {
	char *name; /* lowercased */
	struct buf value;
	bool is_global; /* "global" named it: the value is in the run's */
};

/* The variables of one script (RFC 5229) or the run's globals. */
struct sieve_scope {
	struct sieve_var *vars;
	unsigned count, cap;
};

/* A header field as the tests see it after any edits (RFC 5293). */
struct sieve_field {
	const char *name; /* as written */
	size_t name_len;
	const char *raw; /* the whole field with its line ends (original) or
	                    as added */
	size_t raw_len;
	const char *body; /* raw, after the colon (folding kept) */
	size_t body_len;
	const char *value; /* unfolded, RFC 2047 decoded, trimmed; lazily */
	bool is_deleted;
};

struct sieve_regex_entry;

struct sieve_interp {
	const struct sieve_settings *set;
	const struct sieve_mail *mail;
	const struct sieve_callbacks *cb;
	struct pool *pool; /* the run's */
	struct sieve_error *error;
	bool failed;
	uint64_t steps;
	/* match variables of the last successful match */
	struct buf match_vars[SIEVE_MATCH_VARS];
	unsigned match_var_count;
	struct sieve_scope *scope; /* the running script's */
	struct sieve_scope globals;
	struct sieve_scope **scopes; /* every scope made, to free */
	unsigned scope_count, scope_cap;
	const struct sieve_script *script; /* the running one */
	unsigned include_depth;
	const struct sieve_script **included; /* for :once and recursion */
	unsigned included_count;
	const struct sieve_script **stack; /* scripts being run */
	/* message */
	struct mime_part *root; /* parsed lazily */
	struct sieve_field *fields;
	unsigned field_count, field_cap;
	bool fields_loaded;
	size_t body_offset; /* of the original message */
	unsigned header_edits;
	bool header_changed;           /* since the last edit snapshot */
	const struct sieve_edit *edit; /* the current snapshot, or NULL */
	/* imap4flags internal variable */
	struct buf flags;
	/* the result */
	struct sieve_action *actions;
	size_t action_count, action_cap;
	struct sieve_duplicate *dups;
	size_t dup_count, dup_cap;
	bool keep_cancelled;
	unsigned redirects;
	/* regex cache */
	struct sieve_regex_entry *regexes;
	unsigned regex_count;
	bool is_returning; /* "return" in an included script */
	bool is_stopped;
};

/* Records a runtime error at node (line) once. Returns -1. */
int sieve_runtime_error(struct sieve_interp *ip, const struct sieve_node *node,
                        const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Counts units of work; returns -1 (with the error recorded) when the
 * budget is spent, else 0. */
int sieve_step(struct sieve_interp *ip, const struct sieve_node *node,
               uint64_t units);
/* Returns string str expanded (variables, match variables) from the run's
 * pool, with its length in *len_r (NULs allowed), at most
 * max_string_size bytes. */
const char *sieve_expand(struct sieve_interp *ip,
                         const struct sieve_string *str, size_t *len_r);
/* Looks variable name up in the running scope (or globals). Returns its
 * buf, creating it when create; NULL when absent or over the limit (an
 * error is then recorded when create). */
struct buf *sieve_var_get(struct sieve_interp *ip,
                          const struct sieve_node *node, const char *name,
                          size_t len, bool create);
/* Stores the match variables: count parts of value given by starts and
 * lens, with ${0} the whole value. */
void sieve_match_vars_set(struct sieve_interp *ip, const char *value,
                          size_t value_len, const size_t *starts,
                          const size_t *lens, unsigned count);

/* ---- sieve_message.c ---------------------------------------------------- */

/* Loads the header fields (once). */
void sieve_message_fields(struct sieve_interp *ip);
/* Returns the decoded value of field f (lazily). */
const char *sieve_field_value(struct sieve_interp *ip, struct sieve_field *f);
/* Returns true if field f is called name (case-insensitive). */
bool sieve_field_is(const struct sieve_field *f, const char *name, size_t len);
/* Returns the parsed MIME tree of the message (once). */
struct mime_part *sieve_message_root(struct sieve_interp *ip);
/* A list of values a test compares. */
struct sieve_values {
	const char **items;
	size_t *lens;
	size_t count, cap;
};
void sieve_values_add(struct sieve_interp *ip, struct sieve_values *v,
                      const char *str, size_t len);
/* Fills v with the values of the header fields named in names (a list),
 * honouring node's :index/:last (RFC 5260 §6). */
void sieve_message_headers(struct sieve_interp *ip,
                           const struct sieve_node *node,
                           const struct sieve_value *names,
                           struct sieve_values *v);
/* Adds the address part (node->part) of each address in the header
 * values of names (address test) or of envelope parts (envelope test). */
int sieve_message_addresses(struct sieve_interp *ip,
                            const struct sieve_node *node,
                            const struct sieve_value *names, bool is_envelope,
                            struct sieve_values *v);
/* Fills v with the body parts the body test looks at (RFC 5173). */
void sieve_message_body(struct sieve_interp *ip, const struct sieve_node *node,
                        struct sieve_values *v);
/* addheader / deleteheader (RFC 5293). Return 0 or -1. */
int sieve_message_addheader(struct sieve_interp *ip,
                            const struct sieve_node *node);
int sieve_message_deleteheader(struct sieve_interp *ip,
                               const struct sieve_node *node);
/* The header as edited so far for an action, NULL when unchanged. */
const struct sieve_edit *sieve_message_edit(struct sieve_interp *ip);
/* Returns true if name may not be added or deleted (RFC 5293 §6). */
bool sieve_field_is_protected(const char *name, size_t len);

/* ---- sieve_actions.c ---------------------------------------------------- */

/* The action commands. Return 0 or -1 (a runtime error). */
int sieve_action_run(struct sieve_interp *ip, const struct sieve_node *node);
/* The imap4flags commands and the hasflag test. */
int sieve_flags_run(struct sieve_interp *ip, const struct sieve_node *node);
int sieve_test_hasflag(struct sieve_interp *ip, const struct sieve_node *node);
/* Returns true if str is a valid flag list entry. */
bool sieve_flag_is_valid(const char *flag, size_t len);
/* enotify: returns true if uri is a mailto URI we can send to. */
bool sieve_notify_uri_is_valid(const char *uri, size_t len);
/* Ends the actions of a run into *result (RFC 5228 §2.10.2-3, RFC 5429
 * §2.4). Returns 0, or -1 with the error recorded. */
int sieve_actions_finish(struct sieve_interp *ip, struct sieve_result *result);

#endif
