/* Clients we did not write against the engine: a child process serves the
 * test routes on 127.0.0.1 (an ephemeral port), and curl and Python's
 * http.client talk to it: keep-alive reuse, gzip, HEAD, Range, uploads
 * with Expect: 100-continue and chunked, Basic credentials, 304. Skipped
 * (exit 77) when curl or python3 is missing. */
#include "core/buf.h"
#include "core/event_loop.h"
#include "core/file.h"
#include "core/net.h"
#include "core/pool.h"
#include "core/tls.h"
#include "core/xmalloc.h"
#include "http/http_request.h"
#include "http/http_response.h"
#include "http/http_router.h"
#include "http/http_server.h"
#include "test/test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static struct buf text_body;
static unsigned port, tls_port;

static void text(struct http_request *req, void *ctx)
{
	(void)ctx;
	struct http_response *resp = http_response_new(req, 200);
	http_response_set_type(resp, "text/plain; charset=utf-8");
	http_response_set_validators(
	    resp, &(struct http_validators){.etag = "\"v1\"",
	                                    .last_modified = 784111777,
	                                    .exists = true});
	http_response_send_data(resp, text_body.data, text_body.len);
}

static void upload_done(struct http_request *req, void *ctx)
{
	(void)ctx;
	const struct http_request_body *b = http_request_body(req);
	http_response_send_text(http_response_new(req, 201),
	                        "size=%llu file=%d\n",
	                        (unsigned long long)b->size, b->fd >= 0);
}

static void upload(struct http_request *req, void *ctx)
{
	http_request_read_body(req, upload_done, ctx);
}

static void me(struct http_request *req, void *ctx)
{
	(void)ctx;
	http_response_send_text(http_response_new(req, 200), "user=%s\n",
	                        http_request_user(req));
}

static void authenticate(void *ctx, struct http_request *req,
                         const struct http_credentials *cred)
{
	(void)ctx;
	bool ok = cred->scheme == HTTP_AUTH_BASIC &&
	          strcmp(cred->user, "alice") == 0 &&
	          strcmp(cred->password, "s\xc3\xa9"
	                                 "cret") == 0;
	http_request_auth_done(req, ok ? HTTP_AUTH_OK : HTTP_AUTH_FAIL,
	                       "alice@example.com");
}

static struct http_server_settings settings, tls_settings;
static struct tls_server *tls;
static const struct http_server_callbacks callbacks = {.authenticate =
                                                           authenticate};

static void accept_cb(int fd, const struct sockaddr *addr, void *ctx)
{
	(void)addr;
	http_server_conn_new(ctx, fd, NULL, &settings, &callbacks, NULL, NULL);
}

static void accept_tls_cb(int fd, const struct sockaddr *addr, void *ctx)
{
	(void)addr;
	http_server_conn_new(ctx, fd, tls, &tls_settings, &callbacks, NULL,
	                     NULL);
}

/* The child: serves until killed; TLS on the second socket. */
static void serve(int listen_fd, int tls_fd)
{
	struct event_loop *loop = event_loop_new();
	struct http_router *router = http_router_new();
	const uint32_t get = HTTP_METHOD_BIT(HTTP_METHOD_GET);
	http_router_add(router, &(struct http_route){.prefix = "/text",
	                                             .methods = get,
	                                             .handler = text});
	http_router_add(
	    router,
	    &(struct http_route){.prefix = "/upload",
	                         .methods = HTTP_METHOD_BIT(HTTP_METHOD_PUT) |
	                                    HTTP_METHOD_BIT(HTTP_METHOD_POST),
	                         .body_max = 8 * 1024 * 1024,
	                         .handler = upload});
	http_router_add(router, &(struct http_route){.prefix = "/me",
	                                             .methods = get,
	                                             .flags = HTTP_ROUTE_AUTH,
	                                             .handler = me});
	settings.router = router;
	settings.tmp_dir = test_tmpdir();
	settings.allow_loopback_plaintext_auth = true;
	tls_settings = settings;
	tls_settings.allow_loopback_plaintext_auth = false;
	tls_settings.hsts_max_age = 31536000;
	const char *error;
	char *cert = xasprintf("%s/cert.pem", test_tmpdir());
	char *key = xasprintf("%s/key.pem", test_tmpdir());
	if (tls_selfsigned_create(cert, key, "localhost", &error) < 0 ||
	    tls_server_new(cert, key, &tls, &error) < 0)
		_exit(1);
	net_listener_new(loop, listen_fd, accept_cb, loop);
	net_listener_new(loop, tls_fd, accept_tls_cb, loop);
	event_loop_run(loop);
	_exit(0);
}

/* Runs a shell command; its standard output in out. */
static void run(struct buf *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void run(struct buf *out, const char *fmt, ...)
{
	struct buf cmd;
	buf_init(&cmd);
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&cmd, fmt, ap);
	va_end(ap);
	buf_truncate(out, 0);
	FILE *p = popen(cmd.data, "r");
	test_assert(p != NULL);
	char piece[4096];
	size_t n;
	while (p != NULL && (n = fread(piece, 1, sizeof(piece), p)) > 0)
		buf_append(out, piece, n);
	if (p != NULL)
		pclose(p);
	buf_deinit(&cmd);
}

static bool has(const struct buf *b, const char *needle)
{
	return strstr(b->data, needle) != NULL;
}

