/*
 * jitter: spurious fences per hour of a settled cluster under heartbeat
 * jitter (issue 15, "no new flapping"). The reference's heartbeats arrive
 * up to two intervals apart; a healthy primary must not lose its lease,
 * and nobody may call an election, because of that.
 *
 * N daemons (3 by default), each in a network namespace of its own on a
 * bridge (tests/harness/netns.c, NETNS_TAG_JITTER), only hb_interval_ms
 * and down_after_ms set (every other timing derived, as a user gets it).
 * Every node's egress is delayed per packet, uniformly in [0, jitter_ms]
 * (tests/harness/nfqdelay.c: an NFQUEUE delayer, the law of netem's
 * `delay J/2 J/2`; this machine's kernel has no sch_netem), jitter_ms =
 * hb by default: frames sent an interval apart arrive 0 to 2 intervals
 * apart. Nothing else is done to the cluster.
 *
 * Once it has settled (one unfenced primary that every node names, at one
 * epoch), every node's WATCH stream is followed for the run's seconds,
 * and counted:
 *   fences          the primary's own line goes from fenced=no to yes;
 *                   each attributed, from the daemons' logs, to a pause
 *                   (event=elector_pause on any node within lease +
 *                   jitter of it: the machine stalled) or to none
 *   step_downs      the primary's own line leaves role=primary
 *   elections       a new epoch in any node's line
 *   primary_changes a node's primary= changes
 *   peer_down       a node marks a live peer down
 * and, from each node's /metrics at the settle and the end (http_listen on
 * the node's loopback), the deltas of elections_started_total,
 * pauses_total (a starved daemon), and quiet_starts_total /
 * keepalives_sent_total where the binary has them ("n/a" where not). The
 * delayers report what they did (packets, holds) and what the receivers
 * got: the gaps between consecutive election frames of a connection; and
 * after the window, JITTER_PROBES round trips from node 1 to node 2 (a
 * connect to a closed port, refused by the RST; tests/harness/nsprobe.c)
 * show the delay as the kernels see it, independently of the delayers'
 * own accounting.
 *
 * Verdict (exit 1 on any): an election, a step-down or a primary change
 * is spurious by construction (no fault, the primary runs); fences are
 * allowed up to JITTER_FENCES_PER_HOUR_MAX per hour (at least one per
 * run), because a primary starved on a loaded machine longer than its
 * lease wakes fenced on purpose (pauses_total shows it); and the
 * instrument checks itself: a delayer that died, or frame gaps never past
 * 1.5 intervals (the jitter was not applied), fail the run. Not root, no
 * ip or nft, no NFQUEUE or iptables: SKIP, exit 0.
 *
 * usage: jitter [-n nodes] [-j jitter_ms] seconds hb_ms down_after_ms
 * The last line of stdout is "RESULT key=value ..."; a failing run keeps
 * the cluster's directory (configs, daemon logs) under KEVY_JITTER_FAILURES
 * (default /tmp/kevy-jitter-failures).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cluster.h"
#include "netns.h"
#include "nfqdelay.h"
#include "nsprobe.h"
#include "stats.h"

/*
 * Fences tolerated per hour of settled run: a fence needs a majority
 * unheard for a whole lease (4 intervals), which jitter of up to one
 * interval per hop cannot make; a primary starved longer than its lease
 * on a shared 2-core machine can (pauses_total says so). One in ten
 * minutes is weather; a jitter regression fences many times a minute.
 */
#define JITTER_FENCES_PER_HOUR_MAX 6
#define JITTER_HTTP_PORT    9105    /* each node's /metrics, own loopback */
#define JITTER_QUEUE        0       /* the NFQUEUE number in every node */
#define JITTER_LINE_MAX     16384   /* bytes of a WATCH line (STATUS_LINE_MAX) */
#define JITTER_SAMPLE_MS    1000    /* liveness checks, load average */
#define JITTER_PROGRESS_S   60      /* a progress line this often */
#define JITTER_EVENTS_SHOWN 200     /* timeline lines printed, at most */
#define JITTER_HTTP_MS      5000    /* bound on one /metrics fetch */
#define JITTER_METRICS_MAX  65536   /* bytes of a /metrics reply kept */
#define JITTER_SETTLE_ROUNDS 20     /* settle bound: this many down_afters */
#define JITTER_KEEP_DIR     "/tmp/kevy-jitter-failures"
#define JITTER_PROBES       50      /* round trips measured at the end */
#define JITTER_FENCES_KEPT  1024    /* fence times kept for attribution */
#define JITTER_PROBE_PORT   9       /* closed on every node: RST back */

