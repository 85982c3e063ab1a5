/* Tests of the Sieve compiler: every example script of the RFCs (the
 * seeds in tests/fuzz/sieve_parser, named after their RFC and section)
 * compiles; broken scripts fail with the line and column of the fault
 * and a message that says what is wrong; the limits of the settings
 * hold; the lexer's corners (multi-line strings, escapes, comments,
 * numbers with quantifiers, encoded characters of RFC 5228 §2.4.2.4). */
#include "core/buf.h"
#include "rules/sieve_private.h"
#include "test/test.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *seed_dir;
static const struct sieve_settings settings = SIEVE_SETTINGS_DEFAULT;

static int compile(const char *src, struct sieve_script **script_r,
                   struct sieve_error *error_r)
{
	return sieve_compile((const unsigned char *)src, strlen(src), "test",
	                     &settings, script_r, error_r);
}

static char *file_read(const char *path, size_t *size_r)
{
	FILE *f = fopen(path, "rb");
	struct buf b;
	char chunk[4096];
	size_t n;
	if (f == NULL)
		return NULL;
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	*size_r = b.len;
	char *data = buf_detach(&b);
	buf_deinit(&b);
	return data;
}

static void test_rfc_examples(void)
{
	test_begin("every RFC example script compiles");
	DIR *d = opendir(seed_dir);
	test_assert(d != NULL);
	int count = 0;
	struct dirent *de;
	while (d != NULL && (de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		if (len < 7 || strcmp(de->d_name + len - 6, ".sieve") != 0)
			continue;
		char path[1024];
		size_t size;
		snprintf(path, sizeof(path), "%s/%s", seed_dir, de->d_name);
		char *src = file_read(path, &size);
		struct sieve_script *script = NULL;
		struct sieve_error error;
		int ret = sieve_compile((const unsigned char *)src, size,
		                        de->d_name, &settings, &script, &error);
		if (ret < 0)
			printf("%s:%u:%u: %s\n", de->d_name, error.line,
			       error.column, error.message);
		test_assert_idx(ret == 0, count);
		sieve_script_free(&script);
		free(src);
		count++;
	}
	if (d != NULL)
		closedir(d);
	test_assert(count >= 30);
	test_end();
}

static void test_errors(void)
{
	static const struct {
		const char *src;
		unsigned line, column;
		const char *message;
	} cases[] = {
	    {"keep", 1, 5, "expected ';' or '{', got end of script"},
	    {"keep;\nfileinto \"x\";", 2, 1,
	     "fileinto needs require \"fileinto\""},
	    {"require \"nosuch\";", 1, 9, "unsupported extension \"nosuch\""},
	    {"keep;\nrequire \"fileinto\";", 2, 1,
	     "require must come before other commands"},
	    {"if true {\n  keep;\n", 3, 1, "expected '}', got end of script"},
	    {"if header :is \"a\" \"b\" {}\n  else {} else {}", 2, 11,
	     "else without a preceding if"},
	    {"elsif true {}", 1, 1, "elsif without a preceding if"},
	    {"if header :foo \"a\" \"b\" {}", 1, 11,
	     "unknown tag ':foo' for header"},
	    {"if header :is :contains \"a\" \"b\" {}", 1, 15,
	     "':contains' conflicts with an earlier tag"},
	    {"if header \"a\" :is \"b\" {}", 1, 15,
	     "tags must come before the other arguments"},
	    {"if header \"a\" {}", 1, 4, "header needs 2 arguments"},
	    {"if frobnicate {}", 1, 4, "unknown test 'frobnicate'"},
	    {"frobnicate;", 1, 1, "unknown command 'frobnicate'"},
	    {"redirect \"not an address\";", 1, 10,
	     "redirect needs a valid address"},
	    {"if size 100 {}", 1, 4, "size needs :over or :under"},
	    {"if true;", 1, 1, "if needs a block"},
	    {"keep {}", 1, 1, "keep takes no block"},
	    {"if header :comparator \"i;foo\" \"a\" \"b\" {}", 1, 23,
	     "unknown comparator \"i;foo\""},
	    {"if header :comparator \"i;ascii-numeric\" \"a\" \"b\" {}", 1, 23,
	     "comparator \"i;ascii-numeric\" needs require "
	     "\"comparator-i;ascii-numeric\""},
	    {"require [\"relational\"];\nif header :count \"xx\" \"a\" \"b\" "
	     "{}",
	     2, 18, "relation must be gt, ge, lt, le, eq or ne"},
	    {"if header :is \"bad:name\" \"b\" {}", 1, 15,
	     "invalid header name \"bad:name\""},
	    {"require \"regex\";\nif header :regex \"s\" \"(\" {}", 2, 22,
	     "invalid regex"},
	    {"require \"regex\";\nif header :regex \"s\" \"(a)\\\\1\" {}", 2,
	     22, "regex back-references are not supported"},
	    {"require \"regex\";\nif header :regex \"s\" "
	     "\"((a{1,100}){1,100})\" "
	     "{}",
	     2, 22, "regex repeats too much"},
	    /* found by the fuzzer: each "+" copies what it follows */
	    {"require \"regex\";\nif header :regex \"s\" "
	     "\"^(.*++++++++++++++++++++++++++++++)\" {}",
	     2, 22, "regex repeats too much"},
	    {"require \"date\";\nif date \"date\" \"fortnight\" \"1\" {}", 2,
	     16, "unknown date part"},
	    {"require \"date\";\nif date :zone \"+25\" \"date\" \"day\" \"1\" "
	     "{}",
	     2, 15, ":zone must be +hhmm or -hhmm"},
	    {"require \"variables\";\nset \"1a\" \"x\";", 2, 5,
	     "invalid variable name"},
	    {"require \"imap4flags\";\nsetflag \"\\\\Bogus\";", 2, 9,
	     "invalid flag \"\\Bogus\""},
	    {"require \"encoded-character\";\nkeep; if header :is \"a\" "
	     "\"${unicode:D800}\" {}",
	     2, 25, "encoded character outside Unicode"},
	    {"require \"enotify\";\nnotify \"xmpp:a@b\";", 2, 8,
	     "unsupported or invalid notification method"},
	    {"require \"vacation\";\nvacation :days 1 :seconds 2 \"x\";", 2, 18,
	     "':seconds' needs require \"vacation-seconds\""},
	    {"if header :is \"a\" \"b\" \"c\" {}", 1, 23,
	     "too many arguments for header"},
	    {"if anyof () {}", 1, 11, "expected test, got ')'"},
	    {"if not {}", 1, 4, "not needs one test"},
	    {"stop true;", 1, 6, "stop takes no test"},
	    {"keep;\n/* open", 2, 1, "unterminated comment"},
	    {"if header :is \"a\" \"b", 1, 19, "unterminated string"},
	    {"require \"reject\";\nreject text: x\n", 2, 8,
	     "text: must end its line"},
	    {"require \"reject\";\nreject text:\nno end\n", 2, 8,
	     "unterminated text: string"},
	    {"if size :over 99999999999999999999 {}", 1, 15,
	     "number too large"},
	    {"if size :over 5X {}", 1, 16, "bad character after number"},
	    {"keep; @", 1, 7, "unexpected character '@'"},
	    {"require \"variables\";\nif string \"${foo.bar}\" \"\" {}", 2, 11,
	     "unknown variable namespace"},
	    {"require \"include\";\ninclude \"../x\";", 2, 9,
	     "invalid script name"},
	};
	test_begin("errors name line, column and what is wrong");
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct sieve_script *script = NULL;
		struct sieve_error error;
		int ret = compile(cases[i].src, &script, &error);
		test_assert_idx(ret == -1, i);
		if (ret == 0) {
			sieve_script_free(&script);
			continue;
		}
		if (error.line != cases[i].line ||
		    error.column != cases[i].column ||
		    strcmp(error.message, cases[i].message) != 0)
			printf("case %zu: got %u:%u %s\n", i, error.line,
			       error.column, error.message);
		test_assert_idx(error.line == cases[i].line, i);
		test_assert_idx(error.column == cases[i].column, i);
		test_assert_idx(strcmp(error.message, cases[i].message) == 0,
		                i);
	}
	test_end();
}

