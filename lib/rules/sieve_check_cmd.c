/* Checks of single commands and tests for the checker (sieve_check.c):
 * comparators and match types (RFC 5228 §2.7.1-2.7.3, RFC 5231 §4),
 * address parts, and the constant arguments that the RFCs want refused at
 * compile time: redirect addresses (RFC 5228 §4.2), flags (RFC 5232 §3),
 * variable names (RFC 5229 §3), header names, regexes, date parts and
 * zones (RFC 5260 §4), notification methods (RFC 5435 §3.2), include
 * names (RFC 6609 §3.2). */
#include "core/pool.h"
#include "rules/sieve_private.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static int check_comparator(struct sieve_checker *c, struct sieve_node *node)
{
	struct sieve_value *v = node->tagged[SIEVE_TAG_COMPARATOR];
	node->comparator = SIEVE_CMP_ASCII_CASEMAP;
	if (v == NULL)
		return 0;
	const char *name = v->strings[0].data;
	if (strcmp(name, "i;octet") == 0)
		node->comparator = SIEVE_CMP_OCTET;
	else if (strcmp(name, "i;ascii-casemap") == 0)
		node->comparator = SIEVE_CMP_ASCII_CASEMAP;
	else if (strcmp(name, "i;ascii-numeric") == 0 &&
	         sieve_check_has_ext(c, SIEVE_EXT_NUMERIC))
		node->comparator = SIEVE_CMP_ASCII_NUMERIC;
	else if (strcmp(name, "i;ascii-numeric") == 0)
		return sieve_check_fail(
		    c, v, node,
		    "comparator \"i;ascii-numeric\" needs require "
		    "\"comparator-i;ascii-numeric\"");
	else
		return sieve_check_fail(
		    c, v, node,
		    pool_printf(c->pool, "unknown comparator \"%s\"", name));
	return 0;
}

static int check_match(struct sieve_checker *c, struct sieve_node *node)
{
	static const struct {
		enum sieve_tag tag;
		enum sieve_match_type match;
	} map[] = {
	    {SIEVE_TAG_IS, SIEVE_MATCH_IS},
	    {SIEVE_TAG_CONTAINS, SIEVE_MATCH_CONTAINS},
	    {SIEVE_TAG_MATCHES, SIEVE_MATCH_MATCHES},
	    {SIEVE_TAG_REGEX, SIEVE_MATCH_REGEX},
	    {SIEVE_TAG_COUNT, SIEVE_MATCH_COUNT},
	    {SIEVE_TAG_VALUE, SIEVE_MATCH_VALUE},
	};
	node->match = SIEVE_MATCH_IS;
	for (size_t i = 0; i < N_OF(map); i++)
		if (node->tagged[map[i].tag] != NULL)
			node->match = map[i].match;
	struct sieve_value *rel =
	    node->match == SIEVE_MATCH_COUNT   ? node->tagged[SIEVE_TAG_COUNT]
	    : node->match == SIEVE_MATCH_VALUE ? node->tagged[SIEVE_TAG_VALUE]
	                                       : NULL;
	if (rel != NULL &&
	    sieve_relation_parse(rel->strings[0].data, &node->relation) < 0)
		return sieve_check_fail(
		    c, rel, node, "relation must be gt, ge, lt, le, eq or ne");
	if (node->comparator == SIEVE_CMP_ASCII_NUMERIC &&
	    (node->match == SIEVE_MATCH_CONTAINS ||
	     node->match == SIEVE_MATCH_MATCHES ||
	     node->match == SIEVE_MATCH_REGEX))
		return sieve_check_fail(
		    c, node->tagged[SIEVE_TAG_COMPARATOR], node,
		    "i;ascii-numeric compares whole values only");
	return 0;
}

static void check_part(struct sieve_node *node)
{
	node->part =
	    node->tagged[SIEVE_TAG_LOCALPART] != NULL ? SIEVE_PART_LOCALPART
	    : node->tagged[SIEVE_TAG_DOMAIN] != NULL  ? SIEVE_PART_DOMAIN
	    : node->tagged[SIEVE_TAG_USER] != NULL    ? SIEVE_PART_USER
	    : node->tagged[SIEVE_TAG_DETAIL] != NULL  ? SIEVE_PART_DETAIL
	                                              : SIEVE_PART_ALL;
}

