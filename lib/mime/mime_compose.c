/* Builds RFC 5322 messages with GMime 3: the header fields of §3.6 (Date in
 * the §3.3 form with the local offset, Message-ID unique @ the sender's
 * domain), RFC 2047 encoded words for non-ASCII subjects and display names
 * (GMime's encoder), a text/plain; charset=utf-8 body and base64 attachments
 * in a multipart/mixed (RFC 2046 §5.1.3) with RFC 2183 Content-Disposition
 * and RFC 2231 filenames. Written with CRLF line ends (RFC 5322 §2.1). */
#include "mime/mime_compose.h"

#include "core/buf.h"
#include "core/pool.h"

#include <gmime/gmime.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* RFC 2045 §6.7 rule 5: encoded lines are at most 76 characters; a body
 * line longer than that goes out quoted-printable rather than 7bit. */
#define COMPOSE_LINE_MAX 76

static const struct {
	const char *ext;
	const char *type;
} ext_types[] = {
    {"pdf", "application/pdf"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"svg", "image/svg+xml"},
    {"txt", "text/plain"},
    {"text", "text/plain"},
    {"md", "text/markdown"},
    {"html", "text/html"},
    {"htm", "text/html"},
    {"csv", "text/csv"},
    {"ics", "text/calendar"},
    {"vcf", "text/vcard"},
    {"eml", "message/rfc822"},
    {"zip", "application/zip"},
    {"gz", "application/gzip"},
    {"tar", "application/x-tar"},
    {"json", "application/json"},
    {"xml", "application/xml"},
    {"doc", "application/msword"},
    {"docx", "application/vnd.openxmlformats-officedocument."
             "wordprocessingml.document"},
    {"xls", "application/vnd.ms-excel"},
    {"xlsx", "application/vnd.openxmlformats-officedocument."
             "spreadsheetml.sheet"},
    {"ppt", "application/vnd.ms-powerpoint"},
    {"pptx", "application/vnd.openxmlformats-officedocument."
             "presentationml.presentation"},
    {"odt", "application/vnd.oasis.opendocument.text"},
    {"ods", "application/vnd.oasis.opendocument.spreadsheet"},
    {"odp", "application/vnd.oasis.opendocument.presentation"},
    {"mp3", "audio/mpeg"},
    {"mp4", "video/mp4"},
};

static void gmime_ensure_init(void)
{
	static bool is_initialized = false;
	/* Processes are single-threaded (DESIGN.md), so no lock. */
	if (!is_initialized) {
		g_mime_init();
		is_initialized = true;
	}
}

static bool is_text_data(const unsigned char *data, size_t size)
{
	for (size_t i = 0; i < size; i++) {
		unsigned char c = data[i];
		if (c < 32 && c != '\t' && c != '\r' && c != '\n' && c != '\f')
			return false;
		if (c == 127)
			return false;
	}
	return g_utf8_validate((const char *)data, (gssize)size, NULL);
}

const char *mime_compose_guess_type(const char *filename,
                                    const unsigned char *data, size_t size)
{
	const char *dot = filename != NULL ? strrchr(filename, '.') : NULL;
	if (dot != NULL && strchr(dot, '/') == NULL) {
		for (size_t i = 0; i < sizeof(ext_types) / sizeof(ext_types[0]);
		     i++)
			if (strcasecmp(dot + 1, ext_types[i].ext) == 0)
				return ext_types[i].type;
	}
	return is_text_data(data, size) ? "text/plain"
	                                : "application/octet-stream";
}

/* Adds every address of list (as typed) to the field type of message.
 * Only plain mailboxes with an '@' are taken (no groups). */
