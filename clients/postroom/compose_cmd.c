/* postroom's writing subcommands: "send" builds a message from its options
 * and "compose", "reply", "reply-all", "forward" go through the editor
 * (compose.h has the template and how it becomes a message). Either way the
 * message is safe once it is in the Outbox; submission is tried at once and
 * an unreachable server leaves it for the next "postroom sync" (exit 0). A
 * template left without recipients is kept in Drafts. "send --at TIME"
 * asks the server to hold the message until then (FUTURERELEASE, RFC
 * 4865); the Outbox copy carries the time in an X-Postroom-Send-At field,
 * which send.c turns into HOLDUNTIL and never sends. */
#include "postroom.h"
#include "compose.h"

#include "core/buf.h"
#include "core/file.h"
#include "smtp/smtp_release.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#define COMPOSE_BODY_MAX (10u * 1024 * 1024)
#define COMPOSE_MAX_ATTACH 100

static void list_add(struct buf *list, const char *value)
{
	if (value[0] == '\0')
		return;
	if (list->len > 0)
		buf_append_str(list, ", ");
	buf_append_str(list, value);
}

/* Tells the user (or --json) what happened. Returns the exit status. */
static int delivery_print(const struct pr_cli *cli, const struct pr_delivery *d,
                          const char *message_id, time_t send_at)
{
	char at[SMTP_DATETIME_MAX];
	smtp_release_datetime_format(send_at, at);
	if (cli->is_json) {
		json_t *o =
		    json_pack("{s:b, s:b, s:s}", "queued", d->is_queued, "sent",
		              d->is_sent, "message_id", message_id);
		if (send_at != 0)
			json_object_set_new(o, "send_at", json_string(at));
		if (d->why != NULL)
			json_object_set_new(o, "error", json_string(d->why));
		char *text = json_dumps(o, JSON_COMPACT);
		puts(text);
		free(text);
		json_decref(o);
	} else if (d->is_sent && send_at != 0) {
		printf("sent <%s>: the server holds it until %s\n", message_id,
		       at);
	} else if (d->is_sent) {
		printf("sent <%s>\n", message_id);
	} else if (d->is_refused) {
		printf("%s; it stays in the Outbox\n", d->why);
	} else {
		printf("queued <%s>: cannot reach the server (%s); the message "
		       "stays in the Outbox until the next 'postroom sync'\n",
		       message_id, d->why);
	}
	return d->is_refused ? 1 : 0;
}

struct send_args {
	struct buf to, cc, bcc;
	const char *subject, *body_file, *mailbox;
	const char *attach[COMPOSE_MAX_ATTACH];
	size_t attach_count;
	uint32_t reply_uid;
	time_t send_at; /* --at: 0 for now */
};

/* --at TIME: an RFC 3339 date-time ("2030-01-02T09:00:00+01:00") or +N
 * with a unit s, m, h or d ("+90m"). Returns 0 with a time in the future,
 * or -1. */
static int send_at_parse(const char *str, time_t *at_r)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	/* whole seconds, rounded up: never before now + N */
	time_t now = tv.tv_sec + (tv.tv_usec > 0);
	if (str[0] == '+') {
		char *end;
		errno = 0;
		unsigned long n = strtoul(str + 1, &end, 10);
		unsigned long unit = *end == 'd'   ? 86400
		                     : *end == 'h' ? 3600
		                     : *end == 'm' ? 60
		                                   : 1;
		if (*end != '\0' && *end != 's' && unit == 1)
			return -1;
		if (errno != 0 || end == str + 1 || n == 0 ||
		    (*end != '\0' && end[1] != '\0') ||
		    n > SMTP_RELEASE_INTERVAL_MAX / unit)
			return -1;
		*at_r = now + (time_t)(n * unit);
		return 0;
	}
	if (smtp_release_datetime_parse(str, at_r) < 0 || *at_r <= now)
		return -1;
	return 0;
}

static int parse_uid(const char *str, uint32_t *uid_r)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(str, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0 || v > UINT32_MAX ||
	    str[0] == '-')
		return -1;
	*uid_r = (uint32_t)v;
	return 0;
}

