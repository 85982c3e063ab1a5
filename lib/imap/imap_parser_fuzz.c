/* Fuzzer for the IMAP server's command parser (imap_parser.c) driven as
 * imapd drives it once the user is logged in: literals are accepted,
 * refused (a synchronizing one gets NO, a non-synchronizing one ends the
 * session, a literal8 outside APPEND gets BAD and is skipped), streamed by
 * the caller (APPEND's message, CATENATE TEXT parts) or skipped after a
 * refused line. Every command's tree is checked against the limits and
 * walked with the helpers commands use (numbers, sequence sets, mUTF-7
 * names, SORT and THREAD arguments); every literal it announced must be
 * one of its arguments. The input is fed whole, one byte at a time and in
 * two pieces cut at each boundary: the parser is incremental, so every way
 * of cutting it must give the same transcript. Each input runs with the
 * defaults imapd uses and with small limits. */
#include "core/buf.h"
#include "core/pool.h"
#include "imap/imap_parser.h"
#include "imap/imap_seqset.h"
#include "imap/imap_sort.h"
#include "imap/imap_thread.h"
#include "imap/imap_write.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* imapd's IMAPD_LITERAL_MAX and the default APPENDLIMIT: larger literals
 * are refused */
#define FUZZ_LITERAL_MAX (1024 * 1024)
#define FUZZ_APPEND_MAX (50 * 1024 * 1024)
/* Inputs up to this size are also cut in two at every byte boundary;
 * longer ones at FUZZ_SPLIT_SOME boundaries spread over them (feeding one
 * byte at a time cuts them everywhere at once). */
#define FUZZ_SPLIT_ALL 32
#define FUZZ_SPLIT_SOME 6

#define CHECK(expr)                                                            \
	do {                                                                   \
		if (!(expr))                                                   \
			abort();                                               \
	} while (0)

struct fuzz_limits {
	size_t max_literals;
	unsigned max_depth;
	size_t max_args;
};

/* A sequence set once resolved has ordered ranges whose ends are members,
 * and its largest end is its max. */
static void check_seqset(const char *str, struct pool *pool)
{
	struct imap_seqset set;
	if (imap_seqset_parse(str, pool, &set) < 0)
		return;
	CHECK(set.count > 0);
	static const uint32_t stars[] = {0, 1, 7, UINT32_MAX - 1};
	for (size_t s = 0; s < sizeof(stars) / sizeof(*stars); s++) {
		struct imap_seqset copy = set;
		copy.ranges = pool_alloc(pool, set.count * sizeof(*set.ranges));
		memcpy(copy.ranges, set.ranges,
		       set.count * sizeof(*set.ranges));
		imap_seqset_resolve(&copy, stars[s]);
		uint32_t max = 0;
		for (size_t i = 0; i < copy.count; i++) {
			const struct imap_seq_range *r = &copy.ranges[i];
			CHECK(r->first <= r->last);
			CHECK(imap_seqset_contains(&copy, r->first));
			CHECK(imap_seqset_contains(&copy, r->last));
			if (r->last > max)
				max = r->last;
		}
		CHECK(imap_seqset_max(&copy) == max);
	}
}

/* A name that decodes from mUTF-7 encodes and decodes back to itself. */
static void check_mailbox(const char *str, size_t len)
{
	if (strlen(str) != len)
		return; /* imapd refuses names with NULs */
	struct buf utf8, utf7, again;
	buf_init(&utf8);
	buf_init(&utf7);
	buf_init(&again);
	if (imap_utf7_decode(str, &utf8) == 0) {
		CHECK(imap_utf8_is_valid(utf8.data, utf8.len));
		CHECK(imap_utf7_encode(utf8.data, &utf7) == 0);
		CHECK(imap_utf7_decode(utf7.data, &again) == 0);
		CHECK(again.len == utf8.len &&
		      memcmp(again.data, utf8.data, utf8.len) == 0);
	}
	buf_deinit(&utf8);
	buf_deinit(&utf7);
	buf_deinit(&again);
}