/* Returns the first string argument of the first command of src. */
static const struct sieve_string *first_string(struct sieve_script *script)
{
	struct sieve_node *node = script->first;
	while (node->next != NULL && node->def->id == SIEVE_CMD_REQUIRE)
		node = node->next;
	if (node->tests != NULL)
		node = node->tests[0];
	return &node->pos[node->pos_count - 1]->strings[0];
}

static void test_strings(void)
{
	static const struct {
		const char *src;
		const char *want;
		size_t want_len;
	} cases[] = {
	    /* RFC 5228 §2.4.2: \" and \\ escape, other \x is x */
	    {"if header :is \"a\" \"q\\\"b\\\\c\\d\" {}", "q\"b\\cd", 6},
	    /* a multi-line string keeps CRLF; ".." loses one dot */
	    {"require \"reject\";\nreject text:\r\nline 1\n..dot\n.\n;",
	     "line 1\r\n.dot\r\n", 14},
	    {"require \"reject\";\nreject text: # comment\nx\n.\n;", "x\r\n",
	     3},
	    /* RFC 5228 §2.4.2.4 examples */
	    {"require \"encoded-character\";\nif header :is \"a\" "
	     "\"$${hex:40}\" {}",
	     "$@", 2},
	    {"require \"encoded-character\";\nif header :is \"a\" "
	     "\"${hex: 40 }\" {}",
	     "@", 1},
	    {"require \"encoded-character\";\nif header :is \"a\" "
	     "\"${HEX: 40}\" {}",
	     "@", 1},
	    {"require \"encoded-character\";\nif header :is \"a\" "
	     "\"${hex:40\" {}",
	     "${hex:40", 8},
	    {"require \"encoded-character\";\nif header :is \"a\" "
	     "\"${hex:400}\" {}",
	     "${hex:400}", 10},
	    {"require \"encoded-character\";\nif header :is \"a\" "
	     "\"${hex:4${hex:30}}\" {}",
	     "${hex:40}", 9},
	    {"require \"encoded-character\";\nif header :is \"a\" "
	     "\"${unicode:40}\" {}",
	     "@", 1},
	    {"require \"encoded-character\";\nif header :is \"a\" "
	     "\"${ unicode:40}\" {}",
	     "${ unicode:40}", 14},
	    {"require \"encoded-character\";\nif header :is \"a\" "
	     "\"${UnICoDE:0000040}\" {}",
	     "@", 1},
	    {"require \"encoded-character\";\nif header :is \"a\" "
	     "\"${Unicode:Cool}\" {}",
	     "${Unicode:Cool}", 15},
	    {"require \"encoded-character\";\nif header :is \"a\" "
	     "\"${unicode:20AC 41}\" {}",
	     "\xe2\x82\xac"
	     "A",
	     4},
	    /* without the require, nothing is decoded */
	    {"if header :is \"a\" \"${hex:40}\" {}", "${hex:40}", 9},
	};
	test_begin("strings: escapes, text:, encoded characters");
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct sieve_script *script = NULL;
		struct sieve_error error;
		if (compile(cases[i].src, &script, &error) < 0) {
			printf("case %zu: %u:%u %s\n", i, error.line,
			       error.column, error.message);
			test_assert_idx(false, i);
			continue;
		}
		const struct sieve_string *s = first_string(script);
		test_assert_idx(s->len == cases[i].want_len, i);
		test_assert_idx(memcmp(s->data, cases[i].want, s->len) == 0, i);
		sieve_script_free(&script);
	}
	/* RFC 5228 §2.4.2.4: out of range only when well-formed */
	struct sieve_script *script = NULL;
	struct sieve_error error;
	test_assert(compile("require \"encoded-character\";\nif header :is "
	                    "\"a\" \"${unicode:200000}\" {}",
	                    &script, &error) < 0);
	test_assert(compile("require \"encoded-character\";\nif header :is "
	                    "\"a\" \"${Unicode:DF01}\" {}",
	                    &script, &error) < 0);
	test_assert(compile("require \"encoded-character\";\nif header :is "
	                    "\"a\" \"${Unicode:DF01\" {}",
	                    &script, &error) == 0);
	sieve_script_free(&script);
	test_end();
}