/* Returns 0, or -1 on a usage error. */
static int send_args_parse(int argc, char **argv, struct send_args *a)
{
	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i];
		if (strcmp(opt, "-") == 0) {
			a->body_file = "-";
			continue;
		}
		if (i + 1 >= argc)
			return -1;
		const char *v = argv[++i];
		if (strcmp(opt, "--to") == 0)
			list_add(&a->to, v);
		else if (strcmp(opt, "--cc") == 0)
			list_add(&a->cc, v);
		else if (strcmp(opt, "--bcc") == 0)
			list_add(&a->bcc, v);
		else if (strcmp(opt, "--subject") == 0)
			a->subject = v;
		else if (strcmp(opt, "--body-file") == 0)
			a->body_file = v;
		else if (strcmp(opt, "--mailbox") == 0)
			a->mailbox = v;
		else if (strcmp(opt, "--at") == 0) {
			if (send_at_parse(v, &a->send_at) < 0) {
				fprintf(
				    stderr,
				    "postroom: --at: not a future time: %s "
				    "(an RFC 3339 date-time, or +N[smhd])\n",
				    v);
				return -1;
			}
		} else if (strcmp(opt, "--in-reply-to") == 0) {
			if (parse_uid(v, &a->reply_uid) < 0)
				return -1;
		} else if (strcmp(opt, "--attach") == 0 &&
		           a->attach_count < COMPOSE_MAX_ATTACH)
			a->attach[a->attach_count++] = v;
		else
			return -1;
	}
	return 0;
}

static int body_read(const char *file, struct buf *body)
{
	if (file == NULL)
		return 0;
	if (strcmp(file, "-") != 0)
		return file_read_all(file, body, COMPOSE_BODY_MAX);
	char chunk[8192];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0) {
		buf_append(body, chunk, n);
		if (body->len > COMPOSE_BODY_MAX) {
			errno = EFBIG;
			return -1;
		}
	}
	return ferror(stdin) ? -1 : 0;
}

static int send_usage(void)
{
	fputs("usage: postroom send --to ADDR [--to ADDR]... [--cc ADDR] "
	      "[--bcc ADDR] --subject S [--attach FILE]... [--body-file "
	      "FILE|-] [--in-reply-to UID [--mailbox M]] [--at TIME]\n",
	      stderr);
	return 2;
}

/* Builds draft's message and hands it over (or keeps it as a draft when
 * it has no recipient and may_draft). Returns the exit status. */
static int compose_submit(struct pr_cli *cli, const struct pr_account *account,
                          struct pr_local *local, const struct pr_draft *draft,
                          bool may_draft, time_t send_at)
{
	struct pr_composed composed = {0};
	buf_init(&composed.data);
	const char *error;
	int ret =
	    pr_compose_finish(account, draft, cli->pool, &composed, &error);
	struct pr_delivery d;
	if (ret == 0 && send_at != 0) {
		/* for send.c only: HOLDUNTIL, and cut from what is sent */
		char at[SMTP_DATETIME_MAX];
		struct buf data;
		smtp_release_datetime_format(send_at, at);
		buf_init(&data);
		buf_printf(&data, "%s: %s\r\n", PR_SEND_AT_FIELD, at);
		buf_append(&data, composed.data.data, composed.data.len);
		buf_deinit(&composed.data);
		composed.data = data;
	}
	if (ret < 0) {
		ret = pr_fail("%s", error);
	} else if (!composed.has_recipient && may_draft) {
		ret =
		    pr_compose_save_draft(local, draft, &composed.data, &error);
		if (ret < 0)
			ret = pr_fail("Drafts: %s", error);
		else if (cli->is_json)
			printf("{\"draft\": true, \"message_id\": \"%s\"}\n",
			       composed.message_id);
		else
			puts("no recipient: saved to Drafts");
	} else if (!composed.has_recipient) {
		ret = pr_fail("no recipient: give --to, --cc or --bcc");
	} else if (pr_compose_deliver(cli->config, account, local, draft,
	                              &composed.data, cli->pool, &d,
	                              &error) < 0) {
		ret = pr_fail("Outbox: %s", error);
	} else {
		ret = delivery_print(cli, &d, composed.message_id, send_at);
	}
	buf_deinit(&composed.data);
	return ret;
}

