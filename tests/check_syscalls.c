/*
 * check_syscalls: the daemon's system-call budget (issue 16), counted from
 * outside with strace -c on real daemons. A settled cluster's peer links
 * never touch epoll registrations (a frame is written at once; the write
 * event is armed only while a socket is full) and never ask FIONREAD; a
 * control client's pipelined batch is read once and answered with one
 * write. Counts, not timings: the windows are generous and only calls
 * that must not happen at all, or happen exactly once per batch, are
 * asserted. Skips (passing) when strace is not installed.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cluster.h"
#include "runner.h"
#include "sysc.h"

#define WAIT_MS        15000 /* bound on any one wait */
#define WINDOW_MS      2000  /* strace window on a settled cluster */
#define BATCH_LINES    64    /* pipelined requests in one write */
#define REPLY_MS       5000  /* bound on the batch's replies */

static bool
never(struct cluster *c, void *arg)
{
	(void)c, (void)arg;
	return false;
}

static int
unix_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Three nodes at fast timings (hb 50 ms): 40 frames a second per link. */
START_TEST(settled_links_no_epoll_ctl_no_fionread)
{
	struct cluster_opts o = { .n = 3 };
	struct cluster *c;
	char path[256];
	int primary;

	if (!sysc_available()) {
		printf("SKIP: strace not installed\n");
		return;
	}
	ck_assert_ptr_nonnull(c = cluster_new(&o));
	for (size_t i = 0; i < o.n; i++)
		ck_assert_int_eq(cluster_start(c, i), 0);
	ck_assert_msg(cluster_wait(c, cluster_settled, NULL, WAIT_MS),
	    "not settled (logs in %s)", cluster_dir(c));
	primary = cluster_primary(c);
	ck_assert_int_ge(primary, 0);
	/* The primary and a replica: both heartbeat both peers. */
	for (size_t k = 0; k < 2; k++) {
		size_t i = k == 0 ? (size_t)primary : ((size_t)primary + 1) %
		    o.n;
		struct cluster_steady steady = { primary,
		    cluster_view(c, i)->epoch };
		struct sysc_counts sc;
		pid_t sp;

		snprintf(path, sizeof(path), "%s/strace-%zu.txt",
		    cluster_dir(c), i);
		ck_assert_int_ne(sp = sysc_start(cluster_pid(c, i), path), -1);
		ck_assert_msg(!cluster_wait(c, cluster_disturbed, &steady,
		    WINDOW_MS), "the cluster moved during the window");
		ck_assert_int_eq(sysc_stop(sp, path, &sc), 0);
		printf("node %zu (%s) in %d ms: %llu calls, epoll_wait %llu, "
		    "epoll_ctl %llu, read %llu, write %llu, writev %llu, "
		    "ioctl %llu\n", i + 1, (int)i == primary ? "primary" :
		    "replica", WINDOW_MS, (unsigned long long)sc.total,
		    (unsigned long long)sysc_calls(&sc, "epoll_wait"),
		    (unsigned long long)sysc_calls(&sc, "epoll_ctl"),
		    (unsigned long long)sysc_calls(&sc, "read"),
		    (unsigned long long)sysc_calls(&sc, "write"),
		    (unsigned long long)sysc_calls(&sc, "writev"),
		    (unsigned long long)sysc_calls(&sc, "ioctl"));
		/* Heartbeats flowed: the count is of a live daemon. */
		ck_assert_uint_gt(sysc_calls(&sc, "write") +
		    sysc_calls(&sc, "writev"), 0);
		ck_assert_uint_gt(sysc_calls(&sc, "read") +
		    sysc_calls(&sc, "readv"), 0);
		/* Before: two per frame sent (EPOLLOUT armed, then disarmed). */
		ck_assert_uint_eq(sysc_calls(&sc, "epoll_ctl"), 0);
		ck_assert_uint_eq(sysc_calls(&sc, "ioctl"), 0);
	}
	cluster_free(c);
}
END_TEST

