/* Tests for the ManageSieve client (managesieve_client.c): a scripted
 * server in a forked child speaks over a socketpair wrapped by
 * tls_stream_new_fd. The script alternates "C:" (the line the client must
 * send) and "S:" (what the server sends); the child exits 1 on the first
 * line that differs, so every test also checks what the client wrote.
 * Covers the greeting's capabilities, AUTHENTICATE PLAIN with SASL-IR, a
 * refused login, LISTSCRIPTS, GETSCRIPT's literal, PUTSCRIPT's {n+},
 * a NO with code and line/column, SETACTIVE "", BYE and bad responses. */
#include "core/buf.h"
#include "core/pool.h"
#include "core/tls_stream.h"
#include "managesieve/managesieve_client.h"
#include "test/test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int child_read_line(int fd, struct buf *line)
{
	buf_truncate(line, 0);
	for (;;) {
		char ch;
		if (read(fd, &ch, 1) != 1)
			return -1;
		if (ch == '\n')
			break;
		buf_append_char(line, ch);
	}
	if (line->len > 0 && line->data[line->len - 1] == '\r')
		buf_truncate(line, line->len - 1);
	return 0;
}

static void child_run(int fd, const char *const *script)
{
	struct buf line;
	buf_init(&line);
	for (size_t i = 0; script[i] != NULL; i++) {
		const char *s = script[i];
		if (strncmp(s, "S:", 2) == 0) {
			size_t len = strlen(s + 2);
			if (write(fd, s + 2, len) != (ssize_t)len ||
			    write(fd, "\r\n", 2) != 2)
				_exit(3);
		} else if (child_read_line(fd, &line) < 0) {
			fprintf(stderr, "server: EOF, want \"%s\"\n", s + 2);
			_exit(1);
		} else if (line.len != strlen(s + 2) ||
		           memcmp(line.data, s + 2, line.len) != 0) {
			fprintf(stderr, "server: got \"%s\", want \"%s\"\n",
			        line.data, s + 2);
			_exit(1);
		}
	}
	_exit(0);
}

struct server {
	pid_t pid;
	struct tls_stream *stream;
	struct managesieve_client *c;
};

static void server_start(struct server *srv, const char *const *script)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		abort();
	srv->pid = fork();
	if (srv->pid < 0)
		abort();
	if (srv->pid == 0) {
		close(sv[0]);
		child_run(sv[1], script);
	}
	close(sv[1]);
	struct tls_stream_settings set = { .timeout = 10 };
	srv->stream = tls_stream_new_fd(sv[0], &set, "localhost");
	srv->c = managesieve_client_new(srv->stream, NULL);
}

