/* Tests for imap_thread.c: REFERENCES (RFC 5256 §3) on tables of
 * Message-ID / References / In-Reply-To sets — chains, branches, missing
 * parents, cycles, duplicate IDs, subject grouping, date order — and
 * ORDEREDSUBJECT. */
#include "imap/imap_thread.h"
#include "core/buf.h"
#include "test/test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct row {
	int set; /* which thread_case the message belongs to */
	struct imap_thread_msg msg;
};

#define M(set, id, date, subj, is_reply, mid, refs, irt)                       \
	{                                                                      \
		set,                                                           \
		{                                                              \
			id, date, subj, is_reply, mid, refs, irt               \
		}                                                              \
	}

static const struct row rows[] = {
    /* 0: a chain */
    M(0, 1, 1, "s", false, "<a@x>", NULL, NULL),
    M(0, 2, 2, "s", true, "<b@x>", "<a@x>", NULL),
    M(0, 3, 3, "s", true, "<c@x>", "<a@x> <b@x>", NULL),
    /* 1: branches */
    M(1, 1, 1, "s", false, "<a@x>", NULL, NULL),
    M(1, 2, 2, "s", true, "<b@x>", "<a@x>", NULL),
    M(1, 3, 3, "s", true, "<c@x>", "<a@x>", NULL),
    M(1, 4, 4, "s", true, "<d@x>", "<a@x>\r\n <b@x>", NULL),
    /* 2: a missing parent with two children stays a dummy at the root */
    M(2, 1, 1, "p", true, "<a@x>", "<gone@x>", NULL),
    M(2, 2, 2, "q", true, "<b@x>", "<gone@x>", NULL),
    /* 3: a missing parent with one child is dropped */
    M(3, 1, 1, "p", true, "<a@x>", "<gone@x>", NULL),
    /* 4: a cycle between two messages */
    M(4, 1, 1, "x", false, "<a@x>", "<b@x>", NULL),
    M(4, 2, 2, "y", false, "<b@x>", "<a@x>", NULL),
    /* 5: a duplicate Message-ID gets its own container */
    M(5, 1, 1, "s", false, "<a@x>", NULL, NULL),
    M(5, 2, 2, "t", false, "<a@x>", NULL, NULL),
    M(5, 3, 3, "s", true, "<c@x>", "<a@x>", NULL),
    /* 6: In-Reply-To when there are no References */
    M(6, 1, 1, "s", false, "<a@x>", NULL, NULL),
    M(6, 2, 2, "s", true, "<b@x>", "no ids here", "<a@x> <zz@x>"),
    /* 7: grouping by subject: a reply goes under the original */
    M(7, 1, 1, "hello", false, "<a@x>", NULL, NULL),
    M(7, 2, 2, "hello", true, "<b@x>", NULL, NULL),
    M(7, 3, 3, "other", false, NULL, NULL, NULL),
    /* 8: two non-replies with one subject become siblings */
    M(8, 1, 1, "s", false, NULL, NULL, NULL),
    M(8, 2, 2, "S", false, NULL, NULL, NULL),
    /* 9: a message referring to itself */
    M(9, 1, 1, "s", false, "<a@x>", "<a@x>", NULL),
    /* 10: roots by date, ties by mailbox order */
    M(10, 1, 30, "a", false, NULL, NULL, NULL),
    M(10, 2, 10, "b", false, NULL, NULL, NULL),
    M(10, 3, 20, "c", false, NULL, NULL, NULL),
    M(10, 4, 10, "d", false, NULL, NULL, NULL),
    /* 11: siblings by date */
    M(11, 1, 1, "s", false, "<a@x>", NULL, NULL),
    M(11, 2, 5, "s", true, "<b@x>", "<a@x>", NULL),
    M(11, 3, 3, "s", true, "<c@x>", "<a@x>", NULL),
    /* 12: a missing message in the middle of References */
    M(12, 1, 1, "s", false, "<a@x>", NULL, NULL),
    M(12, 2, 2, "s", true, "<c@x>", "<a@x> <b@x>", NULL),
    /* 13: References that loop back on themselves */
    M(13, 1, 1, "s", false, "<c@x>", "<a@x> <b@x> <a@x>", NULL),
    /* 14: a child seen before its parent; the parent's own References
     * disagree with what the child said */
    M(14, 1, 1, "k", true, "<c@x>", "<a@x> <b@x>", NULL),
    M(14, 2, 2, "k", false, "<b@x>", NULL, NULL),
    M(14, 3, 3, "m", false, "<a@x>", NULL, NULL),
    /* 15: a three-message cycle, no Message-ID on one */
    M(15, 1, 1, "u", false, "<a@x>", "<c@x>", NULL),
    M(15, 2, 2, "v", false, "<b@x>", "<a@x>", NULL),
    M(15, 3, 3, "w", false, "<c@x>", "<b@x>", NULL),
    M(15, 4, 4, "z", false, "", "<c@x>", NULL),
    /* 16, 17: ORDEREDSUBJECT */
    M(16, 1, 10, "a", false, NULL, NULL, NULL),
    M(16, 2, 5, "b", false, NULL, NULL, NULL),
    M(16, 3, 20, "a", true, NULL, NULL, NULL),
    M(16, 4, 15, "A", false, NULL, NULL, NULL),
    M(17, 1, 1, "a", false, NULL, NULL, NULL),
    M(17, 2, 2, "a", true, NULL, NULL, NULL),
};

