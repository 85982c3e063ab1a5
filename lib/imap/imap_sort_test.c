/* Tests for imap_sort.c: RFC 5256 §2.1 base subjects (with the reply or
 * forward marker), RFC 5322 dates, first-mailbox keys, sort programs and
 * the ordering with REVERSE and the sequence-number tie break. */
#include "imap/imap_sort.h"
#include "core/buf.h"
#include "core/pool.h"
#include "imap/imap_parser.h"
#include "test/test.h"

#include <string.h>

static const struct {
	const char *in, *want;
	bool is_reply;
} subject_cases[] = {
    {"Re: [fwd: Subject] (fwd)", "Subject", true},
    {"Subject", "Subject", false},
    {"  Subject  ", "Subject", false},
    {"Re: Subject", "Subject", true},
    {"RE: re: Fwd: FW: Subject", "Subject", true},
    {"Re[2]: Subject", "Subject", true},
    {"Re [2]: Subject", "Subject", true},
    {"[list] Re: Subject", "Subject", true},
    {"[list] Subject", "Subject", false},
    {"[list]", "[list]", false},
    {"[a][b] Subject", "Subject", false},
    {"Subject (fwd) (FWD)", "Subject", true},
    {"[Fwd: Re: Subject]", "Subject", true},
    {"Re:\tSubject\t\twith   tabs", "Subject with tabs", true},
    {"Fwd:", "", true},
    {"", "", false},
    {"Reply to all", "Reply to all", false},
    {"Re: [fwd: Re: x] (fwd)", "x", true},
    {"Re: Subject\r\n (fwd)", "Subject", true},
};

static void test_base_subject(void)
{
	test_begin("imap_sort base subject (RFC 5256 §2.1)");
	for (size_t i = 0; i < sizeof(subject_cases) / sizeof(*subject_cases);
	     i++) {
		struct buf out;
		buf_init(&out);
		bool is_reply =
		    imap_sort_base_subject(subject_cases[i].in, &out);
		test_assert_str(out.data, subject_cases[i].want);
		test_assert_idx(is_reply == subject_cases[i].is_reply, i);
		buf_deinit(&out);
	}
	test_end();
}

static const struct {
	const char *in;
	int ret;
	long long want;
} date_cases[] = {
    {"Thu, 01 Jan 1970 00:00:00 +0000", 0, 0},
    {"1 Jan 1970 01:00:00 +0100", 0, 0},
    {"Fri, 13 Feb 2009 23:31:30 GMT", 0, 1234567890},
    {"Fri, 13 Feb 2009 18:31:30 -0500 (EST)", 0, 1234567890},
    {"Fri, 13 Feb 2009 15:31:30 PST", 0, 1234567890},
    {"13 Feb 09 23:31 +0000", 0, 1234567860},
    {"(comment) 13 feb 2009 23:31:30 Z", 0, 1234567890},
    {"13 Feb 109 23:31:30 +0000", 0, 1234567890},
    {"", -1, 0},
    {"yesterday", -1, 0},
    {"13 Foo 2009 23:31:30 +0000", -1, 0},
    {"13 Feb 2009 25:31:30 +0000", -1, 0},
    {"13 Feb 2009", -1, 0},
};

static void test_date(void)
{
	test_begin("imap_sort date parse (RFC 5322 §3.3)");
	for (size_t i = 0; i < sizeof(date_cases) / sizeof(*date_cases); i++) {
		time_t t = 0;
		int ret = imap_sort_date_parse(date_cases[i].in, &t);
		test_assert_idx(ret == date_cases[i].ret, i);
		if (ret == 0)
			test_assert_int(t, date_cases[i].want);
	}
	test_end();
}

static const struct {
	const char *in, *want;
} addr_cases[] = {
    {"Ann <ann@example.com>", "ann"},
    {"bob@example.com, ann@example.com", "bob"},
    {"team: Zed <zed@example.com>;, ann@example.com", "zed"},
    {"undisclosed-recipients:;", ""},
    {"", ""},
    {NULL, ""},
};

static void test_addr(void)
{
	test_begin("imap_sort first mailbox");
	struct pool *pool = pool_new();
	for (size_t i = 0; i < sizeof(addr_cases) / sizeof(*addr_cases); i++)
		test_assert_str(imap_sort_addr_key(addr_cases[i].in, pool),
		                addr_cases[i].want);
	pool_free(&pool);
	test_end();
}

/* Builds an argument list of atoms from a space-separated string. */
static struct imap_arg *atoms(struct pool *pool, const char *str)
{
	struct imap_arg *head = NULL, **tail = &head;
	char *copy = pool_strdup(pool, str);
	for (char *tok = strtok(copy, " "); tok != NULL;
	     tok = strtok(NULL, " ")) {
		struct imap_arg *a = pool_alloc(pool, sizeof(*a));
		a->type = IMAP_ARG_ATOM;
		a->str = tok;
		a->len = strlen(tok);
		*tail = a;
		tail = &a->next;
	}
	return head;
}

