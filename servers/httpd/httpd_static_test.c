/* Tests for httpd_static.c: which paths below web_root may reach the file
 * system (hashed assets, index.html) and which may not (hidden files,
 * empty, "." and ".." segments, folders, characters outside the set). */
#include "httpd.h"
#include "test/test.h"

static const struct {
	const char *rel;
	bool is_valid;
} cases[] = {
    {"index.html", true},
    {"assets/app-4X2KQ7ZB.js", true},
    {"assets/app-4X2KQ7ZB.js.gz", true},
    {"a/b/c_d-e.f", true},
    {"", false},
    {".", false},
    {"..", false},
    {"../etc/passwd", false},
    {"assets/../../x", false},
    {".stamp", false},
    {"assets/.hidden", false},
    {"assets/", false},
    {"assets//x.js", false},
    {"/index.html", false},
    {"a b.html", false},
    {"a%2Fb.html", false},
    {"a\\b.html", false},
    {"caf\xc3\xa9.html", false},
    {"x.html?y", false},
};

static void test_static_path(void)
{
	test_begin("static path");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		test_assert_idx(httpd_static_path_is_valid(cases[i].rel) ==
		                    cases[i].is_valid,
		                (long long)i);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_static_path, NULL};
	return test_run(tests);
}
