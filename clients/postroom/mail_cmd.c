/* The reading subcommands: list, read, search, mailboxes, flag, move,
 * delete and import. Each parses its arguments, opens the local store,
 * calls mail.h and prints for a person or, with --json, one JSON document
 * (jansson). They change only the local store; `postroom sync` carries
 * the changes to the server. */
#include "mail.h"

#include "core/buf.h"
#include "core/file.h"
#include "core/pool.h"
#include "mime/mime.h"
#include "mime/mime_view.h"
#include "postroom.h"
#include "store/store.h"
#include "store/store_mime.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAIL_POS_MAX 64
#define MAIL_IMPORT_MAX (64 * 1024 * 1024) /* as store_mime_blob_read */
#define MAIL_FROM_WIDTH 22

/* ---- Arguments ----------------------------------------------------------- */

/* Prints a usage problem like pr_fail. Returns -1. */
static int mail_bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int mail_bad(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	pr_vfail(fmt, ap);
	va_end(ap);
	return -1;
}

struct mail_args {
	const char *mailbox; /* --mailbox, or NULL */
	bool is_threads, is_unread, is_raw;
	const char *save, *to, *save_all;
	char *pos[MAIL_POS_MAX]; /* positional arguments */
	int pos_count;
};

/* Parses argv[1..] ("--name" options among positionals; "-seen" is a
 * positional). allowed lists the options the command takes, as " name ".
 * Returns 0, or prints the problem and returns -1. */
static int mail_args_parse(int argc, char **argv, const char *allowed,
                           struct mail_args *a)
{
	*a = (struct mail_args){0};
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
			if (a->pos_count == MAIL_POS_MAX)
				return mail_bad("%s: too many arguments",
				                argv[0]);
			a->pos[a->pos_count++] = argv[i];
			continue;
		}
		char key[32];
		snprintf(key, sizeof(key), " %s ", arg + 2);
		if (strstr(allowed, key) == NULL)
			return mail_bad("%s: unknown option %s", argv[0], arg);
		const char **value = strcmp(arg, "--mailbox") == 0 ? &a->mailbox
		                     : strcmp(arg, "--save") == 0  ? &a->save
		                     : strcmp(arg, "--to") == 0    ? &a->to
		                     : strcmp(arg, "--save-all") == 0
		                         ? &a->save_all
		                         : NULL;
		if (value == NULL) {
			a->is_threads |= strcmp(arg, "--threads") == 0;
			a->is_unread |= strcmp(arg, "--unread") == 0;
			a->is_raw |= strcmp(arg, "--raw") == 0;
		} else if (i + 1 < argc) {
			*value = argv[++i];
		} else {
			return mail_bad("%s: %s needs a value", argv[0], arg);
		}
	}
	return 0;
}

static const char *mail_box(const struct mail_args *a)
{
	return a->mailbox != NULL ? a->mailbox : PR_MAIL_DEFAULT_MAILBOX;
}

/* uid = nz-number (RFC 9051 §9). Returns 0, or prints and returns -1. */
static int mail_uid_parse(const char *str, uint32_t *uid_r)
{
	char *end;
	errno = 0;
	unsigned long v =
	    str[0] >= '1' && str[0] <= '9' ? strtoul(str, &end, 10) : 0;
	if (v == 0 || errno != 0 || *end != '\0' || v > UINT32_MAX)
		return mail_bad("not a message UID: %s", str);
	*uid_r = (uint32_t)v;
	return 0;
}

/* ---- Output helpers ------------------------------------------------------ */

static void mail_json_print(json_t *doc)
{
	json_dumpf(doc, stdout, JSON_COMPACT);
	putchar('\n');
	json_decref(doc);
}

static json_t *mail_json_flags(uint32_t flags, const char *keywords)
{
	static const struct {
		uint32_t flag;
		const char *name;
	} names[] = {
	    {STORE_FLAG_SEEN, "\\Seen"},
	    {STORE_FLAG_ANSWERED, "\\Answered"},
	    {STORE_FLAG_FLAGGED, "\\Flagged"},
	    {STORE_FLAG_DELETED, "\\Deleted"},
	    {STORE_FLAG_DRAFT, "\\Draft"},
	};
	json_t *list = json_array();
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if ((flags & names[i].flag) != 0)
			json_array_append_new(list, json_string(names[i].name));
	const char *p = keywords != NULL ? keywords : "";
	while (*p != '\0') {
		size_t n = strcspn(p, " ");
		if (n > 0)
			json_array_append_new(list, json_stringn(p, n));
		p += n + (p[n] == ' ' ? 1 : 0);
	}
	return list;
}

