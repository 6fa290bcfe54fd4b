/*
 * check_operator: the operator's verbs against real daemons on loopback
 * (tests/harness/cluster.c, fast timings unless a test says otherwise):
 * SWITCHOVER, PAUSE / RESUME and the hand-off of a primary stopped with
 * SIGTERM, their bad input, and what STATUS shows of them. Every wait is
 * for a reply or a WATCH line, bounded generously; the times printed are
 * for the reader, and the one asserted (the hand-off) is loose.
 */
#define _GNU_SOURCE
#include <check.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cluster.h"
#include "runner.h"

#define WAIT_MS 15000 /* bound on any one wait: ~30 x down_after */

static struct cluster *
start(struct cluster_opts *o)
{
	struct cluster *c = cluster_new(o);

	ck_assert_ptr_nonnull(c);
	for (size_t i = 0; i < o->n; i++)
		ck_assert_msg(cluster_start(c, i) == 0, "node %zu did not start "
		    "(log in %s)", i + 1, cluster_dir(c));
	ck_assert_msg(cluster_wait(c, cluster_settled, NULL, WAIT_MS),
	    "no settled primary (logs in %s)", cluster_dir(c));
	return c;
}

static void
request(struct cluster *c, size_t i, const char *line, char *reply,
    size_t cap)
{
	ck_assert_msg(cluster_request(c, i, line, reply, cap) == 0,
	    "no reply from node %zu to %s", i + 1, line);
}

/* One request, the reply must start with want. */
static void
expect(struct cluster *c, size_t i, const char *line, const char *want)
{
	char reply[CLUSTER_LINE_MAX];

	request(c, i, line, reply, sizeof(reply));
	ck_assert_msg(strncmp(reply, want, strlen(want)) == 0,
	    "node %zu: %s -> '%s', want '%s...'", i + 1, line, reply, want);
}

static void
status_field(struct cluster *c, size_t i, const char *key, char *out,
    size_t cap)
{
	char reply[CLUSTER_LINE_MAX];

	request(c, i, "STATUS", reply, sizeof(reply));
	cluster_field(reply, key, out, cap);
}

struct want_primary {
	int p;
};

static bool
primary_is(struct cluster *c, void *arg)
{
	return cluster_agreed(c, NULL) &&
	    cluster_primary(c) == ((struct want_primary *)arg)->p;
}

struct unfenced_other {
	int old;
};

/*
 * A node other than old is an unfenced primary that the others follow
 * (old's own view is left out: a node that exits closes its WATCH).
 */
static bool
unfenced_other(struct cluster *c, void *arg)
{
	int old = ((struct unfenced_other *)arg)->old, q = -1;

	for (size_t i = 0; i < 3; i++)
		if ((int)i != old && strcmp(cluster_view(c, i)->role,
		    "primary") == 0 && !cluster_view(c, i)->fenced)
			q = (int)i;
	if (q < 0)
		return false;
	for (size_t i = 0; i < 3; i++)
		if ((int)i != old && cluster_running(c, i) &&
		    strcmp(cluster_view(c, i)->primary, cluster_id(c, q)) != 0)
			return false;
	return true;
}

static int
other_than(int p, int q)
{
	for (int i = 0; i < 3; i++)
		if (i != p && i != q)
			return i;
	return -1;
}

static int
unix_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		return fd;
	if (fd >= 0)
		close(fd);
	return -1;
}

/* A line from fd within timeout_ms, "\n" removed; -1 if none. */
static int
read_line(int fd, char *buf, size_t cap, int timeout_ms)
{
	size_t len = 0;
	struct pollfd pf = { fd, POLLIN, 0 };
	ssize_t n;

	while (len + 1 < cap && poll(&pf, 1, timeout_ms) == 1 &&
	    (n = read(fd, buf + len, cap - 1 - len)) > 0) {
		len += (size_t)n;
		if (memchr(buf, '\n', len) != NULL) {
			buf[strcspn(buf, "\n")] = '\0';
			return 0;
		}
	}
	return -1;
}

/*
 * SWITCHOVER on node i, answered on its own connection while the WATCH
 * streams are read (so the harness sees every change as it happens): the
 * reply, once pred holds.
 */
