/* Tests for pop3_client.c against a scripted server in a forked child over
 * a socketpair: greeting, CAPA and capability matching, AUTH PLAIN and
 * USER/PASS, refused and temporary login failures, STAT, UIDL, LIST, RETR
 * with dot-unstuffing and its size limit, DELE and QUIT. The child checks
 * every command it receives and exits with the number of the first line of
 * its script that did not match. */
#include "pop3/pop3_client.h"
#include "core/buf.h"
#include "core/tls_stream.h"
#include "test/test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* A script: "S:text" is sent (CRLF added), "C:text" must be received. */
static void script_child(int fd, const char *const *script)
{
	char line[1024];
	for (size_t i = 0; script[i] != NULL; i++) {
		const char *step = script[i] + 2;
		if (script[i][0] == 'S') {
			size_t len = strlen(step);
			if (write(fd, step, len) != (ssize_t)len ||
			    write(fd, "\r\n", 2) != 2)
				_exit(100);
			continue;
		}
		size_t len = 0;
		while (len + 1 < sizeof(line) && read(fd, line + len, 1) == 1 &&
		       line[len] != '\n')
			len++;
		line[len] = '\0';
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		if (strcmp(line, step) != 0) {
			fprintf(stderr,
			        "script line %zu: got \"%s\", want "
			        "\"%s\"\n",
			        i, line, step);
			_exit((int)i + 1);
		}
	}
	_exit(0);
}

static struct pop3_client *script_start(const char *const *script,
                                        size_t max_message, pid_t *pid_r)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		abort();
	*pid_r = fork();
	if (*pid_r == 0) {
		close(sv[0]);
		script_child(sv[1], script);
	}
	close(sv[1]);
	struct tls_stream_settings set = {.timeout = 5};
	struct pop3_client_settings pset = {.max_message = max_message};
	return pop3_client_new(tls_stream_new_fd(sv[0], &set, NULL), &pset);
}

