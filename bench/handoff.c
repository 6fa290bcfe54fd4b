/*
 * handoff: how long a planned change of primary takes on a real loopback
 * cluster of three daemons. Each round does both, alternately on whoever
 * is primary:
 *  - SIGTERM of the primary (the hand-off on stop, handoff_on_stop_ms):
 *    from the signal until another node's WATCH says role=primary
 *    fenced=no (writable); then the stopped node is started again;
 *  - SWITCHOVER on the primary (the daemon's choice of target): from the
 *    request until the new primary is unfenced, and until the OK reply
 *    (sent once the old primary follows it).
 * It prints min / p50 / p99 / max of each in ms, and a RESULT line for
 * bench/run.sh. Any run that fails (an ERR reply, no new primary, two
 * unfenced primaries at once) fails the whole bench.
 *
 * usage: handoff [-o samples] [rounds] [hb down timeout backoff jitter]
 * -o: the raw samples, one line per round:
 *     "round sigterm_ms switchover_unfenced_ms switchover_ok_ms"
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cluster.h"
#include "stats.h"

#define HANDOFF_NODES      3
#define HANDOFF_ROUNDS_MAX 1000   /* rounds in one run */
#define HANDOFF_WAIT_MS    60000  /* bound on one change or rejoin */
#define HANDOFF_SO_TIMEOUT 10000  /* the SWITCHOVER request's own bound */
#define HANDOFF_REPLY_MAX  512    /* bytes of a SWITCHOVER reply */

/* Every node seen, agreed on one unfenced primary, nobody counted down. */
static bool
settled(struct cluster *c, void *arg)
{
	(void)arg;
	for (size_t i = 0; i < HANDOFF_NODES; i++)
		if (!cluster_view(c, i)->seen)
			return false;
	return cluster_settled(c, NULL);
}

static bool
never(struct cluster *c, void *arg)
{
	(void)c, (void)arg;
	return false;
}

/* A node other than *arg says role=primary, fenced=no: writable. */
static bool
unfenced_other(struct cluster *c, void *arg)
{
	int old = *(int *)arg;

	for (size_t i = 0; i < HANDOFF_NODES; i++)
		if ((int)i != old && cluster_running(c, i) &&
		    strcmp(cluster_view(c, i)->role, "primary") == 0 &&
		    !cluster_view(c, i)->fenced)
			return true;
	return false;
}

/* Settled, then one to three intervals more: a uniform heartbeat phase. */
static int
await_steady(struct cluster *c, uint64_t hb)
{
	do {
		if (!cluster_wait(c, settled, NULL, HANDOFF_WAIT_MS))
			return -1;
		cluster_wait(c, never, NULL, hb + (uint64_t)random() % (2 * hb));
	} while (!settled(c, NULL));
	return cluster_primary(c);
}

static double
ms_since(uint64_t t0)
{
	return (double)(cluster_now_us() - t0) / 1000;
}

/* SIGTERM of the primary p: ms until another is an unfenced primary. */
static int
sigterm_round(struct cluster *c, int p, double *ms)
{
	uint64_t t0 = cluster_now_us();

	if (cluster_signal(c, (size_t)p, SIGTERM) == -1 ||
	    !cluster_wait(c, unfenced_other, &p, HANDOFF_WAIT_MS))
		return -1;
	*ms = ms_since(t0);
	if (cluster_wait_exit(c, (size_t)p, HANDOFF_WAIT_MS) == -1)
		return -1;
	return cluster_start(c, (size_t)p);
}

static int
unix_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0)
		return fd;
	if (fd >= 0)
		close(fd);
	return -1;
}

/*
 * SWITCHOVER on the primary p, sent on a connection of our own so that
 * the WATCH streams are read while it runs: ms until the new primary is
 * unfenced (its WATCH line), and until the OK reply.
 */
static int
switchover_round(struct cluster *c, int p, double *unfenced, double *ok)
{
	static const char req[] = "SWITCHOVER - 10000\n";
	char reply[HANDOFF_REPLY_MAX];
	struct pollfd pf;
	size_t len = 0;
	uint64_t t0;
	ssize_t n;
	int fd = unix_connect(cluster_socket_path(c, (size_t)p));

	if (fd < 0)
		return -1;
	t0 = cluster_now_us();
	if (write(fd, req, sizeof req - 1) != (ssize_t)(sizeof req - 1) ||
	    !cluster_wait(c, unfenced_other, &p, HANDOFF_WAIT_MS)) {
		close(fd);
		return -1;
	}
	*unfenced = ms_since(t0);
	pf.fd = fd;
	pf.events = POLLIN;
	while (memchr(reply, '\n', len) == NULL && len + 1 < sizeof reply &&
	    poll(&pf, 1, HANDOFF_SO_TIMEOUT) == 1 &&
	    (n = read(fd, reply + len, sizeof reply - 1 - len)) > 0)
		len += (size_t)n;
	*ok = ms_since(t0);
	close(fd);
	reply[len] = '\0';
	if (strncmp(reply, "OK ", 3) != 0) {
		fprintf(stderr, "handoff: SWITCHOVER on %s: %s\n",
		    cluster_id(c, (size_t)p), reply);
		return -1;
	}
	return 0;
}

