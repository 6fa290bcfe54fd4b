/*
 * churn: the connection churn a daemon survives. Starts three daemons on
 * loopback (fast timings: hb 50, down_after 500), with or without peer
 * authentication, waits until they agree and nobody is down, then aims a
 * connect-and-reset attacker of T threads (tests/harness/churn.c) at the
 * primary's election port for a window, while it pings the primary's
 * control socket in a loop and checks every WATCH line. Reported per
 * thread count: connections reset per second, whether the cluster moved
 * (epoch, primary, or a peer counted down: a failover or its beginning),
 * the worst control PING round trip during the churn, and the most
 * descriptors the target held.
 *
 * usage: churn [seconds] [auth|noauth] [threads...]   (5 noauth 1 2 4)
 * One "RESULT key=value ..." line per thread count, for bench/run.sh.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "churn.h"
#include "cluster.h"

#define CHURN_AGREE_MS   30000 /* bound on the first election */
#define CHURN_PING_GAP_MS 20   /* WATCH lines read between two PINGs */
#define CHURN_KEY "0123456789abcdef0123456789abcdef-bench\n"

/* A 0600 key file in dir; the config line that names it into conf. */
static int
make_key(const char *dir, char *conf, size_t cap)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/peer.key", dir);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		return -1;
	if (write(fd, CHURN_KEY, strlen(CHURN_KEY)) !=
	    (ssize_t)strlen(CHURN_KEY)) {
		close(fd);
		return -1;
	}
	close(fd);
	snprintf(conf, cap, "auth_key_file = \"%s\";\n", path);
	return 0;
}

static int
run(unsigned threads, unsigned seconds, bool auth, const char *keydir)
{
	struct cluster_opts o = { .n = 3 };
	struct cluster *c;
	struct churn *ch;
	struct cluster_steady st;
	char conf[320], pong[64];
	unsigned long long done, max_fds;
	uint64_t end, worst_us = 0;
	unsigned failed_pings = 0;
	bool moved = false;
	uint16_t port;

	if (auth) {
		if (make_key(keydir, conf, sizeof(conf)) == -1)
			return -1;
		for (size_t i = 0; i < o.n; i++)
			o.extra_conf[i] = conf;
	}
	if ((c = cluster_new(&o)) == NULL)
		return -1;
	for (size_t i = 0; i < o.n; i++)
		if (cluster_start(c, i) == -1) {
			fprintf(stderr, "churn: node %zu did not start\n", i + 1);
			cluster_free(c);
			return -1;
		}
	if (!cluster_wait(c, cluster_settled, NULL, CHURN_AGREE_MS)) {
		fprintf(stderr, "churn: no settled cluster\n");
		cluster_free(c);
		return -1;
	}
	st.primary = cluster_primary(c);
	st.epoch = cluster_view(c, (size_t)st.primary)->epoch;
	port = cluster_election_port(c, (size_t)st.primary);
	ch = churn_start(port, threads, (uint64_t)seconds * 1000,
	    cluster_pid(c, (size_t)st.primary));
	if (port == 0 || ch == NULL) {
		cluster_free(c);
		return -1;
	}
	end = cluster_now_us() + (uint64_t)seconds * 1000000;
	while (cluster_now_us() < end) {
		uint64_t t0 = cluster_now_us(), dt;

		if (cluster_request(c, (size_t)st.primary, "PING", pong,
		    sizeof(pong)) != 0)
			failed_pings++;
		dt = cluster_now_us() - t0;
		if (dt > worst_us)
			worst_us = dt;
		if (cluster_wait(c, cluster_disturbed, &st, CHURN_PING_GAP_MS))
			moved = true;
	}
	churn_stop(ch, &done, &max_fds);
	moved = moved || cluster_disturbed(c, &st);
	printf("RESULT auth=%s threads=%u seconds=%u conns_per_s=%.0f "
	    "moved=%s ping_max_ms=%.1f ping_failed=%u max_fds=%llu "
	    "epoch_before=%" PRIu64 " epoch_after=%" PRIu64 "\n",
	    auth ? "on" : "off", threads, seconds, (double)done / seconds,
	    moved ? "yes" : "no", (double)worst_us / 1000.0, failed_pings,
	    max_fds, st.epoch, cluster_view(c, (size_t)st.primary)->epoch);
	fflush(stdout);
	cluster_free(c);
	return 0;
}

int
main(int argc, char **argv)
{
	unsigned seconds = argc > 1 ? (unsigned)atoi(argv[1]) : 5;
	bool auth = argc > 2 && strcmp(argv[2], "auth") == 0;
	unsigned deflt[] = { 1, 2, 4 };
	char keydir[] = "/tmp/kevy-churn.XXXXXX";
	int rc = 0;

	signal(SIGPIPE, SIG_IGN);
	if (seconds == 0 || mkdtemp(keydir) == NULL) {
		fprintf(stderr, "usage: churn [seconds] [auth|noauth] "
		    "[threads...]\n");
		return 2;
	}
	if (argc > 3)
		for (int i = 3; i < argc; i++)
			rc |= run((unsigned)atoi(argv[i]), seconds, auth,
			    keydir);
	else
		for (size_t i = 0; i < sizeof(deflt) / sizeof(deflt[0]); i++)
			rc |= run(deflt[i], seconds, auth, keydir);
	{
		char path[sizeof(keydir) + 16];

		snprintf(path, sizeof(path), "%s/peer.key", keydir);
		unlink(path);
		rmdir(keydir);
	}
	return rc == 0 ? 0 : 1;
}