static int script_wait(pid_t pid)
{
	int status = -1;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void uidl_cb(unsigned msgno, const char *uidl, void *ctx)
{
	buf_printf(ctx, "%u=%s,", msgno, uidl);
}

static void list_cb(unsigned msgno, uint64_t size, void *ctx)
{
	buf_printf(ctx, "%u:%llu,", msgno, (unsigned long long)size);
}

static const char *const session_script[] = {
    "S:+OK POP3 ready <1.2@x>",
    "C:CAPA",
    "S:+OK Capability list follows",
    "S:TOP",
    "S:UIDL",
    "S:SASL PLAIN LOGIN",
    "S:.",
    /* base64("\0user\0secret") */
    "C:AUTH PLAIN AHVzZXIAc2VjcmV0",
    "S:+OK logged in",
    "C:STAT",
    "S:+OK 2 350",
    "C:UIDL",
    "S:+OK",
    "S:1 abc-1",
    "S:2 abc-2",
    "S:.",
    "C:LIST",
    "S:+OK 2 messages",
    "S:1 120",
    "S:2 230",
    "S:.",
    "C:RETR 1",
    "S:+OK 120 octets",
    "S:Subject: hi",
    "S:",
    "S:..leading dot",
    "S:.",
    "C:DELE 1",
    "S:+OK deleted",
    "C:DELE 9",
    "S:-ERR no such message",
    "C:QUIT",
    "S:+OK bye",
    NULL,
};

static void test_session(void)
{
	const char *error = NULL;
	bool is_refused = true;
	unsigned count = 0;
	uint64_t size = 0;
	pid_t pid;
	struct buf got;
	test_begin("pop3_client session with AUTH PLAIN");
	buf_init(&got);
	struct pop3_client *c = script_start(session_script, 0, &pid);
	test_assert_int(pop3_client_greeting(c, &error), 0);
	test_assert_int(pop3_client_capa(c, &error), 0);
	test_assert(pop3_client_has(c, "UIDL"));
	test_assert(pop3_client_has(c, "uidl"));
	test_assert(pop3_client_has(c, "SASL PLAIN"));
	test_assert(pop3_client_has(c, "SASL"));
	test_assert(!pop3_client_has(c, "SASL CRAM-MD5"));
	test_assert(!pop3_client_has(c, "STLS"));
	test_assert(!pop3_client_has(c, "UID"));
	test_assert_int(
	    pop3_client_login(c, "user", "secret", &is_refused, &error), 0);
	test_assert(!is_refused);
	test_assert_int(pop3_client_stat(c, &count, &size, &error), 0);
	test_assert_int(count, 2);
	test_assert_int(size, 350);
	test_assert_int(pop3_client_uidl(c, uidl_cb, &got, &error), 0);
	test_assert_str(got.data, "1=abc-1,2=abc-2,");
	buf_truncate(&got, 0);
	test_assert_int(pop3_client_list(c, list_cb, &got, &error), 0);
	test_assert_str(got.data, "1:120,2:230,");
	buf_truncate(&got, 0);
	test_assert_int(pop3_client_retr(c, 1, &got, &error), 0);
	test_assert_str(got.data, "Subject: hi\r\n\r\n.leading dot\r\n");
	test_assert_int(pop3_client_dele(c, 1, &error), 0);
	test_assert_int(pop3_client_dele(c, 9, &error), -1);
	test_assert_str(error, "no such message");
	test_assert_int(pop3_client_quit(&c, &error), 0);
	test_assert(c == NULL);
	test_assert_int(script_wait(pid), 0);
	buf_deinit(&got);
	test_end();
}

struct login_case {
	const char *pass_reply; /* as a script line */
	int ret;
	bool is_refused;
	const char *error;
};

static const struct login_case login_cases[] = {
    {"S:+OK welcome", 0, false, NULL},
    {"S:-ERR [AUTH] invalid password", -1, true, "[AUTH] invalid password"},
    {"S:-ERR", -1, true, "command refused"},
    {"S:-ERR [SYS/TEMP] try later", -1, false, "[SYS/TEMP] try later"},
    {"S:-ERR [IN-USE] mailbox locked", -1, false, "[IN-USE] mailbox locked"},
};

/* No CAPA (an RFC 1939 server): USER/PASS, and each kind of answer. */
static void test_login_user_pass(void)
{
	test_begin("pop3_client USER/PASS and refusals");
	for (size_t i = 0; i < sizeof(login_cases) / sizeof(login_cases[0]);
	     i++) {
		const struct login_case *lc = &login_cases[i];
		const char *script[] = {
		    "S:+OK hello",  "C:CAPA", "S:-ERR unknown command",
		    "C:USER bob",   "S:+OK",  "C:PASS pw word",
		    lc->pass_reply, NULL,
		};
		const char *error = NULL;
		bool is_refused = !lc->is_refused;
		pid_t pid;
		struct pop3_client *c = script_start(script, 0, &pid);
		test_assert_idx(pop3_client_greeting(c, &error) == 0, i);
		test_assert_idx(pop3_client_capa(c, &error) == 0, i);
		test_assert_idx(!pop3_client_has(c, "UIDL"), i);
		int ret =
		    pop3_client_login(c, "bob", "pw word", &is_refused, &error);
		test_assert_idx(ret == lc->ret, i);
		test_assert_idx(is_refused == lc->is_refused, i);
		if (lc->error != NULL)
			test_assert_str(error, lc->error);
		pop3_client_free(&c);
		test_assert_idx(script_wait(pid) == 0, i);
	}
	test_end();
}

static const char *const retr_limit_script[] = {
    "S:+OK hi",      "C:RETR 1", "S:+OK",    "S:0123456789",
    "S:0123456789",  "S:.",      "C:RETR 2", "S:+OK",
    "S:short",       "S:.",      "C:UIDL",   "S:+OK",
    "S:1 has space", "S:.",      "C:RETR 3", "S:+OK",
    "S:cut",         NULL,
};

/* A message over max_message is refused but read to its end, so the next
 * command still works; a malformed UIDL line and a cut-off answer fail. */
static void test_retr_limit(void)
{
	const char *error = NULL;
	pid_t pid;
	struct buf got;
	test_begin("pop3_client RETR limit, bad UIDL, cut connection");
	buf_init(&got);
	buf_append_str(&got, "keep");
	struct pop3_client *c = script_start(retr_limit_script, 20, &pid);
	test_assert_int(pop3_client_greeting(c, &error), 0);
	test_assert_int(pop3_client_retr(c, 1, &got, &error), -1);
	test_assert_str(error, "message is larger than 20 bytes");
	test_assert_str(got.data, "keep");
	test_assert_int(pop3_client_retr(c, 2, &got, &error), 0);
	test_assert_str(got.data, "keepshort\r\n");
	test_assert_int(pop3_client_uidl(c, uidl_cb, &got, &error), -1);
	test_assert_str(error, "malformed UIDL answer");
	buf_truncate(&got, 0);
	test_assert_int(pop3_client_retr(c, 3, &got, &error), -1);
	test_assert_str(error, "connection closed by server");
	test_assert_str(got.data, "");
	test_assert_int(script_wait(pid), 0);
	pop3_client_free(&c);
	test_assert(c == NULL);
	pop3_client_free(&c);
	buf_deinit(&got);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
	    test_session, test_login_user_pass, test_retr_limit, NULL};
	return test_run(tests);
}
