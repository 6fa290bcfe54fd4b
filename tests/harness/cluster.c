/*
 * cluster: see cluster.h. Processes are started with fork+exec, readiness
 * comes as a datagram on the harness's notify socket, observation comes
 * through WATCH streams read with poll(): every wait is on an event with a
 * generous bound, never a fixed sleep.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cluster.h"
#include "logfmt.h"

#define CLUSTER_PATH_MAX 256

struct cluster_node {
	char id[CLUSTER_ID_MAX + 1];
	char conf[CLUSTER_PATH_MAX];
	char sock[CLUSTER_PATH_MAX];
	char notify[CLUSTER_PATH_MAX];
	char log[CLUSTER_PATH_MAX];
	uint16_t election_port;
	int notify_fd;
	pid_t pid;
	bool stopped;
	int watch_fd;
	char buf[CLUSTER_LINE_MAX];
	size_t len;
	struct cluster_view view;
};

struct cluster {
	struct cluster_opts o;
	char dir[CLUSTER_PATH_MAX];
	char bin[PATH_MAX];
	struct cluster_node nodes[CLUSTER_NODES_MAX];
	unsigned max_unfenced;
	cluster_line_fn *on_line;
	void *on_line_arg;
};

void
cluster_on_line(struct cluster *c, cluster_line_fn *fn, void *arg)
{
	c->on_line = fn;
	c->on_line_arg = arg;
}

uint64_t
cluster_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

uint64_t
cluster_now_ms(void)
{
	return cluster_now_us() / 1000;
}

/* One ephemeral port from the kernel (bound, then released), or 0. */
static uint16_t
ephemeral_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	uint16_t port = 0;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin, &len) == 0)
		port = ntohs(sin.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/*
 * A released port can come back from the kernel at once: a cluster once
 * got one port for two members. Never hand out one of the last
 * CLUSTER_PORTS_RECENT ports again.
 */
uint16_t
cluster_free_port(void)
{
	static uint16_t recent[CLUSTER_PORTS_RECENT];
	static size_t next;

	for (int tries = 0; tries < CLUSTER_PORT_TRIES; tries++) {
		uint16_t port = ephemeral_port();
		bool seen = false;

		for (size_t i = 0; i < CLUSTER_PORTS_RECENT && port != 0; i++)
			seen = seen || recent[i] == port;
		if (port == 0 || seen)
			continue;
		recent[next++ % CLUSTER_PORTS_RECENT] = port;
		return port;
	}
	return 0;
}

void
cluster_build_binary(const char *env, const char *name, char *out,
    size_t cap)
{
	const char *path = getenv(env);
	char self[PATH_MAX];
	ssize_t n;
	char *slash;

	if (path != NULL) {
		snprintf(out, cap, "%s", path);
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';
	for (int i = 0; i < 2; i++)
		if ((slash = strrchr(self, '/')) != NULL)
			*slash = '\0';
	snprintf(out, cap, "%s/%s", self, name);
}

static int
write_configs(struct cluster *c)
{
	uint16_t eport[CLUSTER_NODES_MAX], cport[CLUSTER_NODES_MAX];
	const struct cluster_opts *o = &c->o;

	for (size_t i = 0; i < o->n; i++) {
		eport[i] = cluster_free_port();
		cport[i] = o->client_port[i] != 0 ? o->client_port[i] :
		    (uint16_t)(20000 + i);
		c->nodes[i].election_port = eport[i];
		if (eport[i] == 0)
			return -1;
	}
	for (size_t i = 0; i < o->n; i++) {
		struct cluster_node *nd = &c->nodes[i];
		FILE *f = fopen(nd->conf, "w");

		if (f == NULL)
			return -1;
		fprintf(f, "node_id = \"%s\";\nmembers = (\n", nd->id);
		for (size_t j = 0; j < o->n; j++) {
			fprintf(f, "  { id = \"%s\"; election = \"127.0.0.1:%u\"; "
			    "client = \"127.0.0.1:%u\"; never_stand = %s; ",
			    c->nodes[j].id, eport[j], cport[j],
			    o->never_stand[j] ? "true" : "false");
			if (o->priority[j] != 0)
				fprintf(f, "priority = %u; ", o->priority[j]);
			fprintf(f, "}%s\n", j + 1 < o->n ? "," : "");
		}
		fprintf(f, ");\nstate_dir = \"%s/%s.state\";\n"
		    "control = { path = \"%s\"; mode = \"0600\"; %s };\n"
		    "hb_interval_ms = %llu;\ndown_after_ms = %llu;\n"
		    "election_timeout_ms = %llu;\nelection_backoff_ms = %llu;\n"
		    "election_backoff_jitter_ms = %llu;\nlog_level = \"%s\";\n",
		    c->dir, nd->id, nd->sock,
		    o->control_extra != NULL ? o->control_extra : "",
		    (unsigned long long)o->hb_interval_ms,
		    (unsigned long long)o->down_after_ms,
		    (unsigned long long)o->election_timeout_ms,
		    (unsigned long long)o->backoff_ms,
		    (unsigned long long)o->backoff_jitter_ms,
		    o->log_level ? o->log_level : "info");
		if (o->extra_conf[i] != NULL) {
			const char *x = o->extra_conf[i], *pct;

			/* "%u": the node number, for per-node paths and ports. */
			while ((pct = strstr(x, "%u")) != NULL) {
				fwrite(x, 1, (size_t)(pct - x), f);
				fprintf(f, "%zu", i + 1);
				x = pct + 2;
			}
			fprintf(f, "%s\n", x);
		}
		if (fclose(f) != 0)
			return -1;
	}
	return 0;
}

struct cluster *
cluster_new(const struct cluster_opts *o)
{
	struct cluster *c;

	if (o->n == 0 || o->n > CLUSTER_NODES_MAX ||
	    (c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->o = *o;
	if (c->o.hb_interval_ms == 0) {
		c->o.hb_interval_ms = 50;
		c->o.down_after_ms = 500;
		c->o.election_timeout_ms = 300;
		c->o.backoff_ms = 100;
		c->o.backoff_jitter_ms = 400;
	}
	snprintf(c->dir, sizeof(c->dir), "/tmp/kevy-cluster.XXXXXX");
	if (mkdtemp(c->dir) == NULL) {
		free(c);
		return NULL;
	}
	cluster_build_binary("KEVY_ELECTD_BIN", "kevy-electd", c->bin,
	    sizeof(c->bin));
	for (size_t i = 0; i < o->n; i++) {
		struct cluster_node *nd = &c->nodes[i];

		snprintf(nd->id, sizeof(nd->id), "n%zu", i + 1);
		snprintf(nd->conf, sizeof(nd->conf), "%s/%s.conf", c->dir, nd->id);
		snprintf(nd->sock, sizeof(nd->sock), "%s/%s.sock", c->dir, nd->id);
		snprintf(nd->notify, sizeof(nd->notify), "%s/%s.notify", c->dir,
		    nd->id);
		snprintf(nd->log, sizeof(nd->log), "%s/%s.log", c->dir, nd->id);
		nd->notify_fd = nd->watch_fd = -1;
	}
	if (write_configs(c) == -1) {
		cluster_free(c);
		return NULL;
	}
	return c;
}

static void
close_watch(struct cluster_node *nd)
{
	if (nd->watch_fd >= 0)
		close(nd->watch_fd);
	nd->watch_fd = -1;
	nd->len = 0;
	memset(&nd->view, 0, sizeof(nd->view));
}

/*
 * KEVY_LOGFMT_CHECK set and not "0" (the Check runner sets it): every
 * line each node wrote must be a log line of the documented format. The
 * first that is not is printed; false then.
 */
static bool
logs_are_logfmt(const struct cluster *c)
{
	const char *on = getenv("KEVY_LOGFMT_CHECK");
	char err[CLUSTER_PATH_MAX + 2 * LOGFMT_ERR_MAX + 512];
	size_t lines;

	if (on == NULL || strcmp(on, "0") == 0)
		return true;
	for (size_t i = 0; i < c->o.n; i++) {
		/* A node never started has no log. */
		if (access(c->nodes[i].log, F_OK) == -1)
			continue;
		/* cluster_free SIGKILLs every node just before. */
		if (logfmt_check_file(c->nodes[i].log, true, &lines, err,
		    sizeof(err)) == -1) {
			fprintf(stderr, "cluster: not the documented log "
			    "format (docs/reference/monitoring.md): %s\n", err);
			return false;
		}
	}
	return true;
}

void
cluster_free(struct cluster *c)
{
	char cmd[CLUSTER_PATH_MAX + 16];
	bool logs_ok;

	if (c == NULL)
		return;
	for (size_t i = 0; i < c->o.n; i++) {
		cluster_kill(c, i);
		if (c->nodes[i].notify_fd >= 0)
			close(c->nodes[i].notify_fd);
	}
	logs_ok = logs_are_logfmt(c);
	/* Keep the logs of a failed run when asked to. */
	if (logs_ok && getenv("KEVY_KEEP_CLUSTER") == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", c->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cluster: could not remove %s\n", c->dir);
	} else
		fprintf(stderr, "cluster: kept %s\n", c->dir);
	free(c);
	/* The test fails (Check reports the early exit), its logs kept. */
	if (!logs_ok)
		exit(EXIT_FAILURE);
}

const char *cluster_dir(const struct cluster *c) { return c->dir; }
uint16_t cluster_election_port(const struct cluster *c, size_t i)
{
	return c->nodes[i].election_port;
}
const char *cluster_id(const struct cluster *c, size_t i) { return c->nodes[i].id; }
const char *cluster_config_path(const struct cluster *c, size_t i) { return c->nodes[i].conf; }
const char *cluster_socket_path(const struct cluster *c, size_t i) { return c->nodes[i].sock; }
const char *cluster_log_path(const struct cluster *c, size_t i) { return c->nodes[i].log; }
pid_t cluster_pid(const struct cluster *c, size_t i) { return c->nodes[i].pid; }
unsigned cluster_max_unfenced(const struct cluster *c) { return c->max_unfenced; }

const struct cluster_view *
cluster_view(const struct cluster *c, size_t i)
{
	return &c->nodes[i].view;
}

bool
cluster_running(const struct cluster *c, size_t i)
{
	return c->nodes[i].pid > 0 && !c->nodes[i].stopped;
}

static int
unix_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
notify_socket(struct cluster_node *nd)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	unlink(nd->notify);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", nd->notify);
	nd->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (nd->notify_fd == -1 ||
	    bind(nd->notify_fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		return -1;
	return 0;
}

/*
 * Await a datagram containing what on fd from the process *pid, or its
 * death (then *pid = 0); bounded by timeout_ms. 0 or -1. Shared with the
 * namespace lab (tests/harness/netns.c).
 */
int
cluster_await_datagram(int fd, pid_t *pid, const char *what,
    uint64_t timeout_ms)
{
	uint64_t end = cluster_now_us() + timeout_ms * 1000ULL;
	char msg[1024];

	while (cluster_now_us() < end) {
		struct pollfd p = { fd, POLLIN, 0 };
		int left = (int)((end - cluster_now_us()) / 1000);
		ssize_t n;

		/* A short slice only to notice a daemon that died early. */
		if (poll(&p, 1, left < 100 ? left : 100) > 0) {
			n = recv(fd, msg, sizeof(msg) - 1, 0);
			if (n > 0) {
				msg[n] = '\0';
				if (strstr(msg, what) != NULL)
					return 0;
			}
		}
		if (waitpid(*pid, NULL, WNOHANG) == *pid) {
			*pid = 0;
			return -1;
		}
	}
	return -1;
}

static int
await_notify(struct cluster_node *nd, const char *what)
{
	return cluster_await_datagram(nd->notify_fd, &nd->pid, what,
	    CLUSTER_START_MS);
}

int
cluster_start(struct cluster *c, size_t i)
{
	struct cluster_node *nd = &c->nodes[i];
	if (nd->notify_fd < 0 && notify_socket(nd) == -1)
		return -1;
	if ((nd->pid = fork()) == -1)
		return -1;
	if (nd->pid == 0) {
		int fd = open(nd->log, O_WRONLY | O_CREAT | O_APPEND, 0644);

		/*
		 * Each daemon's log in its own file, kept with
		 * KEVY_KEEP_CLUSTER; stdout too, so that a daemon left running
		 * (make demo KEEP=1) holds no pipe of its caller open.
		 */
		if (fd >= 0) {
			dup2(fd, STDERR_FILENO);
			dup2(fd, STDOUT_FILENO);
		}
		setenv("NOTIFY_SOCKET", nd->notify, 1);
		for (size_t k = 0; k < 4 && c->o.env[k] != NULL; k++)
			putenv((char *)(uintptr_t)c->o.env[k]);
		if (c->o.nofile[i] > 0) {
			struct rlimit rl = { c->o.nofile[i], c->o.nofile[i] };

			if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
				_exit(126);
		}
		execl(c->bin, c->bin, "-f", "-c", nd->conf, (char *)NULL);
		fprintf(stderr, "exec %s: %s\n", c->bin, strerror(errno));
		_exit(127);
	}
	nd->stopped = false;
	if (await_notify(nd, "READY=1") == -1)
		return -1;
	close_watch(nd);
	if ((nd->watch_fd = unix_connect(nd->sock)) == -1)
		return -1;
	if (write(nd->watch_fd, "WATCH\n", 6) != 6)
		return -1;
	return 0;
}

void
cluster_kill(struct cluster *c, size_t i)
{
	struct cluster_node *nd = &c->nodes[i];

	if (nd->pid > 0) {
		kill(nd->pid, SIGKILL);
		waitpid(nd->pid, NULL, 0);
	}
	nd->pid = 0;
	nd->stopped = false;
	close_watch(nd);
}

int
cluster_notify_next(struct cluster *c, size_t i, char *buf, size_t cap,
    uint64_t timeout_ms)
{
	struct pollfd p = { c->nodes[i].notify_fd, POLLIN, 0 };
	ssize_t n;

	if (cap == 0 || poll(&p, 1, (int)timeout_ms) != 1)
		return -1;
	if ((n = recv(p.fd, buf, cap - 1, 0)) < 0)
		return -1;
	buf[n] = '\0';
	return (int)n;
}

int
cluster_await_notify(struct cluster *c, size_t i, const char *what)
{
	return await_notify(&c->nodes[i], what);
}

int
cluster_signal(struct cluster *c, size_t i, int sig)
{
	return c->nodes[i].pid > 0 ? kill(c->nodes[i].pid, sig) : -1;
}

int
cluster_wait_exit(struct cluster *c, size_t i, uint64_t timeout_ms)
{
	struct cluster_node *nd = &c->nodes[i];
	int fd, status;
	struct pollfd p;

	if (nd->pid <= 0)
		return -1;
	/*
	 * A pidfd becomes readable when the process exits; where there is
	 * none (valgrind), the WATCH connection reaching EOF says the same.
	 */
	fd = (int)syscall(SYS_pidfd_open, nd->pid, 0);
	p.fd = fd >= 0 ? fd : nd->watch_fd;
	p.events = POLLIN;
	for (;;) {
		char buf[4096];

		if (poll(&p, 1, (int)timeout_ms) != 1) {
			if (fd >= 0)
				close(fd);
			return -1;
		}
		if (fd >= 0 || read(nd->watch_fd, buf, sizeof(buf)) <= 0)
			break;
	}
	if (fd >= 0)
		close(fd);
	if (waitpid(nd->pid, &status, 0) != nd->pid)
		return -1;
	nd->pid = 0;
	close_watch(nd);
	return status;
}

void
cluster_stop(struct cluster *c, size_t i)
{
	if (c->nodes[i].pid > 0 && kill(c->nodes[i].pid, SIGSTOP) == 0)
		c->nodes[i].stopped = true;
}

void
cluster_cont(struct cluster *c, size_t i)
{
	/* What it said before it stopped is stale until it speaks again. */
	if (c->nodes[i].pid > 0 && kill(c->nodes[i].pid, SIGCONT) == 0) {
		c->nodes[i].stopped = false;
		c->nodes[i].view.seen = false;
	}
}

int
cluster_request(struct cluster *c, size_t i, const char *line, char *reply,
    size_t cap)
{
	return cluster_request_at(c->nodes[i].sock, line, reply, cap);
}

int
cluster_request_at(const char *sock, const char *line, char *reply,
    size_t cap)
{
	uint64_t end = cluster_now_us() + CLUSTER_START_MS * 1000ULL;
	size_t len = 0, ll = strlen(line);
	int fd;

	if ((fd = unix_connect(sock)) == -1)
		return -1;
	/*
	 * The daemon may answer and close before taking all of a hostile
	 * line: a failed write still leaves its reply to read.
	 */
	if (send(fd, line, ll, MSG_NOSIGNAL) == (ssize_t)ll)
		(void)send(fd, "\n", 1, MSG_NOSIGNAL);
	while (len + 1 < cap && cluster_now_us() < end) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;

		if (poll(&p, 1, (int)((end - cluster_now_us()) / 1000)) <= 0)
			break;
		if ((n = read(fd, reply + len, cap - 1 - len)) <= 0)
			break;
		len += (size_t)n;
		if (memchr(reply, '\n', len) != NULL)
			break;
	}
	close(fd);
	reply[len] = '\0';
	if (len == 0 || reply[len - 1] != '\n')
		return -1;
	reply[len - 1] = '\0';
	return 0;
}

void
cluster_field(const char *line, const char *key, char *out, size_t cap)
{
	size_t kl = strlen(key);
	const char *p = line;

	out[0] = '\0';
	while ((p = strstr(p, key)) != NULL) {
		if ((p == line || p[-1] == ' ') && p[kl] == '=') {
			size_t n = strcspn(p + kl + 1, " \r\n");

			if (n >= cap)
				n = cap - 1;
			memcpy(out, p + kl + 1, n);
			out[n] = '\0';
			return;
		}
		p += kl;
	}
}

static void
check_safety(struct cluster *c)
{
	unsigned unfenced = 0;

	for (size_t i = 0; i < c->o.n; i++) {
		const struct cluster_view *v = &c->nodes[i].view;

		if (cluster_running(c, i) && v->seen &&
		    strcmp(v->role, "primary") == 0 && !v->fenced)
			unfenced++;
	}
	if (unfenced > c->max_unfenced)
		c->max_unfenced = unfenced;
}

static void
parse_line(struct cluster *c, struct cluster_node *nd, const char *line)
{
	struct cluster_view *v = &nd->view;
	char tmp[32];

	cluster_field(line, "role", v->role, sizeof(v->role));
	cluster_field(line, "epoch", tmp, sizeof(tmp));
	v->epoch = strtoull(tmp, NULL, 10);
	cluster_field(line, "primary", v->primary, sizeof(v->primary));
	cluster_field(line, "quorum", tmp, sizeof(tmp));
	v->quorum = strcmp(tmp, "yes") == 0;
	cluster_field(line, "fenced", tmp, sizeof(tmp));
	v->fenced = strcmp(tmp, "yes") == 0;
	cluster_field(line, "offset", tmp, sizeof(tmp));
	v->offset = strtoull(tmp, NULL, 10);
	cluster_field(line, "down", v->down, sizeof(v->down));
	v->at_us = cluster_now_us();
	v->seen = true;
	if (getenv("KEVY_CLUSTER_VERBOSE") != NULL)
		fprintf(stderr, "%s: %s\n", nd->id, line);
	if (c->on_line != NULL)
		c->on_line(c, (size_t)(nd - c->nodes), line, c->on_line_arg);
	check_safety(c);
}

/* Read what node nd has sent; parse whole lines. */
static void
read_watch(struct cluster *c, struct cluster_node *nd)
{
	ssize_t n = read(nd->watch_fd, nd->buf + nd->len,
	    sizeof(nd->buf) - 1 - nd->len);
	char *nl;

	if (n <= 0) {
		close_watch(nd);
		return;
	}
	nd->len += (size_t)n;
	nd->buf[nd->len] = '\0';
	while ((nl = memchr(nd->buf, '\n', nd->len)) != NULL) {
		*nl = '\0';
		parse_line(c, nd, nd->buf);
		nd->len -= (size_t)(nl + 1 - nd->buf);
		memmove(nd->buf, nl + 1, nd->len);
	}
	if (nd->len == sizeof(nd->buf) - 1)
		nd->len = 0;	/* an absurd line: drop it */
}

bool
cluster_wait(struct cluster *c, cluster_pred_fn *pred, void *arg,
    uint64_t timeout_ms)
{
	uint64_t end = cluster_now_us() + timeout_ms * 1000;

	for (;;) {
		struct pollfd p[CLUSTER_NODES_MAX];
		size_t map[CLUSTER_NODES_MAX], np = 0;
		uint64_t now;

		if (pred(c, arg))
			return true;
		if ((now = cluster_now_us()) >= end)
			return false;
		for (size_t i = 0; i < c->o.n; i++)
			if (c->nodes[i].watch_fd >= 0) {
				p[np].fd = c->nodes[i].watch_fd;
				p[np].events = POLLIN;
				map[np++] = i;
			}
		if (poll(p, np, (int)((end - now + 999) / 1000)) <= 0)
			continue;
		for (size_t k = 0; k < np; k++)
			if (p[k].revents & (POLLIN | POLLHUP | POLLERR))
				read_watch(c, &c->nodes[map[k]]);
	}
}

int
cluster_primary(struct cluster *c)
{
	const char *agreed = NULL;

	for (size_t i = 0; i < c->o.n; i++) {
		const struct cluster_view *v = &c->nodes[i].view;

		if (!cluster_running(c, i))
			continue;
		if (!v->seen || strcmp(v->primary, "none") == 0)
			return -1;
		if (agreed == NULL)
			agreed = v->primary;
		else if (strcmp(agreed, v->primary) != 0)
			return -1;
	}
	if (agreed == NULL)
		return -1;
	for (size_t i = 0; i < c->o.n; i++) {
		const struct cluster_view *v = &c->nodes[i].view;

		if (strcmp(c->nodes[i].id, agreed) == 0)
			return cluster_running(c, i) &&
			    strcmp(v->role, "primary") == 0 && !v->fenced ?
			    (int)i : -1;
	}
	return -1;
}

bool
cluster_agreed_other(struct cluster *c, void *arg)
{
	int old = *(const int *)arg;
	const char *id = NULL;

	for (size_t i = 0; i < c->o.n; i++) {
		const struct cluster_view *v = &c->nodes[i].view;

		if (!cluster_running(c, i))
			continue;
		if (!v->seen || strcmp(v->primary, "none") == 0 ||
		    strcmp(v->primary, c->nodes[old].id) == 0)
			return false;
		if (id != NULL && strcmp(id, v->primary) != 0)
			return false;
		id = v->primary;
	}
	return id != NULL;
}

bool
cluster_agreed(struct cluster *c, void *arg)
{
	(void)arg;
	return cluster_primary(c) >= 0;
}

bool
cluster_settled(struct cluster *c, void *arg)
{
	(void)arg;
	if (!cluster_agreed(c, NULL))
		return false;
	for (size_t i = 0; i < c->o.n; i++)
		if (cluster_running(c, i) &&
		    strcmp(c->nodes[i].view.down, "none") != 0)
			return false;
	return true;
}

bool
cluster_disturbed(struct cluster *c, void *arg)
{
	const struct cluster_steady *s = arg;
	const char *id = c->nodes[s->primary].id;

	for (size_t i = 0; i < c->o.n; i++) {
		const struct cluster_view *v = &c->nodes[i].view;

		if (!cluster_running(c, i))
			continue;
		if (v->epoch != s->epoch || strcmp(v->down, "none") != 0 ||
		    strcmp(v->primary, id) != 0)
			return true;
	}
	return false;
}

/* The local servers of the ALIVE tests, played by the test. */
bool
cluster_serve_until(struct cluster *c, int skip, cluster_pred_fn *pred, void *arg,
    uint64_t timeout_ms)
{
	uint64_t end = cluster_now_us() + timeout_ms * 1000;
	char reply[64];

	while (cluster_now_us() < end) {
		for (size_t i = 0; i < 3; i++)
			if ((int)i != skip && cluster_running(c, i))
				(void)cluster_request(c, i, "ALIVE", reply,
				    sizeof(reply));
		/* Pushes every 100 ms against a 400 ms timeout. */
		if (cluster_wait(c, pred, arg, 100))
			return true;
	}
	return false;
}
