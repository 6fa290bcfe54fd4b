/*
 * check_priority_cluster: member priorities and max_lag_bytes on real
 * daemons on loopback (tests/harness/cluster.c, fast timings): the
 * highest priority wins the first election and each failover in its
 * order, STATUS and CLUSTER show the configured priorities, and a
 * high-priority replica that lags (OFFSET pushes) further than
 * max_lag_bytes does not win, where without the limit it would. Every
 * wait is for a WATCH line or a reply, bounded generously.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "runner.h"

#define WAIT_MS 15000 /* bound on any one wait: ~30 x down_after */

static void
start_node(struct cluster *c, size_t i)
{
	ck_assert_msg(cluster_start(c, i) == 0, "node %zu did not start "
	    "(log in %s)", i + 1, cluster_dir(c));
}

static void
expect(struct cluster *c, size_t i, const char *line, const char *want)
{
	char reply[CLUSTER_LINE_MAX];

	ck_assert_msg(cluster_request(c, i, line, reply, sizeof reply) == 0,
	    "no reply from node %zu to %s", i + 1, line);
	ck_assert_msg(strstr(reply, want) != NULL,
	    "node %zu: %s -> '%s', want '%s' in it", i + 1, line, reply, want);
}

/* The agreed primary, once every running node follows it. */
static int
agreed(struct cluster *c)
{
	ck_assert_msg(cluster_wait(c, cluster_agreed, NULL, WAIT_MS),
	    "no agreed primary (logs in %s)", cluster_dir(c));
	return cluster_primary(c);
}

/* Kill the primary p; the primary the others then agree on. */
static int
fail_over(struct cluster *c, int p)
{
	cluster_kill(c, (size_t)p);
	ck_assert_msg(cluster_wait(c, cluster_agreed_other, &p, WAIT_MS),
	    "no failover from n%d (logs in %s)", p + 1, cluster_dir(c));
	return agreed(c);
}

START_TEST(priorities_order_the_election_and_the_failover)
{
	/* By id alone n1 would win the first election, n1 the failover. */
	struct cluster_opts o = { .n = 3, .priority = { 1, 3, 2 } };
	struct cluster *c = cluster_new(&o);
	int p;

	ck_assert_ptr_nonnull(c);
	for (size_t i = 0; i < 3; i++)
		start_node(c, i);
	p = agreed(c);
	ck_assert_msg(p == 1, "first primary n%d, want n2 (priority 3)", p + 1);
	expect(c, 1, "STATUS", " priority=3");
	expect(c, 0, "STATUS", " priority=1");
	expect(c, 0, "CLUSTER", "\"id\":\"n3\"");
	expect(c, 0, "CLUSTER", "\"priority\":2}");
	expect(c, 0, "CLUSTER", "\"priority\":3}");
	p = fail_over(c, p);
	ck_assert_msg(p == 2, "after n2: n%d, want n3 (priority 2)", p + 1);
	ck_assert_uint_le(cluster_max_unfenced(c), 1);
	cluster_free(c);
}
END_TEST

/* Node i's replication offset, as its server would push it. */
static void
push_offset(struct cluster *c, size_t i, unsigned long long off)
{
	char line[64];

	snprintf(line, sizeof line, "OFFSET %llu", off);
	expect(c, i, line, "OK");
}

struct follows {
	size_t node;
	const char *primary;
};

static bool
node_follows(struct cluster *c, void *arg)
{
	const struct follows *f = arg;

	return strcmp(cluster_view(c, f->node)->primary, f->primary) == 0;
}

/*
 * n3 has priority 5 and the window takes any offset, but it is 5000
 * bytes behind the primary n1. With max_lag_bytes = 100 it sits out and
 * n2 wins; without a limit (the control run) n3 wins.
 */
static int
lagging_failover(bool limit)
{
	static const char *with = "priority_lag_bytes = 1000000;\n"
	    "max_lag_bytes = 100;";
	static const char *without = "priority_lag_bytes = 1000000;";
	struct cluster_opts o = { .n = 3, .priority = { 1, 1, 5 } };
	struct follows f = { 2, "n1" };
	struct cluster *c;
	int p;

	for (size_t i = 0; i < 3; i++)
		o.extra_conf[i] = limit ? with : without;
	ck_assert_ptr_nonnull(c = cluster_new(&o));
	/* n1 and n2 first: n1 is primary before n3 exists. */
	start_node(c, 0);
	start_node(c, 1);
	ck_assert_int_eq(agreed(c), 0);
	push_offset(c, 0, 10000);
	push_offset(c, 1, 10000);
	/* Every heartbeat n3 will get from n1 says 10000. */
	start_node(c, 2);
	push_offset(c, 2, 5000);
	ck_assert_msg(cluster_wait(c, node_follows, &f, WAIT_MS),
	    "n3 does not follow n1 (logs in %s)", cluster_dir(c));
	expect(c, 2, "STATUS", " priority=5");
	expect(c, 2, "STATUS", limit ? " lagging=yes" : " lagging=no");
	p = fail_over(c, 0);
	ck_assert_uint_le(cluster_max_unfenced(c), 1);
	cluster_free(c);
	return p;
}

START_TEST(lagging_high_priority_replica_does_not_win)
{
	int p = lagging_failover(true);

	ck_assert_msg(p == 1, "n%d won, want n2: n3 lags beyond max_lag_bytes",
	    p + 1);
}
END_TEST

START_TEST(without_the_lag_limit_the_high_priority_replica_wins)
{
	int p = lagging_failover(false);

	ck_assert_msg(p == 2, "n%d won, want n3 (priority 5)", p + 1);
}
END_TEST

static Suite *
priority_cluster_suite(void)
{
	Suite *s = suite_create("priority-cluster");
	TCase *tc = tcase_create("live");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, priorities_order_the_election_and_the_failover);
	tcase_add_test(tc, lagging_high_priority_replica_does_not_win);
	tcase_add_test(tc, without_the_lag_limit_the_high_priority_replica_wins);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return runner_main(priority_cluster_suite());
}