static json_t *mail_json_time(time_t t)
{
	struct tm tm;
	char s[32];
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return json_null();
	return json_string(s);
}

static json_t *mail_json_summary(const struct pr_mail_summary *s,
                                 const char *mailbox, bool has_depth)
{
	json_t *o = json_pack(
	    "{s:I, s:o, s:o, s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:b}", "uid",
	    (json_int_t)s->uid, "flags", mail_json_flags(s->flags, s->keywords),
	    "date", mail_json_time(s->date), "timestamp", (json_int_t)s->date,
	    "from", s->from, "from_address", s->from_addr, "to", s->to,
	    "subject", s->subject, "message_id", s->message_id, "size",
	    (json_int_t)s->size, "has_attachments", s->has_attachments);
	if (mailbox != NULL)
		json_object_set_new(o, "mailbox", json_string(mailbox));
	if (has_depth)
		json_object_set_new(o, "depth", json_integer(s->depth));
	return o;
}

/* Appends str to out cut or padded to width characters (code points). */
static void mail_pad(struct buf *out, const char *str, size_t width)
{
	size_t chars = 0, i = 0;
	for (; str[i] != '\0'; i++) {
		if (((unsigned char)str[i] & 0xc0) == 0x80)
			continue;
		if (chars == width)
			break;
		chars++;
	}
	buf_append(out, str, i);
	for (; chars < width; chars++)
		buf_append_char(out, ' ');
}

/* One list line: UID, flags (N unseen, ! flagged, r answered, @ has
 * attachments), date, sender, subject indented by thread depth. */
static void mail_line(const struct pr_mail_summary *s, const char *mailbox,
                      struct buf *out)
{
	struct tm tm;
	char when[32] = "";
	if (localtime_r(&s->date, &tm) != NULL)
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
	if (mailbox != NULL)
		buf_printf(out, "%s ", mailbox);
	buf_printf(out, "%6u %c%c%c%c %s  ", s->uid,
	           (s->flags & STORE_FLAG_SEEN) == 0 ? 'N' : ' ',
	           (s->flags & STORE_FLAG_FLAGGED) != 0 ? '!' : ' ',
	           (s->flags & STORE_FLAG_ANSWERED) != 0 ? 'r' : ' ',
	           s->has_attachments ? '@' : ' ', when);
	mail_pad(out, s->from, MAIL_FROM_WIDTH);
	buf_append_str(out, "  ");
	for (unsigned d = 0; d < s->depth && d < 20; d++)
		buf_append_str(out, "  ");
	if (s->depth > 0)
		buf_append_str(out, "> ");
	buf_append_str(out,
	               s->subject[0] != '\0' ? s->subject : "(no subject)");
	buf_append_char(out, '\n');
}

/* ---- list ---------------------------------------------------------------- */

int pr_cmd_list(struct pr_cli *cli, int argc, char **argv)
{
	struct mail_args a;
	if (mail_args_parse(argc, argv, " mailbox threads unread ", &a) < 0 ||
	    a.pos_count > 0)
		return 2;
	struct pr_account *account;
	struct pr_local local;
	if (pr_cli_open(cli, &account, &local) < 0)
		return 1;
	struct pr_mail_summary *list;
	size_t count;
	const char *error;
	unsigned flags = (a.is_threads ? PR_MAIL_LIST_THREADS : 0) |
	                 (a.is_unread ? PR_MAIL_LIST_UNREAD : 0);
	int ret = pr_mail_list(&local, mail_box(&a), flags, cli->pool, &list,
	                       &count, &error);
	if (ret < 0) {
		pr_local_close(&local);
		return pr_fail("%s: %s", mail_box(&a), error);
	}
	if (cli->is_json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < count; i++)
			json_array_append_new(
			    arr,
			    mail_json_summary(&list[i], NULL, a.is_threads));
		mail_json_print(arr);
	} else {
		struct buf out;
		buf_init(&out);
		for (size_t i = 0; i < count; i++)
			mail_line(&list[i], NULL, &out);
		fwrite(out.data, 1, out.len, stdout);
		buf_deinit(&out);
	}
	pr_local_close(&local);
	return 0;
}