/* Constant regex keys must compile (draft-ietf-sieve-regex §4). */
static int check_regex_keys(struct sieve_checker *c, struct sieve_node *node,
                            const struct sieve_value *keys)
{
	if (node->match != SIEVE_MATCH_REGEX || keys == NULL)
		return 0;
	for (unsigned i = 0; i < keys->count; i++) {
		const char *error;
		if (sieve_string_is_const(&keys->strings[i]) &&
		    sieve_regex_check(
		        keys->strings[i].data, keys->strings[i].len,
		        node->comparator == SIEVE_CMP_ASCII_CASEMAP, c->set,
		        &error) < 0)
			return sieve_check_fail(c, keys, node, error);
	}
	return 0;
}

/* ---- Per-command checks ---- */

int sieve_check_cmd_keep(struct sieve_checker *c, struct sieve_node *node)
{
	struct sieve_value *flags = node->tagged[SIEVE_TAG_FLAGS];
	return flags == NULL ? 0 : sieve_check_cmd_flags(c, node);
}

int sieve_check_cmd_redirect(struct sieve_checker *c, struct sieve_node *node)
{
	const struct sieve_string *s = &node->pos[0]->strings[0];
	/* RFC 5228 §4.2: a constant address that is not one is an error */
	if (sieve_string_is_const(s) &&
	    !sieve_address_is_valid(s->data, s->len))
		return sieve_check_fail(c, node->pos[0], node,
		                        "redirect needs a valid address");
	return 0;
}

int sieve_check_cmd_fileinto(struct sieve_checker *c, struct sieve_node *node)
{
	const struct sieve_string *s = &node->pos[0]->strings[0];
	if (sieve_string_is_const(s) &&
	    (s->len == 0 || memchr(s->data, '\0', s->len)))
		return sieve_check_fail(c, node->pos[0], node,
		                        "empty mailbox name");
	return sieve_check_cmd_keep(c, node);
}

int sieve_check_cmd_vacation(struct sieve_checker *c, struct sieve_node *node)
{
	struct sieve_value *from = node->tagged[SIEVE_TAG_FROM];
	struct sieve_value *addrs = node->tagged[SIEVE_TAG_ADDRESSES];
	if (from != NULL && sieve_string_is_const(&from->strings[0]) &&
	    !sieve_address_is_valid(from->strings[0].data,
	                            from->strings[0].len))
		return sieve_check_fail(c, from, node,
		                        ":from needs a valid address");
	for (unsigned i = 0; addrs != NULL && i < addrs->count; i++)
		if (sieve_string_is_const(&addrs->strings[i]) &&
		    !sieve_address_is_valid(addrs->strings[i].data,
		                            addrs->strings[i].len))
			return sieve_check_fail(
			    c, addrs, node, ":addresses needs valid addresses");
	return 0;
}

static int check_flag_list(struct sieve_checker *c, struct sieve_node *node,
                           const struct sieve_value *v)
{
	for (unsigned i = 0; v != NULL && i < v->count; i++) {
		const struct sieve_string *s = &v->strings[i];
		if (!sieve_string_is_const(s))
			continue;
		/* a string holds space-separated flags (RFC 5232 §3) */
		const char *p = s->data, *end = s->data + s->len;
		while (p < end) {
			size_t n = strcspn(p, " ");
			if (n > 0 && !sieve_flag_is_valid(p, n))
				return sieve_check_fail(
				    c, v, node,
				    pool_printf(c->pool,
				                "invalid flag \"%.*s\"",
				                (int)(n > 60 ? 60 : n), p));
			p += n + (p + n < end);
		}
	}
	return 0;
}

int sieve_check_cmd_flags(struct sieve_checker *c, struct sieve_node *node)
{
	const struct sieve_def *def = node->def;
	if (def->id == SIEVE_CMD_KEEP || def->id == SIEVE_CMD_FILEINTO)
		return check_flag_list(c, node, node->tagged[SIEVE_TAG_FLAGS]);
	if (def->id == SIEVE_TEST_HASFLAG) {
		if (check_comparator(c, node) < 0 || check_match(c, node) < 0)
			return -1;
	}
	if (node->pos_count == 2) {
		/* the variable names (RFC 5232 §3 with "variables") */
		if (!sieve_check_has_ext(c, SIEVE_EXT_VARIABLES))
			return sieve_check_fail(c, node->pos[0], node,
			                        "a flag variable needs require "
			                        "\"variables\"");
		const struct sieve_value *names = node->pos[0];
		for (unsigned i = 0; i < names->count; i++)
			if (!sieve_variable_name_is_valid(
			        names->strings[i].data, names->strings[i].len,
			        true))
				return sieve_check_fail(
				    c, names, node, "invalid variable name");
	}
	if (def->id == SIEVE_TEST_HASFLAG)
		return 0;
	return check_flag_list(c, node, node->pos[node->pos_count - 1]);
}

