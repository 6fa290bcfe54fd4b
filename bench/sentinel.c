/*
 * sentinel: time to writable after SIGKILL of the primary, kevy-electd
 * with its server adapter against Redis Sentinel (issue 11), both in one
 * run, kills interleaved.
 *
 * Two stacks on loopback, each with three redis-servers started alike
 * (tests/harness/redis.c: no persistence, own directory each):
 * - Sentinel: one redis-sentinel beside each server, each with its own
 *   config file (which it rewrites): monitor m at the first server with
 *   quorum 2, down-after-milliseconds = down_after, failover-timeout,
 *   parallel-syncs 1. The bench makes servers 2 and 3 replicas of 1.
 * - kevy-electd: one daemon beside each server, `server = { address =
 *   <its server>; }`, each member's client address its server's; the
 *   adapter makes the topology.
 * Kills alternate between the stacks (which goes first alternates too),
 * each stack settled again before its next. For each kill: the
 * primary's redis-server and its sentinel or daemon are SIGKILLed
 * together (t0 just before). Then a client does what a real one does:
 * every TICK_MS it asks each surviving sentinel (SENTINEL
 * get-master-addr-by-name) or daemon (PRIMARY on its control socket)
 * where the master is and sends SET to each address named. told = the
 * first answer naming a live server; writable = the first SET
 * acknowledged (+OK) by a server other than the dead one. Then the
 * killed pair is restarted (the server as first started, empty: Sentinel
 * or the adapter makes it a replica) and the stack must agree again
 * (every sentinel or daemon names the same master, the servers follow
 * it) before its next kill.
 *
 * No fixed sleep stands in for an event: every wait is a bounded poll of
 * what servers, sentinels and daemons answer. The timed waits are the
 * client's tick, the random phase before a kill, and Sentinel's rule that
 * a sentinel starts no new failover of a master within 2 x
 * failover-timeout of its last one (+ up to 1 s of desync), which no
 * command shows: a kill sooner would measure that rule, not a failover.
 *
 * usage: sentinel [-v] [-o prefix] kills down_after_ms hb_ms
 *                 [failover_timeout_ms]
 * kevy-electd's timings: hb_ms, down_after_ms, election timeout 3/5,
 * backoff 1/5 and jitter 4/5 of down_after (bench/run.sh's FAST and
 * DEFAULT ratios), lease derived. failover-timeout: 3 x down_after.
 * -o: samples in prefix-sentinel.dat and prefix-kevy.dat, one line per
 *     kill: "kill told_ms writable_ms" (bench/report.sh plots them).
 * -v: every change of what the client is told and what SET answers, and
 *     (kevy-electd) every STATUS line of a daemon while a kill is followed.
 * The last line of stdout is "RESULT key=value ..." for bench/run.sh.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cluster.h"
#include "num.h"
#include "redis.h"
#include "resp.h"
#include "sentinel.h"
#include "stats.h"

#define NODES          3
#define KILLS_MAX      1000    /* kills per stack in one run */
#define TICK_MS        5       /* the client: ask, then SET, this often */
#define CMD_MS         1000    /* bound on one command's reply */
#define FAILOVER_MS    120000  /* bound on one kill -> acknowledged SET */
#define RESTORE_MS     180000  /* bound on a stack agreeing again */
#define LOOK_MS        50      /* between two looks while awaiting */
#define PHASE_MS       1000    /* random wait before a kill, [0, this) */
#define DESYNC_MS      1000    /* Sentinel's SENTINEL_MAX_DESYNC */
#define SETTLE_TRIES   20      /* phase waits disturbed before giving up */
#define PATH_LEN       256     /* bytes in one of our paths */
#define ERR_LEN        32      /* bytes of an error reply's code kept */
#define TRACE_LEN      256     /* bytes of one -v line */

struct sent_stack {
	uint16_t	 rport[NODES], sport[NODES];
	pid_t		 rpid[NODES], spid[NODES];
	char		 rdir[NODES][PATH_LEN];
	char		 conf[NODES][PATH_LEN];
	char		 log[NODES][PATH_LEN];
	uint64_t	 quiet_until_us; /* no kill before: 2 x failover-timeout */
};

