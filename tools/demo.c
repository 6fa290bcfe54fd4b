/*
 * demo: the built-in local show (`make demo`). Three kevy-electd daemons on
 * loopback elect a primary; the demo kills it with SIGKILL, prints every
 * WATCH line as the survivors fail over, with timings, restarts the old
 * primary as a replica, then stops everything and removes every file.
 * `demo redis` (make demo DEMO=redis) does the same beside three real
 * redis-servers driven by the server adapter: no glue, the servers follow
 * the election, and a write made before the failover is read back from
 * the new primary. It uses the same harness as the integration tests
 * (tests/harness/cluster.c, redis.c).
 *
 * With KEVY_DEMO_KEEP=FILE (make demo KEEP=1) the three daemons are left
 * running at the end, their sockets printed for trying things by hand,
 * and FILE gets DIR= and PIDS= lines for `make cluster-stop`. Without it
 * nothing is left behind, so no command is printed for a socket that is
 * about to go.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "redis.h"

#define DEMO_NODES    3
#define DEMO_WAIT_MS  20000 /* bound on every step of the show */
#define DEMO_POLL_MS  20    /* between two looks at a redis-server */

static uint64_t t0_us;
static bool show_lines;
/* The killed primary's id, and when a survivor first counted it down. */
static const char *watch_down_of;
static uint64_t down_seen_us;

static double
ms_since(uint64_t us)
{
	return (double)(cluster_now_us() - us) / 1000.0;
}