int sieve_check_cmd_set(struct sieve_checker *c, struct sieve_node *node)
{
	const struct sieve_string *name = &node->pos[0]->strings[0];
	if (!sieve_variable_name_is_valid(name->data, name->len, true))
		return sieve_check_fail(c, node->pos[0], node,
		                        "invalid variable name");
	return 0;
}

static bool script_name_is_valid(const char *name, size_t len)
{
	/* RFC 6609 §3.2: names a script, never a path */
	return len > 0 && len <= 255 && memchr(name, '/', len) == NULL &&
	       memchr(name, '\0', len) == NULL && strcmp(name, ".") != 0 &&
	       strcmp(name, "..") != 0;
}

int sieve_check_cmd_include(struct sieve_checker *c, struct sieve_node *node)
{
	const struct sieve_string *s = &node->pos[0]->strings[0];
	if (!sieve_string_is_const(s))
		return sieve_check_fail(c, node->pos[0], node,
		                        "include needs a constant script name");
	if (!script_name_is_valid(s->data, s->len))
		return sieve_check_fail(c, node->pos[0], node,
		                        "invalid script name");
	return 0;
}

int sieve_check_cmd_global(struct sieve_checker *c, struct sieve_node *node)
{
	if (!sieve_check_has_ext(c, SIEVE_EXT_VARIABLES))
		return sieve_check_fail(c, NULL, node,
		                        "global needs require \"variables\"");
	const struct sieve_value *v = node->pos[0];
	for (unsigned i = 0; i < v->count; i++)
		if (!sieve_variable_name_is_valid(v->strings[i].data,
		                                  v->strings[i].len, false))
			return sieve_check_fail(c, v, node,
			                        "invalid variable name");
	return 0;
}

static int check_field_name(struct sieve_checker *c, struct sieve_node *node,
                            const struct sieve_value *v)
{
	for (unsigned i = 0; v != NULL && i < v->count; i++)
		if (sieve_string_is_const(&v->strings[i]) &&
		    !sieve_field_name_is_valid(v->strings[i].data,
		                               v->strings[i].len))
			return sieve_check_fail(
			    c, v, node,
			    pool_printf(c->pool,
			                "invalid header name \"%.60s\"",
			                v->strings[i].data));
	return 0;
}

int sieve_check_cmd_addheader(struct sieve_checker *c, struct sieve_node *node)
{
	return check_field_name(c, node, node->pos[0]);
}

int sieve_check_cmd_deleteheader(struct sieve_checker *c,
                                 struct sieve_node *node)
{
	if (node->tagged[SIEVE_TAG_LAST] != NULL &&
	    node->tagged[SIEVE_TAG_INDEX] == NULL)
		return sieve_check_fail(c, node->tagged[SIEVE_TAG_LAST], node,
		                        ":last needs :index");
	if (check_comparator(c, node) < 0 || check_match(c, node) < 0 ||
	    check_field_name(c, node, node->pos[0]) < 0)
		return -1;
	return check_regex_keys(c, node,
	                        node->pos_count > 1 ? node->pos[1] : NULL);
}

int sieve_check_cmd_notify(struct sieve_checker *c, struct sieve_node *node)
{
	const struct sieve_string *m = &node->pos[0]->strings[0];
	struct sieve_value *imp = node->tagged[SIEVE_TAG_IMPORTANCE];
	struct sieve_value *from = node->tagged[SIEVE_TAG_FROM];
	if (sieve_string_is_const(m) &&
	    !sieve_notify_uri_is_valid(m->data, m->len))
		return sieve_check_fail(
		    c, node->pos[0], node,
		    "unsupported or invalid notification method");
	if (imp != NULL && sieve_string_is_const(&imp->strings[0]) &&
	    (imp->strings[0].len != 1 || imp->strings[0].data[0] < '1' ||
	     imp->strings[0].data[0] > '3'))
		return sieve_check_fail(c, imp, node,
		                        ":importance must be 1, 2 or 3");
	if (from != NULL && sieve_string_is_const(&from->strings[0]) &&
	    !sieve_address_is_valid(from->strings[0].data,
	                            from->strings[0].len))
		return sieve_check_fail(c, from, node,
		                        ":from needs a valid address");
	return 0;
}

