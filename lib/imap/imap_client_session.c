/* The client engine's session commands: the greeting (RFC 9051 §7.1.1,
 * §7.1.4 PREAUTH, §7.1.5 BYE), CAPABILITY (§6.1.1), STARTTLS (§6.2.1),
 * AUTHENTICATE PLAIN (§6.2.2, RFC 4616, with the initial response of
 * RFC 4959) or LOGIN (§6.2.3), and ENABLE (RFC 5161 §3.1). */
#include "core/base64.h"
#include "core/pool.h"
#include "core/tls_stream.h"
#include "core/xmalloc.h"
#include "imap/imap_client_private.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* greeting = "*" SP (resp-cond-auth / resp-cond-bye) CRLF */
int imap_client_greeting(struct imap_client *c, const char **error_r)
{
	struct imap_client_resp r;
	const char *error;
	c->status = IMAP_CLIENT_OK; /* no command: the tag stays unused */
	if (imap_client_read_response(c, &r, &error) < 0)
		return imap_client_fail(c, IMAP_CLIENT_ERROR, error_r,
		                        "greeting: %s", error);
	if (r.kind != IMAP_CLIENT_UNTAGGED || r.status == NULL ||
	    strcasecmp(r.status, "BYE") == 0 ||
	    (strcasecmp(r.status, "OK") != 0 &&
	     strcasecmp(r.status, "PREAUTH") != 0))
		return imap_client_fail(c, IMAP_CLIENT_ERROR, error_r,
		                        "server refused: %s",
		                        r.resp.text != NULL ? r.resp.text :
		                                              "bad greeting");
	imap_client_note(c, &r);
	if (r.resp.code != NULL &&
	    strncasecmp(r.resp.code, "CAPABILITY ", 11) == 0)
		return 0;
	return imap_client_capability(c, error_r);
}

int imap_client_capability(struct imap_client *c, const char **error_r)
{
	return imap_client_cmd(c, NULL, NULL, error_r, "CAPABILITY");
}

int imap_client_starttls(struct imap_client *c, const char **error_r)
{
	const char *error;
	if (imap_client_cmd(c, NULL, NULL, error_r, "STARTTLS") < 0)
		return -1;
	if (tls_stream_starttls(c->stream, &error) < 0)
		return imap_client_fail(c, IMAP_CLIENT_ERROR, error_r, "%s",
		                        error);
	/* RFC 9051 §6.2.1: capabilities from before TLS are discarded */
	return imap_client_capability(c, error_r);
}

/* Refreshes the capabilities after login unless the tagged OK carried
 * them (RFC 9051 §6.2.2). */
static int caps_after_login(struct imap_client *c, const char *code_copy,
                            const char **error_r)
{
	if (code_copy != NULL && strncasecmp(code_copy, "CAPABILITY ", 11) == 0)
		return 0;
	return imap_client_capability(c, error_r);
}

/* AUTHENTICATE PLAIN: message = [authzid] UTF8NUL authcid UTF8NUL passwd
 * (RFC 4616 §2), base64 as the initial response or after "+". */
static int login_plain(struct imap_client *c, const char *user,
                       const char *password, const char **error_r)
{
	struct buf msg, b64;
	buf_init(&msg);
	buf_init(&b64);
	buf_append_char(&msg, '\0');
	buf_append_str(&msg, user);
	buf_append_char(&msg, '\0');
	buf_append_str(&msg, password);
	base64_encode(msg.data, msg.len, &b64);
	explicit_bzero(msg.data, msg.len);
	buf_deinit(&msg);
	int ret;
	if (imap_client_has(c, "SASL-IR")) {
		ret = imap_client_cmd(c, NULL, NULL, error_r,
		                      "AUTHENTICATE PLAIN %a", b64.data);
	} else {
		imap_client_begin(c);
		buf_printf(&c->out, "%s AUTHENTICATE PLAIN\r\n", c->tag);
		ret = imap_client_send(c, error_r);
		if (ret == 0)
			ret = imap_client_wait(c, NULL, NULL, true, error_r);
		if (ret == 1) {
			buf_printf(&c->out, "%s\r\n", b64.data);
			ret = imap_client_send(c, error_r);
			if (ret == 0)
				ret = imap_client_wait(c, NULL, NULL, false,
				                       error_r);
		} else if (ret == 0) {
			ret = imap_client_fail(c, IMAP_CLIENT_ERROR, error_r,
			                       "AUTHENTICATE answered without +");
		}
	}
	explicit_bzero(b64.data, b64.len);
	buf_deinit(&b64);
	return ret;
}

int imap_client_login(struct imap_client *c, const char *user,
                      const char *password, const char **error_r)
{
	int ret;
	if (imap_client_has(c, "AUTH=PLAIN")) {
		ret = login_plain(c, user, password, error_r);
	} else if (imap_client_has(c, "LOGINDISABLED")) {
		imap_client_begin(c);
		return imap_client_fail(c, IMAP_CLIENT_ERROR, error_r,
		                        "the server does not allow login here "
		                        "(LOGINDISABLED): use TLS");
	} else {
		ret = imap_client_cmd(c, NULL, NULL, error_r, "LOGIN %s %s",
		                      user, password);
	}
	if (ret < 0)
		return -1;
	const char *code = imap_client_last_code(c);
	char *code_copy = code == NULL ? NULL : xstrdup(code);
	ret = caps_after_login(c, code_copy, error_r);
	free(code_copy);
	return ret;
}

int imap_client_enable(struct imap_client *c, const char *caps,
                       const char **error_r)
{
	return imap_client_cmd(c, NULL, NULL, error_r, "ENABLE %a", caps);
}
