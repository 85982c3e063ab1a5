/* The session commands: CAPABILITY (RFC 5804 §2.4), STARTTLS (§2.2: the
 * capabilities are sent again once TLS is up, sieved_client.c), NOOP
 * (§2.13, with its TAG) and LOGOUT (§2.3). */
#include "sieved.h"
#include "core/conn.h"

#include <string.h>

void cmd_capability(struct sieved_client *c,
                    const struct managesieve_token *args, size_t count)
{
	if (count != 0) {
		sieved_client_bad(c, "CAPABILITY takes no arguments");
		return;
	}
	sieved_client_capabilities(c);
	sieved_client_ok(c, NULL, "Capability completed");
}

void cmd_starttls(struct sieved_client *c, const struct managesieve_token *args,
                  size_t count)
{
	const char *error;
	if (count != 0) {
		sieved_client_bad(c, "STARTTLS takes no arguments");
		return;
	}
	if (c->sieved->tls == NULL) {
		sieved_client_no(c, NULL, "TLS is not available");
		return;
	}
	if (conn_is_tls(c->conn)) {
		sieved_client_bad(c, "TLS is already active");
		return;
	}
	sieved_client_ok(c, NULL, "Begin TLS negotiation now");
	/* drops any plaintext pipelined after STARTTLS (RFC 5804 §2.2) */
	if (conn_starttls(c->conn, c->sieved->tls, &error) < 0) {
		log_error(&c->log, "starttls: %s", error);
		sieved_client_bye(c, NULL, "TLS failed", "starttls failed");
	}
}

/* NOOP [SP string]: the string comes back in a TAG response code. */
void cmd_noop(struct sieved_client *c, const struct managesieve_token *args,
              size_t count)
{
	if (count > 1 ||
	    (count == 1 && args[0].type != MANAGESIEVE_TOKEN_STRING)) {
		sieved_client_bad(c, "Usage: NOOP [tag]");
		return;
	}
	if (count == 0) {
		sieved_client_ok(c, NULL, "Done");
		return;
	}
	struct buf code;
	buf_init(&code);
	buf_append_str(&code, "TAG ");
	managesieve_string_append(&code, args[0].str, args[0].len);
	sieved_client_ok(c, code.data, "Done");
	buf_deinit(&code);
}

void cmd_logout(struct sieved_client *c, const struct managesieve_token *args,
                size_t count)
{
	/* RFC 5804 §2.3 (erratum 7825): OK, then the server closes; what the
	 * client sends after LOGOUT is ignored */
	c->is_logout = true;
	log_info(&c->log, "logout");
	sieved_client_ok(c, NULL, "Logout completed");
	if (c->close_reason == NULL)
		c->close_reason = "logout";
	conn_close_after_flush(c->conn);
}
