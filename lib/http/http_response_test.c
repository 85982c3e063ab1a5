/* Tests of responses through the engine (http_testing.h): HEAD with the
 * Content-Length of GET, gzip by Accept-Encoding (Vary, weak ETag, a
 * streamed file compressed into chunks), preconditions (304, 412), Range
 * (206, multipart/byteranges, 416, If-Range), the security fields, field
 * values that cannot split the head, and backpressure: a producer that is
 * not called while the client does not read. */
#include "http/http_testing.h"
#include "core/buf.h"
#include "core/file.h"
#include "core/pool.h"
#include "http/http_request.h"
#include "http/http_response.h"
#include "http/http_router.h"
#include "test/test.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define LM 784111777 /* Sun, 06 Nov 1994 08:49:37 GMT */

static struct buf text_body, file_body;
static unsigned produced;

static void text(struct http_request *req, void *ctx)
{
	(void)ctx;
	struct http_response *resp = http_response_new(req, 200);
	http_response_set_type(resp, "text/plain; charset=utf-8");
	http_response_set_validators(
	    resp, &(struct http_validators){
	              .etag = "\"v1\"", .last_modified = LM, .exists = true});
	http_response_send_data(resp, text_body.data, text_body.len);
}

/* /file (binary) and /file.txt (text): the same bytes from a file */
static void file(struct http_request *req, void *ctx)
{
	const char *type = ctx;
	char path[4096];
	snprintf(path, sizeof(path), "%s/body", test_tmpdir());
	int fd = open(path, O_RDONLY);
	test_assert(fd >= 0);
	struct http_response *resp = http_response_new(req, 200);
	http_response_set_type(resp, type);
	http_response_set_validators(
	    resp, &(struct http_validators){
	              .etag = "\"f1\"", .last_modified = LM, .exists = true});
	http_response_send_file(resp, fd, file_body.len);
}

static void status(struct http_request *req, void *ctx)
{
	struct http_response *resp = http_response_new(req, atoi(ctx));
	http_response_add_header(resp, "X-Injected", "a\r\nSet-Cookie: x=1");
	http_response_send_empty(resp);
}

static enum http_produce produce(struct http_response *resp, void *ctx)
{
	(void)ctx;
	char piece[4096];
	if (produced == 1000)
		return HTTP_PRODUCE_DONE;
	memset(piece, 'x', sizeof(piece));
	http_response_write(resp, piece, sizeof(piece));
	produced++;
	return HTTP_PRODUCE_MORE;
}

static void stream(struct http_request *req, void *ctx)
{
	(void)ctx;
	struct http_response *resp = http_response_new(req, 200);
	http_response_set_type(resp, "application/octet-stream");
	http_response_send_stream(resp, produce, NULL);
}

static void setup(struct http_testing *t)
{
	const uint32_t get = HTTP_METHOD_BIT(HTTP_METHOD_GET);
	http_testing_init(t);
	struct http_router *r = t->router;
	http_router_add(r, &(struct http_route){.prefix = "/text",
	                                        .methods = get,
	                                        .handler = text});
	http_router_add(r, &(struct http_route){.prefix = "/file",
	                                        .methods = get,
	                                        .handler = file,
	                                        .ctx = "application/x-data"});
	http_router_add(r, &(struct http_route){.prefix = "/file.txt",
	                                        .methods = get,
	                                        .handler = file,
	                                        .ctx = "text/plain"});
	http_router_add(r, &(struct http_route){.prefix = "/204",
	                                        .methods = get,
	                                        .handler = status,
	                                        .ctx = "204",
	                                        .csp = "default-src 'none'"});
	http_router_add(r, &(struct http_route){.prefix = "/201",
	                                        .methods = get,
	                                        .handler = status,
	                                        .ctx = "201"});
	http_router_add(r, &(struct http_route){.prefix = "/stream",
	                                        .methods = get,
	                                        .handler = stream});
	http_testing_connect(t);
}

