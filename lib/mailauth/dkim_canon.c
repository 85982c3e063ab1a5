/* DKIM canonicalization (RFC 6376 §3.4): header fields simple or relaxed,
 * and the body hash computed as the body streams (§3.7), with a state
 * machine instead of a buffered line: WSP runs and empty lines are held
 * back as counts until something follows them, since both vanish at the
 * end of a line (relaxed) or of the body (§3.4.3, §3.4.4). */
#include "mailauth/dkim.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/xmalloc.h"

#include <stdlib.h>

#include <ctype.h>
#include <openssl/evp.h>
#include <string.h>

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* §3.4.2: lower-case name; unfold; WSP runs to one SP; no WSP at the end
 * of the value or around the colon. */
void dkim_canon_header(const char *raw, size_t len, bool relaxed,
                       struct buf *out)
{
	if (!relaxed) {
		buf_append(out, raw, len);
		return;
	}
	const char *colon = memchr(raw, ':', len);
	if (colon == NULL)
		return;
	size_t name_end = (size_t)(colon - raw);
	while (name_end > 0 && is_wsp(raw[name_end - 1]))
		name_end--;
	for (size_t i = 0; i < name_end; i++)
		buf_append_char(out, (char)tolower((unsigned char)raw[i]));
	buf_append_char(out, ':');
	bool wsp = false, started = false;
	for (size_t i = (size_t)(colon - raw) + 1; i < len; i++) {
		char c = raw[i];
		if (c == '\r' || c == '\n')
			continue; /* unfold */
		if (is_wsp(c)) {
			wsp = true;
			continue;
		}
		if (wsp && started)
			buf_append_char(out, ' ');
		wsp = false;
		started = true;
		buf_append_char(out, c);
	}
	buf_append(out, "\r\n", 2);
}

struct dkim_body {
	EVP_MD_CTX *md;
	bool relaxed;
	uint64_t limit;    /* canonical bytes hashed at most */
	uint64_t total;    /* canonical bytes, past the limit too */
	uint64_t blank;    /* empty lines held back */
	bool has_wsp;      /* relaxed: a WSP run held back */
	bool has_cr;       /* a CR held back (it may start CRLF) */
	bool line_started; /* something of this line went out */
};

struct dkim_body *dkim_body_new(bool relaxed, uint64_t limit)
{
	struct dkim_body *body = xcalloc(1, sizeof(*body));
	body->md = EVP_MD_CTX_new();
	ASSERT(body->md != NULL);
	ASSERT(EVP_DigestInit_ex(body->md, EVP_sha256(), NULL) == 1);
	body->relaxed = relaxed;
	body->limit = limit;
	return body;
}

void dkim_body_free(struct dkim_body **bodyp)
{
	struct dkim_body *body = *bodyp;
	if (body == NULL)
		return;
	*bodyp = NULL;
	EVP_MD_CTX_free(body->md);
	free(body);
}

static void body_out(struct dkim_body *body, const char *data, size_t size)
{
	if (body->total < body->limit) {
		uint64_t room = body->limit - body->total;
		size_t n = size < room ? size : (size_t)room;
		ASSERT(EVP_DigestUpdate(body->md, data, n) == 1);
	}
	body->total += size;
}

/* Something other than WSP or a line end: the held empty lines and the
 * WSP run are real now. */
static void body_char(struct dkim_body *body, char c)
{
	if (!body->line_started) {
		for (; body->blank > 0; body->blank--)
			body_out(body, "\r\n", 2);
		body->line_started = true;
	}
	if (body->has_wsp) {
		body_out(body, " ", 1);
		body->has_wsp = false;
	}
	body_out(body, &c, 1);
}

static void body_line_end(struct dkim_body *body)
{
	if (body->line_started)
		body_out(body, "\r\n", 2);
	else
		body->blank++;
	body->line_started = false;
	body->has_wsp = false;
}

void dkim_body_feed(struct dkim_body *body, const void *data, size_t size)
{
	const char *p = data;
	for (size_t i = 0; i < size; i++) {
		char c = p[i];
		if (body->has_cr) {
			body->has_cr = false;
			if (c == '\n') {
				body_line_end(body);
				continue;
			}
			body_char(body, '\r'); /* a bare CR is text */
		}
		if (c == '\r')
			body->has_cr = true;
		else if (body->relaxed && is_wsp(c))
			body->has_wsp = true;
		else
			body_char(body, c); /* a bare LF is text too */
	}
}

uint64_t dkim_body_finish(struct dkim_body *body, unsigned char digest[32])
{
	if (body->has_cr) {
		body->has_cr = false;
		body_char(body, '\r');
	}
	/* a last line without CRLF gets one; trailing empty lines go */
	if (body->line_started)
		body_line_end(body);
	/* §3.4.3: an empty simple body is one CRLF; §3.4.4: relaxed, none */
	if (!body->relaxed && body->total == 0)
		body_out(body, "\r\n", 2);
	unsigned len = 0;
	ASSERT(EVP_DigestFinal_ex(body->md, digest, &len) == 1 && len == 32);
	return body->total;
}
