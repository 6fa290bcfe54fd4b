/*
 * partition: acknowledged writes lost when the primary is cut off from
 * the rest, kevy-electd with its server adapter against Redis Sentinel
 * (issue 11), both measured in the same run, rounds interleaved.
 *
 * Three hosts, each a network namespace of its own on a bridge
 * (tests/harness/netns.c, NETNS_TAG_BENCH: nothing touches the host's
 * network), each with a redis-server on its address, port 6379, started
 * alike (tests/harness/redis.c: no persistence), and beside it:
 * - sentinel: a redis-sentinel (port 26379) monitoring master m at the
 *   first server, quorum 2, down-after-milliseconds = down_after,
 *   failover-timeout 3 x down_after, parallel-syncs 1; the bench makes
 *   servers 2 and 3 replicas of 1;
 * - sentinel-minrep: the same, with every server's min-replicas-to-write
 *   1 and min-replicas-max-lag 2 (the values the adapter sets: Redis's own
 *   fence, without the adapter's CLIENT PAUSE);
 * - kevy: a kevy-electd with `server = { address = "<host>:6379"; }`,
 *   hb_ms, down_after, election timeout 3/5, backoff 1/5 and jitter 4/5
 *   of down_after (bench/run.sh's ratios), lease derived (4 x hb here).
 * Every round starts each stack afresh (new servers, new sentinels or
 * daemons, new namespaces' filters) and awaits it settled: every sentinel
 * or daemon names the same master, and INFO replication shows the two
 * others replicating from it with the link up.
 *
 * Then a client in the master's namespace (the primary's side of the
 * cut) writes unique keys: every TICK_MS one SET w:<seq> <seq> to the
 * master it believes in, which it asks of the failover agent on its own
 * host every ASK_MS and after any failed write (Sentinel: SENTINEL
 * get-master-addr-by-name; kevy-electd: PRIMARY on the control socket).
 * A write is acknowledged when +OK comes back within WRITE_MS; otherwise
 * the connection is dropped and the next tick dials again. WARM_MS after
 * the client starts, the master's host is cut off from the two others
 * (nftables drops every packet between them, both ways) for cut_ms; then
 * the network heals, the stack must settle again (SETTLE_MS at most), the
 * client writes TAIL_MS more and stops. Every acknowledged key is then
 * read back (MGET) from the settled master.
 *
 * Per round and stack: acknowledged writes; lost = acknowledged and not
 * there (or another value) afterwards; writes the old master
 * acknowledged after the cut, and when the last of them came, in ms from
 * the cut (t0 = once nft has put the last filter in; how long putting
 * them in took is printed, up to a few hundred ms on a loaded machine,
 * and in the RESULT line as apply_ms_max). kevy-electd's goal: no
 * write acknowledged by the cut-off master later than lease + one
 * heartbeat after the cut (RESULT kevy_goal=met|missed).
 *
 * No fixed sleep stands in for an event: settling is a bounded poll of
 * what servers, sentinels and daemons answer; the timed waits are the
 * client's tick and the phases (warm-up, cut, tail) being measured.
 * Namespaces, processes and files go away on every exit but a crash (the
 * next run sweeps those of a dead owner); where network namespaces
 * cannot be made (not root, no ip or nft) it says SKIP and exits 0.
 *
 * usage: partition [-v] [-o file] [-s stacks] rounds down_after_ms hb_ms
 *                  [cut_ms]
 * -s: a comma-separated subset of sentinel,sentinel-minrep,kevy (all).
 * -o: one line per round and stack: "round stack acked lost after_cut
 *     last_after_cut_ms writes_attempted".
 * -v: the client's changes of belief and of outcome, with times.
 * The last line of stdout is "RESULT key=value ..." for bench/run.sh.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cluster.h"
#include "netns.h"
#include "num.h"
#include "redis.h"
#include "sentinel.h"
#include "stats.h"

#define NODES          3
#define ROUNDS_MAX     100     /* rounds in one run */
#define TICK_MS        5       /* the client writes this often */
#define ASK_MS         100     /* the client asks where the master is */
#define WRITE_MS       250     /* bound on one write's reply */
#define DIAL_MS        100     /* bound on the client's connect */
#define WARM_MS        1000    /* writes before the cut */
#define CUT_MS         10000   /* default length of the cut */
#define CUT_MAX_MS     120000  /* longest cut accepted */
#define SETTLE_MS      90000   /* bound on a stack settling */
#define TAIL_MS        1000    /* writes after the stack settled again */
#define LOOK_MS        50      /* between two looks while awaiting */
#define WRITES_MAX     65536   /* writes recorded in one round */
#define MGET_KEYS      100     /* keys per read-back MGET */
#define KEY_LEN        24      /* bytes of a key or value, NUL too */
#define LINE_LEN       512     /* bytes of a control-socket reply */
#define PATH_LEN       512     /* bytes of one of our paths */
#define SENTINEL_PORT  26379
#define MINREP_LAG_S   "2"     /* sentinel-minrep: the adapter's value */

