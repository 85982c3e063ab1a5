/* Tests of delivery with rules against a real store and queue in a
 * temporary folder: fileinto :create with flags, discard, redirect (a new
 * queue file from an SRS sender, with Delivered-To; a loop is kept),
 * vacation once per sender and never to a list, reject's MDN, header
 * edits in the stored copy, a failing script that keeps the message and
 * tells its owner once, the administrator's before/after scripts and a
 * domain's default; every repeated request changes nothing. */
#include "core/buf.h"
#include "core/file.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "deliver/deliver.h"
#include "deliver/deliver_rules.h"
#include "queue/queue.h"
#include "store/store.h"
#include "store/store_sieve.h"
#include "test/test.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct fixture {
	char *data_dir;
	char *queue_dir;
	char *sieve_dir;
	struct store *store;
	struct deliver *deliver;
};

static void fixture_init(struct fixture *f)
{
	static int n;
	const char *error;
	f->data_dir = xasprintf("%s/r%d", test_tmpdir(), n++);
	f->queue_dir = xasprintf("%s/queue", f->data_dir);
	f->sieve_dir = xasprintf("%s/sieve", f->data_dir);
	struct store_settings set = {.data_dir = f->data_dir};
	if (queue_dirs_create(f->queue_dir, &error) < 0 ||
	    store_open(&set, &f->store, &error) < 0 ||
	    store_domain_add(f->store, "example.org", &error) < 0 ||
	    store_account_add(f->store, "bob@example.org", "x", 0, &error) <
	        0 ||
	    store_account_add(f->store, "dave@example.org", "x", 0, &error) <
	        0 ||
	    file_mkdirs(f->sieve_dir, 0700) < 0)
		abort();
	f->deliver = deliver_new(f->store, f->queue_dir, 2);
	struct deliver_rules_settings rs;
	deliver_rules_settings_init(&rs);
	rs.sieve_dir = f->sieve_dir;
	rs.hostname = "mx.example.org";
	deliver_set_rules(f->deliver, &rs);
}

static void fixture_deinit(struct fixture *f)
{
	deliver_free(&f->deliver);
	store_close(&f->store);
	free(f->queue_dir);
	free(f->sieve_dir);
	free(f->data_dir);
}

static void script_set(struct fixture *f, const char *address,
                       const char *script)
{
	struct store_account *a;
	const char *error;
	if (store_account_open(f->store, address, &a, &error) < 0 ||
	    store_sieve_put(a, "main", script, strlen(script), 1, &error) < 0 ||
	    store_sieve_activate(a, "main", &error) < 0)
		abort();
	store_account_close(&a);
}

