/*
 * redis: redis-server processes and a blocking client (redis.h). The
 * replies are parsed with lib/resp, the daemon's own parser.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cluster.h"
#include "redis.h"
#include "resp.h"

#define REDIS_BIN       "redis-server"
#define REDIS_POLL_MS   20      /* between PINGs while a server starts */
#define REDIS_ARGS_MAX  32      /* words on a redis-server command line */

bool
redis_available(void)
{
	return system(REDIS_BIN " --version > /dev/null 2>&1") == 0;
}

pid_t
redis_start(uint16_t port, const char *dir)
{
	return redis_start_with(port, dir, NULL);
}

pid_t
redis_start_with(uint16_t port, const char *dir, const char *const *extra)
{
	char p[8], log[512], pong[64];
	const char *argv[REDIS_ARGS_MAX] = { REDIS_BIN, "--port", p, "--bind",
	    "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir,
	    "--daemonize", "no", "--repl-diskless-sync-delay", "0" };
	size_t argc = 15;
	uint64_t end;
	pid_t pid;

	for (size_t i = 0; extra != NULL && extra[i] != NULL; i++)
		if (argc + 1 < REDIS_ARGS_MAX)
			argv[argc++] = extra[i];
	argv[argc] = NULL;
	snprintf(p, sizeof(p), "%u", (unsigned)port);
	snprintf(log, sizeof(log), "%s/redis-%u.log", dir, (unsigned)port);
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		execvp(REDIS_BIN, (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	end = cluster_now_us() + (uint64_t)REDIS_START_MS * 1000;
	while (cluster_now_us() < end) {
		static const char *const ping[] = { "PING", NULL };

		/* A server with a password answers, refusing: it is up. */
		if (redis_cmd(port, pong, sizeof(pong), REDIS_POLL_MS,
		    ping) == 0 && (strcmp(pong, "PONG") == 0 ||
		    strncmp(pong, "-NOAUTH", 7) == 0))
			return pid;
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return -1;
		poll(NULL, 0, REDIS_POLL_MS);
	}
	redis_kill(pid);
	return -1;
}

void
redis_kill(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

int
redis_send(uint16_t port, const char *const *argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	uint8_t buf[REDIS_REPLY_MAX];
	size_t argc = 0, len;
	int fd;

	while (argv[argc] != NULL)
		argc++;
	if ((len = resp_encode_command(buf, sizeof(buf), argc, argv)) == 0 ||
	    (fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    send(fd, buf, len, MSG_NOSIGNAL) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	return fd;
}

int
redis_cmd(uint16_t port, char *out, size_t cap, uint64_t timeout_ms,
    const char *const *argv)
{
	static struct resp_reply r;
	uint8_t buf[REDIS_REPLY_MAX];
	size_t have = 0, used;
	uint64_t end = cluster_now_us() + timeout_ms * 1000;
	int fd, rc = -1;

	out[0] = '\0';
	if ((fd = redis_send(port, argv)) == -1)
		return -1;
	while (cluster_now_us() < end && have < sizeof(buf)) {
		struct pollfd pf = { fd, POLLIN, 0 };
		const struct resp_elem *e;
		ssize_t n;

		if (poll(&pf, 1, (int)((end - cluster_now_us()) / 1000) + 1) <= 0)
			continue;
		if ((n = read(fd, buf + have, sizeof(buf) - have)) <= 0)
			break;
		have += (size_t)n;
		if (resp_parse(buf, have, &r, &used) != RESP_OK)
			continue;
		e = resp_root(&r);
		if (e->type == RESP_TYPE_INTEGER)
			snprintf(out, cap, "%lld", (long long)e->integer);
		else
			snprintf(out, cap, "%s%.*s", e->type == RESP_TYPE_ERROR ?
			    "-" : "", (int)e->len, e->str != NULL ?
			    (const char *)e->str : "");
		rc = 0;
		break;
	}
	close(fd);
	return rc;
}

void
redis_info(uint16_t port, const char *field, char *out, size_t cap)
{
	static const char *const argv[] = { "INFO", "replication", NULL };
	static char text[REDIS_REPLY_MAX];
	char want[64];
	const char *p;
	size_t n;

	out[0] = '\0';
	if (redis_cmd(port, text, sizeof(text), 1000, argv) == -1)
		return;
	snprintf(want, sizeof(want), "%s:", field);
	for (p = text; (p = strstr(p, want)) != NULL; p++)
		if (p == text || p[-1] == '\n') {
			p += strlen(want);
			n = strcspn(p, "\r\n");
			snprintf(out, cap, "%.*s", (int)(n < cap ? n : cap - 1),
			    p);
			return;
		}
}
