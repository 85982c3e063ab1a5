/* RFC 5322 §3.4 address lists (with §4.4 obsolete forms: routes, phrases
 * with dots, empty list members) parsed the way IMAP's ENVELOPE wants them
 * (RFC 9051 §7.5.2). Our own parser: GMime's InternetAddress decodes the
 * display names, but ENVELOPE must send them raw. Like Dovecot, a comment
 * names an address that has no phrase, a missing domain is sent as
 * "MISSING_DOMAIN", and nothing is ever rejected. */
#include "mime/mime_address.h"

#include "core/buf.h"
#include "core/pool.h"

#include <string.h>

#define COMMENT_DEPTH_MAX 16

struct lexer {
	const unsigned char *s, *end;
	struct pool *pool;
	struct buf comment; /* the last comment's text */
	bool has_quoted;    /* a quoted-string was read (member_read) */
	struct mime_address *head, **tail;
};

static bool is_special(unsigned char c)
{
	return c != '\0' && strchr("()<>[]:;@\\,\"", c) != NULL;
}

static bool is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* comment = "(" *([FWS] ccontent) [FWS] ")" */
static void comment_read(struct lexer *lx)
{
	int depth = 0;
	buf_truncate(&lx->comment, 0);
	for (; lx->s < lx->end; lx->s++) {
		unsigned char c = *lx->s;
		if (c == '\\' && lx->s + 1 < lx->end) {
			buf_append_char(&lx->comment, (char)*++lx->s);
			continue;
		}
		if (c == '(' && depth++ == 0)
			continue;
		if (c == ')' && --depth == 0) {
			lx->s++;
			return;
		}
		if (depth > COMMENT_DEPTH_MAX)
			depth = COMMENT_DEPTH_MAX;
		buf_append_char(&lx->comment, (char)c);
	}
}

static void cfws_skip(struct lexer *lx)
{
	while (lx->s < lx->end) {
		if (is_wsp(*lx->s))
			lx->s++;
		else if (*lx->s == '(')
			comment_read(lx);
		else
			return;
	}
}

/* quoted-string = DQUOTE *([FWS] qcontent) [FWS] DQUOTE: appends the
 * content without quoting. */
static void quoted_read(struct lexer *lx, struct buf *out)
{
	lx->has_quoted = true;
	for (lx->s++; lx->s < lx->end && *lx->s != '"'; lx->s++) {
		if (*lx->s == '\\' && lx->s + 1 < lx->end)
			lx->s++;
		if (*lx->s != '\r' && *lx->s != '\n')
			buf_append_char(out, (char)*lx->s);
	}
	if (lx->s < lx->end)
		lx->s++;
}

/* word = atom / quoted-string, also "." and domain-literal "[...]" here.
 * Appends to phrase (words separated by one space) and to joined (no
 * spaces: a local part or domain). Returns false at a special. */
static bool word_read(struct lexer *lx, struct buf *phrase, struct buf *joined)
{
	const unsigned char *before = lx->s;
	cfws_skip(lx);
	if (lx->s >= lx->end)
		return false;
	unsigned char c = *lx->s;
	/* words keep one space where the text had whitespace */
	if (phrase->len > 0 && lx->s != before)
		buf_append_char(phrase, ' ');
	size_t start = phrase->len;
	if (c == '"') {
		quoted_read(lx, phrase);
	} else if (c == '[') {
		const unsigned char *close =
		    memchr(lx->s, ']', (size_t)(lx->end - lx->s));
		const unsigned char *e = close == NULL ? lx->end : close + 1;
		buf_append(phrase, lx->s, (size_t)(e - lx->s));
		lx->s = e;
	} else if (!is_special(c)) {
		while (lx->s < lx->end && !is_special(*lx->s) &&
		       !is_wsp(*lx->s))
			buf_append_char(phrase, (char)*lx->s++);
	} else {
		if (phrase->len == start && start > 0 &&
		    phrase->data[start - 1] == ' ')
			buf_truncate(phrase, start - 1);
		return false;
	}
	buf_append(joined, phrase->data + start, phrase->len - start);
	return true;
}

static const char *buf_pool(struct lexer *lx, const struct buf *b)
{
	return pool_strndup(lx->pool, b->data, b->len);
}

static struct mime_address *address_emit(struct lexer *lx)
{
	struct mime_address *a = pool_alloc(lx->pool, sizeof(*a));
	*lx->tail = a;
	lx->tail = &a->next;
	return a;
}

/* domain     = dot-atom / domain-literal / obs-domain
 * obs-domain = atom *("." atom): CFWS may come between the atoms and the
 * dots, but a word after a word without a dot between them ends the
 * domain ("a@b (c) d" is a@b named "c", then d). */
static void domain_read(struct lexer *lx, struct buf *domain)
{
	struct buf phrase;
	buf_init(&phrase);
	for (;;) {
		const unsigned char *before = lx->s;
		size_t len = domain->len;
		if (!word_read(lx, &phrase, domain))
			break;
		if (len > 0 && domain->data[len - 1] != '.' &&
		    domain->data[len] != '.') {
			buf_truncate(domain, len);
			lx->s = before;
			break;
		}
	}
	buf_deinit(&phrase);
}

