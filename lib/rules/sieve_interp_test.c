/* Tests of the Sieve interpreter. The corpus in tests/data/sieve holds one
 * case per file, most taken from the examples of the RFCs (the file names
 * say which): an envelope and settings, the script, the message, and the
 * actions expected ("expect:", as sieve_result_describe writes them) or
 * the runtime error. The rest are table tests of the limits that bound a
 * run and of the rules that protect users (implicit keep, vacation's
 * refusals). File format, header lines before the first "==" line:
 *   from: / to: / user:   the envelope and the account
 *   now: / zone:          the clock (unix time) and the local offset (s)
 *   mailboxes: a b        mailboxes that exist (mailboxexists, fileinto)
 *   seen: yes             every duplicate id counts as seen
 *   expect: ...           the result, or
 *   error: ...            a runtime error containing this text, or
 *   compile-error: L:C    a compile error at line L, column C
 *   expect-subject: ...   the subject of the vacation reply
 *   expect-edit: ...      text in the edited header of the first action
 *   expect-dups: N        duplicate ids to record
 * then "== script", "== message" and any "== personal NAME" or
 * "== global NAME" scripts for include. The message's LF become CRLF. */
#include "core/buf.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "rules/sieve.h"
#include "test/test.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *corpus_dir;
static const struct sieve_settings default_settings = SIEVE_SETTINGS_DEFAULT;

struct include_entry {
	bool is_global;
	char *name;
	struct sieve_script *script;
};

struct case_ctx {
	char *keys; /* the header lines */
	struct buf script, message;
	struct include_entry includes[8];
	size_t include_count;
	char *mailboxes;
	bool all_seen;
};

static const char *key_get(const struct case_ctx *c, const char *key)
{
	size_t klen = strlen(key);
	for (const char *p = c->keys; p != NULL && *p != '\0';) {
		const char *eol = strchr(p, '\n');
		size_t len = eol != NULL ? (size_t)(eol - p) : strlen(p);
		if (len > klen + 1 && strncmp(p, key, klen) == 0 &&
		    p[klen] == ':') {
			const char *v = p + klen + 1;
			while (*v == ' ')
				v++;
			static char value[1024];
			snprintf(value, sizeof(value), "%.*s",
			         (int)(len - (size_t)(v - p)), v);
			return value;
		}
		p = eol != NULL ? eol + 1 : p + len;
	}
	return NULL;
}

static int mailbox_exists(void *context, const char *name)
{
	struct case_ctx *c = context;
	if (strcasecmp(name, "INBOX") == 0)
		return 1;
	if (c->mailboxes == NULL)
		return 0;
	char *list = xstrdup(c->mailboxes);
	int found = 0;
	for (char *save, *w = strtok_r(list, " ", &save); w != NULL;
	     w = strtok_r(NULL, " ", &save))
		if (strcmp(w, name) == 0)
			found = 1;
	free(list);
	return found;
}

static int duplicate_seen(void *context, const char *key)
{
	struct case_ctx *c = context;
	return c->all_seen ? 1 : 0;
}

static int include_load(void *context, bool is_global, const char *name,
                        const struct sieve_script **script_r,
                        const char **error_r)
{
	struct case_ctx *c = context;
	for (size_t i = 0; i < c->include_count; i++) {
		if (c->includes[i].is_global == is_global &&
		    strcmp(c->includes[i].name, name) == 0) {
			if (c->includes[i].script == NULL) {
				*error_r = "does not compile";
				return -1;
			}
			*script_r = c->includes[i].script;
			return 1;
		}
	}
	return 0;
}

static void include_compile(struct case_ctx *c, const struct buf *src)
{
	struct sieve_error error;
	struct include_entry *e = &c->includes[c->include_count - 1];
	if (sieve_compile((const unsigned char *)src->data, src->len, e->name,
	                  &default_settings, &e->script, &error) < 0)
		e->script = NULL;
}

