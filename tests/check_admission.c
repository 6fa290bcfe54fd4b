/*
 * check_admission: the election port under abuse that is not a bad frame
 * (issue 9): connect/reset churn from several threads, an identified
 * connection that goes quiet, one member's id on many connections, a
 * legitimate backlog of queued frames (a reference peer's 256, or what
 * piles up while a node is stopped), and a low RLIMIT_NOFILE. Real
 * daemons on loopback; every wait is on an event (a WATCH line, a
 * closed connection, a metric reaching a value) with a generous bound.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "churn.h"
#include "cluster.h"
#include "fdbudget.h"
#include "inbound.h"
#include "rawpeer.h"
#include "runner.h"

#define WAIT_MS        15000 /* bound on any one wait */
#define CLOSE_MS       5000  /* a refused connection is closed within */
#define CHURN_MS       3000  /* how long the churn lasts */
#define CHURN_THREADS  4     /* connect/reset loops at once */
#define TRICKLE_MS     100   /* one byte this often on an idle connection */
#define IDLE_CLOSE_MS  10000 /* it is closed within (idle is 1.5 s here) */
#define BACKLOG_FRAMES 256   /* the reference's queue for one peer */
#define PAUSE_MS       8000  /* SIGSTOP: 400 heartbeats queue at 20 ms */
#define LOW_NOFILE     64    /* the RLIMIT_NOFILE of the issue */
#define LOW_IDLE_CONNS 100   /* idle connections against it */
#define FAKE_CONNS     4     /* connections naming one member */

struct fixture {
	struct cluster *c;
	uint16_t http[CLUSTER_NODES_MAX];
	char extra[CLUSTER_NODES_MAX][256];
};

/* Three nodes, /metrics on each; hb_ms 0: the harness's fast timings. */
static void
start_with(struct fixture *fx, uint64_t hb_ms, uint64_t nofile_node0)
{
	struct cluster_opts o = { .n = 3 };

	if (hb_ms > 0) {
		o.hb_interval_ms = hb_ms;
		o.down_after_ms = 500;
		o.election_timeout_ms = 300;
		o.backoff_ms = 100;
		o.backoff_jitter_ms = 400;
	}
	o.nofile[0] = nofile_node0;
	for (size_t i = 0; i < o.n; i++) {
		fx->http[i] = cluster_free_port();
		snprintf(fx->extra[i], sizeof(fx->extra[i]),
		    "http_listen = \"127.0.0.1:%u\";\n", fx->http[i]);
		o.extra_conf[i] = fx->extra[i];
	}
	fx->c = cluster_new(&o);
	ck_assert_ptr_nonnull(fx->c);
	for (size_t i = 0; i < o.n; i++)
		ck_assert_msg(cluster_start(fx->c, i) == 0, "node %zu did not "
		    "start (logs in %s)", i + 1, cluster_dir(fx->c));
}

static int
await_primary(struct cluster *c)
{
	ck_assert_msg(cluster_wait(c, cluster_agreed, NULL, WAIT_MS),
	    "no agreed primary within %d ms (logs in %s)", WAIT_MS,
	    cluster_dir(c));
	return cluster_primary(c);
}

static void
await_settled(struct cluster *c)
{
	ck_assert_msg(cluster_wait(c, cluster_settled, NULL, WAIT_MS),
	    "cluster did not settle within %d ms (logs in %s)", WAIT_MS,
	    cluster_dir(c));
}

/* Some replica of primary p, and another node than both. */
static size_t
replica_of(int p)
{
	return ((size_t)p + 1) % 3;
}

static size_t
third_of(int p)
{
	return ((size_t)p + 2) % 3;
}

/* HB frames naming node `as`, at node `at`'s current epoch, n of them. */
static size_t
hbs(struct fixture *fx, size_t at, size_t as, char *buf, size_t cap,
    size_t n)
{
	char epoch[32];
	size_t len = 0;

	snprintf(epoch, sizeof(epoch), "%llu",
	    (unsigned long long)cluster_view(fx->c, at)->epoch);
	for (size_t k = 0; k < n; k++)
		len += rawpeer_hb(buf + len, cap - len, epoch,
		    cluster_id(fx->c, as), "replica");
	return len;
}

/* ---- 1. connect/reset churn ---- */

