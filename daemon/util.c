/*
 * util: shared helpers of daemon/ (util.h). No state.
 */
#include <errno.h>
#include <unistd.h>

#include "util.h"

int
util_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

void
util_us_to_tv(uint64_t us, struct timeval *tv)
{
	tv->tv_sec = (time_t)(us / 1000000);
	tv->tv_usec = (suseconds_t)(us % 1000000);
}

void
util_ms_to_tv(uint64_t ms, struct timeval *tv)
{
	util_us_to_tv(ms * 1000, tv);
}
