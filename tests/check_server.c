/*
 * check_server: the server adapter on real redis-server processes (issue
 * 11). Three daemons at fast timings, each beside its own redis-server on
 * loopback; the members' client addresses are the servers' ports, so the
 * adapter points replicas at the elected primary's server. No OFFSET is
 * ever pushed: offsets come from INFO replication. The bad-input tests
 * give the first node a server that refuses its password, or a fake one
 * (a child process on its port) that misbehaves in one way after
 * another. Every wait is a bounded poll of what the daemons or the
 * servers answer.
 */
#define _GNU_SOURCE
#include <check.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cluster.h"
#include "redis.h"
#include "runner.h"

#define NODES       3
#define WAIT_MS     20000  /* bound on any one wait */
#define POLL_MS     20     /* between two looks at the servers */
#define FENCE_MS    3000   /* a cut-off primary's server refuses writes */
#define QUIET_MS    1000   /* 2 x down_after: peers would have noticed */
/*
 * The adapter's derived health timeout at these timings is 3 x poll =
 * 150 ms: a loaded 2-core machine starves a daemon that long (its log
 * says event=pause) and the good nodes would sit out for nothing. 400 ms
 * is still below down_after, so every health test keeps its meaning.
 */
#define HEALTH_CONF "local_health_timeout_ms = 400;\n"
#define FAR_KEYS    200    /* writes a stopped replica misses */
#define FAR_VALUE   1024   /* bytes in each */
#define FAKE_CONNS  16     /* connections a fake server holds at once */
#define PASSWORD    "secret"
/*
 * A replica whose link stays down is pointed again at the same master
 * with a doubling backoff (SERVER_REPOINT_BACKOFF_MIN_MS, then twice
 * that, ...): in this window after its first REPLICAOF, the first and two
 * more at the most (at 1 s and 3 s). Every two heartbeats, as before the
 * backoff, it was some 25.
 */
#define REPOINT_WINDOW_MS  4000
#define REPOINT_MAX        3
/*
 * A poll interval far longer than a loop iteration (below down_after 500
 * and the health timeout): whatever waits for the next poll is seen late.
 */
#define SLOW_POLL_OPTS     "poll_ms = 350; "
/*
 * How long a fenced master's server must keep a write waiting: several
 * pause renewals (every lease / 2 = 100 ms) and two polls.
 */
#define FENCE_HOLD_MS      1000

/*
 * The node with a bad server: the first (lowest id). In a fresh cluster
 * every offset is 0, so the others would defer to it on the tie-break
 * if the elector did not stop deferring to a tied peer that lets an
 * election timeout pass without standing (am_best in lib/elector.c).
 */
#define BAD_NODE    0

/* What BAD_NODE's server is, when it is not a real one. */
enum bad_server {
	BAD_NONE,         /* a real redis-server, as the others */
	BAD_PASSWORD,     /* redis-server --requirepass; the node has a wrong
	                     password_file */
	BAD_FAKE,         /* nothing yet: the test puts a fake on the port */
	NO_MASTERAUTH,    /* not just BAD_NODE's: every server wants
	                     PASSWORD, every node has it, no server has it
	                     as masterauth: replication links never come up */
};

struct fixture {
	struct cluster *c;
	uint16_t port[NODES];      /* each node's redis-server */
	pid_t redis[NODES];
	char extra[NODES][512];
	char dir[64];
	char password_file[128];   /* BAD_NODE's, with BAD_PASSWORD */
};

/*
 * Watch every WATCH line as it arrives (a transient state between two
 * waits is seen too) and keep the first that breaks a rule.
 */
struct watch_rules {
	bool never_primary[NODES];  /* these never say role=primary */
	bool quiet;                 /* nobody counts a peer down, one epoch */
	uint64_t epoch;             /* with quiet */
	bool replica[NODES];        /* with quiet: these stay replicas */
	char bad[CLUSTER_LINE_MAX]; /* the first line that broke one */
};

static void
watch_line(struct cluster *c, size_t i, const char *line, void *arg)
{
	struct watch_rules *w = arg;
	char role[16], down[256], epoch[32];

	(void)c;
	if (w->bad[0] != '\0' || i >= NODES)
		return;
	cluster_field(line, "role", role, sizeof(role));
	cluster_field(line, "down", down, sizeof(down));
	cluster_field(line, "epoch", epoch, sizeof(epoch));
	if ((w->never_primary[i] && strcmp(role, "primary") == 0) ||
	    (w->quiet && (strcmp(down, "none") != 0 ||
	    strtoull(epoch, NULL, 10) != w->epoch ||
	    (w->replica[i] && strcmp(role, "replica") != 0))))
		snprintf(w->bad, sizeof(w->bad), "n%zu: %s", i + 1, line);
}

