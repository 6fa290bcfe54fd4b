/*
 * rawpeer: hand-made peer connections for the hostile tests (rawpeer.h).
 * Check assertions inside: a helper that cannot do its job fails the test.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cluster.h"
#include "rawpeer.h"

#define RAWPEER_METRICS_MAX 65536 /* bytes of a /metrics answer kept */

int
rawpeer_connect(uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0)
		return fd;
	if (fd >= 0)
		close(fd);
	return -1;
}

bool
rawpeer_await_closed(int fd, int ms)
{
	uint64_t end = cluster_now_us() + (uint64_t)ms * 1000;
	char buf[4096];

	while (cluster_now_us() < end) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;

		if (poll(&p, 1, (int)((end - cluster_now_us()) / 1000) + 1) <= 0)
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
			return true;
	}
	return false;
}

bool
rawpeer_is_open(int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };
	char b;

	if (poll(&p, 1, 0) <= 0)
		return true;
	/* Readable: data (a challenge) is fine, EOF or an error is not. */
	return recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

size_t
rawpeer_resp(char *buf, size_t cap, size_t argc, const char *const *argv)
{
	size_t len = (size_t)snprintf(buf, cap, "*%zu\r\n", argc);

	for (size_t i = 0; i < argc; i++)
		len += (size_t)snprintf(buf + len, cap - len, "$%zu\r\n%s\r\n",
		    strlen(argv[i]), argv[i]);
	ck_assert_uint_lt(len, cap);
	return len;
}

size_t
rawpeer_hb(char *buf, size_t cap, const char *epoch, const char *id,
    const char *role)
{
	const char *v[] = { "HB", epoch, id, role, "0" };

	return rawpeer_resp(buf, cap, 5, v);
}

unsigned long long
rawpeer_metric(uint16_t port, const char *name)
{
	static char body[RAWPEER_METRICS_MAX];
	char want[256];
	const char *p;
	size_t len = 0;
	int fd = rawpeer_connect(port);

	ck_assert_int_ge(fd, 0);
	dprintf(fd, "GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n");
	while (len + 1 < sizeof(body)) {
		struct pollfd pf = { fd, POLLIN, 0 };
		ssize_t n;

		if (poll(&pf, 1, RAWPEER_WAIT_MS) <= 0 ||
		    (n = read(fd, body + len, sizeof(body) - 1 - len)) <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	body[len] = '\0';
	snprintf(want, sizeof(want), "\nkevy_electd_%s ", name);
	p = strstr(body, want);
	ck_assert_msg(p != NULL, "no %s in /metrics", name);
	return strtoull(p + strlen(want), NULL, 10);
}

#define RAWPEER_KEY "0123456789abcdef0123456789abcdef-kevy\n"

static char key_dir[64];

const char *
rawpeer_key_make(mode_t mode)
{
	static char conf[256];
	char path[128];
	int fd;

	snprintf(key_dir, sizeof(key_dir), "/tmp/kevy-key.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(key_dir));
	snprintf(path, sizeof(path), "%s/key", key_dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, RAWPEER_KEY, strlen(RAWPEER_KEY)),
	    (ssize_t)strlen(RAWPEER_KEY));
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
	snprintf(conf, sizeof(conf), "auth_key_file = \"%s\";\n", path);
	return conf;
}

void
rawpeer_key_remove(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/key", key_dir);
	unlink(path);
	rmdir(key_dir);
}