static int add_addresses(GMimeMessage *message, GMimeAddressType type,
                         const char *field, const char *list, struct pool *pool,
                         const char **error_r)
{
	if (list == NULL || list[strspn(list, " \t\r\n,")] == '\0')
		return 0;
	InternetAddressList *parsed = internet_address_list_parse(NULL, list);
	int count = parsed != NULL ? internet_address_list_length(parsed) : 0;
	if (count == 0) {
		*error_r =
		    pool_printf(pool, "invalid address in %s: %s", field, list);
		goto fail;
	}
	for (int i = 0; i < count; i++) {
		InternetAddress *ia =
		    internet_address_list_get_address(parsed, i);
		const char *addr = INTERNET_ADDRESS_IS_MAILBOX(ia)
		                       ? internet_address_mailbox_get_addr(
		                             INTERNET_ADDRESS_MAILBOX(ia))
		                       : NULL;
		if (addr == NULL || strchr(addr, '@') == NULL ||
		    addr[strcspn(addr, " \t\r\n")] != '\0') {
			*error_r = pool_printf(
			    pool, "invalid address in %s: %s", field,
			    addr != NULL ? addr
			                 : internet_address_get_name(ia));
			goto fail;
		}
	}
	for (int i = 0; i < count; i++)
		internet_address_set_charset(
		    internet_address_list_get_address(parsed, i), "utf-8");
	internet_address_list_append(
	    g_mime_message_get_addresses(message, type), parsed);
	g_object_unref(parsed);
	return 0;
fail:
	if (parsed != NULL)
		g_object_unref(parsed);
	return -1;
}

/* date-time = [ day-of-week "," ] date time [CFWS]  (RFC 5322 §3.3),
 * in local time with its numeric offset. */
static void set_date(GMimeMessage *message, time_t date)
{
	char str[64];
	struct tm tm;
	if (date == 0)
		date = time(NULL);
	localtime_r(&date, &tm);
	/* %a and %b are locale-dependent: spell them out. */
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed",
	                                   "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr",
	                                     "May", "Jun", "Jul", "Aug",
	                                     "Sep", "Oct", "Nov", "Dec"};
	char zone[8];
	strftime(zone, sizeof(zone), "%z", &tm);
	snprintf(str, sizeof(str), "%s, %d %s %d %02d:%02d:%02d %s",
	         days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
	         tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, zone);
	g_mime_object_set_header(GMIME_OBJECT(message), "Date", str, NULL);
}

static const char *make_message_id(const char *from_addr, struct pool *pool)
{
	const char *at = strrchr(from_addr, '@');
	char *id = g_mime_utils_generate_message_id(
	    at != NULL && at[1] != '\0' ? at + 1 : "localhost");
	const char *copy = pool_strdup(pool, id);
	g_free(id);
	return copy;
}

/* A header field value must not hold CR or LF (header injection). */
static bool is_one_line(const char *value)
{
	return value == NULL || value[strcspn(value, "\r\n")] == '\0';
}

static int set_header(GMimeMessage *message, const struct mime_compose *msg,
                      struct pool *pool, const char **message_id_r,
                      const char **error_r)
{
	if (msg->from_addr == NULL || strchr(msg->from_addr, '@') == NULL) {
		*error_r = "no From address";
		return -1;
	}
	if (!is_one_line(msg->subject) || !is_one_line(msg->from_name) ||
	    !is_one_line(msg->in_reply_to) || !is_one_line(msg->references) ||
	    !is_one_line(msg->user_agent) || !is_one_line(msg->message_id)) {
		*error_r = "a header field holds a line break";
		return -1;
	}
	GMimeObject *obj = GMIME_OBJECT(message);
	set_date(message, msg->date);
	InternetAddress *from =
	    internet_address_mailbox_new(msg->from_name, msg->from_addr);
	internet_address_set_charset(from, "utf-8");
	internet_address_list_add(g_mime_message_get_from(message), from);
	g_object_unref(from);
	if (add_addresses(message, GMIME_ADDRESS_TYPE_REPLY_TO, "Reply-To",
	                  msg->reply_to, pool, error_r) < 0 ||
	    add_addresses(message, GMIME_ADDRESS_TYPE_TO, "To", msg->to, pool,
	                  error_r) < 0 ||
	    add_addresses(message, GMIME_ADDRESS_TYPE_CC, "Cc", msg->cc, pool,
	                  error_r) < 0 ||
	    add_addresses(message, GMIME_ADDRESS_TYPE_BCC, "Bcc", msg->bcc,
	                  pool, error_r) < 0)
		return -1;
	InternetAddressList *all = g_mime_message_get_all_recipients(message);
	if (all == NULL && !msg->is_draft) {
		*error_r = "no To, Cc or Bcc";
		return -1;
	}
	if (all != NULL)
		g_object_unref(all);
	g_mime_message_set_subject(
	    message, msg->subject != NULL ? msg->subject : "", "utf-8");
	*message_id_r = msg->message_id != NULL
	                    ? pool_strdup(pool, msg->message_id)
	                    : make_message_id(msg->from_addr, pool);
	const char *id = pool_printf(pool, "<%s>", *message_id_r);
	g_mime_object_set_header(obj, "Message-ID", id, NULL);
	if (msg->in_reply_to != NULL && msg->in_reply_to[0] != '\0')
		g_mime_object_set_header(obj, "In-Reply-To", msg->in_reply_to,
		                         NULL);
	if (msg->references != NULL && msg->references[0] != '\0')
		g_mime_object_set_header(obj, "References", msg->references,
		                         NULL);
	g_mime_object_set_header(obj, "MIME-Version", "1.0", NULL);
	if (msg->user_agent != NULL)
		g_mime_object_set_header(obj, "User-Agent", msg->user_agent,
		                         NULL);
	return 0;
}

