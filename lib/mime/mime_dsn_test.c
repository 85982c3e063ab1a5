/* Golden tests for mime_dsn.c: each case is composed and compared with
 * tests/data/dsn/<name>.ref (POSTROOM_DSN_REGEN=1 rewrites the files);
 * plus xtext decoding. */
#include "mime/mime_dsn.h"
#include "core/buf.h"
#include "test/test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char original[] =
    "Received: from client.test by mx.otherisp.test\r\n"
    "From: Lisa <lisa@otherisp.test>\r\n"
    "To: bob@comentum.test\r\n"
    "Subject: hello\r\n"
    "\r\n"
    "Hi Bob.\r\n";

static const struct mime_dsn_rcpt failed_rcpts[] = {
    {"bob@comentum.test", "rfc822;bob+2Bx@comentum.test", MIME_DSN_FAILED,
     "5.1.1", "mx.comentum.test", "550 5.1.1 no such user\nsecond line"},
    {"eve@far.test", NULL, MIME_DSN_FAILED, "5.4.7", NULL,
     "delivery time expired"},
};
static const struct mime_dsn_rcpt delayed_rcpts[] = {
    {"bob@comentum.test", NULL, MIME_DSN_DELAYED, "4.4.1", "mx.comentum.test",
     "421 4.4.1 try later"},
};
static const struct mime_dsn_rcpt relayed_rcpts[] = {
    {"bob@comentum.test", "rfc822;bob@comentum.test", MIME_DSN_RELAYED, "2.0.0",
     "mx.comentum.test", "250 2.0.0 queued as 12345"},
};

static const struct {
	const char *name;
	const char *envid;
	bool is_full;
	const struct mime_dsn_rcpt *rcpts;
	size_t count;
	const char *future_release;
} dsn_cases[] = {
    {"failed", "ENV+2B1", false, failed_rcpts, 2, NULL},
    {"delayed", NULL, false, delayed_rcpts, 1, NULL},
    {"relayed-full", "abc", true, relayed_rcpts, 1, NULL},
    /* a message held for later (RFC 4865 §6) */
    {"failed-held", NULL, false, failed_rcpts, 1, "until;2023-11-15T00:00:00Z"},
};

static char *file_read(const char *path)
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
	char *data = buf_detach(&b);
	buf_deinit(&b);
	return data;
}

static void test_dsn_golden(void)
{
	test_begin("mime_dsn_compose golden files");
	for (size_t i = 0; i < sizeof(dsn_cases) / sizeof(dsn_cases[0]); i++) {
		struct mime_dsn dsn = {
		    .reporting_mta = "mx.otherisp.test",
		    .to = "lisa@otherisp.test",
		    .envid = dsn_cases[i].envid,
		    .arrival = 1700000000,
		    .now = 1700003600,
		    .message_id = "dsn.0123456789ABCDEF@mx.otherisp.test",
		    .boundary = "=_dsn_0123456789ABCDEF",
		    .is_full = dsn_cases[i].is_full,
		    .rcpt_count = dsn_cases[i].count,
		    .rcpts = dsn_cases[i].rcpts,
		    .future_release = dsn_cases[i].future_release,
		};
		struct buf out;
		char path[512];
		buf_init(&out);
		mime_dsn_compose(&dsn, original, sizeof(original) - 1, &out);
		snprintf(path, sizeof(path), "%s/%s.ref", DSN_TEST_DATA,
		         dsn_cases[i].name);
		if (getenv("POSTROOM_DSN_REGEN") != NULL) {
			FILE *f = fopen(path, "wb");
			if (f != NULL) {
				fwrite(out.data, 1, out.len, f);
				fclose(f);
			}
		}
		char *want = file_read(path);
		test_assert_idx(want != NULL, i);
		if (want != NULL)
			test_assert_str(out.data, want);
		free(want);
		buf_deinit(&out);
	}
	test_end();
}

/* RET=HDRS returns the header only: a message without one (it starts with
 * the empty line) gives back nothing of its body. Found by
 * mime_dsn_fuzz. */
static void test_dsn_no_header(void)
{
	static const char *const bodies[] = {
	    "\r\nsecret body\r\n\r\nmore\r\n",
	    "\nsecret body\n\nmore\n",
	    "\r\n",
	};
	test_begin("mime_dsn_compose of a message without header");
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct mime_dsn dsn = {
		    .reporting_mta = "mx.otherisp.test",
		    .to = "lisa@otherisp.test",
		    .message_id = "dsn.1@mx.otherisp.test",
		    .boundary = "=_dsn_1",
		    .rcpt_count = 1,
		    .rcpts = delayed_rcpts,
		};
		struct buf out;
		buf_init(&out);
		mime_dsn_compose(&dsn, bodies[i], strlen(bodies[i]), &out);
		test_assert_idx(strstr(out.data, "secret") == NULL, i);
		const char *want = "Content-Description: Undelivered Message "
		                   "Headers\r\n\r\n\r\n--=_dsn_1--\r\n";
		size_t len = strlen(want);
		test_assert_idx(out.len >= len &&
		                    strcmp(out.data + out.len - len, want) == 0,
		                i);
		buf_deinit(&out);
	}
	test_end();
}

static void test_xtext_decode(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
	    {"rfc822;a+2Bb@x", "rfc822;a+b@x"},
	    {"plain", "plain"},
	    {"bad+2", "bad+2"},
	    {"+3D+3d", "=="},
	    {"", ""},
	};
	test_begin("mime_dsn_xtext_decode");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b;
		buf_init(&b);
		mime_dsn_xtext_decode(cases[i].in, &b);
		test_assert_str(b.data, cases[i].want);
		buf_deinit(&b);
	}
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
	    test_dsn_golden, test_dsn_no_header, test_xtext_decode, NULL};
	return test_run(tests);
}