static void check_helpers(const struct imap_arg *arg, struct pool *pool)
{
	uint32_t n32;
	uint64_t n64;
	const char *str;
	bool is64 = imap_arg_get_number64(arg, &n64);
	if (imap_arg_get_number(arg, &n32))
		CHECK(is64 && n64 == n32);
	else
		CHECK(!is64 || n64 > UINT32_MAX);
	if (arg->type == IMAP_ARG_ATOM)
		check_seqset(arg->str, pool);
	if (imap_arg_get_astring(arg, &str))
		check_mailbox(str, arg->len);
	enum imap_thread_algorithm alg;
	(void)imap_thread_algorithm_parse(arg, &alg);
	if (arg->type == IMAP_ARG_LIST) {
		struct imap_sort_program prog;
		const char *error;
		(void)imap_sort_program_parse(arg->list, &prog, &error);
	}
}

/* Checks one level of the tree; returns the arguments in it, lists and
 * their elements included, and counts literals. */
static size_t check_args(const struct imap_arg *arg, unsigned depth,
                         const struct fuzz_limits *lim, size_t *literals,
                         struct pool *pool)
{
	size_t nodes = 0;
	for (; arg != NULL; arg = arg->next) {
		nodes++;
		check_helpers(arg, pool);
		switch (arg->type) {
		case IMAP_ARG_ATOM:
		case IMAP_ARG_QUOTED:
			/* no NUL, CR or LF gets into a token */
			CHECK(strlen(arg->str) == arg->len);
			CHECK(memchr(arg->str, '\r', arg->len) == NULL);
			CHECK(memchr(arg->str, '\n', arg->len) == NULL);
			CHECK(arg->type == IMAP_ARG_QUOTED || arg->len > 0);
			break;
		case IMAP_ARG_LITERAL:
			CHECK(arg->str[arg->len] == '\0');
			(*literals)++;
			break;
		case IMAP_ARG_STREAMED:
			(*literals)++;
			break;
		case IMAP_ARG_LIST: {
			CHECK(arg->str == NULL && depth + 1 <= lim->max_depth);
			size_t count = 0;
			for (const struct imap_arg *a = arg->list; a != NULL;
			     a = a->next)
				count++;
			CHECK(count == arg->count);
			nodes += check_args(arg->list, depth + 1, lim, literals,
			                    pool);
			break;
		}
		}
	}
	return nodes;
}

/* Checks the command; every literal it announced must be one of its
 * arguments. */
static void check_command(const struct imap_parser *p,
                          const struct fuzz_limits *lim, size_t announced,
                          struct pool *pool)
{
	const char *tag = imap_parser_tag(p), *name = imap_parser_name(p);
	CHECK(tag != NULL && tag[0] != '\0' && name != NULL && name[0] != '\0');
	CHECK(strpbrk(tag, " +(){%*\"\\[") == NULL);
	size_t top = 0;
	for (const struct imap_arg *a = imap_parser_args(p); a != NULL;
	     a = a->next)
		top++;
	CHECK(top == imap_parser_arg_count(p));
	size_t literals = 0;
	size_t nodes = check_args(imap_parser_args(p), 0, lim, &literals, pool);
	CHECK(nodes <= lim->max_args && literals <= lim->max_literals);
	CHECK(literals == announced);
}

/* Renders args as: atom "quoted" {n:bytes} ~{n:bytes} <n> (count: ...). */
static void render(struct buf *out, const struct imap_arg *arg)
{
	for (; arg != NULL; arg = arg->next) {
		buf_append_char(out, ' ');
		switch (arg->type) {
		case IMAP_ARG_ATOM:
			buf_append(out, arg->str, arg->len);
			break;
		case IMAP_ARG_QUOTED:
			buf_append_char(out, '"');
			buf_append(out, arg->str, arg->len);
			buf_append_char(out, '"');
			break;
		case IMAP_ARG_LITERAL:
			buf_printf(out, "%s{%zu:", arg->is_literal8 ? "~" : "",
			           arg->len);
			buf_append(out, arg->str, arg->len);
			buf_append_char(out, '}');
			break;
		case IMAP_ARG_STREAMED:
			buf_printf(out, "<%zu>", arg->len);
			break;
		case IMAP_ARG_LIST:
			buf_printf(out, "(%zu:", arg->count);
			render(out, arg->list);
			buf_append_char(out, ')');
			break;
		}
	}
}

