/* Tests of the settings block (sieve_managed.h): a vacation written and
 * read back (text, HTML, subject with quotes, dates), the block placed
 * after a script's own requires and cut out again, the requires it needs,
 * a script that does not compile refused, and the dates obeyed by the
 * interpreter itself: a reply inside [fromDate, toDate), none outside. */
#include "core/pool.h"
#include "rules/sieve_managed.h"
#include "test/test.h"

#include <stdlib.h>
#include <string.h>

static const struct sieve_settings set = SIEVE_SETTINGS_DEFAULT;

/* Puts the block of m into script (without a block), into out. */
static int place(const char *script, const struct sieve_managed *m,
                 struct buf *out, struct sieve_error *error)
{
	return sieve_managed_place("t", script, strlen(script), m, &set, out,
	                           error);
}

static void test_vacation_round_trip(void)
{
	test_begin("vacation written and read back");
	struct pool *pool = pool_new();
	const char *addrs[] = {"bob@example.org", "robert@example.org"};
	struct sieve_vacation v = {
	    .is_enabled = true,
	    .days = 3,
	    .subject = "Away \"until\" Monday \\o/",
	    .addresses = addrs,
	    .address_count = 2,
	    .text = "Back soon.\nBob",
	    .html = "<p>Back <b>soon</b>.</p>",
	    .from_date = 1800000000,
	    .to_date = 1800086400,
	};
	struct sieve_managed m, again;
	struct sieve_vacation got;
	struct sieve_error error;
	struct buf out;
	size_t start, end;
	sieve_managed_init(&m);
	sieve_managed_init(&again);
	buf_init(&out);
	sieve_managed_set_vacation(&m, &v);
	test_assert(place("", &m, &out, &error) == 0);
	test_assert(strstr(out.data, "require [\"date\", \"relational\", "
	                             "\"vacation\"];") != NULL);
	test_assert(sieve_managed_find(out.data, &start, &end, &again));
	test_assert_int(start, 0);
	test_assert_int(end, out.len);
	test_assert(sieve_managed_get_vacation(&again, &set, pool, &got) == 1);
	test_assert(got.is_enabled);
	test_assert_int(got.days, 3);
	test_assert_str(got.subject, v.subject);
	test_assert(got.from == NULL);
	test_assert_int(got.address_count, 2);
	test_assert_str(got.addresses[1], "robert@example.org");
	test_assert_str(got.text, v.text);
	test_assert_str(got.html, v.html);
	test_assert_int(got.from_date, v.from_date);
	test_assert_int(got.to_date, v.to_date);

	/* text only, no dates: a plain vacation command */
	struct sieve_vacation plain = {.is_enabled = true, .days = 7,
	                               .text = "Gone fishing."};
	sieve_managed_set_vacation(&m, &plain);
	test_assert(strncmp(m.vacation.data, "vacation :days 7\n", 17) == 0);
	test_assert(sieve_managed_get_vacation(&m, &set, pool, &got) == 1);
	test_assert_str(got.text, "Gone fishing.");
	test_assert(got.html == NULL && got.subject == NULL);
	test_assert_int(got.from_date, 0);
	test_assert_int(got.to_date, 0);

	/* only an end; only HTML (the text is made from it) */
	struct sieve_vacation html = {.is_enabled = true,
	                              .html = "<div>a &amp; b<br>c</div>",
	                              .to_date = 1800000000};
	sieve_managed_set_vacation(&m, &html);
	test_assert(sieve_managed_get_vacation(&m, &set, pool, &got) == 1);
	test_assert_str(got.text, "a & b\nc");
	test_assert_str(got.html, html.html);
	test_assert_int(got.from_date, 0);
	test_assert_int(got.to_date, 1800000000);

	/* off: no section */
	sieve_managed_set_vacation(&m, &(struct sieve_vacation){0});
	test_assert(!m.has_vacation);
	test_assert(sieve_managed_get_vacation(&m, &set, pool, &got) == 0);
	test_assert(!got.is_enabled);
	sieve_managed_deinit(&m);
	sieve_managed_deinit(&again);
	buf_deinit(&out);
	pool_free(&pool);
	test_end();
}