/*
 * One node (no peers: no frames) and one control client, connected
 * before strace attaches: BATCH_LINES PINGs in one write are read in one
 * read and answered in one write.
 */
START_TEST(ctl_batch_one_read_one_write)
{
	struct cluster_opts o = { .n = 1 };
	char req[BATCH_LINES * 5], got[BATCH_LINES * 5 + 1], path[256];
	struct sysc_counts sc;
	struct cluster *c;
	size_t have = 0;
	pid_t sp;
	int fd;

	if (!sysc_available()) {
		printf("SKIP: strace not installed\n");
		return;
	}
	ck_assert_ptr_nonnull(c = cluster_new(&o));
	ck_assert_int_eq(cluster_start(c, 0), 0);
	ck_assert_msg(cluster_wait(c, cluster_agreed, NULL, WAIT_MS),
	    "no primary (logs in %s)", cluster_dir(c));
	ck_assert_int_ne(fd = unix_connect(cluster_socket_path(c, 0)), -1);
	/* Accepted and registered before we count. */
	ck_assert_int_eq(write(fd, "PING\n", 5), 5);
	ck_assert_int_eq(read(fd, got, 5), 5);
	for (size_t i = 0; i < BATCH_LINES; i++)
		memcpy(req + 5 * i, "PING\n", 5);
	snprintf(path, sizeof(path), "%s/strace-ctl.txt", cluster_dir(c));
	ck_assert_int_ne(sp = sysc_start(cluster_pid(c, 0), path), -1);
	ck_assert_int_eq(write(fd, req, sizeof(req)), (ssize_t)sizeof(req));
	while (have < sizeof(req)) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;

		ck_assert_int_eq(poll(&p, 1, REPLY_MS), 1);
		ck_assert_int_gt(n = read(fd, got + have, sizeof(got) - 1 -
		    have), 0);
		have += (size_t)n;
	}
	got[have] = '\0';
	for (size_t i = 0; i < BATCH_LINES; i++)
		ck_assert_int_eq(memcmp(got + 5 * i, "PONG\n", 5), 0);
	/* Whatever else the idle node does in this instant, counted too. */
	cluster_wait(c, never, NULL, 100);
	ck_assert_int_eq(sysc_stop(sp, path, &sc), 0);
	printf("batch of %d PINGs: %llu calls, read %llu, readv %llu, write "
	    "%llu, writev %llu, ioctl %llu, epoll_ctl %llu\n", BATCH_LINES,
	    (unsigned long long)sc.total,
	    (unsigned long long)sysc_calls(&sc, "read"),
	    (unsigned long long)sysc_calls(&sc, "readv"),
	    (unsigned long long)sysc_calls(&sc, "write"),
	    (unsigned long long)sysc_calls(&sc, "writev"),
	    (unsigned long long)sysc_calls(&sc, "ioctl"),
	    (unsigned long long)sysc_calls(&sc, "epoll_ctl"));
	ck_assert_uint_eq(sysc_calls(&sc, "ioctl"), 0);
	ck_assert_uint_eq(sysc_calls(&sc, "epoll_ctl"), 0);
	ck_assert_uint_eq(sysc_calls(&sc, "write") +
	    sysc_calls(&sc, "writev"), 1);
	/* One read; a second may see EAGAIN, never one per line. */
	ck_assert_uint_le(sysc_calls(&sc, "read") +
	    sysc_calls(&sc, "readv"), 2);
	close(fd);
	cluster_free(c);
}
END_TEST

static Suite *
syscalls_suite(void)
{
	Suite *s = suite_create("syscalls");
	TCase *tc = tcase_create("budget");

	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, settled_links_no_epoll_ctl_no_fionread);
	tcase_add_test(tc, ctl_batch_one_read_one_write);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return runner_main(syscalls_suite());
}