static void
write_secret(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	ck_assert_msg(fd >= 0, "cannot create %s", path);
	/* 0600 whatever the umask: the daemon refuses a looser file. */
	ck_assert_int_eq(fchmod(fd, 0600), 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
	ck_assert_int_eq(close(fd), 0);
}

/* opts: more keys of every node's server group ("poll_ms = 350;"). */
static void
start_opts(struct fixture *fx, enum bad_server bad, const char *opts)
{
	struct cluster_opts o = { .n = NODES };

	if (!redis_available())
		ck_abort_msg("redis-server is not installed (make check "
		    "installs it: Debian package redis-server)");
	memset(fx, 0, sizeof(*fx));
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/kevy-redis.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fx->dir));
	for (size_t i = 0; i < NODES; i++) {
		fx->port[i] = cluster_free_port();
		ck_assert_uint_gt(fx->port[i], 0);
		o.client_port[i] = fx->port[i];
		o.extra_conf[i] = fx->extra[i];
		if (i == BAD_NODE && bad == BAD_FAKE) {
			snprintf(fx->extra[i], sizeof(fx->extra[i]), "server = "
			    "{ address = \"127.0.0.1:%u\"; };\n", fx->port[i]);
			continue;
		}
		if (bad == NO_MASTERAUTH || (i == BAD_NODE &&
		    bad == BAD_PASSWORD)) {
			snprintf(fx->password_file, sizeof(fx->password_file),
			    "%s/n%zu.pass", fx->dir, i + 1);
			write_secret(fx->password_file, bad == NO_MASTERAUTH ?
			    PASSWORD "\n" : "not-" PASSWORD "\n");
			fx->redis[i] = redis_start_with(fx->port[i], fx->dir,
			    (const char *const[]){ "--requirepass", PASSWORD,
			    NULL });
			snprintf(fx->extra[i], sizeof(fx->extra[i]), "server = "
			    "{ address = \"127.0.0.1:%u\"; password_file = "
			    "\"%s\"; %s};\n%s", fx->port[i], fx->password_file,
			    opts, bad == NO_MASTERAUTH ? HEALTH_CONF : "");
		} else {
			fx->redis[i] = redis_start(fx->port[i], fx->dir);
			snprintf(fx->extra[i], sizeof(fx->extra[i]), "server = "
			    "{ address = \"127.0.0.1:%u\"; %s};\n"
			    HEALTH_CONF, fx->port[i], opts);
		}
		ck_assert_msg(fx->redis[i] > 0, "redis-server on %u did not "
		    "start (log in %s)", fx->port[i], fx->dir);
	}
	fx->c = cluster_new(&o);
	ck_assert_ptr_nonnull(fx->c);
	for (size_t i = 0; i < NODES; i++)
		ck_assert_msg(cluster_start(fx->c, i) == 0, "node %zu did not "
		    "start (logs in %s)", i + 1, cluster_dir(fx->c));
}

static void
start_with(struct fixture *fx, enum bad_server bad)
{
	start_opts(fx, bad, "");
}

static void
start(struct fixture *fx)
{
	start_with(fx, BAD_NONE);
}

static void
stop(struct fixture *fx)
{
	char cmd[128];

	cluster_free(fx->c);
	for (size_t i = 0; i < NODES; i++)
		redis_kill(fx->redis[i]);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", fx->dir);
}

static bool
is_master(struct fixture *fx, size_t i)
{
	char role[32];

	redis_info(fx->port[i], "role", role, sizeof(role));
	return strcmp(role, "master") == 0;
}

/* Node i's server replicates from node p's, link up. */
static bool
replicates_from(struct fixture *fx, size_t i, size_t p)
{
	char port[16], link[16];

	redis_info(fx->port[i], "master_port", port, sizeof(port));
	redis_info(fx->port[i], "master_link_status", link, sizeof(link));
	return (unsigned)atoi(port) == fx->port[p] && strcmp(link, "up") == 0;
}

/* Exactly p's server is a master, and every other running one follows it. */
static bool
servers_follow(struct fixture *fx, size_t p, const bool *skip)
{
	for (size_t i = 0; i < NODES; i++) {
		if (skip != NULL && skip[i])
			continue;
		if (i == p ? !is_master(fx, i) : !replicates_from(fx, i, p))
			return false;
	}
	return true;
}

static void
await_servers(struct fixture *fx, size_t p, const bool *skip)
{
	uint64_t end = cluster_now_us() + (uint64_t)WAIT_MS * 1000;

	while (cluster_now_us() < end && !servers_follow(fx, p, skip))
		poll(NULL, 0, POLL_MS);
	ck_assert_msg(servers_follow(fx, p, skip), "servers do not follow "
	    "node %zu within %d ms (logs in %s)", p + 1, WAIT_MS,
	    cluster_dir(fx->c));
}

static int
await_primary(struct fixture *fx)
{
	ck_assert_msg(cluster_wait(fx->c, cluster_agreed, NULL, WAIT_MS),
	    "no agreed primary (logs in %s)", cluster_dir(fx->c));
	return cluster_primary(fx->c);
}

/* SET key value on node i's server: "OK" or the error text. */
static void
set_value(struct fixture *fx, size_t i, const char *key, const char *value,
    char *out, size_t cap)
{
	const char *argv[] = { "SET", key, value, NULL };

	if (redis_cmd(fx->port[i], out, cap, 1000, argv) == -1)
		snprintf(out, cap, "(no reply)");
}

static void
set_key(struct fixture *fx, size_t i, const char *key, char *out,
    size_t cap)
{
	set_value(fx, i, key, "v", out, cap);
}

/*
 * A master takes a write once a replica has acknowledged recently enough
 * for min-replicas-to-write: poll until it does.
 */
static void
await_set(struct fixture *fx, size_t i, const char *key, const char *value)
{
	uint64_t end = cluster_now_us() + (uint64_t)WAIT_MS * 1000;
	char reply[256];

	do {
		set_value(fx, i, key, value, reply, sizeof(reply));
		if (strcmp(reply, "OK") == 0)
			return;
		poll(NULL, 0, POLL_MS);
	} while (cluster_now_us() < end);
	ck_abort_msg("node %zu's server never took SET %s: %s (logs in %s)",
	    i + 1, key, reply, cluster_dir(fx->c));
}

static void
await_write_ok(struct fixture *fx, size_t i, const char *key)
{
	await_set(fx, i, key, "v");
}

/* The offset= of node i's STATUS. */
static unsigned long long
status_offset(struct fixture *fx, size_t i)
{
	char line[4096], v[32];

	if (cluster_request(fx->c, i, "STATUS", line, sizeof(line)) != 0)
		return 0;
	cluster_field(line, "offset", v, sizeof(v));
	return strtoull(v, NULL, 10);
}

/* The value of key in node i's STATUS ("" when it does not answer). */
static void
status_field(struct fixture *fx, size_t i, const char *key, char *out,
    size_t cap)
{
	char line[4096];

	out[0] = '\0';
	if (cluster_request(fx->c, i, "STATUS", line, sizeof(line)) == 0)
		cluster_field(line, key, out, cap);
}

/* GET key on node i's server: the value, "" for none, or the error. */
static void
get_key(struct fixture *fx, size_t i, const char *key, char *out,
    size_t cap)
{
	const char *argv[] = { "GET", key, NULL };

	if (redis_cmd(fx->port[i], out, cap, 1000, argv) == -1)
		snprintf(out, cap, "(no reply)");
}

