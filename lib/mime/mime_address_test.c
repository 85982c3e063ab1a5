/* RFC 5322 address lists as ENVELOPE lists: names raw, groups as start
 * and end markers, routes, comments as names, missing domains, garbage. */
#include "core/buf.h"
#include "core/pool.h"
#include "mime/mime_address.h"
#include "test/test.h"

#include <string.h>

/* Renders a list as "name|route|mailbox|host;..." with - for NULL. */
static void render(const struct mime_address *a, struct buf *out)
{
	for (; a != NULL; a = a->next)
		buf_printf(out, "%s|%s|%s|%s;", a->name ? a->name : "-",
		           a->route ? a->route : "-",
		           a->is_group_end ? "-" : a->mailbox,
		           a->host ? a->host : "-");
}

static void test_address_parse(void)
{
	static const struct {
		const char *in, *want;
	} tests[] = {
	    {"a@b.c", "-|-|a|b.c;"},
	    {"Ann <a@b.c>", "Ann|-|a|b.c;"},
	    {"\"Doe, J.\" <j@x>, k@y", "Doe, J.|-|j|x;-|-|k|y;"},
	    {"=?utf-8?q?J=C3=B6rg?= <j@x>", "=?utf-8?q?J=C3=B6rg?=|-|j|x;"},
	    {"j@x (Jay Ex)", "Jay Ex|-|j|x;"},
	    {"g: a@x, b@y;", "-|-|g|-;-|-|a|x;-|-|b|y;-|-|-|-;"},
	    {"undisclosed-recipients:;",
	     "-|-|undisclosed-recipients|-;-|-|-|-;"},
	    {"<@r1,@r2:u@h>", "-|@r1,@r2|u|h;"},
	    {"user", "-|-|user|MISSING_DOMAIN;"},
	    {"\"quoted local\"@x", "-|-|quoted local|x;"},
	    {"John Q. Public <jqp@x>", "John Q. Public|-|jqp|x;"},
	    {"a@[127.0.0.1]", "-|-|a|[127.0.0.1];"},
	    {"<a@x", "-|-|a|x;"},
	    {"g: a@x", "-|-|g|-;-|-|a|x;-|-|-|-;"},
	    {",,, ;;; >>", ""},
	    {"\"unclosed <a@x>", ""},
	    {"", ""},
	    /* missing parts filled as Dovecot does */
	    {"@example.com", "-|-|MISSING_MAILBOX|example.com;"},
	    {"<>", "-|-|MISSING_MAILBOX|MISSING_DOMAIN;"},
	    {"Name <>", "Name|-|MISSING_MAILBOX|MISSING_DOMAIN;"},
	    {"<@route:>", "-|@route|MISSING_MAILBOX|MISSING_DOMAIN;"},
	    {"a@", "-|-|a|MISSING_DOMAIN;"},
	    {"Two Words", "Two Words|-|MISSING_MAILBOX|MISSING_DOMAIN;"},
	    {"\"x\"", "x|-|MISSING_MAILBOX|MISSING_DOMAIN;"},
	    {"\"\"@example.com", "-|-||example.com;"},
	    /* obs-domain: CFWS around the dots, but no dot no domain */
	    {"kim @ example . org", "-|-|kim|example.org;"},
	    {"a@b (c) d", "c|-|a|b;-|-|d|MISSING_DOMAIN;"},
	    /* RFC 5322 §4.4 obs-addr-list: empty members are nothing */
	    {"a@b,,c@d", "-|-|a|b;-|-|c|d;"},
	    {"g: a@b; h: c@d;",
	     "-|-|g|-;-|-|a|b;-|-|-|-;-|-|h|-;-|-|c|d;-|-|-|-;"},
	};
	test_begin("address parse");
	struct pool *pool = pool_new();
	for (size_t i = 0; i < sizeof(tests) / sizeof(*tests); i++) {
		struct mime_address *list;
		struct buf b;
		buf_init(&b);
		int ret = mime_address_parse((const unsigned char *)tests[i].in,
		                             strlen(tests[i].in), pool, &list);
		test_assert_idx(ret == (list != NULL ? 1 : 0), i);
		if (strcmp(tests[i].in, "\"unclosed <a@x>") != 0) {
			render(list, &b);
			test_assert_str(b.data, tests[i].want);
		}
		buf_deinit(&b);
	}
	pool_free(&pool);
	test_end();
}

/* A NUL is a byte like another (the parser once looped on it: it took
 * it for a special and never moved past it). */
static void test_address_nul(void)
{
	static const char in[] = "a\0b@x, \0, c@d (\0)";
	test_begin("address parse with NUL bytes");
	struct pool *pool = pool_new();
	struct mime_address *list;
	struct buf b;
	buf_init(&b);
	test_assert(mime_address_parse((const unsigned char *)in,
	                               sizeof(in) - 1, pool, &list) == 1);
	render(list, &b);
	test_assert_str(b.data, "-|-|a|x;-|-||MISSING_DOMAIN;|-|c|d;");
	buf_deinit(&b);
	pool_free(&pool);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_address_parse,
	                                      test_address_nul, NULL};
	return test_run(tests);
}