enum stack { STACK_SENTINEL, STACK_MINREP, STACK_KEVY, STACK_N };

static const char *const stack_names[STACK_N] = {
	[STACK_SENTINEL] = "sentinel", [STACK_MINREP] = "sentinel-minrep",
	[STACK_KEVY] = "kevy",
};

enum outcome { W_NONE = 0, W_ACK, W_ERROR, W_NOREPLY, W_NOMASTER };

/* One write the client tried. */
struct write {
	uint64_t	 sent_us, done_us;
	int		 node;       /* the server it went to, -1 none */
	enum outcome	 out;
};

/* One round of one stack, as measured. */
struct round {
	size_t		 attempted, acked, lost;
	size_t		 after_cut;          /* acked by the old master, after */
	double		 last_after_cut_ms;  /* 0: none after the cut */
	double		 apply_ms;           /* the filters going in */
	int		 from, to;           /* master before, after */
};

struct bench {
	struct netns_lab *lab;
	uint64_t	 down_after_ms, hb_ms, lease_ms, cut_ms;
	bool		 verbose;
	bool		 stacks[STACK_N];
	enum stack	 stack;              /* of the round running */
	struct redis_addr server[NODES], sent[NODES];
	pid_t		 rpid[NODES], spid[NODES];
	struct redis_reply scratch;          /* the main thread's */
	/* The client (its own thread). */
	pthread_t	 client;
	atomic_bool	 client_stop;
	int		 home;               /* its host: the master's */
	struct write	*w;
	size_t		 nw;
	_Atomic uint64_t t0_us;              /* the cut, 0 before */
	struct redis_reply client_reply;
};

static volatile sig_atomic_t stopping;

static void
on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static double
ms_between(uint64_t a_us, uint64_t b_us)
{
	return ((double)b_us - (double)a_us) / 1000;
}

/* The node whose server is at host:port, or -1. */
static int
node_of(const struct bench *b, const struct redis_addr *a)
{
	for (int i = 0; i < NODES; i++)
		if (b->server[i].port == a->port &&
		    strcmp(b->server[i].host, a->host) == 0)
			return i;
	return -1;
}

/* ---- what the agents say ----------------------------------------- */

/*
 * The master node i's agent names (its sentinel, or its daemon's
 * PRIMARY), asked from node i's namespace: its index, or -1.
 */
