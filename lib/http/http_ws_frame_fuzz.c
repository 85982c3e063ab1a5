/* Fuzzer for the WebSocket frame reader (http_ws_frame.h): the input is
 * read whole and again in pieces whose size comes from its first byte;
 * both must produce the same events and end the same way, because a
 * reader that splits frames differently by the size of the reads would
 * see another message than its peer sent. An event's payload must lie
 * within the limits (control frames 125 bytes, messages max_message). */
#include "core/buf.h"
#include "http/http_ws_frame.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_MESSAGE 4096

/* Reads data in pieces of step (0: whole) into a transcript. Returns the
 * final code: 0 need more, a close code after an error. */
static unsigned read_all(const uint8_t *data, size_t size, size_t step,
                         struct buf *out)
{
	struct http_ws_reader r;
	http_ws_reader_init(&r, FUZZ_MAX_MESSAGE);
	size_t pos = 0;
	unsigned result = 0;
	while (pos < size && result == 0) {
		size_t n = step == 0 || size - pos < step ? size - pos : step;
		size_t used = 0;
		while (used < n) {
			struct http_ws_event ev;
			unsigned code;
			const char *error;
			size_t c;
			int ret = http_ws_reader_read(&r, data + pos + used,
			                              n - used, &c, &ev, &code,
			                              &error);
			if (c > n - used)
				__builtin_trap();
			used += c;
			if (ret < 0) {
				result = code;
				break;
			}
			if (ret == 0) {
				if (used != n)
					__builtin_trap();
				break;
			}
			if ((ev.type != HTTP_WS_EVENT_MESSAGE &&
			     ev.size > HTTP_WS_CONTROL_MAX) ||
			    ev.size > FUZZ_MAX_MESSAGE)
				__builtin_trap();
			buf_printf(out, "%d %d %u %zu:", (int)ev.type,
			           (int)ev.is_text, ev.code, ev.size);
			buf_append(out, ev.data, ev.size);
		}
		pos += n;
	}
	http_ws_reader_deinit(&r);
	return result;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	size_t step = (size_t)(data[0] % 17) + 1;
	struct buf a, b;
	buf_init(&a);
	buf_init(&b);
	unsigned ra = read_all(data + 1, size - 1, 0, &a);
	unsigned rb = read_all(data + 1, size - 1, step, &b);
	if (ra != rb || a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
		__builtin_trap();
	buf_deinit(&a);
	buf_deinit(&b);
	return 0;
}