/* Is id one of the comma-separated ids of list? */
static bool
has_id(const char *list, const char *id)
{
	size_t n = strlen(id);

	for (const char *p = list; *p != '\0'; p += strcspn(p, ",")) {
		if (*p == ',')
			p++;
		if (strncmp(p, id, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return true;
	}
	return false;
}

static void
print_line(struct cluster *c, size_t i, const char *line, void *arg)
{
	char role[16], epoch[24], primary[40], fenced[8], down[128];

	(void)arg;
	cluster_field(line, "down", down, sizeof(down));
	if (watch_down_of != NULL && down_seen_us == 0 &&
	    has_id(down, watch_down_of))
		down_seen_us = cluster_now_us();
	if (!show_lines)
		return;
	cluster_field(line, "role", role, sizeof(role));
	cluster_field(line, "epoch", epoch, sizeof(epoch));
	cluster_field(line, "primary", primary, sizeof(primary));
	cluster_field(line, "fenced", fenced, sizeof(fenced));
	printf("  %+8.1f ms  %s: role=%-9s epoch=%-3s primary=%-4s fenced=%-3s "
	    "down=%s\n", ms_since(t0_us), cluster_id(c, i), role, epoch,
	    primary, fenced, down);
}

struct other {
	int old;
};

static bool
rejoined(struct cluster *c, void *arg)
{
	struct other *o = arg;

	return cluster_agreed(c, NULL) &&
	    strcmp(cluster_view(c, (size_t)o->old)->role, "replica") == 0;
}

/* Three redis-servers, one beside each daemon, and the adapter on. */
struct redis_side {
	bool on;
	char dir[64];
	uint16_t port[DEMO_NODES];
	pid_t pid[DEMO_NODES];
	char conf[DEMO_NODES][128];
};

static int
redis_up(struct redis_side *r, struct cluster_opts *o)
{
	snprintf(r->dir, sizeof(r->dir), "/tmp/kevy-demo-redis.XXXXXX");
	if (!redis_available() || mkdtemp(r->dir) == NULL)
		return -1;
	for (size_t i = 0; i < DEMO_NODES; i++) {
		if ((r->port[i] = cluster_free_port()) == 0 ||
		    (r->pid[i] = redis_start(r->port[i], r->dir)) == -1)
			return -1;
		o->client_port[i] = r->port[i];
		snprintf(r->conf[i], sizeof(r->conf[i]), "server = { address = "
		    "\"127.0.0.1:%u\"; };\n", (unsigned)r->port[i]);
		o->extra_conf[i] = r->conf[i];
	}
	r->on = true;
	return 0;
}

static void
redis_down(struct redis_side *r)
{
	char cmd[128];

	for (size_t i = 0; i < DEMO_NODES; i++)
		redis_kill(r->pid[i]);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", r->dir);
	if (r->dir[0] != '\0' && system(cmd) != 0)
		fprintf(stderr, "demo: cannot remove %s\n", r->dir);
}

static void
show_servers(const struct redis_side *r, struct cluster *c)
{
	char role[16], host[64], port[16], link[16];

	for (size_t i = 0; i < DEMO_NODES; i++) {
		if (r->pid[i] <= 0)
			continue;
		redis_info(r->port[i], "role", role, sizeof(role));
		redis_info(r->port[i], "master_host", host, sizeof(host));
		redis_info(r->port[i], "master_port", port, sizeof(port));
		redis_info(r->port[i], "master_link_status", link,
		    sizeof(link));
		if (strcmp(role, "master") == 0)
			printf("   redis beside %s (port %u): master\n",
			    cluster_id(c, i), (unsigned)r->port[i]);
		else
			printf("   redis beside %s (port %u): replica of %s:%s, "
			    "link %s\n", cluster_id(c, i), (unsigned)r->port[i],
			    host, port, link);
	}
}

/* SET on node i's redis until acknowledged (min-replicas may say wait). */
static bool
redis_set(const struct redis_side *r, size_t i, const char *key,
    const char *value, char *reply, size_t cap)
{
	const char *argv[] = { "SET", key, value, NULL };
	uint64_t end = cluster_now_us() + (uint64_t)DEMO_WAIT_MS * 1000;

	do {
		if (redis_cmd(r->port[i], reply, cap, 1000, argv) == 0 &&
		    strcmp(reply, "OK") == 0)
			return true;
		poll(NULL, 0, DEMO_POLL_MS);
	} while (cluster_now_us() < end);
	return false;
}

/*
 * KEEP=1: leave the daemons (and redis-servers) running, say how to reach
 * them, and write what `make cluster-stop` needs into file. The harness
 * state is dropped without killing anything.
 */
static int
keep_running(struct cluster *c, const char *file, const struct redis_side *r)
{
	FILE *f = fopen(file, "w");
	const char *ctl = getenv("KEVY_DEMO_CTL");  /* kevy-electctl's path */
	int p = cluster_primary(c);

	if (f == NULL) {
		fprintf(stderr, "demo: %s: cannot write it\n", file);
		cluster_free(c);
		return 1;
	}
	fprintf(f, "DIR=%s\nPIDS=\"", cluster_dir(c));
	for (size_t i = 0; i < DEMO_NODES; i++)
		fprintf(f, "%s%d", i > 0 ? " " : "", (int)cluster_pid(c, i));
	for (size_t i = 0; r->on && i < DEMO_NODES; i++)
		fprintf(f, " %d", (int)r->pid[i]);
	fprintf(f, "\"\n");
	if (fclose(f) != 0) {
		fprintf(stderr, "demo: %s: cannot write it\n", file);
		cluster_free(c);
		return 1;
	}
	printf("\n4. The three daemons keep running (KEEP=1). Their configs, "
	    "state and logs: %s\n", cluster_dir(c));
	for (size_t i = 0; i < DEMO_NODES; i++)
		printf("   %s pid %-7d %s\n", cluster_id(c, i),
		    (int)cluster_pid(c, i), cluster_socket_path(c, i));
	printf("\n   Try:\n"
	    "   socat - UNIX-CONNECT:%s     # then type STATUS, HELP, WATCH\n"
	    "   echo 'STATUS JSON' | socat - UNIX-CONNECT:%s\n"
	    "   %s -s %s list\n"
	    "   kill -9 %d    # the primary, %s: watch the others fail over\n"
	    "   make cluster-stop    # stops them all and removes %s\n",
	    cluster_socket_path(c, 0), cluster_socket_path(c, 1),
	    ctl != NULL && ctl[0] != '\0' ? ctl : "kevy-electctl",
	    cluster_socket_path(c, 2), p >= 0 ? (int)cluster_pid(c, (size_t)p) :
	    0, p >= 0 ? cluster_id(c, (size_t)p) : "?", cluster_dir(c));
	return 0;
}

static int
fail(struct cluster *c, const char *what)
{
	fprintf(stderr, "demo: %s (daemon logs: %s)\n", what, cluster_dir(c));
	cluster_free(c);
	return 1;
}

int
main(int argc, char **argv)
{
	struct cluster_opts o = {
		.n = DEMO_NODES,
		.hb_interval_ms = 100, .down_after_ms = 1000,
		.election_timeout_ms = 500, .backoff_ms = 200,
		.backoff_jitter_ms = 400,
	};
	struct cluster *c;
	struct other other;
	struct redis_side rs = { 0 };
	char reply[4096];
	uint64_t agreed_us, writable_us;
	const char *keep;
	int p, q;

	signal(SIGPIPE, SIG_IGN);
	keep = getenv("KEVY_DEMO_KEEP");
	if (keep != NULL && keep[0] == '\0')
		keep = NULL;
	if (argc > 1 && strcmp(argv[1], "redis") == 0 &&
	    redis_up(&rs, &o) == -1) {
		fprintf(stderr, "demo: cannot start redis-server (Debian "
		    "package redis-server)\n");
		redis_down(&rs);
		return 1;
	}
	if ((c = cluster_new(&o)) == NULL) {
		fprintf(stderr, "demo: cannot set up a temporary directory\n");
		return 1;
	}
	printf("kevy-electd demo: %d daemons on loopback, hb_interval=%" PRIu64
	    " ms, down_after=%" PRIu64 " ms\n  configs, state and sockets in "
	    "%s\n\n", DEMO_NODES, o.hb_interval_ms, o.down_after_ms,
	    cluster_dir(c));
	cluster_on_line(c, print_line, NULL);
	t0_us = cluster_now_us();
	for (size_t i = 0; i < DEMO_NODES; i++) {
		if (cluster_start(c, i) == -1)
			return fail(c, "a daemon did not start");
		printf("started %s pid %d, control socket %s\n", cluster_id(c, i),
		    (int)cluster_pid(c, i), cluster_socket_path(c, i));
	}
	printf("\n1. Cold start: nobody is primary until down_after passes, "
	    "then the best replica stands.\n");
	show_lines = true;
	if (!cluster_wait(c, cluster_agreed, NULL, DEMO_WAIT_MS))
		return fail(c, "no primary was elected");
	show_lines = false;
	p = cluster_primary(c);
	printf("\n   %s is primary. Ask any node on its control socket:\n",
	    cluster_id(c, p));
	if (cluster_request(c, 0, "PRIMARY", reply, sizeof(reply)) == 0)
		printf("   > PRIMARY\n   %s\n", reply);
	if (cluster_request(c, (size_t)p, "STATUS", reply, sizeof(reply)) == 0)
		printf("   > STATUS   (on %s)\n   %s\n", cluster_id(c, p), reply);
	if (rs.on) {
		printf("\n   The adapters made the servers follow the election "
		    "(no hook, no glue):\n");
		show_servers(&rs, c);
		if (!redis_set(&rs, (size_t)p, "greeting", "hello", reply,
		    sizeof(reply)))
			return fail(c, "the primary's redis took no write");
		printf("   > SET greeting hello   (on %s's redis)\n   %s\n",
		    cluster_id(c, p), reply);
	}

	printf("\n2. SIGKILL %s (pid %d)%s. Every WATCH line the survivors "
	    "push:\n", cluster_id(c, p), (int)cluster_pid(c, p), rs.on ?
	    " and its redis-server" : "");
	other.old = p;
	watch_down_of = cluster_id(c, p);
	down_seen_us = 0;
	t0_us = cluster_now_us();
	cluster_kill(c, (size_t)p);
	if (rs.on) {
		redis_kill(rs.pid[p]);
		rs.pid[p] = 0;
	}
	show_lines = true;
	if (!cluster_wait(c, cluster_agreed_other, &other.old, DEMO_WAIT_MS))
		return fail(c, "the survivors did not agree on a new primary");
	agreed_us = cluster_now_us() - t0_us;
	if (!cluster_wait(c, cluster_agreed, NULL, DEMO_WAIT_MS))
		return fail(c, "the new primary never became writable");
	writable_us = cluster_now_us() - t0_us;
	show_lines = false;
	q = cluster_primary(c);
	/*
	 * down_after_ms runs from the last heartbeat a survivor heard, which
	 * came up to hb_interval_ms before the kill: the time to "down" is
	 * measured, not assumed, and the election is what follows it.
	 */
	printf("\n   %s is the new primary.\n", cluster_id(c, q));
	if (down_seen_us > t0_us && down_seen_us - t0_us <= agreed_us) {
		uint64_t down_us = down_seen_us - t0_us;

		printf("   counted down %.1f ms after the kill (down_after %"
		    PRIu64 " ms from the last heartbeat heard, up to %" PRIu64
		    " ms before the kill)\n   survivors agreed %.1f ms after "
		    "the kill: %.1f ms of election after the down\n",
		    (double)down_us / 1000, o.down_after_ms, o.hb_interval_ms,
		    (double)agreed_us / 1000,
		    (double)(agreed_us - down_us) / 1000);
	} else
		printf("   survivors agreed %.1f ms after the kill\n",
		    (double)agreed_us / 1000);
	printf("   writable %.1f ms after the kill (a new primary waits out "
	    "the old one's lease)\n", (double)writable_us / 1000);
	watch_down_of = NULL;
	if (rs.on) {
		const char *get[] = { "GET", "greeting", NULL };

		if (!redis_set(&rs, (size_t)q, "after", "failover", reply,
		    sizeof(reply)))
			return fail(c, "the new primary's redis took no write");
		printf("   writes acknowledged by %s's redis %.1f ms after the "
		    "kill\n", cluster_id(c, q), ms_since(t0_us));
		show_servers(&rs, c);
		if (redis_cmd(rs.port[q], reply, sizeof(reply), 1000, get) == 0)
			printf("   > GET greeting   (on %s's redis)\n   %s\n",
			    cluster_id(c, q), reply);
	}

	printf("\n3. Restart %s: it comes back as a replica (never writable on "
	    "configuration alone).\n", cluster_id(c, p));
	t0_us = cluster_now_us();
	show_lines = true;
	if (cluster_start(c, (size_t)p) == -1)
		return fail(c, "the old primary did not restart");
	if (!cluster_wait(c, rejoined, &other, DEMO_WAIT_MS))
		return fail(c, "the old primary did not rejoin as a replica");
	show_lines = false;
	if (cluster_request(c, (size_t)p, "STATUS", reply, sizeof(reply)) == 0)
		printf("\n   > STATUS   (on %s)\n   %s\n", cluster_id(c, p), reply);
	if (rs.on) {
		/* Its server comes back empty: it syncs from the new primary. */
		if ((rs.pid[p] = redis_start(rs.port[p], rs.dir)) == -1)
			return fail(c, "the old primary's redis did not restart");
		printf("\n   Its redis-server restarted empty; the adapter "
		    "points it at the new primary:\n");
		{
			char role[16], link[16];
			uint64_t end = cluster_now_us() +
			    (uint64_t)DEMO_WAIT_MS * 1000;

			do {
				redis_info(rs.port[p], "role", role,
				    sizeof(role));
				redis_info(rs.port[p], "master_link_status",
				    link, sizeof(link));
				if (strcmp(role, "slave") == 0 &&
				    strcmp(link, "up") == 0)
					break;
				poll(NULL, 0, DEMO_POLL_MS);
			} while (cluster_now_us() < end);
		}
		show_servers(&rs, c);
	}
	if (keep != NULL)
		return keep_running(c, keep, &rs);
	printf("\n4. Stopping every daemon and removing %s.\n"
	    "   (make demo KEEP=1 leaves them running to try by hand.)\n",
	    cluster_dir(c));
	cluster_free(c);
	if (rs.on)
		redis_down(&rs);
	printf("demo: done.\n");
	return 0;
}