struct kevy_stack {
	uint16_t	 rport[NODES];
	pid_t		 rpid[NODES];
	char		 rdir[NODES][PATH_LEN];
	char		 extra[NODES][128];
	struct cluster	*c;
};

/* One kill: when the client was first told a live master, and wrote. */
struct sample {
	double		 told_ms, writable_ms;
	bool		 told;
	unsigned	 noreply;	/* SETs without a reply (dead, closed) */
	unsigned	 errors;	/* SETs with an error reply */
	char		 last_err[ERR_LEN];
	size_t		 from, to;
};

struct bench {
	char		 dir[PATH_LEN];
	uint64_t	 down_after_ms, hb_ms, failover_timeout_ms;
	bool		 verbose;
	unsigned long long writes;
	struct sent_stack s;
	struct kevy_stack k;
	uint64_t	 kill_us;	/* the kevy kill being followed, or 0 */
	struct redis_reply scratch;
};

static volatile sig_atomic_t stopping;

static void
on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static double
ms_since(uint64_t t0)
{
	return (double)(cluster_now_us() - t0) / 1000;
}

static bool
never(struct cluster *c, void *arg)
{
	(void)c, (void)arg;
	return false;
}

/*
 * Let ms pass, reading the kevy-electd daemons' WATCH lines meanwhile
 * (the harness checks on each that at most one primary is unfenced).
 */
static void
pace(struct bench *b, uint64_t ms)
{
	if (b->k.c != NULL)
		cluster_wait(b->k.c, never, NULL, ms);
	else
		poll(NULL, 0, (int)ms);
}

/* The server or sentinel on 127.0.0.1:port. */
static struct redis_addr
at(uint16_t port)
{
	return redis_loopback(port);
}

/* One command to 127.0.0.1:port: 0 with the reply in b->scratch, or -1. */
static int
ask(struct bench *b, uint16_t port, const char *const *argv)
{
	struct redis_addr a = at(port);

	return redis_ask(&a, argv, &b->scratch, CMD_MS);
}

/*
 * The server on ports[m] is a master with the other two attached, and
 * each of them replicates from it with the link up.
 */
static bool
servers_follow(struct bench *b, const uint16_t *ports, size_t m)
{
	struct redis_addr a[NODES];

	for (size_t i = 0; i < NODES; i++)
		a[i] = at(ports[i]);
	return redis_follow(a, NODES, m, &b->scratch);
}

static int
port_index(const uint16_t *ports, uint16_t port)
{
	for (size_t i = 0; i < NODES; i++)
		if (ports[i] == port)
			return (int)i;
	return -1;
}

/* ---- Redis Sentinel ---------------------------------------------- */

/* The master's port that sentinel i names, 0 if none or no answer. */
static uint16_t
sent_master(struct bench *b, size_t i)
{
	struct redis_addr s = at(b->s.sport[i]), m;

	if (sentinel_master(&s, &b->scratch, &m) == -1 ||
	    strcmp(m.host, "127.0.0.1") != 0)
		return 0;
	return m.port;
}

/* Sentinel i agrees the master is on port (sentinel_agrees). */
static bool
sent_agrees(struct bench *b, size_t i, uint16_t port)
{
	struct redis_addr s = at(b->s.sport[i]), m = at(port);

	return sentinel_agrees(&s, NODES, &m, &b->scratch);
}

/* Every sentinel agrees, and the servers follow: the master's index. */
static int
sent_settled(struct bench *b)
{
	int m = port_index(b->s.rport, sent_master(b, 0));

	if (m < 0)
		return -1;
	for (size_t i = 0; i < NODES; i++)
		if (!sent_agrees(b, i, b->s.rport[m]))
			return -1;
	return servers_follow(b, b->s.rport, (size_t)m) ? m : -1;
}

static pid_t
sent_spawn(struct bench *b, size_t i)
{
	struct redis_addr self = at(b->s.sport[i]);

	return sentinel_start(&self, b->s.conf[i], b->s.log[i]);
}

