/* Running a JMAP request (RFC 8620 §3.3-3.7): capabilities of "using"
 * checked first, then each method call in order: result references among
 * its arguments ("#name": ResultReference, §3.7) resolved against the
 * responses so far (only earlier calls can be named, so references cannot
 * loop; a "*" mapping is bounded by max_ref_values), the method looked up
 * in the table and run, its responses added to methodResponses. Creation
 * ids made by /set calls are kept for "#x" ids in later calls and
 * returned in createdIds when the request sent that member. */
#include "core/pool.h"
#include "jmap/jmap.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct jmap_exec {
	const struct jmap_request *req;
	const struct jmap_settings *set;
	void *server_ctx;
	struct pool *pool;
	json_t *responses;   /* methodResponses */
	json_t *created_ids; /* creation id -> id */
};

struct jmap_call_ctx {
	struct jmap_exec *exec;
	const struct jmap_call *call;
	const struct jmap_method *method; /* NULL until it is found */
	bool has_replied;
};

void *jmap_call_server_ctx(const struct jmap_call_ctx *c)
{
	return c->exec->server_ctx;
}

const struct jmap_settings *jmap_call_settings(const struct jmap_call_ctx *c)
{
	return c->exec->set;
}

struct pool *jmap_call_pool(const struct jmap_call_ctx *c)
{
	return c->exec->pool;
}

const char *jmap_call_name(const struct jmap_call_ctx *c)
{
	return c->call->name;
}

const char *jmap_call_capability(const struct jmap_call_ctx *c)
{
	return c->method != NULL ? c->method->capability : NULL;
}

static bool request_uses(const struct jmap_request *req, const char *cap)
{
	for (size_t i = 0; i < req->using_count; i++) {
		if (strcmp(req->using[i], cap) == 0)
			return true;
	}
	return false;
}

bool jmap_call_uses(const struct jmap_call_ctx *c, const char *cap)
{
	return request_uses(c->exec->req, cap);
}

void jmap_reply(struct jmap_call_ctx *c, const char *name, json_t *args)
{
	c->has_replied = true;
	json_array_append_new(c->exec->responses,
	                      json_pack("[s, o, s]", name, args, c->call->id));
}

void jmap_error_obj(struct jmap_call_ctx *c, const char *type, json_t *obj)
{
	json_object_set_new(obj, "type", json_string(type));
	jmap_reply(c, "error", obj);
}

void jmap_error(struct jmap_call_ctx *c, const char *type,
                const char *description, ...)
{
	json_t *obj = json_object();
	if (description != NULL) {
		char text[512];
		va_list ap;
		va_start(ap, description);
		vsnprintf(text, sizeof(text), description, ap);
		va_end(ap);
		json_object_set_new(obj, "description", json_string(text));
	}
	jmap_error_obj(c, type, obj);
}

void jmap_call_created(struct jmap_call_ctx *c, const char *creation_id,
                       const char *id)
{
	json_object_set_new(c->exec->created_ids, creation_id,
	                    json_string(id));
}

const char *jmap_call_resolve_id(struct jmap_call_ctx *c, const char *id)
{
	if (id[0] != '#')
		return id;
	json_t *v = json_object_get(c->exec->created_ids, id + 1);
	return v != NULL ? json_string_value(v) : NULL;
}

/* ---- JSON Pointer with "*" (§3.7) ---- */

/* One reference token of a pointer, unescaped (~1 is "/", ~0 is "~"). */
static char *pointer_token(const char *start, size_t len)
{
	char *tok = malloc(len + 1);
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		if (start[i] == '~' && i + 1 < len &&
		    (start[i + 1] == '0' || start[i + 1] == '1')) {
			tok[n++] = start[i + 1] == '0' ? '~' : '/';
			i++;
		} else {
			tok[n++] = start[i];
		}
	}
	tok[n] = '\0';
	return tok;
}

static bool array_index(const char *tok, size_t size, size_t *idx_r)
{
	if (tok[0] == '\0' || (tok[0] == '0' && tok[1] != '\0'))
		return false;
	size_t idx = 0;
	for (const char *p = tok; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || idx > size)
			return false;
		idx = idx * 10 + (size_t)(*p - '0');
	}
	if (idx >= size)
		return false;
	*idx_r = idx;
	return true;
}

static json_t *pointer_walk(json_t *value, const char *path, unsigned depth,
                            unsigned *budget);

/* "*" on an array: the rest applied to each item, arrays flattened. */
static json_t *pointer_map(json_t *array, const char *rest, unsigned depth,
                           unsigned *budget)
{
	json_t *out = json_array();
	size_t i;
	json_t *item;
	json_array_foreach(array, i, item)
	{
		json_t *r = pointer_walk(item, rest, depth + 1, budget);
		if (r == NULL) {
			json_decref(out);
			return NULL;
		}
		if (json_is_array(r))
			json_array_extend(out, r);
		else
			json_array_append(out, r);
		json_decref(r);
		size_t n = json_array_size(out);
		if (n > *budget) {
			json_decref(out);
			return NULL;
		}
	}
	*budget -= (unsigned)json_array_size(out);
	return out;
}