static void get(struct http_testing *t, const char *path, const char *fields)
{
	char req[1024];
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: a\r\n%s\r\n", path,
	         fields);
	http_testing_send_str(t, req);
}

static void gunzip(const struct buf *in, struct buf *out)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	test_assert(inflateInit2(&z, 16 + 15) == Z_OK);
	buf_truncate(out, 0);
	buf_reserve(out, 1024 * 1024);
	z.next_in = (Bytef *)in->data;
	z.avail_in = (uInt)in->len;
	z.next_out = (Bytef *)out->data;
	z.avail_out = 1024 * 1024;
	test_assert_int(inflate(&z, Z_FINISH), Z_STREAM_END);
	out->len = z.total_out;
	out->data[out->len] = '\0';
	inflateEnd(&z);
}

static void test_response_head_and_gzip(void)
{
	test_begin("http_response HEAD and gzip");
	struct http_testing t;
	setup(&t);
	get(&t, "/text", "");
	get(&t, "/text", "Accept-Encoding: gzip, br\r\n");
	http_testing_send_str(&t, "HEAD /text HTTP/1.1\r\nHost: a\r\n\r\n");
	http_testing_send_str(&t, "HEAD /text HTTP/1.1\r\nHost: a\r\n"
	                          "Accept-Encoding: gzip\r\n\r\n");
	get(&t, "/file", "Accept-Encoding: gzip\r\n");
	get(&t, "/file.txt", "Accept-Encoding: gzip\r\n");
	get(&t, "/text", "Accept-Encoding: gzip;q=0\r\n");
	t.head_mask = (1u << 2) | (1u << 3);
	http_testing_run(&t, 7);
	test_assert_int(t.count, 7);
	/* identity: Vary (the type could be compressed), the strong ETag */
	test_assert_str(t.responses[0].body.data, text_body.data);
	test_assert_str(http_testing_header(&t, 0, "Vary"), "Accept-Encoding");
	test_assert_str(http_testing_header(&t, 0, "ETag"), "\"v1\"");
	test_assert_str(http_testing_header(&t, 0, "Last-Modified"),
	                "Sun, 06 Nov 1994 08:49:37 GMT");
	test_assert_str(http_testing_header(&t, 0, "Accept-Ranges"), "bytes");
	/* gzip: weak ETag, smaller, inflates back */
	test_assert_str(http_testing_header(&t, 1, "Content-Encoding"), "gzip");
	test_assert_str(http_testing_header(&t, 1, "ETag"), "W/\"v1\"");
	test_assert(t.responses[1].body.len < text_body.len / 4);
	struct buf plain;
	buf_init(&plain);
	gunzip(&t.responses[1].body, &plain);
	test_assert_str(plain.data, text_body.data);
	/* HEAD: the same Content-Length as GET, and no body at all */
	test_assert_str(http_testing_header(&t, 2, "Content-Length"),
	                http_testing_header(&t, 0, "Content-Length"));
	test_assert_int(t.responses[2].body.len, 0);
	char gz_len[32];
	snprintf(gz_len, sizeof(gz_len), "%zu", t.responses[1].body.len);
	test_assert_str(http_testing_header(&t, 3, "Content-Length"), gz_len);
	/* binary: never compressed, no Vary */
	test_assert_str(http_testing_header(&t, 4, "Content-Encoding"), "");
	test_assert_str(http_testing_header(&t, 4, "Vary"), "");
	test_assert_int(t.responses[4].body.len, file_body.len);
	/* a text file: compressed as it is read, so chunked */
	test_assert_str(http_testing_header(&t, 5, "Content-Encoding"), "gzip");
	test_assert_str(http_testing_header(&t, 5, "Transfer-Encoding"),
	                "chunked");
	gunzip(&t.responses[5].body, &plain);
	test_assert_int(plain.len, file_body.len);
	test_assert(memcmp(plain.data, file_body.data, plain.len) == 0);
	test_assert_str(http_testing_header(&t, 6, "Content-Encoding"), "");
	buf_deinit(&plain);
	test_assert(!t.is_eof);
	http_testing_deinit(&t);
	test_end();
}