static int
sent_write_conf(struct bench *b, size_t i)
{
	struct redis_addr self = at(b->s.sport[i]);
	struct sentinel_conf c = { .master = at(b->s.rport[0]), .quorum = 2,
	    .down_after_ms = b->down_after_ms,
	    .failover_timeout_ms = b->failover_timeout_ms, .dir = b->dir };

	return sentinel_write_conf(b->s.conf[i], &self, &c);
}

static int
sent_setup(struct bench *b)
{
	struct sent_stack *s = &b->s;
	char port[8];
	const char *replicaof[] = { "REPLICAOF", "127.0.0.1", port, NULL };

	for (size_t i = 0; i < NODES; i++) {
		s->rport[i] = cluster_free_port();
		s->sport[i] = cluster_free_port();
		snprintf(s->rdir[i], PATH_LEN, "%s/sentinel-r%zu", b->dir, i + 1);
		snprintf(s->conf[i], PATH_LEN, "%s/sentinel-%zu.conf", b->dir,
		    i + 1);
		snprintf(s->log[i], PATH_LEN, "%s/sentinel-%zu.log", b->dir,
		    i + 1);
		if (s->rport[i] == 0 || s->sport[i] == 0 ||
		    mkdir(s->rdir[i], 0700) == -1 ||
		    (s->rpid[i] = redis_start(s->rport[i], s->rdir[i])) <= 0)
			return -1;
	}
	snprintf(port, sizeof(port), "%u", (unsigned)s->rport[0]);
	for (size_t i = 1; i < NODES; i++)
		if (ask(b, s->rport[i], replicaof) == -1 ||
		    !resp_is_ok(&b->scratch.r))
			return -1;
	for (size_t i = 0; i < NODES; i++)
		if (sent_write_conf(b, i) != 0 ||
		    (s->spid[i] = sent_spawn(b, i)) <= 0)
			return -1;
	return 0;
}

/* ---- kevy-electd ------------------------------------------------- */

/* The master's port that daemon i's PRIMARY names, 0 if none. */
static uint16_t
kevy_master(struct bench *b, size_t i)
{
	char line[256];
	const char *sp, *colon;
	uint64_t v;

	if (cluster_request(b->k.c, i, "PRIMARY", line, sizeof(line)) != 0 ||
	    (sp = strchr(line, ' ')) == NULL ||
	    strncmp(sp + 1, "127.0.0.1:", 10) != 0)
		return 0;
	colon = sp + 10;
	if (num_parse_u64(colon + 1, strlen(colon + 1), &v) == -1 || v == 0 ||
	    v > 65535)
		return 0;
	return (uint16_t)v;
}

/* Every daemon names one unfenced primary, none counts a peer down, and
 * the servers follow its server: its index. */
static int
kevy_settled(struct bench *b)
{
	int p;

	if (!cluster_settled(b->k.c, NULL) ||
	    (p = cluster_primary(b->k.c)) < 0)
		return -1;
	for (size_t i = 0; i < NODES; i++)
		if (!cluster_view(b->k.c, i)->seen)
			return -1;
	return servers_follow(b, b->k.rport, (size_t)p) ? p : -1;
}

static int
kevy_setup(struct bench *b, const struct cluster_opts *base)
{
	struct kevy_stack *k = &b->k;
	struct cluster_opts o = *base;

	for (size_t i = 0; i < NODES; i++) {
		k->rport[i] = cluster_free_port();
		snprintf(k->rdir[i], PATH_LEN, "%s/kevy-r%zu", b->dir, i + 1);
		if (k->rport[i] == 0 || mkdir(k->rdir[i], 0700) == -1 ||
		    (k->rpid[i] = redis_start(k->rport[i], k->rdir[i])) <= 0)
			return -1;
		o.client_port[i] = k->rport[i];
		snprintf(k->extra[i], sizeof(k->extra[i]), "server = { "
		    "address = \"127.0.0.1:%u\"; };\n", (unsigned)k->rport[i]);
		o.extra_conf[i] = k->extra[i];
	}
	if ((k->c = cluster_new(&o)) == NULL)
		return -1;
	for (size_t i = 0; i < NODES; i++)
		if (cluster_start(k->c, i) == -1)
			return -1;
	return 0;
}

