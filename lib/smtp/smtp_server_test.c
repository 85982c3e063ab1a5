/* Golden transcripts for the SMTP engine: each tests/data/smtp/NAME.in is
 * sent by a child process over a socketpair to an engine with a small fake
 * policy; everything the engine answers, the messages the policy received
 * and the disconnect reason must equal NAME.ref. In .in files each line is
 * sent with CRLF unless it ends in "\c"; "\r", "\n", "\\" and "\xHH" are
 * escapes; "#set key=value" lines change the engine settings and other
 * lines starting with "#" are comments. SMTP_TEST_REGEN=1 rewrites the
 * .ref files (check them by eye before committing). */
#include "smtp/smtp_server.h"
#include "smtp/smtp_release.h"
#include "core/pool.h"
#include "core/buf.h"
#include "core/conn.h"
#include "core/event_loop.h"
#include "core/file.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "test/test.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct fake {
	struct event_loop *loop;
	struct event_timer *timer;
	struct smtp_server_cmd *pending;
	struct buf message;  /* the one being received */
	struct buf messages; /* all of them, for the .ref */
	unsigned count;
	const char *reason;
	bool in_data;
	struct pool *pool;
};

static const char *const test_user_plain = "AHVzZXIAcGFzcw=="; /* user/pass */

static int fake_helo(void *ctx, struct smtp_server_cmd *cmd, const char *domain,
                     bool is_ehlo)
{
	(void)ctx;
	(void)is_ehlo;
	if (strcmp(domain, "refused.test") == 0) {
		smtp_server_cmd_reply(cmd, 550, "5.7.1", "Go away");
		return -1;
	}
	return 0;
}

static const char *fake_auth_mechanisms(void *ctx)
{
	(void)ctx;
	return "PLAIN";
}

static void fake_auth_begin(void *ctx, struct smtp_server_cmd *cmd,
                            const char *mech, const char *initial)
{
	(void)ctx;
	if (strcmp(mech, "PLAIN") != 0)
		smtp_server_cmd_reply(cmd, 504, "5.5.4", "Unrecognized");
	else if (initial == NULL)
		smtp_server_cmd_reply_continue(cmd, "");
	else if (strcmp(initial, test_user_plain) == 0)
		smtp_server_cmd_reply(cmd, 235, "2.7.0", "Authenticated");
	else
		smtp_server_cmd_reply(cmd, 535, "5.7.8", "Invalid");
}

static void fake_auth_continue(void *ctx, struct smtp_server_cmd *cmd,
                               const char *response)
{
	fake_auth_begin(ctx, cmd, "PLAIN", response);
}

static void fake_mail(void *ctx, struct smtp_server_cmd *cmd,
                      const struct smtp_server_mail *mail)
{
	struct fake *f = ctx;
	buf_printf(&f->messages,
	           "mail from=<%s> size=%llu body=%d utf8=%d "
	           "ret=%s envid=%s\n",
	           mail->path.address, (unsigned long long)mail->size,
	           (int)mail->body, mail->smtputf8,
	           mail->ret != NULL ? mail->ret : "-",
	           mail->envid != NULL ? mail->envid : "-");
	if (mail->release_request != NULL) {
		/* HOLDFOR's time depends on the clock: only HOLDUNTIL's */
		buf_printf(&f->messages, "hold=%s", mail->release_request);
		if (strncmp(mail->release_request, "until;", 6) == 0)
			buf_printf(&f->messages, " release=%s",
			           mail->release > time(NULL) + 1
			               ? pool_printf(f->pool, "%lld",
			                             (long long)mail->release)
			               : "now");
		buf_append_char(&f->messages, '\n');
	}
	smtp_server_cmd_reply(cmd, 250, "2.1.0", "Ok");
}

static void fake_timer_cb(void *ctx)
{
	struct fake *f = ctx;
	struct smtp_server_cmd *cmd = f->pending;
	f->pending = NULL;
	smtp_server_cmd_reply(cmd, 250, "2.1.5", "Ok (later)");
}

static void fake_rcpt(void *ctx, struct smtp_server_cmd *cmd,
                      const struct smtp_server_rcpt *rcpt)
{
	struct fake *f = ctx;
	buf_printf(&f->messages, "rcpt to=<%s> notify=%s orcpt=%s\n",
	           rcpt->path.address, rcpt->notify ? rcpt->notify : "-",
	           rcpt->orcpt ? rcpt->orcpt : "-");
	if (strcmp(rcpt->path.address, "slow@local.test") == 0) {
		/* Answer asynchronously. */
		f->pending = cmd;
		event_timer_set(f->timer, 10);
	} else if (strcmp(rcpt->path.domain, "local.test") != 0 &&
	           !rcpt->path.is_postmaster)
		smtp_server_cmd_reply(cmd, 554, "5.7.1", "Relay access denied");
	else if (strncmp(rcpt->path.address, "unknown@", 8) == 0)
		smtp_server_cmd_reply(cmd, 550, "5.1.1", "User unknown");
	else
		smtp_server_cmd_reply(cmd, 250, "2.1.5", "Ok");
}

