/* Tests for imap_parser.c: every command is fed one byte at a time and
 * also in one piece; the parsed tree is rendered back as text and compared.
 * Covers tags, atoms with [sections], quoted strings, literals {n}, {n+}
 * and ~{n}, lists, limits (line, depth, literals, args), resyncing after
 * an error, and skipping the {n+} literals of a refused line (RFC 7888). */
#include "imap/imap_parser.h"
#include "core/buf.h"
#include "test/test.h"

#include <string.h>

/* Renders args as: atom "quoted" {literal} <streamed:n> (list). */
static void render(struct buf *out, const struct imap_arg *arg)
{
	for (; arg != NULL; arg = arg->next) {
		buf_append_char(out, ' ');
		switch (arg->type) {
		case IMAP_ARG_ATOM:
			buf_append_str(out, arg->str);
			break;
		case IMAP_ARG_QUOTED:
			buf_printf(out, "\"%s\"", arg->str);
			break;
		case IMAP_ARG_LITERAL:
			buf_printf(out, "%s{%s}", arg->is_literal8 ? "~" : "",
			           arg->str);
			break;
		case IMAP_ARG_STREAMED:
			buf_printf(out, "<streamed:%zu>", arg->len);
			break;
		case IMAP_ARG_LIST:
			buf_printf(out, "(%zu:", arg->count);
			render(out, arg->list);
			buf_append_char(out, ')');
			break;
		}
	}
}

/* Feeds in pieces of step bytes; accepts every literal, streams (skips)
 * literals over 8 bytes, refuses a literal8 outside APPEND as imapd does.
 * Renders "tag NAME args" per command, "BAD:error" per error, "+" per sync
 * literal, "BAD8" per refused literal8, "skip:n" per literal of a refused
 * line, joined by '|'. */
static void run(const char *in, size_t len, size_t step,
                const struct imap_parser_settings *set, struct buf *out)
{
	struct imap_parser *p = imap_parser_new(set);
	size_t pos = 0, stream_left = 0;
	while (pos < len) {
		size_t n = len - pos < step ? len - pos : step;
		if (stream_left > 0) {
			size_t k = n < stream_left ? n : stream_left;
			pos += k;
			stream_left -= k;
			if (stream_left == 0)
				imap_parser_literal_streamed(p);
			continue;
		}
		size_t consumed;
		enum imap_parser_event ev;
		const char *error;
		int ret = imap_parser_feed(p, (const unsigned char *)in + pos,
		                           n, &consumed, &ev, &error);
		pos += consumed;
		if (ret < 0) {
			buf_printf(out, "BAD:%s%s|", error,
			           imap_parser_tag(p) != NULL ? "(tag)" : "");
			continue;
		}
		if (ret == 0)
			continue;
		if (ev == IMAP_PARSER_SKIP) {
			uint64_t size;
			bool sync;
			unsigned depth;
			imap_parser_literal(p, &size, &sync, &depth);
			buf_printf(out, "skip:%llu%s|",
			           (unsigned long long)size,
			           sync ? "(sync)" : "");
			imap_parser_literal_skip(p);
			continue;
		}
		if (ev == IMAP_PARSER_LITERAL) {
			uint64_t size;
			bool sync;
			unsigned depth;
			imap_parser_literal(p, &size, &sync, &depth);
			if (imap_parser_literal_is_literal8(p) &&
			    strcmp(imap_parser_name(p), "APPEND") != 0) {
				buf_append_str(out, "BAD8|");
				imap_parser_literal_skip(p);
				continue;
			}
			if (sync)
				buf_append_str(out, "+|");
			if (size > 8) {
				stream_left = (size_t)size;
			} else {
				imap_parser_literal_accept(p);
			}
			continue;
		}
		buf_printf(out, "%s %s", imap_parser_tag(p),
		           imap_parser_name(p));
		render(out, imap_parser_args(p));
		buf_append_char(out, '|');
		imap_parser_reset(p);
	}
	imap_parser_free(&p);
}

