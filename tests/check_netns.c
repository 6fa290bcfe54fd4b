/*
 * check_netns: partition tests across network namespaces. Each kevy-electd
 * runs in a namespace of its own with its own address on a shared bridge
 * (tests/harness/netns.c); a nemesis injects, per seed, a random schedule of
 * faults with random gaps: majority/minority partitions, bridge-shaped
 * partitions, one-way cuts, heals, SIGKILL + restart, SIGSTOP/SIGCONT.
 * tests/harness/history.c records every node's WATCH stream and checks
 * the safety rules over the whole history; after the final heal exactly
 * one writable primary must emerge that every node follows, within
 * NEMESIS_BOUND_MS, and stay.
 *
 * Liveness is measured as well as checked: from the cold start's
 * convergence to the end of the seed, every stretch in which a majority
 * of nodes runs and is connected both ways (by the nemesis's own filter
 * matrix) while no fresh view says unfenced primary is a gap (history.h).
 * Each seed prints its longest; the summary the worst seeds, the counts
 * over 1, 2 and 5 s, and the time to converge after the final heal at
 * p50, p99 and max. KEVY_NETNS_TIMINGS=unset leaves every timing but
 * hb_interval_ms and down_after_ms out of the configs (the daemon's own
 * defaults or derivations), the setting the liveness goal is stated for.
 *
 * Needs root, iproute2 and nftables; otherwise it says SKIP and succeeds.
 * Short by default (make check); KEVY_NETNS_SECONDS turns it into a soak
 * (make soak-netns). A failing seed's whole history is kept under
 * KEVY_NETNS_FAILURES (make: $(BUILD)/netns-failures; never the source
 * tree). The last line is
 * "netns: N passed, M failed".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "history.h"
#include "netns.h"

/* Fast timings, as tests/harness/cluster.c: hb 50, down_after 500, ... */
#define NEMESIS_HB_MS          50
#define NEMESIS_DOWN_MS        500
#define NEMESIS_ET_MS          300
#define NEMESIS_BACKOFF_MS     100
#define NEMESIS_JITTER_MS      400
#define NEMESIS_LEASE_MS       200    /* 4 x hb, the elector's default */
/*
 * After the final heal: the primary's silence (down_after), then at most
 * ten election rounds (timeout + backoff + jitter each), then the new
 * primary's hold (lease + hb).
 */
#define NEMESIS_BOUND_MS (NEMESIS_DOWN_MS + 10 * (NEMESIS_ET_MS + \
    NEMESIS_BACKOFF_MS + NEMESIS_JITTER_MS) + NEMESIS_LEASE_MS + NEMESIS_HB_MS)
#define NEMESIS_NODES          5      /* default cluster size */
#define NEMESIS_SEEDS          3      /* default seeds (make check) */
#define NEMESIS_SEED_MS        12000  /* default fault phase of one seed */
#define NEMESIS_GAP_MIN_MS     100    /* between two faults */
#define NEMESIS_GAP_MAX_MS     1500
#define NEMESIS_DOWN_MIN_MS    200    /* a killed node stays down */
#define NEMESIS_DOWN_MAX_MS    2000
#define NEMESIS_PAUSE_MIN_MS   100    /* a stopped node stays stopped */
#define NEMESIS_PAUSE_MAX_MS   1500
#define NEMESIS_SETTLE_MS      1500   /* converged primary must stay */
#define NEMESIS_CLOSE_MIN_MS   1000   /* closing fault held, at least */
#define NEMESIS_CLOSE_MAX_MS   3000   /* (>= down_after + lease + hb) */
/*
 * The network is made whole again after at most this long (0: never
 * forced). A TCP connection cut for t seconds retransmits with a doubling
 * timeout, so after a heal it can stay silent for about t more seconds:
 * uncapped, a long partition pushes convergence past NEMESIS_BOUND_MS for
 * reasons of the kernel, not of the election. The soak runs uncapped.
 */
#define NEMESIS_NET_MAX_MS     3000
#define NEMESIS_TIMES_MAX      4096   /* convergence times kept */
#define NEMESIS_WORST_SHOWN    5      /* seeds listed by longest gap */
/*
 * The bound after the final heal when the timings are left unset: ten
 * rounds at the reference's own defaults (3000 + 1000 + 4000 ms), the
 * longest a daemon that does not derive them from down_after may take.
 */
#define NEMESIS_UNSET_BOUND_MS (NEMESIS_DOWN_MS + 10 * (3000 + 1000 + \
    4000) + NEMESIS_LEASE_MS + NEMESIS_HB_MS)
#define NEMESIS_SEED_MAX_MS    3600000
#define NEMESIS_KEEP_DIR       "/tmp/kevy-netns-failures" /* no env */