/* ---- read ---------------------------------------------------------------- */

/* dir/name, or dir/name-2.ext, -3 ... when taken. From pool. */
static const char *mail_unique_path(const char *dir, const char *name,
                                    struct pool *pool)
{
	const char *path = pool_printf(pool, "%s/%s", dir, name);
	const char *dot = strrchr(name, '.');
	size_t stem =
	    dot != NULL && dot != name ? (size_t)(dot - name) : strlen(name);
	struct stat st;
	for (unsigned n = 2; lstat(path, &st) == 0 && n < 1000; n++)
		path = pool_printf(pool, "%s/%.*s-%u%s", dir, (int)stem, name,
		                   n, name + stem);
	return path;
}

static int mail_save(struct pr_cli *cli, const struct pr_mail_message *msg,
                     const struct mail_args *a)
{
	json_t *saved = json_array();
	int ret = 0;
	unsigned first = 1, last = msg->attachment_count;
	if (a->save != NULL) {
		char *end;
		first = last = (unsigned)strtoul(a->save, &end, 10);
		if (*end != '\0' || first == 0)
			first = last = 0; /* reported as "no attachment 0" */
	}
	for (unsigned i = first; i <= last && ret == 0; i++) {
		const char *path =
		    a->save != NULL
		        ? (a->to != NULL ? a->to : ".")
		        : mail_unique_path(
		              a->save_all,
		              mime_view_attachment_filename(
		                  &msg->attachments[i - 1], cli->pool),
		              cli->pool);
		const char *written, *error;
		if (pr_mail_save_attachment(msg, i, path, cli->pool, &written,
		                            &error) < 0) {
			ret = pr_fail("%s", error);
			break;
		}
		if (!cli->is_json)
			printf("saved %s\n", written);
		json_array_append_new(saved, json_string(written));
	}
	if (cli->is_json && ret == 0)
		mail_json_print(json_pack("{s:o}", "saved", saved));
	else
		json_decref(saved);
	return ret;
}

static void mail_read_json(const struct pr_mail_message *msg, struct pool *pool)
{
	const unsigned char *data = (const unsigned char *)msg->data.data;
	struct mime_view_summary v;
	mime_view_summary(data, msg->root, pool, &v);
	struct buf text;
	buf_init(&text);
	mime_view_text(data, msg->root, &text);
	json_t *atts = json_array();
	for (unsigned i = 0; i < msg->attachment_count; i++) {
		const struct mime_view_attachment *t = &msg->attachments[i];
		json_array_append_new(
		    atts,
		    json_pack("{s:I, s:s?, s:s, s:s, s:I}", "index",
		              (json_int_t)t->index, "filename", t->filename,
		              "save_as", mime_view_attachment_filename(t, pool),
		              "content_type", t->content_type, "size",
		              (json_int_t)t->size));
	}
	mail_json_print(json_pack(
	    "{s:I, s:o, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:s%, "
	    "s:o}",
	    "uid", (json_int_t)msg->uid, "flags",
	    mail_json_flags(msg->flags, NULL), "from", v.from_name,
	    "from_address", v.from_addr, "to", v.to, "cc", v.cc, "subject",
	    v.subject, "date",
	    mail_json_time(v.date != 0 ? v.date : msg->internal_date),
	    "message_id", v.message_id, "in_reply_to", v.in_reply_to,
	    "references", v.references, "text", text.data, text.len,
	    "attachments", atts));
	buf_deinit(&text);
}

