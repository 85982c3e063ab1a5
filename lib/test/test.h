/* Unit-test harness (STYLE.md §9, after Dovecot's test-common). A test file
 * defines functions that call test_begin(), some assertions, test_end(), and
 * a main() that returns test_run() over a NULL-terminated table of them:
 *
 *   static void test_buf_append(void)
 *   {
 *           test_begin("buf append");
 *           ...
 *           test_assert_str(b.data, "abc");
 *           test_end();
 *   }
 *   int main(void) { static void (*const t[])(void) = { test_buf_append,
 *                    NULL }; return test_run(t); }
 *
 * A failed assertion prints "file:line: got X, want Y" and marks the current
 * test failed; the test goes on so one run shows every failure. */
#ifndef TEST_TEST_H
#define TEST_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void test_begin(const char *name);
void test_end(void);
/* Returns 0 if every test passed, 1 otherwise (the exit status for main). */
int test_run(void (*const tests[])(void));

void test_assert_at(bool ok, const char *expr, const char *file, int line);
void test_assert_idx_at(bool ok, const char *expr, long long idx,
			const char *file, int line);
void test_assert_str_at(const char *got, const char *want, const char *file,
			int line);
void test_assert_int_at(long long got, long long want, const char *expr,
			const char *file, int line);
/* Returns a new empty directory under $TMPDIR (or /tmp) for this test run;
 * removed with everything in it by test_run at exit. */
const char *test_tmpdir(void);

#define test_assert(expr) test_assert_at(!!(expr), #expr, __FILE__, __LINE__)
/* For table-driven tests: names the failing row. */
#define test_assert_idx(expr, idx)                                            \
	test_assert_idx_at(!!(expr), #expr, (long long)(idx), __FILE__, __LINE__)
#define test_assert_str(got, want)                                            \
	test_assert_str_at((got), (want), __FILE__, __LINE__)
#define test_assert_int(got, want)                                            \
	test_assert_int_at((long long)(got), (long long)(want), #got, __FILE__, \
			   __LINE__)

#endif
