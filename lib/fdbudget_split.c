/*
 * fdbudget_split: connection caps out of a descriptor limit
 * (fdbudget_split.h). Arithmetic only: it must never read or set the
 * real limit (daemon/fdbudget.c does).
 */
#include "fdbudget_split.h"

static size_t
clamp(uint64_t v, size_t lo, size_t hi)
{
	return v < lo ? lo : v > hi ? hi : (size_t)v;
}

uint64_t
fdbudget_need(size_t n_members)
{
	return FDBUDGET_RESERVED + n_members + FDBUDGET_INBOUND_MIN +
	    FDBUDGET_CTL_MIN + FDBUDGET_HTTP_MIN;
}

int
fdbudget_split(uint64_t limit, size_t n_members, const struct fdbudget *max,
    struct fdbudget *b, uint64_t *need)
{
	uint64_t reserve = FDBUDGET_RESERVED + n_members, avail;

	*need = fdbudget_need(n_members);
	if (limit < *need)
		return -1;
	avail = limit - reserve;
	b->limit = limit;
	b->inbound = clamp(avail / 2, FDBUDGET_INBOUND_MIN, max->inbound);
	b->ctl = clamp(avail / 4, FDBUDGET_CTL_MIN, max->ctl);
	b->http = clamp(avail - b->inbound - b->ctl, FDBUDGET_HTTP_MIN,
	    max->http);
	return 0;
}
