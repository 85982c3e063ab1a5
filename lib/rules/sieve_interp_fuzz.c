/* Fuzzer for the Sieve interpreter with bounded execution: the input is
 * a script, a NUL, and a message (the default message when there is no
 * NUL). Every script that compiles is run with small limits, includes
 * itself (an include loop), sees mailboxes and duplicates by the parity
 * of their names, and must end with a result or a runtime error; the
 * result's actions must be whole. Seeds: tests/fuzz/sieve_interp, the
 * corpus of tests/data/sieve. */
#include "core/buf.h"
#include "rules/sieve.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char default_message[] =
    "Received: by mx.example.com; Mon, 26 Feb 2007 09:30:00 -0500\r\n"
    "From: Someone <someone@example.net>\r\nTo: me@example.com\r\n"
    "Subject: [list] hello\r\nDate: Fri, 29 Jun 2007 10:15:00 +0100\r\n"
    "Message-ID: <1@example.net>\r\nMIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
    "Content-Type: text/plain\r\n\r\nbody text\r\n--b--\r\n";

static const struct sieve_script *self;

static int mailbox_exists(void *ctx, const char *name)
{
	return (int)(strlen(name) % 2);
}

static int duplicate_seen(void *ctx, const char *key)
{
	return key[0] >= '8';
}

static int include_load(void *ctx, bool is_global, const char *name,
                        const struct sieve_script **script_r,
                        const char **error_r)
{
	if (is_global) {
		*error_r = "no global scripts";
		return name[0] == 'x' ? 0 : -1;
	}
	*script_r = self;
	return 1;
}

static void result_check(const struct sieve_result *result)
{
	for (size_t i = 0; i < result->action_count; i++) {
		const struct sieve_action *a = &result->actions[i];
		switch (a->type) {
		case SIEVE_ACTION_FILEINTO:
			if (a->mailbox == NULL || a->mailbox[0] == '\0')
				abort();
			break;
		case SIEVE_ACTION_REDIRECT:
			if (a->address == NULL)
				abort();
			break;
		case SIEVE_ACTION_VACATION:
			if (a->key == NULL || a->subject == NULL ||
			    a->reason == NULL || a->period == 0)
				abort();
			break;
		case SIEVE_ACTION_NOTIFY:
			if (a->method == NULL)
				abort();
			break;
		default:
			break;
		}
		if (a->edit != NULL &&
		    (a->edit->header_size < 2 ||
		     memcmp(a->edit->header + a->edit->header_size - 2, "\r\n",
		            2) != 0))
			abort();
	}
	for (size_t i = 0; i < result->duplicate_count; i++)
		if (strlen(result->duplicates[i].key) != 64)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sieve_settings set = SIEVE_SETTINGS_DEFAULT;
	struct sieve_script *script = NULL;
	struct sieve_error error;
	const uint8_t *nul = memchr(data, '\0', size);
	size_t script_size = nul != NULL ? (size_t)(nul - data) : size;
	set.max_steps = 20000;
	set.max_string_size = 4096;
	set.max_body_size = 4096;
	set.max_match_size = 4096;
	set.max_nesting = 16;
	if (sieve_compile(data, script_size, "fuzz", &set, &script, &error) < 0)
		return 0;
	struct sieve_mail mail = {
	    .data = nul != NULL ? nul + 1 : (const uint8_t *)default_message,
	    .size = nul != NULL ? size - script_size - 1
	                        : sizeof(default_message) - 1,
	    .envelope_from = "someone@example.net",
	    .envelope_to = "me+box@example.com",
	    .user = "me@example.com",
	    .now = 1183291200,
	};
	mail.full_size = mail.size;
	struct sieve_callbacks cb = {
	    .mailbox_exists = mailbox_exists,
	    .duplicate_seen = duplicate_seen,
	    .include_load = include_load,
	};
	self = script;
	struct sieve_run *run = sieve_run_new(&set, &mail, &cb);
	const struct sieve_result *result;
	struct buf desc;
	buf_init(&desc);
	if (sieve_run_script(run, script, &error) >= 0 &&
	    sieve_run_finish(run, &result, &error) == 0) {
		result_check(result);
		sieve_result_describe(result, &desc);
	} else if (error.message[0] == '\0') {
		abort();
	}
	buf_deinit(&desc);
	sieve_run_free(&run);
	sieve_script_free(&script);
	return 0;
}