enum fault {
	FAULT_PARTITION,      /* majority / minority */
	FAULT_BRIDGE,         /* two sides, one node sees both */
	FAULT_ONEWAY,         /* some nodes do not hear one (messages) */
	FAULT_ONEWAY_IP,      /* the same, every packet (TCP half-broken) */
	FAULT_HEAL,
	FAULT_KILL,           /* SIGKILL, restart later with its state */
	FAULT_PAUSE,          /* SIGSTOP, SIGCONT later */
	FAULT_SPLIT3,         /* three sides, none a majority */
	FAULT_KINDS
};

static const struct {
	const char *name;
	unsigned weight;
} fault_table[FAULT_KINDS] = {
	[FAULT_PARTITION] = { "partition", 3 },
	[FAULT_BRIDGE]    = { "bridge",    2 },
	[FAULT_ONEWAY]    = { "oneway",    2 },
	[FAULT_ONEWAY_IP] = { "oneway-ip", 1 },
	[FAULT_HEAL]      = { "heal",      3 },
	[FAULT_KILL]      = { "kill",      2 },
	[FAULT_PAUSE]     = { "pause",     2 },
	[FAULT_SPLIT3]    = { "split3",    1 },
};

/*
 * The closing fault, held for NEMESIS_CLOSE_MIN..MAX_MS before the final
 * heal, always aims at the primary, so that every final heal starts from a
 * cluster without a primary that all nodes follow.
 */
static const enum fault closing_faults[] = {
	FAULT_PARTITION, FAULT_SPLIT3, FAULT_KILL, FAULT_PAUSE, FAULT_ONEWAY,
};

struct nemesis {
	struct netns_lab *lab;
	struct history *h;
	size_t n;
	uint64_t rng;
	enum netns_drop drop[NETNS_NODES_MAX * NETNS_NODES_MAX];
	uint64_t restart_at[NETNS_NODES_MAX];   /* ms; 0: not pending */
	uint64_t cont_at[NETNS_NODES_MAX];
	uint64_t net_since;                     /* ms; 0: network whole */
	uint64_t net_max;                       /* ms; 0: no age cap */
	unsigned counts[FAULT_KINDS];
	bool aim;                               /* closing: hit the primary */
	bool tracking;                          /* liveness gaps measured */
	bool broken;                            /* the harness itself failed */
};

struct totals {
	unsigned counts[FAULT_KINDS];
	unsigned passed, failed;
	size_t violations, findings, epochs, lines;
	double times[NEMESIS_TIMES_MAX];
	size_t ntimes;
	/* Liveness gaps (history.h): all seeds, and the worst ones. */
	size_t gaps, over_1s, over_2s, over_5s;
	struct { uint64_t seed, longest_us; } worst[NEMESIS_WORST_SHOWN];
};

static int bound_ms = NEMESIS_BOUND_MS;

static bool timings_unset(void);
static void add_gaps(struct totals *, uint64_t seed,
    const struct history_gaps *);

static volatile sig_atomic_t interrupted;
static struct netns_lab *lab_for_exit;
static struct history *history_for_exit;

static void
on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* atexit: whatever happened, no namespace or daemon outlives us. */
static void
cleanup(void)
{
	history_free(history_for_exit);
	history_for_exit = NULL;
	netns_lab_free(lab_for_exit);
	lab_for_exit = NULL;
}

static uint64_t
now_ms(void)
{
	return history_now_us() / 1000;
}

/* The pacing of the schedule (not synchronisation): wake at `at`. */
static void
sleep_until(uint64_t at)
{
	uint64_t now;

	while (!interrupted && (now = now_ms()) < at) {
		struct timespec ts = { (time_t)((at - now) / 1000),
		    (long)((at - now) % 1000) * 1000000 };

		(void)nanosleep(&ts, NULL);
	}
}

