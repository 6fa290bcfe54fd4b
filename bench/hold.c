/*
 * hold: keep a settled loopback cluster up for other tools (bench/run.sh
 * points bench/ctlload at it). Starts N daemons with the default timings,
 * waits until they agree on a writable primary, prints
 *   "primary=<control socket of the primary>" and "sock<i>=<socket>"
 * lines, then keeps reading the WATCH streams until its standard input
 * reaches EOF, and exits after removing the cluster. The last line is
 * "RESULT changes=<WATCH lines seen while held>".
 *
 * usage: hold [nodes]
 */
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cluster.h"

static unsigned changes;
static bool holding;

static void
count_line(struct cluster *c, size_t i, const char *line, void *arg)
{
	(void)c, (void)arg;
	if (holding) {
		changes++;
		fprintf(stderr, "hold: change on node %zu: %s\n", i + 1, line);
	}
}

/* True once standard input is readable: its EOF ends the hold. */
static bool
stdin_done(struct cluster *c, void *arg)
{
	struct pollfd p = { STDIN_FILENO, POLLIN, 0 };
	char buf[256];

	(void)c, (void)arg;
	if (poll(&p, 1, 0) != 1)
		return false;
	return read(STDIN_FILENO, buf, sizeof(buf)) <= 0;
}

int
main(int argc, char **argv)
{
	struct cluster_opts o = {
		.n = 3, .hb_interval_ms = 200, .down_after_ms = 5000,
		.election_timeout_ms = 3000, .backoff_ms = 1000,
		.backoff_jitter_ms = 4000,
	};
	struct cluster *c;
	int p;

	signal(SIGPIPE, SIG_IGN);
	if (argc > 1)
		o.n = strtoul(argv[1], NULL, 10);
	if (o.n < 1 || o.n > CLUSTER_NODES_MAX) {
		fprintf(stderr, "usage: hold [nodes 1..%d]\n", CLUSTER_NODES_MAX);
		return 64;
	}
	if ((c = cluster_new(&o)) == NULL)
		return 1;
	cluster_on_line(c, count_line, NULL);
	for (size_t i = 0; i < o.n; i++)
		if (cluster_start(c, i) == -1) {
			cluster_free(c);
			return 1;
		}
	if (!cluster_wait(c, cluster_agreed, NULL, 120000)) {
		fprintf(stderr, "hold: no primary (logs %s)\n", cluster_dir(c));
		cluster_free(c);
		return 1;
	}
	p = cluster_primary(c);
	printf("primary=%s\n", cluster_socket_path(c, (size_t)p));
	for (size_t i = 0; i < o.n; i++)
		printf("sock%zu=%s\n", i + 1, cluster_socket_path(c, i));
	printf("pid=%d\n", (int)cluster_pid(c, (size_t)p));
	fflush(stdout);
	holding = true;
	while (!cluster_wait(c, stdin_done, NULL, 200))
		;
	holding = false;
	printf("RESULT changes=%u\n", changes);
	cluster_free(c);
	return 0;
}