static void test_response_conditional(void)
{
	test_begin("http_response preconditions (304, 412)");
	struct http_testing t;
	setup(&t);
	get(&t, "/text", "If-None-Match: \"x\", \"v1\"\r\n");
	get(&t, "/text", "If-None-Match: W/\"v1\"\r\n");
	get(&t, "/text",
	    "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n");
	get(&t, "/text",
	    "If-Modified-Since: Sat, 05 Nov 1994 08:49:37 GMT\r\n");
	get(&t, "/text", "If-Match: \"other\"\r\n");
	get(&t, "/text",
	    "If-None-Match: \"v2\"\r\n"
	    "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n");
	http_testing_run(&t, 6);
	test_assert_int(t.responses[0].status, 304);
	test_assert_int(t.responses[0].body.len, 0);
	test_assert_str(http_testing_header(&t, 0, "ETag"), "\"v1\"");
	test_assert_str(http_testing_header(&t, 0, "Content-Length"), "");
	test_assert_str(http_testing_header(&t, 0, "Content-Type"), "");
	test_assert_int(t.responses[1].status, 304);
	test_assert_int(t.responses[2].status, 304);
	test_assert_int(t.responses[3].status, 200);
	test_assert_int(t.responses[4].status, 412);
	test_assert_int(t.responses[5].status, 200);
	test_assert(!t.is_eof);
	http_testing_deinit(&t);
	test_end();
}

static void test_response_range(void)
{
	test_begin("http_response Range (206, multipart, 416, If-Range)");
	struct http_testing t;
	setup(&t);
	get(&t, "/file", "Range: bytes=0-9\r\n");
	get(&t, "/file", "Range: bytes=-10\r\n");
	get(&t, "/file", "Range: bytes=0-0,5000-5009\r\n");
	get(&t, "/file", "Range: bytes=100000-\r\n");
	get(&t, "/file", "Range: bytes=0-9\r\nIf-Range: \"f1\"\r\n");
	get(&t, "/file", "Range: bytes=0-9\r\nIf-Range: \"f0\"\r\n");
	get(&t, "/text", "Range: bytes=0-4\r\nAccept-Encoding: gzip\r\n");
	get(&t, "/file", "Range: lines=0-9\r\n");
	http_testing_run(&t, 8);
	test_assert_int(t.count, 8);
	test_assert_int(t.responses[0].status, 206);
	test_assert_str(http_testing_header(&t, 0, "Content-Range"),
	                "bytes 0-9/100000");
	test_assert(t.responses[0].body.len == 10 &&
	            memcmp(t.responses[0].body.data, file_body.data, 10) == 0);
	test_assert_str(http_testing_header(&t, 1, "Content-Range"),
	                "bytes 99990-99999/100000");
	test_assert(
	    memcmp(t.responses[1].body.data, file_body.data + 99990, 10) == 0);
	/* two ranges far apart: multipart/byteranges with both parts */
	test_assert_int(t.responses[2].status, 206);
	const char *type = http_testing_header(&t, 2, "Content-Type");
	test_assert(strncmp(type, "multipart/byteranges; boundary=", 31) == 0);
	char boundary[128];
	snprintf(boundary, sizeof(boundary), "--%s\r\n", type + 31);
	const struct buf *mp = &t.responses[2].body;
	const char *part1 = strstr(mp->data, boundary);
	test_assert(part1 != NULL);
	test_assert(strstr(mp->data, "Content-Range: bytes 0-0/100000") !=
	            NULL);
	test_assert(strstr(mp->data, "Content-Range: bytes 5000-5009/100000") !=
	            NULL);
	test_assert(strstr(mp->data, "Content-Type: application/x-data") !=
	            NULL);
	const char *data2 = strstr(mp->data, "5009/100000\r\n\r\n");
	test_assert(data2 != NULL &&
	            memcmp(data2 + 15, file_body.data + 5000, 10) == 0);
	snprintf(boundary, sizeof(boundary), "--%s--\r\n", type + 31);
	test_assert(mp->len > strlen(boundary) &&
	            strcmp(mp->data + mp->len - strlen(boundary), boundary) ==
	                0);
	/* none satisfiable */
	test_assert_int(t.responses[3].status, 416);
	test_assert_str(http_testing_header(&t, 3, "Content-Range"),
	                "bytes */100000");
	/* If-Range: the current tag honours Range, an old one gets it all */
	test_assert_int(t.responses[4].status, 206);
	test_assert_int(t.responses[5].status, 200);
	test_assert_int(t.responses[5].body.len, 100000);
	/* a range is of the identity bytes: not compressed */
	test_assert_int(t.responses[6].status, 206);
	test_assert_str(t.responses[6].body.data, "line ");
	test_assert_str(http_testing_header(&t, 6, "Content-Encoding"), "");
	/* another unit: ignored */
	test_assert_int(t.responses[7].status, 200);
	test_assert(!t.is_eof);
	http_testing_deinit(&t);
	test_end();
}

