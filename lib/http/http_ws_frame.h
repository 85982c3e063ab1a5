/* WebSocket framing (RFC 6455 §5) as a server reads and writes it: the
 * reader takes client frames in pieces of any size (a frame's payload is
 * unmasked as it arrives, never waited for whole), joins fragmented
 * messages (§5.4) up to max_message bytes, and checks everything a server
 * must: the mask bit (§5.1), reserved bits without an extension (§5.2),
 * opcodes, control frames (at most 125 bytes, not fragmented, §5.5), the
 * order of continuation frames, the 64-bit length's top bit, UTF-8 of a
 * text message (§8.1) and the close frame's code and reason (§7.4). Each
 * problem names the close code to answer with (§7.4.1): 1002 protocol
 * error, 1007 invalid data, 1009 too big. */
#ifndef HTTP_HTTP_WS_FRAME_H
#define HTTP_HTTP_WS_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

enum http_ws_opcode {
	HTTP_WS_CONTINUATION = 0x0,
	HTTP_WS_TEXT = 0x1,
	HTTP_WS_BINARY = 0x2,
	HTTP_WS_CLOSE = 0x8,
	HTTP_WS_PING = 0x9,
	HTTP_WS_PONG = 0xa,
};

/* Close codes (§7.4.1). */
#define HTTP_WS_CLOSE_NORMAL 1000
#define HTTP_WS_CLOSE_GOING_AWAY 1001
#define HTTP_WS_CLOSE_PROTOCOL 1002
#define HTTP_WS_CLOSE_NO_STATUS 1005 /* never sent: a close without one */
#define HTTP_WS_CLOSE_INVALID_DATA 1007
#define HTTP_WS_CLOSE_POLICY 1008
#define HTTP_WS_CLOSE_TOO_BIG 1009
#define HTTP_WS_CLOSE_INTERNAL 1011

#define HTTP_WS_CONTROL_MAX 125
#define HTTP_WS_HEADER_MAX 14

enum http_ws_event_type {
	HTTP_WS_EVENT_MESSAGE, /* a whole text or binary message */
	HTTP_WS_EVENT_PING,
	HTTP_WS_EVENT_PONG,
	HTTP_WS_EVENT_CLOSE,
};

struct http_ws_event {
	enum http_ws_event_type type;
	bool is_text;               /* MESSAGE */
	const unsigned char *data;  /* MESSAGE, PING, PONG: the payload; */
	size_t size;                /* CLOSE: the reason (UTF-8) */
	unsigned code;              /* CLOSE: 1005 when none was given */
};

struct http_ws_reader {
	size_t max_message;
	/* the frame being read */
	bool in_payload;
	unsigned char header[HTTP_WS_HEADER_MAX];
	size_t header_len;
	unsigned opcode;
	bool fin;
	unsigned char mask[4];
	uint64_t left;   /* payload bytes still to come */
	uint64_t offset; /* payload bytes read (for the mask) */
	/* the message being joined, and a control frame's payload */
	unsigned message_opcode; /* 0: none started */
	struct buf message;
	struct buf control;
};

void http_ws_reader_init(struct http_ws_reader *r, size_t max_message);
void http_ws_reader_deinit(struct http_ws_reader *r);
/* frame = FIN RSV1 RSV2 RSV3 opcode(4) MASK length(7) [length(16/64)]
 *         masking-key(32) payload   (RFC 6455 §5.2)
 * Reads from data (size bytes) and sets *consumed_r to the bytes used.
 * Returns 1 with *ev_r when a message or a control frame is complete (its
 * data lives until the next call), 0 when all of data was used and more
 * is needed, -1 with the close code in *code_r and a static reason in
 * *error_r (the connection must then be closed with that code). */
int http_ws_reader_read(struct http_ws_reader *r, const unsigned char *data,
                        size_t size, size_t *consumed_r,
                        struct http_ws_event *ev_r, unsigned *code_r,
                        const char **error_r);

/* Writes the header of an unmasked server frame (FIN set) carrying size
 * payload bytes into out; returns its length (2, 4 or 10). */
size_t http_ws_frame_header(enum http_ws_opcode opcode, uint64_t size,
                            unsigned char out[HTTP_WS_HEADER_MAX]);
/* True if code may be sent in a close frame by an endpoint (§7.4.1,
 * §7.4.2: 1000-1003, 1007-1011, 3000-4999). */
bool http_ws_close_code_is_valid(unsigned code);

#endif
