/* The script commands (RFC 5804 §2.5-§2.12): HAVESPACE, PUTSCRIPT,
 * CHECKSCRIPT, LISTSCRIPTS, SETACTIVE, GETSCRIPT, DELETESCRIPT and
 * RENAMESCRIPT over the account's scripts (lib/store/store_sieve.h). Every
 * script is compiled by lib/rules, with deliver's limits, before it is
 * stored or made active: an error names its line and column. The quotas
 * are [sieved] max_scripts (QUOTA/MAXSCRIPTS) and max_script_size
 * (QUOTA/MAXSIZE); a script replaced under its own name does not count
 * twice. XXX: two sessions of one account putting new scripts at the same
 * moment may pass max_scripts by one; the count and the write are not one
 * transaction. */
#include "sieved.h"
#include "core/pool.h"
#include "store/store.h"
#include "store/store_sieve.h"

#include <string.h>
#include <time.h>

/* Gets a script name from arg. Answers NO and returns NULL when it is
 * not a string or not a valid name (RFC 5804 §1.6). */
static const char *script_name(struct sieved_client *c,
                               const struct managesieve_token *arg)
{
	if (arg->type != MANAGESIEVE_TOKEN_STRING) {
		sieved_client_bad(c, "A script name must be a string");
		return NULL;
	}
	if (strlen(arg->str) != arg->len ||
	    !store_sieve_name_is_valid(arg->str)) {
		sieved_client_no(c, NULL, "Invalid script name");
		return NULL;
	}
	return arg->str;
}

/* A storage failure: logged, the client told to try again. */
static void storage_failed(struct sieved_client *c, const char *what,
                           const char *error)
{
	log_error(&c->log, "%s failed: %s", what, error);
	sieved_client_no(c, "TRYLATER", "Cannot %s now (conn=%u)", what, c->id);
}

struct count_ctx {
	const char *name;
	size_t count;
	bool has_name;
};

static void count_cb(const struct store_sieve_script *s, void *ctx)
{
	struct count_ctx *cc = ctx;
	cc->count++;
	if (strcmp(s->name, cc->name) == 0)
		cc->has_name = true;
}

/* Checks the quotas for a script name of size bytes. Returns 1 when it
 * fits, 0 after answering NO (QUOTA/...), -1 after a storage failure. */
static int quota_check(struct sieved_client *c, const char *name, uint64_t size)
{
	const struct sieved_settings *set = &c->sieved->set.sieved;
	if (size > set->max_script_size) {
		sieved_client_no(c, "QUOTA/MAXSIZE",
		                 "Script is larger than %llu bytes",
		                 (unsigned long long)set->max_script_size);
		return 0;
	}
	if (set->max_scripts == 0)
		return 1;
	struct count_ctx cc = {.name = name};
	if (store_sieve_list(c->account, count_cb, &cc) < 0) {
		storage_failed(c, "count scripts", "storage failure");
		return -1;
	}
	if (!cc.has_name && cc.count >= set->max_scripts) {
		sieved_client_no(c, "QUOTA/MAXSCRIPTS",
		                 "At most %u scripts per account",
		                 set->max_scripts);
		return 0;
	}
	return 1;
}

/* Compiles a script. Returns true if it is valid, else answers NO naming
 * the line and column of the first error and returns false. */
static bool script_compiles(struct sieved_client *c, const char *name,
                            const struct managesieve_token *script)
{
	struct sieve_script *compiled = NULL;
	struct sieve_error error;
	if (sieve_compile((const unsigned char *)script->str, script->len, name,
	                  &c->sieved->sieve, &compiled, &error) < 0) {
		log_info(&c->log, "script-invalid name=%s line=%u column=%u",
		         log_sanitize(name, 100), error.line, error.column);
		sieved_client_no(c, NULL, "line %u, column %u: %s", error.line,
		                 error.column, error.message);
		return false;
	}
	sieve_script_free(&compiled);
	return true;
}

/* HAVESPACE SP script-name SP number (§2.5) */
void cmd_havespace(struct sieved_client *c,
                   const struct managesieve_token *args, size_t count)
{
	uint32_t size;
	if (count != 2 || !managesieve_token_number(&args[1], &size)) {
		sieved_client_bad(c, "Usage: HAVESPACE name size");
		return;
	}
	const char *name = script_name(c, &args[0]);
	if (name != NULL && quota_check(c, name, size) > 0)
		sieved_client_ok(c, NULL, "Putscript would succeed");
}

/* PUTSCRIPT SP script-name SP script (§2.6) */
void cmd_putscript(struct sieved_client *c,
                   const struct managesieve_token *args, size_t count)
{
	const char *error;
	if (count != 2 || args[1].type != MANAGESIEVE_TOKEN_STRING) {
		sieved_client_bad(c, "Usage: PUTSCRIPT name script");
		return;
	}
	const char *name = script_name(c, &args[0]);
	if (name == NULL || quota_check(c, name, args[1].len) <= 0 ||
	    !script_compiles(c, name, &args[1]))
		return;
	if (store_sieve_put(c->account, name, args[1].str, args[1].len,
	                    time(NULL), &error) < 0) {
		storage_failed(c, "store the script", error);
		return;
	}
	log_info(&c->log, "script-put name=%s size=%zu",
	         log_sanitize(name, 100), args[1].len);
	sieved_client_ok(c, NULL, "Script stored");
}

/* CHECKSCRIPT SP script (§2.12): compiled, never stored */
void cmd_checkscript(struct sieved_client *c,
                     const struct managesieve_token *args, size_t count)
{
	if (count != 1 || args[0].type != MANAGESIEVE_TOKEN_STRING) {
		sieved_client_bad(c, "Usage: CHECKSCRIPT script");
		return;
	}
	if (script_compiles(c, "script", &args[0]))
		sieved_client_ok(c, NULL, "Script is valid");
}

