/* ContactCard/query (RFC 9610 §3.5) and /queryChanges (RFC 8620 §5.6,
 * jmap_dav_query_changes): the filter conditions of §3.5.1
 * (AND, OR and NOT over them) matched against each Card the user may
 * read, case-insensitively as substrings (ASCII case folding: XXX
 * i;unicode-casemap would fold more), and the sorts of §3.5.2. */
#include "core/buf.h"
#include "core/pool.h"
#include "httpd.h"
#include "jmap_contacts.h"
#include "jmap_dav.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ASCII case-insensitive substring test. */
static bool text_has(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; *hay != '\0'; hay++) {
		if (strncasecmp(hay, needle, n) == 0)
			return true;
	}
	return n == 0;
}

/* Appends every String inside v (recursively) to out, space-separated. */
static void text_all(json_t *v, struct buf *out)
{
	if (json_is_string(v)) {
		buf_append_str(out, json_string_value(v));
		buf_append_char(out, ' ');
	} else if (json_is_object(v)) {
		const char *k;
		json_t *x;
		json_object_foreach(v, k, x)
		{
			text_all(x, out);
		}
	} else if (json_is_array(v)) {
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x)
		{
			text_all(x, out);
		}
	}
}

/* The Strings of field in each entry of the map member. */
static void text_map(json_t *card, const char *member, const char *field,
                     struct buf *out)
{
	const char *k;
	json_t *e;
	json_object_foreach(json_object_get(card, member), k, e)
	{
		text_all(field != NULL ? json_object_get(e, field) : e, out);
	}
}

/* The values of the name components of kind. */
static void text_component(json_t *card, const char *kind, struct buf *out)
{
	size_t i;
	json_t *comp;
	json_array_foreach(
	    json_object_get(json_object_get(card, "name"), "components"), i,
	    comp)
	{
		const char *k =
		    json_string_value(json_object_get(comp, "kind"));
		if (k != NULL && strcmp(k, kind) == 0)
			text_all(json_object_get(comp, "value"), out);
	}
}

static const struct {
	const char *name;
	const char *member; /* the map, or NULL */
	const char *field;
} text_conds[] = {
    {"nickname", "nicknames", "name"},
    {"organization", "organizations", NULL},
    {"email", "emails", "address"},
    {"phone", "phones", "number"},
    {"onlineService", "onlineServices", NULL},
    {"address", "addresses", NULL},
    {"note", "notes", "note"},
};

/* Returns 1 match, 0 no match, -1 unsupported condition. */
static int cond_match(json_t *card, const char *name, json_t *value)
{
	if (strcmp(name, "inAddressBook") == 0)
		return json_is_string(value) &&
		       json_object_get(json_object_get(card, "addressBookIds"),
		                       json_string_value(value)) != NULL;
	if (!json_is_string(value))
		return -1;
	const char *want = json_string_value(value);
	if (strcmp(name, "uid") == 0 || strcmp(name, "kind") == 0) {
		const char *have =
		    json_string_value(json_object_get(card, name));
		if (have == NULL && strcmp(name, "kind") == 0)
			have = "individual";
		return have != NULL && strcmp(have, want) == 0;
	}
	struct buf text;
	buf_init(&text);
	if (strcmp(name, "text") == 0) {
		text_all(card, &text);
	} else if (strcmp(name, "name") == 0) {
		text_all(json_object_get(card, "name"), &text);
	} else if (strncmp(name, "name/", 5) == 0 &&
	           (strcmp(name + 5, "given") == 0 ||
	            strcmp(name + 5, "surname") == 0 ||
	            strcmp(name + 5, "surname2") == 0)) {
		text_component(card, name + 5, &text);
	} else {
		size_t i = 0, n = sizeof(text_conds) / sizeof(*text_conds);
		while (i < n && strcmp(text_conds[i].name, name) != 0)
			i++;
		if (i == n) {
			buf_deinit(&text);
			return -1;
		}
		text_map(card, text_conds[i].member, text_conds[i].field,
		         &text);
	}
	int ret = text_has(text.data, want);
	buf_deinit(&text);
	return ret;
}

/* FilterOperator or FilterCondition. Returns 1, 0, or -1 (unsupported,
 * *bad_r names it). */
static int filter_match(json_t *card, json_t *filter, const char **bad_r)
{
	if (filter == NULL || json_is_null(filter))
		return 1;
	if (!json_is_object(filter)) {
		*bad_r = "filter";
		return -1;
	}
	const char *op = json_string_value(json_object_get(filter, "operator"));
	if (op != NULL) {
		json_t *conds = json_object_get(filter, "conditions");
		bool is_and = strcmp(op, "AND") == 0;
		bool is_or = strcmp(op, "OR") == 0;
		if (!is_and && !is_or && strcmp(op, "NOT") != 0) {
			*bad_r = op;
			return -1;
		}
		size_t i, hits = 0;
		json_t *sub;
		json_array_foreach(conds, i, sub)
		{
			int r = filter_match(card, sub, bad_r);
			if (r < 0)
				return -1;
			hits += (size_t)r;
		}
		size_t n = json_array_size(conds);
		return is_and ? hits == n : is_or ? hits > 0 : hits == 0;
	}
	const char *k;
	json_t *v;
	json_object_foreach(filter, k, v)
	{
		int r = cond_match(card, k, v);
		if (r < 0) {
			*bad_r = k;
			return -1;
		}
		if (r == 0)
			return 0;
	}
	return 1;
}

