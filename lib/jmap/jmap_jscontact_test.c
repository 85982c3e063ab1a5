/* Unit tests for jmap_jscontact.c and jmap_jscontact_write.c: the
 * examples of RFC 9555 §2 (EMAIL, TEL, ADR, N, ORG, BDAY, ...) checked
 * member by member, the round trip of cards as CardDAV clients send them
 * (vCard 3.0 with groups, X- properties and an inline PHOTO) back to
 * vCard and again to a Card with nothing lost, JSPROP for members without
 * a vCard form, and Cards that are not valid, each naming the member. */
#include "core/buf.h"
#include "core/pool.h"
#include "dav/vcard.h"
#include "jmap/jmap_jscontact.h"
#include "test/test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *card_of(const char *text, struct pool *pool)
{
	struct vcard_settings set;
	vcard_settings_init(&set);
	struct vcard *card;
	const char *error;
	if (vcard_parse_resource((const unsigned char *)text, strlen(text),
	                         &set, pool, &card, &error) < 0) {
		test_assert_str(error, "");
		return NULL;
	}
	return jmap_jscontact_from_vcard(card, pool);
}

static const char *str_at(json_t *v, const char *ptr)
{
	json_t *x = jmap_pointer_eval(v, ptr, 10);
	const char *s = json_is_string(x) ? json_string_value(x) : "(none)";
	static char keep[256];
	snprintf(keep, sizeof(keep), "%s", s);
	json_decref(x);
	return keep;
}

static long long int_at(json_t *v, const char *ptr)
{
	json_t *x = jmap_pointer_eval(v, ptr, 10);
	long long n = json_is_integer(x) ? json_integer_value(x) : -1;
	json_decref(x);
	return n;
}

static bool true_at(json_t *v, const char *ptr)
{
	json_t *x = jmap_pointer_eval(v, ptr, 10);
	bool t = json_is_true(x);
	json_decref(x);
	return t;
}