static void test_response_fields(void)
{
	test_begin("http_response fields: security, no body, no injection");
	struct http_testing t;
	setup(&t);
	get(&t, "/204", "");
	get(&t, "/201", "");
	http_testing_run(&t, 2);
	test_assert_int(t.responses[0].status, 204);
	test_assert_str(http_testing_header(&t, 0, "Content-Length"), "");
	test_assert_str(http_testing_header(&t, 0, "Content-Security-Policy"),
	                "default-src 'none'");
	test_assert_str(http_testing_header(&t, 0, "X-Content-Type-Options"),
	                "nosniff");
	test_assert_str(http_testing_header(&t, 0, "Referrer-Policy"),
	                "no-referrer");
	test_assert_str(http_testing_header(&t, 0, "Strict-Transport-Security"),
	                "");
	test_assert_str(http_testing_header(&t, 0, "X-Injected"),
	                "a??Set-Cookie: x=1");
	test_assert_str(http_testing_header(&t, 0, "Set-Cookie"), "");
	test_assert_int(t.responses[1].status, 201);
	test_assert_str(http_testing_header(&t, 1, "Content-Length"), "0");
	http_testing_deinit(&t);
	test_end();
}

static void test_response_backpressure(void)
{
	test_begin("http_response backpressure on a producer");
	struct http_testing t;
	setup(&t);
	produced = 0;
	http_testing_set_reading(&t, false);
	get(&t, "/stream", "");
	/* 4 MB would be produced; the client reads nothing, so production
	 * stops near the output limit plus what the socket holds: wait
	 * until it has stopped, however slow the machine */
	unsigned before;
	int rounds = 0;
	do {
		before = produced;
		http_testing_run_for(&t, 100);
	} while (produced != before && ++rounds < 100);
	test_assert_int(produced, before);
	test_assert(produced > 0 && produced < 1000);
	http_testing_set_reading(&t, true);
	http_testing_run(&t, 1);
	test_assert_int(produced, 1000);
	test_assert_int(t.responses[0].body.len, 1000 * 4096);
	http_testing_deinit(&t);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
	    test_response_head_and_gzip, test_response_conditional,
	    test_response_range,         test_response_fields,
	    test_response_backpressure,  NULL};
	buf_init(&text_body);
	buf_init(&file_body);
	for (int i = 0; i < 200; i++)
		buf_printf(&text_body, "line %d of a text that compresses\n",
		           i);
	for (int i = 0; i < 100000; i++)
		buf_append_char(&file_body, (char)('a' + (i * 7) % 26));
	char path[4096];
	snprintf(path, sizeof(path), "%s/body", test_tmpdir());
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || file_write_all(fd, file_body.data, file_body.len) < 0)
		return 1;
	close(fd);
	int ret = test_run(tests);
	buf_deinit(&text_body);
	buf_deinit(&file_body);
	return ret;
}
