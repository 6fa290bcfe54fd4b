/*
 * failover: repeated SIGKILL of the primary of a real loopback cluster.
 * For each kill it records, from the kill, when every survivor names the
 * same new primary ("agreed") and when that primary reports fenced=no
 * ("writable"), and prints min / median / p99 / max of each, in ms, and
 * of agreed - down_after (the failover overhead).
 *
 * usage: failover [nodes] [kills] [hb_ms down_after_ms timeout_ms backoff_ms jitter_ms]
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"

#define FAILOVER_KILLS_MAX 1000 /* kills in one run */
#define FAILOVER_WAIT_MS   60000 /* bound on one failover or rejoin */

struct other {
	int old;
	size_t n;
};

static bool
agree_on_other(struct cluster *c, void *arg)
{
	struct other *o = arg;
	const char *id = NULL;

	for (size_t i = 0; i < o->n; i++) {
		const struct cluster_view *v = cluster_view(c, i);

		if (!cluster_running(c, i))
			continue;
		if (!v->seen || strcmp(v->primary, "none") == 0 ||
		    strcmp(v->primary, cluster_id(c, o->old)) == 0)
			return false;
		if (id != NULL && strcmp(id, v->primary) != 0)
			return false;
		id = v->primary;
	}
	return id != NULL;
}

static bool
all_agreed(struct cluster *c, void *arg)
{
	struct other *o = arg;

	if (!cluster_agreed(c, NULL))
		return false;
	for (size_t i = 0; i < o->n; i++)
		if (!cluster_view(c, i)->seen)
			return false;
	return true;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void
report(const char *what, double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp);
	printf("%-22s min %8.1f  p50 %8.1f  p99 %8.1f  max %8.1f ms\n", what,
	    v[0], v[n / 2], v[(n * 99) / 100 >= n ? n - 1 : (n * 99) / 100],
	    v[n - 1]);
}

int
main(int argc, char **argv)
{
	struct cluster_opts o = { .n = 3 };
	static double agreed[FAILOVER_KILLS_MAX], writable[FAILOVER_KILLS_MAX],
	    overhead[FAILOVER_KILLS_MAX];
	size_t kills = 20, done = 0;
	unsigned unfenced;
	struct cluster *c;
	struct other other;

	signal(SIGPIPE, SIG_IGN);
	if (argc > 1)
		o.n = strtoul(argv[1], NULL, 10);
	if (argc > 2)
		kills = strtoul(argv[2], NULL, 10);
	if (argc > 7) {
		o.hb_interval_ms = strtoull(argv[3], NULL, 10);
		o.down_after_ms = strtoull(argv[4], NULL, 10);
		o.election_timeout_ms = strtoull(argv[5], NULL, 10);
		o.backoff_ms = strtoull(argv[6], NULL, 10);
		o.backoff_jitter_ms = strtoull(argv[7], NULL, 10);
	}
	if (o.n < 2 || o.n > CLUSTER_NODES_MAX || kills == 0 ||
	    kills > FAILOVER_KILLS_MAX) {
		fprintf(stderr, "usage: failover [nodes 2..%d] [kills 1..%d] "
		    "[hb down timeout backoff jitter]\n", CLUSTER_NODES_MAX,
		    FAILOVER_KILLS_MAX);
		return 64;
	}
	if ((c = cluster_new(&o)) == NULL)
		return 1;
	other.n = o.n;
	for (size_t i = 0; i < o.n; i++)
		if (cluster_start(c, i) == -1) {
			fprintf(stderr, "failover: node %zu did not start\n", i);
			cluster_free(c);
			return 1;
		}
	if (o.hb_interval_ms == 0)
		o.down_after_ms = 500;	/* the harness's fast timings */
	for (; done < kills; done++) {
		uint64_t t0;
		int p;

		if (!cluster_wait(c, all_agreed, &other, FAILOVER_WAIT_MS))
			break;
		p = cluster_primary(c);
		other.old = p;
		t0 = cluster_now_us();
		cluster_kill(c, (size_t)p);
		if (!cluster_wait(c, agree_on_other, &other, FAILOVER_WAIT_MS))
			break;
		agreed[done] = (double)(cluster_now_us() - t0) / 1000;
		overhead[done] = agreed[done] - (double)o.down_after_ms;
		if (!cluster_wait(c, cluster_agreed, NULL, FAILOVER_WAIT_MS))
			break;
		writable[done] = (double)(cluster_now_us() - t0) / 1000;
		printf("kill %zu: %s -> agreed %.1f ms, writable %.1f ms\n",
		    done + 1, cluster_id(c, p), agreed[done], writable[done]);
		fflush(stdout);
		if (cluster_start(c, (size_t)p) == -1)
			break;
	}
	if (done < kills)
		fprintf(stderr, "failover: stopped after %zu kills (logs %s)\n",
		    done, cluster_dir(c));
	printf("nodes=%zu kills=%zu max_unfenced_primaries=%u\n", o.n, done,
	    cluster_max_unfenced(c));
	if (done > 0) {
		report("agreed after kill", agreed, done);
		report("agreed - down_after", overhead, done);
		report("writable after kill", writable, done);
	}
	unfenced = cluster_max_unfenced(c);
	cluster_free(c);
	return done == kills && unfenced <= 1 ? 0 : 1;
}
