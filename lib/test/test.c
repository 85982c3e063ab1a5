/* The unit-test harness: counts, failure messages, a scratch directory. */
#define _XOPEN_SOURCE 700 /* nftw */
#include "test/test.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *current;
static bool current_failed;
static unsigned passed, failed;
static char tmpdir[4096];

void test_begin(const char *name)
{
	current = name;
	current_failed = false;
}

void test_end(void)
{
	if (current_failed) {
		failed++;
		printf("FAIL %s\n", current);
	} else {
		passed++;
		printf("ok   %s\n", current);
	}
	fflush(stdout);
	current = NULL;
}

static void fail_header(const char *file, int line)
{
	current_failed = true;
	printf("  %s:%d: in \"%s\": ", file, line, current ? current : "?");
}

void test_assert_at(bool ok, const char *expr, const char *file, int line)
{
	if (ok)
		return;
	fail_header(file, line);
	printf("assertion failed: %s\n", expr);
}

void test_assert_idx_at(bool ok, const char *expr, long long idx,
			const char *file, int line)
{
	if (ok)
		return;
	fail_header(file, line);
	printf("assertion failed at index %lld: %s\n", idx, expr);
}

void test_assert_str_at(const char *got, const char *want, const char *file,
			int line)
{
	if (got == NULL && want == NULL)
		return;
	if (got != NULL && want != NULL && strcmp(got, want) == 0)
		return;
	fail_header(file, line);
	printf("got \"%s\", want \"%s\"\n", got ? got : "(null)",
	       want ? want : "(null)");
}

void test_assert_int_at(long long got, long long want, const char *expr,
			const char *file, int line)
{
	if (got == want)
		return;
	fail_header(file, line);
	printf("%s: got %lld, want %lld\n", expr, got, want);
}

static int rm_cb(const char *path, const struct stat *st, int flag,
		 struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

const char *test_tmpdir(void)
{
	if (tmpdir[0] == '\0') {
		const char *base = getenv("TMPDIR");
		snprintf(tmpdir, sizeof(tmpdir), "%s/postroom-unit-XXXXXX",
			 base ? base : "/tmp");
		if (mkdtemp(tmpdir) == NULL) {
			perror("mkdtemp");
			abort();
		}
	}
	return tmpdir;
}

int test_run(void (*const tests[])(void))
{
	for (size_t i = 0; tests[i] != NULL; i++)
		tests[i]();
	if (tmpdir[0] != '\0')
		nftw(tmpdir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	printf("%u passed, %u failed\n", passed, failed);
	return failed == 0 ? 0 : 1;
}
