/* Many calendar object resources into one VCALENDAR (ical_merge.h): a
 * line walk that copies every component under a resource's VCALENDAR
 * with CRLF line ends, keeps the first VTIMEZONE of each TZID and drops
 * the others, and leaves out the calendar's own properties. */
#include "dav/ical_merge.h"
#include "core/buf.h"
#include "core/xmalloc.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct ical_merge {
	struct buf *out;
	char **tzids;
	size_t tzid_count;
};

struct ical_merge *ical_merge_new(struct buf *out, const char *prodid)
{
	struct ical_merge *m = xcalloc(1, sizeof(*m));
	m->out = out;
	buf_printf(out, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:%s\r\n",
	           prodid);
	return m;
}

void ical_merge_finish(struct ical_merge **mp)
{
	struct ical_merge *m = *mp;
	if (m == NULL)
		return;
	buf_append_str(m->out, "END:VCALENDAR\r\n");
	for (size_t i = 0; i < m->tzid_count; i++)
		free(m->tzids[i]);
	free(m->tzids);
	free(m);
	*mp = NULL;
}

/* One content line of data at *pos (without its line end). Returns false
 * at the end. */
static bool line_next(const unsigned char *data, size_t size, size_t *pos,
                      const char **line_r, size_t *len_r)
{
	if (*pos >= size)
		return false;
	const unsigned char *p = data + *pos;
	const unsigned char *nl = memchr(p, '\n', size - *pos);
	size_t len = nl != NULL ? (size_t)(nl - p) : size - *pos;
	*pos += len + (nl != NULL);
	if (len > 0 && p[len - 1] == '\r')
		len--;
	*line_r = (const char *)p;
	*len_r = len;
	return true;
}

static bool line_is(const char *line, size_t len, const char *want)
{
	size_t n = strlen(want);
	return len >= n && strncasecmp(line, want, n) == 0;
}

/* The TZID of a VTIMEZONE block (its lines, CRLF-joined, unfolded), or
 * "" when it has none. Returns heap memory. */
static char *block_tzid(const struct buf *block)
{
	const char *p = block->data;
	while ((p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (strncasecmp(p, "TZID", 4) != 0 ||
		    (p[4] != ':' && p[4] != ';'))
			continue;
		struct buf id;
		buf_init(&id);
		const char *v = strchr(p, ':');
		for (; v != NULL && *++v != '\0';) {
			if (v[0] == '\r' && v[1] == '\n' &&
			    (v[2] == ' ' || v[2] == '\t')) {
				v += 2;
				continue;
			}
			if (*v == '\r')
				break;
			buf_append_char(&id, *v);
		}
		char *s = xstrdup(id.data);
		buf_deinit(&id);
		return s;
	}
	return xstrdup("");
}

/* Appends a finished component block unless it is a VTIMEZONE already
 * seen. */
static void block_emit(struct ical_merge *m, struct buf *to,
                       const struct buf *block, bool is_tz)
{
	if (is_tz) {
		char *tzid = block_tzid(block);
		for (size_t i = 0; i < m->tzid_count; i++) {
			if (strcmp(m->tzids[i], tzid) == 0) {
				free(tzid);
				return;
			}
		}
		m->tzids =
		    xrealloc(m->tzids, (m->tzid_count + 1) * sizeof(*m->tzids));
		m->tzids[m->tzid_count++] = tzid;
	}
	buf_append(to, block->data, block->len);
}

int ical_merge_add(struct ical_merge *m, const unsigned char *data, size_t size)
{
	struct buf part, block;
	const char *line;
	size_t pos = 0, len, depth = 0;
	bool is_tz = false, ok = false;
	buf_init(&part);
	buf_init(&block);
	while (line_next(data, size, &pos, &line, &len)) {
		if (len == 0)
			continue;
		bool is_begin = line_is(line, len, "BEGIN:");
		bool is_end = line_is(line, len, "END:");
		if (depth == 0) {
			if (!is_begin || !line_is(line, len, "BEGIN:VCALENDAR"))
				break;
			depth = 1;
			continue;
		}
		if (depth == 1 && is_end) {
			ok = true; /* END:VCALENDAR */
			break;
		}
		if (depth == 1 && !is_begin)
			continue; /* the calendar's own properties */
		if (depth == 1)
			is_tz = line_is(line, len, "BEGIN:VTIMEZONE");
		depth += is_begin;
		buf_append(&block, line, len);
		buf_append_str(&block, "\r\n");
		if (is_end && --depth == 1) {
			block_emit(m, &part, &block, is_tz);
			buf_truncate(&block, 0);
		}
	}
	if (ok && depth == 1)
		buf_append(m->out, part.data, part.len);
	buf_deinit(&part);
	buf_deinit(&block);
	return ok && depth == 1 ? 0 : -1;
}
