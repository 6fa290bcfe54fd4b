/*
 * stats: the order statistics the benchmarks report (bench/): sort a
 * sample, take a nearest-rank percentile; and the load average each run
 * reports beside them.
 */
#ifndef STATS_H
#define STATS_H

#include <stddef.h>

/* Sort v[0..n-1] ascending. */
void stats_sort(double *v, size_t n);
/* Nearest-rank percentile of a sorted v[0..n-1], q in (0, 100], n > 0. */
double stats_pct(const double *v, size_t n, unsigned q);
/* The 1, 5 and 15 minute load averages as "a/b/c", or "-". */
void stats_loadavg(char *out, size_t cap);

#endif