struct view {
	bool have;
	char role[16], primary[16], down[128];
	unsigned long long epoch;
	bool fenced;
};

struct node {
	int fd;                          /* WATCH stream, -1: none */
	char buf[JITTER_LINE_MAX];
	size_t len;
	struct view v;
	uint64_t fenced_at_ms;           /* 0: not fenced */
	struct nfqdelay *delay;
};

/* Counters of the metrics read from /metrics, summed over the nodes. */
enum metric { M_STARTED, M_WON, M_PAUSES, M_ABDICATIONS, M_QUIET,
	M_KEEPALIVE, M_COUNT };
static const char *const metric_names[M_COUNT] = {
	"elections_started_total", "elections_won_total", "pauses_total",
	"abdications_total", "quiet_starts_total", "keepalives_sent_total",
};

struct run {
	struct netns_lab *lab;
	size_t n;
	struct node nodes[NETNS_NODES_MAX];
	uint64_t hb_ms, down_ms, jitter_ms;
	uint64_t t0_ms, settled_ms;
	int primary;                     /* the settled primary */
	unsigned long long epoch, max_epoch;
	unsigned fences, step_downs, elections, primary_changes, peer_down;
	uint64_t fenced_total_ms, fenced_longest_ms;
	uint64_t fence_wall_ms[JITTER_FENCES_KEPT];  /* CLOCK_REALTIME */
	unsigned fences_paused;          /* a daemon paused near the fence */
	unsigned events_shown;
	double load_max;
	bool broken;
	char broke[256];
};

static volatile sig_atomic_t interrupted;
static struct run *run_for_exit;

static void
on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void
teardown(struct run *r)
{
	for (size_t i = 0; i < r->n; i++) {
		if (r->nodes[i].fd >= 0)
			close(r->nodes[i].fd);
		r->nodes[i].fd = -1;
	}
	/* Daemons and namespaces first: a gone delayer would cut them off. */
	netns_lab_free(r->lab);
	r->lab = NULL;
	for (size_t i = 0; i < r->n; i++) {
		nfqdelay_free(r->nodes[i].delay);
		r->nodes[i].delay = NULL;
	}
}

/* atexit: no namespace, daemon or delayer outlives us. */
static void
cleanup(void)
{
	if (run_for_exit != NULL)
		teardown(run_for_exit);
	run_for_exit = NULL;
}

static void
broke(struct run *r, const char *why)
{
	if (!r->broken)
		snprintf(r->broke, sizeof(r->broke), "%s", why);
	r->broken = true;
}

static uint64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static double
load1(void)
{
	FILE *f = fopen("/proc/loadavg", "r");
	double l = -1;

	if (f != NULL) {
		if (fscanf(f, "%lf", &l) != 1)
			l = -1;
		fclose(f);
	}
	return l;
}

/* The value of key in a STATUS line, into out; false when absent. */
static bool
field(const char *line, const char *key, char *out, size_t cap)
{
	size_t kl = strlen(key);

	for (const char *p = line; (p = strstr(p, key)) != NULL; p += kl) {
		size_t len;

		if ((p != line && p[-1] != ' ') || p[kl] != '=')
			continue;
		p += kl + 1;
		len = strcspn(p, " \n");
		snprintf(out, cap, "%.*s", (int)len, p);
		return true;
	}
	return false;
}

static bool
parse_view(const char *line, struct view *v)
{
	char fenced[8], epoch[24];

	if (!field(line, "role", v->role, sizeof(v->role)) ||
	    !field(line, "primary", v->primary, sizeof(v->primary)) ||
	    !field(line, "down", v->down, sizeof(v->down)) ||
	    !field(line, "fenced", fenced, sizeof(fenced)) ||
	    !field(line, "epoch", epoch, sizeof(epoch)))
		return false;
	v->fenced = strcmp(fenced, "yes") == 0;
	v->epoch = strtoull(epoch, NULL, 10);
	v->have = true;
	return true;
}