static int fake_data_begin(void *ctx, struct smtp_server_cmd *cmd)
{
	struct fake *f = ctx;
	(void)cmd;
	buf_truncate(&f->message, 0);
	f->in_data = true;
	return 0;
}

static void fake_data_write(void *ctx, const unsigned char *data, size_t size)
{
	struct fake *f = ctx;
	buf_append(&f->message, data, size);
}

static void fake_data_end(void *ctx, struct smtp_server_cmd *cmd)
{
	struct fake *f = ctx;
	f->count++;
	f->in_data = false;
	buf_printf(&f->messages, "message %u (%zu bytes):\n", f->count,
	           f->message.len);
	for (size_t i = 0; i < f->message.len; i++) {
		char c = f->message.data[i];
		if (c == '\r')
			buf_append_str(&f->messages, "\\r");
		else if (c == '\n')
			buf_append_str(&f->messages, "\\n\n");
		else
			buf_append_char(&f->messages, c);
	}
	smtp_server_cmd_reply(cmd, 250, "2.0.0", "Ok: queued as MSG%u",
	                      f->count);
}

static void fake_reset(void *ctx)
{
	struct fake *f = ctx;
	if (f->in_data)
		buf_append_str(&f->messages, "message dropped\n");
	f->in_data = false;
}

static void fake_disconnect(void *ctx, const char *reason)
{
	struct fake *f = ctx;
	f->reason = reason;
	event_loop_stop(f->loop);
}

