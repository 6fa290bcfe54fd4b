/*
 * check_cluster: real kevy-electd processes on loopback with fast timings
 * (hb 50 ms, down_after 500 ms), driven and observed only through their
 * control sockets. Every wait is for a WATCH line or a reply, bounded
 * generously (a loaded 2-core machine must not flake); timings are
 * printed, not gated.
 */
#define _GNU_SOURCE
#include <check.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cluster.h"
#include "runner.h"

#define WAIT_MS 15000 /* bound on any one wait: ~30 x down_after */

static struct cluster *
start_cluster(size_t n)
{
	struct cluster_opts o = { .n = n };
	struct cluster *c = cluster_new(&o);

	ck_assert_ptr_nonnull(c);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(cluster_start(c, i) == 0, "node %zu did not start "
		    "(log in %s)", i + 1, cluster_dir(c));
	return c;
}

static void
request(struct cluster *c, size_t i, const char *line, char *reply,
    size_t cap)
{
	ck_assert_msg(cluster_request(c, i, line, reply, cap) == 0,
	    "no reply from node %zu to %s", i + 1, line);
}

static int
count_primaries(struct cluster *c)
{
	int n = 0;

	for (size_t i = 0; i < CLUSTER_NODES_MAX; i++)
		if (cluster_pid(c, i) > 0 && cluster_running(c, i) &&
		    strcmp(cluster_view(c, i)->role, "primary") == 0)
			n++;
	return n;
}

static int
await_primary(struct cluster *c)
{
	ck_assert_msg(cluster_wait(c, cluster_agreed, NULL, WAIT_MS),
	    "no agreed primary within %d ms (logs in %s)", WAIT_MS,
	    cluster_dir(c));
	ck_assert_int_eq(count_primaries(c), 1);
	ck_assert_uint_le(cluster_max_unfenced(c), 1);
	return cluster_primary(c);
}

static void
cold_start(size_t n)
{
	struct cluster *c = start_cluster(n);
	int p = await_primary(c);
	uint64_t epoch = cluster_view(c, (size_t)p)->epoch;

	for (size_t i = 0; i < n; i++) {
		ck_assert_str_eq(cluster_view(c, i)->primary, cluster_id(c, p));
		ck_assert_uint_eq(cluster_view(c, i)->epoch, epoch);
		ck_assert(cluster_view(c, i)->quorum);
	}
	cluster_free(c);
}

START_TEST(cold_start_of_3_elects_exactly_one)
{
	cold_start(3);
}
END_TEST

START_TEST(cold_start_of_5_elects_exactly_one)
{
	cold_start(5);
}
END_TEST

struct new_primary {
	int old;
};

static bool
other_primary(struct cluster *c, void *arg)
{
	struct new_primary *np = arg;
	int p = cluster_primary(c);

	return p >= 0 && p != np->old;
}

static void
push_offset(struct cluster *c, size_t i, unsigned long long off)
{
	char line[64], reply[64];

	snprintf(line, sizeof(line), "OFFSET %llu", off);
	request(c, i, line, reply, sizeof(reply));
	ck_assert_str_eq(reply, "OK");
}

static int
kill_primary_and_await(struct cluster *c, int p, uint64_t *took_us)
{
	struct new_primary np = { p };
	uint64_t t0 = cluster_now_us();
	int q;

	cluster_kill(c, (size_t)p);
	ck_assert_msg(cluster_wait(c, other_primary, &np, WAIT_MS),
	    "no new primary after killing %s (logs in %s)", cluster_id(c, p),
	    cluster_dir(c));
	*took_us = cluster_now_us() - t0;
	q = cluster_primary(c);
	ck_assert_int_eq(count_primaries(c), 1);
	ck_assert_uint_le(cluster_max_unfenced(c), 1);
	return q;
}

