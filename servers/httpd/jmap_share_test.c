/* Tests for jmap_share.c: shares grouped into one account per owner, the
 * capabilities such an account has (RFC 8620 §3.6.2
 * accountNotSupportedByMethod for the others), and states that carry the
 * shares' fingerprint. */
#include "core/pool.h"
#include "jmap_dav.h"
#include "jmap_share.h"
#include "test/test.h"

#include <string.h>

static const struct store_dav_share shares[] = {
    {.owner = "alice@example.org",
     .collection_id = 3,
     .kind = STORE_DAV_ADDRESSBOOK,
     .access = STORE_DAV_ACCESS_READ},
    {.owner = "carol@example.org",
     .collection_id = 1,
     .kind = STORE_DAV_CALENDAR,
     .access = STORE_DAV_ACCESS_READ},
    {.owner = "alice@example.org",
     .collection_id = 7,
     .kind = STORE_DAV_CALENDAR,
     .access = STORE_DAV_ACCESS_READ_WRITE},
};

static void test_share_group(void)
{
	test_begin("jmap share group");
	struct jmap_share_account a[3];
	size_t n = jmap_share_group(shares, 3, a);
	test_assert_int(n, 2);
	test_assert_str(a[0].owner, "alice@example.org");
	test_assert(a[0].has_book && a[0].has_calendar && a[0].is_writable);
	test_assert_str(a[1].owner, "carol@example.org");
	test_assert(!a[1].has_book && a[1].has_calendar && !a[1].is_writable);
	test_assert(a[0].book_print != 0 && a[0].calendar_print != 0);
	test_assert(a[1].book_print == 0);
	/* the order of the rows does not change a fingerprint */
	const struct store_dav_share rev[] = {shares[2], shares[1], shares[0]};
	struct jmap_share_account b[3];
	test_assert_int(jmap_share_group(rev, 3, b), 2);
	test_assert_str(b[0].owner, "alice@example.org");
	test_assert(b[0].book_print == a[0].book_print);
	test_assert(b[0].calendar_print == a[0].calendar_print);
	/* nor does a changed access go unnoticed */
	struct store_dav_share ro = shares[2];
	ro.access = STORE_DAV_ACCESS_READ;
	const struct store_dav_share changed[] = {shares[0], ro};
	test_assert_int(jmap_share_group(changed, 2, b), 1);
	test_assert(!b[0].is_writable);
	test_assert(b[0].calendar_print != a[0].calendar_print);
	test_assert(jmap_share_print(&b[0], STORE_DAV_ADDRESSBOOK) ==
	            a[0].book_print);
	test_assert_int(jmap_share_group(shares, 0, b), 0);
	test_end();
}

static void test_share_allows(void)
{
	test_begin("jmap share allows");
	struct jmap_share_account book = {.has_book = true};
	struct jmap_share_account cal = {.has_calendar = true};
	static const struct {
		const char *cap;
		bool book, cal;
	} cases[] = {
	    {JMAP_CAP_CONTACTS, true, false},
	    {JMAP_CAP_CALENDARS, false, true},
	    {JMAP_CAP_TASKS, false, true},
	    {JMAP_CAP_JOURNAL, false, true},
	    {JMAP_CAP_MAIL, false, false},
	    {JMAP_CAP_SUBMISSION, false, false},
	    {JMAP_CAP_CORE, false, false},
	    {"urn:ietf:params:jmap:sieve", false, false},
	    {JMAP_CAP_VACATION, false, false},
	    {NULL, false, false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		test_assert_idx(
		    jmap_share_allows(&book, cases[i].cap) == cases[i].book, i);
		test_assert_idx(
		    jmap_share_allows(&cal, cases[i].cap) == cases[i].cal, i);
	}
	test_end();
}

static void test_share_state(void)
{
	test_begin("jmap share state");
	struct pool *pool = pool_new();
	const char *s = jmap_share_state(pool, 42, 0x1234abcdULL);
	test_assert_str(s, "42:000000001234abcd");
	uint64_t m = 0;
	test_assert(jmap_share_state_parse(s, 0x1234abcdULL, &m) == 0);
	test_assert(m == 42);
	/* another fingerprint: the shares changed since */
	test_assert(jmap_share_state_parse(s, 0x1234abceULL, &m) < 0);
	static const char *const bad[] = {
	    "42",
	    "",
	    ":000000001234abcd",
	    "42:1234abcd",
	    "42:000000001234ABCD",
	    "x42:000000001234abcd",
	    "42:000000001234abcd0",
	    "42:00000000-234abcd",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		test_assert_idx(
		    jmap_share_state_parse(bad[i], 0x1234abcdULL, &m) < 0, i);
	test_assert(jmap_share_state_parse(NULL, 0, &m) < 0);
	s = jmap_share_state(pool, 0, UINT64_MAX);
	test_assert(jmap_share_state_parse(s, UINT64_MAX, &m) == 0 && m == 0);
	pool_free(&pool);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
	    test_share_group, test_share_allows, test_share_state, NULL};
	return test_run(tests);
}