/* ---- both -------------------------------------------------------- */

static int
settled(struct bench *b, bool kevy)
{
	return kevy ? kevy_settled(b) : sent_settled(b);
}

/* Await the stack agreeing again (bounded): the master's index, or -1. */
static int
await_settled(struct bench *b, bool kevy)
{
	uint64_t end = cluster_now_us() + (uint64_t)RESTORE_MS * 1000;
	int m;

	while (!stopping && cluster_now_us() < end) {
		if ((m = settled(b, kevy)) >= 0)
			return m;
		pace(b, LOOK_MS);
	}
	return -1;
}

/*
 * Settled, then a random [0, PHASE_MS) (Sentinel pings every second,
 * the daemons heartbeat every hb: the kill falls at a uniform phase of
 * both), and still settled with the same master: its index.
 */
static int
before_kill(struct bench *b, bool kevy)
{
	for (int tries = 0; tries < SETTLE_TRIES && !stopping; tries++) {
		uint64_t now = cluster_now_us();
		int m = await_settled(b, kevy);

		if (m < 0)
			return -1;
		if (!kevy && now < b->s.quiet_until_us) {
			pace(b, (b->s.quiet_until_us - now) / 1000 + 1);
			continue;
		}
		pace(b, (uint64_t)random() % PHASE_MS);
		if (settled(b, kevy) == m)
			return m;
	}
	return -1;
}

/*
 * -v: each daemon's STATUS change while a kevy-electd kill is followed:
 * when a node won (role=primary fenced=yes), was unfenced, learned of the
 * new primary.
 */
static void
trace_line(struct cluster *c, size_t i, const char *line, void *arg)
{
	struct bench *b = arg;
	char role[16], primary[16], fenced[8], srole[16], smaster[32];

	(void)c;
	if (b->kill_us == 0)
		return;
	cluster_field(line, "role", role, sizeof(role));
	cluster_field(line, "primary", primary, sizeof(primary));
	cluster_field(line, "fenced", fenced, sizeof(fenced));
	cluster_field(line, "server_role", srole, sizeof(srole));
	cluster_field(line, "server_master", smaster, sizeof(smaster));
	printf("  %+9.1f ms n%zu: role=%s primary=%s fenced=%s server_role=%s "
	    "server_master=%s\n", ms_since(b->kill_us), i + 1, role, primary,
	    fenced, srole, smaster);
}

static void
trace(struct bench *b, uint64_t t0, char *last, const char *now)
{
	if (b->verbose && strcmp(last, now) != 0) {
		printf("  %+9.1f ms %s\n", ms_since(t0), now);
		snprintf(last, TRACE_LEN, "%s", now);
	}
}

/*
 * SET on 127.0.0.1:port: 1 acknowledged, 0 an error reply (its code in
 * err), -1 no reply.
 */
static int
set_once(struct bench *b, uint16_t port, char *err, size_t cap)
{
	char val[24];
	const char *argv[] = { "SET", "bench:k", val, NULL };
	const struct resp_elem *e;
	size_t n;

	snprintf(val, sizeof(val), "%llu", ++b->writes);
	if (ask(b, port, argv) == -1)
		return -1;
	if (resp_is_ok(&b->scratch.r))
		return 1;
	e = resp_root(&b->scratch.r);
	/* The error's code: its first word ("READONLY", "NOREPLICAS"). */
	for (n = 0; e->str != NULL && n < e->len && n + 1 < cap &&
	    e->str[n] != ' '; n++)
		err[n] = (char)e->str[n];
	err[n] = '\0';
	return 0;
}

/*
 * The client after the kill of node dead at t0: every TICK_MS, ask the
 * survivors, SET on each distinct address they name. 0 once a server
 * other than the dead one acknowledged, -1 after FAILOVER_MS.
 */
