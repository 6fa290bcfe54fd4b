/*
 * check_pending: a vote is not lost to a link still connecting (issue 14,
 * item 1). One real daemon (n1) of a three-node cluster; the test plays
 * n2, the candidate, and keeps n2's election port closed, so n1's
 * outbound link to n2 is refused and retried. On n1's election port the
 * test sends n2's OFFER: n1 votes while its link to n2 is down. Before,
 * that ACCEPT was dropped (core.c send_frame -> link_send) and the
 * candidate never counted it; now it waits (daemon/pending.c) and follows
 * the link's fresh heartbeat the moment the test opens n2's port: with
 * n1's vote the candidate has 2 of 3, the first round won. A vote the
 * daemon no longer stands by (it voted again in a later epoch) is not
 * replayed. Every wait has a generous bound and ends on the event.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cluster.h"
#include "rawpeer.h"
#include "runner.h"

#define WAIT_MS   10000 /* bound on the daemon's vote, its redial, a frame */
#define TAIL_MS   500   /* frames after the heartbeat arrive with it: a
                           bound for "nothing else came", not a sync */
#define RECV_MAX  16384 /* bytes kept of what n1 sends n2 */

static bool
at_epoch(struct cluster *c, void *arg)
{
	return cluster_view(c, 0)->seen &&
	    cluster_view(c, 0)->epoch == *(uint64_t *)arg;
}

/* A listener on n2's election port, where n1 dials. */
static int
listen_on(uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	ck_assert_msg(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0,
	    "bind %u: %s", port, strerror(errno));
	ck_assert_int_eq(listen(fd, 4), 0);
	return fd;
}

/* n1's connection to n2, accepted within WAIT_MS. */
static int
accept_within(int lfd)
{
	struct pollfd p = { lfd, POLLIN, 0 };
	int fd;

	ck_assert_msg(poll(&p, 1, WAIT_MS) == 1, "n1 did not redial n2");
	fd = accept(lfd, NULL, NULL);
	ck_assert_int_ge(fd, 0);
	return fd;
}

/* Append what fd sends until want appears (true) or ms pass (false). */
static bool
read_until(int fd, char *buf, size_t *len, const char *want, size_t wlen,
    int ms)
{
	uint64_t end = cluster_now_us() + (uint64_t)ms * 1000;

	while (memmem(buf, *len, want, wlen) == NULL) {
		struct pollfd p = { fd, POLLIN, 0 };
		uint64_t now = cluster_now_us();
		ssize_t n;

		if (now >= end || *len == RECV_MAX)
			return false;
		if (poll(&p, 1, (int)((end - now) / 1000) + 1) <= 0)
			continue;
		if ((n = read(fd, buf + *len, RECV_MAX - *len)) <= 0)
			return false;
		*len += (size_t)n;
	}
	return true;
}

static size_t
frame(char *buf, size_t cap, const char *verb, const char *a, const char *b,
    const char *c)
{
	const char *v[] = { verb, a, b, c };

	return rawpeer_resp(buf, cap, c != NULL ? 4 : 3, v);
}

/* n2 says who it is, then stands in epoch 2 with a better offset. */
static int
offer_as(struct cluster *c, const char *id, const char *epoch)
{
	char buf[512];
	size_t len;
	int fd = rawpeer_connect(cluster_election_port(c, 0));

	ck_assert_int_ge(fd, 0);
	len = rawpeer_hb(buf, sizeof(buf), "1", id, "replica");
	ck_assert(write(fd, buf, len) == (ssize_t)len);
	len = frame(buf, sizeof(buf), "OFFER", epoch, id, "1000");
	ck_assert(write(fd, buf, len) == (ssize_t)len);
	return fd;
}

static struct cluster *
one_of_three(void)
{
	struct cluster_opts o = { .n = 3 };
	struct cluster *c = cluster_new(&o);

	ck_assert_ptr_nonnull(c);
	ck_assert_msg(cluster_start(c, 0) == 0, "n1 did not start (logs in "
	    "%s)", cluster_dir(c));
	return c;
}

START_TEST(vote_cast_while_the_link_connects_reaches_the_candidate)
{
	struct cluster *c = one_of_three();
	char *got = calloc(1, RECV_MAX), accept[128], hb[128];
	size_t len = 0, alen, hlen;
	uint64_t e2 = 2;
	int peer, lfd, fd;

	ck_assert_ptr_nonnull(got);
	/* n2's port is closed: n1's link to it is refused and retried. */
	peer = offer_as(c, "n2", "2");
	ck_assert_msg(cluster_wait(c, at_epoch, &e2, WAIT_MS),
	    "n1 did not vote in epoch 2 (log %s)", cluster_log_path(c, 0));
	lfd = listen_on(cluster_election_port(c, 1));
	fd = accept_within(lfd);
	/* Its fresh heartbeat at the vote's epoch first, then the vote. */
	hlen = rawpeer_hb(hb, sizeof(hb), "2", "n1", "replica");
	alen = frame(accept, sizeof(accept), "ACCEPT", "2", "n1", NULL);
	ck_assert_msg(read_until(fd, got, &len, accept, alen, WAIT_MS),
	    "no ACCEPT 2 n1 on the link once up (%zu bytes came)", len);
	ck_assert_ptr_nonnull(memmem(got, len, hb, hlen));
	ck_assert((char *)memmem(got, len, hb, hlen) <
	    (char *)memmem(got, len, accept, alen));
	close(fd);
	close(lfd);
	close(peer);
	free(got);
	cluster_free(c);
}
END_TEST

START_TEST(vote_superseded_before_the_link_is_up_is_not_replayed)
{
	struct cluster *c = one_of_three();
	char *got = calloc(1, RECV_MAX), accept[128], hb3[128];
	size_t len = 0, alen, hlen;
	uint64_t e2 = 2, e3 = 3;
	int p2, p3, lfd, fd;

	ck_assert_ptr_nonnull(got);
	p2 = offer_as(c, "n2", "2");
	ck_assert(cluster_wait(c, at_epoch, &e2, WAIT_MS));
	/* n3 stands in epoch 3: n1 votes again; its vote for n2 is stale. */
	p3 = offer_as(c, "n3", "3");
	ck_assert(cluster_wait(c, at_epoch, &e3, WAIT_MS));
	lfd = listen_on(cluster_election_port(c, 1));
	fd = accept_within(lfd);
	hlen = rawpeer_hb(hb3, sizeof(hb3), "3", "n1", "replica");
	ck_assert_msg(read_until(fd, got, &len, hb3, hlen, WAIT_MS),
	    "no heartbeat at epoch 3 on the new link");
	alen = frame(accept, sizeof(accept), "ACCEPT", "2", "n1", NULL);
	ck_assert(!read_until(fd, got, &len, accept, alen, TAIL_MS));
	close(fd);
	close(lfd);
	close(p2);
	close(p3);
	free(got);
	cluster_free(c);
}
END_TEST

static Suite *
pending_suite(void)
{
	Suite *s = suite_create("pending");
	TCase *tc = tcase_create("pending");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, vote_cast_while_the_link_connects_reaches_the_candidate);
	tcase_add_test(tc, vote_superseded_before_the_link_is_up_is_not_replayed);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return runner_main(pending_suite());
}