static void list_cb(const struct store_sieve_script *s, void *ctx)
{
	struct sieved_client *c = ctx;
	managesieve_string_append_str(&c->out, s->name);
	if (s->is_active)
		buf_append_str(&c->out, " ACTIVE");
	buf_append_str(&c->out, "\r\n");
}

/* LISTSCRIPTS (§2.7) */
void cmd_listscripts(struct sieved_client *c,
                     const struct managesieve_token *args, size_t count)
{
	if (count != 0) {
		sieved_client_bad(c, "LISTSCRIPTS takes no arguments");
		return;
	}
	if (store_sieve_list(c->account, list_cb, c) < 0) {
		buf_truncate(&c->out, 0);
		storage_failed(c, "list scripts", "storage failure");
		return;
	}
	sieved_client_ok(c, NULL, "Listscripts completed");
}

/* SETACTIVE SP script-name (§2.8): "" leaves none active; a script that
 * no longer compiles (the limits changed) is not made active. */
void cmd_setactive(struct sieved_client *c,
                   const struct managesieve_token *args, size_t count)
{
	const char *error, *data;
	size_t size;
	if (count != 1 || args[0].type != MANAGESIEVE_TOKEN_STRING) {
		sieved_client_bad(c, "Usage: SETACTIVE name");
		return;
	}
	const char *name = args[0].len == 0 ? NULL : script_name(c, &args[0]);
	if (args[0].len > 0 && name == NULL)
		return;
	if (name != NULL) {
		int ret = store_sieve_get(c->account, name, c->cmd_pool, &data,
		                          &size);
		if (ret < 0) {
			storage_failed(c, "read the script", "storage failure");
			return;
		}
		if (ret == 0) {
			sieved_client_no(c, "NONEXISTENT", "No such script");
			return;
		}
		const struct managesieve_token script = {
		    MANAGESIEVE_TOKEN_STRING, true, data, size};
		if (!script_compiles(c, name, &script))
			return;
	}
	if (store_sieve_activate(c->account, name, &error) < 0) {
		if (strcmp(error, "no such script") == 0)
			sieved_client_no(c, "NONEXISTENT", "No such script");
		else
			storage_failed(c, "activate the script", error);
		return;
	}
	log_info(&c->log, "script-activate name=%s",
	         name != NULL ? log_sanitize(name, 100) : "");
	sieved_client_ok(
	    c, NULL, name != NULL ? "Script activated" : "No script is active");
}

/* GETSCRIPT SP script-name (§2.9): the script as a literal, then OK */
void cmd_getscript(struct sieved_client *c,
                   const struct managesieve_token *args, size_t count)
{
	const char *data;
	size_t size;
	if (count != 1) {
		sieved_client_bad(c, "Usage: GETSCRIPT name");
		return;
	}
	const char *name = script_name(c, &args[0]);
	if (name == NULL)
		return;
	int ret = store_sieve_get(c->account, name, c->cmd_pool, &data, &size);
	if (ret < 0) {
		storage_failed(c, "read the script", "storage failure");
		return;
	}
	if (ret == 0) {
		sieved_client_no(c, "NONEXISTENT", "No such script");
		return;
	}
	managesieve_literal_append(&c->out, data, size);
	buf_append_str(&c->out, "\r\n");
	sieved_client_ok(c, NULL, "Getscript completed");
}

/* DELETESCRIPT SP script-name (§2.10): never the active one */
void cmd_deletescript(struct sieved_client *c,
                      const struct managesieve_token *args, size_t count)
{
	const char *error;
	if (count != 1) {
		sieved_client_bad(c, "Usage: DELETESCRIPT name");
		return;
	}
	const char *name = script_name(c, &args[0]);
	if (name == NULL)
		return;
	if (store_sieve_delete(c->account, name, &error) < 0) {
		if (strcmp(error, "script is active") == 0)
			sieved_client_no(c, "ACTIVE",
			                 "The active script cannot be deleted");
		else if (strcmp(error, "no such script") == 0)
			sieved_client_no(c, "NONEXISTENT", "No such script");
		else
			storage_failed(c, "delete the script", error);
		return;
	}
	log_info(&c->log, "script-delete name=%s", log_sanitize(name, 100));
	sieved_client_ok(c, NULL, "Script deleted");
}

/* RENAMESCRIPT SP old-name SP new-name (§2.11.1): an active script
 * stays active */
void cmd_renamescript(struct sieved_client *c,
                      const struct managesieve_token *args, size_t count)
{
	const char *error;
	if (count != 2) {
		sieved_client_bad(c, "Usage: RENAMESCRIPT old new");
		return;
	}
	const char *old_name = script_name(c, &args[0]);
	if (old_name == NULL)
		return;
	const char *new_name = script_name(c, &args[1]);
	if (new_name == NULL)
		return;
	if (store_sieve_rename(c->account, old_name, new_name, &error) < 0) {
		if (strcmp(error, "no such script") == 0)
			sieved_client_no(c, "NONEXISTENT", "No such script");
		else if (strcmp(error, "script exists") == 0)
			sieved_client_no(c, "ALREADYEXISTS",
			                 "A script of that name exists");
		else
			storage_failed(c, "rename the script", error);
		return;
	}
	log_info(&c->log, "script-rename name=%s new=%s",
	         log_sanitize(old_name, 100), log_sanitize(new_name, 100));
	sieved_client_ok(c, NULL, "Script renamed");
}
