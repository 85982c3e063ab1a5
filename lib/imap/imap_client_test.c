/* Tests for the IMAP client engine (imap_client*.c): a scripted server in a
 * forked child speaks over a socketpair wrapped by tls_stream_new_fd. The
 * script alternates "C:" (the line the client must send) and "S:" (what the
 * server sends); the child exits 1 on the first line that differs, so every
 * test also checks what the client wrote. Covers the greeting and
 * capabilities, LOGIN and AUTHENTICATE PLAIN (with and without SASL-IR), a
 * refused password, astring forms and literals (sync, LITERAL+, LITERAL-),
 * LIST with SPECIAL-USE and modified UTF-7, SELECT with QRESYNC, FETCH
 * parsing, APPEND with APPENDUID, IDLE, and malformed responses. */
#include "core/buf.h"
#include "core/pool.h"
#include "core/tls_stream.h"
#include "imap/imap_client.h"
#include "imap/imap_client_private.h"
#include "test/test.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- The scripted server ------------------------------------------------ */

/* Reads one line (without CRLF) from fd into line. Returns 0, -1 at EOF. */
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
	struct imap_client *c;
};

static void server_start(struct server *srv, const char *const *script,
                         size_t max_literal)
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
	struct tls_stream_settings tset = {.timeout = 5};
	struct imap_client_settings cset = {.max_literal = max_literal};
	srv->c = imap_client_new(tls_stream_new_fd(sv[0], &tset, "test"),
	                         &cset);
}

