/*
 * check_epoch_forgery: issue 9 item 2 against real daemons. One forged
 * ANNOUNCE, inside max_epoch_jump, naming the real primary, sent once to
 * one replica, used to split a three-node cluster for good: the two nodes
 * that took the forged epoch went on beyond the third's reach, and the
 * third refused every frame of theirs, even after a restart. Now the
 * third walks up after one confirmation window and the cluster agrees
 * again; with authentication the forgery gets no frame in at all. Every
 * wait is on WATCH lines (cluster_wait) with a generous bound, never a
 * sleep.
 */
#define _GNU_SOURCE
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cluster.h"
#include "elector.h"
#include "rawpeer.h"
#include "runner.h"

#define WAIT_MS     15000 /* bound on the first election */
#define HEAL_MS     20000 /* bound on agreeing again after the forgery */
#define CLOSE_MS    5000  /* a refused connection is closed within */
#define QUIET_MS    2000  /* the state must hold this long (2 windows) */

struct fixture {
	struct cluster *c;
	uint16_t http[3];
	char extra[3][512];
};

/* Three nodes, fast timings, /metrics on each, plus more config lines. */
static void
start(struct fixture *fx, const char *more)
{
	struct cluster_opts o = { .n = 3 };

	for (size_t i = 0; i < 3; i++) {
		fx->http[i] = cluster_free_port();
		snprintf(fx->extra[i], sizeof(fx->extra[i]),
		    "http_listen = \"127.0.0.1:%u\";\n%s", fx->http[i],
		    more != NULL ? more : "");
		o.extra_conf[i] = fx->extra[i];
	}
	fx->c = cluster_new(&o);
	ck_assert_ptr_nonnull(fx->c);
	for (size_t i = 0; i < 3; i++)
		ck_assert_msg(cluster_start(fx->c, i) == 0, "node %zu did not "
		    "start (logs in %s)", i + 1, cluster_dir(fx->c));
	ck_assert_msg(cluster_wait(fx->c, cluster_agreed, NULL, WAIT_MS),
	    "no agreed primary within %d ms (logs in %s)", WAIT_MS,
	    cluster_dir(fx->c));
}

/*
 * Healed: every node names the same writable primary at one epoch above
 * *arg, has quorum and sees no peer down.
 */
static bool
healed_above(struct cluster *c, void *arg)
{
	uint64_t above = *(uint64_t *)arg;
	int p = cluster_primary(c);

	if (p < 0)
		return false;
	for (size_t i = 0; i < 3; i++) {
		const struct cluster_view *v = cluster_view(c, i);

		if (v->epoch != cluster_view(c, (size_t)p)->epoch ||
		    v->epoch <= above || !v->quorum ||
		    strcmp(v->down, "none") != 0)
			return false;
	}
	return true;
}

/* Any node's epoch other than *arg, or a peer down anywhere. */
static bool
moved_from(struct cluster *c, void *arg)
{
	uint64_t epoch = *(uint64_t *)arg;

	for (size_t i = 0; i < 3; i++) {
		const struct cluster_view *v = cluster_view(c, i);

		if (v->epoch != epoch || !v->quorum ||
		    strcmp(v->down, "none") != 0)
			return true;
	}
	return false;
}

/* The opposite of healed_above, to watch that it holds. */
static bool
not_healed_above(struct cluster *c, void *arg)
{
	return !healed_above(c, arg);
}

/* ANNOUNCE <epoch> <id of node p> <addr> on a fresh connection to node r. */
static int
forge_announce(struct cluster *c, size_t r, uint64_t epoch, size_t p)
{
	char buf[512], e[32];
	const char *v[] = { "ANNOUNCE", e, cluster_id(c, p), "127.0.0.1:1" };
	size_t len;
	int fd;

	snprintf(e, sizeof(e), "%llu", (unsigned long long)epoch);
	len = rawpeer_resp(buf, sizeof(buf), 4, v);
	fd = rawpeer_connect(cluster_election_port(c, r));
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(send(fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
	return fd;
}

START_TEST(one_forged_announce_within_the_jump_heals_without_a_restart)
{
	struct fixture fx;
	uint64_t e, forged;
	int p, fd;
	size_t r;

	start(&fx, NULL);
	p = cluster_primary(fx.c);
	r = (size_t)(p + 1) % 3;
	e = cluster_view(fx.c, (size_t)p)->epoch;
	forged = e + ELECTOR_MAX_EPOCH_JUMP_DEFAULT;
	/* Once, inside the default jump, naming the real primary. */
	fd = forge_announce(fx.c, r, forged, (size_t)p);
	/*
	 * r takes it, the primary stands again above it; the third node is
	 * then beyond reach of both for a window, and walks up.
	 */
	ck_assert_msg(cluster_wait(fx.c, healed_above, &forged, HEAL_MS),
	    "no agreement above epoch %llu within %d ms (logs in %s)",
	    (unsigned long long)forged, HEAL_MS, cluster_dir(fx.c));
	ck_assert_uint_le(cluster_max_unfenced(fx.c), 1);
	/* And it holds: nobody stays or goes down, nobody moves. */
	ck_assert_msg(!cluster_wait(fx.c, not_healed_above, &forged, QUIET_MS),
	    "the agreement did not hold (logs in %s)", cluster_dir(fx.c));
	ck_assert_uint_le(cluster_max_unfenced(fx.c), 1);
	close(fd);
	cluster_free(fx.c);
}
END_TEST

START_TEST(with_authentication_the_same_forgery_changes_nothing)
{
	struct fixture fx;
	uint64_t e;
	int p, fd;
	size_t r;

	start(&fx, rawpeer_key_make(0600));
	p = cluster_primary(fx.c);
	r = (size_t)(p + 1) % 3;
	e = cluster_view(fx.c, (size_t)p)->epoch;
	ck_assert(!cluster_wait(fx.c, moved_from, &e, 200));
	fd = forge_announce(fx.c, r, e + ELECTOR_MAX_EPOCH_JUMP_DEFAULT,
	    (size_t)p);
	/* No KEVYAUTH first: closed, counted, and not a single epoch moves. */
	ck_assert(rawpeer_await_closed(fd, CLOSE_MS));
	close(fd);
	ck_assert_uint_ge(rawpeer_metric(fx.http[r], "auth_failures_total"), 1);
	ck_assert_msg(!cluster_wait(fx.c, moved_from, &e, QUIET_MS),
	    "an epoch moved or a peer went down (logs in %s)",
	    cluster_dir(fx.c));
	ck_assert_int_eq(cluster_primary(fx.c), p);
	ck_assert_uint_eq(rawpeer_metric(fx.http[r], "epochs_raised_total"), 0);
	ck_assert_uint_le(cluster_max_unfenced(fx.c), 1);
	cluster_free(fx.c);
	rawpeer_key_remove();
}
END_TEST

static Suite *
forgery_suite(void)
{
	Suite *s = suite_create("epoch-forgery");
	TCase *tc = tcase_create("daemons");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, one_forged_announce_within_the_jump_heals_without_a_restart);
	tcase_add_test(tc, with_authentication_the_same_forgery_changes_nothing);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return runner_main(forgery_suite());
}