/* The body with LF line ends (GMime writes them as CRLF), and whether it
 * needs quoted-printable: 8-bit bytes, or a line over COMPOSE_LINE_MAX. */
static bool body_normalize(const char *body, size_t size, struct buf *out)
{
	bool needs_qp = false;
	size_t line_len = 0;
	for (size_t i = 0; i < size; i++) {
		char c = body[i];
		if (c == '\r' && i + 1 < size && body[i + 1] == '\n')
			continue;
		if ((unsigned char)c >= 0x80)
			needs_qp = true;
		line_len = c == '\n' ? 0 : line_len + 1;
		if (line_len > COMPOSE_LINE_MAX)
			needs_qp = true;
		buf_append_char(out, c);
	}
	/* A lone CR would become a bare CR on the wire: encode it. */
	if (memchr(out->data, '\r', out->len) != NULL)
		needs_qp = true;
	return needs_qp;
}

static GMimeDataWrapper *wrapper_new(const void *data, size_t size)
{
	GMimeStream *stream =
	    g_mime_stream_mem_new_with_buffer((const char *)data, size);
	GMimeDataWrapper *wrapper = g_mime_data_wrapper_new_with_stream(
	    stream, GMIME_CONTENT_ENCODING_DEFAULT);
	g_object_unref(stream);
	return wrapper;
}

static GMimeObject *text_part_new(const struct mime_compose *msg,
                                  const char **error_r)
{
	const char *body = msg->body != NULL ? msg->body : "";
	size_t size = msg->body != NULL ? msg->body_size : 0;
	if (!g_utf8_validate(body, (gssize)size, NULL)) {
		*error_r = "body is not valid UTF-8";
		return NULL;
	}
	struct buf text;
	buf_init(&text);
	bool needs_qp = body_normalize(body, size, &text);
	GMimeTextPart *part = g_mime_text_part_new_with_subtype("plain");
	g_mime_object_set_content_type_parameter(GMIME_OBJECT(part), "charset",
	                                         "utf-8");
	GMimeDataWrapper *wrapper = wrapper_new(text.data, text.len);
	g_mime_part_set_content(GMIME_PART(part), wrapper);
	g_object_unref(wrapper);
	g_mime_part_set_content_encoding(
	    GMIME_PART(part), needs_qp ? GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE
	                               : GMIME_CONTENT_ENCODING_7BIT);
	buf_deinit(&text);
	return GMIME_OBJECT(part);
}

/* Sets filename on Content-Disposition and name on Content-Type (for
 * older readers), encoded as UTF-8 when not ASCII (RFC 2231 §4). */
static void set_filename(GMimePart *part, const char *filename)
{
	g_mime_part_set_filename(part, filename);
	GMimeContentDisposition *disp =
	    g_mime_object_get_content_disposition(GMIME_OBJECT(part));
	GMimeContentType *ctype =
	    g_mime_object_get_content_type(GMIME_OBJECT(part));
	GMimeParam *param[2] = {
	    g_mime_param_list_get_parameter(
	        g_mime_content_disposition_get_parameters(disp), "filename"),
	    g_mime_param_list_get_parameter(
	        g_mime_content_type_get_parameters(ctype), "name"),
	};
	for (size_t i = 0; i < 2; i++)
		if (param[i] != NULL)
			g_mime_param_set_charset(param[i], "utf-8");
}

/* RFC 2046 §5.2.1: message/rfc822 bodies are never base64; 8bit when the
 * original holds 8-bit bytes (RFC 6152 carries it). */