static const struct smtp_server_callbacks fake_callbacks = {
    .helo = fake_helo,
    .auth_mechanisms = fake_auth_mechanisms,
    .auth_begin = fake_auth_begin,
    .auth_continue = fake_auth_continue,
    .mail = fake_mail,
    .rcpt = fake_rcpt,
    .data_begin = fake_data_begin,
    .data_write = fake_data_write,
    .data_end = fake_data_end,
    .reset = fake_reset,
    .disconnect = fake_disconnect,
};

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* Turns the .in text into the bytes to send; applies "#set" lines. */
static void transcript_decode(const char *text, struct buf *out,
                              struct smtp_server_settings *set)
{
	for (const char *p = text; *p != '\0';) {
		const char *nl = strchr(p, '\n');
		size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (strncmp(p, "#set ", 5) == 0) {
			char key[64];
			unsigned long long v;
			if (sscanf(p + 5, "%63[a-z_]=%llu", key, &v) == 2) {
				if (strcmp(key, "max_message_size") == 0)
					set->max_message_size = v;
				else if (strcmp(key, "max_recipients") == 0)
					set->max_recipients = (unsigned)v;
				else if (strcmp(key, "max_command_line") == 0)
					set->max_command_line = (unsigned)v;
				else if (strcmp(key, "max_text_line") == 0)
					set->max_text_line = (unsigned)v;
				else if (strcmp(key, "max_errors") == 0)
					set->max_errors = (unsigned)v;
				else if (strcmp(key, "idle_timeout") == 0)
					set->idle_timeout = (unsigned)v;
				else if (strcmp(key, "future_release_max") == 0)
					set->future_release_max = (unsigned)v;
			}
		} else if (p[0] != '#') {
			bool is_cont =
			    len >= 2 && p[len - 2] == '\\' && p[len - 1] == 'c';
			size_t end = is_cont ? len - 2 : len;
			for (size_t i = 0; i < end; i++) {
				if (p[i] != '\\' || i + 1 >= end) {
					buf_append_char(out, p[i]);
					continue;
				}
				char e = p[++i];
				if (e == 'r')
					buf_append_char(out, '\r');
				else if (e == 'n')
					buf_append_char(out, '\n');
				else if (e == 'x' && i + 2 < end) {
					buf_append_char(
					    out, (char)(hexval(p[i + 1]) * 16 +
					                hexval(p[i + 2])));
					i += 2;
				} else
					buf_append_char(out, e);
			}
			if (!is_cont)
				buf_append_str(out, "\r\n");
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
}

/* The client: sends everything, half-closes, reads until EOF into out_fd. */
static void transcript_client(int fd, const struct buf *in, int out_fd)
{
	if (file_write_all(fd, in->data, in->len) < 0)
		_exit(1);
	shutdown(fd, SHUT_WR);
	char chunk[4096];
	ssize_t n;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if (file_write_all(out_fd, chunk, (size_t)n) < 0)
			_exit(1);
	_exit(0);
}

/* The EHLO keyword FUTURERELEASE carries the date-time of now + max
 * (RFC 4865 §3): checks it is that, give or take a few seconds, and
 * replaces it with "<date-time>" so the transcript does not change. */
static void transcript_normalize_release(struct buf *raw,
                                         const struct smtp_server_settings *set)
{
	char *at = strstr(raw->data, "FUTURERELEASE ");
	if (at == NULL)
		return;
	char *date = strchr(at + 14, ' ');
	test_assert(date != NULL);
	if (date == NULL)
		return;
	date++;
	size_t len = strcspn(date, "\r\n");
	char text[SMTP_DATETIME_MAX];
	time_t when = 0, want = time(NULL) + (time_t)set->future_release_max;
	test_assert(len < sizeof(text));
	if (len >= sizeof(text))
		return;
	memcpy(text, date, len);
	text[len] = '\0';
	test_assert(smtp_release_datetime_parse(text, &when) == 0);
	test_assert(when <= want && when + 10 >= want);
	struct buf copy;
	buf_init(&copy);
	buf_append(&copy, raw->data, (size_t)(date - raw->data));
	buf_append_str(&copy, "<date-time>");
	buf_append_str(&copy, date + len);
	buf_truncate(raw, 0);
	buf_append(raw, copy.data, copy.len);
	buf_deinit(&copy);
}

static void transcript_output(const struct buf *raw, struct fake *f,
                              struct buf *out)
{
	for (size_t i = 0; i < raw->len; i++) {
		if (raw->data[i] == '\r' && i + 1 < raw->len &&
		    raw->data[i + 1] == '\n')
			continue;
		buf_append_char(out, raw->data[i]);
	}
	buf_append_str(out, "---\n");
	buf_append(out, f->messages.data, f->messages.len);
	buf_printf(out, "disconnect reason=%s\n", f->reason);
}

static void transcript_run(const char *dir, const char *name)
{
	char *path = NULL;
	struct buf text, in, raw, out, ref;
	buf_init(&text);
	buf_init(&in);
	buf_init(&raw);
	buf_init(&out);
	buf_init(&ref);
	test_begin(name);
	struct smtp_server_settings set = {
	    .hostname = "mx.test",
	    .max_message_size = 10000,
	    .max_recipients = 3,
	    .max_command_line = 512,
	    .max_text_line = 1000,
	    .max_errors = 10,
	    .idle_timeout = 5,
	    .data_timeout = 5,
	};
	path = xasprintf("%s/%s.in", dir, name);
	test_assert(file_read_all(path, &text, 1 << 20) == 0);
	transcript_decode(text.data, &in, &set);

	int sv[2];
	FILE *tmp = tmpfile();
	test_assert(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0 &&
	            tmp != NULL);
	pid_t pid = fork();
	if (pid == 0) {
		close(sv[0]);
		transcript_client(sv[1], &in, fileno(tmp));
	}
	close(sv[1]);
	struct fake f = {.loop = event_loop_new(), .pool = pool_new()};
	buf_init(&f.message);
	buf_init(&f.messages);
	f.timer = event_timer_new(f.loop, fake_timer_cb, &f);
	struct smtp_server_conn *srv = smtp_server_conn_new(
	    f.loop, sv[0], NULL, &set, &fake_callbacks, &f);
	smtp_server_conn_start(srv);
	event_loop_run(f.loop);
	int status;
	waitpid(pid, &status, 0);
	rewind(tmp);
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), tmp)) > 0)
		buf_append(&raw, chunk, n);
	fclose(tmp);
	transcript_normalize_release(&raw, &set);
	transcript_output(&raw, &f, &out);

	free(path);
	path = xasprintf("%s/%s.ref", dir, name);
	if (getenv("SMTP_TEST_REGEN") != NULL)
		file_write_atomic(path, out.data, out.len, 0644);
	test_assert(file_read_all(path, &ref, 1 << 20) == 0);
	test_assert_str(out.data, ref.data);

	event_timer_free(&f.timer);
	event_loop_free(&f.loop);
	buf_deinit(&f.message);
	buf_deinit(&f.messages);
	pool_free(&f.pool);
	buf_deinit(&text);
	buf_deinit(&in);
	buf_deinit(&raw);
	buf_deinit(&out);
	buf_deinit(&ref);
	free(path);
	test_end();
}

static const char *transcript_dir;

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_transcripts(void)
{
	DIR *d = opendir(transcript_dir);
	if (d == NULL) {
		test_begin("transcripts");
		test_assert(d != NULL);
		test_end();
		return;
	}
	struct dirent *e;
	char **names = NULL;
	size_t count = 0;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len > 3 && strcmp(e->d_name + len - 3, ".in") == 0) {
			names = realloc(names, (count + 1) * sizeof(*names));
			names[count++] = strndup(e->d_name, len - 3);
		}
	}
	closedir(d);
	qsort(names, count, sizeof(*names), name_cmp);
	for (size_t i = 0; i < count; i++) {
		transcript_run(transcript_dir, names[i]);
		free(names[i]);
	}
	free(names);
}

int main(int argc, char **argv)
{
	static void (*const tests[])(void) = {test_transcripts, NULL};
	transcript_dir = argc > 1 ? argv[1] : "tests/data/smtp";
	log_open("smtp_server_test", LOG_TARGET_STDERR, LOG_LEVEL_WARN);
	return test_run(tests);
}
