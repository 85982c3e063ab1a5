/* The settings block of the active script (sieve_managed.h): finding it,
 * putting it after the script's requires, and writing and reading its
 * vacation (RFC 5230, with RFC 5260 currentdate tests for a start and an
 * end, RFC 5231 :value to compare them) and forward sections. Dates are
 * compared as iso8601 strings in UTC (:zone "+0000"), which sort as the
 * instants do. */
#include "core/pool.h"
#include "rules/sieve_managed.h"
#include "rules/sieve_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SECTION_FORWARD "# forward\n"
#define SECTION_VACATION "# vacation\n"
#define DEFAULT_TEXT "I am away and will read your message when I am back."
#define BOUNDARY "postroom-vacation"

void sieve_managed_init(struct sieve_managed *m)
{
	memset(m, 0, sizeof(*m));
	buf_init(&m->forward);
	buf_init(&m->vacation);
}

void sieve_managed_deinit(struct sieve_managed *m)
{
	buf_deinit(&m->forward);
	buf_deinit(&m->vacation);
}

bool sieve_managed_find(const char *text, size_t *start_r, size_t *end_r,
                        struct sieve_managed *m)
{
	const char *begin = strstr(text, SIEVE_MANAGED_BEGIN);
	const char *end = begin != NULL ? strstr(begin, SIEVE_MANAGED_END)
	                                : NULL;
	if (begin == NULL || end == NULL)
		return false;
	*start_r = (size_t)(begin - text);
	*end_r = (size_t)(end - text) + strlen(SIEVE_MANAGED_END);
	/* the block's own require line comes before the first section and is
	   made anew by block_build */
	struct buf *section = NULL;
	for (const char *p = begin + strlen(SIEVE_MANAGED_BEGIN); p < end;) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t len = eol != NULL ? (size_t)(eol - p) + 1
		                         : (size_t)(end - p);
		if (len == strlen(SECTION_FORWARD) &&
		    strncmp(p, SECTION_FORWARD, len) == 0) {
			section = &m->forward;
			m->has_forward = true;
		} else if (len == strlen(SECTION_VACATION) &&
		           strncmp(p, SECTION_VACATION, len) == 0) {
			section = &m->vacation;
			m->has_vacation = true;
		} else if (section != NULL) {
			buf_append(section, p, len);
		}
		p += len;
	}
	return true;
}

/* The block for the sections in m ("" when both are off), with the
 * requires its commands need. */
static void block_build(const struct sieve_managed *m, struct buf *out)
{
	if (!m->has_forward && !m->has_vacation)
		return;
	static const struct {
		const char *cap, *needle;
	} needs[] = {
	    {"copy", ":copy"},
	    {"date", "currentdate"},
	    {"relational", ":value"},
	    {"vacation", "vacation"},
	};
	struct buf req;
	buf_init(&req);
	for (size_t i = 0; i < sizeof(needs) / sizeof(*needs); i++) {
		bool in_forward = m->has_forward &&
		                  strstr(m->forward.data, needs[i].needle) != NULL;
		bool in_vacation = m->has_vacation &&
		                   strstr(m->vacation.data, needs[i].needle) !=
		                       NULL;
		if (!in_forward && !in_vacation)
			continue;
		buf_printf(&req, "%s\"%s\"", req.len > 0 ? ", " : "",
		           needs[i].cap);
	}
	buf_append_str(out, SIEVE_MANAGED_BEGIN);
	if (req.len > 0)
		buf_printf(out, "require [%s];\n", req.data);
	if (m->has_forward)
		buf_printf(out, SECTION_FORWARD "%s", m->forward.data);
	if (m->has_vacation)
		buf_printf(out, SECTION_VACATION "%s", m->vacation.data);
	buf_append_str(out, SIEVE_MANAGED_END);
	buf_deinit(&req);
}

int sieve_managed_place(const char *name, const char *text, size_t size,
                        const struct sieve_managed *m,
                        const struct sieve_settings *set, struct buf *out,
                        struct sieve_error *error_r)
{
	struct sieve_script *script = NULL;
	if (sieve_compile((const unsigned char *)text, size, name, set,
	                  &script, error_r) < 0) {
		char why[sizeof(error_r->message)];
		snprintf(why, sizeof(why), "%s", error_r->message);
		snprintf(error_r->message, sizeof(error_r->message),
		         "the active script %.64s does not compile (%u:%u: %.120s)",
		         name, error_r->line, error_r->column, why);
		error_r->line = error_r->column = 0;
		return -1;
	}
	size_t at = sieve_script_require_end(script);
	sieve_script_free(&script);
	struct buf block;
	buf_init(&block);
	block_build(m, &block);
	buf_append(out, text, at);
	if (at > 0 && block.len > 0)
		buf_append_char(out, '\n');
	buf_append(out, block.data, block.len);
	const char *tail = text + at;
	if (at > 0 && block.len > 0 && at < size && *tail == '\n')
		tail++;
	buf_append(out, tail, size - (size_t)(tail - text));
	buf_deinit(&block);
	if (sieve_compile((const unsigned char *)out->data, out->len, name, set,
	                  &script, error_r) < 0)
		return -1;
	sieve_script_free(&script);
	return 0;
}

