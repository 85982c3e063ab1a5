/* Tests for imap_seqset.c: parsing, "*" resolution (including n:* past the
 * end, RFC 9051 §9 seq-range), membership and compact writing. */
#include "imap/imap_seqset.h"
#include "core/buf.h"
#include "core/pool.h"
#include "test/test.h"

#include <string.h>

struct seq_case {
	const char *in;
	int ret;
	uint32_t star;
	const char *members; /* numbers 1..12 in the set, as "1,2,5" */
};

static const struct seq_case cases[] = {
    {"1", 1, 10, "1"},           {"1:3,7", 1, 10, "1,2,3,7"},
    {"3:1", 1, 10, "1,2,3"},     {"*", 1, 10, "10"},
    {"8:*", 1, 10, "8,9,10"},    {"12:*", 1, 10, "10,11,12"},
    {"*:9", 1, 10, "9,10"},      {"1,1,2", 1, 10, "1,2"},
    {"4294967296", -1, 0, NULL}, {"0", -1, 0, NULL},
    {"1:0", -1, 0, NULL},        {"", -1, 0, NULL},
    {"1,", -1, 0, NULL},         {",1", -1, 0, NULL},
    {"1:", -1, 0, NULL},         {"1::2", -1, 0, NULL},
    {"01", -1, 0, NULL},         {"1 2", -1, 0, NULL},
    {"$", -1, 0, NULL},          {"99999999999999", -1, 0, NULL},
};

static void test_parse(void)
{
	test_begin("imap_seqset parse and contains");
	struct pool *pool = pool_new();
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct imap_seqset set;
		int ret = imap_seqset_parse(cases[i].in, pool, &set);
		test_assert_idx(ret == cases[i].ret, i);
		if (ret < 0 || cases[i].ret < 0)
			continue;
		imap_seqset_resolve(&set, cases[i].star);
		struct buf got;
		buf_init(&got);
		for (uint32_t n = 1; n <= 12; n++) {
			if (!imap_seqset_contains(&set, n))
				continue;
			if (got.len > 0)
				buf_append_char(&got, ',');
			buf_printf(&got, "%u", n);
		}
		test_assert_str(got.data, cases[i].members);
		buf_deinit(&got);
	}
	pool_free(&pool);
	test_end();
}

/* 4294967295 is a number, not "*" (RFC 9051 §9 nz-number) */
static void test_largest(void)
{
	test_begin("imap_seqset 4294967295");
	struct pool *pool = pool_new();
	struct imap_seqset set;
	test_assert(imap_seqset_parse("1:4294967295", pool, &set) == 1);
	imap_seqset_resolve(&set, 3);
	test_assert(imap_seqset_contains(&set, 1));
	test_assert(imap_seqset_contains(&set, 3));
	test_assert(imap_seqset_contains(&set, 4000000000u));
	test_assert(imap_seqset_contains(&set, UINT32_MAX));
	test_assert(imap_seqset_parse("4294967295", pool, &set) == 1);
	imap_seqset_resolve(&set, 3);
	test_assert(!imap_seqset_contains(&set, 3));
	test_assert(imap_seqset_contains(&set, UINT32_MAX));
	test_assert(imap_seqset_parse("4294967295:*", pool, &set) == 1);
	imap_seqset_resolve(&set, 3);
	test_assert(imap_seqset_contains(&set, 3));
	test_assert(!imap_seqset_contains(&set, 2));
	test_assert_int(imap_seqset_max(&set), UINT32_MAX);
	/* an empty mailbox: "*" is 0 and matches nothing real */
	test_assert(imap_seqset_parse("*", pool, &set) == 1);
	imap_seqset_resolve(&set, 0);
	test_assert(!imap_seqset_contains(&set, 1));
	pool_free(&pool);
	test_end();
}

static void test_write(void)
{
	test_begin("imap_seqset write");
	static const uint32_t a[] = {1, 2, 3, 5, 7, 8, 10};
	struct buf out;
	buf_init(&out);
	imap_seqset_write(&out, a, 7);
	test_assert_str(out.data, "1:3,5,7:8,10");
	buf_truncate(&out, 0);
	imap_seqset_write(&out, a, 0);
	test_assert_str(out.data, "");
	buf_truncate(&out, 0);
	imap_seqset_write(&out, a + 3, 1);
	test_assert_str(out.data, "5");
	buf_deinit(&out);
	struct pool *pool = pool_new();
	struct imap_seqset set;
	test_assert(imap_seqset_parse("4,2:3,*", pool, &set) == 1);
	imap_seqset_resolve(&set, 9);
	test_assert_int(imap_seqset_max(&set), 9);
	pool_free(&pool);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_parse, test_largest,
	                                      test_write, NULL};
	return test_run(tests);
}