static int
follow(struct bench *b, bool kevy, size_t dead, uint64_t t0,
    struct sample *sm)
{
	const uint16_t *ports = kevy ? b->k.rport : b->s.rport;
	uint64_t end = t0 + (uint64_t)FAILOVER_MS * 1000, next = t0;
	char last[TRACE_LEN] = "", now_tr[TRACE_LEN];

	memset(sm, 0, sizeof(*sm));
	sm->from = dead;
	while (!stopping && cluster_now_us() < end) {
		uint16_t named[NODES];
		size_t nn = 0, len;
		uint64_t now;

		for (size_t i = 0; i < NODES; i++) {
			uint16_t p;
			bool dup = false;

			if (i == dead)
				continue;
			p = kevy ? kevy_master(b, i) : sent_master(b, i);
			for (size_t j = 0; j < nn; j++)
				dup = dup || named[j] == p;
			if (p == 0 || dup)
				continue;
			named[nn++] = p;
			if (p != ports[dead] && !sm->told) {
				sm->told = true;
				sm->told_ms = ms_since(t0);
			}
		}
		len = (size_t)snprintf(now_tr, sizeof(now_tr), "told%s",
		    nn == 0 ? " nothing" : "");
		for (size_t j = 0; j < nn; j++) {
			char err[ERR_LEN] = "";
			int rc = set_once(b, named[j], err, sizeof(err));
			int at = port_index(ports, named[j]);

			if (rc == 1 && named[j] != ports[dead]) {
				sm->writable_ms = ms_since(t0);
				sm->to = at < 0 ? 0 : (size_t)at;
				return 0;
			}
			if (rc == -1)
				sm->noreply++;
			else {
				sm->errors++;
				snprintf(sm->last_err, sizeof(sm->last_err), "%s",
				    err);
			}
			if (len < sizeof(now_tr))
				len += (size_t)snprintf(now_tr + len,
				    sizeof(now_tr) - len, " %s%d: SET %s",
				    kevy ? "n" : "s", at + 1,
				    rc == -1 ? "no reply" : err);
		}
		trace(b, t0, last, now_tr);
		next += (uint64_t)TICK_MS * 1000;
		if (next > (now = cluster_now_us()))
			pace(b, (next - now + 999) / 1000);
		else
			next = now;
	}
	return -1;
}

/* SIGKILL the server and sentinel or daemon of node m, then measure. */
static int
kill_one(struct bench *b, bool kevy, size_t m, struct sample *sm)
{
	pid_t *rpid = kevy ? &b->k.rpid[m] : &b->s.rpid[m];
	uint64_t t0 = cluster_now_us();
	struct timespec wall;
	int rc;

	/* -v: the kill's wall-clock time, to read the logs against. */
	clock_gettime(CLOCK_REALTIME, &wall);
	kill(*rpid, SIGKILL);
	if (kevy)
		cluster_kill(b->k.c, m);
	else {
		kill(b->s.spid[m], SIGKILL);
		waitpid(b->s.spid[m], NULL, 0);
		b->s.spid[m] = 0;
	}
	waitpid(*rpid, NULL, 0);
	*rpid = 0;
	if (kevy)
		b->kill_us = t0;
	if (b->verbose) {
		char hms[16];

		strftime(hms, sizeof(hms), "%H:%M:%S", localtime(&wall.tv_sec));
		printf("  kill at %s.%03ld\n", hms, wall.tv_nsec / 1000000);
	}
	rc = follow(b, kevy, m, t0, sm);
	b->kill_us = 0;
	if (!kevy)
		b->s.quiet_until_us = cluster_now_us() +
		    (2 * b->failover_timeout_ms + DESYNC_MS) * 1000;
	/* Back as it first started: the server empty, a master. */
	if (kevy) {
		if ((b->k.rpid[m] = redis_start(b->k.rport[m],
		    b->k.rdir[m])) <= 0 || cluster_start(b->k.c, m) == -1)
			return -1;
	} else if ((b->s.rpid[m] = redis_start(b->s.rport[m],
	    b->s.rdir[m])) <= 0 || (b->s.spid[m] = sent_spawn(b, m)) <= 0)
		return -1;
	return rc;
}