START_TEST(kill_primary_elects_highest_offset_and_restart_rejoins)
{
	struct cluster *c = start_cluster(3);
	int p = await_primary(c), q;
	size_t a = (size_t)(p + 1) % 3, b = (size_t)(p + 2) % 3;
	uint64_t took, old_epoch = cluster_view(c, (size_t)p)->epoch;
	char reply[256];

	/* The survivor with more data must win, whatever its id. */
	push_offset(c, a, 1000);
	push_offset(c, b, 2000);
	push_offset(c, (size_t)p, 3000);
	/* Offsets travel in heartbeats: wait until both survivors saw. */
	request(c, a, "PEER n1", reply, sizeof(reply));
	{
		char want[64];
		uint64_t end = cluster_now_us() + WAIT_MS * 1000ULL;
		bool seen = false;

		snprintf(want, sizeof(want), "offset=2000");
		while (!seen && cluster_now_us() < end) {
			char line[32];

			snprintf(line, sizeof(line), "PEER %s", cluster_id(c, b));
			request(c, a, line, reply, sizeof(reply));
			seen = strstr(reply, want) != NULL;
			if (!seen)
				usleep(10000); /* a replica's next heartbeat */
		}
		ck_assert_msg(seen, "offset never reached peer: %s", reply);
	}
	q = kill_primary_and_await(c, p, &took);
	printf("failover: %s killed, %s primary after %.1f ms\n",
	    cluster_id(c, p), cluster_id(c, q), (double)took / 1000);
	ck_assert_int_eq(q, (int)b);
	ck_assert_uint_gt(cluster_view(c, (size_t)q)->epoch, old_epoch);

	/* The old primary comes back as a replica in the new epoch. */
	ck_assert_int_eq(cluster_start(c, (size_t)p), 0);
	ck_assert(cluster_wait(c, cluster_agreed, NULL, WAIT_MS));
	ck_assert_int_eq(cluster_primary(c), q);
	ck_assert_str_eq(cluster_view(c, (size_t)p)->role, "replica");
	ck_assert_uint_eq(cluster_view(c, (size_t)p)->epoch,
	    cluster_view(c, (size_t)q)->epoch);
	cluster_free(c);
}
END_TEST

START_TEST(tied_offsets_lowest_id_wins)
{
	struct cluster *c = start_cluster(3);
	int p = await_primary(c), q;
	uint64_t took;
	size_t lowest = p == 0 ? 1 : 0;

	q = kill_primary_and_await(c, p, &took);
	ck_assert_int_eq(q, (int)lowest);
	cluster_free(c);
}
END_TEST

struct demoted {
	int p;
};

static bool
old_primary_demoted(struct cluster *c, void *arg)
{
	struct demoted *dm = arg;
	const struct cluster_view *v = cluster_view(c, (size_t)dm->p);
	int q = cluster_primary(c);

	return q >= 0 && q != dm->p && strcmp(v->role, "replica") == 0;
}

START_TEST(sigstop_primary_past_down_after_demotes_on_sigcont)
{
	struct cluster *c = start_cluster(3);
	int p = await_primary(c);
	struct new_primary np = { p };
	struct demoted dm = { p };

	cluster_stop(c, (size_t)p);
	ck_assert(cluster_wait(c, other_primary, &np, WAIT_MS));
	ck_assert_uint_le(cluster_max_unfenced(c), 1);
	cluster_cont(c, (size_t)p);
	ck_assert_msg(cluster_wait(c, old_primary_demoted, &dm, WAIT_MS),
	    "old primary did not demote (logs in %s)", cluster_dir(c));
	ck_assert_int_eq(count_primaries(c), 1);
	ck_assert_uint_le(cluster_max_unfenced(c), 1);
	cluster_free(c);
}
END_TEST

static bool
survivors_lost_quorum(struct cluster *c, void *arg)
{
	(void)arg;
	for (size_t i = 0; i < 5; i++)
		if (cluster_running(c, i) &&
		    (cluster_view(c, i)->quorum ||
		    (strcmp(cluster_view(c, i)->role, "primary") == 0 &&
		    !cluster_view(c, i)->fenced)))
			return false;
	return true;
}

START_TEST(killing_3_of_5_leaves_no_writable_primary)
{
	struct cluster *c = start_cluster(5);
	int p = await_primary(c);
	size_t killed = 0;
	char reply[CLUSTER_LINE_MAX];

	/* Kill the primary and two more: two survivors, no majority. */
	cluster_kill(c, (size_t)p);
	for (size_t i = 0; i < 5 && killed < 2; i++)
		if ((int)i != p) {
			cluster_kill(c, i);
			killed++;
		}
	ck_assert_msg(cluster_wait(c, survivors_lost_quorum, NULL, WAIT_MS),
	    "survivors still report quorum or a writable primary");
	for (size_t i = 0; i < 5; i++) {
		if (!cluster_running(c, i))
			continue;
		request(c, i, "STATUS", reply, sizeof(reply));
		ck_assert_msg(strstr(reply, "quorum=no") != NULL, "%s", reply);
		ck_assert_msg(strstr(reply, "role=primary") == NULL ||
		    strstr(reply, "fenced=yes") != NULL, "%s", reply);
	}
	cluster_free(c);
}
END_TEST