struct fuzz_session {
	struct imap_parser *parser;
	struct buf *out;
	const struct fuzz_limits *limits; /* NULL: no checks (a cut run) */
	uint64_t stream_left; /* APPEND literal bytes the caller reads */
	size_t literals;      /* literals announced in this command */
	bool is_closed;       /* BYE: a non-sync literal was refused */
};

static bool session_is_append(const struct fuzz_session *s)
{
	const char *name = imap_parser_name(s->parser);
	return name != NULL && strcasecmp(name, "APPEND") == 0;
}

/* What imapd's client_skip_literal() decides for the {n+} of a refused
 * command: skip its octets, or end the session when there are too many. */
static void session_skip(struct fuzz_session *s)
{
	uint64_t size;
	bool is_sync;
	unsigned depth;
	imap_parser_literal(s->parser, &size, &is_sync, &depth);
	uint64_t max =
	    session_is_append(s) ? FUZZ_APPEND_MAX : FUZZ_LITERAL_MAX;
	buf_printf(s->out, "S%llu|", (unsigned long long)size);
	s->literals = 0;
	if (size > max) {
		buf_append_str(s->out, "BYE|");
		s->is_closed = true;
		return;
	}
	imap_parser_literal_skip(s->parser);
}

/* The last argument of the list open at depth (the top level at 0),
 * found by walking the tree: what imap_parser_last_arg() must return. */
static const struct imap_arg *last_at_depth(const struct imap_parser *p,
                                            unsigned depth)
{
	const struct imap_arg *level = imap_parser_args(p), *last = NULL;
	for (unsigned d = 0;; d++) {
		last = NULL;
		for (const struct imap_arg *a = level; a != NULL; a = a->next)
			last = a;
		if (d == depth)
			return last;
		CHECK(last != NULL && last->type == IMAP_ARG_LIST);
		level = last->list;
	}
}

/* cmd_append_is_streamed(): APPEND's message, a CATENATE TEXT part or the
 * UTF8 form's literal8 go to a blob; the mailbox name and a URL do not. */
static bool session_is_streamed(const struct fuzz_session *s, unsigned depth)
{
	if (depth == 0)
		return imap_parser_arg_count(s->parser) > 0;
	if (depth > 1)
		return false;
	return !imap_arg_atom_equals(imap_parser_last_arg(s->parser), "URL");
}

/* What imapd's client_literal() and cmd_append_literal() decide once the
 * user is logged in. */
static void session_literal(struct fuzz_session *s)
{
	uint64_t size;
	bool is_sync;
	unsigned depth;
	imap_parser_literal(s->parser, &size, &is_sync, &depth);
	buf_printf(s->out, "L%llu%s|", (unsigned long long)size,
	           is_sync ? "+" : "");
	s->literals++;
	CHECK(imap_parser_last_arg(s->parser) ==
	      last_at_depth(s->parser, depth));
	bool is_append = session_is_append(s);
	bool is_streamed = is_append && session_is_streamed(s, depth);
	if (imap_parser_literal_is_literal8(s->parser) &&
	    (!is_append || depth > 1)) {
		buf_append_str(s->out, "BAD8|"); /* only APPEND's message */
		session_skip(s);
	} else if (is_streamed && size > FUZZ_APPEND_MAX && !is_sync) {
		buf_append_str(s->out, "BYE|");
		s->is_closed = true;
	} else if (is_streamed && size > FUZZ_APPEND_MAX) {
		buf_append_str(s->out, "NO|");
		imap_parser_reset(s->parser);
		s->literals = 0;
	} else if (is_streamed) {
		s->stream_left = size;
		if (size == 0)
			imap_parser_literal_streamed(s->parser);
	} else if (size > FUZZ_LITERAL_MAX && !is_sync) {
		buf_append_str(s->out, "BYE|");
		s->is_closed = true;
	} else if (size > FUZZ_LITERAL_MAX) {
		buf_append_str(s->out, "NO|");
		imap_parser_reset(s->parser);
		s->literals = 0;
	} else {
		imap_parser_literal_accept(s->parser);
	}
}

