/* Tests of the ManageSieve line parser: the commands of RFC 5804's
 * examples, quoted strings and literals {n+} and {n}, fed whole and one
 * byte at a time; syntax errors and limits, after which the rest of the
 * line (literals announced on it included) is dropped and the next line
 * parses. */
#include "core/buf.h"
#include "managesieve/managesieve_parser.h"
#include "test/test.h"

#include <stdio.h>
#include <string.h>

/* Feeds input (len bytes) in pieces of step bytes (0: all at once) and
 * describes each line: its tokens as A:atom S:string L:literal separated
 * by "|", or "ERR:<text>", one line per result, into out. */
static void run(const struct managesieve_parser_settings *set,
                const char *input, size_t len, size_t step, struct buf *out)
{
	struct managesieve_parser *p = managesieve_parser_new(set);
	size_t pos = 0, end = 0;
	while (pos < len) {
		if (end <= pos)
			end = step == 0 || pos + step > len ? len : pos + step;
		size_t consumed;
		const char *error;
		int ret = managesieve_parser_feed(
		    p, (const unsigned char *)input + pos, end - pos, &consumed,
		    &error);
		pos += consumed;
		if (ret < 0) {
			buf_printf(out, "ERR:%s\n", error);
			continue;
		}
		if (ret == 0)
			continue;
		size_t count;
		const struct managesieve_token *t =
		    managesieve_parser_tokens(p, &count);
		for (size_t i = 0; i < count; i++) {
			buf_append_str(out, i > 0 ? "|" : "");
			buf_append_char(out, t[i].type == MANAGESIEVE_TOKEN_ATOM
			                         ? 'A'
			                     : t[i].is_literal ? 'L'
			                                       : 'S');
			buf_append_char(out, ':');
			for (size_t k = 0; k < t[i].len; k++)
				buf_append_char(out, t[i].str[k] == '\0'
				                         ? '0'
				                         : t[i].str[k]);
		}
		buf_append_char(out, '\n');
	}
	managesieve_parser_free(&p);
}

struct parse_case {
	const char *input;
	const char *want;
};

static const struct parse_case cases[] = {
    /* RFC 5804 §1.8-§2 examples */
    {"CAPABILITY\r\n", "A:CAPABILITY\n"},
    {"Authenticate \"PLAIN\" \"QJIrweAPyo6Q1T9xu\"\r\n",
     "A:Authenticate|S:PLAIN|S:QJIrweAPyo6Q1T9xu\n"},
    {"Putscript \"foo\" {31+}\r\n#comment\r\nInvalidSieveCommand\r\n\r\n",
     "A:Putscript|S:foo|L:#comment\r\nInvalidSieveCommand\r\n\n"},
    {"HAVESPACE \"myscript\" 999999\r\n", "A:HAVESPACE|S:myscript|A:999999\n"},
    {"Setactive \"\"\r\n", "A:Setactive|S:\n"},
    {"RENAMESCRIPT \"foo\" \"bar\"\r\nLOGOUT\r\n",
     "A:RENAMESCRIPT|S:foo|S:bar\nA:LOGOUT\n"},
    {"NOOP \"STARTTLS-SYNC-42\"\r\n", "A:NOOP|S:STARTTLS-SYNC-42\n"},
    /* AUTHENTICATE continuation lines: one string */
    {"\"dGVzdA==\"\r\n{4+}\r\ndGVz\r\n\"*\"\r\n", "S:dGVzdA==\nL:dGVz\nS:*\n"},
    /* {n} as well as {n+}; literals anywhere; an empty literal */
    {"PUTSCRIPT {3}\r\nfoo {0+}\r\n\r\n", "A:PUTSCRIPT|L:foo|L:\n"},
    /* escapes, UTF-8, NUL inside a literal */
    {"X \"a\\\"b\\\\c\" \"\xc3\xa9t\xc3\xa9\"\r\n",
     "A:X|S:a\"b\\c|S:\xc3\xa9t\xc3\xa9\n"},
    /* LF alone ends a line; spaces are lenient; empty lines are lines */
    {"NOOP\n  LOGOUT   \r\n\r\n", "A:NOOP\nA:LOGOUT\n\n"},
    /* errors: the rest of the line goes, the next line parses */
    {"X \"abc\r\nNOOP\r\n", "ERR:Invalid character in quoted string\nA:NOOP\n"},
    {"X \"a\\nb\" \"c\"\r\nNOOP\r\n",
     "ERR:Invalid escape in quoted string\nA:NOOP\n"},
    {"X \"a\"\"b\"\r\nNOOP\r\n",
     "ERR:Missing space between arguments\nA:NOOP\n"},
    {"X (a)\r\nNOOP\r\n", "ERR:Invalid character\nA:NOOP\n"},
    {"X \"\xc3\x28\"\r\nNOOP\r\n", "ERR:Quoted string is not UTF-8\nA:NOOP\n"},
    {"X \"\xed\xa0\x80\"\r\nNOOP\r\n",
     "ERR:Quoted string is not UTF-8\nA:NOOP\n"},
    {"X {3x}\r\nNOOP\r\n", "ERR:Invalid literal\nA:NOOP\n"},
    {"X {}\r\nNOOP\r\n", "ERR:Invalid literal\nA:NOOP\n"},
    {"X {3+} \r\nNOOP\r\n", "ERR:Literal header must end the line\nA:NOOP\n"},
    {"X\rY\r\nNOOP\r\n", "ERR:CR without LF\nA:NOOP\n"},
    /* a wrong line that ends in a literal: its octets are dropped too,
       even when they look like commands */
    {"X ( {10+}\r\nLOGOUT\r\n12\r\nNOOP\r\n",
     "ERR:Invalid character\nA:NOOP\n"},
    {"X \"a\"\"b\" {6}\r\nLOGOUT\r\nNOOP\r\n",
     "ERR:Missing space between arguments\nA:NOOP\n"},
};