START_TEST(restart_keeps_persisted_epoch_and_vote)
{
	struct cluster *c = start_cluster(3);
	int p = await_primary(c);
	size_t r = (size_t)(p + 1) % 3;
	uint64_t epoch = cluster_view(c, r)->epoch;
	char path[512], meta[128], want[64];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s.state/elect.meta", cluster_dir(c),
	    cluster_id(c, r));
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	n = fread(meta, 1, sizeof(meta) - 1, f);
	fclose(f);
	meta[n] = '\0';
	snprintf(want, sizeof(want), "epoch %llu\nvoted %s\n",
	    (unsigned long long)epoch, cluster_id(c, p));
	ck_assert_str_eq(meta, want);
	cluster_kill(c, r);
	ck_assert_int_eq(cluster_start(c, r), 0);
	ck_assert(cluster_wait(c, cluster_agreed, NULL, WAIT_MS));
	ck_assert_uint_eq(cluster_view(c, r)->epoch, epoch);
	ck_assert_int_eq(cluster_primary(c), p);
	cluster_free(c);
}
END_TEST

START_TEST(bad_control_input_gets_err_and_others_are_served)
{
	struct cluster *c = start_cluster(1);
	char reply[CLUSTER_LINE_MAX], big[2048];

	ck_assert_int_eq(await_primary(c), 0);
	request(c, 0, "NOSUCHVERB", reply, sizeof(reply));
	ck_assert_msg(strncmp(reply, "ERR ", 4) == 0, "%s", reply);
	request(c, 0, "OFFSET -1", reply, sizeof(reply));
	ck_assert_msg(strncmp(reply, "ERR ", 4) == 0, "%s", reply);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	request(c, 0, big, reply, sizeof(reply));
	ck_assert_msg(strncmp(reply, "ERR ", 4) == 0, "%s", reply);
	request(c, 0, "PING", reply, sizeof(reply));
	ck_assert_str_eq(reply, "PONG");
	request(c, 0, "ROLE", reply, sizeof(reply));
	ck_assert_str_eq(reply, "primary");
	cluster_free(c);
}
END_TEST

struct epoch_seen {
	size_t node;
	uint64_t epoch;
};

static bool
watch_saw_epoch(struct cluster *c, void *arg)
{
	struct epoch_seen *es = arg;

	return cluster_view(c, es->node)->epoch >= es->epoch &&
	    cluster_primary(c) >= 0;
}

START_TEST(watch_delivers_each_change)
{
	struct cluster *c = start_cluster(3);
	int p = await_primary(c);
	size_t r = (size_t)(p + 1) % 3;
	struct epoch_seen es = { r, cluster_view(c, r)->epoch + 1 };
	const struct cluster_view *v;

	/* The WATCH stream of a replica shows the primary's loss... */
	cluster_kill(c, (size_t)p);
	ck_assert(cluster_wait(c, watch_saw_epoch, &es, WAIT_MS));
	v = cluster_view(c, r);
	ck_assert_str_ne(v->primary, "none");
	ck_assert_str_ne(v->primary, cluster_id(c, p));
	/* ...and the dead node in its down set. */
	ck_assert_msg(strstr(v->down, cluster_id(c, p)) != NULL, "down=%s",
	    v->down);
	cluster_free(c);
}
END_TEST

START_TEST(bad_config_exits_78_naming_the_line)
{
	char dir[] = "/tmp/kevy-badconf.XXXXXX", path[128], cmd[512];
	char out[1024] = "";
	struct cluster_opts o = { .n = 1 };
	struct cluster *c = cluster_new(&o);
	FILE *f, *p;
	int status;
	size_t n;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/bad.conf", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs("node_id = \"n1\";\n"
	    "members = ( { id = \"n1\"; election = \"127.0.0.1:1\"; "
	    "client = \"127.0.0.1:2\"; } );\n"
	    "hb_interval_ms = \"fast\";\n", f);
	fclose(f);
	{
		char bin[PATH_MAX];

		cluster_build_binary("KEVY_ELECTD_BIN", "kevy-electd", bin,
		    sizeof(bin));
		snprintf(cmd, sizeof(cmd), "'%s' -t -c '%s' 2>&1", bin, path);
	}
	ck_assert_ptr_nonnull(p = popen(cmd, "r"));
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	status = pclose(p);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 78);
	ck_assert_msg(strstr(out, "bad.conf:3") != NULL, "output: %s", out);
	ck_assert_msg(strstr(out, "hb_interval_ms") != NULL, "output: %s", out);
	unlink(path);
	rmdir(dir);
	cluster_free(c);
}
END_TEST

