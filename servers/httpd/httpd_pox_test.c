/* Tests for httpd_pox.c: the element found in the requests Outlook and
 * Thunderbird send, with prefixes and attributes; what is skipped
 * (comments, processing instructions) and what is refused (DOCTYPE, CDATA,
 * entities, markup or controls in the text). */
#include "core/pool.h"
#include "httpd_pox.h"
#include "test/test.h"

#include <string.h>

#define OUTLOOK_REQUEST                                                        \
	"<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n"                       \
	"<Autodiscover xmlns=\"http://schemas.microsoft.com/exchange/"         \
	"autodiscover/outlook/requestschema/2006\">\r\n"                       \
	"  <Request>\r\n"                                                      \
	"    <EMailAddress>bob@example.com</EMailAddress>\r\n"                 \
	"    <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/" \
	"autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>" \
	"\r\n  </Request>\r\n</Autodiscover>\r\n"

static const struct {
	const char *doc, *name;
	int ret;
	const char *value;
} cases[] = {
    {OUTLOOK_REQUEST, "EMailAddress", 1, "bob@example.com"},
    {OUTLOOK_REQUEST, "AcceptableResponseSchema", 1,
     "http://schemas.microsoft.com/exchange/autodiscover/outlook/"
     "responseschema/2006a"},
    {OUTLOOK_REQUEST, "LegacyDN", 0, NULL},
    {"<a:Autodiscover xmlns:a=\"x\"><a:Request><a:EMailAddress>\n"
     "  bob@example.com \n</a:EMailAddress></a:Request></a:Autodiscover>",
     "EMailAddress", 1, "bob@example.com"},
    {"<EMailAddress lang=\"en\">bob@x.test</EMailAddress>", "EMailAddress", 1,
     "bob@x.test"},
    {"<EMailAddressX>a@x.test</EMailAddressX><EMailAddress>b@x.test"
     "</EMailAddress>",
     "EMailAddress", 1, "b@x.test"},
    {"<!-- <EMailAddress>evil@x.test</EMailAddress> -->"
     "<EMailAddress>bob@x.test</EMailAddress>",
     "EMailAddress", 1, "bob@x.test"},
    {"<?pi <EMailAddress>evil@x.test</EMailAddress> ?>"
     "<EMailAddress>bob@x.test</EMailAddress>",
     "EMailAddress", 1, "bob@x.test"},
    {"<EMailAddress/>", "EMailAddress", 0, NULL},
    {"<EMailAddress>  </EMailAddress>", "EMailAddress", 0, NULL},
    {"", "EMailAddress", 0, NULL},
    {"<!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
     "<EMailAddress>&x;</EMailAddress>",
     "EMailAddress", -1, NULL},
    {"<EMailAddress><![CDATA[bob@x.test]]></EMailAddress>", "EMailAddress", -1,
     NULL},
    {"<EMailAddress>bob&amp;@x.test</EMailAddress>", "EMailAddress", -1, NULL},
    {"<EMailAddress>bob@x.test<b/></EMailAddress>", "EMailAddress", -1, NULL},
    {"<EMailAddress>bob\x01@x.test</EMailAddress>", "EMailAddress", -1, NULL},
    {"<EMailAddress>bob@x.test", "EMailAddress", -1, NULL},
    {"<EMailAddress", "EMailAddress", -1, NULL},
    {"<!-- unterminated <EMailAddress>b@x.test</EMailAddress>", "EMailAddress",
     -1, NULL},
    {"<", "EMailAddress", 0, NULL},
};

static void test_pox_find(void)
{
	test_begin("httpd_pox_find");
	struct pool *pool = pool_new();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *value = NULL;
		int ret = httpd_pox_find((const unsigned char *)cases[i].doc,
		                         strlen(cases[i].doc), cases[i].name,
		                         pool, &value);
		test_assert_idx(ret == cases[i].ret, i);
		if (ret == 1)
			test_assert_str(value, cases[i].value);
	}
	pool_free(&pool);
	test_end();
}

static void test_pox_find_nul(void)
{
	test_begin("httpd_pox_find with NUL bytes and every prefix length");
	struct pool *pool = pool_new();
	static const char doc[] = "<x>\0</x><EMailAddress>b\0@x</EMailAddress>";
	const char *value;
	test_assert(httpd_pox_find((const unsigned char *)doc, sizeof(doc) - 1,
	                           "EMailAddress", pool, &value) == -1);
	/* every truncation of a good request is answered without reading
	 * past its end (ASan watches) */
	size_t len = strlen(OUTLOOK_REQUEST);
	for (size_t n = 0; n < len; n++) {
		unsigned char *copy = pool_alloc(pool, n + 1);
		memcpy(copy, OUTLOOK_REQUEST, n);
		int ret = httpd_pox_find(copy, n, "EMailAddress", pool, &value);
		test_assert_idx(
		    ret <= 0 || strcmp(value, "bob@example.com") == 0, n);
	}
	pool_free(&pool);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_pox_find, test_pox_find_nul,
	                                      NULL};
	return test_run(tests);
}