/* Feeds data[*pos, avail) until it is all used or the session ends. */
static void session_feed(struct fuzz_session *s, const uint8_t *data,
                         size_t *pos, size_t avail, struct pool *pool)
{
	unsigned stalls = 0;
	while (*pos < avail && !s->is_closed) {
		if (s->stream_left > 0) {
			size_t n = avail - *pos < s->stream_left
			               ? avail - *pos
			               : (size_t)s->stream_left;
			*pos += n;
			s->stream_left -= n;
			if (s->stream_left == 0)
				imap_parser_literal_streamed(s->parser);
			continue;
		}
		size_t consumed;
		enum imap_parser_event ev;
		const char *error;
		int ret = imap_parser_feed(s->parser, data + *pos, avail - *pos,
		                           &consumed, &ev, &error);
		CHECK(consumed <= avail - *pos);
		CHECK(ret != 0 || consumed == avail - *pos);
		/* a call that uses no byte must change the state */
		stalls = consumed == 0 ? stalls + 1 : 0;
		CHECK(stalls < 3);
		*pos += consumed;
		if (ret < 0) {
			CHECK(error != NULL);
			buf_printf(s->out, "BAD:%s%s|", error,
			           imap_parser_tag(s->parser) != NULL ? "(tag)"
			                                              : "");
			s->literals = 0;
		} else if (ret > 0 && ev == IMAP_PARSER_LITERAL) {
			session_literal(s);
		} else if (ret > 0 && ev == IMAP_PARSER_SKIP) {
			session_skip(s);
		} else if (ret > 0) {
			if (s->limits != NULL)
				check_command(s->parser, s->limits, s->literals,
				              pool);
			s->literals = 0;
			pool_clear(pool);
			buf_printf(s->out, "%s %s", imap_parser_tag(s->parser),
			           imap_parser_name(s->parser));
			render(s->out, imap_parser_args(s->parser));
			buf_append_char(s->out, '|');
			imap_parser_reset(s->parser);
		}
	}
}

/* Feeds first bytes, then step bytes at a time; the transcript goes to
 * out. Commands are checked against lim unless it is NULL. */
static void run(const uint8_t *data, size_t size, size_t first, size_t step,
                const struct imap_parser_settings *set,
                const struct fuzz_limits *lim, struct buf *out)
{
	struct fuzz_session s = {
	    .parser = imap_parser_new(set), .out = out, .limits = lim};
	struct pool *pool = pool_new();
	size_t pos = 0, avail = 0;
	while (avail < size && !s.is_closed) {
		size_t n = avail == 0 ? first : step;
		avail = size - avail < n ? size : avail + n;
		session_feed(&s, data, &pos, avail, pool);
	}
	pool_free(&pool);
	imap_parser_free(&s.parser);
}

static void run_all_cuts(const uint8_t *data, size_t size,
                         const struct imap_parser_settings *set,
                         const struct fuzz_limits *lim)
{
	struct buf whole, cut;
	buf_init(&whole);
	buf_init(&cut);
	run(data, size, size, size, set, lim, &whole);
	run(data, size, 1, 1, set, NULL, &cut);
	CHECK(cut.len == whole.len &&
	      memcmp(cut.data, whole.data, cut.len) == 0);
	size_t cuts = size <= FUZZ_SPLIT_ALL ? size : FUZZ_SPLIT_SOME + 1;
	for (size_t i = 1; i < cuts; i++) {
		size_t k = size <= FUZZ_SPLIT_ALL ? i : i * size / cuts;
		buf_truncate(&cut, 0);
		run(data, size, k, size, set, NULL, &cut);
		CHECK(cut.len == whole.len &&
		      memcmp(cut.data, whole.data, cut.len) == 0);
	}
	buf_deinit(&whole);
	buf_deinit(&cut);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* imapd's settings: every limit at its default */
	const struct imap_parser_settings defaults = {0};
	const struct fuzz_limits default_lim = {32, 16, 100000};
	run_all_cuts(data, size, &defaults, &default_lim);
	/* small limits, so that every one of them is reached */
	const struct imap_parser_settings small = {
	    .max_line = 64, .max_literals = 2, .max_depth = 3, .max_args = 6};
	const struct fuzz_limits small_lim = {2, 3, 6};
	run_all_cuts(data, size, &small, &small_lim);
	return 0;
}