struct parse_case {
	const char *in;
	const char *want;
};

static const struct parse_case parse_cases[] = {
    {"a1 NOOP\r\n", "a1 NOOP|"},
    {"a1 NOOP\n", "a1 NOOP|"},
    {"a1 noop \r\n", "a1 noop|"},
    {"A001 LOGIN bob \"pa ss\\\"w\"\r\n", "A001 LOGIN bob \"pa ss\"w\"|"},
    {"a LOGIN {3}\r\nbob {2+}\r\npw\r\n", "+|a LOGIN {bob} {pw}|"},
    {"a APPEND ~{2}\r\n\x00z\r\n", "+|a APPEND ~{}|"},
    /* "~" is an ATOM-CHAR; "~{" is a literal8, refused outside APPEND */
    {"a LIST \"\" ~foo ~ a~b\r\n", "a LIST \"\" ~foo ~ a~b|"},
    {"a X ~{3+}\r\nb X\r\nc NOOP\r\n", "BAD8|c NOOP|"},
    {"a X ~{3}\r\nc NOOP\r\n", "BAD8|c NOOP|"},
    {"a X ~{2+}\r\nxy {3+}\r\nb X\r\nc NOOP\r\n", "BAD8|skip:3|c NOOP|"},
    {"a FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (From To)]<0.10>)\r\n",
     "a FETCH 1:* (2: FLAGS BODY.PEEK[HEADER.FIELDS (From To)]<0.10>)|"},
    {"a STORE 1 +FLAGS (\\Seen \\Deleted)\r\n",
     "a STORE 1 +FLAGS (2: \\Seen \\Deleted)|"},
    {"a LIST \"\" %\r\n", "a LIST \"\" %|"},
    {"a X (a (b (c)) ())\r\n", "a X (3: a (2: b (1: c)) (0:))|"},
    {"a APPEND INBOX (\\Seen) {10}\r\n0123456789\r\n",
     "+|a APPEND INBOX (1: \\Seen) <streamed:10>|"},
    {"a APPEND INBOX {10+}\r\n0123456789\r\nb NOOP\r\n",
     "a APPEND INBOX <streamed:10>|b NOOP|"},
    {"a NOOP\r\nb NOOP\r\n", "a NOOP|b NOOP|"},
    /* errors, each followed by a good command to show the resync */
    {"+a NOOP\r\nb NOOP\r\n", "BAD:Invalid tag|b NOOP|"},
    {"a\r\nb NOOP\r\n", "BAD:Invalid tag|b NOOP|"},
    {"a \r\nb NOOP\r\n", "BAD:Missing command(tag)|b NOOP|"},
    {"a X (b\r\nb NOOP\r\n", "BAD:Missing ')'(tag)|b NOOP|"},
    {"a X b)\r\nb NOOP\r\n", "BAD:Unexpected ')'(tag)|b NOOP|"},
    {"a X \"abc\r\nb NOOP\r\n", "BAD:Unterminated quoted string(tag)|"
                                "b NOOP|"},
    {"a X \"a\\b\"\r\nb NOOP\r\n",
     "BAD:Invalid escape in quoted string(tag)|b NOOP|"},
    {"a X {x}\r\nb NOOP\r\n", "BAD:Invalid literal size(tag)|b NOOP|"},
    {"a X {3} \r\nb NOOP\r\n", "BAD:Literal must end its line(tag)|b NOOP|"},
    {"a X {99999999999999999999999}\r\nb NOOP\r\n",
     "BAD:Literal size too large(tag)|b NOOP|"},
    {"a X \"a\"b\r\nb NOOP\r\n",
     "BAD:Missing space between arguments(tag)|b NOOP|"},
    {"a X a\rb\r\nb NOOP\r\n", "BAD:CR without LF(tag)|b NOOP|"},
    {"a X a[b\r\nb NOOP\r\n", "BAD:Missing ']'(tag)|b NOOP|"},
    {"a X\x01\r\nb NOOP\r\n", "BAD:Invalid command name(tag)|b NOOP|"},
    {"a X ((((((((((((((((((x))))))))))))))))))\r\nb NOOP\r\n",
     "BAD:Too deeply nested(tag)|b NOOP|"},
    /* a refused line's {n+} octets are skipped, never commands */
    {"a X ) {5+}\r\nb X\r\n\r\nc NOOP\r\n",
     "BAD:Unexpected ')'(tag)|skip:5|c NOOP|"},
    {"a X ) {3+}\r\nabc {2+}\r\nxy\r\nc NOOP\r\n",
     "BAD:Unexpected ')'(tag)|skip:3|skip:2|c NOOP|"},
    {"a X ) {0+}\r\n\r\nc NOOP\r\n", "BAD:Unexpected ')'(tag)|skip:0|c NOOP|"},
    {"a X ) {2+}\r\r\nxy\r\nc NOOP\r\n",
     "BAD:Unexpected ')'(tag)|skip:2|c NOOP|"},
    {"a X ) \"q {1+}\r\n)\r\nc NOOP\r\n",
     "BAD:Unexpected ')'(tag)|skip:1|c NOOP|"},
    {"a X ) {99999999999999999999999+}\r\n",
     "BAD:Unexpected ')'(tag)|skip:18446744073709551615|"},
    /* not a literal: "+" missing (the client waits for "+"), or not at
     * the end of the line */
    {"a X ) {5}\r\nc NOOP\r\n", "BAD:Unexpected ')'(tag)|c NOOP|"},
    {"a X ) {5+} x\r\nc NOOP\r\n", "BAD:Unexpected ')'(tag)|c NOOP|"},
    {"a X ) {5+x}\r\nc NOOP\r\n", "BAD:Unexpected ')'(tag)|c NOOP|"},
    /* a literal accepted, then the line refused after it */
    {"a X {2+}\r\nxy ) {3+}\r\nb X\r\nc NOOP\r\n",
     "BAD:Unexpected ')'(tag)|skip:3|c NOOP|"},
};