/* Splits file text into the case's parts. */
static void case_parse(struct case_ctx *c, const char *text)
{
	const char *first = strstr(text, "\n== ");
	c->keys = xstrndup(text, first != NULL ? (size_t)(first - text) + 1
	                                       : strlen(text));
	buf_init(&c->script);
	buf_init(&c->message);
	struct buf *target = NULL;
	struct buf include;
	buf_init(&include);
	const char *p = first != NULL ? first + 1 : "";
	while (*p != '\0') {
		const char *eol = strchr(p, '\n');
		size_t len = eol != NULL ? (size_t)(eol - p) : strlen(p);
		if (len >= 3 && strncmp(p, "== ", 3) == 0) {
			if (target == &include)
				include_compile(c, &include);
			if (strncmp(p, "== script", 9) == 0) {
				target = &c->script;
			} else if (strncmp(p, "== message", 10) == 0) {
				target = &c->message;
			} else if (c->include_count < 8) {
				struct include_entry *e =
				    &c->includes[c->include_count++];
				size_t skip = strncmp(p, "== global ", 10) == 0
				                  ? 10
				                  : 12; /* "== personal " */
				e->is_global = skip == 10;
				e->name = xstrndup(p + skip, len - skip);
				buf_truncate(&include, 0);
				target = &include;
			}
		} else if (target == &c->message) {
			buf_append(target, p, len);
			if (eol != NULL)
				buf_append_str(target, "\r\n");
		} else if (target != NULL) {
			buf_append(target, p, len);
			if (eol != NULL)
				buf_append_char(target, '\n');
		}
		p = eol != NULL ? eol + 1 : p + len;
	}
	if (target == &include)
		include_compile(c, &include);
	buf_deinit(&include);
}

static void case_free(struct case_ctx *c)
{
	for (size_t i = 0; i < c->include_count; i++) {
		free(c->includes[i].name);
		sieve_script_free(&c->includes[i].script);
	}
	free(c->keys);
	free(c->mailboxes);
	buf_deinit(&c->script);
	buf_deinit(&c->message);
}

static bool check(bool ok, const char *file, const char *what, const char *got)
{
	if (!ok)
		printf("%s: %s: got \"%s\"\n", file, what, got);
	return ok;
}