/* The mailbox and host an ENVELOPE address gets: an empty local part is
 * "MISSING_MAILBOX" (unless it was a quoted "" one), an empty or absent
 * domain "MISSING_DOMAIN", as Dovecot fills them. */
static void address_fill(struct lexer *lx, struct mime_address *a,
                         const struct buf *local, const struct buf *domain)
{
	a->mailbox = local->len > 0 || lx->has_quoted ? buf_pool(lx, local)
	                                              : "MISSING_MAILBOX";
	a->host = domain->len > 0 ? buf_pool(lx, domain) : "MISSING_DOMAIN";
}

/* angle-addr = [CFWS] "<" [obs-route] addr-spec ">" [CFWS]
 * obs-route  = obs-domain-list ":" */
static void angle_read(struct lexer *lx, const struct buf *name)
{
	struct buf route, local, domain, phrase;
	buf_init(&route);
	buf_init(&local);
	buf_init(&domain);
	buf_init(&phrase);
	lx->s++;
	cfws_skip(lx);
	if (lx->s < lx->end && *lx->s == '@') {
		while (lx->s < lx->end && *lx->s != ':' && *lx->s != '>') {
			if (!is_wsp(*lx->s))
				buf_append_char(&route, (char)*lx->s);
			lx->s++;
		}
		if (lx->s < lx->end && *lx->s == ':')
			lx->s++;
	}
	lx->has_quoted = false;
	while (word_read(lx, &phrase, &local))
		;
	if (lx->s < lx->end && *lx->s == '@') {
		lx->s++;
		domain_read(lx, &domain);
	}
	while (lx->s < lx->end && *lx->s != '>' && *lx->s != ',')
		lx->s++;
	if (lx->s < lx->end && *lx->s == '>')
		lx->s++;
	struct mime_address *a = address_emit(lx);
	a->name = name->len > 0 ? buf_pool(lx, name) : NULL;
	a->route = route.len > 0 ? buf_pool(lx, &route) : NULL;
	address_fill(lx, a, &local, &domain);
	buf_deinit(&route);
	buf_deinit(&local);
	buf_deinit(&domain);
	buf_deinit(&phrase);
}

/* addr-spec = local-part "@" domain, or a lone local part */
static void addr_spec_end(struct lexer *lx, const struct buf *local)
{
	struct buf domain;
	buf_init(&domain);
	buf_truncate(&lx->comment, 0);
	if (lx->s < lx->end && *lx->s == '@') {
		lx->s++;
		domain_read(lx, &domain);
	}
	cfws_skip(lx);
	struct mime_address *a = address_emit(lx);
	a->name = lx->comment.len > 0 ? buf_pool(lx, &lx->comment) : NULL;
	address_fill(lx, a, local, &domain);
	buf_deinit(&domain);
}

/* One list member: mailbox, group start, or nothing. */
static void member_read(struct lexer *lx, bool *in_group)
{
	struct buf phrase, local;
	buf_init(&phrase);
	buf_init(&local);
	lx->has_quoted = false;
	while (word_read(lx, &phrase, &local))
		;
	bool is_end = lx->s >= lx->end;
	unsigned char c = is_end ? '\0' : *lx->s;
	if (c == ':' && !*in_group) {
		lx->s++;
		struct mime_address *a = address_emit(lx);
		a->mailbox = buf_pool(lx, &phrase);
		a->is_group_start = true;
		*in_group = true;
	} else if (c == '<') {
		angle_read(lx, &phrase);
	} else if (c != '@' && local.len > 0 &&
	           (lx->has_quoted || strchr(phrase.data, ' ') != NULL)) {
		/* a display name without its address ("Two Words") */
		struct mime_address *a = address_emit(lx);
		struct buf none;
		buf_init(&none);
		a->name = buf_pool(lx, &phrase);
		lx->has_quoted = false;
		address_fill(lx, a, &none, &none);
		buf_deinit(&none);
	} else if (c == '@' || local.len > 0) {
		addr_spec_end(lx, &local);
	} else if (!is_end && c != ',' && c != ';') {
		lx->s++; /* a stray special: '>' ')' ']' '\' or ':' */
	}
	buf_deinit(&phrase);
	buf_deinit(&local);
}

int mime_address_parse(const unsigned char *value, size_t len,
                       struct pool *pool, struct mime_address **list_r)
{
	struct lexer lx = {.s = value, .end = value + len, .pool = pool};
	bool in_group = false;
	buf_init(&lx.comment);
	lx.tail = &lx.head;
	while (cfws_skip(&lx), lx.s < lx.end) {
		if (*lx.s == ',') {
			lx.s++;
		} else if (*lx.s == ';') {
			lx.s++;
			if (in_group) {
				address_emit(&lx)->is_group_end = true;
				in_group = false;
			}
		} else {
			member_read(&lx, &in_group);
		}
	}
	if (in_group)
		address_emit(&lx)->is_group_end = true;
	buf_deinit(&lx.comment);
	*list_r = lx.head;
	return lx.head != NULL ? 1 : 0;
}
