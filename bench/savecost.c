/*
 * savecost: what one persisted vote costs. Calls the daemon's own
 * metafile_save (temp file, write, fsync, rename, fsync of the directory)
 * in a directory under /tmp, where the bench clusters keep their state,
 * and prints min / median / p99 / max in ms. An election's critical path
 * holds such saves one after another (the candidate's before its OFFER,
 * the voter's before its ACCEPT, ...): docs/reports/benchmarks.md.
 *
 * usage: savecost [saves]
 * The last line of stdout is "RESULT key=value ..." for bench/run.sh.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "metafile.h"

#define SAVES_MAX 10000

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int
main(int argc, char **argv)
{
	static double ms[SAVES_MAX];
	char dir[] = "/tmp/kevy-savecost.XXXXXX", err[256], cmd[64];
	size_t n = 200;

	if (argc > 1)
		n = strtoul(argv[1], NULL, 10);
	if (n < 1 || n > SAVES_MAX || mkdtemp(dir) == NULL) {
		fprintf(stderr, "usage: savecost [saves 1..%d]\n", SAVES_MAX);
		return 64;
	}
	for (size_t i = 0; i < n; i++) {
		double t = now_ms();

		if (metafile_save(dir, i + 1, "n1", err, sizeof(err)) == -1) {
			fprintf(stderr, "savecost: %s\n", err);
			return 1;
		}
		ms[i] = now_ms() - t;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "savecost: could not remove %s\n", dir);
	qsort(ms, n, sizeof(ms[0]), cmp);
	printf("metafile_save x%zu: min %.3f  p50 %.3f  p99 %.3f  max %.3f ms\n",
	    n, ms[0], ms[n / 2], ms[(n * 99) / 100], ms[n - 1]);
	printf("RESULT saves=%zu save_min=%.3f save_p50=%.3f save_p99=%.3f "
	    "save_max=%.3f\n", n, ms[0], ms[n / 2], ms[(n * 99) / 100],
	    ms[n - 1]);
	return 0;
}