static int
agent_master(struct bench *b, size_t i, struct redis_reply *scratch)
{
	struct redis_addr m = { .nsfd = -1 };

	if (b->stack != STACK_KEVY) {
		if (sentinel_master(&b->sent[i], scratch, &m) == -1)
			return -1;
	} else {
		char line[LINE_LEN], *sp, *colon;
		uint64_t port;

		if (netns_request(b->lab, i, "PRIMARY", line, sizeof(line)) ||
		    (sp = strchr(line, ' ')) == NULL ||
		    (colon = strrchr(sp, ':')) == NULL ||
		    (size_t)(colon - sp - 1) >= sizeof(m.host) ||
		    num_parse_u64(colon + 1, strlen(colon + 1), &port) == -1 ||
		    port == 0 || port > 65535)
			return -1;
		memcpy(m.host, sp + 1, (size_t)(colon - sp - 1));
		m.host[colon - sp - 1] = '\0';
		m.port = (uint16_t)port;
	}
	return node_of(b, &m);
}

/*
 * Daemon i's STATUS names primary p, and p says it is the primary,
 * unfenced; nobody counts a peer down.
 */
static bool
kevy_agrees(struct bench *b, size_t i, int *p)
{
	char line[CLUSTER_LINE_MAX], role[16], primary[16], fenced[8],
	    down[64];

	if (netns_request(b->lab, i, "STATUS", line, sizeof(line)) == -1)
		return false;
	cluster_field(line, "role", role, sizeof(role));
	cluster_field(line, "primary", primary, sizeof(primary));
	cluster_field(line, "fenced", fenced, sizeof(fenced));
	cluster_field(line, "down", down, sizeof(down));
	if (strcmp(down, "none") != 0 ||
	    (*p >= 0 && strcmp(primary, netns_node_id(b->lab, (size_t)*p))))
		return false;
	for (int k = 0; k < NODES && *p < 0; k++)
		if (strcmp(primary, netns_node_id(b->lab, (size_t)k)) == 0)
			*p = k;
	if (*p < 0)
		return false;
	return (size_t)*p != i || (strcmp(role, "primary") == 0 &&
	    strcmp(fenced, "no") == 0);
}

/* Every agent agrees on one master and the servers follow it: its
 * index, or -1. */
static int
settled(struct bench *b)
{
	int m = -1;

	if (b->stack == STACK_KEVY) {
		for (size_t i = 0; i < NODES; i++)
			if (!kevy_agrees(b, i, &m))
				return -1;
	} else {
		if ((m = agent_master(b, 0, &b->scratch)) < 0)
			return -1;
		for (size_t i = 0; i < NODES; i++)
			if (!sentinel_agrees(&b->sent[i], NODES,
			    &b->server[m], &b->scratch))
				return -1;
	}
	return redis_follow(b->server, NODES, (size_t)m, &b->scratch) ? m : -1;
}

static int
await_settled(struct bench *b)
{
	uint64_t end = cluster_now_us() + (uint64_t)SETTLE_MS * 1000;
	int m;

	while (!stopping && cluster_now_us() < end) {
		if ((m = settled(b)) >= 0)
			return m;
		poll(NULL, 0, LOOK_MS);
	}
	return -1;
}

/* ---- stacks up and down ------------------------------------------ */

static void
stack_down(struct bench *b)
{
	for (size_t i = 0; i < NODES; i++) {
		redis_kill(b->spid[i]);
		redis_kill(b->rpid[i]);
		b->spid[i] = b->rpid[i] = 0;
		netns_node_kill(b->lab, i);
	}
}