START_TEST(churn_keeps_heartbeats_flowing)
{
	struct fixture fx;
	struct churn *ch;
	struct cluster_steady st;
	unsigned long long cap, done, max_fds;
	char pong[64];

	start_with(&fx, 0, 0);
	await_settled(fx.c);
	st.primary = cluster_primary(fx.c);
	st.epoch = cluster_view(fx.c, (size_t)st.primary)->epoch;
	/* The primary is the target: a stall there is a failover. */
	ch = churn_start(cluster_election_port(fx.c, (size_t)st.primary),
	    CHURN_THREADS, CHURN_MS, cluster_pid(fx.c, (size_t)st.primary));
	ck_assert_ptr_nonnull(ch);
	/* Every WATCH line during the churn is checked; none may differ. */
	ck_assert_msg(!cluster_wait(fx.c, cluster_disturbed, &st, CHURN_MS),
	    "the cluster moved under churn (logs in %s)", cluster_dir(fx.c));
	churn_stop(ch, &done, &max_fds);
	fprintf(stderr, "churn: %llu connections reset in %d ms, target "
	    "max %llu descriptors\n", done, CHURN_MS, max_fds);
	ck_assert_uint_gt(done, 0);
	ck_assert_uint_le(max_fds, INBOUND_CONNS_MAX + FDBUDGET_RESERVED);
	cap = rawpeer_metric(fx.http[st.primary], "inbound_connections_max");
	ck_assert_uint_ge(cap, FDBUDGET_INBOUND_MIN);
	ck_assert_uint_le(cap, INBOUND_CONNS_MAX);
	/* The cap, plus the reserve: never up to the rlimit. */
	ck_assert_uint_le(max_fds, cap + FDBUDGET_RESERVED);
	ck_assert_int_eq(cluster_request(fx.c, (size_t)st.primary, "PING",
	    pong, sizeof(pong)), 0);
	ck_assert_str_eq(pong, "PONG");
	ck_assert(!cluster_disturbed(fx.c, &st));
	cluster_free(fx.c);
}
END_TEST

/* ---- 2. an identified connection that goes quiet ---- */

