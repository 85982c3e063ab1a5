/* WebSocket frames (RFC 6455 §5): the server's reader and the header of
 * the frames it writes. See http_ws_frame.h. */
#include "http/http_ws_frame.h"
#include "http/http_path.h"

#include <string.h>

void http_ws_reader_init(struct http_ws_reader *r, size_t max_message)
{
	memset(r, 0, sizeof(*r));
	r->max_message = max_message;
	buf_init(&r->message);
	buf_init(&r->control);
}

void http_ws_reader_deinit(struct http_ws_reader *r)
{
	buf_deinit(&r->message);
	buf_deinit(&r->control);
}

static int ws_fail(unsigned code, const char *error, unsigned *code_r,
                   const char **error_r)
{
	*code_r = code;
	*error_r = error;
	return -1;
}

bool http_ws_close_code_is_valid(unsigned code)
{
	return (code >= 1000 && code <= 1003) ||
	       (code >= 1007 && code <= 1011) || (code >= 3000 && code <= 4999);
}

/* The header is whole in r->header: checks it and starts the payload. */
static int ws_header_done(struct http_ws_reader *r, unsigned *code_r,
                          const char **error_r)
{
	const unsigned char *h = r->header;
	unsigned len7 = h[1] & 0x7f;
	r->fin = (h[0] & 0x80) != 0;
	r->opcode = h[0] & 0x0f;
	uint64_t len = len7;
	size_t at = 2;
	if (len7 == 126) {
		len = (uint64_t)h[2] << 8 | h[3];
		at = 4;
	} else if (len7 == 127) {
		len = 0;
		for (size_t i = 0; i < 8; i++)
			len = len << 8 | h[2 + i];
		at = 10;
		if ((len >> 63) != 0)
			return ws_fail(HTTP_WS_CLOSE_PROTOCOL,
			               "64-bit length with its top bit set",
			               code_r, error_r);
	}
	memcpy(r->mask, h + at, 4);
	if ((h[0] & 0x70) != 0)
		return ws_fail(HTTP_WS_CLOSE_PROTOCOL, "reserved bits set",
		               code_r, error_r);
	if ((h[1] & 0x80) == 0)
		return ws_fail(HTTP_WS_CLOSE_PROTOCOL, "unmasked client frame",
		               code_r, error_r);
	bool is_control = (r->opcode & 0x8) != 0;
	if (is_control) {
		if (r->opcode > HTTP_WS_PONG)
			return ws_fail(HTTP_WS_CLOSE_PROTOCOL, "unknown opcode",
			               code_r, error_r);
		if (!r->fin || len > HTTP_WS_CONTROL_MAX)
			return ws_fail(HTTP_WS_CLOSE_PROTOCOL,
			               "fragmented or long control frame",
			               code_r, error_r);
		buf_truncate(&r->control, 0);
	} else if (r->opcode == HTTP_WS_CONTINUATION) {
		if (r->message_opcode == 0)
			return ws_fail(HTTP_WS_CLOSE_PROTOCOL,
			               "continuation without a message", code_r,
			               error_r);
	} else if (r->opcode == HTTP_WS_TEXT || r->opcode == HTTP_WS_BINARY) {
		if (r->message_opcode != 0)
			return ws_fail(HTTP_WS_CLOSE_PROTOCOL,
			               "new message inside a fragmented one",
			               code_r, error_r);
		r->message_opcode = r->opcode;
		buf_truncate(&r->message, 0);
	} else {
		return ws_fail(HTTP_WS_CLOSE_PROTOCOL, "unknown opcode", code_r,
		               error_r);
	}
	if (!is_control && len > r->max_message - r->message.len)
		return ws_fail(HTTP_WS_CLOSE_TOO_BIG, "message too big", code_r,
		               error_r);
	r->left = len;
	r->offset = 0;
	r->in_payload = true;
	return 0;
}

