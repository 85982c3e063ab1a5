/* Fuzzer for the ManageSieve line parser (managesieve_parser.c) as sieved
 * drives it: the input is a client's byte stream. Every line's tokens are
 * checked against the limits (count, quoted size, literal size, valid
 * UTF-8 in quoted strings, atoms of ATOM-CHARs), written back with the
 * reply writer and parsed again, which must give the same tokens. The
 * input is fed whole, one byte at a time and cut in two at several
 * places: the parser is incremental, so every way of cutting it must give
 * the same transcript. Each input runs with sieved's limits and with small
 * ones. */
#include "core/buf.h"
#include "managesieve/managesieve_parser.h"
#include "managesieve/managesieve_reply.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(expr)                                                            \
	do {                                                                   \
		if (!(expr))                                                   \
			abort();                                               \
	} while (0)

static void check_tokens(const struct managesieve_parser_settings *set,
                         const struct managesieve_token *t, size_t count)
{
	CHECK(count <= set->max_tokens);
	for (size_t i = 0; i < count; i++) {
		CHECK(t[i].str[t[i].len] == '\0');
		if (t[i].type == MANAGESIEVE_TOKEN_ATOM) {
			CHECK(t[i].len > 0 && !t[i].is_literal);
			for (size_t k = 0; k < t[i].len; k++)
				CHECK(t[i].str[k] > 0x20 &&
				      t[i].str[k] < 0x7f &&
				      strchr("\"(){}\\", t[i].str[k]) == NULL);
		} else if (t[i].is_literal) {
			CHECK(t[i].len <= set->max_literal);
		} else {
			CHECK(t[i].len <= MANAGESIEVE_QUOTED_MAX);
			CHECK(memchr(t[i].str, '\r', t[i].len) == NULL);
			CHECK(memchr(t[i].str, '\n', t[i].len) == NULL);
			CHECK(memchr(t[i].str, '\0', t[i].len) == NULL);
		}
	}
}

/* Writes tokens back as a client would (strings with the server's own
 * writer) and parses that: the same tokens must come back. */
static void check_roundtrip(const struct managesieve_parser_settings *set,
                            const struct managesieve_token *t, size_t count)
{
	struct buf line;
	buf_init(&line);
	for (size_t i = 0; i < count; i++) {
		if (i > 0)
			buf_append_char(&line, ' ');
		if (t[i].type == MANAGESIEVE_TOKEN_ATOM)
			buf_append(&line, t[i].str, t[i].len);
		else
			managesieve_string_append(&line, t[i].str, t[i].len);
	}
	buf_append_str(&line, "\r\n");
	struct managesieve_parser_settings big = *set;
	big.max_line = line.len + 1;
	struct managesieve_parser *p = managesieve_parser_new(&big);
	size_t consumed, again;
	const char *error;
	int ret = managesieve_parser_feed(p, (const unsigned char *)line.data,
	                                  line.len, &consumed, &error);
	CHECK(ret == 1 && consumed == line.len);
	const struct managesieve_token *u =
	    managesieve_parser_tokens(p, &again);
	CHECK(again == count);
	for (size_t i = 0; i < count; i++)
		CHECK(u[i].type == t[i].type && u[i].len == t[i].len &&
		      memcmp(u[i].str, t[i].str, t[i].len) == 0);
	managesieve_parser_free(&p);
	buf_deinit(&line);
}

/* Feeds data in pieces cut at cut (0: whole; 1 byte each when step is
 * set) and returns the transcript. */
static void transcript(const struct managesieve_parser_settings *set,
                       const uint8_t *data, size_t size, size_t cut,
                       bool is_bytewise, struct buf *out)
{
	struct managesieve_parser *p = managesieve_parser_new(set);
	size_t pos = 0;
	while (pos < size) {
		size_t end = is_bytewise ? pos + 1 : pos < cut ? cut : size;
		size_t consumed, count;
		const char *error;
		int ret = managesieve_parser_feed(p, data + pos, end - pos,
		                                  &consumed, &error);
		CHECK(consumed <= end - pos);
		CHECK(ret != 0 || consumed == end - pos);
		pos += consumed;
		const struct managesieve_token *t =
		    managesieve_parser_tokens(p, &count);
		if (ret < 0) {
			buf_printf(out, "E%d:%s\n",
			           (int)managesieve_parser_error(p), error);
			continue;
		}
		if (ret == 0)
			continue;
		CHECK(!managesieve_parser_is_pending(p));
		check_tokens(set, t, count);
		if (!is_bytewise && cut == 0)
			check_roundtrip(set, t, count);
		buf_printf(out, "L%zu", count);
		for (size_t i = 0; i < count; i++) {
			buf_printf(out, " %d:%zu:", (int)t[i].type, t[i].len);
			buf_append(out, t[i].str, t[i].len);
		}
		buf_append_char(out, '\n');
	}
	managesieve_parser_free(&p);
}

static void run(const struct managesieve_parser_settings *set,
                const uint8_t *data, size_t size)
{
	struct buf whole, other;
	buf_init(&whole);
	buf_init(&other);
	transcript(set, data, size, 0, false, &whole);
	transcript(set, data, size, 0, true, &other);
	CHECK(other.len == whole.len &&
	      memcmp(other.data, whole.data, whole.len) == 0);
	for (size_t k = 1; k <= 5 && size > 1; k++) {
		buf_truncate(&other, 0);
		transcript(set, data, size, size * k / 6, false, &other);
		CHECK(other.len == whole.len &&
		      memcmp(other.data, whole.data, whole.len) == 0);
	}
	buf_deinit(&whole);
	buf_deinit(&other);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* sieved's limits, then small ones that the input can reach */
	const struct managesieve_parser_settings sieved = {
	    .max_line = 8192, .max_literal = 1024 * 1024, .max_tokens = 8};
	const struct managesieve_parser_settings small = {
	    .max_line = 24, .max_literal = 16, .max_tokens = 3};
	run(&sieved, data, size);
	run(&small, data, size);
	return 0;
}