/* address, envelope, exists, header */
int sieve_check_cmd_headers(struct sieve_checker *c, struct sieve_node *node)
{
	enum sieve_cmd id = node->def->id;
	if (check_comparator(c, node) < 0 || check_match(c, node) < 0)
		return -1;
	check_part(node);
	if (node->tagged[SIEVE_TAG_LAST] != NULL &&
	    node->tagged[SIEVE_TAG_INDEX] == NULL)
		return sieve_check_fail(c, node->tagged[SIEVE_TAG_LAST], node,
		                        ":last needs :index");
	if (id == SIEVE_TEST_ENVELOPE) {
		const struct sieve_value *v = node->pos[0];
		for (unsigned i = 0; i < v->count; i++) {
			const char *p = v->strings[i].data;
			if (sieve_string_is_const(&v->strings[i]) &&
			    strcasecmp(p, "from") != 0 &&
			    strcasecmp(p, "to") != 0)
				return sieve_check_fail(
				    c, v, node,
				    "envelope parts are \"from\" and "
				    "\"to\"");
		}
	} else if (check_field_name(c, node, node->pos[0]) < 0) {
		return -1;
	}
	return check_regex_keys(c, node,
	                        node->pos_count > 1 ? node->pos[1] : NULL);
}

int sieve_check_cmd_size(struct sieve_checker *c, struct sieve_node *node)
{
	if (node->tagged[SIEVE_TAG_OVER] == NULL &&
	    node->tagged[SIEVE_TAG_UNDER] == NULL)
		return sieve_check_fail(c, NULL, node,
		                        "size needs :over or :under");
	return 0;
}

int sieve_check_cmd_body(struct sieve_checker *c, struct sieve_node *node)
{
	if (check_comparator(c, node) < 0 || check_match(c, node) < 0)
		return -1;
	return check_regex_keys(c, node, node->pos[0]);
}

int sieve_check_cmd_date(struct sieve_checker *c, struct sieve_node *node)
{
	bool is_current = node->def->id == SIEVE_TEST_CURRENTDATE;
	const struct sieve_value *part = node->pos[is_current ? 0 : 1];
	struct sieve_value *zone = node->tagged[SIEVE_TAG_ZONE];
	long offset;
	if (check_comparator(c, node) < 0 || check_match(c, node) < 0)
		return -1;
	if (node->tagged[SIEVE_TAG_LAST] != NULL &&
	    node->tagged[SIEVE_TAG_INDEX] == NULL)
		return sieve_check_fail(c, node->tagged[SIEVE_TAG_LAST], node,
		                        ":last needs :index");
	if (sieve_string_is_const(&part->strings[0]) &&
	    !sieve_date_part_is_valid(part->strings[0].data))
		return sieve_check_fail(c, part, node, "unknown date part");
	if (zone != NULL && sieve_string_is_const(&zone->strings[0]) &&
	    sieve_zone_parse(zone->strings[0].data, &offset) < 0)
		return sieve_check_fail(c, zone, node,
		                        ":zone must be +hhmm or -hhmm");
	if (!is_current && check_field_name(c, node, node->pos[0]) < 0)
		return -1;
	return check_regex_keys(c, node, node->pos[is_current ? 1 : 2]);
}

int sieve_check_cmd_string_test(struct sieve_checker *c,
                                struct sieve_node *node)
{
	if (check_comparator(c, node) < 0 || check_match(c, node) < 0)
		return -1;
	return check_regex_keys(c, node, node->pos[1]);
}

int sieve_check_cmd_duplicate(struct sieve_checker *c, struct sieve_node *node)
{
	struct sieve_value *h = node->tagged[SIEVE_TAG_HEADER];
	return h == NULL ? 0 : check_field_name(c, node, h);
}

int sieve_check_cmd_capability(struct sieve_checker *c, struct sieve_node *node)
{
	if (check_comparator(c, node) < 0 || check_match(c, node) < 0)
		return -1;
	return check_regex_keys(c, node, node->pos[2]);
}