static GMimeContentEncoding
message_encoding(const struct mime_compose_attachment *att)
{
	for (size_t i = 0; i < att->size; i++)
		if (att->data[i] >= 0x80 || att->data[i] == 0)
			return GMIME_CONTENT_ENCODING_8BIT;
	return GMIME_CONTENT_ENCODING_7BIT;
}

static GMimeObject *
attachment_part_new(const struct mime_compose_attachment *att)
{
	const char *type =
	    att->content_type != NULL
	        ? att->content_type
	        : mime_compose_guess_type(att->filename, att->data, att->size);
	GMimeContentType *ctype = g_mime_content_type_parse(NULL, type);
	GMimePart *part = g_mime_part_new_with_type(
	    g_mime_content_type_get_media_type(ctype),
	    g_mime_content_type_get_media_subtype(ctype));
	/* parameters given with the type stay (RFC 6047 §2.4: the method of
	 * a text/calendar part) */
	GMimeParamList *params = g_mime_content_type_get_parameters(ctype);
	for (int i = 0; i < g_mime_param_list_length(params); i++) {
		GMimeParam *param =
		    g_mime_param_list_get_parameter_at(params, i);
		g_mime_object_set_content_type_parameter(
		    GMIME_OBJECT(part), g_mime_param_get_name(param),
		    g_mime_param_get_value(param));
	}
	g_object_unref(ctype);
	bool is_message = g_ascii_strcasecmp(type, "message/rfc822") == 0;
	if (!is_message && g_ascii_strncasecmp(type, "text/", 5) == 0 &&
	    is_text_data(att->data, att->size))
		g_mime_object_set_content_type_parameter(GMIME_OBJECT(part),
		                                         "charset", "utf-8");
	GMimeDataWrapper *wrapper = wrapper_new(att->data, att->size);
	g_mime_part_set_content(part, wrapper);
	g_object_unref(wrapper);
	/* RFC 2183 §2: attachment with a filename; GMime writes a
	 * non-ASCII name in the RFC 2231 §4 form (name*=utf-8''...). */
	g_mime_object_set_disposition(GMIME_OBJECT(part),
	                              GMIME_DISPOSITION_ATTACHMENT);
	if (att->filename != NULL && att->filename[0] != '\0')
		set_filename(part, att->filename);
	g_mime_part_set_content_encoding(
	    part,
	    is_message ? message_encoding(att) : GMIME_CONTENT_ENCODING_BASE64);
	return GMIME_OBJECT(part);
}

static GMimeObject *body_new(const struct mime_compose *msg,
                             const char **error_r)
{
	GMimeObject *text = text_part_new(msg, error_r);
	if (text == NULL || msg->attachment_count == 0)
		return text;
	GMimeMultipart *mixed = g_mime_multipart_new_with_subtype("mixed");
	g_mime_multipart_add(mixed, text);
	g_object_unref(text);
	for (size_t i = 0; i < msg->attachment_count; i++) {
		GMimeObject *part = attachment_part_new(&msg->attachments[i]);
		g_mime_multipart_add(mixed, part);
		g_object_unref(part);
	}
	return GMIME_OBJECT(mixed);
}

static void message_write(GMimeMessage *message, struct buf *out)
{
	GMimeFormatOptions *options = g_mime_format_options_new();
	g_mime_format_options_set_newline_format(options,
	                                         GMIME_NEWLINE_FORMAT_DOS);
	g_mime_format_options_set_param_encoding_method(
	    options, GMIME_PARAM_ENCODING_METHOD_RFC2231);
	GMimeStream *stream = g_mime_stream_mem_new();
	g_mime_object_write_to_stream(GMIME_OBJECT(message), options, stream);
	GByteArray *bytes =
	    g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(stream));
	buf_append(out, bytes->data, bytes->len);
	g_object_unref(stream);
	g_mime_format_options_free(options);
}

int mime_compose_build(const struct mime_compose *msg, struct pool *pool,
                       struct buf *out, const char **message_id_r,
                       const char **error_r)
{
	gmime_ensure_init();
	GMimeMessage *message = g_mime_message_new(FALSE);
	if (set_header(message, msg, pool, message_id_r, error_r) < 0) {
		g_object_unref(message);
		return -1;
	}
	GMimeObject *body = body_new(msg, error_r);
	if (body == NULL) {
		g_object_unref(message);
		return -1;
	}
	g_mime_message_set_mime_part(message, body);
	g_object_unref(body);
	message_write(message, out);
	g_object_unref(message);
	return 0;
}
