/*
 * fanout: WATCH fan-out to many subscribers. A one-node cluster with
 * local_health_timeout_ms set: the bench plays the local server and
 * pushes ALIVE until the node is a writable primary, opens S WATCH
 * connections (drains their first line), then stops pushing. On the
 * timeout the node steps down (a role change); in that loop iteration it
 * sends the sd_notify STATUS= datagram and then queues the WATCH line to
 * every subscriber. t0 = receipt of that datagram, t_last = receipt of the
 * line by the last subscriber (one epoll set holds
 * every subscriber, each receipt stamped as epoll hands it over; the
 * datagram is awaited first, then the subscribers are read). Repeated R times;
 * reports per repetition last - t0 and median - t0 and, over the
 * repetitions, their median and max.
 *
 * usage: fanout [subscribers] [repetitions]
 * The last line of stdout is "RESULT key=value ..." for bench/run.sh.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cluster.h"
#include "stats.h"

#define FANOUT_SUBS_MAX   4000     /* under the daemon's CTL_CLIENTS_MAX */
#define FANOUT_REPS_MAX   100
#define FANOUT_WAIT_MS    30000    /* bound on one step */
#define FANOUT_HEALTH_MS  300      /* local_health_timeout_ms */
#define FANOUT_ALIVE_MS   50       /* ALIVE push interval while serving */

struct sub {
	int fd;
	uint64_t first_us;      /* receipt of the first line after t0, or 0 */
};

static struct sub subs[FANOUT_SUBS_MAX];

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static int
watch_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    write(fd, "WATCH\n", 6) != 6 ||
	    fcntl(fd, F_SETFL, O_NONBLOCK) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Read every subscriber until it has sent at least one line; drop data. */
static int
drain_all(int ep, size_t n, uint64_t timeout_ms)
{
	static struct epoll_event evs[512];
	uint64_t end = cluster_now_us() + timeout_ms * 1000;
	size_t pending = n;
	char buf[65536];

	for (size_t i = 0; i < n; i++)
		subs[i].first_us = 0;
	while (pending > 0 && cluster_now_us() < end) {
		int k = epoll_wait(ep, evs, 512, 100);

		for (int j = 0; j < k; j++) {
			struct sub *s = evs[j].data.ptr;

			while (read(s->fd, buf, sizeof(buf)) > 0)
				if (s->first_us == 0) {
					s->first_us = 1;
					pending--;
				}
		}
	}
	return pending == 0 ? 0 : -1;
}

/* Discard the lines of earlier changes queued to the subscribers. */
static void
flush_quiet(int ep)
{
	static struct epoll_event evs[512];
	char buf[65536];
	int k;

	while ((k = epoll_wait(ep, evs, 512, 20)) > 0)
		for (int j = 0; j < k; j++) {
			struct sub *s = evs[j].data.ptr;

			while (read(s->fd, buf, sizeof(buf)) > 0)
				;
		}
}

static bool
never(struct cluster *c, void *arg)
{
	(void)c, (void)arg;
	return false;
}

/* An unfenced primary, as said by a WATCH line newer than *since. */
static bool
primary_since(struct cluster *c, void *arg)
{
	return cluster_agreed(c, NULL) &&
	    cluster_view(c, 0)->at_us > *(uint64_t *)arg;
}

/* Play the local server until the node is an unfenced primary again. */
static bool
serve_until_primary(struct cluster *c, uint64_t since)
{
	uint64_t end = cluster_now_us() + FANOUT_WAIT_MS * 1000ULL;
	char reply[64];

	while (cluster_now_us() < end) {
		(void)cluster_request(c, 0, "ALIVE", reply, sizeof(reply));
		if (cluster_wait(c, primary_since, &since, FANOUT_ALIVE_MS))
			return true;
	}
	return false;
}

