/*
 * idle: the cost of a settled cluster. Starts N daemons on loopback, waits
 * until they agree on a writable primary, lets them settle, then measures
 * over a window, per daemon: CPU milliseconds per second (utime + stime
 * from /proc), voluntary context switches per second (wakeups), RSS. Any
 * WATCH line during the window (a change of role, epoch, primary, quorum,
 * fencing or down set) is counted: a settled cluster must show none.
 *
 * usage: idle [nodes] [seconds] [hb_ms down_after_ms]
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster.h"

#define IDLE_SETTLE_MS 2000 /* after agreement, before measuring */

struct sample {
	double cpu_ms;          /* utime + stime */
	unsigned long long vcsw, ivcsw;
	unsigned long rss_kb;
};

static int
sample(pid_t pid, struct sample *s)
{
	char path[64], buf[4096], *p;
	unsigned long long ut = 0, st = 0;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* Fields after the command name, which may hold spaces: skip to ')'. */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
	    &ut, &st) != 2)
		return -1;
	s->cpu_ms = (double)(ut + st) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(buf, sizeof(buf), f) != NULL) {
		sscanf(buf, "voluntary_ctxt_switches: %llu", &s->vcsw);
		sscanf(buf, "nonvoluntary_ctxt_switches: %llu", &s->ivcsw);
		sscanf(buf, "VmRSS: %lu", &s->rss_kb);
	}
	fclose(f);
	return 0;
}

static unsigned changes;

static void
count_line(struct cluster *c, size_t i, const char *line, void *arg)
{
	(void)c;
	(void)i;
	(void)line;
	if (*(bool *)arg)
		changes++;
}

static bool
never(struct cluster *c, void *arg)
{
	(void)c;
	(void)arg;
	return false;
}

int
main(int argc, char **argv)
{
	struct cluster_opts o = { .n = 3 };
	struct sample a[CLUSTER_NODES_MAX], b[CLUSTER_NODES_MAX];
	double secs = 10, cpu = 0, wake = 0, rss = 0, t;
	bool measuring = false;
	struct cluster *c;
	uint64_t t0;

	signal(SIGPIPE, SIG_IGN);
	if (argc > 1)
		o.n = strtoul(argv[1], NULL, 10);
	if (argc > 2)
		secs = strtod(argv[2], NULL);
	if (argc > 4) {
		o.hb_interval_ms = strtoull(argv[3], NULL, 10);
		o.down_after_ms = strtoull(argv[4], NULL, 10);
		o.election_timeout_ms = 3000;
		o.backoff_ms = 1000;
		o.backoff_jitter_ms = 4000;
	}
	if (o.n < 1 || o.n > CLUSTER_NODES_MAX || secs <= 0) {
		fprintf(stderr, "usage: idle [nodes 1..%d] [seconds] "
		    "[hb_ms down_after_ms]\n", CLUSTER_NODES_MAX);
		return 64;
	}
	if ((c = cluster_new(&o)) == NULL)
		return 1;
	cluster_on_line(c, count_line, &measuring);
	for (size_t i = 0; i < o.n; i++)
		if (cluster_start(c, i) == -1) {
			cluster_free(c);
			return 1;
		}
	if (!cluster_wait(c, cluster_agreed, NULL, 60000)) {
		fprintf(stderr, "idle: no primary (logs %s)\n", cluster_dir(c));
		cluster_free(c);
		return 1;
	}
	cluster_wait(c, never, NULL, IDLE_SETTLE_MS);
	for (size_t i = 0; i < o.n; i++)
		sample(cluster_pid(c, i), &a[i]);
	t0 = cluster_now_us();
	measuring = true;
	cluster_wait(c, never, NULL, (uint64_t)(secs * 1000));
	measuring = false;
	t = (double)(cluster_now_us() - t0) / 1e6;
	for (size_t i = 0; i < o.n; i++) {
		sample(cluster_pid(c, i), &b[i]);
		cpu += (b[i].cpu_ms - a[i].cpu_ms) / t;
		wake += (double)(b[i].vcsw - a[i].vcsw) / t;
		rss += (double)b[i].rss_kb;
	}
	printf("nodes=%zu window=%.1f s per daemon: cpu %.3f ms/s, wakeups "
	    "%.1f /s, rss %.0f KiB; changes during window: %u\n", o.n, t,
	    cpu / (double)o.n, wake / (double)o.n, rss / (double)o.n, changes);
	cluster_free(c);
	return changes == 0 ? 0 : 1;
}