static void test_parse(void)
{
	test_begin("imap_parser cases, byte by byte and whole");
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(*parse_cases);
	     i++) {
		const struct parse_case *c = &parse_cases[i];
		size_t len = strlen(c->in);
		if (strstr(c->in, "~{2}\r\n") != NULL)
			len = 19; /* holds a NUL */
		static const size_t steps[] = {1, 3, 1000};
		for (size_t s = 0; s < 3; s++) {
			struct buf out;
			buf_init(&out);
			run(c->in, len, steps[s], NULL, &out);
			test_assert_idx(strcmp(out.data, c->want) == 0,
			                i * 10 + s);
			if (strcmp(out.data, c->want) != 0)
				test_assert_str(out.data, c->want);
			buf_deinit(&out);
		}
	}
	test_end();
}

static void test_limits(void)
{
	test_begin("imap_parser limits");
	struct imap_parser_settings set = {
	    .max_line = 20, .max_literals = 2, .max_depth = 2, .max_args = 5};
	static const struct parse_case cases[] = {
	    {"a X 0123456789012345678\r\nb NOOP\r\n",
	     "BAD:Command line too long(tag)|b NOOP|"},
	    {"a X {1+}\r\nx {1+}\r\ny {1+}\r\nz\r\nb NOOP\r\n",
	     "BAD:Too many literals(tag)|skip:1|b NOOP|"},
	    {"a X 0123456789012345678 {3+}\r\nb X\r\nc NOOP\r\n",
	     "BAD:Command line too long(tag)|skip:3|c NOOP|"},
	    {"a X 0123456789 {3+}\r\nb X\r\nc NOOP\r\n",
	     "BAD:Command line too long(tag)|skip:3|c NOOP|"},
	    {"a X ((x))\r\n", "a X (1: (1: x))|"},
	    {"a X (((x)))\r\nb NOOP\r\n", "BAD:Too deeply nested(tag)|b NOOP|"},
	    {"a X 1 2 3 4 5 6\r\nb NOOP\r\n",
	     "BAD:Too many arguments(tag)|b NOOP|"},
	    /* a literal past max_args is refused at its "{n}", so that one
	     * the caller streams is not lost (imap_parser_fuzz) */
	    {"a X 1 2 3 4 5 {9+}\r\n123456789\r\nb NOOP\r\n",
	     "BAD:Too many arguments(tag)|skip:9|b NOOP|"},
	    {"a X 1 2 3 4 5 {9}\r\nb NOOP\r\n",
	     "BAD:Too many arguments(tag)|b NOOP|"},
	    /* literal data does not count against the line */
	    {"a X {30+}\r\n012345678901234567890123456789\r\n",
	     "a X <streamed:30>|"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct buf out;
		buf_init(&out);
		run(cases[i].in, strlen(cases[i].in), 1, &set, &out);
		if (strcmp(out.data, cases[i].want) != 0)
			test_assert_str(out.data, cases[i].want);
		buf_deinit(&out);
	}
	test_end();
}

static void test_helpers(void)
{
	test_begin("imap_arg helpers");
	struct imap_arg a = {
	    .type = IMAP_ARG_ATOM, .str = "4294967295", .len = 10};
	uint32_t n = 0;
	test_assert(imap_arg_get_number(&a, &n) && n == 4294967295u);
	a.str = "4294967296";
	test_assert(!imap_arg_get_number(&a, &n));
	a.str = "12a";
	a.len = 3;
	test_assert(!imap_arg_get_number(&a, &n));
	a.str = "NIL";
	test_assert(imap_arg_atom_equals(&a, "nil"));
	const char *s;
	test_assert(imap_arg_get_astring(&a, &s) && strcmp(s, "NIL") == 0);
	struct imap_arg l = {.type = IMAP_ARG_LIST};
	test_assert(!imap_arg_get_astring(&l, &s));
	test_end();
}

/* imap_parser_last_arg() at each literal of an APPEND ... CATENATE line
 * names what precedes it: none at the top before the mailbox, "TEXT" or
 * "URL" inside the list (cmd_append streams TEXT and buffers URL). */
static void test_last_arg(void)
{
	test_begin("imap_parser_last_arg at literals");
	static const char cmd[] = "a APPEND {5}\r\nINBOX CATENATE (TEXT {1}"
	                          "\r\nx URL {3}\r\n/;U)\r\n";
	static const char *const want[] = {NULL, "TEXT", "URL"};
	static const unsigned want_depth[] = {0, 1, 1};
	struct imap_parser *p = imap_parser_new(NULL);
	const unsigned char *data = (const unsigned char *)cmd;
	size_t size = sizeof(cmd) - 1, used, n = 0;
	enum imap_parser_event ev;
	const char *error;
	while (size > 0) {
		int ret = imap_parser_feed(p, data, size, &used, &ev, &error);
		data += used;
		size -= used;
		test_assert(ret >= 0);
		if (ret <= 0 || ev != IMAP_PARSER_LITERAL)
			continue;
		uint64_t lsize;
		bool is_sync;
		unsigned depth;
		imap_parser_literal(p, &lsize, &is_sync, &depth);
		const struct imap_arg *last = imap_parser_last_arg(p);
		test_assert_idx(n < 3, n);
		if (n < 3) {
			test_assert_idx(depth == want_depth[n], n);
			test_assert_idx(want[n] == NULL
			                    ? last == NULL
			                    : imap_arg_atom_equals(last, want[n]),
			                n);
		}
		n++;
		imap_parser_literal_accept(p);
	}
	test_assert_int(n, 3);
	test_assert_int(imap_parser_arg_count(p), 3);
	imap_parser_free(&p);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_parse, test_limits,
	                                      test_helpers, test_last_arg,
	                                      NULL};
	return test_run(tests);
}