static void test_parse(void)
{
	test_begin("managesieve parser: lines whole and byte by byte");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = strlen(cases[i].input);
		for (size_t step = 0; step <= 1; step++) {
			struct buf out;
			buf_init(&out);
			run(NULL, cases[i].input, len, step, &out);
			test_assert_idx(strcmp(out.data, cases[i].want) == 0,
			                i * 2 + step);
			if (strcmp(out.data, cases[i].want) != 0)
				printf(
				    "case %zu step %zu: got '%s', want '%s'\n",
				    i, step, out.data, cases[i].want);
			buf_deinit(&out);
		}
	}
	/* a literal may hold a NUL */
	static const char nul[] = "X {3+}\r\na\0b\r\n";
	struct buf out;
	buf_init(&out);
	run(NULL, nul, sizeof(nul) - 1, 1, &out);
	test_assert_str(out.data, "A:X|L:a0b\n");
	buf_deinit(&out);
	test_end();
}

static void test_limits(void)
{
	test_begin("managesieve parser: limits");
	const struct managesieve_parser_settings set = {
	    .max_line = 40, .max_literal = 10, .max_tokens = 3};
	struct buf out;
	buf_init(&out);
	/* a literal over max_literal: refused at its header, its octets and
	   the rest of its line dropped */
	const char *in = "PUTSCRIPT \"a\" {11+}\r\nLOGOUT\r\nXXX\r\nNOOP\r\n";
	run(&set, in, strlen(in), 0, &out);
	test_assert_str(out.data, "ERR:Literal too large\nA:NOOP\n");
	buf_truncate(&out, 0);
	run(&set, in, strlen(in), 1, &out);
	test_assert_str(out.data, "ERR:Literal too large\nA:NOOP\n");
	/* two literals within max_literal + max_line together */
	buf_truncate(&out, 0);
	in = "P {10+}\r\n0123456789 {10+}\r\n0123456789\r\n";
	run(&set, in, strlen(in), 1, &out);
	test_assert_str(out.data, "A:P|L:0123456789|L:0123456789\n");
	/* too many tokens, a literal among them */
	buf_truncate(&out, 0);
	in = "A B C {2+}\r\nxy\r\nNOOP\r\n";
	run(&set, in, strlen(in), 0, &out);
	test_assert_str(out.data, "ERR:Too many arguments\nA:NOOP\n");
	/* a line over max_line */
	buf_truncate(&out, 0);
	in = "NOOP \"0123456789012345678901234567890123456789\"\r\nNOOP\r\n";
	run(&set, in, strlen(in), 1, &out);
	test_assert_str(out.data, "ERR:Line too long\nA:NOOP\n");
	/* a literal size past 32 bits */
	buf_truncate(&out, 0);
	in = "P {99999999999+}\r\n";
	run(&set, in, strlen(in), 0, &out);
	test_assert_str(out.data, "ERR:Literal too large\n");
	buf_deinit(&out);

	/* a quoted string of 1024 octets passes, 1025 do not */
	struct buf line;
	buf_init(&line);
	buf_init(&out);
	buf_append_str(&line, "X \"");
	for (int i = 0; i < 1024; i++)
		buf_append_char(&line, 'q');
	buf_append_str(&line, "\"\r\n");
	run(NULL, line.data, line.len, 0, &out);
	test_assert(out.len == strlen("A:X|S:\n") + 1024);
	buf_truncate(&out, 0);
	buf_truncate(&line, 1024 + 3);
	buf_append_str(&line, "q\"\r\nNOOP\r\n");
	run(NULL, line.data, line.len, 0, &out);
	test_assert_str(out.data, "ERR:Quoted string too long\nA:NOOP\n");
	buf_deinit(&line);
	buf_deinit(&out);
	test_end();
}

