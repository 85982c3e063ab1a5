/* Fuzzer for the DSN composer (mime_dsn.c), the code that reads untrusted
 * input on the bounce path: the sender's address, ENVID and ORCPT (xtext),
 * the FUTURERELEASE request of a held message, the recipients, the peer's
 * host name and reply text, and the original message whose header or
 * whole body is returned. Incoming DSNs are not parsed anywhere (they are
 * delivered as any mail), so this is the bounce handling there is. The
 * input is two flag bytes, then NUL-separated fields (to, envid,
 * FUTURERELEASE request, and per recipient address, orcpt, remote MTA,
 * diagnostic), then the original message. Whatever they hold, the report
 * must stay a multipart/report whose generated lines are printable ASCII
 * ending in CRLF, with one delivery-status block per recipient. */
#include "core/buf.h"
#include "core/pool.h"
#include "mime/mime.h"
#include "mime/mime_dsn.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(expr)                                                            \
	do {                                                                   \
		if (!(expr))                                                   \
			abort();                                               \
	} while (0)

#define FUZZ_RCPTS_MAX 3
#define FUZZ_BOUNDARY "=_dsn_fuzz.0001"

/* Takes the next NUL-terminated field, or NULL when none is left. An empty
 * field is NULL when may_be_null, else "". */
static const char *next_field(const char **p, const char *end, bool may_be_null)
{
	const char *nul = memchr(*p, '\0', (size_t)(end - *p));
	if (nul == NULL)
		return NULL;
	const char *field = *p;
	*p = nul + 1;
	return field[0] == '\0' && may_be_null ? NULL : field;
}

/* The generated text: printable ASCII, TAB (header folding), CRLF. */
static void check_lines(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\r')
			CHECK(i + 1 < len && s[i + 1] == '\n');
		else if (c == '\n')
			CHECK(i > 0 && s[i - 1] == '\r');
		else
			CHECK(c == '\t' || (c >= 32 && c <= 126));
	}
}

/* The delivery-status body: blocks of "Name: value" lines separated by
 * blank lines; returns the number of blocks. */
static size_t status_blocks(const char *s, size_t len)
{
	size_t blocks = 0;
	bool in_block = false;
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(s + i, '\n', len - i);
		size_t end = nl != NULL ? (size_t)(nl - s) : len;
		size_t n = end - i;
		if (n > 0 && s[end - 1] == '\r')
			n--;
		if (n == 0) {
			in_block = false;
		} else {
			const char *colon = memchr(s + i, ':', n);
			CHECK(colon != NULL && colon > s + i &&
			      memchr(s + i, ' ', (size_t)(colon - s - i)) ==
			          NULL);
			if (!in_block)
				blocks++;
			in_block = true;
		}
		i = end + 1;
	}
	return blocks;
}

/* The header through the LF before its empty line (RFC 5322 §2.1: a
 * message that starts with one has none), or all of msg when no line is
 * empty. */
static size_t header_size(const char *msg, size_t size)
{
	for (size_t i = 0; i < size;) {
		const char *nl = memchr(msg + i, '\n', size - i);
		if (nl == NULL)
			break;
		size_t end = (size_t)(nl - msg);
		if (end == i || (end == i + 1 && msg[i] == '\r'))
			return i;
		i = end + 1;
	}
	return size;
}

static void check_report(const struct buf *out, const struct mime_dsn *dsn,
                         const char *original, size_t size)
{
	/* everything before the returned message is ours */
	const char *third = strstr(
	    out->data, dsn->is_full ? "--" FUZZ_BOUNDARY "\r\n"
	                              "Content-Type: message/rfc822"
	                            : "--" FUZZ_BOUNDARY "\r\n"
	                              "Content-Type: text/rfc822-headers");
	CHECK(third != NULL);
	check_lines(out->data, (size_t)(third - out->data));
	struct mime_settings set = MIME_SETTINGS_DEFAULT;
	set.max_parts = 20;
	struct pool *pool = pool_new();
	const unsigned char *bytes = (const unsigned char *)out->data;
	struct mime_part *root = mime_parse(bytes, out->len, &set, pool);
	CHECK(mime_part_is(root, "multipart", "report"));
	const struct mime_part *notice = root->children;
	CHECK(notice != NULL && mime_part_is(notice, "text", "plain"));
	const struct mime_part *status = notice->next;
	CHECK(status != NULL &&
	      mime_part_is(status, "message", "delivery-status"));
	CHECK(status->next != NULL);
	/* one block for the message, one per recipient */
	CHECK(status_blocks(out->data + status->body_offset,
	                    status->end_offset - status->body_offset) ==
	      1 + dsn->rcpt_count);
	/* the message or its header comes back as it was, and nothing
	 * more */
	const char *body = strstr(third, "\r\n\r\n");
	CHECK(body != NULL);
	body += 4;
	size_t want = dsn->is_full ? size : header_size(original, size);
	struct buf tail;
	buf_init(&tail);
	buf_append(&tail, original, want);
	if (want > 0 && original[want - 1] != '\n')
		buf_append_str(&tail, "\r\n");
	buf_append_str(&tail, "\r\n--" FUZZ_BOUNDARY "--\r\n");
	CHECK((size_t)(out->data + out->len - body) == tail.len &&
	      memcmp(body, tail.data, tail.len) == 0);
	buf_deinit(&tail);
	pool_free(&pool);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const statuses[] = {"5.1.1", "4.4.1", "2.0.0",
	                                       "2.0.0"};
	if (size < 2)
		return 0;
	/* a copy that ends in NUL, so that the fields are C strings */
	char *copy = malloc(size + 1);
	memcpy(copy, data, size);
	copy[size] = '\0';
	const char *p = copy + 2, *end = copy + size + 1;
	struct mime_dsn_rcpt rcpts[FUZZ_RCPTS_MAX];
	struct mime_dsn dsn = {
	    .reporting_mta = "mx.example.test",
	    .arrival = 1700000000,
	    .now = 1700003600,
	    .message_id = "0001.dsn@mx.example.test",
	    .boundary = FUZZ_BOUNDARY,
	    .is_full = (data[0] & 1) != 0,
	    .rcpt_count = 1 + (size_t)(data[0] >> 1) % FUZZ_RCPTS_MAX,
	    .rcpts = rcpts,
	};
	dsn.to = next_field(&p, end, false);
	dsn.envid = next_field(&p, end, true);
	dsn.future_release = next_field(&p, end, true);
	for (size_t i = 0; i < dsn.rcpt_count; i++) {
		struct mime_dsn_rcpt *r = &rcpts[i];
		r->action = (enum mime_dsn_action)((data[1] >> (2 * i)) & 3);
		r->status = statuses[r->action];
		r->address = next_field(&p, end, false);
		r->orcpt = next_field(&p, end, true);
		r->remote_mta = next_field(&p, end, true);
		r->diagnostic = next_field(&p, end, true);
		if (r->address == NULL)
			r->address = "";
	}
	if (dsn.to == NULL)
		dsn.to = "";
	/* the rest, NULs and all, is the original message */
	const char *original = p < end ? p : "";
	size_t original_size = p < end ? (size_t)(end - p - 1) : 0;
	struct buf out;
	buf_init(&out);
	mime_dsn_compose(&dsn, original, original_size, &out);
	check_report(&out, &dsn, original, original_size);
	buf_deinit(&out);
	free(copy);
	return 0;
}