/* Runs one corpus file. Returns true if it passed. */
static bool case_run(const char *file, const char *text)
{
	struct case_ctx c = {0};
	bool ok = true;
	case_parse(&c, text);
	const char *v = key_get(&c, "mailboxes");
	c.mailboxes = v != NULL ? xstrdup(v) : NULL;
	v = key_get(&c, "seen");
	c.all_seen = v != NULL && strcmp(v, "yes") == 0;
	struct sieve_mail mail = {
	    .data = (const unsigned char *)c.message.data,
	    .size = c.message.len,
	    .full_size = c.message.len,
	    .now = 1183291200, /* 2007-07-01 12:00:00 UTC */
	};
	char from[256], to[256], user[256];
	snprintf(from, sizeof(from), "%s",
	         (v = key_get(&c, "from")) != NULL ? v : "sender@example.net");
	snprintf(to, sizeof(to), "%s",
	         (v = key_get(&c, "to")) != NULL ? v : "me@example.com");
	snprintf(user, sizeof(user), "%s",
	         (v = key_get(&c, "user")) != NULL ? v : "me@example.com");
	if (strcmp(from, "<>") == 0)
		from[0] = '\0';
	mail.envelope_from = from;
	mail.envelope_to = to;
	mail.user = user;
	if ((v = key_get(&c, "now")) != NULL)
		mail.now = (time_t)strtoll(v, NULL, 10);
	if ((v = key_get(&c, "zone")) != NULL)
		mail.local_offset = strtol(v, NULL, 10);
	struct sieve_script *script = NULL;
	struct sieve_error error;
	char got[512];
	const char *want_compile = key_get(&c, "compile-error");
	char want_compile_copy[64] = "";
	if (want_compile != NULL)
		snprintf(want_compile_copy, sizeof(want_compile_copy), "%s",
		         want_compile);
	if (sieve_compile((const unsigned char *)c.script.data, c.script.len,
	                  file, &default_settings, &script, &error) < 0) {
		snprintf(got, sizeof(got), "%u:%u", error.line, error.column);
		ok = check(want_compile != NULL &&
		               strcmp(got, want_compile_copy) == 0,
		           file, "compile", error.message);
		case_free(&c);
		return ok;
	}
	if (!check(want_compile == NULL, file, "compiled", "ok")) {
		sieve_script_free(&script);
		case_free(&c);
		return false;
	}
	struct sieve_callbacks cb = {
	    .mailbox_exists = mailbox_exists,
	    .duplicate_seen = duplicate_seen,
	    .include_load = include_load,
	    .ctx = &c,
	};
	struct sieve_run *run = sieve_run_new(&default_settings, &mail, &cb);
	const struct sieve_result *result;
	int ret = sieve_run_script(run, script, &error);
	if (ret >= 0)
		ret = sieve_run_finish(run, &result, &error);
	struct buf desc;
	buf_init(&desc);
	if (ret < 0) {
		const char *want_error = key_get(&c, "error");
		ok = check(want_error != NULL &&
		               strstr(error.message, want_error) != NULL,
		           file, "error", error.message);
	} else {
		sieve_result_describe(result, &desc);
		const char *want = key_get(&c, "expect");
		ok = check(want != NULL && strcmp(desc.data, want) == 0, file,
		           "expect", desc.data);
		if ((v = key_get(&c, "expect-subject")) != NULL) {
			const char *subject = "";
			for (size_t i = 0; i < result->action_count; i++)
				if (result->actions[i].type ==
				    SIEVE_ACTION_VACATION)
					subject = result->actions[i].subject;
			ok = check(strcmp(subject, v) == 0, file, "subject",
			           subject) &&
			     ok;
		}
		if ((v = key_get(&c, "expect-edit")) != NULL) {
			const struct sieve_edit *e =
			    result->action_count > 0 ? result->actions[0].edit
			                             : NULL;
			ok = check(e != NULL && strstr(e->header, v) != NULL,
			           file, "edit",
			           e != NULL ? e->header : "(none)") &&
			     ok;
		}
		if ((v = key_get(&c, "expect-dups")) != NULL) {
			snprintf(got, sizeof(got), "%zu",
			         result->duplicate_count);
			ok =
			    check(strcmp(got, v) == 0, file, "dups", got) && ok;
		}
	}
	buf_deinit(&desc);
	sieve_run_free(&run);
	sieve_script_free(&script);
	case_free(&c);
	return ok;
}

