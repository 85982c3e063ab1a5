/* Fuzzer for the DATA decoder: the input is decoded whole and again in
 * chunks whose sizes come from the input; both must agree on where the data
 * ends, the bytes produced and the refusal flags (bare CR/LF, long lines),
 * because SMTP smuggling lives in exactly such disagreements. */
#include "core/buf.h"
#include "smtp/smtp_data.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int decode(const uint8_t *data, size_t size, size_t step,
		  struct buf *out, struct smtp_data_decoder *dec,
		  size_t *end_r)
{
	smtp_data_decoder_init(dec, 1000);
	size_t pos = 0;
	while (pos < size) {
		size_t n = size - pos < step ? size - pos : step;
		size_t consumed = 0;
		int ret = smtp_data_decode(dec, data + pos, n, out, &consumed);
		if (consumed > n)
			__builtin_trap();
		if (ret == 1) {
			*end_r = pos + consumed;
			return 1;
		}
		pos += n;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf whole, chunked;
	struct smtp_data_decoder d1, d2;
	size_t end1 = 0, end2 = 0;
	size_t step = size > 0 ? 1 + data[0] % 7 : 1;
	buf_init(&whole);
	buf_init(&chunked);
	int r1 = decode(data, size, size ? size : 1, &whole, &d1, &end1);
	int r2 = decode(data, size, step, &chunked, &d2, &end2);
	if (r1 != r2 || end1 != end2 || whole.len != chunked.len ||
	    memcmp(whole.data, chunked.data, whole.len) != 0 ||
	    d1.has_bare_cr_lf != d2.has_bare_cr_lf ||
	    d1.has_long_line != d2.has_long_line)
		__builtin_trap();
	/* The end is always <CRLF>.<CRLF> (or ".\r\n" at the very start). */
	if (r1 == 1 && (end1 < 3 || memcmp(data + end1 - 3, ".\r\n", 3) != 0))
		__builtin_trap();
	buf_deinit(&whole);
	buf_deinit(&chunked);
	return 0;
}