/* RFC 9555 §2.2.2, §2.3.1, §2.3.3, §2.3.4, §2.4.2, §2.6.1 examples. */
static void test_rfc_examples(void)
{
	test_begin("jscontact RFC 9555 examples");
	struct pool *pool = pool_new();
	json_t *c = card_of(
	    "BEGIN:VCARD\r\nVERSION:4.0\r\n"
	    "UID:urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6\r\n"
	    "KIND:individual\r\n"
	    "FN:Mr. John Q. Public\\, Esq.\r\n"
	    "N:Public;John;Quinlan;Mr.;Esq.\r\n"
	    "NICKNAME:Johnny\r\n"
	    "EMAIL;TYPE=work:jqpublic@xyz.example.com\r\n"
	    "EMAIL;PREF=1:jane_doe@example.com\r\n"
	    "TEL;VALUE=uri;PREF=1;TYPE=\"voice,home\":tel:+1-555-555-5555;"
	    "ext=5555\r\n"
	    "TEL;TYPE=cell:+1-555-555-5556\r\n"
	    "ADR;TYPE=work:;;54321 Oak St;Reston;VA;20190;USA\r\n"
	    "ORG:ABC\\, Inc.;North American Division;Marketing\r\n"
	    "TITLE:Research Scientist\r\n"
	    "ROLE:Project Leader\r\n"
	    "BDAY:19531015\r\n"
	    "ANNIVERSARY:--0412\r\n"
	    "NOTE:This fax number is operational 0800 to 1715\\nEST.\r\n"
	    "URL:https://example.com/\r\n"
	    "CATEGORIES:INTERNET,IETF\r\n"
	    "REV:19951031T222710Z\r\n"
	    "END:VCARD\r\n",
	    pool);
	test_assert(c != NULL);
	test_assert_str(str_at(c, "/@type"), "Card");
	test_assert_str(str_at(c, "/version"), "1.0");
	test_assert_str(str_at(c, "/uid"),
	                "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6");
	test_assert_str(str_at(c, "/kind"), "individual");
	test_assert_str(str_at(c, "/name/full"), "Mr. John Q. Public, Esq.");
	test_assert_str(str_at(c, "/name/components/0/kind"), "surname");
	test_assert_str(str_at(c, "/name/components/0/value"), "Public");
	test_assert_str(str_at(c, "/name/components/1/kind"), "given");
	test_assert_str(str_at(c, "/name/components/2/kind"), "given2");
	test_assert_str(str_at(c, "/name/components/3/kind"), "title");
	test_assert_str(str_at(c, "/name/components/4/kind"), "credential");
	test_assert_str(str_at(c, "/name/components/4/value"), "Esq.");
	test_assert_str(str_at(c, "/nicknames/n1/name"), "Johnny");
	test_assert_str(str_at(c, "/emails/e1/address"),
	                "jqpublic@xyz.example.com");
	test_assert(true_at(c, "/emails/e1/contexts/work"));
	test_assert_int(int_at(c, "/emails/e2/pref"), 1);
	test_assert_str(str_at(c, "/phones/p1/number"),
	                "tel:+1-555-555-5555;ext=5555");
	test_assert(true_at(c, "/phones/p1/features/voice"));
	test_assert(true_at(c, "/phones/p1/contexts/private"));
	test_assert_int(int_at(c, "/phones/p1/pref"), 1);
	test_assert_str(str_at(c, "/phones/p1/vCardParams/value"), "uri");
	test_assert(true_at(c, "/phones/p2/features/mobile"));
	test_assert_str(str_at(c, "/addresses/a1/components/0/kind"), "name");
	test_assert_str(str_at(c, "/addresses/a1/components/0/value"),
	                "54321 Oak St");
	test_assert_str(str_at(c, "/addresses/a1/components/1/kind"),
	                "locality");
	test_assert_str(str_at(c, "/addresses/a1/components/3/kind"),
	                "postcode");
	test_assert_str(str_at(c, "/addresses/a1/components/4/value"), "USA");
	test_assert(true_at(c, "/addresses/a1/contexts/work"));
	test_assert_str(str_at(c, "/organizations/o1/name"), "ABC, Inc.");
	test_assert_str(str_at(c, "/organizations/o1/units/1/name"),
	                "Marketing");
	test_assert_str(str_at(c, "/titles/t1/name"), "Research Scientist");
	test_assert_str(str_at(c, "/titles/t2/kind"), "role");
	test_assert_str(str_at(c, "/anniversaries/k1/kind"), "birth");
	test_assert_int(int_at(c, "/anniversaries/k1/date/year"), 1953);
	test_assert_int(int_at(c, "/anniversaries/k1/date/month"), 10);
	test_assert_int(int_at(c, "/anniversaries/k2/date/day"), 12);
	test_assert_int(int_at(c, "/anniversaries/k2/date/year"), -1);
	test_assert_str(str_at(c, "/notes/n1/note"),
	                "This fax number is operational 0800 to 1715\nEST.");
	test_assert_str(str_at(c, "/links/l1/uri"), "https://example.com/");
	test_assert(true_at(c, "/keywords/INTERNET"));
	test_assert(true_at(c, "/keywords/IETF"));
	test_assert_str(str_at(c, "/updated"), "1995-10-31T22:27:10Z");
	test_assert(json_object_get(c, "vCardProps") == NULL);
	/* and back: the same Card again */
	struct buf out;
	buf_init(&out);
	const char *prop, *error;
	test_assert_int(jmap_jscontact_to_vcard(c, pool, &out, &prop, &error),
	                0);
	test_assert(strstr(out.data, "N:Public;John;Quinlan;Mr.;Esq.\r\n") !=
	            NULL);
	test_assert(strstr(out.data, "ORG:ABC\\, Inc.;North American "
	                             "Division;Marketing\r\n") != NULL);
	test_assert(strstr(out.data, "BDAY:19531015\r\n") != NULL);
	test_assert(strstr(out.data, "ANNIVERSARY:--0412\r\n") != NULL);
	test_assert(strstr(out.data, "REV:19951031T222710Z\r\n") != NULL);
	json_t *again = card_of(out.data, pool);
	test_assert(json_equal(c, again));
	json_decref(again);
	buf_deinit(&out);
	json_decref(c);
	pool_free(&pool);
	test_end();
}

