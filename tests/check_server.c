/*
 * check_server: the server adapter on real redis-server processes (issue
 * 11). Three daemons at fast timings, each beside its own redis-server on
 * loopback; the members' client addresses are the servers' ports, so the
 * adapter points replicas at the elected primary's server. No OFFSET is
 * ever pushed: offsets come from INFO replication. Every wait is a
 * bounded poll of what the daemons or the servers answer.
 */
#define _GNU_SOURCE
#include <check.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cluster.h"
#include "redis.h"

#define NODES       3
#define WAIT_MS     20000  /* bound on any one wait */
#define POLL_MS     20     /* between two looks at the servers */
#define FENCE_MS    3000   /* a cut-off primary's server refuses writes */

struct fixture {
	struct cluster *c;
	uint16_t port[NODES];      /* each node's redis-server */
	pid_t redis[NODES];
	char extra[NODES][256];
	char dir[64];
};

static void
start(struct fixture *fx)
{
	struct cluster_opts o = { .n = NODES };

	if (!redis_available())
		ck_abort_msg("redis-server is not installed (make check "
		    "installs it: Debian package redis-server)");
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/kevy-redis.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fx->dir));
	for (size_t i = 0; i < NODES; i++) {
		fx->port[i] = cluster_free_port();
		ck_assert_uint_gt(fx->port[i], 0);
		fx->redis[i] = redis_start(fx->port[i], fx->dir);
		ck_assert_msg(fx->redis[i] > 0, "redis-server on %u did not "
		    "start (log in %s)", fx->port[i], fx->dir);
		o.client_port[i] = fx->port[i];
		snprintf(fx->extra[i], sizeof(fx->extra[i]), "server = { "
		    "address = \"127.0.0.1:%u\"; };\n", fx->port[i]);
		o.extra_conf[i] = fx->extra[i];
	}
	fx->c = cluster_new(&o);
	ck_assert_ptr_nonnull(fx->c);
	for (size_t i = 0; i < NODES; i++)
		ck_assert_msg(cluster_start(fx->c, i) == 0, "node %zu did not "
		    "start (logs in %s)", i + 1, cluster_dir(fx->c));
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

/* SET on node i's server: "OK" or the error text. */
static void
set_key(struct fixture *fx, size_t i, const char *key, char *out,
    size_t cap)
{
	const char *argv[] = { "SET", key, "v", NULL };

	if (redis_cmd(fx->port[i], out, cap, 1000, argv) == -1)
		snprintf(out, cap, "(no reply)");
}

/*
 * A master takes a write once a replica has acknowledged recently enough
 * for min-replicas-to-write: poll until it does.
 */
static void
await_write_ok(struct fixture *fx, size_t i, const char *key)
{
	uint64_t end = cluster_now_us() + (uint64_t)WAIT_MS * 1000;
	char reply[256];

	do {
		set_key(fx, i, key, reply, sizeof(reply));
		if (strcmp(reply, "OK") == 0)
			return;
		poll(NULL, 0, POLL_MS);
	} while (cluster_now_us() < end);
	ck_abort_msg("node %zu's server never took SET %s: %s (logs in %s)",
	    i + 1, key, reply, cluster_dir(fx->c));
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

START_TEST(primary_and_server_killed_new_primary_takes_writes)
{
	struct fixture fx;
	bool skip[NODES] = { false };
	int p, q;

	start(&fx);
	p = await_primary(&fx);
	await_servers(&fx, (size_t)p, NULL);
	cluster_kill(fx.c, (size_t)p);
	redis_kill(fx.redis[p]);
	fx.redis[p] = 0;
	ck_assert_msg(cluster_wait(fx.c, other_primary, &p, WAIT_MS),
	    "no new primary (logs in %s)", cluster_dir(fx.c));
	q = cluster_primary(fx.c);
	skip[p] = true;
	/*
	 * The survivor's server is master and the other replicates from it;
	 * with one replica connected (min-replicas-to-write 1) it takes SET.
	 */
	await_servers(&fx, (size_t)q, skip);
	await_write_ok(&fx, (size_t)q, "after");
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
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	signal(SIGPIPE, SIG_IGN);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