static void
report(const char *what, const char *key, double *v, size_t n, char *res,
    size_t cap)
{
	size_t len = strlen(res);

	stats_sort(v, n);
	printf("%-32s min %8.1f  p50 %8.1f  p99 %8.1f  max %8.1f ms\n", what,
	    v[0], stats_pct(v, n, 50), stats_pct(v, n, 99), v[n - 1]);
	snprintf(res + len, cap - len,
	    " %s_min=%.1f %s_p50=%.1f %s_p99=%.1f %s_max=%.1f", key, v[0], key,
	    stats_pct(v, n, 50), key, stats_pct(v, n, 99), key, v[n - 1]);
}

static void
usage(void)
{
	fprintf(stderr, "usage: handoff [-o samples] [rounds 1..%d] "
	    "[hb down timeout backoff jitter]\n", HANDOFF_ROUNDS_MAX);
	exit(64);
}

int
main(int argc, char **argv)
{
	struct cluster_opts o = { .n = HANDOFF_NODES };
	static double term[HANDOFF_ROUNDS_MAX], so_unf[HANDOFF_ROUNDS_MAX],
	    so_ok[HANDOFF_ROUNDS_MAX];
	char res[1024];
	size_t rounds = 10, done = 0;
	const char *out_path = NULL;
	struct cluster *c;
	unsigned unfenced;
	FILE *out = NULL;
	int ch;

	signal(SIGPIPE, SIG_IGN);
	while ((ch = getopt(argc, argv, "o:")) != -1) {
		if (ch != 'o')
			usage();
		out_path = optarg;
	}
	argc -= optind - 1;
	argv += optind - 1;
	if (argc > 1)
		rounds = strtoul(argv[1], NULL, 10);
	if (argc > 6) {
		o.hb_interval_ms = strtoull(argv[2], NULL, 10);
		o.down_after_ms = strtoull(argv[3], NULL, 10);
		o.election_timeout_ms = strtoull(argv[4], NULL, 10);
		o.backoff_ms = strtoull(argv[5], NULL, 10);
		o.backoff_jitter_ms = strtoull(argv[6], NULL, 10);
	}
	if (rounds == 0 || rounds > HANDOFF_ROUNDS_MAX)
		usage();
	if (out_path != NULL && (out = fopen(out_path, "w")) == NULL) {
		perror(out_path);
		return 1;
	}
	if ((c = cluster_new(&o)) == NULL)
		return 1;
	for (size_t i = 0; i < HANDOFF_NODES; i++)
		if (cluster_start(c, i) == -1) {
			fprintf(stderr, "handoff: node %zu did not start\n", i);
			cluster_free(c);
			return 1;
		}
	srandom((unsigned)(cluster_now_us() ^ (uint64_t)getpid()));
	if (o.hb_interval_ms == 0) {	/* the harness's fast timings */
		o.hb_interval_ms = 50;
		o.down_after_ms = 500;
	}
	for (; done < rounds; done++) {
		int p;

		if ((p = await_steady(c, o.hb_interval_ms)) < 0 ||
		    sigterm_round(c, p, &term[done]) == -1 ||
		    (p = await_steady(c, o.hb_interval_ms)) < 0 ||
		    switchover_round(c, p, &so_unf[done], &so_ok[done]) == -1)
			break;
		printf("round %zu: sigterm %.1f ms, switchover unfenced %.1f "
		    "ms, OK %.1f ms\n", done + 1, term[done], so_unf[done],
		    so_ok[done]);
		fflush(stdout);
		if (out != NULL) {
			fprintf(out, "%zu %.3f %.3f %.3f\n", done + 1,
			    term[done], so_unf[done], so_ok[done]);
			fflush(out);
		}
	}
	unfenced = cluster_max_unfenced(c);
	if (done < rounds)
		fprintf(stderr, "handoff: stopped after %zu rounds (logs %s)\n",
		    done, cluster_dir(c));
	if (done > 0) {
		snprintf(res, sizeof res, "RESULT hb=%llu down_after=%llu "
		    "rounds=%zu max_unfenced=%u",
		    (unsigned long long)o.hb_interval_ms,
		    (unsigned long long)o.down_after_ms, done, unfenced);
		report("SIGTERM -> new primary unfenced", "sigterm", term, done,
		    res, sizeof res);
		report("SWITCHOVER -> new unfenced", "so_unfenced", so_unf,
		    done, res, sizeof res);
		report("SWITCHOVER -> OK reply", "so_ok", so_ok, done, res,
		    sizeof res);
		printf("%s\n", res);
	}
	if (out != NULL)
		fclose(out);
	cluster_free(c);
	return done == rounds && unfenced <= 1 ? 0 : 1;
}