/* Poll GET key on node i's server until it answers want. */
static void
await_value(struct fixture *fx, size_t i, const char *key, const char *want)
{
	uint64_t end = cluster_now_us() + (uint64_t)WAIT_MS * 1000;
	static char got[REDIS_REPLY_MAX];

	do {
		get_key(fx, i, key, got, sizeof(got));
		if (strcmp(got, want) == 0)
			return;
		poll(NULL, 0, POLL_MS);
	} while (cluster_now_us() < end);
	ck_abort_msg("node %zu's server never had %s (GET: %.60s) (logs in %s)",
	    i + 1, key, got, cluster_dir(fx->c));
}

/* The local address of node i's server's link to its master, or "". */
static void
master_link(struct fixture *fx, size_t i, char *out, size_t cap)
{
	static const char *const argv[] = { "CLIENT", "LIST", "TYPE",
	    "master", NULL };
	static char list[REDIS_REPLY_MAX];
	const char *p;

	out[0] = '\0';
	if (redis_cmd(fx->port[i], list, sizeof(list), 1000, argv) == -1 ||
	    (p = strstr(list, " laddr=")) == NULL)
		return;
	p += strlen(" laddr=");
	snprintf(out, cap, "%.*s", (int)strcspn(p, " \r\n"), p);
}

#define LOG_ANY_MAX 3      /* texts log_count looks for at once */

/* Lines of node i's log that contain any of what (NULL-terminated). */
static unsigned
log_count_any(struct fixture *fx, size_t i, const char *const *what)
{
	FILE *f = fopen(cluster_log_path(fx->c, i), "r");
	char line[4096];
	unsigned n = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		bool hit = false;

		for (size_t k = 0; k < LOG_ANY_MAX && what[k] != NULL; k++)
			hit = hit || strstr(line, what[k]) != NULL;
		n += hit;
	}
	fclose(f);
	return n;
}

/* Lines of node i's log that contain what, or or (when not NULL). */
static unsigned
log_count(struct fixture *fx, size_t i, const char *what, const char *or)
{
	return log_count_any(fx, i, (const char *const[]){ what, or, NULL });
}

/*
 * A fake server on 127.0.0.1:port, in a child process (the listening
 * socket is bound before the fork: it listens when this returns).
 */
enum fake_mode {
	FAKE_CLOSE,       /* accepts and closes every connection at once */
	FAKE_GARBAGE,     /* answers anything with a line that is not RESP */
	FAKE_ERROR,       /* answers every command with an error */
	FAKE_NONSENSE,    /* answers every command with a bulk "hello" */
	FAKE_HANG,        /* accepts, reads, never answers */
	FAKE_DEAF,        /* never accepts: its accept queue is full */
};

struct fake {
	int lfd;
	int plug;         /* FAKE_DEAF: the connection that fills the queue */
	pid_t pid;
};

static const char fake_garbage[] = "hello\r\n";
static const char fake_error[] = "-ERR unknown command\r\n";
static const char fake_nonsense[] = "$5\r\nhello\r\n";

/* One answer per command in buf (each starts a line with '*'). */
static void
fake_answer(int fd, const char *buf, size_t len, const char *answer)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i] == '*' && (i == 0 || (i >= 2 && buf[i - 1] == '\n' &&
		    buf[i - 2] == '\r')))
			(void)send(fd, answer, strlen(answer), MSG_NOSIGNAL);
}

static void
fake_serve(int lfd, enum fake_mode mode)
{
	struct pollfd pf[FAKE_CONNS + 1] = { { lfd, POLLIN, 0 } };
	size_t n = 1;
	char buf[4096];

	for (;;) {
		if (poll(pf, n, -1) <= 0)
			continue;
		/* Downwards: a connection moved into a slot was seen. */
		for (size_t k = n - 1; k >= 1; k--) {
			ssize_t r;

			if (pf[k].revents == 0)
				continue;
			if ((r = read(pf[k].fd, buf, sizeof(buf))) <= 0) {
				close(pf[k].fd);
				pf[k] = pf[--n];
			} else if (mode == FAKE_GARBAGE)
				(void)send(pf[k].fd, fake_garbage,
				    sizeof(fake_garbage) - 1, MSG_NOSIGNAL);
			else if (mode == FAKE_ERROR)
				fake_answer(pf[k].fd, buf, (size_t)r,
				    fake_error);
			else if (mode == FAKE_NONSENSE)
				fake_answer(pf[k].fd, buf, (size_t)r,
				    fake_nonsense);
		}
		if (pf[0].revents & POLLIN) {
			int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

			if (fd < 0)
				continue;
			if (mode == FAKE_CLOSE || n == FAKE_CONNS + 1) {
				close(fd);
				continue;
			}
			pf[n].fd = fd;
			pf[n].events = POLLIN;
			pf[n++].revents = 0;
		}
	}
}

/* What the log says of a poll that failed: an error, or not INFO. */
#define POLL_ERROR      "command=\"INFO replication\" error="
#define POLL_UNREADABLE "event=server_info_unreadable "

static void
fake_start(struct fake *fk, uint16_t port, enum fake_mode mode)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int one = 1;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	fk->plug = -1;
	fk->pid = 0;
	fk->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fk->lfd, 0);
	ck_assert_int_eq(setsockopt(fk->lfd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)), 0);
	ck_assert_msg(bind(fk->lfd, (struct sockaddr *)&sin, sizeof(sin)) == 0,
	    "cannot bind the fake server to %u", port);
	/*
	 * Deaf: a backlog of 0 queues one connection (Linux), the plug;
	 * every later SYN is dropped, so the daemon's connect hangs.
	 */
	ck_assert_int_eq(listen(fk->lfd, mode == FAKE_DEAF ? 0 : 16), 0);
	if (mode == FAKE_DEAF) {
		fk->plug = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, 0);
		ck_assert_int_ge(fk->plug, 0);
		(void)connect(fk->plug, (struct sockaddr *)&sin, sizeof(sin));
		return;
	}
	fk->pid = fork();
	ck_assert_int_ge(fk->pid, 0);
	if (fk->pid == 0) {
		fake_serve(fk->lfd, mode);
		_exit(0);
	}
}

