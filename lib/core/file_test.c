/* Tests for file.c: free space of a file system. */
#include "core/file.h"
#include "test/test.h"

#include <errno.h>
#include <stdio.h>
#include <sys/statvfs.h>

static void test_file_free_space(void)
{
	test_begin("file_free_space");
	uint64_t bytes = 0;
	struct statvfs st;
	test_assert(file_free_space(test_tmpdir(), &bytes) == 0);
	test_assert(statvfs(test_tmpdir(), &st) == 0);
	/* the same figure statvfs gives, give or take what others wrote */
	uint64_t want = (uint64_t)st.f_bavail * st.f_frsize;
	uint64_t diff = bytes > want ? bytes - want : want - bytes;
	test_assert(diff < 64u * 1024 * 1024);
	test_assert(file_free_space("/nonexistent/postroom", &bytes) < 0);
	test_assert_int(errno, ENOENT);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_file_free_space, NULL};
	return test_run(tests);
}