/* Frees the client and returns true if the server saw the whole script. */
static bool server_finish(struct server *srv)
{
	int status;
	imap_client_free(&srv->c);
	if (waitpid(srv->pid, &status, 0) < 0)
		return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

#define CAPS "IMAP4rev1 SASL-IR AUTH=PLAIN IDLE ENABLE QRESYNC CONDSTORE"

/* ---- Greeting and login ---------------------------------------------------- */

static void test_greeting_login(void)
{
	static const char *const script[] = {
	    "S:* OK [CAPABILITY IMAP4rev1 IDLE] ready",
	    "C:a1 LOGIN lisa \"pa ss\\\"w\\\\d\"",
	    "S:a1 OK [CAPABILITY IMAP4rev1 IDLE MOVE] logged in",
	    "C:a2 LOGOUT",
	    "S:* BYE bye",
	    "S:a2 OK done",
	    NULL};
	struct server srv;
	const char *error;
	test_begin("client greeting with CAPABILITY code, LOGIN");
	server_start(&srv, script, 0);
	test_assert_int(imap_client_greeting(srv.c, &error), 0);
	test_assert(imap_client_has(srv.c, "idle"));
	test_assert(!imap_client_has(srv.c, "MOVE"));
	test_assert_int(imap_client_login(srv.c, "lisa", "pa ss\"w\\d", &error),
	                0);
	test_assert(imap_client_has(srv.c, "MOVE"));
	imap_client_logout(&srv.c);
	test_assert(srv.c == NULL);
	test_assert(server_finish(&srv));
	test_end();
}

static void test_login_plain_sasl_ir(void)
{
	static const char *const script[] = {
	    "S:* OK ready",
	    "C:a1 CAPABILITY",
	    "S:* CAPABILITY " CAPS,
	    "S:a1 OK done",
	    "C:a2 AUTHENTICATE PLAIN AGxpc2EAc2VjcmV0",
	    "S:a2 OK logged in",
	    "C:a3 CAPABILITY",
	    "S:* CAPABILITY IMAP4rev1 UIDPLUS",
	    "S:a3 OK done",
	    NULL};
	struct server srv;
	const char *error;
	test_begin("client AUTHENTICATE PLAIN with SASL-IR");
	server_start(&srv, script, 0);
	test_assert_int(imap_client_greeting(srv.c, &error), 0);
	test_assert(imap_client_has(srv.c, "AUTH=PLAIN"));
	test_assert_int(imap_client_login(srv.c, "lisa", "secret", &error), 0);
	test_assert(imap_client_has(srv.c, "UIDPLUS"));
	test_assert(!imap_client_has(srv.c, "SASL-IR"));
	test_assert(server_finish(&srv));
	test_end();
}

static void test_login_plain_refused(void)
{
	static const char *const script[] = {
	    "S:* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready",
	    "C:a1 AUTHENTICATE PLAIN",
	    "S:+ ",
	    "C:AGxpc2EAc2VjcmV0",
	    "S:a1 NO [AUTHENTICATIONFAILED] Authentication failed.",
	    NULL};
	struct server srv;
	const char *error = NULL;
	test_begin("client AUTHENTICATE PLAIN refused: status NO");
	server_start(&srv, script, 0);
	test_assert_int(imap_client_greeting(srv.c, &error), 0);
	test_assert_int(imap_client_login(srv.c, "lisa", "secret", &error), -1);
	test_assert_int(imap_client_last_status(srv.c), IMAP_CLIENT_NO);
	test_assert_str(error,
	                "NO [AUTHENTICATIONFAILED] Authentication failed.");
	test_assert(server_finish(&srv));
	test_end();
}

/* A status response's text may end in "{n}" without announcing a
 * literal (RFC 9051 §7.1 resp-text): the client must not wait for bytes. */
static void test_status_text_braces(void)
{
	static const char *const script[] = {
	    "S:* OK [CAPABILITY IMAP4rev1] ready {5}",
	    "C:a1 NOOP",
	    "S:* NO [ALERT] quota at {90}",
	    "S:a1 OK done {12}",
	    "C:a2 NOOP",
	    "S:a2 OK fine",
	    NULL};
	struct server srv;
	const char *error;
	test_begin("client: {n} ending a status text is text");
	server_start(&srv, script, 0);
	test_assert_int(imap_client_greeting(srv.c, &error), 0);
	test_assert_int(imap_client_cmd(srv.c, NULL, NULL, &error, "NOOP"), 0);
	test_assert_int(imap_client_cmd(srv.c, NULL, NULL, &error, "NOOP"), 0);
	imap_client_free(&srv.c);
	test_assert(server_finish(&srv));
	test_end();
}

static void test_greeting_bye(void)
{
	static const char *const script[] = {"S:* BYE too many connections",
	                                     NULL};
	struct server srv;
	const char *error = NULL;
	test_begin("client greeting BYE is an error");
	server_start(&srv, script, 0);
	test_assert_int(imap_client_greeting(srv.c, &error), -1);
	test_assert_int(imap_client_last_status(srv.c), IMAP_CLIENT_ERROR);
	test_assert(error != NULL && strstr(error, "too many") != NULL);
	test_assert(server_finish(&srv));
	test_end();
}

static void test_logindisabled(void)
{
	static const char *const script[] = {
	    "S:* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready", NULL};
	struct server srv;
	const char *error;
	test_begin("client refuses LOGIN when LOGINDISABLED");
	server_start(&srv, script, 0);
	test_assert_int(imap_client_greeting(srv.c, &error), 0);
	test_assert_int(imap_client_login(srv.c, "u", "p", &error), -1);
	test_assert_int(imap_client_last_status(srv.c), IMAP_CLIENT_ERROR);
	test_assert(server_finish(&srv));
	test_end();
}

/* ---- Literals -------------------------------------------------------------- */

static void test_literals(void)
{
	static const char *const script[] = {
	    "S:* OK [CAPABILITY IMAP4rev1] ready",
	    /* 8-bit without UTF8=ACCEPT: a synchronising literal */
	    "C:a1 LOGIN lisa {9}",
	    "S:+ go on",
	    "C:p\xc3\xa4ssword",
	    "S:a1 OK [CAPABILITY IMAP4rev1 LITERAL- ENABLE UTF8=ACCEPT] in",
	    /* LITERAL-: small literals go at once */
	    "C:a2 SELECT {4+}",
	    "C:a",
	    "C:b",
	    "S:a2 NO no such mailbox",
	    /* an empty astring is quoted */
	    "C:a3 SELECT \"\"",
	    "S:a3 BAD empty",
	    "C:a4 ENABLE UTF8=ACCEPT",
	    "S:* ENABLED UTF8=ACCEPT",
	    "S:a4 OK enabled",
	    "C:a5 SELECT \"B\xc3\xa4r\"",
	    "S:a5 OK [READ-ONLY] done",
	    NULL};
	struct server srv;
	const char *error;
	struct imap_client_selected sel;
	test_begin("client astrings: atom, quoted, literal, LITERAL-");
	server_start(&srv, script, 0);
	test_assert_int(imap_client_greeting(srv.c, &error), 0);
	test_assert_int(imap_client_login(srv.c, "lisa", "p\xc3\xa4ssword",
	                                  &error), 0);
	test_assert_int(imap_client_cmd(srv.c, NULL, NULL, &error,
	                                "SELECT %s", "a\r\nb"), -1);
	test_assert_int(imap_client_last_status(srv.c), IMAP_CLIENT_NO);
	test_assert_int(imap_client_cmd(srv.c, NULL, NULL, &error,
	                                "SELECT %s", ""), -1);
	test_assert_int(imap_client_last_status(srv.c), IMAP_CLIENT_BAD);
	test_assert_int(imap_client_enable(srv.c, "UTF8=ACCEPT", &error), 0);
	test_assert(imap_client_is_enabled(srv.c, "utf8=accept"));
	test_assert(!imap_client_is_enabled(srv.c, "QRESYNC"));
	test_assert_int(imap_client_select(srv.c, "B\xc3\xa4r", false, NULL,
	                                   NULL, NULL, NULL, &sel, &error),
	                0);
	test_assert(sel.is_readonly);
	test_assert(server_finish(&srv));
	test_end();
}

/* ---- LIST ------------------------------------------------------------------- */

struct list_seen {
	struct buf out;
};

static void list_cb(const struct imap_client_mailbox *mbox, void *ctx)
{
	struct list_seen *ls = ctx;
	buf_printf(&ls->out, "%s|%c|%u|%s;", mbox->name,
	           mbox->delimiter != '\0' ? mbox->delimiter : '0', mbox->attrs,
	           mbox->special_use != NULL ? mbox->special_use : "-");
}

static void test_list(void)
{
	static const char *const script[] = {
	    "S:* OK [CAPABILITY IMAP4rev1 SPECIAL-USE] ready",
	    "C:a1 LIST \"\" \"*\" RETURN (SPECIAL-USE)",
	    "S:* LIST (\\HasNoChildren) \"/\" inbox",
	    "S:* LIST (\\HasNoChildren \\Sent) \"/\" \"Sent Items\"",
	    "S:* LIST () \"/\" \"&AMQ-pfel\"",
	    "S:* LIST (\\Noselect \\HasChildren) \"/\" {4}",
	    "S:Work",
	    "S:* LIST (\\Trash) NIL Trash",
	    "S:a1 OK done",
	    NULL};
	struct server srv;
	struct list_seen ls;
	const char *error;
	test_begin("client LIST with SPECIAL-USE and modified UTF-7");
	buf_init(&ls.out);
	server_start(&srv, script, 0);
	test_assert_int(imap_client_greeting(srv.c, &error), 0);
	test_assert_int(imap_client_list(srv.c, list_cb, &ls, &error), 0);
	test_assert_str(ls.out.data, "INBOX|/|0|-;Sent Items|/|0|\\Sent;"
	                             "\xc3\x84pfel|/|0|-;Work|/|3|-;"
	                             "Trash|0|0|\\Trash;");
	test_assert(server_finish(&srv));
	buf_deinit(&ls.out);
	test_end();
}

/* ---- SELECT with QRESYNC, FETCH ------------------------------------------- */

struct fetch_seen {
	struct buf out;
};

static void fetch_cb(const struct imap_response *resp, void *ctx)
{
	struct fetch_seen *fs = ctx;
	struct imap_fetch f;
	const char *uids;
	bool is_earlier;
	int ret = imap_fetch_parse(resp, &f);
	if (ret < 0) {
		buf_append_str(&fs->out, "BADFETCH;");
	} else if (ret > 0) {
		buf_printf(&fs->out, "F%u uid=%u fl=%u kw=%s r=%d ms=%llu",
		           f.seq, f.uid, f.flags, f.keywords, f.has_recent,
		           (unsigned long long)f.modseq);
		if (f.size > 0)
			buf_printf(&fs->out, " sz=%llu date=%lld",
			           (unsigned long long)f.size,
			           (long long)f.internal_date);
		if (f.body != NULL) {
			buf_printf(&fs->out, " body=%zu:", f.body_len);
			buf_append(&fs->out, f.body, f.body_len);
		}
		buf_append_char(&fs->out, ';');
	} else if (imap_vanished_parse(resp, &uids, &is_earlier) > 0) {
		buf_printf(&fs->out, "V%s %s;", is_earlier ? "E" : "", uids);
	} else if (resp->count == 2) {
		buf_printf(&fs->out, "%s %s;", resp->items[0].str,
		           resp->items[1].str);
	}
}

static void test_select_qresync(void)
{
	static const char *const script[] = {
	    "S:* OK [CAPABILITY " CAPS "] ready",
	    "C:a1 ENABLE QRESYNC",
	    "S:* ENABLED QRESYNC",
	    "S:a1 OK enabled",
	    "C:a2 SELECT INBOX (QRESYNC (7 100))",
	    "S:* 3 EXISTS",
	    "S:* OK [UIDVALIDITY 7] UIDs valid",
	    "S:* OK [UIDNEXT 10] next",
	    "S:* OK [HIGHESTMODSEQ 120] modseq",
	    "S:* VANISHED (EARLIER) 2:4,6",
	    "S:* 1 FETCH (UID 5 FLAGS (\\Seen) MODSEQ (110))",
	    "S:a2 OK [READ-WRITE] selected",
	    "C:a3 SELECT Sent",
	    "S:* 0 EXISTS",
	    "S:* OK [UIDVALIDITY 9] x",
	    "S:* OK [NOMODSEQ] x",
	    "S:a3 OK [READ-WRITE] selected",
	    NULL};
	struct server srv;
	struct fetch_seen fs;
	struct imap_client_selected sel;
	const char *error;
	uint32_t uv = 7;
	uint64_t ms = 100;
	test_begin("client SELECT with QRESYNC: VANISHED (EARLIER), FETCH");
	buf_init(&fs.out);
	server_start(&srv, script, 0);
	test_assert_int(imap_client_greeting(srv.c, &error), 0);
	test_assert_int(imap_client_enable(srv.c, "QRESYNC", &error), 0);
	test_assert(imap_client_is_enabled(srv.c, "QRESYNC"));
	test_assert_int(imap_client_select(srv.c, "INBOX", false, &uv, &ms,
	                                   fetch_cb, &fs, &sel, &error),
	                0);
	test_assert_int(sel.uidvalidity, 7);
	test_assert_int(sel.uidnext, 10);
	test_assert_int(sel.exists, 3);
	test_assert_int(sel.highestmodseq, 120);
	test_assert(!sel.is_readonly);
	test_assert_str(fs.out.data, "3 EXISTS;VE 2:4,6;"
	                             "F1 uid=5 fl=1 kw= r=0 ms=110;");
	test_assert_int(imap_client_select(srv.c, "Sent", false, NULL, NULL,
	                                   NULL, NULL, &sel, &error),
	                0);
	test_assert_int(sel.uidvalidity, 9);
	test_assert_int(sel.highestmodseq, 0);
	test_assert(server_finish(&srv));
	buf_deinit(&fs.out);
	test_end();
}

static void test_fetch_literal(void)
{
	static const char *const script[] = {
	    "S:* OK [CAPABILITY IMAP4rev1] ready",
	    "C:a1 UID FETCH 5:6 (UID FLAGS BODY.PEEK[])",
	    "S:* 1 FETCH (UID 5 FLAGS (\\Seen $Forwarded \\Recent Work "
	    "\\Answered) MODSEQ (110) RFC822.SIZE 12 INTERNALDATE "
	    "\" 7-Feb-2024 10:00:00 +0100\" BODY[] {12}",
	    "S:Hello",
	    "S:World)",
	    "S:* 2 FETCH (UID 6 BODY[HEADER.FIELDS (SUBJECT)] ~{2}",
	    "S:ab)",
	    "S:* 3 FETCH (UID 6 FLAGS \\Seen)",
	    "S:* 4 FETCH (UID 6 RFC822.SIZE 1 INTERNALDATE \"1-Mar-2024 "
	    "12:30:05 +0000\")",
	    "S:* 5 FETCH (UID 7 INTERNALDATE \" 1-Mar-2024 12:30:05 +0000\" "
	    "RFC822.SIZE 2)",
	    "S:a1 OK done",
	    NULL};
	struct server srv;
	struct fetch_seen fs;
	const char *error;
	test_begin("client FETCH: literal body, flags, keywords, modseq, date");
	buf_init(&fs.out);
	server_start(&srv, script, 0);
	test_assert_int(imap_client_greeting(srv.c, &error), 0);
	test_assert_int(imap_client_cmd(srv.c, fetch_cb, &fs, &error,
	                                "UID FETCH %a (UID FLAGS BODY.PEEK[])",
	                                "5:6"),
	                0);
	test_assert_str(fs.out.data,
	                "F1 uid=5 fl=3 kw=$Forwarded Work r=1 ms=110 sz=12 "
	                "date=1707296400 body=12:Hello\r\nWorld;"
	                "F2 uid=6 fl=0 kw= r=0 ms=0;"
	                "BADFETCH;BADFETCH;"
	                "F5 uid=7 fl=0 kw= r=0 ms=0 sz=2 date=1709296205;");
	test_assert(server_finish(&srv));
	buf_deinit(&fs.out);
	test_end();
}

/* ---- APPEND ------------------------------------------------------------------- */

static const unsigned char msg[] = "Subject: x\r\n\r\nhi\r\n";

static void test_append(void)
{
	static const char *const script[] = {
	    "S:* OK [CAPABILITY IMAP4rev1 UIDPLUS] ready",
	    "C:a1 APPEND \"Sent Items\" (\\Seen $Label1) "
	    "\"01-Mar-2024 12:30:05 +0000\" {18}",
	    "S:+ Ready for literal data",
	    "C:Subject: x",
	    "C:",
	    "C:hi",
	    "C:",
	    "S:a1 OK [APPENDUID 7 42] appended",
	    /* a refused synchronising literal ends the command */
	    "C:a2 APPEND Junk {18}",
	    "S:a2 NO [TOOBIG] too big",
	    "C:a3 CAPABILITY",
	    "S:* CAPABILITY IMAP4rev1 LITERAL+",
	    "S:a3 OK done",
	    "C:a4 APPEND &AMQ-pfel {18+}",
	    "C:Subject: x",
	    "C:",
	    "C:hi",
	    "C:",
	    "S:a4 OK appended",
	    "C:a5 APPEND Drafts {18+}",
	    "C:Subject: x",
	    "C:",
	    "C:hi",
	    "C:",
	    "S:a5 NO [OVERQUOTA] over quota",
	    NULL};
	struct server srv;
	const char *error;
	uint32_t uv, uid;
	test_begin("client APPEND: sync literal, LITERAL+, APPENDUID");
	server_start(&srv, script, 0);
	test_assert_int(imap_client_greeting(srv.c, &error), 0);
	test_assert_int(imap_client_append(srv.c, "Sent Items",
	                                   IMAP_CLIENT_F_SEEN, "$Label1",
	                                   1709296205, msg, sizeof(msg) - 1,
	                                   &uv, &uid, &error),
	                0);
	test_assert_int(uv, 7);
	test_assert_int(uid, 42);
	test_assert_int(imap_client_append(srv.c, "Junk", 0, NULL, 0, msg,
	                                   sizeof(msg) - 1, &uv, &uid, &error),
	                -1);
	test_assert_int(imap_client_last_status(srv.c), IMAP_CLIENT_NO);
	test_assert_str(error, "NO [TOOBIG] too big");
	test_assert_int(imap_client_capability(srv.c, &error), 0);
	test_assert_int(imap_client_append(srv.c, "\xc3\x84pfel", 0, NULL, 0,
	                                   msg, sizeof(msg) - 1, &uv, &uid,
	                                   &error),
	                0);
	test_assert_int(uid, 0);
	test_assert_int(imap_client_append(srv.c, "Drafts", 0, "", 0, msg,
	                                   sizeof(msg) - 1, &uv, &uid, &error),
	                -1);
	test_assert_int(imap_client_last_status(srv.c), IMAP_CLIENT_NO);
	test_assert_str(error, "NO [OVERQUOTA] over quota");
	test_assert(server_finish(&srv));
	test_end();
}

/* ---- IDLE ----------------------------------------------------------------------- */

static void test_idle(void)
{
	static const char *const script[] = {
	    "S:* OK [CAPABILITY IMAP4rev1 IDLE] ready",
	    "C:a1 IDLE",
	    "S:+ idling",
	    "S:* 4 EXISTS",
	    "C:DONE",
	    "S:* 1 RECENT",
	    "S:a1 OK IDLE done",
	    "C:a2 IDLE",
	    "S:+ idling",
	    "C:DONE",
	    "S:a2 OK IDLE done",
	    NULL};
	struct server srv;
	struct fetch_seen fs;
	const char *error;
	test_begin("client IDLE: EXISTS arrives, then a timeout");
	buf_init(&fs.out);
	server_start(&srv, script, 0);
	test_assert_int(imap_client_greeting(srv.c, &error), 0);
	test_assert_int(imap_client_idle(srv.c, 5000, fetch_cb, &fs, &error),
	                1);
	test_assert_str(fs.out.data, "4 EXISTS;1 RECENT;");
	test_assert_int(imap_client_idle(srv.c, 100, fetch_cb, &fs, &error),
	                0);
	test_assert_str(fs.out.data, "4 EXISTS;1 RECENT;");
	test_assert(server_finish(&srv));
	buf_deinit(&fs.out);
	test_end();
}

/* ---- Malformed responses -------------------------------------------------------- */

static void test_malformed(void)
{
	static const struct {
		const char *response;
		size_t max_literal;
	} tests[] = {
	    {"S:* 1 FETCH (UID 5", 0},
	    {"S:* 1 FETCH (UID 5))", 0},
	    {"S:* 1 FETCH (UID \"5)", 0},
	    {"S:* 1 FETCH (UID \"a\\b\")", 0},
	    {"S:a9 OK wrong tag", 0},
	    {"S:a1 MAYBE", 0},
	    {"S:+ nobody asked", 0},
	    {"S:* 1 FETCH (BODY[] {99999}", 100},
	    {"S:* 1 FETCH (BODY[HEADER", 0},
	    {"S:", 0},
	};
	const char *error;
	test_begin("client malformed responses are IMAP_CLIENT_ERROR");
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		const char *const script[] = {
		    "S:* OK [CAPABILITY IMAP4rev1] ready", "C:a1 NOOP",
		    tests[i].response, NULL};
		struct server srv;
		server_start(&srv, script, tests[i].max_literal);
		test_assert_idx(imap_client_greeting(srv.c, &error) == 0, i);
		test_assert_idx(imap_client_cmd(srv.c, NULL, NULL, &error,
		                                "NOOP") == -1, i);
		test_assert_idx(imap_client_last_status(srv.c) ==
		                    IMAP_CLIENT_ERROR, i);
		/* and the connection is not used again */
		test_assert_idx(imap_client_cmd(srv.c, NULL, NULL, &error,
		                                "NOOP") == -1, i);
		test_assert_idx(server_finish(&srv), i);
	}
	test_end();
}