static void
fake_stop(struct fake *fk)
{
	if (fk->pid > 0) {
		kill(fk->pid, SIGKILL);
		waitpid(fk->pid, NULL, 0);
	}
	if (fk->plug >= 0)
		close(fk->plug);
	close(fk->lfd);
	fk->pid = 0;
	fk->plug = fk->lfd = -1;
}

/*
 * The cluster settled on a primary other than BAD_NODE (which sits out):
 * from now on the rules say nobody counts a peer down, the epoch stays
 * and BAD_NODE stays a replica.
 */
static bool
settled_one_epoch(struct cluster *c, void *arg)
{
	int p;

	(void)arg;
	if (!cluster_settled(c, NULL) || (p = cluster_primary(c)) < 0)
		return false;
	/* A node left above the primary's epoch makes it stand again. */
	for (size_t i = 0; i < NODES; i++)
		if (cluster_running(c, i) && cluster_view(c, i)->epoch !=
		    cluster_view(c, (size_t)p)->epoch)
			return false;
	return true;
}

static void
quiet_rules(struct fixture *fx, struct watch_rules *w)
{
	int p;

	memset(w, 0, sizeof(*w));
	ck_assert_msg(cluster_wait(fx->c, settled_one_epoch, NULL, WAIT_MS),
	    "the cluster never settled (logs in %s)", cluster_dir(fx->c));
	p = cluster_primary(fx->c);
	ck_assert_int_ge(p, 0);
	ck_assert_int_ne(p, BAD_NODE);
	w->quiet = true;
	w->epoch = cluster_view(fx->c, (size_t)p)->epoch;
	w->replica[BAD_NODE] = true;
	cluster_on_line(fx->c, watch_line, w);
}

/*
 * BAD_NODE stands with its server again: up, polled (local=up), a
 * replica of node p's server, which counts both replicas.
 */
static void
await_joined(struct fixture *fx, int p)
{
	char want[32], v[64], role[16], master[64], local[16], n[16];
	uint64_t end = cluster_now_us() + (uint64_t)WAIT_MS * 1000;

	snprintf(want, sizeof(want), "127.0.0.1:%u", fx->port[p]);
	do {
		status_field(fx, BAD_NODE, "server", v, sizeof(v));
		status_field(fx, BAD_NODE, "server_role", role, sizeof(role));
		status_field(fx, BAD_NODE, "server_master", master,
		    sizeof(master));
		status_field(fx, BAD_NODE, "local", local, sizeof(local));
		redis_info(fx->port[p], "connected_slaves", n, sizeof(n));
		if (strcmp(v, "up") == 0 && strcmp(role, "replica") == 0 &&
		    strcmp(master, want) == 0 && strcmp(local, "up") == 0 &&
		    strcmp(n, "2") == 0)
			return;
		poll(NULL, 0, POLL_MS);
	} while (cluster_now_us() < end);
	ck_abort_msg("node %d never joined: server=%s server_role=%s "
	    "server_master=%s (want %s) local=%s, %s replicas on the "
	    "primary's server (logs in %s)", BAD_NODE + 1, v, role, master,
	    want, local, n, cluster_dir(fx->c));
}

static bool
never(struct cluster *c, void *arg)
{
	(void)c;
	(void)arg;
	return false;
}

/*
 * BAD_NODE with a bad server: until its log has one more line with what
 * (bounded), and for QUIET_MS at least, its peers keep hearing it (the
 * rules), it sits out (local=down, a replica), its server is not up and
 * its control socket answers.
 */
static void
await_sits_out(struct fixture *fx, struct watch_rules *w,
    const char *const *what, const char *state)
{
	uint64_t end = cluster_now_us() + (uint64_t)WAIT_MS * 1000, seen = 0;
	unsigned before = log_count_any(fx, BAD_NODE, what);
	char v[64], pong[64];

	/* cluster_wait paces the loop and feeds every WATCH line to w. */
	while (cluster_now_us() < end && w->bad[0] == '\0' && (seen == 0 ||
	    cluster_now_us() < seen + (uint64_t)QUIET_MS * 1000)) {
		(void)cluster_wait(fx->c, never, NULL, POLL_MS * 5);
		if (seen == 0 && log_count_any(fx, BAD_NODE, what) > before)
			seen = cluster_now_us();
	}
	ck_assert_msg(w->bad[0] == '\0', "the cluster noticed node %d's bad "
	    "server: %s (logs in %s)", BAD_NODE + 1, w->bad,
	    cluster_dir(fx->c));
	ck_assert_msg(seen != 0, "no new log line with '%s' in %d ms (logs in "
	    "%s)", what[0], WAIT_MS, cluster_dir(fx->c));
	ck_assert_msg(cluster_running(fx->c, BAD_NODE), "node %d died",
	    BAD_NODE + 1);
	ck_assert_int_eq(cluster_request(fx->c, BAD_NODE, "PING", pong,
	    sizeof(pong)), 0);
	ck_assert_str_eq(pong, "PONG");
	/* Between two tries it is connecting for a moment: poll. */
	end = cluster_now_us() + (uint64_t)WAIT_MS * 1000;
	do {
		status_field(fx, BAD_NODE, "server", v, sizeof(v));
		ck_assert_msg(strcmp(v, "up") != 0, "node %d server=up",
		    BAD_NODE + 1);
		if (state == NULL || strcmp(v, state) == 0)
			break;
		poll(NULL, 0, POLL_MS);
	} while (cluster_now_us() < end);
	ck_assert_msg(state == NULL || strcmp(v, state) == 0, "node %d "
	    "server=%s, not %s", BAD_NODE + 1, v, state);
	status_field(fx, BAD_NODE, "local", v, sizeof(v));
	ck_assert_str_eq(v, "down");
	status_field(fx, BAD_NODE, "role", v, sizeof(v));
	ck_assert_str_eq(v, "replica");
}

