/* COMPRESS DEFLATE (RFC 4978): after the tagged OK, which goes out
 * uncompressed, the connection inflates what the client sends and
 * deflates every reply (lib/core/conn). A second COMPRESS gets
 * NO [COMPRESSIONACTIVE] (RFC 4978 §3). */
#include "core/conn.h"
#include "imapd.h"

/* compress = "COMPRESS" SP algorithm; algorithm = "DEFLATE" */
void cmd_compress(struct imapd_cmd *cmd)
{
	struct imapd_client *c = cmd->client;
	const char *error;
	if (cmd->args == NULL || cmd->args->next != NULL ||
	    cmd->args->type != IMAP_ARG_ATOM) {
		imapd_cmd_bad(cmd, "COMPRESS needs one algorithm");
		return;
	}
	if (!imap_arg_atom_equals(cmd->args, "DEFLATE")) {
		imapd_cmd_bad(cmd, "Unknown compression algorithm");
		return;
	}
	if (conn_is_compressed(c->conn)) {
		imapd_cmd_no(cmd, "[COMPRESSIONACTIVE] DEFLATE already active");
		return;
	}
	imapd_cmd_ok(cmd, "DEFLATE active");
	imapd_client_flush(c);
	if (conn_compress_start(c->conn, &error) < 0) {
		log_error(&c->log, "compress failed: %s", error);
		imapd_client_bye(c, "Compression failed");
		return;
	}
	log_debug(&c->log, "compress algorithm=deflate");
}