struct query_ctx {
	json_t *filter;
	json_t *hits; /* [card] */
	const char *bad;
};

static int query_cb(struct jmap_call_ctx *c, json_t *card, void *context)
{
	struct query_ctx *q = context;
	(void)c;
	int r = filter_match(card, q->filter, &q->bad);
	if (r < 0)
		return -1;
	if (r > 0)
		json_array_append(q->hits, card);
	return 0;
}

/* A Comparator's key of card ("" when none). */
static const char *sort_key(json_t *card, const char *prop, struct buf *tmp)
{
	buf_truncate(tmp, 0);
	if (strncmp(prop, "name/", 5) == 0)
		text_component(card, prop + 5, tmp);
	else if (json_is_string(json_object_get(card, prop)))
		buf_append_str(tmp,
		               json_string_value(json_object_get(card, prop)));
	return tmp->data;
}

static json_t *sort_spec; /* for qsort: one call at a time */

static int card_cmp(const void *a, const void *b)
{
	json_t *ca = *(json_t *const *)a, *cb = *(json_t *const *)b;
	struct buf ka, kb;
	buf_init(&ka);
	buf_init(&kb);
	int r = 0;
	size_t i;
	json_t *comp;
	json_array_foreach(sort_spec, i, comp)
	{
		const char *prop =
		    json_string_value(json_object_get(comp, "property"));
		json_t *asc = json_object_get(comp, "isAscending");
		r = strcasecmp(sort_key(ca, prop, &ka),
		               sort_key(cb, prop, &kb));
		if (asc != NULL && json_is_false(asc))
			r = -r;
		if (r != 0)
			break;
	}
	buf_deinit(&ka);
	buf_deinit(&kb);
	if (r == 0) /* by id, stable across calls */
		r = strcmp(json_string_value(json_object_get(ca, "id")),
		           json_string_value(json_object_get(cb, "id")));
	return r;
}

static int sort_check(struct jmap_call_ctx *c, json_t *sort)
{
	static const char *const allowed[] = {"created",       "updated",
	                                      "name/given",    "name/surname",
	                                      "name/surname2", NULL};
	size_t i;
	json_t *comp;
	json_array_foreach(sort, i, comp)
	{
		const char *prop =
		    json_string_value(json_object_get(comp, "property"));
		if (prop == NULL || !jmap_str_in(prop, allowed)) {
			jmap_error(c, JMAP_ERR_UNSUPPORTED_SORT, NULL);
			return -1;
		}
	}
	return 0;
}

/* The ids of the Cards matching filter, sorted (jmap_dav_query_ids_fn). */
static int query_ids(struct jmap_call_ctx *c, json_t *filter, json_t *sort,
                     void *context, json_t **ids_r)
{
	(void)context;
	if (sort != NULL && !json_is_null(sort) &&
	    (!json_is_array(sort) || sort_check(c, sort) < 0)) {
		if (!json_is_array(sort))
			jmap_error(c, JMAP_ERR_INVALID_ARGUMENTS, "sort");
		return -1;
	}
	struct query_ctx qc = {.filter = filter, .hits = json_array()};
	if (jmap_contacts_each(c, query_cb, &qc) < 0) {
		json_decref(qc.hits);
		if (qc.bad != NULL)
			jmap_error(c, JMAP_ERR_UNSUPPORTED_FILTER, "%s",
			           qc.bad);
		else
			jmap_error(c, JMAP_ERR_SERVER_FAIL, NULL);
		return -1;
	}
	size_t n = json_array_size(qc.hits);
	json_t **cards =
	    pool_alloc(jmap_call_pool(c), (n > 0 ? n : 1) * sizeof(*cards));
	for (size_t i = 0; i < n; i++)
		cards[i] = json_array_get(qc.hits, i);
	sort_spec = sort;
	if (json_is_array(sort))
		qsort(cards, n, sizeof(*cards), card_cmp);
	*ids_r = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append(*ids_r, json_object_get(cards[i], "id"));
	json_decref(qc.hits);
	return 0;
}

void jmap_contact_query(struct jmap_call_ctx *c, json_t *args)
{
	struct jmap_query q;
	if (jmap_query_parse(c, args, NULL, &q) < 0 ||
	    jmap_server_account(c, q.account_id) == NULL)
		return;
	/* the query state is the Cards' state, read before the result */
	const char *state = jmap_dav_state(c, STORE_JMAP_DAV_CARD);
	json_t *ids;
	if (state == NULL) {
		jmap_error(c, JMAP_ERR_SERVER_FAIL, NULL);
		return;
	}
	if (query_ids(c, q.filter, q.sort, NULL, &ids) < 0)
		return;
	jmap_query_reply(c, &q, ids, state, true);
}

void jmap_contact_query_changes(struct jmap_call_ctx *c, json_t *args)
{
	jmap_dav_query_changes(c, args, STORE_JMAP_DAV_CARD, query_ids, NULL);
}