static void
switchover_while_watching(struct cluster *c, size_t i, const char *line,
    cluster_pred_fn *pred, void *arg, char *reply, size_t cap)
{
	int fd = unix_connect(cluster_socket_path(c, i));
	char req[128];

	ck_assert_int_ge(fd, 0);
	snprintf(req, sizeof(req), "%s\n", line);
	ck_assert_int_eq(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	ck_assert_msg(cluster_wait(c, pred, arg, WAIT_MS),
	    "no new primary after %s (logs in %s)", line, cluster_dir(c));
	ck_assert_int_eq(read_line(fd, reply, cap, WAIT_MS), 0);
	close(fd);
}

START_TEST(switchover_makes_the_named_replica_primary)
{
	struct cluster_opts o = { .n = 3 };
	struct cluster *c = start(&o);
	int p = cluster_primary(c), t = p == 2 ? 1 : 2;
	uint64_t epoch = cluster_view(c, (size_t)p)->epoch;
	char line[64], reply[256], want[64];
	struct want_primary w = { t };
	struct unfenced_other u;

	/* The tie goes to the lower id in an election: name the higher. */
	snprintf(line, sizeof(line), "SWITCHOVER %s", cluster_id(c, t));
	switchover_while_watching(c, (size_t)p, line, primary_is, &w, reply,
	    sizeof(reply));
	snprintf(want, sizeof(want), "OK %s epoch=%llu ms=", cluster_id(c, t),
	    (unsigned long long)epoch + 1);
	ck_assert_msg(strncmp(reply, want, strlen(want)) == 0, "%s", reply);
	printf("switchover: %s\n", reply);
	ck_assert_uint_le(cluster_max_unfenced(c), 1);
	/* Back again with the default target: the freshest replica. */
	u.old = t;
	switchover_while_watching(c, (size_t)t, "SWITCHOVER - 5000",
	    unfenced_other, &u, reply, sizeof(reply));
	ck_assert_msg(strncmp(reply, "OK ", 3) == 0, "%s", reply);
	ck_assert_uint_le(cluster_max_unfenced(c), 1);
	cluster_free(c);
}
END_TEST

START_TEST(switchover_bad_input_is_refused_and_changes_nothing)
{
	struct cluster_opts o = { .n = 3, .never_stand = { false, false, true } };
	struct cluster *c;
	int p, q, r;
	uint64_t epoch;
	char line[128], reply[512], want[128];
	int fd;

	c = start(&o);
	p = cluster_primary(c);
	q = other_than(p, 2);
	r = 2;
	epoch = cluster_view(c, (size_t)p)->epoch;
	/* Elsewhere than on the primary: who is. */
	snprintf(want, sizeof(want), "ERR not primary: primary is %s 127.0.0.1:",
	    cluster_id(c, p));
	expect(c, (size_t)q, "SWITCHOVER", want);
	expect(c, (size_t)p, "SWITCHOVER nobody", "ERR no such member 'nobody'");
	snprintf(line, sizeof(line), "SWITCHOVER %s", cluster_id(c, p));
	expect(c, (size_t)p, line, "ERR ");
	if (r != p) {
		snprintf(line, sizeof(line), "SWITCHOVER %s", cluster_id(c, r));
		expect(c, (size_t)p, line, "ERR ");
	}
	snprintf(line, sizeof(line), "SWITCHOVER %s abc", cluster_id(c, q));
	expect(c, (size_t)p, line, "ERR bad timeout_ms 'abc'");
	snprintf(line, sizeof(line), "SWITCHOVER %s 0", cluster_id(c, q));
	expect(c, (size_t)p, line, "ERR bad timeout_ms");
	snprintf(line, sizeof(line), "SWITCHOVER %s -5", cluster_id(c, q));
	expect(c, (size_t)p, line, "ERR bad timeout_ms");
	snprintf(line, sizeof(line), "SWITCHOVER %s 99999999999999999999",
	    cluster_id(c, q));
	expect(c, (size_t)p, line, "ERR bad timeout_ms");
	expect(c, (size_t)p, "SWITCHOVER a b c", "ERR wrong number");
	ck_assert_int_eq(cluster_primary(c), p);
	ck_assert_uint_eq(cluster_view(c, (size_t)p)->epoch, epoch);

	/*
	 * Twice at once: the target lags (OFFSET), so the first waits; the
	 * second is refused; the first times out and the primary is back.
	 */
	expect(c, (size_t)p, "OFFSET 5000", "OK");
	ck_assert((fd = unix_connect(cluster_socket_path(c, (size_t)p))) >= 0);
	snprintf(line, sizeof(line), "SWITCHOVER %s 1500\n", cluster_id(c, q));
	ck_assert_int_eq(write(fd, line, strlen(line)), (ssize_t)strlen(line));
	/* Under way once STATUS names its target. */
	for (int k = 0; k < 100; k++) {
		char so[64];

		status_field(c, (size_t)p, "switchover", so, sizeof(so));
		if (strcmp(so, cluster_id(c, q)) == 0)
			break;
		ck_assert_int_lt(k, 99);
		usleep(10000);
	}
	status_field(c, (size_t)p, "fenced", want, sizeof(want));
	ck_assert_str_eq(want, "yes");
	expect(c, (size_t)p, line, "ERR a switchover is already under way");
	ck_assert_int_eq(read_line(fd, reply, sizeof(reply), WAIT_MS), 0);
	close(fd);
	ck_assert_msg(strstr(reply, "ERR switchover to ") == reply &&
	    strstr(reply, "timed out") != NULL &&
	    strstr(reply, "primary again") != NULL, "%s", reply);
	ck_assert(cluster_wait(c, cluster_agreed, NULL, WAIT_MS));
	ck_assert_int_eq(cluster_primary(c), p);
	ck_assert_uint_eq(cluster_view(c, (size_t)p)->epoch, epoch);
	status_field(c, (size_t)p, "switchover", want, sizeof(want));
	ck_assert_str_eq(want, "none");
	ck_assert_uint_le(cluster_max_unfenced(c), 1);
	cluster_free(c);
}
END_TEST

START_TEST(pause_bad_input_status_and_resume)
{
	struct cluster_opts o = { .n = 3 };
	struct cluster *c = start(&o);
	char v[64];
	unsigned long long left;

	expect(c, 0, "PAUSE -1", "ERR bad seconds");
	expect(c, 0, "PAUSE 0", "ERR bad seconds");
	expect(c, 0, "PAUSE 3601", "ERR bad seconds '3601': 1 to 3600");
	expect(c, 0, "PAUSE 99999999999999999999999", "ERR bad seconds");
	expect(c, 0, "PAUSE soon", "ERR bad seconds");
	expect(c, 0, "PAUSE 1 2", "ERR wrong number");
	status_field(c, 0, "paused", v, sizeof(v));
	ck_assert_str_eq(v, "no");
	expect(c, 0, "PAUSE 30", "OK paused for=30");
	status_field(c, 0, "paused", v, sizeof(v));
	ck_assert_str_eq(v, "yes");
	status_field(c, 0, "pause_left_ms", v, sizeof(v));
	left = strtoull(v, NULL, 10);
	ck_assert_msg(left > 0 && left <= 30000, "pause_left_ms=%s", v);
	expect(c, 0, "PAUSE", "OK paused for=300");
	expect(c, 0, "RESUME", "OK resumed");
	expect(c, 0, "RESUME", "OK resumed");
	status_field(c, 0, "paused", v, sizeof(v));
	ck_assert_str_eq(v, "no");
	status_field(c, 0, "pause_left_ms", v, sizeof(v));
	ck_assert_str_eq(v, "0");
	cluster_free(c);
}
END_TEST

static bool
never(struct cluster *c, void *arg)
{
	(void)c;
	(void)arg;
	return false;
}

struct not_p {
	int p;
};

/* A running node other than p says primary or candidate. */
static bool
someone_stands(struct cluster *c, void *arg)
{
	int p = ((struct not_p *)arg)->p;

	for (size_t i = 0; i < 3; i++)
		if ((int)i != p && cluster_running(c, i) &&
		    (strcmp(cluster_view(c, i)->role, "primary") == 0 ||
		    strcmp(cluster_view(c, i)->role, "candidate") == 0))
			return true;
	return false;
}

START_TEST(every_node_paused_no_failover_until_the_pause_ends)
{
	struct cluster_opts o = { .n = 3 };
	struct cluster *c = start(&o);
	int p = cluster_primary(c);
	struct not_p np = { p };
	uint64_t t0;

	for (size_t i = 0; i < 3; i++)
		expect(c, i, "PAUSE 3", "OK paused for=3");
	t0 = cluster_now_us();
	cluster_kill(c, (size_t)p);
	/* Four down_afters into the pause: nobody stood. */
	ck_assert(!cluster_wait(c, someone_stands, &np, 2000));
	ck_assert_msg((cluster_now_us() - t0) / 1000 < 3000,
	    "too slow to tell: the pause may have ended");
	/* It ends by itself: then the survivors fail over. */
	ck_assert(cluster_wait(c, cluster_agreed, NULL, WAIT_MS));
	ck_assert_int_ne(cluster_primary(c), p);
	printf("paused cluster: new primary %.0f ms after the kill "
	    "(pause 3000 ms)\n", (double)(cluster_now_us() - t0) / 1000);
	ck_assert_uint_ge((cluster_now_us() - t0) / 1000, 3000);
	ck_assert_uint_le(cluster_max_unfenced(c), 1);
	cluster_free(c);
}
END_TEST

START_TEST(paused_primary_whose_server_restarts_keeps_its_role)
{
	struct cluster_opts o = { .n = 3 };
	struct cluster *c;
	struct not_p np;
	char reply[CLUSTER_LINE_MAX], v[64];
	int p;
	uint64_t epoch;

	for (size_t i = 0; i < 3; i++)
		o.extra_conf[i] = "local_health_timeout_ms = 400;";
	ck_assert_ptr_nonnull(c = cluster_new(&o));
	for (size_t i = 0; i < 3; i++)
		ck_assert_int_eq(cluster_start(c, i), 0);
	ck_assert(cluster_serve_until(c, -1, cluster_settled, NULL, WAIT_MS));
	p = cluster_primary(c);
	epoch = cluster_view(c, (size_t)p)->epoch;
	np.p = p;
	expect(c, (size_t)p, "PAUSE 60", "OK paused for=60");
	/* Its server stops for 6 down_afters: no failover, it stays primary. */
	ck_assert(!cluster_serve_until(c, p, someone_stands, &np, 3000));
	request(c, (size_t)p, "STATUS", reply, sizeof(reply));
	ck_assert_msg(strstr(reply, " local=down") != NULL, "%s", reply);
	ck_assert_msg(strstr(reply, " role=primary") != NULL, "%s", reply);
	cluster_field(reply, "paused", v, sizeof(v));
	ck_assert_str_eq(v, "yes");
	/* Back: still the primary, same epoch. */
	ck_assert(cluster_serve_until(c, -1, cluster_settled, NULL, WAIT_MS));
	ck_assert_int_eq(cluster_primary(c), p);
	ck_assert_uint_eq(cluster_view(c, (size_t)p)->epoch, epoch);
	/* Without the pause the same stop fails over. */
	expect(c, (size_t)p, "RESUME", "OK resumed");
	ck_assert(cluster_serve_until(c, p, someone_stands, &np, WAIT_MS));
	ck_assert_uint_le(cluster_max_unfenced(c), 1);
	(void)never;
	cluster_free(c);
}
END_TEST


START_TEST(sigterm_of_the_primary_hands_over_before_it_exits)
{
	/* Slower timings: without a hand-off this takes over 2.5 s. */
	struct cluster_opts o = { .n = 3, .hb_interval_ms = 100,
	    .down_after_ms = 2000, .election_timeout_ms = 1000,
	    .backoff_ms = 200, .backoff_jitter_ms = 800 };
	struct cluster *c = start(&o);
	int p = cluster_primary(c), status;
	struct unfenced_other u = { p };
	uint64_t t0, ms;

	t0 = cluster_now_us();
	ck_assert_int_eq(cluster_signal(c, (size_t)p, SIGTERM), 0);
	ck_assert_msg(cluster_wait(c, unfenced_other, &u, WAIT_MS),
	    "no new primary (logs in %s)", cluster_dir(c));
	ms = (cluster_now_us() - t0) / 1000;
	printf("SIGTERM hand-off (%s): unfenced primary %llu ms after the "
	    "signal (down_after 2000 ms)\n", cluster_dir(c),
	    (unsigned long long)ms);
	/* Loose: well under the down_after the survivors would wait. */
	ck_assert_uint_lt(ms, 1500);
	status = cluster_wait_exit(c, (size_t)p, WAIT_MS);
	ck_assert(status != -1 && WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert_uint_le(cluster_max_unfenced(c), 1);
	cluster_free(c);
}
END_TEST

START_TEST(sigterm_of_a_replica_exits_at_once)
{
	struct cluster_opts o = { .n = 3 };
	struct cluster *c = start(&o);
	int p = cluster_primary(c), q = p == 0 ? 1 : 0, status;
	uint64_t epoch = cluster_view(c, (size_t)p)->epoch;

	ck_assert_int_eq(cluster_signal(c, (size_t)q, SIGTERM), 0);
	status = cluster_wait_exit(c, (size_t)q, WAIT_MS);
	ck_assert(status != -1 && WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert_int_eq(cluster_primary(c), p);
	ck_assert_uint_eq(cluster_view(c, (size_t)p)->epoch, epoch);
	cluster_free(c);
}
END_TEST

static Suite *
operator_suite(void)
{
	Suite *s = suite_create("operator");
	TCase *tc;

#define TC(name) do { tc = tcase_create(name); tcase_set_timeout(tc, 120); \
	suite_add_tcase(s, tc); } while (0)
	TC("switchover");
	tcase_add_test(tc, switchover_makes_the_named_replica_primary);
	tcase_add_test(tc, switchover_bad_input_is_refused_and_changes_nothing);
	TC("pause");
	tcase_add_test(tc, pause_bad_input_status_and_resume);
	tcase_add_test(tc, every_node_paused_no_failover_until_the_pause_ends);
	tcase_add_test(tc, paused_primary_whose_server_restarts_keeps_its_role);
	TC("stop");
	tcase_add_test(tc, sigterm_of_the_primary_hands_over_before_it_exits);
	tcase_add_test(tc, sigterm_of_a_replica_exits_at_once);
#undef TC
	return s;
}

int
main(void)
{
	return runner_main(operator_suite());
}