int sieve_managed_rewrite(const char *name, const char *text, size_t size,
                          sieve_managed_change_fn *change, void *ctx,
                          const struct sieve_settings *set, struct buf *out,
                          struct sieve_error *error_r)
{
	struct sieve_managed m;
	struct buf rest;
	size_t start, end;
	sieve_managed_init(&m);
	buf_init(&rest);
	if (sieve_managed_find(text, &start, &end, &m)) {
		buf_append(&rest, text, start);
		buf_append(&rest, text + end, size - end);
	} else {
		buf_append(&rest, text, size);
	}
	change(&m, ctx);
	int ret = sieve_managed_place(name, rest.data, rest.len, &m, set, out,
	                              error_r);
	sieve_managed_deinit(&m);
	buf_deinit(&rest);
	return ret;
}

bool sieve_managed_is_empty(const char *text, size_t size)
{
	for (size_t i = 0; i < size; i++)
		if (strchr(" \t\r\n", text[i]) == NULL || text[i] == '\0')
			return false;
	return true;
}

void sieve_managed_quote(struct buf *out, const char *str)
{
	buf_append_char(out, '"');
	for (const char *p = str; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			buf_append_char(out, '\\');
		buf_append_char(out, *p);
	}
	buf_append_char(out, '"');
}

/* ---- forward ---- */

void sieve_managed_set_forward(struct sieve_managed *m,
                               const char *const *targets, size_t count,
                               bool copy)
{
	buf_truncate(&m->forward, 0);
	m->has_forward = count > 0;
	for (size_t i = 0; i < count; i++) {
		buf_append_str(&m->forward,
		               copy ? "redirect :copy " : "redirect ");
		sieve_managed_quote(&m->forward, targets[i]);
		buf_append_str(&m->forward, ";\n");
	}
}

/* ---- vacation: writing ---- */

/* "2026-12-07T05:00:00+00:00": what currentdate :zone "+0000" gives for
 * the date-part "iso8601" (RFC 5260 §4.2). */
static void iso8601_utc(time_t t, struct buf *out)
{
	struct tm tm;
	char s[40];
	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S+00:00", &tm);
	buf_append_str(out, s);
}

static void date_test(struct buf *out, const char *rel, time_t t)
{
	buf_printf(out, "currentdate :zone \"+0000\" :value \"%s\" \"iso8601\" "
	                "\"",
	           rel);
	iso8601_utc(t, out);
	buf_append_char(out, '"');
}

/* A rough plain text of html: tags dropped, the common entities read. */
static void html_to_text(const char *html, struct buf *out)
{
	static const struct {
		const char *entity, *text;
	} entities[] = {{"&amp;", "&"}, {"&lt;", "<"},   {"&gt;", ">"},
	                {"&quot;", "\""}, {"&#39;", "'"}, {"&nbsp;", " "}};
	bool in_tag = false;
	for (const char *p = html; *p != '\0'; p++) {
		if (in_tag) {
			in_tag = *p != '>';
			continue;
		}
		if (*p == '<') {
			in_tag = true;
			if (strncasecmp(p, "<br", 3) == 0 ||
			    strncasecmp(p, "</p", 3) == 0 ||
			    strncasecmp(p, "</div", 5) == 0)
				buf_append_char(out, '\n');
			continue;
		}
		size_t i = 0, n = sizeof(entities) / sizeof(*entities);
		while (i < n && strncmp(p, entities[i].entity,
		                        strlen(entities[i].entity)) != 0)
			i++;
		if (i < n) {
			buf_append_str(out, entities[i].text);
			p += strlen(entities[i].entity) - 1;
		} else {
			buf_append_char(out, *p);
		}
	}
}

/* RFC 5230 §5 :mime: a multipart/alternative entity of text and html,
 * with a boundary that neither contains. */
static void mime_entity(const char *text, const char *html, struct buf *out)
{
	char boundary[64];
	unsigned n = 0;
	do
		snprintf(boundary, sizeof(boundary), BOUNDARY "-%u", n++);
	while (strstr(text, boundary) != NULL || strstr(html, boundary) != NULL);
	buf_printf(out,
	           "Content-Type: multipart/alternative; boundary=\"%s\"\n\n"
	           "--%s\nContent-Type: text/plain; charset=utf-8\n"
	           "Content-Transfer-Encoding: 8bit\n\n%s\n"
	           "--%s\nContent-Type: text/html; charset=utf-8\n"
	           "Content-Transfer-Encoding: 8bit\n\n%s\n--%s--\n",
	           boundary, boundary, text, boundary, html, boundary);
}

