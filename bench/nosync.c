/* bench/nosync: an LD_PRELOAD shim that makes fsync and fdatasync no-ops,
 * for bench/store_fill only: filling 100,000 messages with three syncs each
 * takes most of an hour, and durability is not what the SEARCH benchmark
 * measures. Never used by the servers. */
#include <unistd.h>

int fsync(int fd)
{
	(void)fd;
	return 0;
}

int fdatasync(int fd)
{
	(void)fd;
	return 0;
}