/* ---- results ----------------------------------------------------- */

struct stats {
	double min, p50, p99, max;
};

static struct stats
stats_of(double *v, size_t n)
{
	struct stats s = { 0, 0, 0, 0 };

	if (n == 0)
		return s;
	stats_sort(v, n);
	s.min = v[0];
	s.p50 = stats_pct(v, n, 50);
	s.p99 = stats_pct(v, n, 99);
	s.max = v[n - 1];
	return s;
}

/* "k_min=.. k_p50=.. k_p99=.. k_max=.." after a space, into out. */
static void
put_stats(char *out, size_t cap, const char *k, struct stats s)
{
	size_t len = strlen(out);

	snprintf(out + len, cap - len, " %s_min=%.1f %s_p50=%.1f %s_p99=%.1f "
	    "%s_max=%.1f", k, s.min, k, s.p50, k, s.p99, k, s.max);
}

static void
summary(const struct bench *b, struct sample *ss, size_t ns,
    struct sample *ks, size_t nk, const char *date, const char *load0)
{
	static double v[4][KILLS_MAX];
	static char line[2048];
	struct stats st[4];
	char load1[64];

	for (size_t i = 0; i < ns; i++) {
		v[0][i] = ss[i].told_ms;
		v[1][i] = ss[i].writable_ms;
	}
	for (size_t i = 0; i < nk; i++) {
		v[2][i] = ks[i].told_ms;
		v[3][i] = ks[i].writable_ms;
	}
	st[0] = stats_of(v[0], ns);
	st[1] = stats_of(v[1], ns);
	st[2] = stats_of(v[2], nk);
	st[3] = stats_of(v[3], nk);
	stats_loadavg(load1, sizeof(load1));
	printf("sentinel told        min %8.1f  p50 %8.1f  p99 %8.1f  max "
	    "%8.1f ms\n", st[0].min, st[0].p50, st[0].p99, st[0].max);
	printf("sentinel writable    min %8.1f  p50 %8.1f  p99 %8.1f  max "
	    "%8.1f ms\n", st[1].min, st[1].p50, st[1].p99, st[1].max);
	printf("kevy-electd told     min %8.1f  p50 %8.1f  p99 %8.1f  max "
	    "%8.1f ms\n", st[2].min, st[2].p50, st[2].p99, st[2].max);
	printf("kevy-electd writable min %8.1f  p50 %8.1f  p99 %8.1f  max "
	    "%8.1f ms\n", st[3].min, st[3].p50, st[3].p99, st[3].max);
	snprintf(line, sizeof(line), "RESULT down_after=%llu hb=%llu "
	    "failover_timeout=%llu sentinel_kills=%zu kevy_kills=%zu "
	    "max_unfenced=%u date=%s load_start=%s load_end=%s",
	    (unsigned long long)b->down_after_ms,
	    (unsigned long long)b->hb_ms,
	    (unsigned long long)b->failover_timeout_ms, ns, nk,
	    cluster_max_unfenced(b->k.c), date, load0, load1);
	put_stats(line, sizeof(line), "sentinel_told", st[0]);
	put_stats(line, sizeof(line), "sentinel", st[1]);
	put_stats(line, sizeof(line), "kevy_told", st[2]);
	put_stats(line, sizeof(line), "kevy", st[3]);
	if (ns > 0 && nk > 0) {
		size_t len = strlen(line);

		snprintf(line + len, sizeof(line) - len, " ratio_p50=%.2f "
		    "ratio_p99=%.2f ratio_max=%.2f", st[1].p50 / st[3].p50,
		    st[1].p99 / st[3].p99, st[1].max / st[3].max);
	}
	printf("%s\n", line);
}