static const struct {
	const char *program;
	int ret;
	const char *order; /* sequence numbers after sorting */
} sort_cases[] = {
    {"ARRIVAL", 0, "1 2 3 4"},
    {"REVERSE ARRIVAL", 0, "4 3 2 1"},
    {"SUBJECT", 0, "2 4 1 3"},
    {"SUBJECT REVERSE DATE", 0, "4 2 1 3"},
    {"SIZE", 0, "1 2 3 4"},
    {"REVERSE SIZE", 0, "4 3 2 1"},
    {"FROM DATE", 0, "3 2 4 1"},
    {"TO", 0, "1 2 3 4"},
    {"cc REVERSE from", 0, "1 4 2 3"},
    {"DATE", 0, "2 4 3 1"},
    {"DISPLAYFROM", 0, "1 4 3 2"},
    {"REVERSE DISPLAYTO SIZE", 0, "2 4 3 1"},
    {"", -1, NULL},
    {"REVERSE", -1, NULL},
    {"SUBJECT BOGUS", -1, NULL},
};

static const struct imap_sort_msg sort_msgs[] = {
    {1, 10, 100, 1000, 400, "b", "zed", "a", "x", "Adam", "x@h"},
    {2, 11, 200, 1001, 100, "a", "bob", "a", "y", "zed@h", "Yvonne"},
    {3, 12, 300, 1002, 300, "B", "ann", "a", "y", "bob@h", "Xavier"},
    {4, 13, 400, 1003, 200, "A", "Bob", "a", "x", "adam", "Yvonne"},
};

static void test_sort(void)
{
	test_begin("imap_sort program and order");
	struct pool *pool = pool_new();
	for (size_t i = 0; i < sizeof(sort_cases) / sizeof(*sort_cases); i++) {
		struct imap_sort_program program;
		const char *error = NULL;
		int ret = imap_sort_program_parse(
		    atoms(pool, sort_cases[i].program), &program, &error);
		test_assert_idx(ret == sort_cases[i].ret, i);
		if (ret < 0) {
			test_assert_idx(error != NULL, i);
			continue;
		}
		struct imap_sort_msg m[4];
		memcpy(m, sort_msgs, sizeof(m));
		imap_sort_msgs(m, 4, &program);
		struct buf got;
		buf_init(&got);
		for (size_t j = 0; j < 4; j++)
			buf_printf(&got, "%s%u", j > 0 ? " " : "", m[j].seq);
		test_assert_str(got.data, sort_cases[i].order);
		buf_deinit(&got);
	}
	pool_free(&pool);
	test_end();
}

/* RFC 4790 §9.2: i;ascii-casemap maps a-z to A-Z, then compares octets */
static void test_casemap(void)
{
	test_begin("imap_sort i;ascii-casemap");
	test_assert(imap_sort_casemap_cmp("abc", "ABC") == 0);
	test_assert(imap_sort_casemap_cmp("apple", "Zebra") < 0);
	test_assert(imap_sort_casemap_cmp("zebra", "[x") < 0);
	test_assert(imap_sort_casemap_cmp("Zebra", "_x") < 0);
	test_assert(imap_sort_casemap_cmp("[x", "_x") < 0);
	test_assert(imap_sort_casemap_cmp("a", "ab") < 0);
	test_assert(imap_sort_casemap_cmp("", "a") < 0);
	test_assert(imap_sort_casemap_cmp("\xc3\xa4", "z") > 0);
	test_assert(imap_sort_casemap_cmp("@", "a") < 0);
	test_end();
}

/* RFC 5957 §3: the display name, decoded (RFC 2047), else the address */
static void test_display(void)
{
	static const struct {
		const char *value, *want;
	} cases[] = {
	    {"Alice Smith <alice@example.org>", "Alice Smith"},
	    {"\"Smith, Bob\" <bob@example.org>, c@x", "Smith, Bob"},
	    {"=?UTF-8?Q?J=C3=B6rg?= <j@example.org>", "J\xc3\xb6rg"},
	    {"<nobody@example.org>", "nobody@example.org"},
	    {"plain@example.org", "plain@example.org"},
	    {"\"\" <empty@example.org>", "empty@example.org"},
	    {"Team: Zed <zed@x>;", "Zed"},
	    {"undisclosed-recipients:;", ""},
	    {NULL, ""},
	};
	test_begin("imap_sort display key");
	struct pool *pool = pool_new();
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		test_assert_str(imap_sort_display_key(cases[i].value, pool),
		                cases[i].want);
	pool_free(&pool);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_base_subject, test_date,
	                                      test_addr,         test_sort,
	                                      test_casemap,      test_display,
	                                      NULL};
	return test_run(tests);
}