static const struct {
	enum imap_thread_algorithm algorithm;
	const char *want;
} cases[] = {
    {IMAP_THREAD_REFERENCES, "(1 2 3)"},
    {IMAP_THREAD_REFERENCES, "(1 (2 4)(3))"},
    {IMAP_THREAD_REFERENCES, "((1)(2))"},
    {IMAP_THREAD_REFERENCES, "(1)"},
    {IMAP_THREAD_REFERENCES, "(2 1)"},
    {IMAP_THREAD_REFERENCES, "(1 3)(2)"},
    {IMAP_THREAD_REFERENCES, "(1 2)"},
    {IMAP_THREAD_REFERENCES, "(1 2)(3)"},
    {IMAP_THREAD_REFERENCES, "((1)(2))"},
    {IMAP_THREAD_REFERENCES, "(1)"},
    {IMAP_THREAD_REFERENCES, "(2)(4)(3)(1)"},
    {IMAP_THREAD_REFERENCES, "(1 (3)(2))"},
    {IMAP_THREAD_REFERENCES, "(1 2)"},
    {IMAP_THREAD_REFERENCES, "(1)"},
    {IMAP_THREAD_REFERENCES, "(2 1)(3)"},
    {IMAP_THREAD_REFERENCES, "(3 (1 2)(4))"},
    {IMAP_THREAD_ORDEREDSUBJECT, "(2)(1 (4)(3))"},
    {IMAP_THREAD_ORDEREDSUBJECT, "(1 2)"},
};

static void test_thread(void)
{
	test_begin("imap_thread REFERENCES and ORDEREDSUBJECT");
	for (size_t c = 0; c < sizeof(cases) / sizeof(*cases); c++) {
		struct imap_thread_msg msgs[8];
		size_t n = 0;
		for (size_t i = 0; i < sizeof(rows) / sizeof(*rows); i++)
			if (rows[i].set == (int)c && n < 8)
				msgs[n++] = rows[i].msg;
		struct buf out;
		buf_init(&out);
		imap_thread_write(msgs, n, cases[c].algorithm, &out);
		test_assert_str(out.data, cases[c].want);
		buf_deinit(&out);
	}
	test_end();
}

static void test_empty(void)
{
	test_begin("imap_thread no messages");
	struct buf out;
	buf_init(&out);
	imap_thread_write(NULL, 0, IMAP_THREAD_REFERENCES, &out);
	test_assert_str(out.data, "");
	buf_deinit(&out);
	test_end();
}

/* A reply chain far deeper than any stack would take recursively, each
 * message naming its parent only by In-Reply-To. */
static void test_deep_chain(void)
{
	test_begin("imap_thread 100000-deep chain");
	enum { N = 100000 };
	struct imap_thread_msg *msgs = calloc(N, sizeof(*msgs));
	char(*ids)[24] = calloc(N, sizeof(*ids));
	for (size_t i = 0; i < N; i++) {
		snprintf(ids[i], sizeof(ids[i]), "<%zu@x>", i);
		msgs[i] = (struct imap_thread_msg){
		    .id = (uint32_t)i + 1,
		    .date = (time_t)i,
		    .subject = "s",
		    .is_reply = i > 0,
		    .message_id = ids[i],
		    .in_reply_to = i > 0 ? ids[i - 1] : NULL,
		};
	}
	struct buf out;
	buf_init(&out);
	imap_thread_write(msgs, N, IMAP_THREAD_REFERENCES, &out);
	test_assert(strncmp(out.data, "(1 2 3 ", 7) == 0);
	test_assert(out.len > 20 &&
	            strcmp(out.data + out.len - 13, "99999 100000)") == 0);
	buf_deinit(&out);
	free(ids);
	free(msgs);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_thread, test_empty,
	                                      test_deep_chain, NULL};
	return test_run(tests);
}
