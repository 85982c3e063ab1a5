/* Unit tests for vcard.c: unfolding, groups and parameters, escapes,
 * several cards, limits, malformed input, writing (escapes, folding at 75
 * octets without splitting UTF-8) and a parse -> write -> parse round
 * trip. */
#include "core/buf.h"
#include "core/pool.h"
#include "dav/vcard.h"
#include "test/test.h"

#include <stdlib.h>
#include <string.h>

static struct vcard_settings set;

/* Parses str expecting success; returns the cards from pool. */
static struct vcard **parse(const char *str, struct pool *pool, size_t *count_r)
{
	struct vcard **cards = NULL;
	const char *error = NULL;
	*count_r = 0;
	int ret = vcard_parse((const unsigned char *)str, strlen(str), &set,
	                      pool, &cards, count_r, &error);
	test_assert_str(error == NULL ? "" : error, "");
	test_assert(ret == 0);
	return cards;
}

static void test_vcard_parse_4(void)
{
	test_begin("vcard parse 4.0");
	struct pool *pool = pool_new();
	size_t count;
	struct vcard **cards =
	    parse("BEGIN:VCARD\r\n"
	          "VERSION:4.0\r\n"
	          "UID:urn:uuid:1234\r\n"
	          "FN:Lisa \\\"Q\\\" Example\\, PhD\r\n"
	          "N:Example;Lisa;Q\\;R;Dr.;PhD,MD\r\n"
	          "EMAIL;TYPE=work;PREF=1:lisa@work.example\r\n"
	          "EMAIL;TYPE=\"home,internet\":lisa@home.example\r\n"
	          "TEL;VALUE=uri;TYPE=cell:tel:+1-555-0100\r\n"
	          "ORG:Example Inc.;Sales\r\n"
	          "NOTE:line one\\nline two\\\\ end\r\n"
	          "REV:20240102T030405Z\r\n"
	          "item1.X-ABLABEL;X-P=\"a:b;c\",plain:Label\r\n"
	          "END:VCARD\r\n",
	          pool, &count);
	test_assert_int(count, 1);
	if (count == 1) {
		struct vcard *c = cards[0];
		test_assert_int(c->version, VCARD_VERSION_4);
		test_assert_str(c->uid, "urn:uuid:1234");
		test_assert_str(c->fn, "Lisa \"Q\" Example, PhD");
		test_assert_str(c->n.family, "Example");
		test_assert_str(c->n.given, "Lisa");
		test_assert_str(c->n.additional, "Q;R");
		test_assert_str(c->n.suffixes, "PhD,MD");
		test_assert_int(c->email_count, 2);
		test_assert_str(c->emails[0].value, "lisa@work.example");
		test_assert_str(c->emails[0].types, "work");
		test_assert_int(c->emails[0].pref, 1);
		test_assert_str(c->emails[1].types, "home,internet");
		test_assert_int(c->emails[1].pref, 0);
		test_assert_int(c->tel_count, 1);
		test_assert_str(c->tels[0].value, "+1-555-0100");
		test_assert_str(c->tels[0].types, "cell");
		test_assert_str(c->org, "Example Inc.");
		test_assert_str(c->note, "line one\nline two\\ end");
		test_assert_str(c->rev, "20240102T030405Z");
		test_assert_int(c->prop_count, 11);
		const struct vcard_property *p = &c->props[10];
		test_assert_str(p->group, "ITEM1");
		test_assert_str(p->name, "X-ABLABEL");
		test_assert_int(p->param_count, 1);
		test_assert_str(p->params[0].name, "X-P");
		test_assert_int(p->params[0].value_count, 2);
		test_assert_str(p->params[0].values[0], "a:b;c");
		test_assert_str(p->params[0].values[1], "plain");
		test_assert(strncmp(c->raw, "BEGIN:VCARD\r\n", 13) == 0);
		test_assert(
		    c->raw_size > 13 &&
		    strcmp(c->raw + c->raw_size - 11, "END:VCARD\r\n") == 0);
	}
	pool_free(&pool);
	test_end();
}

