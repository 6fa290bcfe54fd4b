/*
 * check_hostile: real daemons on loopback under hostile input (issue 5):
 * forged and malformed election frames, a forged epoch near 2^64,
 * control-socket write permissions by SO_PEERCRED, a bounded flood of
 * both sockets, and peer authentication. Raw clients speak TCP and the
 * control protocol by hand; every wait is on an event (a reply, a
 * closed connection, a WATCH line) with a generous bound, never a sleep.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cluster.h"
#include "rawpeer.h"
#include "runner.h"

#define WAIT_MS     15000 /* bound on any one wait */
#define CLOSE_MS    5000  /* a refused connection is closed within */
#define FLOOD_MS    3000  /* how long the flood lasts */
#define FLOOD_IDLE  40    /* idle connections per socket */
#define NOBODY      65534 /* an unprivileged uid and gid */

/* ---- raw clients ---- */

static int
unix_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		return fd;
	if (fd >= 0)
		close(fd);
	return -1;
}

static void
set_nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* A string literal's bytes, without its NUL. */
#define LIT(s) (s), (sizeof(s) - 1)

/* Write what the socket takes now; the rest is dropped (a flooder). */
static void
spray(int fd, const void *buf, size_t len)
{
	(void)send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* Read until buf holds a whole RESP message of 2 or 3 bulks (or ms). */
static size_t
read_some(int fd, char *buf, size_t cap, size_t want, int ms)
{
	uint64_t end = cluster_now_us() + (uint64_t)ms * 1000;
	size_t len = 0;

	while (len < want && cluster_now_us() < end) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;

		if (poll(&p, 1, (int)((end - cluster_now_us()) / 1000) + 1) <= 0)
			continue;
		if ((n = read(fd, buf + len, cap - 1 - len)) <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return len;
}

/* Connect to node i's election port, send bytes, expect a close. */
static void
send_expect_close(struct cluster *c, size_t i, const char *bytes, size_t len)
{
	int fd = rawpeer_connect(cluster_election_port(c, i));

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(send(fd, bytes, len, MSG_NOSIGNAL), (ssize_t)len);
	ck_assert_msg(rawpeer_await_closed(fd, CLOSE_MS), "node %zu kept a hostile "
	    "connection open after %.40s", i + 1, bytes);
	close(fd);
}

static void
request(struct cluster *c, size_t i, const char *line, char *reply,
    size_t cap)
{
	ck_assert_msg(cluster_request(c, i, line, reply, cap) == 0,
	    "no reply from node %zu to %s", i + 1, line);
}

/* "EPOCH" and "PRIMARY" of node i, as one string. */
static void
state_of(struct cluster *c, size_t i, char *out, size_t cap)
{
	char e[64], p[128];

	request(c, i, "EPOCH", e, sizeof(e));
	request(c, i, "PRIMARY", p, sizeof(p));
	snprintf(out, cap, "epoch=%s primary=%s", e, p);
}

/* ---- clusters ---- */

struct fixture {
	struct cluster *c;
	uint16_t http[CLUSTER_NODES_MAX];
	char extra[CLUSTER_NODES_MAX][512];
};

/* n nodes, fast timings, /metrics on each, plus more config lines. */
static void
start(struct fixture *fx, size_t n, const char *more)
{
	struct cluster_opts o = { .n = n };

	for (size_t i = 0; i < n; i++) {
		fx->http[i] = cluster_free_port();
		snprintf(fx->extra[i], sizeof(fx->extra[i]),
		    "http_listen = \"127.0.0.1:%u\";\n%s", fx->http[i],
		    more != NULL ? more : "");
		o.extra_conf[i] = fx->extra[i];
	}
	fx->c = cluster_new(&o);
	ck_assert_ptr_nonnull(fx->c);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(cluster_start(fx->c, i) == 0, "node %zu did not "
		    "start (logs in %s)", i + 1, cluster_dir(fx->c));
}

static int
await_primary(struct cluster *c)
{
	ck_assert_msg(cluster_wait(c, cluster_agreed, NULL, WAIT_MS),
	    "no agreed primary within %d ms (logs in %s)", WAIT_MS,
	    cluster_dir(c));
	ck_assert_uint_le(cluster_max_unfenced(c), 1);
	return cluster_primary(c);
}

static bool
other_primary(struct cluster *c, void *arg)
{
	int p = cluster_primary(c);

	return p >= 0 && p != *(int *)arg;
}

/* Kill the primary p; a new one must be elected at a higher epoch. */
static void
failover(struct cluster *c, int p)
{
	uint64_t old = cluster_view(c, (size_t)p)->epoch;
	int q;

	cluster_kill(c, (size_t)p);
	ck_assert_msg(cluster_wait(c, other_primary, &p, WAIT_MS),
	    "no new primary after killing %s (logs in %s)", cluster_id(c, p),
	    cluster_dir(c));
	q = cluster_primary(c);
	ck_assert_uint_gt(cluster_view(c, (size_t)q)->epoch, old);
	ck_assert_uint_le(cluster_max_unfenced(c), 1);
}

/* ---- 1. peer identity ---- */

START_TEST(forged_senders_never_move_a_replica)
{
	struct fixture fx;
	char buf[512], before[256], after[256], id_self[16], id_other[16];
	char epoch[32];
	int p, fd;
	size_t r, len;

	/* The loopback cluster passes the source check: a member is on it. */
	start(&fx, 3, "peer_source_check = true;\n");
	p = await_primary(fx.c);
	r = (size_t)(p + 1) % 3;
	snprintf(id_self, sizeof(id_self), "%s", cluster_id(fx.c, r));
	snprintf(id_other, sizeof(id_other), "%s",
	    cluster_id(fx.c, (size_t)(p + 2) % 3));
	state_of(fx.c, r, before, sizeof(before));

	/* What moves a reference node for good: each closes, moves nothing. */
	{
		const char *v[] = { "ANNOUNCE", "9", "evil", "127.0.0.1:1" };

		len = rawpeer_resp(buf, sizeof(buf), 4, v);
		send_expect_close(fx.c, r, buf, len);
	}
	send_expect_close(fx.c, r, LIT("ANNOUNCE 9 evil 127.0.0.1:1\r\n"));
	len = rawpeer_hb(buf, sizeof(buf), "12", "zz", "primary");
	send_expect_close(fx.c, r, buf, len);
	state_of(fx.c, r, after, sizeof(after));
	ck_assert_str_eq(after, before);
	ck_assert_uint_ge(rawpeer_metric(fx.http[r], "rejected_senders_total"), 2);
	ck_assert_uint_ge(rawpeer_metric(fx.http[r], "decode_errors_total"), 1);

	/* A frame claiming the node's own id. */
	snprintf(epoch, sizeof(epoch), "%llu",
	    (unsigned long long)cluster_view(fx.c, r)->epoch + 1);
	len = rawpeer_hb(buf, sizeof(buf), epoch, id_self, "primary");
	send_expect_close(fx.c, r, buf, len);
	state_of(fx.c, r, after, sizeof(after));
	ck_assert_str_eq(after, before);
	ck_assert_uint_ge(rawpeer_metric(fx.http[r], "rejected_senders_total"), 3);

	/* A sender that changes mid-stream: the second frame closes it. */
	fd = rawpeer_connect(cluster_election_port(fx.c, r));
	ck_assert_int_ge(fd, 0);
	snprintf(epoch, sizeof(epoch), "%llu",
	    (unsigned long long)cluster_view(fx.c, r)->epoch);
	len = rawpeer_hb(buf, sizeof(buf), epoch, id_other, "replica");
	ck_assert_int_eq(send(fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
	ck_assert(!rawpeer_await_closed(fd, 200));	/* one sender is fine */
	len = rawpeer_hb(buf, sizeof(buf), epoch, cluster_id(fx.c, (size_t)p),
	    "replica");
	ck_assert_int_eq(send(fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
	ck_assert(rawpeer_await_closed(fd, CLOSE_MS));
	close(fd);
	ck_assert_uint_eq(rawpeer_metric(fx.http[r], "sender_changes_total"), 1);
	state_of(fx.c, r, after, sizeof(after));
	ck_assert_str_eq(after, before);
	ck_assert_int_eq(cluster_primary(fx.c), p);
	cluster_free(fx.c);
}
END_TEST

/* ---- 3. epoch sanity ---- */

START_TEST(epoch_near_2_64_is_refused_and_elections_go_on)
{
	struct fixture fx;
	char buf[512], before[256], after[256];
	size_t r, len;
	int p, fd[2];

	start(&fx, 3, NULL);
	p = await_primary(fx.c);
	r = (size_t)(p + 1) % 3;
	state_of(fx.c, r, before, sizeof(before));
	/*
	 * A member's id, as a primary: without the rule it would be taken.
	 * Held, not applied; the connection stays (a real peer far ahead
	 * keeps talking and is followed once its claim is confirmed; this
	 * one-shot claim goes stale).
	 */
	len = rawpeer_hb(buf, sizeof(buf), "18446744073709551615",
	    cluster_id(fx.c, (size_t)(p + 2) % 3), "primary");
	fd[0] = rawpeer_connect(cluster_election_port(fx.c, r));
	ck_assert_int_ge(fd[0], 0);
	ck_assert_int_eq(send(fd[0], buf, len, MSG_NOSIGNAL), (ssize_t)len);
	{
		const char *v[] = { "ANNOUNCE", "18446744073709551615",
		    cluster_id(fx.c, (size_t)p), "127.0.0.1:1" };

		len = rawpeer_resp(buf, sizeof(buf), 4, v);
	}
	fd[1] = rawpeer_connect(cluster_election_port(fx.c, r));
	ck_assert_int_ge(fd[1], 0);
	ck_assert_int_eq(send(fd[1], buf, len, MSG_NOSIGNAL), (ssize_t)len);
	ck_assert(!rawpeer_await_closed(fd[0], 200));
	ck_assert(!rawpeer_await_closed(fd[1], 200));
	state_of(fx.c, r, after, sizeof(after));
	ck_assert_str_eq(after, before);
	ck_assert_uint_eq(rawpeer_metric(fx.http[r], "epochs_refused_total"), 2);
	ck_assert_uint_eq(rawpeer_metric(fx.http[r], "epochs_raised_total"), 0);
	close(fd[0]);
	close(fd[1]);
	/* Elections still have epochs to use; 2^64-1 was never adopted. */
	failover(fx.c, p);
	ck_assert_uint_lt(cluster_view(fx.c, (size_t)cluster_primary(fx.c))->
	    epoch, 1000);
	cluster_free(fx.c);
}
END_TEST

/* ---- 4. control socket permissions ---- */

/* As nobody: writes refused, reads served. Exit status: failed checks. */
static int
as_nobody(const char *sock)
{
	static const struct { const char *req, *want; } io[] = {
		{ "OFFSET 1\n", "ERR permission denied\n" },
		{ "ALIVE\n", "ERR permission denied\n" },
		{ "OFFSET\n", "0\n" },
		{ "PING\n", "PONG\n" },
		{ "STATUS\n", "node_id=" },
	};
	char buf[16384];
	int fd, bad = 0;

	if (setgroups(0, NULL) == -1 || setgid(NOBODY) == -1 ||
	    setuid(NOBODY) == -1 || getuid() != NOBODY)
		return 100;
	if ((fd = unix_connect(sock)) == -1)
		return 101;
	for (size_t i = 0; i < sizeof(io) / sizeof(io[0]); i++) {
		size_t want = strlen(io[i].want);

		if (write(fd, io[i].req, strlen(io[i].req)) < 0 ||
		    read_some(fd, buf, sizeof(buf), want, WAIT_MS) < want ||
		    strncmp(buf, io[i].want, want) != 0) {
			fprintf(stderr, "as nobody: %s-> %s\n", io[i].req, buf);
			bad++;
		}
		/* Drain the rest of a long reply (STATUS). */
		if (strchr(buf, '\n') == NULL)
			read_some(fd, buf, sizeof(buf), sizeof(buf) - 1, 200);
	}
	close(fd);
	return bad;
}

START_TEST(control_write_verbs_need_permission)
{
	struct cluster_opts o = { .n = 1 };
	struct cluster *c = cluster_new(&o);
	char reply[64];
	pid_t pid;
	int status;

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(cluster_start(c, 0), 0);
	/* Let nobody reach the socket: only SO_PEERCRED may stop it now. */
	ck_assert_int_eq(chmod(cluster_dir(c), 0711), 0);
	ck_assert_int_eq(chmod(cluster_socket_path(c, 0), 0666), 0);
	if ((pid = fork()) == 0)
		_exit(as_nobody(cluster_socket_path(c, 0)));
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "nobody's checks failed: status %d", status);
	/* Root (as the daemon's own uid) still writes. */
	request(c, 0, "OFFSET 7", reply, sizeof(reply));
	ck_assert_str_eq(reply, "OK");
	request(c, 0, "OFFSET", reply, sizeof(reply));
	ck_assert_str_eq(reply, "7");
	cluster_free(c);
}
END_TEST

/* ---- 5. limits: a bounded flood of both sockets ---- */

struct steady {
	uint64_t epoch;
	char primary[CLUSTER_ID_MAX + 1];
	unsigned changes;         /* views that left the steady state */
};

/* Never true: counts any WATCH view off the steady state. */
static bool
watch_steady(struct cluster *c, void *arg)
{
	struct steady *s = arg;

	for (size_t i = 0; i < 3; i++) {
		const struct cluster_view *v = cluster_view(c, i);

		if (v->seen && (v->epoch != s->epoch ||
		    strcmp(v->primary, s->primary) != 0))
			s->changes++;
	}
	return false;
}

START_TEST(flood_of_both_sockets_changes_no_epoch)
{
	struct fixture fx;
	struct steady st = { 0 };
	int idle[3][2 * FLOOD_IDLE], p;
	char frames[16384], buf[512], epoch[32], reply[64];
	unsigned long long floods = 0, bad = 0, hello = 0;
	uint64_t end;
	size_t flen = 0, len;

	start(&fx, 3, NULL);
	p = await_primary(fx.c);
	st.epoch = cluster_view(fx.c, (size_t)p)->epoch;
	snprintf(st.primary, sizeof(st.primary), "%s",
	    cluster_id(fx.c, (size_t)p));
	snprintf(epoch, sizeof(epoch), "%llu", (unsigned long long)st.epoch);
	for (size_t i = 0; i < 3; i++)
		for (size_t k = 0; k < FLOOD_IDLE; k++) {
			idle[i][k] = rawpeer_connect(cluster_election_port(fx.c, i));
			idle[i][FLOOD_IDLE + k] =
			    unix_connect(cluster_socket_path(fx.c, i));
			ck_assert_int_ge(idle[i][k], 0);
			ck_assert_int_ge(idle[i][FLOOD_IDLE + k], 0);
		}
	end = cluster_now_us() + FLOOD_MS * 1000ULL;
	while (cluster_now_us() < end) {
		for (size_t i = 0; i < 3; i++) {
			/* Valid frames from a member (a replica, not i) at
			 * the current epoch, far faster than any peer. */
			size_t x = (size_t)p == i ? (i + 1) % 3 :
			    (i + 1) % 3 == (size_t)p ? (i + 2) % 3 :
			    (i + 1) % 3;
			int fd = rawpeer_connect(cluster_election_port(fx.c, i));

			flen = 0;
			len = rawpeer_hb(buf, sizeof(buf), epoch, cluster_id(fx.c, x),
			    "replica");
			while (flen + len < sizeof(frames)) {
				memcpy(frames + flen, buf, len);
				flen += len;
			}
			if (fd >= 0) {
				set_nonblock(fd);
				spray(fd, frames, flen);
				close(fd);
			}
			/* Garbage on the election port. */
			if ((fd = rawpeer_connect(cluster_election_port(fx.c, i))) >= 0) {
				spray(fd, LIT("*5\r\n$2\r\nXX\r\n\x01\x02garbage"));
				close(fd);
			}
			/* Garbage and an overlong line on the control one. */
			if ((fd = unix_connect(cluster_socket_path(fx.c,
			    i))) >= 0) {
				set_nonblock(fd);
				spray(fd, LIT("BOGUS\nOFFSET -1\n\x7f\x80\n"));
				memset(frames, 'A', 2048);
				spray(fd, frames, 2048);
				close(fd);
			}
		}
		/* Read WATCH lines meanwhile: any change is counted. */
		cluster_wait(fx.c, watch_steady, &st, 20);
	}
	for (size_t i = 0; i < 3; i++)
		for (size_t k = 0; k < 2 * FLOOD_IDLE; k++)
			close(idle[i][k]);
	cluster_wait(fx.c, watch_steady, &st, 100);
	ck_assert_uint_eq(st.changes, 0);
	ck_assert_int_eq(cluster_primary(fx.c), p);
	for (size_t i = 0; i < 3; i++) {
		request(fx.c, i, "PING", reply, sizeof(reply));
		ck_assert_str_eq(reply, "PONG");
		request(fx.c, i, "EPOCH", reply, sizeof(reply));
		ck_assert_uint_eq(strtoull(reply, NULL, 10), st.epoch);
		floods += rawpeer_metric(fx.http[i], "inbound_floods_total");
		bad += rawpeer_metric(fx.http[i], "decode_errors_total");
		hello += rawpeer_metric(fx.http[i], "hello_timeouts_total");
	}
	request(fx.c, (size_t)p, "ROLE", reply, sizeof(reply));
	ck_assert_str_eq(reply, "primary");
	ck_assert_uint_le(cluster_max_unfenced(fx.c), 1);
	/* The flood's connections were closed by the daemons, counted. */
	ck_assert_uint_gt(floods, 0);
	ck_assert_uint_gt(bad, 0);
	/* Idle ones outlived 2 x down_after (1 s) during the 3 s flood. */
	ck_assert_uint_ge(hello, 3 * FLOOD_IDLE);
	cluster_free(fx.c);
}
END_TEST

/* ---- 2. peer authentication ---- */

START_TEST(auth_cluster_elects_fails_over_and_refuses_outsiders)
{
	struct fixture fx;
	char buf[512], before[256], after[256], epoch[32], chall[256];
	size_t r, len;
	int p, fd;

	start(&fx, 3, rawpeer_key_make(0600));
	p = await_primary(fx.c);
	r = (size_t)(p + 1) % 3;
	state_of(fx.c, r, before, sizeof(before));
	/*
	 * A member's id as primary a few epochs ahead: a node without auth
	 * would follow it. Sent without authenticating: refused.
	 */
	snprintf(epoch, sizeof(epoch), "%llu",
	    (unsigned long long)cluster_view(fx.c, r)->epoch + 5);
	len = rawpeer_hb(buf, sizeof(buf), epoch, cluster_id(fx.c, (size_t)(p + 2) % 3),
	    "primary");
	send_expect_close(fx.c, r, buf, len);
	/* Reading the challenge and answering with a wrong MAC: refused. */
	fd = rawpeer_connect(cluster_election_port(fx.c, r));
	ck_assert_int_ge(fd, 0);
	ck_assert_uint_ge(read_some(fd, chall, sizeof(chall), 90, WAIT_MS), 90);
	ck_assert_msg(strncmp(chall, "*2\r\n$9\r\nKEVYCHALL\r\n$64\r\n", 24) == 0,
	    "challenge: %s", chall);
	{
		const char *v[] = { "KEVYAUTH",
		    cluster_id(fx.c, (size_t)(p + 2) % 3),
		    "00000000000000000000000000000000"
		    "00000000000000000000000000000000" };

		len = rawpeer_resp(buf, sizeof(buf), 3, v);
	}
	len += rawpeer_hb(buf + len, sizeof(buf) - len, epoch,
	    cluster_id(fx.c, (size_t)(p + 2) % 3), "primary");
	ck_assert_int_eq(send(fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
	ck_assert(rawpeer_await_closed(fd, CLOSE_MS));
	close(fd);
	state_of(fx.c, r, after, sizeof(after));
	ck_assert_str_eq(after, before);
	ck_assert_uint_ge(rawpeer_metric(fx.http[r], "auth_failures_total"), 2);
	/* Authenticated peers elect again when the primary dies. */
	failover(fx.c, p);
	cluster_free(fx.c);
	rawpeer_key_remove();
}
END_TEST

START_TEST(auth_key_file_mode_0644_fails_startup)
{
	struct cluster_opts o = { .n = 1 };
	struct cluster *c;
	char line[512];
	bool said = false;
	FILE *f;

	o.extra_conf[0] = rawpeer_key_make(0644);
	c = cluster_new(&o);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(cluster_start(c, 0), -1);
	ck_assert_ptr_nonnull(f = fopen(cluster_log_path(c, 0), "r"));
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, "mode 0644") != NULL &&
		    strstr(line, "0600 or stricter") != NULL)
			said = true;
	fclose(f);
	ck_assert_msg(said, "no clear message in %s", cluster_log_path(c, 0));
	cluster_free(c);
	rawpeer_key_remove();
}
END_TEST

static Suite *
hostile_suite(void)
{
	Suite *s = suite_create("hostile");
	TCase *tc = tcase_create("daemons");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, forged_senders_never_move_a_replica);
	tcase_add_test(tc, epoch_near_2_64_is_refused_and_elections_go_on);
	tcase_add_test(tc, control_write_verbs_need_permission);
	tcase_add_test(tc, flood_of_both_sockets_changes_no_epoch);
	tcase_add_test(tc, auth_cluster_elects_fails_over_and_refuses_outsiders);
	tcase_add_test(tc, auth_key_file_mode_0644_fails_startup);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return runner_main(hostile_suite());
}
