/*
 * stats: see stats.h.
 */
#include <stdlib.h>

#include "stats.h"

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

void
stats_sort(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp);
}

double
stats_pct(const double *v, size_t n, unsigned q)
{
	size_t k = (n * q + 99) / 100;

	return v[k == 0 ? 0 : k - 1];
}