static void
__attribute__((format(printf, 3, 4)))
event(struct run *r, size_t i, const char *fmt, ...)
{
	va_list ap;

	if (r->events_shown++ >= JITTER_EVENTS_SHOWN)
		return;
	printf("jitter: at %.3f s: %s ",
	    (double)(cluster_now_ms() - r->settled_ms) / 1000,
	    netns_node_id(r->lab, i));
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* One new line of node i, after the settle: count what changed. */
static void
count(struct run *r, size_t i, const struct view *was, const struct view *v)
{
	struct node *nd = &r->nodes[i];
	bool was_up = strcmp(was->role, "primary") == 0;
	bool is_up = strcmp(v->role, "primary") == 0;
	uint64_t now = cluster_now_ms();

	if (was_up && !was->fenced && is_up && v->fenced) {
		if (r->fences < JITTER_FENCES_KEPT)
			r->fence_wall_ms[r->fences] = wall_ms();
		r->fences++;
		nd->fenced_at_ms = now;
		event(r, i, "fenced (role primary, epoch %llu)", v->epoch);
	}
	if (nd->fenced_at_ms != 0 && (!is_up || !v->fenced)) {
		uint64_t d = now - nd->fenced_at_ms;

		r->fenced_total_ms += d;
		if (d > r->fenced_longest_ms)
			r->fenced_longest_ms = d;
		nd->fenced_at_ms = 0;
		event(r, i, "unfenced after %llu ms", (unsigned long long)d);
	}
	if (was_up && !is_up) {
		r->step_downs++;
		event(r, i, "stepped down: role %s epoch %llu", v->role,
		    v->epoch);
	}
	if (v->epoch > r->max_epoch) {
		r->elections++;
		event(r, i, "new epoch %llu (was %llu), role %s", v->epoch,
		    r->max_epoch, v->role);
		r->max_epoch = v->epoch;
	}
	if (strcmp(was->primary, v->primary) != 0) {
		r->primary_changes++;
		event(r, i, "primary %s -> %s", was->primary, v->primary);
	}
	if (strcmp(was->down, v->down) != 0) {
		if (strcmp(v->down, "none") != 0)
			r->peer_down++;
		event(r, i, "down peers %s -> %s", was->down, v->down);
	}
}

static void
on_line(struct run *r, size_t i, const char *line)
{
	struct view v = { 0 }, was = r->nodes[i].v;

	if (!parse_view(line, &v))
		return;
	r->nodes[i].v = v;
	if (r->settled_ms != 0 && was.have)
		count(r, i, &was, &v);
}

/* Read what node i's WATCH stream has; its lines into on_line. */
static void
on_readable(struct run *r, size_t i)
{
	struct node *nd = &r->nodes[i];
	ssize_t got = read(nd->fd, nd->buf + nd->len, sizeof(nd->buf) - 1 -
	    nd->len);
	char *nl, why[128];

	if (got <= 0) {
		snprintf(why, sizeof(why), "%s: WATCH stream ended (daemon "
		    "gone?)", netns_node_id(r->lab, i));
		broke(r, why);
		close(nd->fd);
		nd->fd = -1;
		return;
	}
	nd->len += (size_t)got;
	nd->buf[nd->len] = '\0';
	while ((nl = strchr(nd->buf, '\n')) != NULL) {
		*nl = '\0';
		on_line(r, i, nd->buf);
		nd->len -= (size_t)(nl + 1 - nd->buf);
		memmove(nd->buf, nl + 1, nd->len + 1);
	}
	if (nd->len + 1 >= sizeof(nd->buf))
		nd->len = 0;             /* no line is this long: drop it */
}

/* Wait for WATCH lines until `until` (ms), feeding on_line. */
static void
pump(struct run *r, uint64_t until)
{
	struct pollfd p[NETNS_NODES_MAX];
	uint64_t now;

	while (!interrupted && !r->broken && (now = cluster_now_ms()) < until) {
		for (size_t i = 0; i < r->n; i++) {
			p[i].fd = r->nodes[i].fd;
			p[i].events = POLLIN;
			p[i].revents = 0;
		}
		if (poll(p, r->n, (int)(until - now)) <= 0)
			continue;
		for (size_t i = 0; i < r->n; i++)
			if (p[i].revents != 0)
				on_readable(r, i);
	}
}

/* One unfenced primary, named by every node, everyone at its epoch. */
static int
settled_primary(const struct run *r)
{
	int p = -1;

	for (size_t i = 0; i < r->n; i++) {
		const struct view *v = &r->nodes[i].v;

		if (!v->have)
			return -1;
		if (strcmp(v->role, "primary") == 0 && !v->fenced) {
			if (p >= 0)
				return -1;
			p = (int)i;
		}
	}
	if (p < 0)
		return -1;
	for (size_t i = 0; i < r->n; i++) {
		const struct view *v = &r->nodes[i].v;

		if (strcmp(v->primary, netns_node_id(r->lab, (size_t)p)) != 0 ||
		    v->epoch != r->nodes[p].v.epoch)
			return -1;
	}
	return p;
}

/* "ts=2026-12-01T14:25:11.889Z" at the start of a log line: ms, or 0. */
static uint64_t
log_ts_ms(const char *line)
{
	struct tm tm = { 0 };
	int ms = 0;

	if (sscanf(line, "ts=%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (uint64_t)timegm(&tm) * 1000 + (uint64_t)ms;
}

/*
 * Which fences had a daemon stopped or starved nearby: any node's log
 * says event=elector_pause (logged on waking) within lease + jitter of
 * the fence, the time a late frame or a frozen primary needs to show as
 * a lapsed lease. Those are the machine's, not the jitter's.
 */
static void
attribute_fences(struct run *r)
{
	uint64_t lease = 4 * r->hb_ms, near;
	char path[NETNS_PATH_MAX + 16], line[1024];
	bool paused[JITTER_FENCES_KEPT] = { false };
	unsigned kept = r->fences < JITTER_FENCES_KEPT ? r->fences :
	    JITTER_FENCES_KEPT;

	if (lease > r->down_ms - 2 * r->hb_ms)
		lease = r->down_ms - 2 * r->hb_ms;   /* the derived lease */
	near = lease + r->jitter_ms;
	for (size_t i = 0; i < r->n && kept > 0; i++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s.log", netns_lab_dir(r->lab),
		    netns_node_id(r->lab, i));
		if ((f = fopen(path, "r")) == NULL)
			continue;
		while (fgets(line, sizeof(line), f) != NULL) {
			uint64_t t;

			if (strstr(line, " event=elector_pause ") == NULL ||
			    (t = log_ts_ms(line)) == 0)
				continue;
			for (unsigned k = 0; k < kept; k++)
				if (t + near >= r->fence_wall_ms[k] &&
				    t <= r->fence_wall_ms[k] + near)
					paused[k] = true;
		}
		fclose(f);
	}
	r->fences_paused = 0;
	for (unsigned k = 0; k < kept; k++)
		r->fences_paused += paused[k];
}

/*
 * Add every sample of kevy_electd_<name> in a /metrics text to *sum (-1:
 * none yet), with labels or without: a binary may split a counter by
 * peer.
 */
static void
add_samples(const char *text, const char *name, long long *sum)
{
	char key[96];
	size_t kl = (size_t)snprintf(key, sizeof(key), "\nkevy_electd_%s",
	    name);

	for (const char *p = text; (p = strstr(p, key)) != NULL; p += kl) {
		const char *end = p + kl;

		if (*end == '{') {           /* labels: up to their '}' */
			const char *close = strchr(end, '}');
			const char *nl = strchr(end, '\n');

			if (close == NULL || (nl != NULL && close > nl))
				continue;
			end = close + 1;
		}
		if (*end != ' ')
			continue;            /* a longer name */
		*sum = (*sum < 0 ? 0 : *sum) + strtoll(end + 1, NULL, 10);
	}
}

/* Sum every metric over the nodes; -1 where no node exports it. */
static void
read_metrics(const struct run *r, long long out[M_COUNT])
{
	static char buf[JITTER_METRICS_MAX];

	for (int k = 0; k < M_COUNT; k++)
		out[k] = -1;
	for (size_t i = 0; i < r->n; i++) {
		if (nsprobe_http_get(netns_node_nsfd(r->lab, i),
		    JITTER_HTTP_PORT, "/metrics", buf, sizeof(buf),
		    JITTER_HTTP_MS) == -1) {
			fprintf(stderr, "jitter: no /metrics from %s\n",
			    netns_node_id(r->lab, i));
			continue;
		}
		for (int k = 0; k < M_COUNT; k++)
			add_samples(buf, metric_names[k], &out[k]);
	}
}

/*
 * Start delayers, their rules, the daemons and WATCH streams; 0, or -1
 * (*skip: no delayer here, the kernel or iptables cannot queue packets).
 */
static int
start(struct run *r, bool *skip)
{
	char why[256], conf[96];

	for (size_t i = 0; i < r->n; i++) {
		snprintf(conf, sizeof(conf), "http_listen = \"127.0.0.1:%u\";\n",
		    JITTER_HTTP_PORT);
		if (netns_node_extra_conf(r->lab, i, conf) == -1)
			return -1;
	}
	{
		struct netns_timing t = { .hb_ms = r->hb_ms,
		    .down_after_ms = r->down_ms };

		if (netns_lab_reset(r->lab, &t) == -1) {
			fprintf(stderr, "jitter: cannot prepare the cluster\n");
			return -1;
		}
	}
	for (size_t i = 0; i < r->n; i++) {
		r->nodes[i].delay = nfqdelay_start(netns_node_nsfd(r->lab, i),
		    JITTER_QUEUE, r->jitter_ms * 1000, NETNS_ELECTION_PORT,
		    (uint64_t)getpid() * 1000 + i, why, sizeof(why));
		if (r->nodes[i].delay == NULL) {
			printf("jitter: SKIP: no packet delay in %s: %s\n",
			    netns_node_id(r->lab, i), why);
			*skip = true;
			return -1;
		}
	}
	for (size_t i = 0; i < r->n; i++) {
		if (netns_node_start(r->lab, i) == -1) {
			fprintf(stderr, "jitter: %s did not start (log: %s/%s.log)"
			    "\n", netns_node_id(r->lab, i), netns_lab_dir(r->lab),
			    netns_node_id(r->lab, i));
			return -1;
		}
		if ((r->nodes[i].fd = netns_watch_open(r->lab, i)) == -1)
			return -1;
	}
	return 0;
}

/* Percentile q (0..1) of the summed gap histograms, in ms. */
static unsigned
gap_pct(const uint64_t *h, uint64_t total, double q)
{
	uint64_t want = (uint64_t)((double)total * q), seen = 0;

	if (total == 0)
		return 0;

	for (unsigned k = 0; k < NFQDELAY_GAP_BUCKETS; k++)
		if ((seen += h[k]) > want)
			return k;
	return NFQDELAY_GAP_BUCKETS - 1;
}

static void
keep_dir(const struct run *r)
{
	const char *dir = getenv("KEVY_JITTER_FAILURES");
	char dest[512];
	pid_t pid;

	if (dir == NULL || *dir == '\0')
		dir = JITTER_KEEP_DIR;
	(void)mkdir(dir, 0755);
	snprintf(dest, sizeof(dest), "%s/jitter-%ld", dir, (long)time(NULL));
	if ((pid = fork()) == 0) {
		execl("/bin/cp", "cp", "-a", netns_lab_dir(r->lab), dest,
		    (char *)NULL);
		_exit(127);
	}
	if (pid > 0 && waitpid(pid, NULL, 0) == pid)
		printf("jitter: configs and daemon logs kept in %s\n", dest);
}

static int
usage(void)
{
	fprintf(stderr, "usage: jitter [-n nodes] [-j jitter_ms] seconds "
	    "hb_ms down_after_ms\n");
	return 64;
}

int
main(int argc, char **argv)
{
	static struct run run;
	struct run *r = &run;
	struct nfqdelay_stats sum = { 0 }, st;
	long long m0[M_COUNT], m1[M_COUNT], d[M_COUNT];
	char why[512], load0[64], load_end[64], date[32], md[M_COUNT][24];
	uint64_t seconds, end, next_progress, elapsed_ms;
	unsigned long long nodes = 3;
	long long jit = -1;
	double hours, fences_h, elections_h;
	unsigned allowed, p50, p99, over1, over15;
	uint64_t held_sum = 0;
	time_t wall = time(NULL);
	bool ok, skip = false;
	uint64_t rtt[JITTER_PROBES];
	size_t nrtt = 0;
	int c;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt(argc, argv, "n:j:")) != -1) {
		if (c == 'n')
			nodes = strtoull(optarg, NULL, 10);
		else if (c == 'j')
			jit = strtoll(optarg, NULL, 10);
		else
			return usage();
	}
	if (argc - optind != 3 || nodes < 2 || nodes > NETNS_NODES_MAX)
		return usage();
	seconds = strtoull(argv[optind], NULL, 10);
	r->hb_ms = strtoull(argv[optind + 1], NULL, 10);
	r->down_ms = strtoull(argv[optind + 2], NULL, 10);
	r->jitter_ms = jit >= 0 ? (uint64_t)jit : r->hb_ms;
	if (seconds == 0 || r->hb_ms == 0 || r->down_ms < 4 * r->hb_ms)
		return usage();
	r->n = (size_t)nodes;
	r->primary = -1;
	for (int k = 0; k < M_COUNT; k++)
		m0[k] = m1[k] = -1;
	for (size_t i = 0; i < r->n; i++)
		r->nodes[i].fd = -1;

	netns_trap_signals(on_signal);

	netns_sweep_leftovers();
	if ((r->lab = netns_lab_new_tagged(NETNS_TAG_JITTER, r->n, why,
	    sizeof(why))) == NULL) {
		printf("jitter: SKIP: needs network namespaces: %s\n", why);
		printf("RESULT jitter skipped=1\n");
		return 0;
	}
	run_for_exit = r;
	atexit(cleanup);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&wall));
	printf("jitter: %s: %zu nodes, each in its own namespace on one bridge; "
	    "hb_interval_ms %llu, down_after_ms %llu, other timings derived; "
	    "every node's egress delayed per packet uniformly in [0, %llu] ms "
	    "(as `netem delay %.1fms %.1fms`); %llu s settled\n", date, r->n,
	    (unsigned long long)r->hb_ms, (unsigned long long)r->down_ms,
	    (unsigned long long)r->jitter_ms, (double)r->jitter_ms / 2,
	    (double)r->jitter_ms / 2, (unsigned long long)seconds);

	r->t0_ms = cluster_now_ms();
	if (start(r, &skip) == -1) {
		if (skip) {
			printf("RESULT jitter skipped=1\n");
			cleanup();
			return 0;
		}
		broke(r, "the cluster did not start");
	}
	/* The first election (under jitter too) is not counted. */
	end = cluster_now_ms() + JITTER_SETTLE_ROUNDS * r->down_ms + 10000;
	while (!interrupted && !r->broken && (r->primary =
	    settled_primary(r)) < 0 && cluster_now_ms() < end)
		pump(r, cluster_now_ms() + r->hb_ms);
	if (!r->broken && r->primary < 0)
		broke(r, "no settled primary at the start");
	if (!r->broken) {
		r->settled_ms = cluster_now_ms();
		r->epoch = r->max_epoch = r->nodes[r->primary].v.epoch;
		printf("jitter: settled after %llu ms: primary %s, epoch %llu\n",
		    (unsigned long long)(r->settled_ms - r->t0_ms),
		    netns_node_id(r->lab, (size_t)r->primary), r->epoch);
		read_metrics(r, m0);
	}
	stats_loadavg(load0, sizeof(load0));
	r->load_max = load1();
	end = r->settled_ms + seconds * 1000;
	next_progress = r->settled_ms + JITTER_PROGRESS_S * 1000;
	while (!interrupted && !r->broken && cluster_now_ms() < end) {
		uint64_t next = cluster_now_ms() + JITTER_SAMPLE_MS;
		double l;

		pump(r, next < end ? next : end);
		if ((l = load1()) > r->load_max)
			r->load_max = l;
		for (size_t i = 0; i < r->n; i++)
			if (!nfqdelay_is_alive(r->nodes[i].delay))
				broke(r, "a delayer died");
		if (cluster_now_ms() >= next_progress) {
			next_progress += JITTER_PROGRESS_S * 1000;
			printf("jitter: %llu s: fences=%u elections=%u "
			    "primary_changes=%u peer_down=%u load=%.2f\n",
			    (unsigned long long)((cluster_now_ms() - r->settled_ms) /
			    1000), r->fences, r->elections, r->primary_changes,
			    r->peer_down, l);
		}
	}
	elapsed_ms = r->settled_ms != 0 ? cluster_now_ms() - r->settled_ms : 0;
	stats_loadavg(load_end, sizeof(load_end));
	/* After the counted window: the probes are traffic of their own. */
	if (r->settled_ms != 0 && !r->broken)
		nrtt = nsprobe_refused_rtt(netns_node_nsfd(r->lab, 0),
		    netns_node_addr(r->lab, 1), JITTER_PROBE_PORT, rtt,
		    JITTER_PROBES, JITTER_HTTP_MS);
	if (nrtt > 0)
		printf("jitter: round trips %s -> %s through the delay (connect "
		    "to closed port %u, RST back): %zu probes, min %.1f ms, "
		    "median %.1f ms, max %.1f ms\n", netns_node_id(r->lab, 0),
		    netns_node_id(r->lab, 1), JITTER_PROBE_PORT, nrtt,
		    (double)rtt[0] / 1000, (double)rtt[nrtt / 2] / 1000,
		    (double)rtt[nrtt - 1] / 1000);
	if (r->settled_ms != 0 && !r->broken)
		read_metrics(r, m1);
	else
		memcpy(m1, m0, sizeof(m1));
	for (int k = 0; k < M_COUNT; k++) {
		d[k] = r->settled_ms != 0 && m0[k] >= 0 && m1[k] >= 0 ?
		    m1[k] - m0[k] : -1;
		if (d[k] < 0)
			snprintf(md[k], sizeof(md[k]), "n/a");
		else
			snprintf(md[k], sizeof(md[k]), "%lld", d[k]);
	}
	for (size_t i = 0; i < r->n; i++) {
		if (r->nodes[i].delay == NULL)
			continue;
		nfqdelay_stats(r->nodes[i].delay, &st);
		sum.packets += st.packets;
		sum.unheld += st.unheld;
		sum.frames += st.frames;
		held_sum += st.held_sum_us;
		if (st.held_max_us > sum.held_max_us)
			sum.held_max_us = st.held_max_us;
		if (st.gap_max_us > sum.gap_max_us)
			sum.gap_max_us = st.gap_max_us;
		for (size_t k = 0; k < NFQDELAY_GAP_BUCKETS; k++)
			sum.gaps[k] += st.gaps[k];
	}
	{
		uint64_t total = 0, o1 = 0, o15 = 0;

		for (size_t k = 0; k < NFQDELAY_GAP_BUCKETS; k++) {
			total += sum.gaps[k];
			o1 += k >= r->hb_ms ? sum.gaps[k] : 0;
			o15 += k >= r->hb_ms * 3 / 2 ? sum.gaps[k] : 0;
		}
		p50 = gap_pct(sum.gaps, total, 0.5);
		p99 = gap_pct(sum.gaps, total, 0.99);
		over1 = total ? (unsigned)(o1 * 1000 / total) : 0;
		over15 = total ? (unsigned)(o15 * 1000 / total) : 0;
		printf("jitter: delayers: %llu packets held, mean %.1f ms, max "
		    "%.1f ms, %llu sent unheld; %llu election frames, gaps at "
		    "their receiver: p50 %u ms, p99 %u ms, max %.1f ms, %u.%u%% "
		    "over 1 interval, %u.%u%% over 1.5\n",
		    (unsigned long long)sum.packets, sum.packets ?
		    (double)held_sum / (double)sum.packets / 1000 : 0,
		    (double)sum.held_max_us / 1000,
		    (unsigned long long)sum.unheld,
		    (unsigned long long)sum.frames, p50, p99,
		    (double)sum.gap_max_us / 1000, over1 / 10, over1 % 10,
		    over15 / 10, over15 % 10);
	}
	if (r->lab != NULL && netns_lab_dir(r->lab)[0] != '\0')
		attribute_fences(r);
	hours = (double)elapsed_ms / 3.6e6;
	fences_h = hours > 0 ? r->fences / hours : 0;
	elections_h = hours > 0 ? r->elections / hours : 0;
	allowed = (unsigned)(JITTER_FENCES_PER_HOUR_MAX * hours + 0.999);
	if (allowed < 1)
		allowed = 1;
	printf("jitter: %.1f s settled: fences %u (%.1f/h; %u with a daemon "
	    "paused nearby, %u without: %.1f/h; %llu ms fenced in all, "
	    "longest %llu ms), step-downs %u, elections %u (%.1f/h), "
	    "primary changes %u, peer-down marks %u; metrics deltas: "
	    "elections_started %s, elections_won %s, pauses %s, abdications "
	    "%s, quiet_starts %s, keepalives_sent %s; load %s -> %s, max "
	    "%.2f\n", (double)elapsed_ms / 1000, r->fences, fences_h,
	    r->fences_paused, r->fences - r->fences_paused,
	    hours > 0 ? (r->fences - r->fences_paused) / hours : 0,
	    (unsigned long long)r->fenced_total_ms,
	    (unsigned long long)r->fenced_longest_ms, r->step_downs,
	    r->elections, elections_h, r->primary_changes, r->peer_down,
	    md[M_STARTED], md[M_WON], md[M_PAUSES], md[M_ABDICATIONS],
	    md[M_QUIET], md[M_KEEPALIVE], load0, load_end, r->load_max);

	ok = !r->broken && !interrupted;
	if (r->broken)
		printf("jitter: FAILED: the run broke: %s\n", r->broke);
	if (interrupted)
		printf("jitter: interrupted\n");
	if (ok && sum.gap_max_us < r->hb_ms * 1500 && r->jitter_ms > 0) {
		printf("jitter: FAILED: no frame gap past 1.5 intervals: the "
		    "jitter was not applied\n");
		ok = false;
	}
	if (r->elections + r->step_downs + r->primary_changes > 0) {
		printf("jitter: FAILED: %u elections, %u step-downs, %u primary "
		    "changes without any fault\n", r->elections,
		    r->step_downs, r->primary_changes);
		ok = false;
	}
	if (r->fences > allowed) {
		printf("jitter: FAILED: %u fences, more than %u allowed (%d/h)\n",
		    r->fences, allowed, JITTER_FENCES_PER_HOUR_MAX);
		ok = false;
	}
	if (!ok && r->lab != NULL && netns_lab_dir(r->lab)[0] != '\0')
		keep_dir(r);
	printf("RESULT jitter date=%s nodes=%zu hb_ms=%llu down_after_ms=%llu "
	    "jitter_ms=%llu seconds=%.0f fences=%u fences_per_h=%.1f "
	    "fences_paused=%u fences_unpaused_per_h=%.1f "
	    "fenced_ms=%llu elections=%u elections_per_h=%.1f step_downs=%u "
	    "primary_changes=%u peer_down=%u pauses=%s quiet_starts=%s "
	    "keepalives_sent=%s frames=%llu gap_p50_ms=%u gap_p99_ms=%u "
	    "gap_max_ms=%.1f rtt_p50_ms=%.1f rtt_max_ms=%.1f load_start=%s "
	    "load_end=%s load_max=%.2f verdict=%s\n", date, r->n, (unsigned long long)r->hb_ms,
	    (unsigned long long)r->down_ms, (unsigned long long)r->jitter_ms,
	    (double)elapsed_ms / 1000, r->fences, fences_h, r->fences_paused,
	    hours > 0 ? (r->fences - r->fences_paused) / hours : 0,
	    (unsigned long long)r->fenced_total_ms, r->elections, elections_h,
	    r->step_downs, r->primary_changes, r->peer_down, md[M_PAUSES],
	    md[M_QUIET], md[M_KEEPALIVE], (unsigned long long)sum.frames, p50,
	    p99, (double)sum.gap_max_us / 1000,
	    nrtt ? (double)rtt[nrtt / 2] / 1000 : 0,
	    nrtt ? (double)rtt[nrtt - 1] / 1000 : 0, load0, load_end, r->load_max,
	    ok ? "pass" : "fail");
	cleanup();
	return ok ? 0 : 1;
}
