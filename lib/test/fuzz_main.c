/* Fuzzer entry glue (STYLE.md §9): every <file>_fuzz.c defines
 * LLVMFuzzerTestOneInput. Built with -Dfuzz=true and clang it links against
 * libFuzzer; in every other build this main() drives the same entry over a
 * seed corpus (the files and folders named on the command line), every
 * truncation of each seed and a fixed set of pseudo-random mutations, so
 * `make test` runs each fuzzer's corpus under ASan and UBSan. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MUTATIONS 300
#define SEED_MAX (1024 * 1024)

static unsigned long runs;

static void run(const uint8_t *data, size_t size)
{
	/* a copy of exactly size bytes, so ASan sees any overread */
	uint8_t *copy = malloc(size ? size : 1);
	if (copy == NULL)
		abort();
	if (size > 0)
		memcpy(copy, data, size);
	LLVMFuzzerTestOneInput(copy, size);
	free(copy);
	runs++;
}

static uint32_t next_rand(uint32_t *state)
{
	*state = *state * 1103515245u + 12345u;
	return *state >> 8;
}

static void run_seed(const uint8_t *data, size_t size)
{
	run(data, size);
	for (size_t n = 0; n < size; n++)
		run(data, n);
	uint8_t *m = malloc(size + 16);
	if (m == NULL)
		abort();
	uint32_t state = (uint32_t)size * 2654435761u + 1;
	static const uint8_t special[] = { '\r', '\n', '.', '\0', ' ', '"',
					   '<', '>', '@', '%', '=', 0xff, 0xc3 };
	for (int i = 0; i < MUTATIONS && size > 0; i++) {
		memcpy(m, data, size);
		size_t len = size;
		for (int k = 0; k < 1 + (int)(next_rand(&state) % 4); k++) {
			size_t at = next_rand(&state) % len;
			switch (next_rand(&state) % 3) {
			case 0:
				m[at] = special[next_rand(&state) %
						sizeof(special)];
				break;
			case 1:
				m[at] = (uint8_t)next_rand(&state);
				break;
			default:
				if (len < size + 16) {
					memmove(m + at + 1, m + at, len - at);
					m[at] = special[next_rand(&state) %
							sizeof(special)];
					len++;
				}
			}
		}
		run(m, len);
	}
	free(m);
}

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		perror(path);
		return -1;
	}
	uint8_t *buf = malloc(SEED_MAX);
	if (buf == NULL)
		abort();
	size_t size = fread(buf, 1, SEED_MAX, f);
	fclose(f);
	run_seed(buf, size);
	free(buf);
	return 0;
}

static int run_path(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		perror(path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path);
	DIR *dir = opendir(path);
	if (dir == NULL)
		return -1;
	int ret = 0;
	const struct dirent *d;
	while ((d = readdir(dir)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		char child[4096];
		snprintf(child, sizeof(child), "%s/%s", path, d->d_name);
		ret |= run_path(child);
	}
	closedir(dir);
	return ret;
}

int main(int argc, char **argv)
{
	int ret = 0;
	for (int i = 1; i < argc; i++)
		ret |= run_path(argv[i]);
	printf("%lu inputs, 0 crashes\n", runs);
	return ret == 0 ? 0 : 1;
}