START_TEST(sigterm_exits_cleanly_and_removes_the_socket)
{
	struct cluster *c = start_cluster(1);
	int status;

	ck_assert_int_eq(access(cluster_socket_path(c, 0), F_OK), 0);
	ck_assert_int_eq(cluster_signal(c, 0, SIGTERM), 0);
	status = cluster_wait_exit(c, 0, WAIT_MS);
	ck_assert_msg(status != -1, "no exit after SIGTERM");
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert_int_eq(access(cluster_socket_path(c, 0), F_OK), -1);
	cluster_free(c);
}
END_TEST

static bool
log_has(struct cluster *c, size_t i, const char *what)
{
	char buf[65536];
	FILE *f = fopen(cluster_log_path(c, i), "r");
	size_t n;

	if (f == NULL)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, what) != NULL;
}

static void
rewrite_config(struct cluster *c, size_t i, const char *from, const char *to)
{
	char buf[8192], out[8192];
	FILE *f = fopen(cluster_config_path(c, i), "r");
	size_t n;
	char *p;

	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	ck_assert_ptr_nonnull(p = strstr(buf, from));
	snprintf(out, sizeof(out), "%.*s%s%s", (int)(p - buf), buf, to,
	    p + strlen(from));
	ck_assert_ptr_nonnull(f = fopen(cluster_config_path(c, i), "w"));
	fputs(out, f);
	fclose(f);
}