START_TEST(cold_start_one_master_replicas_follow_offsets_tracked)
{
	struct fixture fx;
	char reply[256];
	uint64_t end;
	int p;
	bool all;

	start(&fx);
	p = await_primary(&fx);
	await_servers(&fx, (size_t)p, NULL);
	for (int k = 0; k < 20; k++) {
		char key[16];

		snprintf(key, sizeof(key), "k%d", k);
		await_write_ok(&fx, (size_t)p, key);
	}
	/* No OFFSET pushed: every daemon learns its offset from INFO. */
	end = cluster_now_us() + (uint64_t)WAIT_MS * 1000;
	do {
		all = true;
		for (size_t i = 0; i < NODES; i++)
			all = all && status_offset(&fx, i) > 0;
		if (!all)
			poll(NULL, 0, POLL_MS);
	} while (!all && cluster_now_us() < end);
	ck_assert_msg(all, "a daemon's offset stayed 0 (logs in %s)",
	    cluster_dir(fx.c));
	/* STATUS shows the server and how it is fenced. */
	for (size_t i = 0; i < NODES; i++) {
		char line[4096], v[64];

		ck_assert_int_eq(cluster_request(fx.c, i, "STATUS", line,
		    sizeof(line)), 0);
		cluster_field(line, "server", v, sizeof(v));
		ck_assert_msg(strcmp(v, "up") == 0, "%s", line);
		cluster_field(line, "server_role", v, sizeof(v));
		ck_assert_str_eq(v, i == (size_t)p ? "primary" : "replica");
		cluster_field(line, "fencing", v, sizeof(v));
		ck_assert_msg(strcmp(v, "pause+min-replicas") == 0, "%s", line);
	}
	/* OFFSET has one writer while the adapter runs. */
	ck_assert_int_eq(cluster_request(fx.c, 0, "OFFSET 5", reply,
	    sizeof(reply)), 0);
	ck_assert_msg(strncmp(reply, "ERR ", 4) == 0 &&
	    strstr(reply, "server adapter") != NULL, "%s", reply);
	/* A replica's server refuses writes: it is a replica. */
	set_key(&fx, ((size_t)p + 1) % NODES, "x", reply, sizeof(reply));
	ck_assert_msg(reply[0] == '-', "SET on a replica's server: %s", reply);
	ck_assert_uint_le(cluster_max_unfenced(fx.c), 1);
	stop(&fx);
}
END_TEST

static bool
other_primary(struct cluster *c, void *arg)
{
	int p = cluster_primary(c);

	return p >= 0 && p != *(int *)arg;
}

START_TEST(primary_server_killed_its_node_steps_down)
{
	struct fixture fx;
	bool skip[NODES] = { false };
	int p, q;

	start(&fx);
	p = await_primary(&fx);
	await_servers(&fx, (size_t)p, NULL);
	redis_kill(fx.redis[p]);
	fx.redis[p] = 0;
	ck_assert_msg(cluster_wait(fx.c, other_primary, &p, WAIT_MS),
	    "node %d's server died and no other primary came (logs in %s)",
	    p + 1, cluster_dir(fx.c));
	q = cluster_primary(fx.c);
	skip[p] = true;
	await_servers(&fx, (size_t)q, skip);
	ck_assert_uint_le(cluster_max_unfenced(fx.c), 1);
	stop(&fx);
}
END_TEST

/* Kill node p's daemon and server together: the next primary. */
static int
kill_primary(struct fixture *fx, int p)
{
	cluster_kill(fx->c, (size_t)p);
	redis_kill(fx->redis[p]);
	fx->redis[p] = 0;
	ck_assert_msg(cluster_wait(fx->c, other_primary, &p, WAIT_MS),
	    "no new primary (logs in %s)", cluster_dir(fx->c));
	return cluster_primary(fx->c);
}

START_TEST(primary_and_server_killed_new_primary_takes_writes)
{
	struct fixture fx;
	bool skip[NODES] = { false };
	int p, q;

	start(&fx);
	p = await_primary(&fx);
	await_servers(&fx, (size_t)p, NULL);
	q = kill_primary(&fx, p);
	skip[p] = true;
	/*
	 * The survivor's server is master and the other replicates from it;
	 * with one replica connected (min-replicas-to-write 1) it takes SET.
	 */
	await_servers(&fx, (size_t)q, skip);
	await_write_ok(&fx, (size_t)q, "after");
	/*
	 * Both survivors were quiet: q won without a hold, its ANNOUNCE
	 * said so, and the other survivor pointed its server after one
	 * heartbeat instead of hold + one (the quiet rule).
	 */
	ck_assert_msg(log_count(&fx, (size_t)(3 - p - q),
	    "event=server_point_wait ", NULL) >= 1 &&
	    log_count(&fx, (size_t)(3 - p - q), " hold=none", NULL) >= 1,
	    "node %d: no quiet point after the kill (logs in %s)",
	    3 - p - q + 1, cluster_dir(fx.c));
	ck_assert_uint_le(cluster_max_unfenced(fx.c), 1);
	stop(&fx);
}
END_TEST

START_TEST(cut_off_primary_refuses_writes_in_its_server)
{
	struct fixture fx;
	char reply[256] = "";
	uint64_t t0, end, sent = 0;
	int p;

	start(&fx);
	p = await_primary(&fx);
	await_servers(&fx, (size_t)p, NULL);
	await_write_ok(&fx, (size_t)p, "before");
	/* Both other daemons and their servers stop: p is alone. */
	t0 = cluster_now_us();
	for (size_t i = 0; i < NODES; i++)
		if (i != (size_t)p) {
			cluster_stop(fx.c, i);
			kill(fx.redis[i], SIGSTOP);
		}
	end = t0 + (uint64_t)FENCE_MS * 1000;
	/* A paused write hangs (not acknowledged), then NOREPLICAS. */
	do {
		sent = cluster_now_us();
		set_key(&fx, (size_t)p, "during", reply, sizeof(reply));
		if (strcmp(reply, "OK") != 0)
			break;
		poll(NULL, 0, POLL_MS);
	} while (cluster_now_us() < end);
	fprintf(stderr, "fencing: a SET sent %.0f ms after the cut was not "
	    "acknowledged: %s\n", (double)(sent - t0) / 1000, reply);
	ck_assert_msg(strcmp(reply, "OK") != 0, "the cut-off primary's "
	    "server still took writes %d ms after the cut (logs in %s)",
	    FENCE_MS, cluster_dir(fx.c));
	for (size_t i = 0; i < NODES; i++)
		if (i != (size_t)p) {
			kill(fx.redis[i], SIGCONT);
			cluster_cont(fx.c, i);
		}
	stop(&fx);
}
END_TEST

