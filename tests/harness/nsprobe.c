/* nsprobe: see nsprobe.h. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "nsprobe.h"

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

int
nsprobe_socket(int nsfd)
{
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), fd = -1;

	if (self == -1)
		return -1;
	if (setns(nsfd, CLONE_NEWNET) == 0) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    0);
		if (setns(self, CLONE_NEWNET) == -1) {
			/* Stuck in a node's namespace: nothing else is right. */
			perror("nsprobe: setns back");
			_exit(2);
		}
	}
	close(self);
	return fd;
}

int
nsprobe_http_get(int nsfd, uint16_t port, const char *path, char *buf,
    size_t cap, uint64_t timeout_ms)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
	    .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	uint64_t end = now_us() + timeout_ms * 1000;
	int fd = nsprobe_socket(nsfd);
	char req[256];
	size_t len = 0, reqlen;
	bool sent = false;

	if (fd == -1 || cap == 0)
		return -1;
	reqlen = (size_t)snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\n\r\n",
	    path);
	if (reqlen >= sizeof(req) || (connect(fd, (struct sockaddr *)&a,
	    sizeof(a)) == -1 && errno != EINPROGRESS)) {
		close(fd);
		return -1;
	}
	for (;;) {
		struct pollfd p = { fd, sent ? POLLIN : POLLOUT, 0 };
		uint64_t now = now_us();
		ssize_t got;

		if (now >= end || poll(&p, 1, (int)((end - now + 999) / 1000)) <= 0)
			break;
		if (!sent) {
			/* A request this small goes out in one write or not. */
			if (write(fd, req, reqlen) != (ssize_t)reqlen)
				break;
			sent = true;
			continue;
		}
		got = read(fd, buf + len, cap - 1 - len);
		if (got <= 0 || (len += (size_t)got) + 1 >= cap)
			break;
	}
	close(fd);
	buf[len] = '\0';
	return len > 0 && strncmp(buf, "HTTP/1.", 7) == 0 ? 0 : -1;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

size_t
nsprobe_refused_rtt(int nsfd, const char *addr, uint16_t port, uint64_t *us,
    size_t want, uint64_t timeout_ms)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	size_t got = 0;

	if (inet_pton(AF_INET, addr, &a.sin_addr) != 1)
		return 0;
	while (got < want) {
		struct pollfd p;
		int fd = nsprobe_socket(nsfd), err = 0;
		socklen_t len = sizeof(err);
		uint64_t t0 = now_us();
		bool refused = false;

		if (fd == -1)
			break;
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == -1 &&
		    errno == EINPROGRESS) {
			p.fd = fd;
			p.events = POLLOUT;
			refused = poll(&p, 1, (int)timeout_ms) == 1 &&
			    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err,
			    &len) == 0 && err == ECONNREFUSED;
		}
		close(fd);
		if (!refused)
			break;
		us[got++] = now_us() - t0;
	}
	qsort(us, got, sizeof(*us), cmp_u64);
	return got;
}