START_TEST(sighup_applies_log_level_and_refuses_membership_changes)
{
	struct cluster *c = start_cluster(1);
	char reply[256];

	rewrite_config(c, 0, "log_level = \"info\"", "log_level = \"debug\"");
	rewrite_config(c, 0, "client = \"127.0.0.1:20000\"",
	    "client = \"127.0.0.1:29999\"");
	ck_assert_int_eq(cluster_signal(c, 0, SIGHUP), 0);
	/* The daemon says RELOADING=1, then READY=1 once it is done. */
	ck_assert_int_eq(cluster_await_notify(c, 0, "READY=1"), 0);
	ck_assert(log_has(c, 0, "event=reload_applied key=log_level "
	    "change=\"info -> debug\""));
	ck_assert(log_has(c, 0, "event=reload_membership_changed "));
	/* An invalid file changes nothing and the daemon keeps serving. */
	rewrite_config(c, 0, "log_level = \"debug\"", "log_level = 7");
	ck_assert_int_eq(cluster_signal(c, 0, SIGHUP), 0);
	ck_assert_int_eq(cluster_await_notify(c, 0, "READY=1"), 0);
	ck_assert(log_has(c, 0, "event=reload_refused "));
	request(c, 0, "PING", reply, sizeof(reply));
	ck_assert_str_eq(reply, "PONG");
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

START_TEST(health_gating_steps_down_a_primary_whose_server_died)
{
	struct cluster_opts o = { .n = 3 };
	struct cluster *c;
	struct new_primary np;
	struct demoted dm;
	char reply[CLUSTER_LINE_MAX];
	uint64_t t0, took;
	int p;

	for (size_t i = 0; i < 3; i++)
		o.extra_conf[i] = "local_health_timeout_ms = 400;";
	ck_assert_ptr_nonnull(c = cluster_new(&o));
	for (size_t i = 0; i < 3; i++)
		ck_assert_int_eq(cluster_start(c, i), 0);
	/* No server has spoken: nobody stands, whatever the timers say. */
	cluster_wait(c, never, NULL, 3 * 500);
	ck_assert_int_eq(count_primaries(c), 0);
	request(c, 0, "STATUS", reply, sizeof(reply));
	ck_assert_msg(strstr(reply, " local=down") != NULL, "%s", reply);
	ck_assert(cluster_serve_until(c, -1, cluster_agreed, NULL, WAIT_MS));
	p = cluster_primary(c);
	request(c, (size_t)p, "STATUS", reply, sizeof(reply));
	ck_assert_msg(strstr(reply, " local=up") != NULL, "%s", reply);

	/* The primary's server stops pushing: it steps down, another wins. */
	np.old = p;
	t0 = cluster_now_us();
	ck_assert(cluster_serve_until(c, p, other_primary, &np, WAIT_MS));
	took = cluster_now_us() - t0;
	printf("health gating: %s stepped down, %s primary %.1f ms after its "
	    "server's last push\n", cluster_id(c, p),
	    cluster_id(c, cluster_primary(c)), (double)took / 1000);
	ck_assert_uint_le(cluster_max_unfenced(c), 1);
	request(c, (size_t)p, "STATUS", reply, sizeof(reply));
	ck_assert_msg(strstr(reply, " local=down") != NULL, "%s", reply);
	ck_assert_msg(strstr(reply, " role=replica") != NULL, "%s", reply);

	/* It stays out while its server is gone... */
	cluster_serve_until(c, p, never, NULL, 3 * 500);
	ck_assert_str_ne(cluster_view(c, (size_t)p)->role, "primary");
	ck_assert_str_ne(cluster_view(c, (size_t)p)->role, "candidate");
	/* ...and rejoins as a replica of the new primary when it is back. */
	dm.p = p;
	ck_assert(cluster_serve_until(c, -1, old_primary_demoted, &dm, WAIT_MS));
	ck_assert(cluster_serve_until(c, -1, cluster_agreed, NULL, WAIT_MS));
	request(c, (size_t)p, "STATUS", reply, sizeof(reply));
	ck_assert_msg(strstr(reply, " local=up") != NULL, "%s", reply);
	ck_assert_uint_le(cluster_max_unfenced(c), 1);
	cluster_free(c);
}
END_TEST

/* Read notify datagrams until one contains what; false on timeout. */
static bool
notify_until(struct cluster *c, const char *what, char *seen, size_t cap)
{
	char msg[512];

	while (cluster_notify_next(c, 0, msg, sizeof(msg), WAIT_MS) >= 0) {
		size_t len = strlen(seen);

		snprintf(seen + len, cap - len, "[%s]", msg);
		if (strstr(msg, what) != NULL)
			return true;
	}
	return false;
}

START_TEST(sd_notify_sequence_ready_status_watchdog_reload_stopping)
{
	struct cluster_opts o = { .n = 1, .env = { "WATCHDOG_USEC=200000" } };
	struct cluster *c = cluster_new(&o);
	char seen[8192] = "";
	int status;

	ck_assert_ptr_nonnull(c);
	/* cluster_start awaits READY=1: sockets bound, state loaded. */
	ck_assert_int_eq(cluster_start(c, 0), 0);
	ck_assert_msg(notify_until(c, "STATUS=role=replica epoch=1", seen,
	    sizeof(seen)), "%s", seen);
	/* Half of WATCHDOG_USEC: a ping within 100 ms, and again. */
	ck_assert_msg(notify_until(c, "WATCHDOG=1", seen, sizeof(seen)), "%s",
	    seen);
	ck_assert_msg(notify_until(c, "WATCHDOG=1", seen, sizeof(seen)), "%s",
	    seen);
	/* A lone node wins after down_after: STATUS says so. */
	ck_assert_msg(notify_until(c, "STATUS=role=primary epoch=2 primary=n1",
	    seen, sizeof(seen)), "%s", seen);
	ck_assert_int_eq(cluster_signal(c, 0, SIGHUP), 0);
	ck_assert_msg(notify_until(c, "RELOADING=1", seen, sizeof(seen)), "%s",
	    seen);
	ck_assert(strstr(seen, "MONOTONIC_USEC=") != NULL);
	ck_assert_msg(notify_until(c, "READY=1", seen, sizeof(seen)), "%s",
	    seen);
	ck_assert_int_eq(cluster_signal(c, 0, SIGTERM), 0);
	ck_assert_msg(notify_until(c, "STOPPING=1", seen, sizeof(seen)), "%s",
	    seen);
	status = cluster_wait_exit(c, 0, WAIT_MS);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	cluster_free(c);
}
END_TEST

static Suite *
cluster_suite(void)
{
	Suite *s = suite_create("cluster");
	TCase *tc = tcase_create("daemons");

	/* Each case starts real processes; bound them, loosely. */
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, cold_start_of_3_elects_exactly_one);
	tcase_add_test(tc, cold_start_of_5_elects_exactly_one);
	tcase_add_test(tc, kill_primary_elects_highest_offset_and_restart_rejoins);
	tcase_add_test(tc, tied_offsets_lowest_id_wins);
	tcase_add_test(tc, sigstop_primary_past_down_after_demotes_on_sigcont);
	tcase_add_test(tc, killing_3_of_5_leaves_no_writable_primary);
	tcase_add_test(tc, restart_keeps_persisted_epoch_and_vote);
	tcase_add_test(tc, bad_control_input_gets_err_and_others_are_served);
	tcase_add_test(tc, watch_delivers_each_change);
	tcase_add_test(tc, bad_config_exits_78_naming_the_line);
	tcase_add_test(tc, sigterm_exits_cleanly_and_removes_the_socket);
	tcase_add_test(tc, health_gating_steps_down_a_primary_whose_server_died);
	tcase_add_test(tc, sd_notify_sequence_ready_status_watchdog_reload_stopping);
	tcase_add_test(tc, sighup_applies_log_level_and_refuses_membership_changes);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return runner_main(cluster_suite());
}