static uint64_t
rnd(struct nemesis *m)
{
	/* splitmix64: a seed replays the same schedule. */
	uint64_t z = (m->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t
rnd_range(struct nemesis *m, uint64_t lo, uint64_t hi)
{
	return lo + rnd(m) % (hi - lo + 1);
}

static bool
env_u64(const char *name, uint64_t lo, uint64_t hi, uint64_t *v)
{
	const char *s = getenv(name);
	uint64_t x = 0;

	if (s == NULL || *s == '\0')
		return false;
	for (const char *p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || x > (UINT64_MAX - 9) / 10) {
			fprintf(stderr, "netns: %s=%s: not a number, ignored\n",
			    name, s);
			return false;
		}
		x = x * 10 + (uint64_t)(*p - '0');
	}
	if (x < lo || x > hi) {
		fprintf(stderr, "netns: %s=%s: out of %llu..%llu, ignored\n",
		    name, s, (unsigned long long)lo, (unsigned long long)hi);
		return false;
	}
	*v = x;
	return true;
}

static const char *
id(struct nemesis *m, size_t i)
{
	return netns_node_id(m->lab, i);
}

static bool
is_out(struct nemesis *m, size_t i)
{
	return m->restart_at[i] != 0 || m->cont_at[i] != 0;
}

static size_t
count_out(struct nemesis *m)
{
	size_t k = 0;

	for (size_t i = 0; i < m->n; i++)
		k += is_out(m, i);
	return k;
}

/* Node i runs (started, not stopped). */
static bool
runs(struct nemesis *m, size_t i)
{
	return netns_node_is_up(m->lab, i) && !netns_node_is_stopped(m->lab, i);
}

/*
 * Is there a majority of running nodes, every pair of them passing
 * packets both ways? Every subset is tried: at most 2^9 of them.
 */
static bool
majority_connected(struct nemesis *m)
{
	size_t quorum = m->n / 2 + 1;

	for (unsigned set = 0; set < (1u << m->n); set++) {
		size_t k = 0;
		bool ok = true;

		for (size_t i = 0; i < m->n; i++)
			if (set & (1u << i))
				k++;
		if (k < quorum)
			continue;
		for (size_t i = 0; i < m->n && ok; i++) {
			if (!(set & (1u << i)))
				continue;
			ok = runs(m, i);
			for (size_t j = 0; j < m->n && ok; j++)
				if ((set & (1u << j)) && j != i)
					ok = m->drop[i * m->n + j] == NETNS_PASS;
		}
		if (ok)
			return true;
	}
	return false;
}

/* After every change of the network or of a process. */
static void
track(struct nemesis *m)
{
	if (m->tracking)
		history_set_majority(m->h, majority_connected(m));
}

/*
 * Half the time (always when aiming) the current primary: faults that hit
 * it matter most.
 */
static size_t
pick_node(struct nemesis *m, bool only_in)
{
	int p = history_primary(m->h);
	size_t cand[NETNS_NODES_MAX], k = 0;

	if (p >= 0 && (!only_in || !is_out(m, (size_t)p)) &&
	    (m->aim || rnd(m) % 2 == 0))
		return (size_t)p;
	for (size_t i = 0; i < m->n; i++)
		if (!only_in || !is_out(m, i))
			cand[k++] = i;
	return k == 0 ? SIZE_MAX : cand[rnd(m) % k];
}

static void
shuffle(struct nemesis *m, size_t *v, size_t k)
{
	for (size_t i = k; i > 1; i--) {
		size_t j = (size_t)(rnd(m) % i), t = v[i - 1];

		v[i - 1] = v[j];
		v[j] = t;
	}
}

static void
apply(struct nemesis *m)
{
	bool faulted = false;

	if (netns_filter_apply(m->lab, m->drop) == -1) {
		history_violate(m->h, "harness: nft failed to apply a filter");
		m->broken = true;
	}
	for (size_t k = 0; k < m->n * m->n; k++)
		faulted |= m->drop[k] != NETNS_PASS;
	/* Since when the network has not been whole (for the age cap). */
	if (!faulted)
		m->net_since = 0;
	else if (m->net_since == 0)
		m->net_since = now_ms();
	track(m);
}

static void
cut(struct nemesis *m, size_t y, size_t x, enum netns_drop d)
{
	m->drop[y * m->n + x] = d;
}

static void
heal(struct nemesis *m, const char *why)
{
	memset(m->drop, 0, sizeof(m->drop));
	history_event(m->h, 0, HISTORY_FAULT, "heal (%s)", why);
	apply(m);
}

/* side[i]: 0 or 1; every link between the sides is cut both ways. */
static void
split(struct nemesis *m, const int *side)
{
	memset(m->drop, 0, sizeof(m->drop));
	for (size_t y = 0; y < m->n; y++)
		for (size_t x = 0; x < m->n; x++)
			if (side[y] >= 0 && side[x] >= 0 && side[y] != side[x])
				cut(m, y, x, NETNS_DROP_ALL);
}

static void
describe(struct nemesis *m, const int *side, int which, char *out, size_t cap)
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < m->n && len < cap; i++)
		if (side[i] == which)
			len += (size_t)snprintf(out + len, cap - len, "%s%s",
			    len ? "," : "", id(m, i));
}

static void
fault_partition(struct nemesis *m)
{
	int side[NETNS_NODES_MAX];
	size_t order[NETNS_NODES_MAX], k = (size_t)rnd_range(m, 1,
	    (m->n - 1) / 2 > 0 ? (m->n - 1) / 2 : 1);
	int p = history_primary(m->h);
	char a[128], b[128];

	for (size_t i = 0; i < m->n; i++)
		order[i] = i;
	shuffle(m, order, m->n);
	for (size_t i = 0; i < m->n; i++)
		side[order[i]] = i < k ? 1 : 0;
	/* Half the time (always when aiming) the primary is in the minority. */
	if (p >= 0 && (m->aim || rnd(m) % 2 == 0) && side[p] == 0) {
		side[order[0]] = 0;
		side[p] = 1;
	}
	split(m, side);
	describe(m, side, 0, a, sizeof(a));
	describe(m, side, 1, b, sizeof(b));
	history_event(m->h, 0, HISTORY_FAULT, "partition majority=%s "
	    "minority=%s", a, b);
	apply(m);
}

