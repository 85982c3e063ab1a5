/* Fuzzer for inter-process records: whatever decodes must encode and
 * decode again to the same record. */
#include "core/buf.h"
#include "core/ipc.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipc_record rec, again;
	const char *error;
	if (memchr(data, '\n', size) != NULL)
		return 0; /* records are single lines */
	if (ipc_record_decode((const char *)data, size, &rec, &error) < 0) {
		ipc_record_deinit(&rec);
		return 0;
	}
	struct buf out;
	buf_init(&out);
	ipc_record_encode(&rec, &out);
	if (ipc_record_decode(out.data, out.len - 1, &again, &error) < 0 ||
	    strcmp(again.verb, rec.verb) != 0 || again.count != rec.count)
		__builtin_trap();
	for (size_t i = 0; i < rec.count; i++) {
		if (strcmp(rec.fields[i].key, again.fields[i].key) != 0 ||
		    strcmp(rec.fields[i].value, again.fields[i].value) != 0)
			__builtin_trap();
	}
	ipc_record_deinit(&rec);
	ipc_record_deinit(&again);
	buf_deinit(&out);
	return 0;
}