/* Returns the child's exit status (0: the client wrote what it must). */
static int server_end(struct server *srv)
{
	managesieve_client_free(&srv->c);
	tls_stream_free(&srv->stream);
	int status;
	if (waitpid(srv->pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

#define GREETING                                                               \
	"S:\"IMPLEMENTATION\" \"Postroom\"",                                   \
	    "S:\"SASL\" \"PLAIN\"", "S:\"SIEVE\" \"fileinto vacation\"",      \
	    "S:\"STARTTLS\"", "S:\"VERSION\" \"1.0\"", "S:OK \"ready\""

static void test_session(void)
{
	test_begin("greeting, login, list, get, put, activate");
	static const char *const script[] = {
		GREETING,
		/* \0lisa\0pw */
		"C:AUTHENTICATE \"PLAIN\" \"AGxpc2EAcHc=\"",
		"S:OK",
		"C:LISTSCRIPTS",
		"S:\"main\" ACTIVE",
		"S:{5}",
		"S:a\"b c",
		"S:OK",
		"C:GETSCRIPT \"main\"",
		"S:{7}",
		"S:keep;",
		"S:",
		"S:OK \"done\"",
		"C:PUTSCRIPT \"x y\" {5+}",
		"C:stop;",
		"S:OK (WARNINGS) \"unused\"",
		"C:SETACTIVE \"\"",
		"S:OK",
		"C:DELETESCRIPT \"a\\\"b\"",
		"S:NO (ACTIVE) \"script is active\"",
		"C:LOGOUT",
		"S:OK",
		NULL,
	};
	struct server srv;
	server_start(&srv, script);
	const char *error;
	struct managesieve_client *c = srv.c;
	test_assert_int(managesieve_client_greeting(c, &error), 0);
	test_assert_str(managesieve_client_capability(c, "sieve"),
	                "fileinto vacation");
	test_assert_str(managesieve_client_capability(c, "STARTTLS"), "");
	test_assert(managesieve_client_capability(c, "NOTIFY") == NULL);
	test_assert_int(managesieve_client_login(c, "lisa", "pw", &error), 0);

	struct pool *pool = pool_new();
	struct managesieve_script *scripts;
	size_t count;
	test_assert_int(managesieve_client_listscripts(c, pool, &scripts,
	                                               &count, &error), 0);
	test_assert_int(count, 2);
	test_assert_str(scripts[0].name, "main");
	test_assert(scripts[0].is_active);
	test_assert_str(scripts[1].name, "a\"b c");
	test_assert(!scripts[1].is_active);

	struct buf out;
	buf_init(&out);
	test_assert_int(managesieve_client_getscript(c, "main", &out, &error),
	                0);
	test_assert_int(out.len, 7);
	test_assert(out.len == 7 && memcmp(out.data, "keep;\r\n", 7) == 0);
	buf_deinit(&out);
	test_assert_int(managesieve_client_putscript(c, "x y", "stop;", 5,
	                                             &error), 0);
	test_assert_str(managesieve_client_last_code(c), "WARNINGS");
	test_assert_int(managesieve_client_setactive(c, "", &error), 0);
	test_assert_int(managesieve_client_deletescript(c, "a\"b", &error), 1);
	test_assert_str(error, "script is active");
	test_assert_str(managesieve_client_last_code(c), "ACTIVE");
	managesieve_client_logout(c);
	pool_free(&pool);
	test_assert_int(server_end(&srv), 0);
	test_end();
}

static void test_refusals(void)
{
	test_begin("NO with line and column, refused login, BYE");
	static const char *const script[] = {
		GREETING,
		"C:AUTHENTICATE \"PLAIN\" \"AGxpc2EAbm8=\"",
		"S:NO \"Authentication failed\"",
		"C:CHECKSCRIPT {2+}",
		"C:if",
		"S:NO {33}",
		"S:line 1, column 3: expected a test",
		"C:SETACTIVE \"x\"",
		"S:BYE (TRYLATER) \"going away\"",
		NULL,
	};
	struct server srv;
	server_start(&srv, script);
	const char *error;
	struct managesieve_client *c = srv.c;
	test_assert_int(managesieve_client_greeting(c, &error), 0);
	test_assert_int(managesieve_client_login(c, "lisa", "no", &error), 1);
	test_assert_str(error, "Authentication failed");
	test_assert_int(managesieve_client_checkscript(c, "if", 2, &error), 1);
	test_assert_str(error, "line 1, column 3: expected a test");
	test_assert_int(managesieve_client_setactive(c, "x", &error), -1);
	test_assert_str(error, "going away");
	/* after BYE nothing is sent */
	test_assert_int(managesieve_client_deletescript(c, "x", &error), -1);
	test_assert_int(server_end(&srv), 0);
	test_end();
}

static void test_bad_responses(void)
{
	test_begin("malformed responses are errors, not crashes");
	static const char *const bad[] = {
		"S:\"unterminated",  "S:OK (CODE",       "S:{99999999999}",
		"S:{5x}",           "S:{3}",            "S:NO",
		"S:{-1}",           "S:OK {2}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *const script[] = { bad[i], NULL };
		struct server srv;
		server_start(&srv, script);
		const char *error;
		test_assert_idx(managesieve_client_greeting(srv.c, &error) < 0,
		                (long long)i);
		test_assert_idx(server_end(&srv) == 0, (long long)i);
	}
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
		test_session,
		test_refusals,
		test_bad_responses,
		NULL,
	};
	return test_run(tests);
}
