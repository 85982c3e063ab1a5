/* Tests for dav_client.c: URLs and hrefs, then requests against scripted
 * servers in forked children over socketpairs (each new connection the
 * client asks for gets the next script): a persistent connection carrying
 * two requests, chunked bodies with a trailer, a body until close, an
 * interim 100, a server that closes an idle connection (the request is
 * sent again once), Connection: close, limits and garbage. What the
 * client sent is written to a file by the child and checked here. */
#include "dav/dav_client.h"
#include "core/buf.h"
#include "core/file.h"
#include "core/pool.h"
#include "core/tls_stream.h"
#include "test/test.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static void test_url(void)
{
	test_begin("dav_url_parse and dav_client_href_path");
	struct pool *pool = pool_new();
	struct dav_url url;
	const char *error;
	test_assert_int(
	    dav_url_parse("https://mail.example.org/dav/", pool, &url, &error),
	    0);
	test_assert(url.is_tls);
	test_assert_str(url.host, "mail.example.org");
	test_assert_int(url.port, 443);
	test_assert_str(url.path, "/dav/");
	test_assert_int(
	    dav_url_parse("http://127.0.0.1:8080", pool, &url, &error), 0);
	test_assert(!url.is_tls);
	test_assert_int(url.port, 8080);
	test_assert_str(url.path, "/");
	test_assert_int(
	    dav_url_parse("https://[::1]:2443/a%20b/", pool, &url, &error), 0);
	test_assert_str(url.host, "::1");
	test_assert_int(url.port, 2443);
	test_assert_str(url.path, "/a b/");
	test_assert_str(dav_url_str(&url, pool), "https://[::1]:2443/a%20b/");
	const char *bad[] = {
	    "ftp://x/",     "https://",         "https://u@h/",
	    "https://h:0/", "https://h:99999/", "https://h/?q",
	    "https://h/#f", "https://h/../x",   "mail.example"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		test_assert_idx(dav_url_parse(bad[i], pool, &url, &error) < 0,
		                i);

	/* hrefs: encoded or not, absolute URLs, dot segments */
	test_assert_str(dav_client_href_path("/bob%40x/cal/a%20b.ics", pool),
	                "/bob@x/cal/a b.ics");
	test_assert_str(dav_client_href_path("/bob@x/cal/a b.ics", pool),
	                "/bob@x/cal/a b.ics");
	test_assert_str(dav_client_href_path("http://h:1/dav/./x/", pool),
	                "/dav/x/");
	test_assert_str(dav_client_href_path("/caf\xc3\xa9/", pool),
	                "/caf\xc3\xa9/");
	test_assert(dav_client_href_path("/a/../b", pool) == NULL);
	test_assert(dav_client_href_path("relative", pool) == NULL);
	test_assert(dav_client_href_path("/a%00b", pool) == NULL);
	struct buf out;
	buf_init(&out);
	dav_client_path_encode("/bob@x/a b?#%.ics", &out);
	test_assert_str(out.data, "/bob@x/a%20b%3F%23%25.ics");
	buf_deinit(&out);
	pool_free(&pool);
	test_end();
}

/* One connection's script: the responses to write, one per request read;
 * NULL reads a request and closes without answering. */
struct script {
	const char *responses[4];
	size_t count;
	bool close_after; /* close after the last response */
};

struct server {
	const struct script *scripts;
	size_t count, next;
	const char *log_path; /* requests the children read, appended */
	pid_t pids[8];
	size_t pid_count;
};

/* Reads one request (head and Content-Length body) from fd into req.
 * Returns 0, or -1 at end of input. */
static int request_read(int fd, struct buf *req)
{
	char c;
	buf_truncate(req, 0);
	while (req->len < 4 || strcmp(req->data + req->len - 4, "\r\n\r\n"))
		if (read(fd, &c, 1) != 1)
			return -1;
		else
			buf_append_char(req, c);
	const char *cl = strstr(req->data, "Content-Length: ");
	size_t len = cl != NULL ? strtoul(cl + 16, NULL, 10) : 0;
	while (len-- > 0 && read(fd, &c, 1) == 1)
		buf_append_char(req, c);
	return 0;
}

static void serve(int fd, const struct script *s, const char *log_path)
{
	struct buf req;
	buf_init(&req);
	for (size_t i = 0; i < s->count; i++) {
		if (request_read(fd, &req) < 0)
			break;
		FILE *log = fopen(log_path, "a");
		fwrite(req.data, 1, req.len, log);
		fclose(log);
		if (s->responses[i] == NULL)
			break;
		size_t len = strlen(s->responses[i]);
		if (write(fd, s->responses[i], len) != (ssize_t)len)
			break;
	}
	if (!s->close_after)
		/* keep the connection until the client goes */
		while (request_read(fd, &req) == 0)
			;
	buf_deinit(&req);
	close(fd);
}

static int connect_cb(const char *host, unsigned port, bool is_tls,
                      struct pool *pool, struct tls_stream **stream_r,
                      const char **error_r, void *ctx)
{
	struct server *server = ctx;
	(void)host, (void)port, (void)is_tls;
	if (server->next >= server->count) {
		*error_r = pool_strdup(pool, "connection refused");
		return -1;
	}
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		abort();
	pid_t pid = fork();
	if (pid == 0) {
		close(sv[0]);
		serve(sv[1], &server->scripts[server->next], server->log_path);
		_exit(0);
	}
	close(sv[1]);
	server->pids[server->pid_count++] = pid;
	server->next++;
	struct tls_stream_settings set = {.timeout = 5};
	*stream_r = tls_stream_new_fd(sv[0], &set, host);
	return 0;
}

static struct dav_client *client_for(struct server *server,
                                     const struct script *scripts, size_t count,
                                     const char *log_path)
{
	*server = (struct server){
	    .scripts = scripts, .count = count, .log_path = log_path};
	unlink(log_path);
	struct dav_url origin = {
	    .host = "dav.example", .port = 8443, .is_tls = true, .path = "/"};
	struct dav_client_settings set = {
	    .user = "bob@example.test", .password = "pw", .max_body = 1000};
	return dav_client_new(&origin, &set, connect_cb, server);
}

static void server_wait(struct dav_client **client, struct server *server)
{
	dav_client_free(client);
	for (size_t i = 0; i < server->pid_count; i++)
		waitpid(server->pids[i], NULL, 0);
}

static char *log_read(const char *path)
{
	struct buf data;
	buf_init(&data);
	(void)file_read_all(path, &data, 1 << 20);
	char *str = buf_detach(&data);
	buf_deinit(&data);
	return str;
}

static void test_requests(void)
{
	test_begin("dav_client requests, persistence and framing");
	struct pool *pool = pool_new();
	const char *log_path = pool_printf(pool, "%s/requests", test_tmpdir());
	static const struct script scripts[] = {
	    {.responses = {"HTTP/1.1 207 Multi-Status\r\nContent-Length: 5\r\n"
	                   "ETag: \"e1\"\r\n\r\n<a/>\n",
	                   "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"
	                   "Transfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n"
	                   "2\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n",
	                   "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n"
	                   "Connection: close\r\n\r\n"},
	     .count = 3,
	     .close_after = true},
	    {.responses = {"HTTP/1.0 200 OK\r\n\r\nuntil close"},
	     .count = 1,
	     .close_after = true},
	};
	struct server server;
	struct dav_client *client = client_for(&server, scripts, 2, log_path);
	struct dav_response resp;
	const char *error;
	struct dav_request req = {.method = "PROPFIND",
	                          .path = "/dav/bob@x/a b/",
	                          .depth = "1",
	                          .content_type = "application/xml",
	                          .body = "<x/>",
	                          .body_size = 4};
	test_assert_int(dav_client_request(client, &req, pool, &resp, &error),
	                0);
	test_assert_int(resp.status, 207);
	test_assert_str((const char *)resp.body, "<a/>\n");
	test_assert_str(resp.etag, "\"e1\"");
	struct dav_request get = {.method = "GET", .path = "/x.ics"};
	test_assert_int(dav_client_request(client, &get, pool, &resp, &error),
	                0);
	test_assert_int(resp.status, 200);
	test_assert_str((const char *)resp.body, "abcde");
	test_assert_int(resp.body_size, 5);
	struct dav_request put = {.method = "PUT",
	                          .path = "/x.ics",
	                          .content_type = "text/calendar",
	                          .body = "BEGIN",
	                          .body_size = 5,
	                          .if_match = "\"e1\""};
	test_assert_int(dav_client_request(client, &put, pool, &resp, &error),
	                0);
	test_assert_int(resp.status, 201);
	/* Connection: close above: this one needs a new connection */
	test_assert_int(dav_client_request(client, &get, pool, &resp, &error),
	                0);
	test_assert_str((const char *)resp.body, "until close");
	test_assert_int(server.next, 2);
	server_wait(&client, &server);

	char *log = log_read(log_path);
	test_assert(strstr(log, "PROPFIND /dav/bob@x/a%20b/ HTTP/1.1\r\n"
	                        "Host: dav.example:8443\r\n") == log);
	/* RFC 7617: base64("bob@example.test:pw") */
	test_assert(strstr(log, "Authorization: Basic "
	                        "Ym9iQGV4YW1wbGUudGVzdDpwdw==\r\n") != NULL);
	test_assert(strstr(log, "Depth: 1\r\nContent-Type: application/xml"
	                        "\r\nContent-Length: 4\r\n\r\n<x/>") != NULL);
	test_assert(strstr(log, "If-Match: \"e1\"\r\n") != NULL);
	test_assert(strstr(log, "\r\n\r\nBEGIN") != NULL);
	free(log);
	pool_free(&pool);
	test_end();
}

static void test_retry_and_failures(void)
{
	test_begin("dav_client idle close, limits and garbage");
	struct pool *pool = pool_new();
	const char *log_path = pool_printf(pool, "%s/requests2", test_tmpdir());
	/* the server answers one request, then closes the idle connection
	 * as the second arrives: it is sent again on a new one */
	static const struct script scripts[] = {
	    {.responses = {"HTTP/1.1 204 No Content\r\n\r\n", NULL},
	     .count = 2,
	     .close_after = true},
	    {.responses =
	         {"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
	          "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n"},
	     .count = 2},
	};
	struct server server;
	struct dav_client *client = client_for(&server, scripts, 2, log_path);
	struct dav_response resp;
	const char *error;
	struct dav_request del = {.method = "DELETE", .path = "/a"};
	test_assert_int(dav_client_request(client, &del, pool, &resp, &error),
	                0);
	test_assert_int(resp.status, 204);
	test_assert_int(dav_client_request(client, &del, pool, &resp, &error),
	                0);
	test_assert_int(resp.status, 404);
	test_assert_int(server.next, 2);
	/* past max_body (1000) */
	test_assert_int(dav_client_request(client, &del, pool, &resp, &error),
	                -1);
	test_assert(strstr(error, "response body too large") != NULL);
	/* no more connections: the failure names the server */
	test_assert_int(dav_client_request(client, &del, pool, &resp, &error),
	                -1);
	test_assert_str(error, "dav.example:8443: connection refused");
	server_wait(&client, &server);

	static const struct script garbage[] = {
	    {.responses = {"SSH-2.0-OpenSSH_9.2\r\n\r\n"}, .count = 1},
	    {.responses = {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab"},
	     .count = 1,
	     .close_after = true},
	    {.responses = {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
	                   "\r\nzz\r\n"},
	     .count = 1},
	};
	client = client_for(&server, garbage, 3, log_path);
	for (size_t i = 0; i < 3; i++)
		test_assert_idx(
		    dav_client_request(client, &del, pool, &resp, &error) == -1,
		    i);
	server_wait(&client, &server);
	pool_free(&pool);
	test_end();
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	static void (*const tests[])(void) = {
	    test_url,
	    test_requests,
	    test_retry_and_failures,
	    NULL,
	};
	return test_run(tests);
}
