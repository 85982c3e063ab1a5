/* The settings people ask for most, vacation and forwarding, kept as Sieve
 * (doc/rules.md, "Managing scripts"): a block of the account's active
 * script between two marker comments, right after the script's own
 * requires, so that postroomctl, JMAP's VacationResponse (RFC 8621 §8),
 * ManageSieve and the user's own edits all see one truth. This file reads
 * and writes the block's text; storing the script stays with the callers
 * (the store is not a module lib/rules may use). The vacation section is
 *   [if <currentdate tests of fromDate and toDate> {] vacation ...; [}]
 * with :mime and a multipart/alternative entity when it has an HTML body. */
#ifndef RULES_SIEVE_MANAGED_H
#define RULES_SIEVE_MANAGED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/buf.h"
#include "rules/sieve.h"

struct pool;

#define SIEVE_MANAGED_BEGIN                                                    \
	"# BEGIN postroom settings (postroomctl account vacation|forward)\n"
#define SIEVE_MANAGED_END "# END postroom settings\n"
/* The script made for the block when the account had no active one. */
#define SIEVE_MANAGED_SCRIPT "postroom"

/* The block's two sections: their commands as text. */
struct sieve_managed {
	struct buf forward, vacation;
	bool has_forward, has_vacation;
};

void sieve_managed_init(struct sieve_managed *m);
void sieve_managed_deinit(struct sieve_managed *m);

/* Finds the block in text (NUL-terminated) and reads its sections into m
 * (which must be empty). Returns true with the block's bytes in
 * [*start_r, *end_r), false when the script has none. */
bool sieve_managed_find(const char *text, size_t *start_r, size_t *end_r,
                        struct sieve_managed *m);

/* Makes the script name (text, size bytes, the block already cut out or
 * never there) carry the block of m just after its own requires, into
 * out. Returns 0, or -1 with *error_r when the script does not compile
 * without the block (error_r->message then says so) or with it. */
int sieve_managed_place(const char *name, const char *text, size_t size,
                        const struct sieve_managed *m,
                        const struct sieve_settings *set, struct buf *out,
                        struct sieve_error *error_r);

/* What a caller changes in the block: called with its current sections. */
typedef void sieve_managed_change_fn(struct sieve_managed *m, void *ctx);

/* The whole edit of a script's block: finds it in text (size bytes,
 * NUL-terminated), lets change alter its sections, and places the new
 * block into the rest of the script (sieve_managed_place), into out.
 * Returns 0, or -1 with *error_r as sieve_managed_place gives it. */
int sieve_managed_rewrite(const char *name, const char *text, size_t size,
                          sieve_managed_change_fn *change, void *ctx,
                          const struct sieve_settings *set, struct buf *out,
                          struct sieve_error *error_r);

/* Returns true if text holds nothing but white space: a script of
 * SIEVE_MANAGED_SCRIPT left so is removed rather than stored. */
bool sieve_managed_is_empty(const char *text, size_t size);

/* ---- Vacation (RFC 5230, RFC 8621 §8) ---------------------------------- */

struct sieve_vacation {
	bool is_enabled;
	unsigned days;             /* :days, at least 1 */
	const char *subject;       /* :subject, or NULL */
	const char *from;          /* :from, or NULL */
	const char *const *addresses; /* :addresses */
	size_t address_count;
	const char *text; /* the plain text reply; NULL: made from html */
	const char *html; /* an HTML alternative, or NULL */
	time_t from_date; /* replies from this instant on; 0: no start */
	time_t to_date;   /* and before this one; 0: no end */
};

/* Writes (or, when !v->is_enabled, removes) the vacation section of m.
 * Strings are quoted as Sieve needs (RFC 5228 §2.4.2). Both text and html
 * NULL give a short default text (RFC 8621 §8 asks for one). */
void sieve_managed_set_vacation(struct sieve_managed *m,
                                const struct sieve_vacation *v);
/* Reads the vacation section of m back: compiles it and takes the first
 * vacation command (at the top, or in an "if" of currentdate tests that
 * give its dates). Returns 1 with *v_r (strings from pool), 0 when there
 * is no vacation (v_r->is_enabled false), -1 when the section does not
 * compile. */
int sieve_managed_get_vacation(const struct sieve_managed *m,
                               const struct sieve_settings *set,
                               struct pool *pool, struct sieve_vacation *v_r);

/* Writes (count 0: removes) the forward section: a redirect per target,
 * with :copy when copy. */
void sieve_managed_set_forward(struct sieve_managed *m,
                               const char *const *targets, size_t count,
                               bool copy);

/* Appends str as a Sieve quoted string (RFC 5228 §2.4.2). */
void sieve_managed_quote(struct buf *out, const char *str);

#endif