static int mail_read_show(struct pr_cli *cli, struct pr_local *local,
                          const char *mailbox, struct pr_mail_message *msg,
                          const struct mail_args *a)
{
	if (a->is_raw) {
		fwrite(msg->data.data, 1, msg->data.len, stdout);
		return 0;
	}
	if (a->save != NULL || a->save_all != NULL)
		return mail_save(cli, msg, a);
	if (cli->is_json) {
		mail_read_json(msg, cli->pool);
	} else {
		struct buf out;
		buf_init(&out);
		pr_mail_render(msg, cli->pool, &out);
		fwrite(out.data, 1, out.len, stdout);
		buf_deinit(&out);
	}
	/* only reading the text marks the message read; --raw and --save
	 * are tools, not reading */
	const char *error;
	if ((msg->flags & STORE_FLAG_SEEN) == 0 &&
	    pr_mail_flag(local, mailbox, msg->uid, true, STORE_FLAG_SEEN,
	                 &error) < 0)
		return pr_fail("marking %u read: %s", msg->uid, error);
	return 0;
}

int pr_cmd_read(struct pr_cli *cli, int argc, char **argv)
{
	struct mail_args a;
	uint32_t uid;
	if (mail_args_parse(argc, argv, " mailbox raw save to save-all ", &a) <
	        0 ||
	    a.pos_count != 1 || mail_uid_parse(a.pos[0], &uid) < 0 ||
	    (a.to != NULL && a.save == NULL))
		return 2;
	struct pr_account *account;
	struct pr_local local;
	if (pr_cli_open(cli, &account, &local) < 0)
		return 1;
	struct pr_mail_message msg;
	const char *error;
	int ret = pr_mail_message_load(&local, mail_box(&a), uid, cli->pool,
	                               &msg, &error);
	if (ret < 0)
		ret = pr_fail("%s: %s", mail_box(&a), error);
	else if (ret == 0)
		ret = pr_fail("%s: no message with UID %u", mail_box(&a), uid);
	else {
		ret = mail_read_show(cli, &local, mail_box(&a), &msg, &a);
		pr_mail_message_deinit(&msg);
	}
	pr_local_close(&local);
	return ret;
}

/* ---- search -------------------------------------------------------------- */

struct mail_search_ctx {
	uint32_t *uids;
	size_t count, alloc;
};

static void mail_search_cb(uint32_t uid, void *context)
{
	struct mail_search_ctx *ctx = context;
	if (ctx->count == ctx->alloc) {
		ctx->alloc = ctx->alloc == 0 ? 64 : ctx->alloc * 2;
		ctx->uids = realloc(ctx->uids, ctx->alloc * sizeof(*ctx->uids));
		if (ctx->uids == NULL)
			abort(); /* allocation never fails for the caller */
	}
	ctx->uids[ctx->count++] = uid;
}

static void mail_names_cb(const struct store_mailbox_info *info, void *context)
{
	json_array_append_new(context, json_string(info->name));
}

/* Searches one mailbox for query and prints or collects (into arr, for
 * --json) each hit. Returns 0, or prints the problem and returns 1. */
static int mail_search_box(struct pr_cli *cli, struct pr_local *local,
                           const char *mailbox, const char *query, json_t *arr,
                           struct buf *out)
{
	struct mail_search_ctx ctx = {0};
	const char *error;
	if (store_mime_search(local->account, mailbox, STORE_MIME_TEXT, query,
	                      mail_search_cb, &ctx, &error) < 0) {
		free(ctx.uids);
		return pr_fail("%s: %s", mailbox, error);
	}
	int ret = 0;
	for (size_t i = 0; i < ctx.count && ret == 0; i++) {
		struct pr_mail_summary s;
		int found = pr_mail_summary_get(local, mailbox, ctx.uids[i],
		                                cli->pool, &s, &error);
		if (found < 0)
			ret = pr_fail("%s: %s", mailbox, error);
		else if (found > 0 && arr != NULL)
			json_array_append_new(
			    arr, mail_json_summary(&s, mailbox, false));
		else if (found > 0)
			mail_line(&s, mailbox, out);
	}
	free(ctx.uids);
	return ret;
}