/*
 * The elector picks the freshest replica: one that missed writes (its
 * daemon and server stopped meanwhile) loses to one that has them, even
 * though it would win a tie (the lower id). Then the dead primary comes
 * back, an empty server beside a restarted daemon: a replica of the new
 * primary, with all the data.
 */
START_TEST(far_behind_replica_loses_old_primary_rejoins)
{
	struct fixture fx;
	struct watch_rules w;
	bool skip[NODES] = { false };
	static char big[FAR_VALUE + 1];
	char key[32], off[64], laddr[64];
	unsigned long long target;
	uint64_t end;
	size_t a, b;
	int p, q;

	start(&fx);
	p = await_primary(&fx);
	await_servers(&fx, (size_t)p, NULL);
	a = p == 0 ? 1 : 0;
	b = NODES - (size_t)p - a;
	ck_assert_uint_lt(a, b);
	await_write_ok(&fx, (size_t)p, "old");
	await_value(&fx, a, "old", "v");
	/* a is behind, not empty: its daemon stands with an offset. */
	end = cluster_now_us() + (uint64_t)WAIT_MS * 1000;
	while (status_offset(&fx, a) == 0 && cluster_now_us() < end)
		poll(NULL, 0, POLL_MS);
	ck_assert_uint_gt(status_offset(&fx, a), 0);
	/*
	 * a stops, daemon and server, and the primary drops a's link: what
	 * follows is not even in a's socket buffers (a resumed server would
	 * read it from there, master dead or not, and be as fresh as b).
	 */
	master_link(&fx, a, laddr, sizeof(laddr));
	ck_assert_msg(laddr[0] != '\0', "node %zu's server has no master link",
	    a + 1);
	kill(fx.redis[a], SIGSTOP);
	cluster_stop(fx.c, a);
	{
		const char *argv[] = { "CLIENT", "KILL", "ADDR", laddr, NULL };

		ck_assert_int_eq(redis_cmd(fx.port[p], off, sizeof(off), 1000,
		    argv), 0);
		ck_assert_msg(strcmp(off, "1") == 0, "CLIENT KILL ADDR %s: %s",
		    laddr, off);
	}
	memset(big, 'x', FAR_VALUE);
	for (int k = 0; k < FAR_KEYS; k++) {
		snprintf(key, sizeof(key), "far%d", k);
		await_set(&fx, (size_t)p, key, big);
	}
	/* b's daemon knows its new offset before the primary dies. */
	redis_info(fx.port[p], "master_repl_offset", off, sizeof(off));
	target = strtoull(off, NULL, 10);
	ck_assert_uint_gt(target, FAR_KEYS * FAR_VALUE);
	end = cluster_now_us() + (uint64_t)WAIT_MS * 1000;
	while (status_offset(&fx, b) < target && cluster_now_us() < end)
		poll(NULL, 0, POLL_MS);
	ck_assert_uint_ge(status_offset(&fx, b), target);
	memset(&w, 0, sizeof(w));
	w.never_primary[a] = w.never_primary[p] = true;
	cluster_on_line(fx.c, watch_line, &w);
	cluster_kill(fx.c, (size_t)p);
	redis_kill(fx.redis[p]);
	fx.redis[p] = 0;
	/* a comes back beside b: its server cannot catch up (no master). */
	kill(fx.redis[a], SIGCONT);
	cluster_cont(fx.c, a);
	ck_assert_msg(cluster_wait(fx.c, other_primary, &p, WAIT_MS),
	    "no new primary (logs in %s)", cluster_dir(fx.c));
	q = cluster_primary(fx.c);
	ck_assert_msg(q == (int)b, "node %d won, not node %zu with the "
	    "freshest offset (logs in %s)", q + 1, b + 1, cluster_dir(fx.c));
	skip[p] = true;
	await_servers(&fx, b, skip);
	await_write_ok(&fx, b, "new");
	/* a got what it missed from b. */
	snprintf(key, sizeof(key), "far%d", FAR_KEYS - 1);
	await_value(&fx, a, key, big);
	/* The old primary: a fresh, empty server and its daemon again. */
	fx.redis[p] = redis_start(fx.port[p], fx.dir);
	ck_assert_msg(fx.redis[p] > 0, "redis-server on %u did not restart",
	    fx.port[p]);
	ck_assert_int_eq(cluster_start(fx.c, (size_t)p), 0);
	await_servers(&fx, b, NULL);
	await_value(&fx, (size_t)p, "new", "v");
	await_value(&fx, (size_t)p, "old", "v");
	await_value(&fx, (size_t)p, key, big);
	/* Nothing was lost on b: the empty server never led. */
	await_value(&fx, b, "old", "v");
	ck_assert(cluster_wait(fx.c, cluster_agreed, NULL, WAIT_MS));
	ck_assert_int_eq(cluster_primary(fx.c), (int)b);
	ck_assert_msg(w.bad[0] == '\0', "%s (logs in %s)", w.bad,
	    cluster_dir(fx.c));
	ck_assert_uint_le(cluster_max_unfenced(fx.c), 1);
	cluster_on_line(fx.c, NULL, NULL);
	stop(&fx);
}
END_TEST

/*
 * The first node's password file holds the wrong password: its server refuses
 * AUTH, the node sits out without disturbing anyone; with the right
 * password (a restart: password_file is restart-only) it joins as a
 * replica.
 */