static char *file_read(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct buf b;
	char chunk[4096];
	size_t n;
	if (f == NULL)
		return NULL;
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	char *text = buf_detach(&b);
	buf_deinit(&b);
	return text;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_corpus(void)
{
	test_begin("corpus of RFC examples: script + message -> actions");
	DIR *d = opendir(corpus_dir);
	test_assert(d != NULL);
	char *names[512];
	size_t count = 0;
	struct dirent *de;
	while (d != NULL && (de = readdir(d)) != NULL && count < 512) {
		size_t len = strlen(de->d_name);
		if (len > 5 && strcmp(de->d_name + len - 5, ".test") == 0)
			names[count++] = xstrdup(de->d_name);
	}
	if (d != NULL)
		closedir(d);
	qsort(names, count, sizeof(*names), name_cmp);
	for (size_t i = 0; i < count; i++) {
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s", corpus_dir, names[i]);
		char *text = file_read(path);
		test_assert_idx(text != NULL && case_run(names[i], text), i);
		free(text);
		free(names[i]);
	}
	test_assert(count >= 40);
	test_end();
}

/* ---- table tests ---- */

static const char plain_msg[] = "From: a@example.net\r\nTo: me@example.com\r\n"
                                "Subject: hi\r\n\r\nbody\r\n";

/* Compiles and runs src over msg with settings set. Returns the run's
 * result described, or "error: <message>". */
static char *run_src(const struct sieve_settings *set, const char *src,
                     const char *msg)
{
	struct sieve_mail mail = {
	    .data = (const unsigned char *)msg,
	    .size = strlen(msg),
	    .full_size = strlen(msg),
	    .envelope_from = "a@example.net",
	    .envelope_to = "me@example.com",
	    .user = "me@example.com",
	    .now = 1183291200,
	};
	struct sieve_script *script = NULL;
	struct sieve_error error;
	struct buf out;
	buf_init(&out);
	if (sieve_compile((const unsigned char *)src, strlen(src), "t", set,
	                  &script, &error) < 0) {
		buf_printf(&out, "compile: %s", error.message);
		char *s = buf_detach(&out);
		buf_deinit(&out);
		return s;
	}
	struct sieve_run *run = sieve_run_new(set, &mail, NULL);
	const struct sieve_result *result;
	if (sieve_run_script(run, script, &error) < 0 ||
	    sieve_run_finish(run, &result, &error) < 0)
		buf_printf(&out, "error: %s", error.message);
	else
		sieve_result_describe(result, &out);
	sieve_run_free(&run);
	sieve_script_free(&script);
	char *s = buf_detach(&out);
	buf_deinit(&out);
	return s;
}

static void test_limits(void)
{
	struct sieve_settings set = SIEVE_SETTINGS_DEFAULT;
	struct buf src;
	char *got;
	test_begin("limits end a run with an error, never a hang");
	buf_init(&src);
	/* max_steps: many tests */
	set.max_steps = 1000;
	buf_append_str(&src, "if anyof(");
	for (int i = 0; i < 1020; i++)
		buf_append_str(&src, i == 0 ? "false" : ",false");
	buf_append_str(&src, ") {}");
	got = run_src(&set, src.data, plain_msg);
	test_assert_str(got, "error: script needed more than 1000 steps");
	free(got);
	/* max_actions */
	set = (struct sieve_settings)SIEVE_SETTINGS_DEFAULT;
	set.max_actions = 3;
	got = run_src(&set,
	              "require \"fileinto\"; fileinto \"a\"; fileinto \"b\"; "
	              "fileinto \"c\"; fileinto \"d\";",
	              plain_msg);
	test_assert_str(got, "error: more than 3 actions");
	free(got);
	/* max_redirects */
	set = (struct sieve_settings)SIEVE_SETTINGS_DEFAULT;
	set.max_redirects = 2;
	got = run_src(&set,
	              "redirect \"a@example.org\"; redirect \"b@example.org\"; "
	              "redirect \"c@example.org\";",
	              plain_msg);
	test_assert_str(got, "error: more than 2 redirects");
	free(got);
	/* max_string_size: strings grow by doubling but are cut */
	set = (struct sieve_settings)SIEVE_SETTINGS_DEFAULT;
	set.max_string_size = 100;
	buf_truncate(&src, 0);
	buf_append_str(&src,
	               "require \"variables\"; set \"a\" \"0123456789\";");
	for (int i = 0; i < 40; i++)
		buf_append_str(&src, "set \"a\" \"${a}${a}\";");
	buf_append_str(&src, "set :length \"n\" \"${a}\";"
	                     "if string :is \"${n}\" \"100\" { discard; }");
	got = run_src(&set, src.data, plain_msg);
	test_assert_str(got, "discard");
	free(got);
	/* max_variables */
	set = (struct sieve_settings)SIEVE_SETTINGS_DEFAULT;
	set.max_variables = 2;
	got =
	    run_src(&set,
	            "require \"variables\"; set \"a\" \"1\"; set \"b\" \"2\"; "
	            "set \"c\" \"3\";",
	            plain_msg);
	test_assert_str(got, "error: more than 2 variables");
	free(got);
	/* max_regexes: each distinct pattern is compiled once */
	set = (struct sieve_settings)SIEVE_SETTINGS_DEFAULT;
	set.max_regexes = 2;
	got = run_src(&set,
	              "require [\"regex\", \"variables\"]; set \"x\" \"a\";"
	              "if header :regex \"subject\" \"${x}1\" {}"
	              "if header :regex \"subject\" \"${x}1\" {}"
	              "if header :regex \"subject\" \"${x}2\" {}"
	              "if header :regex \"subject\" \"${x}3\" {}",
	              plain_msg);
	test_assert_str(got, "error: more than 2 regexes in one run");
	free(got);
	/* a back-reference built at run time is refused too */
	got = run_src(&set,
	              "require [\"regex\", \"variables\"]; set \"x\" \"\\\\1\";"
	              "if header :regex \"subject\" \"(a)${x}\" {}",
	              plain_msg);
	test_assert_str(got, "error: regex back-references are not supported");
	free(got);
	/* regex over a large body: each match is paid for by the square of
	 * its (bounded) subject, so slow patterns end the run early */
	set = (struct sieve_settings)SIEVE_SETTINGS_DEFAULT;
	buf_truncate(&src, 0);
	buf_append_str(&src, "require [\"regex\", \"body\"];");
	for (int i = 0; i < 20; i++)
		buf_printf(&src, "if body :raw :regex \"(a|aa)*%d\" {}", i);
	struct buf big;
	buf_init(&big);
	buf_append_str(&big, "Subject: big\r\n\r\n");
	for (int i = 0; i < 60000; i++)
		buf_append_char(&big, 'a');
	got = run_src(&set, src.data, big.data);
	test_assert_str(got, "error: script needed more than 2000000 steps");
	free(got);
	buf_deinit(&big);
	/* a header of 20,000 fields: the tests see the first 10,000 */
	buf_init(&big);
	for (int i = 0; i < 20000; i++)
		buf_append_str(&big, "X-A: 1\r\n");
	buf_append_str(&big, "X-Last: 1\r\n\r\nbody\r\n");
	set = (struct sieve_settings)SIEVE_SETTINGS_DEFAULT;
	got = run_src(&set,
	              "if exists \"X-Last\" { discard; }"
	              "if header :count \"eq\" \"x-a\" \"10000\" "
	              "{ redirect \"a@example.org\"; }",
	              big.data);
	test_assert_str(got, "compile: ':count' needs require \"relational\"");
	free(got);
	got = run_src(&set,
	              "require \"relational\";"
	              "if exists \"X-Last\" { discard; }"
	              "if header :count \"eq\" \"x-a\" \"10000\" "
	              "{ redirect \"a@example.org\"; }",
	              big.data);
	test_assert_str(got, "redirect:a@example.org");
	free(got);
	buf_deinit(&big);
	/* header edits */
	set = (struct sieve_settings)SIEVE_SETTINGS_DEFAULT;
	set.max_header_edits = 2;
	got = run_src(&set,
	              "require \"editheader\"; addheader \"X-A\" \"1\"; "
	              "addheader \"X-A\" \"2\"; addheader \"X-A\" \"3\";",
	              plain_msg);
	test_assert_str(got, "error: more than 2 header edits");
	free(got);
	buf_deinit(&src);
	test_end();
}

static void test_implicit_keep(void)
{
	static const struct sieve_settings set = SIEVE_SETTINGS_DEFAULT;
	static const struct {
		const char *src, *want;
	} cases[] = {
	    {"", "keep"},
	    {"keep;", "keep"},
	    {"discard;", "discard"},
	    {"require \"fileinto\"; fileinto \"a\";", "fileinto:a"},
	    {"require [\"fileinto\", \"copy\"]; fileinto :copy \"a\";",
	     "fileinto:a copy keep"},
	    {"redirect \"x@example.org\";", "redirect:x@example.org"},
	    {"require \"fileinto\"; fileinto \"INBOX\"; keep;",
	     "fileinto:INBOX"},
	    {"keep; keep;", "keep"},
	    {"require \"fileinto\"; fileinto \"a\"; fileinto \"a\";",
	     "fileinto:a"},
	    {"redirect \"x@example.org\"; redirect \"X@example.org\";",
	     "redirect:x@example.org"},
	    {"discard; keep;", "discard keep"},
	    {"require \"imap4flags\"; addflag \"\\\\Seen\";",
	     "keep flags=\"\\Seen\""},
	    {"require [\"imap4flags\", \"fileinto\"]; fileinto :flags "
	     "\"$a\" \"x\"; fileinto :flags \"$b\" \"x\";",
	     "fileinto:x flags=\"$a $b\""},
	    /* RFC 5429 §2.4: reject goes with no delivery nor vacation */
	    {"require \"reject\"; reject \"no\";", "reject"},
	    {"require \"reject\"; reject \"no\"; keep;",
	     "error: reject cannot go with keep, fileinto or redirect"},
	    {"require [\"reject\", \"vacation\"]; vacation \"x\"; reject "
	     "\"no\";",
	     "error: reject cannot go with vacation"},
	    {"require [\"reject\", \"ereject\"]; reject \"a\"; ereject \"b\";",
	     "error: more than one reject"},
	    /* a runtime error leaves no action: the caller keeps */
	    {"require \"fileinto\"; fileinto \"a\"; redirect \"x@example.org\";"
	     "require \"variables\";",
	     "compile: require must come before other commands"},
	    {"require [\"include\"]; include \"missing\";",
	     "error: include \"missing\": no include support"},
	};
	test_begin("implicit keep and action interactions");
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *got = run_src(&set, cases[i].src, plain_msg);
		if (strcmp(got, cases[i].want) != 0)
			printf("case %zu: got %s\n", i, got);
		test_assert_idx(strcmp(got, cases[i].want) == 0, i);
		free(got);
	}
	test_end();
}