static int mail_search_run(struct pr_cli *cli, struct pr_local *local,
                           const struct mail_args *a, const char *query)
{
	json_t *boxes = json_array();
	if (a->mailbox != NULL)
		json_array_append_new(boxes, json_string(a->mailbox));
	else if (store_mailbox_list(local->account, mail_names_cb, boxes) < 0) {
		json_decref(boxes);
		return pr_fail("cannot list the mailboxes");
	}
	json_t *arr = cli->is_json ? json_array() : NULL;
	struct buf out;
	buf_init(&out);
	int ret = 0;
	for (size_t i = 0; i < json_array_size(boxes) && ret == 0; i++)
		ret = mail_search_box(
		    cli, local, json_string_value(json_array_get(boxes, i)),
		    query, arr, &out);
	if (ret == 0 && arr != NULL)
		mail_json_print(arr);
	else if (arr != NULL)
		json_decref(arr);
	fwrite(out.data, 1, out.len, stdout);
	buf_deinit(&out);
	json_decref(boxes);
	return ret;
}

int pr_cmd_search(struct pr_cli *cli, int argc, char **argv)
{
	struct mail_args a;
	if (mail_args_parse(argc, argv, " mailbox ", &a) < 0 ||
	    a.pos_count == 0)
		return 2;
	/* the words of the query are one phrase: search a b == search "a b" */
	struct buf query;
	buf_init(&query);
	for (int i = 0; i < a.pos_count; i++)
		buf_printf(&query, "%s%s", i > 0 ? " " : "", a.pos[i]);
	struct pr_account *account;
	struct pr_local local;
	int ret = 1;
	if (pr_cli_open(cli, &account, &local) == 0) {
		ret = mail_search_run(cli, &local, &a, query.data);
		pr_local_close(&local);
	}
	buf_deinit(&query);
	return ret;
}

/* ---- mailboxes ----------------------------------------------------------- */

static const char *mail_role(enum store_special_use use)
{
	static const char *const roles[] = {
	    [STORE_SPECIAL_NONE] = NULL,
	    [STORE_SPECIAL_INBOX] = "inbox",
	    [STORE_SPECIAL_DRAFTS] = "drafts",
	    [STORE_SPECIAL_SENT] = "sent",
	    [STORE_SPECIAL_TRASH] = "trash",
	    [STORE_SPECIAL_JUNK] = "junk",
	    [STORE_SPECIAL_ARCHIVE] = "archive",
	};
	return (size_t)use < sizeof(roles) / sizeof(roles[0]) ? roles[use]
	                                                      : NULL;
}

static void mail_mailbox_cb(const struct store_mailbox_info *info,
                            void *context)
{
	json_array_append_new(
	    context, json_pack("{s:s, s:I, s:I, s:s?}", "name", info->name,
	                       "messages", (json_int_t)info->messages, "unseen",
	                       (json_int_t)info->unseen, "role",
	                       mail_role(info->special_use)));
}

int pr_cmd_mailboxes(struct pr_cli *cli, int argc, char **argv)
{
	(void)argv;
	if (argc > 1)
		return 2;
	struct pr_account *account;
	struct pr_local local;
	if (pr_cli_open(cli, &account, &local) < 0)
		return 1;
	json_t *arr = json_array();
	int ret = store_mailbox_list(local.account, mail_mailbox_cb, arr);
	pr_local_close(&local);
	if (ret < 0) {
		json_decref(arr);
		return pr_fail("cannot list the mailboxes");
	}
	if (cli->is_json) {
		mail_json_print(arr);
		return 0;
	}
	printf("%-30s %8s %8s\n", "MAILBOX", "MESSAGES", "UNSEEN");
	for (size_t i = 0; i < json_array_size(arr); i++) {
		json_t *o = json_array_get(arr, i);
		printf("%-30s %8lld %8lld\n",
		       json_string_value(json_object_get(o, "name")),
		       (long long)json_integer_value(
		           json_object_get(o, "messages")),
		       (long long)json_integer_value(
		           json_object_get(o, "unseen")));
	}
	json_decref(arr);
	return 0;
}

/* ---- flag, move, delete -------------------------------------------------- */

/* op = ("+" / "-") ("seen" / "flagged" / "answered" / "draft"). Returns
 * 0 with the flag and its direction, or prints and returns -1. */