static void test_numbers(void)
{
	static const struct {
		const char *src;
		uint64_t want;
	} cases[] = {
	    {"if size :over 0 {}", 0},
	    {"if size :over 100 {}", 100},
	    {"if size :over 1K {}", 1024},
	    {"if size :over 2m {}", 2u << 20},
	    {"if size :over 3G {}", UINT64_C(3) << 30},
	};
	test_begin("numbers with K, M and G");
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct sieve_script *script = NULL;
		struct sieve_error error;
		test_assert_idx(compile(cases[i].src, &script, &error) == 0, i);
		if (script == NULL)
			continue;
		test_assert_idx(script->first->tests[0]->pos[0]->number ==
		                    cases[i].want,
		                i);
		sieve_script_free(&script);
	}
	test_end();
}

static void test_limits(void)
{
	struct sieve_settings set = SIEVE_SETTINGS_DEFAULT;
	struct sieve_script *script = NULL;
	struct sieve_error error;
	struct buf b;
	test_begin("limits: nesting, size, list length");
	set.max_nesting = 8;
	buf_init(&b);
	for (int i = 0; i < 9; i++)
		buf_append_str(&b, "if true {");
	buf_append_str(&b, "keep;");
	for (int i = 0; i < 9; i++)
		buf_append_str(&b, "}");
	test_assert(sieve_compile((const unsigned char *)b.data, b.len, "n",
	                          &set, &script, &error) < 0);
	test_assert_str(error.message, "nested deeper than 8");
	/* deep test nesting is bounded too (not not not ...) */
	buf_truncate(&b, 0);
	buf_append_str(&b, "if ");
	for (int i = 0; i < 100000; i++)
		buf_append_str(&b, "not ");
	buf_append_str(&b, "true {}");
	test_assert(sieve_compile((const unsigned char *)b.data, b.len, "n",
	                          &set, &script, &error) < 0);
	test_assert_str(error.message, "nested deeper than 8");
	set.max_script_size = 10;
	test_assert(sieve_compile((const unsigned char *)"keep; keep; keep;",
	                          17, "n", &set, &script, &error) < 0);
	test_assert_str(error.message, "script larger than 10 bytes");
	set = (struct sieve_settings)SIEVE_SETTINGS_DEFAULT;
	set.max_list_size = 3;
	test_assert(
	    sieve_compile((const unsigned char *)"if header :is \"a\" "
	                                         "[\"1\",\"2\",\"3\",\"4\"] {}",
	                  38, "n", &set, &script, &error) < 0);
	test_assert_str(error.message, "list longer than 3 strings");
	buf_deinit(&b);
	test_end();
}

