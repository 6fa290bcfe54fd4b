/*
 * stats: the order statistics the benchmarks report (bench/): sort a
 * sample, take a nearest-rank percentile.
 */
#ifndef STATS_H
#define STATS_H

#include <stddef.h>

/* Sort v[0..n-1] ascending. */
void stats_sort(double *v, size_t n);
/* Nearest-rank percentile of a sorted v[0..n-1], q in (0, 100], n > 0. */
double stats_pct(const double *v, size_t n, unsigned q);

#endif