static FILE *
open_dat(const char *prefix, const char *stack)
{
	char path[PATH_LEN * 2];
	FILE *f;

	if (prefix == NULL)
		return NULL;
	snprintf(path, sizeof(path), "%s-%s.dat", prefix, stack);
	if ((f = fopen(path, "w")) == NULL)
		perror(path);
	return f;
}

static void
teardown(struct bench *b, bool keep)
{
	char cmd[PATH_LEN + 16];

	for (size_t i = 0; i < NODES; i++) {
		redis_kill(b->s.spid[i]);
		redis_kill(b->s.rpid[i]);
	}
	cluster_free(b->k.c);
	for (size_t i = 0; i < NODES; i++)
		redis_kill(b->k.rpid[i]);
	if (keep || getenv("KEVY_KEEP_CLUSTER") != NULL) {
		fprintf(stderr, "sentinel: kept %s\n", b->dir);
		return;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", b->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "sentinel: could not remove %s\n", b->dir);
}

/*
 * What the stacks run: the replication settings of each stack's first
 * server (the adapter sets min-replicas-*), node 1's config files.
 */
static void
show_setup(struct bench *b)
{
	static const char *const get[] = { "CONFIG", "GET", "save",
	    "appendonly", "repl-diskless-sync", "repl-diskless-sync-delay",
	    "repl-ping-replica-period", "repl-timeout", "min-replicas-to-write",
	    "min-replicas-max-lag", NULL };
	const uint16_t ports[2] = { b->s.rport[0], b->k.rport[0] };
	const char *files[2] = { b->s.conf[0], cluster_config_path(b->k.c, 0) };
	const char *tags[2] = { "sentinel-1.conf", "kevy-electd n1.conf" };
	const struct resp_reply *r = &b->scratch.r;
	const struct resp_elem *a, *e;
	char buf[1024];
	FILE *f;

	for (size_t k = 0; k < 2; k++) {
		if (ask(b, ports[k], get) == -1)
			continue;
		a = resp_root(r);
		printf("%s server 1:", k == 0 ? "Sentinel" : "kevy-electd");
		for (size_t i = 0; (e = resp_child(r, a, i)) != NULL; i++)
			printf("%s%.*s", i % 2 == 0 ? " " : "=", (int)e->len,
			    e->str != NULL ? (const char *)e->str : "");
		printf("\n");
	}
	for (size_t k = 0; k < 2; k++) {
		if ((f = fopen(files[k], "r")) == NULL)
			continue;
		/* Up to what Sentinel's CONFIG REWRITE appended. */
		while (fgets(buf, sizeof(buf), f) != NULL && buf[0] != '#')
			if (buf[0] != '\n')
				printf("%s: %s", tags[k], buf);
		fclose(f);
	}
}

static int
arg_u64(const char *s, uint64_t *out)
{
	return num_parse_u64(s, strlen(s), out);
}

static void
usage(void)
{
	fprintf(stderr, "usage: sentinel [-v] [-o prefix] kills(1..%d) "
	    "down_after_ms hb_ms [failover_timeout_ms]\n", KILLS_MAX);
	exit(64);
}

int
main(int argc, char **argv)
{
	static struct sample ss[KILLS_MAX], ks[KILLS_MAX];
	struct cluster_opts o = { .n = NODES };
	struct bench *b;
	const char *prefix = NULL;
	FILE *sdat, *kdat;
	uint64_t kills;
	size_t ns = 0, nk = 0;
	char date[32], load0[64];
	time_t now = time(NULL);
	bool failed = false;
	int ch;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return 1;
	while ((ch = getopt(argc, argv, "o:v")) != -1) {
		if (ch == 'v')
			b->verbose = true;
		else if (ch == 'o')
			prefix = optarg;
		else
			usage();
	}
	argc -= optind;
	argv += optind;
	if (argc < 3 || argc > 4 || arg_u64(argv[0], &kills) == -1 ||
	    kills == 0 || kills > KILLS_MAX ||
	    arg_u64(argv[1], &b->down_after_ms) == -1 ||
	    arg_u64(argv[2], &b->hb_ms) == -1 || b->hb_ms == 0 ||
	    b->down_after_ms < 4 * b->hb_ms ||
	    (argc == 4 && arg_u64(argv[3], &b->failover_timeout_ms) == -1))
		usage();
	if (argc == 3)
		b->failover_timeout_ms = 3 * b->down_after_ms;
	if (!redis_available()) {
		fprintf(stderr, "sentinel: redis-server is not installed "
		    "(Debian: redis-server, redis-sentinel)\n");
		return 77;
	}
	o.hb_interval_ms = b->hb_ms;
	o.down_after_ms = b->down_after_ms;
	o.election_timeout_ms = b->down_after_ms * 3 / 5;
	o.backoff_ms = b->down_after_ms / 5;
	o.backoff_jitter_ms = b->down_after_ms * 4 / 5;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	srandom((unsigned)(cluster_now_us() ^ (uint64_t)getpid()));
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	stats_loadavg(load0, sizeof(load0));
	snprintf(b->dir, sizeof(b->dir), "/tmp/kevy-sentinel.XXXXXX");
	if (mkdtemp(b->dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	printf("sentinel: down_after %llu ms, hb %llu ms, failover-timeout "
	    "%llu ms, %llu kills each, in %s\n",
	    (unsigned long long)b->down_after_ms,
	    (unsigned long long)b->hb_ms,
	    (unsigned long long)b->failover_timeout_ms,
	    (unsigned long long)kills, b->dir);
	fflush(stdout);
	if (sent_setup(b) == -1 || kevy_setup(b, &o) == -1 ||
	    await_settled(b, false) < 0 || await_settled(b, true) < 0) {
		fprintf(stderr, "sentinel: setup failed or never settled "
		    "(logs in %s)\n", b->dir);
		teardown(b, true);
		return 1;
	}
	show_setup(b);
	fflush(stdout);
	if (b->verbose)
		cluster_on_line(b->k.c, trace_line, b);
	sdat = open_dat(prefix, "sentinel");
	kdat = open_dat(prefix, "kevy");
	for (size_t n = 0; n < kills && !failed && !stopping; n++) {
		/* Which stack goes first alternates from kill to kill. */
		for (size_t st = 0; st < 2 && !failed; st++) {
			bool kevy = (st + n) % 2 == 1;
			struct sample *sm = kevy ? &ks[n] : &ss[n];
			FILE *dat = kevy ? kdat : sdat;
			int m = before_kill(b, kevy);

			if (m < 0 || kill_one(b, kevy, (size_t)m, sm) == -1) {
				fprintf(stderr, "sentinel: %s kill %zu: %s "
				    "(logs in %s)\n", kevy ? "kevy-electd" :
				    "Sentinel", n + 1, stopping ? "interrupted" :
				    m < 0 ? "the stack did not settle" :
				    "no acknowledged SET or no restart", b->dir);
				failed = true;
				break;
			}
			printf("%-11s kill %zu: %s%zu -> %s%zu: told %7.1f ms, "
			    "writable %7.1f ms (SETs: %u without a reply, %u "
			    "errors, the last %s)\n", kevy ? "kevy-electd" :
			    "sentinel", n + 1, kevy ? "n" : "s", sm->from + 1,
			    kevy ? "n" : "s", sm->to + 1, sm->told_ms,
			    sm->writable_ms, sm->noreply, sm->errors,
			    sm->last_err[0] != '\0' ? sm->last_err : "-");
			fflush(stdout);
			if (dat != NULL) {
				fprintf(dat, "%zu %.3f %.3f\n", n + 1,
				    sm->told_ms, sm->writable_ms);
				fflush(dat);
			}
			if (kevy)
				nk++;
			else
				ns++;
		}
	}
	if (ns > 0 || nk > 0)
		summary(b, ss, ns, ks, nk, date, load0);
	if (sdat != NULL)
		fclose(sdat);
	if (kdat != NULL)
		fclose(kdat);
	failed = failed || stopping || cluster_max_unfenced(b->k.c) > 1;
	teardown(b, failed);
	free(b);
	return failed ? 1 : 0;
}
