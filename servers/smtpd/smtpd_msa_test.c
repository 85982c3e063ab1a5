/* Tests for smtpd_msa.c: the held-back header section fed in every way it
 * can be cut, which fields count as present (folding, case, obsolete WSP
 * before the colon), the size limit, and the added Date and Message-ID. */
#include "smtpd_msa.h"
#include "test/test.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Feeds msg in chunks of step bytes (0: whole). Returns the number of
 * bytes taken as header. */
static size_t feed(struct smtpd_msa *msa, const char *msg, size_t step)
{
	size_t len = strlen(msg), used = 0;
	for (size_t pos = 0; pos < len;) {
		size_t n = step == 0 || len - pos < step ? len - pos : step;
		size_t took =
		    smtpd_msa_feed(msa, (const unsigned char *)msg + pos, n);
		used += took;
		if (took < n)
			break; /* the rest is body */
		pos += n;
	}
	smtpd_msa_finish(msa);
	return used;
}

static void test_msa_header(void)
{
	static const struct {
		const char *msg;
		size_t header_len; /* bytes held back */
		bool from, date, msgid;
	} cases[] = {
	    {"From: a@b\r\nDate: x\r\nMessage-ID: <1@b>\r\n\r\nbody\r\n", 41,
	     true, true, true},
	    {"from: a@b\r\nSubject: s\r\n\r\n", 25, true, false, false},
	    {"FROM : a@b\r\nDATE\t: x\r\nmessage-id:<1@b>\r\n\r\nx\r\n", 42,
	     true, true, true},
	    /* folded: "Date:" and "From:" inside another field */
	    {"Subject: a\r\n Date: no\r\n\tFrom: no\r\n\r\nDate: body\r\n", 36,
	     false, false, false},
	    /* not fields: no colon, a longer name, an mbox From line */
	    {"From a@b Mon\r\nDated: x\r\nMessage-IDs: y\r\nX: 1\r\n\r\n", 48,
	     false, false, false},
	    /* no empty line: the whole message is header */
	    {"From: a@b\r\nSubject: only header\r\n", 33, true, false, false},
	    /* no header at all */
	    {"\r\nFrom: in the body\r\n", 2, false, false, false},
	    {"", 0, false, false, false},
	    /* the body may hold anything */
	    {"Subject: s\r\n\r\nFrom: x\r\n\r\nDate: y\r\n", 14, false, false,
	     false},
	};
	static const size_t steps[] = {0, 1, 2, 3, 5, 7};
	test_begin("smtpd_msa_feed: header end and fields");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
			struct smtpd_msa msa;
			smtpd_msa_init(&msa);
			size_t used = feed(&msa, cases[i].msg, steps[s]);
			test_assert_idx(msa.is_done, i);
			test_assert_idx(!msa.is_too_big, i);
			test_assert_idx(used == cases[i].header_len,
			                i * 10 + s);
			test_assert_idx(msa.header.len == cases[i].header_len,
			                i * 10 + s);
			test_assert_idx(memcmp(msa.header.data, cases[i].msg,
			                       msa.header.len) == 0,
			                i);
			test_assert_idx(msa.has_from == cases[i].from, i);
			test_assert_idx(msa.has_date == cases[i].date, i);
			test_assert_idx(msa.has_message_id == cases[i].msgid,
			                i);
			/* nothing more is taken once done */
			test_assert_idx(
			    smtpd_msa_feed(&msa, (const unsigned char *)"x",
			                   1) == 0,
			    i);
			smtpd_msa_deinit(&msa);
		}
	}
	test_end();
}

static void test_msa_too_big(void)
{
	test_begin("smtpd_msa_feed: header over the limit");
	struct smtpd_msa msa;
	smtpd_msa_init(&msa);
	const char *line = "X-Long: 0123456789012345678901234567890123456\r\n";
	size_t total = 0;
	while (!msa.is_done) {
		size_t took = smtpd_msa_feed(&msa, (const unsigned char *)line,
		                             strlen(line));
		test_assert(took == strlen(line));
		total += took;
		if (total > 2 * SMTPD_MSA_HEADER_MAX)
			break;
	}
	test_assert(msa.is_done);
	test_assert(msa.is_too_big);
	test_assert(msa.header.len <= SMTPD_MSA_HEADER_MAX);
	smtpd_msa_deinit(&msa);

	/* an empty line just inside the limit still ends the header */
	smtpd_msa_init(&msa);
	size_t n = SMTPD_MSA_HEADER_MAX - 4;
	char *big = malloc(n + 4 + 6);
	memset(big, 'a', n);
	memcpy(big, "X: ", 3);
	memcpy(big + n, "\r\n\r\nbody\r\n", 10);
	test_assert(smtpd_msa_feed(&msa, (unsigned char *)big, n + 10) ==
	            n + 4);
	test_assert(msa.is_done && !msa.is_too_big);
	free(big);
	smtpd_msa_deinit(&msa);
	test_end();
}

static void test_msa_fields(void)
{
	test_begin("smtpd_msa_fields");
	struct smtpd_msa msa;
	struct buf out;
	smtpd_msa_init(&msa);
	buf_init(&out);
	(void)feed(&msa, "From: a@b\r\n\r\n", 0);
	setenv("TZ", "UTC", 1);
	tzset();
	smtpd_msa_fields(&msa, 1704186000, "0123ABC", "mx.example.test", &out);
	test_assert_str(out.data, "Date: Tue, 02 Jan 2024 09:00:00 +0000\r\n"
	                          "Message-ID: <0123ABC@mx.example.test>\r\n");
	/* the server's zone, as +hhmm */
	setenv("TZ", "EST5", 1);
	tzset();
	buf_truncate(&out, 0);
	smtpd_msa_fields(&msa, 1704186000, "0123ABC", "mx.example.test", &out);
	test_assert_str(out.data, "Date: Tue, 02 Jan 2024 04:00:00 -0500\r\n"
	                          "Message-ID: <0123ABC@mx.example.test>\r\n");
	smtpd_msa_deinit(&msa);

	/* a message with both gets nothing */
	smtpd_msa_init(&msa);
	buf_truncate(&out, 0);
	(void)feed(&msa, "Date: x\r\nMessage-Id: <a@b>\r\n\r\n", 0);
	smtpd_msa_fields(&msa, 1704186000, "0123ABC", "mx.example.test", &out);
	test_assert_str(out.data, "");
	smtpd_msa_deinit(&msa);
	buf_deinit(&out);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_msa_header, test_msa_too_big,
	                                      test_msa_fields, NULL};
	return test_run(tests);
}