int pr_cmd_send(struct pr_cli *cli, int argc, char **argv)
{
	struct send_args a = {0};
	buf_init(&a.to);
	buf_init(&a.cc);
	buf_init(&a.bcc);
	struct buf body;
	buf_init(&body);
	struct pr_draft draft;
	pr_draft_init(&draft);
	struct pr_account *account;
	struct pr_local local;
	const char *error;
	int ret;
	if (send_args_parse(argc, argv, &a) < 0 ||
	    a.to.len + a.cc.len + a.bcc.len == 0) {
		ret = send_usage();
	} else if (body_read(a.body_file, &body) < 0) {
		ret = pr_fail("%s: %s", a.body_file, strerror(errno));
	} else if (pr_cli_open(cli, &account, &local) < 0) {
		ret = 1;
	} else {
		struct pr_compose_fields f = {
		    .to = a.to.data,
		    .cc = a.cc.data,
		    .bcc = a.bcc.data,
		    .subject = a.subject,
		    .attach = a.attach,
		    .attach_count = a.attach_count,
		    .reply_mailbox = a.mailbox,
		    .reply_uid = a.reply_uid,
		    .body = body.data,
		    .body_size = body.len,
		};
		if (pr_compose_fill(account, &local, &f, cli->pool, &draft,
		                    &error) < 0)
			ret = pr_fail("%s", error);
		else
			ret = compose_submit(cli, account, &local, &draft,
			                     false, a.send_at);
		pr_local_close(&local);
	}
	pr_draft_deinit(&draft);
	buf_deinit(&body);
	buf_deinit(&a.to);
	buf_deinit(&a.cc);
	buf_deinit(&a.bcc);
	return ret;
}

struct compose_args {
	const char *mailbox, *to;
	uint32_t uid, draft_uid;
};

/* compose [--draft UID] [--to A] | reply UID [--mailbox M] | reply-all
 * UID [--mailbox M] | forward UID [--mailbox M] [--to A]. Returns 0 or
 * -1 on a usage error. */
static int compose_args_parse(int argc, char **argv, struct compose_args *a)
{
	bool needs_uid = strcmp(argv[0], "compose") != 0;
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] != '-' && needs_uid && a->uid == 0) {
			if (parse_uid(argv[i], &a->uid) < 0)
				return -1;
			continue;
		}
		if (i + 1 >= argc)
			return -1;
		const char *v = argv[++i];
		if (strcmp(argv[i - 1], "--mailbox") == 0 && needs_uid)
			a->mailbox = v;
		else if (strcmp(argv[i - 1], "--to") == 0)
			a->to = v;
		else if (strcmp(argv[i - 1], "--draft") == 0 && !needs_uid) {
			if (parse_uid(v, &a->draft_uid) < 0)
				return -1;
		} else
			return -1;
	}
	return needs_uid && a->uid == 0 ? -1 : 0;
}

static int compose_template(const struct pr_cli *cli, char *kind,
                            const struct pr_account *account,
                            struct pr_local *local,
                            const struct compose_args *a,
                            struct pr_draft *draft, const char **error_r)
{
	const char *mailbox = a->mailbox != NULL ? a->mailbox : "INBOX";
	if (strcmp(kind, "reply") == 0 || strcmp(kind, "reply-all") == 0)
		return pr_compose_reply(account, local, mailbox, a->uid,
		                        strcmp(kind, "reply-all") == 0,
		                        cli->pool, draft, error_r);
	if (strcmp(kind, "forward") == 0)
		return pr_compose_forward(account, local, mailbox, a->uid,
		                          a->to, cli->pool, draft, error_r);
	if (a->draft_uid != 0)
		return pr_compose_draft(account, local, a->draft_uid, cli->pool,
		                        draft, error_r);
	pr_compose_new(account, a->to, draft);
	return 0;
}

int pr_cmd_compose(struct pr_cli *cli, int argc, char **argv)
{
	struct compose_args a = {0};
	if (compose_args_parse(argc, argv, &a) < 0) {
		fprintf(stderr, "usage: postroom compose [--draft UID] [--to "
		                "ADDR] | reply|reply-all UID [--mailbox M] | "
		                "forward UID [--mailbox M] [--to ADDR]\n");
		return 2;
	}
	struct pr_account *account;
	struct pr_local local;
	if (pr_cli_open(cli, &account, &local) < 0)
		return 1;
	struct pr_draft draft;
	pr_draft_init(&draft);
	const char *error;
	int ret =
	    compose_template(cli, argv[0], account, &local, &a, &draft, &error);
	if (ret == 0)
		ret = pr_compose_edit(cli->config, &draft, cli->pool, &error);
	if (ret < 0) {
		ret = pr_fail("%s", error);
	} else if (ret == 0) {
		if (cli->is_json)
			puts("{\"queued\": false, \"sent\": false}");
		else
			puts("nothing sent");
	} else {
		ret = compose_submit(cli, account, &local, &draft, true, 0);
	}
	pr_draft_deinit(&draft);
	pr_local_close(&local);
	return ret;
}