static void vacation_command(const struct sieve_vacation *v, struct buf *out)
{
	buf_printf(out, "vacation :days %u", v->days > 0 ? v->days : 7);
	if (v->subject != NULL) {
		buf_append_str(out, " :subject ");
		sieve_managed_quote(out, v->subject);
	}
	if (v->from != NULL) {
		buf_append_str(out, " :from ");
		sieve_managed_quote(out, v->from);
	}
	if (v->address_count > 0) {
		buf_append_str(out, " :addresses [");
		for (size_t i = 0; i < v->address_count; i++) {
			if (i > 0)
				buf_append_str(out, ", ");
			sieve_managed_quote(out, v->addresses[i]);
		}
		buf_append_char(out, ']');
	}
	struct buf text, reason;
	buf_init(&text);
	buf_init(&reason);
	if (v->text != NULL)
		buf_append_str(&text, v->text);
	else if (v->html != NULL)
		html_to_text(v->html, &text);
	else
		buf_append_str(&text, DEFAULT_TEXT);
	if (v->html != NULL) {
		buf_append_str(out, " :mime");
		mime_entity(text.data, v->html, &reason);
	} else {
		buf_append(&reason, text.data, text.len);
	}
	buf_append_str(out, "\n  ");
	sieve_managed_quote(out, reason.data);
	buf_append_str(out, ";\n");
	buf_deinit(&text);
	buf_deinit(&reason);
}

void sieve_managed_set_vacation(struct sieve_managed *m,
                                const struct sieve_vacation *v)
{
	buf_truncate(&m->vacation, 0);
	m->has_vacation = v->is_enabled;
	if (!v->is_enabled)
		return;
	struct buf *out = &m->vacation;
	bool is_dated = v->from_date != 0 || v->to_date != 0;
	if (v->from_date != 0 && v->to_date != 0) {
		buf_append_str(out, "if allof (");
		date_test(out, "ge", v->from_date);
		buf_append_str(out, ",\n          ");
		date_test(out, "lt", v->to_date);
		buf_append_str(out, ") {\n");
	} else if (is_dated) {
		buf_append_str(out, "if ");
		date_test(out, v->from_date != 0 ? "ge" : "lt",
		          v->from_date != 0 ? v->from_date : v->to_date);
		buf_append_str(out, " {\n");
	}
	vacation_command(v, out);
	if (is_dated)
		buf_append_str(out, "}\n");
}

/* ---- vacation: reading ---- */

static const char *tag_str(const struct sieve_node *node, enum sieve_tag tag)
{
	const struct sieve_value *v = node->tagged[tag];
	return v != NULL && v->count > 0 ? v->strings[0].data : NULL;
}

/* A currentdate test of ours: :value "ge"/"lt" "iso8601" "<date>". */
static void date_read(const struct sieve_node *t, struct sieve_vacation *v)
{
	if (t->def == NULL || t->def->id != SIEVE_TEST_CURRENTDATE ||
	    t->match != SIEVE_MATCH_VALUE || t->pos_count < 2 ||
	    strcasecmp(t->pos[0]->strings[0].data, "iso8601") != 0 ||
	    t->pos[1]->count != 1)
		return;
	struct tm tm = {0};
	const char *s = t->pos[1]->strings[0].data;
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon,
	           &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
		return;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	time_t when = timegm(&tm);
	if (t->relation == SIEVE_REL_GE || t->relation == SIEVE_REL_GT)
		v->from_date = when;
	else if (t->relation == SIEVE_REL_LT || t->relation == SIEVE_REL_LE)
		v->to_date = when;
}

/* strcasestr (a GNU extension) within the first len bytes of hay. */
static const char *find_nocase(const char *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle);
	for (size_t i = 0; i + n <= len && hay[i] != '\0'; i++)
		if (strncasecmp(hay + i, needle, n) == 0)
			return hay + i;
	return NULL;
}

/* The body of one part: after its blank line, up to end. */
static const char *part_body(const char *part, const char *end,
                             struct pool *pool)
{
	const char *body = strstr(part, "\n\n");
	if (body == NULL || body > end)
		return NULL;
	body += 2;
	size_t len = (size_t)(end - body);
	while (len > 0 && (body[len - 1] == '\n' || body[len - 1] == '\r'))
		len--;
	return pool_strndup(pool, body, len);
}

/* The text and HTML of our multipart/alternative entity (or of a single
 * text part). */