static void file_put(struct fixture *f, const char *rel, const char *text)
{
	char *path = xasprintf("%s/%s", f->sieve_dir, rel);
	char *dir = xstrdup(path);
	*strrchr(dir, '/') = '\0';
	int fd;
	if (file_mkdirs(dir, 0700) < 0 ||
	    (fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0 ||
	    file_write_all(fd, text, strlen(text)) < 0)
		abort();
	close(fd);
	free(dir);
	free(path);
}

/* Queues msg from sender to bob and delivers it (twice when twice). */
static void deliver_msg(struct fixture *f, const char *sender, const char *to,
                        const char *msg, bool twice, struct buf *out)
{
	struct queue_recipient rcpt = {.address = to, .is_local = true};
	struct queue_envelope env = {.arrival = 1700000000,
	                             .sender = sender,
	                             .rcpt_count = 1,
	                             .rcpts = &rcpt};
	struct queue_writer *w;
	const char *error;
	if (queue_writer_begin(f->queue_dir, &env, &w, &error) < 0 ||
	    queue_writer_write(w, msg, strlen(msg)) < 0 ||
	    queue_writer_commit(&w, &error) < 0)
		abort();
	char *line =
	    xasprintf("deliver id=%s path=incoming/%s", env.id, env.id);
	for (int i = 0; i < (twice ? 2 : 1); i++) {
		buf_truncate(out, 0);
		deliver_request(f->deliver, line, strlen(line), out);
	}
	free(line);
	/* the original leaves the queue, as qmgr would remove it */
	char *path = queue_path(f->queue_dir, "incoming", env.id);
	unlink(path);
	free(path);
}

struct listing {
	int count;
	uint32_t flags;
	char keywords[256];
	char blob_id[STORE_BLOB_ID_LEN + 1];
};

static int list_cb(const struct store_message *msg, void *ctx)
{
	struct listing *l = ctx;
	l->count++;
	l->flags = msg->flags;
	snprintf(l->keywords, sizeof(l->keywords), "%s", msg->keywords);
	snprintf(l->blob_id, sizeof(l->blob_id), "%s", msg->blob_id);
	return 0;
}

static struct listing mailbox_list(struct fixture *f, const char *address,
                                   const char *mailbox)
{
	struct store_account *account;
	struct listing l = {0};
	const char *error;
	if (store_account_open(f->store, address, &account, &error) < 0)
		abort();
	store_message_list(account, mailbox, 1, UINT32_MAX, list_cb, &l);
	store_account_close(&account);
	return l;
}

static void blob_text(struct fixture *f, const char *blob_id, struct buf *out)
{
	char chunk[4096];
	ssize_t n;
	int fd = store_blob_open(f->store, blob_id);
	buf_truncate(out, 0);
	while (fd >= 0 && (n = read(fd, chunk, sizeof(chunk))) > 0)
		buf_append(out, chunk, (size_t)n);
	if (fd >= 0)
		close(fd);
}

/* The queued files (mail the rules sent), each read into texts[] (the
 * whole file: envelope records and message). Removes them. */
static int queued_take(struct fixture *f, struct buf *texts, int max)
{
	char *dir = queue_path(f->queue_dir, "incoming", "");
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;
	while (d != NULL && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char *path = xasprintf("%s/%s", dir, de->d_name);
		int fd = open(path, O_RDONLY);
		char chunk[4096];
		ssize_t len;
		if (n < max) {
			buf_truncate(&texts[n], 0);
			while (fd >= 0 &&
			       (len = read(fd, chunk, sizeof(chunk))) > 0)
				buf_append(&texts[n], chunk, (size_t)len);
		}
		if (fd >= 0)
			close(fd);
		unlink(path);
		free(path);
		n++;
	}
	if (d != NULL)
		closedir(d);
	free(dir);
	return n;
}

static const char plain[] = "From: Alice <alice@example.net>\r\n"
                            "To: bob@example.org\r\n"
                            "Subject: hello\r\n"
                            "Message-ID: <m1@example.net>\r\n\r\nbody\r\n";

static void test_fileinto(void)
{
	struct fixture f;
	struct buf out;
	test_begin("rules: fileinto :create with flags, once");
	fixture_init(&f);
	buf_init(&out);
	script_set(&f, "bob@example.org",
	           "require [\"fileinto\", \"mailbox\", \"imap4flags\"];\n"
	           "fileinto :create :flags [\"\\\\Seen\", \"$work\"] "
	           "\"Work/Projects\";\n");
	deliver_msg(&f, "alice@example.net", "bob@example.org", plain, true,
	            &out);
	test_assert(strstr(out.data, "rcpt=0 status=ok") != NULL);
	struct listing l = mailbox_list(&f, "bob@example.org", "Work/Projects");
	test_assert_int(l.count, 1);
	test_assert(l.flags == STORE_FLAG_SEEN);
	test_assert_str(l.keywords, "$work");
	test_assert_int(mailbox_list(&f, "bob@example.org", "INBOX").count, 0);
	/* without :create a missing mailbox means INBOX */
	script_set(&f, "bob@example.org",
	           "require \"fileinto\"; fileinto \"Nowhere\";");
	deliver_msg(&f, "alice@example.net", "bob@example.org", plain, false,
	            &out);
	test_assert_int(mailbox_list(&f, "bob@example.org", "INBOX").count, 1);
	/* discard: nothing stored, the answer is still ok, twice */
	script_set(&f, "bob@example.org", "discard;");
	deliver_msg(&f, "alice@example.net", "bob@example.org", plain, true,
	            &out);
	test_assert(strstr(out.data, "rcpt=0 status=ok") != NULL);
	test_assert_int(mailbox_list(&f, "bob@example.org", "INBOX").count, 1);
	buf_deinit(&out);
	fixture_deinit(&f);
	test_end();
}

static void test_redirect(void)
{
	struct fixture f;
	struct buf out, q[4];
	test_begin("rules: redirect through the queue, SRS sender, no loop");
	fixture_init(&f);
	buf_init(&out);
	for (int i = 0; i < 4; i++)
		buf_init(&q[i]);
	script_set(&f, "bob@example.org", "redirect \"carl@far.example\";");
	deliver_msg(&f, "alice@example.net", "bob@example.org", plain, true,
	            &out);
	test_assert(strstr(out.data, "rcpt=0 status=ok") != NULL);
	test_assert_int(queued_take(&f, q, 4), 1); /* once, not twice */
	test_assert(strstr(q[0].data, "address=carl@far.example") != NULL);
	test_assert(strstr(q[0].data, "local=0") != NULL);
	/* SRS0=<hash>=<day>=example.net=alice@example.org, %-escaped */
	test_assert(strstr(q[0].data, "sender=SRS0%3D") != NULL);
	test_assert(strstr(q[0].data, "%3Dexample.net%3Dalice@example.org") !=
	            NULL);
	test_assert(strstr(q[0].data, "\n\nDelivered-To: bob@example.org\r\n"
	                              "From: Alice") != NULL);
	test_assert_int(mailbox_list(&f, "bob@example.org", "INBOX").count, 0);
	/* redirect :copy to a local account: queued as local */
	script_set(&f, "bob@example.org",
	           "require \"copy\"; redirect :copy \"dave@example.org\";");
	deliver_msg(&f, "alice@example.net", "bob@example.org", plain, false,
	            &out);
	test_assert_int(queued_take(&f, q, 4), 1);
	test_assert(strstr(q[0].data, "local=1 address=dave@example.org") !=
	            NULL);
	test_assert_int(mailbox_list(&f, "bob@example.org", "INBOX").count, 1);
	/* a message that was here before is not sent around again */
	char *looped = xasprintf("Delivered-To: bob@example.org\r\n%s", plain);
	script_set(&f, "bob@example.org", "redirect \"carl@far.example\";");
	deliver_msg(&f, "alice@example.net", "bob@example.org", looped, false,
	            &out);
	free(looped);
	test_assert_int(queued_take(&f, q, 4), 0);
	test_assert_int(mailbox_list(&f, "bob@example.org", "INBOX").count, 2);
	/* the same with :copy: still one copy in INBOX */
	looped = xasprintf("Delivered-To: bob@example.org\r\n%s", plain);
	script_set(&f, "bob@example.org",
	           "require \"copy\"; redirect :copy \"carl@far.example\";");
	deliver_msg(&f, "alice@example.net", "bob@example.org", looped, false,
	            &out);
	free(looped);
	test_assert_int(queued_take(&f, q, 4), 0);
	test_assert_int(mailbox_list(&f, "bob@example.org", "INBOX").count, 3);
	script_set(&f, "bob@example.org", "redirect \"carl@far.example\";");
	/* a local sender keeps its address */
	deliver_msg(&f, "dave@example.org", "bob@example.org", plain, false,
	            &out);
	test_assert_int(queued_take(&f, q, 4), 1);
	test_assert(strstr(q[0].data, "sender=dave@example.org") != NULL);
	for (int i = 0; i < 4; i++)
		buf_deinit(&q[i]);
	buf_deinit(&out);
	fixture_deinit(&f);
	test_end();
}

static void test_vacation(void)
{
	struct fixture f;
	struct buf out, q[4];
	test_begin("rules: vacation once per sender, not to lists, reject MDN");
	fixture_init(&f);
	buf_init(&out);
	for (int i = 0; i < 4; i++)
		buf_init(&q[i]);
	script_set(&f, "bob@example.org",
	           "require \"vacation\";\nvacation :days 3 :subject "
	           "\"Away\" \"I am away.\";\n");
	deliver_msg(&f, "alice@example.net", "bob@example.org", plain, true,
	            &out);
	test_assert_int(queued_take(&f, q, 4), 1);
	/* from the null reverse-path (RFC 5230 §5.1, RFC 3834 §3.3) */
	test_assert(strstr(q[0].data, "sender= ") != NULL ||
	            strstr(q[0].data, "sender=\n") != NULL);
	test_assert(strstr(q[0].data, "address=alice@example.net") != NULL);
	test_assert(strstr(q[0].data, "Auto-Submitted: auto-replied") != NULL);
	test_assert(strstr(q[0].data, "Subject: Away") != NULL);
	test_assert(strstr(q[0].data, "In-Reply-To: <m1@example.net>") != NULL);
	test_assert(strstr(q[0].data, "I am away.") != NULL);
	/* the same sender again: no second reply; the message is kept */
	deliver_msg(&f, "alice@example.net", "bob@example.org", plain, false,
	            &out);
	test_assert_int(queued_take(&f, q, 4), 0);
	test_assert_int(mailbox_list(&f, "bob@example.org", "INBOX").count, 2);
	/* a list and a bounce get none */
	char *list = xasprintf("List-Id: <l.example.net>\r\n%s", plain);
	deliver_msg(&f, "carol@example.net", "bob@example.org", list, false,
	            &out);
	free(list);
	deliver_msg(&f, "", "bob@example.org", plain, false, &out);
	test_assert_int(queued_take(&f, q, 4), 0);
	/* :mime (RFC 5230 §4.4): the reason is the reply's MIME entity */
	script_set(&f, "bob@example.org",
	           "require \"vacation\";\nvacation :mime :handle \"m\" text:\n"
	           "Content-Type: multipart/alternative; boundary=foo\n\n"
	           "--foo\n\nI am at the beach.\n\n--foo--\n.\n;\n");
	deliver_msg(&f, "dora@example.net", "bob@example.org", plain, false,
	            &out);
	test_assert_int(queued_take(&f, q, 4), 1);
	test_assert(strstr(q[0].data, "\r\nMIME-Version: 1.0\r\n"
	                              "Content-Type: multipart/alternative; "
	                              "boundary=foo\r\n\r\n--foo\r\n") != NULL);
	test_assert(strstr(q[0].data, "Auto-Submitted: auto-replied") != NULL);
	test_assert(strstr(q[0].data, "text/plain") == NULL);
	test_assert_int(mailbox_list(&f, "bob@example.org", "INBOX").count, 5);
	/* reject: an MDN to the sender, nothing stored */
	script_set(&f, "bob@example.org",
	           "require \"reject\"; reject \"Not from you.\";");
	deliver_msg(&f, "alice@example.net", "bob@example.org", plain, false,
	            &out);
	test_assert_int(queued_take(&f, q, 4), 1);
	test_assert(strstr(q[0].data, "report-type=disposition-notification") !=
	            NULL);
	test_assert(strstr(q[0].data, "Not from you.") != NULL);
	test_assert(strstr(q[0].data,
	                   "Disposition: automatic-action/"
	                   "MDN-sent-automatically; deleted") != NULL);
	test_assert_int(mailbox_list(&f, "bob@example.org", "INBOX").count, 5);
	for (int i = 0; i < 4; i++)
		buf_deinit(&q[i]);
	buf_deinit(&out);
	fixture_deinit(&f);
	test_end();
}

static void test_errors_and_edits(void)
{
	struct fixture f;
	struct buf out, blob;
	test_begin("rules: a failing script keeps mail, its owner told once");
	fixture_init(&f);
	buf_init(&out);
	buf_init(&blob);
	script_set(&f, "bob@example.org",
	           "require [\"fileinto\", \"variables\"];\n"
	           "fileinto \"${nothing}\";\n");
	deliver_msg(&f, "alice@example.net", "bob@example.org", plain, true,
	            &out);
	test_assert(strstr(out.data, "rcpt=0 status=ok") != NULL);
	struct listing l = mailbox_list(&f, "bob@example.org", "INBOX");
	test_assert_int(l.count, 2); /* the message and the note */
	blob_text(&f, l.blob_id, &blob);
	test_assert(strstr(blob.data, "Subject: Your mail filter failed") !=
	            NULL);
	test_assert(strstr(blob.data, "line 2, column 1") != NULL);
	deliver_msg(&f, "alice@example.net", "bob@example.org", plain, false,
	            &out);
	test_assert_int(mailbox_list(&f, "bob@example.org", "INBOX").count, 3);
	/* a stored script that no longer compiles: kept, and told */
	script_set(&f, "bob@example.org", "fileinto \"x\";");
	deliver_msg(&f, "alice@example.net", "bob@example.org", plain, false,
	            &out);
	test_assert_int(mailbox_list(&f, "bob@example.org", "INBOX").count, 5);
	/* a script that includes many others and then fails: the compile
	 * cache grows during the run, and the failure is still reported */
	struct store_account *a;
	const char *error;
	if (store_account_open(f.store, "bob@example.org", &a, &error) < 0)
		abort();
	struct buf main_script;
	buf_init(&main_script);
	buf_append_str(&main_script,
	               "require [\"include\", \"fileinto\", \"variables\"];\n");
	for (int i = 0; i < 12; i++) {
		char name[16], text[64];
		snprintf(name, sizeof(name), "part%d", i);
		snprintf(text, sizeof(text), "# part %d\nkeep;\n", i);
		if (store_sieve_put(a, name, text, strlen(text), 1, &error) < 0)
			abort();
		buf_printf(&main_script, "include \"%s\";\n", name);
	}
	buf_append_str(&main_script, "fileinto \"${nothing}\";\n");
	store_account_close(&a);
	script_set(&f, "bob@example.org", main_script.data);
	buf_deinit(&main_script);
	deliver_msg(&f, "alice@example.net", "bob@example.org", plain, false,
	            &out);
	test_assert(strstr(out.data, "rcpt=0 status=ok") != NULL);
	test_assert_int(mailbox_list(&f, "bob@example.org", "INBOX").count, 7);
	/* editheader: the stored copy carries the edit */
	script_set(&f, "bob@example.org",
	           "require \"editheader\"; addheader \"X-Filtered\" \"yes\";"
	           "deleteheader \"Message-ID\";");
	deliver_msg(&f, "alice@example.net", "bob@example.org", plain, false,
	            &out);
	l = mailbox_list(&f, "bob@example.org", "INBOX");
	blob_text(&f, l.blob_id, &blob);
	static const char edited[] = "Return-Path: <alice@example.net>\r\n"
	                             "X-Filtered: yes\r\nFrom: Alice";
	test_assert(strncmp(blob.data, edited, sizeof(edited) - 1) == 0);
	test_assert(strstr(blob.data, "Message-ID") == NULL);
	test_assert(strstr(blob.data, "\r\n\r\nbody\r\n") != NULL);
	buf_deinit(&blob);
	buf_deinit(&out);
	fixture_deinit(&f);
	test_end();
}

static void test_global_scripts(void)
{
	struct fixture f;
	struct buf out;
	test_begin("rules: before and after scripts, the domain's default");
	fixture_init(&f);
	buf_init(&out);
	file_put(&f, "before.sieve",
	         "require \"fileinto\";\n"
	         "if header :contains \"subject\" \"SPAM\" "
	         "{ fileinto \"Junk\"; stop; }\n");
	file_put(&f, "after.sieve",
	         "require \"imap4flags\"; addflag \"$checked\";");
	file_put(&f, "domains/example.org.sieve",
	         "require \"fileinto\"; fileinto \"Default\";");
	/* dave has no script: the domain's default, then after */
	struct store_account *a;
	const char *error;
	if (store_account_open(f.store, "dave@example.org", &a, &error) < 0 ||
	    store_mailbox_create(a, "Default", STORE_SPECIAL_NONE, &error) < 0)
		abort();
	store_account_close(&a);
	deliver_msg(&f, "alice@example.net", "dave@example.org", plain, false,
	            &out);
	struct listing l = mailbox_list(&f, "dave@example.org", "Default");
	test_assert_int(l.count, 1);
	/* bob's own script replaces the default; after runs after it and
	 * its flag is on the implicit keep */
	script_set(&f, "bob@example.org", "if false { discard; }");
	deliver_msg(&f, "alice@example.net", "bob@example.org", plain, false,
	            &out);
	l = mailbox_list(&f, "bob@example.org", "INBOX");
	test_assert_int(l.count, 1);
	test_assert_str(l.keywords, "$checked");
	/* before's stop ends the run: Junk, without after's flag */
	char *spam = xasprintf("Subject: SPAM offer\r\n%s", plain);
	deliver_msg(&f, "alice@example.net", "bob@example.org", spam, false,
	            &out);
	free(spam);
	l = mailbox_list(&f, "bob@example.org", "Junk");
	test_assert_int(l.count, 1);
	test_assert_str(l.keywords, "");
	buf_deinit(&out);
	fixture_deinit(&f);
	test_end();
}

static void test_quarantine(void)
{
	struct fixture f;
	struct buf out;
	test_begin("rules: a quarantined message kept by rules goes to Junk");
	fixture_init(&f);
	buf_init(&out);
	script_set(&f, "bob@example.org",
	           "require \"fileinto\";\n"
	           "if header :contains \"subject\" \"work\" "
	           "{ fileinto \"Work\"; }\n");
	struct store_account *a;
	const char *error;
	if (store_account_open(f.store, "bob@example.org", &a, &error) < 0 ||
	    store_mailbox_create(a, "Work", STORE_SPECIAL_NONE, &error) < 0)
		abort();
	store_account_close(&a);
	static const char *const subjects[] = {"hello", "work"};
	for (size_t i = 0; i < 2; i++) {
		char *data = xasprintf("From: x@example.net\r\nSubject: %s\r\n"
		                       "\r\nbody\r\n",
		                       subjects[i]);
		struct queue_recipient rcpt = {.address = "bob@example.org",
		                               .is_local = true};
		struct queue_envelope env = {.arrival = 1700000000,
		                             .sender = "x@example.net",
		                             .is_quarantined = true,
		                             .rcpt_count = 1,
		                             .rcpts = &rcpt};
		struct queue_writer *w;
		if (queue_writer_begin(f.queue_dir, &env, &w, &error) < 0 ||
		    queue_writer_write(w, data, strlen(data)) < 0 ||
		    queue_writer_commit(&w, &error) < 0)
			abort();
		free(data);
		char *line =
		    xasprintf("deliver id=%s path=incoming/%s", env.id, env.id);
		buf_truncate(&out, 0);
		deliver_request(f.deliver, line, strlen(line), &out);
		free(line);
		test_assert_idx(strstr(out.data, "status=ok") != NULL, i);
	}
	/* the implicit keep goes where quarantine puts it; fileinto stays */
	test_assert_int(mailbox_list(&f, "bob@example.org", "Junk").count, 1);
	test_assert_int(mailbox_list(&f, "bob@example.org", "INBOX").count, 0);
	test_assert_int(mailbox_list(&f, "bob@example.org", "Work").count, 1);
	buf_deinit(&out);
	fixture_deinit(&f);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
	    test_fileinto,
	    test_redirect,
	    test_vacation,
	    test_errors_and_edits,
	    test_global_scripts,
	    test_quarantine,
	    NULL,
	};
	return test_run(tests);
}