static void test_vcard_parse_3(void)
{
	test_begin("vcard parse 3.0, folding, several cards");
	struct pool *pool = pool_new();
	size_t count;
	/* bare LF, folded lines (space and tab), 2.1-style bare TYPE,
	 * TYPE=pref, lowercase names, RFC 6868 ^-escapes */
	struct vcard **cards = parse("\n"
	                             "begin:vcard\n"
	                             "version:3.0\n"
	                             "fn:Bob\n"
	                             " by Fold\n"
	                             "email;type=INTERNET;type=pref:bob@\n"
	                             "\texample.org\n"
	                             "TEL;HOME;VOICE:555 1234\n"
	                             "X-Q;X-A=say ^'hi^' ^^^n:v\n"
	                             "end:vcard\n"
	                             "\n"
	                             "BEGIN:VCARD\n"
	                             "VERSION:3.0\n"
	                             "FN:Second\n"
	                             "END:VCARD",
	                             pool, &count);
	test_assert_int(count, 2);
	if (count == 2) {
		struct vcard *c = cards[0];
		test_assert_int(c->version, VCARD_VERSION_3);
		test_assert_str(c->fn, "Bobby Fold");
		test_assert_int(c->email_count, 1);
		test_assert_str(c->emails[0].value, "bob@example.org");
		test_assert_str(c->emails[0].types, "internet");
		test_assert_int(c->emails[0].pref, 1);
		test_assert_str(c->tels[0].types, "home,voice");
		test_assert_str(c->props[4].params[0].values[0],
		                "say \"hi\" ^\n");
		test_assert(c->uid == NULL && c->org == NULL);
		test_assert_str(cards[1]->fn, "Second");
	}
	pool_free(&pool);
	test_end();
}

static void test_vcard_parse_errors(void)
{
	test_begin("vcard parse errors and limits");
	static const struct {
		const char *input;
		const char *error;
	} cases[] = {
	    {"FN:x\r\n", "line 1: expected BEGIN:VCARD"},
	    {"BEGIN:VCARD\r\nFN:x\r\n", "line 3: no END:VCARD"},
	    {"BEGIN:VCARD\r\nFN x\r\nEND:VCARD\r\n",
	     "line 2: malformed content line"},
	    {"BEGIN:VCARD\r\n;FN:x\r\nEND:VCARD\r\n",
	     "line 2: malformed content line"},
	    {"BEGIN:VCARD\r\nFN;TYPE=\"x:y\r\nEND:VCARD\r\n",
	     "line 2: malformed content line"},
	    {"BEGIN:VCARD\r\nFN;=x:y\r\nEND:VCARD\r\n",
	     "line 2: malformed content line"},
	    {"BEGIN:VCARD\r\nBEGIN:VCARD\r\nEND:VCARD\r\n",
	     "line 2: BEGIN:VCARD inside a card"},
	    {"BEGIN:VCARD\r\nA:1\r\nB:2\r\nC:3\r\nD:4\r\nEND:VCARD\r\n",
	     "line 5: too many properties"},
	    {"BEGIN:VCARD\r\nNOTE:0123456789012345678901234567890123456789\r\n"
	     "END:VCARD\r\n",
	     "line 2: line too long"},
	    {"BEGIN:VCARD\r\nNOTE:0123456789012345678901234567890\r\n"
	     " 123456789\r\nEND:VCARD\r\n",
	     "line 2: line too long"},
	    {"BEGIN:VCARD\r\nEND:VCARD\r\nBEGIN:VCARD\r\nEND:VCARD\r\n"
	     "BEGIN:VCARD\r\nEND:VCARD\r\n",
	     "line 5: too many cards"},
	};
	struct vcard_settings small = {
	    .max_line_len = 40, .max_properties = 3, .max_cards = 2};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct pool *pool = pool_new();
		struct vcard **cards;
		size_t count;
		const char *error = "";
		int ret = vcard_parse((const unsigned char *)cases[i].input,
		                      strlen(cases[i].input), &small, pool,
		                      &cards, &count, &error);
		test_assert_idx(ret == -1, i);
		test_assert_str(error, cases[i].error);
		pool_free(&pool);
	}
	/* a NUL byte is refused, not cut */
	static const unsigned char nul[] =
	    "BEGIN:VCARD\r\nFN:a\0b\r\nEND:VCARD\r\n";
	struct pool *pool = pool_new();
	struct vcard **cards;
	size_t count;
	const char *error = "";
	test_assert(vcard_parse(nul, sizeof(nul) - 1, &set, pool, &cards,
	                        &count, &error) == -1);
	test_assert_str(error, "line 2: NUL byte");
	/* nothing at all is zero cards */
	test_assert(vcard_parse(nul, 0, &set, pool, &cards, &count, &error) ==
	            0);
	test_assert_int(count, 0);
	pool_free(&pool);
	test_end();
}