static void mime_read(const char *entity, struct pool *pool,
                      struct sieve_vacation *v)
{
	const char *b = strstr(entity, "boundary=\"");
	if (b == NULL) {
		const char *head_end = strstr(entity, "\n\n");
		const char *body = part_body(entity, entity + strlen(entity),
		                             pool);
		bool is_html = head_end != NULL &&
		               find_nocase(entity, (size_t)(head_end - entity),
		                           "text/html") != NULL;
		if (body != NULL && is_html)
			v->html = body;
		else if (body != NULL)
			v->text = body;
		return;
	}
	b += strlen("boundary=\"");
	const char *q = strchr(b, '"');
	if (q == NULL)
		return;
	char *delim = pool_printf(pool, "\n--%.*s", (int)(q - b), b);
	for (const char *p = strstr(q, delim); p != NULL;) {
		p += strlen(delim);
		const char *next = strstr(p, delim);
		if (next == NULL || strncmp(p, "--", 2) == 0)
			break;
		const char *body = part_body(p, next, pool);
		const char *head_end = strstr(p, "\n\n");
		const char *type =
		    head_end != NULL && head_end < next
		        ? find_nocase(p, (size_t)(head_end - p), "content-type:")
		        : NULL;
		if (body != NULL && type != NULL) {
			if (strncasecmp(type + 13 + strspn(type + 13, " "),
			                "text/html", 9) == 0)
				v->html = body;
			else
				v->text = body;
		}
		p = next;
	}
}

static void vacation_read(const struct sieve_node *node, struct pool *pool,
                          struct sieve_vacation *v)
{
	v->is_enabled = true;
	const struct sieve_value *days = node->tagged[SIEVE_TAG_DAYS];
	const struct sieve_value *secs = node->tagged[SIEVE_TAG_SECONDS];
	v->days = days != NULL   ? (unsigned)days->number
	          : secs != NULL ? (unsigned)((secs->number + 86399) / 86400)
	                         : 7;
	const char *subject = tag_str(node, SIEVE_TAG_SUBJECT);
	const char *from = tag_str(node, SIEVE_TAG_FROM);
	v->subject = subject != NULL ? pool_strdup(pool, subject) : NULL;
	v->from = from != NULL ? pool_strdup(pool, from) : NULL;
	const struct sieve_value *addrs = node->tagged[SIEVE_TAG_ADDRESSES];
	if (addrs != NULL && addrs->count > 0) {
		const char **list =
		    pool_alloc(pool, addrs->count * sizeof(*list));
		for (unsigned i = 0; i < addrs->count; i++)
			list[i] = pool_strdup(pool, addrs->strings[i].data);
		v->addresses = list;
		v->address_count = addrs->count;
	}
	/* the lexer may have made the string's line ends CRLF */
	const char *raw = node->pos[0]->strings[0].data;
	size_t len = node->pos[0]->strings[0].len, n = 0;
	char *reason = pool_alloc(pool, len + 1);
	for (size_t i = 0; i < len; i++)
		if (!(raw[i] == '\r' && i + 1 < len && raw[i + 1] == '\n'))
			reason[n++] = raw[i];
	reason[n] = '\0';
	if (node->tagged[SIEVE_TAG_MIME] != NULL)
		mime_read(reason, pool, v);
	else
		v->text = reason;
}

int sieve_managed_get_vacation(const struct sieve_managed *m,
                               const struct sieve_settings *set,
                               struct pool *pool, struct sieve_vacation *v_r)
{
	memset(v_r, 0, sizeof(*v_r));
	if (!m->has_vacation)
		return 0;
	struct sieve_managed only;
	sieve_managed_init(&only);
	only.has_vacation = true;
	buf_append(&only.vacation, m->vacation.data, m->vacation.len);
	struct buf text;
	buf_init(&text);
	block_build(&only, &text);
	sieve_managed_deinit(&only);
	struct sieve_script *script = NULL;
	struct sieve_error error;
	int ret = sieve_compile((const unsigned char *)text.data, text.len,
	                        "vacation", set, &script, &error);
	buf_deinit(&text);
	if (ret < 0)
		return -1;
	ret = 0;
	for (const struct sieve_node *n = script->first; n != NULL && ret == 0;
	     n = n->next) {
		if (n->def->id == SIEVE_CMD_VACATION) {
			vacation_read(n, pool, v_r);
			ret = 1;
		} else if (n->def->id == SIEVE_CMD_IF && n->block != NULL &&
		           n->block->def->id == SIEVE_CMD_VACATION) {
			const struct sieve_node *t = n->tests[0];
			if (t->def->id == SIEVE_TEST_ALLOF)
				for (unsigned i = 0; i < t->test_count; i++)
					date_read(t->tests[i], v_r);
			else
				date_read(t, v_r);
			vacation_read(n->block, pool, v_r);
			ret = 1;
		}
	}
	sieve_script_free(&script);
	return ret;
}