static int
stack_up(struct bench *b)
{
	const struct netns_timing t = { b->hb_ms, b->down_after_ms,
	    b->down_after_ms * 3 / 5, b->down_after_ms / 5,
	    b->down_after_ms * 4 / 5, b->lease_ms };
	static const char *const minrep[] = { "--min-replicas-to-write", "1",
	    "--min-replicas-max-lag", MINREP_LAG_S, NULL };
	const char *dir = NULL;
	char path[NODES][PATH_LEN];

	if (netns_lab_reset(b->lab, &t) == -1)
		return -1;
	dir = netns_lab_dir(b->lab);
	for (size_t i = 0; i < NODES; i++) {
		snprintf(path[i], PATH_LEN, "%s/r%zu", dir, i + 1);
		if (mkdir(path[i], 0700) == -1 ||
		    (b->rpid[i] = redis_start_at(&b->server[i], path[i],
		    b->stack == STACK_MINREP ? minrep : NULL)) <= 0)
			return -1;
	}
	if (b->stack == STACK_KEVY) {
		for (size_t i = 0; i < NODES; i++)
			if (netns_node_start(b->lab, i) == -1)
				return -1;
		return 0;
	}
	for (size_t i = 1; i < NODES; i++) {
		char port[8];
		const char *argv[] = { "REPLICAOF", b->server[0].host, port,
		    NULL };

		snprintf(port, sizeof(port), "%u", (unsigned)b->server[0].port);
		if (redis_ask(&b->server[i], argv, &b->scratch, 1000) == -1 ||
		    !resp_is_ok(&b->scratch.r))
			return -1;
	}
	for (size_t i = 0; i < NODES; i++) {
		struct sentinel_conf c = { .master = b->server[0], .quorum = 2,
		    .down_after_ms = b->down_after_ms,
		    .failover_timeout_ms = 3 * b->down_after_ms,
		    .dir = path[i] };
		char conf[PATH_LEN + 16], log[PATH_LEN + 16];

		snprintf(conf, sizeof(conf), "%s/sentinel.conf", path[i]);
		snprintf(log, sizeof(log), "%s/sentinel.log", path[i]);
		if (sentinel_write_conf(conf, &b->sent[i], &c) == -1 ||
		    (b->spid[i] = sentinel_start(&b->sent[i], conf, log)) <= 0)
			return -1;
	}
	return 0;
}

/* ---- the client -------------------------------------------------- */

static void
note(struct bench *b, const char *what, int node)
{
	uint64_t now = cluster_now_us(), t0 = b->t0_us;

	if (!b->verbose)
		return;
	if (t0 != 0)
		printf("  %+9.1f ms from the cut: %s n%d\n", ms_between(t0, now),
		    what, node + 1);
	else
		printf("  before the cut: %s n%d\n", what, node + 1);
	fflush(stdout);
}

