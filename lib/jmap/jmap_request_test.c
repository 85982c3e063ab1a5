/* Tests of the JMAP request reader, dispatch and result references, from
 * the examples of RFC 8620 §3.3, §3.4 and §3.7. */
#include "core/pool.h"
#include "jmap/jmap.h"
#include "jmap/jmap_method.h"
#include "test/test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct jmap_settings settings(void)
{
	struct jmap_settings set;
	jmap_settings_init(&set);
	return set;
}

static const char *parse_problem(const char *text)
{
	static char type[128];
	struct jmap_settings set = settings();
	set.max_calls_in_request = 3;
	struct pool *pool = pool_new();
	struct jmap_request req;
	struct jmap_problem p;
	int ret = jmap_request_parse((const unsigned char *)text, strlen(text),
	                             &set, pool, &req, &p);
	if (ret == 0) {
		jmap_request_deinit(&req);
		strcpy(type, "ok");
	} else {
		snprintf(type, sizeof(type), "%s%s%s", p.type,
		         p.limit != NULL ? " " : "",
		         p.limit != NULL ? p.limit : "");
	}
	pool_free(&pool);
	return type;
}

static void test_request_parse(void)
{
	test_begin("jmap request parse");
	/* RFC 8620 §3.3.1 */
	test_assert_str(
	    parse_problem(
	        "{\"using\": [ \"urn:ietf:params:jmap:core\","
	        " \"urn:ietf:params:jmap:mail\" ],"
	        " \"methodCalls\": [ [ \"method1\", { \"arg1\": \"arg1data\","
	        " \"arg2\": \"arg2data\" }, \"c1\" ], [ \"method2\", {"
	        " \"arg1\": \"arg1data\" }, \"c2\" ], [ \"method3\", {},"
	        " \"c3\" ] ] }"),
	    "ok");
	test_assert_str(parse_problem("{\"using\": [], \"methodCalls\": ["),
	                JMAP_PROBLEM_NOT_JSON);
	test_assert_str(parse_problem("{\"using\": [], \"using\": [],"
	                              " \"methodCalls\": []}"),
	                JMAP_PROBLEM_NOT_JSON);
	test_assert_str(parse_problem("{\"using\": [\"a\\u0000\"],"
	                              " \"methodCalls\": []}"),
	                JMAP_PROBLEM_NOT_JSON);
	test_assert_str(parse_problem("{\"using\": [\"\xff\"],"
	                              " \"methodCalls\": []}"),
	                JMAP_PROBLEM_NOT_JSON);
	test_assert_str(parse_problem("[1]"), JMAP_PROBLEM_NOT_REQUEST);
	test_assert_str(parse_problem("{\"using\": []}"),
	                JMAP_PROBLEM_NOT_REQUEST);
	test_assert_str(parse_problem("{\"using\": [1], \"methodCalls\": []}"),
	                JMAP_PROBLEM_NOT_REQUEST);
	test_assert_str(parse_problem("{\"using\": [], \"methodCalls\":"
	                              " [[\"a\", [], \"c\"]]}"),
	                JMAP_PROBLEM_NOT_REQUEST);
	test_assert_str(parse_problem("{\"using\": [], \"methodCalls\":"
	                              " [[\"a\", {}]]}"),
	                JMAP_PROBLEM_NOT_REQUEST);
	test_assert_str(parse_problem("{\"using\": [], \"methodCalls\": [],"
	                              " \"createdIds\": {\"a\": 1}}"),
	                JMAP_PROBLEM_NOT_REQUEST);
	test_assert_str(
	    parse_problem("{\"using\": [], \"methodCalls\": [[\"a\", {}, \"1\"],"
	                  " [\"a\", {}, \"2\"], [\"a\", {}, \"3\"],"
	                  " [\"a\", {}, \"4\"]]}"),
	    JMAP_PROBLEM_LIMIT " maxCallsInRequest");
	test_assert(jmap_id_is_valid("Mf1-_Az"));
	test_assert(!jmap_id_is_valid(""));
	test_assert(!jmap_id_is_valid("a/b"));
	test_end();
}

/* ---- a small server for the dispatch tests ---- */

static void echo_run(struct jmap_call_ctx *c, json_t *args)
{
	jmap_reply(c, "Core/echo", json_incref(args));
}

/* Returns {"list": [{"id": "m1", "threadId": "t1"}, {"id": "m2",
 * "threadId": "t2"}], "ids": ["m1", "m2"]}, as Email/query + get would. */
static void list_run(struct jmap_call_ctx *c, json_t *args)
{
	(void)args;
	jmap_call_created(c, "k1", "m1");
	jmap_reply(c, "Test/list",
	           json_pack("{s:[{s:s, s:s}, {s:s, s:s}], s:[s, s]}", "list",
	                     "id", "m1", "threadId", "t1", "id", "m2",
	                     "threadId", "t2", "ids", "m1", "m2"));
}

