/* Fuzzer for the POP3 command parser (pop3_syntax.c) as pop3d drives it:
 * the input is a client's byte stream, cut into lines at LF with a CR
 * before it dropped and lines over POP3_COMMAND_LINE_MAX refused (what
 * conn_read_line does); each line is parsed, and its parameters are read
 * as message numbers. A parsed command must be a 3-4 letter uppercase
 * keyword with parameters that hold no space or control byte. */
#include "core/pool.h"
#include "pop3/pop3_syntax.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(expr)                                                            \
	do {                                                                   \
		if (!(expr))                                                   \
			abort();                                               \
	} while (0)

static void check_number(const char *str)
{
	uint32_t num;
	if (pop3_number_parse(str, &num) < 0)
		return;
	/* 1*10DIGIT that fits: printing it back gives the digits without
	 * their leading zeros */
	size_t len = strlen(str);
	CHECK(len >= 1 && len <= 10 && strspn(str, "0123456789") == len);
	uint64_t n = strtoull(str, NULL, 10);
	CHECK(n == num);
}

static void check_command(const struct pop3_command *cmd, const uint8_t *line,
                          size_t len)
{
	size_t klen = strlen(cmd->name);
	CHECK(klen >= 3 && klen <= 4);
	for (size_t i = 0; i < klen; i++)
		CHECK(cmd->name[i] >= 'A' && cmd->name[i] <= 'Z');
	/* args is the line after the keyword and one space */
	size_t alen = strlen(cmd->args);
	CHECK(alen == (len > klen ? len - klen - 1 : 0));
	CHECK(memcmp(cmd->args, line + len - alen, alen) == 0);
	size_t stored = cmd->argc < POP3_ARGS_MAX ? cmd->argc : POP3_ARGS_MAX;
	for (size_t i = 0; i < stored; i++) {
		const char *arg = cmd->argv[i];
		CHECK(arg != NULL && arg[0] != '\0' &&
		      strchr(arg, ' ') == NULL);
		for (const char *p = arg; *p != '\0'; p++)
			CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
		check_number(arg);
	}
	/* the parameters are the runs of non-spaces in args */
	size_t runs = 0;
	for (size_t i = 0; i < alen; i++)
		if (cmd->args[i] != ' ' && (i == 0 || cmd->args[i - 1] == ' '))
			runs++;
	CHECK(runs == cmd->argc);
}

/* What RFC 2449 §3 says of a line: 0 when empty, -1 with a control
 * byte or a keyword that is not 3-4 letters, else 1. */
static int line_verdict(const uint8_t *line, size_t len)
{
	if (len == 0)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (line[i] < 0x20 || line[i] == 0x7f)
			return -1;
	size_t klen = 0;
	while (klen < len && line[klen] != ' ')
		klen++;
	if (klen < 3 || klen > 4)
		return -1;
	for (size_t i = 0; i < klen; i++) {
		uint8_t c = line[i] & ~0x20;
		if (c < 'A' || c > 'Z')
			return -1;
	}
	return 1;
}

static void parse_line(const uint8_t *line, size_t len, struct pool *pool)
{
	/* an exact copy, so that a read past len is seen */
	uint8_t *copy = malloc(len > 0 ? len : 1);
	if (len > 0)
		memcpy(copy, line, len);
	struct pop3_command cmd;
	const char *error = NULL;
	int ret = pop3_command_parse(copy, len, pool, &cmd, &error);
	CHECK(ret == line_verdict(copy, len));
	if (ret < 0)
		CHECK(error != NULL);
	else if (ret > 0)
		check_command(&cmd, copy, len);
	free(copy);
	pool_clear(pool);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pool *pool = pool_new();
	size_t start = 0;
	while (start < size) {
		const uint8_t *lf = memchr(data + start, '\n', size - start);
		size_t end = lf != NULL ? (size_t)(lf - data) : size;
		size_t len = end - start;
		/* conn_read_line: at most max bytes with the LF */
		if (len + 1 <= POP3_COMMAND_LINE_MAX || lf == NULL) {
			if (len > 0 && data[start + len - 1] == '\r')
				len--;
			if (len < POP3_COMMAND_LINE_MAX)
				parse_line(data + start, len, pool);
		}
		start = end + 1;
	}
	/* the whole input as one line too: NULs, CRs and LFs inside */
	parse_line(data, size, pool);
	pool_free(&pool);
	return 0;
}
