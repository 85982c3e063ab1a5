/* The JMAP Request object (RFC 8620 §3.3) read strictly: I-JSON (RFC 7493:
 * UTF-8, no duplicate member names, no NUL in strings) through jansson,
 * then the shape of each member, then the limits of §2 (§3.6.1: a
 * request over a limit is refused whole with the limit's name). */
#include "core/pool.h"
#include "jmap/jmap.h"

#include <string.h>

void jmap_settings_init(struct jmap_settings *set)
{
	memset(set, 0, sizeof(*set));
	set->max_size_upload = 50 * 1024 * 1024;
	set->max_concurrent_upload = 4;
	set->max_size_request = 10 * 1024 * 1024;
	set->max_concurrent_requests = 4;
	set->max_calls_in_request = 64;
	set->max_objects_in_get = 1000;
	set->max_objects_in_set = 1000;
	set->max_ref_values = 100000;
}

json_t *jmap_problem_json(const struct jmap_problem *p)
{
	json_t *obj = json_pack("{s:s, s:i}", "type", p->type, "status",
	                        (json_int_t)p->status);
	if (p->detail != NULL)
		json_object_set_new(obj, "detail", json_string(p->detail));
	if (p->limit != NULL)
		json_object_set_new(obj, "limit", json_string(p->limit));
	return obj;
}

static int problem(struct jmap_problem *p, const char *type,
                   const char *detail, const char *limit)
{
	p->status = 400;
	p->type = type;
	p->detail = detail;
	p->limit = limit;
	return -1;
}

bool jmap_id_is_valid(const char *s)
{
	size_t len = strlen(s);
	if (len == 0 || len > 255)
		return false;
	for (const char *p = s; *p != '\0'; p++) {
		char ch = *p;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
			return false;
	}
	return true;
}

/* "using": [String] */
static int request_using(json_t *using, struct pool *pool,
                         struct jmap_request *req, struct jmap_problem *p)
{
	if (!json_is_array(using))
		return problem(p, JMAP_PROBLEM_NOT_REQUEST,
		               "\"using\" must be an array of strings", NULL);
	req->using_count = json_array_size(using);
	req->using = pool_alloc(pool, (req->using_count + 1) *
	                                  sizeof(*req->using));
	for (size_t i = 0; i < req->using_count; i++) {
		json_t *cap = json_array_get(using, i);
		if (!json_is_string(cap))
			return problem(p, JMAP_PROBLEM_NOT_REQUEST,
			               "\"using\" must be an array of strings",
			               NULL);
		req->using[i] = json_string_value(cap);
	}
	return 0;
}

/* Invocation = [ String, String[*], String ] */
static int request_call(json_t *inv, struct jmap_call *call,
                        struct jmap_problem *p)
{
	if (!json_is_array(inv) || json_array_size(inv) != 3 ||
	    !json_is_string(json_array_get(inv, 0)) ||
	    !json_is_object(json_array_get(inv, 1)) ||
	    !json_is_string(json_array_get(inv, 2)))
		return problem(p, JMAP_PROBLEM_NOT_REQUEST,
		               "each method call must be [name, {arguments}, "
		               "call id]",
		               NULL);
	call->name = json_string_value(json_array_get(inv, 0));
	call->args = json_array_get(inv, 1);
	call->id = json_string_value(json_array_get(inv, 2));
	return 0;
}

static int request_calls(json_t *calls, const struct jmap_settings *set,
                         struct pool *pool, struct jmap_request *req,
                         struct jmap_problem *p)
{
	if (!json_is_array(calls))
		return problem(p, JMAP_PROBLEM_NOT_REQUEST,
		               "\"methodCalls\" must be an array", NULL);
	req->call_count = json_array_size(calls);
	if (req->call_count > set->max_calls_in_request)
		return problem(p, JMAP_PROBLEM_LIMIT,
		               "too many method calls in one request",
		               "maxCallsInRequest");
	req->calls = pool_alloc(pool, (req->call_count + 1) *
	                                  sizeof(*req->calls));
	for (size_t i = 0; i < req->call_count; i++) {
		if (request_call(json_array_get(calls, i), &req->calls[i], p) <
		    0)
			return -1;
	}
	return 0;
}

static int request_created_ids(json_t *ids, struct jmap_request *req,
                               struct jmap_problem *p)
{
	if (ids == NULL)
		return 0;
	if (!json_is_object(ids))
		return problem(p, JMAP_PROBLEM_NOT_REQUEST,
		               "\"createdIds\" must be an object", NULL);
	const char *key;
	json_t *value;
	json_object_foreach(ids, key, value)
	{
		if (!jmap_id_is_valid(key) || !json_is_string(value) ||
		    !jmap_id_is_valid(json_string_value(value)))
			return problem(p, JMAP_PROBLEM_NOT_REQUEST,
			               "\"createdIds\" must map ids to ids",
			               NULL);
	}
	req->created_ids = ids;
	return 0;
}

static int request_shape(json_t *root, const struct jmap_settings *set,
                         struct pool *pool, struct jmap_request *req,
                         struct jmap_problem *p)
{
	if (!json_is_object(root))
		return problem(p, JMAP_PROBLEM_NOT_REQUEST,
		               "the request must be a JSON object", NULL);
	json_t *using = json_object_get(root, "using");
	json_t *calls = json_object_get(root, "methodCalls");
	if (using == NULL || calls == NULL)
		return problem(p, JMAP_PROBLEM_NOT_REQUEST,
		               "\"using\" and \"methodCalls\" are required",
		               NULL);
	if (request_using(using, pool, req, p) < 0 ||
	    request_calls(calls, set, pool, req, p) < 0 ||
	    request_created_ids(json_object_get(root, "createdIds"), req, p) <
	        0)
		return -1;
	return 0;
}

int jmap_request_parse(const unsigned char *data, size_t size,
                       const struct jmap_settings *set, struct pool *pool,
                       struct jmap_request *req_r, struct jmap_problem *p)
{
	memset(req_r, 0, sizeof(*req_r));
	if (size > set->max_size_request)
		return problem(p, JMAP_PROBLEM_LIMIT, "request too large",
		               "maxSizeRequest");
	json_error_t error;
	/* RFC 8620 §3.3: I-JSON; jansson rejects invalid UTF-8 and "\u0000"
	   itself, and nesting past its own depth limit */
	json_t *root = json_loadb((const char *)data, size,
	                          JSON_REJECT_DUPLICATES, &error);
	if (root == NULL)
		return problem(p, JMAP_PROBLEM_NOT_JSON,
		               pool_printf(pool, "not valid I-JSON: %s at %d:%d",
		                           error.text, error.line,
		                           error.column),
		               NULL);
	req_r->root = root;
	if (request_shape(root, set, pool, req_r, p) < 0) {
		jmap_request_deinit(req_r);
		return -1;
	}
	return 0;
}

void jmap_request_deinit(struct jmap_request *req)
{
	json_decref(req->root);
	memset(req, 0, sizeof(*req));
}