START_TEST(wrong_password_sits_out_right_password_joins)
{
	struct fixture fx;
	struct watch_rules w;
	int p;

	start_with(&fx, BAD_PASSWORD);
	quiet_rules(&fx, &w);
	p = cluster_primary(fx.c);
	await_sits_out(&fx, &w, (const char *const[]){ "reason=WRONGPASS ",
	    NULL }, "auth-failed");
	ck_assert_uint_ge(log_count(&fx, BAD_NODE, "command=AUTH "
	    "error=\"WRONGPASS", NULL), 1);
	cluster_on_line(fx.c, NULL, NULL);
	cluster_kill(fx.c, BAD_NODE);
	write_secret(fx.password_file, PASSWORD "\n");
	ck_assert_int_eq(cluster_start(fx.c, BAD_NODE), 0);
	await_joined(&fx, p);
	/* The password itself is never logged. */
	ck_assert_uint_eq(log_count(&fx, BAD_NODE, PASSWORD, NULL), 0);
	ck_assert(cluster_wait(fx.c, cluster_agreed, NULL, WAIT_MS));
	ck_assert_int_eq(cluster_primary(fx.c), p);
	ck_assert_uint_le(cluster_max_unfenced(fx.c), 1);
	stop(&fx);
}
END_TEST

/*
 * The first node's server is a fake that closes every connection, then one that
 * answers garbage, one that never answers, one that never accepts: each
 * time the node sits out, says why in its log, answers on its control
 * socket, and its peers keep hearing it.
 */
START_TEST(bad_server_close_garbage_hang_deaf_node_sits_out)
{
	static const struct {
		enum fake_mode mode;
		const char *log[LOG_ANY_MAX];
	} phases[] = {
		/*
		 * A FIN; or a RST when our commands were in before it closed,
		 * seen on a read or on our next write.
		 */
		{ FAKE_CLOSE, { "reason=\"closed by the server\"",
		    "reason=\"Connection reset by peer\"",
		    "reason=\"Broken pipe\"" } },
		{ FAKE_GARBAGE, { "reason=\"bad type byte\"" } },
		{ FAKE_ERROR, { POLL_ERROR } },
		{ FAKE_NONSENSE, { POLL_UNREADABLE } },
		{ FAKE_HANG, { "reason=\"no answer in time\"" } },
		{ FAKE_DEAF, { "reason=\"connect timed out\"" } },
	};
	struct fixture fx;
	struct watch_rules w;
	struct fake fk;
	char reply[256];
	unsigned polls, downs;
	int p, lua;

	start_with(&fx, BAD_FAKE);
	quiet_rules(&fx, &w);
	for (size_t k = 0; k < sizeof(phases) / sizeof(phases[0]); k++) {
		downs = log_count(&fx, BAD_NODE, "event=server_down ", NULL);
		polls = log_count(&fx, BAD_NODE, POLL_ERROR, POLL_UNREADABLE);
		fake_start(&fk, fx.port[BAD_NODE], phases[k].mode);
		await_sits_out(&fx, &w, phases[k].log, NULL);
		/*
		 * A server that cannot answer the poll costs the connection
		 * (redialled with a backoff): it is not asked again every
		 * poll_ms, a warning each time.
		 */
		polls = log_count(&fx, BAD_NODE, POLL_ERROR,
		    POLL_UNREADABLE) - polls;
		downs = log_count(&fx, BAD_NODE, "event=server_down ", NULL) - downs;
		ck_assert_msg(polls <= downs + 1, "%u failed polls on %u "
		    "connections (logs in %s)", polls, downs,
		    cluster_dir(fx.c));
		fake_stop(&fk);
	}
	/* A real server at last: the node joins, nobody disturbed. */
	fx.redis[BAD_NODE] = redis_start_with(fx.port[BAD_NODE], fx.dir,
	    (const char *const[]){ "--lua-time-limit", "100", NULL });
	ck_assert_int_gt(fx.redis[BAD_NODE], 0);
	p = cluster_primary(fx.c);
	ck_assert_int_ge(p, 0);
	await_joined(&fx, p);
	/*
	 * A script that never ends: the server answers BUSY (after 100 ms)
	 * to everything but SCRIPT KILL. The node sits out, says so once,
	 * and stands again when the script is killed.
	 */
	polls = log_count(&fx, BAD_NODE, POLL_ERROR, POLL_UNREADABLE);
	downs = log_count(&fx, BAD_NODE, "event=server_down ", NULL);
	/* Kept open: it may wait out what is left of an old CLIENT PAUSE. */
	lua = redis_send(fx.port[BAD_NODE], (const char *const[]){ "EVAL",
	    "while true do end", "0", NULL });
	ck_assert_int_ge(lua, 0);
	await_sits_out(&fx, &w, (const char *const[]){ "error=\"BUSY", NULL },
	    "loading");
	/* Once per connection (one, unless a poll timed out), not per poll. */
	polls = log_count(&fx, BAD_NODE, POLL_ERROR, POLL_UNREADABLE) - polls;
	downs = log_count(&fx, BAD_NODE, "event=server_down ", NULL) - downs;
	ck_assert_msg(polls >= 1 && polls <= downs + 1, "%u warnings of a "
	    "busy server on %u connections (logs in %s)", polls, downs + 1,
	    cluster_dir(fx.c));
	ck_assert_int_eq(redis_cmd(fx.port[BAD_NODE], reply, sizeof(reply),
	    1000, (const char *const[]){ "SCRIPT", "KILL", NULL }), 0);
	ck_assert_str_eq(reply, "OK");
	close(lua);
	await_joined(&fx, p);
	ck_assert_msg(w.bad[0] == '\0', "%s (logs in %s)", w.bad,
	    cluster_dir(fx.c));
	cluster_on_line(fx.c, NULL, NULL);
	ck_assert_uint_le(cluster_max_unfenced(fx.c), 1);
	stop(&fx);
}
END_TEST

/* Node *arg's latest WATCH line says role=primary fenced=no, or yes. */
static bool
unfenced(struct cluster *c, void *arg)
{
	const struct cluster_view *v = cluster_view(c, (size_t)*(int *)arg);

	return v->seen && strcmp(v->role, "primary") == 0 && !v->fenced;
}