static void test_interop_curl(void)
{
	test_begin("curl against the engine");
	struct buf out;
	buf_init(&out);
	const char *u = "http://127.0.0.1";
	/* two URLs on one connection: the second reuses it */
	run(&out,
	    "curl -s -o /dev/null -o /dev/null "
	    "-w '%%{http_code} %%{num_connects}\\n' %s:%u/text %s:%u/text",
	    u, port, u, port);
	test_assert_str(out.data, "200 1\n200 0\n");
	run(&out, "curl -s --compressed -D - %s:%u/text -o %s/got", u, port,
	    test_tmpdir());
	test_assert(has(&out, "Content-Encoding: gzip"));
	test_assert(has(&out, "ETag: W/\"v1\""));
	run(&out, "cat %s/got", test_tmpdir());
	test_assert_str(out.data, text_body.data);
	run(&out, "curl -s -I %s:%u/text", u, port);
	char cl[64];
	snprintf(cl, sizeof(cl), "Content-Length: %zu", text_body.len);
	test_assert(has(&out, cl));
	run(&out, "curl -s -r 5-9 %s:%u/text", u, port);
	test_assert_str(out.data, "0 of ");
	run(&out,
	    "curl -s -o /dev/null -w '%%{http_code}' -H "
	    "'If-None-Match: \"v1\"' %s:%u/text",
	    u, port);
	test_assert_str(out.data, "304");
	/* 2 MB upload with 100-continue, then chunked */
	run(&out,
	    "head -c 2000000 /dev/zero > %s/up && curl -s -H "
	    "'Expect: 100-continue' -T %s/up %s:%u/upload",
	    test_tmpdir(), test_tmpdir(), u, port);
	test_assert_str(out.data, "size=2000000 file=1\n");
	run(&out,
	    "curl -s -H 'Transfer-Encoding: chunked' --data-binary "
	    "@%s/up %s:%u/upload",
	    test_tmpdir(), u, port);
	test_assert_str(out.data, "size=2000000 file=1\n");
	/* Basic with a UTF-8 password */
	run(&out,
	    "curl -s -u 'alice:s\xc3\xa9"
	    "cret' %s:%u/me",
	    u, port);
	test_assert_str(out.data, "user=alice@example.com\n");
	run(&out,
	    "curl -s -o /dev/null -w '%%{http_code}' -u alice:x "
	    "%s:%u/me",
	    u, port);
	test_assert_str(out.data, "401");
	buf_deinit(&out);
	test_end();
}

static void test_interop_tls(void)
{
	test_begin("curl over TLS: HSTS, credentials");
	struct buf out;
	buf_init(&out);
	run(&out, "curl -s -k -D - -o /dev/null https://127.0.0.1:%u/text",
	    tls_port);
	test_assert(has(&out, "HTTP/1.1 200"));
	test_assert(has(&out, "Strict-Transport-Security: max-age=31536000"));
	run(&out,
	    "curl -s -k -u 'alice:s\xc3\xa9"
	    "cret' https://127.0.0.1:%u/me",
	    tls_port);
	test_assert_str(out.data, "user=alice@example.com\n");
	/* the plain port has no HSTS */
	run(&out, "curl -s -D - -o /dev/null http://127.0.0.1:%u/text", port);
	test_assert(!has(&out, "Strict-Transport-Security"));
	buf_deinit(&out);
	test_end();
}

static void test_interop_python(void)
{
	test_begin("Python http.client against the engine");
	struct buf out;
	buf_init(&out);
	run(&out,
	    "python3 - %u <<'EOF'\n"
	    "import http.client, sys\n"
	    "c = http.client.HTTPConnection('127.0.0.1', int(sys.argv[1]))\n"
	    "for m in ('GET', 'HEAD', 'GET'):\n"
	    "    c.request(m, '/text')\n"
	    "    r = c.getresponse(); b = r.read()\n"
	    "    print(m, r.status, r.getheader('Content-Length'), len(b))\n"
	    "c.request('PUT', '/upload', body=iter([b'abc', b'defg']),\n"
	    "          encode_chunked=True)\n"
	    "r = c.getresponse(); print(r.status, r.read().decode().strip())\n"
	    "c.request('GET', '/nothing')\n"
	    "r = c.getresponse(); r.read(); print(r.status)\n"
	    "c.request('GET', '/text', headers={'Range': 'bytes=0-3'})\n"
	    "r = c.getresponse(); print(r.status, r.read())\n"
	    "EOF\n",
	    port);
	char want[256];
	snprintf(want, sizeof(want),
	         "GET 200 %zu %zu\nHEAD 200 %zu 0\nGET 200 %zu %zu\n"
	         "201 size=7 file=0\n404\n206 b'line'\n",
	         text_body.len, text_body.len, text_body.len, text_body.len,
	         text_body.len);
	test_assert_str(out.data, want);
	buf_deinit(&out);
	test_end();
}

/* A listening socket on 127.0.0.1 and a free port, or -1. */
static int listen_loopback(unsigned *port_r)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET,
	                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sin);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(fd, 16) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) < 0 ||
	    net_set_nonblock(fd) < 0)
		return -1;
	*port_r = ntohs(sin.sin_port);
	return fd;
}

int main(void)
{
	if (system("command -v curl >/dev/null && command -v python3 "
	           ">/dev/null") != 0)
		return 77;
	buf_init(&text_body);
	for (int i = 0; i < 300; i++)
		buf_printf(&text_body, "line %d of text\n", i);
	int fd = listen_loopback(&port), tls_fd = listen_loopback(&tls_port);
	if (fd < 0 || tls_fd < 0)
		return 1;
	test_tmpdir();
	pid_t pid = fork();
	if (pid == 0)
		serve(fd, tls_fd);
	close(fd);
	close(tls_fd);
	static void (*const tests[])(void) = {
	    test_interop_curl, test_interop_tls, test_interop_python, NULL};
	int ret = test_run(tests);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	buf_deinit(&text_body);
	return ret;
}