static void
fault_bridge(struct nemesis *m)
{
	int side[NETNS_NODES_MAX];
	size_t order[NETNS_NODES_MAX], k = 0;
	size_t b = pick_node(m, false);
	char l[128], r[128];

	for (size_t i = 0; i < m->n; i++)
		if (i != b)
			order[k++] = i;
	shuffle(m, order, k);
	for (size_t i = 0; i < k; i++)
		side[order[i]] = i < k / 2 ? 0 : 1;
	side[b] = -1;           /* the bridge hears and is heard by both */
	split(m, side);
	describe(m, side, 0, l, sizeof(l));
	describe(m, side, 1, r, sizeof(r));
	history_event(m->h, 0, HISTORY_FAULT, "bridge via=%s sides=%s|%s",
	    id(m, b), l, r);
	apply(m);
}

/* Three sides, none a majority (5 nodes: 2|2|1); nobody may lead. */
static void
fault_split3(struct nemesis *m)
{
	int side[NETNS_NODES_MAX];
	size_t order[NETNS_NODES_MAX];
	size_t third = (m->n + 2) / 3;
	char s[3][128];

	for (size_t i = 0; i < m->n; i++)
		order[i] = i;
	shuffle(m, order, m->n);
	for (size_t i = 0; i < m->n; i++)
		side[order[i]] = (int)(i / third < 2 ? i / third : 2);
	memset(m->drop, 0, sizeof(m->drop));
	for (size_t y = 0; y < m->n; y++)
		for (size_t x = 0; x < m->n; x++)
			if (side[y] != side[x])
				cut(m, y, x, NETNS_DROP_ALL);
	for (int k = 0; k < 3; k++)
		describe(m, side, k, s[k], sizeof(s[k]));
	history_event(m->h, 0, HISTORY_FAULT, "split3 sides=%s|%s|%s", s[0],
	    s[1], s[2]);
	apply(m);
}

static void
fault_oneway(struct nemesis *m, enum netns_drop d)
{
	size_t x = pick_node(m, false), k = 0;
	/* x does not hear them, or they do not hear x; aiming: x is deaf. */
	bool deaf = m->aim || rnd(m) % 2 == 0;
	char who[128];
	size_t len = 0;

	memset(m->drop, 0, sizeof(m->drop));
	for (size_t y = 0; y < m->n; y++) {
		if (y == x || (!m->aim && rnd(m) % 2 == 0))
			continue;
		if (deaf)
			cut(m, x, y, d);
		else
			cut(m, y, x, d);
		len += (size_t)snprintf(who + len, sizeof(who) - len, "%s%s",
		    k++ ? "," : "", id(m, y));
	}
	if (k == 0) {           /* at least one: the next one round */
		size_t y = (x + 1) % m->n;

		if (deaf)
			cut(m, x, y, d);
		else
			cut(m, y, x, d);
		snprintf(who, sizeof(who), "%s", id(m, y));
	}
	if (deaf)
		history_event(m->h, 0, HISTORY_FAULT, "%s %s does not hear %s",
		    d == NETNS_DROP_ALL ? "oneway-ip" : "oneway", id(m, x), who);
	else
		history_event(m->h, 0, HISTORY_FAULT, "%s %s do not hear %s",
		    d == NETNS_DROP_ALL ? "oneway-ip" : "oneway", who, id(m, x));
	apply(m);
}

static void
attach(struct nemesis *m, size_t i)
{
	int fd = netns_watch_open(m->lab, i);

	if (fd == -1) {
		history_violate(m->h, "harness: no WATCH connection to %s",
		    id(m, i));
		m->broken = true;
		return;
	}
	history_attach(m->h, i, fd);
}

static void
start(struct nemesis *m, size_t i)
{
	history_event(m->h, i, HISTORY_START, "pid=?");
	if (netns_node_start(m->lab, i) == -1) {
		/* A daemon that cannot come back (e.g. its elect.meta) fails. */
		history_violate(m->h, "%s did not start (log: %s/%s.log)",
		    id(m, i), netns_lab_dir(m->lab), id(m, i));
		m->broken = true;
		return;
	}
	attach(m, i);
	track(m);
}

static void
fault_kill(struct nemesis *m, uint64_t now)
{
	size_t i = pick_node(m, true);

	if (i == SIZE_MAX)
		return;
	netns_node_kill(m->lab, i);
	history_event(m->h, i, HISTORY_KILL, "SIGKILL");
	track(m);
	/* A closing kill lasts until the final heal. */
	m->restart_at[i] = m->aim ? UINT64_MAX : now + rnd_range(m,
	    NEMESIS_DOWN_MIN_MS, NEMESIS_DOWN_MAX_MS);
}

static void
fault_pause(struct nemesis *m, uint64_t now)
{
	size_t i = pick_node(m, true);

	if (i == SIZE_MAX)
		return;
	if (netns_node_stop(m->lab, i) == -1)
		return;
	history_event(m->h, i, HISTORY_STOP, "SIGSTOP");
	track(m);
	m->cont_at[i] = m->aim ? UINT64_MAX : now + rnd_range(m,
	    NEMESIS_PAUSE_MIN_MS, NEMESIS_PAUSE_MAX_MS);
}