static int mail_flag_parse(const char *op, bool *is_add_r, uint32_t *flag_r)
{
	static const struct {
		const char *name;
		uint32_t flag;
	} names[] = {
	    {"seen", STORE_FLAG_SEEN},
	    {"flagged", STORE_FLAG_FLAGGED},
	    {"answered", STORE_FLAG_ANSWERED},
	    {"draft", STORE_FLAG_DRAFT},
	};
	if (op[0] == '+' || op[0] == '-') {
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			if (strcasecmp(op + 1, names[i].name) == 0) {
				*is_add_r = op[0] == '+';
				*flag_r = names[i].flag;
				return 0;
			}
		}
	}
	pr_fail("flag: want +seen, -seen, +flagged, -flagged, +answered, "
	        "-answered, +draft or -draft, not %s",
	        op);
	return -1;
}

/* Prints the outcome of a change: for --json {"uid":..,"mailbox":..} plus
 * what the command adds; for people, line (unless NULL). */
static void mail_done(const struct pr_cli *cli, json_t *o, const char *line)
{
	if (cli->is_json)
		mail_json_print(o);
	else
		json_decref(o);
	if (!cli->is_json && line != NULL)
		printf("%s\n", line);
}

static int mail_flag_run(struct pr_cli *cli, struct pr_local *local,
                         const struct mail_args *a, uint32_t uid)
{
	const char *error;
	for (int i = 1; i < a->pos_count; i++) {
		bool is_add;
		uint32_t flag;
		if (mail_flag_parse(a->pos[i], &is_add, &flag) < 0)
			return 2;
		int ret =
		    pr_mail_flag(local, mail_box(a), uid, is_add, flag, &error);
		if (ret < 0)
			return pr_fail("%s: %s", mail_box(a), error);
		if (ret == 0)
			return pr_fail("%s: no message with UID %u",
			               mail_box(a), uid);
	}
	struct pr_mail_summary s;
	if (pr_mail_summary_get(local, mail_box(a), uid, cli->pool, &s,
	                        &error) <= 0)
		return pr_fail("%s: UID %u vanished", mail_box(a), uid);
	json_t *flags = mail_json_flags(s.flags, s.keywords);
	struct buf line;
	buf_init(&line);
	buf_printf(&line, "%u:", uid);
	for (size_t i = 0; i < json_array_size(flags); i++)
		buf_printf(&line, " %s",
		           json_string_value(json_array_get(flags, i)));
	mail_done(cli,
	          json_pack("{s:I, s:s, s:o}", "uid", (json_int_t)uid,
	                    "mailbox", mail_box(a), "flags", flags),
	          line.data);
	buf_deinit(&line);
	return 0;
}

int pr_cmd_flag(struct pr_cli *cli, int argc, char **argv)
{
	struct mail_args a;
	uint32_t uid;
	if (mail_args_parse(argc, argv, " mailbox ", &a) < 0 ||
	    a.pos_count < 2 || mail_uid_parse(a.pos[0], &uid) < 0)
		return 2;
	struct pr_account *account;
	struct pr_local local;
	if (pr_cli_open(cli, &account, &local) < 0)
		return 1;
	int ret = mail_flag_run(cli, &local, &a, uid);
	pr_local_close(&local);
	return ret;
}

int pr_cmd_move(struct pr_cli *cli, int argc, char **argv)
{
	struct mail_args a;
	uint32_t uid, new_uid = 0;
	if (mail_args_parse(argc, argv, " mailbox ", &a) < 0 ||
	    a.pos_count != 2 || mail_uid_parse(a.pos[0], &uid) < 0)
		return 2;
	struct pr_account *account;
	struct pr_local local;
	if (pr_cli_open(cli, &account, &local) < 0)
		return 1;
	const char *error, *to = a.pos[1];
	int ret = pr_mail_move(&local, mail_box(&a), uid, to, &new_uid, &error);
	pr_local_close(&local);
	if (ret < 0)
		return pr_fail("move to %s: %s", to, error);
	if (ret == 0)
		return pr_fail("%s: no message with UID %u", mail_box(&a), uid);
	char line[256];
	snprintf(line, sizeof(line), "moved %u to %s as %u", uid, to, new_uid);
	mail_done(cli,
	          json_pack("{s:I, s:s, s:s, s:I}", "uid", (json_int_t)uid,
	                    "mailbox", mail_box(&a), "to", to, "new_uid",
	                    (json_int_t)new_uid),
	          line);
	return 0;
}

