/* The Sieve checker: completes the parsed tree into the checked form the
 * interpreter runs. Each command and test is looked up in one table that
 * gives its extension, positional arguments and allowed tags (RFC 5228
 * §2.6, §2.7 and the extensions' Usage lines); tags are resolved into the
 * node (comparator, match type, relation, address part), constant strings
 * are decoded (encoded-character) and checked where the RFCs demand a
 * compile-time error (addresses, header names, flags, regexes, date
 * parts, zones, variable names). Control structure: require only first
 * (§3.2), elsif/else only after if (§3.1). */
#include "core/pool.h"
#include "rules/sieve_private.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define T(x) (UINT64_C(1) << SIEVE_TAG_##x)
#define MATCH_TAGS                                                             \
	(T(IS) | T(CONTAINS) | T(MATCHES) | T(REGEX) | T(COUNT) | T(VALUE))
#define CMP_MATCH (T(COMPARATOR) | MATCH_TAGS)
#define PART_TAGS (T(ALL) | T(LOCALPART) | T(DOMAIN) | T(USER) | T(DETAIL))
#define INDEX_TAGS (T(INDEX) | T(LAST))
#define MODIFIER_TAGS                                                          \
	(T(LOWER) | T(UPPER) | T(LOWERFIRST) | T(UPPERFIRST) |                 \
	 T(QUOTEWILDCARD) | T(QUOTEREGEX) | T(ENCODEURL) | T(LENGTH))

/* Tags that exclude each other within one command (RFC 5228 §2.7.1: one
 * match type, one comparator, one address part; RFC 5229 §4.1: one
 * modifier per precedence). */
static const uint64_t exclusive[] = {
    MATCH_TAGS,
    PART_TAGS,
    T(OVER) | T(UNDER),
    T(ZONE) | T(ORIGINALZONE),
    T(RAW) | T(CONTENT) | T(TEXT),
    T(DAYS) | T(SECONDS),
    T(PERSONAL) | T(GLOBAL),
    T(HEADER) | T(UNIQUEID),
    T(LOWER) | T(UPPER),
    T(LOWERFIRST) | T(UPPERFIRST),
    T(QUOTEWILDCARD) | T(QUOTEREGEX),
};

struct tag_def {
	const char *name;
	enum sieve_tag id;
	char param;   /* 0: none; 's' string, 'l' string list, 'n' number */
	uint32_t ext; /* needed unless the command has it natively */
};

