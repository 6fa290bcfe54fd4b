/*
 * idle: the cost of a settled cluster. Starts N daemons on loopback, waits
 * until they agree on a writable primary, lets them settle, then measures
 * over a window, per daemon: CPU milliseconds per second (from
 * /proc/PID/schedstat, in ns; utime + stime in ticks where it is missing),
 * voluntary context switches per second (wakeups), RSS. Any
 * WATCH line during the window (a change of role, epoch, primary, quorum,
 * fencing or down set) is counted: a settled cluster must show none.
 * Then, in a second window of the same length (strace slows what it
 * watches, so never during the first), the system calls of up to
 * IDLE_SYSC_NODES daemons, the primary first, per daemon per second:
 * all, epoll_wait, epoll_ctl, reads (read, readv, recv*), writes (write,
 * writev, send*), ioctl, other. Left out when strace is missing.
 *
 * Timings are the defaults (hb 200, down_after 5000, election timeout
 * 3000, backoff 1000 + jitter 4000) unless given.
 *
 * usage: idle [nodes] [seconds] [hb_ms down_after_ms]
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
#include "sysc.h"

#define IDLE_SETTLE_MS 3000 /* after agreement, before measuring */
#define IDLE_SYSC_NODES 3   /* daemons whose syscalls are counted */
#define IDLE_AGREE_MS 120000 /* bound on the first election */

struct sample {
	double cpu_ms;          /* on-CPU time */
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
	/* schedstat's first field is the CPU time in ns: finer than ticks. */
	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
	if ((f = fopen(path, "r")) != NULL) {
		unsigned long long ns;

		if (fscanf(f, "%llu", &ns) == 1)
			s->cpu_ms = (double)ns / 1e6;
		fclose(f);
	}
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
	if (*(bool *)arg) {
		changes++;
		/* Which node moved, and how: an election or a flap is a bug. */
		fprintf(stderr, "idle: change on node %zu: %s\n", i + 1, line);
	}
}

/* Per daemon per second, over the nodes counted. */
struct sysc_rates {
	size_t nodes;
	double all, epoll_wait, epoll_ctl, reads, writes, ioctl, other;
};

static uint64_t
calls_of(const struct sysc_counts *sc, const char *const *names)
{
	uint64_t n = 0;

	for (; *names != NULL; names++)
		n += sysc_calls(sc, *names);
	return n;
}

static bool never(struct cluster *, void *);

/* The second window: strace -c on the primary and the first others. */
static int
count_syscalls(struct cluster *c, size_t n, double secs,
    struct sysc_rates *r)
{
	static const char *const reads[] = { "read", "readv", "recvfrom",
	    "recvmsg", NULL };
	static const char *const writes[] = { "write", "writev", "sendto",
	    "sendmsg", NULL };
	pid_t sp[IDLE_SYSC_NODES];
	char path[IDLE_SYSC_NODES][256];
	size_t pick[IDLE_SYSC_NODES], k = 0;
	int primary = cluster_primary(c);
	uint64_t t0;
	double t;

	memset(r, 0, sizeof(*r));
	if (!sysc_available())
		return -1;
	if (primary >= 0)
		pick[k++] = (size_t)primary;
	for (size_t i = 0; i < n && k < IDLE_SYSC_NODES; i++)
		if ((int)i != primary)
			pick[k++] = i;
	for (size_t j = 0; j < k; j++) {
		snprintf(path[j], sizeof(path[j]), "%s/strace-%zu.txt",
		    cluster_dir(c), pick[j]);
		if ((sp[j] = sysc_start(cluster_pid(c, pick[j]), path[j])) ==
		    -1) {
			fprintf(stderr, "idle: strace could not attach\n");
			while (j-- > 0) {
				struct sysc_counts sc;

				sysc_stop(sp[j], path[j], &sc);
			}
			return -1;
		}
	}
	t0 = cluster_now_us();
	cluster_wait(c, never, NULL, (uint64_t)(secs * 1000));
	t = (double)(cluster_now_us() - t0) / 1e6;
	for (size_t j = 0; j < k; j++) {
		struct sysc_counts sc;
		uint64_t rd, wr, ew, ec, io;

		if (sysc_stop(sp[j], path[j], &sc) == -1)
			return -1;
		rd = calls_of(&sc, reads);
		wr = calls_of(&sc, writes);
		ew = sysc_calls(&sc, "epoll_wait");
		ec = sysc_calls(&sc, "epoll_ctl");
		io = sysc_calls(&sc, "ioctl");
		r->all += (double)sc.total / t;
		r->epoll_wait += (double)ew / t;
		r->epoll_ctl += (double)ec / t;
		r->reads += (double)rd / t;
		r->writes += (double)wr / t;
		r->ioctl += (double)io / t;
		r->other += (double)(sc.total - rd - wr - ew - ec - io) / t;
	}
	r->nodes = k;
	r->all /= (double)k;
	r->epoll_wait /= (double)k;
	r->epoll_ctl /= (double)k;
	r->reads /= (double)k;
	r->writes /= (double)k;
	r->ioctl /= (double)k;
	r->other /= (double)k;
	return 0;
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
	struct cluster_opts o = {
		.n = 3, .hb_interval_ms = 200, .down_after_ms = 5000,
		.election_timeout_ms = 3000, .backoff_ms = 1000,
		.backoff_jitter_ms = 4000,
	};
	struct sample a[CLUSTER_NODES_MAX], b[CLUSTER_NODES_MAX];
	double secs = 10, cpu = 0, wake = 0, ivcsw = 0, rss = 0, t;
	double cpu_max = 0, wake_max = 0, rss_max = 0;
	uint64_t start_us, agreed_us;
	bool measuring = false;
	struct cluster *c;
	struct sysc_rates sr;
	bool have_sysc;
	uint64_t t0;