static void test_nul_and_crlf(void)
{
	static const unsigned char src[] =
	    "require \"fileinto\";\r\nif header :is \"a\" \"x\0y\" {\r\n"
	    "  fileinto \"b\";\r\n}\r\n";
	struct sieve_script *script = NULL;
	struct sieve_error error;
	test_begin("NUL in strings and CRLF line ends");
	test_assert(sieve_compile(src, sizeof(src) - 1, "n", &settings, &script,
	                          &error) == 0);
	if (script != NULL) {
		const struct sieve_string *s =
		    &script->first->next->tests[0]->pos[1]->strings[0];
		test_assert(s->len == 3 && s->data[1] == '\0');
	}
	sieve_script_free(&script);
	/* a bad byte is named by its line and column */
	static const unsigned char bad[] = "keep;\r\n  \x01";
	test_assert(sieve_compile(bad, sizeof(bad) - 1, "n", &settings, &script,
	                          &error) < 0);
	test_assert(error.line == 2 && error.column == 3);
	test_assert_str(error.message, "unexpected byte 0x01");
	test_end();
}

static void test_require_end(void)
{
	static const struct {
		const char *src;
		size_t want;
	} cases[] = {
	    {"keep;", 0},
	    {"require \"fileinto\"; keep;", 19},
	    {"# c\nrequire [\"fileinto\",\n \"copy\"]; require \"envelope\";"
	     "\nkeep;",
	     54},
	    {"require [\"fileinto\", \"copy\"];\r\nrequire \"envelope\";\r\n"
	     "if true { keep; }",
	     50},
	};
	test_begin("where the leading requires end");
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct sieve_script *script = NULL;
		struct sieve_error error;
		test_assert_idx(compile(cases[i].src, &script, &error) == 0, i);
		if (script == NULL)
			continue;
		test_assert_idx(
		    sieve_script_require_end(script) == cases[i].want, i);
		sieve_script_free(&script);
	}
	test_end();
}

int main(int argc, char **argv)
{
	static void (*const tests[])(void) = {
	    test_rfc_examples, test_errors, test_strings,
	    test_numbers,      test_limits, test_nul_and_crlf,
	    test_require_end,  NULL,
	};
	seed_dir = argc > 1 ? argv[1] : "tests/fuzz/sieve_parser";
	return test_run(tests);
}
