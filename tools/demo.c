/*
 * demo: the built-in local show (`make demo`). Three kevy-electd daemons on
 * loopback elect a primary; the demo kills it with SIGKILL, prints every
 * WATCH line as the survivors fail over, with timings, restarts the old
 * primary as a replica, then stops everything and removes every file.
 * It uses the same harness as the integration tests (tests/harness/cluster.c).
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"

#define DEMO_NODES    3
#define DEMO_WAIT_MS  20000 /* bound on every step of the show */

static uint64_t t0_us;
static bool show_lines;

static double
ms_since(uint64_t us)
{
	return (double)(cluster_now_us() - us) / 1000.0;
}

static void
print_line(struct cluster *c, size_t i, const char *line, void *arg)
{
	char role[16], epoch[24], primary[40], fenced[8], down[128];

	(void)arg;
	if (!show_lines)
		return;
	cluster_field(line, "role", role, sizeof(role));
	cluster_field(line, "epoch", epoch, sizeof(epoch));
	cluster_field(line, "primary", primary, sizeof(primary));
	cluster_field(line, "fenced", fenced, sizeof(fenced));
	cluster_field(line, "down", down, sizeof(down));
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

static int
fail(struct cluster *c, const char *what)
{
	fprintf(stderr, "demo: %s (daemon logs: %s)\n", what, cluster_dir(c));
	cluster_free(c);
	return 1;
}

int
main(void)
{
	struct cluster_opts o = {
		.n = DEMO_NODES,
		.hb_interval_ms = 100, .down_after_ms = 1000,
		.election_timeout_ms = 500, .backoff_ms = 200,
		.backoff_jitter_ms = 400,
	};
	struct cluster *c;
	struct other other;
	char reply[4096];
	uint64_t agreed_us, writable_us;
	int p, q;

	signal(SIGPIPE, SIG_IGN);
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
	printf("\n   %s is primary. Ask any node (socat - UNIX-CONNECT:%s):\n",
	    cluster_id(c, p), cluster_socket_path(c, 0));
	if (cluster_request(c, 0, "PRIMARY", reply, sizeof(reply)) == 0)
		printf("   > PRIMARY\n   %s\n", reply);
	if (cluster_request(c, (size_t)p, "STATUS", reply, sizeof(reply)) == 0)
		printf("   > STATUS   (on %s)\n   %s\n", cluster_id(c, p), reply);

	printf("\n2. SIGKILL %s (pid %d). Every WATCH line the survivors push:\n",
	    cluster_id(c, p), (int)cluster_pid(c, p));
	other.old = p;
	t0_us = cluster_now_us();
	cluster_kill(c, (size_t)p);
	show_lines = true;
	if (!cluster_wait(c, cluster_agreed_other, &other.old, DEMO_WAIT_MS))
		return fail(c, "the survivors did not agree on a new primary");
	agreed_us = cluster_now_us() - t0_us;
	if (!cluster_wait(c, cluster_agreed, NULL, DEMO_WAIT_MS))
		return fail(c, "the new primary never became writable");
	writable_us = cluster_now_us() - t0_us;
	show_lines = false;
	q = cluster_primary(c);
	printf("\n   %s is the new primary.\n"
	    "   survivors agreed %.1f ms after the kill: down_after %" PRIu64
	    " ms + %.1f ms of election\n"
	    "   writable %.1f ms after the kill (a new primary waits out the "
	    "old one's lease)\n", cluster_id(c, q), (double)agreed_us / 1000,
	    o.down_after_ms, (double)agreed_us / 1000 - (double)o.down_after_ms,
	    (double)writable_us / 1000);

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
	printf("\n4. Stopping every daemon and removing %s.\n", cluster_dir(c));
	cluster_free(c);
	printf("demo: done.\n");
	return 0;
}
