/* Fuzzer for the DKIM tag-list parser (RFC 6376 §3.2) and what reads tag
 * lists: DKIM-Signature values, key records, and a whole header section
 * given to the verifier (which must not crash on any signature field);
 * and the input as a header section for ARC validation (RFC 8617 §5.2),
 * and as each ARC field's value. */
#include "core/pool.h"
#include "mailauth/arc.h"
#include "mailauth/dkim.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data, *error;
	struct pool *pool = pool_new();
	struct dkim_tag *tags;
	size_t count;
	if (dkim_tags_parse(text, size, pool, &tags, &count, &error) == 0) {
		if (count > DKIM_TAGS_MAX)
			abort();
		for (size_t i = 0; i < count; i++) {
			if (tags[i].name[0] == '\0' ||
			    dkim_tags_get(tags, count, tags[i].name) == NULL)
				abort();
		}
	}
	struct dkim_sig sig;
	if (dkim_sig_parse(text, size, pool, &sig, &error) == 0 &&
	    (sig.domain == NULL || sig.header_count == 0))
		abort();
	struct dkim_key *key;
	if (dkim_key_parse(text, size, &key, &error) == 0)
		dkim_key_free(&key);
	/* as a DKIM-Signature field of a message with an empty body */
	char *header = pool_alloc(pool, size + 64);
	memcpy(header, "DKIM-Signature:", 15);
	memcpy(header + 15, data, size);
	memcpy(header + 15 + size, "\r\nFrom: a@b\r\n\r\n", 16);
	struct dkim_verify_settings set = DKIM_VERIFY_SETTINGS_DEFAULT;
	struct dkim_verify *v = dkim_verify_new(header, size + 31, &set, 0);
	dkim_verify_body(v, "x\r\n", 3);
	dkim_verify_body_end(v);
	for (size_t i = 0; i < dkim_verify_count(v); i++) {
		const char *txt = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQH"
		                  "Og7hcvPapiMlrwIaaPcHURo=";
		size_t len = strlen(txt);
		if (dkim_verify_key_name(v, i) != NULL)
			dkim_verify_key(v, i, DKIM_KEY_FOUND, &txt, &len, 1);
		if (dkim_verify_result(v, i)->status == DKIM_STATUS_PASS)
			abort(); /* nobody can sign with that key here */
	}
	dkim_verify_free(&v);
	/* ARC: the input as a header section, then as each field's value */
	struct arc_verify *a = arc_verify_new(text, size, &set);
	arc_verify_body(a, "x\r\n", 3);
	arc_verify_body_end(a);
	if (arc_verify_result(a)->cv == ARC_CV_PASS)
		abort(); /* no key was handed over */
	arc_verify_free(&a);
	static const char *const names[] = {
	    "ARC-Seal:", "ARC-Message-Signature:",
	    "ARC-Authentication-Results:"};
	for (size_t k = 0; k < 3; k++) {
		size_t nl = strlen(names[k]);
		memcpy(header, names[k], nl);
		memcpy(header + nl, data, size);
		memcpy(header + nl + size, "\r\n\r\n", 4);
		a = arc_verify_new(header, nl + size + 2, &set);
		for (size_t i = 0; i < arc_verify_key_count(a); i++) {
			const char *txt = "v=DKIM1; p=";
			size_t len = strlen(txt);
			arc_verify_key(a, i, DKIM_KEY_FOUND, &txt, &len, 1);
		}
		if (arc_verify_result(a)->cv == ARC_CV_PASS)
			abort();
		arc_verify_free(&a);
	}
	pool_free(&pool);
	return 0;
}