static const struct tag_def tag_defs[] = {
    {"comparator", SIEVE_TAG_COMPARATOR, 's', 0},
    {"is", SIEVE_TAG_IS, 0, 0},
    {"contains", SIEVE_TAG_CONTAINS, 0, 0},
    {"matches", SIEVE_TAG_MATCHES, 0, 0},
    {"regex", SIEVE_TAG_REGEX, 0, SIEVE_EXT_REGEX},
    {"count", SIEVE_TAG_COUNT, 's', SIEVE_EXT_RELATIONAL},
    {"value", SIEVE_TAG_VALUE, 's', SIEVE_EXT_RELATIONAL},
    {"all", SIEVE_TAG_ALL, 0, 0},
    {"localpart", SIEVE_TAG_LOCALPART, 0, 0},
    {"domain", SIEVE_TAG_DOMAIN, 0, 0},
    {"user", SIEVE_TAG_USER, 0, SIEVE_EXT_SUBADDRESS},
    {"detail", SIEVE_TAG_DETAIL, 0, SIEVE_EXT_SUBADDRESS},
    {"over", SIEVE_TAG_OVER, 0, 0},
    {"under", SIEVE_TAG_UNDER, 0, 0},
    {"index", SIEVE_TAG_INDEX, 'n', SIEVE_EXT_INDEX},
    {"last", SIEVE_TAG_LAST, 0, SIEVE_EXT_INDEX},
    {"zone", SIEVE_TAG_ZONE, 's', 0},
    {"originalzone", SIEVE_TAG_ORIGINALZONE, 0, 0},
    {"raw", SIEVE_TAG_RAW, 0, 0},
    {"content", SIEVE_TAG_CONTENT, 'l', 0},
    {"text", SIEVE_TAG_TEXT, 0, 0},
    {"copy", SIEVE_TAG_COPY, 0, SIEVE_EXT_COPY},
    {"create", SIEVE_TAG_CREATE, 0, SIEVE_EXT_MAILBOX},
    {"flags", SIEVE_TAG_FLAGS, 'l', SIEVE_EXT_IMAP4FLAGS},
    {"days", SIEVE_TAG_DAYS, 'n', 0},
    {"seconds", SIEVE_TAG_SECONDS, 'n', SIEVE_EXT_VACATION_SECONDS},
    {"subject", SIEVE_TAG_SUBJECT, 's', 0},
    {"from", SIEVE_TAG_FROM, 's', 0},
    {"addresses", SIEVE_TAG_ADDRESSES, 'l', 0},
    {"mime", SIEVE_TAG_MIME, 0, 0},
    {"handle", SIEVE_TAG_HANDLE, 's', 0},
    {"importance", SIEVE_TAG_IMPORTANCE, 's', 0},
    {"options", SIEVE_TAG_OPTIONS, 'l', 0},
    {"message", SIEVE_TAG_MESSAGE, 's', 0},
    {"personal", SIEVE_TAG_PERSONAL, 0, 0},
    {"global", SIEVE_TAG_GLOBAL, 0, 0},
    {"once", SIEVE_TAG_ONCE, 0, 0},
    {"optional", SIEVE_TAG_OPTIONAL, 0, 0},
    {"lower", SIEVE_TAG_LOWER, 0, 0},
    {"upper", SIEVE_TAG_UPPER, 0, 0},
    {"lowerfirst", SIEVE_TAG_LOWERFIRST, 0, 0},
    {"upperfirst", SIEVE_TAG_UPPERFIRST, 0, 0},
    {"quotewildcard", SIEVE_TAG_QUOTEWILDCARD, 0, 0},
    {"quoteregex", SIEVE_TAG_QUOTEREGEX, 0, SIEVE_EXT_REGEX},
    {"encodeurl", SIEVE_TAG_ENCODEURL, 0, SIEVE_EXT_ENOTIFY},
    {"length", SIEVE_TAG_LENGTH, 0, 0},
    {"header", SIEVE_TAG_HEADER, 's', 0},
    {"uniqueid", SIEVE_TAG_UNIQUEID, 's', 0},
};

enum def_flag {
	DEF_TEST = 1u << 0,    /* takes one test (if, elsif, not) */
	DEF_TESTS = 1u << 1,   /* takes a test list (anyof, allof) */
	DEF_BLOCK = 1u << 2,   /* needs a block */
	DEF_LEADING = 1u << 3, /* optional positionals are the first ones */
};

