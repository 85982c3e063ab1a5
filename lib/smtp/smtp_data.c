/* DATA decoding after RFC 5321 §4.5.2 with the strict end of §4.1.1.4: the
 * state machine below only reaches the end through LINE_START '.' CR LF, and
 * a LINE_START is only entered through CR LF, so no bare CR or LF can make
 * an end (CVE-2023-51764). Bare CR/LF and long lines are remembered. */
#include "smtp/smtp_data.h"
#include "core/buf.h"

void smtp_data_decoder_init(struct smtp_data_decoder *dec, size_t max_line)
{
	dec->state = SMTP_DATA_LINE_START;
	dec->max_line = max_line;
	dec->line_len = 0;
	dec->has_bare_cr_lf = false;
	dec->has_long_line = false;
}

static void data_line_end(struct smtp_data_decoder *dec)
{
	if (dec->max_line != 0 && dec->line_len > dec->max_line)
		dec->has_long_line = true;
	dec->line_len = 0;
}

/* Appends c, counting it against the line limit. */
static void data_out(struct smtp_data_decoder *dec, struct buf *out,
                     unsigned char c)
{
	buf_append_char(out, (char)c);
	dec->line_len++;
	if (dec->max_line != 0 && dec->line_len > dec->max_line)
		dec->has_long_line = true;
}

/* One byte in the middle of a line (TEXT or CR state). */
static void data_text(struct smtp_data_decoder *dec, struct buf *out,
                      unsigned char c)
{
	if (dec->state == SMTP_DATA_CR) {
		if (c == '\n') {
			data_out(dec, out, '\r');
			data_out(dec, out, '\n');
			data_line_end(dec);
			dec->state = SMTP_DATA_LINE_START;
			return;
		}
		/* The CR before c was bare. */
		dec->has_bare_cr_lf = true;
		data_out(dec, out, '\r');
		dec->state = SMTP_DATA_TEXT;
	}
	if (c == '\r') {
		dec->state = SMTP_DATA_CR;
		return;
	}
	if (c == '\n')
		dec->has_bare_cr_lf = true; /* never a line end */
	data_out(dec, out, c);
	dec->state = SMTP_DATA_TEXT;
}

/* data = *text-line "." CRLF, text lines dot-stuffed (§4.5.2) */
int smtp_data_decode(struct smtp_data_decoder *dec, const unsigned char *data,
                     size_t size, struct buf *out, size_t *consumed_r)
{
	for (size_t i = 0; i < size; i++) {
		unsigned char c = data[i];
		switch (dec->state) {
		case SMTP_DATA_LINE_START:
			if (c == '.') {
				/* The transparency dot is not counted
				 * (RFC 5321 §4.5.3.1.6). */
				dec->state = SMTP_DATA_DOT;
				continue;
			}
			dec->state = SMTP_DATA_TEXT;
			data_text(dec, out, c);
			break;
		case SMTP_DATA_DOT:
			if (c == '\r') {
				dec->state = SMTP_DATA_DOT_CR;
				continue;
			}
			/* A stuffed dot is dropped; ".\n" is a bare LF. */
			dec->state = SMTP_DATA_TEXT;
			data_text(dec, out, c);
			break;
		case SMTP_DATA_DOT_CR:
			if (c == '\n') {
				*consumed_r = i + 1;
				return 1;
			}
			/* ".\r" then something else: that CR was bare. */
			dec->state = SMTP_DATA_CR;
			data_text(dec, out, c);
			break;
		case SMTP_DATA_TEXT:
		case SMTP_DATA_CR:
			data_text(dec, out, c);
			break;
		}
	}
	*consumed_r = size;
	return 0;
}

void smtp_data_scan(struct smtp_data_decoder *dec, const unsigned char *data,
                    size_t size)
{
	for (size_t i = 0; i < size; i++) {
		unsigned char c = data[i];
		dec->line_len++;
		if (dec->state == SMTP_DATA_CR) {
			if (c == '\n') {
				data_line_end(dec);
				dec->state = SMTP_DATA_LINE_START;
				continue;
			}
			dec->has_bare_cr_lf = true;
		}
		if (c == '\r')
			dec->state = SMTP_DATA_CR;
		else {
			if (c == '\n')
				dec->has_bare_cr_lf = true;
			dec->state = SMTP_DATA_TEXT;
		}
		if (dec->max_line != 0 && dec->line_len > dec->max_line)
			dec->has_long_line = true;
	}
}

void smtp_data_scan_finish(struct smtp_data_decoder *dec)
{
	if (dec->state == SMTP_DATA_CR)
		dec->has_bare_cr_lf = true;
}