static void test_vcard_write(void)
{
	test_begin("vcard write: escapes, params, folding");
	struct vcard_typed emails[] = {
	    {.value = "a@example.org", .types = "work,x;y", .pref = 2},
	};
	struct vcard card = {
	    .fn = "Smith, John; \"Jr\"\\",
	    .n = {.family = "Smith", .given = "John", .suffixes = "Jr.,MD"},
	    .emails = emails,
	    .email_count = 1,
	    .note = "two\r\nlines",
	};
	struct buf out;
	buf_init(&out);
	vcard_write(&card, &out);
	test_assert_str(out.data,
	                "BEGIN:VCARD\r\n"
	                "VERSION:4.0\r\n"
	                "FN:Smith\\, John\\; \"Jr\"\\\\\r\n"
	                "N:Smith;John;;;Jr.,MD\r\n"
	                "EMAIL;TYPE=work,\"x;y\";PREF=2:a@example.org\r\n"
	                "NOTE:two\\nlines\r\n"
	                "END:VCARD\r\n");
	/* 80 x 'a' then a 3-octet character across the fold */
	char note[128];
	memset(note, 'a', 68);
	memcpy(note + 68,
	       "\xe2\x82\xac"
	       "bcdefghij",
	       13);
	card = (struct vcard){.fn = "F", .note = note};
	buf_truncate(&out, 0);
	vcard_write(&card, &out);
	/* "NOTE:" + 68 = 73 octets, the euro sign would end at 76: fold */
	const char *line = strstr(out.data, "NOTE:");
	test_assert(line != NULL);
	if (line != NULL) {
		const char *eol = strstr(line, "\r\n");
		test_assert_int(eol - line, 73);
		test_assert(strncmp(eol,
		                    "\r\n \xe2\x82\xac"
		                    "bcdefghij\r\n",
		                    17) == 0);
	}
	buf_deinit(&out);
	test_end();
}

/* Every line of a written card is at most 75 octets. */
static bool lines_fit(const char *text)
{
	for (const char *p = text; *p != '\0';) {
		const char *eol = strstr(p, "\r\n");
		if (eol == NULL || eol - p > 75)
			return false;
		p = eol + 2;
	}
	return true;
}

static void test_vcard_round_trip(void)
{
	test_begin("vcard round trip");
	struct pool *pool = pool_new();
	size_t count;
	struct vcard **cards = parse(
	    "BEGIN:VCARD\r\nVERSION:3.0\r\nPRODID:-//Other//EN\r\n"
	    "UID:u-1\r\nFN:Ann\\, the \\;first\\; one\r\n"
	    "N:One;Ann;;;\r\n"
	    "EMAIL;TYPE=INTERNET,HOME:ann@example.org\r\n"
	    "EMAIL;TYPE=WORK:ann@work.example.org\r\n"
	    "TEL;TYPE=CELL:+44 20 7946 0000\r\n"
	    "ORG:Acme\\, Ltd\r\n"
	    "NOTE:A very long note that certainly needs folding because it"
	    " is longer than seventy-five octets\\nand has two lines\r\n"
	    "ADR;TYPE=home:;;1 Road;Town;;12345;UK\r\n"
	    "grp.X-CUSTOM;X-K=\"a,b\":keep me\\, please\r\n"
	    "END:VCARD\r\n",
	    pool, &count);
	test_assert_int(count, 1);
	if (count != 1) {
		pool_free(&pool);
		test_end();
		return;
	}
	struct buf out;
	buf_init(&out);
	vcard_write(cards[0], &out);
	test_assert(lines_fit(out.data));
	test_assert(strstr(out.data, "PRODID") == NULL);
	struct vcard **again = parse(out.data, pool, &count);
	test_assert_int(count, 1);
	if (count == 1) {
		struct vcard *a = again[0], *c = cards[0];
		test_assert_int(a->version, VCARD_VERSION_4);
		test_assert_str(a->uid, c->uid);
		test_assert_str(a->fn, "Ann, the ;first; one");
		test_assert_str(a->n.family, "One");
		test_assert_int(a->email_count, 2);
		test_assert_str(a->emails[0].types, "internet,home");
		test_assert_str(a->emails[1].value, "ann@work.example.org");
		test_assert_str(a->tels[0].value, "+44 20 7946 0000");
		test_assert_str(a->org, "Acme, Ltd");
		test_assert_str(a->note, c->note);
		test_assert(strstr(out.data, "ADR;TYPE=home:;;1 Road;Town;;"
		                             "12345;UK\r\n") != NULL);
		const struct vcard_property *x = &a->props[a->prop_count - 1];
		test_assert_str(x->group, "GRP");
		test_assert_str(x->params[0].values[0], "a,b");
		test_assert_str(x->value, "keep me\\, please");
		/* writing again gives the same text */
		struct buf out2;
		buf_init(&out2);
		vcard_write(a, &out2);
		test_assert_str(out2.data, out.data);
		buf_deinit(&out2);
	}
	buf_deinit(&out);
	pool_free(&pool);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
	    test_vcard_parse_4, test_vcard_parse_3,    test_vcard_parse_errors,
	    test_vcard_write,   test_vcard_round_trip, NULL,
	};
	vcard_settings_init(&set);
	return test_run(tests);
}