static const struct sieve_def defs[] = {
    {"require", SIEVE_CMD_REQUIRE, false, 0, "l", 1, 0, 0, 0,
     sieve_check_cmd_require},
    {"if", SIEVE_CMD_IF, false, 0, "", 0, 0, 0, DEF_TEST | DEF_BLOCK, NULL},
    {"elsif", SIEVE_CMD_ELSIF, false, 0, "", 0, 0, 0, DEF_TEST | DEF_BLOCK,
     NULL},
    {"else", SIEVE_CMD_ELSE, false, 0, "", 0, 0, 0, DEF_BLOCK, NULL},
    {"stop", SIEVE_CMD_STOP, false, 0, "", 0, 0, 0, 0, NULL},
    {"include", SIEVE_CMD_INCLUDE, false, SIEVE_EXT_INCLUDE, "s", 1,
     T(PERSONAL) | T(GLOBAL) | T(ONCE) | T(OPTIONAL), 0, 0,
     sieve_check_cmd_include},
    {"return", SIEVE_CMD_RETURN, false, SIEVE_EXT_INCLUDE, "", 0, 0, 0, 0,
     NULL},
    {"global", SIEVE_CMD_GLOBAL, false, SIEVE_EXT_INCLUDE, "l", 1, 0, 0, 0,
     sieve_check_cmd_global},
    {"keep", SIEVE_CMD_KEEP, false, 0, "", 0, T(FLAGS), 0, 0,
     sieve_check_cmd_keep},
    {"discard", SIEVE_CMD_DISCARD, false, 0, "", 0, 0, 0, 0, NULL},
    {"redirect", SIEVE_CMD_REDIRECT, false, 0, "s", 1, T(COPY), 0, 0,
     sieve_check_cmd_redirect},
    {"fileinto", SIEVE_CMD_FILEINTO, false, SIEVE_EXT_FILEINTO, "s", 1,
     T(COPY) | T(CREATE) | T(FLAGS), 0, 0, sieve_check_cmd_fileinto},
    {"reject", SIEVE_CMD_REJECT, false, SIEVE_EXT_REJECT, "s", 1, 0, 0, 0,
     NULL},
    {"ereject", SIEVE_CMD_EREJECT, false, SIEVE_EXT_EREJECT, "s", 1, 0, 0, 0,
     NULL},
    {"vacation", SIEVE_CMD_VACATION, false, SIEVE_EXT_VACATION, "s", 1,
     T(DAYS) | T(SECONDS) | T(SUBJECT) | T(FROM) | T(ADDRESSES) | T(MIME) |
         T(HANDLE),
     0, 0, sieve_check_cmd_vacation},
    {"setflag", SIEVE_CMD_SETFLAG, false, SIEVE_EXT_IMAP4FLAGS, "sl", 1, 0, 0,
     DEF_LEADING, sieve_check_cmd_flags},
    {"addflag", SIEVE_CMD_ADDFLAG, false, SIEVE_EXT_IMAP4FLAGS, "sl", 1, 0, 0,
     DEF_LEADING, sieve_check_cmd_flags},
    {"removeflag", SIEVE_CMD_REMOVEFLAG, false, SIEVE_EXT_IMAP4FLAGS, "sl", 1,
     0, 0, DEF_LEADING, sieve_check_cmd_flags},
    {"set", SIEVE_CMD_SET, false, SIEVE_EXT_VARIABLES, "ss", 2, MODIFIER_TAGS,
     0, 0, sieve_check_cmd_set},
    {"addheader", SIEVE_CMD_ADDHEADER, false, SIEVE_EXT_EDITHEADER, "ss", 2,
     T(LAST), T(LAST), 0, sieve_check_cmd_addheader},
    {"deleteheader", SIEVE_CMD_DELETEHEADER, false, SIEVE_EXT_EDITHEADER, "sl",
     1, CMP_MATCH | INDEX_TAGS, INDEX_TAGS, 0, sieve_check_cmd_deleteheader},
    {"notify", SIEVE_CMD_NOTIFY, false, SIEVE_EXT_ENOTIFY, "s", 1,
     T(FROM) | T(IMPORTANCE) | T(OPTIONS) | T(MESSAGE), 0, 0,
     sieve_check_cmd_notify},
    {"address", SIEVE_TEST_ADDRESS, true, 0, "ll", 2,
     CMP_MATCH | PART_TAGS | INDEX_TAGS, 0, 0, sieve_check_cmd_headers},
    {"allof", SIEVE_TEST_ALLOF, true, 0, "", 0, 0, 0, DEF_TESTS, NULL},
    {"anyof", SIEVE_TEST_ANYOF, true, 0, "", 0, 0, 0, DEF_TESTS, NULL},
    {"envelope", SIEVE_TEST_ENVELOPE, true, SIEVE_EXT_ENVELOPE, "ll", 2,
     CMP_MATCH | PART_TAGS, 0, 0, sieve_check_cmd_headers},
    {"exists", SIEVE_TEST_EXISTS, true, 0, "l", 1, 0, 0, 0,
     sieve_check_cmd_headers},
    {"false", SIEVE_TEST_FALSE, true, 0, "", 0, 0, 0, 0, NULL},
    {"header", SIEVE_TEST_HEADER, true, 0, "ll", 2, CMP_MATCH | INDEX_TAGS, 0,
     0, sieve_check_cmd_headers},
    {"not", SIEVE_TEST_NOT, true, 0, "", 0, 0, 0, DEF_TEST, NULL},
    {"size", SIEVE_TEST_SIZE, true, 0, "n", 1, T(OVER) | T(UNDER), 0, 0,
     sieve_check_cmd_size},
    {"true", SIEVE_TEST_TRUE, true, 0, "", 0, 0, 0, 0, NULL},
    {"body", SIEVE_TEST_BODY, true, SIEVE_EXT_BODY, "l", 1,
     CMP_MATCH | T(RAW) | T(CONTENT) | T(TEXT), 0, 0, sieve_check_cmd_body},
    {"date", SIEVE_TEST_DATE, true, SIEVE_EXT_DATE, "ssl", 3,
     CMP_MATCH | INDEX_TAGS | T(ZONE) | T(ORIGINALZONE), 0, 0,
     sieve_check_cmd_date},
    {"currentdate", SIEVE_TEST_CURRENTDATE, true, SIEVE_EXT_DATE, "sl", 2,
     CMP_MATCH | T(ZONE), 0, 0, sieve_check_cmd_date},
    {"hasflag", SIEVE_TEST_HASFLAG, true, SIEVE_EXT_IMAP4FLAGS, "ll", 1,
     CMP_MATCH, 0, DEF_LEADING, sieve_check_cmd_flags},
    {"string", SIEVE_TEST_STRING, true, SIEVE_EXT_VARIABLES, "ll", 2, CMP_MATCH,
     0, 0, sieve_check_cmd_string_test},
    {"mailboxexists", SIEVE_TEST_MAILBOXEXISTS, true, SIEVE_EXT_MAILBOX, "l", 1,
     0, 0, 0, NULL},
    {"duplicate", SIEVE_TEST_DUPLICATE, true, SIEVE_EXT_DUPLICATE, "", 0,
     T(HANDLE) | T(HEADER) | T(UNIQUEID) | T(SECONDS) | T(LAST),
     T(SECONDS) | T(LAST), 0, sieve_check_cmd_duplicate},
    {"valid_notify_method", SIEVE_TEST_VALID_NOTIFY_METHOD, true,
     SIEVE_EXT_ENOTIFY, "l", 1, 0, 0, 0, NULL},
    {"notify_method_capability", SIEVE_TEST_NOTIFY_METHOD_CAPABILITY, true,
     SIEVE_EXT_ENOTIFY, "ssl", 3, CMP_MATCH, 0, 0, sieve_check_cmd_capability},
};

