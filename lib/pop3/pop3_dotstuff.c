/* Dot-stuffing of multi-line responses (RFC 1939 §3) and the header/body
 * line count of TOP (RFC 1939 §7), as a filter over chunks: the state
 * between chunks is the position in the current line only. Spans between
 * line ends are copied whole, so the cost per byte is a memchr. */
#include "pop3/pop3_dotstuff.h"
#include "core/buf.h"

#include <string.h>

void pop3_dotstuff_init(struct pop3_dotstuff *ds, uint64_t max_body_lines)
{
	memset(ds, 0, sizeof(*ds));
	ds->max_body_lines = max_body_lines;
	ds->is_line_start = true;
}

/* A line ended (its CRLF is written). Returns false once TOP has enough. */
static bool pop3_dotstuff_line_end(struct pop3_dotstuff *ds)
{
	uint64_t content = ds->line_len - (ds->has_cr ? 1 : 0);
	ds->line_len = 0;
	ds->has_cr = false;
	ds->is_line_start = true;
	if (!ds->is_in_body) {
		if (content == 0)
			ds->is_in_body = true;
	} else {
		ds->body_lines++;
	}
	return !(ds->is_in_body && ds->body_lines >= ds->max_body_lines);
}

int pop3_dotstuff_feed(struct pop3_dotstuff *ds, const unsigned char *data,
                       size_t size, struct buf *out)
{
	size_t pos = 0;
	if (ds->is_done)
		return 0;
	while (pos < size) {
		if (ds->is_line_start) {
			if (data[pos] == '.')
				buf_append_char(out, '.');
			ds->is_line_start = false;
		}
		const unsigned char *nl = memchr(data + pos, '\n', size - pos);
		size_t end = nl != NULL ? (size_t)(nl - data) : size;
		if (end > pos) {
			buf_append(out, data + pos, end - pos);
			ds->line_len += end - pos;
			ds->has_cr = data[end - 1] == '\r';
		}
		if (nl == NULL)
			break;
		/* A bare LF becomes CRLF (RFC 1939 §3: lines end in CRLF). */
		if (ds->has_cr)
			buf_append_char(out, '\n');
		else
			buf_append(out, "\r\n", 2);
		pos = end + 1;
		if (!pop3_dotstuff_line_end(ds)) {
			ds->is_done = true;
			return 0;
		}
	}
	return 1;
}

void pop3_dotstuff_finish(struct pop3_dotstuff *ds, struct buf *out)
{
	if (!ds->is_line_start && !ds->is_done) {
		/* A trailing CR alone gets only its LF. */
		if (ds->has_cr)
			buf_append_char(out, '\n');
		else
			buf_append(out, "\r\n", 2);
	}
	buf_append(out, ".\r\n", 3);
}