static void *
client_main(void *arg)
{
	struct bench *b = arg;
	struct redis_reply *r = &b->client_reply;
	uint64_t next = cluster_now_us(), asked = 0;
	int target = -1, fd = -1, believed = -2;
	enum outcome last = W_NONE;

	while (!atomic_load(&b->client_stop) && b->nw < WRITES_MAX) {
		struct write *w = &b->w[b->nw];
		char key[KEY_LEN], val[KEY_LEN];
		const char *argv[] = { "SET", key, val, NULL };
		uint64_t now = cluster_now_us();

		if (now < next) {
			poll(NULL, 0, (int)((next - now + 999) / 1000));
			continue;
		}
		next += (uint64_t)TICK_MS * 1000;
		if (next < now)
			next = now;     /* a slow write: no burst to catch up */
		if (target < 0 || now - asked >= (uint64_t)ASK_MS * 1000) {
			int m = agent_master(b, (size_t)b->home, r);

			asked = cluster_now_us();
			/* No answer: keep the last belief (the agent is busy). */
			if (m >= 0 || target < 0) {
				if (m != target && fd >= 0) {
					close(fd);
					fd = -1;
				}
				target = m;
			}
			if (target != believed) {
				note(b, "the agent names", target);
				believed = target;
			}
		}
		memset(w, 0, sizeof(*w));
		w->node = target;
		w->sent_us = cluster_now_us();
		snprintf(key, sizeof(key), "w:%zu", b->nw);
		snprintf(val, sizeof(val), "%zu", b->nw);
		if (target < 0)
			w->out = W_NOMASTER;
		else {
			/* From the client's host: its own namespace. */
			struct redis_addr a = b->server[target];

			a.nsfd = netns_node_nsfd(b->lab, (size_t)b->home);
			if (fd < 0)
				fd = redis_dial(&a, DIAL_MS);
			if (fd < 0)
				w->out = W_NOREPLY;
			else if (redis_call(fd, argv, r, WRITE_MS) == -1) {
				w->out = W_NOREPLY;
				close(fd);
				fd = -1;
			} else
				w->out = resp_is_ok(&r->r) ? W_ACK : W_ERROR;
		}
		w->done_us = cluster_now_us();
		/* A failed write: ask again before the next one. */
		if (w->out != W_ACK)
			asked = 0;
		if (w->out != last) {
			note(b, w->out == W_ACK ? "acknowledged by" :
			    w->out == W_ERROR ? "error reply from" :
			    w->out == W_NOREPLY ? "no reply from" :
			    "no master known:", w->node);
			last = w->out;
		}
		b->nw++;
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* ---- one round --------------------------------------------------- */

static int
cut_off(struct bench *b, int m, bool cut)
{
	enum netns_drop drop[NODES * NODES] = { 0 };

	for (int y = 0; y < NODES && cut; y++)
		for (int x = 0; x < NODES; x++)
			if (x != y && (x == m || y == m))
				drop[y * NODES + x] = NETNS_DROP_ALL;
	return netns_filter_apply(b->lab, drop);
}

/* Read every acknowledged key back from the master at node f. */
static int
read_back(struct bench *b, int f, struct round *rd)
{
	static char keys[MGET_KEYS][KEY_LEN];
	const char *argv[MGET_KEYS + 2] = { "MGET" };
	size_t idx[MGET_KEYS];

	rd->lost = 0;
	for (size_t i = 0; i < b->nw;) {
		const struct resp_elem *a, *e;
		size_t n = 0;

		for (; i < b->nw && n < MGET_KEYS; i++) {
			if (b->w[i].out != W_ACK)
				continue;
			snprintf(keys[n], KEY_LEN, "w:%zu", i);
			argv[n + 1] = keys[n];
			idx[n++] = i;
		}
		if (n == 0)
			break;
		argv[n + 1] = NULL;
		if (redis_ask(&b->server[f], argv, &b->scratch, 5000) == -1 ||
		    (a = resp_root(&b->scratch.r))->type != RESP_TYPE_ARRAY ||
		    a->count != n)
			return -1;
		for (size_t k = 0; k < n; k++) {
			char want[KEY_LEN];

			e = resp_child(&b->scratch.r, a, k);
			snprintf(want, sizeof(want), "%zu", idx[k]);
			if (e == NULL || e->type != RESP_TYPE_BULK ||
			    !resp_str_eq(e, want))
				rd->lost++;
		}
	}
	return 0;
}

static void
tally(struct bench *b, int m, struct round *rd)
{
	rd->attempted = b->nw;
	for (size_t i = 0; i < b->nw; i++) {
		const struct write *w = &b->w[i];

		if (w->out != W_ACK)
			continue;
		rd->acked++;
		if (w->node == m && w->done_us > b->t0_us) {
			double at = ms_between(b->t0_us, w->done_us);

			rd->after_cut++;
			if (at > rd->last_after_cut_ms)
				rd->last_after_cut_ms = at;
		}
	}
}

/* Let ms pass unless interrupted. */
static void
pace(uint64_t ms)
{
	uint64_t end = cluster_now_us() + ms * 1000;

	while (!stopping && cluster_now_us() < end)
		poll(NULL, 0, (int)((end - cluster_now_us()) / 1000) + 1);
}

static int
one_round(struct bench *b, struct round *rd, const char **why)
{
	uint64_t t1;
	int m, f;

	memset(rd, 0, sizeof(*rd));
	*why = "the stack did not start";
	if (stack_up(b) == -1)
		return -1;
	*why = "the stack did not settle";
	if ((m = await_settled(b)) < 0)
		return -1;
	rd->from = m;
	b->home = m;
	b->nw = 0;
	b->t0_us = 0;
	atomic_store(&b->client_stop, false);
	*why = "no client thread";
	if (pthread_create(&b->client, NULL, client_main, b) != 0)
		return -1;
	pace(WARM_MS);
	t1 = cluster_now_us();
	f = cut_off(b, m, true);
	/* The cut is certain once every filter is in: t0. */
	b->t0_us = cluster_now_us();
	rd->apply_ms = ms_between(t1, b->t0_us);
	if (f == 0) {
		pace(b->cut_ms);
		f = cut_off(b, m, false);
	}
	if (f == 0 && (f = await_settled(b)) >= 0)
		pace(TAIL_MS);
	atomic_store(&b->client_stop, true);
	pthread_join(b->client, NULL);
	*why = "the filters failed, or no settling after the heal";
	if (f < 0 || stopping)
		return -1;
	rd->to = f;
	tally(b, m, rd);
	*why = "the read-back failed";
	return read_back(b, f, rd);
}

/* ---- results ----------------------------------------------------- */

/* " <stack>_k=..." for every figure of the rounds rs[0..n). */
static void
put_stack(char *line, size_t cap, const char *name, const struct round *rs,
    size_t n)
{
	static double last[ROUNDS_MAX];
	size_t acked = 0, lost = 0, lost_max = 0, after = 0, after_max = 0,
	    attempted = 0, len = strlen(line);

	for (size_t i = 0; i < n; i++) {
		acked += rs[i].acked;
		lost += rs[i].lost;
		after += rs[i].after_cut;
		attempted += rs[i].attempted;
		lost_max = rs[i].lost > lost_max ? rs[i].lost : lost_max;
		after_max = rs[i].after_cut > after_max ? rs[i].after_cut :
		    after_max;
		last[i] = rs[i].last_after_cut_ms;
	}
	stats_sort(last, n);
	snprintf(line + len, cap - len, " %s_rounds=%zu %s_attempted=%zu "
	    "%s_acked=%zu %s_lost=%zu %s_lost_max=%zu %s_after_cut=%zu "
	    "%s_after_cut_max=%zu %s_last_ms_p50=%.1f %s_last_ms_max=%.1f",
	    name, n, name, attempted, name, acked, name, lost, name, lost_max,
	    name, after, name, after_max, name,
	    n > 0 ? stats_pct(last, n, 50) : 0.0, name,
	    n > 0 ? last[n - 1] : 0.0);
}

static void
summary(const struct bench *b, struct round rs[STACK_N][ROUNDS_MAX],
    const size_t *nr, const char *date, const char *load0)
{
	static char line[4096];
	uint64_t bound = b->lease_ms + b->hb_ms;
	char load1[64];
	double kmax = 0, apply = 0;

	stats_loadavg(load1, sizeof(load1));
	for (int s = 0; s < STACK_N; s++)
		for (size_t i = 0; i < nr[s]; i++)
			if (rs[s][i].apply_ms > apply)
				apply = rs[s][i].apply_ms;
	for (size_t i = 0; i < nr[STACK_KEVY]; i++)
		if (rs[STACK_KEVY][i].last_after_cut_ms > kmax)
			kmax = rs[STACK_KEVY][i].last_after_cut_ms;
	snprintf(line, sizeof(line), "RESULT down_after=%llu hb=%llu "
	    "lease=%llu cut=%llu tick=%d apply_ms_max=%.1f date=%s "
	    "load_start=%s load_end=%s", (unsigned long long)b->down_after_ms,
	    (unsigned long long)b->hb_ms, (unsigned long long)b->lease_ms,
	    (unsigned long long)b->cut_ms, TICK_MS, apply, date, load0, load1);
	for (int s = 0; s < STACK_N; s++)
		if (b->stacks[s]) {
			char name[24];

			snprintf(name, sizeof(name), "%s", stack_names[s]);
			for (char *p = name; *p != '\0'; p++)
				if (*p == '-')
					*p = '_';
			put_stack(line, sizeof(line), name, rs[s], nr[s]);
		}
	if (b->stacks[STACK_KEVY] && nr[STACK_KEVY] > 0) {
		size_t len = strlen(line);

		snprintf(line + len, sizeof(line) - len, " kevy_bound_ms=%llu "
		    "kevy_goal=%s", (unsigned long long)bound,
		    kmax <= (double)bound ? "met" : "missed");
	}
	printf("%s\n", line);
}

/* ---- setup ------------------------------------------------------- */

static int
arg_u64(const char *s, uint64_t *out)
{
	return num_parse_u64(s, strlen(s), out);
}

static void
usage(void)
{
	fprintf(stderr, "usage: partition [-v] [-o file] [-s stacks] "
	    "rounds(1..%d) down_after_ms hb_ms [cut_ms]\n"
	    "  stacks: comma-separated, of sentinel,sentinel-minrep,kevy\n",
	    ROUNDS_MAX);
	exit(64);
}

static void
parse_stacks(struct bench *b, char *list)
{
	char *save = NULL;

	memset(b->stacks, 0, sizeof(b->stacks));
	for (char *w = strtok_r(list, ",", &save); w != NULL;
	    w = strtok_r(NULL, ",", &save)) {
		int s;

		for (s = 0; s < STACK_N && strcmp(w, stack_names[s]) != 0; s++)
			;
		if (s == STACK_N)
			usage();
		b->stacks[s] = true;
	}
}

/*
 * The lease the daemons are given: what the elector derives by default
 * (lib/elector_timing.c: 4 x hb, within down_after - 2 x hb), written
 * out so that the goal's bound is the one in force.
 */
static uint64_t
derived_lease(uint64_t hb, uint64_t down_after)
{
	uint64_t lease = 4 * hb;

	return lease + 2 * hb > down_after ? down_after - 2 * hb : lease;
}

int
main(int argc, char **argv)
{
	static struct round rs[STACK_N][ROUNDS_MAX];
	size_t nr[STACK_N] = { 0 };
	struct bench *b;
	const char *out_path = NULL;
	FILE *out = NULL;
	uint64_t rounds;
	char why[256], date[32], load0[64];
	time_t now = time(NULL);
	bool failed = false;
	int ch;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return 1;
	for (int s = 0; s < STACK_N; s++)
		b->stacks[s] = true;
	while ((ch = getopt(argc, argv, "o:s:v")) != -1) {
		if (ch == 'v')
			b->verbose = true;
		else if (ch == 'o')
			out_path = optarg;
		else if (ch == 's')
			parse_stacks(b, optarg);
		else
			usage();
	}
	argc -= optind;
	argv += optind;
	b->cut_ms = CUT_MS;
	if (argc < 3 || argc > 4 || arg_u64(argv[0], &rounds) == -1 ||
	    rounds == 0 || rounds > ROUNDS_MAX ||
	    arg_u64(argv[1], &b->down_after_ms) == -1 ||
	    arg_u64(argv[2], &b->hb_ms) == -1 || b->hb_ms == 0 ||
	    b->down_after_ms < 4 * b->hb_ms ||
	    (argc == 4 && (arg_u64(argv[3], &b->cut_ms) == -1 ||
	    b->cut_ms == 0 || b->cut_ms > CUT_MAX_MS)))
		usage();
	b->lease_ms = derived_lease(b->hb_ms, b->down_after_ms);
	if (!redis_available()) {
		printf("partition: SKIP: redis-server is not installed "
		    "(Debian: redis-server, redis-sentinel)\n");
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	netns_sweep_leftovers();
	if ((b->lab = netns_lab_new_tagged(NETNS_TAG_BENCH, NODES, why,
	    sizeof(why))) == NULL) {
		printf("partition: SKIP: no network namespaces here: %s\n", why);
		free(b);
		return 0;
	}
	if ((b->w = calloc(WRITES_MAX, sizeof(*b->w))) == NULL) {
		netns_lab_free(b->lab);
		free(b);
		return 1;
	}
	for (size_t i = 0; i < NODES; i++) {
		char conf[128];

		snprintf(b->server[i].host, sizeof(b->server[i].host), "%s",
		    netns_node_addr(b->lab, i));
		b->server[i].port = NETNS_CLIENT_PORT;
		b->server[i].nsfd = netns_node_nsfd(b->lab, i);
		b->sent[i] = b->server[i];
		b->sent[i].port = SENTINEL_PORT;
		snprintf(conf, sizeof(conf), "server = { address = \"%s:%u\"; };\n",
		    b->server[i].host, (unsigned)NETNS_CLIENT_PORT);
		netns_node_extra_conf(b->lab, i, conf);
	}
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	stats_loadavg(load0, sizeof(load0));
	if (out_path != NULL && (out = fopen(out_path, "w")) == NULL)
		perror(out_path);
	printf("partition: down_after %llu ms, hb %llu ms, lease %llu ms, cut "
	    "%llu ms, %llu rounds per stack, client tick %d ms\n",
	    (unsigned long long)b->down_after_ms,
	    (unsigned long long)b->hb_ms, (unsigned long long)b->lease_ms,
	    (unsigned long long)b->cut_ms, (unsigned long long)rounds,
	    TICK_MS);
	fflush(stdout);
	for (size_t n = 0; n < rounds && !failed && !stopping; n++)
		/* Which stack goes first rotates from round to round. */
		for (int k = 0; k < STACK_N && !failed && !stopping; k++) {
			enum stack s = (enum stack)((k + n) % STACK_N);
			struct round *rd = &rs[s][nr[s]];
			const char *what;

			if (!b->stacks[s])
				continue;
			b->stack = s;
			if (one_round(b, rd, &what) == -1) {
				fprintf(stderr, "partition: %s round %zu: %s%s\n",
				    stack_names[s], n + 1,
				    stopping ? "interrupted" : what,
				    getenv("KEVY_KEEP_CLUSTER") != NULL ? "" :
				    " (KEVY_KEEP_CLUSTER=1 keeps the files)");
				failed = true;
				break;
			}
			stack_down(b);
			printf("%-15s round %zu: n%d -> n%d: %zu writes, %zu "
			    "acknowledged, %zu lost; the old master acknowledged "
			    "%zu after the cut, the last %.1f ms after it "
			    "(filters in %.1f ms)\n", stack_names[s], n + 1,
			    rd->from + 1, rd->to + 1, rd->attempted, rd->acked,
			    rd->lost, rd->after_cut, rd->last_after_cut_ms,
			    rd->apply_ms);
			fflush(stdout);
			if (out != NULL) {
				fprintf(out, "%zu %s %zu %zu %zu %.1f %zu\n", n + 1,
				    stack_names[s], rd->acked, rd->lost,
				    rd->after_cut, rd->last_after_cut_ms,
				    rd->attempted);
				fflush(out);
			}
			nr[s]++;
		}
	summary(b, rs, nr, date, load0);
	if (out != NULL)
		fclose(out);
	if (failed && getenv("KEVY_KEEP_CLUSTER") != NULL) {
		/* Keep the files: a copy of the lab's directory. */
		char cmd[PATH_LEN * 2];

		snprintf(cmd, sizeof(cmd), "cp -a '%s' /tmp/kevybench-failed.%ld",
		    netns_lab_dir(b->lab), (long)getpid());
		if (system(cmd) == 0)
			fprintf(stderr, "partition: files kept in "
			    "/tmp/kevybench-failed.%ld\n", (long)getpid());
	}
	stack_down(b);
	netns_lab_free(b->lab);
	free(b->w);
	free(b);
	return failed || stopping ? 1 : 0;
}