int
main(int argc, char **argv)
{
	static struct epoll_event evs[512];
	static double last_ms[FANOUT_REPS_MAX], med_ms[FANOUT_REPS_MAX];
	static uint64_t lat[FANOUT_SUBS_MAX];
	struct cluster_opts o = { .n = 1 };
	struct epoll_event ev;
	struct rlimit rl;
	size_t nsubs = 1000, reps = 10, done = 0;
	uint64_t stepped_down = 0;
	struct cluster *c;
	char conf[64], buf[65536];
	int ep;

	signal(SIGPIPE, SIG_IGN);
	if (argc > 1)
		nsubs = strtoul(argv[1], NULL, 10);
	if (argc > 2)
		reps = strtoul(argv[2], NULL, 10);
	if (nsubs < 1 || nsubs > FANOUT_SUBS_MAX || reps < 1 ||
	    reps > FANOUT_REPS_MAX) {
		fprintf(stderr, "usage: fanout [subscribers 1..%d] "
		    "[repetitions 1..%d]\n", FANOUT_SUBS_MAX, FANOUT_REPS_MAX);
		return 64;
	}
	/* Ours and (inherited) the daemon's: a descriptor per subscriber. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	snprintf(conf, sizeof(conf), "local_health_timeout_ms = %d;",
	    FANOUT_HEALTH_MS);
	o.extra_conf[0] = conf;
	if ((c = cluster_new(&o)) == NULL || cluster_start(c, 0) == -1 ||
	    (ep = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		fprintf(stderr, "fanout: could not start the daemon\n");
		cluster_free(c);
		return 1;
	}
	if (!serve_until_primary(c, 0)) {
		fprintf(stderr, "fanout: no primary (logs %s)\n", cluster_dir(c));
		cluster_free(c);
		return 1;
	}
	for (size_t i = 0; i < nsubs; i++) {
		if ((subs[i].fd = watch_connect(cluster_socket_path(c, 0))) == -1) {
			fprintf(stderr, "fanout: subscriber %zu: %s\n", i,
			    strerror(errno));
			cluster_free(c);
			return 1;
		}
		ev.events = EPOLLIN;
		ev.data.ptr = &subs[i];
		if (epoll_ctl(ep, EPOLL_CTL_ADD, subs[i].fd, &ev) == -1)
			return 1;
	}
	if (drain_all(ep, nsubs, FANOUT_WAIT_MS) == -1) {
		fprintf(stderr, "fanout: not every subscriber got its first "
		    "line\n");
		cluster_free(c);
		return 1;
	}
	for (; done < reps; done++) {
		uint64_t t0 = 0, t_last = 0, end;
		size_t got = 0;

		if (done > 0 && !serve_until_primary(c, stepped_down))
			break;
		/* Keep serving a little: the node is settled as primary. */
		for (int k = 0; k < 4; k++) {
			(void)cluster_request(c, 0, "ALIVE", buf, sizeof(buf));
			cluster_wait(c, never, NULL, FANOUT_ALIVE_MS);
		}
		flush_quiet(ep);
		while (cluster_notify_next(c, 0, buf, sizeof(buf), 0) >= 0)
			;
		for (size_t i = 0; i < nsubs; i++)
			subs[i].first_us = 0;
		/* Stop serving: the step-down comes FANOUT_HEALTH_MS later. */
		for (;;) {
			if (cluster_notify_next(c, 0, buf, sizeof(buf),
			    FANOUT_WAIT_MS) < 0)
				break;
			if (strstr(buf, "STATUS=") != NULL &&
			    strstr(buf, "role=primary") == NULL) {
				t0 = cluster_now_us();
				break;
			}
		}
		if (t0 == 0) {
			fprintf(stderr, "fanout: no step-down datagram\n");
			break;
		}
		stepped_down = t0;
		end = t0 + FANOUT_WAIT_MS * 1000ULL;
		while (got < nsubs && cluster_now_us() < end) {
			int k = epoll_wait(ep, evs, 512, 100);

			for (int j = 0; j < k; j++) {
				struct sub *s = evs[j].data.ptr;
				uint64_t t = cluster_now_us();
				bool line = false;
				ssize_t n;

				while ((n = read(s->fd, buf, sizeof(buf))) > 0)
					line = line || memchr(buf, '\n',
					    (size_t)n) != NULL;
				if (line && s->first_us == 0) {
					s->first_us = t;
					lat[got++] = t - t0;
					t_last = t;
				}
			}
		}
		if (got < nsubs) {
			fprintf(stderr, "fanout: %zu of %zu subscribers got the "
			    "line\n", got, nsubs);
			break;
		}
		qsort(lat, got, sizeof(lat[0]), cmp_u64);
		last_ms[done] = (double)(t_last - t0) / 1000;
		med_ms[done] = (double)lat[got / 2] / 1000;
		printf("rep %zu: %zu subscribers, first %.3f ms, median %.3f ms, "
		    "last %.3f ms after the notify datagram\n", done + 1, got,
		    (double)lat[0] / 1000, med_ms[done], last_ms[done]);
		fflush(stdout);
	}
	if (done > 0) {
		stats_sort(last_ms, done);
		stats_sort(med_ms, done);
		printf("RESULT subscribers=%zu reps=%zu last_ms_p50=%.3f "
		    "last_ms_max=%.3f median_ms_p50=%.3f median_ms_max=%.3f\n",
		    nsubs, done, last_ms[done / 2], last_ms[done - 1],
		    med_ms[done / 2], med_ms[done - 1]);
	}
	for (size_t i = 0; i < nsubs; i++)
		close(subs[i].fd);
	close(ep);
	cluster_free(c);
	return done == reps ? 0 : 1;
}