static void test_place(void)
{
	test_begin("the block goes after the script's requires");
	static const char script[] =
	    "require \"fileinto\";\n"
	    "if header :contains \"subject\" \"x\" { fileinto \"X\"; }\n";
	struct sieve_managed m, found;
	struct sieve_error error;
	struct buf out, rest, again;
	size_t start, end;
	sieve_managed_init(&m);
	sieve_managed_init(&found);
	buf_init(&out);
	buf_init(&rest);
	buf_init(&again);
	const char *targets[] = {"ann@example.net"};
	sieve_managed_set_forward(&m, targets, 1, true);
	sieve_managed_set_vacation(
	    &m, &(struct sieve_vacation){.is_enabled = true, .text = "x"});
	test_assert(place(script, &m, &out, &error) == 0);
	static const char head[] = "require \"fileinto\";\n" SIEVE_MANAGED_BEGIN
	                           "require [\"copy\", \"vacation\"];\n";
	test_assert(strncmp(out.data, head, strlen(head)) == 0);
	test_assert(strstr(out.data, "redirect :copy \"ann@example.net\";") !=
	            NULL);
	test_assert(sieve_managed_find(out.data, &start, &end, &found));
	test_assert(found.has_forward && found.has_vacation);
	/* cut out and placed empty: the script as it was */
	buf_append(&rest, out.data, start);
	buf_append_str(&rest, out.data + end);
	sieve_managed_set_forward(&found, NULL, 0, false);
	sieve_managed_set_vacation(&found, &(struct sieve_vacation){0});
	test_assert(place(rest.data, &found, &again, &error) == 0);
	test_assert_str(again.data, script);
	test_assert(sieve_managed_is_empty(" \n\t", 3));
	test_assert(!sieve_managed_is_empty("keep;", 5));
	sieve_managed_deinit(&m);
	sieve_managed_deinit(&found);
	buf_deinit(&out);
	buf_deinit(&rest);
	buf_deinit(&again);
	test_end();
}

static void test_broken_script(void)
{
	test_begin("a script that does not compile is refused");
	struct sieve_managed m;
	struct sieve_error error;
	struct buf out;
	sieve_managed_init(&m);
	buf_init(&out);
	sieve_managed_set_vacation(
	    &m, &(struct sieve_vacation){.is_enabled = true, .text = "x"});
	test_assert(place("fileinto \"X\";\n", &m, &out, &error) < 0);
	test_assert(strstr(error.message, "does not compile") != NULL);
	sieve_managed_deinit(&m);
	buf_deinit(&out);
	test_end();
}

/* Runs the block of v over a message at now; returns the result. */
static char *run_at(const struct sieve_vacation *v, time_t now)
{
	static const char msg[] = "From: ann@example.net\r\n"
	                          "To: me@example.com\r\n"
	                          "Subject: hello\r\n\r\nhi\r\n";
	struct sieve_managed m;
	struct sieve_error error;
	struct sieve_script *script = NULL;
	struct buf text, out;
	sieve_managed_init(&m);
	buf_init(&text);
	buf_init(&out);
	sieve_managed_set_vacation(&m, v);
	if (place("", &m, &text, &error) == 0 &&
	    sieve_compile((const unsigned char *)text.data, text.len, "t",
	                  &set, &script, &error) == 0) {
		struct sieve_mail mail = {
		    .data = (const unsigned char *)msg,
		    .size = strlen(msg),
		    .full_size = strlen(msg),
		    .envelope_from = "ann@example.net",
		    .envelope_to = "me@example.com",
		    .user = "me@example.com",
		    .now = now,
		};
		struct sieve_run *run = sieve_run_new(&set, &mail, NULL);
		const struct sieve_result *result;
		if (sieve_run_script(run, script, &error) >= 0 &&
		    sieve_run_finish(run, &result, &error) == 0)
			sieve_result_describe(result, &out);
		sieve_run_free(&run);
		sieve_script_free(&script);
	}
	sieve_managed_deinit(&m);
	buf_deinit(&text);
	char *s = buf_detach(&out);
	buf_deinit(&out);
	return s;
}

static void test_dates_obeyed(void)
{
	test_begin("replies only from fromDate until before toDate");
	const struct sieve_vacation v = {.is_enabled = true,
	                                 .text = "away",
	                                 .from_date = 1800000000,
	                                 .to_date = 1800086400};
	static const struct {
		time_t now;
		bool replies;
	} cases[] = {
	    {1799999999, false}, {1800000000, true}, {1800050000, true},
	    {1800086399, true},  {1800086400, false}, {1900000000, false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *got = run_at(&v, cases[i].now);
		test_assert_idx((strstr(got, "vacation") != NULL) ==
		                    cases[i].replies,
		                i);
		test_assert_idx(strstr(got, "keep") != NULL, i);
		free(got);
	}
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
	    test_vacation_round_trip, test_place, test_broken_script,
	    test_dates_obeyed, NULL};
	return test_run(tests);
}
