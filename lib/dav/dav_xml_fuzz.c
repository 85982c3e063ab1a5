/* Fuzzer for dav_xml.c and the body readers on top of it (dav_body.c,
 * ical_query.c, vcard_query.c, ical_partial.c): whatever parses must
 * serialize to XML that parses back to a tree that serializes the same
 * (a dead property survives storing), and every body reader must either
 * accept the tree or refuse it with a status, never crash. */
#include "core/buf.h"
#include "core/pool.h"
#include "dav/dav_body.h"
#include "dav/dav_xml.h"
#include "dav/ical_partial.h"
#include "dav/vcard_query.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void readers(const struct dav_xml_node *root, struct pool *pool)
{
	struct dav_body_error err;
	struct dav_propfind pf;
	struct dav_propupdate *ups;
	size_t count;
	struct dav_report report;
	if (dav_body_propfind(root, pool, &pf, &err) < 0 && err.status == 0)
		__builtin_trap();
	if (dav_body_propertyupdate(root, pool, &ups, &count, &err) < 0 &&
	    err.status == 0)
		__builtin_trap();
	if (dav_body_mkcol(root, pool, &ups, &count, &err) < 0 &&
	    err.status == 0)
		__builtin_trap();
	if (dav_body_report(root, pool, &report, &err) < 0 && err.status == 0)
		__builtin_trap();
	struct ical_partial *partial;
	const char *error;
	(void)ical_partial_from_xml(root, pool, &partial, &error);
	const char **names;
	vcard_query_props_from_xml(root, pool, &names, &count);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dav_xml_settings set;
	dav_xml_settings_init(&set);
	set.max_size = 64 * 1024;
	struct pool *pool = pool_new();
	struct dav_xml_node *root, *again;
	const char *error;
	if (dav_xml_parse(data, size, &set, pool, &root, &error) == 1) {
		readers(root, pool);
		struct buf out, out2;
		buf_init(&out);
		buf_init(&out2);
		dav_xml_serialize(root, &out);
		set.max_size = SIZE_MAX;
		if (dav_xml_parse((const unsigned char *)out.data, out.len,
		                  &set, pool, &again, &error) != 1)
			__builtin_trap();
		dav_xml_serialize(again, &out2);
		if (strcmp(out.data, out2.data) != 0)
			__builtin_trap();
		buf_deinit(&out);
		buf_deinit(&out2);
	}
	pool_free(&pool);
	return 0;
}
