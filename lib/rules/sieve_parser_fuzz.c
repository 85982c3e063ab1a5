/* Fuzzer for the Sieve compiler (parser and checker): any bytes either
 * compile into a tree whose every node was checked, or fail with a
 * position inside the script and a message; nothing leaks or crashes.
 * Seeds: tests/fuzz/sieve_parser, the RFCs' example scripts. */
#include "rules/sieve_private.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void tree_check(const struct sieve_node *node, unsigned depth)
{
	for (; node != NULL; node = node->next) {
		if (node->def == NULL || node->line == 0 || depth > 64)
			abort();
		for (unsigned i = 0; i < node->test_count; i++)
			tree_check(node->tests[i], depth + 1);
		tree_check(node->block, depth + 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sieve_settings set = SIEVE_SETTINGS_DEFAULT;
	struct sieve_script *script = NULL;
	struct sieve_error error;
	set.max_nesting = 16;
	if (sieve_compile(data, size, "fuzz", &set, &script, &error) == 0) {
		tree_check(script->first, 0);
		sieve_script_free(&script);
		return 0;
	}
	/* a position inside the script (one past the end at the most) */
	if (error.line == 0 || error.column == 0 || error.line > size + 1 ||
	    error.column > size + 1 || error.message[0] == '\0')
		abort();
	return 0;
}