static bool
fenced(struct cluster *c, void *arg)
{
	const struct cluster_view *v = cluster_view(c, (size_t)*(int *)arg);

	return v->seen && v->fenced;
}

/*
 * The adapter acts in the loop iteration of the change that needs it,
 * before WATCH hears of the change: a newly elected primary's server (a
 * replica's until then) is a master by the time its WATCH line says
 * fenced=no, and a primary's server refuses writes by the time its line
 * says fenced=yes, and goes on refusing them (the pause is renewed).
 * With polls 350 ms apart, an action left to the next poll (the adapter
 * once read the snapshot of before the change) comes too late for these
 * looks, and a renewal chain that broke would let the write through.
 */
START_TEST(promotion_and_fence_in_the_changing_iteration)
{
	struct fixture fx;
	bool skip[NODES] = { false };
	char role[32], reply[256] = "";
	int p, q, r, fd;

	start_opts(&fx, BAD_NONE, SLOW_POLL_OPTS);
	p = await_primary(&fx);
	await_servers(&fx, (size_t)p, NULL);
	/* A replica's server must be promoted: kill the primary. */
	q = kill_primary(&fx, p);
	ck_assert_msg(cluster_wait(fx.c, unfenced, &q, WAIT_MS), "node %d "
	    "not unfenced (logs in %s)", q + 1, cluster_dir(fx.c));
	redis_info(fx.port[q], "role", role, sizeof(role));
	ck_assert_msg(strcmp(role, "master") == 0, "node %d unfenced, its "
	    "server still %s (logs in %s)", q + 1, role, cluster_dir(fx.c));
	skip[p] = true;
	await_servers(&fx, (size_t)q, skip);
	/*
	 * Its majority gone (the last other daemon frozen, its server still
	 * a replica: min-replicas-to-write is met), it fences itself.
	 */
	r = 3 - p - q;
	cluster_stop(fx.c, (size_t)r);
	ck_assert_msg(cluster_wait(fx.c, fenced, &q, WAIT_MS), "node %d never "
	    "fenced (logs in %s)", q + 1, cluster_dir(fx.c));
	/* Paused, a SET waits: no reply within the bound is the refusal. */
	fd = redis_send(fx.port[q], (const char *const[]){ "SET", "fenced",
	    "v", NULL });
	ck_assert_int_ge(fd, 0);
	{
		struct pollfd pf = { fd, POLLIN, 0 };
		ssize_t n = 0;

		if (poll(&pf, 1, FENCE_HOLD_MS) == 1)
			n = read(fd, reply, sizeof(reply) - 1);
		reply[n > 0 ? n : 0] = '\0';
		close(fd);
	}
	ck_assert_msg(strncmp(reply, "+OK", 3) != 0, "node %d fenced, its "
	    "server still took a write (logs in %s)", q + 1,
	    cluster_dir(fx.c));
	cluster_cont(fx.c, (size_t)r);
	ck_assert_uint_le(cluster_max_unfenced(fx.c), 1);
	stop(&fx);
}
END_TEST

/*
 * No server can authenticate to its master (no masterauth), so a
 * replica's link never comes up. Its adapter points it at the primary's
 * server once, then again at the same master only after a doubling
 * backoff (Redis answers such a REPLICAOF "Already connected"), and says
 * so once per hold; it used to send one every two heartbeats.
 */
START_TEST(replica_link_down_repointed_with_backoff)
{
	struct fixture fx;
	uint64_t end;
	char master[64], want[64];
	int p;
	size_t r;
	unsigned n;

	start_with(&fx, NO_MASTERAUTH);
	p = await_primary(&fx);
	r = ((size_t)p + 1) % NODES;
	snprintf(want, sizeof(want), "127.0.0.1:%u", fx.port[p]);
	end = cluster_now_us() + (uint64_t)WAIT_MS * 1000;
	do {
		status_field(&fx, r, "server_master", master, sizeof(master));
		if (strcmp(master, want) == 0)
			break;
		poll(NULL, 0, POLL_MS);
	} while (cluster_now_us() < end);
	ck_assert_msg(strcmp(master, want) == 0, "node %zu's server never "
	    "pointed at %s: %s (logs in %s)", r + 1, want, master,
	    cluster_dir(fx.c));
	/* A measuring window, not a wait for an event: count what it sends. */
	cluster_wait(fx.c, never, NULL, REPOINT_WINDOW_MS);
	n = log_count(&fx, r, "command=REPLICAOF target=", NULL);
	ck_assert_msg(n >= 1 && n <= REPOINT_MAX, "node %zu sent %u REPLICAOF "
	    "in about %d ms, at most %d wanted (log in %s)", r + 1, n,
	    REPOINT_WINDOW_MS, REPOINT_MAX, cluster_log_path(fx.c, r));
	/* Each hold is said once; there was one hold at least. */
	ck_assert_uint_ge(log_count(&fx, r, "event=server_repoint_held", NULL),
	    1);
	ck_assert_uint_le(log_count(&fx, r, "event=server_repoint_held", NULL),
	    n);
	ck_assert_uint_le(cluster_max_unfenced(fx.c), 1);
	stop(&fx);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("server");
	TCase *tc = tcase_create("server");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, cold_start_one_master_replicas_follow_offsets_tracked);
	tcase_add_test(tc, primary_server_killed_its_node_steps_down);
	tcase_add_test(tc, primary_and_server_killed_new_primary_takes_writes);
	tcase_add_test(tc, cut_off_primary_refuses_writes_in_its_server);
	tcase_add_test(tc, far_behind_replica_loses_old_primary_rejoins);
	tcase_add_test(tc, wrong_password_sits_out_right_password_joins);
	tcase_add_test(tc, bad_server_close_garbage_hang_deaf_node_sits_out);
	tcase_add_test(tc, replica_link_down_repointed_with_backoff);
	tcase_add_test(tc, promotion_and_fence_in_the_changing_iteration);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return runner_main(suite());
}