	signal(SIGPIPE, SIG_IGN);
	if (argc > 1)
		o.n = strtoul(argv[1], NULL, 10);
	if (argc > 2)
		secs = strtod(argv[2], NULL);
	if (argc > 4) {
		o.hb_interval_ms = strtoull(argv[3], NULL, 10);
		o.down_after_ms = strtoull(argv[4], NULL, 10);
	}
	if (o.n < 1 || o.n > CLUSTER_NODES_MAX || secs <= 0) {
		fprintf(stderr, "usage: idle [nodes 1..%d] [seconds] "
		    "[hb_ms down_after_ms]\n", CLUSTER_NODES_MAX);
		return 64;
	}
	if ((c = cluster_new(&o)) == NULL)
		return 1;
	cluster_on_line(c, count_line, &measuring);
	start_us = cluster_now_us();
	for (size_t i = 0; i < o.n; i++)
		if (cluster_start(c, i) == -1) {
			cluster_free(c);
			return 1;
		}
	if (!cluster_wait(c, cluster_agreed, NULL, IDLE_AGREE_MS)) {
		fprintf(stderr, "idle: no primary (logs %s)\n", cluster_dir(c));
		cluster_free(c);
		return 1;
	}
	agreed_us = cluster_now_us();
	cluster_wait(c, never, NULL, IDLE_SETTLE_MS);
	for (size_t i = 0; i < o.n; i++)
		sample(cluster_pid(c, i), &a[i]);
	t0 = cluster_now_us();
	measuring = true;
	cluster_wait(c, never, NULL, (uint64_t)(secs * 1000));
	measuring = false;
	t = (double)(cluster_now_us() - t0) / 1e6;
	for (size_t i = 0; i < o.n; i++) {
		double ci, wi;

		sample(cluster_pid(c, i), &b[i]);
		ci = (b[i].cpu_ms - a[i].cpu_ms) / t;
		wi = (double)(b[i].vcsw - a[i].vcsw) / t;
		cpu += ci;
		wake += wi;
		ivcsw += (double)(b[i].ivcsw - a[i].ivcsw) / t;
		rss += (double)b[i].rss_kb;
		cpu_max = ci > cpu_max ? ci : cpu_max;
		wake_max = wi > wake_max ? wi : wake_max;
		rss_max = (double)b[i].rss_kb > rss_max ?
		    (double)b[i].rss_kb : rss_max;
	}
	/* Its own window, after: strace slows what it counts. */
	measuring = true;
	have_sysc = count_syscalls(c, o.n, secs, &sr) == 0;
	measuring = false;
	printf("nodes=%zu window=%.1f s per daemon: cpu %.3f ms/s, wakeups "
	    "%.1f /s, rss %.0f KiB; changes during window: %u\n", o.n, t,
	    cpu / (double)o.n, wake / (double)o.n, rss / (double)o.n, changes);
	printf("RESULT nodes=%zu hb=%llu down_after=%llu window_s=%.1f "
	    "agree_s=%.1f cpu_ms_s=%.3f cpu_ms_s_max=%.3f wakeups_s=%.1f "
	    "wakeups_s_max=%.1f ivcsw_s=%.2f rss_kib=%.0f rss_kib_max=%.0f "
	    "changes=%u\n", o.n, (unsigned long long)o.hb_interval_ms,
	    (unsigned long long)o.down_after_ms, t,
	    (double)(agreed_us - start_us) / 1e6, cpu / (double)o.n, cpu_max,
	    wake / (double)o.n, wake_max, ivcsw / (double)o.n,
	    rss / (double)o.n, rss_max, changes);
	if (have_sysc)
		printf("RESULT sysc_nodes=%zu sys_s=%.1f epoll_wait_s=%.1f "
		    "epoll_ctl_s=%.1f read_s=%.1f write_s=%.1f ioctl_s=%.1f "
		    "other_s=%.1f\n", sr.nodes, sr.all, sr.epoll_wait,
		    sr.epoll_ctl, sr.reads, sr.writes, sr.ioctl, sr.other);
	cluster_free(c);
	return changes == 0 ? 0 : 1;
}