static json_t *pointer_walk(json_t *value, const char *path, unsigned depth,
                            unsigned *budget)
{
	if (depth > 32)
		return NULL;
	if (path[0] == '\0')
		return json_incref(value);
	if (path[0] != '/')
		return NULL;
	const char *start = path + 1;
	size_t len = strcspn(start, "/");
	const char *rest = start + len;
	char *tok = pointer_token(start, len);
	json_t *next = NULL, *result = NULL;
	size_t idx;
	if (json_is_array(value) && strcmp(tok, "*") == 0)
		result = pointer_map(value, rest, depth, budget);
	else if (json_is_object(value))
		next = json_object_get(value, tok);
	else if (json_is_array(value) &&
	         array_index(tok, json_array_size(value), &idx))
		next = json_array_get(value, idx);
	free(tok);
	if (next != NULL)
		result = pointer_walk(next, rest, depth + 1, budget);
	return result;
}

json_t *jmap_pointer_eval(json_t *value, const char *path, unsigned max_values)
{
	unsigned budget = max_values;
	return pointer_walk(value, path, 0, &budget);
}

/* ---- Result references ---- */

/* ResultReference = { resultOf: String, name: String, path: String }
 * Returns the value, or NULL with *why_r. */
static json_t *reference_eval(struct jmap_exec *exec, json_t *ref,
                              const char **why_r)
{
	const char *result_of, *name, *path;
	if (json_unpack(ref, "{s:s, s:s, s:s !}", "resultOf", &result_of,
	                "name", &name, "path", &path) < 0) {
		*why_r = "a result reference needs resultOf, name and path";
		return NULL;
	}
	size_t i;
	json_t *resp;
	json_array_foreach(exec->responses, i, resp)
	{
		if (strcmp(json_string_value(json_array_get(resp, 2)),
		           result_of) != 0 ||
		    strcmp(json_string_value(json_array_get(resp, 0)), name) !=
		        0)
			continue;
		json_t *v = jmap_pointer_eval(json_array_get(resp, 1), path,
		                              exec->set->max_ref_values);
		if (v == NULL)
			*why_r = "the path does not resolve";
		return v;
	}
	*why_r = "no earlier response of that call id and name";
	return NULL;
}

/* Replaces every "#key" argument by the value it references. Returns a new
 * reference to the arguments, or NULL after an error response. */
static json_t *call_resolve_args(struct jmap_call_ctx *c)
{
	json_t *args = json_deep_copy(c->call->args);
	const char *key;
	json_t *value;
	void *tmp;
	json_object_foreach_safe(args, tmp, key, value)
	{
		if (key[0] != '#')
			continue;
		if (json_object_get(args, key + 1) != NULL) {
			jmap_error(c, JMAP_ERR_INVALID_ARGUMENTS,
			           "both %s and #%s given", key + 1, key + 1);
			json_decref(args);
			return NULL;
		}
		const char *why;
		json_t *resolved = reference_eval(c->exec, value, &why);
		if (resolved == NULL) {
			jmap_error(c, JMAP_ERR_INVALID_RESULT_REFERENCE,
			           "%s: %s", key, why);
			json_decref(args);
			return NULL;
		}
		char *plain = strdup(key + 1);
		json_object_del(args, key);
		json_object_set_new(args, plain, resolved);
		free(plain);
	}
	return args;
}

static const struct jmap_method *
method_find(const struct jmap_method *methods, size_t count, const char *name)
{
	for (size_t i = 0; i < count; i++) {
		if (strcmp(methods[i].name, name) == 0)
			return &methods[i];
	}
	return NULL;
}

static void exec_call(struct jmap_exec *exec, const struct jmap_call *call,
                      const struct jmap_method *methods, size_t count)
{
	struct jmap_call_ctx c = {.exec = exec, .call = call};
	const struct jmap_method *m = method_find(methods, count, call->name);
	if (m == NULL || !request_uses(exec->req, m->capability)) {
		/* §3.6.2: a method of a capability not in "using" is as
		   unknown as one that does not exist */
		jmap_error(&c, JMAP_ERR_UNKNOWN_METHOD, "%s%s", call->name,
		           m == NULL ? "" : ": its capability is not in using");
		return;
	}
	json_t *args = call_resolve_args(&c);
	if (args == NULL)
		return;
	c.method = m;
	m->run(&c, args);
	json_decref(args);
	if (!c.has_replied)
		jmap_error(&c, JMAP_ERR_SERVER_FAIL, NULL);
}

json_t *jmap_exec_run(const struct jmap_request *req,
                      const struct jmap_method *methods, size_t count,
                      const char *const *capabilities,
                      const struct jmap_settings *set, void *ctx,
                      struct pool *pool, struct jmap_problem *problem_r)
{
	for (size_t i = 0; i < req->using_count; i++) {
		size_t k = 0;
		while (capabilities[k] != NULL &&
		       strcmp(capabilities[k], req->using[i]) != 0)
			k++;
		if (capabilities[k] == NULL) {
			problem_r->status = 400;
			problem_r->type = JMAP_PROBLEM_UNKNOWN_CAPABILITY;
			problem_r->detail = pool_printf(
			    pool, "unknown capability %s", req->using[i]);
			problem_r->limit = NULL;
			return NULL;
		}
	}
	struct jmap_exec exec = {
	    .req = req,
	    .set = set,
	    .server_ctx = ctx,
	    .pool = pool,
	    .responses = json_array(),
	    .created_ids = req->created_ids != NULL
	                       ? json_deep_copy(req->created_ids)
	                       : json_object(),
	};
	for (size_t i = 0; i < req->call_count; i++)
		exec_call(&exec, &req->calls[i], methods, count);
	json_t *resp = json_pack("{s:o}", "methodResponses", exec.responses);
	if (req->created_ids != NULL)
		json_object_set_new(resp, "createdIds", exec.created_ids);
	else
		json_decref(exec.created_ids);
	return resp;
}
