/*
 * redis: redis-server processes and a blocking client (redis.h). The
 * replies are parsed with lib/resp, INFO with lib/info: the daemon's own
 * parsers.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cluster.h"
#include "info.h"
#include "num.h"
#include "redis.h"

#define REDIS_BIN       "redis-server"
#define REDIS_POLL_MS   20      /* between PINGs while a server starts */
#define REDIS_ARGS_MAX  32      /* words on a redis-server command line */
#define REDIS_INFO_MS   1000    /* bound on one INFO replication */

bool
redis_available(void)
{
	return system(REDIS_BIN " --version > /dev/null 2>&1") == 0;
}

struct redis_addr
redis_loopback(uint16_t port)
{
	struct redis_addr a = { .host = "127.0.0.1", .port = port,
	    .nsfd = -1 };

	return a;
}

static uint64_t
left_ms(uint64_t end_us)
{
	uint64_t now = cluster_now_us();

	return now >= end_us ? 0 : (end_us - now + 999) / 1000;
}

/*
 * A TCP socket in namespace nsfd: this thread enters it for the socket()
 * call only (a socket stays in the namespace it was made in).
 */
static int
socket_in(int nsfd)
{
	int self, fd, err;

	if (nsfd < 0)
		return socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, 0);
	if ((self = open("/proc/thread-self/ns/net", O_RDONLY |
	    O_CLOEXEC)) == -1)
		return -1;
	if (setns(nsfd, CLONE_NEWNET) == -1) {
		err = errno;
		close(self);
		errno = err;
		return -1;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	err = errno;
	/* Left in the wrong namespace, every later step would lie. */
	if (setns(self, CLONE_NEWNET) == -1) {
		perror("redis: setns back");
		abort();
	}
	close(self);
	errno = err;
	return fd;
}

int
redis_dial(const struct redis_addr *a, uint64_t timeout_ms)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct pollfd pf;
	int fd, err = 0;
	socklen_t len = sizeof(err);

	if (inet_pton(AF_INET, a->host, &sin.sin_addr) != 1)
		return -1;
	sin.sin_port = htons(a->port);
	if ((fd = socket_in(a->nsfd)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0)
		return fd;
	pf.fd = fd;
	pf.events = POLLOUT;
	if (errno != EINPROGRESS || poll(&pf, 1, (int)timeout_ms) != 1 ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1 ||
	    err != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
send_all(int fd, const uint8_t *p, size_t len, uint64_t end_us)
{
	while (len > 0) {
		struct pollfd pf = { fd, POLLOUT, 0 };
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n == -1 && errno != EAGAIN && errno != EINTR)
			return -1;
		if (left_ms(end_us) == 0 ||
		    poll(&pf, 1, (int)left_ms(end_us)) == -1)
			return -1;
	}
	return 0;
}

int
redis_call(int fd, const char *const *argv, struct redis_reply *out,
    uint64_t timeout_ms)
{
	uint64_t end = cluster_now_us() + timeout_ms * 1000;
	size_t argc = 0, len, have = 0, used;

	while (argv[argc] != NULL)
		argc++;
	/* The command goes out of the buffer its reply then fills. */
	len = resp_encode_command(out->buf, sizeof(out->buf), argc, argv);
	if (len == 0 || send_all(fd, out->buf, len, end) == -1)
		return -1;
	while (have < sizeof(out->buf)) {
		struct pollfd pf = { fd, POLLIN, 0 };
		enum resp_status st;
		ssize_t n;

		if (left_ms(end) == 0)
			return -1;
		if (poll(&pf, 1, (int)left_ms(end)) <= 0)
			continue;
		n = read(fd, out->buf + have, sizeof(out->buf) - have);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			return -1;
		have += (size_t)n;
		if ((st = resp_parse(out->buf, have, &out->r, &used)) !=
		    RESP_NEED_MORE)
			return st == RESP_OK ? 0 : -1;
	}
	return -1;
}

int
redis_ask(const struct redis_addr *a, const char *const *argv,
    struct redis_reply *out, uint64_t timeout_ms)
{
	int fd = redis_dial(a, timeout_ms), rc;

	if (fd == -1)
		return -1;
	rc = redis_call(fd, argv, out, timeout_ms);
	close(fd);
	return rc;
}

pid_t
redis_spawn(int nsfd, const char *const *argv, const char *log,
    const struct redis_addr *a)
{
	static const char *const ping[] = { "PING", NULL };
	struct redis_reply *r;
	uint64_t end;
	pid_t pid;

	if ((r = malloc(sizeof(*r))) == NULL)
		return -1;
	if ((pid = fork()) == -1) {
		free(r);
		return -1;
	}
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);

		/* It dies with the test or bench, even one that crashes. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (nsfd >= 0 && setns(nsfd, CLONE_NEWNET) == -1)
			_exit(126);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		execvp(argv[0], (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	end = cluster_now_us() + (uint64_t)REDIS_START_MS * 1000;
	while (cluster_now_us() < end) {
		/* A server with a password answers, refusing: it is up. */
		if (redis_ask(a, ping, r, REDIS_POLL_MS * 5) == 0 &&
		    (resp_is_status(&r->r, "PONG") ||
		    resp_error_is(&r->r, "NOAUTH"))) {
			free(r);
			return pid;
		}
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			free(r);
			return -1;
		}
		poll(NULL, 0, REDIS_POLL_MS);
	}
	free(r);
	redis_kill(pid);
	return -1;
}