static void test_vacation_refusals(void)
{
	static const struct sieve_settings set = SIEVE_SETTINGS_DEFAULT;
	static const struct {
		const char *header;
		bool replies;
	} cases[] = {
	    {"To: me@example.com\r\n", true},
	    {"To: Me <me+tag@example.com>\r\n", true},
	    {"Cc: x@example.org, ME@EXAMPLE.COM\r\n", true},
	    {"To: other@example.com\r\n", false},
	    {"To: me@example.com\r\nAuto-Submitted: auto-replied\r\n", false},
	    {"To: me@example.com\r\nAuto-Submitted: no\r\n", true},
	    {"To: me@example.com\r\nPrecedence: bulk\r\n", false},
	    {"To: me@example.com\r\nPrecedence: list\r\n", false},
	    {"To: me@example.com\r\nList-Id: <l.example.org>\r\n", false},
	    {"To: me@example.com\r\nList-Unsubscribe: <mailto:u@x>\r\n", false},
	    {"To: me@example.com\r\nX-Auto-Response-Suppress: OOF\r\n", false},
	};
	test_begin("vacation: only to people who wrote to the user");
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char msg[512];
		snprintf(msg, sizeof(msg),
		         "From: a@example.net\r\n%s"
		         "Subject: hi\r\n\r\nbody\r\n",
		         cases[i].header);
		char *got = run_src(
		    &set, "require \"vacation\"; vacation \"away\";", msg);
		bool replies = strstr(got, "vacation:a@example.net") != NULL;
		test_assert_idx(replies == cases[i].replies, i);
		test_assert_idx(strstr(got, "keep") != NULL, i);
		free(got);
	}
	test_end();
}

int main(int argc, char **argv)
{
	static void (*const tests[])(void) = {
	    test_corpus,
	    test_limits,
	    test_implicit_keep,
	    test_vacation_refusals,
	    NULL,
	};
	corpus_dir = argc > 1 ? argv[1] : "tests/data/sieve";
	return test_run(tests);
}