/* As an Apple or DAVx5 client writes it: vCard 3.0, groups with
 * X-ABLabel, an inline PHOTO, X- properties and parameters. Names and
 * groups come back uppercased (lib/dav's parser; they are
 * case-insensitive, RFC 6350 §3.3). */
static const char apple_card[] =
    "BEGIN:VCARD\r\n"
    "VERSION:3.0\r\n"
    "PRODID:-//Apple Inc.//iOS 17.0//EN\r\n"
    "N:Appleseed;Johnny;;;\r\n"
    "FN:Johnny Appleseed\r\n"
    "EMAIL;type=INTERNET;type=HOME;type=pref:johnny@example.com\r\n"
    "item1.EMAIL;type=INTERNET:work@example.com\r\n"
    "item1.X-ABLabel:_$!<Other>!$_\r\n"
    "TEL;type=CELL;type=VOICE;type=pref:(555) 555-1234\r\n"
    "item2.ADR;type=HOME:;;1 Infinite Loop;Cupertino;CA;95014;USA\r\n"
    "item2.X-ABADR:us\r\n"
    "PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcG\r\n"
    "X-SOCIALPROFILE;type=twitter;x-user=johnny:http://twitter.com/johnny\r\n"
    "X-UNKNOWN;X-PARAM=\"a,b\";X-PARAM=c:some\\, escaped\\;value\r\n"
    "UID:0a3f6f6e-1b7a-4a1b-9d3e-apple\r\n"
    "REV:2024-01-02T03:04:05Z\r\n"
    "END:VCARD\r\n";

static void test_client_round_trip(void)
{
	test_begin("jscontact round trip of a client's vCard 3.0");
	struct pool *pool = pool_new();
	json_t *c = card_of(apple_card, pool);
	test_assert(c != NULL);
	test_assert_str(str_at(c, "/prodId"), "-//Apple Inc.//iOS 17.0//EN");
	test_assert_str(str_at(c, "/emails/e1/address"), "johnny@example.com");
	test_assert_int(int_at(c, "/emails/e1/pref"), 1);
	test_assert(true_at(c, "/emails/e1/contexts/private"));
	test_assert_str(str_at(c, "/emails/e2/vCardParams/group"), "ITEM1");
	test_assert(true_at(c, "/phones/p1/features/mobile"));
	test_assert(true_at(c, "/phones/p1/features/voice"));
	test_assert_str(str_at(c, "/addresses/a1/vCardParams/group"), "ITEM2");
	test_assert_str(str_at(c, "/vCardProps/0/0"), "x-ablabel");
	test_assert_str(str_at(c, "/vCardProps/0/1/group"), "ITEM1");
	test_assert_str(str_at(c, "/vCardProps/0/3"), "_$!<Other>!$_");
	test_assert_str(str_at(c, "/vCardProps/2/0"), "photo");
	test_assert_str(str_at(c, "/vCardProps/2/1/encoding"), "b");
	test_assert_str(str_at(c, "/vCardProps/4/3"),
	                "some\\, escaped\\;value");
	/* an edit through JMAP: the name changes, the rest stays */
	json_object_set_new(json_object_get(c, "name"), "full",
	                    json_string("John Appleseed"));
	struct buf out;
	buf_init(&out);
	const char *prop, *error;
	test_assert_int(jmap_jscontact_to_vcard(c, pool, &out, &prop, &error),
	                0);
	static const char *const kept[] = {
	    "FN:John Appleseed\r\n",
	    "ITEM1.X-ABLABEL:_$!<Other>!$_\r\n",
	    "ITEM2.X-ABADR:us\r\n",
	    "PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD/"
	    "2wBDAAgGBgcG\r\n",
	    "X-SOCIALPROFILE;TYPE=twitter;X-USER=johnny:http://twitter.com/"
	    "johnny\r\n",
	    "X-UNKNOWN;X-PARAM=\"a,b\",c:some\\, escaped\\;value\r\n",
	    "ITEM1.EMAIL;TYPE=internet:work@example.com\r\n",
	    "ITEM2.ADR;TYPE=home:;;1 Infinite Loop;Cupertino;CA;95014;USA\r\n",
	    "UID:0a3f6f6e-1b7a-4a1b-9d3e-apple\r\n",
	    NULL};
	for (size_t i = 0; kept[i] != NULL; i++) {
		test_assert_idx(strstr(out.data, kept[i]) != NULL, i);
		if (strstr(out.data, kept[i]) == NULL)
			printf("%s", out.data);
	}
	/* a second trip changes nothing more */
	json_t *again = card_of(out.data, pool);
	struct buf out2;
	buf_init(&out2);
	test_assert_int(
	    jmap_jscontact_to_vcard(again, pool, &out2, &prop, &error), 0);
	test_assert_str(out2.data, out.data);
	buf_deinit(&out2);
	json_decref(again);
	buf_deinit(&out);
	json_decref(c);
	pool_free(&pool);
	test_end();
}