static void test_depth(void)
{
	struct buf raw;
	struct pool *pool = pool_new();
	struct imap_client_resp r;
	const char *error;
	test_begin("client nesting limit: 100 lists parse, 101 do not");
	for (unsigned depth = 100; depth <= 101; depth++) {
		buf_init(&raw);
		buf_append_str(&raw, "* X ");
		for (unsigned i = 0; i < depth; i++)
			buf_append_char(&raw, '(');
		for (unsigned i = 0; i < depth; i++)
			buf_append_char(&raw, ')');
		buf_append_char(&raw, '\n');
		int ret = imap_client_parse_raw(raw.data, raw.len, pool, &r,
		                                &error);
		test_assert_idx(ret == (depth <= 100 ? 0 : -1), depth);
		buf_deinit(&raw);
	}
	/* a literal that claims more than the buffer holds */
	static const char short_lit[] = "* 1 FETCH (BODY[] {5}\nab";
	test_assert(imap_client_parse_raw(short_lit, sizeof(short_lit) - 1,
	                                  pool, &r, &error) == -1);
	pool_free(&pool);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
	    test_greeting_login, test_login_plain_sasl_ir,
	    test_login_plain_refused, test_status_text_braces,
	    test_greeting_bye, test_logindisabled,
	    test_literals, test_list, test_select_qresync, test_fetch_literal,
	    test_append, test_idle, test_malformed, test_depth, NULL};
	signal(SIGPIPE, SIG_IGN);
	return test_run(tests);
}