pid_t
redis_start(uint16_t port, const char *dir)
{
	return redis_start_with(port, dir, NULL);
}

pid_t
redis_start_with(uint16_t port, const char *dir, const char *const *extra)
{
	struct redis_addr a = redis_loopback(port);

	return redis_start_at(&a, dir, extra);
}

pid_t
redis_start_at(const struct redis_addr *a, const char *dir,
    const char *const *extra)
{
	char p[8], log[512];
	/*
	 * Protected mode refuses every client but loopback's while there is
	 * no password: a namespace's address is reachable only inside the
	 * lab anyway.
	 */
	const char *argv[REDIS_ARGS_MAX] = { REDIS_BIN, "--port", p, "--bind",
	    a->host, "--save", "", "--appendonly", "no", "--dir", dir,
	    "--daemonize", "no", "--repl-diskless-sync-delay", "0",
	    "--protected-mode", "no" };
	size_t argc = 17;

	for (size_t i = 0; extra != NULL && extra[i] != NULL; i++)
		if (argc + 1 < REDIS_ARGS_MAX)
			argv[argc++] = extra[i];
	argv[argc] = NULL;
	snprintf(p, sizeof(p), "%u", (unsigned)a->port);
	snprintf(log, sizeof(log), "%s/redis-%u.log", dir, (unsigned)a->port);
	return redis_spawn(a->nsfd, argv, log, a);
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
	struct redis_addr a = redis_loopback(port);
	uint8_t buf[REDIS_REPLY_MAX];
	size_t argc = 0, len;
	int fd;

	while (argv[argc] != NULL)
		argc++;
	if ((len = resp_encode_command(buf, sizeof(buf), argc, argv)) == 0 ||
	    (fd = redis_dial(&a, REDIS_START_MS)) == -1)
		return -1;
	if (send_all(fd, buf, len, cluster_now_us() +
	    (uint64_t)REDIS_START_MS * 1000) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

int
redis_cmd(uint16_t port, char *out, size_t cap, uint64_t timeout_ms,
    const char *const *argv)
{
	static struct redis_reply r;
	struct redis_addr a = redis_loopback(port);
	const struct resp_elem *e;

	out[0] = '\0';
	if (redis_ask(&a, argv, &r, timeout_ms) == -1)
		return -1;
	e = resp_root(&r.r);
	if (e->type == RESP_TYPE_INTEGER)
		snprintf(out, cap, "%lld", (long long)e->integer);
	else
		snprintf(out, cap, "%s%.*s", e->type == RESP_TYPE_ERROR ?
		    "-" : "", (int)(e->len < REDIS_REPLY_MAX ? e->len :
		    REDIS_REPLY_MAX), e->str != NULL ? (const char *)e->str : "");
	return 0;
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
	if (redis_cmd(port, text, sizeof(text), REDIS_INFO_MS, argv) == -1)
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

uint16_t
redis_elem_port(const struct resp_elem *e)
{
	uint64_t v;

	if (e == NULL)
		return 0;
	if (e->type == RESP_TYPE_INTEGER)
		return e->integer > 0 && e->integer <= 65535 ?
		    (uint16_t)e->integer : 0;
	if ((e->type != RESP_TYPE_BULK && e->type != RESP_TYPE_SIMPLE) ||
	    num_parse_u64((const char *)e->str, e->len, &v) == -1 ||
	    v == 0 || v > 65535)
		return 0;
	return (uint16_t)v;
}

const struct resp_elem *
redis_kv(const struct resp_reply *r, const struct resp_elem *a,
    const char *key)
{
	const struct resp_elem *k, *v;

	for (size_t i = 0; (k = resp_child(r, a, i)) != NULL &&
	    (v = resp_child(r, a, i + 1)) != NULL; i += 2)
		if (resp_str_eq(k, key))
			return v;
	return NULL;
}

/* INFO replication of the server at a into *out; 0 or -1. */
static int
info_of(const struct redis_addr *a, struct redis_reply *scratch,
    struct info_replication *out)
{
	static const char *const argv[] = { "INFO", "replication", NULL };
	const struct resp_elem *e;
	char err[128];

	if (redis_ask(a, argv, scratch, REDIS_INFO_MS) == -1 ||
	    (e = resp_root(&scratch->r))->type != RESP_TYPE_BULK)
		return -1;
	return info_parse_replication((const char *)e->str, e->len, out, err,
	    sizeof(err));
}

bool
redis_follow(const struct redis_addr *servers, size_t n, size_t m,
    struct redis_reply *scratch)
{
	struct info_replication in;

	for (size_t i = 0; i < n; i++) {
		if (info_of(&servers[i], scratch, &in) == -1)
			return false;
		if (i == m ? in.role != INFO_ROLE_PRIMARY ||
		    in.connected_slaves != n - 1 :
		    in.role != INFO_ROLE_REPLICA ||
		    in.master_port != servers[m].port ||
		    strcmp(in.master_host, servers[m].host) != 0 ||
		    in.master_link != INFO_LINK_UP)
			return false;
	}
	return true;
}
