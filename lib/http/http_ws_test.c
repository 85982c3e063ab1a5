/* Tests of WebSocket connections on the server engine (http_testing.h):
 * RFC 6455 §1.3's handshake (its key and accept value), messages both
 * ways with frames sent before the 101 arrived, ping answered by pong,
 * the close handshake echoed, a protocol error closed with 1002, and the
 * refused handshakes (no key, version 8: 426 with the version). */
#include "http/http_testing.h"
#include "core/buf.h"
#include "core/pool.h"
#include "http/http_request.h"
#include "http/http_response.h"
#include "http/http_router.h"
#include "http/http_ws.h"
#include "http/http_ws_frame.h"
#include "test/test.h"

#include <stdio.h>
#include <string.h>

static unsigned closed_code;

static bool has_bytes(const struct buf *b, const char *bytes, size_t len)
{
	for (size_t i = 0; i + len <= b->len; i++)
		if (memcmp(b->data + i, bytes, len) == 0)
			return true;
	return false;
}

static void ws_message(struct http_ws *ws, bool is_text,
                       const unsigned char *data, size_t size, void *ctx)
{
	(void)ctx;
	struct buf b;
	buf_init(&b);
	buf_printf(&b, "echo:%s:", is_text ? "text" : "binary");
	buf_append(&b, data, size);
	http_ws_send(ws, true, b.data, b.len);
	buf_deinit(&b);
}

static void ws_closed(struct http_ws *ws, unsigned code, void *ctx)
{
	(void)ws;
	(void)ctx;
	closed_code = code;
}

static void ws_handler(struct http_request *req, void *ctx)
{
	(void)ctx;
	unsigned status;
	const char *error;
	if (http_ws_check(req, "jmap", &status, &error) < 0) {
		http_ws_refuse(req, status, error);
		return;
	}
	static const struct http_ws_settings set = {.max_message = 1000};
	static const struct http_ws_callbacks cb = {.message = ws_message,
	                                            .closed = ws_closed};
	http_ws_accept(req, "jmap", &set, &cb, NULL);
}

static void setup(struct http_testing *t)
{
	http_testing_init(t);
	closed_code = 0;
	http_router_add(t->router,
	                &(struct http_route){
	                    .prefix = "/ws",
	                    .methods = HTTP_METHOD_BIT(HTTP_METHOD_GET),
	                    .handler = ws_handler});
	http_testing_connect(t);
}

/* A masked client frame. */
static void send_frame(struct http_testing *t, unsigned first,
                       const char *payload, size_t len)
{
	static const unsigned char mask[4] = {1, 2, 3, 4};
	unsigned char h[HTTP_WS_HEADER_MAX];
	size_t hl = http_ws_frame_header(HTTP_WS_TEXT, len, h);
	h[0] = (unsigned char)first;
	h[1] |= 0x80;
	struct buf b;
	buf_init(&b);
	buf_append(&b, h, hl);
	buf_append(&b, mask, 4);
	for (size_t i = 0; i < len; i++)
		buf_append_char(&b, (char)(payload[i] ^ mask[i & 3]));
	http_testing_send(t, b.data, b.len);
	buf_deinit(&b);
}

static const char handshake[] =
    "GET /ws HTTP/1.1\r\nHost: server.example.com\r\n"
    "Upgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Origin: http://example.com\r\n"
    "Sec-WebSocket-Protocol: chat, jmap\r\n"
    "Sec-WebSocket-Version: 13\r\n\r\n";

static void run_until(struct http_testing *t, const char *text)
{
	t->want_text = text;
	http_testing_run(t, 0);
	test_assert(strstr(t->got.data, text) != NULL);
}

static void test_ws_messages(void)
{
	test_begin("ws handshake, messages, ping, close");
	struct http_testing t;
	setup(&t);
	http_testing_send_str(&t, handshake);
	/* frames right behind the handshake, before the 101 arrived */
	send_frame(&t, 0x81, "hello", 5);
	run_until(&t, "echo:text:hello");
	test_assert(strncmp(t.got.data, "HTTP/1.1 101 Switching Protocols\r\n",
	                    34) == 0);
	test_assert(strstr(t.got.data, "Sec-WebSocket-Accept: "
	                               "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") !=
	            NULL);
	test_assert(strstr(t.got.data, "Sec-WebSocket-Protocol: jmap\r\n") !=
	            NULL);
	/* a fragmented binary message */
	send_frame(&t, 0x02, "ab", 2);
	send_frame(&t, 0x80, "cd", 2);
	run_until(&t, "echo:binary:abcd");
	/* ping: a pong with the same payload */
	send_frame(&t, 0x89, "pp42", 4);
	run_until(&t, "\x8a\x04pp42");
	/* close: echoed with the code, then the connection ends */
	send_frame(&t, 0x88, "\x03\xe8", 2);
	http_testing_run(&t, 0);
	test_assert(t.is_eof);
	test_assert(has_bytes(&t.got, "\x88\x02\x03\xe8", 4));
	test_assert_int(closed_code, 1000);
	http_testing_deinit(&t);
	test_end();
}

static void test_ws_errors(void)
{
	test_begin("ws protocol error and refused handshakes");
	struct http_testing t;
	setup(&t);
	http_testing_send_str(&t, handshake);
	/* unmasked: 1002, then the close wait */
	http_testing_send(&t, "\x81\x02hi", 4);
	http_testing_run(&t, 0);
	test_assert(t.is_eof);
	test_assert(has_bytes(&t.got, "\x88", 1));
	test_assert(has_bytes(&t.got, "\x03\xea", 2));
	test_assert_int(closed_code, 1006);
	http_testing_deinit(&t);
	/* too big: 1009 */
	setup(&t);
	http_testing_send_str(&t, handshake);
	static char big[1001];
	memset(big, 'x', sizeof(big));
	send_frame(&t, 0x81, big, sizeof(big));
	http_testing_run(&t, 0);
	test_assert(has_bytes(&t.got, "\x03\xf1", 2));
	http_testing_deinit(&t);
	static const struct {
		const char *req;
		unsigned status;
	} cases[] = {
	    {"GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n"
	     "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
	     "Sec-WebSocket-Protocol: jmap\r\n\r\n",
	     400},
	    {"GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n"
	     "Connection: Upgrade\r\nSec-WebSocket-Version: 8\r\n"
	     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	     "Sec-WebSocket-Protocol: jmap\r\n\r\n",
	     426},
	    {"GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n"
	     "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
	     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
	     400},
	    {"GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\n"
	     "Sec-WebSocket-Version: 13\r\n"
	     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	     "Sec-WebSocket-Protocol: jmap\r\n\r\n",
	     400},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		setup(&t);
		http_testing_send_str(&t, cases[i].req);
		http_testing_run(&t, 1);
		test_assert_idx(t.responses[0].status == cases[i].status, i);
		if (cases[i].status == 426)
			test_assert_str(
			    http_testing_header(&t, 0, "Sec-WebSocket-Version"),
			    "13");
		http_testing_deinit(&t);
	}
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_ws_messages, test_ws_errors,
	                                      NULL};
	return test_run(tests);
}
