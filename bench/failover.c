/*
 * failover: repeated SIGKILL of the primary of a real loopback cluster.
 * For each kill it records, from the kill, when every survivor names the
 * same new primary ("agreed") and when that primary reports fenced=no
 * ("writable"), and prints min / median / p99 / max of each, in ms, and
 * of agreed - down_after (the failover overhead).
 *
 * usage: failover [-v] [-o samples] [nodes] [kills]
 *                 [hb_ms down_after_ms timeout_ms backoff_ms jitter_ms]
 * -o: write the raw samples there, one line per kill:
 *     "kill agreed_ms overhead_ms writable_ms" (bench/report.sh plots them).
 * -v: print every WATCH line with its time since the kill.
 * The last line of stdout is "RESULT key=value ..." for bench/run.sh.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster.h"
#include "stats.h"

#define FAILOVER_KILLS_MAX 1000 /* kills in one run */
#define FAILOVER_WAIT_MS   60000 /* bound on one failover or rejoin */

struct other {
	int old;
	size_t n;
};

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

/* -v: every WATCH line, in ms from the last kill (where the time goes). */
static uint64_t trace_t0;

static void
trace_line(struct cluster *c, size_t i, const char *line, void *arg)
{
	const char *role = strstr(line, " role="), *end;

	(void)arg;
	end = role != NULL ? strstr(role, " offset=") : NULL;
	if (trace_t0 != 0 && role != NULL && end != NULL)
		printf("  %+9.3f ms %s:%.*s\n",
		    (double)(cluster_now_us() - trace_t0) / 1000,
		    cluster_id(c, i), (int)(end - role), role);
}

static bool
never(struct cluster *c, void *arg)
{
	(void)c, (void)arg;
	return false;
}

static void
report(const char *what, const char *key, double *v, size_t n)
{
	static char result[512];
	size_t len = strlen(result);

	stats_sort(v, n);
	printf("%-22s min %8.1f  p50 %8.1f  p99 %8.1f  max %8.1f ms\n", what,
	    v[0], stats_pct(v, n, 50), stats_pct(v, n, 99), v[n - 1]);
	snprintf(result + len, sizeof(result) - len,
	    " %s_min=%.1f %s_p50=%.1f %s_p99=%.1f %s_max=%.1f", key, v[0], key,
	    stats_pct(v, n, 50), key, stats_pct(v, n, 99), key, v[n - 1]);
	if (key[0] == 'w')	/* the last one: print the summary */
		printf("RESULT%s\n", result);
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
	const char *out_path = NULL;
	FILE *out = NULL;
	int ch;

	signal(SIGPIPE, SIG_IGN);
	bool verbose = false;

	while ((ch = getopt(argc, argv, "o:v")) != -1) {
		if (ch == 'v') {
			verbose = true;
			continue;
		}
		if (ch != 'o') {
			fprintf(stderr, "usage: failover [-v] [-o samples] [nodes] "
			    "[kills] [hb down timeout backoff jitter]\n");
			return 64;
		}
		out_path = optarg;
	}
	argc -= optind - 1;
	argv += optind - 1;
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
	if (out_path != NULL && (out = fopen(out_path, "w")) == NULL) {
		perror(out_path);
		return 1;
	}
	if ((c = cluster_new(&o)) == NULL)
		return 1;
	other.n = o.n;
	if (verbose)
		cluster_on_line(c, trace_line, NULL);
	for (size_t i = 0; i < o.n; i++)
		if (cluster_start(c, i) == -1) {
			fprintf(stderr, "failover: node %zu did not start\n", i);
			cluster_free(c);
			return 1;
		}
	srandom((unsigned)(cluster_now_us() ^ (uint64_t)getpid()));
	if (o.hb_interval_ms == 0) {	/* the harness's fast timings */
		o.hb_interval_ms = 50;
		o.down_after_ms = 500;
	}
	for (; done < kills; done++) {
		uint64_t t0;
		int p;

		/*
		 * Agreement comes right after a state change, and a node
		 * heartbeats at once on a change: a kill now would always land
		 * just after a heartbeat. A random wait of one to three
		 * intervals puts the kill at a uniform phase of the heartbeat
		 * (again if anything changed meanwhile).
		 */
		do {
			if (!cluster_wait(c, all_agreed, &other,
			    FAILOVER_WAIT_MS))
				goto out;
			cluster_wait(c, never, NULL, o.hb_interval_ms +
			    (uint64_t)random() % (2 * o.hb_interval_ms));
		} while (!all_agreed(c, &other));
		p = cluster_primary(c);
		other.old = p;
		t0 = trace_t0 = cluster_now_us();
		cluster_kill(c, (size_t)p);
		if (!cluster_wait(c, cluster_agreed_other, &other.old,
		    FAILOVER_WAIT_MS))
			break;
		agreed[done] = (double)(cluster_now_us() - t0) / 1000;
		overhead[done] = agreed[done] - (double)o.down_after_ms;
		if (!cluster_wait(c, cluster_agreed, NULL, FAILOVER_WAIT_MS))
			break;
		writable[done] = (double)(cluster_now_us() - t0) / 1000;
		printf("kill %zu: %s -> agreed %.1f ms, writable %.1f ms\n",
		    done + 1, cluster_id(c, p), agreed[done], writable[done]);
		fflush(stdout);
		if (out != NULL) {
			fprintf(out, "%zu %.3f %.3f %.3f\n", done + 1,
			    agreed[done], overhead[done], writable[done]);
			fflush(out);
		}
		if (cluster_start(c, (size_t)p) == -1)
			break;
	}
out:
	if (done < kills)
		fprintf(stderr, "failover: stopped after %zu kills (logs %s)\n",
		    done, cluster_dir(c));
	printf("nodes=%zu kills=%zu max_unfenced_primaries=%u\n", o.n, done,
	    cluster_max_unfenced(c));
	if (done > 0) {
		printf("RESULT nodes=%zu kills=%zu hb=%llu down_after=%llu "
		    "max_unfenced=%u\n", o.n, done,
		    (unsigned long long)o.hb_interval_ms,
		    (unsigned long long)o.down_after_ms, cluster_max_unfenced(c));
		report("agreed after kill", "agreed", agreed, done);
		report("agreed - down_after", "overhead", overhead, done);
		report("writable after kill", "writable", writable, done);
	}
	if (out != NULL)
		fclose(out);
	unfenced = cluster_max_unfenced(c);
	cluster_free(c);
	return done == kills && unfenced <= 1 ? 0 : 1;
}