static void test_pending_and_tokens(void)
{
	test_begin("managesieve parser: pending state, numbers, names");
	struct managesieve_parser *p = managesieve_parser_new(NULL);
	size_t consumed, count;
	const char *error;
	test_assert(!managesieve_parser_is_pending(p));
	const char *part = "HAVESPACE \"x\" 42";
	test_assert(managesieve_parser_feed(p, (const unsigned char *)part,
	                                    strlen(part), &consumed,
	                                    &error) == 0);
	test_assert(managesieve_parser_is_pending(p));
	test_assert(managesieve_parser_feed(p, (const unsigned char *)"\r\n", 2,
	                                    &consumed, &error) == 1);
	test_assert(!managesieve_parser_is_pending(p));
	const struct managesieve_token *t =
	    managesieve_parser_tokens(p, &count);
	uint32_t num = 0;
	test_assert(count == 3);
	test_assert(managesieve_token_is(&t[0], "havespace"));
	test_assert(!managesieve_token_is(&t[1], "x")); /* a string */
	test_assert(managesieve_token_number(&t[2], &num) && num == 42);
	test_assert(!managesieve_token_number(&t[1], &num));
	const struct managesieve_token big = {MANAGESIEVE_TOKEN_ATOM, false,
	                                      "4294967296", 10};
	const struct managesieve_token max = {MANAGESIEVE_TOKEN_ATOM, false,
	                                      "4294967295", 10};
	test_assert(!managesieve_token_number(&big, &num));
	test_assert(managesieve_token_number(&max, &num) && num == UINT32_MAX);
	/* the error names the command read so far */
	const char *bad = "PUTSCRIPT \"a\" {2000000+}\r\n";
	test_assert(managesieve_parser_feed(p, (const unsigned char *)bad,
	                                    strlen(bad), &consumed,
	                                    &error) == -1);
	test_assert(managesieve_parser_error(p) ==
	            MANAGESIEVE_PARSER_TOO_LARGE);
	t = managesieve_parser_tokens(p, &count);
	test_assert(count == 2 && managesieve_token_is(&t[0], "PUTSCRIPT"));
	test_assert(managesieve_parser_is_pending(p)); /* the octets follow */
	managesieve_parser_free(&p);
	test_assert(p == NULL);
	managesieve_parser_free(&p);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_parse, test_limits,
	                                      test_pending_and_tokens, NULL};
	return test_run(tests);
}