START_TEST(quiet_identified_connection_is_closed)
{
	struct fixture fx;
	char buf[256];
	size_t len, at, as;
	int p, fd;
	uint64_t end;
	bool closed = false;

	start_with(&fx, 0, 0);
	p = await_primary(fx.c);
	at = replica_of(p);
	as = third_of(p);
	fd = rawpeer_connect(cluster_election_port(fx.c, at));
	ck_assert_int_ge(fd, 0);
	len = hbs(&fx, at, as, buf, sizeof(buf), 1);
	ck_assert_int_eq(send(fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
	/* Then a byte of blank lines (filler, not frames) now and then. */
	end = cluster_now_us() + (uint64_t)IDLE_CLOSE_MS * 1000;
	for (size_t k = 0; cluster_now_us() < end && !closed; k++) {
		if (send(fd, k % 2 == 0 ? "\r" : "\n", 1, MSG_NOSIGNAL) != 1)
			closed = true;
		else
			closed = rawpeer_await_closed(fd, TRICKLE_MS);
	}
	ck_assert_msg(closed, "a quiet identified connection stayed open "
	    "%d ms", IDLE_CLOSE_MS);
	close(fd);
	ck_assert_uint_ge(rawpeer_metric(fx.http[at],
	    "inbound_idle_timeouts_total"), 1);
	cluster_free(fx.c);
}
END_TEST

/* ---- 3. one member, many connections: the newest win ---- */

START_TEST(member_keeps_only_its_newest_connections)
{
	struct fixture fx;
	char buf[256];
	size_t len, at, as;
	int p, fd[FAKE_CONNS];

	start_with(&fx, 0, 0);
	p = await_primary(fx.c);
	at = replica_of(p);
	as = third_of(p);
	len = hbs(&fx, at, as, buf, sizeof(buf), 1);
	for (int k = 0; k < FAKE_CONNS; k++) {
		fd[k] = rawpeer_connect(cluster_election_port(fx.c, at));
		ck_assert_int_ge(fd[k], 0);
		ck_assert_int_eq(send(fd[k], buf, len, MSG_NOSIGNAL),
		    (ssize_t)len);
	}
	/* The real peer's and the oldest fakes make room, in order. */
	for (int k = 0; k < FAKE_CONNS - INBOUND_PER_MEMBER_MAX; k++)
		ck_assert_msg(rawpeer_await_closed(fd[k], CLOSE_MS),
		    "connection %d of %d naming %s still open", k + 1,
		    FAKE_CONNS, cluster_id(fx.c, as));
	ck_assert_uint_ge(rawpeer_metric(fx.http[at],
	    "inbound_replaced_total"), FAKE_CONNS - INBOUND_PER_MEMBER_MAX + 1);
	for (int k = 0; k < FAKE_CONNS; k++)
		close(fd[k]);
	/* The real peer redials and wins its place back. */
	await_settled(fx.c);
	cluster_free(fx.c);
}
END_TEST

/* ---- 4. backlogs are not floods ---- */

static unsigned long long
hbs_received(struct fixture *fx, size_t at)
{
	return rawpeer_metric(fx->http[at],
	    "frames_received_total{verb=\"HB\"}");
}

START_TEST(queued_backlog_in_one_write_is_not_a_flood)
{
	static char buf[BACKLOG_FRAMES * 64];
	struct fixture fx;
	unsigned long long before;
	uint64_t end;
	size_t len, at, as;
	int p, fd;

	start_with(&fx, 0, 0);
	p = await_primary(fx.c);
	at = replica_of(p);
	as = third_of(p);
	len = hbs(&fx, at, as, buf, sizeof(buf), BACKLOG_FRAMES);
	before = hbs_received(&fx, at);
	fd = rawpeer_connect(cluster_election_port(fx.c, at));
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(send(fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
	/* Await every queued frame counted as received. */
	end = cluster_now_us() + (uint64_t)WAIT_MS * 1000;
	while (hbs_received(&fx, at) < before + BACKLOG_FRAMES &&
	    cluster_now_us() < end)
		ck_assert(rawpeer_is_open(fd));
	ck_assert_uint_ge(hbs_received(&fx, at), before + BACKLOG_FRAMES);
	ck_assert_msg(rawpeer_is_open(fd), "a backlog of %d frames closed the "
	    "connection", BACKLOG_FRAMES);
	ck_assert_uint_eq(rawpeer_metric(fx.http[at], "inbound_floods_total"),
	    0);
	close(fd);
	cluster_free(fx.c);
}
END_TEST

static bool
never(struct cluster *c, void *arg)
{
	(void)c;
	(void)arg;
	return false;
}

START_TEST(backlog_after_a_pause_is_not_a_flood)
{
	struct fixture fx;
	size_t at;
	int p;

	/* Fast heartbeats: a short pause queues more than any burst. */
	start_with(&fx, 20, 0);
	p = await_primary(fx.c);
	at = replica_of(p);
	cluster_stop(fx.c, at);
	/* The fault itself: the node stays stopped this long. */
	(void)cluster_wait(fx.c, never, NULL, PAUSE_MS);
	cluster_cont(fx.c, at);
	await_settled(fx.c);
	for (size_t i = 0; i < 3; i++)
		ck_assert_msg(rawpeer_metric(fx.http[i],
		    "inbound_floods_total") == 0, "node %zu took a backlog "
		    "for a flood (logs in %s)", i + 1, cluster_dir(fx.c));
	cluster_free(fx.c);
}
END_TEST

/* ---- 5. a low descriptor limit ---- */

START_TEST(low_descriptor_limit_keeps_serving)
{
	struct fixture fx;
	int fd[LOW_IDLE_CONNS], p;
	unsigned long long cap;
	char pong[64];

	start_with(&fx, 0, LOW_NOFILE);
	await_settled(fx.c);
	cap = rawpeer_metric(fx.http[0], "inbound_connections_max");
	ck_assert_uint_lt(cap, LOW_NOFILE);
	/* Idle strangers past the cap: the oldest give way. */
	for (int k = 0; k < LOW_IDLE_CONNS; k++)
		fd[k] = rawpeer_connect(cluster_election_port(fx.c, 0));
	ck_assert_int_eq(cluster_request(fx.c, 0, "PING", pong, sizeof(pong)),
	    0);
	ck_assert_str_eq(pong, "PONG");
	ck_assert_uint_le(rawpeer_metric(fx.http[0], "inbound_connections"),
	    cap);
	/* Elections still work through node 1. */
	p = cluster_primary(fx.c);
	cluster_kill(fx.c, p == 0 ? 1 : (size_t)p);
	ck_assert_msg(cluster_wait(fx.c, cluster_agreed, NULL, WAIT_MS),
	    "no agreement after a kill under a low rlimit (logs in %s)",
	    cluster_dir(fx.c));
	ck_assert_uint_le(cluster_max_unfenced(fx.c), 1);
	for (int k = 0; k < LOW_IDLE_CONNS; k++)
		if (fd[k] >= 0)
			close(fd[k]);
	cluster_free(fx.c);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("admission");
	TCase *tc = tcase_create("admission");

	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, churn_keeps_heartbeats_flowing);
	tcase_add_test(tc, quiet_identified_connection_is_closed);
	tcase_add_test(tc, member_keeps_only_its_newest_connections);
	tcase_add_test(tc, queued_backlog_in_one_write_is_not_a_flood);
	tcase_add_test(tc, backlog_after_a_pause_is_not_a_flood);
	tcase_add_test(tc, low_descriptor_limit_keeps_serving);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return runner_main(suite());
}