static void
resume(struct nemesis *m, size_t i)
{
	if (m->cont_at[i] != 0) {
		m->cont_at[i] = 0;
		if (netns_node_cont(m->lab, i) == 0) {
			history_event(m->h, i, HISTORY_CONT, "SIGCONT");
			/* What it says after waking, on a fresh connection. */
			attach(m, i);
			track(m);
		}
	}
	if (m->restart_at[i] != 0) {
		m->restart_at[i] = 0;
		start(m, i);
	}
}

static void
inject(struct nemesis *m, uint64_t now, bool closing)
{
	unsigned total = 0, r;
	enum fault f = FAULT_HEAL;

	for (int k = 0; k < FAULT_KINDS; k++)
		total += fault_table[k].weight;
	r = (unsigned)(rnd(m) % total);
	for (int k = 0; k < FAULT_KINDS; k++) {
		if (r < fault_table[k].weight) {
			f = (enum fault)k;
			break;
		}
		r -= fault_table[k].weight;
	}
	m->aim = closing;
	if (closing)
		f = closing_faults[rnd(m) % (sizeof(closing_faults) /
		    sizeof(closing_faults[0]))];
	/* At most a minority out at once, or nothing interesting is left. */
	if ((f == FAULT_KILL || f == FAULT_PAUSE) &&
	    count_out(m) >= (m->n - 1) / 2)
		f = FAULT_PARTITION;
	m->counts[f]++;
	switch (f) {
	case FAULT_PARTITION: fault_partition(m); break;
	case FAULT_BRIDGE:    fault_bridge(m); break;
	case FAULT_ONEWAY:    fault_oneway(m, NETNS_DROP_MSGS); break;
	case FAULT_ONEWAY_IP: fault_oneway(m, NETNS_DROP_ALL); break;
	case FAULT_HEAL:      heal(m, "scheduled"); break;
	case FAULT_KILL:      fault_kill(m, now); break;
	case FAULT_PAUSE:     fault_pause(m, now); break;
	case FAULT_SPLIT3:    fault_split3(m); break;
	case FAULT_KINDS:     break;
	}
	m->aim = false;
}

/*
 * Due restarts, SIGCONTs and age-cap heals up to `until`, then wake at
 * `until`.
 */