/* The frame's payload is all read: an event, or none (a fragment). */
static int ws_frame_done(struct http_ws_reader *r, struct http_ws_event *ev,
                         unsigned *code_r, const char **error_r)
{
	r->in_payload = false;
	r->header_len = 0;
	memset(ev, 0, sizeof(*ev));
	switch (r->opcode) {
	case HTTP_WS_PING:
	case HTTP_WS_PONG:
		ev->type = r->opcode == HTTP_WS_PING ? HTTP_WS_EVENT_PING
		                                     : HTTP_WS_EVENT_PONG;
		ev->data = (const unsigned char *)r->control.data;
		ev->size = r->control.len;
		return 1;
	case HTTP_WS_CLOSE: {
		const unsigned char *p = (const unsigned char *)r->control.data;
		size_t n = r->control.len;
		ev->type = HTTP_WS_EVENT_CLOSE;
		ev->code = HTTP_WS_CLOSE_NO_STATUS;
		if (n == 1)
			return ws_fail(HTTP_WS_CLOSE_PROTOCOL,
			               "close frame of one byte", code_r,
			               error_r);
		if (n >= 2) {
			ev->code = (unsigned)p[0] << 8 | p[1];
			if (!http_ws_close_code_is_valid(ev->code))
				return ws_fail(HTTP_WS_CLOSE_PROTOCOL,
				               "invalid close code", code_r,
				               error_r);
			if (!http_path_is_utf8(p + 2, n - 2))
				return ws_fail(HTTP_WS_CLOSE_INVALID_DATA,
				               "close reason is not UTF-8",
				               code_r, error_r);
			ev->data = p + 2;
			ev->size = n - 2;
		}
		return 1;
	}
	default:
		break;
	}
	if (!r->fin)
		return 0;
	bool is_text = r->message_opcode == HTTP_WS_TEXT;
	r->message_opcode = 0;
	if (is_text && !http_path_is_utf8((const unsigned char *)r->message.data,
	                                  r->message.len))
		return ws_fail(HTTP_WS_CLOSE_INVALID_DATA,
		               "text message is not UTF-8", code_r, error_r);
	ev->type = HTTP_WS_EVENT_MESSAGE;
	ev->is_text = is_text;
	ev->data = (const unsigned char *)r->message.data;
	ev->size = r->message.len;
	return 1;
}

/* The header's length once its first two bytes are known. */
static size_t ws_header_size(const unsigned char *h)
{
	unsigned len7 = h[1] & 0x7f;
	size_t size = len7 == 126 ? 4 : len7 == 127 ? 10 : 2;
	return size + ((h[1] & 0x80) != 0 ? 4 : 0);
}

int http_ws_reader_read(struct http_ws_reader *r, const unsigned char *data,
                        size_t size, size_t *consumed_r,
                        struct http_ws_event *ev_r, unsigned *code_r,
                        const char **error_r)
{
	size_t pos = 0;
	int ret = 0;
	while (ret == 0) {
		if (!r->in_payload) {
			size_t want = r->header_len < 2
			                  ? 2
			                  : ws_header_size(r->header);
			if (r->header_len >= 2 && (r->header[1] & 0x80) == 0) {
				ret = ws_fail(HTTP_WS_CLOSE_PROTOCOL,
				              "unmasked client frame", code_r,
				              error_r);
				break;
			}
			size_t n = want - r->header_len;
			if (n > size - pos)
				n = size - pos;
			memcpy(r->header + r->header_len, data + pos, n);
			r->header_len += n;
			pos += n;
			if (r->header_len < want)
				break;
			if (want == 2)
				continue;
			if (ws_header_done(r, code_r, error_r) < 0) {
				ret = -1;
				break;
			}
		}
		size_t n = r->left < size - pos ? (size_t)r->left : size - pos;
		struct buf *to = (r->opcode & 0x8) != 0 ? &r->control
		                                       : &r->message;
		size_t start = to->len;
		buf_append(to, data + pos, n);
		for (size_t i = 0; i < n; i++)
			to->data[start + i] ^= (char)r->mask[(r->offset + i) & 3];
		r->offset += n;
		r->left -= n;
		pos += n;
		if (r->left > 0)
			break;
		ret = ws_frame_done(r, ev_r, code_r, error_r);
	}
	*consumed_r = pos;
	return ret;
}

size_t http_ws_frame_header(enum http_ws_opcode opcode, uint64_t size,
                            unsigned char out[HTTP_WS_HEADER_MAX])
{
	out[0] = (unsigned char)(0x80 | opcode);
	if (size < 126) {
		out[1] = (unsigned char)size;
		return 2;
	}
	if (size <= 0xffff) {
		out[1] = 126;
		out[2] = (unsigned char)(size >> 8);
		out[3] = (unsigned char)size;
		return 4;
	}
	out[1] = 127;
	for (size_t i = 0; i < 8; i++)
		out[2 + i] = (unsigned char)(size >> (56 - 8 * i));
	return 10;
}
