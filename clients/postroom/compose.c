/* postroom's writing side: "send" builds a message from options, and
 * "compose", "reply", "reply-all", "forward" write a template (compose.h)
 * into a private file, run the editor, and build the message from what
 * comes back (lib/mime/mime_compose: RFC 5322 §3.6 fields, §3.6.4 reply
 * chains, MIME attachments). A message is safe once it is in the Outbox:
 * submission is tried at once, and an unreachable server leaves it for the
 * next sync. A template without recipients goes to Drafts instead. */
#include "postroom.h"
#include "compose.h"

#include "core/buf.h"
#include "core/file.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "mime/mime.h"
#include "mime/mime_address.h"
#include "mime/mime_compose.h"
#include "mime/mime_decode.h"
#include "store/store.h"
#include "store/store_mime.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define COMPOSE_ATTACH_MAX (25u * 1024 * 1024) /* per file */
#define COMPOSE_BODY_MAX (10u * 1024 * 1024)
#define COMPOSE_MAX_ATTACH 100
#define COMPOSE_USER_AGENT "postroom"

void pr_draft_init(struct pr_draft *draft)
{
	memset(draft, 0, sizeof(*draft));
	buf_init(&draft->text);
	buf_init(&draft->written);
}

void pr_draft_deinit(struct pr_draft *draft)
{
	buf_deinit(&draft->text);
	buf_deinit(&draft->written);
	if (draft->attach_dir == NULL)
		return;
	DIR *dir = opendir(draft->attach_dir);
	struct dirent *e;
	while (dir != NULL && (e = readdir(dir)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char *path = xasprintf("%s/%s", draft->attach_dir, e->d_name);
		(void)unlink(path);
		free(path);
	}
	if (dir != NULL)
		closedir(dir);
	(void)rmdir(draft->attach_dir);
	free(draft->attach_dir);
	draft->attach_dir = NULL;
}

/* ---- Templates ----------------------------------------------------------- */

static void template_field(struct buf *text, const char *name,
                           const char *value)
{
	buf_printf(text, "%s: %s\n", name, value != NULL ? value : "");
}

/* The header of a template; body follows after the blank line. */
static void template_start(struct pr_draft *draft,
                           const struct pr_account *account, const char *to,
                           const char *cc, const char *bcc, const char *subject,
                           const char *in_reply_to, const char *references)
{
	struct buf *t = &draft->text;
	if (account->display_name != NULL && account->display_name[0] != '\0')
		buf_printf(t, "From: %s <%s>\n", account->display_name,
		           account->address);
	else
		template_field(t, "From", account->address);
	template_field(t, "To", to);
	template_field(t, "Cc", cc);
	template_field(t, "Bcc", bcc);
	template_field(t, "Subject", subject);
	if (in_reply_to != NULL)
		template_field(t, "In-Reply-To", in_reply_to);
	if (references != NULL)
		template_field(t, "References", references);
}

static void template_done(struct pr_draft *draft)
{
	buf_truncate(&draft->written, 0);
	buf_append(&draft->written, draft->text.data, draft->text.len);
}

void pr_compose_new(const struct pr_account *account, const char *to,
                    struct pr_draft *draft)
{
	template_start(draft, account, to, NULL, NULL, NULL, NULL, NULL);
	buf_append_str(&draft->text, "\n\n");
	template_done(draft);
}

struct find_ctx {
	struct pool *pool;
	const char *blob_id;
};

static int find_cb(const struct store_message *msg, void *context)
{
	struct find_ctx *ctx = context;
	ctx->blob_id = pool_strdup(ctx->pool, msg->blob_id);
	return 1;
}

/* Reads message uid of mailbox into out. Returns 0 or -1 (*error_r). */
static int message_read(struct pr_local *local, const char *mailbox,
                        uint32_t uid, struct pool *pool, struct buf *out,
                        const char **error_r)
{
	struct find_ctx ctx = {.pool = pool};
	int ret = store_message_list(local->account, mailbox, uid, uid, find_cb,
	                             &ctx);
	if (ret < 0) {
		*error_r =
		    pool_printf(pool, "%s: cannot list messages", mailbox);
		return -1;
	}
	if (ctx.blob_id == NULL) {
		*error_r =
		    pool_printf(pool, "no message UID %u in %s", uid, mailbox);
		return -1;
	}
	return store_mime_blob_read(local->store, ctx.blob_id, out, error_r);
}

int pr_compose_reply(const struct pr_account *account, struct pr_local *local,
                     const char *mailbox, uint32_t uid, bool is_all,
                     struct pool *pool, struct pr_draft *draft,
                     const char **error_r)
{
	struct buf orig;
	buf_init(&orig);
	if (message_read(local, mailbox, uid, pool, &orig, error_r) < 0) {
		buf_deinit(&orig);
		return -1;
	}
	struct mime_reply r;
	mime_compose_reply((const unsigned char *)orig.data, orig.len,
	                   account->address, is_all, pool, &r);
	buf_deinit(&orig);
	template_start(draft, account, r.to, r.cc, NULL, r.subject,
	               r.in_reply_to, r.references);
	buf_printf(&draft->text, "\n\n%s", r.quoted);
	template_done(draft);
	draft->reply_mailbox = pool_strdup(pool, mailbox);
	draft->reply_uid = uid;
	return 0;
}

/* Makes draft->attach_dir (mode 0700) if needed. Returns 0 or -1. */
static int attach_dir_make(struct pr_draft *draft, struct pool *pool,
                           const char **error_r)
{
	if (draft->attach_dir != NULL)
		return 0;
	const char *tmp = getenv("TMPDIR");
	char *dir = xasprintf("%s/postroom-XXXXXX",
	                      tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		*error_r = pool_printf(pool, "%s: %s", dir, strerror(errno));
		free(dir);
		return -1;
	}
	draft->attach_dir = dir;
	return 0;
}

/* Writes data as name (made safe) in draft->attach_dir and adds an
 * "Attach:" line for it to draft->text. Returns 0 or -1. */
static int attach_write(struct pr_draft *draft, const char *name,
                        const void *data, size_t size, struct pool *pool,
                        const char **error_r)
{
	if (attach_dir_make(draft, pool, error_r) < 0)
		return -1;
	char *safe =
	    pool_strdup(pool, name != NULL && name[0] != '\0' && name[0] != '.'
	                          ? name
	                          : "attachment");
	for (char *p = safe; *p != '\0'; p++)
		if (*p == '/' || (unsigned char)*p < 32)
			*p = '_';
	const char *path = pool_printf(pool, "%s/%s", draft->attach_dir, safe);
	for (unsigned n = 2; access(path, F_OK) == 0; n++)
		path =
		    pool_printf(pool, "%s/%u-%s", draft->attach_dir, n, safe);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || file_write_all(fd, data, size) < 0) {
		*error_r = pool_printf(pool, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	template_field(&draft->text, "Attach", path);
	return 0;
}

int pr_compose_forward(const struct pr_account *account, struct pr_local *local,
                       const char *mailbox, uint32_t uid, const char *to,
                       struct pool *pool, struct pr_draft *draft,
                       const char **error_r)
{
	struct buf orig;
	buf_init(&orig);
	if (message_read(local, mailbox, uid, pool, &orig, error_r) < 0) {
		buf_deinit(&orig);
		return -1;
	}
	struct mime_reply r;
	struct mime_compose_attachment att;
	mime_compose_forward((const unsigned char *)orig.data, orig.len, pool,
	                     &r, &att);
	template_start(draft, account, to, NULL, NULL, r.subject, NULL, NULL);
	/* The .eml name makes it message/rfc822 again when built. */
	int ret = attach_write(draft, att.filename, orig.data, orig.len, pool,
	                       error_r);
	buf_deinit(&orig);
	buf_append_str(&draft->text, "\n\n");
	template_done(draft);
	return ret;
}

/* The decoded value of a top-level field of data, or NULL. */
static const char *field_get(const unsigned char *data,
                             const struct mime_part *root, const char *name,
                             bool is_decoded, struct pool *pool)
{
	const char *raw = mime_header_get(data, root, name, pool);
	if (raw == NULL || !is_decoded)
		return raw;
	struct buf out;
	buf_init(&out);
	mime_decode_header((const unsigned char *)raw, strlen(raw), &out);
	const char *value = pool_strdup(pool, out.data);
	buf_deinit(&out);
	return value;
}

/* Appends the decoded text of a part (UTF-8) to out. */
static void part_text(const unsigned char *data, const struct mime_part *part,
                      struct buf *out)
{
	struct buf raw;
	buf_init(&raw);
	size_t size = part->end_offset - part->body_offset;
	if (mime_decode_transfer(part->encoding, data + part->body_offset, size,
	                         &raw) < 0)
		buf_append(&raw, data + part->body_offset, size);
	mime_decode_charset(
	    mime_param_get(part->params, part->param_count, "charset", NULL),
	    (const unsigned char *)raw.data, raw.len, out);
	buf_deinit(&raw);
}

/* Takes a draft's parts apart: the first text/plain becomes the body, the
 * others are written to attach_dir and listed. Returns 0 or -1. */
static int draft_parts(struct pr_draft *draft, const unsigned char *data,
                       const struct mime_part *root, struct pool *pool,
                       struct buf *body, const char **error_r)
{
	const struct mime_part *first =
	    (root->flags & MIME_PART_FLAG_MULTIPART) != 0 ? root->children
	                                                  : root;
	for (const struct mime_part *p = first; p != NULL; p = p->next) {
		bool is_message = (p->flags & MIME_PART_FLAG_MESSAGE) != 0;
		if (body->len == 0 && p == first &&
		    mime_part_is(p, "text", "plain")) {
			part_text(data, p, body);
			continue;
		}
		const char *name = mime_param_get(p->disposition_params,
		                                  p->disposition_param_count,
		                                  "filename", pool);
		if (name == NULL)
			name = mime_param_get(p->params, p->param_count, "name",
			                      pool);
		if (is_message &&
		    (name == NULL || strlen(name) < 4 ||
		     strcasecmp(name + strlen(name) - 4, ".eml") != 0))
			name = pool_printf(pool, "%s.eml",
			                   name != NULL ? name : "message");
		struct buf bytes;
		buf_init(&bytes);
		size_t size = p->end_offset - p->body_offset;
		if (mime_decode_transfer(p->encoding, data + p->body_offset,
		                         size, &bytes) < 0)
			buf_append(&bytes, data + p->body_offset, size);
		int ret = attach_write(draft, name, bytes.data, bytes.len, pool,
		                       error_r);
		buf_deinit(&bytes);
		if (ret < 0)
			return -1;
		if (root == first)
			break;
	}
	return 0;
}

int pr_compose_draft(const struct pr_account *account, struct pr_local *local,
                     uint32_t uid, struct pool *pool, struct pr_draft *draft,
                     const char **error_r)
{
	struct buf msg, body;
	buf_init(&msg);
	buf_init(&body);
	int ret = message_read(local, "Drafts", uid, pool, &msg, error_r);
	if (ret == 0) {
		struct mime_settings set = MIME_SETTINGS_DEFAULT;
		const unsigned char *data = (const unsigned char *)msg.data;
		struct mime_part *root = mime_parse(data, msg.len, &set, pool);
		template_field(&draft->text, "From",
		               field_get(data, root, "From", true, pool));
		static const char *const names[] = {"To", "Cc", "Bcc",
		                                    "Subject"};
		for (size_t i = 0; i < 4; i++)
			template_field(
			    &draft->text, names[i],
			    field_get(data, root, names[i], true, pool));
		static const char *const chain[] = {"In-Reply-To",
		                                    "References"};
		for (size_t i = 0; i < 2; i++) {
			const char *v =
			    field_get(data, root, chain[i], false, pool);
			if (v != NULL)
				template_field(&draft->text, chain[i], v);
		}
		ret = draft_parts(draft, data, root, pool, &body, error_r);
	}
	if (ret == 0) {
		buf_append_char(&draft->text, '\n');
		for (size_t i = 0; i < body.len; i++)
			if (body.data[i] != '\r' || i + 1 == body.len ||
			    body.data[i + 1] != '\n')
				buf_append_char(&draft->text, body.data[i]);
		template_done(draft);
		draft->draft_uid = uid;
		(void)account;
	}
	buf_deinit(&msg);
	buf_deinit(&body);
	return ret;
}

/* ---- The editor ---------------------------------------------------------- */

static const char *editor_command(const struct pr_config *config)
{
	const char *names[] = {config->editor, getenv("VISUAL"),
	                       getenv("EDITOR")};
	for (size_t i = 0; i < 3; i++)
		if (names[i] != NULL && names[i][0] != '\0')
			return names[i];
	return "vi";
}

/* Runs `editor "$path"` through /bin/sh, so EDITOR may carry arguments.
 * Returns the exit status, or -1 if it could not run. */
static int editor_run(const char *editor, const char *path, struct pool *pool)
{
	const char *cmd = pool_printf(pool, "%s \"$1\"", editor);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, "sh", path, (char *)NULL);
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static bool is_blank(const struct buf *text)
{
	return text->len == strspn(text->data, " \t\r\n");
}

int pr_compose_edit(const struct pr_config *config, struct pr_draft *draft,
                    struct pool *pool, const char **error_r)
{
	const char *tmp = getenv("TMPDIR");
	char *path = pool_printf(pool, "%s/postroom-XXXXXX.eml",
	                         tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	int fd = mkstemps(path, 4); /* mode 0600 */
	if (fd < 0) {
		*error_r = pool_printf(pool, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (file_write_all(fd, draft->text.data, draft->text.len) < 0 ||
	    close(fd) < 0) {
		*error_r = pool_printf(pool, "%s: %s", path, strerror(errno));
		(void)unlink(path);
		return -1;
	}
	const char *editor = editor_command(config);
	int status = editor_run(editor, path, pool);
	buf_truncate(&draft->text, 0);
	if (status != 0 ||
	    file_read_all(path, &draft->text, COMPOSE_BODY_MAX) < 0) {
		*error_r = pool_printf(pool,
		                       "the editor (%s) failed; your text is "
		                       "kept in %s",
		                       editor, path);
		return -1;
	}
	(void)unlink(path);
	if (is_blank(&draft->text) ||
	    (draft->text.len == draft->written.len &&
	     memcmp(draft->text.data, draft->written.data, draft->text.len) ==
	         0))
		return 0;
	return 1;
}

/* ---- From template to message ------------------------------------------- */

struct template
{
	struct buf to, cc, bcc;
	const char *from, *subject, *in_reply_to, *references;
	const char *attach[COMPOSE_MAX_ATTACH];
	size_t attach_count;
	const char *body;
	size_t body_size;
};

static const char *trim(const char *s, size_t len, struct pool *pool)
{
	while (len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len > 0 &&
	       (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
		len--;
	return pool_strndup(pool, s, len);
}

static void list_add(struct buf *list, const char *value)
{
	if (value[0] == '\0')
		return;
	if (list->len > 0)
		buf_append_str(list, ", ");
	buf_append_str(list, value);
}

/* Stores one "Name: value" field. Returns 0, or -1 if name is unknown. */
static int template_set(struct template *t, const char *name, const char *value)
{
	if (strcasecmp(name, "To") == 0)
		list_add(&t->to, value);
	else if (strcasecmp(name, "Cc") == 0)
		list_add(&t->cc, value);
	else if (strcasecmp(name, "Bcc") == 0)
		list_add(&t->bcc, value);
	else if (strcasecmp(name, "From") == 0)
		t->from = value;
	else if (strcasecmp(name, "Subject") == 0)
		t->subject = value;
	else if (strcasecmp(name, "In-Reply-To") == 0)
		t->in_reply_to = value[0] != '\0' ? value : NULL;
	else if (strcasecmp(name, "References") == 0)
		t->references = value[0] != '\0' ? value : NULL;
	else if (strcasecmp(name, "Attach") == 0) {
		if (value[0] != '\0' && t->attach_count < COMPOSE_MAX_ATTACH)
			t->attach[t->attach_count++] = value;
	} else
		return -1;
	return 0;
}

/* field = name ":" value LF *(WSP value LF); the header ends at the first
 * empty line. Returns 0, or -1 with *error_r ("line N: ..."). */
static int template_parse(const struct buf *text, struct template *t,
                          struct pool *pool, const char **error_r)
{
	const char *p = text->data, *end = text->data + text->len;
	unsigned line = 0;
	while (p < end && *p != '\n' && !(*p == '\r' && p[1] == '\n')) {
		line++;
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl != NULL ? nl : end;
		/* Join continuation lines (they start with a space or tab). */
		while (eol + 1 < end && (eol[1] == ' ' || eol[1] == '\t')) {
			nl = memchr(eol + 1, '\n', (size_t)(end - eol - 1));
			eol = nl != NULL ? nl : end;
			line++;
		}
		const char *colon = memchr(p, ':', (size_t)(eol - p));
		if (colon == NULL) {
			*error_r = pool_printf(pool,
			                       "template line %u: no ':' "
			                       "(a blank line must end the "
			                       "header)",
			                       line);
			return -1;
		}
		char *value =
		    (char *)trim(colon + 1, (size_t)(eol - colon - 1), pool);
		for (char *v = value; *v != '\0'; v++)
			if (*v == '\n' || *v == '\r' || *v == '\t')
				*v = ' ';
		const char *name = trim(p, (size_t)(colon - p), pool);
		if (template_set(t, name, value) < 0) {
			*error_r = pool_printf(pool,
			                       "template line %u: unknown "
			                       "field %s",
			                       line, name);
			return -1;
		}
		p = eol < end ? eol + 1 : end;
	}
	if (p < end)
		p += *p == '\r' ? 2 : 1; /* the blank line */
	t->body = p;
	t->body_size = (size_t)(end - p);
	return 0;
}

/* Reads the Attach: files. Returns 0 or -1 (*error_r names the file). */
static int attachments_read(const struct template *t, struct pool *pool,
                            struct buf *bufs,
                            struct mime_compose_attachment *atts,
                            const char **error_r)
{
	for (size_t i = 0; i < t->attach_count; i++) {
		if (file_read_all(t->attach[i], &bufs[i], COMPOSE_ATTACH_MAX) <
		    0) {
			*error_r =
			    pool_printf(pool, "%s: %s", t->attach[i],
			                errno == EFBIG ? "larger than 25 MiB"
			                               : strerror(errno));
			return -1;
		}
		const char *slash = strrchr(t->attach[i], '/');
		atts[i].filename = slash != NULL ? slash + 1 : t->attach[i];
		atts[i].data = (const unsigned char *)bufs[i].data;
		atts[i].size = bufs[i].len;
	}
	return 0;
}

/* Fills from_name/from_addr from the template's From (else the
 * account's). Returns 0, or -1 if it holds no address. */
static int template_from(const struct pr_account *account, const char *from,
                         struct mime_compose *c, struct pool *pool)
{
	c->from_name = account->display_name;
	c->from_addr = account->address;
	if (from == NULL || from[0] == '\0')
		return 0;
	struct mime_address *a;
	if (mime_address_parse((const unsigned char *)from, strlen(from), pool,
	                       &a) <= 0 ||
	    a->host == NULL || strcmp(a->host, "MISSING_DOMAIN") == 0)
		return -1;
	c->from_addr = pool_printf(pool, "%s@%s", a->mailbox, a->host);
	c->from_name = a->name;
	return 0;
}

int pr_compose_finish(const struct pr_account *account,
                      const struct pr_draft *draft, struct pool *pool,
                      struct pr_composed *composed, const char **error_r)
{
	struct template t = {0};
	buf_init(&t.to);
	buf_init(&t.cc);
	buf_init(&t.bcc);
	struct buf bufs[COMPOSE_MAX_ATTACH];
	struct mime_compose_attachment atts[COMPOSE_MAX_ATTACH] = {{0}};
	for (size_t i = 0; i < COMPOSE_MAX_ATTACH; i++)
		buf_init(&bufs[i]);
	struct mime_compose c = {.user_agent = COMPOSE_USER_AGENT};
	int ret = template_parse(&draft->text, &t, pool, error_r);
	if (ret == 0 && template_from(account, t.from, &c, pool) < 0) {
		*error_r =
		    pool_printf(pool, "invalid address in From: %s", t.from);
		ret = -1;
	}
	if (ret == 0)
		ret = attachments_read(&t, pool, bufs, atts, error_r);
	if (ret == 0) {
		composed->has_recipient = t.to.len + t.cc.len + t.bcc.len > 0;
		c.to = t.to.data;
		c.cc = t.cc.data;
		c.bcc = t.bcc.data;
		c.subject = t.subject;
		c.in_reply_to = t.in_reply_to;
		c.references = t.references;
		c.body = t.body;
		c.body_size = t.body_size;
		c.attachments = atts;
		c.attachment_count = t.attach_count;
		c.is_draft = !composed->has_recipient;
		ret = mime_compose_build(&c, pool, &composed->data,
		                         &composed->message_id, error_r);
	}
	for (size_t i = 0; i < COMPOSE_MAX_ATTACH; i++)
		buf_deinit(&bufs[i]);
	buf_deinit(&t.to);
	buf_deinit(&t.cc);
	buf_deinit(&t.bcc);
	return ret;
}

/* ---- Handing a message over ---------------------------------------------- */

static int any_cb(const struct store_message *msg, void *context)
{
	(void)msg;
	*(bool *)context = true;
	return 1;
}

static bool outbox_has(struct pr_local *local, uint32_t uid)
{
	bool found = false;
	(void)store_message_list(local->account, PR_OUTBOX, uid, uid, any_cb,
	                         &found);
	return found;
}

int pr_compose_deliver(const struct pr_config *config,
                       const struct pr_account *account, struct pr_local *local,
                       const struct pr_draft *draft, const struct buf *data,
                       struct pool *pool, struct pr_delivery *delivery_r,
                       const char **error_r)
{
	memset(delivery_r, 0, sizeof(*delivery_r));
	uint32_t uid;
	if (pr_outbox_add(local, (const unsigned char *)data->data, data->len,
	                  &uid, error_r) < 0)
		return -1;
	delivery_r->is_queued = true;
	/* The message is safe from here on, and a queued reply goes out at
	 * the next sync without us: mark the original and drop the draft
	 * now rather than only after an immediate send. */
	if (draft != NULL && draft->reply_mailbox != NULL) {
		uint64_t modseq;
		(void)store_message_set_flags(
		    local->account, draft->reply_mailbox, draft->reply_uid,
		    STORE_FLAGS_ADD, STORE_FLAG_ANSWERED, NULL, &modseq);
	}
	if (draft != NULL && draft->draft_uid != 0)
		(void)store_message_expunge(local->account, "Drafts",
		                            &draft->draft_uid, 1);
	struct pr_sync_report report = {0};
	const char *why = NULL;
	if (pr_outbox_flush(config, account, local, &report, pool, &why) < 0) {
		delivery_r->why = why != NULL ? why : "server not reached";
		return 0;
	}
	if (outbox_has(local, uid)) {
		delivery_r->is_refused = true;
		delivery_r->why =
		    report.refusal[0] != '\0'
		        ? pool_printf(pool,
		                      "the server refused the message: %s",
		                      report.refusal)
		        : "the server refused the message";
		return 0;
	}
	delivery_r->is_sent = true;
	return 0;
}

int pr_compose_save_draft(struct pr_local *local, const struct pr_draft *draft,
                          const struct buf *data, const char **error_r)
{
	uint32_t uid;
	if (pr_local_add(local, "Drafts", (const unsigned char *)data->data,
	                 data->len, STORE_FLAG_DRAFT | STORE_FLAG_SEEN, NULL, 0,
	                 NULL, &uid, error_r) < 0)
		return -1;
	if (draft->draft_uid != 0)
		(void)store_message_expunge(local->account, "Drafts",
		                            &draft->draft_uid, 1);
	return 0;
}

/* The In-Reply-To, References (and, when subject_r, the "Re:" subject)
 * of a reply to f's message; notes the original in draft. Returns 0 or
 * -1 with *error_r. */
static int reply_chain_get(const struct pr_account *account,
                           struct pr_local *local,
                           const struct pr_compose_fields *f, struct pool *pool,
                           struct pr_draft *draft, const char **irt_r,
                           const char **refs_r, const char **subject_r,
                           const char **error_r)
{
	struct buf orig;
	buf_init(&orig);
	const char *mailbox =
	    f->reply_mailbox != NULL ? f->reply_mailbox : "INBOX";
	if (message_read(local, mailbox, f->reply_uid, pool, &orig, error_r) <
	    0) {
		buf_deinit(&orig);
		return -1;
	}
	struct mime_reply r;
	mime_compose_reply((const unsigned char *)orig.data, orig.len,
	                   account->address, false, pool, &r);
	buf_deinit(&orig);
	*irt_r = r.in_reply_to;
	*refs_r = r.references;
	if (subject_r != NULL)
		*subject_r = r.subject;
	draft->reply_mailbox = pool_strdup(pool, mailbox);
	draft->reply_uid = f->reply_uid;
	return 0;
}

int pr_compose_fill(const struct pr_account *account, struct pr_local *local,
                    const struct pr_compose_fields *f, struct pool *pool,
                    struct pr_draft *draft, const char **error_r)
{
	const char *irt = NULL, *refs = NULL, *subject = f->subject;
	if (f->reply_uid != 0 &&
	    reply_chain_get(account, local, f, pool, draft, &irt, &refs,
	                    subject == NULL ? &subject : NULL, error_r) < 0)
		return -1;
	const char *values[] = {f->to, f->cc, f->bcc, subject};
	for (size_t i = 0; i < 4; i++) {
		if (values[i] != NULL &&
		    values[i][strcspn(values[i], "\r\n")] != '\0') {
			*error_r =
			    pool_printf(pool, "a line break in %s", values[i]);
			return -1;
		}
	}
	template_start(draft, account, f->to, f->cc, f->bcc, subject, irt,
	               refs);
	for (size_t i = 0; i < f->attach_count; i++)
		template_field(&draft->text, "Attach", f->attach[i]);
	buf_append_char(&draft->text, '\n');
	buf_append(&draft->text, f->body, f->body_size);
	template_done(draft);
	return 0;
}