static const struct {
	const char *name;
	uint32_t bits;
} extensions[] = {
    {"fileinto", SIEVE_EXT_FILEINTO},
    {"reject", SIEVE_EXT_REJECT},
    {"ereject", SIEVE_EXT_EREJECT},
    {"envelope", SIEVE_EXT_ENVELOPE},
    {"encoded-character", SIEVE_EXT_ENCODED_CHARACTER},
    {"subaddress", SIEVE_EXT_SUBADDRESS},
    {"imap4flags", SIEVE_EXT_IMAP4FLAGS},
    {"copy", SIEVE_EXT_COPY},
    {"body", SIEVE_EXT_BODY},
    {"variables", SIEVE_EXT_VARIABLES},
    {"vacation", SIEVE_EXT_VACATION},
    {"vacation-seconds", SIEVE_EXT_VACATION_SECONDS | SIEVE_EXT_VACATION},
    {"relational", SIEVE_EXT_RELATIONAL},
    {"comparator-i;ascii-numeric", SIEVE_EXT_NUMERIC},
    {"comparator-i;octet", SIEVE_EXT_OCTET},
    {"comparator-i;ascii-casemap", SIEVE_EXT_CASEMAP},
    {"date", SIEVE_EXT_DATE},
    {"index", SIEVE_EXT_INDEX},
    {"mailbox", SIEVE_EXT_MAILBOX},
    {"include", SIEVE_EXT_INCLUDE},
    {"regex", SIEVE_EXT_REGEX},
    {"duplicate", SIEVE_EXT_DUPLICATE},
    {"editheader", SIEVE_EXT_EDITHEADER},
    {"enotify", SIEVE_EXT_ENOTIFY},
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

const char *sieve_capabilities(void)
{
	return "fileinto reject ereject envelope encoded-character subaddress "
	       "imap4flags copy body variables vacation vacation-seconds "
	       "relational comparator-i;ascii-numeric date index mailbox "
	       "include regex duplicate editheader enotify";
}

static const char *ext_name(uint32_t bit)
{
	for (size_t i = 0; i < N_OF(extensions); i++)
		if ((extensions[i].bits & bit) != 0)
			return extensions[i].name;
	return "?";
}

int sieve_check_fail(struct sieve_checker *c, const struct sieve_value *v,
                     const struct sieve_node *node, const char *msg)
{
	if (v != NULL)
		return sieve_error_set(c->error, v->line, v->column, "%s", msg);
	return sieve_error_set(c->error, node->line, node->column, "%s", msg);
}

bool sieve_check_has_ext(const struct sieve_checker *c, uint32_t ext)
{
	return (c->script->requires & ext) == ext;
}

int sieve_check_cmd_require(struct sieve_checker *c, struct sieve_node *node)
{
	const struct sieve_value *v = node->pos[0];
	for (unsigned i = 0; i < v->count; i++) {
		size_t k;
		for (k = 0; k < N_OF(extensions); k++)
			if (strcmp(extensions[k].name, v->strings[i].data) == 0)
				break;
		if (k == N_OF(extensions))
			return sieve_check_fail(
			    c, v, node,
			    pool_printf(c->pool, "unsupported extension \"%s\"",
			                v->strings[i].data));
		c->script->requires |= extensions[k].bits;
	}
	return 0;
}

/* ---- Strings: encoded characters and variables ---- */

static int strings_prepare(struct sieve_checker *c, struct sieve_value *v)
{
	for (unsigned i = 0; i < v->count; i++) {
		struct sieve_string *s = &v->strings[i];
		const char *error;
		if (sieve_check_has_ext(c, SIEVE_EXT_ENCODED_CHARACTER) &&
		    sieve_string_decode_encoded(s, c->pool, &error) < 0)
			return sieve_error_set(c->error, v->line, v->column,
			                       "%s", error);
		s->has_vars = sieve_check_has_ext(c, SIEVE_EXT_VARIABLES) &&
		              sieve_string_has_refs(s->data, s->len);
		if (s->has_vars &&
		    sieve_string_has_bad_namespace(
		        s->data, s->len,
		        sieve_check_has_ext(c, SIEVE_EXT_INCLUDE)))
			return sieve_error_set(c->error, v->line, v->column,
			                       "unknown variable namespace");
	}
	return 0;
}

/* ---- Generic arguments ---- */

static const struct tag_def *tag_find(const char *name)
{
	for (size_t i = 0; i < N_OF(tag_defs); i++)
		if (strcmp(tag_defs[i].name, name) == 0)
			return &tag_defs[i];
	return NULL;
}

static bool value_fits(const struct sieve_value *v, char kind)
{
	switch (kind) {
	case 's':
		return v->type == SIEVE_VALUE_STRING;
	case 'l':
		return v->type == SIEVE_VALUE_STRING ||
		       v->type == SIEVE_VALUE_LIST;
	case 'n':
		return v->type == SIEVE_VALUE_NUMBER;
	default:
		return false;
	}
}

static const char *kind_name(char kind)
{
	return kind == 's'   ? "a string"
	       : kind == 'l' ? "a string list"
	                     : "a number";
}

/* One tag at args[*i]; consumes its parameter. */
static int check_tag(struct sieve_checker *c, struct sieve_node *node,
                     unsigned *i)
{
	struct sieve_value *v = &node->args[*i];
	const struct tag_def *td = tag_find(v->tag);
	const struct sieve_def *def = node->def;
	if (td == NULL || (def->tags & (UINT64_C(1) << td->id)) == 0)
		return sieve_error_set(c->error, v->line, v->column,
		                       "unknown tag ':%s' for %s", v->tag,
		                       node->name);
	uint64_t bit = UINT64_C(1) << td->id;
	if (td->ext != 0 && (def->native & bit) == 0 &&
	    !sieve_check_has_ext(c, td->ext))
		return sieve_error_set(c->error, v->line, v->column,
		                       "':%s' needs require \"%s\"", v->tag,
		                       ext_name(td->ext));
	if (node->tagged[td->id] != NULL)
		return sieve_error_set(c->error, v->line, v->column,
		                       "':%s' given twice", v->tag);
	for (size_t k = 0; k < N_OF(exclusive); k++) {
		if ((exclusive[k] & bit) == 0)
			continue;
		for (unsigned t = 0; t < SIEVE_TAG_COUNT_ALL; t++)
			if ((exclusive[k] & (UINT64_C(1) << t)) != 0 &&
			    node->tagged[t] != NULL)
				return sieve_error_set(
				    c->error, v->line, v->column,
				    "':%s' conflicts with an earlier tag",
				    v->tag);
	}
	node->tagged[td->id] = v;
	if (td->param == 0)
		return 0;
	if (*i + 1 >= node->arg_count ||
	    !value_fits(&node->args[*i + 1], td->param))
		return sieve_error_set(c->error, v->line, v->column,
		                       "':%s' needs %s", v->tag,
		                       kind_name(td->param));
	node->tagged[td->id] = &node->args[++*i];
	return strings_prepare(c, node->tagged[td->id]);
}

static int check_arguments(struct sieve_checker *c, struct sieve_node *node)
{
	const struct sieve_def *def = node->def;
	size_t max = strlen(def->pos);
	unsigned i;
	for (i = 0; i < node->arg_count; i++) {
		struct sieve_value *v = &node->args[i];
		if (v->type == SIEVE_VALUE_TAG) {
			if (node->pos_count > 0)
				return sieve_check_fail(
				    c, v, node,
				    "tags must come before the other "
				    "arguments");
			if (check_tag(c, node, &i) < 0)
				return -1;
			continue;
		}
		if (node->pos_count == max)
			return sieve_error_set(c->error, v->line, v->column,
			                       "too many arguments for %s",
			                       node->name);
		node->pos[node->pos_count++] = v;
	}
	if (node->pos_count < def->min_pos)
		return sieve_error_set(c->error, node->line, node->column,
		                       "%s needs %u argument%s", node->name,
		                       def->min_pos,
		                       def->min_pos > 1 ? "s" : "");
	size_t skip =
	    (def->flags & DEF_LEADING) != 0 ? max - node->pos_count : 0;
	for (i = 0; i < node->pos_count; i++) {
		char kind = def->pos[skip + i];
		if (!value_fits(node->pos[i], kind))
			return sieve_check_fail(
			    c, node->pos[i], node,
			    pool_printf(c->pool, "argument %u of %s must be %s",
			                i + 1, node->name, kind_name(kind)));
		if (strings_prepare(c, node->pos[i]) < 0)
			return -1;
	}
	return 0;
}

/* ---- The tree ---- */

static int check_node(struct sieve_checker *c, struct sieve_node *node,
                      bool is_test);

static int check_structure(struct sieve_checker *c, struct sieve_node *node)
{
	unsigned flags = node->def->flags;
	if ((flags & DEF_TEST) != 0 && node->test_count != 1)
		return sieve_check_fail(
		    c, NULL, node,
		    pool_printf(c->pool, "%s needs one test", node->name));
	if ((flags & DEF_TESTS) != 0 &&
	    (node->test_count == 0 || node->tests == NULL))
		return sieve_check_fail(
		    c, NULL, node,
		    pool_printf(c->pool, "%s needs a test list", node->name));
	if ((flags & (DEF_TEST | DEF_TESTS)) == 0 && node->test_count > 0)
		return sieve_check_fail(
		    c, NULL, node->tests[0],
		    pool_printf(c->pool, "%s takes no test", node->name));
	if ((flags & DEF_BLOCK) != 0 && !node->has_block)
		return sieve_check_fail(
		    c, NULL, node,
		    pool_printf(c->pool, "%s needs a block", node->name));
	if ((flags & DEF_BLOCK) == 0 && node->has_block)
		return sieve_check_fail(
		    c, NULL, node,
		    pool_printf(c->pool, "%s takes no block", node->name));
	for (unsigned i = 0; i < node->test_count; i++)
		if (check_node(c, node->tests[i], true) < 0)
			return -1;
	return 0;
}

static int check_node(struct sieve_checker *c, struct sieve_node *node,
                      bool is_test)
{
	const struct sieve_def *def = NULL;
	for (size_t i = 0; i < N_OF(defs) && def == NULL; i++)
		if (defs[i].is_test == is_test &&
		    strcmp(defs[i].name, node->name) == 0)
			def = &defs[i];
	if (def == NULL)
		return sieve_check_fail(
		    c, NULL, node,
		    pool_printf(c->pool, "unknown %s '%s'",
		                is_test ? "test" : "command", node->name));
	if (def->ext != 0 && !sieve_check_has_ext(c, def->ext))
		return sieve_check_fail(
		    c, NULL, node,
		    pool_printf(c->pool, "%s needs require \"%s\"", node->name,
		                ext_name(def->ext)));
	node->def = def;
	if (check_arguments(c, node) < 0 || check_structure(c, node) < 0)
		return -1;
	return def->check != NULL ? def->check(c, node) : 0;
}

static int check_block(struct sieve_checker *c, struct sieve_node *first,
                       bool is_top)
{
	bool may_require = is_top;
	enum sieve_cmd prev = SIEVE_CMD_STOP;
	for (struct sieve_node *node = first; node != NULL; node = node->next) {
		if (check_node(c, node, false) < 0)
			return -1;
		enum sieve_cmd id = node->def->id;
		if (id == SIEVE_CMD_REQUIRE && !may_require)
			return sieve_check_fail(
			    c, NULL, node,
			    "require must come before other commands");
		if (id != SIEVE_CMD_REQUIRE)
			may_require = false;
		if ((id == SIEVE_CMD_ELSIF || id == SIEVE_CMD_ELSE) &&
		    prev != SIEVE_CMD_IF && prev != SIEVE_CMD_ELSIF)
			return sieve_check_fail(
			    c, NULL, node,
			    pool_printf(c->pool, "%s without a preceding if",
			                node->name));
		if (node->has_block && check_block(c, node->block, false) < 0)
			return -1;
		prev = id;
	}
	return 0;
}

int sieve_check(struct sieve_script *script, struct sieve_error *error_r)
{
	struct sieve_checker c = {
	    .script = script,
	    .set = script->settings,
	    .pool = script->pool,
	    .error = error_r,
	};
	return check_block(&c, script->first, true);
}