static void test_jsprop(void)
{
	test_begin("jscontact JSPROP and a derived FN");
	struct pool *pool = pool_new();
	json_t *c = json_pack(
	    "{s:s, s:s, s:{s:[{s:s, s:s}, {s:s, s:s}]}, s:{s:s},"
	    " s:{s:b}}",
	    "@type", "Card", "uid", "u1", "name", "components", "kind", "given",
	    "value", "Jane", "kind", "surname", "value", "Doe", "speakToAs",
	    "grammaticalGender", "feminine", "example.com:flag", "x", 1);
	struct buf out;
	buf_init(&out);
	const char *prop, *error;
	test_assert_int(jmap_jscontact_to_vcard(c, pool, &out, &prop, &error),
	                0);
	test_assert(strstr(out.data, "FN;DERIVED=TRUE:Jane Doe\r\n") != NULL);
	test_assert(strstr(out.data, "JSPROP;JSPTR=speakToAs:") != NULL);
	json_t *back = card_of(out.data, pool);
	test_assert_str(str_at(back, "/speakToAs/grammaticalGender"),
	                "feminine");
	test_assert(true_at(back, "/example.com:flag/x"));
	test_assert(json_object_get(json_object_get(back, "name"), "full") ==
	            NULL);
	json_decref(back);
	buf_deinit(&out);
	json_decref(c);
	pool_free(&pool);
	test_end();
}

static void test_invalid(void)
{
	test_begin("jscontact invalid Cards name the member");
	static const struct {
		const char *json, *prop;
	} cases[] = {
	    {"{\"@type\":\"Event\"}", "@type"},
	    {"{\"uid\":5}", "uid"},
	    {"{\"name\":\"x\"}", "name"},
	    {"{\"name\":{\"components\":[{\"kind\":\"given\"}]}}",
	     "name/components/0"},
	    {"{\"emails\":{\"e1\":{}}}", "emails/e1/address"},
	    {"{\"emails\":[\"a@b\"]}", "emails"},
	    {"{\"emails\":{\"e1\":{\"address\":\"a@b\",\"pref\":0}}}",
	     "emails/e1/pref"},
	    {"{\"phones\":{\"p1\":{\"number\":1}}}", "phones/p1/number"},
	    {"{\"anniversaries\":{\"k1\":{\"kind\":\"birth\",\"date\":{"
	     "\"month\":13,\"day\":1}}}}",
	     "anniversaries/k1/date"},
	    {"{\"keywords\":{\"a\":false}}", "keywords/a"},
	    {"{\"updated\":\"yesterday\"}", "updated"},
	    {"{\"vCardProps\":[[\"x-a\",{},\"unknown\"]]}", "vCardProps/0"},
	    {"{\"vCardProps\":[[\"bad name\",{},\"unknown\",\"v\"]]}",
	     "vCardProps/0"},
	};
	struct pool *pool = pool_new();
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		json_t *c = json_loads(cases[i].json, 0, NULL);
		struct buf out;
		buf_init(&out);
		const char *prop = "", *error = "";
		test_assert_idx(
		    jmap_jscontact_to_vcard(c, pool, &out, &prop, &error) == -1,
		    i);
		test_assert_str(prop, cases[i].prop);
		test_assert_idx(out.len == 0, i);
		buf_deinit(&out);
		json_decref(c);
	}
	pool_free(&pool);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_rfc_examples,
	                                      test_client_round_trip,
	                                      test_jsprop, test_invalid, NULL};
	return test_run(tests);
}
