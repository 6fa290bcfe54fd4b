/*
 * conn: see conn.h. One buffer of CONN_REPLY_MAX bytes per connection;
 * lines are cut from its front, the rest moved down.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"

struct conn {
	int	 fd;
	int	 err;          /* errno of the last failure */
	char	*buf;          /* CONN_REPLY_MAX + 1 bytes */
	size_t	 len;          /* bytes in buf */
	size_t	 taken;        /* bytes of the line handed out last */
};

uint64_t
conn_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct conn *
conn_open(const char *path, uint64_t timeout_ms, char *err, size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { (time_t)(timeout_ms / 1000),
	    (suseconds_t)(timeout_ms % 1000) * 1000 };
	struct conn *c;
	int fd;

	if (strlen(path) >= sizeof sun.sun_path) {
		snprintf(err, errlen, "%s: socket path longer than %zu bytes",
		    path, sizeof sun.sun_path - 1);
		return NULL;
	}
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return NULL;
	}
	/* A daemon whose backlog is full makes connect wait: bounded. */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		snprintf(err, errlen, "cannot connect to %s: %s", path,
		    errno == EAGAIN || errno == EINPROGRESS ?
		    "timed out" : strerror(errno));
		close(fd);
		return NULL;
	}
	if (fcntl(fd, F_SETFL, O_NONBLOCK) == -1 ||
	    (c = calloc(1, sizeof *c)) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	if ((c->buf = malloc(CONN_REPLY_MAX + 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		free(c);
		close(fd);
		return NULL;
	}
	c->fd = fd;
	return c;
}

void
conn_close(struct conn *c)
{
	if (c == NULL)
		return;
	close(c->fd);
	free(c->buf);
	free(c);
}

const char *
conn_error(const struct conn *c)
{
	return strerror(c->err);
}

/*
 * Wait for events on the socket until deadline (0: none). CONN_OK when
 * ready; an interrupted wait is retried unless *stop was set.
 */
static enum conn_result
wait_for(struct conn *c, short events, uint64_t deadline,
    volatile const int *stop)
{
	struct pollfd p = { .fd = c->fd, .events = events };
	uint64_t now;
	int r;

	for (;;) {
		if (stop != NULL && *stop)
			return CONN_INTERRUPTED;
		now = conn_now_ms();
		if (deadline != 0 && now >= deadline)
			return CONN_TIMEOUT;
		r = poll(&p, 1, deadline == 0 ? -1 : (int)(deadline - now));
		if (r > 0)
			return CONN_OK;
		if (r == -1 && errno != EINTR) {
			c->err = errno;
			return CONN_ERROR;
		}
	}
}

enum conn_result
conn_send(struct conn *c, const char *line, uint64_t timeout_ms)
{
	uint64_t deadline = conn_now_ms() + timeout_ms;
	size_t len = strlen(line), off = 0;
	char *msg = malloc(len + 1);
	enum conn_result r = CONN_OK;
	ssize_t n;

	if (msg == NULL) {
		c->err = ENOMEM;
		return CONN_ERROR;
	}
	memcpy(msg, line, len);
	msg[len++] = '\n';
	while (off < len) {
		n = send(c->fd, msg + off, len - off, MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EAGAIN) {
			if ((r = wait_for(c, POLLOUT, deadline, NULL)) !=
			    CONN_OK)
				break;
			continue;
		}
		c->err = errno;
		r = errno == EPIPE || errno == ECONNRESET ? CONN_CLOSED :
		    CONN_ERROR;
		break;
	}
	free(msg);
	return r;
}

enum conn_result
conn_read_line(struct conn *c, uint64_t timeout_ms, volatile const int *stop,
    char **line, size_t *len)
{
	uint64_t deadline = timeout_ms != 0 ? conn_now_ms() + timeout_ms : 0;
	enum conn_result r;
	char *nl;
	ssize_t n;

	/* The line handed out last goes now. */
	memmove(c->buf, c->buf + c->taken, c->len - c->taken);
	c->len -= c->taken;
	c->taken = 0;
	for (;;) {
		if ((nl = memchr(c->buf, '\n', c->len)) != NULL) {
			*nl = '\0';
			*line = c->buf;
			*len = (size_t)(nl - c->buf);
			c->taken = *len + 1;
			return CONN_OK;
		}
		if (c->len >= CONN_REPLY_MAX)
			return CONN_TOO_LONG;
		n = read(c->fd, c->buf + c->len, CONN_REPLY_MAX - c->len);
		if (n > 0) {
			c->len += (size_t)n;
			continue;
		}
		if (n == 0)
			return CONN_CLOSED;
		if (errno == EINTR && stop != NULL && *stop)
			return CONN_INTERRUPTED;
		if (errno != EAGAIN && errno != EINTR) {
			c->err = errno;
			return errno == ECONNRESET ? CONN_CLOSED : CONN_ERROR;
		}
		if ((r = wait_for(c, POLLIN, deadline, stop)) != CONN_OK)
			return r;
	}
}
