/* Fuzzer for vcard.c: whatever parses must write as vCard 4.0 that parses
 * again to as many cards with the same e-mail and phone counts, and
 * writing that again must give the same text (writing is idempotent). */
#include "core/buf.h"
#include "core/pool.h"
#include "dav/vcard.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Writes card, parses the text back (escaping may lengthen lines, so with
 * no limits) and checks it. */
static void card_check(const struct vcard *card, struct pool *pool)
{
	static const struct vcard_settings unlimited = {
	    .max_line_len = SIZE_MAX,
	    .max_properties = SIZE_MAX,
	    .max_cards = SIZE_MAX,
	};
	struct buf out, out2;
	buf_init(&out);
	buf_init(&out2);
	vcard_write(card, &out);
	struct vcard **again;
	size_t count;
	const char *error;
	if (vcard_parse((const unsigned char *)out.data, out.len, &unlimited,
	                pool, &again, &count, &error) < 0 ||
	    count != 1 || again[0]->email_count != card->email_count ||
	    again[0]->tel_count != card->tel_count)
		__builtin_trap();
	vcard_write(again[0], &out2);
	if (strcmp(out.data, out2.data) != 0)
		__builtin_trap();
	buf_deinit(&out);
	buf_deinit(&out2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vcard_settings set;
	vcard_settings_init(&set);
	set.max_line_len = 4096;
	set.max_properties = 200;
	set.max_cards = 50;
	struct pool *pool = pool_new();
	struct vcard_parser parser;
	vcard_parser_init(&parser, data, size, &set);
	struct vcard *card;
	const char *error;
	while (vcard_parser_next(&parser, pool, &card, &error) > 0)
		card_check(card, pool);
	pool_free(&pool);
	return 0;
}