static void
run_until(struct nemesis *m, uint64_t until)
{
	while (!interrupted && !m->broken) {
		uint64_t next = until;
		size_t who = SIZE_MAX;

		if (m->net_max > 0 && m->net_since > 0 &&
		    m->net_since + m->net_max < next) {
			sleep_until(m->net_since + m->net_max);
			if (interrupted)
				return;
			m->counts[FAULT_HEAL]++;
			heal(m, "age cap");
			continue;
		}

		for (size_t i = 0; i < m->n; i++) {
			uint64_t t = m->restart_at[i] ? m->restart_at[i] :
			    m->cont_at[i];

			if (t != 0 && t < next) {
				next = t;
				who = i;
			}
		}
		sleep_until(next);
		if (who == SIZE_MAX)
			return;
		resume(m, who);
	}
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
keep_history(const struct netns_lab *lab, uint64_t seed,
    struct history *h, const char *keep_dir, const char *finding)
{
	char dest[512];
	FILE *f;
	pid_t pid;

	history_flush(h);
	snprintf(dest, sizeof(dest), "%s/netns-seed-%llu-%ld", keep_dir,
	    (unsigned long long)seed, (long)time(NULL));
	(void)mkdir(keep_dir, 0755);
	if ((pid = fork()) == 0) {
		execl("/bin/cp", "cp", "-a", netns_lab_dir(lab), dest,
		    (char *)NULL);
		_exit(127);
	}
	if (pid == -1 || waitpid(pid, NULL, 0) != pid) {
		fprintf(stderr, "netns: could not keep %s\n", netns_lab_dir(lab));
		return;
	}
	/* Sockets mean nothing once the daemons are gone. */
	if ((pid = fork()) == 0) {
		execl("/usr/bin/find", "find", dest, "-type", "s", "-delete",
		    (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		(void)waitpid(pid, NULL, 0);
	snprintf(dest + strlen(dest), sizeof(dest) - strlen(dest),
	    "/VIOLATIONS");
	if ((f = fopen(dest, "w")) != NULL) {
		fprintf(f, "seed %llu: KEVY_NETNS_SEED=%llu KEVY_NETNS_SEEDS=1 "
		    "build/tests/check_netns replays the schedule\n"
		    "(timing differs run to run). history.log: every WATCH line "
		    "and fault with its receipt time (ms since start); "
		    "n*.log: daemon logs.\n", (unsigned long long)seed,
		    (unsigned long long)seed);
		for (size_t k = 0; k < history_violations(h) &&
		    k < HISTORY_VIOLATIONS_MAX; k++)
			fprintf(f, "violation: %s\n", history_violation(h, k));
		if (finding[0] != '\0')
			fprintf(f, "finding (liveness): %s\n", finding);
		fclose(f);
	}
	*strrchr(dest, '/') = '\0';
	fprintf(stderr, "netns: seed %llu: history kept in %s\n",
	    (unsigned long long)seed, dest);
}

/* One seed; true when it passed. */
static bool
run_seed(struct netns_lab *lab, uint64_t seed, uint64_t seed_ms,
    uint64_t net_max_ms, const char *keep_dir, struct totals *tot,
    bool *lab_broken)
{
	static const struct netns_timing fast = { NEMESIS_HB_MS,
	    NEMESIS_DOWN_MS, NEMESIS_ET_MS, NEMESIS_BACKOFF_MS,
	    NEMESIS_JITTER_MS, NEMESIS_LEASE_MS };
	static const struct netns_timing unset = { NEMESIS_HB_MS,
	    NEMESIS_DOWN_MS, 0, 0, 0, 0 };
	const struct netns_timing *tp = timings_unset() ? &unset : &fast;
	struct history_gaps g;
	struct nemesis m = { .lab = lab, .n = netns_lab_size(lab), .rng = seed,
	    .net_max = net_max_ms };
	const char *ids[NETNS_NODES_MAX];
	char path[NETNS_PATH_MAX + 32], state[1024];
	uint64_t at, t0, end;
	int p = -1, q = -1;
	double conv = -1;
	size_t nviol;
	bool ok, strict = getenv("KEVY_NETNS_STRICT") != NULL;
	char finding[HISTORY_TEXT_MAX + 1024] = "";

	if (netns_lab_reset(lab, tp) == -1) {
		fprintf(stderr, "netns: seed %llu: cannot prepare the cluster\n",
		    (unsigned long long)seed);
		*lab_broken = true;
		return false;
	}
	for (size_t i = 0; i < m.n; i++)
		ids[i] = netns_node_id(lab, i);
	snprintf(path, sizeof(path), "%s/history.log", netns_lab_dir(lab));
	if ((m.h = history_new(m.n, ids, path)) == NULL)
		return false;
	history_for_exit = m.h;
	history_event(m.h, 0, HISTORY_FAULT, "seed %llu nodes %zu fault-phase "
	    "%llu ms bound %d ms", (unsigned long long)seed, m.n,
	    (unsigned long long)seed_ms, bound_ms);
	for (size_t i = 0; i < m.n && !m.broken; i++)
		start(&m, i);
	if (!m.broken && !history_await_converged(m.h, bound_ms, &at,
	    &p, state, sizeof(state)))
		history_violate(m.h, "no single primary at cold start within "
		    "%d ms: %s", bound_ms, state);
	/* Gaps count from the cold start's primary on. */
	m.tracking = true;
	track(&m);
	end = now_ms() + seed_ms;
	while (!interrupted && !m.broken && now_ms() < end) {
		uint64_t next = now_ms() + rnd_range(&m, NEMESIS_GAP_MIN_MS,
		    NEMESIS_GAP_MAX_MS);

		run_until(&m, next < end ? next : end);
		if (now_ms() < end && !interrupted && !m.broken)
			inject(&m, now_ms(), false);
	}
	/* The closing fault, aimed at the primary, held; then the heal. */
	if (!interrupted && !m.broken) {
		uint64_t hold = rnd_range(&m, NEMESIS_CLOSE_MIN_MS,
		    NEMESIS_CLOSE_MAX_MS);

		history_event(m.h, 0, HISTORY_FAULT, "closing fault, held %llu ms",
		    (unsigned long long)hold);
		inject(&m, now_ms(), true);
		/* Restarts and wake-ups keep their schedule meanwhile. */
		run_until(&m, now_ms() + hold);
	}
	/* The final heal: network, pauses, kills, all at once. */
	t0 = history_now_us();
	if (!m.broken && !interrupted) {
		heal(&m, "final");
		for (size_t i = 0; i < m.n; i++)
			resume(&m, i);
		for (size_t i = 0; i < m.n && !m.broken; i++)
			if (history_needs_watch(m.h, i))
				attach(&m, i);
	}
	if (!m.broken && !interrupted) {
		if (!history_await_converged(m.h, bound_ms, &at, &p, state,
		    sizeof(state)))
			history_violate(m.h, "no single followed primary within "
			    "%d ms of the final heal: %s", bound_ms,
			    state);
		else {
			conv = at > t0 ? (double)(at - t0) / 1000 : 0;
			/* A primary that everyone hears is never deposed. */
			sleep_until(now_ms() + NEMESIS_SETTLE_MS);
			if (!history_await_converged(m.h, bound_ms, &at,
			    &q, state, sizeof(state)) || q != p) {
				snprintf(finding, sizeof(finding), "primary %s, "
				    "followed by all after the final heal, "
				    "deposed: %s %d ms later: %s", ids[p],
				    q >= 0 ? ids[q] : "none", NEMESIS_SETTLE_MS,
				    state);
				if (strict)
					history_violate(m.h, "%s", finding);
				else
					history_event(m.h, 0, HISTORY_FAULT,
					    "FINDING (liveness) %s", finding);
			}
		}
	}
	/* The seed's end is no outage. */
	history_set_majority(m.h, false);
	m.tracking = false;
	history_gaps(m.h, &g);
	for (size_t i = 0; i < m.n; i++) {
		if (netns_node_is_up(lab, i)) {
			netns_node_kill(lab, i);
			history_event(m.h, i, HISTORY_KILL, "end of seed");
		}
	}
	nviol = history_violations(m.h);
	ok = nviol == 0 && !interrupted;
	for (int k = 0; k < FAULT_KINDS; k++)
		tot->counts[k] += m.counts[k];
	tot->violations += nviol;
	tot->epochs += history_epochs_won(m.h);
	tot->lines += history_lines(m.h);
	if (conv >= 0 && tot->ntimes < NEMESIS_TIMES_MAX)
		tot->times[tot->ntimes++] = conv;
	add_gaps(tot, seed, &g);
	{
		char kinds[256];
		size_t len = 0;
		unsigned faults = 0;

		kinds[0] = '\0';
		for (int k = 0; k < FAULT_KINDS; k++) {
			faults += m.counts[k];
			len += (size_t)snprintf(kinds + len, sizeof(kinds) - len,
			    " %s=%u", fault_table[k].name, m.counts[k]);
		}
		printf("netns: seed %llu %s: faults=%u%s epochs_won=%zu "
		    "lines=%zu violations=%zu converged_after_heal_ms=%.1f "
		    "longest_gap_ms=%.1f (at %.1f s) gaps=%zu over_1s=%zu "
		    "over_2s=%zu\n",
		    (unsigned long long)seed, ok ? "ok" : "FAILED", faults,
		    kinds, history_epochs_won(m.h), history_lines(m.h), nviol,
		    conv, (double)g.longest_us / 1000,
		    (double)g.longest_at_us / 1e6, g.n, g.over_1s, g.over_2s);
	}
	for (size_t k = 0; k < nviol && k < HISTORY_VIOLATIONS_MAX; k++)
		printf("netns:   violation: %s\n", history_violation(m.h, k));
	if (!strict && finding[0] != '\0') {
		printf("netns:   finding (liveness, fatal with "
		    "KEVY_NETNS_STRICT=1): %s\n", finding);
		tot->findings++;
	}
	fflush(stdout);
	/*
	 * Raw histories go to the build directory (or /tmp), never to the
	 * source tree: what a failure teaches is written up in
	 * docs/reports/findings.md and pinned by a unit test.
	 */
	if (nviol > 0 || finding[0] != '\0' ||
	    getenv("KEVY_NETNS_KEEP") != NULL)
		keep_history(lab, seed, m.h, keep_dir, finding);
	history_free(m.h);
	history_for_exit = NULL;
	return ok;
}

/* KEVY_NETNS_TIMINGS=unset: only hb_interval_ms and down_after_ms set. */
static bool
timings_unset(void)
{
	const char *v = getenv("KEVY_NETNS_TIMINGS");

	return v != NULL && strcmp(v, "unset") == 0;
}

/* One seed's gaps into the totals; the worst seeds stay sorted. */
static void
add_gaps(struct totals *tot, uint64_t seed, const struct history_gaps *g)
{
	size_t k = NEMESIS_WORST_SHOWN;

	tot->gaps += g->n;
	tot->over_1s += g->over_1s;
	tot->over_2s += g->over_2s;
	tot->over_5s += g->over_5s;
	while (k > 0 && tot->worst[k - 1].longest_us < g->longest_us) {
		if (k < NEMESIS_WORST_SHOWN)
			tot->worst[k] = tot->worst[k - 1];
		k--;
	}
	if (k < NEMESIS_WORST_SHOWN) {
		tot->worst[k].seed = seed;
		tot->worst[k].longest_us = g->longest_us;
	}
}

static void
summary(const struct totals *tot, uint64_t elapsed_ms)
{
	double t[NEMESIS_TIMES_MAX];
	unsigned faults = 0;

	printf("netns: %u seeds in %llu s; faults injected by kind:",
	    tot->passed + tot->failed, (unsigned long long)(elapsed_ms / 1000));
	for (int k = 0; k < FAULT_KINDS; k++) {
		faults += tot->counts[k];
		printf(" %s=%u", fault_table[k].name, tot->counts[k]);
	}
	printf(" (total %u)\n", faults);
	printf("netns: violations: %zu; liveness findings (a followed primary "
	    "deposed after the final heal): %zu; epochs won: %zu; STATUS "
	    "lines checked: %zu\n", tot->violations, tot->findings,
	    tot->epochs, tot->lines);
	if (tot->ntimes > 0) {
		memcpy(t, tot->times, tot->ntimes * sizeof(*t));
		qsort(t, tot->ntimes, sizeof(*t), cmp_double);
		printf("netns: time to a single followed primary after the final "
		    "heal: min %.1f ms, median %.1f ms, p99 %.1f ms, max %.1f ms "
		    "over %zu heals (bound %d ms)\n", t[0], t[tot->ntimes / 2],
		    t[(tot->ntimes * 99) / 100 < tot->ntimes ?
		    (tot->ntimes * 99) / 100 : tot->ntimes - 1],
		    t[tot->ntimes - 1], tot->ntimes, bound_ms);
	}
	printf("netns: liveness: %zu gaps (a majority connected, no unfenced "
	    "primary), %zu over 1 s, %zu over 2 s, %zu over 5 s; worst seeds:",
	    tot->gaps, tot->over_1s, tot->over_2s, tot->over_5s);
	for (size_t k = 0; k < NEMESIS_WORST_SHOWN; k++)
		if (tot->worst[k].longest_us > 0)
			printf(" %llu=%.1fms", (unsigned long long)tot->worst[k].seed,
			    (double)tot->worst[k].longest_us / 1000);
	printf("\n");
}

int
main(void)
{
	uint64_t seeds = NEMESIS_SEEDS, seed_ms = NEMESIS_SEED_MS, budget_s = 0;
	uint64_t nodes = NEMESIS_NODES, seed, t_start;
	uint64_t net_max = NEMESIS_NET_MAX_MS;
	const char *keep_dir = getenv("KEVY_NETNS_FAILURES");
	struct totals *tot;
	struct netns_lab *lab;
	char why[512];
	bool lab_broken = false;
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	(void)env_u64("KEVY_NETNS_SEEDS", 1, 1000000, &seeds);
	(void)env_u64("KEVY_NETNS_SEED_MS", 1000, NEMESIS_SEED_MAX_MS, &seed_ms);
	(void)env_u64("KEVY_NETNS_SECONDS", 1, 7 * 86400, &budget_s);
	(void)env_u64("KEVY_NETNS_NODES", 3, NETNS_NODES_MAX, &nodes);
	(void)env_u64("KEVY_NETNS_NET_MAX_MS", 0, NEMESIS_SEED_MAX_MS, &net_max);
	if (!env_u64("KEVY_NETNS_SEED", 0, UINT64_MAX, &seed))
		seed = (uint64_t)time(NULL) * 1000 + (uint64_t)getpid() % 1000;
	if (keep_dir == NULL || *keep_dir == '\0')
		keep_dir = NEMESIS_KEEP_DIR;
	if (timings_unset())
		bound_ms = NEMESIS_UNSET_BOUND_MS;

	netns_trap_signals(on_signal);

	netns_sweep_leftovers();
	if ((lab = netns_lab_new((size_t)nodes, why, sizeof(why))) == NULL) {
		printf("netns: SKIP: partition tests need network namespaces: "
		    "%s\n", why);
		printf("netns: 0 passed, 0 failed, 1 skipped\n");
		return 0;
	}
	lab_for_exit = lab;
	atexit(cleanup);
	if ((tot = calloc(1, sizeof(*tot))) == NULL)
		return 1;
	printf("netns: %llu nodes, each in its own namespace on one bridge "
	    "(10.77.x.0/24 inside the namespaces only); %s; fault phase "
	    "%llu ms per seed; partitions capped at %llu ms (0: uncapped); "
	    "timings %s; first seed %llu\n", (unsigned long long)nodes,
	    budget_s ? "soak" : "short run", (unsigned long long)seed_ms,
	    (unsigned long long)net_max, timings_unset() ?
	    "unset but hb 50 / down_after 500" : "fast (hb 50, down_after 500, "
	    "timeout 300, backoff 100 + 400)", (unsigned long long)seed);
	t_start = now_ms();
	for (uint64_t k = 0; !interrupted; k++, seed++) {
		if (budget_s > 0) {
			/* A soak starts seeds while a whole one still fits. */
			if (now_ms() - t_start + seed_ms > budget_s * 1000 && k > 0)
				break;
		} else if (k >= seeds)
			break;
		if (run_seed(lab, seed, seed_ms, net_max, keep_dir, tot,
		    &lab_broken))
			tot->passed++;
		else
			tot->failed++;
		/* The lab itself is gone (e.g. namespaces deleted): stop. */
		if (lab_broken) {
			printf("netns: the lab broke (namespaces or nftables "
			    "gone); stopping\n");
			break;
		}
	}
	summary(tot, now_ms() - t_start);
	if (interrupted)
		printf("netns: interrupted\n");
	printf("netns: %u passed, %u failed\n", tot->passed, tot->failed);
	fflush(stdout);
	cleanup();
	rc = tot->failed > 0 || interrupted ? 1 : 0;
	free(tot);
	return rc;
}
