/*
 * stats: see stats.h.
 */
#include <stdio.h>
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

void
stats_loadavg(char *out, size_t cap)
{
	FILE *f = fopen("/proc/loadavg", "r");
	double a = 0, b = 0, c = 0;

	if (f == NULL || fscanf(f, "%lf %lf %lf", &a, &b, &c) != 3)
		snprintf(out, cap, "-");
	else
		snprintf(out, cap, "%.2f/%.2f/%.2f", a, b, c);
	if (f != NULL)
		fclose(f);
}