static void resolve_run(struct jmap_call_ctx *c, json_t *args)
{
	const char *id = json_string_value(json_object_get(args, "id"));
	const char *r = jmap_call_resolve_id(c, id);
	jmap_reply(c, "Test/resolve", json_pack("{s:s?}", "id", r));
}

/* Answers the capability its table entry names (jmap_call_capability). */
static void cap_run(struct jmap_call_ctx *c, json_t *args)
{
	(void)args;
	jmap_reply(c, "Test/cap",
	           json_pack("{s:s?}", "cap", jmap_call_capability(c)));
}

static const struct jmap_method methods[] = {
    {"Core/echo", JMAP_CAP_CORE, echo_run},
    {"Test/list", JMAP_CAP_MAIL, list_run},
    {"Test/resolve", JMAP_CAP_MAIL, resolve_run},
    {"Test/cap", JMAP_CAP_MAIL, cap_run},
};
static const char *const caps[] = {JMAP_CAP_CORE, JMAP_CAP_MAIL, NULL};

/* Runs text; returns the response dumped compactly (static). */
static const char *run(const char *text)
{
	static char out[4096];
	struct jmap_settings set = settings();
	set.max_ref_values = 10;
	struct pool *pool = pool_new();
	struct jmap_request req;
	struct jmap_problem p;
	if (jmap_request_parse((const unsigned char *)text, strlen(text), &set,
	                       pool, &req, &p) < 0) {
		snprintf(out, sizeof(out), "problem %s", p.type);
		pool_free(&pool);
		return out;
	}
	json_t *resp =
	    jmap_exec_run(&req, methods, sizeof(methods) / sizeof(*methods),
	                  caps, &set, NULL, pool, &p);
	if (resp == NULL) {
		snprintf(out, sizeof(out), "problem %s", p.type);
	} else {
		char *s = json_dumps(resp, JSON_COMPACT | JSON_SORT_KEYS);
		snprintf(out, sizeof(out), "%s", s);
		free(s);
		json_decref(resp);
	}
	jmap_request_deinit(&req);
	pool_free(&pool);
	return out;
}

static void test_exec(void)
{
	test_begin("jmap exec");
	/* RFC 8620 §4.1: Core/echo returns its arguments */
	test_assert_str(run("{\"using\": [\"urn:ietf:params:jmap:core\"],"
	                    " \"methodCalls\": [[\"Core/echo\", {\"hello\":"
	                    " true, \"high\": 5}, \"b3ff\"]]}"),
	                "{\"methodResponses\":[[\"Core/echo\",{\"hello\":true,"
	                "\"high\":5},\"b3ff\"]]}");
	/* §3.6.2 unknownMethod, also for a capability not in using */
	test_assert_str(
	    run("{\"using\": [\"urn:ietf:params:jmap:core\"], \"methodCalls\":"
	        " [[\"Nope/get\", {}, \"a\"], [\"Test/list\", {}, \"b\"]]}"),
	    "{\"methodResponses\":[[\"error\",{\"description\":\"Nope/get\","
	    "\"type\":\"unknownMethod\"},\"a\"],[\"error\",{\"description\":"
	    "\"Test/list: its capability is not in using\",\"type\":"
	    "\"unknownMethod\"},\"b\"]]}");
	/* the method's own capability, for accountNotSupportedByMethod */
	test_assert_str(run("{\"using\": [\"urn:ietf:params:jmap:core\","
	                    " \"urn:ietf:params:jmap:mail\"], \"methodCalls\":"
	                    " [[\"Test/cap\", {}, \"c\"]]}"),
	                "{\"methodResponses\":[[\"Test/cap\",{\"cap\":"
	                "\"urn:ietf:params:jmap:mail\"},\"c\"]]}");
	/* §3.6.1 unknownCapability */
	test_assert_str(run("{\"using\": [\"urn:x\"], \"methodCalls\": []}"),
	                "problem " JMAP_PROBLEM_UNKNOWN_CAPABILITY);
	test_end();
}

