/*
 * util: shared helpers of daemon/ (util.h). No state.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

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

int
util_bev_write_now(struct bufferevent *bev)
{
	struct evbuffer *out = bufferevent_get_output(bev);
	evutil_socket_t fd = bufferevent_getfd(bev);
	int n = 0;

	/*
	 * A socket bufferevent keeps the front of its output frozen (only it
	 * may drain it), so evbuffer_write alone writes nothing: thaw it for
	 * the write, as the bufferevent's own write callback does.
	 */
	evbuffer_unfreeze(out, 1);
	while (evbuffer_get_length(out) > 0)
		if ((n = evbuffer_write(out, fd)) <= 0)
			break;
	evbuffer_freeze(out, 1);
	if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK &&
	    errno != EINTR)
		return -1;
	return 0;
}

void
util_strcpy(char *dst, size_t cap, const char *src)
{
	size_t len = strnlen(src, cap - 1);

	memcpy(dst, src, len);
	dst[len] = '\0';
}
