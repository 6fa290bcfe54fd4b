/*
 * fdbudget: connection caps from RLIMIT_NOFILE (fdbudget.h): reads and
 * raises the limit, then lib/fdbudget_split.c divides it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "ctl.h"
#include "fdbudget.h"
#include "http.h"
#include "inbound.h"

static const struct fdbudget maxima = { .inbound = INBOUND_CONNS_MAX,
    .ctl = CTL_CLIENTS_MAX, .http = HTTP_CONNS_MAX };

static uint64_t
wanted(size_t n_members, const struct fdbudget *max)
{
	return FDBUDGET_RESERVED + n_members + max->inbound + max->ctl +
	    max->http;
}

int
fdbudget_init(size_t n_members, struct fdbudget *b, char *err,
    size_t errlen)
{
	struct rlimit rl;
	uint64_t want = wanted(n_members, &maxima), need;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
		snprintf(err, errlen, "getrlimit RLIMIT_NOFILE: %s",
		    strerror(errno));
		return -1;
	}
	/* Raising the soft limit up to the hard one needs no privilege. */
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
		struct rlimit up = rl;

		up.rlim_cur = rl.rlim_max == RLIM_INFINITY ||
		    rl.rlim_max > want ? want : rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &up) == 0)
			rl = up;
	}
	if (fdbudget_split(rl.rlim_cur == RLIM_INFINITY ? want :
	    (uint64_t)rl.rlim_cur, n_members, &maxima, b, &need) == -1) {
		snprintf(err, errlen, "RLIMIT_NOFILE %" PRIu64 " is too low: "
		    "%zu members need at least %" PRIu64 " descriptors",
		    (uint64_t)rl.rlim_cur, n_members, need);
		return -1;
	}
	return 0;
}