int pr_cmd_delete(struct pr_cli *cli, int argc, char **argv)
{
	struct mail_args a;
	uint32_t uid;
	if (mail_args_parse(argc, argv, " mailbox ", &a) < 0 ||
	    a.pos_count != 1 || mail_uid_parse(a.pos[0], &uid) < 0)
		return 2;
	struct pr_account *account;
	struct pr_local local;
	if (pr_cli_open(cli, &account, &local) < 0)
		return 1;
	const char *error;
	bool is_expunged = false;
	int ret =
	    pr_mail_delete(&local, mail_box(&a), uid, &is_expunged, &error);
	pr_local_close(&local);
	if (ret < 0)
		return pr_fail("%s: %s", mail_box(&a), error);
	if (ret == 0)
		return pr_fail("%s: no message with UID %u", mail_box(&a), uid);
	char line[128];
	snprintf(line, sizeof(line), "%u %s", uid,
	         is_expunged ? "deleted for good" : "moved to the trash");
	mail_done(cli,
	          json_pack("{s:I, s:s, s:b}", "uid", (json_int_t)uid,
	                    "mailbox", mail_box(&a), "expunged", is_expunged),
	          line);
	return 0;
}

/* ---- import -------------------------------------------------------------- */

/* Reads path ("-": standard input) into out. Returns 0, or -1 (errno). */
static int mail_import_read(const char *path, struct buf *out)
{
	if (strcmp(path, "-") != 0)
		return file_read_all(path, out, MAIL_IMPORT_MAX);
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0) {
		if (out->len + n > MAIL_IMPORT_MAX) {
			errno = EFBIG;
			return -1;
		}
		buf_append(out, chunk, n);
	}
	return ferror(stdin) ? -1 : 0;
}

/* Stores one file as a message of mailbox, dated by its Date: field.
 * Returns 0 with *uid_r, or prints and returns 1. */
static int mail_import_one(struct pr_local *local, const char *mailbox,
                           const char *path, uint32_t *uid_r)
{
	struct buf data;
	buf_init(&data);
	if (mail_import_read(path, &data) < 0) {
		int ret = pr_fail("%s: %s", path, strerror(errno));
		buf_deinit(&data);
		return ret;
	}
	/* one message saved from an mbox starts with its "From " line */
	size_t skip = 0;
	if (data.len > 5 && memcmp(data.data, "From ", 5) == 0) {
		const char *nl = memchr(data.data, '\n', data.len);
		skip = nl != NULL ? (size_t)(nl - data.data) + 1 : 0;
	}
	const unsigned char *msg = (const unsigned char *)data.data + skip;
	size_t size = data.len - skip;
	struct pool *pool = pool_new();
	struct mime_settings set = MIME_SETTINGS_DEFAULT;
	struct mime_view_summary v;
	mime_view_summary(msg, mime_parse(msg, size, &set, pool), pool, &v);
	const char *error;
	int ret = 0;
	if (pr_local_add(local, mailbox, msg, size, 0, "", v.date, NULL, uid_r,
	                 &error) < 0)
		ret = pr_fail("%s: %s: %s", path, mailbox, error);
	pool_free(&pool);
	buf_deinit(&data);
	return ret;
}

int pr_cmd_import(struct pr_cli *cli, int argc, char **argv)
{
	struct mail_args a;
	if (mail_args_parse(argc, argv, " mailbox ", &a) < 0 ||
	    a.pos_count == 0)
		return 2;
	struct pr_account *account;
	struct pr_local local;
	if (pr_cli_open(cli, &account, &local) < 0)
		return 1;
	json_t *arr = json_array();
	int ret = 0;
	for (int i = 0; i < a.pos_count && ret == 0; i++) {
		uint32_t uid;
		ret = mail_import_one(&local, mail_box(&a), a.pos[i], &uid);
		if (ret == 0 && !cli->is_json)
			printf("%s: %s UID %u\n", a.pos[i], mail_box(&a), uid);
		if (ret == 0)
			json_array_append_new(
			    arr, json_pack("{s:s, s:s, s:I}", "file", a.pos[i],
			                   "mailbox", mail_box(&a), "uid",
			                   (json_int_t)uid));
	}
	pr_local_close(&local);
	if (cli->is_json)
		mail_json_print(arr);
	else
		json_decref(arr);
	return ret;
}
