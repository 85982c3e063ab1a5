/* Unit tests for postroomctl's size parsing and formatting. */
#include "postroomctl.h"
#include "test/test.h"

static void test_ctl_size_parse(void)
{
	test_begin("ctl size parse");
	static const struct {
		const char *str;
		int ret;
		uint64_t size;
	} cases[] = {
	    {"0", 0, 0},
	    {"1234", 0, 1234},
	    {"1K", 0, 1024},
	    {"2m", 0, 2u << 20},
	    {"3G", 0, 3ull << 30},
	    {"1T", 0, 1ull << 40},
	    {"unlimited", 0, 0},
	    {"", -1, 0},
	    {"K", -1, 0},
	    {"-1", -1, 0},
	    {"1KB", -1, 0},
	    {"1X", -1, 0},
	    {"1.5G", -1, 0},
	    {"18446744073709551616", -1, 0},
	    {"99999999999T", -1, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		uint64_t size = 0;
		int ret = ctl_size_parse(cases[i].str, &size);
		test_assert_idx(ret == cases[i].ret, i);
		if (ret == 0)
			test_assert_idx(size == cases[i].size, i);
	}
	test_end();
}

static void test_ctl_size_format(void)
{
	test_begin("ctl size format");
	test_assert_str(ctl_size_format(0, true), "unlimited");
	test_assert_str(ctl_size_format(0, false), "0");
	test_assert_str(ctl_size_format(1023, false), "1023");
	test_assert_str(ctl_size_format(1024, false), "1K");
	test_assert_str(ctl_size_format(1536 * 1024, false), "1.5M");
	test_assert_str(ctl_size_format(2ull << 30, true), "2G");
	test_assert_str(ctl_size_format(5ull << 50, true), "5120T");
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_ctl_size_parse,
	                                      test_ctl_size_format, NULL};
	return test_run(tests);
}