static void test_references(void)
{
	test_begin("jmap result references");
	const char *prefix =
	    "{\"using\": [\"urn:ietf:params:jmap:core\","
	    " \"urn:ietf:params:jmap:mail\"], \"methodCalls\": [[\"Test/list\","
	    " {}, \"t0\"], [\"Core/echo\", {";
	char req[1024];
	/* §3.7: a "*" step maps the rest of the path over the list */
	snprintf(req, sizeof(req), "%s%s", prefix,
	         "\"#ids\": {\"resultOf\": \"t0\", \"name\": \"Test/list\","
	         " \"path\": \"/list/*/threadId\"}}, \"t1\"]]}");
	test_assert(strstr(run(req), "[\"Core/echo\",{\"ids\":[\"t1\",\"t2\"]}"
	                             ",\"t1\"]") != NULL);
	snprintf(req, sizeof(req), "%s%s", prefix,
	         "\"#ids\": {\"resultOf\": \"t0\", \"name\": \"Test/list\","
	         " \"path\": \"/ids\"}}, \"t1\"]]}");
	test_assert(strstr(run(req), "{\"ids\":[\"m1\",\"m2\"]}") != NULL);
	snprintf(req, sizeof(req), "%s%s", prefix,
	         "\"#ids\": {\"resultOf\": \"t0\", \"name\": \"Test/list\","
	         " \"path\": \"/ids/1\"}}, \"t1\"]]}");
	test_assert(strstr(run(req), "{\"ids\":\"m2\"}") != NULL);
	/* a bad path, a wrong name, a later call, both forms given */
	const char *bad[] = {
	    "\"#ids\": {\"resultOf\": \"t0\", \"name\": \"Test/list\","
	    " \"path\": \"/nope\"}}, \"t1\"]]}",
	    "\"#ids\": {\"resultOf\": \"t0\", \"name\": \"Core/echo\","
	    " \"path\": \"/ids\"}}, \"t1\"]]}",
	    "\"#ids\": {\"resultOf\": \"t1\", \"name\": \"Core/echo\","
	    " \"path\": \"/ids\"}}, \"t1\"]]}",
	    "\"#ids\": {\"resultOf\": \"t0\", \"name\": \"Test/list\","
	    " \"path\": \"/ids/2\"}}, \"t1\"]]}",
	    "\"#ids\": {\"resultOf\": \"t0\", \"name\": \"Test/list\"}},"
	    " \"t1\"]]}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		snprintf(req, sizeof(req), "%s%s", prefix, bad[i]);
		test_assert_idx(strstr(run(req), "invalidResultReference") !=
		                    NULL,
		                i);
	}
	snprintf(req, sizeof(req), "%s%s", prefix,
	         "\"ids\": 1, \"#ids\": {\"resultOf\": \"t0\", \"name\":"
	         " \"Test/list\", \"path\": \"/ids\"}}, \"t1\"]]}");
	test_assert(strstr(run(req), "invalidArguments") != NULL);
	/* creation ids: made by t0, and given by the client */
	const char *out =
	    run("{\"using\": [\"urn:ietf:params:jmap:core\","
	               " \"urn:ietf:params:jmap:mail\"], \"methodCalls\":"
	               " [[\"Test/list\", {}, \"t0\"], [\"Test/resolve\","
	               " {\"id\": \"#k1\"}, \"t1\"], [\"Test/resolve\","
	               " {\"id\": \"#k2\"}, \"t2\"], [\"Test/resolve\","
	               " {\"id\": \"#k9\"}, \"t3\"]], \"createdIds\":"
	               " {\"k2\": \"m9\"}}");
	test_assert(strstr(out, "[\"Test/resolve\",{\"id\":\"m1\"},\"t1\"],"
	                        "[\"Test/resolve\",{\"id\":\"m9\"},\"t2\"],"
	                        "[\"Test/resolve\",{\"id\":null},\"t3\"]]") != NULL);
	test_assert(strstr(out, "\"createdIds\":{\"k1\":\"m1\",\"k2\":"
	                        "\"m9\"}") != NULL);
	test_end();
}

static void test_pointer(void)
{
	test_begin("jmap pointer");
	json_t *v = json_loads("{\"a/b\": [1, [2, 3]], \"m~n\": {\"x\": 4},"
	                       " \"l\": [{\"k\": [5, 6]}, {\"k\": [7]}]}",
	                       0, NULL);
	json_t *r = jmap_pointer_eval(v, "/a~1b/1/0", 100);
	test_assert(json_integer_value(r) == 2);
	json_decref(r);
	r = jmap_pointer_eval(v, "/m~0n/x", 100);
	test_assert(json_integer_value(r) == 4);
	json_decref(r);
	r = jmap_pointer_eval(v, "/l/*/k", 100);
	test_assert(json_array_size(r) == 3); /* flattened: 5, 6, 7 */
	json_decref(r);
	test_assert(jmap_pointer_eval(v, "/l/*/k", 2) == NULL);
	test_assert(jmap_pointer_eval(v, "/a~1b/01", 100) == NULL);
	test_assert(jmap_pointer_eval(v, "a", 100) == NULL);
	json_decref(v);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
	    test_request_parse, test_exec, test_references, test_pointer, NULL};
	return test_run(tests);
}
